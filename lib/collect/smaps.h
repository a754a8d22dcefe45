// /proc/PID/smaps and smaps_rollup: every "Key: N kB" field of every mapping, kept by
// the kernel's own names so that kernels that add or lack fields parse the same way.
// The gap model needs per-mapping residency (Rss, Anonymous, Swap) to classify RSS.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collect/maps.h"
#include "collect/proc_source.h"
#include "util/result.h"

namespace memgap::collect {

struct SmapsEntry {
  Mapping map;
  // Sizes in bytes (the kernel prints kB), keyed as the kernel names them: "Rss",
  // "Pss", "Anonymous", "Swap", ..., in the kernel's order. Fields an older kernel lacks
  // are simply absent. A flat list, not a map: ~25 short keys per mapping, and 10,000
  // mappings must parse in milliseconds.
  std::vector<std::pair<std::string, uint64_t>> fields;
  std::vector<std::string> vm_flags;  // "rd", "wr", "sh", "gd" (guard), ...

  const uint64_t* find(std::string_view key) const {
    for (const auto& [k, v] : fields)
      if (k == key) return &v;
    return nullptr;
  }
  uint64_t get(std::string_view key) const {
    const uint64_t* v = find(key);
    return v ? *v : 0;
  }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  bool has_flag(const std::string& flag) const;
};

// Parses smaps text. Lines that are neither a mapping header nor a "Key: value" field
// are ignored, so a truncated file (the process exited midway) yields what was read.
std::vector<SmapsEntry> parse_smaps(const std::string& text);

// Parses smaps_rollup (or any "Key: N kB" list, like the tail of status) into bytes.
// The rollup's header line (a mapping-like range) is skipped.
std::map<std::string, uint64_t> parse_kb_fields(const std::string& text);

Result<std::vector<SmapsEntry>> read_smaps(const ProcSource& proc, int pid);
Result<std::map<std::string, uint64_t>> read_smaps_rollup(const ProcSource& proc, int pid);

// The process's resident size from smaps_rollup now; 0 when it cannot be read (exited).
uint64_t current_rss(const ProcSource& proc, int pid);

// Sums every field over all mappings: what smaps_rollup would say on kernels (< 4.14)
// that lack the rollup file.
std::map<std::string, uint64_t> rollup_of(const std::vector<SmapsEntry>& entries);

}  // namespace memgap::collect
