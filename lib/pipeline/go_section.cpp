#include "pipeline/go_section.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace memgap::pipeline {

namespace rg = memgap::runtime::go;

std::vector<MappingResidency> parse_smaps_residency(const std::string& text) {
  std::vector<MappingResidency> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long a = 0, b = 0, kb = 0;
    if (std::sscanf(line.c_str(), "Rss: %llu kB", &kb) == 1) {
      if (!out.empty()) out.back().rss = kb * 1024;
      continue;
    }
    // Mapping header: "start-end perms offset dev inode [path]"; field lines are
    // "Name:  value" and never contain '-' before the first space.
    int n = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %*s %*s %*s %*s%n", &a, &b, &n) >= 2 && n > 0) {
      MappingResidency m;
      m.start = a;
      m.end = b;
      size_t p = static_cast<size_t>(n);
      while (p < line.size() && line[p] == ' ') ++p;
      m.path = line.substr(p);
      out.push_back(std::move(m));
    }
  }
  return out;
}

namespace {
double metric(const rg::GoState& s, const char* name) {
  auto it = s.metrics.find(name);
  return it == s.metrics.end() ? 0 : std::max(0.0, it->second);
}

uint64_t overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) {
  uint64_t lo = std::max(a0, b0), hi = std::min(a1, b1);
  return hi > lo ? hi - lo : 0;
}

// Takes up to `want` bytes from the resident budget.
uint64_t take(double want, uint64_t& budget) {
  uint64_t t = std::min<uint64_t>(static_cast<uint64_t>(want), budget);
  budget -= t;
  return t;
}

std::string iec(uint64_t b) {
  const char* u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(b);
  int i = 0;
  while (v >= 1024 && i < 4) { v /= 1024; ++i; }
  char buf[32];
  std::snprintf(buf, sizeof buf, i ? "%.1f%s" : "%.0f%s", v, u[i]);
  return buf;
}

std::string basename(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace

model::GoInfo go_info(const rg::GoState& s) {
  model::GoInfo g;
  g.version = s.version.text;
  g.goroutines = s.census.goroutines;
  // GOMEMLIMIT unset is math.MaxInt64; snapshots reject numbers beyond 1e18 as corrupt,
  // so "no limit" is spelled by leaving the key out.
  for (const auto& [k, v] : s.metrics)
    if (std::fabs(v) <= 1e18) g.runtime[k] = v;
  std::string module = basename(s.exe);
  for (const auto& grp : s.census.groups) {
    model::GoroutineGroup m;
    m.count = grp.count;
    m.created_by = grp.created_by;
    m.start = grp.start;
    m.wait_reason = grp.wait_reason;
    for (const auto& f : grp.stack)
      m.stack.push_back(model::Frame{f.function, f.file, f.line, module, f.offset, f.pc});
    g.goroutine_groups.push_back(std::move(m));
  }
  return g;
}

std::vector<GoroutineGrowth> growing_goroutine_groups(const model::GoInfo& first,
                                                      const model::GoInfo& last, uint64_t min_added,
                                                      double min_ratio) {
  auto key = [](const model::GoroutineGroup& g) {
    return g.created_by + "\x1f" + g.start + "\x1f" + g.wait_reason;
  };
  std::map<std::string, uint64_t> before;
  for (const auto& g : first.goroutine_groups) before[key(g)] += g.count;
  std::vector<GoroutineGrowth> out;
  for (const auto& g : last.goroutine_groups) {
    uint64_t b = before.count(key(g)) ? before[key(g)] : 0;
    if (g.count < b + min_added || double(g.count - b) < min_ratio * double(b)) continue;
    GoroutineGrowth gr{g, b, {}};
    gr.note = "goroutine leak suspect: " + std::to_string(b) + " -> " + std::to_string(g.count) +
              " goroutines created by " + g.created_by + " (start " + g.start + ", " +
              (g.wait_reason.empty() ? "no wait reason" : g.wait_reason) + ")";
    out.push_back(std::move(gr));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.group.count - a.before > b.group.count - b.before;
  });
  return out;
}

