// memgap_go_layout_gen BINARY: prints the generated part of release_go1_NN.cpp (layouts,
// size classes, wait reasons, code-reference rules) derived from BINARY, a Go program
// built with symbols and DWARF by the release's toolchain. scripts/gen-go-layouts.sh
// runs it for every release memgap has built in.
#include <cstdio>
#include <string>

#include "runtime/go/buildinfo.h"
#include "runtime/go/elf_image.h"
#include "runtime/go/release.h"
#include "runtime/go/release_derive.h"

using namespace memgap::runtime::go;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BINARY  (a Go program built without -ldflags=-s -w)\n", argv[0]);
    return 2;
  }
  auto img = ElfImage::open(argv[1]);
  if (!img) {
    std::fprintf(stderr, "memgap_go_layout_gen: %s\n", img.error().message.c_str());
    return 1;
  }
  auto v = read_go_version(*img);
  auto pcln = load_pclntab(*img);
  if (!v || !pcln) {
    std::fprintf(stderr, "memgap_go_layout_gen: %s\n", (!v ? v.error() : pcln.error()).message.c_str());
    return 1;
  }
  ReleaseSpec facts = nearest_release(*v);
  facts.name = "go1." + std::to_string(v->minor);
  facts.minor = v->minor;
  auto spec = derive_release(*img, *pcln, facts);
  if (!spec) {
    std::fprintf(stderr, "memgap_go_layout_gen: %s\n", spec.error().message.c_str());
    return 1;
  }
  std::string from = "a " + v->text + " linux/amd64 build of tests/targets/go/leaky";
  std::fputs(render_release_inc(*spec, from).c_str(), stdout);
  return 0;
}
