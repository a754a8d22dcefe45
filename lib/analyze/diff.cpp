#include "analyze/diff.h"

#include <algorithm>
#include <map>
#include <set>

namespace memgap::analyze {
namespace {

// Sums saturate well below INT64_MAX so that deltas (a - b as int64) never overflow,
// whatever a Snapshot built in memory contains. The reader already rejects totals this
// large, so this only guards callers that skip it.
constexpr uint64_t kSaturate = uint64_t{1} << 62;

uint64_t add_sat(uint64_t a, uint64_t b) {
  uint64_t s = a + b;
  if (s < a || s > kSaturate) return kSaturate;
  return s;
}

uint64_t clamp_sat(uint64_t v) { return v > kSaturate ? kSaturate : v; }

void add(Amounts& into, const Amounts& x) {
  into.live_bytes = add_sat(into.live_bytes, x.live_bytes);
  into.live_objects = add_sat(into.live_objects, x.live_objects);
  into.alloc_bytes = add_sat(into.alloc_bytes, x.alloc_bytes);
  into.alloc_objects = add_sat(into.alloc_objects, x.alloc_objects);
}

Amounts amounts_of(const model::Site& s) {
  return Amounts{clamp_sat(s.live_bytes), clamp_sat(s.live_objects), clamp_sat(s.alloc_bytes),
                 clamp_sat(s.alloc_objects)};
}

RowStatus status_of(const SiteDiff& d, bool in_base, bool in_new, uint64_t min_delta = 0) {
  if (!in_base) return RowStatus::kNew;
  if (!in_new) return RowStatus::kDeleted;
  int64_t db = d.delta_live_bytes();
  if (min_delta > 0 && static_cast<uint64_t>(db < 0 ? -db : db) < min_delta) return RowStatus::kSame;
  if (db > 0) return RowStatus::kGrew;
  if (db < 0) return RowStatus::kShrank;
  int64_t dobj = d.delta_live_objects();
  if (dobj > 0) return RowStatus::kGrew;
  if (dobj < 0) return RowStatus::kShrank;
  return RowStatus::kSame;
}

bool is_change(const SiteDiff& d) { return d.status != RowStatus::kSame; }

// Growth first (largest first), then shrinks (largest first), then unchanged (largest
// first). Ties break on the key so the order is deterministic.
bool rank_before(const SiteDiff& a, const SiteDiff& b) {
  auto klass = [](const SiteDiff& d) {
    if (!is_change(d)) return 3;
    int64_t db = d.delta_live_bytes();
    if (db > 0) return 0;
    if (db < 0) return 1;
    return 2;
  };
  int ka = klass(a), kb = klass(b);
  if (ka != kb) return ka < kb;
  int64_t da = a.delta_live_bytes(), dbb = b.delta_live_bytes();
  if (ka == 0 && da != dbb) return da > dbb;
  if (ka == 1 && da != dbb) return da < dbb;
  if (ka == 2) {
    int64_t oa = a.delta_live_objects(), ob = b.delta_live_objects();
    int64_t aa = oa < 0 ? -oa : oa, ab = ob < 0 ? -ob : ob;
    if (aa != ab) return aa > ab;
  }
  uint64_t sa = std::max(a.now.live_bytes, a.base.live_bytes), sb = std::max(b.now.live_bytes, b.base.live_bytes);
  if (sa != sb) return sa > sb;
  return a.key < b.key;
}

int64_t as_signed(uint64_t v) { return static_cast<int64_t>(clamp_sat(v)); }

std::vector<CategoryDiff> diff_categories(const model::Snapshot& base, const model::Snapshot& now) {
  std::vector<CategoryDiff> out;
  out.push_back(CategoryDiff{"rss", as_signed(base.gap.rss), as_signed(now.gap.rss), true, true});
  out.push_back(CategoryDiff{"profiled", as_signed(base.gap.profiled), as_signed(now.gap.profiled), true, true});
  // Categories keep the order they have in NEW, then those only in BASE, so the table
  // reads like the attach report. A name repeated within one snapshot is summed.
  std::vector<std::string> order;
  std::map<std::string, CategoryDiff> by_name;
  auto visit = [&](const model::Snapshot& s, bool is_new) {
    for (const auto& c : s.gap.categories) {
      auto [it, inserted] = by_name.try_emplace(c.name, CategoryDiff{c.name});
      if (inserted) order.push_back(c.name);
      CategoryDiff& d = it->second;
      int64_t& slot = is_new ? d.now : d.base;
      slot = static_cast<int64_t>(add_sat(static_cast<uint64_t>(slot), clamp_sat(c.bytes)));
      (is_new ? d.in_new : d.in_base) = true;
    }
  };
  visit(now, true);
  visit(base, false);
  for (const auto& name : order) out.push_back(by_name.at(name));
  out.push_back(CategoryDiff{"unexplained", base.gap.unexplained, now.gap.unexplained, true, true});
  return out;
}

}  // namespace

const char* status_tag(RowStatus s) {
  switch (s) {
    case RowStatus::kSame: return "[ = ]";
    case RowStatus::kGrew: return "[ + ]";
    case RowStatus::kShrank: return "[ - ]";
    case RowStatus::kNew: return "[NEW]";
    case RowStatus::kDeleted: return "[DEL]";
  }
  return "[ ? ]";
}

const char* status_name(RowStatus s) {
  switch (s) {
    case RowStatus::kSame: return "same";
    case RowStatus::kGrew: return "grew";
    case RowStatus::kShrank: return "shrank";
    case RowStatus::kNew: return "new";
    case RowStatus::kDeleted: return "deleted";
  }
  return "?";
}

std::vector<SiteDiff> aggregate_sites(const model::Snapshot& snapshot) {
  std::map<SiteKey, SiteDiff> merged;
  for (const auto& site : snapshot.sites) {
    SiteKey key = site_key(site);
    auto [it, inserted] = merged.try_emplace(key);
    if (inserted) {
      it->second.key = std::move(key);
      it->second.frames = site.frames;
    }
    add(it->second.now, amounts_of(site));
  }
  std::vector<SiteDiff> out;
  out.reserve(merged.size());
  for (auto& [k, d] : merged) out.push_back(std::move(d));
  std::stable_sort(out.begin(), out.end(),
                   [](const SiteDiff& a, const SiteDiff& b) { return a.now.live_bytes > b.now.live_bytes; });
  return out;
}

SnapshotDiff diff_snapshots(const model::Snapshot& base, const model::Snapshot& now, const DiffOptions& options) {
  std::map<SiteKey, SiteDiff> rows;
  std::set<SiteKey> in_base, in_new;
  for (auto& d : aggregate_sites(base)) {
    in_base.insert(d.key);
    SiteDiff& row = rows[d.key];
    row.key = d.key;
    row.frames = std::move(d.frames);
    row.base = d.now;
  }
  for (auto& d : aggregate_sites(now)) {
    in_new.insert(d.key);
    SiteDiff& row = rows[d.key];
    row.key = d.key;
    row.frames = std::move(d.frames);  // NEW's frames (file, line, address) win
    row.now = d.now;
  }

  SnapshotDiff out;
  out.all.reserve(rows.size());
  for (auto& [key, row] : rows) {
    row.status = status_of(row, in_base.count(key) > 0, in_new.count(key) > 0, options.min_delta_bytes);
    add(out.total.base, row.base);
    add(out.total.now, row.now);
    out.changed = out.changed || is_change(row);
    out.all.push_back(std::move(row));
  }
  std::sort(out.all.begin(), out.all.end(), rank_before);
  out.total.status = status_of(out.total, true, true);

  bool hide_unchanged = out.changed && !options.show_unchanged;
  for (const auto& row : out.all) {
    if (hide_unchanged && !is_change(row)) {
      ++out.unchanged_hidden;
      continue;
    }
    if (options.top == 0 || out.shown.size() < options.top) {
      out.shown.push_back(row);
      continue;
    }
    if (!out.others) out.others.emplace();
    add(out.others->base, row.base);
    add(out.others->now, row.now);
    ++out.others_count;
  }
  if (out.others) out.others->status = status_of(*out.others, true, true);
  out.categories = diff_categories(base, now);
  return out;
}

bool growth_exceeds(const SnapshotDiff& diff, uint64_t limit) {
  int64_t g = diff.live_growth();
  return g > 0 && static_cast<uint64_t>(g) > limit;
}

}  // namespace memgap::analyze
