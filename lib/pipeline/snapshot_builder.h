// The parts of a snapshot every command builds the same way: the meta header of a target,
// and the analysis that turns raw sites into the ranked list reports show.
#pragma once
#include <string>

#include "collect/target.h"
#include "model/snapshot.h"

namespace memgap::pipeline {

// tool version, command, pid/exe/comm, host, kernel, start time.
model::Meta base_meta(const std::string& command, const collect::Target& target);

// Merges sites that name the same source lines, fits growth over the series, ranks; sets
// gap.rss from memory and gap.profiled from the live sites.
void finish_snapshot(model::Snapshot& snapshot);

}  // namespace memgap::pipeline
