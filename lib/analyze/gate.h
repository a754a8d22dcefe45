// The CI leak gate of `memgap run`: what was still allocated when the command exited is
// leaked; suppressed sites are set aside; the rest fails the gate above a threshold.
//
// The default threshold is "above the sampling noise". Byte sampling with mean interval R
// (pprof's unbiased estimator) estimates a site of n live objects of mean size s from a
// sample; each object is sampled with p = 1 - exp(-s/R), so the Horvitz-Thompson
// variance of the site's estimate B = n*s is B*s*(1-p)/p: about R*B for small objects
// (one sample stands for R bytes), and 0 for objects far larger than R (always
// sampled, so exact). Sites are independent; their variances add. The default gate
// fails when the leaked total exceeds 3 standard errors AND is at least one sampling
// interval R. Nothing live means an estimate of exactly 0, so a clean run never fails;
// the 3-sigma rule keeps a couple of stray samples (a stdio buffer that happened to be
// sampled, estimated at ~R) from failing a build, and `--sample-bytes 1` makes the
// figures exact (noise 0, any leaked byte fails). An explicit --max-leak replaces all
// of this: fail when the estimate exceeds it.
//
// Goroutines (a Go command, whose runtime memgap read at its exit stop: snapshot.go):
// every goroutine still there when the program exits is one it started and never
// ended, what goleak's VerifyNone reports, with three exceptions ("ignored"): the main
// goroutine (runtime.main; it is the one exiting), the runtime's own (the census leaves
// them out already) and those the standard library starts for itself and keeps for the
// life of the process (os/signal's signal loop, started by signal.Notify, which goleak
// ignores too). A testing binary's own goroutines (tRunner, one per test) have all
// ended by the time it exits, so what remains of a `go test -c` binary is the tests'.
// A leak: pattern that matches the function or file that created a group (the `go`
// statement) or its start function suppresses it. Goroutines are always counted and
// reported; they fail the gate only with --max-goroutines N (more than N counted),
// because a Go service that returns from main with its workers running is normal Go.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/suppressions.h"
#include "model/snapshot.h"

namespace memgap::analyze {

// Which of LeakSanitizer's kinds count as leaked when the run scanned reachability
// (`--leak-kinds`): direct and indirect by default, as LSan; still-reachable memory is
// reported and never fails the gate unless asked for.
struct LeakKindSet {
  bool direct = true, indirect = true, reachable = false;
};
// "direct,indirect", "all", "definite" (direct only, valgrind's name), ... ; unknown
// names give an error naming them.
struct LeakKindsParse {
  LeakKindSet set;
  std::string error;  // empty when fine
};
LeakKindsParse parse_leak_kinds(const std::string& text);
std::vector<std::string> leak_kind_names(const LeakKindSet& k);

struct GateOptions {
  std::optional<uint64_t> max_leak;          // unset: the noise rule above
  std::optional<uint64_t> max_goroutines;    // unset: goroutines are reported, never fail
  const Suppressions* suppressions = nullptr;
  LeakKindSet kinds;                         // used when sites carry leak kinds
};

// The bytes and objects of `site` that the gate counts: its chosen leak kinds when a
// reachability scan gave it some, else everything live.
struct Counted {
  uint64_t bytes = 0, objects = 0;
};
Counted counted_leak(const model::Site& site, const LeakKindSet& kinds);

struct SuppressedSite {
  model::Site site;
  std::string pattern;
};

struct SuppressedGroup {
  model::GoroutineGroup group;
  std::string pattern;
};

struct GateResult {
  std::vector<model::Site> leaks;  // unsuppressed sites with live bytes, ranked
  std::vector<SuppressedSite> suppressed;
  uint64_t leaked_bytes = 0;
  uint64_t leaked_objects = 0;
  uint64_t suppressed_bytes = 0;
  uint64_t reachable_bytes = 0;    // still reachable at exit, not counted (reachability scanned)
  uint64_t unjudged_bytes = 0;     // anonymous mmap regions still mapped (no verdict, not counted)
  double noise_bytes = 0;          // one standard error of leaked_bytes
  uint64_t threshold_bytes = 0;    // fails above this (the noise rule's effective bound)
  bool heap_failed = false;

  // Goroutines left at exit; only when snapshot.go holds the census read at exit.
  bool goroutines_counted = false;
  std::vector<model::GoroutineGroup> goroutine_leaks;  // counted, largest group first
  std::vector<SuppressedGroup> goroutines_suppressed;
  uint64_t leaked_goroutines = 0;
  uint64_t suppressed_goroutines = 0;
  uint64_t ignored_goroutines = 0;
  // Parallel to snapshot.go->goroutine_groups: "leaked", "suppressed" or "ignored".
  std::vector<std::string> goroutine_verdicts;
  bool goroutines_failed = false;
  // --max-goroutines was given but the command's goroutines were not read (not a Go
  // program, or its runtime unreadable): the gate cannot be decided, which is an error.
  bool goroutines_undecided = false;

  bool failed = false;  // heap_failed || goroutines_failed
  // leaked_bytes is the heap walk's exact total (every block's verdict), not a sum of
  // sampled sites; the sites list still shows estimates.
  bool exact_total = false;
};

// Sampling variance (bytes²) of one site's live estimate at mean interval `sample_bytes`.
double site_sampling_variance(uint64_t live_bytes, uint64_t live_objects, uint64_t sample_bytes);

GateResult evaluate_gate(const model::Snapshot& snapshot, const GateOptions& options);

// Whether a goroutine group is the runtime's or the standard library's own (see above).
bool is_ignored_at_exit(const model::GoroutineGroup& group);
// The creation site of a group as a frame ("pkg.f at file.go:12" → function, file,
// line), the way suppressions and reports name it.
model::Frame creation_frame(const model::GoroutineGroup& group);

// Writes the verdict into the snapshot: run.leaked_bytes and the other gate figures, and
// each goroutine group's exit_verdict.
void record_gate(model::Snapshot& snapshot, const GateResult& gate, const GateOptions& options);

}  // namespace memgap::analyze
