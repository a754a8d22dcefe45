#include "collect/maps.h"

#include <cstdlib>
#include <sstream>

namespace memgap::collect {

std::vector<Mapping> parse_maps(const std::string& text) {
  std::vector<Mapping> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // start-end perms offset dev inode   path (path may contain spaces)
    Mapping m;
    const char* p = line.c_str();
    char* e = nullptr;
    m.start = std::strtoull(p, &e, 16);
    if (*e != '-') continue;
    m.end = std::strtoull(e + 1, &e, 16);
    std::istringstream fields(e);
    std::string offset_hex;
    fields >> m.perms >> offset_hex >> m.dev >> m.inode;
    if (!fields) continue;
    m.offset = std::strtoull(offset_hex.c_str(), nullptr, 16);
    std::string rest;
    std::getline(fields, rest);
    size_t b = rest.find_first_not_of(' ');
    m.path = b == std::string::npos ? "" : rest.substr(b);
    const std::string del = " (deleted)";
    if (m.path.size() > del.size() && m.path.compare(m.path.size() - del.size(), del.size(), del) == 0) {
      m.deleted = true;
      m.path.resize(m.path.size() - del.size());
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<Mapping>> read_maps(const ProcSource& proc, int pid) {
  auto text = proc.read(pid, "maps");
  if (!text) return text.error();
  return parse_maps(*text);
}

}  // namespace memgap::collect
