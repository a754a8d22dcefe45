#!/usr/bin/env bash
# Configures and builds memgap into ./build (or $BUILD_DIR).
#   scripts/build.sh                 everything: memgap, its tests and every test target
#   scripts/build.sh --demo          memgap and the demo service only (the README's first command)
# Other arguments go to the cmake configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
targets=()
args=()
for a in "$@"; do
  if [ "$a" = --demo ]; then targets=(--target memgap memgap_demo_service); else args+=("$a"); fi
done
if [ ${#targets[@]} -gt 0 ]; then
  # The demo needs neither the test tree nor its Go toolchains.
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMGAP_BUILD_TESTS=OFF "${args[@]}" >/dev/null
else
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMGAP_BUILD_TESTS=ON "${args[@]}" >/dev/null
fi
cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}"
