// Leak verdicts by reachability (memgap run at the command's exit) against
// LeakSanitizer's on the same source: each case of tests/targets/reach_cases.c and
// reach_cxx.cpp is built plain and with -fsanitize=leak (gcc's liblsan). LSan's report
// (direct and indirect leaks: bytes and objects) is the oracle. Under --sample-bytes 1
// memgap knows every block's requested size, so bytes and objects must match exactly;
// at the default rate the blocks come from glibc's own chunk list, so the objects of
// each kind must match exactly and the bytes within a chunk's rounding (payload sizes,
// at most 16 bytes a block from the requested size).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <regex>
#include <string>
#include <vector>

#include "harness.h"
#include "model/snapshot_json.h"

namespace memgap::test {
namespace {

constexpr int kTimeoutMs = 60000;

struct Kinds {
  uint64_t direct_bytes = 0, direct_objects = 0, indirect_bytes = 0, indirect_objects = 0;
};

// LSan's own verdict: runs the -fsanitize=leak build and sums its report.
Kinds lsan_verdict(const std::string& program, const std::string& which, int& exit_code) {
  setenv("LSAN_OPTIONS", "exitcode=23", 1);
  Child c({target_path(program + "_lsan"), which});
  exit_code = c.wait_exit(kTimeoutMs);
  unsetenv("LSAN_OPTIONS");
  Kinds k;
  std::regex line(R"((Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\))");
  const std::string& err = c.err();
  for (std::sregex_iterator it(err.begin(), err.end(), line), end; it != end; ++it) {
    uint64_t bytes = std::stoull((*it)[2]), objects = std::stoull((*it)[3]);
    if ((*it)[1] == "Direct") k.direct_bytes += bytes, k.direct_objects += objects;
    else k.indirect_bytes += bytes, k.indirect_objects += objects;
  }
  return k;
}

struct MemgapVerdict {
  int exit_code = -1;
  model::Snapshot snapshot;
  std::string err;
};

MemgapVerdict memgap_verdict(const std::string& program, const std::string& which, std::vector<std::string> options) {
  std::string out = temp_path(program + "-" + which + ".json");
  std::vector<std::string> argv{MEMGAP_BIN, "run", "--no-default-suppressions", "-o", out};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"--", target_path(program), which});
  Child m(argv);
  MemgapVerdict v;
  v.exit_code = m.wait_exit(kTimeoutMs);
  v.err = m.err();
  auto s = model::read_snapshot_file(out);
  unlink(out.c_str());
  if (s) v.snapshot = std::move(*s);
  return v;
}

struct Case {
  const char* program;
  const char* which;
};

class Reach : public ::testing::TestWithParam<Case> {};

TEST_P(Reach, ExactTrackingAgreesWithLeakSanitizerToTheByte) {
  const Case c = GetParam();
  int lsan_exit = -1;
  Kinds lsan = lsan_verdict(c.program, c.which, lsan_exit);
  ASSERT_TRUE(lsan_exit == 0 || lsan_exit == 23) << "LSan build exited " << lsan_exit;
  MemgapVerdict m = memgap_verdict(c.program, c.which, {"--sample-bytes", "1"});
  ASSERT_TRUE(m.snapshot.reachability) << m.err;
  const model::Reachability& r = *m.snapshot.reachability;
  EXPECT_TRUE(r.exact_bytes);
  EXPECT_EQ(r.totals.direct_bytes, lsan.direct_bytes) << m.err;
  EXPECT_EQ(r.totals.direct_objects, lsan.direct_objects);
  EXPECT_EQ(r.totals.indirect_bytes, lsan.indirect_bytes);
  EXPECT_EQ(r.totals.indirect_objects, lsan.indirect_objects);
  EXPECT_EQ(m.exit_code, lsan_exit) << "memgap's gate and LSan's exit status disagree\n" << m.err;
  // The leaked bytes per site add up to the totals (every block is a sample here).
  uint64_t direct = 0, indirect = 0;
  for (const auto& s : m.snapshot.sites) {
    if (!s.leak_kinds) continue;
    direct += s.leak_kinds->direct_bytes;
    indirect += s.leak_kinds->indirect_bytes;
  }
  EXPECT_EQ(direct, lsan.direct_bytes);
  EXPECT_EQ(indirect, lsan.indirect_bytes);
}

