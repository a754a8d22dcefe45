// procfs parsers on recorded files (tests/data/proc, see its README): a current kernel
// (4242), an older one lacking fields and files (4243), and a process that exited while
// being read (4244).
#include <gtest/gtest.h>

#include "collect/proc_stat.h"
#include "collect/proc_status.h"
#include "collect/process_memory.h"
#include "collect/smaps.h"
#include "collect/threads.h"

using namespace memgap;
using namespace memgap::collect;

namespace {
const std::string kProc = std::string(MEMGAP_TEST_DATA) + "/proc";
}

TEST(Smaps, ParsesEveryMappingAndField) {
  DirProcSource proc(kProc);
  auto entries = read_smaps(proc, 4242);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  auto maps = read_maps(proc, 4242);
  ASSERT_TRUE(maps.ok());
  ASSERT_EQ(entries->size(), maps->size());
  bool saw_heap = false;
  for (size_t i = 0; i < entries->size(); ++i) {
    const auto& e = (*entries)[i];
    EXPECT_EQ(e.map.start, (*maps)[i].start);
    EXPECT_EQ(e.map.path, (*maps)[i].path);
    EXPECT_TRUE(e.has("Rss"));
    EXPECT_TRUE(e.has("Pss_Dirty"));  // a 6.x kernel has it
    EXPECT_EQ(e.get("Size"), e.map.size());
    EXPECT_FALSE(e.vm_flags.empty());
    if (e.map.path == "[heap]") {
      saw_heap = true;
      EXPECT_GT(e.get("Rss"), 16u << 20);  // 16 MiB live + 8 MiB freed, all touched
      EXPECT_TRUE(e.has_flag("wr"));
    }
  }
  EXPECT_TRUE(saw_heap);
}

TEST(Smaps, RollupMatchesSumOfMappings) {
  DirProcSource proc(kProc);
  auto entries = read_smaps(proc, 4242);
  auto rollup = read_smaps_rollup(proc, 4242);
  ASSERT_TRUE(entries.ok() && rollup.ok());
  auto sum = rollup_of(*entries);
  EXPECT_EQ(sum["Rss"], rollup->at("Rss"));
  EXPECT_EQ(sum["Anonymous"], rollup->at("Anonymous"));
  EXPECT_EQ(sum.count("KernelPageSize"), 0u);  // attributes are not summed
}

TEST(Smaps, OlderKernelLacksFieldsButParsesTheSame) {
  DirProcSource proc(kProc);
  auto now = read_smaps(proc, 4242);
  auto old = read_smaps(proc, 4243);
  ASSERT_TRUE(now.ok() && old.ok());
  ASSERT_EQ(now->size(), old->size());
  for (size_t i = 0; i < old->size(); ++i) {
    EXPECT_FALSE((*old)[i].has("Pss_Dirty"));
    EXPECT_FALSE((*old)[i].has("THPeligible"));
    EXPECT_EQ((*old)[i].get("Rss"), (*now)[i].get("Rss"));
  }
  EXPECT_FALSE(read_smaps_rollup(proc, 4243).ok());
}

TEST(Smaps, HeaderWithSpacesAndDeleted) {
  auto e = parse_smaps(
      "7f0000000000-7f0000002000 rw-s 00000000 00:01 1234                       /memfd:my buf (deleted)\n"
      "Size:                  8 kB\n"
      "Rss:                   4 kB\n"
      "THPeligible:    0\n"
      "VmFlags: rd wr sh mr mw me ms sd\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].map.path, "/memfd:my buf");
  EXPECT_TRUE(e[0].map.deleted);
  EXPECT_EQ(e[0].get("Rss"), 4096u);
  EXPECT_EQ(e[0].get("THPeligible"), 0u);
  EXPECT_TRUE(e[0].has("THPeligible"));
  EXPECT_TRUE(e[0].has_flag("sh"));
}

TEST(Smaps, TruncatedFileYieldsWhatWasRead) {
  DirProcSource proc(kProc);
  auto e = read_smaps(proc, 4244);
  ASSERT_TRUE(e.ok());
  EXPECT_GT(e->size(), 3u);
  EXPECT_LT(e->size(), 42u);
}

TEST(ProcStatus, ParsesSizesAndThreads) {
  DirProcSource proc(kProc);
  auto st = read_status(proc, 4242);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->name, "composition");
  EXPECT_EQ(st->threads, 5);
  EXPECT_GT(st->get("VmRSS"), 0u);
  EXPECT_EQ(st->get("VmRSS"), st->get("RssAnon") + st->get("RssFile") + st->get("RssShmem"));
  auto old = read_status(proc, 4243);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->sizes.count("RssAnon"), 0u);
  EXPECT_EQ(old->get("VmRSS"), st->get("VmRSS"));
}

