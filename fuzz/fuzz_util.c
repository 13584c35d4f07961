#include "fuzz_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "internals.h"
#include "tcp/tcp_int.h"
#include "udp/udp_int.h"
#include "zt.h"

void fz_in_init(struct fz_in *in, const uint8_t *p, size_t len) {
  in->p = p;
  in->len = len;
  in->off = 0;
}

uint8_t fz_u8(struct fz_in *in) {
  return in->off < in->len ? in->p[in->off++] : 0;
}

uint16_t fz_u16(struct fz_in *in) {
  uint16_t hi = fz_u8(in);
  return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t fz_u32(struct fz_in *in) {
  uint32_t hi = fz_u16(in);
  return hi << 16 | fz_u16(in);
}

size_t fz_bytes(struct fz_in *in, size_t want, const uint8_t **out) {
  size_t n = fz_left(in) < want ? fz_left(in) : want;
  *out = in->p + in->off;
  in->off += n;
  return n;
}

void fz_msg_input(struct fz_msg *m, const uint8_t *data, size_t size,
                  bool addrs) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  m->fix = fz_u8(&in) & 1;
  m->src = addrs ? fz_u32(&in) : 0;
  m->dst = addrs ? fz_u32(&in) : 0;
  m->len = fz_bytes(&in, SIZE_MAX, &m->p);
}

void fz_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "fuzz: %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

void fz_check_harness(void) {
  if (zt_case_failed)
    fz_fail(__FILE__, __LINE__, "a harness check failed (see stdout)");
}

/* ---- frames ----------------------------------------------------------- */

size_t fz_ipv4_off(const uint8_t *f, size_t len) {
  if (len < ZN_ETH_HDR_LEN)
    return 0;
  size_t off = ZN_ETH_HDR_LEN;
  uint16_t type = zn_rd16(f + 12);
  if (type == ZN_ETHERTYPE_VLAN) {
    if (len < ZN_ETH_VLAN_HDR_LEN)
      return 0;
    type = zn_rd16(f + 16);
    off = ZN_ETH_VLAN_HDR_LEN;
  }
  if (type != ZN_ETHERTYPE_IPV4 || len - off < ZN_IPV4_HDR_LEN)
    return 0;
  return off;
}

static void fix_udp(uint8_t *u, size_t len, uint32_t src, uint32_t dst) {
  size_t ulen = zn_rd16(u + 4);
  if (ulen < ZN_UDP_HEADER_LEN || ulen > len)
    ulen = len;
  zn_wr16(u + 6, 0);
  uint32_t sum = zn_csum_pseudo(src, dst, ZN_IPPROTO_UDP, (uint16_t)ulen);
  uint16_t c = zn_csum_fold(zn_csum_add(sum, u, ulen));
  zn_wr16(u + 6, c ? c : 0xffff);
}

void fz_fix_checksums(uint8_t *f, size_t len) {
  size_t off = fz_ipv4_off(f, len);
  if (off == 0)
    return;
  uint8_t *ip = f + off;
  size_t avail = len - off;
  size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
  if (ihl < ZN_IPV4_HDR_LEN || ihl > avail)
    return;
  zn_wr16(ip + 10, 0);
  zn_wr16(ip + 10, zn_csum(ip, ihl));
  size_t tot = zn_rd16(ip + 2);
  if (tot > avail)
    tot = avail;
  if (tot < ihl || (zn_rd16(ip + 6) & (ZN_IPV4_MF | ZN_IPV4_OFFMASK)))
    return;
  uint8_t *l4 = ip + ihl;
  size_t l4len = tot - ihl;
  uint32_t src = zn_rd32(ip + 12), dst = zn_rd32(ip + 16);
  switch (ip[9]) {
  case ZN_IPPROTO_ICMP:
    if (l4len >= ZN_ICMP_HDR_LEN)
      zn_icmp_finish(l4, l4len);
    break;
  case ZN_IPPROTO_UDP:
    if (l4len >= ZN_UDP_HEADER_LEN)
      fix_udp(l4, l4len, src, dst);
    break;
  case ZN_IPPROTO_TCP:
    if (l4len >= ZN_TCP_HDR_LEN)
      zn_tcp_finish(l4, l4len, src, dst);
    break;
  default:
    break;
  }
}

bool fz_inject(struct zn_stack *st, const uint8_t *frame, size_t len) {
  struct zn_buf *b = zn_stack_buf_alloc(st, len);
  uint8_t *p = b ? zn_buf_put(b, len) : NULL;
  if (!p) {
    zn_buf_free(b);
    return false;
  }
  memcpy(p, frame, len);
  zn_stack_input(st, b);
  zn_stack_flush(st);
  return true;
}