GoSection build_go_section(const rg::GoState& s, const std::vector<MappingResidency>& maps, uint64_t rss) {
  GoSection out;
  out.info = go_info(s);

  // Resident bytes in the heap arenas, and in other anonymous memory that can hold
  // runtime metadata. Left out of the latter: the brk heap and stacks the kernel names
  // (C code's), and .bss (anonymous memory that directly follows a file mapping).
  uint64_t arena_rss = 0, other_rss = 0;
  for (size_t i = 0; i < maps.size(); ++i) {
    const auto& m = maps[i];
    if (!m.path.empty() || m.end <= m.start) continue;
    uint64_t in = 0;
    for (const auto& a : s.arenas) in += overlap(m.start, m.end, a.first, a.second);
    uint64_t in_rss = static_cast<uint64_t>(double(m.rss) * double(in) / double(m.end - m.start));
    arena_rss += in_rss;
    bool bss = i > 0 && maps[i - 1].end == m.start && !maps[i - 1].path.empty() &&
               maps[i - 1].path[0] == '/';
    if (!bss) other_rss += m.rss - in_rss;
  }
  out.arena_rss = arena_rss;

  // In the arenas: Go counts what it has mapped for each class, but pages it never
  // wrote (fresh spans are known to be zero and are not cleared) are not resident, and
  // which pages those are is not visible from outside. Each class therefore gets the
  // share of the arenas' resident bytes that it has of the runtime's arena accounting.
  // Resident bytes beyond that accounting are released pages not yet dropped: free.
  double objects = metric(s, "/memory/classes/heap/objects:bytes");
  double unused = metric(s, "/memory/classes/heap/unused:bytes");
  double free_ = metric(s, "/memory/classes/heap/free:bytes");
  double hstacks = metric(s, "/memory/classes/heap/stacks:bytes");
  double arena_meta = metric(s, "memgap/heap/metadata-in-arenas:bytes");
  double accounted = objects + unused + free_ + hstacks + arena_meta;
  double scale = accounted > 0 ? std::min(1.0, double(arena_rss) / accounted) : 0;
  uint64_t w_objects = static_cast<uint64_t>(objects * scale);
  uint64_t w_unused = static_cast<uint64_t>(unused * scale);
  uint64_t w_stacks = static_cast<uint64_t>(hstacks * scale);
  uint64_t w_meta = static_cast<uint64_t>(arena_meta * scale);
  uint64_t w_free = arena_rss - std::min(arena_rss, w_objects + w_unused + w_stacks + w_meta);

  // Outside the arenas: runtime metadata and off-heap allocations, capped by what is
  // resident there (the runtime maps far more metadata than it touches).
  uint64_t o = other_rss;
  double mspan = metric(s, "/memory/classes/metadata/mspan/inuse:bytes") +
                 metric(s, "/memory/classes/metadata/mspan/free:bytes");
  double mcache = metric(s, "/memory/classes/metadata/mcache/inuse:bytes") +
                  metric(s, "/memory/classes/metadata/mcache/free:bytes");
  double gcmisc = std::max(0.0, metric(s, "/memory/classes/metadata/other:bytes") - arena_meta);
  w_meta += take(mspan, o) + take(mcache, o);
  uint64_t w_osstacks = take(metric(s, "/memory/classes/os-stacks:bytes"), o);
  uint64_t w_other = take(metric(s, "/memory/classes/other:bytes"), o) +
                     take(metric(s, "/memory/classes/profiling/buckets:bytes"), o);
  w_meta += take(gcmisc, o);
  out.outside_arena_rss = other_rss - o;

  const std::string arena_src = "Go runtime accounting weighted by smaps residency of heap arenas";
  const std::string meta_src = "Go runtime accounting capped by resident anonymous memory outside arenas";
  out.categories = {
      {"go.heap.objects", w_objects, arena_src, "live and not yet swept Go heap objects"},
      {"go.heap.unused", w_unused, arena_src, "slack inside in-use Go heap spans"},
      {"go.heap.free", w_free, arena_src, "idle Go heap spans not yet returned to the OS"},
      {"go.stacks", w_stacks + w_osstacks, arena_src, "goroutine stacks (and OS thread stacks Go allocated)"},
      {"go.metadata", w_meta, meta_src, "mspan, mcache and GC metadata"},
      {"go.other", w_other, meta_src, "profiling buckets and other runtime allocations"},
  };

  // pprof's inuse_space extrapolates sampled live objects: about the runtime's own
  // heap-objects figure (pprof knows nothing of residency), and nothing at all when the
  // runtime's sampling is off.
  double rate = metric(s, "runtime.MemProfileRate");
  out.profiled = rate > 0 ? static_cast<uint64_t>(objects) : 0;
  struct Part { uint64_t bytes; std::string what; };
  std::vector<Part> parts = {
      {w_free, "idle heap spans"},        {w_stacks + w_osstacks, "goroutine stacks"},
      {w_meta, "runtime metadata"},       {w_unused, "span slack"},
      {w_other, "other runtime memory"},
  };
  uint64_t go_total = w_objects + w_unused + w_free + w_stacks + w_osstacks + w_meta + w_other;
  uint64_t file_rss = 0;
  for (const auto& m : maps)
    if (!m.path.empty() && m.path[0] == '/') file_rss += m.rss;
  uint64_t outside = rss > go_total ? rss - go_total : 0;
  uint64_t files = std::min(file_rss, outside);
  parts.push_back({files, "mapped files (the binary, libraries, data files)"});
  parts.push_back({outside - files, "other memory outside the Go runtime (C heap, thread stacks, .bss)"});
  std::stable_sort(parts.begin(), parts.end(), [](auto& a, auto& b) { return a.bytes > b.bytes; });
  std::ostringstream e;
  if (rate > 0)
    e << "pprof would show about " << iec(out.profiled) << " of live Go heap objects (sampled every "
      << iec(static_cast<uint64_t>(rate)) << ") against " << iec(rss)
      << " RSS, of which " << iec(w_objects) << " are resident heap objects; the rest is ";
  else
    e << "heap profiling is off in this process (MemProfileRate=0), so pprof shows nothing of its "
      << iec(static_cast<uint64_t>(objects)) << " live Go heap objects; besides them RSS " << iec(rss)
      << " holds ";
  int shown = 0;
  for (const auto& p : parts) {
    if (p.bytes == 0 || shown == 3) continue;
    e << (shown ? ", " : "") << iec(p.bytes) << " " << p.what;
    ++shown;
  }
  if (!shown) e << "nothing else of note";
  e << ".";
  // Go's own figures count mapped memory; say so when most of it was never touched.
  double heap_accounted = accounted + metric(s, "/memory/classes/heap/released:bytes");
  if (heap_accounted > 1.25 * double(arena_rss) && heap_accounted > 0)
    e << " The runtime accounts " << iec(static_cast<uint64_t>(heap_accounted))
      << " of heap address space, of which only " << iec(arena_rss)
      << " is resident (pages never written or already returned).";
  out.explanation = e.str();
  return out;
}

}  // namespace memgap::pipeline

