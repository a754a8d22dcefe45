// Real Go programs of current releases, as their authors ship them in the npm registry
// (prebuilt and stripped; scripts/install-deps.sh installs pinned versions into
// /opt/memgap-npm): memgap attaches to each WHILE it runs, started with
// GODEBUG=gctrace=1 and a GOGC of the test's choosing, and what it reads from outside is
// checked against what the program says of itself: the Go release it was built with,
// the GOGC it was given, and its gctrace lines on stderr
// (`gc N @t ...: ..., X->Y->Z MB, W MB goal, S MB stacks, G MB globals, P P`): the cycle
// count, the live heap the last cycle marked, the goal that follows from them.
//
//   lefthook 2.2.2  (go1.27.0)  `lefthook run` of a hook whose command waits on a FIFO
//   buf 1.75.0      (go1.27.3)  `buf lsp serve`, the language server, on an open stdin
//   esbuild 0.28.2  (go1.26.5)  `esbuild --serve` after bundling a 20000-function input;
//                               its binary carries no .go.buildinfo
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"
#include "model/snapshot_json.h"

namespace memgap::test {
namespace {

constexpr const char* kNpmDir = "/opt/memgap-npm/node_modules";  // scripts/install-deps.sh
constexpr int kTimeoutMs = 30000;
constexpr uint64_t kMiB = 1 << 20;

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  return static_cast<int>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
}

// One gctrace line.
struct GcLine {
  uint64_t n = 0;
  uint64_t heap_start_mb = 0, heap_end_mb = 0, live_mb = 0, goal_mb = 0, stacks_mb = 0, globals_mb = 0;
};

std::optional<GcLine> parse_gc_line(const std::string& l) {
  if (l.rfind("gc ", 0) != 0) return std::nullopt;
  GcLine g;
  unsigned long long n = 0;
  if (std::sscanf(l.c_str(), "gc %llu @", &n) != 1) return std::nullopt;
  g.n = n;
  auto ms = l.find(" ms cpu, ");
  if (ms == std::string::npos) return std::nullopt;
  unsigned long long a, b, c, w, s, gl;
  if (std::sscanf(l.c_str() + ms + 9, "%llu->%llu->%llu MB, %llu MB goal, %llu MB stacks, %llu MB globals", &a, &b,
                  &c, &w, &s, &gl) != 6)
    return std::nullopt;
  g.heap_start_mb = a, g.heap_end_mb = b, g.live_mb = c, g.goal_mb = w, g.stacks_mb = s, g.globals_mb = gl;
  return g;
}

// A program started with its stdin on a pipe (kept open: closing it ends esbuild and
// buf), stdout on /dev/null and stderr on a pipe read for gctrace lines.
class Program {
 public:
  Program(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& cwd = "") {
    int in[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(err[1], 2);
      if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(err[1]);
    to_ = in[1];
    from_ = err[0];
  }
  ~Program() {
    close_stdin();
    if (pid_ > 0 && !wait_exit(5000)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (from_ >= 0) close(from_);
  }
  int pid() const { return pid_; }
  void send(const std::string& line) {
    std::string l = line + "\n";
    (void)!write(to_, l.data(), l.size());
  }
  void close_stdin() {
    if (to_ >= 0) close(to_);
    to_ = -1;
  }
  bool wait_exit(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    do {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      drain(20);
    } while (Clock::now() < deadline);
    return false;
  }
  // Reads what stderr has now (waiting up to timeout_ms for the first bytes).
  void drain(int timeout_ms) {
    pollfd p{from_, POLLIN, 0};
    int wait = timeout_ms;
    while (from_ >= 0 && poll(&p, 1, wait) > 0) {
      char b[65536];
      ssize_t n = read(from_, b, sizeof b);
      if (n <= 0) break;
      err_.append(b, static_cast<size_t>(n));
      wait = 0;
    }
  }
  const std::string& err() const { return err_; }
  // The newest complete gctrace line so far.
  std::optional<GcLine> last_gc() const {
    std::optional<GcLine> last;
    size_t pos = 0;
    while (pos < err_.size()) {
      size_t nl = err_.find('\n', pos);
      if (nl == std::string::npos) break;
      if (auto g = parse_gc_line(err_.substr(pos, nl - pos))) last = g;
      pos = nl + 1;
    }
    return last;
  }
  bool wait_for_stderr(const std::string& needle, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (err_.find(needle) == std::string::npos) {
      if (Clock::now() >= deadline) return false;
      drain(std::max(1, ms_left(deadline)));
    }
    return true;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string err_;
};

// memgap's reading of `pid` (attach without probes: runtime state and smaps only).
Result<model::Snapshot> memgap_reads(int pid, const std::string& out) {
  std::remove(out.c_str());
  Child memgap({MEMGAP_BIN, "attach", std::to_string(pid), "--no-probes", "-d", "100ms", "-o", out});
  int rc = memgap.wait_exit(kTimeoutMs);
  if (rc != 0) return make_error("memgap attach exited " + std::to_string(rc) + ": " + memgap.err());
  return model::read_snapshot_file(out);
}

double metric(const model::GoInfo& go, const std::string& name) {
  auto it = go.runtime.find(name);
  return it == go.runtime.end() ? std::nan("") : it->second;
}

// `go version FILE` with the machine's Go 1.26; "" when it cannot tell (esbuild has no
// .go.buildinfo).
std::string go_version_of(const std::string& file) {
  std::string cmd = "GOTOOLCHAIN=local /usr/local/go/bin/go version " + file + " 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 512> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  pclose(p);
  auto colon = out.rfind(": ");
  if (colon == std::string::npos) return "";
  out = out.substr(colon + 2);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

struct Case {
  const char* name;
  const char* binary;      // under kNpmDir
  const char* go_version;  // what the pinned release was built with
  int gogc;
};

// Attaches while `p` runs and checks what memgap reads against its gctrace and GOGC. A
// measurement counts when no GC cycle ended while memgap read (the gctrace line count is
// the same before and after): the runtime's figures are then those of the last line.
void check_against_gctrace(Program& p, const Case& c, const std::string& exe) {
  auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  std::string name = c.name;
  for (auto& ch : name)
    if (ch == '/') ch = '_';
  std::string out = temp_path("npm-" + name + ".json");
  std::optional<model::Snapshot> snap;
  std::optional<GcLine> gc;
  int reads = 0;
  while (Clock::now() < deadline) {
    p.drain(0);
    auto before = p.last_gc();
    auto s = memgap_reads(p.pid(), out);
    ASSERT_TRUE(s) << s.error().message;
    std::string notes;
    for (const auto& n : s->meta.notes) notes += "\n  note: " + n;
    ASSERT_TRUE(s->go.has_value()) << "memgap did not read the Go runtime of " << c.name << notes;
    ++reads;
    p.drain(50);  // a cycle that ended during the read has printed its line by now
    auto after = p.last_gc();
    double cycles = metric(*s->go, "/gc/cycles/total:gc-cycles");
    if (before && after && before->n == after->n && cycles == double(after->n)) {
      snap = std::move(*s);
      gc = after;
      break;
    }
  }
  ASSERT_TRUE(snap.has_value()) << c.name << ": no read between two GC cycles in " << reads << " tries\n" << p.err();
  const model::GoInfo& go = *snap->go;
  std::printf("[%s] %s, %d reads: gc %lu, live %.2f MiB (gctrace %lu MB), goal %.2f MiB, GOGC %.0f, goroutines %lu\n",
              c.name, go.version.c_str(), reads, (unsigned long)gc->n,
              metric(go, "/gc/heap/live:bytes") / double(kMiB), (unsigned long)gc->live_mb,
              metric(go, "/gc/heap/goal:bytes") / double(kMiB), metric(go, "/gc/gogc:percent"),
              (unsigned long)go.goroutines);

  EXPECT_EQ(go.version, c.go_version);
  // What `go version` reads from the binary's .go.buildinfo (esbuild has none).
  if (std::string(c.name) != "esbuild") EXPECT_EQ(go_version_of(exe), c.go_version) << "go version " << exe;
  EXPECT_EQ(metric(go, "/gc/gogc:percent"), double(c.gogc));
  EXPECT_GE(gc->n, 1u);
  EXPECT_EQ(metric(go, "/gc/cycles/total:gc-cycles"), double(gc->n));
  // gctrace prints bytes >> 20.
  double live = metric(go, "/gc/heap/live:bytes");
  ASSERT_FALSE(std::isnan(live)) << "no /gc/heap/live:bytes in " << go.version;
  EXPECT_EQ(static_cast<uint64_t>(live) >> 20, gc->live_mb);
  // Objects in the heap (live and not yet swept) hold at least what the cycle marked.
  EXPECT_GE(metric(go, "/memory/classes/heap/objects:bytes"), double(gc->live_mb * kMiB));
  // The goal that cycle set (the pacer, mgcpacer.go): marked heap + (marked heap + stacks
  // + globals) * GOGC/100, at least 4 MiB * GOGC/100, from the line's figures, each
  // rounded down to whole MB; the pacer may push it up to the sweep distance it keeps,
  // 1 MiB above the heap at the cycle's end.
  double g = c.gogc / 100.0;
  double lo = std::max((gc->live_mb * (1 + g) + (gc->stacks_mb + gc->globals_mb) * g), 4 * g) * kMiB;
  double hi = std::max({((gc->live_mb + 1) * (1 + g) + (gc->stacks_mb + gc->globals_mb + 2) * g), 4 * g,
                        double(gc->live_mb + 2)}) *
              kMiB;
  double goal = metric(go, "/gc/heap/goal:bytes");
  EXPECT_GE(goal, lo) << p.err();
  EXPECT_LE(goal, hi) << p.err();
  EXPECT_GT(go.goroutines, 0u);
  std::remove(out.c_str());
}

std::string npm_binary(const char* rel) { return std::string(kNpmDir) + "/" + rel; }

TEST(GoNpmPrograms, LefthookRunningAHookReadsAsItsGctraceSays) {
  Case c{"lefthook", "lefthook-linux-x64/bin/lefthook", "go1.27.0", 20};
  std::string exe = npm_binary(c.binary);
  ASSERT_EQ(access(exe.c_str(), X_OK), 0) << exe << ": run scripts/install-deps.sh";
  // A git repository whose hook command waits on a FIFO until the test writes to it.
  std::string repo = temp_path("lefthook-repo");
  std::filesystem::remove_all(repo);
  std::filesystem::create_directories(repo);
  ASSERT_EQ(std::system(("git init -q " + repo).c_str()), 0);
  std::string fifo = repo + "/release";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  {
    std::ofstream y(repo + "/lefthook.yml");
    y << "memgap-wait:\n  commands:\n    wait:\n      run: cat " << fifo << " > /dev/null\n";
  }
  {
    Program p({exe, "run", "memgap-wait"}, {"GODEBUG=gctrace=1", "GOGC=" + std::to_string(c.gogc)}, repo);
    ASSERT_TRUE(p.wait_for_stderr("gc 1 @", kTimeoutMs)) << p.err();
    check_against_gctrace(p, c, exe);
    // Let the hook finish: lefthook then exits 0.
    int w = open(fifo.c_str(), O_WRONLY);
    ASSERT_GE(w, 0);
    close(w);
    EXPECT_TRUE(p.wait_exit(kTimeoutMs));
  }
  std::filesystem::remove_all(repo);
}

TEST(GoNpmPrograms, BufLanguageServerReadsAsItsGctraceSays) {
  Case c{"buf", "@bufbuild/buf-linux-x64/bin/buf", "go1.27.3", 50};
  std::string exe = npm_binary(c.binary);
  ASSERT_EQ(access(exe.c_str(), X_OK), 0) << exe << ": run scripts/install-deps.sh";
  Program p({exe, "lsp", "serve"}, {"GODEBUG=gctrace=1", "GOGC=" + std::to_string(c.gogc)});
  ASSERT_TRUE(p.wait_for_stderr("gc 1 @", kTimeoutMs)) << p.err();
  check_against_gctrace(p, c, exe);
  p.close_stdin();  // the end of its client's stream: the server exits
  EXPECT_TRUE(p.wait_exit(kTimeoutMs));
}

TEST(GoNpmPrograms, EsbuildServingABundleReadsAsItsGctraceSays) {
  Case c{"esbuild", "@esbuild/linux-x64/bin/esbuild", "go1.26.5", 50};
  std::string exe = npm_binary(c.binary);
  ASSERT_EQ(access(exe.c_str(), X_OK), 0) << exe << ": run scripts/install-deps.sh";
  std::string dir = temp_path("esbuild");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream js(dir + "/in.js");
    for (int i = 0; i < 20000; ++i)
      js << "export function f" << i << "(a) { return a * " << i << " + \"s" << i << "\".length; }\n";
  }
  Program p({exe, dir + "/in.js", "--bundle", "--serve=127.0.0.1:0", "--outdir=" + dir + "/out"},
            {"GODEBUG=gctrace=1", "GOGC=" + std::to_string(c.gogc)});
  // It prints where it serves once the first build is done.
  ASSERT_TRUE(p.wait_for_stderr("Local:", kTimeoutMs)) << p.err();
  check_against_gctrace(p, c, exe);
  p.close_stdin();  // esbuild's serve mode ends with its stdin
  EXPECT_TRUE(p.wait_exit(kTimeoutMs));
  std::filesystem::remove_all(dir);
}

// The same oracle on memgap's own Go target (go_leaky, paused so that it stops
// allocating), stripped and PIE, built by the current releases (/gc/heap/live:bytes is
// from Go 1.21 on): the oracle the npm programs are checked against, on binaries whose
// runtime memgap reads today.
class GoTargetGctrace : public ::testing::TestWithParam<const char*> {};

TEST_P(GoTargetGctrace, ReadsAsItsGctraceSays) {
  std::string exe = target_path(GetParam());
  std::string version = go_version_of(exe);
  ASSERT_FALSE(version.empty()) << exe;
  Case c{GetParam(), GetParam(), version.c_str(), 20};
  Program p({exe}, {"GODEBUG=gctrace=1", "GOGC=20"});
  ASSERT_TRUE(p.wait_for_stderr("gc 3 @", kTimeoutMs)) << p.err();  // it grows until paused
  p.send("pause");
  check_against_gctrace(p, c, exe);
  p.send("quit");
  EXPECT_TRUE(p.wait_exit(kTimeoutMs));
}

INSTANTIATE_TEST_SUITE_P(Releases, GoTargetGctrace,
                         ::testing::Values("go1.26/go_leaky_stripped",
                                           "go1.26/go_leaky_pie", "go1.27/go_leaky_stripped", "go1.27/go_leaky_pie"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace memgap::test
