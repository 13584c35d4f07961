/*
 * The DNS forwarder (zn_dns_forwarder_*) on stack A (10.0.0.1), with a
 * blocklist, against everything stack B (10.0.0.2) can send it: client
 * datagrams to A:53, TCP streams to A:53 (up to 4 connections), and, as
 * its upstream on B:53, UDP answers and the answers to its TCP retries.
 *
 * Input: records, each an op byte and its operands:
 *   0 LEN BYTES   a client datagram
 *   1 MODE LEN BYTES  an upstream answer to the latest query the upstream
 *                 saw: MODE bit 0 puts that query's ID in, bit 1 its
 *                 question (the bytes then follow a copied header and
 *                 question), bit 2 sets QR, bit 3 TC
 *   2             open a client TCP connection
 *   3 K LEN BYTES write to client connection K
 *   4 K           close client connection K
 *   5 MODE LEN BYTES  write to the upstream's latest accepted TCP
 *                 connection; MODE bit 0 puts the ID of the query read
 *                 on it at BYTES[2..3] (after a length prefix)
 *   6 MS          let MS * 10 ms pass
 * The input's last byte, bit 0 (read, not taken: the records above are
 * the same either way), chooses the upstream: set, queries go over
 * persistent plain TCP streams to B:853 (upstream_stream: the pipelined
 * path of dns/forward_stream.c, its answers written by op 5); clear,
 * over UDP, retried over TCP when truncated.
 * Checks: every datagram the forwarder sends a client is a response (QR
 * set, at least a header); the counters add up (dropped is the sum of
 * its reasons); at the end, after the forwarder stops and time passes,
 * no buffer, socket or connection is left and every frame is accounted
 * for.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#define MAX_CLI 4

#define UP_STREAMS 2

static struct fz_pair pair;
static struct zn_udp_sock *up_udp, *cli;
static struct zn_tcp_conn *up_listen, *up_conn, *conns[MAX_CLI];
static uint8_t last_q[ZN_DNS_MSG_MAX]; /* any datagram the upstream gets */
static size_t last_qlen;
static uint16_t last_sport; /* where the forwarder asked from */
static uint8_t tcp_id[2];   /* of the query the upstream read over TCP */

static void on_upstream(struct zn_udp_sock *s, void *arg,
                        const struct zn_udp_dgram *d) {
  (void)s;
  (void)arg;
  last_qlen = d->len < sizeof(last_q) ? d->len : sizeof(last_q);
  last_sport = d->sport;
  memcpy(last_q, d->data, last_qlen);
}

static void on_client(struct zn_udp_sock *s, void *arg,
                      const struct zn_udp_dgram *d) {
  (void)s;
  (void)arg;
  FZ_CHECK(d->len >= ZN_DNS_HDR_LEN && (d->data[2] & 0x80));
}

/* arg is the slot that holds c (or NULL for the listener); a slot may
 * hold a newer connection by now (up_conn, after a second accept). */
static void nop_closed(struct zn_tcp_conn *c, void *arg) {
  struct zn_tcp_conn **slot = arg;
  if (slot && *slot == c)
    *slot = NULL;
}

static void drain(struct zn_tcp_conn *c, void *arg) {
  uint8_t buf[2048];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0)
    if (arg == &up_conn && n >= 4)
      memcpy(tcp_id, buf + 2, 2);
}

static const struct zn_tcp_callbacks conn_cbs = {.on_readable = drain,
                                                 .on_closed = nop_closed};

static void on_up_accept(struct zn_tcp_conn *l, void *arg) {
  struct zn_tcp_conn *c;
  (void)arg;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    if (up_conn)
      zn_tcp_abort(up_conn);
    up_conn = c;
    zn_tcp_set_callbacks(c, &conn_cbs, &up_conn);
  }
}

static const struct zn_tcp_callbacks listen_cbs = {.on_accept = on_up_accept,
                                                   .on_closed = nop_closed};

