#include "runtime/go/release.h"

namespace memgap::runtime::go {

std::string ReleaseSpec::wait_reason(uint8_t r) const {
  if (r >= wait_reasons.size()) return "unknown wait reason";
  return wait_reasons[r];
}

const std::vector<ReleaseSpec>& known_releases() {
  static const std::vector<ReleaseSpec> all = {release_go1_19(), release_go1_26(), release_go1_27()};
  return all;
}

const ReleaseSpec* known_release(const GoVersion& v) {
  if (v.major != 1) return nullptr;
  for (const auto& r : known_releases())
    if (r.minor == v.minor) return &r;
  return nullptr;
}

const ReleaseSpec& nearest_release(const GoVersion& v) {
  const auto& all = known_releases();
  const ReleaseSpec* best = &all.front();
  for (const auto& r : all)
    if (v.major == 1 && r.minor <= v.minor) best = &r;
  return *best;
}

std::string known_release_names() {
  const auto& all = known_releases();
  std::string s;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i) s += i + 1 == all.size() ? " and " : ", ";
    s += all[i].name;
  }
  return s;
}

Status check_supported(const GoVersion& v) {
  if (known_release(v)) return Ok{};
  return make_error("Go version " + v.text + " is not supported: memgap has built-in layouts for " +
                        known_release_names() + " only",
                    "a binary with DWARF is read from its own DWARF; for a stripped one pass --go-layout-from "
                    "FILE, an unstripped binary built by the same Go release");
}

}  // namespace memgap::runtime::go
