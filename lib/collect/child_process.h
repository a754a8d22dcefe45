// Starting a command under ptrace so that memgap sees it from its very first instruction:
// the child is forked, seized, and held on a pipe until the tracer is ready; then it
// execs. Also the decoding of ptrace wait statuses into the few events `memgap run`
// acts on (exec, exit, new child, signal), and resuming a stopped tracee.
//
// Why ptrace at all: PTRACE_EVENT_EXEC stops the new image before its loader runs (so
// probes can be attached before the first allocation), and PTRACE_EVENT_EXIT stops it
// after atexit handlers but while its address space still exists (so its maps can be
// read and its modules opened for symbolization, and recording frozen at that instant).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::collect {

class ChildProcess {
 public:
  // Forks; the child blocks until release(). `follow`: new processes the child forks are
  // traced too (PTRACE_O_TRACEFORK/VFORK), so their exec and exit stops are seen.
  static Result<ChildProcess> spawn(const std::vector<std::string>& argv, bool follow);
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Lets the child exec. Returns 0 once the exec succeeded, else the errno of the failed
  // execvp (ENOENT: command not found); the child is then killed and reaped.
  int release();

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int go_fd_ = -1;   // write end: one byte lets the child exec
  int err_fd_ = -1;  // read end: errno of a failed exec; EOF when exec succeeded
};

enum class TraceEventKind {
  Exec,        // a traced process replaced its image (stopped)
  Exit,        // a traced thread is about to exit; memory still there (stopped)
  NewChild,    // a traced process forked; the child is traced too (stopped)
  Signal,      // signal-delivery stop: resume with `signal` to deliver it
  GroupStop,   // job-control stop: resume with PTRACE_LISTEN
  OtherStop,   // e.g. a new child's initial stop: resume without a signal
  Exited,      // gone: `status` is its exit code or 128+signal (a shell's convention)
};

struct TraceEvent {
  pid_t pid = 0;
  TraceEventKind kind = TraceEventKind::OtherStop;
  int signal = 0;
  int status = 0;
  // NewChild: the new process's PID, and whether it shares its parent's memory until it
  // execs or exits (vfork, CLONE_VM) instead of owning a copy (fork).
  pid_t child = 0;
  bool child_shares_memory = false;
};

// The next pending event of any traced process, without blocking (memgap must keep
// draining its ring buffer meanwhile). False when there is none.
bool next_trace_event(TraceEvent& out);
// Resumes a stopped tracee as its stop requires (delivering the signal of a
// signal-delivery stop, listening in a group stop).
void resume(const TraceEvent& event);

// "No such file or directory" for an errno, for error messages.
std::string errno_text(int error);

}  // namespace memgap::collect
