#!/usr/bin/env bash
# Regenerates the built-in Go release tables (lib/runtime/go/release_go1_NN.inc) from
# DWARF: builds tests/targets/go/leaky with each toolchain (symbols and DWARF kept) and
# runs memgap_go_layout_gen on it. Rerun after adding a release or a field to GoLayout;
# the runtime test GoRelease.BuiltinTablesMatchTheBinary fails until the tables agree.
#   scripts/gen-go-layouts.sh [RELEASE=GO ...]   default: the three toolchains of
#                                                tests/targets/go/CMakeLists.txt
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake --build "$build_dir" --target memgap_go_layout_gen -j2 >/dev/null
gen=$build_dir/lib/memgap_go_layout_gen
pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
  go127=$(GOTOOLCHAIN=go1.27.3 /usr/local/go/bin/go env GOROOT)/bin/go
  pairs=(go1.19=/usr/lib/go-1.19/bin/go go1.26=/usr/local/go/bin/go go1.27=$go127)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in "${pairs[@]}"; do
  rel=${p%%=*} tool=${p#*=}
  out=lib/runtime/go/release_${rel//./_}.inc
  env GO111MODULE=off GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GOCACHE="$work/cache-$rel" GOPATH="$work/gopath" \
    "$tool" build -o "$work/leaky-$rel" tests/targets/go/leaky/main.go
  "$gen" "$work/leaky-$rel" > "$out.new"
  mv "$out.new" "$out"
  echo "$out: from $("$tool" env GOVERSION 2>/dev/null || echo "$tool")"
done
