// memgap top against a target that leaks steadily (leak_steady): the machine-wide list
// shows it growing, the per-process view puts its leak site first, JSON frames parse,
// every exit path detaches, and the terminal UI is driven for real inside tmux.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bpf_programs.h"
#include "harness.h"

namespace memgap::test {
namespace {

constexpr int kTimeoutMs = 30000;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

// Words of a list row: PID COMMAND RSS GROW/m ...
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> w;
  std::istringstream in(line);
  for (std::string s; in >> s;) w.push_back(s);
  return w;
}

TEST(Top, BatchListsTheLeakingTargetWithPositiveGrowth) {
  Child target({target_path("leak_steady"), "8192"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "top", "-b", "-n", "3", "-d", "1"});
  ASSERT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  // The last frame: rows after the last title line.
  auto lines = lines_of(memgap.out());
  size_t last_title = 0;
  int frames = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find("GROW/m") != std::string::npos) last_title = i, ++frames;
  EXPECT_EQ(frames, 3);
  bool found = false;
  for (size_t i = last_title + 1; i < lines.size(); ++i) {
    auto w = words(lines[i]);
    if (w.size() < 4 || w[0] != std::to_string(target.pid())) continue;
    found = true;
    EXPECT_EQ(w[1], "leak_steady");
    EXPECT_EQ(w[3][0], '+') << "growth cell of: " << lines[i];
  }
  EXPECT_TRUE(found) << memgap.out();
}

TEST(Top, JsonBatchIsOneParseableObjectPerRefresh) {
  Child target({target_path("leak_steady"), "8192"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "top", "-b", "-n", "3", "-d", "1", "--format", "json"});
  ASSERT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  auto lines = lines_of(memgap.out());
  ASSERT_EQ(lines.size(), 3u);
  nlohmann::json last;
  for (const auto& l : lines) ASSERT_NO_THROW(last = nlohmann::json::parse(l)) << l;
  EXPECT_EQ(last["schema"], "memgap.top/1");
  EXPECT_EQ(last["iteration"], 3);
  bool found = false;
  for (const auto& p : last["processes"]) {
    if (p["pid"] != target.pid()) continue;
    found = true;
    EXPECT_GT(p["growth_bytes_per_min"].get<double>(), 0);
    EXPECT_GT(p["rss"].get<uint64_t>(), 0u);
  }
  EXPECT_TRUE(found);
}

TEST(Top, PidBatchListsTheLeakSiteFirstAndDetaches) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  Child target({target_path("leak_steady"), "8192"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "top", std::to_string(target.pid()), "-b", "-n", "3", "-d", "1"});
  ASSERT_TRUE(memgap.wait_for("SITE", kTimeoutMs)) << memgap.err();
  const auto probes = loaded_malloc_enter(held_prog_ids(memgap.pid()));
  EXPECT_FALSE(probes.empty()) << "no malloc_enter program held while running";
  ASSERT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  auto lines = lines_of(memgap.out());
  int frames = 0;
  std::string first_site;
  for (size_t i = 0; i + 1 < lines.size(); ++i)
    if (lines[i].find("LIVE") != std::string::npos && lines[i].find("SITE") != std::string::npos) {
      ++frames;
      first_site = lines[i + 1];
    }
  EXPECT_EQ(frames, 3) << memgap.out();
  EXPECT_NE(first_site.find("leak_steady_site"), std::string::npos) << memgap.out();
  EXPECT_NE(first_site.find('+'), std::string::npos) << "growth of the leak site: " << first_site;
  EXPECT_NE(memgap.out().find("heap.live"), std::string::npos);
  EXPECT_NE(memgap.out().find("hits "), std::string::npos);
  EXPECT_TRUE(loaded_malloc_enter(probes).empty()) << "a malloc_enter program outlived memgap top";
}

TEST(Top, PidJsonFramesAreSnapshots) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  Child target({target_path("leak_steady"), "8192"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "top", std::to_string(target.pid()), "-b", "-n", "2", "-d", "1", "--format", "json"});
  ASSERT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  auto lines = lines_of(memgap.out());
  ASSERT_EQ(lines.size(), 2u);
  auto j = nlohmann::json::parse(lines.back());
  EXPECT_EQ(j["schema"], "memgap.snapshot/1");
  ASSERT_FALSE(j["sites"].empty());
  EXPECT_EQ(j["sites"][0]["frames"][0]["function"], "leak_steady_site");
}

