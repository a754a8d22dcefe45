// C++ leaks through `new` inside a template function and through a growing std::vector
// member, built -O2 -fomit-frame-pointer. Prints "ready"; on "go": 13 Widgets leaked by
// make_leaked<Widget>, and Registry::add grows entries_ to 1000 Entry (16 bytes each,
// capacity 1024 after doubling: 16384 bytes live). Prints "done".
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#define NOINLINE __attribute__((noinline))
#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")

struct Widget {
  char payload[1000];
  int id;
};

struct Entry {
  long key;
  long value;
};

template <typename T>
NOINLINE T* make_leaked(int id) {
  T* t = new T();
  t->id = id;
  NO_TAIL_CALL();
  return t;
}

class Registry {
 public:
  NOINLINE void add(long key) {
    entries_.push_back(Entry{key, key * 2});
    NO_TAIL_CALL();
  }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

static Registry* g_registry = new Registry();
static Widget* g_widgets[64];

NOINLINE void run() {
  for (int i = 0; i < 13; i++) g_widgets[i] = make_leaked<Widget>(i);
  for (long k = 0; k < 1000; k++) g_registry->add(k);
  NO_TAIL_CALL();
}

int main() {
  std::string line;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("ready\n");
  while (std::getline(std::cin, line)) {
    if (line != "go") continue;
    run();
    std::printf("done\n");
  }
  return 0;
}
