#include "analyze/suppressions.h"
#include "util/path.h"

#include <fstream>
#include <sstream>

namespace memgap::analyze {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Glob with '*' only, anchored at both ends (the caller adds '*' for substring search).
bool glob(const char* p, const char* t) {
  const char* star = nullptr;
  const char* resume = nullptr;
  while (*t) {
    if (*p == '*') {
      star = p++;
      resume = t;
    } else if (*p == *t) {
      ++p;
      ++t;
    } else if (star) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (*p == '*') ++p;
  return *p == '\0';
}


}  // namespace

bool template_match(const std::string& pattern, const std::string& text) {
  if (pattern.empty()) return false;
  std::string p = pattern;
  bool start_anchored = p.front() == '^';
  if (start_anchored) p.erase(0, 1);
  bool end_anchored = !p.empty() && p.back() == '$';
  if (end_anchored) p.pop_back();
  if (!start_anchored) p.insert(p.begin(), '*');
  if (!end_anchored) p.push_back('*');
  return glob(p.c_str(), text.c_str());
}

Result<Suppressions> Suppressions::parse(const std::string& text, const std::string& origin) {
  Suppressions out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    auto colon = l.find(':');
    std::string where = origin + ":" + std::to_string(n);
    if (colon == std::string::npos)
      return make_error(where + ": expected 'leak:PATTERN', got '" + l + "'", "see memgap-run(1), SUPPRESSIONS", ErrorKind::kBadInput);
    std::string type = trim(l.substr(0, colon));
    std::string pattern = trim(l.substr(colon + 1));
    if (type != "leak")
      return make_error(where + ": unsupported suppression type '" + type + "'", "memgap reads leak:PATTERN lines only", ErrorKind::kBadInput);
    if (pattern.empty()) return make_error(where + ": empty pattern", "write leak:FUNCTION, leak:MODULE or leak:FILE", ErrorKind::kBadInput);
    out.patterns_.push_back(pattern);
  }
  return out;
}

Result<Suppressions> Suppressions::read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read suppressions file '" + path + "'", "check the path given to --suppressions", ErrorKind::kBadInput);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Suppressions Suppressions::glibc_defaults() {
  Suppressions s;
  for (const char* p : {"setlocale", "^_nl_", "_IO_file_doallocate", "^_dl_", "__new_exitfn", "__tzfile_read",
                        "tzset_internal", "__nss_", "^nss_", "textdomain"})
    s.add(p);
  return s;
}

const std::string* Suppressions::match(const model::Site& site) const {
  for (const auto& pattern : patterns_)
    for (const auto& f : site.frames) {
      if (template_match(pattern, f.function) || (!f.file.empty() && template_match(pattern, f.file)) ||
          (!f.module.empty() && (template_match(pattern, f.module) || template_match(pattern, basename_of(f.module)))))
        return &pattern;
    }
  return nullptr;
}

}  // namespace memgap::analyze
