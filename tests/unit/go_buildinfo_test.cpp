// Go version recognition and the refusal of runtimes memgap has no layout for.
#include <gtest/gtest.h>

#include <cstring>

#include "runtime/go/buildinfo.h"
#include "runtime/go/layout.h"

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
  EXPECT_TRUE(check_supported(*parse_go_version("go1.19.13")));
  for (const char* v : {"go1.18.10", "go1.20.3", "go1.21.0", "go2.0"}) {
    auto s = check_supported(*parse_go_version(v));
    ASSERT_FALSE(s) << v;
    EXPECT_NE(s.error().message.find(v), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("not supported"), std::string::npos);
    EXPECT_FALSE(builtin_layout(*parse_go_version(v))) << v;
  }
}

TEST(GoLayout, Go119TablesAreConsistent) {
  auto l = builtin_layout(*parse_go_version("go1.19.8"));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->num_size_classes(), class_to_size_go119().size());
  EXPECT_EQ(class_to_size_go119().back(), 32768u);  // maxSmallSize
  EXPECT_EQ(wait_reason_go119(14), "chan receive");
  EXPECT_EQ(wait_reason_go119(9), "select");
  EXPECT_EQ(wait_reason_go119(200), "unknown wait reason");
}
