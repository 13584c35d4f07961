/*
 * znb-cost: a fixed number of operations between two znet stacks over a
 * memlink, on a virtual clock, for counting instructions per operation
 * (bench/cost.sh runs it under callgrind).  Nothing here reads the host's
 * clock or sleeps, so two runs of the same build execute the same
 * instructions, and two builds can be compared to the instruction.
 *
 *     znb-cost udp-echo N      N datagrams of 64 bytes from A, each echoed
 *                              by B and read back by A
 *     znb-cost tcp-conn N      N connections from A to B, one at a time:
 *                              connect, 64 bytes each way, close from A
 *     znb-cost tcp-segment N   one connection, then N full-size segments
 *                              of data from A to B (consumed by B): the
 *                              bytes of N segments of 1448 (IPv6: 1428)
 *     add --family 6 for IPv6
 *
 * Both stacks' work counts: an operation's cost is what the sender and
 * the receiver spend on it together.  Prints one "znb mode=cost-... ops=N"
 * line; exits 1 if an operation did not complete.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "znet.h"
#include "znet/memlink.h"
#include "znb_pair.h"

#define PROG "znb-cost"
#define PORT 7
#define MSG 64
#define STEP_LIMIT 100000

static struct zn_stack *sa, *sb;
static struct zn_memlink link_;
static uint64_t now;
static struct zn_ip peer; /* B's address */

static __attribute__((noreturn)) void fail(const char *msg, int rc) {
  fprintf(stderr, PROG ": %s: %s\n", msg, zn_strerror(rc));
  exit(1);
}

static struct zn_stack *new_stack(uint8_t last, int family) {
  struct zn_config cfg;
  znb_config(&cfg, ZN_IPV4(10, 0, 0, last), last);
  cfg.tcp_conns = 4096;
  if (family == 6) {
    cfg.ipv6 = true;
    cfg.ipv6_dad_transmits = 0;
  }
  size_t len = zn_stack_mem_size(&cfg);
  void *mem = len ? malloc(len) : NULL;
  if (!mem)
    fail("memory", ZN_ENOMEM);
  struct zn_stack *st;
  int rc = zn_stack_create(&cfg, mem, len, &st);
  if (rc != ZN_OK)
    fail("zn_stack_create", rc);
  if (family == 6) {
    struct zn_ip a;
    char text[32];
    snprintf(text, sizeof(text), "fd00:7a::%u", last);
    if (zn_ip_parse(text, &a) != ZN_OK ||
        zn_stack_add_ipv6(st, &a, 64) != ZN_OK)
      fail("IPv6 address", ZN_EINVAL);
  }
  return st;
}

/* One step of this bench's pair (znb_pair.h). */
static void step(const bool *done) {
  znb_step(sa, sb, &link_, &now, done);
}

/* Step until *done. */
static void run_until(const bool *done) {
  for (int i = 0; i < STEP_LIMIT && !*done; i++)
    step(done);
  if (!*done)
    fail("an operation did not complete", ZN_ETIMEDOUT);
}

/* ---- udp-echo ---- */

static bool echoed;

static void on_echo(struct zn_udp_sock *s, void *arg,
                    const struct zn_udp_dgram *d) {
  (void)arg;
  zn_udp_sendto(s, &d->src, d->sport, d->data, d->len);
}

static void on_reply(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)s;
  (void)arg;
  (void)d;
  echoed = true;
}

static void udp_echo(uint32_t n) {
  struct zn_udp_sock *server, *client;
  if (zn_udp_open(sb, &server) != ZN_OK || zn_udp_bind(server, NULL, PORT) ||
      zn_udp_open(sa, &client) != ZN_OK || zn_udp_bind(client, NULL, 0))
    fail("udp sockets", ZN_EINVAL);
  zn_udp_set_recv_cb(server, on_echo, NULL);
  zn_udp_set_recv_cb(client, on_reply, NULL);
  static const uint8_t msg[MSG];
  for (uint32_t i = 0; i < n; i++) {
    echoed = false;
    int rc = zn_udp_sendto(client, &peer, PORT, msg, sizeof(msg));
    if (rc != ZN_OK)
      fail("sendto", rc);
    run_until(&echoed);
  }
  zn_udp_close(client);
  zn_udp_close(server);
}

/* ---- tcp ---- */

struct conn_state {
  struct zn_tcp_conn *listener;
  uint64_t consumed;
  uint64_t want;       /* tcp-segment: bytes B must consume */
  bool got_reply, closed_a, closed_b, server_done;
};

static struct conn_state cs;

