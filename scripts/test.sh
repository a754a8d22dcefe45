#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root): install, build, run every test.
#   1. unit tests (no privileges: model, analyze, report, parsers, hostile snapshots)
#   2. runtime tests (root: real uprobes on purpose-built targets and Debian programs)
#   3. the whole unit tier again, and memgap under its parsers' runtime tests, with
#      AddressSanitizer/UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(
  cd build
  ctest --output-on-failure -L unit
  # No retries: a runtime test that needs one is a bug in the test or in memgap.
  ctest --output-on-failure -L runtime --timeout 300
  ctest --output-on-failure -L package
)
# The ASan/UBSan build: the whole unit tier, then memgap itself (the sanitized binary, run
# by the ordinary runtime-test binary through MEMGAP_TEST_BIN) under the runtime tests of
# its parsers: procfs (maps, smaps, status), ELF/DWARF symbolization and unwinding, the Go
# runtime readers, suppressions files.
cmake -S . -B build-asan -DMEMGAP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)" --target memgap memgap_unit_tests
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir build-asan -L unit --output-on-failure
# (Left out: the one test that asserts no ring-buffer drop at --sample-bytes 1 with 20,000
# allocations in a tight loop; the sanitized consumer is too slow for it, and the drops it
# then counts are reported, not misread. It runs above, unsanitized.)
MEMGAP_TEST_BIN="$PWD/build-asan/cmd/memgap" ctest --test-dir build -L runtime --timeout 300 --output-on-failure \
  -R '^(GapCliNoProbes|AttachGap|Attach|AttachErrors|Unwind|GoAttachSites)\.|^RunGate\.Suppression' \
  -E '^Attach\.ReportsTheLeakSiteFirstWithItsCallersAtEveryAllocation$'
