/*
 * A program with an allocator of its own (tests/rt/images.sh): malloc
 * and its family over a 256 KiB arena, refusing loudly what does not
 * fit.  In an image the runtime must not draw its own memory (the
 * network stack's, opened before main) from the program's malloc: the
 * program's few small allocations fit, and a loopback exchange works.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char arena[256 << 10] __attribute__((aligned(16)));
static size_t used, biggest;

void *malloc(size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n > biggest)
    biggest = n;
  if (n > sizeof arena - used) {
    static const char msg[] = "own_malloc: a request larger than the arena\n";
    (void)write(1, msg, sizeof msg - 1);
    _exit(3);
  }
  void *p = arena + used;
  used += n;
  return p;
}

void free(void *p) { (void)p; }

void *calloc(size_t n, size_t m) {
  void *p = malloc(n * m);
  return memset(p, 0, n * m);
}

void *realloc(void *p, size_t n) {
  void *q = malloc(n);
  if (p)
    memcpy(q, p, n); /* the arena is contiguous: reading past is safe */
  return q;
}

void *aligned_alloc(size_t a, size_t n) {
  (void)a;
  return malloc(n);
}

int posix_memalign(void **p, size_t a, size_t n) {
  *p = malloc(n + a);
  *p = (void *)(((unsigned long)*p + a - 1) & ~(unsigned long)(a - 1));
  return 0;
}

int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7708),
                           .sin_addr.s_addr = htonl(0x7f000001)};
  int c = -1, s = -1;
  char buf[8] = {0};
  if (bind(l, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(l, 1) == 0 &&
      (c = socket(AF_INET, SOCK_STREAM, 0)) >= 0 &&
      connect(c, (struct sockaddr *)&sa, sizeof sa) == 0 &&
      (s = accept(l, NULL, NULL)) >= 0 && send(c, "pong", 4, 0) == 4)
    (void)recv(s, buf, sizeof buf, 0);
  printf("own malloc: loopback said <%s>; largest request %s 64 KiB\n", buf,
         biggest <= (64u << 10) ? "under" : "over");
  return strcmp(buf, "pong") != 0;
}
