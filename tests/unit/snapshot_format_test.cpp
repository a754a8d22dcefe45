// The documented format (man/memgap-snapshot.5): its example reads, absent optional
// fields default, null is absent, and what the writer emits the reader accepts.
#include <gtest/gtest.h>

#include "model/snapshot_json.h"

using namespace memgap;

TEST(SnapshotFormat, ManPageExampleReads) {
  auto r = model::read_snapshot_file(std::string(MEMGAP_TEST_DATA) + "/snapshots/man_example.json");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->meta.pid, 4242);
  EXPECT_EQ(r->meta.sample_bytes, 524288u);
  EXPECT_EQ(r->memory.rss(), 6000000u);
  ASSERT_EQ(r->sites.size(), 1u);
  ASSERT_EQ(r->sites[0].frames.size(), 2u);
  EXPECT_EQ(r->sites[0].frames[0].function, "leak_one");
  EXPECT_EQ(r->sites[0].frames[1].line, 0);  // absent: unknown
  EXPECT_EQ(r->gap.unexplained, 4512160);
  EXPECT_FALSE(r->go.has_value());
}

TEST(SnapshotFormat, MinimalDocumentAndNulls) {
  auto r = model::from_json(R"({"schema":"memgap.snapshot/1","meta":{"pid":null},"sites":[],"gap":null,"go":null})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->meta.pid, 0);
  EXPECT_TRUE(r->sites.empty());
  EXPECT_FALSE(r->go.has_value());
}

TEST(SnapshotFormat, WriterOutputRoundTrips) {
  model::Snapshot s;
  s.meta.pid = 7;
  s.meta.notes = {"a\nb", "\xff"};  // invalid UTF-8 is replaced on write, not thrown
  model::Site site;
  site.frames.push_back(model::Frame{"f", "f.c", 3, "app", 4, 0x1234});
  site.live_bytes = 10;
  site.live_objects = 1;
  s.sites.push_back(site);
  s.gap.unexplained = -5;
  s.go = model::GoInfo{"go1.19", 3, {{"/gc/cycles:gc-cycles", 2.5}}, {}};
  auto r = model::from_json(model::to_json(s));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sites[0].frames[0].address, 0x1234u);
  EXPECT_EQ(r->gap.unexplained, -5);
  EXPECT_EQ(r->meta.notes[0], "a\nb");
  ASSERT_TRUE(r->go.has_value());
  EXPECT_EQ(r->go->runtime.at("/gc/cycles:gc-cycles"), 2.5);
}
