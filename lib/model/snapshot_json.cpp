#include "model/snapshot_json.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

namespace memgap::model {
namespace {

using nlohmann::json;

// Numbers above this are "absurd" for any memory quantity (1 EiB): a hostile or corrupt
// file, not a process memgap observed.
constexpr uint64_t kMaxBytes = uint64_t{1} << 60;
constexpr size_t kMaxItems = 10'000'000;
// Stacks deeper than this are corrupt (the BPF side walks at most 127 frames; DWARF
// unwinding stops far earlier than this).
constexpr size_t kMaxFrames = 4096;
// A snapshot of a real process is at most tens of MiB of JSON.
constexpr std::streamoff kMaxFileBytes = std::streamoff{512} << 20;
constexpr size_t kMaxMessage = 160;

// Validation failures are reported by throwing ParseError inside this file only; from_json
// converts it to an Error so nothing escapes the module.
struct ParseError {
  std::string what;
};
struct NewerVersion {
  std::string what;
};

// Error text quotes parts of the file (keys, the schema string): keep it one printable
// line of bounded length whatever the file contains.
std::string one_line(const std::string& text, size_t max = kMaxMessage) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max) {
      // Do not leave half a UTF-8 sequence before "...".
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) out.pop_back();
      out += "...";
      break;
    }
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  return out;
}

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw ParseError{one_line(path) + ": " + one_line(why)};
}

const json& member(const json& obj, const char* key, const std::string& path) {
  if (!obj.is_object()) fail(path, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) fail(path + "." + key, "missing");
  return *it;
}

const json* optional_member(const json& obj, const char* key, const std::string& path) {
  if (!obj.is_object()) fail(path, "expected an object");
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

uint64_t get_u64(const json& v, const std::string& path, uint64_t max = kMaxBytes) {
  if (!v.is_number_integer() && !v.is_number_unsigned()) fail(path, "expected a non-negative integer");
  if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0) fail(path, "negative");
  uint64_t x = v.get<uint64_t>();
  if (x > max) fail(path, "absurd value " + std::to_string(x));
  return x;
}

int64_t get_i64(const json& v, const std::string& path) {
  if (!v.is_number_integer()) fail(path, "expected an integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail(path, "absurd value");
  int64_t x = v.get<int64_t>();
  if (x > static_cast<int64_t>(kMaxBytes) || x < -static_cast<int64_t>(kMaxBytes)) fail(path, "absurd value");
  return x;
}

double get_double(const json& v, const std::string& path) {
  if (!v.is_number()) fail(path, "expected a number");
  double d = v.get<double>();
  if (!std::isfinite(d) || std::fabs(d) > 1e18) fail(path, "absurd value");
  return d;
}

std::string get_string(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "expected a string");
  return v.get<std::string>();
}

bool get_bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) fail(path, "expected true or false");
  return v.get<bool>();
}

const json& get_array(const json& v, const std::string& path) {
  if (!v.is_array()) fail(path, "expected an array");
  if (v.size() > kMaxItems) fail(path, "too many items");
  return v;
}

template <typename T, typename F>
void opt(const json& obj, const char* key, const std::string& path, T& out, F get) {
  if (const json* v = optional_member(obj, key, path)) out = get(*v, path + "." + key);
}

// ---- writing ----

json frame_json(const Frame& f) {
  return json{{"function", f.function}, {"file", f.file},     {"line", f.line},
              {"module", f.module},     {"offset", f.offset}, {"address", f.address}};
}

json frames_json(const std::vector<Frame>& frames) {
  json a = json::array();
  for (const auto& f : frames) a.push_back(frame_json(f));
  return a;
}

// ---- reading ----

Frame read_frame(const json& j, const std::string& p) {
  Frame f;
  f.function = get_string(member(j, "function", p), p + ".function");
  opt(j, "file", p, f.file, get_string);
  if (const json* v = optional_member(j, "line", p)) f.line = static_cast<int>(get_u64(*v, p + ".line", 1u << 30));
  opt(j, "module", p, f.module, get_string);
  if (const json* v = optional_member(j, "offset", p)) f.offset = get_u64(*v, p + ".offset", UINT64_MAX);
  if (const json* v = optional_member(j, "address", p)) f.address = get_u64(*v, p + ".address", UINT64_MAX);
  return f;
}

