/* memgap run's leak gate on small blocks, which glibc serves without mmap:
 *   small_leaks brk      leaks 2,048 x malloc(4096) = 8 MiB from leak_brk_blocks; every
 *                        block lies in the brk heap (between the end of the executable's
 *                        data and the program break);
 *   small_leaks tcache   leaks 10,000 x malloc(48) = 480,000 bytes from leak_tcache_blocks;
 *                        every block is served from tcache: the 48-byte chunk freed just
 *                        before (by tcache_churn) comes back at the same address.
 * Each mode checks its own claim and exits 3 if glibc did otherwise (the test then says
 * so instead of measuring the wrong path); else it exits 0 after printing a line with its
 * counts. Frees and keeps go through volatile pointers so that gcc -O2 keeps every
 * malloc/free (it deletes a pair whose memory is unused). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

extern char end; /* first address past the executable's data: the brk heap starts above */

static void* volatile sink;
static int off_path;

NOINLINE void leak_brk_blocks(void) {
  for (int i = 0; i < 2048; ++i) {
    char* p = malloc(4096);
    memset(p, 1, 4096);
    if (p < &end || p + 4096 > (char*)sbrk(0)) off_path = 1; /* not from the brk heap */
    sink = p; /* dropped on the next iteration: leaked */
  }
}

/* Frees a fresh 48-byte block, so the next malloc(48) is served from its tcache bin. */
NOINLINE void* tcache_churn(void) {
  char* p = malloc(48);
  sink = p;
  p[0] = 1;
  free(sink);
  return p;
}

NOINLINE void leak_tcache_blocks(void) {
  for (int i = 0; i < 10000; ++i) {
    void* freed = tcache_churn();
    char* q = malloc(48);
    memset(q, 2, 48);
    if ((void*)q != freed) off_path = 1; /* not the chunk tcache held */
    sink = q;
  }
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "brk";
  if (!strcmp(mode, "brk")) leak_brk_blocks();
  else if (!strcmp(mode, "tcache")) leak_tcache_blocks();
  else return 2;
  sink = 0;
  if (off_path) {
    fprintf(stderr, "small_leaks: glibc did not serve %s blocks from the expected path\n", mode);
    return 3;
  }
  fprintf(stderr, "small_leaks %s: done\n", mode);
  return 0;
}
