/* The forwarder over streams (dns/forward_stream.c and the stream
 * port of forward_tcp.c): stack A forwards, its upstream is a scripted
 * DNS-over-TCP server on stack B port 853, and plain TCP streams
 * (zn_tcp_stream_pool) stand in for TLS, which adds nothing the
 * forwarder sees.  Pipelining over one connection, a connection lost
 * with queries in flight, the strict and opportunistic rules, back-off,
 * clients on the stream port, and stopping with streams open. */
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "internals.h"
#include "znet/dns.h"
#include "znet/stream.h"

/* ---- the upstream on B:853, DNS over TCP ---- */

struct upconn {
  struct zn_tcp_conn *c;
  struct zn_dns_tcp_decoder dec;
  uint8_t buf[ZN_DNS_MSG_MAX];
};

static struct {
  struct zn_tcp_conn *listener;
  struct upconn conns[8];
  int nconns, nqueries;
  bool hold;       /* read queries, answer none */
  int close_after; /* close the connection after this many (0: never) */
  uint16_t held_ids[64];
  int nheld;
} up;

static void up_answer(struct upconn *u, const uint8_t *msg, size_t len) {
  struct zn_dns_msg q;
  struct zn_dns_iter it;
  struct zn_dns_question qu;
  if (zn_dns_msg_init(&q, msg, len) != ZN_OK)
    return;
  zn_dns_iter_init(&it, &q);
  if (zn_dns_iter_question(&it, &qu) != ZN_OK)
    return;
  uint8_t out[2 + 512];
  struct zn_dns_builder b;
  zn_dns_build_response(&b, out + 2, 512, &q, ZN_DNS_RCODE_NOERROR);
  struct zn_dns_rdata rd;
  memset(&rd, 0, sizeof(rd));
  rd.type = ZN_DNS_TYPE_A;
  rd.u.a = ZN_IPV4(10, 8, 8, 8);
  zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &qu.name, ZN_DNS_CLASS_IN, 100, &rd);
  size_t n = zn_dns_build_len(&b);
  zn_dns_tcp_encode_len(n, out);
  zn_tcp_write(u->c, out, n + 2);
}

static void up_readable(struct zn_tcp_conn *c, void *arg) {
  struct upconn *u = arg;
  const uint8_t *p;
  long n;
  while (u->c && (n = zn_tcp_peek(c, &p)) > 0) {
    size_t used;
    int rc = zn_dns_tcp_decode(&u->dec, p, (size_t)n, &used);
    zn_tcp_consume(c, used);
    if (rc < 0) {
      zn_tcp_abort(c);
      return;
    }
    if (rc != 1)
      continue;
    up.nqueries++;
    if (up.hold) {
      if (up.nheld < 64)
        up.held_ids[up.nheld++] = zn_rd16(u->dec.buf);
    } else {
      up_answer(u, u->dec.buf, u->dec.need);
    }
    if (up.close_after && up.nqueries >= up.close_after) {
      zn_tcp_close(c);
      u->c = NULL;
      return;
    }
  }
}

static void up_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct upconn *u = arg;
  u->c = NULL;
}

static const struct zn_tcp_callbacks upconn_cb = {.on_readable = up_readable,
                                                  .on_closed = up_closed};

static void up_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct upconn *u = &up.conns[up.nconns++ & 7];
    u->c = c;
    zn_dns_tcp_decoder_init(&u->dec, u->buf, sizeof(u->buf));
    zn_tcp_set_callbacks(c, &upconn_cb, u);
  }
}

static const struct zn_tcp_callbacks uplisten_cb = {.on_accept = up_accept};

/* ---- the UDP client on B ---- */

static int nanswers;
static uint16_t answer_ids[256];
static uint8_t answer_rcode[256];

static void on_answer(struct zn_udp_sock *s, void *arg,
                      const struct zn_udp_dgram *d) {
  (void)s;
  (void)arg;
  struct zn_dns_msg m;
  if (zn_dns_msg_init(&m, d->data, d->len) != ZN_OK)
    return;
  answer_ids[nanswers & 255] = zn_dns_id(&m);
  answer_rcode[nanswers & 255] = (uint8_t)zn_dns_rcode(&m);
  nanswers++;
}

