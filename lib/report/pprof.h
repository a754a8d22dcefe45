// pprof export: a gzipped profile.proto message that `go tool pprof` and
// pprof-compatible viewers open. Encoded field by field from the documented field
// numbers of profile.proto with protobuf's CodedOutputStream, gzipped with zlib.
//
// Sample types follow Go's heap profiles: alloc_objects/count, alloc_space/bytes,
// inuse_objects/count, inuse_space/bytes (inuse_space last, so viewers default to it);
// period_type space/bytes with the sampling interval as period. location[0] of a sample
// is the leaf; the string table starts with "". Every module a frame names becomes a
// mapping (file name and, when known, build id); functions are already symbolized, so
// mappings say has_functions/has_filenames/has_line_numbers and pprof does not try to
// symbolize again.
#pragma once
#include <map>
#include <string>

#include "analyze/diff.h"
#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::report {

struct PprofOptions {
  // Module basename → build id (hex), for mappings. Empty: no build ids.
  std::map<std::string, std::string> build_ids;
  bool gzip = true;  // false: the raw protobuf message (for tests)
  bool all_frames = false;  // false: frames below main folded (analyze::frames_above_startup)
};

// The live/alloc state of one snapshot.
Result<std::string> format_pprof(const model::Snapshot& snapshot, const PprofOptions& options = {});

// A diff as a profile of deltas (NEW - BASE; negative values where memory went away),
// the same thing `pprof -diff_base` shows. Each sample carries a "status" label.
Result<std::string> format_pprof_diff(const analyze::SnapshotDiff& diff, const model::Snapshot& base,
                                      const model::Snapshot& now, const PprofOptions& options = {});

}  // namespace memgap::report
