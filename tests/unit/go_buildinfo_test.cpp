// Go version recognition and the refusal of runtimes memgap has no layout for.
#include <gtest/gtest.h>

#include <cstring>

#include "runtime/go/buildinfo.h"
#include "runtime/go/release.h"

using namespace memgap::runtime::go;

namespace {
// A .go.buildinfo section as Go ≥1.18 writes it: 14-byte magic, pointer size, flags
// (2 = inline strings), padding to 32, then varint-length-prefixed version string.
std::vector<uint8_t> buildinfo(const std::string& version, uint8_t flags = 2) {
  std::vector<uint8_t> b(32, 0);
  std::memcpy(b.data(), "\xff Go buildinf:", 14);
  b[14] = 8;
  b[15] = flags;
  b.push_back(static_cast<uint8_t>(version.size()));
  b.insert(b.end(), version.begin(), version.end());
  b.push_back(0);  // empty module info
  return b;
}
}  // namespace

TEST(GoVersion, ParsesReleaseAndPrereleaseNames) {
  auto v = parse_go_version("go1.19.8");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1);
  EXPECT_EQ(v->minor, 19);
  EXPECT_EQ(v->patch, 8);
  auto rc = parse_go_version("go1.20rc1");
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->minor, 20);
  auto plain = parse_go_version("go1.19");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->patch, 0);
  EXPECT_FALSE(parse_go_version("devel go1.22-abc"));
  EXPECT_FALSE(parse_go_version("1.19"));
}

TEST(GoVersion, ReadsInlineBuildinfo) {
  auto s = buildinfo_version_string(buildinfo("go1.19.8"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "go1.19.8");
}

TEST(GoVersion, RejectsGarbageAndOldFormat) {
  std::vector<uint8_t> junk(64, 0x41);
  EXPECT_FALSE(buildinfo_version_string(junk));
  auto old = buildinfo_version_string(buildinfo("go1.16.5", 0));
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("pre-1.18"), std::string::npos);
  auto truncated = buildinfo("go1.19.8");
  truncated.resize(36);
  EXPECT_FALSE(buildinfo_version_string(truncated));
}

TEST(GoVersion, RefusesUnknownRuntimesNamingTheVersion) {
  for (const char* v : {"go1.19.13", "go1.26.0", "go1.27.3"}) EXPECT_TRUE(check_supported(*parse_go_version(v))) << v;
  for (const char* v : {"go1.18.10", "go1.20.3", "go1.25.1", "go1.28.0", "go2.0"}) {
    auto s = check_supported(*parse_go_version(v));
    ASSERT_FALSE(s) << v;
    EXPECT_NE(s.error().message.find(v), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("not supported"), std::string::npos);
    EXPECT_NE(s.error().message.find("go1.19, go1.26 and go1.27"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().hint.find("--go-layout-from"), std::string::npos) << s.error().hint;
    EXPECT_EQ(known_release(*parse_go_version(v)), nullptr) << v;
  }
}

// Every built-in release: one size class per heapStatsDelta counter, the wait reasons
// the census names, a rule for every global, and the facts that differ by release.
TEST(GoRelease, BuiltinTablesAreConsistent) {
  ASSERT_EQ(known_releases().size(), 3u);
  for (const auto& r : known_releases()) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(r.layout.source, "builtin " + r.name);
    EXPECT_EQ(r.layout.num_size_classes(), r.class_to_size.size());
    ASSERT_FALSE(r.class_to_size.empty());
    EXPECT_EQ(r.class_to_size.front(), 0u);
    EXPECT_EQ(r.class_to_size.back(), 32768u);  // maxSmallSize
    EXPECT_EQ(r.wait_reason(200), "unknown wait reason");
    EXPECT_EQ(r.code_refs.size(), 7u);
    EXPECT_EQ(&nearest_release(*parse_go_version(r.name + ".1")), known_release(*parse_go_version(r.name)));
  }
  const ReleaseSpec& g19 = *known_release(*parse_go_version("go1.19.8"));
  EXPECT_EQ(g19.wait_reason(14), "chan receive");
  EXPECT_EQ(g19.wait_reason(9), "select");
  EXPECT_EQ(g19.layout.sizeof_inlinedCall, 20u);
  EXPECT_EQ(g19.heap_goal_headroom_percent, 0u);
  EXPECT_TRUE(GoLayout::has(g19.layout.hsd_inPtrScalarBits));
  const ReleaseSpec& g26 = *known_release(*parse_go_version("go1.26.8"));
  EXPECT_EQ(g26.wait_reason(18), "select");  // waitReason values moved after go1.19
  EXPECT_EQ(g26.wait_reason(19), "chan receive");
  EXPECT_FALSE(GoLayout::has(g26.layout.hsd_inPtrScalarBits));  // allocation headers (go1.22)
  EXPECT_EQ(g26.layout.sizeof_inlinedCall, 16u);
  EXPECT_EQ(g26.heap_goal_headroom_percent, 3u);
  EXPECT_EQ(g26.maps.grow.front().function, "internal/runtime/maps.(*Map).growToTable");  // Swiss tables
  // The map header the probes read: hmap in go1.19 (B at 9, what memgap_go.bpf.c reads),
  // the Swiss table's Map later.
  EXPECT_EQ(g19.layout.hmap_B, 9u);
  EXPECT_FALSE(GoLayout::has(g19.layout.swiss_used));
  EXPECT_FALSE(GoLayout::has(g26.layout.hmap_count));
  EXPECT_TRUE(GoLayout::has(g26.layout.swiss_used));
  const ReleaseSpec& g27 = *known_release(*parse_go_version("go1.27.3"));
  EXPECT_FALSE(GoLayout::has(g27.layout.mrc_alloc_bytes));  // bytes = allocs * bucket size
  EXPECT_TRUE(GoLayout::has(g26.layout.mrc_alloc_bytes));
  // An unknown release borrows the facts of the newest built-in one below it.
  EXPECT_EQ(nearest_release(*parse_go_version("go1.29.1")).name, "go1.27");
  EXPECT_EQ(nearest_release(*parse_go_version("go1.22.1")).name, "go1.19");
  EXPECT_EQ(nearest_release(*parse_go_version("go1.17.1")).name, "go1.19");
}
