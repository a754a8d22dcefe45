#include "model/top_json.h"

#include <nlohmann/json.hpp>

namespace memgap::model {

std::string to_json(const TopFrame& f) {
  nlohmann::json procs = nlohmann::json::array();
  for (const auto& p : f.processes) {
    nlohmann::json split = {{"detailed", p.split.detailed}, {"rss", p.split.rss},
                            {"heap", p.split.heap},         {"stacks", p.split.stacks},
                            {"go_heap", p.split.go_heap},   {"go_idle", p.split.go_idle},
                            {"go_meta", p.split.go_meta},   {"file", p.split.file},
                            {"other", p.split.other},       {"age_ms", p.split.age_ms}};
    procs.push_back({{"pid", p.pid},
                     {"comm", p.comm},
                     {"threads", p.threads},
                     {"rss", p.rss},
                     {"growth_bytes_per_min", p.growth_bytes_per_min},
                     {"growth_window_ms", p.growth_window_ms},
                     {"go", p.go},
                     {"split", std::move(split)}});
  }
  nlohmann::json j = {{"schema", f.schema},
                      {"iteration", f.iteration},
                      {"unix_ms", f.unix_ms},
                      {"interval_ms", f.interval_ms},
                      {"sort", f.sort},
                      {"filter", f.filter},
                      {"processes_total", f.processes_total},
                      {"rss_total", f.rss_total},
                      {"refresh_cpu_ms", f.refresh_cpu_ms},
                      {"processes", std::move(procs)}};
  // Comm names are arbitrary bytes; replace what is not UTF-8 instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace memgap::model
