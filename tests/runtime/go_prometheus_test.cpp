// Debian's prometheus (stripped, go1.19, cgo): memgap's goroutine count and stack bytes
// against the service's own /metrics, and the gap. Runs prometheus on loopback with a
// throw-away storage dir; skipped when the package is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "collect/proc_source.h"
#include "collect/smaps.h"
#include "pipeline/gap.h"
#include "pipeline/go_section.h"
#include "pipeline/process_gap.h"
#include "runtime/go/go_state.h"

using namespace memgap;
using namespace memgap::runtime::go;

namespace {
constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr int kPort = 19391;

// GET on loopback with Connection: close; returns the body ("" on failure).
std::string http_get(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char b[65536];
  ssize_t n;
  while ((n = read(fd, b, sizeof b)) > 0) resp.append(b, static_cast<size_t>(n));
  close(fd);
  auto hdr = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.1 200", 0) != 0 || hdr == std::string::npos) return "";
  return resp.substr(hdr + 4);  // Go's server sends identity bodies with Content-Length or chunked;
                                // metric lines are found inside either way.
}

double metric_value(const std::string& body, const std::string& name) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}

class Prometheus {
 public:
  Prometheus() {
    dir_ = std::filesystem::temp_directory_path() / ("memgap_prom_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_ / "data");
    // Scrapes itself, like a real deployment; 1h keeps scrapes out of the measurement.
    std::ofstream(dir_ / "prometheus.yml")
        << "global:\n  scrape_interval: 1h\nscrape_configs:\n  - job_name: self\n"
        << "    static_configs:\n      - targets: ['127.0.0.1:" << kPort << "']\n";
    pid_ = fork();
    if (pid_ == 0) {
      std::string cfg = "--config.file=" + (dir_ / "prometheus.yml").string();
      std::string data = "--storage.tsdb.path=" + (dir_ / "data").string();
      std::string addr = "--web.listen-address=127.0.0.1:" + std::to_string(kPort);
      freopen("/dev/null", "w", stderr);
      execl(kPrometheus, kPrometheus, cfg.c_str(), data.c_str(), addr.c_str(), nullptr);
      _exit(127);
    }
  }
  ~Prometheus() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(50000);
      if (waitpid(pid_, nullptr, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  int pid() const { return pid_; }
  bool wait_ready() {
    for (int i = 0; i < 100; ++i) {
      if (!http_get(kPort, "/-/ready").empty()) return true;
      usleep(100000);
    }
    return false;
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

// Prometheus has settled after start-up once two reads 200 ms apart see the same
// goroutine count (its start-up goroutines, rule loaders and TSDB head, have finished).
bool settled(const GoReader& reader) {
  double last = -1;
  for (int i = 0; i < 50; ++i) {
    auto s = reader.read();
    double now = s ? double(s->census.goroutines) : -2;
    if (s && now == last) return true;
    last = now;
    usleep(200000);
  }
  return false;
}

TEST(GoPrometheus, GoroutinesAndStacksAgreeWithItsOwnMetrics) {
  if (access(kPrometheus, X_OK) != 0) GTEST_SKIP() << "prometheus is not installed (apt-get install prometheus)";
  Prometheus prom;
  ASSERT_TRUE(prom.wait_ready()) << "prometheus did not become ready on 127.0.0.1:" << kPort;
  collect::RealProcSource proc;
  auto reader = GoReader::open(prom.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(reader->version().text.rfind("go1.19", 0), 0u);
  ASSERT_TRUE(settled(*reader));

  // A scrape itself starts goroutines (the connection and its background reader,
  // collector workers), so memgap reads continuously while each scrape runs (the
  // request runs on another thread): the scrapes' median figure must lie within the
  // range memgap saw meanwhile, widened by 10%.
  double gmin = 1e18, gmax = 0, smin = 1e18, smax = 0;
  int reads = 0;
  std::vector<double> gs, ss;
  for (int i = 0; i < 20; ++i) {
    std::atomic<bool> done{false};
    std::string body;
    std::thread scrape([&] {
      body = http_get(kPort, "/metrics");
      done = true;
    });
    std::string error;
    do {
      auto s = reader->read();
      if (!s) {
        error = s.error().message;
        break;
      }
      double g = double(s->census.goroutines), st = s->metrics.at("/memory/classes/heap/stacks:bytes");
      gmin = std::min(gmin, g); gmax = std::max(gmax, g);
      smin = std::min(smin, st); smax = std::max(smax, st);
      ++reads;
    } while (!done);
    scrape.join();  // before any assertion can return
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_FALSE(body.empty());
    gs.push_back(metric_value(body, "go_goroutines"));
    ss.push_back(metric_value(body, "go_memstats_stack_inuse_bytes"));
  }
  std::sort(gs.begin(), gs.end());
  std::sort(ss.begin(), ss.end());
  double goroutines = gs[gs.size() / 2], stack = ss[ss.size() / 2];  // medians
  std::printf("prometheus: go_goroutines %.0f, memgap %.0f..%.0f; stack_inuse %.0f, memgap %.0f..%.0f (%d reads)\n",
              goroutines, gmin, gmax, stack, smin, smax, reads);
  EXPECT_GE(goroutines, gmin * 0.9);
  EXPECT_LE(goroutines, gmax * 1.1);
  EXPECT_GE(stack, smin * 0.9);
  EXPECT_LE(stack, smax * 1.1);
}

TEST(GoPrometheus, GapExplainsRss) {
  if (access(kPrometheus, X_OK) != 0) GTEST_SKIP() << "prometheus is not installed (apt-get install prometheus)";
  Prometheus prom;
  ASSERT_TRUE(prom.wait_ready());
  collect::RealProcSource proc;
  auto reader = GoReader::open(prom.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  ASSERT_TRUE(settled(*reader));
  auto state = reader->read();
  ASSERT_TRUE(state) << state.error().message;
  auto smaps = proc.read(prom.pid(), "smaps");
  ASSERT_TRUE(smaps);
  auto maps = pipeline::parse_smaps_residency(*smaps);
  uint64_t rss = 0, file_rss = 0;
  for (const auto& m : maps) {
    rss += m.rss;
    if (!m.path.empty() && m.path[0] == '/') file_rss += m.rss;
  }
  auto sec = pipeline::build_go_section(*state, maps, rss);
  uint64_t go = 0;
  for (const auto& c : sec.categories) go += c.bytes;
  int64_t unexplained = int64_t(rss) - int64_t(file_rss) - int64_t(go);
  std::printf("prometheus RSS %lu: file %lu, go.* %lu, unexplained %ld (%.1f%%)\n  %s\n",
              (unsigned long)rss, (unsigned long)file_rss, (unsigned long)go, (long)unexplained,
              100.0 * double(unexplained) / double(rss), sec.explanation.c_str());
  for (const auto& c : sec.categories) std::printf("  %-16s %10lu\n", c.name.c_str(), (unsigned long)c.bytes);
  EXPECT_GE(unexplained, 0);
  EXPECT_LT(double(unexplained), 0.10 * double(rss));

  // The same through the process gap, as `memgap attach --no-probes` and `top` build it.
  pipeline::GoProbe probe;
  auto pg = pipeline::process_gap(prom.pid(), proc, probe, true);
  ASSERT_TRUE(pg) << pg.error().message;
  ASSERT_TRUE(pg->go.has_value()) << probe.error;
  const auto& gap = pg->report.gap;
  std::printf("prometheus merged gap: RSS %lu, unexplained %ld (%.1f%%)\n", (unsigned long)gap.rss,
              (long)gap.unexplained, 100.0 * double(gap.unexplained) / double(gap.rss));
  for (const auto& c : gap.categories) std::printf("  %-16s %10lu\n", c.name.c_str(), (unsigned long)c.bytes);
  EXPECT_LT(std::llabs(gap.unexplained), int64_t(0.10 * double(gap.rss)));
}

}  // namespace
