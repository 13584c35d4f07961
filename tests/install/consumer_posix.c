/* A program of libznet-posix's, built by scripts/install-check with
 * `pkg-config znet-posix` alone: a stack on a memlink, a socket layer
 * over it with a host of a few lines, and a TCP socket bound and
 * listening through the BSD calls, its name read back. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <znet/err.h>
#include <znet/memlink.h>
#include <znet/posix.h>

static int next_fd = 100;

static uint64_t host_now(void *ctx) {
  (void)ctx;
  return ZN_MS(1);
}
static int host_fd_reserve(void *ctx) {
  (void)ctx;
  return next_fd++;
}
static void host_fd_release(void *ctx, int fd) {
  (void)ctx;
  (void)fd;
}
static int host_wait(void *ctx, struct pollfd *kfds, unsigned n,
                     uint64_t deadline, const sigset_t *sigmask) {
  (void)ctx, (void)kfds, (void)n, (void)deadline, (void)sigmask;
  return 0;
}

int main(void) {
  struct zn_config scfg;
  zn_config_default(&scfg);
  scfg.ipv4_addr = ZN_IPV4(10, 0, 0, 1);
  scfg.ipv4_prefix = 24;
  size_t slen = zn_stack_mem_size(&scfg);
  void *smem = malloc(slen);
  struct zn_stack *st;
  static struct zn_memlink link;
  zn_memlink_init(&link, 0, 0);
  if (!smem || zn_stack_create(&scfg, smem, slen, &st) != ZN_OK ||
      zn_stack_attach(st, &link.a.nif) != ZN_OK)
    return 1;
  zn_stack_poll(st, ZN_MS(1));

  struct zn_posix_cfg cfg;
  zn_posix_cfg_default(&cfg, &scfg);
  cfg.max_fd = 1024;
  size_t len = zn_posix_mem_size(&cfg);
  void *mem = malloc(len);
  struct zn_posix_host host = {.now = host_now,
                               .fd_reserve = host_fd_reserve,
                               .fd_release = host_fd_release,
                               .wait = host_wait};
  struct zn_posix *px;
  if (!mem || zn_posix_init(st, &cfg, &host, mem, len, &px) != ZN_OK)
    return 1;

  int fd = zn_posix_socket(px, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)};
  struct sockaddr_in got = {0};
  socklen_t glen = sizeof got;
  int ok = fd >= 100 &&
           zn_posix_bind(px, fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
           zn_posix_listen(px, fd, 8) == 0 &&
           zn_posix_getsockname(px, fd, (struct sockaddr *)&got, &glen) == 0 &&
           ntohs(got.sin_port) == 8080 && zn_posix_owns(px, fd) &&
           zn_posix_close(px, fd) == 0;
  printf("a layer of %u sockets in %zu bytes; socket %d listened on 8080: %s\n",
         cfg.socks, len, fd, ok ? "yes" : "NO");
  zn_posix_destroy(px);
  zn_stack_destroy(st);
  zn_memlink_purge(&link);
  free(mem);
  free(smem);
  return ok ? 0 : 1;
}
