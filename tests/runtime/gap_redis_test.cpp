// Debian's redis-server (jemalloc) after DEBUG POPULATE 200000, explained without
// probes: under 15% of RSS unexplained (anon.other counted as unexplained too, to be
// strict), and the heap memgap finds between redis's own INFO memory figures for the
// allocator's active and resident memory. Started on 127.0.0.1 with its own port and a temp
// dir, stopped by the test; skipped when redis-server is not installed
// (apt-get install redis-server redis-tools).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "analyze/reconcile.h"
#include "harness.h"
#include "pipeline/gap.h"
#include "report/gap_table.h"

using namespace memgap;
using namespace memgap::test;

namespace {

const char* kServer = "/usr/bin/redis-server";
const char* kCli = "/usr/bin/redis-cli";

std::string cli(int port, const std::string& args) {
  std::string cmd = std::string(kCli) + " -h 127.0.0.1 -p " + std::to_string(port) + " " + args + " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

std::map<std::string, std::string> info_fields(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto c = line.find(':');
    if (c != std::string::npos) out[line.substr(0, c)] = line.substr(c + 1);
  }
  return out;
}

uint64_t bytes_of(const model::Gap& g, const std::string& name) {
  for (const auto& c : g.categories)
    if (c.name == name) return c.bytes;
  return 0;
}

}  // namespace

TEST(GapRedis, PopulatedRedisIsExplained) {
  if (access(kServer, X_OK) != 0 || access(kCli, X_OK) != 0)
    GTEST_SKIP() << "redis-server not installed (apt-get install -y redis-server redis-tools)";
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  const int port = 20000 + getpid() % 20000;
  const std::string dir = temp_path("redis");
  std::filesystem::create_directories(dir);
  Child redis({kServer, "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
               "--appendonly", "no", "--enable-debug-command", "yes", "--daemonize", "no"});
  ASSERT_GT(redis.pid(), 0);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = cli(port, "PING").find("PONG") != std::string::npos;
    if (!up) usleep(50000);
  }
  ASSERT_TRUE(up) << "redis did not start: " << redis.err();
  ASSERT_NE(cli(port, "DEBUG POPULATE 200000").find("OK"), std::string::npos);
  auto info = info_fields(cli(port, "INFO memory"));
  collect::RealProcSource proc;
  auto rep = pipeline::explain_rss_report(redis.pid(), proc, analyze::HeapObservation{});
  cli(port, "SHUTDOWN NOSAVE");
  redis.wait_exit(5000);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  const auto& g = rep->gap;
  std::printf("%s", report::format_gap_table(g).c_str());
  EXPECT_EQ(rep->allocator, "jemalloc");

  const uint64_t heap = bytes_of(g, analyze::kHeapLive) + bytes_of(g, analyze::kHeapUntracked) + bytes_of(g, analyze::kHeapFree);
  const uint64_t resident = std::stoull(info["allocator_resident"]);
  const uint64_t active = std::stoull(info["allocator_active"]);
  const uint64_t allocated = std::stoull(info["allocator_allocated"]);
  std::printf("  memgap heap %llu; redis allocator_resident %llu active %llu allocated %llu; used_memory_rss %s\n",
              (unsigned long long)heap, (unsigned long long)resident, (unsigned long long)active,
              (unsigned long long)allocated, info["used_memory_rss"].c_str());
  // jemalloc's "resident" is documented as a maximum (it counts pages of dirty extents it
  // has not purged yet, touched or not, and its background purge moves it between INFO
  // and memgap's read: seen 12% and 19% above memgap's figure on the same populate).
  // "active" counts the pages of extents in use. What the kernel says is resident lies
  // between the two: hold memgap's figure to that band, 10% either side.
  EXPECT_GE(static_cast<double>(heap), 0.9 * static_cast<double>(active));
  EXPECT_LE(static_cast<double>(heap), 1.1 * static_cast<double>(resident));
  const int64_t vague = std::abs(g.unexplained) + static_cast<int64_t>(bytes_of(g, analyze::kAnonOther));
  EXPECT_LT(vague, static_cast<int64_t>(g.rss * 15 / 100)) << "unexplained " << g.unexplained;
}
