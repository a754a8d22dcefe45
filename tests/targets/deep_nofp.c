/* Built with -O2 -fomit-frame-pointer: frame-pointer stacks stop at the allocator here.
 * Usage: deep_nofp. Prints "ready"; on "go": the main thread leaks 17 x 2048 bytes through
 * level1 -> level2 -> level3 -> lib_make_buffer (in libleakhelper.so), and a thread
 * started at worker_main leaks 9 x 8192 bytes through worker_leak. Prints "done". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void* lib_make_buffer(size_t n);

#define NOINLINE __attribute__((noinline))
#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")

static void* keep[64];
static int nkeep;

NOINLINE void level3(void) {
  keep[nkeep++] = lib_make_buffer(2048);
  NO_TAIL_CALL();
}

NOINLINE void level2(void) {
  level3();
  NO_TAIL_CALL();
}

NOINLINE void level1(void) {
  for (int i = 0; i < 17; i++) level2();
  NO_TAIL_CALL();
}

static void* thread_keep[16];

NOINLINE void worker_leak(int i) {
  thread_keep[i] = malloc(8192);
  memset(thread_keep[i], 3, 8192);
  NO_TAIL_CALL();
}

NOINLINE void* worker_main(void* arg) {
  (void)arg;
  for (int i = 0; i < 9; i++) worker_leak(i);
  NO_TAIL_CALL();
  return NULL;
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "go", 2) != 0) continue;
    nkeep = 0;
    level1();
    pthread_t t;
    pthread_create(&t, NULL, worker_main, NULL);
    pthread_join(t, NULL);
    printf("done\n");
  }
  return 0;
}
