#include "pipeline/snapshot_builder.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>

#include "analyze/growth.h"
#include "analyze/rank.h"

namespace memgap::pipeline {

model::Meta base_meta(const std::string& command, const collect::Target& target) {
  model::Meta m;
  m.tool_version = MEMGAP_VERSION_STRING;
  m.command = command;
  m.pid = target.pid;
  m.exe = target.exe;
  m.comm = target.comm;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  m.hostname = host;
  utsname u{};
  uname(&u);
  m.kernel = u.release;
  m.started_unix_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return m;
}

void finish_snapshot(model::Snapshot& s) {
  analyze::merge_same_source_sites(s.sites);
  analyze::compute_growth(s);
  analyze::rank_sites(s.sites);
  if (s.gap.rss == 0) s.gap.rss = s.memory.rss();
  if (s.gap.profiled == 0)
    for (const auto& site : s.sites) s.gap.profiled += site.live_bytes;
}

}  // namespace memgap::pipeline
