#include "runtime/go/remote_memory.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace memgap::runtime::go {

Result<uint64_t> RemoteMemory::u64(uint64_t addr) const {
  uint64_t v = 0;
  if (auto s = read(addr, &v, sizeof v); !s) return s.error();
  return v;
}

Result<uint32_t> RemoteMemory::u32(uint64_t addr) const {
  uint32_t v = 0;
  if (auto s = read(addr, &v, sizeof v); !s) return s.error();
  return v;
}

Result<std::vector<uint8_t>> RemoteMemory::bytes(uint64_t addr, size_t len) const {
  std::vector<uint8_t> b(len);
  if (auto s = read(addr, b.data(), len); !s) return s.error();
  return b;
}

std::vector<bool> RemoteMemory::read_many(const std::vector<uint64_t>& addrs, size_t len, uint8_t* out) const {
  std::vector<bool> ok(addrs.size());
  for (size_t i = 0; i < addrs.size(); ++i) ok[i] = static_cast<bool>(read(addrs[i], out + i * len, len));
  return ok;
}

std::vector<bool> ProcessMemory::read_many(const std::vector<uint64_t>& addrs, size_t len, uint8_t* out) const {
  constexpr size_t kBatch = 1024;  // UIO_MAXIOV
  std::vector<bool> ok(addrs.size(), false);
  std::vector<iovec> local, remote;
  for (size_t base = 0; base < addrs.size(); base += kBatch) {
    size_t n = std::min(kBatch, addrs.size() - base);
    local.resize(n);
    remote.resize(n);
    for (size_t i = 0; i < n; ++i) {
      local[i] = {out + (base + i) * len, len};
      remote[i] = {reinterpret_cast<void*>(addrs[base + i]), len};
    }
    ssize_t got = process_vm_readv(pid_, local.data(), n, remote.data(), n, 0);
    // The kernel stops at the first remote iovec it cannot read: everything before it
    // is complete; the rest is retried one by one so a single freed object costs one.
    size_t full = got > 0 ? static_cast<size_t>(got) / len : 0;
    for (size_t i = 0; i < n; ++i)
      ok[base + i] = i < full ? true : static_cast<bool>(read(addrs[base + i], out + (base + i) * len, len));
  }
  return ok;
}

Status ProcessMemory::read(uint64_t addr, void* out, size_t len) const {
  size_t done = 0;
  // process_vm_readv may return a short count at a page boundary that is unmapped;
  // retry the rest once so a short read means a real hole, not a partial iovec.
  while (done < len) {
    iovec local{static_cast<char*>(out) + done, len - done};
    iovec remote{reinterpret_cast<void*>(addr + done), len - done};
    ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
    if (n <= 0) {
      int e = n < 0 ? errno : EFAULT;
      std::string hint = e == EPERM ? "run as root or grant CAP_SYS_PTRACE" : "";
      if (e == ESRCH) hint = "the process exited";
      char where[32];
      std::snprintf(where, sizeof where, "0x%llx", static_cast<unsigned long long>(addr + done));
      return make_error("cannot read memory of PID " + std::to_string(pid_) + " at " + where + ": " +
                            std::strerror(e),
                        hint);
    }
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

std::string proc_file(int pid, const char* name) { return "/proc/" + std::to_string(pid) + "/" + name; }

Status ProcessMemory::write(uint64_t addr, const void* data, size_t len) const {
  std::string path = proc_file(pid_, "mem");
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error("cannot open " + path + " for writing: " + std::strerror(errno),
                      "run as root (writing another process's memory needs ptrace permission)");
  ssize_t n = ::pwrite(fd, data, len, static_cast<off_t>(addr));
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(len))
    return make_error("cannot write " + std::to_string(len) + " bytes into PID " + std::to_string(pid_) + ": " +
                      std::strerror(n < 0 ? err : EIO));
  return Ok{};
}

}  // namespace memgap::runtime::go
