// Runtime-test plumbing: start a purpose-built target and memgap as real processes, talk
// to them over pipes, and wait with deadlines so a broken build fails instead of hanging.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace memgap::test {

class Child {
 public:
  // argv[0] is the program path. stdin/stdout/stderr are pipes.
  explicit Child(std::vector<std::string> argv) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (int fd : {stdin_, stdout_, stderr_})
      if (fd >= 0) close(fd);
  }
  int pid() const { return pid_; }

  void send(const std::string& line) {
    std::string s = line + "\n";
    (void)!write(stdin_, s.data(), s.size());
  }
  void close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }
  // Reads stdout (or stderr) until `needle` appears after what earlier waits consumed;
  // false on timeout/EOF. Each call consumes up to the end of the match, so waiting twice
  // for "done" waits for two of them.
  bool wait_for(const std::string& needle, int timeout_ms, bool from_stderr = false) {
    std::string& buf = from_stderr ? err_buf_ : out_buf_;
    size_t& seen = from_stderr ? err_seen_ : out_seen_;
    int fd = from_stderr ? stderr_ : stdout_;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      auto at = buf.find(needle, seen);
      if (at != std::string::npos) {
        seen = at + needle.size();
        return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char tmp[4096];
      ssize_t n = read(fd, tmp, sizeof tmp);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  // Waits for exit, collecting output; returns the exit status or -1 on timeout
  // (128+N for a signal).
  int wait_exit(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      drain(stdout_, out_buf_);
      drain(stderr_, err_buf_);
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        drain(stdout_, out_buf_);
        drain(stderr_, err_buf_);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      usleep(20000);
    }
  }
  const std::string& out() const { return out_buf_; }
  const std::string& err() const { return err_buf_; }

 private:
  static void drain(int fd, std::string& buf) {
    if (fd < 0) return;
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) return;
      char tmp[65536];
      ssize_t n = read(fd, tmp, sizeof tmp);
      if (n <= 0) return;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  pid_t pid_ = -1;
  bool reaped_ = false;
  int stdin_ = -1, stdout_ = -1, stderr_ = -1;
  std::string out_buf_, err_buf_;
  size_t out_seen_ = 0, err_seen_ = 0;
};

inline std::string target_path(const std::string& name) { return std::string(MEMGAP_TARGETS_DIR) + "/" + name; }

inline std::string temp_path(const std::string& name) {
  return "/tmp/memgap-test-" + std::to_string(getpid()) + "-" + name;
}

}  // namespace memgap::test
