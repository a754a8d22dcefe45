#include "report/diff_table.h"

#include <cstdio>
#include <string>

#include "util/units.h"

namespace memgap::report {
namespace {

using analyze::CategoryDiff;
using analyze::SiteDiff;

constexpr size_t kWidth = 80;
// Columns: tag(5) ' ' Δlive(10) ' ' Δobjects(10) ' ' live now(10) "  " site(rest)
constexpr size_t kLabelWidth = kWidth - 5 - 1 - 10 - 1 - 10 - 1 - 10 - 2;

std::string pad_left(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }
std::string pad_right(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string signed_count(int64_t v) {
  if (v == 0) return "0";
  return (v > 0 ? "+" : "") + std::to_string(v);
}

std::string signed_size(int64_t v) { return format_size_delta(v); }

std::string side_size(int64_t v) { return v < 0 ? "-" + format_size(static_cast<uint64_t>(-(v + 1)) + 1) : format_size(static_cast<uint64_t>(v)); }

std::string row_line(const std::string& tag, const SiteDiff& d, const std::string& label) {
  std::string line = pad_right(tag, 5) + " " + pad_left(signed_size(d.delta_live_bytes()), 10) + " " +
                     pad_left(signed_count(d.delta_live_objects()), 10) + " " +
                     pad_left(format_size(d.now.live_bytes), 10) + "  " + label;
  return line;
}

// "pid 4242  leak_fp  RSS 5.7MiB  …/snapshots/base.json", cut to `width` by eliding the
// front of the path (its file name is the part that matters).
std::string describe(const std::string& name, const model::Snapshot* s, size_t width) {
  std::string details;
  if (s) {
    if (s->meta.pid) details += "pid " + std::to_string(s->meta.pid) + "  ";
    std::string who = printable(!s->meta.comm.empty() ? s->meta.comm : s->meta.exe);
    if (who.size() > 24) who = "..." + who.substr(who.size() - 21);
    if (!who.empty()) details += who + "  ";
    if (s->gap.rss) details += "RSS " + format_size(s->gap.rss) + "  ";
  }
  std::string path = printable(name);
  size_t room = width > details.size() + 8 ? width - details.size() : 8;
  if (path.size() > room) path = "..." + path.substr(path.size() - (room - 3));
  return details + path;
}

}  // namespace

std::string printable(const std::string& text) {
  std::string out = text;
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

std::string format_diff_text(const analyze::SnapshotDiff& diff, const DiffSides& sides) {
  std::string out;
  out += "BASE  " + describe(sides.base_name, sides.base, kWidth - 6) + "\n";
  out += "NEW   " + describe(sides.new_name, sides.now, kWidth - 6) + "\n\n";

  out += pad_right("", 5) + " " + pad_left("LIVE", 10) + " " + pad_left("OBJECTS", 10) + " " + pad_left("LIVE NOW", 10) +
         "  SITE\n";
  for (const auto& row : diff.shown)
    out += row_line(analyze::status_tag(row.status), row, analyze::site_label(row.frames, kLabelWidth)) + "\n";
  if (diff.others)
    out += row_line("", *diff.others, "[" + std::to_string(diff.others_count) + " others]") + "\n";
  if (diff.unchanged_hidden)
    out += pad_right("", 5 + 1 + 10 + 1 + 10 + 1 + 10 + 2) + "[" + std::to_string(diff.unchanged_hidden) +
           " unchanged]\n";
  out += row_line("", diff.total, "TOTAL") + "\n";

  out += "\n" + pad_right("CATEGORY", 22) + pad_left("BASE", 12) + pad_left("NEW", 12) + pad_left("DELTA", 12) + "\n";
  for (const CategoryDiff& c : diff.categories) {
    std::string tag = c.in_base && c.in_new ? "" : (c.in_new ? " [NEW]" : " [DEL]");
    std::string name = printable(c.name);
    if (name.size() > 21) name = name.substr(0, 18) + "...";
    out += pad_right(name, 22) + pad_left(c.in_base ? side_size(c.base) : "-", 12) +
           pad_left(c.in_new ? side_size(c.now) : "-", 12) + pad_left(signed_size(c.delta()), 12) + tag + "\n";
  }
  return out;
}

}  // namespace memgap::report
