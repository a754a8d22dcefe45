// Orders sites for every report: most live bytes first, then fastest growth, then most
// allocated. Sites with nothing live and nothing allocated are dropped.
#pragma once
#include <vector>

#include "model/snapshot.h"

namespace memgap::analyze {

// Merges sites whose stacks name the same source locations frame by frame (module,
// function, file:line; offset when the line is unknown). Different return addresses on
// one source line — an unrolled loop, two calls in one expression — are one site to a
// user. Counts and series are summed; the first site's frames are kept.
void merge_same_source_sites(std::vector<model::Site>& sites);

void rank_sites(std::vector<model::Site>& sites);

}  // namespace memgap::analyze
