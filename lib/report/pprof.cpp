#include "report/pprof.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <zlib.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "analyze/site_key.h"

namespace memgap::report {
namespace {

namespace pio = google::protobuf::io;

// Field numbers of perftools.profiles (profile.proto), written down from its documentation.
namespace field {
// Profile
constexpr int kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5, kStringTable = 6,
              kTimeNanos = 9, kDurationNanos = 10, kPeriodType = 11, kPeriod = 12, kComment = 13;
// ValueType
constexpr int kVtType = 1, kVtUnit = 2;
// Sample
constexpr int kSampleLocationId = 1, kSampleValue = 2, kSampleLabel = 3;
// Label
constexpr int kLabelKey = 1, kLabelStr = 2;
// Mapping
constexpr int kMapId = 1, kMapStart = 2, kMapLimit = 3, kMapOffset = 4, kMapFilename = 5, kMapBuildId = 6,
              kMapHasFunctions = 7, kMapHasFilenames = 8, kMapHasLineNumbers = 9, kMapHasInlineFrames = 10;
// Location
constexpr int kLocId = 1, kLocMappingId = 2, kLocAddress = 3, kLocLine = 4;
// Line
constexpr int kLineFunctionId = 1, kLineLine = 2;
// Function
constexpr int kFnId = 1, kFnName = 2, kFnSystemName = 3, kFnFilename = 4;
}  // namespace field

constexpr uint32_t kVarint = 0, kLengthDelimited = 2;

// One message being encoded. Nested messages are encoded into their own Message and
// embedded as length-delimited bytes.
class Message {
 public:
  Message() : sink_(&buf_), out_(std::make_unique<pio::CodedOutputStream>(&sink_)) {}

  void varint(int f, uint64_t v) {
    out_->WriteTag(tag(f, kVarint));
    out_->WriteVarint64(v);
  }
  void int64(int f, int64_t v) { varint(f, static_cast<uint64_t>(v)); }  // proto int64: two's complement
  void boolean(int f, bool v) { varint(f, v ? 1 : 0); }
  void bytes(int f, const std::string& s) {
    out_->WriteTag(tag(f, kLengthDelimited));
    out_->WriteVarint32(static_cast<uint32_t>(s.size()));
    out_->WriteString(s);
  }
  void message(int f, Message&& m) { bytes(f, std::move(m).finish()); }
  void packed(int f, const std::vector<uint64_t>& values) {
    Message inner;
    for (uint64_t v : values) inner.out_->WriteVarint64(v);
    bytes(f, std::move(inner).finish());
  }
  std::string finish() && {
    out_.reset();  // flushes into buf_
    buf_.resize(sink_.ByteCount());
    return std::move(buf_);
  }

 private:
  static uint32_t tag(int f, uint32_t wire) { return (static_cast<uint32_t>(f) << 3) | wire; }
  std::string buf_;
  pio::StringOutputStream sink_;
  std::unique_ptr<pio::CodedOutputStream> out_;
};

struct SampleRow {
  const std::vector<model::Frame>* frames;
  int64_t values[4];  // alloc_objects, alloc_space, inuse_objects, inuse_space
  std::string status;  // label, empty for none
};

class ProfileBuilder {
 public:
  // pprof takes mapping[0] as the main binary ("File:" in its reports): the executable
  // gets the first mapping even before a frame names it.
  ProfileBuilder(const PprofOptions& options, const std::string& exe) : options_(options) {
    intern("");
    if (!exe.empty()) mapping_for(analyze::frame_key(model::Frame{"", "", 0, exe, 0, 0}).module);
  }

  int64_t intern(const std::string& s) {
    auto [it, inserted] = strings_.try_emplace(s, static_cast<int64_t>(string_table_.size()));
    if (inserted) string_table_.push_back(s);
    return it->second;
  }

  uint64_t mapping_for(const std::string& module) {
    auto [it, inserted] = mappings_.try_emplace(module, mappings_.size() + 1);
    if (inserted) mapping_order_.push_back(module);
    return it->second;
  }

