#include "collect/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace memgap::collect {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Tracees to which a job-control stop signal was delivered: their next event stop is a
// group stop. Only the tracing thread touches it.
std::set<pid_t> g_stop_delivered;

bool is_job_control_stop(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

}  // namespace

std::string errno_text(int error) { return std::strerror(error); }

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv, bool follow) {
  if (argv.empty()) return make_error("no command given", "memgap run [options] -- CMD [ARGS...]");
  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    return make_error(std::string("cannot create a pipe: ") + std::strerror(errno), "");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return make_error(std::string("cannot fork: ") + std::strerror(errno), "");
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Wait for the tracer, then exec; on
    // failure report errno through the close-on-exec pipe (EOF there means success).
    ::close(go[1]);
    ::close(err[0]);
    char byte;
    while (::read(go[0], &byte, 1) < 0 && errno == EINTR) {
    }
    // memgap ignores nothing, but a parent may have: CMD starts with default dispositions
    // for the signals memgap forwards.
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::execvp(args[0], args.data());
    int e = errno;
    (void)!::write(err[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(go[0]);
  ::close(err[1]);
  ChildProcess c;
  c.pid_ = pid;
  c.go_fd_ = go[1];
  c.err_fd_ = err[0];
  long options = PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL;
  if (follow) options |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(options)) != 0) {
    int e = errno;
    return make_error(std::string("cannot trace the command: ") + std::strerror(e),
                      e == EPERM ? "run as root or grant CAP_SYS_PTRACE (and check kernel.yama.ptrace_scope)" : "");
  }
  return c;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_), go_fd_(o.go_fd_), err_fd_(o.err_fd_) {
  o.pid_ = -1;
  o.go_fd_ = o.err_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  // A child that was never released would wait forever: end it.
  if (go_fd_ >= 0 && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, __WALL);
  }
  close_fd(go_fd_);
  close_fd(err_fd_);
}

int ChildProcess::release() {
  char byte = 1;
  (void)!::write(go_fd_, &byte, 1);
  close_fd(go_fd_);
  int e = 0;
  ssize_t n;
  while ((n = ::read(err_fd_, &e, sizeof e)) < 0 && errno == EINTR) {
  }
  close_fd(err_fd_);
  if (n == static_cast<ssize_t>(sizeof e)) {
    // The exec failed; the child is about to _exit (and would stop at its exit event).
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, __WALL) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return e;
  }
  return 0;
}

bool next_trace_event(TraceEvent& out) {
  int status = 0;
  pid_t pid = ::waitpid(-1, &status, __WALL | WNOHANG);
  if (pid <= 0) return false;
  out = TraceEvent{};
  out.pid = pid;
  if (WIFEXITED(status)) {
    out.kind = TraceEventKind::Exited;
    out.status = WEXITSTATUS(status);
    return true;
  }
  if (WIFSIGNALED(status)) {
    out.kind = TraceEventKind::Exited;
    out.signal = WTERMSIG(status);
    out.status = 128 + WTERMSIG(status);
    return true;
  }
  if (!WIFSTOPPED(status)) {
    out.kind = TraceEventKind::OtherStop;
    return true;
  }
  int sig = WSTOPSIG(status);
  int event = (status >> 16) & 0xff;
  out.signal = sig;
  switch (event) {
    case PTRACE_EVENT_EXEC: out.kind = TraceEventKind::Exec; break;
    case PTRACE_EVENT_EXIT: out.kind = TraceEventKind::Exit; break;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
      out.kind = TraceEventKind::NewChild;
      unsigned long child = 0;
      if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child) == 0) out.child = static_cast<pid_t>(child);
      out.child_shares_memory = event != PTRACE_EVENT_FORK;
      break;
    }
    case PTRACE_EVENT_STOP:
      // With PTRACE_SEIZE both a job-control stop and a new child's first stop report as
      // an event stop carrying SIGSTOP-like signals; only the first follows a stop signal
      // memgap delivered, and only it must be left stopped (LISTEN), or `kill -STOP` on
      // CMD would be undone.
      out.kind = g_stop_delivered.erase(pid) ? TraceEventKind::GroupStop : TraceEventKind::OtherStop;
      break;
    case 0: out.kind = TraceEventKind::Signal; break;
    default: out.kind = TraceEventKind::OtherStop; break;
  }
  if (out.kind != TraceEventKind::Signal) out.signal = out.kind == TraceEventKind::GroupStop ? sig : 0;
  return true;
}

void resume(const TraceEvent& e) {
  switch (e.kind) {
    case TraceEventKind::Exited: return;
    case TraceEventKind::GroupStop: ::ptrace(PTRACE_LISTEN, e.pid, nullptr, nullptr); return;
    case TraceEventKind::Signal:
      if (is_job_control_stop(e.signal)) g_stop_delivered.insert(e.pid);
      ::ptrace(PTRACE_CONT, e.pid, nullptr, reinterpret_cast<void*>(static_cast<long>(e.signal)));
      return;
    default: ::ptrace(PTRACE_CONT, e.pid, nullptr, nullptr); return;
  }
}

}  // namespace memgap::collect
