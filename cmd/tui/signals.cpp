#include <signal.h>

#include "tui/top_ui.h"

namespace memgap::cli {

std::atomic<bool> g_top_stop{false};

namespace {
void on_stop(int) { g_top_stop.store(true); }
}  // namespace

// Installed before ncurses starts: it leaves handlers that are not SIG_DFL alone, so ours
// stay in charge of INT/TERM/HUP while it keeps SIGWINCH for resizes. No SA_RESTART:
// a blocked poll or getch returns at once and the loop detaches without delay.
void install_top_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  // A closed pipe (| head) ends batch output through write errors, not a signal death
  // that would skip detaching.
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace memgap::cli
