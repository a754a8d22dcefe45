// The gap model against a live process with exactly known composition
// (tests/targets/composition.c): every category within 10% of the truth the target
// prints, unexplained under 5% of RSS, with and without (simulated) probe figures, and a
// 10,000-mapping process explained in under a second. Needs root (process_vm_readv on
// another process, /proc/PID/task/*/syscall) and libc6-dbg for the allocator state.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "analyze/reconcile.h"
#include "collect/maps.h"
#include "runtime/glibc/arena_reader.h"
#include "pipeline/gap.h"
#include "report/gap_table.h"

using namespace memgap;

namespace {

constexpr uint64_t MiB = 1 << 20;

// A running composition target; killed and reaped on destruction.
class Target {
 public:
  explicit Target(std::vector<std::string> args) {
    file_ = "/tmp/memgap-gap-" + std::to_string(getpid()) + ".dat";
    std::string cmd = std::string(MEMGAP_TARGETS_DIR) + "/composition";
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      std::vector<char*> argv{cmd.data(), file_.data()};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(cmd.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    char line[512];
    while (out && fgets(line, sizeof line, out)) {
      std::string l = line;
      if (l.starts_with("{")) truth_ += l;  // truth line, then the target's mallinfo2
      if (l.starts_with("READY")) { ready_ = true; break; }
    }
    if (out) fclose(out);
  }
  ~Target() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    unlink(file_.c_str());
  }
  bool ready() const { return ready_; }
  int pid() const { return pid_; }
  uint64_t truth(const std::string& key) const {
    auto p = truth_.find("\"" + key + "\":");
    return p == std::string::npos ? 0 : std::stoull(truth_.substr(p + key.size() + 3));
  }

 private:
  std::string file_;
  std::string truth_;
  int pid_ = -1;
  bool ready_ = false;
};

const model::GapCategory& cat(const model::Gap& g, const std::string& name) {
  for (const auto& c : g.categories)
    if (c.name == name) return c;
  static model::GapCategory none;
  ADD_FAILURE() << "no category " << name;
  return none;
}

// Within 10% of truth, printed with both numbers when not.
void expect_within(const model::Gap& g, const std::string& name, uint64_t truth) {
  uint64_t got = cat(g, name).bytes;
  double err = truth ? std::abs(static_cast<double>(got) - static_cast<double>(truth)) / static_cast<double>(truth) : 1.0;
  EXPECT_LE(err, 0.10) << name << ": got " << got << ", truth " << truth << " (" << err * 100 << "% off)";
  std::printf("  %-16s got %12llu truth %12llu  %5.2f%%\n", name.c_str(), static_cast<unsigned long long>(got),
              static_cast<unsigned long long>(truth), err * 100);
}

bool have_root() { return geteuid() == 0; }

// LIVE FREE BIG THREADS STACK_KIB THREAD_LIVE_KIB ANON FILE
const std::vector<std::string> kArgs{"64", "32", "16", "8", "1024", "2048", "16", "64"};

}  // namespace

TEST(GapComposition, NoProbesEveryCategoryWithinTenPercent) {
  if (!have_root()) GTEST_SKIP() << "needs root to read another process's memory";
  Target t(kArgs);
  ASSERT_TRUE(t.ready());
  collect::RealProcSource proc;
  auto rep = pipeline::explain_rss_report(t.pid(), proc, analyze::HeapObservation{});
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  for (const auto& n : rep->notes) std::printf("note: %s\n", n.c_str());
  const auto& g = rep->gap;
  std::printf("%s", report::format_gap_table(g).c_str());
  ASSERT_NE(cat(g, analyze::kHeapUntracked).source.find("glibc malloc state"), std::string::npos)
      << "allocator state not read: is libc6-dbg installed?";
  expect_within(g, analyze::kHeapUntracked, t.truth("live"));
  expect_within(g, analyze::kHeapFree, t.truth("free"));
  expect_within(g, analyze::kStacksThreads, t.truth("stack"));
  expect_within(g, analyze::kAnonOther, t.truth("anon"));
  expect_within(g, analyze::kFileMapped, t.truth("file"));
  EXPECT_EQ(cat(g, analyze::kHeapLive).bytes, 0u);
  EXPECT_EQ(g.profiled, 0u);
  EXPECT_LT(std::abs(g.unexplained), static_cast<int64_t>(g.rss / 20));
}

