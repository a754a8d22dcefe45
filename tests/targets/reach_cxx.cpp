// reach_cxx CASE: C++ shapes for the reachability verdicts (see reach_cases.c). Every C++
// program holds libstdc++'s emergency exception pool (72,704 bytes here), allocated at
// start-up and kept in a global: still reachable, never a leak.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static void* keep(void* p) {
  __asm__ volatile("" : : "r"(p) : "memory");
  return p;
}

static std::vector<std::string>* g_names;

__attribute__((noinline)) static void lose_array() { keep(new int[1000]); }

__attribute__((noinline)) static void scrub_stack() {
  volatile char buf[16384];
  std::memset(const_cast<char*>(buf), 0, sizeof buf);
  keep(const_cast<char*>(buf));
}

int main(int argc, char** argv) {
  std::string c = argc > 1 ? argv[1] : "";
  if (c == "none") {
  } else if (c == "new_array") {
    lose_array();
    scrub_stack();
  } else if (c == "global_vector") {
    g_names = new std::vector<std::string>;
    for (int i = 0; i < 100; ++i) g_names->push_back(std::string(100, 'a' + i % 26));
  } else {
    std::fprintf(stderr, "usage: reach_cxx CASE\n");
    return 2;
  }
  return 0;
}
