// glibc's malloc layout read from libc6-dbg's DWARF for this machine's libc (no target
// process needed). Skipped when the debug file is not installed.
#include <gtest/gtest.h>

#include <unistd.h>

#include "runtime/glibc/malloc_layout.h"

using namespace memgap::runtime::glibc;

namespace {
const char* libc_path() {
  for (const char* p : {"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"})
    if (access(p, R_OK) == 0) return p;
  return nullptr;
}
}  // namespace

TEST(GapGlibcLayout, ReadsMallocStateFromDebugInfo) {
  const char* libc = libc_path();
  if (!libc) GTEST_SKIP() << "no x86-64 glibc here";
  if (!find_debug_file(libc).ok()) GTEST_SKIP() << "libc6-dbg not installed";
  auto L = load_malloc_layout(libc);
  ASSERT_TRUE(L.ok()) << L.error().message;
  EXPECT_NE(L->main_arena, 0u);
  EXPECT_NE(L->mp, 0u);
  EXPECT_EQ(L->nfastbins, 10u);        // NFASTBINS on 64-bit
  EXPECT_EQ(L->nbins_ptrs, 254u);      // NBINS * 2 - 2
  EXPECT_LT(L->fastbins, L->top);
  EXPECT_LT(L->top, L->bins);
  EXPECT_GT(L->state_size, L->system_mem);
  EXPECT_EQ(L->chunk_size, 8u);
  EXPECT_EQ(L->chunk_fd, 16u);
  EXPECT_EQ(L->chunk_bk, 24u);
  EXPECT_TRUE(L->has_tcache);
  EXPECT_EQ(L->tcache_count_width, 2u);  // uint16_t counts since glibc 2.30
  EXPECT_TRUE(L->safe_linking);
  // Cached: the second call returns the same layout.
  auto again = load_malloc_layout(libc);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->main_arena, L->main_arena);
}

TEST(GapGlibcLayout, MissingDebugFileIsAnErrorWithHint) {
  auto r = find_debug_file("/nonexistent/libc.so.6");
  ASSERT_FALSE(r.ok());
  // This test binary has a build id (Debian's gcc links with --build-id) and no separate
  // debug file under /usr/lib/debug: an error that says how to get one.
  auto self = find_debug_file("/proc/self/exe");
  ASSERT_FALSE(self.ok()) << *self;
  EXPECT_NE(self.error().message.find("no debug file"), std::string::npos) << self.error().message;
  EXPECT_FALSE(self.error().hint.empty());
}
