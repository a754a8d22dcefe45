// Hostile snapshot files: the reader must reject every broken, truncated, mistyped or
// absurd input with one clear line (never crash, never hand out a partial Snapshot), and
// whatever it accepts must be safe for every consumer (diff, text, JSON, folded, pprof).
// Run under -DMEMGAP_SANITIZE=ON to turn memory errors and UB into failures.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "analyze/diff.h"
#include "model/snapshot_json.h"
#include "report/diff_json.h"
#include "report/diff_table.h"
#include "report/folded.h"
#include "report/pprof.h"

using namespace memgap;
using nlohmann::json;

namespace {

std::string read_text(const std::string& name) {
  std::ifstream in(std::string(MEMGAP_TEST_DATA) + "/snapshots/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string& valid_text() {
  static const std::string text = read_text("leak_base.json");
  return text;
}

const model::Snapshot& valid_snapshot() {
  static const model::Snapshot s = *model::from_json(valid_text());
  return s;
}

size_t g_accepted = 0, g_rejected = 0;  // per process; tests print their own counts

// Every consumer of a Snapshot must survive whatever the reader accepted.
void exercise(const model::Snapshot& s) {
  auto self = analyze::diff_snapshots(s, s);
  EXPECT_FALSE(self.changed);
  auto d1 = analyze::diff_snapshots(valid_snapshot(), s);
  auto d2 = analyze::diff_snapshots(s, valid_snapshot());
  report::DiffSides sides{"a", "b", &valid_snapshot(), &s};
  EXPECT_FALSE(report::format_diff_text(d1, sides).empty());
  EXPECT_FALSE(report::format_diff_json(d2, sides).empty());
  (void)report::format_folded(s);
  (void)report::format_folded_diff(d1);
  EXPECT_TRUE(report::format_pprof(s).ok());
  EXPECT_TRUE(report::format_pprof_diff(d1, valid_snapshot(), s).ok());
  // What we accept we can write and read back identically.
  auto again = model::from_json(model::to_json(s));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(model::to_json(*again), model::to_json(s));
}

// Returns true when accepted. A rejection must be one printable line that says where.
bool check(const std::string& text, const std::string& what) {
  auto r = model::from_json(text);
  if (r.ok()) {
    ++g_accepted;
    exercise(*r);
    return true;
  }
  ++g_rejected;
  const std::string& m = r.error().message;
  EXPECT_FALSE(m.empty()) << what;
  EXPECT_LE(m.size(), 600u) << what;
  for (char c : m) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << what << ": " << m;
  return false;
}

void expect_rejected(const std::string& text, const std::string& needle) {
  auto r = model::from_json(text);
  ASSERT_FALSE(r.ok()) << "accepted: " << text.substr(0, 200);
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

json valid_json() { return json::parse(valid_text()); }

// All paths to leaves (and containers) of a JSON document, as JSON pointers.
void collect_pointers(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
  out.push_back(at);
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) collect_pointers(it.value(), at / it.key(), out);
  else if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) collect_pointers(j[i], at / i, out);
}

}  // namespace

TEST(SnapshotHostile, ValidFixturesRoundTrip) {
  for (const char* name : {"leak_base.json", "leak_new.json"}) {
    auto r = model::from_json(read_text(name));
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().message;
    exercise(*r);
  }
}

