// Go runtime state read from outside, checked against the target's own runtime/metrics
// read at the same moment (the target is paused, and its reads bracket memgap's).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "collect/proc_source.h"
#include "collect/smaps.h"
#include "model/snapshot_json.h"
#include "pipeline/gap.h"
#include "pipeline/go_section.h"
#include "runtime/go/elf_image.h"
#include "runtime/go/globals.h"
#include "runtime/go/go_state.h"
#include "runtime/go/layout.h"
#include "runtime/go/pclntab.h"
#include "go_process.h"

using namespace memgap;
using namespace memgap::runtime::go;

namespace {
std::string target(const std::string& name) { return std::string(MEMGAP_TARGETS_DIR) + "/" + name; }

// The memory classes and GC figures the issue asks for, all keyed as runtime/metrics.
const char* const kCompared[] = {
    "/memory/classes/heap/objects:bytes",       "/memory/classes/heap/unused:bytes",
    "/memory/classes/heap/free:bytes",          "/memory/classes/heap/released:bytes",
    "/memory/classes/heap/stacks:bytes",        "/memory/classes/metadata/mcache/inuse:bytes",
    "/memory/classes/metadata/mcache/free:bytes", "/memory/classes/metadata/mspan/inuse:bytes",
    "/memory/classes/metadata/mspan/free:bytes", "/memory/classes/metadata/other:bytes",
    "/memory/classes/os-stacks:bytes",          "/memory/classes/other:bytes",
    "/memory/classes/profiling/buckets:bytes",  "/memory/classes/total:bytes",
    "/gc/heap/goal:bytes",                      "/gc/heap/objects:objects",
    "/sched/goroutines:goroutines",
};

// memgap's value must lie within 2% of the range the target reported just before and
// just after memgap's read (the background scavenger may move pages meanwhile).
bool within(double got, double before, double after, double& dev) {
  double lo = std::min(before, after), hi = std::max(before, after);
  double ref = std::max(1.0, hi);
  dev = got < lo ? (lo - got) / ref : got > hi ? (got - hi) / ref : 0;
  return got >= lo * 0.98 && got <= hi * 1.02;
}

class GoTarget : public ::testing::TestWithParam<const char*> {};

TEST_P(GoTarget, RuntimeFiguresMatchTheTargetsOwnMetrics) {
  gotest::GoProcess p(target(GetParam()));
  ASSERT_EQ(p.line(), "ready");
  usleep(300000);  // let the map grow and some tickers pile up
  ASSERT_EQ(p.command("pause"), "paused");
  usleep(300000);
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  std::string mfile = "/tmp/memgap_go_metrics_" + std::to_string(p.pid()) + ".json";
  auto before = p.metrics(mfile);
  auto state = reader->read();
  auto after = p.metrics(mfile);
  unlink(mfile.c_str());
  ASSERT_TRUE(state) << state.error().message;
  ASSERT_FALSE(before.empty());

  EXPECT_EQ(state->version.text.rfind("go1.19", 0), 0u);
  if (std::string(GetParam()) != "go1.19/go_leaky") {
    EXPECT_EQ(state->layout_source, "builtin go1.19");
    EXPECT_EQ(state->globals_source, "code references");
  } else {
    EXPECT_EQ(state->layout_source, "dwarf");
    EXPECT_EQ(state->globals_source, "symtab");
  }
  double worst = 0;
  for (const char* name : kCompared) {
    ASSERT_TRUE(before.count(name)) << name;
    double got = state->metrics.at(name), dev = 0;
    EXPECT_TRUE(within(got, before[name], after[name], dev))
        << name << ": memgap " << got << ", target " << before[name] << " .. " << after[name];
    worst = std::max(worst, dev);
  }
  EXPECT_EQ(state->metrics.at("runtime.MemProfileRate"), before["MemProfileRate"]);
  EXPECT_EQ(double(state->census.goroutines), before["NumGoroutine"]);
  std::printf("[%s] worst deviation from the target's own runtime/metrics: %.3f%%; read took %.2f ms\n",
              GetParam(), worst * 100, state->read_ms);
  // The 137 waiters form one group named by their creation site and wait reason.
  bool found = false;
  for (const auto& g : state->census.groups) {
    if (g.count != 137) continue;
    found = true;
    EXPECT_EQ(g.wait_reason, "chan receive");
    EXPECT_EQ(g.created_by.rfind("main.spawnWaiters at main.go:", 0), 0u) << g.created_by;
    bool waiter = false;
    for (const auto& f : g.stack) waiter |= f.function == "main.waiter";
    EXPECT_TRUE(waiter) << "blocked stack should pass through main.waiter";
    ASSERT_FALSE(g.stack.empty());
    EXPECT_EQ(g.stack[0].function, "runtime.gopark");
  }
  EXPECT_TRUE(found) << "no group of 137 goroutines";
  // The main goroutine sits in read(2) on stdin: its stack is rebuilt from the saved
  // pc/sp and the pcsp table (entersyscall saves no bp).
  bool main_seen = false;
  for (const auto& g : state->census.groups) {
    // Right after answering a command it may still be writing (or running).
    if (g.start != "runtime.main" || g.wait_reason != "syscall") continue;
    bool inlined = false;
    for (const auto& f : g.stack) {
      main_seen |= f.function == "main.main";
      // syscall.Read/Write are inlined into internal/poll.(*FD).Read/Write: expanded
      // from the inline tree like Go's own traceback does.
      inlined |= (f.function == "syscall.Read" || f.function == "syscall.Write") &&
                 f.file.find("syscall_unix.go") != std::string::npos;
    }
    std::string frames;
    for (const auto& f : g.stack) frames += "\n  " + f.function + " " + f.file + ":" + std::to_string(f.line);
    EXPECT_TRUE(main_seen) << "main goroutine (" << g.wait_reason << ") stack misses main.main:" << frames;
    EXPECT_TRUE(inlined) << "inlined frame syscall.Read/Write missing";
  }
}

TEST_P(GoTarget, GapExplainsRss) {
  gotest::GoProcess p(target(GetParam()));
  ASSERT_EQ(p.line(), "ready");
  usleep(500000);
  collect::RealProcSource proc;
  auto state = read_go_state(p.pid(), proc);
  ASSERT_TRUE(state) << state.error().message;
  auto smaps = proc.read(p.pid(), "smaps");
  ASSERT_TRUE(smaps);
  auto maps = pipeline::parse_smaps_residency(*smaps);
  uint64_t rss = 0, file_rss = 0;
  for (const auto& m : maps) {
    rss += m.rss;
    if (!m.path.empty() && m.path[0] == '/') file_rss += m.rss;  // file.mapped's share
  }
  auto sec = pipeline::build_go_section(*state, maps, rss);
  uint64_t go = 0;
  for (const auto& c : sec.categories) go += c.bytes;
  int64_t unexplained = int64_t(rss) - int64_t(file_rss) - int64_t(go);
  std::printf("[%s] RSS %lu: file %lu, go.* %lu, unexplained %ld (%.1f%%)\n  %s\n", GetParam(),
              (unsigned long)rss, (unsigned long)file_rss, (unsigned long)go, (long)unexplained,
              100.0 * double(unexplained) / double(rss), sec.explanation.c_str());
  for (const auto& c : sec.categories) std::printf("  %-16s %10lu\n", c.name.c_str(), (unsigned long)c.bytes);
  EXPECT_GE(unexplained, 0) << "over-attribution";
  EXPECT_LT(double(unexplained), 0.10 * double(rss));
  EXPECT_EQ(sec.info.version, state->version.text);
  EXPECT_EQ(sec.info.goroutines, state->census.goroutines);
  EXPECT_FALSE(sec.explanation.empty());
}

TEST_P(GoTarget, GrowingMapShowsInHeapObjects) {
  gotest::GoProcess p(target(GetParam()));
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  auto a = reader->read();
  usleep(1000000);
  auto b = reader->read();
  ASSERT_TRUE(a && b);
  // ~50 rounds of 64 KiB per second.
  EXPECT_GT(b->metrics.at("/gc/heap/allocs:bytes") - a->metrics.at("/gc/heap/allocs:bytes"), 1e6);
}

INSTANTIATE_TEST_SUITE_P(Go119, GoTarget, ::testing::Values("go1.19/go_leaky", "go1.19/go_leaky_stripped", "go1.19/go_leaky_pie"));

TEST(GoLayout, BuiltinGo119MatchesDwarf) {
  auto dw = layout_from_dwarf(target("go1.19/go_leaky"));
  ASSERT_TRUE(dw) << dw.error().message;
  auto v = parse_go_version("go1.19.8");
  auto builtin = builtin_layout(*v);
  ASSERT_TRUE(builtin);
  for (const auto& f : layout_fields())
    EXPECT_EQ((*dw).*f.member, (*builtin).*f.member) << f.name << " (" << f.type << "." << f.path << ")";
}

TEST(GoGlobals, CodeReferencesAgreeWithSymbolTable) {
  // The unstripped build has both: the rules used for stripped binaries must find
  // exactly the symbols' addresses.
  auto img = ElfImage::open(target("go1.19/go_leaky"));
  ASSERT_TRUE(img);
  auto ver = read_buildinfo_version(*img);
  ASSERT_TRUE(ver);
  auto pc = img->section_bytes(".gopclntab");
  ASSERT_TRUE(pc);
  auto pcln = Pclntab::parse(*pc, img->section(".text")->addr);
  ASSERT_TRUE(pcln);
  auto layout = layout_from_dwarf(target("go1.19/go_leaky"));
  ASSERT_TRUE(layout);
  auto sym = globals_from_symtab(*img);
  auto code = globals_from_code(*img, *pcln, *ver, *layout);
  ASSERT_TRUE(sym) << sym.error().message;
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(code->mheap, sym->mheap);
  EXPECT_EQ(code->memstats, sym->memstats);
  EXPECT_EQ(code->gc_controller, sym->gc_controller);
  EXPECT_EQ(code->allglen, sym->allglen);
  EXPECT_EQ(code->allgptr, sym->allgptr);
  EXPECT_EQ(code->mem_profile_rate, sym->mem_profile_rate);
  EXPECT_EQ(code->mbuckets, sym->mbuckets);
}

TEST(GoPclntab, NamesAndLinesMatchSymbolTable) {
  auto img = ElfImage::open(target("go1.19/go_leaky"));
  ASSERT_TRUE(img);
  auto pc = img->section_bytes(".gopclntab");
  auto pcln = Pclntab::parse(*pc, img->section(".text")->addr);
  ASSERT_TRUE(pcln);
  for (const char* fn : {"main.waiter", "main.spawnWaiters", "runtime.gopark", "runtime.mallocgc"}) {
    auto f = pcln->lookup(fn);
    ASSERT_TRUE(f) << fn;
    EXPECT_EQ(f->entry, *img->symbol(fn)) << fn;
    auto back = pcln->find(f->entry + 1);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->name, fn);
  }
  auto src = pcln->source(pcln->lookup("main.waiter")->entry);
  ASSERT_TRUE(src);
  EXPECT_NE(src->file.find("leaky/main.go"), std::string::npos) << src->file;
  EXPECT_GT(src->line, 30);
}

}  // namespace

