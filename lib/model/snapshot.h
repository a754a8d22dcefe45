// The Snapshot: plain data describing one observation of one process. Every front end
// (text, JSON, diff, pprof, top) reads this and nothing else. No behaviour lives here;
// snapshot_json is the only file that knows how it is spelled on disk.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace memgap::model {

inline constexpr const char* kSchema = "memgap.snapshot/1";
inline constexpr int kSchemaMajor = 1;

struct Frame {
  std::string function;  // demangled; "??" when unknown
  std::string file;      // source file, empty when unknown
  int line = 0;          // 0 when unknown
  std::string module;    // basename of the ELF the address falls in
  uint64_t offset = 0;   // offset of the address within `function` (or module if no function)
  uint64_t address = 0;  // raw address in this process (never used to match across runs)
};

// What a reachability scan (memgap run at exit) found of a site's live blocks, by
// LeakSanitizer's kinds; bytes and objects are extrapolated like live_bytes.
struct LeakKinds {
  uint64_t direct_bytes = 0, direct_objects = 0;
  uint64_t indirect_bytes = 0, indirect_objects = 0;
  uint64_t reachable_bytes = 0, reachable_objects = 0;
  void add(const LeakKinds& o) {
    direct_bytes += o.direct_bytes;
    direct_objects += o.direct_objects;
    indirect_bytes += o.indirect_bytes;
    indirect_objects += o.indirect_objects;
    reachable_bytes += o.reachable_bytes;
    reachable_objects += o.reachable_objects;
  }
  // The site's verdict: its worst kind present ("direct", "indirect", "reachable").
  const char* verdict() const {
    return direct_objects ? "direct" : indirect_objects ? "indirect" : "reachable";
  }
};

struct Site {
  std::vector<Frame> frames;  // frames[0] is the allocating call site (leaf first)
  uint64_t live_bytes = 0;    // extrapolated bytes still live at the end of the window
  uint64_t live_objects = 0;
  uint64_t alloc_bytes = 0;   // extrapolated bytes allocated during the window
  uint64_t alloc_objects = 0;
  double growth_bytes_per_min = 0;  // slope of live bytes over the window
  std::vector<uint64_t> live_series;  // live bytes at each series[] point (for sparklines)
  std::optional<LeakKinds> leak_kinds;  // set when reachability was scanned (run at exit)
};

struct Drops {
  uint64_t live_map_full = 0;   // sampled allocation not tracked: live map full
  uint64_t events_lost = 0;     // ring buffer full
  uint64_t stacks_lost = 0;     // stack could not be read
  uint64_t stacks_truncated = 0;
  uint64_t unmatched_returns = 0;  // return probe without matching entry
};

struct Meta {
  std::string tool_version;
  std::string command;       // attach, run, top
  int pid = 0;
  std::string exe;
  std::string comm;
  std::string hostname;
  std::string kernel;
  std::string mode;          // alloc, go, rss-only
  std::string allocator;     // glibc, jemalloc, tcmalloc, static:<module>, none
  std::string unwind;        // fp, dwarf
  uint64_t sample_bytes = 0; // mean sampling interval; 1 = every allocation
  int64_t started_unix_ms = 0;
  uint64_t duration_ms = 0;
  bool target_exited = false;
  uint64_t probes_attached = 0;
  uint64_t probe_hits = 0;   // calls the probes saw (entry hits)
  uint64_t samples = 0;      // sampled allocation events
  Drops drops;
  std::vector<std::string> notes;  // human-readable remarks (e.g. "target exited at 2.1s")
};

// smaps_rollup fields in bytes, keyed as the kernel names them ("Rss", "Pss", ...).
struct Memory {
  std::map<std::string, uint64_t> rollup;
  uint64_t rss() const {
    auto it = rollup.find("Rss");
    return it == rollup.end() ? 0 : it->second;
  }
};

struct GapCategory {
  std::string name;     // stable name from DESIGN.md (heap.live, stacks.threads, ...)
  uint64_t bytes = 0;
  std::string source;   // where the figure came from
  std::string meaning;  // one line
};

struct Gap {
  uint64_t rss = 0;
  uint64_t profiled = 0;  // what a heap profiler would show (heap.live / Go in-use)
  std::vector<GapCategory> categories;
  int64_t unexplained = 0;  // rss - sum(categories); negative means over-attribution
  std::string explanation;  // why profiled and RSS differ for this process
};