struct fix {
  struct th_pair p;
  struct zn_dns_forwarder *fw;
  void *mem;
  struct zn_udp_sock *cli, *udp_up;
  struct zn_tcp_stream_pool up_pool, cli_pool;
  _Alignas(16) uint8_t up_pool_mem[4096];
  _Alignas(16) uint8_t cli_pool_mem[4096];
};

/* A UDP upstream on B:53 too, for the opportunistic rule. */
static int nudp_up;
static void udp_upstream(struct zn_udp_sock *s, void *arg,
                         const struct zn_udp_dgram *d) {
  (void)arg;
  struct zn_dns_msg q;
  if (zn_dns_msg_init(&q, d->data, d->len) != ZN_OK)
    return;
  nudp_up++;
  uint8_t out[512];
  struct zn_dns_builder b;
  zn_dns_build_response(&b, out, sizeof(out), &q, ZN_DNS_RCODE_NOERROR);
  zn_udp_sendto(s, &d->src, d->sport, out, zn_dns_build_len(&b));
}

static void setup(struct fix *f, bool listen_853, bool fallback,
                  uint32_t nstreams) {
  memset(&up, 0, sizeof(up));
  nanswers = nudp_up = 0;
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  th_pair_init(&f->p, &ca, &cb);
  zn_stack_poll(f->p.a, 0);
  zn_stack_poll(f->p.b, 0);
  if (listen_853)
    ZT_EQ(zn_tcp_listen(f->p.b, NULL, 853, 0, &uplisten_cb, NULL, &up.listener),
          ZN_OK);
  zn_udp_open(f->p.b, &f->udp_up);
  zn_udp_bind(f->udp_up, NULL, 53);
  zn_udp_set_recv_cb(f->udp_up, udp_upstream, NULL);
  zn_udp_open(f->p.b, &f->cli);
  zn_udp_bind(f->cli, NULL, 4000);
  zn_udp_set_recv_cb(f->cli, on_answer, NULL);
  ZT_EQ(zn_tcp_stream_pool_init(&f->up_pool, f->up_pool_mem,
                                sizeof(f->up_pool_mem), 4),
        ZN_OK);
  ZT_EQ(zn_tcp_stream_pool_init(&f->cli_pool, f->cli_pool_mem,
                                sizeof(f->cli_pool_mem), 2),
        ZN_OK);
  struct zn_dns_forwarder_cfg fc;
  zn_dns_forwarder_cfg_default(&fc);
  fc.upstream.addr = zn_ip_from_v4(IP_B);
  fc.tcp_clients = 4;
  fc.cache_entries = 0;
  fc.upstream_timeout_ms = 3000;
  fc.upstream_stream = &f->up_pool.maker;
  fc.upstream_streams = nstreams;
  fc.upstream_fallback_udp = fallback;
  fc.stream_port = 8853;
  fc.stream_server = &f->cli_pool.maker;
  size_t n = zn_dns_forwarder_mem_size(&fc);
  ZT_CHECK(n > 0);
  f->mem = malloc(n);
  ZT_EQ(zn_dns_forwarder_init(f->p.a, &fc, f->mem, n, &f->fw), ZN_OK);
  /* Both sides learn each other's MAC (a datagram to a closed port, an
   * ICMP error back), so a burst of queries is not cut short by ARP's
   * queue. */
  zn_udp_sendto(f->cli, TH_IP(IP_A), 9, "x", 1);
  th_pair_run(&f->p, ZN_MS(50));
}

static void teardown(struct fix *f) {
  zn_dns_forwarder_stop(f->fw);
  free(f->mem); /* the stack must not call into it from here on */
  zn_udp_close(f->cli);
  zn_udp_close(f->udp_up);
  if (up.listener)
    zn_tcp_close(up.listener);
  th_pair_run(&f->p, ZN_SEC(61));
  ZT_EQU(f->up_pool.used, 0);
  ZT_EQU(f->cli_pool.used, 0);
  ZT_EQ(ZN__MOD(f->p.a, tcp)->nused, 0);
  th_pair_free(&f->p);
}