/* The upstream's answer to the latest query, as the input shapes it: up
 * to 899 bytes of the input, after the whole query with mode bit 1. */
static void answer(struct fz_in *in) {
  static uint8_t msg[sizeof(last_q) + 900];
  uint8_t mode = fz_u8(in);
  const uint8_t *p;
  size_t n = fz_bytes(in, fz_u16(in) % 900, &p), at = 0;
  if ((mode & 2) && last_qlen >= ZN_DNS_HDR_LEN) {
    at = last_qlen; /* the query's header and question */
    memcpy(msg, last_q, at);
  }
  memcpy(msg + at, p, n);
  n += at;
  if (n >= 2 && (mode & 1) && last_qlen >= 2)
    memcpy(msg, last_q, 2);
  if (n >= 3 && (mode & 4))
    msg[2] |= 0x80;
  if (n >= 3 && (mode & 8))
    msg[2] |= 0x02;
  zn_udp_sendto(up_udp, TH_IP(ZN_IPV4(10, 0, 0, 1)), last_sport ? last_sport : 53, msg,
                n);
}

static void op(struct fz_in *in, uint8_t o) {
  const uint8_t *p;
  size_t n;
  uint8_t k;
  switch (o % 7) {
  case 0:
    n = fz_bytes(in, fz_u16(in) % 1024, &p);
    zn_udp_sendto(cli, TH_IP(ZN_IPV4(10, 0, 0, 1)), 53, p, n);
    break;
  case 1:
    answer(in);
    break;
  case 2:
    for (k = 0; k < MAX_CLI && conns[k]; k++)
      ;
    if (k < MAX_CLI)
      (void)zn_tcp_connect(pair.b, TH_IP(ZN_IPV4(10, 0, 0, 1)), 53, &conn_cbs,
                           &conns[k], &conns[k]);
    break;
  case 3:
    k = fz_u8(in) % MAX_CLI;
    n = fz_bytes(in, fz_u16(in) % 2048, &p);
    if (conns[k])
      (void)zn_tcp_write(conns[k], p, n);
    break;
  case 4:
    k = fz_u8(in) % MAX_CLI;
    if (conns[k])
      zn_tcp_close(conns[k]);
    break;
  case 5: {
    uint8_t mode = fz_u8(in), buf[2048];
    n = fz_bytes(in, fz_u16(in) % sizeof(buf), &p);
    memcpy(buf, p, n);
    if ((mode & 1) && n >= 4)
      memcpy(buf + 2, tcp_id, 2);
    if (up_conn)
      (void)zn_tcp_write(up_conn, buf, n);
    break;
  }
  default:
    fz_pair_run(&pair, ZN_MS(10) * fz_u8(in));
    return;
  }
  fz_pair_run(&pair, ZN_MS(1));
}

static void check_stats(const struct zn_dns_forwarder *fw) {
  struct zn_dns_forwarder_stats s;
  zn_dns_forwarder_get_stats(fw, &s);
  FZ_CHECK(s.dropped == s.dropped_short + s.dropped_response + s.dropped_bcast);
  FZ_CHECK(s.pending <= 8 && s.tcp_open <= MAX_CLI);
  FZ_CHECK(s.tcp_fallback_ok + s.tcp_fallback_failed <= s.tcp_fallback);
}

