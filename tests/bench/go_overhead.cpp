// Go overhead benchmark (issue 8): ns per allocation of an allocation-heavy Go workload,
// alone and under `memgap attach` in its default Go mode (the runtime's own sampling,
// read from memory). Prints the slowdown; asserts nothing. `--go-probe mallocgc` is
// measured too when memgap accepts it. Run as root: build/tests/bench/memgap_go_overhead_bench
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "../runtime/harness.h"

using memgap::test::Child;

namespace {

constexpr int kTimeout = 120000;
constexpr long kOps = 4'000'000;

double round_ns(Child& bench) {
  bench.send("go " + std::to_string(kOps));
  if (!bench.wait_for("ns_per_op ", kTimeout)) return -1;
  if (!bench.wait_for("\n", kTimeout)) return -1;
  const std::string& out = bench.out();
  return std::stod(out.substr(out.rfind("ns_per_op ") + 10));
}

// Median of rounds, alternating nothing else: the VM's neighbours make rounds noisy.
double measure(Child& bench, int rounds = 7) {
  std::vector<double> v;
  for (int i = 0; i < rounds; ++i) v.push_back(round_ns(bench));
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  Child bench({std::string(MEMGAP_TARGETS_DIR) + "/go_allocbench"});
  if (!bench.wait_for("ready", kTimeout)) {
    std::fprintf(stderr, "bench target did not start\n");
    return 1;
  }
  round_ns(bench);  // warm up: heap grown, caches filled
  struct Row {
    std::string what;
    double ns;
  };
  std::vector<Row> rows;
  rows.push_back({"alone", measure(bench)});
  for (std::vector<std::string> extra : {std::vector<std::string>{}, {"--go-probe", "mallocgc"}}) {
    std::vector<std::string> argv{MEMGAP_BIN, "attach", std::to_string(bench.pid()), "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string name = "memgap attach";
    for (const auto& e : extra) name += " " + e;
    Child memgap(argv);
    if (!memgap.wait_for("Attached", kTimeout, true)) {
      std::fprintf(stderr, "%s did not attach: %s\n", name.c_str(), memgap.err().c_str());
      continue;
    }
    rows.push_back({name, measure(bench)});
    kill(memgap.pid(), SIGINT);
    memgap.wait_exit(kTimeout);
  }
  rows.push_back({"alone (again)", measure(bench)});
  double base = (rows.front().ns + rows.back().ns) / 2;
  std::printf("%-40s %12s %10s\n", "configuration", "ns/alloc", "slowdown");
  for (const auto& r : rows)
    std::printf("%-40s %12.2f %9.2f%%\n", r.what.c_str(), r.ns, 100.0 * (r.ns - base) / base);
  return 0;
}
