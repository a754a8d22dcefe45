#include "collect/proc_source.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace memgap::collect {
namespace {

// /proc files report size 0, so read until EOF rather than trusting stat().
Result<std::string> read_whole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ESRCH) return make_error("no such process or file: " + path, "check the PID with 'ps -p PID'");
    if (e == EACCES || e == EPERM) return make_error("permission denied reading " + path, "run as root");
    return make_error("cannot read " + path + ": " + std::strerror(e), "");
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error("cannot read " + path + ": " + std::strerror(e), e == ESRCH ? "the process exited" : "");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return make_error("cannot list " + path + ": " + std::strerror(errno), "");
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  return out;
}

std::vector<int> numeric_entries(const std::string& path) {
  std::vector<int> out;
  auto names = list_dir(path);
  if (!names) return out;
  for (const auto& n : *names) {
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back(std::stoi(n));
  }
  return out;
}

}  // namespace

Result<std::string> RealProcSource::read(int pid, const std::string& name) const {
  return read_whole(root_ + "/" + std::to_string(pid) + "/" + name);
}
Result<std::vector<std::string>> RealProcSource::list(int pid, const std::string& dir) const {
  return list_dir(root_ + "/" + std::to_string(pid) + "/" + dir);
}
std::vector<int> RealProcSource::pids() const { return numeric_entries(root_); }

Result<std::string> DirProcSource::read(int pid, const std::string& name) const {
  return read_whole(dir_ + "/" + std::to_string(pid) + "/" + name);
}
Result<std::vector<std::string>> DirProcSource::list(int pid, const std::string& dir) const {
  return list_dir(dir_ + "/" + std::to_string(pid) + "/" + dir);
}
std::vector<int> DirProcSource::pids() const { return numeric_entries(dir_); }

}  // namespace memgap::collect
