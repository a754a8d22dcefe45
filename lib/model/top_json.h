// The only place that knows the JSON keys of a `memgap top` frame (schema memgap.top/1);
// one compact object per line makes the batch output NDJSON.
#pragma once
#include <string>

#include "model/top.h"

namespace memgap::model {

std::string to_json(const TopFrame& frame);

}  // namespace memgap::model
