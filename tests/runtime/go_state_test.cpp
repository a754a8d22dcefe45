// Go runtime state read from outside, checked against the target's own runtime/metrics
// read at the same moment (the target is paused, and its reads bracket memgap's).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <functional>
#include <fstream>
#include <iterator>

#include "collect/proc_source.h"
#include "collect/smaps.h"
#include "model/snapshot_json.h"
#include "pipeline/gap.h"
#include "pipeline/go_section.h"
#include "pipeline/process_gap.h"
#include "runtime/go/elf_image.h"
#include "runtime/go/globals.h"
#include "runtime/go/go_state.h"
#include "runtime/go/layout.h"
#include "runtime/go/pclntab.h"
#include "runtime/go/release.h"
#include "runtime/go/release_derive.h"
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

// Polls `done` every 20 ms until it holds or `limit_ms` pass; the test then asserts.
bool wait_for(const std::function<bool()>& done, int limit_ms = 10000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    usleep(20000);
  }
  return true;
}

// The Go release folder of a build ("go1.26" of "go1.26/go_leaky_pie").
std::string release_of(const std::string& build) { return build.substr(0, build.find('/')); }
bool plain(const std::string& build) {
  return build.find("_stripped") == std::string::npos && build.find("_pie") == std::string::npos;
}

// The paused target is idle once two of its own reads 50 ms apart agree on the heap's
// objects and spans (the sweeper and scavenger have finished with the last cycle).
bool settled(gotest::GoProcess& p, const std::string& file) {
  std::map<std::string, double> last;
  return wait_for([&] {
    auto now = p.metrics(file);
    bool same = !last.empty() && now["/memory/classes/heap/objects:bytes"] == last["/memory/classes/heap/objects:bytes"] &&
                now["/memory/classes/heap/free:bytes"] == last["/memory/classes/heap/free:bytes"] &&
                now["/memory/classes/heap/released:bytes"] == last["/memory/classes/heap/released:bytes"];
    last = std::move(now);
    if (!same) usleep(50000);
    return same;
  });
}

// One of memgap's metrics, read now.
double now_metric(const GoReader& r, const char* name) {
  auto s = r.read();
  return s ? s->metrics.at(name) : -1;
}

class GoTarget : public ::testing::TestWithParam<const char*> {};