  uint64_t function_for(const model::Frame& f) {
    auto key = std::make_pair(analyze::frame_name(f), f.file);
    auto [it, inserted] = functions_.try_emplace(key, functions_.size() + 1);
    if (inserted) function_order_.push_back(key);
    return it->second;
  }

  uint64_t location_for(const model::Frame& f) {
    auto fk = analyze::frame_key(f);
    auto key = std::make_tuple(fk.module, fk.function, fk.offset, f.file, f.line);
    auto it = locations_.find(key);
    if (it != locations_.end()) return it->second.id;
    Loc loc;
    loc.id = locations_.size() + 1;
    loc.mapping = mapping_for(fk.module);
    loc.address = f.address;
    loc.function = function_for(f);
    loc.line = f.line;
    locations_.emplace(key, loc);
    location_order_.push_back(loc);
    return loc.id;
  }

  void add(const SampleRow& row) {
    static const model::Frame kUnknown{"[unknown]", "", 0, "", 0, 0};
    std::vector<uint64_t> ids;
    if (row.frames->empty()) ids.push_back(location_for(kUnknown));
    const size_t depth = analyze::reported_depth(*row.frames, options_.all_frames);
    for (size_t i = 0; i < depth; ++i) ids.push_back(location_for((*row.frames)[i]));  // leaf first, as pprof wants
    Message s;
    s.packed(field::kSampleLocationId, ids);
    std::vector<uint64_t> vals;
    for (int64_t v : row.values) vals.push_back(static_cast<uint64_t>(v));
    s.packed(field::kSampleValue, vals);
    if (!row.status.empty()) {
      Message l;
      l.int64(field::kLabelKey, intern("status"));
      l.int64(field::kLabelStr, intern(row.status));
      s.message(field::kSampleLabel, std::move(l));
    }
    samples_.push_back(std::move(s).finish());
  }

  std::string encode(const model::Snapshot& meta_from, const std::string& comment) {
    Message p;
    const char* types[4][2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
    for (auto& t : types) p.bytes(field::kSampleType, value_type(t[0], t[1]));
    for (auto& s : samples_) p.bytes(field::kSample, s);
    for (const auto& module : mapping_order_) {
      Message m;
      m.varint(field::kMapId, mappings_.at(module));
      m.varint(field::kMapStart, 0);
      m.varint(field::kMapLimit, 0);
      m.varint(field::kMapOffset, 0);
      m.int64(field::kMapFilename, intern(module));
      auto bid = options_.build_ids.find(module);
      if (bid != options_.build_ids.end()) m.int64(field::kMapBuildId, intern(bid->second));
      m.boolean(field::kMapHasFunctions, true);
      m.boolean(field::kMapHasFilenames, true);
      m.boolean(field::kMapHasLineNumbers, true);
      m.boolean(field::kMapHasInlineFrames, false);
      p.message(field::kMapping, std::move(m));
    }
    for (const auto& loc : location_order_) {
      Message l;
      l.varint(field::kLocId, loc.id);
      l.varint(field::kLocMappingId, loc.mapping);
      if (loc.address) l.varint(field::kLocAddress, loc.address);
      Message line;
      line.varint(field::kLineFunctionId, loc.function);
      if (loc.line > 0) line.int64(field::kLineLine, loc.line);
      l.message(field::kLocLine, std::move(line));
      p.message(field::kLocation, std::move(l));
    }
    for (size_t i = 0; i < function_order_.size(); ++i) {
      const auto& [name, file] = function_order_[i];
      Message f;
      f.varint(field::kFnId, i + 1);
      f.int64(field::kFnName, intern(name));
      f.int64(field::kFnSystemName, intern(name));
      f.int64(field::kFnFilename, intern(file));
      p.message(field::kFunction, std::move(f));
    }
    int64_t comment_idx = intern(comment);
    // Everything is interned now; the table can be written.
    const model::Meta& m = meta_from.meta;
    int64_t time_ns = 0, duration_ns = 0;
    if (m.started_unix_ms > 0 && m.started_unix_ms < std::numeric_limits<int64_t>::max() / 1'000'000)
      time_ns = m.started_unix_ms * 1'000'000;
    if (m.duration_ms < static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 1'000'000))
      duration_ns = static_cast<int64_t>(m.duration_ms) * 1'000'000;
    std::string period = value_type("space", "bytes");
    int64_t period_value = m.sample_bytes > 0 && m.sample_bytes < (uint64_t{1} << 62) ? static_cast<int64_t>(m.sample_bytes) : 1;
    for (const auto& s : string_table_) p.bytes(field::kStringTable, s);
    if (time_ns) p.int64(field::kTimeNanos, time_ns);
    if (duration_ns) p.int64(field::kDurationNanos, duration_ns);
    p.bytes(field::kPeriodType, period);
    p.int64(field::kPeriod, period_value);
    p.int64(field::kComment, comment_idx);
    return std::move(p).finish();
  }