static void ask(struct fix *f, uint16_t id, const char *name) {
  uint8_t q[512];
  struct zn_dns_hdr h = {.id = id, .rd = true};
  struct zn_dns_builder b;
  struct zn_dns_name n;
  zn_dns_name_from_text(&n, name, strlen(name));
  zn_dns_build_init(&b, q, sizeof(q), &h);
  zn_dns_build_question(&b, &n, ZN_DNS_TYPE_A, ZN_DNS_CLASS_IN);
  zn_udp_sendto(f->cli, TH_IP(IP_A), 53, q, zn_dns_build_len(&b));
}

static struct zn_dns_forwarder_stats stats(struct fix *f) {
  struct zn_dns_forwarder_stats s;
  zn_dns_forwarder_get_stats(f->fw, &s);
  return s;
}

static int count_rcode(int rcode) {
  int k = 0;
  for (int i = 0; i < nanswers && i < 256; i++)
    k += answer_rcode[i] == rcode;
  return k;
}

ZT_TEST(test_pipelined_over_one_connection) {
  struct fix *f = calloc(1, sizeof(*f));
  setup(f, true, false, 2);
  for (uint16_t i = 0; i < 20; i++)
    ask(f, (uint16_t)(100 + i), "a.test");
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(up.nconns, 1); /* one connection carried them all */
  ZT_EQ(up.nqueries, 20);
  ZT_EQ(nanswers, 20);
  ZT_EQ(count_rcode(ZN_DNS_RCODE_NOERROR), 20);
  int seen = 0;
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 20; j++)
      seen += answer_ids[j] == 100 + i;
  ZT_EQ(seen, 20); /* every client ID back */
  struct zn_dns_forwarder_stats s = stats(f);
  ZT_EQU(s.upstream_stream_opens, 1);
  ZT_EQU(s.upstream_stream_queries, 20);
  ZT_EQU(s.answered, 20);
  ZT_EQU(s.pending, 0);
  teardown(f);
  free(f);
}

/* A connection lost with queries in flight fails them at once, well
 * before the upstream timeout; the next query opens a new one. */
ZT_TEST(test_lost_connection_fails_its_queries) {
  struct fix *f = calloc(1, sizeof(*f));
  setup(f, true, false, 1);
  up.hold = true;
  for (uint16_t i = 0; i < 5; i++)
    ask(f, (uint16_t)(200 + i), "held.test");
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(up.nqueries, 5);
  ZT_EQ(nanswers, 0);
  zn_tcp_abort(up.conns[0].c);
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(nanswers, 5);
  ZT_EQ(count_rcode(ZN_DNS_RCODE_SERVFAIL), 5);
  struct zn_dns_forwarder_stats s = stats(f);
  ZT_EQU(s.upstream_stream_lost, 1);
  ZT_EQU(s.upstream_stream_failed, 5);
  ZT_EQU(s.upstream_timeouts, 0);
  ZT_EQU(s.pending, 0);
  up.hold = false;
  ask(f, 300, "again.test");
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(up.nconns, 2);
  ZT_EQ(nanswers, 6);
  ZT_EQ(answer_rcode[5], ZN_DNS_RCODE_NOERROR);
  /* An orderly close by the upstream with nothing in flight costs no
   * query anything. */
  zn_tcp_close(up.conns[1].c);
  th_pair_run(&f->p, ZN_MS(100));
  ask(f, 301, "third.test");
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(up.nconns, 3);
  ZT_EQ(nanswers, 7);
  ZT_EQ(answer_rcode[6], ZN_DNS_RCODE_NOERROR);
  teardown(f);
  free(f);
}

/* Strict: nobody on 853 means SERVFAIL at once, then no new attempt on
 * any connection slot until the back-off (1 s, then 2 s) has passed. */
