#include "runtime/go/buildinfo.h"

#include <cstring>

#include "runtime/go/elf_image.h"

namespace memgap::runtime::go {

namespace {
constexpr char kMagic[] = "\xff Go buildinf:";
constexpr size_t kMagicLen = 14;
constexpr uint8_t kFlagInline = 0x2;  // Go ≥1.18: strings follow the header inline

bool uvarint(const std::vector<uint8_t>& b, size_t& pos, uint64_t& out) {
  out = 0;
  for (int shift = 0; pos < b.size() && shift < 64; shift += 7) {
    uint8_t c = b[pos++];
    out |= uint64_t(c & 0x7f) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}
}  // namespace

Result<GoVersion> parse_go_version(const std::string& text) {
  GoVersion v;
  v.text = text;
  if (text.rfind("go", 0) != 0) return make_error("unrecognised Go version '" + text + "'");
  int fields[3] = {0, 0, 0};
  size_t i = 2, f = 0;
  bool digits = false;
  for (; i < text.size() && f < 3; ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      fields[f] = fields[f] * 10 + (c - '0');
      digits = true;
    } else if (c == '.' && digits) {
      ++f;
      digits = false;
    } else {
      break;  // "rc1", "beta2", " X:..." suffixes
    }
  }
  if (fields[0] == 0) return make_error("unrecognised Go version '" + text + "'");
  v.major = fields[0];
  v.minor = fields[1];
  v.patch = fields[2];
  return v;
}

Result<std::string> buildinfo_version_string(const std::vector<uint8_t>& b) {
  if (b.size() < 32 || std::memcmp(b.data(), kMagic, kMagicLen) != 0)
    return make_error(".go.buildinfo has no Go build-info header");
  uint8_t flags = b[15];
  if (!(flags & kFlagInline))
    return make_error("Go build info uses the pre-1.18 pointer format",
                      "memgap supports Go 1.19 targets");
  size_t pos = 32;
  uint64_t len = 0;
  if (!uvarint(b, pos, len) || pos + len > b.size())
    return make_error(".go.buildinfo version string is truncated");
  return std::string(reinterpret_cast<const char*>(b.data() + pos), len);
}

Result<GoVersion> read_buildinfo_version(const ElfImage& img) {
  if (!img.section(".go.buildinfo"))
    return make_error(img.path() + " is not a Go program (no .go.buildinfo section)");
  auto bytes = img.section_bytes(".go.buildinfo");
  if (!bytes) return bytes.error();
  auto s = buildinfo_version_string(*bytes);
  if (!s) return s.error();
  return parse_go_version(*s);
}

}  // namespace memgap::runtime::go
