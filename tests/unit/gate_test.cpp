// The leak gate's policy and LeakSanitizer-style suppressions, on hand-built snapshots.
#include <gtest/gtest.h>

#include <cmath>

#include "analyze/gate.h"
#include "analyze/suppressions.h"
#include "collect/exec_target.h"
#include "model/snapshot_json.h"

namespace memgap::analyze {
namespace {

constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;

model::Site site(const std::string& function, uint64_t bytes, uint64_t objects, const std::string& file = "app.c",
                 const std::string& module = "app") {
  model::Site s;
  model::Frame leaf;
  leaf.function = function;
  leaf.file = file;
  leaf.line = 10;
  leaf.module = module;
  model::Frame main_frame;
  main_frame.function = "main";
  main_frame.file = "main.c";
  main_frame.module = "app";
  s.frames = {leaf, main_frame};
  s.live_bytes = bytes;
  s.live_objects = objects;
  s.alloc_bytes = bytes;
  s.alloc_objects = objects;
  return s;
}

model::Snapshot snap(uint64_t sample_bytes, std::vector<model::Site> sites) {
  model::Snapshot s;
  s.meta.sample_bytes = sample_bytes;
  s.sites = std::move(sites);
  return s;
}

TEST(Suppressions, TemplateMatchIsSubstringWithGlobAndAnchors) {
  EXPECT_TRUE(template_match("leak_eight", "leak_eight_mib"));
  EXPECT_TRUE(template_match("eight", "leak_eight_mib"));
  EXPECT_TRUE(template_match("leak_*_mib", "leak_eight_mib"));
  EXPECT_TRUE(template_match("^leak_", "leak_eight_mib"));
  EXPECT_FALSE(template_match("^eight", "leak_eight_mib"));
  EXPECT_TRUE(template_match("mib$", "leak_eight_mib"));
  EXPECT_FALSE(template_match("leak$", "leak_eight_mib"));
  EXPECT_TRUE(template_match("^leak_eight_mib$", "leak_eight_mib"));
  EXPECT_FALSE(template_match("nope", "leak_eight_mib"));
  EXPECT_FALSE(template_match("", "anything"));
  EXPECT_TRUE(template_match("std::vector<*>::push_back", "std::vector<int, std::allocator<int> >::push_back"));
}

TEST(Suppressions, ParsesLeakLinesCommentsAndBlanks) {
  auto s = Suppressions::parse("# comment\n\n  leak:foo  \nleak:libbar.so\r\n", "f");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->patterns().size(), 2u);
  EXPECT_EQ(s->patterns()[0], "foo");
  EXPECT_EQ(s->patterns()[1], "libbar.so");
}

TEST(Suppressions, RejectsOtherTypesAndMalformedLinesWithLineNumber) {
  auto t = Suppressions::parse("leak:ok\nrace:foo\n", "supp.txt");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("supp.txt:2"), std::string::npos);
  EXPECT_FALSE(t.error().hint.empty());
  EXPECT_FALSE(Suppressions::parse("justaword\n", "f"));
  EXPECT_FALSE(Suppressions::parse("leak:\n", "f"));
  EXPECT_FALSE(Suppressions::read_file("/nonexistent/memgap.supp"));
}

TEST(Suppressions, MatchesFunctionFileOrModuleOfAnyFrame) {
  auto s = site("alloc_buf", 100, 1, "/src/buf.c", "libbuf.so.1");
  auto by = [&](const std::string& p) {
    Suppressions sup;
    sup.add(p);
    return sup.match(s) != nullptr;
  };
  EXPECT_TRUE(by("alloc_buf"));
  EXPECT_TRUE(by("main"));        // not the leaf: any frame
  EXPECT_TRUE(by("buf.c"));       // source file
  EXPECT_TRUE(by("libbuf.so"));   // module
  EXPECT_FALSE(by("other_fn"));
}

TEST(Gate, SamplingVarianceIsRTimesBytesForSmallObjectsAndZeroForHugeOnes) {
  // 1000 objects of 64 B at R = 512 KiB: ~R*B.
  double v = site_sampling_variance(64000, 1000, 512 * kKiB);
  EXPECT_NEAR(v / (512.0 * kKiB * 64000), 1.0, 0.01);
  // 8 objects of 64 MiB: sampled with p ~ 1 - e^-128, exact.
  EXPECT_LT(site_sampling_variance(512 * kMiB, 8, 512 * kKiB), 1.0);
  // Exact tracking.
  EXPECT_EQ(site_sampling_variance(12345, 3, 1), 0.0);
  EXPECT_EQ(site_sampling_variance(0, 0, 512 * kKiB), 0.0);
}

TEST(Gate, NothingLivePasses) {
  auto r = evaluate_gate(snap(512 * kKiB, {}), {});
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(r.leaked_bytes, 0u);
}