namespace {
// A copy of `name` whose .go.buildinfo claims another Go version (same length).
std::string with_version(const std::string& name, const std::string& from, const std::string& to) {
  std::string flat = name;
  for (char& c : flat)
    if (c == '/') c = '_';
  std::string out = "/tmp/memgap_go_patched_" + std::to_string(getpid()) + "_" + flat;
  std::ifstream in(target(name), std::ios::binary);
  std::string bin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto img = ElfImage::open(target(name));
  const ElfSection* bi = img ? img->section(".go.buildinfo") : nullptr;
  if (!bi) return "";
  auto at = bin.find(from, bi->offset);
  if (at == std::string::npos || at > bi->offset + bi->size) return "";
  bin.replace(at, to.size(), to);
  std::ofstream(out, std::ios::binary) << bin;
  chmod(out.c_str(), 0755);
  return out;
}
}  // namespace

TEST(GoRefusal, UnsupportedVersionIsRefusedNamingIt) {
  for (const char* name : {"go1.19/go_leaky", "go1.19/go_leaky_stripped"}) {
    auto img = ElfImage::open(target(name));
    ASSERT_TRUE(img);
    auto real = read_buildinfo_version(*img);
    ASSERT_TRUE(real);
    std::string fake = real->text;
    fake[4] = '2';  // go1.19.x -> go1.29.x
    std::string path = with_version(name, real->text, fake);
    ASSERT_FALSE(path.empty());
    {
      gotest::GoProcess p(path);
      ASSERT_EQ(p.line(), "ready");
      collect::RealProcSource proc;
      auto r = GoReader::open(p.pid(), proc);
      ASSERT_FALSE(r) << name << " was read although it claims " << fake;
      EXPECT_NE(r.error().message.find("Go version " + fake + " is not supported"), std::string::npos)
          << r.error().message;
    }
    unlink(path.c_str());
  }
}

