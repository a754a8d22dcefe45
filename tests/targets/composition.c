// A process with exactly known memory composition, for the RSS gap tests:
//   live   LIVE_MIB of 4000-byte malloc'd chunks kept alive (main arena), plus
//          BIG_MIB in two large malloc'd chunks (their own mmaps), plus
//          THREAD_LIVE_KIB per thread in thread arenas
//   free   FREE_MIB of chunks freed below a live fence chunk (retained, resident)
//   stacks THREADS threads, each touching STACK_KIB of its stack, blocked in a syscall
//   anon   ANON_MIB anonymous private mmap, touched
//   file   FILE_MIB file mapped and read (resident page cache mapped into us)
//   maps   optional MAPS extra one-page anonymous mappings (never merged), to time
//          the gap on a process with many mappings
// Usage: composition FILE LIVE_MIB FREE_MIB BIG_MIB THREADS STACK_KIB THREAD_LIVE_KIB ANON_MIB FILE_MIB [MAPS]
// Prints one JSON line with the truth, then "READY", then sleeps until killed.
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { kChunk = 4000 };

static size_t stack_kib, thread_live_kib;
// Everything allocated is published here so the compiler cannot elide it.
static void* volatile sink[8];
static pthread_barrier_t ready;

// Touch the stack with a frame of the requested size, then block in a syscall so that
// /proc/PID/task/TID/syscall shows a stack pointer inside this thread's stack.
static void* thread_main(void* arg) {
  (void)arg;
  size_t n = thread_live_kib * 1024 / kChunk;
  for (size_t i = 0; i < n; ++i) {
    sink[1] = malloc(kChunk);
    memset(sink[1], 0x5a, kChunk);
  }
  volatile char* frame = alloca(stack_kib * 1024);
  for (size_t i = 0; i < stack_kib * 1024; i += 512) frame[i] = 0x33;
  sink[0] = (void*)frame;
  pthread_barrier_wait(&ready);
  for (;;) pause();
  return NULL;
}

static void fill_chunks(void** out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out[i] = malloc(kChunk);
    memset(out[i], 0xa5, kChunk);
  }
}

int main(int argc, char** argv) {
  if (argc != 10 && argc != 11) {
    fprintf(stderr, "usage: %s FILE LIVE_MIB FREE_MIB BIG_MIB THREADS STACK_KIB THREAD_LIVE_KIB ANON_MIB FILE_MIB\n", argv[0]);
    return 2;
  }
  const char* path = argv[1];
  size_t live_mib = strtoul(argv[2], 0, 10), free_mib = strtoul(argv[3], 0, 10), big_mib = strtoul(argv[4], 0, 10);
  int threads = atoi(argv[5]);
  stack_kib = strtoul(argv[6], 0, 10);
  thread_live_kib = strtoul(argv[7], 0, 10);
  size_t anon_mib = strtoul(argv[8], 0, 10), file_mib = strtoul(argv[9], 0, 10);

  // Live and to-be-freed chunks, then a live fence so the freed run cannot be trimmed.
  size_t nlive = live_mib * 1024 * 1024 / kChunk, nfree = free_mib * 1024 * 1024 / kChunk;
  void** live = malloc(nlive * sizeof(void*));
  void** dead = malloc(nfree * sizeof(void*));
  fill_chunks(live, nlive);

  // Two large chunks: above the mmap threshold, each gets its own mapping. Allocated
  // before anything is freed, or malloc would carve them out of the freed run instead.
  size_t big = big_mib * 1024 * 1024 / 2;
  char* big1 = malloc(big);
  char* big2 = malloc(big);
  if (big) {
    memset(big1, 0x11, big);
    memset(big2, 0x22, big);
  }

  fill_chunks(dead, nfree);
  void* fence = malloc(kChunk);
  memset(fence, 1, kChunk);
  for (size_t i = 0; i < nfree; ++i) free(dead[i]);
  free(dead);
  // Seven 64-byte allocations freed: they stay in the main thread's tcache (7 x 80 B).
  void* small[7];
  for (int i = 0; i < 7; ++i) small[i] = malloc(64);
  for (int i = 0; i < 7; ++i) free(small[i]);

  sink[2] = big1;
  sink[3] = big2;
  sink[4] = live;
  sink[5] = fence;

  char* anon = mmap(NULL, anon_mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(anon, 0x77, anon_mib << 20);
  sink[6] = anon;

  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)(file_mib << 20)) != 0) { perror("file"); return 1; }
  char* file = mmap(NULL, file_mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  // Writing makes every page exist in the page cache and be mapped here.
  memset(file, 0x42, file_mib << 20);
  sink[7] = file;
  close(fd);

  // Alternating protections keep neighbouring pages from merging into one mapping.
  size_t extra = argc == 11 ? strtoul(argv[10], 0, 10) : 0;
  if (extra) {
    char* area = mmap(NULL, extra * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < extra; i += 2) mprotect(area + i * 4096, 4096, PROT_READ | PROT_WRITE);
    sink[0] = area;
  }

  pthread_barrier_init(&ready, NULL, (unsigned)threads + 1);
  for (int i = 0; i < threads; ++i) {
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
  }
  pthread_barrier_wait(&ready);

  unsigned long long live_bytes = (unsigned long long)nlive * (kChunk + sizeof(void*)) + kChunk + 2ull * big +
                                  (unsigned long long)threads * (thread_live_kib * 1024 / kChunk) * kChunk;
  printf("{\"pid\":%d,\"live\":%llu,\"free\":%llu,\"threads\":%d,\"stack\":%llu,\"anon\":%llu,\"file\":%llu}\n",
         getpid(), live_bytes, (unsigned long long)nfree * kChunk, threads,
         (unsigned long long)threads * stack_kib * 1024, (unsigned long long)anon_mib << 20,
         (unsigned long long)file_mib << 20);
  // The allocator's own view, printed after stdout's buffer exists so that nothing
  // allocates between this call and memgap's reading.
  fflush(stdout);
  struct mallinfo2 mi = mallinfo2();
  printf("{\"tcache\":%d,\"mi_arena\":%zu,\"mi_uordblks\":%zu,\"mi_fordblks\":%zu,\"mi_hblkhd\":%zu,\"mi_hblks\":%zu}\n",
         7 * 80, mi.arena, mi.uordblks, mi.fordblks, mi.hblkhd, mi.hblks);
  printf("READY\n");
  fflush(stdout);
  for (;;) pause();
}
