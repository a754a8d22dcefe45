// Overhead benchmark: ns per malloc+free pair in one target process, unprobed, under
// memgap at the default rate, under memgap --sample-bytes 1, and under a memleak-style
// bpftrace script (uprobe + uretprobe on malloc with a user stack on every call, uprobe
// on free) — the tool a user would otherwise reach for. Prints a table; asserts nothing.
// Run as root: build/tests/bench/memgap_overhead_bench
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "../runtime/harness.h"

using memgap::test::Child;

namespace {

constexpr int kTimeout = 120000;

double round_ns(Child& bench, long pairs) {
  bench.send("go " + std::to_string(pairs));
  if (!bench.wait_for("ns_per_pair ", kTimeout)) return -1;
  if (!bench.wait_for("\n", kTimeout)) return -1;
  const std::string& out = bench.out();
  size_t at = out.rfind("ns_per_pair ");
  return std::stod(out.substr(at + 12));
}

// Median of rounds: the VM's neighbours make single rounds noisy.
double measure(Child& bench, long pairs, int rounds = 3) {
  std::vector<double> v;
  for (int i = 0; i < rounds; ++i) v.push_back(round_ns(bench, pairs));
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string libc_path() { return "/usr/lib/x86_64-linux-gnu/libc.so.6"; }

}  // namespace

int main() {
  Child bench({BENCH_TARGET});
  if (!bench.wait_for("ready", kTimeout)) {
    std::fprintf(stderr, "bench target did not start\n");
    return 1;
  }
  struct Row {
    std::string what;
    double ns;
  };
  std::vector<Row> rows;
  rows.push_back({"unprobed", measure(bench, 5'000'000)});

  for (const char* rate : {"512KiB", "1"}) {
    Child memgap({MEMGAP_BIN, "attach", std::to_string(bench.pid()), "--sample-bytes", rate, "--json"});
    if (!memgap.wait_for("Attached", kTimeout, true)) {
      std::fprintf(stderr, "memgap did not attach: %s\n", memgap.err().c_str());
      return 1;
    }
    rows.push_back({std::string("memgap attach --sample-bytes ") + rate, measure(bench, 100'000)});
    kill(memgap.pid(), SIGINT);
    memgap.wait_exit(kTimeout);
  }

  // memleak-style reference: what bcc's memleak / a bpftrace one-liner does per call.
  std::string lib = libc_path();
  std::string script = "uprobe:" + lib + ":malloc { @size[tid] = arg0; @stk[tid] = ustack; }\n" +
                       "uretprobe:" + lib + ":malloc /@size[tid]/ { @live[retval] = @size[tid]; " +
                       "@where[retval] = @stk[tid]; delete(@size[tid]); delete(@stk[tid]); }\n" +
                       "uprobe:" + lib + ":free { delete(@live[arg0]); delete(@where[arg0]); }\n" +
                       "BEGIN { printf(\"bpftrace-ready\\n\"); }\n";
  Child bpftrace({"/usr/bin/bpftrace", "-p", std::to_string(bench.pid()), "-e", script});
  if (bpftrace.wait_for("bpftrace-ready", kTimeout)) {
    rows.push_back({"bpftrace memleak-style (reference)", measure(bench, 100'000)});
    kill(bpftrace.pid(), SIGINT);
    bpftrace.wait_exit(kTimeout);
  } else {
    std::fprintf(stderr, "bpftrace did not start (is it installed?): %s\n", bpftrace.err().c_str());
  }

  double base = rows[0].ns;
  std::printf("%-40s %12s %14s\n", "configuration", "ns/pair", "added ns/pair");
  for (const auto& r : rows) std::printf("%-40s %12.1f %14.1f\n", r.what.c_str(), r.ns, r.ns - base);
  if (rows.size() == 4 && rows[3].ns > base)
    std::printf("memgap default-rate added cost / reference added cost = %.2f\n",
                (rows[1].ns - base) / (rows[3].ns - base));
  return 0;
}
