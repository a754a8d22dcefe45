// `memgap top` (no PID) on a machine with many processes: spawns sleepers until the
// machine has at least 500 user processes, then measures (1) the library's refresh
// (pipeline::MachineTop) — CPU and wall time per refresh, first and steady state — and
// (2) the real command, `memgap top -b -d 2 -n N > /dev/null`, by its rusage: CPU as a
// share of one core over its run. Prints figures; asserts nothing.
//   build/tests/bench/memgap_top_bench [PROCESSES] [REFRESHES]
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "../runtime/harness.h"
#include "collect/proc_brief.h"
#include "pipeline/top_model.h"
#include "util/cpu_time.h"

using memgap::test::Child;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  const size_t want = argc > 1 ? std::stoul(argv[1]) : 500;
  const int refreshes = argc > 2 ? std::stoi(argv[2]) : 10;
  memgap::collect::RealProcSource proc;
  const size_t had = memgap::collect::read_briefs(proc).size();
  std::vector<std::unique_ptr<Child>> sleepers;
  for (size_t n = had; n < want; ++n) sleepers.push_back(std::make_unique<Child>(std::vector<std::string>{"/bin/sleep", "600"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let them exec
  const size_t total = memgap::collect::read_briefs(proc).size();
  std::printf("user processes: %zu (%zu sleepers spawned)\n", total, sleepers.size());

  // (1) The library's refresh, as the TUI drives it every 2 s (run back to back here).
  memgap::pipeline::MachineTopOptions opt;
  memgap::pipeline::MachineTop top(proc, opt);
  const double t0 = now_ms();
  double steady_cpu = 0, steady_wall = 0, first_cpu = 0, first_wall = 0, max_cpu = 0;
  for (int i = 0; i < refreshes; ++i) {
    const double c = memgap::own_cpu_ms(), w = now_ms();
    auto f = top.refresh(static_cast<uint64_t>(w - t0));
    const double dc = memgap::own_cpu_ms() - c, dw = now_ms() - w;
    if (i == 0) first_cpu = dc, first_wall = dw;
    else steady_cpu += dc, steady_wall += dw, max_cpu = std::max(max_cpu, dc);
    std::printf("refresh %2d: %4zu rows  cpu %6.2f ms  wall %6.2f ms\n", i + 1, f.processes.size(), dc, dw);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double n = refreshes > 1 ? refreshes - 1 : 1;
  std::printf("\nMachineTop::refresh, %zu processes: first %.1f ms CPU (%.1f ms wall); steady %.1f ms CPU (%.1f ms wall), "
              "max %.1f ms\n",
              total, first_cpu, first_wall, steady_cpu / n, steady_wall / n, max_cpu);
  std::printf("  at -d 2: %.2f%% of one core steady, %.2f%% worst refresh\n", steady_cpu / n / 2000 * 100,
              max_cpu / 2000 * 100);

  // The full split of one process (smaps + gap model), which the budget bounds: a
  // sleeper and the machine's largest process.
  {
    auto briefs = memgap::collect::read_briefs(proc);
    auto largest = *std::max_element(briefs.begin(), briefs.end(),
                                     [](const auto& a, const auto& b) { return a.rss < b.rss; });
    const int small = sleepers.empty() ? getpid() : sleepers.front()->pid();
    for (auto [pid, what] : {std::pair<int, std::string>{small, "sleeper"}, {largest.pid, largest.name}}) {
      memgap::pipeline::GoProbe go;
      const double c = memgap::own_cpu_ms(), w = now_ms();
      auto g = memgap::pipeline::process_gap(pid, proc, go, false);
      std::printf("full split of %s (PID %d, RSS %llu KiB): %.2f ms CPU, %.2f ms wall%s\n", what.c_str(), pid,
                  static_cast<unsigned long long>(g ? g->report.gap.rss / 1024 : 0), memgap::own_cpu_ms() - c, now_ms() - w,
                  g ? "" : " (failed)");
    }
  }

  // (2) The command itself, output discarded, CPU from its rusage.
  const int frames = 6;
  const double w0 = now_ms();
  std::fflush(stdout);  // or the child's copy of the buffer is printed twice
  pid_t pid = fork();
  if (pid == 0) {
    FILE* devnull = std::freopen("/dev/null", "w", stdout);
    (void)devnull;
    execl(MEMGAP_BIN, MEMGAP_BIN, "top", "-b", "-d", "2", "-n", std::to_string(frames).c_str(), (char*)nullptr);
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  const double wall = now_ms() - w0;
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  std::printf("\nmemgap top -b -d 2 -n %d: exit %d, %.0f ms wall, %.1f ms CPU (user %.1f, sys %.1f) = %.2f%% of one core, "
              "%.1f ms CPU per refresh\n",
              frames, WIFEXITED(status) ? WEXITSTATUS(status) : -1, wall, cpu,
              static_cast<double>(ru.ru_utime.tv_sec) * 1e3 + static_cast<double>(ru.ru_utime.tv_usec) / 1e3,
              static_cast<double>(ru.ru_stime.tv_sec) * 1e3 + static_cast<double>(ru.ru_stime.tv_usec) / 1e3,
              cpu / wall * 100, cpu / frames);

  // (3) The terminal UI (120x40 in tmux, -d 2), which fully splits every visible row:
  // CPU from /proc/PID/stat over 20 s of steady running.
  if (std::system("command -v tmux >/dev/null 2>&1") != 0) return 0;
  const std::string sock = "memgap-bench-" + std::to_string(getpid());
  std::system(("tmux -L " + sock + " new-session -d -s b -x 120 -y 40 'TERM=xterm " MEMGAP_BIN " top -d 2'").c_str());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto ui_cpu_ms = [&]() -> double {
    FILE* p = popen(("tmux -L " + sock + " list-panes -t b -F '#{pane_pid}'").c_str(), "r");
    int shell = 0;
    if (!p || std::fscanf(p, "%d", &shell) != 1) shell = 0;
    if (p) pclose(p);
    memgap::collect::RealProcSource ps;
    auto stat = ps.read(shell, "stat");  // tmux runs the command directly: pane pid is memgap
    if (!stat) return -1;
    const char* q = stat->c_str() + stat->rfind(')') + 2;
    for (int field = 3; field < 14; ++field) q = std::strchr(q, ' ') + 1;
    char* end = nullptr;
    double ticks = static_cast<double>(std::strtoull(q, &end, 10)) + static_cast<double>(std::strtoull(end, nullptr, 10));
    return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  };
  const double c0 = ui_cpu_ms(), u0 = now_ms();
  std::this_thread::sleep_for(std::chrono::seconds(20));
  const double c1 = ui_cpu_ms(), u1 = now_ms();
  std::system(("tmux -L " + sock + " kill-server").c_str());
  if (c0 >= 0 && c1 >= 0)
    std::printf("\nmemgap top -d 2 (terminal UI, 120x40): %.0f ms CPU over %.0f ms = %.2f%% of one core\n", c1 - c0,
                u1 - u0, (c1 - c0) / (u1 - u0) * 100);
  return 0;
}