TEST(Threads, StackPointerFromSyscallFile) {
  EXPECT_EQ(parse_syscall_sp("202 0x1 0x2 0x3 0x4 0x5 0x6 0x7ffd1000 0x7f0011"), 0x7ffd1000u);
  EXPECT_EQ(parse_syscall_sp("-1 0x7ffd2000 0x7f0011\n"), 0x7ffd2000u);
  EXPECT_EQ(parse_syscall_sp("running\n"), 0u);
  EXPECT_EQ(parse_syscall_sp(""), 0u);
}

TEST(Threads, KstkespSurvivesOddComm) {
  std::string stat = "77 (a) b (c) S 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5 1000 50 1844 1 2 3 4660 0 0";
  EXPECT_EQ(parse_stat_kstkesp(stat), 4660u);
}

TEST(Threads, ReadsEveryThread) {
  DirProcSource proc(kProc);
  auto th = read_threads(proc, 4242);
  ASSERT_TRUE(th.ok());
  ASSERT_EQ(th->size(), 5u);
  for (const auto& t : *th) {
    EXPECT_NE(t.sp, 0u) << t.tid;
    EXPECT_EQ(t.sp_source, "syscall");
    EXPECT_EQ(t.name, "composition");
  }
  auto old = read_threads(proc, 4243);
  ASSERT_TRUE(old.ok());
  for (const auto& t : *old) EXPECT_EQ(t.sp, 0u);  // no syscall file, kstkesp 0
}

TEST(ProcessMemory, DegradesToNotes) {
  DirProcSource proc(kProc);
  auto now = read_process_memory(proc, 4242);
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now->rollup_from_file);
  EXPECT_TRUE(now->notes.empty());
  auto old = read_process_memory(proc, 4243);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->rollup_from_file);
  EXPECT_EQ(old->rollup.at("Rss"), now->rollup.at("Rss"));
  auto gone = read_process_memory(proc, 4244);
  ASSERT_TRUE(gone.ok());
  EXPECT_GE(gone->notes.size(), 2u);  // no threads, no rollup, no status
  auto none = read_process_memory(proc, 999999);
  ASSERT_FALSE(none.ok());
  EXPECT_FALSE(none.error().hint.empty());
}

TEST(ProcStat, FieldsCountFromTheLastParenthesis) {
  auto st = memgap::collect::parse_stat(
      "77 (a) b (c) S 1 77 77 0 -1 4194560 100 0 0 0 11 22 0 0 20 0 1 0 5 1000 50 1844 1 2 3 4660 0 0");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->flags, 4194560u);
  EXPECT_EQ(st->utime, 11u);
  EXPECT_EQ(st->stime, 22u);
  EXPECT_EQ(st->kstkesp, 4660u);
  auto kthread = memgap::collect::parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0");
  ASSERT_TRUE(kthread);
  EXPECT_TRUE(kthread->flags & 0x00200000);
  EXPECT_EQ(kthread->kstkesp, 0u);  // line too short: absent, not misread
  EXPECT_FALSE(memgap::collect::parse_stat("77 no parenthesis S 1"));
  EXPECT_FALSE(memgap::collect::parse_stat("77 (x) S 1 2"));  // ends before flags
}
