// What both BPF tracers (allocator probes and Go probes) need before and around loading
// their objects: libbpf's messages routed to memgap's debug log, memgap's own resource
// limits raised, and one wording for libbpf errors with the hint a user needs.
#pragma once
#include <string>

#include "util/result.h"

namespace memgap::collect {

// Idempotent. Call before opening a skeleton.
void prepare_bpf();

// "WHAT: permission denied" with the capabilities to grant, or "WHAT: <strerror>" with a
// pointer to -v. `err` may be negative (libbpf's convention).
Error bpf_error(const std::string& what, int err);

}  // namespace memgap::collect
