// The lines that say what a reachability scan found (memgap run at exit, attach
// --reachability): totals by LeakSanitizer's kinds over every block, what was scanned
// and how long the target was held.
#pragma once
#include <string>

#include "model/snapshot.h"

namespace memgap::report {

std::string render_reachability(const model::Reachability& r);

}  // namespace memgap::report
