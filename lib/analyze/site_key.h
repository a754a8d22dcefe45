// Site identity across processes and builds. Two sites are "the same" when their stacks
// have the same symbolized frames: (module, function, offset within function), leaf
// first. Raw addresses never take part (ASLR moves them on every run); source file and
// line do not either (a rebuild with one added comment line would otherwise split every
// site). A frame without a function name falls back to its offset within the module.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/snapshot.h"

namespace memgap::analyze {

struct FrameKey {
  std::string module;    // basename; directories differ between build trees
  std::string function;  // "??" when unknown
  uint64_t offset = 0;   // within function, or within module when function is unknown

  auto operator<=>(const FrameKey&) const = default;
  bool operator==(const FrameKey&) const = default;
};

struct SiteKey {
  std::vector<FrameKey> frames;  // leaf first, like Site::frames

  auto operator<=>(const SiteKey&) const = default;
  bool operator==(const SiteKey&) const = default;
};

FrameKey frame_key(const model::Frame& frame);
SiteKey site_key(const model::Site& site);

// A stable text form ("libfoo.so!alloc_buf+0x1c;app!main+0x44"), for JSON and tests.
std::string to_string(const SiteKey& key);

// Short human label of a site for tables: the leaf function with its source line when
// known, else module+offset. Never longer than `max_width` characters (cut with "…"
// spelled as "...").
std::string site_label(const std::vector<model::Frame>& frames, size_t max_width = 0);

// Frames below `main` (__libc_start_call_main, __libc_start_main, _start) are in every
// C/C++ program's stacks and tell nothing about a site: reports fold them, as pprof and
// heaptrack do (--all-frames keeps them), and site keys leave them out, so a snapshot
// with them matches one without. Returns how many frames, leaf first, reach up to and
// including the outermost frame named `main`; all of them when none is.
size_t frames_above_startup(const std::vector<model::Frame>& frames);

// How many of `frames` a report shows.
inline size_t reported_depth(const std::vector<model::Frame>& frames, bool all_frames) {
  return all_frames ? frames.size() : frames_above_startup(frames);
}

// One frame as text: "function" or "module+0x1c" when the function is unknown.
std::string frame_name(const model::Frame& frame);

}  // namespace memgap::analyze
