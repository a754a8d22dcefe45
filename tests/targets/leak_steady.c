/* A C target that leaks steadily over time, for `memgap top`: it must rise to the top
 * of the list by growth and its one leak site must lead the per-process view.
 *
 * Usage: leak_steady [KIB_PER_SECOND] [LIMIT_MIB]. Prints "ready" and then, every 50 ms,
 * leaks KIB_PER_SECOND/20 KiB through leak_steady_site() in 16 KiB blocks (touched, so
 * resident) until LIMIT_MIB (default 256) have leaked; then it keeps running, flat.
 * Defaults: 1024 KiB/s. Exits on SIGTERM/SIGINT or when stdin closes. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void* volatile sink;

NOINLINE void leak_steady_site(size_t n) {
  char* p = malloc(n);
  memset(p, 3, n);
  sink = p; /* never freed: the leak */
}

NOINLINE void leak_tick(size_t blocks) {
  for (size_t i = 0; i < blocks; i++) leak_steady_site(16384);
  __asm__ volatile("" ::: "memory"); /* keep this frame in the chain */
}

int main(int argc, char** argv) {
  long kib_per_s = argc > 1 ? atol(argv[1]) : 1024;
  long limit_mib = argc > 2 ? atol(argv[2]) : 256;
  size_t blocks = (size_t)(kib_per_s / 20 / 16);
  if (blocks == 0) blocks = 1;
  size_t leaked = 0, limit = (size_t)limit_mib << 20;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  for (;;) {
    struct pollfd p = {0, POLLIN, 0};
    /* Sleep 50 ms, waking early when stdin closes (the harness ended). */
    if (poll(&p, 1, 50) > 0) {
      char buf[64];
      if (read(0, buf, sizeof buf) <= 0) return 0;
    }
    if (leaked < limit) {
      leak_tick(blocks);
      leaked += blocks * 16384;
    }
  }
}
