// pprof export: gunzip and decode the profile.proto message with protobuf's
// CodedInputStream, then check what pprof readers rely on.
#include <google/protobuf/io/coded_stream.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <map>

#include "analyze/diff.h"
#include "model/snapshot_json.h"
#include "report/pprof.h"

using namespace memgap;
namespace pio = google::protobuf::io;

namespace {

// Just enough of profile.proto to check our output.
struct Decoded {
  struct ValueType { int64_t type = 0, unit = 0; };
  struct Sample { std::vector<uint64_t> locations; std::vector<int64_t> values; std::map<std::string, std::string> labels; };
  struct Mapping { uint64_t id = 0; int64_t filename = 0, build_id = 0; bool has_functions = false; };
  struct Location { uint64_t id = 0, mapping = 0, address = 0, function = 0; int64_t line = 0; };
  struct Function { uint64_t id = 0; int64_t name = 0, filename = 0; };
  std::vector<ValueType> sample_types;
  std::vector<Sample> samples;
  std::vector<Mapping> mappings;
  std::map<uint64_t, Location> locations;
  std::map<uint64_t, Function> functions;
  std::vector<std::string> strings;
  ValueType period_type;
  int64_t period = 0, time_nanos = 0, duration_nanos = 0;

  const std::string& str(int64_t i) const { return strings.at(static_cast<size_t>(i)); }
  std::string leaf_function(const Sample& s) const {
    return str(functions.at(locations.at(s.locations.front()).function).name);
  }
};

// Calls f(field, wire, varint, bytes) for each field of a message.
template <typename F>
bool walk(const std::string& msg, F f) {
  pio::CodedInputStream in(reinterpret_cast<const uint8_t*>(msg.data()), static_cast<int>(msg.size()));
  while (uint32_t tag = in.ReadTag()) {
    uint32_t field = tag >> 3, wire = tag & 7;
    uint64_t v = 0;
    std::string bytes;
    if (wire == 0) {
      if (!in.ReadVarint64(&v)) return false;
    } else if (wire == 2) {
      uint32_t len = 0;
      if (!in.ReadVarint32(&len) || !in.ReadString(&bytes, static_cast<int>(len))) return false;
    } else {
      return false;
    }
    f(field, wire, v, bytes);
  }
  return true;
}

std::vector<uint64_t> packed(const std::string& bytes) {
  std::vector<uint64_t> out;
  pio::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  uint64_t v;
  while (in.BytesUntilLimit() != 0 && in.ReadVarint64(&v)) out.push_back(v);
  return out;
}

std::string gunzip(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 32), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

Decoded decode(const std::string& raw) {
  Decoded d;
  bool ok = walk(raw, [&](uint32_t field, uint32_t, uint64_t v, const std::string& b) {
    switch (field) {
      case 1: case 11: {
        Decoded::ValueType vt;
        walk(b, [&](uint32_t f, uint32_t, uint64_t x, const std::string&) { (f == 1 ? vt.type : vt.unit) = static_cast<int64_t>(x); });
        (field == 1 ? d.sample_types.emplace_back() : d.period_type) = vt;
        break;
      }
      case 2: {
        Decoded::Sample s;
        walk(b, [&](uint32_t f, uint32_t, uint64_t, const std::string& bb) {
          if (f == 1) s.locations = packed(bb);
          if (f == 2) for (uint64_t x : packed(bb)) s.values.push_back(static_cast<int64_t>(x));
          if (f == 3) {
            int64_t k = 0, sv = 0;
            walk(bb, [&](uint32_t lf, uint32_t, uint64_t x, const std::string&) { (lf == 1 ? k : sv) = static_cast<int64_t>(x); });
            s.labels[std::to_string(k)] = std::to_string(sv);  // resolved below
          }
        });
        d.samples.push_back(s);
        break;
      }
      case 3: {
        Decoded::Mapping m;
        walk(b, [&](uint32_t f, uint32_t, uint64_t x, const std::string&) {
          if (f == 1) m.id = x;
          if (f == 5) m.filename = static_cast<int64_t>(x);
          if (f == 6) m.build_id = static_cast<int64_t>(x);
          if (f == 7) m.has_functions = x != 0;
        });
        d.mappings.push_back(m);
        break;
      }
      case 4: {
        Decoded::Location l;
        walk(b, [&](uint32_t f, uint32_t, uint64_t x, const std::string& bb) {
          if (f == 1) l.id = x;
          if (f == 2) l.mapping = x;
          if (f == 3) l.address = x;
          if (f == 4) walk(bb, [&](uint32_t lf, uint32_t, uint64_t y, const std::string&) {
            if (lf == 1) l.function = y;
            if (lf == 2) l.line = static_cast<int64_t>(y);
          });
        });
        d.locations[l.id] = l;
        break;
      }
      case 5: {
        Decoded::Function fn;
        walk(b, [&](uint32_t f, uint32_t, uint64_t x, const std::string&) {
          if (f == 1) fn.id = x;
          if (f == 2) fn.name = static_cast<int64_t>(x);
          if (f == 4) fn.filename = static_cast<int64_t>(x);
        });
        d.functions[fn.id] = fn;
        break;
      }
      case 6: d.strings.push_back(b); break;
      case 9: d.time_nanos = static_cast<int64_t>(v); break;
      case 10: d.duration_nanos = static_cast<int64_t>(v); break;
      case 12: d.period = static_cast<int64_t>(v); break;
      default: break;
    }
  });
  EXPECT_TRUE(ok);
  return d;
}

model::Snapshot load(const char* name) {
  auto r = model::read_snapshot_file(std::string(MEMGAP_TEST_DATA) + "/snapshots/" + name);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : model::Snapshot{};
}

}  // namespace

