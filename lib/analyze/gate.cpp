#include "analyze/gate.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "analyze/rank.h"

namespace memgap::analyze {

double site_sampling_variance(uint64_t live_bytes, uint64_t live_objects, uint64_t sample_bytes) {
  if (live_bytes == 0 || sample_bytes <= 1) return 0;  // exact tracking has no noise
  double b = static_cast<double>(live_bytes);
  double n = std::max<double>(1.0, static_cast<double>(live_objects));
  double s = b / n;
  double p = -std::expm1(-s / static_cast<double>(sample_bytes));  // 1 - exp(-s/R), accurately
  if (p <= 0) return b * static_cast<double>(sample_bytes);
  return b * s * (1.0 - p) / p;
}

LeakKindsParse parse_leak_kinds(const std::string& text) {
  LeakKindsParse p;
  p.set = {false, false, false};
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string k = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (k == "direct" || k == "definite") p.set.direct = true;
    else if (k == "indirect") p.set.indirect = true;
    else if (k == "reachable") p.set.reachable = true;
    else if (k == "all") p.set = {true, true, true};
    else {
      p.error = "unknown leak kind '" + k + "' (direct, indirect, reachable, all)";
      return p;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return p;
}

std::vector<std::string> leak_kind_names(const LeakKindSet& k) {
  std::vector<std::string> n;
  if (k.direct) n.push_back("direct");
  if (k.indirect) n.push_back("indirect");
  if (k.reachable) n.push_back("reachable");
  return n;
}

Counted counted_leak(const model::Site& site, const LeakKindSet& kinds) {
  if (!site.leak_kinds) return {site.live_bytes, site.live_objects};
  const model::LeakKinds& k = *site.leak_kinds;
  Counted c;
  if (kinds.direct) c.bytes += k.direct_bytes, c.objects += k.direct_objects;
  if (kinds.indirect) c.bytes += k.indirect_bytes, c.objects += k.indirect_objects;
  if (kinds.reachable) c.bytes += k.reachable_bytes, c.objects += k.reachable_objects;
  return c;
}

bool is_ignored_at_exit(const model::GoroutineGroup& g) {
  // By start function, which names the goroutine whatever created it (os/signal's loop
  // is started from a closure whose name changes across releases).
  return g.start == "runtime.main" || g.start == "os/signal.loop";
}

model::Frame creation_frame(const model::GoroutineGroup& g) {
  model::Frame f;
  const std::string& c = g.created_by;
  auto at = c.rfind(" at ");
  if (at == std::string::npos) {
    f.function = c;
    return f;
  }
  f.function = c.substr(0, at);
  std::string where = c.substr(at + 4);
  auto colon = where.rfind(':');
  f.file = where.substr(0, colon);  // the whole of it when there is no line
  if (colon != std::string::npos) f.line = std::atoi(where.c_str() + colon + 1);
  return f;
}

namespace {

// The goroutine half of evaluate_gate.
void evaluate_goroutines(const model::Snapshot& snapshot, const GateOptions& options, GateResult& r) {
  if (!snapshot.go) {
    r.goroutines_undecided = options.max_goroutines.has_value();
    return;
  }
  r.goroutines_counted = true;
  for (const auto& g : snapshot.go->goroutine_groups) {
    if (is_ignored_at_exit(g)) {
      r.ignored_goroutines += g.count;
      r.goroutine_verdicts.push_back("ignored");
      continue;
    }
    if (options.suppressions) {
      // Matched as an allocation site would be: the creating frame, then the function
      // the goroutine runs. No module: every frame of a Go program is in the one binary.
      model::Site as_site;
      as_site.frames.push_back(creation_frame(g));
      model::Frame start;
      start.function = g.start;
      as_site.frames.push_back(start);
      if (const std::string* pattern = options.suppressions->match(as_site)) {
        r.suppressed_goroutines += g.count;
        r.goroutines_suppressed.push_back({g, *pattern});
        r.goroutine_verdicts.push_back("suppressed");
        continue;
      }
    }
    r.leaked_goroutines += g.count;
    r.goroutine_leaks.push_back(g);
    r.goroutine_verdicts.push_back("leaked");
  }
  std::stable_sort(r.goroutine_leaks.begin(), r.goroutine_leaks.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  r.goroutines_failed = options.max_goroutines && r.leaked_goroutines > *options.max_goroutines;
}

}  // namespace

GateResult evaluate_gate(const model::Snapshot& snapshot, const GateOptions& options) {
  GateResult r;
  double variance = 0;
  for (const auto& site : snapshot.sites) {
    if (site.live_bytes == 0) continue;
    // With verdicts, a site without one holds anonymous mappings, not heap blocks: not
    // judged (as LSan does not judge them), reported apart.
    if (snapshot.reachability && !site.leak_kinds) {
      r.unjudged_bytes += site.live_bytes;
      continue;
    }
    const Counted c = counted_leak(site, options.kinds);
    if (site.leak_kinds && !options.kinds.reachable) r.reachable_bytes += site.leak_kinds->reachable_bytes;
    if (c.bytes == 0) continue;
    if (options.suppressions) {
      if (const std::string* pattern = options.suppressions->match(site)) {
        r.suppressed_bytes += c.bytes;
        r.suppressed.push_back({site, *pattern});
        continue;
      }
    }
    r.leaked_bytes += c.bytes;
    r.leaked_objects += c.objects;
    variance += site_sampling_variance(c.bytes, c.objects, snapshot.meta.sample_bytes);
    // The gate's list shows what it counted: a site's reachable part is not its leak.
    model::Site leaked = site;
    leaked.live_bytes = c.bytes;
    leaked.live_objects = c.objects;
    r.leaks.push_back(std::move(leaked));
  }
  rank_sites(r.leaks);
  r.noise_bytes = std::sqrt(variance);
  const model::Reachability* reach =
      snapshot.reachability ? &*snapshot.reachability : nullptr;
  if (reach && !reach->exact_bytes) {
    // The heap walk saw every block, so the leaked total E is exact; which of it lies in
    // suppressed sites is known from samples only. E is split in the proportion of the
    // sampled counted bytes outside and inside suppressed sites (a ratio estimator): with
    // nothing suppressed the figure is E itself, exact, and any leaked block fails; with
    // everything suppressed it is 0. The noise left is that of the unsuppressed sites'
    // estimate, scaled like the figure.
    const model::LeakKinds& t = reach->totals;
    const double exact = double((options.kinds.direct ? t.direct_bytes : 0) + (options.kinds.indirect ? t.indirect_bytes : 0) +
                                (options.kinds.reachable ? t.reachable_bytes : 0));
    const double outside = double(r.leaked_bytes), inside = double(r.suppressed_bytes);
    const double share = inside > 0 ? outside / (outside + inside) : 1.0;
    const double scale = outside + inside > 0 ? exact / (outside + inside) : 1.0;
    r.leaked_bytes = static_cast<uint64_t>(exact * share + 0.5);
    r.suppressed_bytes = static_cast<uint64_t>(exact + 0.5) - r.leaked_bytes;
    r.noise_bytes = inside > 0 ? r.noise_bytes * scale : 0;
    r.exact_total = true;
    if (options.max_leak) {
      r.threshold_bytes = *options.max_leak;
      r.heap_failed = r.leaked_bytes > *options.max_leak;
    } else {
      r.threshold_bytes = static_cast<uint64_t>(std::ceil(3.0 * r.noise_bytes));
      r.heap_failed = static_cast<double>(r.leaked_bytes) > 3.0 * r.noise_bytes && r.leaked_bytes > 0;
    }
  } else if (options.max_leak) {
    r.threshold_bytes = *options.max_leak;
    r.heap_failed = r.leaked_bytes > *options.max_leak;
  } else {
    uint64_t interval = std::max<uint64_t>(1, snapshot.meta.sample_bytes);
    double three_se = 3.0 * r.noise_bytes;
    // Reported as the amount the leak must exceed; "at least one interval" is > R-1.
    r.threshold_bytes = std::max(static_cast<uint64_t>(std::ceil(three_se)), interval - 1);
    r.heap_failed = static_cast<double>(r.leaked_bytes) > three_se && r.leaked_bytes >= interval;
  }
  evaluate_goroutines(snapshot, options, r);
  r.failed = r.heap_failed || r.goroutines_failed;
  return r;
}

void record_gate(model::Snapshot& s, const GateResult& g, const GateOptions& options) {
  if (s.run) {
    s.run->leaked_bytes = g.leaked_bytes;
    s.run->suppressed_bytes = g.suppressed_bytes;
    s.run->threshold_bytes = g.threshold_bytes;
    s.run->noise_bytes = static_cast<uint64_t>(g.noise_bytes + 0.5);
    s.run->gate_failed = g.failed;
    s.run->max_goroutines = options.max_goroutines;
    if (g.goroutines_counted) {
      s.run->leaked_goroutines = g.leaked_goroutines;
      s.run->suppressed_goroutines = g.suppressed_goroutines;
    }
  }
  if (s.go && g.goroutine_verdicts.size() == s.go->goroutine_groups.size())
    for (size_t i = 0; i < g.goroutine_verdicts.size(); ++i)
      s.go->goroutine_groups[i].exit_verdict = g.goroutine_verdicts[i];
}

}  // namespace memgap::analyze