/* ---- stacks ----------------------------------------------------------- */

void fz_config(struct zn_config *cfg, uint8_t last) {
  th_config(cfg, ZN_IPV4(10, 0, 0, last), 24, last);
  cfg->arp_announce = false;
  cfg->nbufs = 128;
  cfg->nbigbufs = 2;
  cfg->arp_entries = 16;
  cfg->reass_slots = 4;
  cfg->reass_timeout_ms = 2000;
  cfg->udp_socks = 8;
  cfg->udp_rxq = 8;
  cfg->tcp_conns = 16;
  cfg->tcp_backlog = 4;
  cfg->tcp_sndbuf = 16384;
  cfg->tcp_rcvbuf = 16384;
  cfg->tcp_msl_ms = 1000;
  cfg->tcp_fw2_ms = 3000;
  cfg->tcp_rto_max_ms = 4000;
  cfg->tcp_retries = 4;
  cfg->tcp_syn_retries = 2;
}

/* Rounds at one instant while frames keep flowing, and rounds in all,
 * before a run counts as a livelock. */
#define FZ_SAME_TIME_ROUNDS 20000u
#define FZ_ROUNDS 400000u

/* The clock of n stacks joined by link: poll them all at *now until no
 * frame is in flight, then move to the earliest deadline (at least 1 ns
 * on, at most to the end), until the end is reached and all is quiet.
 * With `discard`, what arrives at the b end is thrown away (nobody is
 * there). */
static void run_clock(struct zn_stack *const *st, int n,
                      struct zn_memlink *link, bool discard, uint64_t *now,
                      uint64_t dur) {
  const uint64_t end = *now + dur;
  uint32_t same = 0;
  for (uint32_t round = 0; round < FZ_ROUNDS; round++) {
    uint64_t next = ZN_TIME_NEVER;
    for (int i = 0; i < n; i++)
      zn_stack_poll(st[i], *now);
    if (discard)
      zn_bufq_purge(&link->b.rxq);
    if (link->a.rxq.count + link->b.rxq.count > 0) {
      if (++same > FZ_SAME_TIME_ROUNDS)
        fz_fail(__FILE__, __LINE__, "frames keep flowing at t=%llu ns",
                (unsigned long long)*now);
      continue;
    }
    same = 0;
    if (*now >= end)
      return;
    for (int i = 0; i < n; i++) {
      uint64_t d = zn_stack_next_deadline(st[i]);
      next = d < next ? d : next;
    }
    *now = next <= *now ? *now + 1 : next < end ? next : end;
  }
  fz_fail(__FILE__, __LINE__, "the stacks did not settle by t=%llu ns",
          (unsigned long long)*now);
}

void fz_pair_run(struct fz_pair *p, uint64_t dur) {
  struct zn_stack *st[2] = {p->a, p->b};
  run_clock(st, 2, &p->link, false, &p->now, dur);
}

void fz_pair_free(struct fz_pair *p) {
  zn_memlink_purge(&p->link);
  th_stack_free(p->a);
  th_stack_free(p->b);
  fz_check_harness();
}

uint32_t fz_tcp_used(const struct zn_stack *st) { return ZN__MOD(st, tcp)->nused; }

uint32_t fz_udp_open(const struct zn_stack *st) { return ZN__MOD(st, udp)->nopen; }

void fz_check_stack(const struct zn_stack *st) {
  uint64_t n = zn_stat(st, ZN_STAT_tcp_impossible);
  if (n)
    fz_fail(__FILE__, __LINE__, "tcp_impossible = %llu",
            (unsigned long long)n);
}

/* ---- the server --------------------------------------------------------- */

static void srv_track(struct fz_server *s, struct zn_tcp_conn *c) {
  s->opened++;
  for (int i = 0; i < FZ_MAX_CONNS; i++) {
    if (!s->conns[i]) {
      s->conns[i] = c;
      return;
    }
  }
  zn_tcp_close(c); /* no slot: closed at once, on_closed still follows */
}

static void srv_accept(struct zn_tcp_conn *l, void *arg) {
  struct fz_server *s = arg;
  struct zn_tcp_conn *c;
  for (int i = 0; i < FZ_MAX_CONNS && zn_tcp_accept(l, &c) == ZN_OK; i++)
    srv_track(s, c);
}

