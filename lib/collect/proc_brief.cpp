#include "collect/proc_brief.h"

#include <charconv>

namespace memgap::collect {
namespace {

// "   1234 kB" → bytes.
uint64_t kb_value(std::string_view v) {
  size_t i = v.find_first_not_of(" \t");
  if (i == std::string_view::npos) return 0;
  uint64_t n = 0;
  std::from_chars(v.data() + i, v.data() + v.size(), n);
  return n * 1024;
}

}  // namespace

// A hand-rolled line scan rather than parse_status(): this runs for every process on
// every refresh and only five keys matter.
bool parse_brief(std::string_view text, ProcBrief& out) {
  bool has_rss = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    if (key == "Name") {
      size_t b = value.find_first_not_of(" \t");
      out.name = b == std::string_view::npos ? std::string() : std::string(value.substr(b));
    } else if (key == "Threads") {
      size_t b = value.find_first_not_of(" \t");
      if (b != std::string_view::npos) std::from_chars(value.data() + b, value.data() + value.size(), out.threads);
      break;  // the last key needed (after the Rss* lines); masks and ctxt are skipped
    } else if (key == "VmRSS") {
      out.rss = kb_value(value);
      has_rss = true;
    } else if (key == "RssAnon") {
      out.rss_anon = kb_value(value);
    } else if (key == "RssFile") {
      out.rss_file = kb_value(value);
    } else if (key == "RssShmem") {
      out.rss_shmem = kb_value(value);
    }
  }
  return has_rss;
}

std::vector<ProcBrief> read_briefs(const ProcSource& proc) {
  std::vector<ProcBrief> out;
  for (int pid : proc.pids()) {
    auto text = proc.read(pid, "status");
    if (!text) continue;  // exited since the directory was listed
    ProcBrief b;
    b.pid = pid;
    if (parse_brief(*text, b)) out.push_back(std::move(b));
  }
  return out;
}

}  // namespace memgap::collect
