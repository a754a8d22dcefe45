// Go overhead benchmark (issue 8): ns per allocation of an allocation-heavy Go workload,
// alone and under `memgap attach` in its default Go mode (the runtime's own sampling,
// read from memory). Prints the slowdown; asserts nothing. `--go-probe mallocgc` is
// measured too when memgap accepts it. Run as root: build/tests/bench/memgap_go_overhead_bench
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "../runtime/harness.h"

using memgap::test::Child;

namespace {

constexpr int kTimeout = 120000;
constexpr long kOps = 1'000'000;

double round_ns(Child& bench) {
  bench.send("go " + std::to_string(kOps));
  // CPU time per allocation: the probe traps are charged to the target as system time,
  // and unlike wall time it hardly moves when neighbours load the shared cores.
  if (!bench.wait_for("cpu_ns_per_op ", kTimeout)) return -1;
  if (!bench.wait_for("\n", kTimeout)) return -1;
  const std::string& out = bench.out();
  return std::stod(out.substr(out.rfind("cpu_ns_per_op ") + 14));
}

// One memgap configuration against the workload alone, interleaved: `pairs` times a
// block of rounds alone then a block under memgap, so the neighbours' load (2 shared
// cores) hits both sides alike. Returns {alone median, attached median}; attached < 0
// when memgap could not attach.
std::pair<double, double> compare(Child& bench, const std::vector<std::string>& extra, int pairs, std::string& err,
                                  uint64_t& hits) {
  std::vector<double> alone, attached;
  for (int p = 0; p < pairs; ++p) {
    // Alone before attached in even pairs, after it in odd ones: a drift in the
    // neighbours' load over the run then biases neither side.
    if (p % 2 == 0)
      for (int i = 0; i < 3; ++i) alone.push_back(round_ns(bench));
    std::vector<std::string> argv{MEMGAP_BIN, "attach", std::to_string(bench.pid()), "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Child memgap(argv);
    if (!memgap.wait_for("Attached", kTimeout, true)) {
      err = memgap.err();
      return {0, -1};
    }
    usleep(500000);  // let memgap's start-up reads finish: the window is what is measured
    for (int i = 0; i < 3; ++i) attached.push_back(round_ns(bench));
    kill(memgap.pid(), SIGINT);
    memgap.wait_exit(kTimeout);
    if (p % 2 == 1)
      for (int i = 0; i < 3; ++i) alone.push_back(round_ns(bench));
    // Probe hits in the window, from the snapshot's meta.
    const std::string& out = memgap.out();
    size_t at = out.find("\"probe_hits\":");
    if (at != std::string::npos) hits += std::stoull(out.substr(at + 13));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {median(alone), median(attached)};
}

}  // namespace

int main() {
  Child bench({std::string(MEMGAP_TARGETS_DIR) + "/go_allocbench"});
  if (!bench.wait_for("ready", kTimeout)) {
    std::fprintf(stderr, "bench target did not start\n");
    return 1;
  }
  bench.send("profile");  // the runtime's sampling is on, as in a service with pprof
  if (!bench.wait_for("profiled", kTimeout)) return 1;
  for (int i = 0; i < 3; ++i) round_ns(bench);  // warm up: heap grown, caches filled
  std::printf("%-36s %9s %9s %9s %11s\n", "configuration", "alone", "attached", "slowdown", "probe hits");
  // --no-probes is the control: the same memgap process and loop without any Go probe or
  // profile read, so what it shows is the machine's noise plus memgap's own CPU use.
  for (std::vector<std::string> extra :
       {std::vector<std::string>{"--no-probes"}, {}, {"--go-maps"}, {"--go-probe", "mallocgc"}}) {
    std::string name = "memgap attach";
    for (const auto& e : extra) name += " " + e;
    std::string err;
    uint64_t hits = 0;
    auto [alone, attached] = compare(bench, extra, 6, err, hits);
    if (attached < 0) {
      std::printf("%-40s did not attach: %s", name.c_str(), err.c_str());
      continue;
    }
    std::printf("%-36s %9.2f %9.2f %8.2f%% %11llu\n", name.c_str(), alone, attached, 100.0 * (attached - alone) / alone,
                static_cast<unsigned long long>(hits));
  }
  std::printf("(CPU ns per allocation, target's user+system time; medians of 18 rounds of %ld allocations each side)\n",
              kOps);
  return 0;
}
