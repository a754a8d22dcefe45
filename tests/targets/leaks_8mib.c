/* memgap run's leak gate target: leaks exactly 8 MiB (8 blocks of 1 MiB) from one named
 * site, leak_eight_mib, then exits with status argv[1] (default 0). Blocks of 1 MiB are
 * larger than the default sampling interval, so even sampled estimates are near exact. */
#include <stdlib.h>
#include <string.h>

static void* volatile sink;

__attribute__((noinline)) void leak_eight_mib(void) {
  for (int i = 0; i < 8; ++i) {
    char* p = malloc(1 << 20);
    memset(p, 1, 1 << 20);
    sink = p; /* the pointer is dropped on the next iteration: leaked */
  }
}

int main(int argc, char** argv) {
  leak_eight_mib();
  sink = 0;
  return argc > 1 ? atoi(argv[1]) : 0;
}
