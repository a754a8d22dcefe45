#!/usr/bin/env bash
# Builds the .deb with CPack and checks what a user installs: the binary, the man pages,
# bash completion, and runtime dependencies found by dpkg-shlibdeps.
set -euo pipefail
build_dir=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build_dir" && cpack -G DEB -B "$out" >/dev/null)
deb=$(ls "$out"/memgap_*.deb)
info=$(dpkg-deb -I "$deb")
files=$(dpkg-deb -c "$deb")
fail=0
for dep in libbpf1 libdw1 libelf1 libc6; do
  grep -q "Depends:.*$dep" <<<"$info" || { echo "missing dependency $dep"; fail=1; }
done
for f in ./usr/bin/memgap ./usr/share/man/man1/memgap.1 ./usr/share/man/man1/memgap-diff.1 \
         ./usr/share/man/man5/memgap-snapshot.5 ./usr/share/bash-completion/completions/memgap; do
  grep -q " $f\$" <<<"$files" || { echo "missing file $f"; fail=1; }
done
# Test programs and libraries must not leak into the package.
if grep -qE "leak_fp|memgap_unit_tests|libleakhelper|gtest" <<<"$files"; then
  echo "test artefacts in the package"; fail=1
fi
[ "$fail" = 0 ] && echo "deb ok: $(basename "$deb")"
exit "$fail"