TEST_P(GoTarget, RuntimeFiguresMatchTheTargetsOwnMetrics) {
  const std::string build = GetParam(), rel = release_of(build);
  gotest::GoProcess p(target(build));
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  // Let the map grow and some tickers pile up, then freeze the target.
  ASSERT_TRUE(wait_for([&] { return now_metric(*reader, "/gc/heap/allocs:bytes") > 1e6; }));
  ASSERT_EQ(p.command("pause"), "paused");
  std::string mfile = "/tmp/memgap_go_metrics_" + std::to_string(p.pid()) + ".json";
  ASSERT_TRUE(settled(p, mfile));
  auto before = p.metrics(mfile);
  // Read once the target is back in read(2) on stdin after answering (its main goroutine
  // then sits in a syscall; until then it may still be writing its answer).
  Result<GoState> state = make_error("not read");
  auto main_group = [&]() -> const GoroutineGroupInfo* {
    for (const auto& g : state->census.groups)
      if (g.start == "runtime.main") return &g;
    return nullptr;
  };
  auto in_scan = [&] {
    const GoroutineGroupInfo* m = main_group();
    if (!m || m->wait_reason != "syscall") return false;
    for (const auto& f : m->stack)
      if (f.function == "bufio.(*Scanner).Scan") return true;
    return false;
  };
  ASSERT_TRUE(wait_for([&] {
    state = reader->read();
    return state && in_scan();
  })) << (state ? "the main goroutine never parked in read(2)" : state.error().message);
  auto after = p.metrics(mfile);
  unlink(mfile.c_str());
  ASSERT_FALSE(before.empty());

  EXPECT_EQ(state->version.text.rfind(rel, 0), 0u) << state->version.text;
  EXPECT_EQ(state->release, rel);
  if (plain(build)) {
    EXPECT_EQ(state->layout_source, "dwarf");
    EXPECT_EQ(state->globals_source, "symtab");
  } else {
    EXPECT_EQ(state->layout_source, "builtin " + rel);
    EXPECT_EQ(state->globals_source, "code references");
  }
  std::vector<std::string> compared(std::begin(kCompared), std::end(kCompared));
  // Names the newer runtimes have: memgap reports them, and they must agree too.
  if (rel != "go1.19") {
    compared.push_back("/gc/heap/live:bytes");
    compared.push_back("/sched/goroutines/waiting:goroutines");
  }
  double worst = 0;
  std::string worst_name = "none";
  int exact_count = 0;
  for (const auto& name : compared) {
    ASSERT_TRUE(before.count(name)) << name;
    ASSERT_TRUE(state->metrics.count(name)) << "memgap does not report " << name;
    double got = state->metrics.at(name), dev = 0;
    EXPECT_TRUE(within(got, before[name], after[name], dev))
        << name << ": memgap " << got << ", target " << before[name] << " .. " << after[name];
    if (dev > worst) {
      worst = dev;
      worst_name = name;
    }
    exact_count += got == before[name] && got == after[name];
    // Idle across memgap's read (its own two reads agree), the figure must be exact.
    EXPECT_TRUE(before[name] != after[name] || got == before[name])
        << name << ": memgap " << got << ", idle target " << before[name];
  }
  // Exact where memgap claims exactness: settings and counters (go1.19's runtime/metrics
  // has no GOGC or GOMEMLIMIT; GoStripped.GogcGomemlimit* checks them against the
  // environment there).
  std::vector<std::string> exact = {"/gc/cycles/total:gc-cycles", "/gc/cycles/forced:gc-cycles",
                                    "/gc/cycles/automatic:gc-cycles"};
  if (rel != "go1.19") exact.insert(exact.end(), {"/gc/gogc:percent", "/gc/gomemlimit:bytes"});
  for (const auto& name : exact) {
    ASSERT_TRUE(before.count(name)) << name;
    EXPECT_EQ(state->metrics.at(name), before[name]) << name;
  }
  EXPECT_EQ(state->metrics.at("runtime.MemProfileRate"), before["MemProfileRate"]);
  EXPECT_EQ(double(state->census.goroutines), before["NumGoroutine"]);
  std::printf("[%s] worst deviation from the target's own runtime/metrics: %.3f%% (%s); %d of %zu metrics "
              "exactly equal; read took %.2f ms\n",
              GetParam(), worst * 100, worst_name.c_str(), exact_count, compared.size(), state->read_ms);
  // The 137 waiters form one group named by their creation site and wait reason.
  int found = 0;
  for (const auto& g : state->census.groups) {
    if (g.count != 137) continue;
    ++found;
    EXPECT_EQ(g.wait_reason, "chan receive");
    EXPECT_EQ(g.created_by.rfind("main.spawnWaiters at main.go:", 0), 0u) << g.created_by;
    bool waiter = false;
    for (const auto& f : g.stack) waiter |= f.function == "main.waiter";
    EXPECT_TRUE(waiter) << "blocked stack should pass through main.waiter";
    ASSERT_FALSE(g.stack.empty());
    EXPECT_EQ(g.stack[0].function, "runtime.gopark");
  }
  EXPECT_EQ(found, 1) << "one group of 137 goroutines";
  // The main goroutine sits in read(2) on stdin (the target answered its last command
  // and is idle): its stack is rebuilt from the saved pc/sp and the pcsp table
  // (entersyscall saves no bp).
  const GoroutineGroupInfo* main_g = main_group();
  bool main_seen = false, inlined = false;
  std::string frames;
  for (const auto& f : main_g->stack) {
    main_seen |= f.function == "main.main";
    // syscall.Read is inlined into internal/poll.(*FD).Read: expanded from the inline
    // tree like Go's own traceback does.
    inlined |= f.function == "syscall.Read" && f.file.find("syscall_unix.go") != std::string::npos;
    frames += "\n  " + f.function + " " + f.file + ":" + std::to_string(f.line);
  }
  EXPECT_TRUE(main_seen) << "main goroutine stack misses main.main:" << frames;
  EXPECT_TRUE(inlined) << "inlined frame syscall.Read missing:" << frames;
}

TEST_P(GoTarget, GapExplainsRss) {
  gotest::GoProcess p(target(GetParam()));
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  ASSERT_TRUE(wait_for([&] { return now_metric(*reader, "/memory/classes/heap/objects:bytes") > 1e6; }));
  auto state = reader->read();
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
  ASSERT_TRUE(a) << a.error().message;
  // ~50 rounds of 64 KiB per second: 1 MB more within a few seconds.
  double start = a->metrics.at("/gc/heap/allocs:bytes");
  EXPECT_TRUE(wait_for([&] { return now_metric(*reader, "/gc/heap/allocs:bytes") - start > 1e6; }))
      << "allocated bytes did not grow by 1 MB";
}

#define MEMGAP_GO_BUILDS(rel) rel "/go_leaky", rel "/go_leaky_stripped", rel "/go_leaky_pie"
INSTANTIATE_TEST_SUITE_P(Builds, GoTarget,
                         ::testing::Values(MEMGAP_GO_BUILDS("go1.19"), MEMGAP_GO_BUILDS("go1.26"),
                                           MEMGAP_GO_BUILDS("go1.27")));

