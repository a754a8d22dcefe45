// Go overhead benchmark (issues 8, 13): CPU ns per allocation of an allocation-heavy Go
// workload under `memgap attach` in its Go modes, against an identical workload running
// at the same moment without memgap, for each Go release given (default go1.19 and
// go1.26: the workload built by that toolchain). Prints the slowdown and the extra CPU ns
// per allocation; asserts nothing. Run as root:
//
//   build/tests/bench/memgap_go_overhead_bench [PAIRS [RELEASE...]]   (default 12 pairs per mode)
//
// Why twins: on this VM the CPU time of the same round moves by 5-10% from one minute to
// the next (the host's load, not visible as steal time), which drowns a 2% effect when
// rounds alone and attached run one after the other. Two copies of the workload, each
// with GOMAXPROCS=1 and pinned to its own CPU, run every round simultaneously, so both
// see the same host. memgap attaches to one twin; the ratio of its CPU time to the
// other's is (slowdown) x (CPU asymmetry). Attaching to each twin in turn cancels the
// asymmetry: slowdown = sqrt(median ratio with A attached x median ratio with B attached).
// CPU time (user + system) is what the target pays: probe traps are charged to it.
#include <algorithm>
#include <cmath>
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
constexpr int kRoundsPerPair = 3;

double read_round(Child& bench) {
  if (!bench.wait_for("cpu_ns_per_op ", kTimeout)) return -1;
  if (!bench.wait_for("\n", kTimeout)) return -1;
  const std::string& out = bench.out();
  return std::stod(out.substr(out.rfind("cpu_ns_per_op ") + 14));
}

