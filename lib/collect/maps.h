// /proc/PID/maps parsed into mappings; the tracer uses it to find modules (which ELF
// provides malloc, where each is loaded) and the gap model to classify memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "collect/proc_source.h"
#include "util/result.h"

namespace memgap::collect {

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string perms;     // "r-xp"
  uint64_t offset = 0;   // file offset of `start`
  uint64_t inode = 0;
  std::string dev;       // "fd:01"
  std::string path;      // pathname column; "[heap]", "[stack]", "" for anonymous
  bool deleted = false;  // the path ended in " (deleted)"

  uint64_t size() const { return end - start; }
  bool executable() const { return perms.size() > 2 && perms[2] == 'x'; }
  bool is_file() const { return !path.empty() && path[0] == '/'; }
};

std::vector<Mapping> parse_maps(const std::string& text);
Result<std::vector<Mapping>> read_maps(const ProcSource& proc, int pid);

}  // namespace memgap::collect
