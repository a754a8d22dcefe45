// A toy "session service" for memgap's demo. Every 20 ms it handles a request: it parses
// a payload into temporary buffers (freed again: churn) and, for one request in four,
// opens a session that is cached and never evicted (the leak, ~4 KiB each, ~50 KiB/s).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

struct Session {
  std::string user;
  std::vector<char> scratch;
};

std::map<int, Session*> g_sessions;  // grows forever: nothing ever evicts

__attribute__((noinline)) Session* open_session(int id) {
  auto* s = new Session{"user" + std::to_string(id), std::vector<char>(4096)};
  g_sessions[id] = s;
  return s;
}

__attribute__((noinline)) size_t parse_payload(int id) {
  std::vector<std::string> fields;
  for (int i = 0; i < 32; ++i) fields.push_back(std::string(200 + (id + i) % 300, 'x'));
  auto buffer = std::make_unique<char[]>(16384);
  std::memset(buffer.get(), id & 0xff, 16384);
  return fields.size() + static_cast<size_t>(buffer[id % 16384]);
}

__attribute__((noinline)) void handle_request(int id) {
  parse_payload(id);
  if (id % 4 == 0) open_session(id);
}

}  // namespace

int main() {
  std::printf("memgap demo service, pid %d: leaking sessions\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  for (int id = 0;; ++id) {
    handle_request(id);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}
