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

struct Site {
  std::vector<Frame> frames;  // frames[0] is the allocating call site (leaf first)
  uint64_t live_bytes = 0;    // extrapolated bytes still live at the end of the window
  uint64_t live_objects = 0;
  uint64_t alloc_bytes = 0;   // extrapolated bytes allocated during the window
  uint64_t alloc_objects = 0;
  double growth_bytes_per_min = 0;  // slope of live bytes over the window
  std::vector<uint64_t> live_series;  // live bytes at each series[] point (for sparklines)
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
struct RunInfo {
  std::vector<std::string> argv;
  int exit_status = 0;          // the command's status; 128+N when killed by signal N
  uint64_t leaked_bytes = 0;    // live at exit, not suppressed (extrapolated)
  uint64_t suppressed_bytes = 0;
  uint64_t threshold_bytes = 0; // the gate fails above this
  uint64_t noise_bytes = 0;     // one standard error of leaked_bytes from sampling
  bool gate_failed = false;
  uint64_t processes = 0;       // processes probed (more than 1 with --follow)
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
};

}  // namespace memgap::model
