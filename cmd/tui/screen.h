// The terminal, through ncurses: started in the constructor, restored in the destructor
// (every exit path, so a quit or a signal never leaves the terminal in raw mode). Drawing
// is erase + draw + one refresh per frame: ncurses sends only the cells that changed,
// which is what keeps the screen from flickering.
#pragma once
#include <string>

namespace memgap::cli {

enum class Paint { Normal, Title, Header, Selected, Growing, Dim };

class Screen {
 public:
  Screen();
  ~Screen();
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  int rows() const;
  int cols() const;
  void begin();  // erase the frame being built
  // Text clipped to the screen width; the rest of the line stays blank.
  void line(int y, const std::string& text, Paint paint = Paint::Normal);
  void end();  // send the frame
  // Next key within timeout_ms (-1 when none; KEY_RESIZE after a resize).
  int key(int timeout_ms);

 private:
  bool colour_ = false;
};

}  // namespace memgap::cli
