// Go allocation sites from the runtime's own heap profile (issue 8, part 1), checked
// against the target's own runtime/pprof in-use profile written at the same moment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "collect/proc_source.h"
#include "pipeline/go_probe_session.h"
#include "runtime/go/go_state.h"
#include "go_process.h"

using namespace memgap;

namespace {
std::string target(const std::string& name) { return std::string(MEMGAP_TARGETS_DIR) + "/" + name; }

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

// The function runtime/pprof's in-use profile ranks first by flat inuse_space, from
// `go tool pprof -top` (the row after the "flat  flat%" header; last column).
std::string pprof_top_function(const std::string& profile) {
  std::string out = run("HOME=/tmp GOCACHE=/tmp/memgap-gocache go tool pprof -top -sample_index=inuse_space " +
                        profile + " 2>/dev/null");
  std::istringstream in(out);
  std::string line;
  bool header = false;
  while (std::getline(in, line)) {
    if (line.find("flat%") != std::string::npos) {
      header = true;
      continue;
    }
    if (header) {
      auto sp = line.find_last_of(' ');
      return sp == std::string::npos ? line : line.substr(sp + 1);
    }
  }
  return "";
}

std::vector<model::Site> by_live(std::vector<model::Site> s) {
  std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.live_bytes > b.live_bytes; });
  return s;
}

const model::Site* find_leaf(const std::vector<model::Site>& sites, const std::string& fn) {
  for (const auto& s : sites)
    if (!s.frames.empty() && s.frames[0].function == fn) return &s;
  return nullptr;
}

// Live bytes memgap attributes to sites whose leaf is `fn` (0 when none is reported).
uint64_t live_at(const std::vector<model::Site>& sites, const std::string& fn) {
  uint64_t n = 0;
  for (const auto& s : sites)
    if (!s.frames.empty() && s.frames[0].function == fn) n += s.live_bytes;
  return n;
}

class GoHeapProfile : public ::testing::TestWithParam<const char*> {};
class GoHeapProfileOff : public ::testing::TestWithParam<const char*> {};
}  // namespace

TEST_P(GoHeapProfile, TopSiteMatchesTargetsOwnPprofAndPinnedArraysAreAttributed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  gotest::GoProcess p(target(GetParam()));
  ASSERT_EQ(p.line(), "ready");
  ASSERT_EQ(p.command("gc"), "gc");  // publish the profile cycle

  collect::RealProcSource proc;
  model::Meta meta;
  auto session = pipeline::GoProbeSession::start(p.pid(), proc, {}, meta);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(meta.mode, "go");
  EXPECT_EQ((*session)->rate(), 512 * 1024);  // runtime/pprof is linked: default rate

  std::string prof = "/tmp/memgap-go-heap-" + std::to_string(p.pid()) + ".pb.gz";
  ASSERT_EQ(p.command("pprof " + prof), "pprof");
  auto sites = (*session)->sites();
  ASSERT_TRUE(sites) << sites.error().message;
  auto ranked = by_live(*sites);
  ASSERT_FALSE(ranked.empty());
  ASSERT_FALSE(ranked[0].frames.empty());

  // The retaining site leads, as it does in the target's own profile.
  EXPECT_EQ(ranked[0].frames[0].function, "main.retainBuffers");
  EXPECT_EQ(ranked[0].frames[0].file.substr(ranked[0].frames[0].file.rfind('/') + 1), "main.go");
  EXPECT_GT(ranked[0].frames[0].line, 0);
  EXPECT_NEAR(double(ranked[0].live_bytes), 48.0 * (1 << 20), 8.0 * (1 << 20));
  std::string theirs = pprof_top_function(prof);
  unlink(prof.c_str());
  ASSERT_FALSE(theirs.empty()) << "go tool pprof gave no top row for " << prof;
  EXPECT_EQ(ranked[0].frames[0].function, theirs);

  // The 10-byte subslice pins its 16 MiB array: attributed to the site that made it.
  const model::Site* pin = find_leaf(ranked, "main.pinArray");
  ASSERT_NE(pin, nullptr);
  EXPECT_GE(pin->live_bytes, 16u << 20);
  EXPECT_LT(pin->live_bytes, 20u << 20);

  // So does a 16-byte substring its 8 MiB string; the byte buffer the string was
  // converted from is garbage.
  const model::Site* pin_string = find_leaf(ranked, "main.pinString");
  ASSERT_NE(pin_string, nullptr);
  EXPECT_GE(pin_string->live_bytes, 8u << 20);
  EXPECT_LT(pin_string->live_bytes, 12u << 20);
  EXPECT_LT(live_at(ranked, "main.letters"), 1u << 20);

  // Garbage does not rank: churn's objects are freed.
  EXPECT_LT(live_at(ranked, "main.churn"), 1u << 20);
  std::printf("[%s] top site %s %.1f MiB live (target's pprof: %s)\n", GetParam(),
              ranked[0].frames[0].function.c_str(), double(ranked[0].live_bytes) / (1 << 20), theirs.c_str());
}

#define MEMGAP_GO_BUILDS(rel) rel "/go_heapprof", rel "/go_heapprof_stripped", rel "/go_heapprof_pie"
INSTANTIATE_TEST_SUITE_P(Builds, GoHeapProfile,
                         ::testing::Values(MEMGAP_GO_BUILDS("go1.19"), MEMGAP_GO_BUILDS("go1.26"),
                                           MEMGAP_GO_BUILDS("go1.27")));

// go_leaky never references runtime.MemProfile: sampling is off until memgap is allowed
// to write the rate, after which new allocations get sites.
TEST_P(GoHeapProfileOff, SaysSoAndEnableProfilingTurnsItOn) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  gotest::GoProcess p(target(std::string(GetParam()) + "/go_leaky_stripped"));
  ASSERT_EQ(p.line(), "ready");
  ASSERT_EQ(p.command("resume"), "resumed");
  collect::RealProcSource proc;
  model::Meta meta;
  auto off = pipeline::GoProbeSession::start(p.pid(), proc, {}, meta);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_EQ((*off)->rate(), 0);
  ASSERT_FALSE(meta.notes.empty());
  EXPECT_NE(meta.notes.back().find("--go-enable-profiling"), std::string::npos);

  model::Meta meta2;
  pipeline::GoProbeOptions on;
  on.enable_profiling = true;
  auto s = pipeline::GoProbeSession::start(p.pid(), proc, on, meta2);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->rate(), 512 * 1024);
  EXPECT_EQ(*(*s)->reader().mem_profile_rate(), 512 * 1024);
  // The map grows by 64 KiB every 20 ms: within a few seconds samples arrive at grow's site.
  const model::Site* grow = nullptr;
  std::vector<model::Site> ranked;
  for (int i = 0; i < 50 && !grow; ++i) {
    usleep(100000);
    auto sites = (*s)->sites();
    ASSERT_TRUE(sites) << sites.error().message;
    ranked = by_live(*sites);
    grow = find_leaf(ranked, "main.grow");
  }
  ASSERT_NE(grow, nullptr);
  EXPECT_GT(grow->alloc_bytes, 0u);
}

INSTANTIATE_TEST_SUITE_P(Releases, GoHeapProfileOff, ::testing::Values("go1.19", "go1.26", "go1.27"));
