#include "collect/stopped_threads.h"

#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <thread>

namespace memgap::collect {

void StoppedThreads::release() {
  for (const auto& t : threads_) ::ptrace(PTRACE_DETACH, t.tid, nullptr, nullptr);
  threads_.clear();
}

Result<StoppedThreads> StoppedThreads::stop(int pid, const ProcSource& proc, std::chrono::milliseconds wait) {
  StoppedThreads s;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::set<int> seized;
  // Seize until a listing finds no thread not held yet: a thread created meanwhile is
  // seized on the next round (a new thread of a seized one starts traced-stopped only
  // with PTRACE_O_TRACECLONE, which is not asked for: it is caught by the re-listing).
  for (int round = 0;; ++round) {
    auto tasks = proc.list(pid, "task");
    if (!tasks) return make_error("PID " + std::to_string(pid) + " is gone", "check the PID");
    bool fresh = false;
    for (const auto& t : *tasks) {
      int tid = std::atoi(t.c_str());
      if (tid <= 0 || seized.count(tid)) continue;
      if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
        if (errno == ESRCH) continue;  // ended meanwhile
        int e = errno;
        return make_error("cannot hold thread " + std::to_string(tid) + " of PID " + std::to_string(pid) + ": " +
                              std::strerror(e),
                          e == EPERM ? "run as root; a process another debugger traces cannot be held"
                                     : "retry without --reachability");
      }
      seized.insert(tid);
      s.threads_.push_back({tid, {}});
      ::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
      fresh = true;
    }
    if (!fresh || round > 64) break;
  }
  // Wait for each to report its stop; a thread that ends meanwhile is dropped.
  std::vector<StoppedThread> held;
  for (auto& t : s.threads_) {
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(t.tid, &status, __WALL | WNOHANG);
      if (r == t.tid && WIFSTOPPED(status)) break;
      if (r == t.tid || (r < 0 && errno == ECHILD)) { t.tid = 0; break; }  // exited
      if (std::chrono::steady_clock::now() > deadline) {
        return make_error("thread " + std::to_string(t.tid) + " of PID " + std::to_string(pid) +
                              " did not stop within " + std::to_string(wait.count()) + "ms",
                          "it may be in an uninterruptible wait; try again");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (t.tid && ::ptrace(PTRACE_GETREGS, t.tid, nullptr, &t.regs) == 0) held.push_back(t);
    else if (t.tid) ::ptrace(PTRACE_DETACH, t.tid, nullptr, nullptr);
  }
  s.threads_ = std::move(held);
  return s;
}

}  // namespace memgap::collect
