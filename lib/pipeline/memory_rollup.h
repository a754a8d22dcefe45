// /proc/PID/smaps_rollup as the snapshot's `memory` section (bytes, kernel field names).
#pragma once
#include "collect/proc_source.h"
#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::pipeline {

Result<model::Memory> read_memory_rollup(const collect::ProcSource& proc, int pid);

}  // namespace memgap::pipeline
