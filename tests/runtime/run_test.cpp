// memgap run, the CI leak gate, end to end: real uprobes on purpose-built targets with
// exactly known leaks. Asserts exit statuses (23, 0, CMD's own), the named site, the
// snapshot written with -o, suppressions, --follow, signal forwarding, a missing command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "harness.h"
#include "model/snapshot_json.h"

namespace memgap::test {
namespace {

constexpr int kTimeoutMs = 30000;
constexpr uint64_t kMiB = 1 << 20;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

RunResult memgap_run(std::vector<std::string> options, std::vector<std::string> cmd) {
  std::vector<std::string> argv{MEMGAP_BIN, "run"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  Child memgap(argv);
  RunResult r;
  r.exit_code = memgap.wait_exit(kTimeoutMs);
  r.out = memgap.out();
  r.err = memgap.err();
  return r;
}

const model::Site* leaf_site(const model::Snapshot& s, const std::string& function) {
  for (const auto& site : s.sites)
    if (!site.frames.empty() && site.frames[0].function == function) return &site;
  return nullptr;
}

TEST(RunGate, LeakAboveMaxLeakFailsWith23AndNamesTheSite) {
  std::string out = temp_path("run-leak.json");
  std::remove(out.c_str());
  auto r = memgap_run({"--max-leak", "1MiB", "-o", out}, {target_path("leaks_8mib")});
  EXPECT_EQ(r.exit_code, 23) << r.err;
  EXPECT_NE(r.err.find("LEAK GATE FAILED"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("leak_eight_mib"), std::string::npos) << r.err;

  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->meta.command, "run");
  ASSERT_TRUE(snap->run.has_value());
  EXPECT_TRUE(snap->run->gate_failed);
  EXPECT_EQ(snap->run->exit_status, 0);
  EXPECT_EQ(snap->run->threshold_bytes, 1 * kMiB);
  // The heap walk sees every block: the leaked total is exact, 8 mmapped chunks of
  // 1 MiB each (their payload: the request rounded up to pages, less the 16-byte header).
  ASSERT_TRUE(snap->reachability.has_value());
  EXPECT_EQ(snap->reachability->totals.direct_objects, 8u);
  EXPECT_EQ(snap->run->leaked_bytes, snap->reachability->totals.direct_bytes);
  EXPECT_GE(snap->run->leaked_bytes, 8 * kMiB);
  EXPECT_LE(snap->run->leaked_bytes, 8 * (kMiB + 4096));
  // The site's bytes are an estimate from samples. 1 MiB blocks at a 512 KiB mean
  // interval: each is sampled independently with p = 1 - e^-2 = 0.865 and weighted
  // 1/p = 1.16 MiB. The bounds hold unless at most one block is sampled (p = 6e-6).
  const model::Site* site = leaf_site(*snap, "leak_eight_mib");
  ASSERT_NE(site, nullptr);
  EXPECT_GT(site->live_bytes, 2 * kMiB);
  EXPECT_LT(site->live_bytes, 12 * kMiB);
  ASSERT_TRUE(site->leak_kinds.has_value());
  EXPECT_STREQ(site->leak_kinds->verdict(), "direct");
  // Build ids of the modules frames name.
  bool exe_with_build_id = false;
  for (const auto& m : snap->modules)
    if (m.name == "leaks_8mib" && m.build_id.size() >= 16) exe_with_build_id = true;
  EXPECT_TRUE(exe_with_build_id);
  std::remove(out.c_str());
}

TEST(RunGate, ExactTrackingCountsEveryByteOfTheLeak) {
  std::string out = temp_path("run-exact.json");
  auto r = memgap_run({"--sample-bytes", "1", "-o", out}, {target_path("leaks_8mib")});
  EXPECT_EQ(r.exit_code, 23) << r.err;
  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  const model::Site* site = leaf_site(*snap, "leak_eight_mib");
  ASSERT_NE(site, nullptr) << r.err;
  EXPECT_EQ(site->live_bytes, 8 * kMiB);
  EXPECT_EQ(site->live_objects, 8u);
  EXPECT_EQ(snap->run->noise_bytes, 0u);
  std::remove(out.c_str());
}

TEST(RunGate, DefaultThresholdFailsAnEightMiBLeak) {
  auto r = memgap_run({}, {target_path("leaks_8mib")});
  EXPECT_EQ(r.exit_code, 23) << r.err;
}

TEST(RunGate, FreeingEverythingPasses) {
  auto r = memgap_run({"--sample-bytes", "1"}, {target_path("frees_all")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("leak gate passed: 0B leaked"), std::string::npos) << r.err;
  auto d = memgap_run({}, {target_path("frees_all")});
  EXPECT_EQ(d.exit_code, 0) << d.err;
}

TEST(RunGate, CommandExitStatusPassesThrough) {
  auto r = memgap_run({"--sample-bytes", "1"}, {target_path("frees_all"), "7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  // A failing gate wins over the command's status (LeakSanitizer does the same).
  auto l = memgap_run({"--max-leak", "1MiB"}, {target_path("leaks_8mib"), "5"});
  EXPECT_EQ(l.exit_code, 23) << l.err;
  // Under the limit, the command's status again.
  auto u = memgap_run({"--max-leak", "64MiB"}, {target_path("leaks_8mib"), "5"});
  EXPECT_EQ(u.exit_code, 5) << u.err;
}

TEST(RunGate, SuppressionSilencesTheNamedSite) {
  std::string sup = temp_path("leaks.supp");
  {
    std::ofstream f(sup);
    f << "# known leak, tracked elsewhere\nleak:leak_eight_*\n";
  }
  std::string out = temp_path("run-supp.json");
  auto r = memgap_run({"--max-leak", "1MiB", "--suppressions", sup, "-o", out}, {target_path("leaks_8mib")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("suppressed:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("leak:leak_eight_*"), std::string::npos) << r.err;
  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_GT(snap->run->suppressed_bytes, 2 * kMiB);  // as above: 2 of 8 blocks sampled
  EXPECT_FALSE(snap->run->gate_failed);
  // A bad suppressions file is an error before CMD runs.
  {
    std::ofstream f(sup);
    f << "race:foo\n";
  }
  auto bad = memgap_run({"--suppressions", sup}, {target_path("leaks_8mib")});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_NE(bad.err.find("hint:"), std::string::npos) << bad.err;
  std::remove(sup.c_str());
  std::remove(out.c_str());
}

TEST(RunGate, FollowProbesExecedChildren) {
  auto without = memgap_run({"--max-leak", "1MiB"}, {target_path("fork_exec_leaker"), target_path("leaks_8mib")});
  EXPECT_EQ(without.exit_code, 0) << without.err;
  auto with = memgap_run({"--follow", "--max-leak", "1MiB"}, {target_path("fork_exec_leaker"), target_path("leaks_8mib")});
  EXPECT_EQ(with.exit_code, 23) << with.err;
  EXPECT_NE(with.err.find("leak_eight_mib"), std::string::npos) << with.err;
  // The child's own status still comes back through the parent.
  auto status = memgap_run({"--follow", "--max-leak", "64MiB"},
                           {target_path("fork_exec_leaker"), target_path("leaks_8mib"), "9"});
  EXPECT_EQ(status.exit_code, 9) << status.err;
}

TEST(RunGate, FollowProbesForkedChildrenFromTheirFirstInstruction) {
  std::string out = temp_path("run-fork.json");
  std::remove(out.c_str());
  auto without = memgap_run({"--sample-bytes", "1"}, {target_path("fork_leaker")});
  EXPECT_EQ(without.exit_code, 0) << without.err;
  auto with = memgap_run({"--follow", "--sample-bytes", "1", "-o", out}, {target_path("fork_leaker"), "4"});
  EXPECT_EQ(with.exit_code, 23) << with.err;
  EXPECT_NE(with.err.find("leak_in_forked_child"), std::string::npos) << with.err;
  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  ASSERT_TRUE(snap->run.has_value());
  EXPECT_EQ(snap->run->processes, 3u);  // parent, child, grandchild
  EXPECT_EQ(snap->run->exit_status, 4);
  const model::Site* site = leaf_site(*snap, "leak_in_forked_child");
  ASSERT_NE(site, nullptr) << with.err;
  EXPECT_EQ(site->live_bytes, 23u * 4096);
  EXPECT_EQ(site->live_objects, 23u);
  const model::Site* nested = leaf_site(*snap, "leak_in_grandchild");
  ASSERT_NE(nested, nullptr) << with.err;
  EXPECT_EQ(nested->live_bytes, 7u * 8192);
  EXPECT_EQ(nested->live_objects, 7u);
  // The parent's block the child inherited (and the parent freed) is nobody's leak.
  EXPECT_EQ(snap->run->leaked_bytes, 23u * 4096 + 7u * 8192) << with.err;
  const model::Site* kept = leaf_site(*snap, "kept_across_fork");
  ASSERT_NE(kept, nullptr) << with.err;  // the parent's allocation, sampled in the parent
  EXPECT_EQ(kept->live_bytes, 0u);
  std::remove(out.c_str());
}

// Small blocks at the default rate (R = 512 KiB mean Poisson byte sampling). The BPF
// countdown restarts its exponential interval after each sample, and the exponential is
// memoryless, so each block of s bytes is sampled independently with p = 1 - e^(-s/R)
// and, when sampled, counts w = s/p bytes. With n blocks the number sampled is
// K ~ Binomial(n, p), and the site's estimate is exactly K * w (to rounding). The bounds
// on K below are the binomial tails, summed exactly (python, lgamma):
//   2,048 x 4 KiB: p = 0.0077821, E[K] = 15.94, w = 526,339 B. P(K = 0) = 1.1e-7,
//     P(K >= 40) = 2.6e-7: K in [1, 39] fails with p < 4e-7. A 256 KiB gate fails for
//     every K >= 1.
//   10,000 x 48 B: p = 9.155e-5, E[K] = 0.92, w = 524,312 B. P(K >= 10) = 5e-8: K <= 9.
//     K = 0 has p = 0.40, so no lower bound exists at this rate; a 5 MiB gate passes for
//     every K <= 9 (4.5 MiB), which catches a sampler that over-samples small blocks.
namespace small {
constexpr double kRate = 512 * 1024;
double weight(double size) { return size / -std::expm1(-size / kRate); }
uint64_t site_bytes(const model::Snapshot& s, const std::string& function) {
  const model::Site* site = leaf_site(s, function);
  return site ? site->live_bytes : 0;  // K = 0 leaves no site at all
}
// K, the number of sampled blocks an estimate stands for; -1 if it is not a multiple of w.
long sampled_blocks(uint64_t bytes, double w) {
  double k = std::round(static_cast<double>(bytes) / w);
  return std::abs(static_cast<double>(bytes) - k * w) <= 2.0 ? static_cast<long>(k) : -1;
}
}  // namespace small

TEST(RunGate, BrkHeapBlocksAtTheDefaultRate) {
  std::string out = temp_path("run-brk.json");
  std::remove(out.c_str());
  auto r = memgap_run({"--max-leak", "256KiB", "-o", out}, {target_path("small_leaks"), "brk"});
  EXPECT_EQ(r.exit_code, 23) << r.err;  // exit 3 would mean: not served from the brk heap
  EXPECT_NE(r.err.find("leak_brk_blocks"), std::string::npos) << r.err;
  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->meta.sample_bytes, 512u * 1024);
  uint64_t bytes = small::site_bytes(*snap, "leak_brk_blocks");
  long k = small::sampled_blocks(bytes, small::weight(4096));
  EXPECT_GE(k, 1) << bytes << " B is not K x " << small::weight(4096);
  EXPECT_LE(k, 39) << bytes;
  std::remove(out.c_str());
}

TEST(RunGate, TcacheBlocksAtTheDefaultRate) {
  std::string out = temp_path("run-tcache.json");
  std::remove(out.c_str());
  auto r = memgap_run({"--max-leak", "5MiB", "-o", out}, {target_path("small_leaks"), "tcache"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // exit 3 would mean: not served from tcache
  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->meta.sample_bytes, 512u * 1024);
  uint64_t bytes = small::site_bytes(*snap, "leak_tcache_blocks");
  long k = small::sampled_blocks(bytes, small::weight(48));
  EXPECT_GE(k, 0) << bytes << " B is not K x " << small::weight(48);
  EXPECT_LE(k, 9) << bytes;
  std::remove(out.c_str());
}

// The same small blocks tracked exactly: every block, every byte.
TEST(RunGate, ExactTrackingOfBrkAndTcacheBlocks) {
  std::string out = temp_path("run-small-exact.json");
  std::remove(out.c_str());
  auto brk = memgap_run({"--sample-bytes", "1", "-o", out}, {target_path("small_leaks"), "brk"});
  EXPECT_EQ(brk.exit_code, 23) << brk.err;
  auto snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  const model::Site* site = leaf_site(*snap, "leak_brk_blocks");
  ASSERT_NE(site, nullptr) << brk.err;
  EXPECT_EQ(site->live_bytes, 2048u * 4096);
  EXPECT_EQ(site->live_objects, 2048u);

  std::remove(out.c_str());
  auto tc = memgap_run({"--sample-bytes", "1", "-o", out}, {target_path("small_leaks"), "tcache"});
  EXPECT_EQ(tc.exit_code, 23) << tc.err;
  snap = model::read_snapshot_file(out);
  ASSERT_TRUE(snap) << snap.error().message;
  site = leaf_site(*snap, "leak_tcache_blocks");
  ASSERT_NE(site, nullptr) << tc.err;
  EXPECT_EQ(site->live_bytes, 10000u * 48);
  EXPECT_EQ(site->live_objects, 10000u);
  const model::Site* churn = leaf_site(*snap, "tcache_churn");
  ASSERT_NE(churn, nullptr) << tc.err;
  EXPECT_EQ(churn->live_bytes, 0u);
  EXPECT_EQ(churn->alloc_objects, 10000u);
  std::remove(out.c_str());
}

TEST(RunGate, SigtermToMemgapReachesTheCommand) {
  Child memgap({MEMGAP_BIN, "run", "--sample-bytes", "1", "--", target_path("frees_all"), "--wait"});
  ASSERT_TRUE(memgap.wait_for("ready", kTimeoutMs)) << memgap.err();
  kill(memgap.pid(), SIGTERM);
  int rc = memgap.wait_exit(kTimeoutMs);
  // frees_all exits 42 on SIGTERM after freeing everything.
  EXPECT_EQ(rc, 42) << memgap.err();
}

TEST(RunGate, MissingCommandIs127WithOneLineAndHint) {
  auto r = memgap_run({}, {"/nonexistent/memgap-no-such-command"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.err.rfind("memgap: error: cannot run", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nhint: "), std::string::npos) << r.err;
}

TEST(RunGate, UsageWithoutCommandIs2) {
  Child memgap({MEMGAP_BIN, "run"});
  EXPECT_EQ(memgap.wait_exit(kTimeoutMs), 2);
}

}  // namespace
}  // namespace memgap::test
