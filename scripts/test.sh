#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root): install, build, run every test.
#   1. unit tests (no privileges: model, analyze, report, parsers, hostile snapshots)
#   2. runtime tests (root: real uprobes on purpose-built targets and Debian programs)
#   3. the snapshot reader and exporters again under AddressSanitizer/UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(
  cd build
  ctest --output-on-failure -L unit
  # Runtime tests drive real processes and uprobes on a shared 2-core VM. A test that
  # fails is run once more as a safety net; ctest prints both attempts, so a flake stays
  # visible in the log. (The flakes seen so far had causes in the tests, since fixed: a
  # racy pause() in a target, bounds tighter than the sampling's own spread, a
  # comparison with jemalloc's purge-dependent "resident".)
  ctest --output-on-failure -L runtime --timeout 300 --repeat until-pass:2
  ctest --output-on-failure -L package
)
cmake -S . -B build-asan -DMEMGAP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)" --target memgap memgap_unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan -L unit -R 'Snapshot|Diff|Folded|Pprof|CliDiff|Units|Sampl' --output-on-failure
