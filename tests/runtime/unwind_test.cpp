// Whole stacks for code without frame pointers (-O2 -fomit-frame-pointer, like Debian's
// libraries): DWARF unwinding of copied stacks must name every frame down to main, or to
// a thread's start routine, and C++ sites at the user's functions with demangled names.
#include <gtest/gtest.h>

#include "attach_helpers.h"

namespace memgap::test {
namespace {

TEST(Unwind, NoFramePointerLeakThroughASharedLibraryHasItsWholeChain) {
  Child target({target_path("deep_nofp")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(run.have_snapshot);
  EXPECT_EQ(run.snapshot.meta.unwind, "dwarf");
  const model::Site* lib = find_site(run.snapshot, "lib_make_buffer");
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->frames[0].module, "libleakhelper.so");
  EXPECT_TRUE(chain_contains(*lib, {"lib_make_buffer", "level3", "level2", "level1", "main"}));
  EXPECT_EQ(lib->live_bytes, 17u * 2048);
  EXPECT_EQ(lib->live_objects, 17u);
}

TEST(Unwind, ThreadLeakIsReportedDownToItsStartRoutine) {
  Child target({target_path("deep_nofp")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const model::Site* worker = find_site(run.snapshot, "worker_leak");
  ASSERT_NE(worker, nullptr);
  EXPECT_TRUE(chain_contains(*worker, {"worker_leak", "worker_main", "start_thread"}));
  EXPECT_EQ(worker->live_bytes, 9u * 8192);
  EXPECT_EQ(run.snapshot.sites[0].frames[0].function, "worker_leak");
}

TEST(Unwind, CxxLeaksAreReportedAtTheUsersFunctionsDemangled) {
  Child target({target_path("cxx_leaks")});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const model::Site* widgets = nullptr;
  const model::Site* registry = nullptr;
  for (const auto& s : run.snapshot.sites) {
    if (s.frames.empty()) continue;
    if (s.frames[0].function.find("make_leaked<Widget>") != std::string::npos) widgets = &s;
    if (s.frames[0].function.find("Registry::add") != std::string::npos) registry = &s;
  }
  ASSERT_NE(widgets, nullptr) << "the template new site was not named";
  EXPECT_EQ(widgets->live_objects, 13u);
  EXPECT_EQ(widgets->live_bytes, 13u * 1004);  // sizeof(Widget): char[1000] + int
  EXPECT_EQ(widgets->frames[0].module, "cxx_leaks");  // not libstdc++'s operator new
  EXPECT_TRUE(chain_contains(*widgets, {"Widget* make_leaked<Widget>(int)", "run()", "main"}));
  ASSERT_NE(registry, nullptr) << "the vector growth site was not named";
  // Growth by doubling frees each old buffer: only the last one (1024 x 16 B) stays.
  EXPECT_EQ(registry->live_bytes, 1024u * 16);
  EXPECT_EQ(registry->live_objects, 1u);
  EXPECT_TRUE(chain_contains(*registry, {"Registry::add(long)", "run()", "main"}));
}

TEST(Unwind, FramePointerModeIsAvailableAndLabelled) {
  Child target({target_path("leak_fp"), "leak"});
  ASSERT_TRUE(target.wait_for("ready", kTimeoutMs));
  AttachRun run = attach_during(target, {"--sample-bytes", "1", "--unwind", "fp"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.snapshot.meta.unwind, "fp");
  ASSERT_FALSE(run.snapshot.sites.empty());
  EXPECT_TRUE(chain_contains(run.snapshot.sites[0], {"leak_site", "leak_outer", "leak_workload", "main"}));
}

}  // namespace
}  // namespace memgap::test