struct SeriesPoint {
  uint64_t t_ms = 0;  // since the start of the window
  uint64_t rss = 0;
  uint64_t live_bytes = 0;
  uint64_t live_objects = 0;
};

struct GoroutineGroup {
  uint64_t count = 0;
  std::string created_by;
  std::string start;
  std::string wait_reason;
  std::vector<Frame> stack;
  // `memgap run`, goroutines left at exit: what the gate made of the group: "leaked"
  // (counted), "suppressed" (a leak: pattern matched) or "ignored" (the main goroutine,
  // the standard library's own). Empty elsewhere.
  std::string exit_verdict;
};

// A Go map that grew during the window (runtime.hashGrow) and did not shrink since.
struct GoMap {
  std::vector<Frame> frames;  // the site that grows it, leaf first (runtime frames hidden)
  uint64_t length = 0;        // len() at the end of the window, read from the map header
  uint64_t growths = 0;       // growths seen in the window (hashGrow; Swiss: growToTable, rehash)
  uint64_t length_at_first_growth = 0;
};

// Map iteration heat (--go-maps): range loops over maps by the site that runs them.
struct GoMapIteration {
  std::vector<Frame> frames;  // leaf first
  uint64_t calls = 0;         // range loops started in the window (mapiterinit, mapIterStart)
};

struct GoInfo {
  std::string version;
  uint64_t goroutines = 0;
  std::map<std::string, double> runtime;  // runtime/metrics names → values
  std::vector<GoroutineGroup> goroutine_groups;
  std::vector<GoMap> maps;                  // largest first; empty unless probed
  std::vector<GoMapIteration> map_iterations;  // most calls first
};

// An ELF file that frames name, with its build id: matches debug files and pprof
// mappings to the exact build that ran.
struct Module {
  std::string name;      // basename, as Frame::module spells it
  std::string path;      // path as the target saw it
  std::string build_id;  // hex; empty when the file has none
};

// `memgap run`: the command, how it ended, and the leak gate's verdict.
// The heap walk and mark of `memgap run` at the command's exit: totals over every
// block (exact per block; bytes are the blocks' payload sizes), how the blocks were
// found, and what the scan cost.
struct Reachability {
  std::string blocks_source;  // "glibc heap walk (2 arenas)", "probes (every allocation)"
  bool exact_bytes = false;   // block sizes are the requested sizes (probes at --sample-bytes 1)
  LeakKinds totals;           // over all blocks, not extrapolated
  uint64_t blocks = 0;
  uint64_t root_bytes = 0, heap_bytes = 0;  // scanned
  int threads = 0;
  double pause_ms = 0;        // how long the scan held the stopped target
  std::vector<std::string> leak_kinds;  // what the gate counts: "direct", "indirect"[, "reachable"]
};

struct RunInfo {
  std::vector<std::string> argv;
  int exit_status = 0;          // the command's status; 128+N when killed by signal N
  uint64_t leaked_bytes = 0;    // live at exit, not suppressed (extrapolated)
  uint64_t suppressed_bytes = 0;
  uint64_t threshold_bytes = 0; // the gate fails above this
  uint64_t noise_bytes = 0;     // one standard error of leaked_bytes from sampling
  bool gate_failed = false;
  uint64_t processes = 0;       // processes probed (more than 1 with --follow)
  // A Go command whose goroutines were read at exit: those the gate counted, those
  // suppressions set aside, and the --max-goroutines limit when one was given.
  std::optional<uint64_t> leaked_goroutines;
  uint64_t suppressed_goroutines = 0;
  std::optional<uint64_t> max_goroutines;
};

struct Snapshot {
  std::string schema = kSchema;
  Meta meta;
  Memory memory;
  Gap gap;
  std::vector<Site> sites;  // ranked, most live bytes first
  std::vector<SeriesPoint> series;
  std::optional<GoInfo> go;
  std::vector<Module> modules;  // optional in files: empty when not recorded
  std::optional<RunInfo> run;
  // Set when verdicts come from a reachability scan (run at exit, attach --reachability);
  // unset: no scan, or its blocks could not be enumerated (a note says why), and then
  // `run` counts everything live at exit as leaked.
  std::optional<Reachability> reachability;
};

}  // namespace memgap::model
