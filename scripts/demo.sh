#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root): install, build, start the bundled
# leaking C++ service, and show what `memgap attach` says about it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --demo
./build/demo/memgap_demo_service &
svc=$!
trap 'kill $svc 2>/dev/null || true' EXIT
sleep 1
echo "== memgap attach $svc -d 10s   (the demo service leaks sessions; watch the first site)"
./build/cmd/memgap attach "$svc" -d 10s --sample-bytes 64KiB -o demo-snapshot.json
echo "== snapshot written to demo-snapshot.json"