 private:
  // Interns its strings: call it before the string table is written.
  std::string value_type(const std::string& type, const std::string& unit) {
    Message v;
    v.int64(field::kVtType, intern(type));
    v.int64(field::kVtUnit, intern(unit));
    return std::move(v).finish();
  }

  struct Loc {
    uint64_t id = 0, mapping = 0, address = 0, function = 0;
    int line = 0;
  };
  const PprofOptions& options_;
  std::map<std::string, int64_t> strings_;
  std::vector<std::string> string_table_;
  std::map<std::string, uint64_t> mappings_;
  std::vector<std::string> mapping_order_;
  std::map<std::pair<std::string, std::string>, uint64_t> functions_;
  std::vector<std::pair<std::string, std::string>> function_order_;
  std::map<std::tuple<std::string, std::string, uint64_t, std::string, int>, Loc> locations_;
  std::vector<Loc> location_order_;
  std::vector<std::string> samples_;
};

Result<std::string> gzip(const std::string& raw) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16 /* gzip header */, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return make_error("cannot initialise gzip compression", "");
  std::string out;
  out.resize(deflateBound(&zs, raw.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return make_error("gzip compression of the profile failed", "");
  out.resize(produced);
  return out;
}

int64_t sat(uint64_t v) { return v > (uint64_t{1} << 62) ? int64_t{1} << 62 : static_cast<int64_t>(v); }

Result<std::string> finish(ProfileBuilder& b, const model::Snapshot& meta_from, const std::string& comment,
                           const PprofOptions& options) {
  std::string raw = b.encode(meta_from, comment);
  if (raw.size() > std::numeric_limits<uInt>::max() / 2) return make_error("profile too large to export", "");
  if (!options.gzip) return raw;
  return gzip(raw);
}

std::string describe(const model::Snapshot& s) {
  std::string d = "memgap";
  if (s.meta.pid) d += " pid " + std::to_string(s.meta.pid);
  if (!s.meta.exe.empty()) d += " " + s.meta.exe;
  return d;
}

}  // namespace

Result<std::string> format_pprof(const model::Snapshot& snapshot, const PprofOptions& options) {
  ProfileBuilder b(options, snapshot.meta.exe);
  for (const auto& site : snapshot.sites) {
    SampleRow row{&site.frames,
                  {sat(site.alloc_objects), sat(site.alloc_bytes), sat(site.live_objects), sat(site.live_bytes)},
                  {}};
    b.add(row);
  }
  return finish(b, snapshot, describe(snapshot), options);
}

Result<std::string> format_pprof_diff(const analyze::SnapshotDiff& diff, const model::Snapshot& base,
                                      const model::Snapshot& now, const PprofOptions& options) {
  ProfileBuilder b(options, now.meta.exe);
  for (const auto& r : diff.all) {
    SampleRow row{&r.frames,
                  {r.delta_alloc_objects(), r.delta_alloc_bytes(), r.delta_live_objects(), r.delta_live_bytes()},
                  analyze::status_name(r.status)};
    if (!row.values[0] && !row.values[1] && !row.values[2] && !row.values[3]) continue;
    b.add(row);
  }
  return finish(b, now, "memgap diff: " + describe(base) + " -> " + describe(now), options);
}

}  // namespace memgap::report