// What the probes would report with --sample-bytes 1 after attaching before main: every
// live byte tracked, the two big chunks among them. Exercises the live/untracked split.
TEST(GapComposition, WithProbeFiguresLiveIsSeparatedFromFree) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  Target t(kArgs);
  ASSERT_TRUE(t.ready());
  analyze::HeapObservation obs;
  obs.probes_ran = true;
  obs.live_tracked = t.truth("live");
  obs.live_tracked_mmap = 16 * MiB;
  // 64 MiB + 8 x 2 MiB of 4000-byte chunks, the fence, the two big chunks, the array.
  obs.live_tracked_objects = (64 * MiB / 4000) + 8 * (2048 * 1024 / 4000) + 1 + 2 + 1;
  obs.live_source = "simulated probes (truth)";
  collect::RealProcSource proc;
  auto g = pipeline::explain_rss(t.pid(), proc, obs);
  ASSERT_TRUE(g.ok()) << g.error().message;
  expect_within(*g, analyze::kHeapLive, t.truth("live"));
  expect_within(*g, analyze::kHeapFree, t.truth("free"));
  // Only chunk headers remain for "allocated before attach".
  EXPECT_LT(cat(*g, analyze::kHeapUntracked).bytes, t.truth("live") / 100);
  std::printf("  heap.untracked   %llu (chunk overhead left over)\n",
              static_cast<unsigned long long>(cat(*g, analyze::kHeapUntracked).bytes));
  EXPECT_EQ(g->profiled, t.truth("live"));
  EXPECT_NE(g->explanation.find("heap profile shows"), std::string::npos);
  EXPECT_LT(std::abs(g->unexplained), static_cast<int64_t>(g->rss / 20));
}

TEST(GapComposition, TenThousandMappingsUnderOneSecond) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  auto args = kArgs;
  args.push_back("10000");
  Target t(args);
  ASSERT_TRUE(t.ready());
  collect::RealProcSource proc;
  auto t0 = std::chrono::steady_clock::now();
  auto rep = pipeline::explain_rss_report(t.pid(), proc, analyze::HeapObservation{});
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(rep.ok());
  std::printf("  10k mappings explained in %.0f ms\n", ms);
  EXPECT_LT(ms, 1000.0);
  EXPECT_LT(std::abs(rep->gap.unexplained), static_cast<int64_t>(rep->gap.rss / 20));
}

// A process that exits while being read: every call returns either a balanced gap or an
// error with a hint, never a crash or a hang.
TEST(GapComposition, ProcessExitingMidwayIsAnErrorOrAGap) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  collect::RealProcSource proc;
  int errors = 0, gaps = 0;
  for (int round = 0; round < 20; ++round) {
    pid_t child = fork();
    if (child == 0) {
      std::vector<char*> keep;
      for (int i = 0; i < 2000; ++i) keep.push_back(static_cast<char*>(malloc(4000)));
      usleep(static_cast<useconds_t>(round * 500));
      _exit(0);
    }
    for (int i = 0; i < 5; ++i) {
      auto g = pipeline::explain_rss(child, proc, analyze::HeapObservation{});
      if (g.ok()) {
        int64_t sum = 0;
        for (const auto& c : g->categories) sum += static_cast<int64_t>(c.bytes);
        EXPECT_EQ(sum + g->unexplained, static_cast<int64_t>(g->rss));
        ++gaps;
      } else {
        EXPECT_FALSE(g.error().message.empty());
        EXPECT_FALSE(g.error().hint.empty()) << g.error().message;
        ++errors;
      }
    }
    waitpid(child, nullptr, 0);
    auto after = pipeline::explain_rss(child, proc, analyze::HeapObservation{});
    EXPECT_FALSE(after.ok());
  }
  std::printf("  %d gaps, %d errors\n", gaps, errors);
}

// The arena walk must reproduce the target's own mallinfo2() exactly (the target is
// idle after printing it): same arenas, same free bytes, same mmapped chunks.
TEST(GapComposition, GlibcStateMatchesTargetsOwnMallinfo) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  Target t(kArgs);
  ASSERT_TRUE(t.ready());
  collect::RealProcSource proc;
  auto maps = collect::read_maps(proc, t.pid());
  ASSERT_TRUE(maps.ok());
  auto st = runtime::glibc::read_glibc_arenas(t.pid(), *maps);
  ASSERT_TRUE(st.ok()) << st.error().message << " / " << st.error().hint;
  EXPECT_EQ(st->arenas, 9);
  EXPECT_EQ(st->system, t.truth("mi_arena"));
  EXPECT_EQ(st->free, t.truth("mi_fordblks"));
  EXPECT_EQ(st->in_use, t.truth("mi_uordblks"));
  EXPECT_EQ(st->mmapped, t.truth("mi_hblkhd"));
  EXPECT_EQ(st->mmapped_count, t.truth("mi_hblks"));
  EXPECT_EQ(st->mmapped_chunks.size(), t.truth("mi_hblks"));
  EXPECT_EQ(st->arena_heaps.size(), 8u);
  EXPECT_FALSE(st->truncated);
  EXPECT_TRUE(st->linear);  // heaps walked chunk by chunk, not via bin lists
  // Each thread created its own arena, so every thread's tcache is found (main + 8).
  EXPECT_EQ(st->tcaches, 9);
  EXPECT_EQ(st->tcache_free, t.truth("tcache"));
}
