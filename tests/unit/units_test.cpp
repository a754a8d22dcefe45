#include <gtest/gtest.h>

#include "util/units.h"

using namespace memgap;

TEST(Units, ParsesIecSizes) {
  EXPECT_EQ(*parse_size("4096"), 4096u);
  EXPECT_EQ(*parse_size("64KiB"), 65536u);
  EXPECT_EQ(*parse_size("512kib"), 524288u);
  EXPECT_EQ(*parse_size("1.5GiB"), 1610612736u);
  EXPECT_EQ(*parse_size("1M"), 1048576u);
  EXPECT_EQ(*parse_size("1"), 1u);
  EXPECT_FALSE(parse_size("-4KiB").ok());
  EXPECT_FALSE(parse_size("lots").ok());
  EXPECT_FALSE(parse_size("4XB").ok());
  EXPECT_FALSE(parse_size("99999999999TiB").ok());
}

TEST(Units, FormatsIecSizes) {
  EXPECT_EQ(format_size(0), "0B");
  EXPECT_EQ(format_size(1023), "1023B");
  EXPECT_EQ(format_size(94208), "92.0KiB");
  EXPECT_EQ(format_size(1610612736), "1.5GiB");
  EXPECT_EQ(format_size_delta(357376), "+349.0KiB");
  EXPECT_EQ(format_size_delta(-12), "-12B");
  EXPECT_EQ(format_size_delta(0), "0B");
}

TEST(Units, RoundTripsWhatItPrints) {
  for (uint64_t v : {1ull, 1000ull, 65536ull, 3ull << 30}) {
    auto parsed = parse_size(format_size(v));
    ASSERT_TRUE(parsed.ok());
    EXPECT_NEAR(static_cast<double>(*parsed), static_cast<double>(v), v * 0.05 + 1);
  }
}

TEST(Units, ParsesDurations) {
  EXPECT_EQ(*parse_duration_ms("500ms"), 500u);
  EXPECT_EQ(*parse_duration_ms("30s"), 30000u);
  EXPECT_EQ(*parse_duration_ms("30"), 30000u);
  EXPECT_EQ(*parse_duration_ms("5m"), 300000u);
  EXPECT_EQ(*parse_duration_ms("1h"), 3600000u);
  EXPECT_EQ(*parse_duration_ms("1.5s"), 1500u);
  EXPECT_FALSE(parse_duration_ms("soon").ok());
  EXPECT_FALSE(parse_duration_ms("5y").ok());
}