class GoRelease : public ::testing::TestWithParam<const char*> {};

// The built-in tables are what memgap_go_layout_gen derives from the plain build of the
// same release (DWARF, symbols, code): rerun scripts/gen-go-layouts.sh when this fails.
TEST_P(GoRelease, BuiltinTablesMatchTheBinary) {
  std::string exe = target(std::string(GetParam()) + "/go_leaky");
  auto img = ElfImage::open(exe);
  ASSERT_TRUE(img) << img.error().message;
  auto v = read_buildinfo_version(*img);
  ASSERT_TRUE(v);
  const ReleaseSpec* builtin = known_release(*v);
  ASSERT_NE(builtin, nullptr) << v->text;
  EXPECT_EQ(builtin->name, GetParam());
  auto pcln = load_pclntab(*img);
  ASSERT_TRUE(pcln);
  auto derived = derive_release(*img, *pcln, *builtin);
  ASSERT_TRUE(derived) << derived.error().message;
  for (const auto& f : layout_fields())
    EXPECT_EQ(derived->layout.*f.member, builtin->layout.*f.member) << f.name << " (" << f.type << "." << f.path << ")";
  EXPECT_EQ(derived->class_to_size, builtin->class_to_size);
  EXPECT_EQ(derived->wait_reasons, builtin->wait_reasons);
  ASSERT_EQ(derived->code_refs.size(), builtin->code_refs.size());
  for (size_t i = 0; i < builtin->code_refs.size(); ++i) {
    const auto &d = derived->code_refs[i], &b = builtin->code_refs[i];
    EXPECT_EQ(d.global + " " + d.func + " " + std::to_string(d.lea_only) + " " + std::to_string(d.index) + " " +
                  std::to_string(d.delta),
              b.global + " " + b.func + " " + std::to_string(b.lea_only) + " " + std::to_string(b.index) + " " +
                  std::to_string(b.delta));
  }
}

TEST_P(GoRelease, CodeReferencesAgreeWithSymbolTable) {
  // The unstripped build has both: the rules used for stripped binaries must find
  // exactly the symbols' addresses, in go_leaky (which imports runtime/metrics) and in
  // go_hello (which does not, so the linker dropped the runtime's metrics code: the
  // rules must name functions every Go program links).
  for (const char* program : {"go_leaky", "go_hello"}) {
    SCOPED_TRACE(program);
    auto img = ElfImage::open(target(std::string(GetParam()) + "/" + program));
    ASSERT_TRUE(img);
    auto ver = read_buildinfo_version(*img);
    ASSERT_TRUE(ver);
    auto pcln = load_pclntab(*img);
    ASSERT_TRUE(pcln);
    if (std::string(program) == "go_hello")
      EXPECT_FALSE(pcln->lookup("runtime.(*sysStatsAggregate).compute")) << "go_hello links runtime/metrics";
    auto sym = globals_from_symtab(*img);
    auto code = globals_from_code(*img, *pcln, *known_release(*ver));
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
}

TEST_P(GoRelease, PclntabNamesAndLinesMatchSymbolTable) {
  auto img = ElfImage::open(target(std::string(GetParam()) + "/go_leaky"));
  ASSERT_TRUE(img);
  auto pcln = load_pclntab(*img);
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

// Some distributions drop .go.buildinfo (esbuild's npm package): a copy of go_hello
// whose section is renamed is still Go (its .gopclntab) and of the same version, read
// from runtime.buildVersion, in every flavour.
TEST_P(GoRelease, VersionWithoutBuildinfoFromBuildVersion) {
  for (const char* flavour : {"", "_stripped", "_pie"}) {
    std::string name = std::string(GetParam()) + "/go_hello" + flavour;
    SCOPED_TRACE(name);
    auto img = ElfImage::open(target(name));
    ASSERT_TRUE(img);
    auto real = read_buildinfo_version(*img);
    ASSERT_TRUE(real) << real.error().message;
    std::ifstream in(target(name), std::ios::binary);
    std::string bin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Section names live in .shstrtab, after the section bytes: the last occurrence.
    auto at = bin.rfind(std::string(".go.buildinfo") + '\0');
    ASSERT_NE(at, std::string::npos);
    bin[at + 12] = 'X';
    std::string out = "/tmp/memgap_go_nobuildinfo_" + std::to_string(getpid());
    std::ofstream(out, std::ios::binary) << bin;
    auto copy = ElfImage::open(out);
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->section(".go.buildinfo"), nullptr);
    EXPECT_TRUE(is_go_image(*copy));
    auto v = read_go_version(*copy);
    unlink(out.c_str());
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->text, real->text);
  }
}

