#include "collect/threads.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "collect/proc_stat.h"
namespace memgap::collect {

uint64_t parse_syscall_sp(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> cols;
  std::string c;
  while (in >> c) cols.push_back(c);
  // Blocked: nr + 6 args + sp + pc (9 columns); outside a syscall: "-1 sp pc" (3).
  if (cols.size() != 9 && cols.size() != 3) return 0;
  return std::strtoull(cols[cols.size() - 2].c_str(), nullptr, 0);
}

uint64_t parse_stat_kstkesp(const std::string& text) {
  auto st = parse_stat(text);
  return st ? st->kstkesp : 0;
}

Result<std::vector<ThreadInfo>> read_threads(const ProcSource& proc, int pid) {
  auto tids = proc.list(pid, "task");
  if (!tids) return tids.error();
  std::vector<ThreadInfo> out;
  for (const auto& name : *tids) {
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    ThreadInfo t;
    t.tid = std::atoi(name.c_str());
    const std::string dir = "task/" + name + "/";
    auto comm = proc.read(pid, dir + "comm");
    if (!comm) continue;  // the thread exited between list and read
    t.name = *comm;
    while (!t.name.empty() && (t.name.back() == '\n' || t.name.back() == ' ')) t.name.pop_back();
    if (auto sc = proc.read(pid, dir + "syscall")) {
      t.sp = parse_syscall_sp(*sc);
      if (t.sp) t.sp_source = "syscall";
    }
    if (!t.sp) {
      if (auto st = proc.read(pid, dir + "stat")) {
        t.sp = parse_stat_kstkesp(*st);
        if (t.sp) t.sp_source = "stat";
      }
    }
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const ThreadInfo& a, const ThreadInfo& b) { return a.tid < b.tid; });
  return out;
}

}  // namespace memgap::collect
