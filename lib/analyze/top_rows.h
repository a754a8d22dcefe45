// The rows of `memgap top`: RSS history per process and its growth over the last
// minute, the gap folded into the list's columns, sorting and name filtering. Plain
// data in, plain data out (no /proc), so every rule is unit-tested.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/snapshot.h"
#include "model/top.h"

namespace memgap::analyze {

// RSS samples per process, kept for the growth window. A process whose name changes
// (PID reused, or exec) starts a new history.
class RssHistory {
 public:
  static constexpr uint64_t kWindowMs = 60'000;

  void record(int pid, const std::string& name, uint64_t t_ms, uint64_t rss);
  // Drops processes not recorded at `t_ms` (they exited).
  void forget_missing(uint64_t t_ms);
  // Least-squares slope of RSS over the samples of the last minute, bytes per minute,
  // and the span those samples cover. 0 with fewer than two samples.
  std::pair<double, uint64_t> growth(int pid) const;
  size_t size() const { return series_.size(); }

 private:
  struct Series {
    std::string name;
    uint64_t last_t = 0;
    std::deque<std::pair<uint64_t, uint64_t>> points;  // (t_ms, rss)
  };
  std::unordered_map<int, Series> series_;
};

// Folds a gap (from the full model, with or without go.* rows) into the list's columns.
// `other` takes what is left of RSS so that the columns always sum to gap.rss.
model::ProcessSplit split_from_gap(const model::Gap& gap);
// Without smaps, only the kernel's own split is known: file, and anon + shmem as other.
model::ProcessSplit split_from_status(uint64_t rss, uint64_t anon, uint64_t file, uint64_t shmem);

enum class TopSort { Growth, Rss, Heap, Pid, Name };
const char* sort_name(TopSort s);
std::optional<TopSort> parse_sort(const std::string& name);

// Largest first for sizes and growth, ascending for pid and name; ties by PID so the
// order is stable between refreshes. `reverse` flips it.
void sort_processes(std::vector<model::TopProcess>& rows, TopSort by, bool reverse = false);

// Keeps processes whose name contains `needle` (case-insensitive) or whose PID is it.
void filter_processes(std::vector<model::TopProcess>& rows, const std::string& needle);

}  // namespace memgap::analyze
