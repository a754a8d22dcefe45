#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root): install, build, run every test.
# Unit tests need no privileges; runtime tests attach real uprobes and need root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -L unit
ctest --output-on-failure -L runtime --timeout 300
