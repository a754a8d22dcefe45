#include "report/gap_table.h"

#include <algorithm>
#include <cstdio>

#include "util/units.h"

namespace memgap::report {
namespace {

std::string pct(double share) {
  char b[16];
  std::snprintf(b, sizeof b, "%.1f%%", share * 100.0);
  return b;
}

std::string signed_size(int64_t v) { return v < 0 ? "-" + format_size(static_cast<uint64_t>(-v)) : format_size(static_cast<uint64_t>(v)); }

// A bar of `width` cells with '#' over [from, to) of the whole: the waterfall drawing.
std::string bar(double from, double to, int width) {
  std::string s(static_cast<size_t>(width), ' ');
  from = std::clamp(from, 0.0, 1.0);
  to = std::clamp(to, 0.0, 1.0);
  int a = static_cast<int>(from * width + 0.5), b = static_cast<int>(to * width + 0.5);
  if (b == a && to > from) b = std::min(width, a + 1);  // visible even when tiny
  if (b == a && a == width && to > from) a = width - 1;
  for (int i = a; i < b; ++i) s[static_cast<size_t>(i)] = '#';
  return s;
}

// Word-wraps `text` to `width`, each line prefixed with `indent`.
std::string wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out, line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    if (sp == std::string::npos) sp = text.size();
    std::string word = text.substr(pos, sp - pos);
    pos = sp + 1;
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

}  // namespace

std::vector<GapRow> gap_rows(const model::Gap& gap, bool show_zero) {
  std::vector<GapRow> rows;
  const double rss = gap.rss ? static_cast<double>(gap.rss) : 1.0;
  rows.push_back({GapRow::Kind::Total, "RSS", static_cast<int64_t>(gap.rss), gap.rss ? 1.0 : 0.0, 0.0, gap.rss ? 1.0 : 0.0, "smaps_rollup"});
  std::vector<const model::GapCategory*> cats;
  for (const auto& c : gap.categories)
    if (c.bytes > 0 || show_zero) cats.push_back(&c);
  std::stable_sort(cats.begin(), cats.end(), [](auto* a, auto* b) { return a->bytes > b->bytes; });
  double at = 0;
  for (const auto* c : cats) {
    double s = static_cast<double>(c->bytes) / rss;
    rows.push_back({GapRow::Kind::Category, c->name, static_cast<int64_t>(c->bytes), s, at, at + s, c->source});
    at += s;
  }
  double u = static_cast<double>(gap.unexplained) / rss;
  rows.push_back({GapRow::Kind::Residual, "unexplained", gap.unexplained, u, at, at + u,
                  "RSS minus the categories above"});
  return rows;
}

std::string format_gap_table(const model::Gap& gap, int width) {
  width = std::max(width, 60);
  const auto rows = gap_rows(gap);
  // name 16 | bytes 10 | share 7 | bar (the rest, minus spacing)
  const int bar_w = width - 16 - 10 - 7 - 4;
  std::string out;
  char line[256];
  for (const auto& r : rows) {
    const char* lead = r.kind == GapRow::Kind::Total ? "  " : r.kind == GapRow::Kind::Residual ? "= " : "- ";
    std::snprintf(line, sizeof line, "%s%-14s %10s %7s %s", lead, r.name.c_str(), signed_size(r.bytes).c_str(),
                  pct(r.share).c_str(), bar(r.from, r.to, bar_w).c_str());
    std::string l = line;
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  }
  out += "\n";
  for (const auto& r : rows) {
    if (r.kind != GapRow::Kind::Category) continue;
    out += wrap(r.name + ": " + r.source, static_cast<size_t>(width), "  ");
  }
  if (!gap.explanation.empty()) out += "\n" + wrap(gap.explanation, static_cast<size_t>(width), "");
  return out;
}

}  // namespace memgap::report
