#include "collect/smaps.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace memgap::collect {
namespace {

// A header line starts with "start-end " in hex; field lines start with a key and ':'.
bool is_header(std::string_view line) {
  size_t dash = line.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > 16) return false;
  for (size_t i = 0; i < dash; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(line[i]))) return false;
  return true;
}

// "Rss:                 132 kB" → ("Rss", 135168). Values without a unit (THPeligible,
// ProtectionKey) are kept as plain numbers; non-numeric values are skipped.
bool parse_field(std::string_view line, std::string& key, uint64_t& value) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  key.assign(line.substr(0, colon));
  std::string_view rest = line.substr(colon + 1);
  size_t b = rest.find_first_not_of(" \t");
  if (b == std::string_view::npos) return false;
  rest = rest.substr(b);
  if (rest.empty() || !std::isdigit(static_cast<unsigned char>(rest[0]))) return false;
  uint64_t v = 0;
  size_t i = 0;
  while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) v = v * 10 + (rest[i++] - '0');
  std::string_view unit = rest.substr(i);
  size_t u = unit.find_first_not_of(' ');
  unit = u == std::string_view::npos ? std::string_view{} : unit.substr(u);
  if (unit.starts_with("kB")) v *= 1024;
  value = v;
  return true;
}

template <typename F>
void for_each_line(const std::string& text, F&& f) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    f(std::string_view(text).substr(pos, nl - pos));
    pos = nl + 1;
  }
}

}  // namespace

bool SmapsEntry::has_flag(const std::string& flag) const {
  return std::find(vm_flags.begin(), vm_flags.end(), flag) != vm_flags.end();
}

std::vector<SmapsEntry> parse_smaps(const std::string& text) {
  std::vector<SmapsEntry> out;
  std::string key;
  for_each_line(text, [&](std::string_view line) {
    if (line.empty()) return;
    if (is_header(line)) {
      // Reuse the maps parser so both files agree on paths with spaces and "(deleted)".
      auto m = parse_maps(std::string(line));
      if (m.empty()) return;
      out.push_back(SmapsEntry{std::move(m[0]), {}, {}});
      out.back().fields.reserve(32);
      return;
    }
    if (out.empty()) return;
    if (line.starts_with("VmFlags:")) {
      std::string_view rest = line.substr(8);
      size_t pos = 0;
      while (pos < rest.size()) {
        size_t b = rest.find_first_not_of(' ', pos);
        if (b == std::string_view::npos) break;
        size_t e = rest.find(' ', b);
        if (e == std::string_view::npos) e = rest.size();
        out.back().vm_flags.emplace_back(rest.substr(b, e - b));
        pos = e;
      }
      return;
    }
    uint64_t v = 0;
    if (parse_field(line, key, v)) out.back().fields.emplace_back(key, v);
  });
  return out;
}

std::map<std::string, uint64_t> parse_kb_fields(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::string key;
  for_each_line(text, [&](std::string_view line) {
    if (line.empty() || is_header(line)) return;
    uint64_t v = 0;
    if (parse_field(line, key, v)) out[key] = v;
  });
  return out;
}

Result<std::vector<SmapsEntry>> read_smaps(const ProcSource& proc, int pid) {
  auto text = proc.read(pid, "smaps");
  if (!text) return text.error();
  return parse_smaps(*text);
}

Result<std::map<std::string, uint64_t>> read_smaps_rollup(const ProcSource& proc, int pid) {
  auto text = proc.read(pid, "smaps_rollup");
  if (!text) return text.error();
  return parse_kb_fields(*text);
}

std::map<std::string, uint64_t> rollup_of(const std::vector<SmapsEntry>& entries) {
  std::map<std::string, uint64_t> out;
  for (const auto& e : entries)
    for (const auto& [k, v] : e.fields) {
      // Per-mapping attributes are not sizes; summing them would mean nothing.
      if (k == "KernelPageSize" || k == "MMUPageSize" || k == "THPeligible" || k == "ProtectionKey") continue;
      out[k] += v;
    }
  return out;
}

uint64_t current_rss(const ProcSource& proc, int pid) {
  auto rollup = read_smaps_rollup(proc, pid);
  if (!rollup) return 0;
  auto it = rollup->find("Rss");
  return it == rollup->end() ? 0 : it->second;
}

}  // namespace memgap::collect
