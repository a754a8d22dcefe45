// Text sections for Go maps: maps that only grow (by the site that grows them, with
// their length now) and, with --go-maps, map-iteration heat. Empty string when there is
// nothing to show.
#pragma once
#include <cstddef>
#include <string>

#include "model/snapshot.h"

namespace memgap::report {

std::string render_go_maps(const model::Snapshot& snapshot, size_t top, size_t width = 80);

}  // namespace memgap::report
