// Every thread of a live process held still with ptrace for a bounded moment (attach
// --reachability): each is seized and interrupted, its registers read, and all are let
// go again when this object ends, on every path. A process memgap does not trace
// already; one that another tracer holds is refused by name.
#pragma once
#include <sys/user.h>

#include <chrono>
#include <vector>

#include "collect/proc_source.h"
#include "util/result.h"

namespace memgap::collect {

struct StoppedThread {
  int tid = 0;
  user_regs_struct regs{};
};

class StoppedThreads {
 public:
  // Seizes every thread (threads created meanwhile too), waiting at most `wait` for
  // them all to stop; fails (having let go of all) when one cannot be held.
  static Result<StoppedThreads> stop(int pid, const ProcSource& proc, std::chrono::milliseconds wait);
  const std::vector<StoppedThread>& threads() const { return threads_; }
  // Lets every thread go (also done by the destructor).
  void release();

  StoppedThreads(StoppedThreads&& o) noexcept : threads_(std::move(o.threads_)) { o.threads_.clear(); }
  StoppedThreads& operator=(StoppedThreads&&) = delete;
  StoppedThreads(const StoppedThreads&) = delete;
  ~StoppedThreads() { release(); }

 private:
  StoppedThreads() = default;
  std::vector<StoppedThread> threads_;
};

}  // namespace memgap::collect
