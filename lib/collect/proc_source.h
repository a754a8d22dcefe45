// All access to /proc goes through ProcSource so that parsers and the gap model can be
// unit-tested on recorded files (DirProcSource) without root or a live target.
#pragma once
#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::collect {

class ProcSource {
 public:
  virtual ~ProcSource() = default;
  // Reads /proc/<pid>/<name> whole ("maps", "smaps", "status", "task/123/stat", ...).
  virtual Result<std::string> read(int pid, const std::string& name) const = 0;
  // Lists /proc/<pid>/<dir> entries ("task" → thread ids).
  virtual Result<std::vector<std::string>> list(int pid, const std::string& dir) const = 0;
  // Lists the numeric entries of /proc (every process).
  virtual std::vector<int> pids() const = 0;
};

// The live /proc of this machine (or another procfs mount, for tests).
class RealProcSource final : public ProcSource {
 public:
  explicit RealProcSource(std::string root = "/proc") : root_(std::move(root)) {}
  Result<std::string> read(int pid, const std::string& name) const override;
  Result<std::vector<std::string>> list(int pid, const std::string& dir) const override;
  std::vector<int> pids() const override;

 private:
  std::string root_;
};

// Recorded files laid out as <dir>/<pid>/<name>, for unit tests.
class DirProcSource final : public ProcSource {
 public:
  explicit DirProcSource(std::string dir) : dir_(std::move(dir)) {}
  Result<std::string> read(int pid, const std::string& name) const override;
  Result<std::vector<std::string>> list(int pid, const std::string& dir) const override;
  std::vector<int> pids() const override;

 private:
  std::string dir_;
};

}  // namespace memgap::collect