ZT_TEST(test_strict_refused_backs_off) {
  struct fix *f = calloc(1, sizeof(*f));
  setup(f, false, false, 2);
  ask(f, 1, "a.test");
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(nanswers, 1);
  ZT_EQ(answer_rcode[0], ZN_DNS_RCODE_SERVFAIL);
  struct zn_dns_forwarder_stats s = stats(f);
  ZT_EQU(s.upstream_stream_open_failed, 1);
  ZT_EQU(s.upstream_stream_failed, 1);
  /* Within the second: refused without trying. */
  ask(f, 2, "a.test");
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(nanswers, 2);
  ZT_EQ(answer_rcode[1], ZN_DNS_RCODE_SERVFAIL);
  s = stats(f);
  ZT_EQU(s.upstream_stream_unavailable, 1);
  ZT_EQU(s.upstream_stream_open_failed, 1);
  ZT_EQU(nudp_up, 0); /* never in clear */
  /* After it, tried again (and refused again: now 2 s). */
  th_pair_run(&f->p, ZN_SEC(1));
  ask(f, 3, "a.test");
  th_pair_run(&f->p, ZN_MS(100));
  s = stats(f);
  ZT_EQU(s.upstream_stream_open_failed, 2);
  th_pair_run(&f->p, ZN_MS(1200));
  ask(f, 4, "a.test");
  th_pair_run(&f->p, ZN_MS(100));
  s = stats(f);
  ZT_EQU(s.upstream_stream_open_failed, 2);
  ZT_EQU(s.upstream_stream_unavailable, 2);
  /* Once the upstream listens, the next attempt opens and resets it. */
  ZT_EQ(zn_tcp_listen(f->p.b, NULL, 853, 0, &uplisten_cb, NULL, &up.listener),
        ZN_OK);
  th_pair_run(&f->p, ZN_SEC(1));
  ask(f, 5, "a.test");
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(answer_rcode[nanswers - 1], ZN_DNS_RCODE_NOERROR);
  ZT_EQU(stats(f).upstream_stream_opens, 1);
  ZT_EQU(nudp_up, 0);
  teardown(f);
  free(f);
}

/* Opportunistic: what no stream can take goes over UDP to port 53. */
ZT_TEST(test_opportunistic_falls_back_to_udp) {
  struct fix *f = calloc(1, sizeof(*f));
  setup(f, false, true, 1);
  ask(f, 1, "a.test"); /* the connection is refused: SERVFAIL */
  th_pair_run(&f->p, ZN_MS(100));
  ask(f, 2, "b.test"); /* backing off: UDP */
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQ(nanswers, 2);
  ZT_EQ(answer_rcode[0], ZN_DNS_RCODE_SERVFAIL);
  ZT_EQ(answer_rcode[1], ZN_DNS_RCODE_NOERROR);
  ZT_EQ(answer_ids[1], 2);
  ZT_EQ(nudp_up, 1);
  ZT_EQU(stats(f).upstream_fallback_udp, 1);
  teardown(f);
  free(f);
}

/* ---- clients on the stream port ---- */

static uint8_t sin_buf[4096];
static size_t sin_len;

static void scli_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  long n;
  while ((n = zn_tcp_read(c, sin_buf + sin_len, sizeof(sin_buf) - sin_len)) > 0)
    sin_len += (size_t)n;
}

static const struct zn_tcp_callbacks scli_cb = {.on_readable = scli_readable};

