/* A malloc family defined in the executable itself (as a program with a bundled
 * allocator has): a bump allocator over one reserved region, with a 16-byte header
 * holding each block's size. free() keeps nothing (this is a test allocator); every
 * function is a real entry point memgap must find in the executable and probe. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION (1ul << 30)
static char* region;
static size_t used;

static void* bump(size_t size, size_t align) {
  if (!region) {
    region = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) return NULL;
  }
  if (align < 16) align = 16;
  size_t start = (used + 16 + align - 1) & ~(align - 1); /* room for the header */
  if (start + size > REGION) return NULL;
  used = start + size;
  *(size_t*)(region + start - 16) = size;
  return region + start;
}

void* malloc(size_t size) { return bump(size, 16); }
void free(void* p) { (void)p; }
void* calloc(size_t n, size_t each) {
  if (each && n > SIZE_MAX / each) return NULL;
  return bump(n * each, 16); /* fresh anonymous memory is zero */
}
void* realloc(void* old, size_t size) {
  if (!old) return malloc(size);
  if (size == 0) {
    free(old);
    return NULL;
  }
  void* p = malloc(size);
  size_t old_size = *(size_t*)((char*)old - 16);
  if (p) memcpy(p, old, old_size < size ? old_size : size);
  free(old);
  return p;
}
void* memalign(size_t align, size_t size) { return bump(size, align); }
void* aligned_alloc(size_t align, size_t size) { return bump(size, align); }
int posix_memalign(void** out, size_t align, size_t size) {
  void* p = bump(size, align);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(size_t size) { return bump(size, 4096); }
void* pvalloc(size_t size) { return bump((size + 4095) & ~4095ul, 4096); }
size_t malloc_usable_size(void* p) { return p ? *(size_t*)((char*)p - 16) : 0; }
