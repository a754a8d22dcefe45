#include "runtime/glibc/remote_memory.h"

#include <sys/uio.h>

#include <vector>

namespace memgap::runtime::glibc {

bool RemoteMemory::read(uint64_t addr, void* out, size_t len) const {
  ++reads_;
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = ::process_vm_readv(pid_, &local, 1, &remote, 1, 0);
  return n == static_cast<ssize_t>(len);
}

bool RemoteMemory::read_headers(uint64_t addr, uint64_t stride, size_t n, uint64_t* out) const {
  if (n == 0 || n > 1024) return false;
  ++reads_;
  std::vector<iovec> remote(n);
  for (size_t i = 0; i < n; ++i) remote[i] = {reinterpret_cast<void*>(addr + i * stride), 16};
  iovec local{out, 16 * n};
  ssize_t got = ::process_vm_readv(pid_, &local, 1, remote.data(), n, 0);
  return got == static_cast<ssize_t>(16 * n);
}

std::optional<uint64_t> RemoteMemory::u64(uint64_t addr) const {
  uint64_t v = 0;
  if (!read(addr, &v, sizeof v)) return std::nullopt;
  return v;
}

}  // namespace memgap::runtime::glibc
