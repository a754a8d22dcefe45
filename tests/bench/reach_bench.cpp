// The reachability scan's speed: a target holding a heap of known size (reach_heap:
// every block reachable through one list, so the mark reads all of it) is scanned live
// the way `memgap attach --reachability` does it, and the figures printed: the pause
// (how long the target was held), GiB of memory scanned per second, blocks. Then the
// real command's pause on a 100 MiB heap, as it reports it. Prints; asserts nothing.
//   build/tests/bench/memgap_reach_bench [MIB ...]   (root; default 100 1024)
#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "../runtime/harness.h"
#include "collect/proc_source.h"
#include "collect/sampler.h"
#include "pipeline/exit_reachability.h"

using memgap::test::Child;

namespace {
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(argv[i]);
  if (sizes.empty()) sizes = {"100", "1024"};
  memgap::collect::RealProcSource proc;
  // Wall-clock pause (what the target feels) and the scan's own CPU time (user + system
  // of this thread, process_vm_readv included): the second does not move with the load
  // of a shared machine.
  std::printf("%8s %8s %10s %10s %10s %9s %9s %9s\n", "heap", "block", "blocks", "pause_ms", "scanned", "GiB/s",
              "cpu_ms", "GiB/cpu-s");
  for (const auto& mib : sizes) {
    for (const char* block : {"4096", "64"}) {
      Child t({BENCH_HEAP_TARGET, mib, block});
      if (!t.wait_for("ready", 600000)) {
        std::fprintf(stderr, "target did not start\n");
        return 1;
      }
      memgap::collect::Sampler none(512 * 1024);
      auto t0 = std::chrono::steady_clock::now();
      const double cpu0 = thread_cpu_ms();
      auto scan = memgap::pipeline::scan_live(t.pid(), proc, "glibc", none, std::chrono::milliseconds(60000));
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = thread_cpu_ms() - cpu0;
      if (!scan) {
        std::fprintf(stderr, "scan failed: %s\n", scan.error().message.c_str());
        return 1;
      }
      const auto& s = scan->summary;
      double gib = double(s.heap_bytes + s.root_bytes) / double(1ull << 30);
      std::printf("%7sM %8s %10llu %10.1f %9.2fG %9.2f %9.1f %9.2f   (call %.1f ms; reachable %llu blocks)\n",
                  mib.c_str(), block, static_cast<unsigned long long>(s.blocks), s.pause_ms, gib,
                  gib / (s.pause_ms / 1000), cpu, gib / (cpu / 1000), ms,
                  static_cast<unsigned long long>(s.totals.reachable_objects));
      t.close_stdin();
      t.wait_exit(60000);
    }
  }
  // The command as a user runs it, on 100 MiB: the pause it reports.
  Child t({BENCH_HEAP_TARGET, "100", "4096"});
  if (!t.wait_for("ready", 60000)) return 1;
  Child m({MEMGAP_BIN, "attach", std::to_string(t.pid()), "-d", "1s", "--no-probes", "--reachability"});
  m.wait_exit(120000);
  auto at = m.out().find("target held");
  std::printf("memgap attach --no-probes --reachability on 100 MiB: %s\n",
              at == std::string::npos ? "no figure (see its output)" : m.out().substr(at, m.out().find('\n', at) - at).c_str());
  return 0;
}