/* Echo what arrives; at the end of the stream, half-close. */
static void srv_echo(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  uint8_t buf[2048];
  long n = 0;
  for (int i = 0; i < 64; i++) {
    n = zn_tcp_read(c, buf, sizeof(buf));
    if (n <= 0)
      break;
    (void)zn_tcp_write(c, buf, (size_t)n); /* what does not fit is lost */
  }
  if (n == 0)
    (void)zn_tcp_shutdown(c);
}

static void srv_closed(struct zn_tcp_conn *c, void *arg) {
  struct fz_server *s = arg;
  s->closed++;
  for (int i = 0; i < FZ_MAX_CONNS; i++)
    if (s->conns[i] == c)
      s->conns[i] = NULL;
  for (int i = 0; i < 2; i++)
    if (s->listener[i] == c)
      s->listener[i] = NULL;
}

static const struct zn_tcp_callbacks srv_echo_cbs = {
    .on_accept = srv_accept, .on_readable = srv_echo,
    .on_closed = srv_closed};
static const struct zn_tcp_callbacks srv_sink_cbs = {
    .on_accept = srv_accept, .on_closed = srv_closed};

static void srv_udp(struct zn_udp_sock *u, void *arg,
                    const struct zn_udp_dgram *d) {
  (void)arg;
  if (!d->bcast)
    (void)zn_udp_sendto(u, &d->src, d->sport, d->data, d->len);
}

void fz_server_start(struct fz_server *s, struct zn_stack *st) {
  memset(s, 0, sizeof(*s));
  s->st = st;
  FZ_CHECK(zn_tcp_listen(st, NULL, 80, 0, &srv_echo_cbs, s, &s->listener[0]) ==
           ZN_OK);
  FZ_CHECK(zn_tcp_listen(st, NULL, 81, 2, &srv_sink_cbs, s, &s->listener[1]) ==
           ZN_OK);
  s->opened = 2;
  FZ_CHECK(zn_udp_open(st, &s->udp) == ZN_OK);
  FZ_CHECK(zn_udp_bind(s->udp, NULL, 7) == ZN_OK);
  zn_udp_set_recv_cb(s->udp, srv_udp, s);
}

void fz_server_close(struct fz_server *s) {
  for (int i = 0; i < 2; i++) {
    if (s->listener[i])
      zn_tcp_close(s->listener[i]);
    s->listener[i] = NULL;
  }
  for (int i = 0; i < FZ_MAX_CONNS; i++) {
    if (s->conns[i])
      zn_tcp_close(s->conns[i]);
    s->conns[i] = NULL;
  }
  zn_udp_close(s->udp);
  s->udp = NULL;
}

/* For the report of a finding: the connections left in st's table. */
static void dump_conns(const struct zn_stack *st) {
  for (uint32_t i = 0; i < st->cfg.tcp_conns; i++) {
    const struct zn_tcp_conn *c = &ZN__MOD(st, tcp)->conns[i];
    if (!c->st)
      continue;
    struct zn_tcp_info ti;
    zn_tcp_get_info(c, &ti);
    if (ti.state == ZN_TCP_CLOSED && ti.lport == 0)
      continue; /* a free slot */
    fprintf(stderr,
            "  %u:%u-%u:%u %s snd_wnd %u unacked %u queued %u rto %u ms "
            "retransmits %llu\n",
            ti.laddr.bytes[3], ti.lport, ti.raddr.bytes[3], ti.rport,
            zn_tcp_state_name((int)ti.state), ti.snd_wnd, ti.unacked,
            ti.queued, ti.rto_ms, (unsigned long long)ti.retransmits);
  }
}

void fz_check_closed(const struct zn_stack *st, uint32_t opened,
                     uint32_t closed) {
  if (closed != opened || fz_tcp_used(st) != 0)
    dump_conns(st);
  if (closed != opened)
    fz_fail(__FILE__, __LINE__, "10.0.0.%u: %u TCP handles made, %u on_closed",
            zn__ip_addr(st) & 0xffu, opened, closed);
  if (fz_tcp_used(st) != 0)
    fz_fail(__FILE__, __LINE__, "%u TCP connections left after close",
            fz_tcp_used(st));
  if (fz_udp_open(st) != 0)
    fz_fail(__FILE__, __LINE__, "%u UDP sockets left after close",
            fz_udp_open(st));
}

/* ---- the solo stack ------------------------------------------------------ */

static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 1};

