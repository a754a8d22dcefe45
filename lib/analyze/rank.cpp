#include "analyze/rank.h"

#include <algorithm>
#include <tuple>

namespace memgap::analyze {

void rank_sites(std::vector<model::Site>& sites) {
  std::erase_if(sites, [](const model::Site& s) { return s.live_bytes == 0 && s.alloc_bytes == 0; });
  std::stable_sort(sites.begin(), sites.end(), [](const model::Site& a, const model::Site& b) {
    return std::make_tuple(a.live_bytes, a.growth_bytes_per_min, a.alloc_bytes) >
           std::make_tuple(b.live_bytes, b.growth_bytes_per_min, b.alloc_bytes);
  });
}

}  // namespace memgap::analyze
