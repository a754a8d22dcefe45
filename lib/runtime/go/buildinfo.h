// The Go version a binary was built with, from its .go.buildinfo section (present even
// in stripped binaries).
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

}  // namespace memgap::runtime::go
