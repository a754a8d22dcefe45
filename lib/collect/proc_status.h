// /proc/PID/status: the kernel's own memory counters (VmRSS split into RssAnon, RssFile,
// RssShmem) used to cross-check the smaps sum, plus the name and thread count.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "collect/proc_source.h"
#include "util/result.h"

namespace memgap::collect {

struct ProcStatus {
  std::string name;   // "Name:" (comm)
  int tgid = 0;
  int threads = 0;    // "Threads:"
  // Every "Vm*"/"Rss*"/"Hugetlb*" field in bytes; absent on kernels that lack it
  // (RssAnon/RssFile/RssShmem arrived in 4.5).
  std::map<std::string, uint64_t> sizes;

  uint64_t get(const std::string& key) const {
    auto it = sizes.find(key);
    return it == sizes.end() ? 0 : it->second;
  }
};

ProcStatus parse_status(const std::string& text);
Result<ProcStatus> read_status(const ProcSource& proc, int pid);

}  // namespace memgap::collect
