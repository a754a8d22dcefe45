// reach_heap MIB [BLOCK]: a heap of MIB mebibytes in blocks of BLOCK bytes (default
// 4096), every block on a list held by a global and each block's payload full of
// non-pointer words: the reachability scan must read and mark all of it. Prints
// "ready", then holds it until stdin closes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct block {
  struct block* next;
};
static struct block* volatile g_head;

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
  size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 4096;
  size_t n = (mib << 20) / size;
  for (size_t i = 0; i < n; ++i) {
    struct block* b = malloc(size);
    memset(b, 0x5a, size);  // resident, and no word of it looks like a pointer
    b->next = g_head;
    g_head = b;
  }
  printf("ready\n");
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