std::vector<Frame> read_frames(const json& j, const std::string& p) {
  std::vector<Frame> out;
  const json& a = get_array(j, p);
  if (a.size() > kMaxFrames) fail(p, "absurd stack depth " + std::to_string(a.size()));
  for (size_t i = 0; i < a.size(); ++i) out.push_back(read_frame(a[i], p + "[" + std::to_string(i) + "]"));
  return out;
}

Meta read_meta(const json& j, const std::string& p) {
  Meta m;
  if (!j.is_object()) fail(p, "expected an object");
  opt(j, "tool_version", p, m.tool_version, get_string);
  opt(j, "command", p, m.command, get_string);
  if (const json* v = optional_member(j, "pid", p)) m.pid = static_cast<int>(get_u64(*v, p + ".pid", 1u << 30));
  opt(j, "exe", p, m.exe, get_string);
  opt(j, "comm", p, m.comm, get_string);
  opt(j, "hostname", p, m.hostname, get_string);
  opt(j, "kernel", p, m.kernel, get_string);
  opt(j, "mode", p, m.mode, get_string);
  opt(j, "allocator", p, m.allocator, get_string);
  opt(j, "unwind", p, m.unwind, get_string);
  opt(j, "sample_bytes", p, m.sample_bytes, [](const json& v, const std::string& q) { return get_u64(v, q); });
  if (const json* v = optional_member(j, "started_unix_ms", p)) m.started_unix_ms = get_i64(*v, p + ".started_unix_ms");
  if (const json* v = optional_member(j, "duration_ms", p)) m.duration_ms = get_u64(*v, p + ".duration_ms");
  opt(j, "target_exited", p, m.target_exited, get_bool);
  if (const json* v = optional_member(j, "probes_attached", p)) m.probes_attached = get_u64(*v, p + ".probes_attached");
  if (const json* v = optional_member(j, "probe_hits", p)) m.probe_hits = get_u64(*v, p + ".probe_hits");
  if (const json* v = optional_member(j, "samples", p)) m.samples = get_u64(*v, p + ".samples");
  if (const json* d = optional_member(j, "drops", p)) {
    std::string q = p + ".drops";
    auto rd = [&](const char* k, uint64_t& out) {
      if (const json* v = optional_member(*d, k, q)) out = get_u64(*v, q + "." + k);
    };
    rd("live_map_full", m.drops.live_map_full);
    rd("events_lost", m.drops.events_lost);
    rd("stacks_lost", m.drops.stacks_lost);
    rd("stacks_truncated", m.drops.stacks_truncated);
    rd("unmatched_returns", m.drops.unmatched_returns);
  }
  if (const json* n = optional_member(j, "notes", p)) {
    const json& a = get_array(*n, p + ".notes");
    for (size_t i = 0; i < a.size(); ++i) m.notes.push_back(get_string(a[i], p + ".notes[" + std::to_string(i) + "]"));
  }
  return m;
}

// The six counters of LeakKinds, in one place for both directions.
struct KindField {
  const char* key;
  uint64_t LeakKinds::*member;
};
const KindField kKindFields[] = {
    {"direct_bytes", &LeakKinds::direct_bytes},       {"direct_objects", &LeakKinds::direct_objects},
    {"indirect_bytes", &LeakKinds::indirect_bytes},   {"indirect_objects", &LeakKinds::indirect_objects},
    {"reachable_bytes", &LeakKinds::reachable_bytes}, {"reachable_objects", &LeakKinds::reachable_objects},
};

LeakKinds read_leak_kinds(const json& j, const std::string& p) {
  if (!j.is_object()) fail(p, "expected an object");
  LeakKinds k;
  for (const auto& f : kKindFields) k.*f.member = get_u64(member(j, f.key, p), p + "." + f.key);
  return k;
}

json leak_kinds_json(const LeakKinds& k) {
  json j = json::object();
  for (const auto& f : kKindFields) j[f.key] = k.*f.member;
  return j;
}