TEST(Pprof, HeapProfileShape) {
  auto s = load("leak_new.json");
  auto gz = report::format_pprof(s);
  ASSERT_TRUE(gz.ok());
  ASSERT_GE(gz->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  Decoded d = decode(gunzip(*gz));
  ASSERT_FALSE(d.strings.empty());
  EXPECT_EQ(d.strings[0], "");
  ASSERT_EQ(d.sample_types.size(), 4u);
  const char* want[4][2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(d.str(d.sample_types[i].type), want[i][0]);
    EXPECT_EQ(d.str(d.sample_types[i].unit), want[i][1]);
  }
  EXPECT_EQ(d.str(d.period_type.type), "space");
  EXPECT_EQ(d.period, 1);  // sample_bytes of the fixture
  EXPECT_EQ(d.time_nanos, s.meta.started_unix_ms * 1'000'000);
  EXPECT_EQ(d.duration_nanos, 30'000'000'000);
  ASSERT_EQ(d.samples.size(), s.sites.size());
  for (size_t i = 0; i < s.sites.size(); ++i) {
    const auto& site = s.sites[i];
    const auto& smp = d.samples[i];
    ASSERT_EQ(smp.values.size(), 4u);
    EXPECT_EQ(smp.values[3], static_cast<int64_t>(site.live_bytes));
    EXPECT_EQ(smp.values[2], static_cast<int64_t>(site.live_objects));
    EXPECT_EQ(smp.values[1], static_cast<int64_t>(site.alloc_bytes));
    ASSERT_EQ(smp.locations.size(), site.frames.size());
    // location[0] is the leaf
    const auto& loc = d.locations.at(smp.locations[0]);
    EXPECT_EQ(loc.line, site.frames[0].line);
    EXPECT_EQ(loc.address, site.frames[0].address);
  }
  EXPECT_EQ(d.leaf_function(d.samples[0]), s.sites[0].frames[0].function);
  // The executable is mapping 1 (pprof's "main binary"); every location's mapping exists.
  ASSERT_FALSE(d.mappings.empty());
  EXPECT_EQ(d.mappings[0].id, 1u);
  EXPECT_EQ(d.str(d.mappings[0].filename), "leak_fp");
  for (const auto& m : d.mappings) EXPECT_TRUE(m.has_functions);
  for (const auto& [id, loc] : d.locations) {
    EXPECT_GE(loc.mapping, 1u);
    EXPECT_LE(loc.mapping, d.mappings.size());
    EXPECT_TRUE(d.functions.count(loc.function));
  }
  bool libstdcxx = false;
  for (const auto& m : d.mappings) libstdcxx |= d.str(m.filename) == "libstdc++.so.6";
  EXPECT_TRUE(libstdcxx);
}

TEST(Pprof, BuildIdsGoIntoMappings) {
  auto s = load("leak_new.json");
  report::PprofOptions opt;
  opt.gzip = false;
  opt.build_ids["leak_fp"] = "3f2a9c00d1e4b5a6";
  auto raw = report::format_pprof(s, opt);
  ASSERT_TRUE(raw.ok());
  Decoded d = decode(*raw);
  bool found = false;
  for (const auto& m : d.mappings)
    if (d.str(m.filename) == "leak_fp") {
      found = true;
      EXPECT_EQ(d.str(m.build_id), "3f2a9c00d1e4b5a6");
    } else {
      EXPECT_EQ(m.build_id, 0);
    }
  EXPECT_TRUE(found);
}

TEST(Pprof, DiffIsDeltasWithLeakOnTop) {
  auto base = load("leak_base.json"), now = load("leak_new.json");
  auto diff = analyze::diff_snapshots(base, now);
  report::PprofOptions opt;
  opt.gzip = false;
  auto raw = report::format_pprof_diff(diff, base, now, opt);
  ASSERT_TRUE(raw.ok());
  Decoded d = decode(*raw);
  ASSERT_FALSE(d.samples.empty());
  // Unchanged-live churn still shows up through its alloc delta; the leak has the largest inuse delta.
  const Decoded::Sample* top = nullptr;
  for (const auto& s : d.samples)
    if (!top || s.values[3] > top->values[3]) top = &s;
  EXPECT_EQ(d.leaf_function(*top), "leak_one");
  EXPECT_EQ(top->values[3], 23 * 4096);
  bool negative = false;
  for (const auto& s : d.samples) negative |= s.values[3] < 0;
  EXPECT_TRUE(negative);  // init_cache went away
}

TEST(Pprof, EmptyAndHostileSnapshotsStillEncode) {
  model::Snapshot s;
  auto raw = report::format_pprof(s, report::PprofOptions{{}, false});
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(decode(*raw).samples.empty());
  model::Site site;  // no frames, absurd values
  site.live_bytes = UINT64_MAX;
  s.sites.push_back(site);
  s.meta.sample_bytes = UINT64_MAX;
  s.meta.started_unix_ms = INT64_MAX;
  s.meta.duration_ms = UINT64_MAX;
  raw = report::format_pprof(s, report::PprofOptions{{}, false});
  ASSERT_TRUE(raw.ok());
  Decoded d = decode(*raw);
  ASSERT_EQ(d.samples.size(), 1u);
  EXPECT_GT(d.samples[0].values[3], 0);
  EXPECT_EQ(d.leaf_function(d.samples[0]), "[unknown]");
}
