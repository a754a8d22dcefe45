// Reads another process's memory with process_vm_readv: no ptrace stop, no help from
// the target, so the Go runtime can be inspected while it keeps running. Reads are not
// atomic with respect to the target; callers validate what they read.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace memgap::runtime::go {

class RemoteMemory {
 public:
  virtual ~RemoteMemory() = default;
  // Reads exactly `len` bytes at `addr`, or fails (unmapped, process gone, no permission).
  virtual Status read(uint64_t addr, void* out, size_t len) const = 0;

  // Reads `len` bytes at each address into out[i*len]; ok[i] says which succeeded. The
  // default reads one by one; ProcessMemory batches (one syscall per 1024 reads), which
  // is what keeps a census of 50k goroutines in tens of milliseconds.
  virtual std::vector<bool> read_many(const std::vector<uint64_t>& addrs, size_t len, uint8_t* out) const;

  Result<uint64_t> u64(uint64_t addr) const;
  Result<uint32_t> u32(uint64_t addr) const;
  Result<std::vector<uint8_t>> bytes(uint64_t addr, size_t len) const;
};

// The one place the Go reader names a process's /proc files that are not read as text
// (collect::ProcSource reads those): its executable link and its memory file.
std::string proc_file(int pid, const char* name);

class ProcessMemory final : public RemoteMemory {
 public:
  explicit ProcessMemory(int pid) : pid_(pid) {}
  Status read(uint64_t addr, void* out, size_t len) const override;
  std::vector<bool> read_many(const std::vector<uint64_t>& addrs, size_t len, uint8_t* out) const override;
  // Writes into the target through /proc/PID/mem (opt-in changes only, such as
  // --go-enable-profiling): process_vm_writev cannot write read-only-mapped pages and
  // needs the same permission.
  Status write(uint64_t addr, const void* data, size_t len) const;

 private:
  int pid_;
};

// Little-endian field access into a byte buffer copied from the target.
inline uint64_t load_u64(const std::vector<uint8_t>& b, size_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | (off + i < b.size() ? b[off + i] : 0);
  return v;
}
inline uint32_t load_u32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | (off + i < b.size() ? b[off + i] : 0);
  return v;
}

}  // namespace memgap::runtime::go
