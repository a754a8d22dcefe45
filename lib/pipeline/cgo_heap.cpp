#include "pipeline/cgo_heap.h"

#include "analyze/reconcile.h"

namespace memgap::pipeline {

void name_cgo_heap(model::Gap& gap) {
  for (auto& c : gap.categories) {
    if (c.name == analyze::kHeapLive) {
      c.name = kCgoHeapLive;
      c.meaning = "libc heap inside a Go process, live: C allocations (cgo) seen by the probes";
    } else if (c.name == analyze::kHeapFree) {
      c.name = kCgoHeapFree;
      c.meaning = "libc heap inside a Go process, not live: malloc free lists and fragmentation";
    }
  }
}

}  // namespace memgap::pipeline