TEST(SnapshotHostile, TableOfBrokenDocuments) {
  auto with = [](const std::function<void(json&)>& edit) {
    json j = valid_json();
    edit(j);
    return j.dump();
  };
  expect_rejected("", "empty file");
  expect_rejected("   \n", "empty file");
  expect_rejected("{", "not valid JSON");
  expect_rejected("\x1f\x8b\x08\x00", "not valid JSON");  // a gzipped pprof passed by mistake
  expect_rejected("[]", "not a JSON object");
  expect_rejected("42", "not a JSON object");
  expect_rejected("{}", "schema");
  expect_rejected(R"({"schema": 1})", "schema");
  expect_rejected(R"({"schema": "pprof"})", "not a memgap snapshot");
  expect_rejected(R"({"schema": "memgap.snapshot/"})", "no valid version");
  expect_rejected(R"({"schema": "memgap.snapshot/x"})", "no valid version");
  expect_rejected(R"({"schema": "memgap.snapshot/99999999999999999999"})", "no valid version");
  expect_rejected(R"({"schema": "memgap.snapshot/0"})", "not supported");
  expect_rejected(R"({"schema": "memgap.snapshot/01"})", "no valid version");
  expect_rejected(with([](json& j) { j["schema"] = "memgap.snapshot/2"; }), "newer format");
  expect_rejected(with([](json& j) { j["schema"] = "memgap.snapshot/17.3"; }), "newer format");
  EXPECT_TRUE(model::from_json(with([](json& j) { j["schema"] = "memgap.snapshot/1.4"; })).ok());  // minor: compatible
  EXPECT_TRUE(model::from_json(with([](json& j) { j["future_key"] = {1, 2, 3}; })).ok());      // unknown keys ignored
  expect_rejected(with([](json& j) { j["schema"] = std::string(100000, 'x') + "\n"; }), "not a memgap snapshot");
  expect_rejected(with([](json& j) { j.erase("meta"); }), "meta");
  expect_rejected(with([](json& j) { j.erase("sites"); }), "sites");
  expect_rejected(with([](json& j) { j["sites"] = json::object(); }), "expected an array");
  expect_rejected(with([](json& j) { j["sites"][0]["live_bytes"] = -1; }), "negative");
  expect_rejected(with([](json& j) { j["sites"][0]["live_bytes"] = "4096"; }), "sites[0].live_bytes");
  expect_rejected(with([](json& j) { j["sites"][0]["live_bytes"] = 1.5; }), "integer");
  expect_rejected(with([](json& j) { j["sites"][0]["live_bytes"] = UINT64_MAX; }), "absurd");
  expect_rejected(with([](json& j) { j["sites"][0]["live_bytes"] = (uint64_t{1} << 60) + 1; }), "absurd");
  expect_rejected(R"({"schema":"memgap.snapshot/1","meta":{},"sites":[{"frames":[],"live_bytes":1e300,"live_objects":0}]})",
                  "sites[0].live_bytes");
  expect_rejected(with([](json& j) {
                    for (auto& s : j["sites"]) s["live_bytes"] = uint64_t{1} << 59;
                  }),
                  "absurd total live_bytes");
  expect_rejected(with([](json& j) { j["sites"][0].erase("frames"); }), "frames");
  expect_rejected(with([](json& j) { j["sites"][0]["frames"][0]["function"] = nullptr; }), "function");
  expect_rejected(with([](json& j) { j["sites"][0]["frames"][0]["line"] = -3; }), "line");
  expect_rejected(with([](json& j) { j["sites"][0]["frames"] = json::array({1}); }), "expected an object");
  expect_rejected(with([](json& j) {
                    json f = j["sites"][0]["frames"][0];
                    j["sites"][0]["frames"] = json::array();
                    for (int i = 0; i < 5000; ++i) j["sites"][0]["frames"].push_back(f);
                  }),
                  "stack depth");
  expect_rejected(with([](json& j) { j["sites"][0]["growth_bytes_per_min"] = 1e300; }), "absurd");
  expect_rejected(with([](json& j) { j["meta"]["pid"] = uint64_t{1} << 40; }), "meta.pid");
  expect_rejected(with([](json& j) { j["meta"]["target_exited"] = "no"; }), "true or false");
  expect_rejected(with([](json& j) { j["meta"]["started_unix_ms"] = INT64_MIN; }), "absurd");
  expect_rejected(with([](json& j) { j["meta"]["notes"] = json::array({"ok", 3}); }), "notes[1]");
  expect_rejected(with([](json& j) { j["memory"]["Rss\nInjected: line"] = -1; }), "memory.Rss?Injected");
  expect_rejected(with([](json& j) { j["gap"]["categories"][0]["bytes"] = true; }), "categories[0].bytes");
  expect_rejected(with([](json& j) { j["gap"]["unexplained"] = uint64_t{1} << 63; }), "absurd");
  expect_rejected(with([](json& j) { j["series"][0].erase("t_ms"); }), "t_ms");
  expect_rejected(with([](json& j) { j["go"] = json::array(); }), "go");
  expect_rejected(with([](json& j) { j["go"] = {{"runtime", {{"/gc/heap", "x"}}}}; }), "go.runtime./gc/heap");
  expect_rejected(with([](json& j) { j["go"] = {{"goroutine_groups", {{{"count", 1}, {"stack", 7}}}}}; }), "stack");
  // Invalid UTF-8 inside a string is not JSON.
  std::string bad_utf8 = valid_text();
  bad_utf8.replace(bad_utf8.find("leak_one"), 8, "leak\xff\xfe\xc0\x80");
  expect_rejected(bad_utf8, "not valid JSON");
}

TEST(SnapshotHostile, DeepNestingAndHugeDocuments) {
  std::string deep = R"({"schema":"memgap.snapshot/1","meta":{},"sites":[],"x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  check(deep, "deep nesting");
  check(std::string(300000, '['), "unterminated nesting");
  check(std::string(300000, '{'), "unterminated objects");
  // Many sites, each a little absurd in total.
  json j = valid_json();
  json site = j["sites"][0];
  j["sites"] = json::array();
  for (int i = 0; i < 1000; ++i) {
    site["frames"][0]["offset"] = i;
    j["sites"].push_back(site);
  }
  EXPECT_TRUE(check(j.dump(), "1000 sites"));
}

