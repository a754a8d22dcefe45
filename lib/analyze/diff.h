// memgap diff: what changed between two snapshots. Sites are matched by SiteKey
// (symbolized frames, never raw addresses), aggregated per key within each snapshot,
// and ranked by growth of live bytes. The result is plain rows: every front end (text
// table, JSON, folded, pprof) formats these, and tests assert on them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/site_key.h"
#include "model/snapshot.h"

namespace memgap::analyze {

enum class RowStatus {
  kSame,     // [ = ]  live bytes and objects unchanged
  kGrew,     // [ + ]
  kShrank,   // [ - ]
  kNew,      // [NEW]  only in NEW
  kDeleted,  // [DEL]  only in BASE
};

const char* status_tag(RowStatus status);  // "[ = ]", "[ + ]", "[ - ]", "[NEW]", "[DEL]"
const char* status_name(RowStatus status); // "same", "grew", "shrank", "new", "deleted"

struct Amounts {
  uint64_t live_bytes = 0;
  uint64_t live_objects = 0;
  uint64_t alloc_bytes = 0;
  uint64_t alloc_objects = 0;
};

struct SiteDiff {
  SiteKey key;
  std::vector<model::Frame> frames;  // from NEW when present there, else from BASE
  RowStatus status = RowStatus::kSame;
  Amounts base;
  Amounts now;  // NEW (`new` is a keyword)
  int64_t delta_live_bytes() const { return static_cast<int64_t>(now.live_bytes) - static_cast<int64_t>(base.live_bytes); }
  int64_t delta_live_objects() const { return static_cast<int64_t>(now.live_objects) - static_cast<int64_t>(base.live_objects); }
  int64_t delta_alloc_bytes() const { return static_cast<int64_t>(now.alloc_bytes) - static_cast<int64_t>(base.alloc_bytes); }
  int64_t delta_alloc_objects() const { return static_cast<int64_t>(now.alloc_objects) - static_cast<int64_t>(base.alloc_objects); }
};

// One gap category (or rss / profiled / unexplained) side by side.
struct CategoryDiff {
  std::string name;
  int64_t base = 0;  // signed: "unexplained" may be negative
  int64_t now = 0;
  bool in_base = false;
  bool in_new = false;
  int64_t delta() const { return now - base; }
};

struct DiffOptions {
  size_t top = 20;              // rows shown before the rest fold into [N others]; 0 = all
  bool show_unchanged = false;  // list [ = ] rows even when other rows changed
  // A site present in both snapshots whose live bytes moved by less than this counts as
  // unchanged ([ = ]). With sampling (sample_bytes > 1) live figures of a steady site
  // wobble by about one sampling interval; this keeps such churn out of the table.
  // 0: any change counts. Never applies to [NEW]/[DEL] rows or to TOTAL.
  uint64_t min_delta_bytes = 0;
};

struct SnapshotDiff {
  // Every site of either snapshot, ranked: largest live growth first, then largest
  // shrink, then unchanged by size. Deleted and new sites are ranked by their delta too.
  std::vector<SiteDiff> all;
  // What a table shows: the first `top` rows of `all` (without [ = ] rows when anything
  // changed, unless show_unchanged), the remainder summed into `others`.
  std::vector<SiteDiff> shown;
  std::optional<SiteDiff> others;  // "[N others]"; frames empty, key empty
  size_t others_count = 0;
  size_t unchanged_hidden = 0;     // [ = ] rows left out of `shown` and `others`
  SiteDiff total;                  // "TOTAL": sums over all sites
  std::vector<CategoryDiff> categories;  // rss, profiled, each gap category, unexplained
  bool changed = false;            // any site row not [ = ]

  // Total growth of live bytes (NEW - BASE over all sites); what --fail-on-growth gates.
  int64_t live_growth() const { return total.delta_live_bytes(); }
};

SnapshotDiff diff_snapshots(const model::Snapshot& base, const model::Snapshot& now, const DiffOptions& options = {});

// Sites of one snapshot merged by SiteKey (the same call chain seen at two raw
// addresses, e.g. in two processes, is one site). Order: most live bytes first.
std::vector<SiteDiff> aggregate_sites(const model::Snapshot& snapshot);

// Gate: true when live growth exceeds `limit` bytes (strictly greater).
bool growth_exceeds(const SnapshotDiff& diff, uint64_t limit);

}  // namespace memgap::analyze
