/*
 * The Solo5 runtime's malloc (examples/solo5/malloc.c), compiled into
 * this hosted test under other names (zrt_malloc, ...) so that it does
 * not replace the C library's, on a heap of the test's own: small blocks
 * come from power-of-two classes and are reused by size; large ones
 * (over 64 KiB with the header) are sized to the page, so a 1.45 MB block
 * (the stack's memory) takes 1.45 MB and not 2 MiB; a freed large block
 * is reused for a request it can hold; the heap running out is ENOMEM,
 * not a crash; a double free stops the program (zn_rt_panic).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zt.h"

/* malloc.c's system headers are already included (and guarded): only
 * its definitions are renamed.  (Its rt.h declares main(argc, argv).) */
void *zrt_malloc(size_t n);
void zrt_free(void *p);
void *zrt_calloc(size_t count, size_t size);
void *zrt_realloc(void *p, size_t n);
#define malloc zrt_malloc
#define free zrt_free
#define calloc zrt_calloc
#define realloc zrt_realloc
#include "../../examples/solo5/malloc.c"
#undef malloc
#undef free
#undef calloc
#undef realloc

#define HEAP_SIZE (3u << 20)
#define STACK_MEM 1450864u /* zn_stack_mem_size() of the examples, IPv6 on */

static _Alignas(16) uint8_t heap[HEAP_SIZE];
static jmp_buf panic_jump;
static const char *panic_msg;

void zn_rt_panic(const char *msg) {
  panic_msg = msg;
  longjmp(panic_jump, 1);
}

static void fresh_heap(size_t len) {
  memset(heap, 0xa5, sizeof(heap));
  zn_rt_heap_init(heap, len);
}

ZT_TEST(test_large_block_sized_to_the_page) {
  fresh_heap(2u << 20);
  size_t before = zn_rt_heap_left();
  uint8_t *p = zrt_malloc(STACK_MEM);
  ZT_CHECK(p != NULL);
  if (p == NULL)
    return;
  size_t used = before - zn_rt_heap_left();
  ZT_EQU(used % PAGE, 0);
  ZT_CHECK(used >= STACK_MEM + HDR);
  ZT_CHECK(used < STACK_MEM + HDR + PAGE);
  ZT_EQU((uintptr_t)p % 16, 0);
  memset(p, 1, STACK_MEM); /* all of it is ours, inside the heap */
  ZT_CHECK(p >= heap && p + STACK_MEM <= heap + (2u << 20));
}

ZT_TEST(test_small_blocks_reused_by_class) {
  fresh_heap(1u << 20);
  void *a = zrt_malloc(100);
  void *b = zrt_malloc(100);
  ZT_CHECK(a != NULL && b != NULL && a != b);
  ZT_EQU((uintptr_t)a % 16, 0);
  size_t left = zn_rt_heap_left();
  zrt_free(a);
  void *c = zrt_malloc(80); /* the same 128-byte class */
  ZT_CHECK(c == a);
  ZT_EQU(zn_rt_heap_left(), left);
  void *big = zrt_malloc(LARGE_MIN - HDR); /* the largest small block */
  ZT_CHECK(big != NULL);
  ZT_EQU(left - zn_rt_heap_left(), LARGE_MIN);
  zrt_free(b);
  zrt_free(c);
  zrt_free(big);
}

ZT_TEST(test_freed_large_block_reused) {
  fresh_heap(3u << 20);
  void *a = zrt_malloc(STACK_MEM);
  ZT_CHECK(a != NULL);
  size_t left = zn_rt_heap_left();
  zrt_free(a);
  void *b = zrt_malloc(200000); /* fits in a's block: no new memory */
  ZT_CHECK(b == a);
  ZT_EQU(zn_rt_heap_left(), left);
  void *c = zrt_malloc(STACK_MEM); /* a is taken: from the bump region */
  ZT_CHECK(c != NULL && c != a);
  ZT_CHECK(zn_rt_heap_left() < left);
  zrt_free(b);
  void *d = zrt_malloc(STACK_MEM); /* a's block again, whole */
  ZT_CHECK(d == a);
  zrt_free(c);
  zrt_free(d);
}

ZT_TEST(test_realloc_keeps_the_bytes) {
  fresh_heap(3u << 20);
  uint8_t *p = zrt_malloc(40);
  ZT_CHECK(p != NULL);
  if (p == NULL)
    return;
  for (int i = 0; i < 40; i++)
    p[i] = (uint8_t)i;
  ZT_CHECK(zrt_realloc(p, 48) == p); /* still fits the 64-byte class */
  uint8_t *q = zrt_realloc(p, 100000); /* now a large block */
  ZT_CHECK(q != NULL && q != p);
  if (q == NULL)
    return;
  for (int i = 0; i < 40; i++)
    ZT_EQ(q[i], i);
  uint8_t *r = zrt_realloc(q, 300000);
  ZT_CHECK(r != NULL);
  if (r == NULL)
    return;
  ZT_EQ(r[39], 39);
  uint8_t *z = zrt_calloc(1000, 3);
  ZT_CHECK(z != NULL);
  if (z != NULL)
    for (int i = 0; i < 3000; i++)
      ZT_EQ(z[i], 0);
  zrt_free(r);
  zrt_free(z);
}

ZT_TEST(test_heap_exhausted_is_enomem) {
  fresh_heap(1u << 20);
  errno = 0;
  ZT_CHECK(zrt_malloc(STACK_MEM) == NULL); /* more than the heap */
  ZT_EQ(errno, ENOMEM);
  errno = 0;
  ZT_CHECK(zrt_malloc(SIZE_MAX - 8) == NULL); /* would wrap */
  ZT_EQ(errno, ENOMEM);
  errno = 0;
  ZT_CHECK(zrt_calloc(SIZE_MAX / 2, 4) == NULL);
  ZT_EQ(errno, ENOMEM);
  ZT_CHECK(zrt_malloc(900000) != NULL); /* what is there is still given */
}

ZT_TEST(test_double_free_stops) {
  fresh_heap(1u << 20);
  void *small = zrt_malloc(10);
  void *large = zrt_malloc(100000);
  ZT_CHECK(small != NULL && large != NULL);
  zrt_free(small);
  zrt_free(large);
  panic_msg = NULL;
  if (setjmp(panic_jump) == 0)
    zrt_free(small);
  ZT_CHECK(panic_msg != NULL);
  panic_msg = NULL;
  if (setjmp(panic_jump) == 0)
    zrt_free(large);
  ZT_CHECK(panic_msg != NULL);
  uint8_t wild[64] = {0};
  panic_msg = NULL;
  if (setjmp(panic_jump) == 0)
    zrt_free(wild + 32);
  ZT_CHECK(panic_msg != NULL);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  ZT_RUN(test_large_block_sized_to_the_page);
  ZT_RUN(test_small_blocks_reused_by_class);
  ZT_RUN(test_freed_large_block_reused);
  ZT_RUN(test_realloc_keeps_the_bytes);
  ZT_RUN(test_heap_exhausted_is_enomem);
  ZT_RUN(test_double_free_stops);
  return zt_done();
}
