/* Shared library for deep_nofp: -O2 -fomit-frame-pointer, like Debian's own libraries. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void* lib_make_buffer(size_t n) {
  char* p = malloc(n);
  memset(p, 7, n);
  __asm__ volatile("" ::: "memory"); /* no tail call */
  return p;
}
