// A ProcSource that remembers what it read, for one short computation that would read
// the same file twice (the gap model and the Go weighting both read smaps).
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "collect/proc_source.h"

namespace memgap::pipeline {

class MemoProcSource final : public collect::ProcSource {
 public:
  explicit MemoProcSource(const collect::ProcSource& inner) : inner_(inner) {}
  Result<std::string> read(int pid, const std::string& name) const override {
    auto key = std::make_pair(pid, name);
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(key, inner_.read(pid, name)).first;
    return it->second;
  }
  Result<std::vector<std::string>> list(int pid, const std::string& dir) const override { return inner_.list(pid, dir); }
  std::vector<int> pids() const override { return inner_.pids(); }

 private:
  const collect::ProcSource& inner_;
  mutable std::map<std::pair<int, std::string>, Result<std::string>> cache_;
};

}  // namespace memgap::pipeline