INSTANTIATE_TEST_SUITE_P(Releases, GoRelease, ::testing::Values("go1.19", "go1.26", "go1.27"));

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

// go1.19 and go1.26 builds whose buildinfo claims go1.29 (a release memgap has no
// tables for): stripped, they are refused by name; plain, they are read from their own
// DWARF after validation; stripped with --go-layout-from a plain build of the same
// (claimed) release, they are read from the donor's DWARF, symbols and code.
class GoUnknownRelease : public ::testing::TestWithParam<const char*> {};

std::string claim_go129(const std::string& name) {
  auto img = ElfImage::open(target(name));
  if (!img) return "";
  auto real = read_buildinfo_version(*img);
  if (!real || real->text.size() < 6) return "";
  return with_version(name, real->text, "go1.29" + real->text.substr(6));
}

TEST_P(GoUnknownRelease, StrippedIsRefusedNamingIt) {
  std::string path = claim_go129(std::string(GetParam()) + "/go_leaky_stripped");
  ASSERT_FALSE(path.empty());
  {
    gotest::GoProcess p(path);
    ASSERT_EQ(p.line(), "ready");
    collect::RealProcSource proc;
    auto r = GoReader::open(p.pid(), proc);
    ASSERT_FALSE(r) << path << " was read although it claims go1.29";
    EXPECT_NE(r.error().message.find("Go version go1.29"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("is not supported"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().hint.find("--go-layout-from"), std::string::npos) << r.error().hint;
  }
  unlink(path.c_str());
}

// The figures an unknown release is read with must still be the runtime's own.
void expect_own_figures(gotest::GoProcess& p, const GoReader& reader, const std::string& what) {
  ASSERT_EQ(p.command("pause"), "paused");
  std::string mfile = "/tmp/memgap_go_unknown_" + std::to_string(p.pid()) + ".json";
  ASSERT_TRUE(settled(p, mfile));
  auto before = p.metrics(mfile);
  auto s = reader.read();
  auto after = p.metrics(mfile);
  unlink(mfile.c_str());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->release, "go1.29");
  double worst = 0;
  for (const char* name : kCompared) {
    if (std::string(name) == "/sched/goroutines:goroutines") continue;  // borrowed go1.27 facts count differently
    double dev = 0;
    EXPECT_TRUE(within(s->metrics.at(name), before[name], after[name], dev))
        << name << ": memgap " << s->metrics.at(name) << ", target " << before[name];
    worst = std::max(worst, dev);
  }
  EXPECT_EQ(double(s->census.goroutines), before["NumGoroutine"]);
  std::printf("[%s] worst deviation %.3f%%\n", what.c_str(), worst * 100);
}

TEST_P(GoUnknownRelease, PlainIsReadFromItsOwnDwarf) {
  std::string path = claim_go129(std::string(GetParam()) + "/go_leaky");
  ASSERT_FALSE(path.empty());
  {
    gotest::GoProcess p(path);
    ASSERT_EQ(p.line(), "ready");
    collect::RealProcSource proc;
    auto r = GoReader::open(p.pid(), proc);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->release().name, "go1.29");
    EXPECT_EQ(r->release().layout.source, "dwarf");
    expect_own_figures(p, *r, std::string(GetParam()) + " claiming go1.29, own DWARF");
  }
  unlink(path.c_str());
}

TEST_P(GoUnknownRelease, StrippedIsReadWithLayoutsFromAPlainBuild) {
  std::string stripped = claim_go129(std::string(GetParam()) + "/go_leaky_stripped");
  std::string donor = claim_go129(std::string(GetParam()) + "/go_leaky");
  ASSERT_FALSE(stripped.empty() || donor.empty());
  {
    gotest::GoProcess p(stripped);
    ASSERT_EQ(p.line(), "ready");
    collect::RealProcSource proc;
    GoOpenOptions o;
    o.layout_from = donor;
    auto r = GoReader::open(p.pid(), proc, o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->release().layout.source, "dwarf of " + donor);
    expect_own_figures(p, *r, std::string(GetParam()) + " claiming go1.29, stripped, --go-layout-from");
    // A donor of another release is refused, not trusted.
    o.layout_from = target(std::string(GetParam()) + "/go_leaky");
    auto wrong = GoReader::open(p.pid(), proc, o);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("was built by"), std::string::npos) << wrong.error().message;
  }
  unlink(stripped.c_str());
  unlink(donor.c_str());
}

