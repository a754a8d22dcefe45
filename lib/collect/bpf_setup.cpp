#include "collect/bpf_setup.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace memgap::collect {
namespace {

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, args);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  spdlog::debug("libbpf: {}", line);
  return 0;
}

}  // namespace

void prepare_bpf() {
  libbpf_set_print(libbpf_log);
  // BPF memory is charged to the cgroup on this kernel; raising MEMLOCK is only needed on
  // old kernels and fails without CAP_SYS_RESOURCE, which is fine.
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  if (setrlimit(RLIMIT_MEMLOCK, &unlimited) != 0) spdlog::debug("setrlimit(MEMLOCK) failed: {}", std::strerror(errno));
  // A probed program holds ~50 descriptors (links, maps, ring buffer, opened modules)
  // until it is detached; `run --follow` over a parallel test runner holds many at once,
  // past the usual soft limit of 1024. Raise it to the hard limit, in memgap only: the
  // command was forked before the first tracer opens, so it keeps its own limits.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) spdlog::debug("setrlimit(NOFILE) failed: {}", std::strerror(errno));
  }
}

Error bpf_error(const std::string& what, int err) {
  err = err < 0 ? -err : err;
  if (err == EPERM || err == EACCES)
    return make_error(what + ": permission denied", "run as root or grant CAP_BPF,CAP_PERFMON", ErrorKind::kPermission);
  return make_error(what + ": " + std::strerror(err), "run with -v for libbpf's messages");
}

}  // namespace memgap::collect
