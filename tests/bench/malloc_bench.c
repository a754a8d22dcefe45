/* Benchmark target: timed rounds of malloc+free pairs (64..4096 bytes, -O2, frame
 * pointers). Prints "ready"; for each line "go N" on stdin runs N pairs and prints
 * "ns_per_pair <value>"; exits on EOF. The driver attaches probes between rounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) static void pairs(long n) {
  for (long i = 0; i < n; i++) {
    size_t size = 64 + (size_t)(i % 64) * 63;
    char* p = malloc(size);
    __asm__ volatile("" : : "r"(p) : "memory"); /* keep GCC from eliding the pair */
    p[0] = (char)i;
    free(p);
  }
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  while (fgets(line, sizeof line, stdin)) {
    long n = 0;
    if (sscanf(line, "go %ld", &n) != 1 || n <= 0) continue;
    double t0 = now_ns();
    pairs(n);
    double t1 = now_ns();
    printf("ns_per_pair %.1f\n", (t1 - t0) / (double)n);
  }
  return 0;
}
