#!/usr/bin/env bash
# The README's GitHub Actions recipe, checked as far as this machine can: the YAML parses
# and describes a privileged Debian 12 container job; the setup steps name scripts that
# exist; and the gate step's command, taken verbatim from the README, passes here and
# leaves its snapshot. (GitHub's runner itself is not available here.)
# Usage: ci_recipe_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The first ```yaml block after the "CI leak gate" heading.
awk '/^## CI leak gate/{s=1} s&&/^```yaml/{y=1;next} y&&/^```/{exit} y' "$src/README.md" > "$work/job.yml"
[ -s "$work/job.yml" ] || { echo "no yaml block in README's CI section"; exit 1; }

python3 - "$work/job.yml" "$work/steps.sh" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
jobs = doc["jobs"]
assert len(jobs) == 1, jobs
job = next(iter(jobs.values()))
assert job["container"]["image"] == "debian:12", job["container"]
assert "--privileged" in job["container"]["options"], "BPF and ptrace need a privileged container"
runs = [s["run"].strip() for s in job["steps"] if "run" in s]
assert any("scripts/install-deps.sh" in r for r in runs), runs
assert any("scripts/build.sh" in r for r in runs), runs
gate = [r for r in runs if "memgap run" in r]
assert len(gate) == 1, runs
uploads = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
assert uploads and uploads[0].get("if") == "always()", "the snapshot must be kept when the gate fails"
open(sys.argv[2], "w").write(" ".join(gate[0].split()) + "\n")
print("gate step:", open(sys.argv[2]).read().strip())
PY

for s in scripts/install-deps.sh scripts/build.sh; do [ -x "$src/$s" ] || { echo "$s missing"; exit 1; }; done

# The recipe runs in the checkout with build/ from scripts/build.sh: run it against this
# build tree by pointing build/ there.
mkdir -p "$work/checkout"
ln -s "$(cd "$build" && pwd)" "$work/checkout/build"
cd "$work/checkout"
set +e
bash "$work/steps.sh" > gate.out 2> gate.err
rc=$?
set -e
tail -3 gate.err
[ "$rc" -eq 0 ] || { echo "gate step exited $rc"; cat gate.err | tail -30; exit 1; }
grep -q "leak gate passed" gate.err || { echo "no verdict"; exit 1; }
snapshot=$(grep -o -- '-o [^ ]*' "$work/steps.sh" | cut -d' ' -f2)
[ -s "$snapshot" ] || { echo "snapshot $snapshot not written"; exit 1; }
grep -q '"schema": *"memgap.snapshot/1"' "$snapshot" || { echo "snapshot has no schema"; exit 1; }
echo "recipe OK"
