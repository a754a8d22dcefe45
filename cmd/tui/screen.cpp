#include "tui/screen.h"

#include <curses.h>

#include <cstdlib>

namespace memgap::cli {

Screen::Screen() {
  initscr();
  cbreak();  // not raw(): Ctrl-C still raises SIGINT, which detaches
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  set_escdelay(25);  // Esc is a key here, not the start of a sequence to wait for
  // NO_COLOR (no-color.org): any non-empty value turns colours off.
  const char* no_color = std::getenv("NO_COLOR");
  colour_ = has_colors() && !(no_color && *no_color);
  if (colour_) {
    start_color();
    use_default_colors();
    init_pair(1, COLOR_CYAN, -1);
    init_pair(2, COLOR_BLACK, COLOR_CYAN);
    init_pair(3, COLOR_RED, -1);
  }
}

Screen::~Screen() { endwin(); }

int Screen::rows() const { return LINES; }
int Screen::cols() const { return COLS; }

void Screen::begin() { erase(); }

void Screen::line(int y, const std::string& text, Paint paint) {
  if (y < 0 || y >= LINES) return;
  attr_t a = A_NORMAL;
  switch (paint) {
    case Paint::Normal: break;
    case Paint::Title: a = colour_ ? (COLOR_PAIR(1) | A_BOLD) : A_BOLD; break;
    case Paint::Header: a = A_REVERSE; break;
    case Paint::Selected: a = colour_ ? COLOR_PAIR(2) : A_REVERSE; break;
    case Paint::Growing: a = colour_ ? COLOR_PAIR(3) : A_NORMAL; break;
    case Paint::Dim: a = A_DIM; break;
  }
  attron(a);
  // Clip to the width in cells, not bytes (sparkline blocks are three bytes each); a
  // longer line would wrap onto the next one.
  size_t bytes = 0;
  int cells = 0;
  for (; bytes < text.size(); ++bytes) {
    if ((static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) continue;
    if (cells == COLS) break;
    ++cells;
  }
  mvaddnstr(y, 0, text.c_str(), static_cast<int>(bytes));
  if (paint == Paint::Header || paint == Paint::Selected) {
    // Fill the bar to the right edge.
    int cy, cx;
    getyx(stdscr, cy, cx);
    if (cy == y)
      for (int x = cx; x < COLS; ++x) addch(' ');
  }
  attroff(a);
}

void Screen::end() { refresh(); }

int Screen::key(int timeout_ms) {
  timeout(timeout_ms);
  int ch = getch();
  return ch == ERR ? -1 : ch;
}

}  // namespace memgap::cli
