/*
 * The smallest TCP echo server on znet, for the footprint comparison
 * (scripts/bench builds it at -Os with --gc-sections beside lwIP's
 * min-echo-lwip.c; never run): one stack, one netif over drv.h, TCP echo
 * on port 7 with zn_tcp_peek / zn_tcp_write / zn_tcp_consume.
 */
#include <stdbool.h>
#include <stdint.h>

#include "drv.h"
#include "znet.h"

/* The stack's memory: the default configuration needs about 1.4 MB. */
#define MEM_BYTES (2u * 1024u * 1024u)

static _Alignas(64) uint8_t mem[MEM_BYTES];

static int nif_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_buf *b = zn_netif_alloc(nif);
  if (b == NULL)
    return ZN_EAGAIN;
  size_t n = drv_rx(b->data, zn_buf_tailroom(b));
  if (n == 0) {
    zn_buf_free(b);
    return ZN_EAGAIN;
  }
  b->len = (uint32_t)n;
  *out = b;
  return ZN_OK;
}

static int nif_send(struct zn_netif *nif, struct zn_buf *b) {
  (void)nif;
  drv_tx(b->data, b->len);
  zn_buf_free(b);
  return ZN_OK;
}

static const struct zn_netif_ops nif_ops = {
    .kind = "drv",
    .recv = nif_recv,
    .send = nif_send,
};

static void echo(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  const uint8_t *p;
  long n;
  while ((n = zn_tcp_peek(c, &p)) > 0) {
    long w = zn_tcp_write(c, p, (size_t)n);
    if (w <= 0)
      return;
    zn_tcp_consume(c, (size_t)w);
  }
  if (n == 0 || (n < 0 && n != ZN_EAGAIN))
    zn_tcp_close(c);
}

static void closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks conn_cbs = {
    .on_readable = echo,
    .on_writable = echo,
    .on_closed = closed,
};

static void accept_all(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    zn_tcp_set_callbacks(c, &conn_cbs, NULL);
}

static const struct zn_tcp_callbacks listen_cbs = {
    .on_accept = accept_all,
    .on_closed = closed,
};

int main(void) {
  struct zn_config cfg;
  zn_config_default(&cfg);
  drv_seed(cfg.seed);
  cfg.ipv4_addr = ZN_IPV4(10, 0, 0, 2);
  cfg.ipv4_prefix = 24;
  struct zn_stack *st;
  if (zn_stack_mem_size(&cfg) > sizeof(mem) ||
      zn_stack_create(&cfg, mem, sizeof(mem), &st) != ZN_OK)
    return 1;
  static struct zn_netif nif;
  zn_netif_init(&nif, &nif_ops, 1500);
  zn_stack_attach(st, &nif);
  struct zn_tcp_conn *l;
  if (zn_tcp_listen(st, NULL, 7, 16, &listen_cbs, NULL, &l) != ZN_OK)
    return 1;
  for (;;) {
    zn_stack_poll(st, drv_now_ns());
    drv_wait(zn_stack_next_deadline(st));
  }
}
