#include "collect/target.h"

#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <sstream>

#include "collect/proc_stat.h"
namespace memgap::collect {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

constexpr unsigned long kPfKthread = 0x00200000;

}  // namespace

std::vector<Module> modules_from_maps(int pid, const std::vector<Mapping>& maps) {
  std::map<std::string, Module> by_path;
  std::vector<std::string> order;
  for (const auto& m : maps) {
    if (!m.is_file() || m.deleted) continue;
    auto [it, inserted] = by_path.try_emplace(m.path);
    Module& mod = it->second;
    if (inserted) {
      order.push_back(m.path);
      mod.path = m.path;
      mod.host_path = "/proc/" + std::to_string(pid) + "/root" + m.path;
      mod.start = m.start;
      mod.end = m.end;
      mod.bias = m.start - m.offset;  // refined by the symbolizer from program headers
    }
    if (m.offset == 0 || m.start < mod.start) mod.bias = m.start - m.offset;
    mod.start = std::min(mod.start, m.start);
    mod.end = std::max(mod.end, m.end);
  }
  std::vector<Module> out;
  for (const auto& p : order) out.push_back(by_path[p]);
  return out;
}

Result<Target> inspect_target(int pid, const ProcSource& proc) {
  if (pid <= 0) return make_error("invalid PID " + std::to_string(pid), "pass the process ID of a running process", ErrorKind::kBadInput);
  if (::kill(pid, 0) != 0 && errno == ESRCH)
    return make_error("no such process: " + std::to_string(pid), "check the PID with 'ps -p " + std::to_string(pid) + "'",
                      ErrorKind::kNoSuchProcess);
  auto stat = proc.read(pid, "stat");
  if (!stat) return make_error("no such process: " + std::to_string(pid), "check the PID with 'ps -p " + std::to_string(pid) + "'",
                      ErrorKind::kNoSuchProcess);
  auto parsed = parse_stat(*stat);
  if (!parsed) return make_error("cannot parse /proc/" + std::to_string(pid) + "/stat", "");
  const ProcStat& st = *parsed;
  if (st.flags & kPfKthread)
    return make_error("PID " + std::to_string(pid) + " is a kernel thread", "memgap attaches to user-space processes only",
                      ErrorKind::kUnsupportedTarget);
  if (st.state == 'Z' || st.state == 'X')
    return make_error("PID " + std::to_string(pid) + " has exited (zombie)", "attach to a running process",
                      ErrorKind::kNoSuchProcess);

  Target t;
  t.pid = pid;
  if (auto comm = proc.read(pid, "comm")) t.comm = trim(*comm);
  char buf[4096];
  std::string exe_link = "/proc/" + std::to_string(pid) + "/exe";
  ssize_t n = ::readlink(exe_link.c_str(), buf, sizeof buf - 1);
  if (n < 0) {
    if (errno == EACCES || errno == EPERM)
      return make_error("permission denied inspecting PID " + std::to_string(pid), "run as root or grant CAP_BPF,CAP_PERFMON,CAP_SYS_PTRACE",
                      ErrorKind::kPermission);
    return make_error("PID " + std::to_string(pid) + " has no executable", "memgap attaches to user-space processes only",
                      ErrorKind::kUnsupportedTarget);
  }
  t.exe = std::string(buf, static_cast<size_t>(n));
  const std::string del = " (deleted)";
  if (t.exe.size() > del.size() && t.exe.ends_with(del)) t.exe.resize(t.exe.size() - del.size());

  auto maps = read_maps(proc, pid);
  if (!maps) return maps.error();
  t.mappings = std::move(*maps);
  if (t.mappings.empty())
    return make_error("PID " + std::to_string(pid) + " has no memory mappings", "it is a kernel thread or has exited",
                      ErrorKind::kUnsupportedTarget);
  t.modules = modules_from_maps(pid, t.mappings);
  // Executable first: symbol resolution order starts there.
  std::stable_partition(t.modules.begin(), t.modules.end(), [&](const Module& m) { return m.path == t.exe; });
  return t;
}

Status check_bpf_privileges() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return Ok{};  // cannot tell; let the load fail clearly
  auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
  constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
  if (has(kCapSysAdmin) || (has(kCapBpf) && has(kCapPerfmon))) return Ok{};
  return make_error("insufficient privileges to load BPF programs", "run as root or grant CAP_BPF,CAP_PERFMON (e.g. sudo memgap ...)",
                      ErrorKind::kPermission);
}

}  // namespace memgap::collect
