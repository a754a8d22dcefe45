#include "analyze/site_key.h"
#include "util/path.h"

#include <cstdio>

namespace memgap::analyze {
namespace {


bool unknown_function(const std::string& f) { return f.empty() || f == "??"; }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

FrameKey frame_key(const model::Frame& f) {
  FrameKey k;
  k.module = basename_of(f.module);
  k.function = unknown_function(f.function) ? "??" : f.function;
  k.offset = f.offset;
  return k;
}

size_t frames_above_startup(const std::vector<model::Frame>& frames) {
  for (size_t i = frames.size(); i-- > 0;)
    if (frames[i].function == "main") return i + 1;
  return frames.size();
}

SiteKey site_key(const model::Site& site) {
  SiteKey k;
  const size_t n = frames_above_startup(site.frames);
  k.frames.reserve(n);
  for (size_t i = 0; i < n; ++i) k.frames.push_back(frame_key(site.frames[i]));
  return k;
}

std::string to_string(const SiteKey& key) {
  if (key.frames.empty()) return "[unknown]";
  std::string out;
  for (size_t i = 0; i < key.frames.size(); ++i) {
    const auto& f = key.frames[i];
    if (i) out += ';';
    out += f.module.empty() ? "?" : f.module;
    out += '!';
    out += f.function;
    out += '+';
    out += hex(f.offset);
  }
  return out;
}

std::string frame_name(const model::Frame& f) {
  if (!unknown_function(f.function)) return f.function;
  std::string m = basename_of(f.module);
  return (m.empty() ? std::string("??") : m) + "+" + hex(f.offset);
}

std::string site_label(const std::vector<model::Frame>& frames, size_t max_width) {
  std::string label;
  if (frames.empty()) {
    label = "[unknown]";
  } else {
    const auto& f = frames.front();
    label = frame_name(f);
    if (!f.file.empty() && f.line > 0) label += " " + basename_of(f.file) + ":" + std::to_string(f.line);
    else if (!unknown_function(f.function) && !f.module.empty()) label += " (" + basename_of(f.module) + ")";
  }
  // Control characters from hostile symbol names must not reach a terminal.
  for (auto& c : label)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (max_width > 3 && label.size() > max_width) {
    size_t cut = max_width - 3;
    while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
    label = label.substr(0, cut) + "...";
  }
  return label;
}

}  // namespace memgap::analyze
