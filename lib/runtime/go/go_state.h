// Entry point of the Go runtime reader: everything memgap knows about a live Go
// process from its binary and memory, without the process's help and without BPF.
//
//   auto r = GoReader::open(pid, proc);   // once: ELF, version, layouts, globals
//   auto s = r->read();                    // every few seconds: metrics + census
//
// or read_go_state(pid, proc) for a one-shot read.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collect/proc_source.h"
#include "runtime/go/buildinfo.h"
#include "runtime/go/goroutines.h"
#include "runtime/go/heap_profile.h"
#include "runtime/go/memstats.h"
#include "runtime/go/release.h"
#include "util/result.h"

namespace memgap::runtime::go {

struct GoState {
  GoVersion version;
  std::string exe;
  std::string release;         // the release description it was read with: "go1.26"
  std::string layout_source;   // "dwarf", "builtin go1.26" or "dwarf of FILE"
  std::string globals_source;  // "symtab" or "code references"
  Metrics metrics;             // runtime/metrics names → values (see memstats.h)
  Census census;
  // Heap arenas [start, end) in the target's address space (mheap_.allArenas): the
  // mappings whose residency the go.heap.* and go.stacks categories are weighted by.
  std::vector<std::pair<uint64_t, uint64_t>> arenas;
  double read_ms = 0;  // how long the read took
};

// Whether the process runs a Go program (has .go.buildinfo or a .gopclntab; is_go_image),
// without reading it further.
bool is_go_process(int pid, const collect::ProcSource& proc);

struct GoOpenOptions {
  // Overrides the executable path (default: from /proc/PID/maps, else /proc/PID/exe).
  std::string exe;
  // --go-layout-from: an unstripped binary built by the same Go release, whose DWARF,
  // symbols and code describe a stripped target of a release memgap has no tables for.
  std::string layout_from;
};

class GoReader {
 public:
  // Fails with a message naming the Go version when it can neither use a built-in
  // release nor DWARF (the binary's own or the --go-layout-from donor's) that passes
  // validation.
  static Result<GoReader> open(int pid, const collect::ProcSource& proc, const GoOpenOptions& options);
  static Result<GoReader> open(int pid, const collect::ProcSource& proc, const std::string& exe = "");
  // The same for a process that may not run Go: nullopt when it does not (its
  // executable is not Go: is_go_image), without opening the executable twice.
  static Result<std::optional<GoReader>> open_if_go(int pid, const collect::ProcSource& proc,
                                                    const GoOpenOptions& options = {});
  Result<GoState> read() const;

  const GoVersion& version() const;
  const ReleaseSpec& release() const;
  const std::string& exe() const;

  // Allocation profiling through the runtime's own sampling (heap_profile.h).
  // runtime.MemProfileRate now: 0 when the binary never references runtime.MemProfile
  // (the runtime sets disableMemoryProfiling and turns sampling off at start-up).
  Result<int64_t> mem_profile_rate() const;
  // Writes runtime.MemProfileRate into the target (opt-in: --go-enable-profiling).
  Status set_mem_profile_rate(int64_t rate) const;
  // What runtime.MemProfile would return now, without the target's help.
  Result<HeapProfile> heap_profile() const;
  // The frames at runtime return address `pc`, inlined calls expanded, leaf first.
  std::vector<GoFrame> frames(uint64_t pc) const;
  // File offset of a function's entry in exe(), for a uprobe; found through .gopclntab,
  // so stripped binaries are probed too. nullopt when the function does not exist.
  std::optional<uint64_t> entry_file_offset(const std::string& function) const;
  // One word of the target's memory.
  Result<uint64_t> read_u64(uint64_t addr) const;

  // Copies share the opened state (read-only after open), so a reader opened once per
  // target serves the gap, the heap profile and the probes alike.
  GoReader(const GoReader&);
  GoReader& operator=(const GoReader&);
  GoReader(GoReader&&) noexcept;
  GoReader& operator=(GoReader&&) noexcept;
  ~GoReader();

 private:
  struct Impl;
  explicit GoReader(std::unique_ptr<Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

Result<GoState> read_go_state(int pid, const collect::ProcSource& proc, const GoOpenOptions& options = {});

}  // namespace memgap::runtime::go
