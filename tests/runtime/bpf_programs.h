// Which of memgap's BPF programs a process holds, so that "left no probe behind" is
// checked on that memgap's own programs and not on a machine-wide count, which other
// runs change at any time (a `memgap run`'s background detacher unloading its programs,
// say).
#pragma once
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace memgap::test {

// IDs of the BPF programs `pid` holds (program and link fds carry "prog_id:" in fdinfo).
inline std::set<int> held_prog_ids(int pid) {
  std::set<int> ids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fdinfo", ec)) {
    std::ifstream in(e.path());
    for (std::string l; std::getline(in, l);)
      if (l.rfind("prog_id:", 0) == 0) ids.insert(std::atoi(l.c_str() + 8));
  }
  return ids;
}

// The programs among `ids` that are still loaded and named malloc_enter (memgap's
// allocation entry probe).
inline std::set<int> loaded_malloc_enter(const std::set<int>& ids) {
  std::set<int> out;
  for (int id : ids) {
    std::string cmd = "/usr/sbin/bpftool prog show id " + std::to_string(id) + " 2>/dev/null";
    std::string show;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      std::array<char, 4096> buf;
      size_t n;
      while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) show.append(buf.data(), n);
      pclose(p);
    }
    if (show.find("malloc_enter") != std::string::npos) out.insert(id);
  }
  return out;
}

}  // namespace memgap::test
