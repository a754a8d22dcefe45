// The only place that knows the snapshot's JSON keys. Reading validates: a file that is
// not a memgap snapshot, is of a newer major version, is truncated, has wrong types or
// absurd numbers is rejected with one clear Error, never a crash or a partial Snapshot.
#pragma once
#include <string>

#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::model {

std::string to_json(const Snapshot& snapshot, int indent = 2);
Result<Snapshot> from_json(const std::string& text);

Status write_snapshot_file(const Snapshot& snapshot, const std::string& path);
Result<Snapshot> read_snapshot_file(const std::string& path);

}  // namespace memgap::model