// The same through the command line: `memgap attach` names the refusal and the flag in
// a note, and reads the target with --go-layout-from.
std::string run_memgap(const std::string& args) {
  std::string out;
  FILE* f = popen((std::string(MEMGAP_BIN) + " " + args + " 2>/dev/null").c_str(), "r");
  if (!f) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  pclose(f);
  return out;
}

TEST_P(GoUnknownRelease, AttachTakesGoLayoutFrom) {
  std::string stripped = claim_go129(std::string(GetParam()) + "/go_leaky_stripped");
  std::string donor = claim_go129(std::string(GetParam()) + "/go_leaky");
  ASSERT_FALSE(stripped.empty() || donor.empty());
  {
    gotest::GoProcess p(stripped);
    ASSERT_EQ(p.line(), "ready");
    std::string pid = std::to_string(p.pid());
    auto refused = model::from_json(run_memgap("attach " + pid + " -d 200ms --no-probes --json"));
    ASSERT_TRUE(refused) << refused.error().message;
    EXPECT_FALSE(refused->go.has_value());
    std::string notes;
    for (const auto& n : refused->meta.notes) notes += n + "\n";
    EXPECT_NE(notes.find("is not supported"), std::string::npos) << notes;
    EXPECT_NE(notes.find("--go-layout-from"), std::string::npos) << notes;
    auto read = model::from_json(run_memgap("attach " + pid + " -d 200ms --no-probes --json --go-layout-from " + donor));
    ASSERT_TRUE(read) << read.error().message;
    ASSERT_TRUE(read->go.has_value());
    EXPECT_EQ(read->go->version.rfind("go1.29", 0), 0u) << read->go->version;
    EXPECT_GT(read->go->goroutines, 137u);
  }
  unlink(stripped.c_str());
  unlink(donor.c_str());
}

// A donor that claims the target's release but is another one (go1.26 code and layouts
// for a go1.19 runtime, or the reverse) must be refused by validation, not misread.
TEST_P(GoUnknownRelease, DonorOfAnotherRuntimeIsRefused) {
  std::string other = std::string(GetParam()) == "go1.19" ? "go1.26" : "go1.19";
  std::string stripped = claim_go129(std::string(GetParam()) + "/go_leaky_stripped");
  std::string donor = claim_go129(other + "/go_leaky");
  ASSERT_FALSE(stripped.empty() || donor.empty());
  {
    gotest::GoProcess p(stripped);
    ASSERT_EQ(p.line(), "ready");
    collect::RealProcSource proc;
    GoOpenOptions o;
    o.layout_from = donor;
    auto r = GoReader::open(p.pid(), proc, o);
    ASSERT_FALSE(r) << "a go1.29-claiming " << GetParam() << " target was read with " << other << "'s layouts";
    std::printf("[%s with %s's layouts] refused: %s\n", GetParam(), other.c_str(), r.error().message.c_str());
  }
  unlink(stripped.c_str());
  unlink(donor.c_str());
}

INSTANTIATE_TEST_SUITE_P(Releases, GoUnknownRelease, ::testing::Values("go1.19", "go1.26"));

TEST(GoRefusal, NonGoProcessIsNotGo) {
  gotest::GoProcess p("/bin/cat");
  // The child is /bin/cat once it has exec'd.
  ASSERT_TRUE(wait_for([&] {
    char buf[256] = {};
    std::string link = "/proc/" + std::to_string(p.pid()) + "/exe";
    ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
    return n > 0 && std::string(buf, size_t(n)).find("cat") != std::string::npos;
  }));
  collect::RealProcSource proc;
  EXPECT_FALSE(is_go_process(p.pid(), proc));
  auto r = GoReader::open(p.pid(), proc);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a Go program"), std::string::npos) << r.error().message;
}

class GoStripped : public ::testing::TestWithParam<const char*> {};

