#include "analyze/rank.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace memgap::analyze {
namespace {

using SourceKey = std::vector<std::tuple<std::string, std::string, std::string, int, uint64_t>>;

SourceKey source_key(const model::Site& s) {
  SourceKey k;
  for (const auto& f : s.frames) {
    bool has_line = !f.file.empty() && f.line > 0;
    k.emplace_back(f.module, f.function, has_line ? f.file : std::string(), has_line ? f.line : 0,
                   has_line ? 0 : f.offset);
  }
  return k;
}

}  // namespace

void merge_same_source_sites(std::vector<model::Site>& sites) {
  std::map<SourceKey, size_t> first;
  std::vector<model::Site> out;
  for (auto& s : sites) {
    auto [it, inserted] = first.try_emplace(source_key(s), out.size());
    if (inserted) {
      out.push_back(std::move(s));
      continue;
    }
    model::Site& m = out[it->second];
    m.live_bytes += s.live_bytes;
    m.live_objects += s.live_objects;
    m.alloc_bytes += s.alloc_bytes;
    m.alloc_objects += s.alloc_objects;
    m.growth_bytes_per_min += s.growth_bytes_per_min;
    if (s.leak_kinds) {
      if (!m.leak_kinds) m.leak_kinds = model::LeakKinds{};
      m.leak_kinds->add(*s.leak_kinds);
    }
    if (m.live_series.size() < s.live_series.size()) m.live_series.resize(s.live_series.size(), 0);
    for (size_t i = 0; i < s.live_series.size(); ++i) m.live_series[i] += s.live_series[i];
  }
  sites = std::move(out);
}

void rank_sites(std::vector<model::Site>& sites) {
  std::erase_if(sites, [](const model::Site& s) { return s.live_bytes == 0 && s.alloc_bytes == 0; });
  // With leak verdicts, leaked-for-sure memory (direct, then indirect) comes first: it
  // is what someone chasing a leak wants to see before what is merely held.
  auto leaked = [](const model::Site& s) {
    return s.leak_kinds ? std::make_pair(s.leak_kinds->direct_bytes, s.leak_kinds->indirect_bytes)
                        : std::make_pair(uint64_t{0}, uint64_t{0});
  };
  std::stable_sort(sites.begin(), sites.end(), [&](const model::Site& a, const model::Site& b) {
    return std::make_tuple(leaked(a), a.live_bytes, a.growth_bytes_per_min, a.alloc_bytes) >
           std::make_tuple(leaked(b), b.live_bytes, b.growth_bytes_per_min, b.alloc_bytes);
  });
}

}  // namespace memgap::analyze
