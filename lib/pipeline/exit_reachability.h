// Leak verdicts at a command's exit (memgap run), while its address space still exists
// and memgap holds it stopped, or of a live process held still for the scan: every live heap block (glibc's own chunk list, or the
// probes' list when every allocation was tracked), the roots LeakSanitizer scans, and
// analyze/reachability's mark. The result gives each sampled live block its verdict, so
// sites carry leak kinds.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/reachability.h"
#include "collect/proc_source.h"
#include "collect/sampler.h"
#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::pipeline {

struct ExitScan {
  std::vector<analyze::HeapBlock> blocks;
  std::vector<analyze::Reach> verdict;  // per block
  model::Reachability summary;
  std::vector<std::string> notes;
  // Verdict of the block holding `addr`, or nullptr when no block holds it.
  const analyze::Reach* at(uint64_t addr) const;
};

// `allocator` is the target's (meta.allocator); `exact`: the sampler tracked every
// allocation (--sample-bytes 1, nothing dropped), so its live list is the block list.
// Fails, saying why, when the blocks cannot be enumerated: the caller falls back to
// counting everything live and labels it so.
Result<ExitScan> scan_at_exit(int pid, const collect::ProcSource& proc, const std::string& allocator,
                              const collect::Sampler& sampler, bool exact);

// The same scan of a live process (attach --reachability): every thread is held still
// for it and let go at once; refused when it would hold the target longer than
// `max_pause` (estimated from the heap's size before stopping anything, and checked
// while scanning).
Result<ExitScan> scan_live(int pid, const collect::ProcSource& proc, const std::string& allocator,
                           const collect::Sampler& sampler, std::chrono::milliseconds max_pause);

// Per stack of `sampler`: the leak kinds of its sampled live blocks, extrapolated with
// each sample's weight (as live_bytes is). Stacks of anonymous mmap regions get an
// empty optional: no heap block, no verdict.
std::vector<std::optional<model::LeakKinds>> leak_kinds_by_stack(const ExitScan& scan, const collect::Sampler& sampler);

// Whether the sampler's stack allocated with mmap (an anonymous mapping, not a heap block).
bool is_mapping_stack(const collect::Sampler& sampler, uint32_t stack);

}  // namespace memgap::pipeline