TEST(GoRefusal, NonGoProcessIsNotGo) {
  gotest::GoProcess p("/bin/cat");
  usleep(100000);
  collect::RealProcSource proc;
  EXPECT_FALSE(is_go_process(p.pid(), proc));
  auto r = GoReader::open(p.pid(), proc);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a Go program"), std::string::npos) << r.error().message;
}

TEST(GoCensus, GroupGrowingAcrossTheWindowIsALeakSuspect) {
  gotest::GoProcess p(target("go1.19/go_leaky_stripped"));
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  auto first = reader->read();
  ASSERT_EQ(p.command("spawn 25"), "spawned");
  usleep(100000);
  auto last = reader->read();
  ASSERT_TRUE(first && last);
  auto a = pipeline::go_info(*first);
  auto b = pipeline::go_info(*last);
  EXPECT_EQ(b.goroutines, a.goroutines + 25);
  auto grown = pipeline::growing_goroutine_groups(a, b);
  ASSERT_EQ(grown.size(), 1u);
  EXPECT_EQ(grown[0].group.count, 25u);
  EXPECT_EQ(grown[0].group.wait_reason, "select");
  EXPECT_EQ(grown[0].group.created_by.rfind("main.spawnMore at main.go:", 0), 0u) << grown[0].group.created_by;
  std::printf("%s\n", grown[0].note.c_str());
}

