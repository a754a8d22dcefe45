/* For `memgap run --follow` on a child forked without exec (a pre-forked worker): the
 * parent allocates 4 MiB before the fork and frees it after its child ends, so the parent
 * leaks nothing. The child inherits that block and never frees it (it is the parent's,
 * not the child's leak), frees one block of its own, forks a grandchild that leaks
 * exactly 7 x 8 KiB from leak_in_grandchild, waits for it, and leaks exactly 23 x 4 KiB
 * from leak_in_forked_child before exiting with status argv[1] (default 0). The parent
 * exits with the child's status. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void* volatile sink;

__attribute__((noinline)) void leak_in_forked_child(void) {
  for (int i = 0; i < 23; ++i) {
    char* p = malloc(4096);
    memset(p, 2, 4096);
    sink = p; /* dropped on the next iteration: leaked */
  }
  sink = 0;
}

__attribute__((noinline)) void leak_in_grandchild(void) {
  for (int i = 0; i < 7; ++i) {
    char* p = malloc(8192);
    memset(p, 5, 8192);
    sink = p;
  }
  sink = 0;
}

__attribute__((noinline)) void* kept_across_fork(void) {
  char* p = malloc(4 << 20);
  memset(p, 3, 4 << 20);
  return p;
}

int main(int argc, char** argv) {
  void* inherited = kept_across_fork();
  pid_t pid = fork();
  if (pid == 0) {
    void* own = malloc(1 << 16);
    memset(own, 4, 1 << 16);
    free(own);
    pid_t grandchild = fork();
    if (grandchild == 0) {
      leak_in_grandchild();
      exit(0);
    }
    if (grandchild > 0) waitpid(grandchild, 0, 0);
    leak_in_forked_child();
    exit(argc > 1 ? atoi(argv[1]) : 0);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return 1;
  free(inherited);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