TEST_P(Reach, HeapWalkAtTheDefaultRateAgreesBlockForBlock) {
  const Case c = GetParam();
  int lsan_exit = -1;
  Kinds lsan = lsan_verdict(c.program, c.which, lsan_exit);
  MemgapVerdict m = memgap_verdict(c.program, c.which, {});
  ASSERT_TRUE(m.snapshot.reachability) << m.err;
  const model::Reachability& r = *m.snapshot.reachability;
  EXPECT_FALSE(r.exact_bytes);
  EXPECT_NE(r.blocks_source.find("glibc heap walk"), std::string::npos) << r.blocks_source;
  EXPECT_EQ(r.totals.direct_objects, lsan.direct_objects) << m.err;
  EXPECT_EQ(r.totals.indirect_objects, lsan.indirect_objects) << m.err;
  // Payload sizes: the chunk's usable bytes, within 16 of the request per block.
  auto near = [](uint64_t got, uint64_t want, uint64_t blocks) {
    return got + 16 * blocks >= want && got <= want + 16 * blocks;
  };
  EXPECT_TRUE(near(r.totals.direct_bytes, lsan.direct_bytes, lsan.direct_objects))
      << r.totals.direct_bytes << " vs LSan " << lsan.direct_bytes;
  EXPECT_TRUE(near(r.totals.indirect_bytes, lsan.indirect_bytes, lsan.indirect_objects))
      << r.totals.indirect_bytes << " vs LSan " << lsan.indirect_bytes;
  // The walk's total is exact, so the gate fails exactly when LSan does.
  EXPECT_EQ(m.exit_code, lsan_exit) << m.err;
}

INSTANTIATE_TEST_SUITE_P(
    LeakSanitizerCases, Reach,
    ::testing::Values(Case{"reach_cases", "global"}, Case{"reach_cases", "global_list"},
                      Case{"reach_cases", "lost_list"}, Case{"reach_cases", "cycle"},
                      Case{"reach_cases", "interior"}, Case{"reach_cases", "blocks"},
                      Case{"reach_cases", "exit_frame"}, Case{"reach_cases", "return_main"},
                      Case{"reach_cases", "register"},
                      Case{"reach_cases", "thread_stack"}, Case{"reach_cases", "thread_exited"},
                      Case{"reach_cases", "tls_main"}, Case{"reach_cases", "tls_thread"},
                      Case{"reach_cases", "none"}, Case{"reach_cxx", "none"}, Case{"reach_cxx", "new_array"},
                      Case{"reach_cxx", "global_vector"}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.program) + "_" + i.param.which; });

// libstdc++'s emergency pool is found reachable with every built-in suppression off.
TEST(ReachCxx, EmergencyPoolIsStillReachableNotALeak) {
  MemgapVerdict m = memgap_verdict("reach_cxx", "none", {"--sample-bytes", "1"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  bool pool = false;
  for (const auto& s : m.snapshot.sites)
    if (s.leak_kinds && s.live_bytes >= 70000 && s.live_bytes <= 80000) {
      pool = true;
      EXPECT_STREQ(s.leak_kinds->verdict(), "reachable");
    }
  EXPECT_TRUE(pool) << "no site holding the ~72 KiB emergency pool";
}

// --leak-kinds all counts still-reachable memory too; --no-reachability restores the
// count of everything live.
TEST(ReachGate, LeakKindsAllAndNoReachabilityCountReachableMemory) {
  MemgapVerdict all = memgap_verdict("reach_cases", "global", {"--sample-bytes", "1", "--leak-kinds", "all"});
  EXPECT_EQ(all.exit_code, 23) << all.err;
  MemgapVerdict none = memgap_verdict("reach_cases", "global", {"--sample-bytes", "1", "--no-reachability"});
  EXPECT_EQ(none.exit_code, 23) << none.err;
  ASSERT_TRUE(none.snapshot.run);
  EXPECT_FALSE(none.snapshot.reachability);
  MemgapVerdict def = memgap_verdict("reach_cases", "global", {"--sample-bytes", "1"});
  EXPECT_EQ(def.exit_code, 0) << def.err;
}

TEST(ReachGate, UnknownLeakKindIsAUsageError) {
  Child m({MEMGAP_BIN, "run", "--leak-kinds", "sideways", "--", "/bin/true"});
  EXPECT_EQ(m.wait_exit(kTimeoutMs), 2);
  EXPECT_NE(m.err().find("sideways"), std::string::npos) << m.err();
}

}  // namespace
}  // namespace memgap::test

