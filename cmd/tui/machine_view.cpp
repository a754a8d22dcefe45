// `memgap top` in a terminal: the machine-wide list, keys to sort, filter, pause and
// select, Enter to drill into one process's full gap (procfs and runtime state, still no
// probes). Everything on screen is rendered by report::top_frame.
#include <algorithm>
#include <chrono>
#include <sstream>
#include <vector>

#include "exit_codes.h"
#include "pipeline/top_model.h"
#include "report/gap_table.h"
#include "report/top_frame.h"
#include "tui/screen.h"
#include "tui/top_ui.h"
#include "util/units.h"

#include <curses.h>

namespace memgap::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kKeys =
    "q quit  g/m/h/n/N sort growth/rss/heap/name/pid  R reverse  / filter  space pause  Enter details";

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

struct MachineUi {
  MachineUi(pipeline::MachineTop& t, Screen& s) : top(t), screen(s) {}
  pipeline::MachineTop& top;
  Screen& screen;
  model::TopFrame frame;
  int selected_pid = 0;
  bool chosen = false;   // until the user moves the selection, it stays on the first row
  size_t first_row = 0;  // scroll offset
  bool paused = false;
  bool editing = false;  // typing a filter
  std::string edit;
  int detail_pid = 0;    // 0: the list
  std::string detail_text;

  size_t selected_index() const {
    for (size_t i = 0; i < frame.processes.size(); ++i)
      if (frame.processes[i].pid == selected_pid) return i;
    return 0;
  }

  void load_detail() {
    auto g = top.detail(detail_pid);
    if (!g) {
      detail_text = "PID " + std::to_string(detail_pid) + ": " + g.error().message + "\n";
      return;
    }
    std::string comm;
    for (const auto& p : frame.processes)
      if (p.pid == detail_pid) comm = p.comm;
    detail_text = "PID " + std::to_string(detail_pid) + " (" + comm + ")  allocator " + g->report.allocator +
                  (g->go ? "  Go " + g->go->version + ", " + std::to_string(g->go->goroutines) + " goroutines" : "") +
                  "\n\n" + report::format_gap_table(g->report.gap, std::max(60, screen.cols()));
    for (const auto& n : g->report.notes) detail_text += "note: " + n + "\n";
    if (!g->report.files.empty()) {
      detail_text += "\nfile.mapped, largest:\n";
      for (size_t i = 0; i < g->report.files.size() && i < 5; ++i)
        detail_text += "  " + report::compact_size(g->report.files[i].rss) + "  " + g->report.files[i].path + "\n";
    }
  }

  void draw() {
    screen.begin();
    const size_t width = static_cast<size_t>(std::max(60, screen.cols()));
    screen.line(0, report::machine_header(frame, width), Paint::Title);
    std::string status = paused ? "[paused] " : "";
    if (editing) status = "filter: " + edit + "_  (Enter apply, Esc clear)";
    else status += detail_pid ? "Esc back  q quit" : kKeys;
    screen.line(1, status, editing || paused ? Paint::Growing : Paint::Dim);
    if (detail_pid) {
      int y = 3;
      for (const auto& l : split_lines(detail_text)) screen.line(y++, l);
      screen.end();
      return;
    }
    const auto cols = report::process_columns(width);
    std::vector<std::string> titles;
    for (const auto& c : cols) titles.push_back(c.title);
    screen.line(2, report::format_cells(titles, cols), Paint::Header);
    const size_t visible = screen.rows() > 3 ? static_cast<size_t>(screen.rows() - 3) : 0;
    const size_t sel = selected_index();
    if (sel < first_row) first_row = sel;
    if (visible && sel >= first_row + visible) first_row = sel - visible + 1;
    for (size_t i = first_row; i < frame.processes.size() && i - first_row < visible; ++i) {
      const auto& p = frame.processes[i];
      Paint paint = p.pid == selected_pid ? Paint::Selected
                    : p.growth_bytes_per_min >= 1024 * 1024 ? Paint::Growing
                                                            : Paint::Normal;
      screen.line(static_cast<int>(3 + i - first_row), report::format_cells(report::process_cells(p, cols), cols),
                  paint);
    }
    screen.end();
  }