void fz_solo_init(struct fz_solo *s) {
  memset(s, 0, sizeof(*s));
  struct zn_config cfg;
  fz_config(&cfg, 2);
  zn_memlink_init(&s->link, 0, 64);
  s->st = th_stack_new(&cfg);
  FZ_CHECK(s->st != NULL);
  FZ_CHECK(zn_stack_attach(s->st, &s->link.a.nif) == ZN_OK);
  FZ_CHECK(zn_arp_add_static(s->st, ZN_IPV4(10, 0, 0, 1), peer_mac) == ZN_OK);
  zn_stack_poll(s->st, 0);
  fz_server_start(&s->srv, s->st);
}

void fz_solo_init6(struct fz_solo *s) {
  static const uint8_t ll[16] = {0xfe, 0x80, [15] = 2};
  static const uint8_t gl[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
  static const uint8_t peer[16] = {0xfe, 0x80, [15] = 1};
  memset(s, 0, sizeof(*s));
  struct zn_config cfg;
  fz_config(&cfg, 2);
  cfg.ipv6 = true;
  cfg.ipv6_dad_transmits = 0; /* usable at once: a tentative address drops
                                 every datagram sent to it */
  cfg.nd_entries = 8;
  cfg.ip6_reass_slots = 4;
  cfg.ip6_reass_timeout_ms = 2000;
  zn_memlink_init(&s->link, 0, 64);
  s->st = th_stack_new(&cfg);
  FZ_CHECK(s->st != NULL);
  FZ_CHECK(zn_stack_attach(s->st, &s->link.a.nif) == ZN_OK);
  struct zn_ip a = zn_ip_from_v6(ll), b = zn_ip_from_v6(gl);
  FZ_CHECK(zn_stack_add_ipv6(s->st, &a, 64) == ZN_OK);
  FZ_CHECK(zn_stack_add_ipv6(s->st, &b, 64) == ZN_OK);
  zn_stack_poll(s->st, 0);
  zn__nd_learn(s->st, peer, peer_mac, false);
  fz_server_start(&s->srv, s->st);
}

void fz_solo_run(struct fz_solo *s, uint64_t dur) {
  run_clock(&s->st, 1, &s->link, true, &s->now, dur);
}

void fz_solo_free(struct fz_solo *s) {
  fz_server_close(&s->srv);
  fz_solo_run(s, ZN_SEC(120));
  fz_check_stack(s->st);
  fz_check_closed(s->st, s->srv.opened, s->srv.closed);
  zn_memlink_purge(&s->link);
  th_stack_free(s->st);
  fz_check_harness();
}

void fz_solo_inject(struct fz_solo *s, const uint8_t *frame, size_t len) {
  /* The solo's pools are idle when a harness feeds it: a frame goes
   * without a buffer only when it is longer than any. */
  bool in = fz_inject(s->st, frame, len);
  FZ_CHECK(in || len > FZ_FRAME_MAX);
}

void fz_solo_feed_l3(struct fz_solo *s, uint16_t type, const uint8_t *p,
                     size_t len) {
  uint8_t *f = malloc(ZN_ETH_HDR_LEN + len);
  FZ_CHECK(f != NULL);
  zn_eth_emit(f, zn_stack_mac(s->st), peer_mac, type);
  if (len)
    memcpy(f + ZN_ETH_HDR_LEN, p, len);
  fz_solo_inject(s, f, ZN_ETH_HDR_LEN + len);
  free(f);
}

void fz_solo_feed_ip(struct fz_solo *s, uint8_t proto, const uint8_t *p,
                     size_t len, bool fix) {
  if (len > ZN_IPV4_MAX_LEN - ZN_IPV4_HDR_LEN)
    len = ZN_IPV4_MAX_LEN - ZN_IPV4_HDR_LEN; /* what one datagram holds */
  size_t n = ZN_ETH_HDR_LEN + ZN_IPV4_HDR_LEN + len;
  uint8_t *f = malloc(n);
  FZ_CHECK(f != NULL);
  zn_eth_emit(f, zn_stack_mac(s->st), peer_mac, ZN_ETHERTYPE_IPV4);
  struct zn_ipv4_hdr h = {0};
  h.ttl = 64;
  h.proto = proto;
  h.id = 1;
  h.tot_len = (uint16_t)(ZN_IPV4_HDR_LEN + len);
  h.src = ZN_IPV4(10, 0, 0, 1);
  h.dst = ZN_IPV4(10, 0, 0, 2);
  zn_ipv4_emit(f + ZN_ETH_HDR_LEN, &h);
  if (len)
    memcpy(f + ZN_ETH_HDR_LEN + ZN_IPV4_HDR_LEN, p, len);
  if (fix)
    fz_fix_checksums(f, n);
  fz_solo_inject(s, f, n);
  free(f);
}