TEST(Gate, DefaultRuleIgnoresAFewStraySamplesOfSmallObjects) {
  // Two samples of 1 KiB objects, each extrapolated (pprof's way) to ~R bytes and ~R/1KiB
  // objects: 1 MiB with a standard error of sqrt(R * 1 MiB) = 724 KiB; within 3 SE.
  auto r = evaluate_gate(snap(512 * kKiB, {site("stdio_buf", 1024 * kKiB, 1024)}), {});
  EXPECT_NEAR(r.noise_bytes / std::sqrt(512.0 * kKiB * 1024 * kKiB), 1.0, 0.01);
  EXPECT_FALSE(r.failed);
  // Twenty such samples: 10 MiB, noise ~2.3 MiB, fails.
  auto many = evaluate_gate(snap(512 * kKiB, {site("leaky", 10 * kMiB, 10240)}), {});
  EXPECT_TRUE(many.failed);
  EXPECT_EQ(many.threshold_bytes, static_cast<uint64_t>(std::ceil(3 * many.noise_bytes)));
}

TEST(Gate, DefaultRuleFailsOneLargeObjectAboveOneInterval) {
  // A single 8 MiB block is always sampled: no noise, above one interval.
  auto r = evaluate_gate(snap(512 * kKiB, {site("big", 8 * kMiB, 1)}), {});
  EXPECT_TRUE(r.failed);
  EXPECT_LT(r.noise_bytes, 0.001 * 8 * kMiB);  // sampled with p = 1 - e^-16
  EXPECT_EQ(r.threshold_bytes, 512 * kKiB - 1);
}

TEST(Gate, ExactTrackingFailsOnAnyByte) {
  EXPECT_TRUE(evaluate_gate(snap(1, {site("tiny", 16, 1)}), {}).failed);
  EXPECT_FALSE(evaluate_gate(snap(1, {}), {}).failed);
}

TEST(Gate, MaxLeakReplacesTheNoiseRule) {
  GateOptions o;
  o.max_leak = 1 * kMiB;
  auto s = snap(512 * kKiB, {site("a", 3 * kMiB, 3), site("b", 1 * kMiB, 1)});
  auto r = evaluate_gate(s, o);
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(r.leaked_bytes, 4 * kMiB);
  EXPECT_EQ(r.threshold_bytes, 1 * kMiB);
  ASSERT_EQ(r.leaks.size(), 2u);
  EXPECT_EQ(r.leaks[0].frames[0].function, "a");  // ranked, largest first
  o.max_leak = 4 * kMiB;  // "more than", not "at least"
  EXPECT_FALSE(evaluate_gate(s, o).failed);
}

TEST(Gate, SuppressedSitesAreSetAsideAndReported) {
  Suppressions sup;
  sup.add("known_*");
  GateOptions o;
  o.max_leak = 0;
  o.suppressions = &sup;
  auto r = evaluate_gate(snap(1, {site("known_leak", 8 * kMiB, 8), site("fine", 0, 0)}), o);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(r.leaked_bytes, 0u);
  EXPECT_EQ(r.suppressed_bytes, 8 * kMiB);
  ASSERT_EQ(r.suppressed.size(), 1u);
  EXPECT_EQ(r.suppressed[0].pattern, "known_*");
  auto both = evaluate_gate(snap(1, {site("known_leak", 8 * kMiB, 8), site("new_leak", 16, 1)}), o);
  EXPECT_TRUE(both.failed);
  EXPECT_EQ(both.leaked_bytes, 16u);
}

TEST(RunSnapshot, ModulesAndRunInfoRoundTrip) {
  model::Snapshot s;
  s.meta.command = "run";
  s.modules.push_back({"libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "0123abcd"});
  model::RunInfo info;
  info.argv = {"./t", "--x"};
  info.exit_status = 7;
  info.leaked_bytes = 8 * kMiB;
  info.threshold_bytes = kMiB;
  info.gate_failed = true;
  info.processes = 2;
  s.run = info;
  auto back = model::from_json(model::to_json(s));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->modules.size(), 1u);
  EXPECT_EQ(back->modules[0].build_id, "0123abcd");
  EXPECT_EQ(back->modules[0].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  ASSERT_TRUE(back->run);
  EXPECT_EQ(back->run->argv, info.argv);
  EXPECT_EQ(back->run->exit_status, 7);
  EXPECT_EQ(back->run->leaked_bytes, 8 * kMiB);
  EXPECT_TRUE(back->run->gate_failed);
  EXPECT_EQ(back->run->processes, 2u);
  // Old snapshots have neither key.
  model::Snapshot plain;
  auto p = model::from_json(model::to_json(plain));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->modules.empty());
  EXPECT_FALSE(p->run);
  // Validation: build ids are hex.
  std::string bad = model::to_json(s);
  bad.replace(bad.find("0123abcd"), 8, "zz\\n<>!!");
  EXPECT_FALSE(model::from_json(bad));
}

TEST(ExecTarget, ParsesTheLoadersList) {
  const char* text =
      "\tlinux-vdso.so.1 (0x00007ffc2b5f0000)\n"
      "\tlibleakhelper.so => /build/tests/targets/libleakhelper.so (0x00007f1c9e2b0000)\n"
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1c9e0cf000)\n"
      "\tlibmissing.so => not found\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f1c9e2c4000)\n";
  auto libs = collect::parse_loader_list(text);
  ASSERT_EQ(libs.size(), 3u);
  EXPECT_EQ(libs[0], "/build/tests/targets/libleakhelper.so");
  EXPECT_EQ(libs[1], "/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(libs[2], "/lib64/ld-linux-x86-64.so.2");
  EXPECT_TRUE(collect::parse_loader_list("\tnot a dynamic executable\n").empty());
}

}  // namespace
}  // namespace memgap::analyze
