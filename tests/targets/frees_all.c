/* memgap run's clean target: allocates through every malloc-family entry point (many
 * small blocks, large ones, realloc chains, an anonymous mmap) and frees all of it.
 * argv[1]: exit status (default 0). "--wait": print "ready", then wait for SIGTERM and
 * exit with status 42 after freeing, to show memgap forwards the signal and passes the
 * status through. It never prints before the allocations end, and stdout is unbuffered,
 * so stdio itself keeps no heap buffer live. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t got_term;
static void on_term(int sig) { (void)sig; got_term = 1; }

__attribute__((noinline)) static void churn(void) {
  enum { N = 2000 };
  static void* blocks[N];
  for (int i = 0; i < N; ++i) {
    size_t size = 16 + (size_t)(i * 37) % 4000;
    blocks[i] = (i % 3 == 0) ? calloc(1, size) : malloc(size);
    memset(blocks[i], 1, size);
  }
  for (int i = 0; i < N; i += 2) blocks[i] = realloc(blocks[i], 8000);
  void* big = malloc(8 << 20);
  memset(big, 2, 8 << 20);
  void* aligned = 0;
  if (posix_memalign(&aligned, 4096, 1 << 16) != 0) aligned = 0;
  void* anon = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < N; ++i) free(blocks[i]);
  free(big);
  free(aligned);
  if (anon != MAP_FAILED) munmap(anon, 1 << 20);
}

int main(int argc, char** argv) {
  int wait = argc > 1 && strcmp(argv[1], "--wait") == 0;
  /* SIGTERM stays blocked except inside sigsuspend: with `while (!got_term) pause();` a
   * signal landing between the test and pause() would be handled and then slept through
   * (memgap forwards it the moment "ready" is read, so that window is hit). */
  sigset_t term, unblocked;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  if (wait) {
    signal(SIGTERM, on_term);
    sigprocmask(SIG_BLOCK, &term, &unblocked);
  }
  churn();
  if (wait) {
    (void)!write(1, "ready\n", 6);
    while (!got_term) sigsuspend(&unblocked);
    churn();
    return 42;
  }
  return argc > 1 ? atoi(argv[1]) : 0;
}