Site read_site(const json& j, const std::string& p) {
  Site s;
  s.frames = read_frames(member(j, "frames", p), p + ".frames");
  s.live_bytes = get_u64(member(j, "live_bytes", p), p + ".live_bytes");
  s.live_objects = get_u64(member(j, "live_objects", p), p + ".live_objects");
  if (const json* v = optional_member(j, "alloc_bytes", p)) s.alloc_bytes = get_u64(*v, p + ".alloc_bytes");
  if (const json* v = optional_member(j, "alloc_objects", p)) s.alloc_objects = get_u64(*v, p + ".alloc_objects");
  if (const json* v = optional_member(j, "growth_bytes_per_min", p))
    s.growth_bytes_per_min = get_double(*v, p + ".growth_bytes_per_min");
  if (const json* v = optional_member(j, "live_series", p)) {
    const json& a = get_array(*v, p + ".live_series");
    for (size_t i = 0; i < a.size(); ++i) s.live_series.push_back(get_u64(a[i], p + ".live_series"));
  }
  if (const json* v = optional_member(j, "leak_kinds", p)) s.leak_kinds = read_leak_kinds(*v, p + ".leak_kinds");
  return s;
}

Gap read_gap(const json& j, const std::string& p) {
  Gap g;
  if (!j.is_object()) fail(p, "expected an object");
  if (const json* v = optional_member(j, "rss", p)) g.rss = get_u64(*v, p + ".rss");
  if (const json* v = optional_member(j, "profiled", p)) g.profiled = get_u64(*v, p + ".profiled");
  if (const json* v = optional_member(j, "unexplained", p)) g.unexplained = get_i64(*v, p + ".unexplained");
  opt(j, "explanation", p, g.explanation, get_string);
  if (const json* c = optional_member(j, "categories", p)) {
    const json& a = get_array(*c, p + ".categories");
    for (size_t i = 0; i < a.size(); ++i) {
      std::string q = p + ".categories[" + std::to_string(i) + "]";
      GapCategory cat;
      cat.name = get_string(member(a[i], "name", q), q + ".name");
      cat.bytes = get_u64(member(a[i], "bytes", q), q + ".bytes");
      opt(a[i], "source", q, cat.source, get_string);
      opt(a[i], "meaning", q, cat.meaning, get_string);
      g.categories.push_back(std::move(cat));
    }
  }
  return g;
}

GoInfo read_go(const json& j, const std::string& p) {
  GoInfo g;
  if (!j.is_object()) fail(p, "expected an object");
  opt(j, "version", p, g.version, get_string);
  if (const json* v = optional_member(j, "goroutines", p)) g.goroutines = get_u64(*v, p + ".goroutines");
  if (const json* r = optional_member(j, "runtime", p)) {
    if (!r->is_object()) fail(p + ".runtime", "expected an object");
    for (auto it = r->begin(); it != r->end(); ++it) g.runtime[it.key()] = get_double(it.value(), p + ".runtime." + it.key());
  }
  if (const json* gg = optional_member(j, "goroutine_groups", p)) {
    const json& a = get_array(*gg, p + ".goroutine_groups");
    for (size_t i = 0; i < a.size(); ++i) {
      std::string q = p + ".goroutine_groups[" + std::to_string(i) + "]";
      GoroutineGroup grp;
      grp.count = get_u64(member(a[i], "count", q), q + ".count");
      opt(a[i], "created_by", q, grp.created_by, get_string);
      opt(a[i], "start", q, grp.start, get_string);
      opt(a[i], "wait_reason", q, grp.wait_reason, get_string);
      if (const json* s = optional_member(a[i], "stack", q)) grp.stack = read_frames(*s, q + ".stack");
      opt(a[i], "exit_verdict", q, grp.exit_verdict, get_string);
      if (!grp.exit_verdict.empty() && grp.exit_verdict != "leaked" && grp.exit_verdict != "suppressed" &&
          grp.exit_verdict != "ignored")
        fail(q + ".exit_verdict", "expected leaked, suppressed or ignored, got '" + one_line(grp.exit_verdict, 40) + "'");
      g.goroutine_groups.push_back(std::move(grp));
    }
  }
  if (const json* m = optional_member(j, "maps", p)) {
    const json& a = get_array(*m, p + ".maps");
    for (size_t i = 0; i < a.size(); ++i) {
      std::string q = p + ".maps[" + std::to_string(i) + "]";
      GoMap gm;
      gm.frames = read_frames(member(a[i], "frames", q), q + ".frames");
      gm.length = get_u64(member(a[i], "length", q), q + ".length", UINT64_MAX);
      gm.growths = get_u64(member(a[i], "growths", q), q + ".growths", UINT64_MAX);
      if (const json* v = optional_member(a[i], "length_at_first_growth", q))
        gm.length_at_first_growth = get_u64(*v, q + ".length_at_first_growth", UINT64_MAX);
      g.maps.push_back(std::move(gm));
    }
  }
  if (const json* m = optional_member(j, "map_iterations", p)) {
    const json& a = get_array(*m, p + ".map_iterations");
    for (size_t i = 0; i < a.size(); ++i) {
      std::string q = p + ".map_iterations[" + std::to_string(i) + "]";
      GoMapIteration it;
      it.frames = read_frames(member(a[i], "frames", q), q + ".frames");
      it.calls = get_u64(member(a[i], "calls", q), q + ".calls", UINT64_MAX);
      g.map_iterations.push_back(std::move(it));
    }
  }
  return g;
}