TEST(SnapshotHostile, EveryTruncation) {
  const std::string& text = valid_text();
  size_t accepted = 0;
  for (size_t n = 0; n < text.size(); ++n)
    if (check(text.substr(0, n), "truncated at " + std::to_string(n))) ++accepted;
  std::printf("truncation cases: %zu\n", text.size());
  // Only cuts inside the trailing whitespace can still be complete documents.
  EXPECT_LE(accepted, 2u);
}

TEST(SnapshotHostile, EveryValueReplacedByEveryWrongType) {
  const json base = valid_json();
  std::vector<json::json_pointer> pointers;
  collect_pointers(base, json::json_pointer(), pointers);
  const std::vector<json> replacements = {
      nullptr, true, -1, 0, 1, INT64_MIN, UINT64_MAX, uint64_t{1} << 60, 1.5, -0.0, 1e308, "", "x",
      std::string(5000, 'A'), "\u00e9\u4e2d\U0001F600", json::array(), json::array({1, "a", nullptr}),
      json::object(), json{{"function", "f"}}};
  size_t cases = 0;
  for (const auto& ptr : pointers) {
    if (ptr.empty()) continue;
    for (const auto& r : replacements) {
      json j = base;
      j[ptr] = r;
      check(j.dump(), ptr.to_string() + " = " + r.dump().substr(0, 40));
      ++cases;
    }
    json k = base;  // and the key removed altogether
    json& parent = k[ptr.parent_pointer()];
    if (parent.is_object()) {
      parent.erase(ptr.back());
      check(k.dump(), "erase " + ptr.to_string());
      ++cases;
    }
  }
  std::printf("value replacement cases: %zu\n", cases);
  EXPECT_GT(cases, 2000u);
}

TEST(SnapshotHostile, RandomByteMutations) {
  std::mt19937_64 rng(20261123);
  const std::string& text = valid_text();
  const char alphabet[] = "{}[]\":,-0123456789.eE truefalsnul\\u\x00\xff\n";
  for (int i = 0; i < 6000; ++i) {
    std::string t = text;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (t.size() + 1);
      char c = alphabet[rng() % (sizeof alphabet - 1)];
      switch (rng() % 4) {
        case 0: if (pos < t.size()) t[pos] = c; break;
        case 1: t.insert(t.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
        case 2: if (pos < t.size()) t.erase(pos, 1 + rng() % 16); break;
        case 3: {  // duplicate a random span (nests structures, repeats keys)
          size_t len = rng() % 200;
          if (pos < t.size()) t.insert(pos, t.substr(pos, len));
          break;
        }
      }
    }
    check(t, "mutation " + std::to_string(i));
  }
  std::printf("random mutation cases: 6000 (%zu accepted, %zu rejected so far)\n", g_accepted, g_rejected);
  EXPECT_GT(g_rejected, 0u);
}

TEST(SnapshotHostile, NumbersAtTheEdges) {
  // Digits-only edits of every number in the file: values shifted to the extremes.
  const std::string& text = valid_text();
  const std::vector<std::string> numbers = {"0", "-0", "1152921504606846976", "1152921504606846977",
                                            "18446744073709551615", "18446744073709551616",
                                            "-9223372036854775808", "99999999999999999999999",
                                            "1e18", "1e19", "NaN", "Infinity", "0x10", "00", "1.0"};
  size_t cases = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (!(text[pos] >= '0' && text[pos] <= '9') || (pos && (std::isalnum(static_cast<unsigned char>(text[pos - 1])) ||
                                                           text[pos - 1] == '.' || text[pos - 1] == '-')))
      continue;
    size_t end = pos;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
    if (end < text.size() && text[end] != ',' && text[end] != '\n' && text[end] != ' ' && text[end] != '}' &&
        text[end] != ']')
      continue;  // inside a string
    for (const auto& n : numbers) {
      check(text.substr(0, pos) + n + text.substr(end), "number at " + std::to_string(pos) + " = " + n);
      ++cases;
    }
  }
  std::printf("edge number cases: %zu\n", cases);
  EXPECT_GT(cases, 500u);
}

TEST(SnapshotHostile, FilesThatAreNotSnapshots) {
  auto dir = testing::TempDir();
  auto r = model::read_snapshot_file(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("directory"), std::string::npos);
  r = model::read_snapshot_file(dir + "/does-not-exist.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no such file"), std::string::npos);
  r = model::read_snapshot_file("/dev/null");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("empty"), std::string::npos);
  std::string path = dir + "/trunc.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << valid_text().substr(0, valid_text().size() / 2);
  }
  r = model::read_snapshot_file(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("trunc.json"), std::string::npos);
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
  std::remove(path.c_str());
}

