// memgap run on Go test binaries (`go test -c`), the goroutine half of the CI leak gate:
// the goroutines a test binary leaves at exit, read from its memory at its exit stop,
// grouped by creation site and wait reason, checked against the runtime's own goroutine
// dump that the binary writes just before it exits (GOLEAKS_DUMP, see
// tests/targets/go/goleaks), for every release and flavour.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "model/snapshot_json.h"

namespace memgap::test {
namespace {

constexpr int kTimeoutMs = 60000;

struct RunResult {
  int exit_code = -1;
  std::string err;
};

// memgap run with GOLEAKS_DUMP=dump in CMD's environment (memgap passes its own on).
RunResult memgap_run(std::vector<std::string> options, std::vector<std::string> cmd, const std::string& dump) {
  std::vector<std::string> argv{MEMGAP_BIN, "run"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  if (!dump.empty()) ::setenv("GOLEAKS_DUMP", dump.c_str(), 1);
  Child memgap(argv);
  ::unsetenv("GOLEAKS_DUMP");
  RunResult r;
  r.exit_code = memgap.wait_exit(kTimeoutMs);
  r.err = memgap.err();
  return r;
}

std::string basename_of(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// "created by FUNCTION at FILE:LINE | WAIT REASON" → goroutines.
using Groups = std::map<std::string, uint64_t>;

std::string key(const std::string& created_by, const std::string& wait) { return created_by + " | " + wait; }

// The runtime's own dump (runtime.Stack of all goroutines), grouped the way memgap
// groups: by the `go` statement that created each goroutine and its wait reason. The
// first goroutine is the one that wrote the dump (the main one); os/signal's loop is
// the standard library's. Both are left out, as the gate leaves them out.
Groups groups_of_dump(const std::string& dump) {
  Groups out;
  std::istringstream in(dump);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t end = text.find("\n\n", pos);
    std::string block = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 2;
    if (block.rfind("goroutine ", 0) != 0) continue;
    if (first) {
      first = false;
      continue;
    }
    if (block.find("\nos/signal.loop(") != std::string::npos) continue;
    // "goroutine 7 [chan receive]:" or "[chan receive, 2 minutes]:"
    size_t lb = block.find('['), rb = block.find(']');
    std::string wait = block.substr(lb + 1, rb - lb - 1);
    wait = wait.substr(0, wait.find(','));
    // "created by pkg.F in goroutine 6" (1.21 on) or "created by pkg.F", then
    // "\t/path/file.go:23 +0x25".
    size_t cb = block.find("\ncreated by ");
    if (cb == std::string::npos) continue;
    size_t eol = block.find('\n', cb + 1);
    std::string fn = block.substr(cb + 12, eol - cb - 12);
    fn = fn.substr(0, fn.find(" in goroutine "));
    std::string where = block.substr(eol + 2);  // after "\n\t"
    where = where.substr(0, where.find(' '));
    where = where.substr(0, where.find('\n'));
    out[key(fn + " at " + basename_of(where), wait)] += 1;
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Groups groups_with_verdict(const model::Snapshot& s, const std::string& verdict) {
  Groups out;
  if (!s.go) return out;
  for (const auto& g : s.go->goroutine_groups)
    if (g.exit_verdict == verdict) out[key(g.created_by, g.wait_reason)] += g.count;
  return out;
}

std::string show(const Groups& g) {
  std::string s;
  for (const auto& [k, n] : g) s += "  " + std::to_string(n) + " x " + k + "\n";
  return s;
}

// A release and flavour of the goleaks test binary.
class GoRunGoroutines : public ::testing::TestWithParam<const char*> {
 protected:
  std::string binary() const { return target_path(GetParam()); }
  std::string release() const { return std::string(GetParam()).substr(0, std::string(GetParam()).find('/')); }
  std::string tmp(const std::string& what) const {
    std::string n = std::string(GetParam()) + "-" + what;
    for (auto& c : n)
      if (c == '/') c = '_';
    return temp_path(n);
  }
};

// 7 goroutines blocked in a channel receive, created at workers.go:23, and 3 in a
// select, created at goleaks_test.go:30: exactly those, as the runtime itself lists
// them just before the exit, and the gate fails above --max-goroutines 0.
TEST_P(GoRunGoroutines, LeakedGoroutinesMatchTheRuntimesOwnDumpAndFailTheGate) {
  std::string dump = tmp("leak-dump.txt"), snap_path = tmp("leak.json");
  std::remove(dump.c_str());
  auto r = memgap_run({"--max-goroutines", "0", "-o", snap_path}, {binary(), "-test.run", "^TestLeak$"}, dump);
  EXPECT_EQ(r.exit_code, 23) << r.err;
  EXPECT_NE(r.err.find("GOROUTINE GATE FAILED: 10 goroutines left at exit, above 0"), std::string::npos)
      << r.err;
  auto snap = model::read_snapshot_file(snap_path);
  ASSERT_TRUE(snap) << snap.error().message << "\n" << r.err;
  ASSERT_TRUE(snap->go.has_value()) << r.err;
  EXPECT_EQ(snap->go->version.rfind(release() + ".", 0), 0u) << snap->go->version;
  ASSERT_TRUE(snap->run.has_value());
  ASSERT_TRUE(snap->run->leaked_goroutines.has_value());
  EXPECT_EQ(*snap->run->leaked_goroutines, 10u);
  EXPECT_EQ(snap->run->max_goroutines, std::optional<uint64_t>(0));
  EXPECT_TRUE(snap->run->gate_failed);
  EXPECT_EQ(snap->run->leaked_bytes, 0u);  // a pure Go program: no C heap to leak

  Groups truth = groups_of_dump(read_file(dump));
  Groups expected{{key("memgap.test/goleaks.StartWorkers at workers.go:23", "chan receive"), 7},
                  {key("memgap.test/goleaks.TestLeak at goleaks_test.go:30", "select"), 3}};
  EXPECT_EQ(truth, expected) << "the target's own dump:\n" << show(truth);
  Groups leaked = groups_with_verdict(*snap, "leaked");
  EXPECT_EQ(leaked, truth) << "memgap:\n" << show(leaked) << "runtime:\n" << show(truth);
  // One blocked stack per group, ending where the goroutine began.
  for (const auto& g : snap->go->goroutine_groups) {
    if (g.exit_verdict != "leaked") continue;
    ASSERT_FALSE(g.stack.empty()) << g.created_by;
    EXPECT_EQ(g.stack.back().function, "runtime.goexit") << g.created_by;
  }
  // Ignored: the main goroutine, which is exiting, and nothing else in this run.
  Groups ignored = groups_with_verdict(*snap, "ignored");
  uint64_t n_ignored = 0;
  for (const auto& [k, n] : ignored) n_ignored += n;
  EXPECT_EQ(n_ignored, 1u) << show(ignored);
  std::remove(dump.c_str());
  std::remove(snap_path.c_str());
}

// The clean test joins its goroutines; os/signal's own loop, which it starts through
// signal.Notify and which stays until exit, is the standard library's.
TEST_P(GoRunGoroutines, CleanTestBinaryPassesWithNoGoroutineOfItsOwn) {
  std::string dump = tmp("clean-dump.txt"), snap_path = tmp("clean.json");
  std::remove(dump.c_str());
  auto r = memgap_run({"--max-goroutines", "0", "-o", snap_path}, {binary(), "-test.run", "^TestNoLeak$"}, dump);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("goroutines left at exit: none, limit 0 (--max-goroutines)"), std::string::npos) << r.err;
  EXPECT_TRUE(groups_of_dump(read_file(dump)).empty()) << read_file(dump);
  auto snap = model::read_snapshot_file(snap_path);
  ASSERT_TRUE(snap) << snap.error().message << "\n" << r.err;
  ASSERT_TRUE(snap->run && snap->run->leaked_goroutines) << r.err;
  EXPECT_EQ(*snap->run->leaked_goroutines, 0u);
  EXPECT_FALSE(snap->run->gate_failed);
  ASSERT_TRUE(snap->go.has_value());
  std::vector<std::string> ignored_starts;
  for (const auto& g : snap->go->goroutine_groups) {
    EXPECT_EQ(g.exit_verdict, "ignored") << g.created_by << " " << g.start;
    ignored_starts.push_back(g.start);
  }
  std::sort(ignored_starts.begin(), ignored_starts.end());
  EXPECT_EQ(ignored_starts, (std::vector<std::string>{"os/signal.loop", "runtime.main"}));
  std::remove(dump.c_str());
  std::remove(snap_path.c_str());
}

// A leak: pattern on the creation site sets those goroutines aside; the limit applies to
// the rest; within it, memgap exits with the test binary's own status.
TEST_P(GoRunGoroutines, SuppressionOnTheCreationSiteAndTheLimit) {
  std::string dump = tmp("supp-dump.txt"), supp = tmp("supp.txt"), snap_path = tmp("supp.json");
  {
    std::ofstream f(supp);
    f << "# the workers pool is torn down by the process exit\nleak:goleaks.StartWorkers\n";
  }
  std::vector<std::string> cmd{binary(), "-test.run", "^TestLeak$"};
  auto within = memgap_run({"--max-goroutines", "3", "--suppressions", supp, "-o", snap_path}, cmd, dump);
  EXPECT_EQ(within.exit_code, 0) << within.err;
  EXPECT_NE(within.err.find("goroutine gate passed: 3 goroutines left at exit, limit 3"),
            std::string::npos)
      << within.err;
  EXPECT_NE(within.err.find("leak:goleaks.StartWorkers  7 goroutines in 1 group"), std::string::npos) << within.err;
  auto snap = model::read_snapshot_file(snap_path);
  ASSERT_TRUE(snap) << snap.error().message;
  ASSERT_TRUE(snap->run && snap->run->leaked_goroutines);
  EXPECT_EQ(*snap->run->leaked_goroutines, 3u);
  EXPECT_EQ(snap->run->suppressed_goroutines, 7u);
  EXPECT_EQ(groups_with_verdict(*snap, "suppressed"),
            (Groups{{key("memgap.test/goleaks.StartWorkers at workers.go:23", "chan receive"), 7}}));

  auto above = memgap_run({"--max-goroutines", "2", "--suppressions", supp}, cmd, dump);
  EXPECT_EQ(above.exit_code, 23) << above.err;
  EXPECT_NE(above.err.find("GOROUTINE GATE FAILED: 3 goroutines left at exit, above 2"),
            std::string::npos)
      << above.err;
  // Without --max-goroutines they are reported, never gated.
  auto report = memgap_run({}, cmd, dump);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.err.find("goroutines left at exit: 10 (not gated"), std::string::npos) << report.err;
  for (const auto& p : {dump, supp, snap_path}) std::remove(p.c_str());
}

std::string param_name(const ::testing::TestParamInfo<const char*>& info) {
  std::string n = info.param;
  for (auto& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Releases, GoRunGoroutines,
                         ::testing::Values("go1.19/goleaks.test", "go1.26/goleaks.test", "go1.27/goleaks.test"),
                         param_name);
// Stripped and PIE test binaries: they do not link runtime/metrics, whose functions the Go
// reader (lib/runtime/go/globals.cpp) locates the runtime's globals by in stripped code;
// until it has anchors every Go binary has, memgap refuses them (exit 1, the reason named).
INSTANTIATE_TEST_SUITE_P(StrippedReleases, GoRunGoroutines,
                         ::testing::Values("go1.19/goleaks_stripped.test", "go1.19/goleaks_pie.test",
                                           "go1.26/goleaks_stripped.test", "go1.26/goleaks_pie.test",
                                           "go1.27/goleaks_stripped.test", "go1.27/goleaks_pie.test"),
                         param_name);

// --max-goroutines on a program that is not Go cannot be decided: an error, not a pass.
TEST(GoRunGoroutinesRefusal, MaxGoroutinesOnACProgramIsAnError) {
  auto r = memgap_run({"--max-goroutines", "0"}, {target_path("frees_all")}, "");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--max-goroutines: '" + target_path("frees_all") + "' is not a Go program"), std::string::npos)
      << r.err;
}

// A count that is not one is a usage error, before anything runs.
TEST(GoRunGoroutinesRefusal, NegativeMaxGoroutinesIsAUsageError) {
  auto r = memgap_run({"--max-goroutines", "-1"}, {target_path("frees_all")}, "");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--max-goroutines: expected a count of goroutines (0 or more), got '-1'"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace memgap::test
