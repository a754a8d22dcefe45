// Addresses of one process → frames (function, file:line, module, offset), with libdw.
// Modules are reported from the target's mappings through /proc/PID/root, so containers
// work and files stay open after the target exits. Debug info is found by build id under
// /usr/lib/debug (libc6-dbg). Results are cached per address; libdw caches per module.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "collect/target.h"
#include "model/snapshot.h"

struct Dwfl;

namespace memgap::symbolize {

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Reports modules not seen before (call again after dlopen; cheap for known ones).
  void add_modules(const std::vector<collect::Module>& modules);

  // `return_address` frames are looked up at address-1 (the call instruction), which is
  // what file:line should name; the reported offset stays that of the address itself.
  model::Frame resolve(uint64_t address, bool return_address = true);
  std::vector<model::Frame> resolve_stack(const std::vector<uint64_t>& pcs);

  // The libdw session holding this process's modules (the unwinder shares it: CFI is
  // then read once per module).
  ::Dwfl* dwfl() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Demangles C++ (Itanium) names; returns the input unchanged when it is not mangled.
std::string demangle(const std::string& name);

}  // namespace memgap::symbolize
