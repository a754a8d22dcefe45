#include "report/reachability_text.h"

#include <sstream>

#include "util/units.h"

namespace memgap::report {

std::string render_reachability(const model::Reachability& r) {
  std::ostringstream out;
  const auto& t = r.totals;
  auto kind = [](uint64_t bytes, uint64_t n) {
    return format_size(bytes) + " in " + std::to_string(n) + (n == 1 ? " block" : " blocks");
  };
  out << "leaked for sure: direct " << kind(t.direct_bytes, t.direct_objects) << ", indirect "
      << kind(t.indirect_bytes, t.indirect_objects) << "; still reachable " << kind(t.reachable_bytes, t.reachable_objects)
      << "\n";
  out << "  reachability: " << r.blocks_source << ", every block; scanned " << format_size(r.root_bytes)
      << " of roots (" << r.threads << (r.threads == 1 ? " thread" : " threads") << ") and " << format_size(r.heap_bytes)
      << " of heap; target held " << format_duration_ms(static_cast<uint64_t>(r.pause_ms + 0.5)) << "\n";
  if (!r.exact_bytes) out << "  (per-site bytes below are estimates from samples; the totals above are exact)\n";
  return out.str();
}

}  // namespace memgap::report