TEST_P(GoStripped, GroupGrowingAcrossTheWindowIsALeakSuspect) {
  gotest::GoProcess p(target(std::string(GetParam()) + "/go_leaky_stripped"));
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  // The window opens once the 137 waiters have all run into their receive: right after
  // "ready" some may not have started yet (runnable), and their group would seem to
  // grow as they park.
  Result<GoState> first = make_error("not read");
  ASSERT_TRUE(wait_for([&] {
    first = reader->read();
    if (!first) return false;
    for (const auto& g : first->census.groups)
      if (g.wait_reason == "chan receive" && g.count == 137) return true;
    return false;
  })) << (first ? "the 137 waiters never all parked" : first.error().message);
  auto a = pipeline::go_info(*first);
  ASSERT_EQ(p.command("spawn 25"), "spawned");
  // The 25 have started once each is parked in its select.
  Result<GoState> last = make_error("not read");
  ASSERT_TRUE(wait_for([&] {
    last = reader->read();
    if (!last) return false;
    for (const auto& g : last->census.groups)
      if (g.wait_reason == "select" && g.count == 25) return true;
    return false;
  }));
  auto b = pipeline::go_info(*last);
  EXPECT_EQ(b.goroutines, a.goroutines + 25);
  auto grown = pipeline::growing_goroutine_groups(a, b);
  ASSERT_EQ(grown.size(), 1u);
  EXPECT_EQ(grown[0].group.count, 25u);
  EXPECT_EQ(grown[0].group.wait_reason, "select");
  EXPECT_EQ(grown[0].group.created_by.rfind("main.spawnMore", 0), 0u) << grown[0].group.created_by;
  EXPECT_NE(grown[0].group.created_by.find(" at main.go:"), std::string::npos) << grown[0].group.created_by;
  std::printf("%s\n", grown[0].note.c_str());
}

// End to end as `memgap attach --no-probes` and `memgap top` do it (process_gap): the
// gap without Go knowledge, then the go.* rows merged in.
TEST_P(GoTarget, MergedIntoTheProcessGap) {
  gotest::GoProcess p(target(GetParam()));
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  pipeline::GoProbe probe;
  // Wait for ~6 MiB of map entries.
  Result<pipeline::ProcessGap> pg = make_error("not read");
  ASSERT_TRUE(wait_for([&] {
    pg = pipeline::process_gap(p.pid(), proc, probe, true);
    return pg && pg->go && pg->go->runtime.count("/memory/classes/heap/objects:bytes") &&
           pg->go->runtime.at("/memory/classes/heap/objects:bytes") > double(6u << 20);
  })) << (pg ? probe.error : pg.error().message);
  const auto& gap = pg->report.gap;
  std::printf("[%s] merged gap: RSS %lu, unexplained %ld (%.1f%%)\n", GetParam(), (unsigned long)gap.rss,
              (long)gap.unexplained, 100.0 * double(gap.unexplained) / double(gap.rss));
  for (const auto& c : gap.categories) std::printf("  %-16s %10lu\n", c.name.c_str(), (unsigned long)c.bytes);
  EXPECT_LT(std::llabs(gap.unexplained), int64_t(0.10 * double(gap.rss)));
  uint64_t go = 0, file = 0;
  for (const auto& c : gap.categories) {
    if (c.name.rfind("go.", 0) == 0) go += c.bytes;
    if (c.name == "file.mapped") file = c.bytes;
  }
  // The binary's own mapping can be half of a small target's RSS (PIE builds); what is
  // not file-backed is the runtime's.
  EXPECT_GT(double(go), 0.8 * double(gap.rss - file)) << "a pure Go process's anonymous memory is mostly Go memory";
  // What attach writes must read back (the snapshot reader rejects absurd numbers).
  model::Snapshot snap;
  snap.gap = gap;
  snap.go = pg->go;
  auto back = model::from_json(model::to_json(snap));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->go->goroutine_groups.size(), pg->go->goroutine_groups.size());
}

// GOGC and GOMEMLIMIT as the runtime holds them; a binding memory limit exercises the
// limit-based heap goal (gcControllerState.memoryLimitHeapGoal, whose headroom differs
// between go1.19 and later releases).
TEST_P(GoStripped, GogcGomemlimitAndTheLimitedHeapGoal) {
  gotest::GoProcess p(target(std::string(GetParam()) + "/go_leaky_stripped"), {}, {"GOGC=150", "GOMEMLIMIT=12MiB"});
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  // Grow until the runtime's mapped memory nears the limit, where the limit sets the goal.
  ASSERT_TRUE(wait_for([&] { return now_metric(*reader, "/memory/classes/total:bytes") > double(10 << 20); }, 20000));
  ASSERT_EQ(p.command("pause"), "paused");
  std::string mfile = "/tmp/memgap_go_settings_" + std::to_string(p.pid()) + ".json";
  ASSERT_TRUE(settled(p, mfile));
  auto before = p.metrics(mfile);
  auto s = reader->read();
  auto after = p.metrics(mfile);
  unlink(mfile.c_str());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->metrics.at("/gc/gogc:percent"), 150);
  EXPECT_EQ(s->metrics.at("/gc/gomemlimit:bytes"), double(12 << 20));
  EXPECT_EQ(s->metrics.at("/gc/cycles/total:gc-cycles"), before["/gc/cycles/total:gc-cycles"]);
  double dev = 0, goal = s->metrics.at("/gc/heap/goal:bytes");
  EXPECT_TRUE(within(goal, before["/gc/heap/goal:bytes"], after["/gc/heap/goal:bytes"], dev))
      << "memgap " << goal << ", target " << before["/gc/heap/goal:bytes"] << " .. " << after["/gc/heap/goal:bytes"];
  EXPECT_LT(goal, double(12 << 20)) << "the limit, not GOGC, sets this goal";
  std::printf("[%s] limited heap goal: memgap %.0f, target %.0f .. %.0f\n", GetParam(), goal,
              before["/gc/heap/goal:bytes"], after["/gc/heap/goal:bytes"]);
}

