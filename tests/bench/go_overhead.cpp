// Go overhead benchmark (issue 8): CPU ns per allocation of an allocation-heavy Go
// workload, alone and under `memgap attach` in its Go modes. Prints the slowdown; asserts
// nothing. Run as root:
//
//   build/tests/bench/memgap_go_overhead_bench [PAIRS]     (default 12 pairs per mode)
//
// How it keeps the VM's noise out of a figure meant to be under 2%:
//   - CPU time, not wall time: probe traps are charged to the target as system time, and
//     CPU time hardly moves when neighbours take the shared cores.
//   - The target runs with GOMAXPROCS=1 pinned to CPU 1 and memgap pinned to CPU 0, so
//     memgap's own work (reading the target's memory) does not share the target's core
//     and the GC's parallel workers do not make a round's CPU time depend on scheduling.
//   - Paired blocks: a block of rounds alone next to a block of rounds attached, in
//     alternating order; the slowdown of each pair is computed from its two medians and
//     the figure reported is the median of the pairs, with their interquartile range.
#include <sched.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../runtime/harness.h"

using memgap::test::Child;

namespace {

constexpr int kTimeout = 120000;
constexpr long kOps = 1'000'000;
constexpr int kRoundsPerBlock = 3;

double round_ns(Child& bench) {
  bench.send("go " + std::to_string(kOps));
  if (!bench.wait_for("cpu_ns_per_op ", kTimeout)) return -1;
  if (!bench.wait_for("\n", kTimeout)) return -1;
  const std::string& out = bench.out();
  return std::stod(out.substr(out.rfind("cpu_ns_per_op ") + 14));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double block(Child& bench) {
  std::vector<double> r;
  for (int i = 0; i < kRoundsPerBlock; ++i) r.push_back(round_ns(bench));
  return median(r);
}

struct Figures {
  bool attached = false;
  std::string error;
  std::vector<double> alone, with, slowdown;  // per pair
  uint64_t hits = 0;
};

Figures compare(Child& bench, const std::vector<std::string>& extra, int pairs) {
  Figures f;
  for (int p = 0; p < pairs; ++p) {
    // Alone before attached in even pairs, after it in odd ones: a drift in the
    // neighbours' load biases neither side.
    double alone = p % 2 == 0 ? block(bench) : 0;
    std::vector<std::string> argv{"/usr/bin/taskset", "-c", "0", MEMGAP_BIN, "attach", std::to_string(bench.pid()),
                                  "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Child memgap(argv);
    if (!memgap.wait_for("Attached", kTimeout, true)) {
      f.error = memgap.err();
      return f;
    }
    usleep(500000);  // memgap's start-up reads are over: the window is what is measured
    double with = block(bench);
    kill(memgap.pid(), SIGINT);
    memgap.wait_exit(kTimeout);
    if (p % 2 == 1) alone = block(bench);
    f.alone.push_back(alone);
    f.with.push_back(with);
    f.slowdown.push_back(100.0 * (with - alone) / alone);
    const std::string& out = memgap.out();
    size_t at = out.find("\"probe_hits\":");
    if (at != std::string::npos) f.hits += std::stoull(out.substr(at + 13));
  }
  f.attached = true;
  return f;
}

double quartile(std::vector<double> v, int q) {
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) * q / 4];
}

}  // namespace

int main(int argc, char** argv) {
  int pairs = argc > 1 ? std::max(2, std::atoi(argv[1])) : 12;
  setenv("GOMAXPROCS", "1", 1);
  Child bench({"/usr/bin/taskset", "-c", "1", std::string(MEMGAP_TARGETS_DIR) + "/go_allocbench"});
  if (!bench.wait_for("ready", kTimeout)) {
    std::fprintf(stderr, "bench target did not start (is util-linux's taskset installed?)\n");
    return 1;
  }
  bench.send("profile");  // the runtime's sampling is on, as in a service with pprof
  if (!bench.wait_for("profiled", kTimeout)) return 1;
  for (int i = 0; i < 3; ++i) round_ns(bench);  // warm up: heap grown, caches filled
  std::printf("%-34s %8s %8s %9s %16s %11s\n", "configuration", "alone", "attached", "slowdown", "IQR of pairs",
              "probe hits");
  std::fflush(stdout);
  // --no-probes is the control: the same memgap process and loop without any Go probe or
  // profile read, so what it shows is the machine's noise plus memgap's own presence.
  struct Mode {
    std::vector<std::string> extra;
    int pairs;
  };
  for (const Mode& m : {Mode{{"--no-probes"}, pairs}, Mode{{}, pairs}, Mode{{"--go-maps"}, std::max(2, pairs / 2)},
                        Mode{{"--go-probe", "mallocgc"}, std::max(2, pairs / 4)}}) {
    std::string name = "memgap attach";
    for (const auto& e : m.extra) name += " " + e;
    Figures f = compare(bench, m.extra, m.pairs);
    if (!f.attached) {
      std::printf("%-34s did not attach: %s", name.c_str(), f.error.c_str());
      continue;
    }
    std::printf("%-34s %8.2f %8.2f %8.2f%% %7.2f..%5.2f%% %11llu   (%d pairs)\n", name.c_str(), median(f.alone),
                median(f.with), median(f.slowdown), quartile(f.slowdown, 1), quartile(f.slowdown, 3),
                static_cast<unsigned long long>(f.hits), m.pairs);
    std::fflush(stdout);
  }
  std::printf("(CPU ns per allocation: the target's user+system time, GOMAXPROCS=1 on CPU 1, memgap on CPU 0;\n"
              " each pair is %d rounds of %ld allocations alone and %d attached; slowdown = median over pairs)\n",
              kRoundsPerBlock, kOps, kRoundsPerBlock);
  return 0;
}
