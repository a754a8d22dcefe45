// `memgap run -- CMD`: start CMD under ptrace, put allocator probes in place at each exec
// (before the loader runs, so before the first allocation), record until CMD exits, and
// at its exit stop (atexit handlers done, address space intact) freeze recording, read
// its maps and keep what is still live: the leaks. The gate verdict is not made here
// (analyze/gate does that on the snapshot). A Go CMD's runtime is read at that stop too:
// snapshot.go holds its goroutines at exit (pipeline/go_exit_census).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::pipeline {

struct RunOptions {
  std::vector<std::string> argv;
  uint64_t sample_bytes = 512 * 1024;
  std::string unwind = "auto";
  uint32_t stack_copy_bytes = 16384;
  // Also probe CMD's descendants: each program they exec gets its own probes at its exec,
  // and a child forked without exec gets probes on its copy of the parent before it runs
  // (its leaks are what it allocated itself). vfork children are probed at their exec.
  bool follow = false;
  // At each probed program's exit, walk its heap and mark from its roots (LSan's
  // verdicts: direct, indirect, still reachable) while it is held at its exit stop.
  bool reachability = true;
  // Set to CMD's PID once it exists (0 before and after), so a signal handler can
  // forward signals to it.
  std::atomic<int>* child_pid = nullptr;
};

class ProbeSession;

// Probe sessions whose uprobes are still attached when the command has ended. Detaching
// costs ~100 ms per probe in the kernel (about 2 s for one program): destroying this
// detaches synchronously; detach_in_background() hands the work to a short-lived
// process so that memgap can report and exit at once.
class PendingDetach {
 public:
  PendingDetach();
  ~PendingDetach();
  PendingDetach(const PendingDetach&) = delete;
  PendingDetach& operator=(const PendingDetach&) = delete;
  void add(std::unique_ptr<ProbeSession> session);
  // Forks a process (own session, stdio on /dev/null so no pipe of the caller stays
  // open) that holds the probes' file descriptors and detaches; this process then lets
  // go of its references without detaching. Falls back to detaching here.
  void detach_in_background();

 private:
  std::vector<std::unique_ptr<ProbeSession>> sessions_;
};

struct RunOutcome {
  model::Snapshot snapshot;  // meta.command = "run"; sites are what was live at exit
  int exit_status = 0;       // CMD's exit code, or 128+N when killed by signal N
  bool killed_by_signal = false;
  int exec_errno = 0;        // non-zero: CMD could not be started (snapshot empty)
  std::shared_ptr<PendingDetach> pending;  // the last images' probes, still attached
  // CMD is a Go program whose runtime could not be read at its exit stop (snapshot.go is
  // then unset): why, for a gate that was asked to count its goroutines.
  std::optional<Error> go_error;
};

Result<RunOutcome> run_command(const RunOptions& options);

}  // namespace memgap::pipeline