Reachability read_reachability(const json& v, const std::string& q) {
  if (!v.is_object()) fail(q, "expected an object");
  Reachability a;
  opt(v, "blocks_source", q, a.blocks_source, get_string);
  opt(v, "exact_bytes", q, a.exact_bytes, get_bool);
  a.totals = read_leak_kinds(member(v, "totals", q), q + ".totals");
  if (const json* x = optional_member(v, "blocks", q)) a.blocks = get_u64(*x, q + ".blocks");
  if (const json* x = optional_member(v, "root_bytes", q)) a.root_bytes = get_u64(*x, q + ".root_bytes");
  if (const json* x = optional_member(v, "heap_bytes", q)) a.heap_bytes = get_u64(*x, q + ".heap_bytes");
  if (const json* x = optional_member(v, "threads", q)) a.threads = static_cast<int>(get_u64(*x, q + ".threads", kMaxItems));
  if (const json* x = optional_member(v, "pause_ms", q)) a.pause_ms = get_double(*x, q + ".pause_ms");
  if (const json* x = optional_member(v, "leak_kinds", q)) {
    const json& arr = get_array(*x, q + ".leak_kinds");
    for (size_t i = 0; i < arr.size(); ++i) a.leak_kinds.push_back(get_string(arr[i], q + ".leak_kinds"));
  }
  return a;
}

RunInfo read_run(const json& j, const std::string& p) {
  RunInfo r;
  if (!j.is_object()) fail(p, "expected an object");
  if (const json* a = optional_member(j, "argv", p)) {
    const json& arr = get_array(*a, p + ".argv");
    for (size_t i = 0; i < arr.size(); ++i) r.argv.push_back(get_string(arr[i], p + ".argv[" + std::to_string(i) + "]"));
  }
  if (const json* v = optional_member(j, "exit_status", p)) r.exit_status = static_cast<int>(get_u64(*v, p + ".exit_status", 255));
  if (const json* v = optional_member(j, "leaked_bytes", p)) r.leaked_bytes = get_u64(*v, p + ".leaked_bytes");
  if (const json* v = optional_member(j, "suppressed_bytes", p)) r.suppressed_bytes = get_u64(*v, p + ".suppressed_bytes");
  if (const json* v = optional_member(j, "threshold_bytes", p)) r.threshold_bytes = get_u64(*v, p + ".threshold_bytes");
  if (const json* v = optional_member(j, "noise_bytes", p)) r.noise_bytes = get_u64(*v, p + ".noise_bytes");
  if (const json* v = optional_member(j, "processes", p)) r.processes = get_u64(*v, p + ".processes", kMaxItems);
  opt(j, "gate_failed", p, r.gate_failed, get_bool);
  if (const json* v = optional_member(j, "leaked_goroutines", p)) r.leaked_goroutines = get_u64(*v, p + ".leaked_goroutines");
  if (const json* v = optional_member(j, "suppressed_goroutines", p))
    r.suppressed_goroutines = get_u64(*v, p + ".suppressed_goroutines");
  if (const json* v = optional_member(j, "max_goroutines", p)) r.max_goroutines = get_u64(*v, p + ".max_goroutines");
  return r;
}

