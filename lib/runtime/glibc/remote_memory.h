// Reads another process's memory with process_vm_readv (no ptrace stop, no writes), so
// allocator state can be inspected while the target keeps running.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

namespace memgap::runtime::glibc {

class RemoteMemory {
 public:
  explicit RemoteMemory(int pid) : pid_(pid) {}
  // False when any byte could not be read (unmapped, or the process exited).
  bool read(uint64_t addr, void* out, size_t len) const;
  std::optional<uint64_t> u64(uint64_t addr) const;
  // Reads the 16 bytes at addr, addr+stride, ... (n of them, n <= 1024) into out[2n] in
  // one call; false unless all were read.
  bool read_headers(uint64_t addr, uint64_t stride, size_t n, uint64_t* out) const;
  uint64_t reads() const { return reads_; }

 private:
  int pid_;
  mutable uint64_t reads_ = 0;
};

}  // namespace memgap::runtime::glibc
