#!/usr/bin/env bash
# Installs everything memgap needs to build, test and demo on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get install needs it)" >&2
  exit 1
fi
packages=(
  # build
  build-essential cmake pkg-config clang llvm bpftool libbpf-dev libelf-dev libdw-dev zlib1g-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libgtest-dev libprotobuf-dev
  # other allocators the runtime tests link against
  libjemalloc-dev libgoogle-perftools-dev
  # symbols of Debian's libc for readable stacks
  libc6-dbg
  # test targets and tools the runtime tests drive
  golang-go util-linux procps bpftrace tmux
  # Debian's flamegraph.pl (Brendan Gregg's, shipped inside Devel::NYTProf) renders folded output
  libdevel-nytprof-perl
  # the README CI recipe test parses its YAML
  python3-yaml
  # terminal UI of memgap top
  libncurses-dev
  # real programs from Debian's archive the runtime tests explain
  redis-server redis-tools prometheus
  # lefthook (an npm-shipped Go program, below) runs its hooks in a git repository
  git
  # packaging (dpkg-shlibdeps for CPack)
  dpkg-dev
)
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"

# Go toolchains for the Go test targets, each named by its full path (tests/targets/go):
# go1.19 is Debian's golang-go above; go1.26 is the machine's own; go1.27.3 is fetched by
# the go command from the Go module proxy into the module cache.
go126=/usr/local/go/bin/go
if ! [ -x "$go126" ] || ! "$go126" env GOVERSION | grep -q '^go1\.26'; then
  echo "install-deps: the machine's Go 1.26 is not at $go126 (see 'go env GOROOT')" >&2
  exit 1
fi
GOTOOLCHAIN=go1.27.3 "$go126" env GOROOT >/dev/null

# Real Go programs of current releases, prebuilt and stripped as their authors ship them in
# the npm registry; tests/runtime/go_npm_test.cpp attaches to them while they run. Pinned:
# the Go release each was built with is a fact the tests check (lefthook 2.2.2: go1.27.0,
# buf 1.75.0: go1.27.3, esbuild 0.28.2: go1.26.5). The platform packages hold the
# binaries themselves, so no install script runs (--ignore-scripts).
if ! command -v npm >/dev/null; then
  apt-get install -y -q --no-install-recommends nodejs npm
fi
npm install --prefix /opt/memgap-npm --no-audit --no-fund --ignore-scripts --save-exact \
  lefthook-linux-x64@2.2.2 @esbuild/linux-x64@0.28.2 @bufbuild/buf-linux-x64@1.75.0 >/dev/null