namespace memgap::pipeline {

std::vector<MappingResidency> residency_of(const std::vector<collect::SmapsEntry>& smaps) {
  std::vector<MappingResidency> out;
  out.reserve(smaps.size());
  for (const auto& e : smaps) out.push_back({e.map.start, e.map.end, e.get("Rss"), e.map.path});
  return out;
}

void merge_go_section(model::Gap& gap, const GoSection& go) {
  uint64_t claim = go.arena_rss + go.outside_arena_rss;
  for (const char* name : {"anon.other", "stacks.threads", "heap.free", "heap.untracked"}) {
    for (auto& c : gap.categories) {
      if (c.name != name || claim == 0) continue;
      uint64_t t = std::min(c.bytes, claim);
      c.bytes -= t;
      claim -= t;
    }
  }
  for (const auto& c : go.categories) gap.categories.push_back(c);
  int64_t sum = 0;
  for (const auto& c : gap.categories) sum += static_cast<int64_t>(c.bytes);
  gap.unexplained = static_cast<int64_t>(gap.rss) - sum;
  gap.profiled += go.profiled;
  // The gap's own sentence was written from the rows before the Go rows took their
  // bytes back (it could name Go's arenas as thread stacks): Go's sentence replaces it.
  if (!go.explanation.empty()) gap.explanation = go.explanation;
}

}  // namespace memgap::pipeline

namespace memgap::pipeline {

Result<GoSection> go_section_now(const rg::GoReader& reader, int pid, const collect::ProcSource& proc,
                                 uint64_t rss) {
  auto state = reader.read();
  if (!state) return state.error();
  auto smaps = collect::read_smaps(proc, pid);
  if (!smaps) return smaps.error();
  auto maps = residency_of(*smaps);
  if (rss == 0)
    for (const auto& m : maps) rss += m.rss;
  return build_go_section(*state, maps, rss);
}

}  // namespace memgap::pipeline