INSTANTIATE_TEST_SUITE_P(Releases, GoStripped, ::testing::Values("go1.19", "go1.26", "go1.27"));

namespace {
// go_hello: a program without runtime/metrics, in every release and flavour. Its oracle
// is runtime.ReadMemStats, the runtime's own account read with the world stopped (the
// figures runtime/metrics derives from the same heapStats, memstats and gcController),
// and runtime.NumGoroutine, written by the target at a command just before and just
// after memgap's read while it is otherwise idle.
std::map<std::string, double> hello_stats(gotest::GoProcess& p, const std::string& file) {
  std::map<std::string, double> m;
  if (p.command("stats " + file) != "stats") return m;
  std::ifstream f(file);
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded()) return m;
  for (auto& [k, v] : j.items()) m[k] = v.get<double>();
  return m;
}

// runtime/metrics name memgap reports → the same figure from MemStats.
struct HelloFigure {
  const char* metric;
  std::function<double(std::map<std::string, double>&)> from_memstats;
};
const std::vector<HelloFigure>& hello_figures() {
  static const std::vector<HelloFigure> f = {
      {"/memory/classes/heap/objects:bytes", [](auto& m) { return m["HeapAlloc"]; }},
      {"/gc/heap/objects:objects", [](auto& m) { return m["HeapObjects"]; }},
      {"/memory/classes/heap/unused:bytes", [](auto& m) { return m["HeapInuse"] - m["HeapAlloc"]; }},
      {"/memory/classes/heap/free:bytes", [](auto& m) { return m["HeapIdle"] - m["HeapReleased"]; }},
      {"/memory/classes/heap/released:bytes", [](auto& m) { return m["HeapReleased"]; }},
      {"/memory/classes/heap/stacks:bytes", [](auto& m) { return m["StackInuse"]; }},
      {"/memory/classes/metadata/mspan/inuse:bytes", [](auto& m) { return m["MSpanInuse"]; }},
      {"/memory/classes/metadata/mcache/inuse:bytes", [](auto& m) { return m["MCacheInuse"]; }},
      {"/memory/classes/profiling/buckets:bytes", [](auto& m) { return m["BuckHashSys"]; }},
      {"/memory/classes/total:bytes", [](auto& m) { return m["Sys"]; }},
      {"/gc/heap/goal:bytes", [](auto& m) { return m["NextGC"]; }},
  };
  return f;
}

#define MEMGAP_GO_HELLO(rel) rel "/go_hello", rel "/go_hello_stripped", rel "/go_hello_pie"
class GoHello : public ::testing::TestWithParam<const char*> {};