Snapshot read_snapshot(const json& j) {
  if (!j.is_object()) fail("snapshot", "not a JSON object");
  Snapshot s;
  s.schema = get_string(member(j, "schema", "snapshot"), "schema");
  const std::string prefix = "memgap.snapshot/";
  if (s.schema.rfind(prefix, 0) != 0) fail("schema", "'" + one_line(s.schema, 60) + "' is not a memgap snapshot");
  std::string version = s.schema.substr(prefix.size());
  std::string major = version.substr(0, version.find('.'));
  bool digits = !major.empty() && major.size() <= 9 && major.find_first_not_of("0123456789") == std::string::npos &&
                (major.size() == 1 || major[0] != '0');
  if (!digits) fail("schema", "'" + one_line(s.schema, 60) + "' has no valid version number");
  if (std::stoi(major) > kSchemaMajor)
    throw NewerVersion{"'" + one_line(s.schema, 60) + "' is a newer format than this memgap reads (" + kSchema + ")"};
  if (std::stoi(major) != kSchemaMajor)
    fail("schema", "version '" + one_line(s.schema, 60) + "' is not supported (this memgap reads " + kSchema + ")");
  s.meta = read_meta(member(j, "meta", "snapshot"), "meta");
  if (const json* m = optional_member(j, "memory", "snapshot")) {
    if (!m->is_object()) fail("memory", "expected an object");
    for (auto it = m->begin(); it != m->end(); ++it) s.memory.rollup[it.key()] = get_u64(it.value(), "memory." + it.key());
  }
  if (const json* g = optional_member(j, "gap", "snapshot")) s.gap = read_gap(*g, "gap");
  const json& sites = get_array(member(j, "sites", "snapshot"), "sites");
  // Each value is bounded by kMaxBytes; their sums must be too, so that totals and
  // signed deltas computed from them (diff, pprof) cannot overflow.
  uint64_t sums[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < sites.size(); ++i) {
    s.sites.push_back(read_site(sites[i], "sites[" + std::to_string(i) + "]"));
    const Site& site = s.sites.back();
    const uint64_t v[4] = {site.live_bytes, site.live_objects, site.alloc_bytes, site.alloc_objects};
    static const char* names[4] = {"live_bytes", "live_objects", "alloc_bytes", "alloc_objects"};
    for (int k = 0; k < 4; ++k) {
      sums[k] += v[k];  // cannot wrap: both terms <= 2^60
      if (sums[k] > kMaxBytes) fail("sites", std::string("absurd total ") + names[k]);
    }
  }
  if (const json* se = optional_member(j, "series", "snapshot")) {
    const json& a = get_array(*se, "series");
    for (size_t i = 0; i < a.size(); ++i) {
      std::string q = "series[" + std::to_string(i) + "]";
      SeriesPoint pt;
      pt.t_ms = get_u64(member(a[i], "t_ms", q), q + ".t_ms");
      if (const json* v = optional_member(a[i], "rss", q)) pt.rss = get_u64(*v, q + ".rss");
      if (const json* v = optional_member(a[i], "live_bytes", q)) pt.live_bytes = get_u64(*v, q + ".live_bytes");
      if (const json* v = optional_member(a[i], "live_objects", q)) pt.live_objects = get_u64(*v, q + ".live_objects");
      s.series.push_back(pt);
    }
  }
  if (const json* g = optional_member(j, "go", "snapshot")) s.go = read_go(*g, "go");
  if (const json* ms = optional_member(j, "modules", "snapshot")) {
    const json& a = get_array(*ms, "modules");
    for (size_t i = 0; i < a.size(); ++i) {
      std::string q = "modules[" + std::to_string(i) + "]";
      Module mod;
      mod.name = get_string(member(a[i], "name", q), q + ".name");
      opt(a[i], "path", q, mod.path, get_string);
      opt(a[i], "build_id", q, mod.build_id, get_string);
      if (mod.build_id.size() > 128 || mod.build_id.find_first_not_of("0123456789abcdef") != std::string::npos)
        fail(q + ".build_id", "expected lowercase hex");
      s.modules.push_back(std::move(mod));
    }
  }
  if (const json* r = optional_member(j, "run", "snapshot")) s.run = read_run(*r, "run");
  if (const json* r = optional_member(j, "reachability", "snapshot")) s.reachability = read_reachability(*r, "reachability");
  return s;
}

}  // namespace