static void drain(struct zn_tcp_conn *c, bool *eof) {
  const uint8_t *p;
  long got;
  while ((got = zn_tcp_peek(c, &p)) > 0) {
    cs.consumed += (uint64_t)got;
    zn_tcp_consume(c, (size_t)got);
  }
  *eof = got == 0;
}

static void server_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  uint64_t before = cs.consumed;
  bool eof;
  drain(c, &eof);
  if (cs.want == 0 && cs.consumed > before) {
    static const uint8_t reply[MSG];
    zn_tcp_write(c, reply, sizeof(reply));
  }
  if (eof)
    zn_tcp_close(c);
}

static void server_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
  cs.closed_b = true;
}

static const struct zn_tcp_callbacks server_cbs = {
    .on_readable = server_readable,
    .on_closed = server_closed,
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    zn_tcp_set_callbacks(c, &server_cbs, NULL);
}

static const struct zn_tcp_callbacks listener_cbs = {.on_accept = on_accept};

static void client_connected(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  static const uint8_t req[MSG];
  if (cs.want == 0)
    zn_tcp_write(c, req, sizeof(req));
}

static void client_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  const uint8_t *p;
  long got;
  while ((got = zn_tcp_peek(c, &p)) > 0)
    zn_tcp_consume(c, (size_t)got);
  cs.got_reply = true;
}

static void client_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
  cs.closed_a = true;
}

static const struct zn_tcp_callbacks client_cbs = {
    .on_connected = client_connected,
    .on_readable = client_readable,
    .on_closed = client_closed,
};

static void listen_b(void) {
  int rc = zn_tcp_listen(sb, NULL, PORT, 0, &listener_cbs, NULL,
                         &cs.listener);
  if (rc != ZN_OK)
    fail("listen", rc);
}

static struct zn_tcp_conn *connect_a(void) {
  struct zn_tcp_conn *c;
  int rc = zn_tcp_connect(sa, &peer, PORT, &client_cbs, NULL, &c);
  if (rc != ZN_OK)
    fail("connect", rc);
  return c;
}

static void tcp_conn(uint32_t n) {
  listen_b();
  for (uint32_t i = 0; i < n; i++) {
    cs.got_reply = cs.closed_a = cs.closed_b = false;
    struct zn_tcp_conn *c = connect_a();
    run_until(&cs.got_reply);
    zn_tcp_close(c);
    run_until(&cs.closed_b);
  }
}

static uint8_t chunk[16384];

static void tcp_segment(uint32_t n, uint32_t mss) {
  listen_b();
  cs.want = (uint64_t)n * mss;
  struct zn_tcp_conn *c = connect_a();
  uint64_t queued = 0;
  for (int i = 0; i < STEP_LIMIT && cs.consumed < cs.want; i++) {
    while (queued < cs.want) {
      size_t len = sizeof(chunk);
      if (cs.want - queued < len)
        len = (size_t)(cs.want - queued);
      long w = zn_tcp_write(c, chunk, len);
      if (w <= 0)
        break;
      queued += (uint64_t)w;
    }
    step(NULL);
  }
  if (cs.consumed < cs.want)
    fail("the transfer did not complete", ZN_ETIMEDOUT);
  zn_tcp_abort(c);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: " PROG " udp-echo|tcp-conn|tcp-segment N "
                    "[--family 4|6]\n");
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
  int family = argc > 4 && strcmp(argv[3], "--family") == 0 ? atoi(argv[4])
                                                             : 4;
  sa = new_stack(1, family);
  sb = new_stack(2, family);
  peer = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  if (family == 6 && zn_ip_parse("fd00:7a::2", &peer) != ZN_OK)
    fail("IPv6 address", ZN_EINVAL);
  zn_memlink_init(&link_, 0, 0);
  zn_memlink_set_offloads(&link_, false);
  zn_stack_attach(sa, &link_.a.nif);
  zn_stack_attach(sb, &link_.b.nif);
  now = ZN_MS(1);
  zn_stack_poll(sa, now);
  zn_stack_poll(sb, now);
  now += ZN_MS(1);
  if (strcmp(argv[1], "udp-echo") == 0)
    udp_echo(n);
  else if (strcmp(argv[1], "tcp-conn") == 0)
    tcp_conn(n);
  else if (strcmp(argv[1], "tcp-segment") == 0)
    tcp_segment(n, family == 6 ? 1428 : 1448);
  else
    fail("unknown mode", ZN_EINVAL);
  printf("znb mode=cost-%s ops=%" PRIu32 " secs=0 rate=0 unit=op\n", argv[1],
         n);
  return 0;
}