namespace memgap::test {
namespace {

// attach --reachability on a live process: every thread held for the scan, the same
// verdict LSan gives the same shape at exit, and the target runs on afterwards.
TEST(ReachAttach, LiveTargetGetsLeakSanitizersVerdictAndRunsOn) {
  int lsan_exit = -1;
  Kinds lsan = lsan_verdict("reach_cases", "lost_list", lsan_exit);
  ASSERT_EQ(lsan_exit, 23);
  Child target({target_path("reach_cases"), "lost_list", "wait"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  std::string out = temp_path("attach-reach.json");
  Child m({MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "500ms", "--reachability", "-o", out});
  ASSERT_EQ(m.wait_exit(kTimeoutMs), 0) << m.err();
  auto s = model::read_snapshot_file(out);
  unlink(out.c_str());
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(s->reachability) << m.out();
  EXPECT_EQ(s->reachability->totals.direct_objects, lsan.direct_objects);
  EXPECT_EQ(s->reachability->totals.indirect_objects, lsan.indirect_objects);
  EXPECT_GT(s->reachability->pause_ms, 0);
  EXPECT_LE(s->reachability->pause_ms, 1000);
  EXPECT_NE(m.out().find("leaked for sure: direct 48B in 1 block"), std::string::npos) << m.out();
  // Let go: the target still answers and exits normally.
  target.close_stdin();
  EXPECT_EQ(target.wait_exit(kTimeoutMs), 0);
}

TEST(ReachAttach, ThreadsOfALiveTargetAreAllHeldAndTheirStacksScanned) {
  Child target({target_path("reach_cases"), "thread_stack", "wait"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  std::string out = temp_path("attach-threads.json");
  Child m({MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "300ms", "--no-probes", "--reachability", "-o", out});
  ASSERT_EQ(m.wait_exit(kTimeoutMs), 0) << m.err();
  auto s = model::read_snapshot_file(out);
  unlink(out.c_str());
  ASSERT_TRUE(s && s->reachability) << m.out();
  EXPECT_EQ(s->reachability->threads, 2);
  EXPECT_EQ(s->reachability->totals.direct_objects, 0u) << m.out();  // the thread's block is on its stack
  target.close_stdin();
  EXPECT_EQ(target.wait_exit(kTimeoutMs), 0);
}

TEST(ReachAttach, ScanLongerThanMaxPauseIsRefusedBeforeStopping) {
  Child target({target_path("reach_cases"), "global_list", "wait"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child m({MEMGAP_BIN, "attach", std::to_string(target.pid()), "-d", "200ms", "--no-probes", "--reachability",
           "--max-pause", "0ms", "--json"});
  ASSERT_EQ(m.wait_exit(kTimeoutMs), 0) << m.err();
  EXPECT_NE(m.out().find("longer than --max-pause"), std::string::npos) << m.out();
  EXPECT_EQ(m.out().find("\"reachability\""), std::string::npos);
  target.close_stdin();
  EXPECT_EQ(target.wait_exit(kTimeoutMs), 0);
}

}  // namespace
}  // namespace memgap::test

namespace memgap::test {
namespace {

// jemalloc's blocks cannot be enumerated from outside: with --sample-bytes 1 the probes
// know every block (LSan's verdict on the same source, built with glibc and LSan, is the
// oracle); at the default rate memgap says so and falls back to counting what is live.
TEST(ReachAllocators, JemallocExactWithEveryAllocationTrackedLabelledFallbackOtherwise) {
  int lsan_exit = -1;
  Kinds lsan = lsan_verdict("reach_cases", "lost_list", lsan_exit);
  ASSERT_EQ(lsan_exit, 23);
  MemgapVerdict exact = memgap_verdict("reach_cases_jemalloc", "lost_list", {"--sample-bytes", "1"});
  ASSERT_TRUE(exact.snapshot.reachability) << exact.err;
  EXPECT_EQ(exact.snapshot.meta.allocator, "jemalloc");
  EXPECT_EQ(exact.snapshot.reachability->totals.direct_bytes, lsan.direct_bytes) << exact.err;
  EXPECT_EQ(exact.snapshot.reachability->totals.direct_objects, lsan.direct_objects);
  EXPECT_EQ(exact.snapshot.reachability->totals.indirect_bytes, lsan.indirect_bytes);
  EXPECT_EQ(exact.snapshot.reachability->totals.indirect_objects, lsan.indirect_objects);
  EXPECT_EQ(exact.exit_code, 23);

  MemgapVerdict sampled = memgap_verdict("reach_cases_jemalloc", "lost_list", {});
  EXPECT_FALSE(sampled.snapshot.reachability);
  EXPECT_NE(sampled.err.find("no reachability verdicts"), std::string::npos) << sampled.err;
  EXPECT_NE(sampled.err.find("everything live at exit counts as leaked"), std::string::npos) << sampled.err;
}

}  // namespace
}  // namespace memgap::test
