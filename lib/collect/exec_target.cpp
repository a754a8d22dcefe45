#include "collect/exec_target.h"

#include <fcntl.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sstream>

namespace memgap::collect {
namespace {

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : path;
}

// Runs argv with envp and returns its stdout (the exit status does not matter: a
// missing library still lists the others).
Result<std::string> capture(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return make_error("cannot create a pipe", "");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return make_error("cannot run " + argv[0], "");
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  // Reap this one child only: the tracing loop owns every other wait.
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  return text;
}

std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\0', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> parse_loader_list(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto arrow = line.find("=> ");
    std::string path;
    if (arrow != std::string::npos) {
      path = line.substr(arrow + 3);
    } else {
      auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] != '/') continue;
      path = line.substr(first);
    }
    auto paren = path.rfind(" (0x");
    if (paren != std::string::npos) path.resize(paren);
    if (path.empty() || path[0] != '/') continue;  // "not found", vDSO
    out.push_back(path);
  }
  return out;
}

Result<Target> inspect_exec_target(int pid, const ProcSource& proc) {
  auto target = inspect_target(pid, proc);
  if (!target) return target.error();
  Target t = std::move(*target);
  // At the exec stop the executable and, for a dynamic one, its interpreter are mapped.
  const Module* interp = nullptr;
  for (const auto& m : t.modules)
    if (m.path != t.exe) interp = &m;
  if (!interp) return t;  // static: the executable is all there will be (until dlopen)

  std::vector<std::string> env;
  if (auto environ_text = proc.read(pid, "environ")) env = split_nul(*environ_text);
  auto listed = capture({interp->host_path, "--list", t.exe}, env);
  if (!listed) {
    spdlog::debug("cannot list the libraries of {}: {}", t.exe, listed.error().message);
    return t;
  }
  for (const auto& lib : parse_loader_list(*listed)) {
    std::string path = canonical(lib);
    bool known = std::any_of(t.modules.begin(), t.modules.end(), [&](const Module& m) { return m.path == path; });
    if (known) continue;
    Module m;
    m.path = path;
    m.host_path = "/proc/" + std::to_string(pid) + "/root" + path;
    t.modules.push_back(std::move(m));
  }
  return t;
}

}  // namespace memgap::collect
