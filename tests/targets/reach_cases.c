// reach_cases CASE [wait]: one shape of live memory at exit per case, each with a known
// LeakSanitizer verdict. Built twice (tests/targets/CMakeLists.txt): plain, for memgap,
// and with -fsanitize=leak, for LSan's own answer on the same code. Sizes are distinct
// per case so that a verdict's bytes name their case.
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node {
  struct node* next;
  char pad[40];
};

static void* volatile g_block;       // a global holding a block
static struct node* volatile g_list;  // a global holding a list
static __thread void* volatile t_block;  // a thread-local holding a block

// Keeps the compiler from proving a block unused (gcc -O2 deletes malloc/free pairs
// and stores nobody reads).
static void* keep(void* p) {
  __asm__ volatile("" : : "r"(p) : "memory");
  return p;
}

static struct node* make_list(int n) {
  struct node* head = NULL;
  for (int i = 0; i < n; ++i) {
    struct node* x = keep(malloc(sizeof *x));
    memset(x, 0, sizeof *x);
    x->next = head;
    head = x;
  }
  return head;
}

// Overwrites the stack below the caller, so pointers of returned frames are gone.
static __attribute__((noinline)) void scrub_stack(void) {
  volatile char buf[16384];
  memset((char*)buf, 0, sizeof buf);
  keep((void*)buf);
}

static __attribute__((noinline)) void lose_list(int n) {
  struct node* volatile head = make_list(n);
  keep((void*)head);
  head = NULL;
}

static __attribute__((noinline)) void lose_cycle(void) {
  struct node* a = keep(malloc(sizeof *a));
  struct node* b = keep(malloc(sizeof *b));
  a->next = b;
  b->next = a;
}

static __attribute__((noinline)) void lose_blocks(void) {
  keep(realloc(keep(malloc(100)), 3000));
  keep(calloc(7, 111));
  void* p = NULL;
  if (posix_memalign(&p, 64, 5000) == 0) keep(p);
  keep(aligned_alloc(256, 2560));
}

static void* holder(void* arg) {
  // Holds the block in its own frame only, then blocks until the process exits.
  void* volatile mine = malloc(7777);
  keep(mine);
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void* leaker(void* arg) {
  void* volatile lost = malloc(8888);
  keep(lost);
  lost = NULL;
  (void)arg;
  return NULL;
}

static void* tls_holder(void* arg) {
  t_block = malloc(6666);
  *(volatile int*)arg = 1;
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  const char* c = argc > 1 ? argv[1] : "";
  if (!strcmp(c, "global")) {
    g_block = keep(malloc(64 * 1024));
  } else if (!strcmp(c, "global_list")) {
    g_list = make_list(2000);
  } else if (!strcmp(c, "lost_list")) {
    lose_list(500);
    scrub_stack();
  } else if (!strcmp(c, "cycle")) {
    lose_cycle();
    scrub_stack();
  } else if (!strcmp(c, "interior")) {
    g_block = (char*)keep(malloc(4000)) + 1000;
  } else if (!strcmp(c, "blocks")) {
    lose_blocks();
    scrub_stack();
  } else if (!strcmp(c, "exit_frame")) {
    // A block referenced from main's frame when exit() is called is still reachable.
    void* volatile p = malloc(12345);
    keep(p);
    exit(0);
  } else if (!strcmp(c, "return_main")) {
    // The same block, but main returns. Its frame is dead, yet the word stays on the
    // stack between where exit() runs and the stack's top, so LSan still finds the block
    // reachable; memgap, scanning the same range at the exit stop, must agree.
    void* volatile p = malloc(23456);
    keep(p);
    return 0;
  } else if (!strcmp(c, "register")) {
    void* p = keep(malloc(4321));
    scrub_stack();
    // Only in a callee-saved register (and wherever exit() saves it) at exit.
    __asm__ volatile("mov %0, %%r15" : : "r"(p) : "r15");
    p = NULL;
    exit(0);
  } else if (!strcmp(c, "thread_stack")) {
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    usleep(200000);  // let it allocate and park; the verdict does not depend on timing
  } else if (!strcmp(c, "thread_exited")) {
    pthread_t t;
    pthread_create(&t, NULL, leaker, NULL);
    pthread_join(t, NULL);
  } else if (!strcmp(c, "tls_main")) {
    t_block = malloc(5555);
  } else if (!strcmp(c, "tls_thread")) {
    volatile int ready = 0;
    pthread_t t;
    pthread_create(&t, NULL, tls_holder, (void*)&ready);
    while (!ready) usleep(1000);
  } else if (!strcmp(c, "none")) {
  } else {
    fprintf(stderr, "usage: reach_cases CASE [wait]\n");
    return 2;
  }
  if (argc > 2 && !strcmp(argv[2], "wait")) {
    // Live for attach --reachability: the shape is built; hold it until stdin closes.
    scrub_stack();
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
  }
  return 0;
}
