// LeakSanitizer-compatible suppressions, so one file serves both tools: one `leak:PATTERN`
// per line, `#` starts a comment, blank lines are ignored. A site is suppressed when the
// pattern matches the function name, the module (path or basename) or the source file of
// any of its frames. PATTERN matches as a substring; `*` matches any run of characters;
// a leading `^` or trailing `$` anchors it (LSan's template matching).
#pragma once
#include <string>
#include <vector>

#include "model/snapshot.h"
#include "util/result.h"

namespace memgap::analyze {

class Suppressions {
 public:
  // `origin` names the input in errors ("suppressions.txt").
  static Result<Suppressions> parse(const std::string& text, const std::string& origin);
  static Result<Suppressions> read_file(const std::string& path);

  // glibc's process-lifetime caches that every C program keeps until exit and never
  // frees (locale data, gettext domains, stdio buffers, the loader's, the time zone, NSS, the
  // atexit table). LeakSanitizer sees them as reachable; memgap, which does not scan for
  // pointers, suppresses them by name unless asked not to.
  static Suppressions glibc_defaults();
  void append(const Suppressions& other) {
    patterns_.insert(patterns_.end(), other.patterns_.begin(), other.patterns_.end());
  }

  // The first pattern that matches a frame of the site, or nullptr.
  const std::string* match(const model::Site& site) const;
  const std::vector<std::string>& patterns() const { return patterns_; }
  void add(std::string pattern) { patterns_.push_back(std::move(pattern)); }

 private:
  std::vector<std::string> patterns_;
};

// LSan's template match of one pattern against one string.
bool template_match(const std::string& pattern, const std::string& text);

}  // namespace memgap::analyze