// One round on both twins at once: {ns per op of a, of b}.
std::pair<double, double> twin_round(Child& a, Child& b) {
  a.send("go " + std::to_string(kOps));
  b.send("go " + std::to_string(kOps));
  double x = read_round(a);
  double y = read_round(b);
  return {x, y};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Figures {
  bool attached = false;
  std::string error;
  std::vector<double> ratio[2];  // attached twin / other twin, with twin 0 or 1 attached
  std::vector<double> ns_attached, ns_other;
  uint64_t hits = 0;
};

Figures compare(Child* twins[2], const std::vector<std::string>& extra, int pairs) {
  Figures f;
  for (int p = 0; p < pairs; ++p) {
    for (int t = 0; t < 2; ++t) {
      Child& target = *twins[t];
      // No options at all: memgap is not started (the bench's own bias, expected 0).
      bool none = extra.empty() || extra[0] != "attach";
      std::vector<std::string> argv{none ? "/bin/sleep" : MEMGAP_BIN};
      if (none) argv.push_back("1000");
      else {
        argv.insert(argv.end(), {"attach", std::to_string(target.pid()), "--json"});
        argv.insert(argv.end(), extra.begin() + 1, extra.end());
      }
      Child memgap(argv);
      if (!none && !memgap.wait_for("Attached", kTimeout, true)) {
        f.error = memgap.err();
        return f;
      }
      usleep(500000);  // memgap's start-up reads are over: the window is what is measured
      for (int r = 0; r < kRoundsPerPair; ++r) {
        auto [a, b] = twin_round(*twins[0], *twins[1]);
        double mine = t == 0 ? a : b, other = t == 0 ? b : a;
        f.ratio[t].push_back(mine / other);
        f.ns_attached.push_back(mine);
        f.ns_other.push_back(other);
      }
      kill(memgap.pid(), SIGINT);
      memgap.wait_exit(kTimeout);
      const std::string& out = memgap.out();
      size_t at = out.find("\"probe_hits\":");
      if (at != std::string::npos) f.hits += std::stoull(out.substr(at + 13));
    }
  }
  f.attached = true;
  return f;
}

// The slowdown with the twins' asymmetry cancelled, in percent.
double slowdown(const std::vector<double>& with_a, const std::vector<double>& with_b) {
  return 100.0 * (std::sqrt(median(with_a) * median(with_b)) - 1.0);
}

// One release's table; false when its workload did not start.
bool run_release(const std::string& release, int pairs) {
  std::string exe = std::string(MEMGAP_TARGETS_DIR) + "/" + release + "/go_allocbench";
  Child a({"/usr/bin/taskset", "-c", "0", exe});
  Child b({"/usr/bin/taskset", "-c", "1", exe});
  Child* twins[2] = {&a, &b};
  for (Child* t : twins) {
    if (!t->wait_for("ready", kTimeout)) {
      std::fprintf(stderr, "%s did not start (is util-linux's taskset installed?)\n", exe.c_str());
      return false;
    }
    t->send("profile");  // the runtime's sampling is on, as in a service with pprof
    if (!t->wait_for("profiled", kTimeout)) return false;
  }
  for (int i = 0; i < 3; ++i) twin_round(a, b);  // warm up: heaps grown, caches filled
  std::printf("\n%s (%s)\n", release.c_str(), exe.c_str());
  std::printf("%-34s %9s %9s %9s %13s %10s %11s\n", "configuration", "attached", "twin", "slowdown", "half-splits",
              "+ns/alloc", "probe hits");
  std::fflush(stdout);
  // Controls: no memgap at all (what the method itself shows), and memgap attached
  // without any Go probe or profile read (--no-probes).
  struct Mode {
    std::vector<std::string> extra;
    int pairs;
  };
  for (const Mode& m : {Mode{{}, pairs}, Mode{{"attach", "--no-probes"}, pairs}, Mode{{"attach"}, pairs},
                        Mode{{"attach", "--go-maps"}, std::max(2, pairs / 2)},
                        Mode{{"attach", "--go-probe", "mallocgc"}, std::max(2, pairs / 4)}}) {
    std::string name = m.extra.empty() ? "no memgap (the bench's bias)" : "memgap";
    for (const auto& e : m.extra) name += " " + e;
    Figures f = compare(twins, m.extra, m.pairs);
    if (!f.attached) {
      std::printf("%-34s did not attach: %s", name.c_str(), f.error.c_str());
      continue;
    }
    // The same estimate from the first and the second half of the pairs: how far apart
    // they are shows the figure's resolution on this machine.
    size_t h = f.ratio[0].size() / 2;
    auto half = [&](size_t from, size_t to) {
      return slowdown({f.ratio[0].begin() + from, f.ratio[0].begin() + to},
                      {f.ratio[1].begin() + from, f.ratio[1].begin() + to});
    };
    double pct = slowdown(f.ratio[0], f.ratio[1]);
    std::printf("%-34s %9.2f %9.2f %8.2f%% %5.2f/%5.2f%% %10.1f %11llu   (%d pairs)\n", name.c_str(),
                median(f.ns_attached), median(f.ns_other), pct, half(0, h), half(h, f.ratio[0].size()),
                pct / 100.0 * median(f.ns_other), static_cast<unsigned long long>(f.hits), m.pairs);
    std::fflush(stdout);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int pairs = argc > 1 ? std::max(2, std::atoi(argv[1])) : 12;
  std::vector<std::string> releases(argv + std::min(argc, 2), argv + argc);
  if (releases.empty()) releases = {"go1.19", "go1.26"};
  setenv("GOMAXPROCS", "1", 1);
  bool ok = true;
  for (const auto& r : releases) ok = run_release(r, pairs) && ok;
  std::printf("(CPU ns per allocation, user+system time; twins with GOMAXPROCS=1 pinned to CPUs 0 and 1 run each round\n"
              " of %ld allocations together; %d rounds per attach, each twin attached in turn; slowdown is\n"
              " sqrt(median ratio with twin A attached x median ratio with twin B attached) - 1)\n",
              kOps, kRoundsPerPair);
  return ok ? 0 : 1;
}