ZT_TEST(test_stream_port_clients) {
  struct fix *f = calloc(1, sizeof(*f));
  setup(f, true, false, 1);
  sin_len = 0;
  struct zn_tcp_conn *c[3];
  for (int i = 0; i < 3; i++)
    ZT_EQ(zn_tcp_connect(f->p.b, TH_IP(IP_A), 8853, &scli_cb, NULL, &c[i]),
          ZN_OK);
  th_pair_run(&f->p, ZN_MS(50));
  struct zn_dns_forwarder_stats s = stats(f);
  ZT_EQU(s.stream_connections, 2); /* the maker has two */
  ZT_EQU(s.tcp_refused, 1);
  /* Two pipelined queries on the first. */
  uint8_t q[600];
  size_t at = 0;
  for (uint16_t id = 7; id <= 8; id++) {
    struct zn_dns_hdr h = {.id = id, .rd = true};
    struct zn_dns_builder b;
    struct zn_dns_name n;
    zn_dns_name_from_text(&n, "s.test", 6);
    zn_dns_build_init(&b, q + at + 2, 256, &h);
    zn_dns_build_question(&b, &n, ZN_DNS_TYPE_A, ZN_DNS_CLASS_IN);
    zn_dns_tcp_encode_len(zn_dns_build_len(&b), q + at);
    at += 2 + zn_dns_build_len(&b);
  }
  ZT_EQ(zn_tcp_write(c[0], q, at), (long)at);
  th_pair_run(&f->p, ZN_MS(100));
  struct zn_dns_tcp_decoder d;
  uint8_t buf[512];
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  size_t off = 0, used;
  int got = 0;
  while (off < sin_len &&
         zn_dns_tcp_decode(&d, sin_buf + off, sin_len - off, &used) == 1) {
    off += used;
    got++;
  }
  ZT_EQ(got, 2);
  s = stats(f);
  ZT_EQU(s.tcp_queries, 2);
  ZT_EQU(s.tcp_answers, 2);
  for (int i = 0; i < 3; i++)
    zn_tcp_abort(c[i]);
  teardown(f);
  free(f);
}

/* Stopping with streams open: the stack reaps them later without calling
 * into the forwarder's (freed) memory, and the makers get them back.
 * teardown checks both (ASan sees any use after free). */
ZT_TEST(test_stop_with_streams_open) {
  struct fix *f = calloc(1, sizeof(*f));
  setup(f, true, false, 2);
  up.hold = true;
  ask(f, 1, "a.test");
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(f->p.b, TH_IP(IP_A), 8853, &scli_cb, NULL, &c), ZN_OK);
  th_pair_run(&f->p, ZN_MS(100));
  ZT_EQU(f->up_pool.used, 1);
  ZT_EQU(f->cli_pool.used, 1);
  teardown(f);
  free(f);
}

ZT_TEST(test_stream_cfg_checked) {
  struct zn_dns_forwarder_cfg fc;
  struct zn_tcp_stream_pool pool;
  memset(&pool, 0, sizeof(pool));
  zn_dns_forwarder_cfg_default(&fc);
  fc.upstream.addr = zn_ip_from_v4(IP_B);
  ZT_CHECK(zn_dns_forwarder_mem_size(&fc) > 0);
  fc.stream_port = 853; /* without a maker */
  ZT_EQU(zn_dns_forwarder_mem_size(&fc), 0);
  fc.stream_server = &pool.maker;
  ZT_CHECK(zn_dns_forwarder_mem_size(&fc) > 0);
  fc.stream_port = 53; /* the DNS port itself */
  ZT_EQU(zn_dns_forwarder_mem_size(&fc), 0);
  fc.stream_port = 0; /* a maker without a port */
  ZT_EQU(zn_dns_forwarder_mem_size(&fc), 0);
  fc.stream_server = NULL;
  fc.upstream_stream = &pool.maker;
  fc.upstream_streams = 0;
  ZT_EQU(zn_dns_forwarder_mem_size(&fc), 0);
  fc.upstream_streams = 17;
  ZT_EQU(zn_dns_forwarder_mem_size(&fc), 0);
  fc.upstream_streams = 16;
  ZT_CHECK(zn_dns_forwarder_mem_size(&fc) > 0);
}

int main(void) {
  ZT_RUN(test_pipelined_over_one_connection);
  ZT_RUN(test_lost_connection_fails_its_queries);
  ZT_RUN(test_strict_refused_backs_off);
  ZT_RUN(test_opportunistic_falls_back_to_udp);
  ZT_RUN(test_stream_port_clients);
  ZT_RUN(test_stop_with_streams_open);
  ZT_RUN(test_stream_cfg_checked);
  return zt_done();
}