TEST(Top, SigtermDetachesAndExitsZero) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  Child target({target_path("leak_steady"), "1024"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "top", std::to_string(target.pid()), "-b", "-d", "1"});
  ASSERT_TRUE(memgap.wait_for("SITE", kTimeoutMs)) << memgap.err();
  const auto probes = loaded_malloc_enter(held_prog_ids(memgap.pid()));
  EXPECT_FALSE(probes.empty());  // probes are live while it runs
  kill(memgap.pid(), SIGTERM);
  EXPECT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  EXPECT_TRUE(loaded_malloc_enter(probes).empty());
  // The target carries on unharmed.
  EXPECT_EQ(kill(target.pid(), 0), 0);
}

TEST(Top, TargetExitEndsThePidViewCleanly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  Child target({target_path("leak_steady"), "1024"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Child memgap({MEMGAP_BIN, "top", std::to_string(target.pid()), "-b", "-d", "1"});
  ASSERT_TRUE(memgap.wait_for("SITE", kTimeoutMs)) << memgap.err();
  target.close_stdin();  // leak_steady exits when its stdin closes
  EXPECT_EQ(memgap.wait_exit(kTimeoutMs), 0) << memgap.err();
  EXPECT_NE(memgap.err().find("exited"), std::string::npos) << memgap.err();
}

// The terminal UI in a real terminal: tmux runs it, send-keys drives it, capture-pane
// reads the screen. A private tmux socket keeps other sessions out of it.
class Tmux {
 public:
  Tmux() : sock_("memgap-test-" + std::to_string(getpid())) {}
  ~Tmux() { std::system(("tmux -L " + sock_ + " kill-server 2>/dev/null").c_str()); }
  bool start(const std::string& cmd, int cols, int rows) {
    return std::system(("tmux -L " + sock_ + " new-session -d -s top -x " + std::to_string(cols) + " -y " +
                        std::to_string(rows) + " '" + cmd + "'")
                           .c_str()) == 0;
  }
  void keys(const std::string& k) { std::system(("tmux -L " + sock_ + " send-keys -t top " + k).c_str()); }
  std::vector<std::string> screen() { return lines_of(run_capture("tmux -L " + sock_ + " capture-pane -p -t top")); }
  int pane_pid() { return std::atoi(run_capture("tmux -L " + sock_ + " list-panes -t top -F '#{pane_pid}'").c_str()); }
  bool running() { return std::system(("tmux -L " + sock_ + " has-session -t top 2>/dev/null").c_str()) == 0; }
  // Polls the screen until `pred` holds; false after timeout_ms.
  template <typename Pred>
  bool wait(Pred pred, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 100) {
      if (pred(screen())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  std::string sock_;
};

std::string dump(const std::vector<std::string>& screen) {
  std::string s;
  for (const auto& l : screen) s += l + "\n";
  return s;
}

TEST(Top, TerminalUiShowsTheLeakRisingToTheTopAndObeysKeys) {
  if (std::system("command -v tmux >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed (apt-get install tmux)";
  // 64 MiB/s: faster than anything else on a busy build machine, for a few seconds.
  Child target({target_path("leak_steady"), "65536", "768"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  const std::string pid = std::to_string(target.pid());
  Tmux tmux;
  ASSERT_TRUE(tmux.start(std::string("TERM=xterm-256color ") + MEMGAP_BIN + " top -d 1", 120, 40));
  auto first_row_is_target = [&](const std::vector<std::string>& s) {
    return s.size() > 3 && words(s[3]).size() > 1 && words(s[3])[0] == pid;
  };
  // Sorted by growth (the default), the leak rises to the first row within a few refreshes.
  EXPECT_TRUE(tmux.wait(first_row_is_target, 8000)) << dump(tmux.screen());
  auto s = tmux.screen();
  ASSERT_GT(s.size(), 3u);
  EXPECT_NE(s[0].find("sort growth"), std::string::npos) << dump(s);
  EXPECT_NE(s[2].find("GO.IDLE"), std::string::npos) << "120 columns show the wide layout\n" << dump(s);
  // Sort by RSS, then back to growth.
  tmux.keys("m");
  EXPECT_TRUE(tmux.wait([](const auto& s) { return !s.empty() && s[0].find("sort rss") != std::string::npos; }, 3000))
      << dump(tmux.screen());
  tmux.keys("g");
  EXPECT_TRUE(tmux.wait([](const auto& s) { return !s.empty() && s[0].find("sort growth") != std::string::npos; }, 3000));
  // Filter by name: only the target is left, first.
  tmux.keys("/");
  tmux.keys("leak_stea");
  tmux.keys("Enter");
  EXPECT_TRUE(tmux.wait(
      [&](const auto& s) { return first_row_is_target(s) && (s.size() < 5 || words(s[4]).empty()); }, 3000))
      << dump(tmux.screen());
  // Select it and drill in: its gap table.
  tmux.keys("Enter");
  EXPECT_TRUE(tmux.wait(
      [&](const auto& s) {
        for (const auto& l : s)
          if (l.find("PID " + pid + " (leak_steady)") != std::string::npos) return true;
        return false;
      },
      5000))
      << dump(tmux.screen());
  std::string detail = dump(tmux.screen());
  EXPECT_NE(detail.find("heap."), std::string::npos) << detail;
  EXPECT_NE(detail.find("unexplained"), std::string::npos) << detail;
  tmux.keys("Escape");
  tmux.keys("q");
  bool ended = false;
  for (int i = 0; i < 30 && !(ended = !tmux.running()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(ended) << "q did not quit";
}

TEST(Top, TerminalUiPidModeQuitsOnQAndDetaches) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  if (std::system("command -v tmux >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed (apt-get install tmux)";
  Child target({target_path("leak_steady"), "8192"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  Tmux tmux;
  ASSERT_TRUE(tmux.start(std::string("TERM=xterm-256color LANG=C.UTF-8 ") + MEMGAP_BIN + " top " +
                             std::to_string(target.pid()) + " -d 1",
                         80, 30));
  EXPECT_TRUE(tmux.wait(
      [](const auto& s) {
        for (const auto& l : s)
          if (l.find("leak_steady_site") != std::string::npos) return true;
        return false;
      },
      15000))
      << dump(tmux.screen());
  const int memgap_pid = tmux.pane_pid();  // tmux runs the command itself in the pane
  const auto probes = loaded_malloc_enter(held_prog_ids(memgap_pid));
  EXPECT_FALSE(probes.empty());
  tmux.keys("q");
  // Detaching takes seconds here (uprobe removal waits for RCU grace periods).
  bool ended = false;
  for (int i = 0; i < 200 && !(ended = !tmux.running()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(ended) << "q did not quit";
  EXPECT_TRUE(loaded_malloc_enter(probes).empty());
}

// Closing the terminal sends SIGHUP: the probes still come off.
TEST(Top, TerminalClosedDetaches) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  if (std::system("command -v tmux >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed (apt-get install tmux)";
  Child target({target_path("leak_steady"), "1024"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  std::set<int> probes;
  int memgap_pid = 0;
  {
    Tmux tmux;
    ASSERT_TRUE(tmux.start(std::string("TERM=xterm ") + MEMGAP_BIN + " top " + std::to_string(target.pid()) + " -d 1",
                           80, 30));
    EXPECT_TRUE(tmux.wait(
        [](const auto& s) {
          for (const auto& l : s)
            if (l.find("SITE") != std::string::npos) return true;
          return false;
        },
        15000));
    memgap_pid = tmux.pane_pid();
    probes = loaded_malloc_enter(held_prog_ids(memgap_pid));
    EXPECT_FALSE(probes.empty());
  }  // kill-server: the pane's process gets SIGHUP
  // Detaching takes a few seconds here (uprobe removal waits for RCU grace periods).
  for (int i = 0; i < 150 && kill(memgap_pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(loaded_malloc_enter(probes).empty());
}

}  // namespace
}  // namespace memgap::test
