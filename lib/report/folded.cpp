#include "report/folded.h"

#include <map>
#include <utility>

#include "analyze/site_key.h"

namespace memgap::report {
namespace {

// The format has no escaping: ';' separates frames, a trailing " <number>" is a value
// column and a newline ends a record. Frame names must not be able to fake any of them.
std::string safe_frame(const model::Frame& f) {
  std::string name = analyze::frame_name(f);
  for (auto& c : name) {
    if (c == ';') c = ':';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  while (!name.empty() && name.back() == ' ') name.pop_back();
  // A frame ending in " 123" would be read as a value when it is the leaf.
  auto sp = name.rfind(' ');
  if (sp != std::string::npos && sp + 1 < name.size() &&
      name.find_first_not_of("0123456789.", sp + 1) == std::string::npos)
    name[sp] = '_';
  if (name.empty()) name = "??";
  return name;
}

uint64_t pick(const analyze::Amounts& a, FoldedValue v) {
  switch (v) {
    case FoldedValue::kLiveBytes: return a.live_bytes;
    case FoldedValue::kLiveObjects: return a.live_objects;
    case FoldedValue::kAllocBytes: return a.alloc_bytes;
    case FoldedValue::kAllocObjects: return a.alloc_objects;
  }
  return 0;
}

uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

}  // namespace

std::string folded_stack(const std::vector<model::Frame>& frames, bool all_frames) {
  if (frames.empty()) return "[unknown]";
  std::string out;
  for (size_t i = analyze::reported_depth(frames, all_frames); i-- > 0;) {
    out += safe_frame(frames[i]);
    if (i) out += ';';
  }
  return out;
}

std::string format_folded(const model::Snapshot& snapshot, FoldedValue value, bool all_frames) {
  std::map<std::string, uint64_t> stacks;
  for (const auto& site : snapshot.sites) {
    analyze::Amounts a{site.live_bytes, site.live_objects, site.alloc_bytes, site.alloc_objects};
    uint64_t v = pick(a, value);
    if (v == 0) continue;
    auto& slot = stacks[folded_stack(site.frames, all_frames)];
    slot = add_sat(slot, v);
  }
  std::string out;
  for (const auto& [stack, v] : stacks) out += stack + " " + std::to_string(v) + "\n";
  return out;
}

std::string format_folded_diff(const analyze::SnapshotDiff& diff, FoldedValue value, bool all_frames) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> stacks;
  for (const auto& row : diff.all) {
    uint64_t b = pick(row.base, value), n = pick(row.now, value);
    if (b == 0 && n == 0) continue;
    auto& slot = stacks[folded_stack(row.frames, all_frames)];
    slot.first = add_sat(slot.first, b);
    slot.second = add_sat(slot.second, n);
  }
  std::string out;
  for (const auto& [stack, v] : stacks)
    out += stack + " " + std::to_string(v.first) + " " + std::to_string(v.second) + "\n";
  return out;
}

}  // namespace memgap::report
