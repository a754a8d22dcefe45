// The leak gate with reachability verdicts (analyze/gate): the heap walk's exact total,
// split between suppressed and other sites in the proportion of their sampled bytes.
#include <gtest/gtest.h>

#include "analyze/gate.h"
#include "analyze/suppressions.h"

using namespace memgap;

namespace {
model::Site site(const std::string& fn, uint64_t direct_bytes, uint64_t direct_objects, uint64_t reachable_bytes = 0) {
  model::Site s;
  s.frames.push_back({fn, "x.c", 1, "x", 0, 0});
  s.leak_kinds = model::LeakKinds{};
  s.leak_kinds->direct_bytes = direct_bytes;
  s.leak_kinds->direct_objects = direct_objects;
  s.leak_kinds->reachable_bytes = reachable_bytes;
  s.leak_kinds->reachable_objects = reachable_bytes ? 1 : 0;
  s.live_bytes = direct_bytes + reachable_bytes;
  s.live_objects = direct_objects + (reachable_bytes ? 1 : 0);
  return s;
}

model::Snapshot walked(uint64_t exact_direct, std::vector<model::Site> sites) {
  model::Snapshot s;
  s.meta.sample_bytes = 512 * 1024;
  s.sites = std::move(sites);
  model::Reachability r;
  r.blocks_source = "glibc heap walk (1 arena, 0 mmapped chunks)";
  r.exact_bytes = false;
  r.totals.direct_bytes = exact_direct;
  r.totals.direct_objects = 10;
  s.reachability = r;
  return s;
}
}  // namespace

TEST(ReachabilityGate, NothingSuppressedTheExactTotalFailsAtAnyByte) {
  // 48 bytes leaked, never sampled: the walk still sees them.
  auto g = analyze::evaluate_gate(walked(48, {}), {});
  EXPECT_TRUE(g.exact_total);
  EXPECT_EQ(g.leaked_bytes, 48u);
  EXPECT_EQ(g.threshold_bytes, 0u);
  EXPECT_TRUE(g.failed);
}

TEST(ReachabilityGate, ReachableMemoryNeverFailsByDefault) {
  auto g = analyze::evaluate_gate(walked(0, {site("cache", 0, 0, 1 << 20)}), {});
  EXPECT_EQ(g.leaked_bytes, 0u);
  EXPECT_EQ(g.reachable_bytes, 1u << 20);
  EXPECT_FALSE(g.failed);
}

TEST(ReachabilityGate, SuppressedSiteTakesItsShareOfTheExactTotal) {
  auto sup = analyze::Suppressions::parse("leak:known\n", "test");
  ASSERT_TRUE(sup);
  analyze::GateOptions o;
  o.suppressions = &*sup;
  o.max_leak = 1 << 20;
  // Everything sampled is suppressed: the exact 8 MiB is all the suppressed site's, even
  // though its estimate says 6.9 MiB.
  auto all = analyze::evaluate_gate(walked(8 << 20, {site("known", 7235174, 6)}), o);
  EXPECT_EQ(all.leaked_bytes, 0u);
  EXPECT_EQ(all.suppressed_bytes, 8u << 20);
  EXPECT_FALSE(all.failed);
  // A quarter of the sampled bytes outside suppressed sites: a quarter of the total.
  auto part = analyze::evaluate_gate(walked(8 << 20, {site("known", 3 << 20, 3), site("mine", 1 << 20, 1)}), o);
  EXPECT_EQ(part.leaked_bytes, 2u << 20);
  EXPECT_EQ(part.suppressed_bytes, 6u << 20);
  EXPECT_TRUE(part.failed);
}

TEST(ReachabilityGate, LeakKindsParseAndNameTheSet) {
  auto p = analyze::parse_leak_kinds("direct,indirect");
  EXPECT_TRUE(p.error.empty());
  EXPECT_EQ(analyze::leak_kind_names(p.set), (std::vector<std::string>{"direct", "indirect"}));
  EXPECT_EQ(analyze::leak_kind_names(analyze::parse_leak_kinds("all").set),
            (std::vector<std::string>{"direct", "indirect", "reachable"}));
  EXPECT_NE(analyze::parse_leak_kinds("direct,nope").error.find("nope"), std::string::npos);
}
