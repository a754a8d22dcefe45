// `memgap attach PID --no-probes` through the documented CLI
// (memgap attach PID --no-probes -d 1s -f json -o FILE):
//   - never attaches a probe: while it runs, memgap holds no BPF link/program or perf
//     event fd, and the snapshot says 0 probes attached, 0 hits;
//   - the snapshot's gap table has every category;
//   - a target that exits midway ends the run cleanly (exit 0, target_exited).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.h"

using namespace memgap::test;
using json = nlohmann::json;

namespace {

// fd kinds that would mean a probe or BPF object exists in memgap.
std::vector<std::string> bpf_fds(int pid) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (ec) continue;
    std::string t = target.string();
    if (t.find("bpf") != std::string::npos || t.find("perf_event") != std::string::npos) out.push_back(t);
  }
  return out;
}

std::vector<std::string> composition_args(const std::string& file) {
  return {target_path("composition"), file, "16", "8", "4", "4", "256", "512", "4", "8"};
}

}  // namespace

TEST(GapCliNoProbes, NeverAttachesAProbe) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  const std::string file = temp_path("np.dat"), out = temp_path("np.json");
  Child target(composition_args(file));
  ASSERT_TRUE(target.wait_for("READY", 10000));
  Child memgap({MEMGAP_BIN, "attach", std::to_string(target.pid()), "--no-probes", "-d", "1s", "-f", "json", "-o", out});
  // Sample memgap's fds through its whole window, until it exits (bounded: 15 s).
  std::set<std::string> seen;
  int rc = -1;
  for (int i = 0; i < 300 && rc == -1; ++i) {
    for (const auto& f : bpf_fds(memgap.pid())) seen.insert(f);
    rc = memgap.wait_exit(50);
  }
  ASSERT_EQ(rc, 0) << memgap.err();
  EXPECT_NE(memgap.err().find("without probes"), std::string::npos) << memgap.err();
  EXPECT_TRUE(seen.empty()) << "BPF/perf fd held during --no-probes: " << *seen.begin();

  std::ifstream in(out);
  ASSERT_TRUE(in.good()) << "no snapshot at " << out;
  json snap = json::parse(in);
  EXPECT_EQ(snap["meta"]["probes_attached"], 0);
  EXPECT_EQ(snap["meta"]["probe_hits"], 0);
  EXPECT_EQ(snap["meta"]["mode"], "rss-only");
  const auto& cats = snap["gap"]["categories"];
  ASSERT_FALSE(cats.empty()) << "attach --no-probes wrote no gap categories";
  std::set<std::string> names;
  for (const auto& c : cats) {
    names.insert(c["name"].get<std::string>());
    EXPECT_FALSE(c["source"].get<std::string>().empty());
    EXPECT_FALSE(c["meaning"].get<std::string>().empty());
  }
  for (const char* n : {"heap.live", "heap.untracked", "heap.free", "stacks.threads", "anon.other", "file.mapped", "shmem"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_LT(std::abs(snap["gap"]["unexplained"].get<int64_t>()), snap["gap"]["rss"].get<int64_t>() / 20);
  EXPECT_FALSE(snap["gap"]["explanation"].get<std::string>().empty());
  unlink(file.c_str());
  unlink(out.c_str());
}

TEST(GapCliNoProbes, TargetExitingMidwayEndsCleanly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  const std::string file = temp_path("npx.dat"), out = temp_path("npx.json");
  auto target = std::make_unique<Child>(composition_args(file));
  ASSERT_TRUE(target->wait_for("READY", 10000));
  Child memgap({MEMGAP_BIN, "attach", std::to_string(target->pid()), "--no-probes", "-d", "30s", "-f", "json", "-o", out});
  // Its window has begun once it says so; the target dies inside it.
  ASSERT_TRUE(memgap.wait_for("Attached to PID", 15000, true)) << memgap.err();
  target.reset();  // SIGKILL and reap: the target is gone mid-window
  int rc = memgap.wait_exit(15000);
  ASSERT_NE(rc, -1) << "memgap hung after the target exited";
  ASSERT_EQ(rc, 0) << memgap.err();
  std::ifstream in(out);
  ASSERT_TRUE(in.good());
  json snap = json::parse(in);
  EXPECT_EQ(snap["meta"]["target_exited"], true);
  EXPECT_EQ(snap["meta"]["probe_hits"], 0);
  EXPECT_LT(snap["meta"]["duration_ms"].get<uint64_t>(), 15000u);  // ended by the exit, not the 30 s window
  unlink(file.c_str());
  unlink(out.c_str());
}
