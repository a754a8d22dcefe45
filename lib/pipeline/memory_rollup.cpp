#include "pipeline/memory_rollup.h"

#include <sstream>

namespace memgap::pipeline {

Result<model::Memory> read_memory_rollup(const collect::ProcSource& proc, int pid) {
  auto text = proc.read(pid, "smaps_rollup");
  if (!text) return text.error();
  model::Memory mem;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    // "Rss:                5120 kB"; the first line is the address range header.
    auto colon = line.find(':');
    if (colon == std::string::npos || line.find(" kB") == std::string::npos) continue;
    std::istringstream v(line.substr(colon + 1));
    uint64_t kb = 0;
    if (v >> kb) mem.rollup[line.substr(0, colon)] = kb * 1024;
  }
  return mem;
}

}  // namespace memgap::pipeline
