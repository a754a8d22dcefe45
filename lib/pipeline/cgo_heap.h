// cgo: in a Go process that links libc, the libc heap (what the allocator probes and the
// glibc arena reader explain as heap.live / heap.free) is C memory that cgo code
// allocated. The gap names it cgo.heap.live / cgo.heap.free so that it is not read as
// Go heap, which has its own go.heap.* rows.
#pragma once
#include "model/snapshot.h"

namespace memgap::pipeline {

inline constexpr const char* kCgoHeapLive = "cgo.heap.live";
inline constexpr const char* kCgoHeapFree = "cgo.heap.free";

// Renames heap.live/heap.free to their cgo.* names and says what they mean here.
void name_cgo_heap(model::Gap& gap);

}  // namespace memgap::pipeline
