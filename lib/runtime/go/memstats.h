// The runtime's own memory accounting, read from outside and computed exactly the way
// runtime/metrics computes /memory/classes/... (metrics.go of go1.19 and go1.26/1.27
// agree on these formulas; inPtrScalarBits is gone since go1.22): the heap-stats
// ring is summed over its three generations (what consistentHeapStats.read would merge),
// the sys stats come from memstats, the fixalloc in-use counts from mheap_.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "runtime/go/globals.h"
#include "runtime/go/release.h"
#include "runtime/go/remote_memory.h"
#include "util/result.h"

namespace memgap::runtime::go {

// runtime/metrics names → values, plus the settings the runtime keeps as globals:
// "/gc/gogc:percent" and "/gc/gomemlimit:bytes" (the names later Go versions export)
// and "runtime.MemProfileRate".
using Metrics = std::map<std::string, double>;

Result<Metrics> read_memory_metrics(const RemoteMemory& mem, const GoGlobals& g, const ReleaseSpec& spec);

}  // namespace memgap::runtime::go