TEST_P(GoHello, RuntimeFiguresMatchReadMemStats) {
  const std::string build = GetParam(), rel = release_of(build);
  gotest::GoProcess p(target(build));
  ASSERT_EQ(p.line(), "ready");
  ASSERT_EQ(p.command("spawn 25"), "spawned");
  ASSERT_EQ(p.command("alloc 2048"), "allocated");  // 2 MiB live in 1 KiB objects
  ASSERT_EQ(p.command("gc"), "gc");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  std::string file = "/tmp/memgap_go_hello_" + std::to_string(p.pid()) + ".json";
  // Measured: after the first stats command the process holds one more 32 KiB stack
  // span (memgap reads it while the target idles in read(2)), released while it runs
  // the next command; one warm-up command lets that settle before the bracketing reads.
  ASSERT_FALSE(hello_stats(p, file).empty());
  auto before = hello_stats(p, file);
  ASSERT_FALSE(before.empty());
  // Read once the main goroutine is back in read(2) on stdin (it answered "stats"; in
  // the write(2) of its answer it may still be growing its stack).
  Result<GoState> state = make_error("not read");
  auto main_in_read = [&] {
    for (const auto& g : state->census.groups)
      if (g.start == "runtime.main" && g.wait_reason == "syscall")
        for (const auto& f : g.stack)
          if (f.function == "bufio.(*Scanner).Scan") return true;
    return false;
  };
  ASSERT_TRUE(wait_for([&] {
    state = reader->read();
    return state && main_in_read();
  })) << (state ? "the main goroutine never parked in read(2)" : state.error().message);
  auto after = hello_stats(p, file);
  unlink(file.c_str());
  ASSERT_FALSE(after.empty());

  EXPECT_EQ(state->release, rel);
  EXPECT_EQ(state->globals_source, plain(build) ? "symtab" : "code references");
  double worst = 0;
  std::string worst_name = "none";
  int exact_count = 0;
  for (const auto& f : hello_figures()) {
    ASSERT_TRUE(state->metrics.count(f.metric)) << "memgap does not report " << f.metric;
    double got = state->metrics.at(f.metric), lo = f.from_memstats(before), hi = f.from_memstats(after), dev = 0;
    EXPECT_TRUE(within(got, lo, hi, dev)) << f.metric << ": memgap " << got << ", ReadMemStats " << lo << " .. " << hi;
    if (dev > worst) {
      worst = dev;
      worst_name = f.metric;
    }
    exact_count += got == lo && got == hi;
  }
  // Counters and the goroutine count are exact: nothing between the two reads runs a
  // cycle or starts a goroutine.
  EXPECT_EQ(state->metrics.at("/gc/cycles/total:gc-cycles"), before["NumGC"]);
  EXPECT_EQ(state->metrics.at("/gc/cycles/forced:gc-cycles"), before["NumForcedGC"]);
  EXPECT_EQ(before["NumGC"], after["NumGC"]);
  EXPECT_EQ(double(state->census.goroutines), before["NumGoroutine"]);
  EXPECT_EQ(before["NumGoroutine"], 26);  // main and the 25 sleepers
  std::printf("[%s] worst deviation from ReadMemStats: %.3f%% (%s); %d of %zu figures exactly equal; "
              "%lu goroutines; read took %.2f ms\n",
              GetParam(), worst * 100, worst_name.c_str(), exact_count, hello_figures().size(),
              (unsigned long)state->census.goroutines, state->read_ms);
  int sleepers = 0;
  for (const auto& g : state->census.groups)
    if (g.start == "main.sleeper") {
      sleepers += int(g.count);
      EXPECT_EQ(g.wait_reason, "chan receive");
      EXPECT_EQ(g.created_by.rfind("main.main at main.go:", 0), 0u) << g.created_by;
      ASSERT_FALSE(g.stack.empty());
      EXPECT_EQ(g.stack.back().function, "runtime.goexit");
    }
  EXPECT_EQ(sleepers, 25);
}

// Goroutines that never ran: newproc1 left them at their start function's entry with
// goexit's return address on the stack. Their stack is [start function, runtime.goexit],
// as runtime.traceback prints it, not the function laid out before the start function.
TEST_P(GoHello, NotYetStartedGoroutineStartsAtItsStartFunction) {
  const std::string build = GetParam();
  gotest::GoProcess p(target(build), {}, {"GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1"});
  ASSERT_EQ(p.line(), "ready");
  collect::RealProcSource proc;
  auto reader = GoReader::open(p.pid(), proc);
  ASSERT_TRUE(reader) << reader.error().message;
  ASSERT_EQ(p.command("hold 7"), "holding");
  // sysmon may have asked main to yield (a machine under load makes the command take
  // more than 10 ms) and it then yields at the next call, letting the sleepers created
  // so far run into their receive; the last one is created after main's last call and
  // never runs.
  Result<GoState> state = make_error("not read");
  const GoroutineGroupInfo* held = nullptr;
  ASSERT_TRUE(wait_for([&] {
    state = reader->read();
    held = nullptr;
    uint64_t sleepers = 0;
    if (state)
      for (const auto& g : state->census.groups)
        if (g.start == "main.sleeper") {
          sleepers += g.count;
          if (g.wait_reason == "runnable") held = &g;
        }
    return sleepers == 7 && held != nullptr;
  })) << "no runnable group of main.sleeper goroutines among the 7";
  std::string frames;
  for (const auto& f : held->stack) frames += "\n  " + f.function + " " + f.file + ":" + std::to_string(f.line);
  ASSERT_EQ(held->stack.size(), 2u) << frames;
  EXPECT_EQ(held->stack[0].function, "main.sleeper") << frames;
  EXPECT_EQ(held->stack[0].offset, 0u) << frames;
  EXPECT_NE(held->stack[0].file.find("hello/main.go"), std::string::npos) << frames;
  EXPECT_EQ(held->stack[1].function, "runtime.goexit") << frames;
}

INSTANTIATE_TEST_SUITE_P(Builds, GoHello,
                         ::testing::Values(MEMGAP_GO_HELLO("go1.19"), MEMGAP_GO_HELLO("go1.26"), MEMGAP_GO_HELLO("go1.27")));
}  // namespace