  void move_selection(long delta) {
    if (frame.processes.empty()) return;
    long i = static_cast<long>(selected_index()) + delta;
    i = std::clamp<long>(i, 0, static_cast<long>(frame.processes.size()) - 1);
    selected_pid = frame.processes[static_cast<size_t>(i)].pid;
    chosen = true;
  }

  // After every refresh or re-sort: the first row, unless the user picked a process.
  void follow_first_row() {
    if (frame.processes.empty()) return;
    bool present = false;
    for (const auto& p : frame.processes) present |= p.pid == selected_pid;
    // A chosen process that exited or was filtered out hands the selection back.
    if (!chosen || !present) selected_pid = frame.processes[0].pid, chosen = chosen && present;
  }

  // Returns false to quit.
  bool on_key(int ch) {
    auto& opt = top.options();
    if (editing) {
      if (ch == '\n' || ch == KEY_ENTER) editing = false, opt.filter = edit;
      else if (ch == 27) editing = false, edit.clear(), opt.filter.clear();
      else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) { if (!edit.empty()) edit.pop_back(); }
      else if (ch >= 32 && ch < 127) edit.push_back(static_cast<char>(ch));
      frame = top.view();
      follow_first_row();
      return true;
    }
    const long page = std::max(1, screen.rows() - 4);
    switch (ch) {
      case 'q': case 'Q': return false;
      case 'g': opt.sort = analyze::TopSort::Growth; break;
      case 'm': case 'M': case 'r': opt.sort = analyze::TopSort::Rss; break;
      case 'h': opt.sort = analyze::TopSort::Heap; break;
      case 'n': opt.sort = analyze::TopSort::Name; break;
      case 'N': opt.sort = analyze::TopSort::Pid; break;
      case 'R': opt.reverse = !opt.reverse; break;
      case '/': case 'f': editing = true; edit = opt.filter; break;
      case ' ': case 'p': paused = !paused; break;
      case KEY_UP: case 'k': move_selection(-1); break;
      case KEY_DOWN: case 'j': move_selection(1); break;
      case KEY_PPAGE: move_selection(-page); break;
      case KEY_NPAGE: move_selection(page); break;
      case KEY_HOME: move_selection(-(1L << 30)); break;
      case KEY_END: move_selection(1L << 30); break;
      case '\n': case KEY_ENTER: case KEY_RIGHT:
        if (!detail_pid && !frame.processes.empty()) {
          detail_pid = frame.processes[selected_index()].pid;
          selected_pid = detail_pid;
          load_detail();
        }
        break;
      case 27: case KEY_LEFT: case KEY_BACKSPACE: case 127:
        if (detail_pid) detail_pid = 0;
        else opt.filter.clear();
        break;
      default: break;
    }
    frame = top.view();
    follow_first_row();
    return true;
  }
};

}  // namespace

int run_machine_tui(const TopArgs& a) {
  collect::RealProcSource proc;
  pipeline::MachineTop top(proc, machine_top_options(a));
  Screen screen;
  MachineUi ui(top, screen);
  // Full splits for what fits on the screen.
  const auto t0 = Clock::now();
  auto now = [&] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
  };
  uint64_t next = 0, shown = 0;
  while (!g_top_stop.load()) {
    if (!ui.paused && now() >= next) {
      top.options().detail_rows = static_cast<size_t>(std::max(1, screen.rows() - 3));
      ui.frame = top.refresh(now());
      ui.frame.iteration = ++shown;
      if (ui.detail_pid) ui.load_detail();
      ui.follow_first_row();
      next = now() + a.interval_ms;
      if (a.iterations && shown > a.iterations) break;
    }
    ui.draw();
    const uint64_t t = now();
    int ch = screen.key(ui.paused ? 250 : static_cast<int>(std::min<uint64_t>(next > t ? next - t : 0, 250)));
    if (ch == -1 || ch == KEY_RESIZE) continue;
    if (!ui.on_key(ch)) break;
  }
  return kExitOk;
}

}  // namespace memgap::cli