static struct zn_dns_blocklist *blocklist(void *mem, size_t len) {
  static const char list[] = "ads.test\n0.0.0.0 track.example\n";
  static const uint8_t key[16] = {5};
  struct zn_dns_blocklist_cfg cfg;
  struct zn_dns_blocklist *bl;
  struct zn_dns_blocklist_stats st;
  zn_dns_blocklist_measure(list, sizeof(list) - 1, 0, &cfg);
  FZ_CHECK(zn_dns_blocklist_mem_size(&cfg) <= len);
  FZ_CHECK(zn_dns_blocklist_init(&cfg, key, mem, len, &bl) == ZN_OK);
  memset(&st, 0, sizeof(st));
  zn_dns_blocklist_parse(bl, list, sizeof(list) - 1, NULL, NULL, &st);
  return bl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t blmem[4096];
  struct fz_in in;
  struct zn_config ca, cb;
  fz_in_init(&in, data, size);
  fz_config(&ca, 1);
  fz_config(&cb, 2);
  memset(&pair, 0, sizeof(pair));
  zn_memlink_init(&pair.link, 0, 256);
  pair.a = th_stack_new(&ca);
  pair.b = th_stack_new(&cb);
  FZ_CHECK(zn_stack_attach(pair.a, &pair.link.a.nif) == ZN_OK);
  FZ_CHECK(zn_stack_attach(pair.b, &pair.link.b.nif) == ZN_OK);
  up_conn = NULL;
  memset(conns, 0, sizeof(conns));
  last_qlen = 0;
  last_sport = 0;
  FZ_CHECK(zn_udp_open(pair.b, &up_udp) == ZN_OK &&
           zn_udp_bind(up_udp, NULL, 53) == ZN_OK);
  zn_udp_set_recv_cb(up_udp, on_upstream, NULL);
  FZ_CHECK(zn_udp_open(pair.b, &cli) == ZN_OK &&
           zn_udp_bind(cli, NULL, 4000) == ZN_OK);
  zn_udp_set_recv_cb(cli, on_client, NULL);
  bool streams = size > 0 && (data[size - 1] & 1);
  FZ_CHECK(zn_tcp_listen(pair.b, NULL, streams ? 853 : 53, 4, &listen_cbs,
                         NULL, &up_listen) == ZN_OK);

  struct zn_dns_forwarder_cfg fc;
  zn_dns_forwarder_cfg_default(&fc);
  fc.upstream.addr = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  fc.pending_max = 8;
  fc.tcp_clients = MAX_CLI;
  fc.upstream_tcp_max = 2;
  fc.cache_entries = 8;
  fc.upstream_timeout_ms = 500;
  fc.tcp_idle_ms = 2000;
  fc.blocklist = blocklist(blmem, sizeof(blmem));
  static uint8_t poolmem[8192];
  static struct zn_tcp_stream_pool pool;
  if (streams) {
    FZ_CHECK(zn_tcp_stream_pool_mem_size(UP_STREAMS) <= sizeof(poolmem));
    FZ_CHECK(zn_tcp_stream_pool_init(&pool, poolmem, sizeof(poolmem),
                                     UP_STREAMS) == ZN_OK);
    fc.upstream_stream = &pool.maker;
    fc.upstream_streams = UP_STREAMS;
    fc.upstream.port = 853;
  }
  size_t len = zn_dns_forwarder_mem_size(&fc);
  void *mem = malloc(len);
  struct zn_dns_forwarder *fw;
  FZ_CHECK(mem && zn_dns_forwarder_init(pair.a, &fc, mem, len, &fw) == ZN_OK);
  fz_pair_run(&pair, ZN_MS(1));
  for (int i = 0; i < 64 && fz_more(&in); i++) {
    op(&in, fz_u8(&in));
    check_stats(fw);
  }
  fz_pair_run(&pair, ZN_SEC(3));
  check_stats(fw);
  zn_dns_forwarder_stop(fw);
  for (int i = 0; i < MAX_CLI; i++)
    if (conns[i])
      zn_tcp_abort(conns[i]);
  if (up_conn)
    zn_tcp_abort(up_conn);
  zn_tcp_close(up_listen);
  zn_udp_close(up_udp);
  zn_udp_close(cli);
  fz_pair_run(&pair, ZN_SEC(10));
  FZ_CHECK(fz_tcp_used(pair.a) == 0 && fz_udp_open(pair.a) == 0);
  FZ_CHECK(fz_tcp_used(pair.b) == 0 && fz_udp_open(pair.b) == 0);
  fz_pair_free(&pair);
  free(mem);
  return 0;
}
