// A Go test target run as a child with its stdin/stdout on pipes, so a test can pause
// it, make it write its own runtime/metrics, and compare with what memgap reads.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace memgap::gotest {

class GoProcess {
 public:
  // `env` entries ("GOGC=150") are added to the inherited environment.
  explicit GoProcess(const std::string& path, const std::vector<std::string>& args = {},
                     const std::vector<std::string>& env = {}) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv{const_cast<char*>(path.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(path.c_str(), argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~GoProcess() {
    if (pid_ > 0) {
      send("quit");
      close(to_);
      for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(20000);
      if (waitpid(pid_, nullptr, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (from_ >= 0) close(from_);
  }
  int pid() const { return pid_; }

  void send(const std::string& line) {
    std::string l = line + "\n";
    (void)!write(to_, l.data(), l.size());
  }
  // Next line of output, or "" after `timeout_ms`.
  std::string line(int timeout_ms = 10000) {
    while (true) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      pollfd p{from_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return "";
      char b[4096];
      ssize_t n = read(from_, b, sizeof b);
      if (n <= 0) return "";
      buf_.append(b, static_cast<size_t>(n));
    }
  }
  std::string command(const std::string& c) {
    send(c);
    return line();
  }
  // The target's own runtime/metrics, read by itself now.
  std::map<std::string, double> metrics(const std::string& file) {
    std::map<std::string, double> m;
    if (command("metrics " + file) != "metrics") return m;
    std::ifstream f(file);
    auto j = nlohmann::json::parse(f, nullptr, false);
    if (j.is_discarded()) return m;
    for (auto& [k, v] : j.items()) m[k] = v.get<double>();
    return m;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string buf_;
};

}  // namespace memgap::gotest
