// End-to-end checks of `memgap diff` through the built binary: exit codes, the one-line
// error contract, and that real pprof / flame graph tools read what it writes. The few
// tests here that look at printed text; everything else asserts on structures.
//
// The binary: MEMGAP_BIN (compile definition or environment), else ../cmd/memgap next to
// this test executable in the build tree; skipped when none exists.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string memgap_bin() {
#ifdef MEMGAP_BIN
  if (fs::exists(MEMGAP_BIN)) return MEMGAP_BIN;
#endif
  if (const char* env = std::getenv("MEMGAP_BIN"); env && fs::exists(env)) return env;
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto guess = self.parent_path().parent_path() / "cmd" / "memgap";
    if (fs::exists(guess)) return guess.string();
  }
  return {};
}

std::string data(const std::string& name) { return std::string(MEMGAP_TEST_DATA) + "/snapshots/" + name; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Outcome {
  int rc = -1;
  std::string out, err;
};

class CliDiff : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = memgap_bin();
    if (bin_.empty()) GTEST_SKIP() << "memgap binary not found (set MEMGAP_BIN)";
    dir_ = fs::path(testing::TempDir()) / ("memgap-cli-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  Outcome sh(const std::string& cmd) {
    std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    int st = std::system(("cd " + quote(dir_.string()) + " && HOME=" + quote(dir_.string()) + " " + cmd + " >" +
                          quote(out) + " 2>" + quote(err) + " </dev/null")
                             .c_str());
    Outcome r;
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  Outcome memgap(const std::string& args) { return sh(quote(bin_) + " " + args); }
  std::string write(const std::string& name, const std::string& text) {
    auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string bin_;
  fs::path dir_;
};

std::vector<std::string> lines(const std::string& t) {
  std::vector<std::string> out;
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The first site row of the text table (after the header line that ends in "SITE").
std::string first_row(const std::string& text) {
  auto ls = lines(text);
  for (size_t i = 0; i + 1 < ls.size(); ++i)
    if (ls[i].size() >= 4 && ls[i].compare(ls[i].size() - 4, 4, "SITE") == 0) return ls[i + 1];
  return {};
}

}  // namespace

TEST_F(CliDiff, SelfDiffIsAllSame) {
  auto r = memgap("diff " + quote(data("leak_base.json")) + " " + quote(data("leak_base.json")));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("[ = ]"), std::string::npos);
  for (const char* tag : {"[ + ]", "[ - ]", "[NEW]", "[DEL]"}) EXPECT_EQ(r.out.find(tag), std::string::npos) << tag;
  EXPECT_NE(r.out.find("TOTAL"), std::string::npos);
  for (const auto& l : lines(r.out)) EXPECT_LE(l.size(), 80u) << l;
}

TEST_F(CliDiff, LeakFirstChurnAbsentAndGate) {
  std::string args = "diff " + quote(data("leak_base.json")) + " " + quote(data("leak_new.json"));
  auto r = memgap(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string row = first_row(r.out);
  EXPECT_NE(row.find("[ + ]"), std::string::npos) << row;
  EXPECT_NE(row.find("+92.0KiB"), std::string::npos) << row;
  EXPECT_NE(row.find("leak_one"), std::string::npos) << row;
  EXPECT_EQ(r.out.find("churn"), std::string::npos);
  EXPECT_NE(r.out.find("[NEW]"), std::string::npos);
  EXPECT_NE(r.out.find("[DEL]"), std::string::npos);
  EXPECT_NE(r.out.find("heap.free"), std::string::npos);
  for (const auto& l : lines(r.out)) EXPECT_LE(l.size(), 80u) << l;

  // Live growth is +68KiB.
  auto gate = memgap(args + " --fail-on-growth 64KiB");
  EXPECT_EQ(gate.rc, 23);
  EXPECT_NE(gate.err.find("grew by +68.0KiB"), std::string::npos) << gate.err;
  EXPECT_EQ(memgap(args + " --fail-on-growth 68KiB").rc, 0);
  EXPECT_EQ(memgap(args + " --fail-on-growth 1MiB -f json").rc, 0);
  EXPECT_EQ(memgap(args + " --fail-on-growth 0 -f folded").rc, 23);
  // A shrinking heap never fails the gate.
  EXPECT_EQ(memgap("diff " + quote(data("leak_new.json")) + " " + quote(data("leak_base.json")) + " --fail-on-growth 0").rc, 0);
}

TEST_F(CliDiff, JsonFoldedPprofFormats) {
  std::string args = "diff " + quote(data("leak_base.json")) + " " + quote(data("leak_new.json"));
  auto j = memgap(args + " --format json");
  ASSERT_EQ(j.rc, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["schema"], "memgap.diff/1");
  EXPECT_EQ(doc["live_growth_bytes"], 69632);
  EXPECT_EQ(doc["sites"][0]["status"], "grew");
  EXPECT_EQ(memgap(args + " --json").out, j.out);

  auto f = memgap(args + " -f folded");
  ASSERT_EQ(f.rc, 0) << f.err;
  for (const auto& l : lines(f.out)) {
    auto a = l.rfind(' ');
    auto b = l.rfind(' ', a - 1);
    ASSERT_NE(b, std::string::npos) << l;
    EXPECT_EQ(l.substr(b + 1, a - b - 1).find_first_not_of("0123456789"), std::string::npos) << l;
  }

  auto p = memgap(args + " -f pprof -o diff.pb.gz");
  ASSERT_EQ(p.rc, 0) << p.err;
  std::string gz = slurp((dir_ / "diff.pb.gz").string());
  ASSERT_GT(gz.size(), 20u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
}

TEST_F(CliDiff, GoToolPprofShowsTheLeakOnTop) {
  if (sh("command -v go").rc != 0) GTEST_SKIP() << "go not installed (apt-get install golang-go)";
  ASSERT_EQ(memgap("diff " + quote(data("leak_base.json")) + " " + quote(data("leak_new.json")) +
                   " -f pprof -o diff.pb.gz").rc, 0);
  auto top = sh("go tool pprof -top diff.pb.gz");
  ASSERT_EQ(top.rc, 0) << top.err;
  // The first row after the "flat flat% ..." header is the largest inuse_space delta.
  auto ls = lines(top.out);
  size_t i = 0;
  while (i < ls.size() && ls[i].find("flat%") == std::string::npos) ++i;
  ASSERT_LT(i + 1, ls.size()) << top.out;
  EXPECT_NE(ls[i + 1].find("leak_one"), std::string::npos) << top.out;
  EXPECT_NE(ls[i + 1].find("92kB"), std::string::npos) << top.out;
}

// Debian ships flamegraph.pl inside libdevel-nytprof-perl; FLAMEGRAPH_PL picks another copy.
TEST_F(CliDiff, FlamegraphRendersFoldedDiff) {
  const char* env = std::getenv("FLAMEGRAPH_PL");
  std::string fg = env && *env ? env : "/usr/share/perl5/Devel/NYTProf/flamegraph.pl";
  if (!fs::exists(fg)) GTEST_SKIP() << fg << " missing: apt-get install libdevel-nytprof-perl";
  ASSERT_EQ(memgap("diff -f folded -o diff.folded " + quote(data("leak_base.json")) + " " + quote(data("leak_new.json"))).rc, 0);
  auto r = sh("perl " + quote(fg) + " --colors mem --countname bytes diff.folded");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("<svg"), std::string::npos);
  EXPECT_NE(r.out.find("leak_one (135,168 bytes"), std::string::npos);
}

TEST_F(CliDiff, HostileInputsFailWithOneLine) {
  std::string good = quote(data("leak_base.json"));
  std::string text = slurp(data("leak_base.json"));
  struct Case {
    std::string name, content, needle;
  } cases[] = {
      {"truncated.json", text.substr(0, text.size() / 3), "truncated"},
      {"newer.json", "{\"schema\":\"memgap.snapshot/2\",\"meta\":{},\"sites\":[]}", "newer"},
      {"wrongtype.json", "{\"schema\":\"memgap.snapshot/1\",\"meta\":{},\"sites\":[{\"frames\":[],\"live_bytes\":\"big\",\"live_objects\":1}]}",
       "sites[0].live_bytes"},
      {"absurd.json", "{\"schema\":\"memgap.snapshot/1\",\"meta\":{},\"sites\":[{\"frames\":[],\"live_bytes\":18446744073709551615,\"live_objects\":1}]}",
       "absurd"},
      {"binary.pb.gz", std::string("\x1f\x8b\x08\x00\x00\x00", 6), "not valid JSON"},
      {"empty.json", "", "empty"},
  };
  for (const auto& c : cases) {
    auto path = write(c.name, c.content);
    for (const auto& args : {"diff " + good + " " + quote(path), "diff " + quote(path) + " " + good}) {
      auto r = memgap(args);
      EXPECT_EQ(r.rc, 1) << c.name;
      EXPECT_TRUE(r.out.empty()) << c.name;
      auto ls = lines(r.err);
      ASSERT_GE(ls.size(), 1u) << c.name;
      EXPECT_LE(ls.size(), 2u) << r.err;  // "memgap: error: ..." and an optional "hint: ..."
      EXPECT_EQ(ls[0].rfind("memgap: error: ", 0), 0u) << r.err;
      EXPECT_NE(ls[0].find(c.name), std::string::npos) << r.err;
      EXPECT_NE(ls[0].find(c.needle), std::string::npos) << r.err;
      if (ls.size() == 2) {
        EXPECT_EQ(ls[1].rfind("hint: ", 0), 0u) << r.err;
      }
    }
  }
  EXPECT_EQ(memgap("diff " + good + " /nonexistent/x.json").rc, 1);
  EXPECT_EQ(memgap("diff " + good + " /tmp").rc, 1);
}

TEST_F(CliDiff, UsageErrorsExit2) {
  std::string good = quote(data("leak_base.json"));
  EXPECT_EQ(memgap("diff " + good).rc, 2);
  EXPECT_EQ(memgap("diff " + good + " " + good + " --fail-on-growth lots").rc, 2);
  EXPECT_EQ(memgap("diff " + good + " " + good + " --format xml").rc, 2);
}