// End to end as `memgap attach --no-probes` would do it: the gap without Go knowledge,
// then the go.* rows merged in.
TEST_P(GoTarget, MergedIntoTheProcessGap) {
  gotest::GoProcess p(target(GetParam()));
  ASSERT_EQ(p.line(), "ready");
  usleep(2000000);  // ~6 MiB of map entries
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  analyze::HeapObservation obs;
  auto gap = pipeline::explain_rss(p.pid(), proc, obs);
  ASSERT_TRUE(gap) << gap.error().message;
  auto now = pipeline::go_section_now(*reader, p.pid(), proc, gap->rss);
  ASSERT_TRUE(now) << now.error().message;
  const auto& sec = *now;
  pipeline::merge_go_section(*gap, sec);
  std::printf("[%s] merged gap: RSS %lu, unexplained %ld (%.1f%%)\n", GetParam(), (unsigned long)gap->rss,
              (long)gap->unexplained, 100.0 * double(gap->unexplained) / double(gap->rss));
  for (const auto& c : gap->categories) std::printf("  %-16s %10lu\n", c.name.c_str(), (unsigned long)c.bytes);
  EXPECT_LT(std::llabs(gap->unexplained), int64_t(0.10 * double(gap->rss)));
  uint64_t go = 0;
  for (const auto& c : gap->categories)
    if (c.name.rfind("go.", 0) == 0) go += c.bytes;
  EXPECT_GT(go, gap->rss / 2) << "a pure Go process is mostly Go memory";
  // What attach writes must read back (the snapshot reader rejects absurd numbers).
  model::Snapshot snap;
  snap.gap = *gap;
  snap.go = sec.info;
  auto back = model::from_json(model::to_json(snap));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->go->goroutine_groups.size(), sec.info.goroutine_groups.size());
}

// GOGC and GOMEMLIMIT as the runtime holds them; a binding memory limit exercises the
// limit-based heap goal (gcControllerState.memoryLimitHeapGoal).
TEST(GoSettings, GogcGomemlimitAndTheLimitedHeapGoal) {
  gotest::GoProcess p(target("go1.19/go_leaky_stripped"), {}, {"GOGC=150", "GOMEMLIMIT=12MiB"});
  ASSERT_EQ(p.line(), "ready");
  usleep(1500000);  // grow past the limit's goal
  ASSERT_EQ(p.command("pause"), "paused");
  usleep(200000);
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  std::string mfile = "/tmp/memgap_go_settings_" + std::to_string(p.pid()) + ".json";
  auto before = p.metrics(mfile);
  auto s = reader->read();
  auto after = p.metrics(mfile);
  unlink(mfile.c_str());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->metrics.at("/gc/gogc:percent"), 150);
  EXPECT_EQ(s->metrics.at("/gc/gomemlimit:bytes"), double(12 << 20));
  double dev = 0, goal = s->metrics.at("/gc/heap/goal:bytes");
  EXPECT_TRUE(within(goal, before["/gc/heap/goal:bytes"], after["/gc/heap/goal:bytes"], dev))
      << "memgap " << goal << ", target " << before["/gc/heap/goal:bytes"] << " .. " << after["/gc/heap/goal:bytes"];
  EXPECT_LT(goal, double(12 << 20)) << "the limit, not GOGC, sets this goal";
}
