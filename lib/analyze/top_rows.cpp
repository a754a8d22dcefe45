#include "analyze/top_rows.h"

#include <algorithm>
#include <cctype>

#include "analyze/growth.h"

namespace memgap::analyze {

void RssHistory::record(int pid, const std::string& name, uint64_t t_ms, uint64_t rss) {
  Series& s = series_[pid];
  if (s.name != name) {
    s.points.clear();
    s.name = name;
  }
  s.last_t = t_ms;
  s.points.emplace_back(t_ms, rss);
  // Keep one sample older than the window's start so the window is always covered.
  while (s.points.size() > 2 && t_ms - s.points[1].first >= kWindowMs) s.points.pop_front();
}

void RssHistory::forget_missing(uint64_t t_ms) {
  std::erase_if(series_, [t_ms](const auto& kv) { return kv.second.last_t != t_ms; });
}

std::pair<double, uint64_t> RssHistory::growth(int pid) const {
  auto it = series_.find(pid);
  if (it == series_.end() || it->second.points.size() < 2) return {0.0, 0};
  std::vector<uint64_t> ts, vs;
  const auto& pts = it->second.points;
  const uint64_t now = pts.back().first;
  for (const auto& [t, v] : pts) {
    if (now - t > kWindowMs) continue;
    ts.push_back(t);
    vs.push_back(v);
  }
  if (ts.size() < 2) return {0.0, 0};
  return {slope_per_minute(ts, vs), ts.back() - ts.front()};
}

model::ProcessSplit split_from_gap(const model::Gap& gap) {
  model::ProcessSplit s;
  s.detailed = true;
  s.rss = gap.rss;
  uint64_t named = 0;
  for (const auto& c : gap.categories) {
    const std::string& n = c.name;
    uint64_t* col = nullptr;
    if (n.rfind("heap.", 0) == 0 || n.rfind("cgo.heap.", 0) == 0) col = &s.heap;
    else if (n == "stacks.threads" || n == "go.stacks") col = &s.stacks;
    else if (n == "go.heap.objects" || n == "go.heap.unused") col = &s.go_heap;
    else if (n == "go.heap.free") col = &s.go_idle;
    else if (n == "go.metadata" || n == "go.other") col = &s.go_meta;
    else if (n == "file.mapped") col = &s.file;
    if (!col) continue;  // anon.other, shmem: left to `other`
    *col += c.bytes;
    named += c.bytes;
  }
  // Over-attribution (negative unexplained) must not make `other` wrap around.
  s.other = gap.rss > named ? gap.rss - named : 0;
  return s;
}

model::ProcessSplit split_from_status(uint64_t rss, uint64_t anon, uint64_t file, uint64_t shmem) {
  model::ProcessSplit s;
  s.rss = rss;
  s.file = std::min(file, rss);
  s.other = rss - s.file;
  (void)anon;
  (void)shmem;  // anon + shmem == rss - file on every kernel with the Rss* split
  return s;
}

const char* sort_name(TopSort s) {
  switch (s) {
    case TopSort::Growth: return "growth";
    case TopSort::Rss: return "rss";
    case TopSort::Heap: return "heap";
    case TopSort::Pid: return "pid";
    case TopSort::Name: return "name";
  }
  return "growth";
}

std::optional<TopSort> parse_sort(const std::string& name) {
  for (TopSort s : {TopSort::Growth, TopSort::Rss, TopSort::Heap, TopSort::Pid, TopSort::Name})
    if (name == sort_name(s)) return s;
  return std::nullopt;
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

uint64_t heap_of(const model::TopProcess& p) { return p.split.heap + p.split.go_heap + p.split.go_idle; }

}  // namespace

void sort_processes(std::vector<model::TopProcess>& rows, TopSort by, bool reverse) {
  auto before = [by](const model::TopProcess& a, const model::TopProcess& b) {
    switch (by) {
      case TopSort::Growth:
        if (a.growth_bytes_per_min != b.growth_bytes_per_min) return a.growth_bytes_per_min > b.growth_bytes_per_min;
        if (a.rss != b.rss) return a.rss > b.rss;  // no growth anywhere yet: biggest first
        break;
      case TopSort::Rss:
        if (a.rss != b.rss) return a.rss > b.rss;
        break;
      case TopSort::Heap:
        if (heap_of(a) != heap_of(b)) return heap_of(a) > heap_of(b);
        break;
      case TopSort::Name:
        if (a.comm != b.comm) return a.comm < b.comm;
        break;
      case TopSort::Pid:
        break;
    }
    return a.pid < b.pid;
  };
  std::stable_sort(rows.begin(), rows.end(), before);
  if (reverse) std::reverse(rows.begin(), rows.end());
}

void filter_processes(std::vector<model::TopProcess>& rows, const std::string& needle) {
  if (needle.empty()) return;
  const std::string n = lower(needle);
  std::erase_if(rows, [&](const model::TopProcess& p) {
    return lower(p.comm).find(n) == std::string::npos && std::to_string(p.pid) != needle;
  });
}

}  // namespace memgap::analyze
