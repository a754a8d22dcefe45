#include "runtime/go/buildinfo.h"

#include <cstring>
#include <optional>
#include <regex>
#include <set>

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

namespace {
const ElfSection* pclntab_of(const ElfImage& img) {
  const ElfSection* s = img.section(".gopclntab");
  return s ? s : img.section(".data.rel.ro.gopclntab");
}

// The pclntab header's magic: 0xfffffff0 (go1.18, go1.19) or 0xfffffff1 (go1.20 on).
std::optional<uint32_t> pclntab_magic(const ElfImage& img) {
  const ElfSection* s = pclntab_of(img);
  if (!s || s->nobits || s->size < 8) return std::nullopt;
  auto b = img.read(s->addr, 4);
  if (!b || b->size() != 4) return std::nullopt;
  uint32_t m = uint32_t((*b)[0]) | uint32_t((*b)[1]) << 8 | uint32_t((*b)[2]) << 16 | uint32_t((*b)[3]) << 24;
  if (m != 0xfffffff0 && m != 0xfffffff1) return std::nullopt;
  return m;
}

// runtime.buildVersion: the linker writes it as a string header (pointer, length) in
// .data pointing at the version's bytes in read-only data. Stripped, it has no name,
// so every 8-aligned header in the data sections whose bytes spell a Go version is a
// candidate.
Result<GoVersion> build_version_from_data(const ElfImage& img) {
  static const std::regex version(R"(go1\.[0-9]+(\.[0-9]+)?((rc|beta)[0-9]+)?)");
  std::set<std::string> found;
  for (const char* name : {".data", ".noptrdata"}) {
    auto bytes = img.section_bytes(name);
    if (!bytes) continue;
    const auto& b = *bytes;
    for (size_t i = 0; i + 16 <= b.size(); i += 8) {
      uint64_t ptr = 0, len = 0;
      std::memcpy(&ptr, b.data() + i, 8);
      std::memcpy(&len, b.data() + i + 8, 8);
      if (len < 4 || len > 32 || ptr == 0) continue;
      auto s = img.read(ptr, len);
      if (!s || s->size() != len || std::memcmp(s->data(), "go1.", 4) != 0) continue;
      std::string text(s->begin(), s->end());
      if (std::regex_match(text, version)) found.insert(text);
    }
  }
  if (found.empty())
    return make_error(img.path() + " has no .go.buildinfo section and no runtime.buildVersion string",
                      "memgap cannot tell which Go release built it");
  if (found.size() > 1) {
    std::string all;
    for (const auto& f : found) all += (all.empty() ? "" : ", ") + f;
    return make_error(img.path() + " has no .go.buildinfo section and several Go version strings (" + all + ")",
                      "memgap cannot tell which Go release built it");
  }
  auto v = parse_go_version(*found.begin());
  if (!v) return v.error();
  auto magic = pclntab_magic(img);
  bool new_format = v->major > 1 || v->minor >= 20;
  if (!magic || (*magic == 0xfffffff1) != new_format)
    return make_error(img.path() + ": the version string " + v->text + " does not match its pclntab format",
                      "memgap cannot tell which Go release built it");
  return v;
}
}  // namespace

bool is_go_image(const ElfImage& img) {
  return img.section(".go.buildinfo") != nullptr || pclntab_magic(img).has_value();
}

Result<GoVersion> read_go_version(const ElfImage& img) {
  if (img.section(".go.buildinfo")) return read_buildinfo_version(img);
  if (!pclntab_magic(img)) return make_error(img.path() + " is not a Go program (no .go.buildinfo or .gopclntab section)");
  return build_version_from_data(img);
}

}  // namespace memgap::runtime::go
