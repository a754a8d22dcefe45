/* A C target whose allocation behaviour is known exactly, built with frame pointers.
 *
 * Usage: leak_fp [leak|variety|exit-after-go]. Prints "ready" and waits for a line on
 * stdin; on "go" it runs the workload once, prints "done" and waits again; on EOF or
 * "exit" it exits ("exit-after-go" exits right after the first workload).
 *
 * leak workload (live afterwards, per site):
 *   leak_site            23 x malloc(4096)                  = 94208 bytes
 *   churn_site       20000 x malloc+free of 64..4033 bytes  = 0 bytes live
 *   plus free(NULL) and realloc(p, 0), which must not disturb the counts.
 * variety workload:
 *   calloc_site           7 x calloc(16, 256)               = 28672 bytes
 *   realloc_site          5 x realloc(malloc(100), 8192)    = 40960 bytes
 *   memalign_site         3 x posix_memalign(64, 16384)     = 49152 bytes
 *   aligned_site          4 x aligned_alloc(4096, 8192)     = 32768 bytes
 *   mmap_site             2 x mmap(256 KiB, anonymous)      = 524288 bytes
 *   valloc_site           3 x valloc(8192)                  = 24576 bytes
 *   pvalloc_site          2 x pvalloc(5000)                 = 10000 bytes requested
 *   reallocarray_site     2 x reallocarray(NULL, 16, 512)   = 16384 bytes */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NOINLINE __attribute__((noinline))

static void* keep[1 << 16];
static int nkeep;

static NOINLINE void hold(void* p) {
  keep[nkeep++] = p;
  __asm__ volatile("" ::: "memory");
}

NOINLINE void leak_site(void) {
  void* p = malloc(4096);
  memset(p, 1, 4096);
  hold(p);
}

NOINLINE void leak_outer(void) {
  for (int i = 0; i < 23; i++) leak_site();
}

NOINLINE void calloc_site(void) { hold(calloc(16, 256)); }

NOINLINE void realloc_site(void) {
  void* p = malloc(100);
  hold(realloc(p, 8192));
}

NOINLINE void memalign_site(void) {
  void* p = NULL;
  if (posix_memalign(&p, 64, 16384) == 0) hold(p);
}

NOINLINE void aligned_site(void) { hold(aligned_alloc(4096, 8192)); }

NOINLINE void valloc_site(void) { hold(valloc(8192)); }

NOINLINE void pvalloc_site(void) { hold(pvalloc(5000)); }

NOINLINE void reallocarray_site(void) { hold(reallocarray(NULL, 16, 512)); }

NOINLINE void mmap_site(void) {
  void* p = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 2, 256 * 1024);
  hold(p);
}

NOINLINE void churn_site(void) {
  for (int i = 0; i < 20000; i++) {
    size_t size = 64 + (size_t)(i % 64) * 63;
    char* p = malloc(size);
    /* Without the escape GCC deletes a malloc/free pair whose memory is unused. */
    __asm__ volatile("" : : "r"(p) : "memory");
    p[0] = 1;
    free(p);
  }
}

NOINLINE void edge_cases(void) {
  free(NULL);
  void* p = malloc(512);
  void* q = realloc(p, 0); /* frees p in glibc, returns NULL */
  free(q);
}

NOINLINE void leak_workload(void) {
  leak_outer();
  churn_site();
  edge_cases();
  __asm__ volatile("" ::: "memory");
}

NOINLINE void variety_workload(void) {
  for (int i = 0; i < 7; i++) calloc_site();
  for (int i = 0; i < 5; i++) realloc_site();
  for (int i = 0; i < 3; i++) memalign_site();
  for (int i = 0; i < 4; i++) aligned_site();
  for (int i = 0; i < 2; i++) mmap_site();
  for (int i = 0; i < 3; i++) valloc_site();
  for (int i = 0; i < 2; i++) pvalloc_site();
  for (int i = 0; i < 2; i++) reallocarray_site();
  __asm__ volatile("" ::: "memory"); /* no tail call: keep this frame in every chain */
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "leak";
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "exit", 4) == 0) break;
    if (strncmp(line, "go", 2) == 0) {
      if (nkeep > (1 << 16) - 64) nkeep = 0; /* many rounds: forget, still never freed */
      if (!strcmp(mode, "variety")) variety_workload();
      else leak_workload();
      printf("done\n");
      if (!strcmp(mode, "exit-after-go")) return 0;
    }
  }
  return 0;
}
