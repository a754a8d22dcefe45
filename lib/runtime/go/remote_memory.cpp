#include "runtime/go/remote_memory.h"

#include <sys/uio.h>

#include <cerrno>
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
      return make_error("cannot read memory of PID " + std::to_string(pid_) + " at 0x" +
                            [&] { char b[32]; snprintf(b, sizeof b, "%llx", (unsigned long long)(addr + done)); return std::string(b); }() +
                            ": " + std::strerror(e),
                        hint);
    }
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace memgap::runtime::go
