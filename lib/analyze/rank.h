// Orders sites for every report: most live bytes first, then fastest growth, then most
// allocated. Sites with nothing live and nothing allocated are dropped.
#pragma once
#include <vector>

#include "model/snapshot.h"

namespace memgap::analyze {

void rank_sites(std::vector<model::Site>& sites);

}  // namespace memgap::analyze
