#include "collect/proc_status.h"

#include <cstdlib>
#include <sstream>

namespace memgap::collect {

ProcStatus parse_status(const std::string& text) {
  ProcStatus st;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    size_t b = line.find_first_not_of(" \t", colon + 1);
    std::string value = b == std::string::npos ? "" : line.substr(b);
    if (key == "Name") {
      st.name = value;
    } else if (key == "Tgid") {
      st.tgid = std::atoi(value.c_str());
    } else if (key == "Threads") {
      st.threads = std::atoi(value.c_str());
    } else if (value.size() > 2 && value.compare(value.size() - 2, 2, "kB") == 0) {
      // Only sizes carry the kB unit; everything else (masks, ids) is not needed here.
      st.sizes[key] = std::strtoull(value.c_str(), nullptr, 10) * 1024;
    }
  }
  return st;
}

Result<ProcStatus> read_status(const ProcSource& proc, int pid) {
  auto text = proc.read(pid, "status");
  if (!text) return text.error();
  return parse_status(*text);
}

}  // namespace memgap::collect
