#include "collect/proc_stat.h"

#include <signal.h>

#include <cerrno>
#include <sstream>
#include <vector>

namespace memgap::collect {

std::optional<ProcStat> parse_stat(const std::string& text) {
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(close + 1));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string w; f.size() < 27 && in >> w;) f.push_back(std::move(w));
  if (f.size() < 7 || f[0].size() != 1) return std::nullopt;
  auto num = [&](size_t field) -> uint64_t {
    return field - 3 < f.size() ? std::strtoull(f[field - 3].c_str(), nullptr, 10) : 0;
  };
  ProcStat s;
  s.state = f[0][0];
  s.flags = static_cast<unsigned long>(num(9));
  s.utime = num(14);
  s.stime = num(15);
  s.kstkesp = num(29);
  return s;
}

bool process_alive(const ProcSource& proc, int pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  auto text = proc.read(pid, "stat");
  if (!text) return false;
  auto st = parse_stat(*text);
  return !st || (st->state != 'Z' && st->state != 'X');
}

}  // namespace memgap::collect
