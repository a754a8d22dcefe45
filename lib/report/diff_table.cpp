#include "report/diff_table.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

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

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string cut(std::string label, size_t width) {
  label = printable(label);
  if (label.size() <= width) return label;
  size_t n = width - 3;
  while (n > 0 && (static_cast<unsigned char>(label[n]) & 0xC0) == 0x80) --n;  // keep UTF-8 whole
  return label.substr(0, n) + "...";
}

// Label with `callers` caller frames: "calloc_site:41 <- workload:83"; with
// `offsets`, callers show their offset instead ("workload+0x6d") for call sites that
// share a source line.
std::string label_with_callers(const std::vector<model::Frame>& frames, size_t callers, bool offsets) {
  std::string out;
  // Frames below main never tell two sites apart.
  for (size_t i = 0; i < analyze::frames_above_startup(frames) && i <= callers; ++i) {
    const auto& f = frames[i];
    if (i) out += " <- ";
    out += analyze::frame_name(f);
    bool known = !f.function.empty() && f.function != "??";
    if (i && offsets && known) out += "+" + hex(f.offset);
    else if (f.line > 0) out += ":" + std::to_string(f.line);
  }
  return out;
}

// Distinct sites can share a leaf (one function called from several places). Rows whose
// short labels collide get as many callers as it takes to tell them apart.
std::vector<std::string> row_labels(const std::vector<SiteDiff>& rows, size_t width) {
  std::vector<std::string> labels;
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < rows.size(); ++i) {
    labels.push_back(analyze::site_label(rows[i].frames, width));
    groups[labels.back()].push_back(i);
  }
  const std::pair<size_t, bool> levels[] = {{1, false}, {2, false}, {3, false}, {1, true}, {2, true}, {3, true}};
  for (const auto& [label, members] : groups) {
    if (members.size() < 2) continue;
    for (const auto& [callers, offsets] : levels) {
      std::set<std::string> seen;
      for (size_t i : members) seen.insert(cut(label_with_callers(rows[i].frames, callers, offsets), width));
      bool last = callers == 3 && offsets;
      if (seen.size() == members.size() || last) {
        for (size_t i : members) labels[i] = cut(label_with_callers(rows[i].frames, callers, offsets), width);
        break;
      }
    }
  }
  return labels;
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
  auto labels = row_labels(diff.shown, kLabelWidth);
  for (size_t i = 0; i < diff.shown.size(); ++i)
    out += row_line(analyze::status_tag(diff.shown[i].status), diff.shown[i], labels[i]) + "\n";
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