std::string to_json(const Snapshot& s, int indent) {
  json j;
  j["schema"] = s.schema;
  const Meta& m = s.meta;
  j["meta"] = json{{"tool_version", m.tool_version},
                   {"command", m.command},
                   {"pid", m.pid},
                   {"exe", m.exe},
                   {"comm", m.comm},
                   {"hostname", m.hostname},
                   {"kernel", m.kernel},
                   {"mode", m.mode},
                   {"allocator", m.allocator},
                   {"unwind", m.unwind},
                   {"sample_bytes", m.sample_bytes},
                   {"started_unix_ms", m.started_unix_ms},
                   {"duration_ms", m.duration_ms},
                   {"target_exited", m.target_exited},
                   {"probes_attached", m.probes_attached},
                   {"probe_hits", m.probe_hits},
                   {"samples", m.samples},
                   {"drops",
                    {{"live_map_full", m.drops.live_map_full},
                     {"events_lost", m.drops.events_lost},
                     {"stacks_lost", m.drops.stacks_lost},
                     {"stacks_truncated", m.drops.stacks_truncated},
                     {"unmatched_returns", m.drops.unmatched_returns}}},
                   {"notes", m.notes}};
  j["memory"] = json::object();
  for (const auto& [k, v] : s.memory.rollup) j["memory"][k] = v;
  json cats = json::array();
  for (const auto& c : s.gap.categories)
    cats.push_back(json{{"name", c.name}, {"bytes", c.bytes}, {"source", c.source}, {"meaning", c.meaning}});
  j["gap"] = json{{"rss", s.gap.rss},
                  {"profiled", s.gap.profiled},
                  {"categories", cats},
                  {"unexplained", s.gap.unexplained},
                  {"explanation", s.gap.explanation}};
  json sites = json::array();
  for (const auto& site : s.sites) {
    json js{{"frames", frames_json(site.frames)},
            {"live_bytes", site.live_bytes},
            {"live_objects", site.live_objects},
            {"alloc_bytes", site.alloc_bytes},
            {"alloc_objects", site.alloc_objects},
            {"growth_bytes_per_min", site.growth_bytes_per_min},
            {"live_series", site.live_series}};
    if (site.leak_kinds) {
      js["verdict"] = site.leak_kinds->verdict();
      js["leak_kinds"] = leak_kinds_json(*site.leak_kinds);
    }
    sites.push_back(std::move(js));
  }
  j["sites"] = sites;
  json series = json::array();
  for (const auto& p : s.series)
    series.push_back(json{{"t_ms", p.t_ms}, {"rss", p.rss}, {"live_bytes", p.live_bytes}, {"live_objects", p.live_objects}});
  j["series"] = series;
  if (s.go) {
    json groups = json::array();
    for (const auto& g : s.go->goroutine_groups) {
      groups.push_back(json{{"count", g.count},
                            {"created_by", g.created_by},
                            {"start", g.start},
                            {"wait_reason", g.wait_reason},
                            {"stack", frames_json(g.stack)}});
      if (!g.exit_verdict.empty()) groups.back()["exit_verdict"] = g.exit_verdict;
    }
    json runtime = json::object();
    for (const auto& [k, v] : s.go->runtime) runtime[k] = v;
    j["go"] = json{{"version", s.go->version},
                   {"goroutines", s.go->goroutines},
                   {"runtime", runtime},
                   {"goroutine_groups", groups}};
    // Written only when probed, so snapshots of other modes stay as they were.
    if (!s.go->maps.empty()) {
      json maps = json::array();
      for (const auto& m : s.go->maps)
        maps.push_back(json{{"frames", frames_json(m.frames)},
                            {"length", m.length},
                            {"growths", m.growths},
                            {"length_at_first_growth", m.length_at_first_growth}});
      j["go"]["maps"] = maps;
    }
    if (!s.go->map_iterations.empty()) {
      json its = json::array();
      for (const auto& m : s.go->map_iterations)
        its.push_back(json{{"frames", frames_json(m.frames)}, {"calls", m.calls}});
      j["go"]["map_iterations"] = its;
    }
  }
  if (!s.modules.empty()) {
    json mods = json::array();
    for (const auto& m : s.modules) mods.push_back(json{{"name", m.name}, {"path", m.path}, {"build_id", m.build_id}});
    j["modules"] = mods;
  }
  if (s.run) {
    const RunInfo& r = *s.run;
    j["run"] = json{{"argv", r.argv},
                    {"exit_status", r.exit_status},
                    {"leaked_bytes", r.leaked_bytes},
                    {"suppressed_bytes", r.suppressed_bytes},
                    {"threshold_bytes", r.threshold_bytes},
                    {"noise_bytes", r.noise_bytes},
                    {"gate_failed", r.gate_failed},
                    {"processes", r.processes}};
    // Only for a Go command whose goroutines were counted, so other runs read as before.
    if (r.leaked_goroutines) {
      j["run"]["leaked_goroutines"] = *r.leaked_goroutines;
      j["run"]["suppressed_goroutines"] = r.suppressed_goroutines;
    }
    if (r.max_goroutines) j["run"]["max_goroutines"] = *r.max_goroutines;
  }
  if (s.reachability) {
    const Reachability& a = *s.reachability;
    j["reachability"] = json{{"blocks_source", a.blocks_source}, {"exact_bytes", a.exact_bytes},
                             {"totals", leak_kinds_json(a.totals)}, {"blocks", a.blocks},
                             {"root_bytes", a.root_bytes},         {"heap_bytes", a.heap_bytes},
                             {"threads", a.threads},               {"pause_ms", a.pause_ms},
                             {"leak_kinds", a.leak_kinds}};
  }
  // Replace invalid UTF-8 (symbol names from hostile binaries) instead of throwing.
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

Result<Snapshot> from_json(const std::string& text) {
  const char* hint = "pass a file written by 'memgap attach -o' or '--format json'";
  try {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return make_error("empty file, not a snapshot", hint, ErrorKind::kBadInput);
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return make_error("not valid JSON (truncated or corrupt)", hint, ErrorKind::kBadInput);
    return read_snapshot(j);
  } catch (const ParseError& e) {
    return make_error("invalid snapshot: " + e.what, hint, ErrorKind::kBadInput);
  } catch (const NewerVersion& e) {
    return make_error(e.what, "upgrade memgap to read it", ErrorKind::kBadInput);
  } catch (const std::bad_alloc&) {
    return make_error("snapshot too large to load into memory", hint, ErrorKind::kBadInput);
  } catch (const std::exception& e) {
    return make_error("invalid snapshot: " + one_line(e.what()), hint, ErrorKind::kBadInput);
  }
}

Status write_snapshot_file(const Snapshot& snapshot, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return make_error("cannot write '" + path + "'", "check that the directory exists and is writable", ErrorKind::kBadInput);
  out << to_json(snapshot) << '\n';
  if (!out) return make_error("failed writing '" + path + "'", "check free disk space", ErrorKind::kBadInput);
  return Ok{};
}

Result<Snapshot> read_snapshot_file(const std::string& path) {
  const std::string shown = one_line(path, 200);
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return make_error("cannot read '" + shown + "': no such file", "check the path", ErrorKind::kBadInput);
  if (std::filesystem::is_directory(status))
    return make_error("'" + shown + "' is a directory, not a snapshot file", "pass a file written by 'memgap attach -o'", ErrorKind::kBadInput);
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read '" + shown + "'", "check the path and its permissions", ErrorKind::kBadInput);
  std::string text;
  if (std::filesystem::is_regular_file(status)) {
    in.seekg(0, std::ios::end);
    auto size = in.tellg();
    if (size > kMaxFileBytes) return make_error("'" + shown + "' is too large to be a snapshot", "", ErrorKind::kBadInput);
    in.seekg(0);
  }
  // Read in chunks with a cap, so pipes and /proc-like files cannot grow without bound.
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (static_cast<std::streamoff>(text.size()) > kMaxFileBytes)
      return make_error("'" + shown + "' is too large to be a snapshot", "", ErrorKind::kBadInput);
  }
  if (in.bad()) return make_error("cannot read '" + shown + "'", "check the path and its permissions", ErrorKind::kBadInput);
  auto r = from_json(text);
  if (!r) return make_error("'" + shown + "': " + r.error().message, r.error().hint, ErrorKind::kBadInput);
  return r;
}

}  // namespace memgap::model
