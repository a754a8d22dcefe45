// The Go version a binary was built with: from its .go.buildinfo section (present even
// in stripped binaries), else from runtime.buildVersion (some distributions drop
// .go.buildinfo, as esbuild's npm package does). Whether a binary is Go at all: either
// section, or a .gopclntab with the pclntab magic of Go 1.18 on.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::runtime::go {

struct GoVersion {
  std::string text;  // as the toolchain spells it: "go1.19.8"
  int major = 0, minor = 0, patch = 0;
};

// Parses "go1.19.8", "go1.19", "go1.20rc1"; fails on "devel ..." and garbage.
Result<GoVersion> parse_go_version(const std::string& text);

// Extracts the version string from the bytes of .go.buildinfo. Go ≥1.18 stores it inline
// (flag bit 2); older toolchains store pointers, which need `read_vaddr` to follow.
class ElfImage;
Result<GoVersion> read_buildinfo_version(const ElfImage& img);
Result<std::string> buildinfo_version_string(const std::vector<uint8_t>& section);

// The binary's Go version: .go.buildinfo, else the string runtime.buildVersion holds
// (a string header in .data whose bytes read "go1.N[.M]"). Without buildinfo every
// such header is a candidate; more than one distinct version is refused naming them,
// and the version must match the pclntab format (go1.18/1.19 or go1.20 on).
Result<GoVersion> read_go_version(const ElfImage& img);
// .go.buildinfo, or a .gopclntab (.data.rel.ro.gopclntab in PIE builds) starting with
// a pclntab magic memgap reads.
bool is_go_image(const ElfImage& img);

}  // namespace memgap::runtime::go
