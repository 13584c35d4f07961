/*
 * The DHCPv4 client (src/dhcp4) against scripted servers on a virtual
 * clock: one stack alone on a memlink, the test reading every frame it
 * sends (DHCP messages parsed with the wire view, ARP probes and
 * announcements) and answering as a server would, frame by frame through
 * the stack's input (Ethernet, IPv4, UDP), so the IPv4 hook that takes
 * unicast replies before the stack has an address is exercised too.
 *
 * Every state and transition of RFC 2131 figure 5 is reached; the timing
 * (start delay, RFC 2131 4.1 backoff bounds, T1, T2, 4.4.5's halving,
 * RFC 5227's probe spacing) is measured on the virtual clock; bad replies
 * are each counted under their own drop counter and change nothing.
 */
#include "core/stack_int.h"
#include "internals.h"
#include "proto_util.h"
#include "znet/dhcp4.h"
#include "znet/err.h"
#include "znet/wire.h"

#define MSEC 1000000ull
#define SECS 1000000000ull

#define SRV_IP ZN_IPV4(192, 0, 2, 1)
#define SRV2_IP ZN_IPV4(192, 0, 2, 2)
#define ROUTER_IP ZN_IPV4(192, 0, 2, 254)
#define OFFER_IP ZN_IPV4(192, 0, 2, 50)
#define DNS1 ZN_IPV4(198, 51, 100, 53)
#define DNS2 ZN_IPV4(198, 51, 100, 54)
#define LEASE 3600u
static const uint8_t SRV_MAC[6] = {2, 0, 0, 0, 0, 0xaa};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* ---- the fixture ------------------------------------------------------ */

struct event {
  enum zn_dhcp4_event ev;
  struct zn_dhcp4_lease lease;
};

struct t {
  struct solo s;
  struct zn_stack *st;
  uint64_t now;
  /* ARP frames the stack sent, as they were seen. */
  int probes;              /* sender 0.0.0.0: RFC 5227 probes */
  int announces;           /* sender == target: announcements */
  uint64_t probe_at[8];
  uint32_t probe_target;
  int arp_other;
  uint32_t udp_dst;        /* the last UDP datagram not DHCP: to where */
  uint16_t udp_dport;
  struct event ev[8];
  int nev;
};

/* A DHCP message the stack sent. */
struct sent {
  uint8_t eth_dst[6];
  uint32_t ip_src, ip_dst;
  uint16_t sport, dport;
  bool csum_ok;
  uint8_t p[1500];
  size_t len;
  struct zn_dhcp4_view v;
  uint64_t at;
};

static void on_event(struct zn_stack *st, void *arg, enum zn_dhcp4_event ev,
                     const struct zn_dhcp4_lease *lease) {
  struct t *t = arg;
  (void)st;
  if (t->nev < 8) {
    t->ev[t->nev].ev = ev;
    t->ev[t->nev].lease = *lease;
  }
  t->nev++;
}

static void cfg_dhcp(struct zn_config *c) {
  th_config(c, 0, 0, 1); /* MAC_A, no address */
  c->dhcp4.enable = true;
  c->dhcp4.start_delay_ms = 0;
}

static void t_init_cfg(struct t *t, const struct zn_config *c) {
  memset(t, 0, sizeof(*t));
  struct zn_config cc = *c;
  solo_init(&t->s, &cc);
  t->st = t->s.st;
  if (t->st)
    zn_dhcp4_set_event_cb(t->st, on_event, t);
  t->now = MSEC;
}

static void t_init(struct t *t) {
  struct zn_config c;
  cfg_dhcp(&c);
  t_init_cfg(t, &c);
}

static void t_free(struct t *t) {
  ZT_EQ(th_check_accounting(t->st), 0);
  solo_free(&t->s);
}

#define S(t, name) zn_stat((t)->st, ZN_STAT_##name)

/* Look at one frame the stack sent: a DHCP message fills *out (true);
 * ARP frames are tallied; anything else is counted in arp_other. */
static bool classify(struct t *t, struct zn_buf *b, struct sent *out) {
  const uint8_t *f = b->data;
  if (b->len >= 42 && zn_rd16(f + 12) == ZN_ETHERTYPE_ARP) {
    uint32_t spa = zn_rd32(f + 14 + 14), tpa = zn_rd32(f + 14 + 24);
    if (spa == 0) {
      if (t->probes < 8)
        t->probe_at[t->probes] = t->now;
      t->probes++;
      t->probe_target = tpa;
      ZT_MEMEQ(f, BCAST, 6);
      ZT_MEMEQ(f + 14 + 8, MAC_A, 6);
    } else if (spa == tpa) {
      t->announces++;
    } else {
      t->arp_other++;
    }
    return false;
  }
  if (b->len < 14 + 20 + 8 || zn_rd16(f + 12) != ZN_ETHERTYPE_IPV4 ||
      f[14 + 9] != ZN_IPPROTO_UDP) {
    t->arp_other++;
    return false;
  }
  const uint8_t *u = f + 34;
  size_t ulen = zn_rd16(u + 4);
  if (zn_rd16(u + 2) != ZN_DHCP4_SERVER_PORT) {
    t->udp_dst = zn_rd32(f + 14 + 16);
    t->udp_dport = zn_rd16(u + 2);
    return false;
  }
  memcpy(out->eth_dst, f, 6);
  out->ip_src = zn_rd32(f + 14 + 12);
  out->ip_dst = zn_rd32(f + 14 + 16);
  out->sport = zn_rd16(u);
  out->dport = zn_rd16(u + 2);
  struct zn_udp_view uv;
  out->csum_ok = zn_udp_view_init(&uv, u, b->len - 34) == ZN_OK &&
                 zn_udp_csum_ok(&uv, out->ip_src, out->ip_dst) &&
                 uv.csum != 0;
  out->len = ulen - 8;
  memcpy(out->p, u + 8, out->len);
  out->at = t->now;
  ZT_EQ(zn_dhcp4_view_init(&out->v, out->p, out->len), ZN_OK);
  return true;
}

/* Pop what the stack sent; true with the first DHCP message in *out. */
static bool drain(struct t *t, struct sent *out) {
  struct zn_buf *b;
  while ((b = sent_pop(&t->s.link.b)) != NULL) {
    bool dhcp = classify(t, b, out);
    zn_buf_free(b);
    if (dhcp)
      return true;
  }
  return false;
}

/* Move the clock to the next deadline (at most `limit`) and poll. */
static void step(struct t *t, uint64_t limit) {
  uint64_t next = zn_stack_next_deadline(t->st);
  if (next <= t->now) /* due now: the next ms, times stay whole ms */
    next = (t->now / MSEC + 1) * MSEC;
  if (next > limit)
    next = limit;
  t->now = next;
  zn_stack_poll(t->st, t->now);
}

/* Run until the stack sends a DHCP message (true, *out) or `limit`. */
static bool await(struct t *t, uint64_t limit, struct sent *out) {
  for (int guard = 0; guard < 100000; guard++) {
    if (drain(t, out))
      return true;
    if (t->now >= limit)
      return false;
    step(t, limit);
  }
  zt_fail(__FILE__, __LINE__, "await did not settle");
  return false;
}

/* Run until `until`, DHCP messages counted in *n (may be NULL). */
static void run_to(struct t *t, uint64_t until, int *n) {
  struct sent s;
  while (t->now < until || drain(t, &s)) {
    if (drain(t, &s)) {
      if (n)
        (*n)++;
      continue;
    }
    step(t, until);
  }
}

/* An option of a sent message, joined; its length, -1 if absent. */
static int sent_opt(const struct sent *s, uint8_t code, uint8_t *buf,
                    size_t cap) {
  size_t n;
  int rc = zn_dhcp4_opt_get(&s->v, code, buf, cap, &n);
  return rc == ZN_OK ? (int)n : -1;
}

static uint32_t sent_opt32(const struct sent *s, uint8_t code) {
  uint8_t b[4];
  return sent_opt(s, code, b, 4) == 4 ? zn_rd32(b) : 0;
}

/* ---- the scripted server ---------------------------------------------- */

struct msg {
  uint8_t p[1400];
  size_t len;
  bool done; /* ended (and padded) already */
};

static void srv_begin(struct msg *m, uint8_t type, uint32_t xid,
                      uint32_t yiaddr) {
  struct zn_dhcp4_hdr h;
  memset(m, 0, sizeof(*m));
  memset(&h, 0, sizeof(h));
  h.op = ZN_DHCP4_OP_REPLY;
  h.xid = xid;
  h.yiaddr = yiaddr;
  h.siaddr = SRV_IP;
  memcpy(h.chaddr, MAC_A, 6);
  m->len = zn_dhcp4_emit(m->p, &h);
  if (type)
    m->len += zn_dhcp4_opt_emit(m->p + m->len, ZN_DHCP4_OPT_MSG_TYPE, &type, 1);
}

static void srv_opt(struct msg *m, uint8_t code, const void *d, size_t n) {
  m->len += zn_dhcp4_opt_emit(m->p + m->len, code, d, n);
}

static void srv_opt32(struct msg *m, uint8_t code, uint32_t v) {
  uint8_t b[4];
  zn_wr32(b, v);
  srv_opt(m, code, b, 4);
}

static void srv_opt16(struct msg *m, uint8_t code, uint16_t v) {
  uint8_t b[2];
  zn_wr16(b, v);
  srv_opt(m, code, b, 2);
}

/* Server id, lease time, /24, router, two DNS servers. */
static void srv_lease(struct msg *m, uint32_t server, uint32_t lease) {
  srv_opt32(m, ZN_DHCP4_OPT_SERVER_ID, server);
  srv_opt32(m, ZN_DHCP4_OPT_LEASE_TIME, lease);
  srv_opt32(m, ZN_DHCP4_OPT_SUBNET_MASK, 0xffffff00u);
  srv_opt32(m, ZN_DHCP4_OPT_ROUTER, ROUTER_IP);
  uint8_t dns[8];
  zn_wr32(dns, DNS1);
  zn_wr32(dns + 4, DNS2);
  srv_opt(m, ZN_DHCP4_OPT_DNS, dns, 8);
}

/* Send m from SRV_IP:67 (or from src) to ip_dst:68, in a frame to our
 * MAC, or broadcast when ip_dst is. */
static void srv_send_from(struct t *t, const struct msg *m, uint32_t src,
                          uint16_t sport, uint32_t ip_dst) {
  uint8_t u[1500], f[1600];
  size_t ulen = m->len + 8;
  memcpy(u + 8, m->p, m->len);
  zn_udp_emit(u, sport, ZN_DHCP4_CLIENT_PORT, ulen, src, ip_dst);
  size_t n = mk_ip(f, ip_dst == ZN_IPV4_BCAST ? BCAST : MAC_A, SRV_MAC, src,
                   ip_dst, ZN_IPPROTO_UDP, 7, 0, u, ulen);
  inject(t->st, f, n);
}

static void srv_send(struct t *t, struct msg *m, uint32_t ip_dst) {
  if (!m->done)
    m->len = zn_dhcp4_finish(m->p, m->len);
  m->done = true;
  srv_send_from(t, m, SRV_IP, ZN_DHCP4_SERVER_PORT, ip_dst);
}

static void offer(struct t *t, uint32_t xid) {
  struct msg m;
  srv_begin(&m, ZN_DHCP4_OFFER, xid, OFFER_IP);
  srv_lease(&m, SRV_IP, LEASE);
  srv_send(t, &m, OFFER_IP); /* unicast to the address offered */
}

static void ack(struct t *t, uint32_t xid, uint32_t lease) {
  struct msg m;
  srv_begin(&m, ZN_DHCP4_ACK, xid, OFFER_IP);
  srv_lease(&m, SRV_IP, lease);
  srv_send(t, &m, OFFER_IP);
}

static void nak(struct t *t, uint32_t xid, uint32_t server) {
  struct msg m;
  srv_begin(&m, ZN_DHCP4_NAK, xid, 0);
  srv_opt32(&m, ZN_DHCP4_OPT_SERVER_ID, server);
  srv_send(t, &m, ZN_IPV4_BCAST);
}

/* From start to SELECTING: the first DISCOVER. */
static void discover(struct t *t, struct sent *d) {
  ZT_CHECK(await(t, t->now + 30 * SECS, d));
  ZT_EQ(d->v.msg_type, ZN_DHCP4_DISCOVER);
}

/* SELECTING -> REQUESTING: the REQUEST that answers an offer. */
static void to_requesting(struct t *t, struct sent *d, struct sent *r) {
  discover(t, d);
  offer(t, d->v.xid);
  ZT_CHECK(await(t, t->now + SECS, r));
  ZT_EQ(r->v.msg_type, ZN_DHCP4_REQUEST);
}

/* ... -> PROBING -> BOUND; false (and the case failed) if not bound. */
static bool to_bound(struct t *t, uint32_t lease) {
  struct sent d, r;
  to_requesting(t, &d, &r);
  ack(t, r.v.xid, lease);
  run_to(t, t->now + 8 * SECS, NULL);
  ZT_EQ(zn_dhcp4_state(t->st), ZN_DHCP4_BOUND);
  return zn_dhcp4_state(t->st) == ZN_DHCP4_BOUND;
}

/* ---- INIT, SELECTING ------------------------------------------------ */

ZT_TEST(test_init_discover_after_start_delay) {
  struct zn_config c;
  cfg_dhcp(&c);
  c.dhcp4.start_delay_ms = ZN_DHCP4_START_DELAY_DEFAULT_MS;
  strcpy(c.dhcp4.hostname, "znet-test");
  struct t t;
  t_init_cfg(&t, &c);
  ZT_REQUIRE(t.st != NULL);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_OFF); /* not started before a poll */
  zn_stack_poll(t.st, t.now);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_INIT);
  struct sent d;
  ZT_CHECK(await(&t, 20 * SECS, &d));
  /* RFC 2131 4.4.1: one to ten seconds. */
  ZT_CHECK(d.at >= MSEC + SECS && d.at <= MSEC + 10 * SECS);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_SELECTING);
  ZT_MEMEQ(d.eth_dst, BCAST, 6);
  ZT_EQU(d.ip_src, 0);
  ZT_EQU(d.ip_dst, ZN_IPV4_BCAST);
  ZT_EQ(d.sport, 68);
  ZT_EQ(d.dport, 67);
  ZT_CHECK(d.csum_ok);
  ZT_CHECK(d.len >= 300);
  ZT_EQ(d.v.op, ZN_DHCP4_OP_REQUEST);
  ZT_EQ(d.v.htype, 1);
  ZT_EQ(d.v.hlen, 6);
  ZT_EQ(d.v.secs, 0);
  ZT_EQ(d.v.flags, 0); /* unicast replies are taken: no BROADCAST bit */
  ZT_EQU(d.v.ciaddr, 0);
  ZT_MEMEQ(d.v.chaddr, MAC_A, 6);
  uint8_t b[64];
  ZT_EQ(sent_opt(&d, ZN_DHCP4_OPT_CLIENT_ID, b, sizeof(b)), 7);
  ZT_EQ(b[0], 1);
  ZT_MEMEQ(b + 1, MAC_A, 6);
  ZT_EQ(sent_opt(&d, ZN_DHCP4_OPT_HOSTNAME, b, sizeof(b)), 9);
  ZT_MEMEQ(b, "znet-test", 9);
  ZT_EQ(sent_opt(&d, ZN_DHCP4_OPT_MAX_MSG_SIZE, b, sizeof(b)), 2);
  ZT_EQ(zn_rd16(b), 1500);
  int n = sent_opt(&d, ZN_DHCP4_OPT_PARAM_LIST, b, sizeof(b));
  ZT_CHECK(n > 0);
  int i121 = -1, i3 = -1, i1 = -1, i6 = -1;
  for (int i = 0; i < n; i++) {
    if (b[i] == 121)
      i121 = i;
    if (b[i] == 3)
      i3 = i;
    if (b[i] == 1)
      i1 = i;
    if (b[i] == 6)
      i6 = i;
  }
  ZT_CHECK(i121 >= 0 && i3 > i121); /* RFC 3442: 121 before 3 */
  ZT_CHECK(i1 >= 0 && i6 >= 0);
  ZT_EQ(sent_opt(&d, ZN_DHCP4_OPT_REQUESTED_IP, b, sizeof(b)), -1);
  ZT_EQ(sent_opt(&d, ZN_DHCP4_OPT_SERVER_ID, b, sizeof(b)), -1);
  t_free(&t);
}

/* RFC 2131 4.1: 4, 8, 16, 32, 64, 64 s, each within +-1 s, same xid,
 * secs counting the seconds since the first. */
ZT_TEST(test_selecting_backoff_bounds) {
  static const uint64_t base[] = {4, 8, 16, 32, 64, 64, 64};
  uint64_t first_gaps[2];
  for (int run = 0; run < 2; run++) {
    struct zn_config c;
    cfg_dhcp(&c);
    c.seed[0] = (uint8_t)(c.seed[0] + run);
    struct t t;
    t_init_cfg(&t, &c);
    ZT_REQUIRE(t.st != NULL);
    struct sent d, e;
    discover(&t, &d);
    uint64_t t0 = d.at;
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
      ZT_REQUIRE(await(&t, t.now + 70 * SECS, &e));
      ZT_EQ(e.v.msg_type, ZN_DHCP4_DISCOVER);
      ZT_EQU(e.v.xid, d.v.xid);
      uint64_t gap = e.at - d.at;
      ZT_CHECK(gap >= (base[i] - 1) * SECS && gap <= (base[i] + 1) * SECS);
      ZT_EQ(e.v.secs, (e.at - t0) / SECS);
      if (i == 0)
        first_gaps[run] = gap;
      d = e;
    }
    ZT_EQ(S(&t, dhcp4_discover_tx), 8);
    t_free(&t);
  }
  /* The jitter comes from the CSPRNG: two seeds, two first gaps. */
  ZT_CHECK(first_gaps[0] != first_gaps[1]);
}

ZT_TEST(test_selecting_offer_requests_it) {
  struct t t;
  t_init(&t);
  struct sent d, r;
  discover(&t, &d);
  run_to(&t, t.now + 2 * SECS, NULL); /* secs of the DISCOVER: 0 */
  offer(&t, d.v.xid);
  ZT_CHECK(await(&t, t.now + SECS, &r));
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_REQUESTING);
  ZT_EQ(S(&t, dhcp4_offer_rx), 1);
  ZT_EQ(S(&t, ip_drop_not_for_us), 0); /* the unicast offer came in */
  ZT_EQ(r.v.msg_type, ZN_DHCP4_REQUEST);
  ZT_EQU(r.v.xid, d.v.xid);
  ZT_EQ(r.v.secs, d.v.secs); /* 4.4.1: the DISCOVER's */
  ZT_EQU(r.v.ciaddr, 0);
  ZT_EQU(r.ip_src, 0);
  ZT_EQU(r.ip_dst, ZN_IPV4_BCAST);
  ZT_MEMEQ(r.eth_dst, BCAST, 6);
  ZT_CHECK(r.csum_ok);
  ZT_EQU(sent_opt32(&r, ZN_DHCP4_OPT_REQUESTED_IP), OFFER_IP);
  ZT_EQU(sent_opt32(&r, ZN_DHCP4_OPT_SERVER_ID), SRV_IP);
  /* The stack has no address yet. */
  uint32_t a;
  zn_stack_get_ipv4(t.st, &a, NULL, NULL);
  ZT_EQU(a, 0);
  t_free(&t);
}

ZT_TEST(test_selecting_second_offer_ignored) {
  struct t t;
  t_init(&t);
  struct sent d, r;
  to_requesting(&t, &d, &r);
  offer(&t, d.v.xid); /* another server's late offer */
  ZT_EQ(S(&t, dhcp4_drop_type), 1);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_REQUESTING);
  t_free(&t);
}

ZT_TEST(test_requesting_no_answer_restarts_init) {
  struct t t;
  t_init(&t);
  struct sent d, r, e;
  to_requesting(&t, &d, &r);
  static const uint64_t base[] = {4, 8, 16};
  for (int i = 0; i < 3; i++) {
    ZT_REQUIRE(await(&t, t.now + 20 * SECS, &e));
    ZT_EQ(e.v.msg_type, ZN_DHCP4_REQUEST);
    ZT_EQ(e.v.secs, r.v.secs);
    uint64_t gap = e.at - r.at;
    ZT_CHECK(gap >= (base[i] - 1) * SECS && gap <= (base[i] + 1) * SECS);
    r = e;
  }
  /* After the fourth REQUEST, 32 +-1 s: back to INIT and a DISCOVER. */
  ZT_REQUIRE(await(&t, t.now + 40 * SECS, &e));
  ZT_EQ(e.v.msg_type, ZN_DHCP4_DISCOVER);
  ZT_CHECK(e.at - r.at >= 31 * SECS && e.at - r.at <= 33 * SECS);
  ZT_CHECK(e.v.xid != d.v.xid);
  ZT_EQ(S(&t, dhcp4_request_timeout), 1);
  ZT_EQ(S(&t, dhcp4_request_tx), 4);
  t_free(&t);
}

ZT_TEST(test_requesting_nak_restarts_init) {
  struct zn_config c;
  cfg_dhcp(&c);
  c.dhcp4.start_delay_ms = 5000;
  struct t t;
  t_init_cfg(&t, &c);
  struct sent d, r, e;
  to_requesting(&t, &d, &r);
  nak(&t, r.v.xid, SRV2_IP); /* not our server: ignored */
  ZT_EQ(S(&t, dhcp4_drop_server), 1);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_REQUESTING);
  uint64_t at = t.now;
  nak(&t, r.v.xid, SRV_IP);
  ZT_EQ(S(&t, dhcp4_nak_rx), 1);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_INIT);
  ZT_REQUIRE(await(&t, t.now + 10 * SECS, &e));
  ZT_EQ(e.v.msg_type, ZN_DHCP4_DISCOVER);
  ZT_CHECK(e.at - at >= 500 * MSEC && e.at - at <= 5 * SECS);
  ZT_CHECK(e.v.xid != r.v.xid);
  ZT_EQ(t.nev, 0); /* never bound, nothing lost */
  t_free(&t);
}

/* ---- PROBING (RFC 5227), BOUND ---------------------------------------- */

ZT_TEST(test_requesting_ack_probes_then_bound) {
  struct t t;
  t_init(&t);
  struct sent d, r;
  to_requesting(&t, &d, &r);
  uint64_t req_at = r.at;
  ack(&t, r.v.xid, LEASE);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_PROBING);
  uint64_t acked = t.now;
  run_to(&t, acked + 10 * SECS, NULL);
  ZT_EQ(t.probes, 3);
  ZT_EQU(t.probe_target, OFFER_IP);
  /* PROBE_WAIT 0..1 s, then PROBE_MIN..PROBE_MAX (1..2 s) apart. */
  ZT_CHECK(t.probe_at[0] - acked <= SECS);
  for (int i = 1; i < 3; i++)
    ZT_CHECK(t.probe_at[i] - t.probe_at[i - 1] >= SECS &&
             t.probe_at[i] - t.probe_at[i - 1] <= 2 * SECS);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_BOUND);
  ZT_EQ(S(&t, dhcp4_bound), 1);
  /* ANNOUNCE_WAIT after the last probe, then the ARP module announces
   * twice, 2 s apart. */
  ZT_EQ(t.announces, 2);
  uint32_t a, gw;
  uint8_t p;
  zn_stack_get_ipv4(t.st, &a, &p, &gw);
  ZT_EQU(a, OFFER_IP);
  ZT_EQ(p, 24);
  ZT_EQU(gw, ROUTER_IP);
  ZT_EQ(t.nev, 1);
  ZT_EQ(t.ev[0].ev, ZN_DHCP4_EV_BOUND);
  ZT_EQU(t.ev[0].lease.addr, OFFER_IP);
  struct zn_dhcp4_lease l;
  ZT_EQ(zn_dhcp4_lease(t.st, &l), ZN_OK);
  ZT_EQ(l.state, ZN_DHCP4_BOUND);
  ZT_EQU(l.addr, OFFER_IP);
  ZT_EQ(l.prefix, 24);
  ZT_EQU(l.router, ROUTER_IP);
  ZT_EQU(l.server, SRV_IP);
  ZT_EQU(l.bcast, ZN_IPV4(192, 0, 2, 255));
  ZT_EQ(l.ndns, 2);
  ZT_EQU(l.dns[0], DNS1);
  ZT_EQU(l.dns[1], DNS2);
  ZT_EQU(l.lease_s, LEASE);
  ZT_EQU(l.t1_s, LEASE / 2);
  ZT_EQU(l.t2_s, LEASE * 7 / 8);
  /* The lease counts from the REQUEST (4.4.1), not from the binding. */
  ZT_EQU(l.expires_at, req_at + (uint64_t)LEASE * SECS);
  ZT_EQU(l.t1_at, req_at + (uint64_t)LEASE / 2 * SECS);
  ZT_CHECK(l.lease_left_s < LEASE && l.lease_left_s > LEASE - 20);
  struct zn_ip ip;
  ZT_EQ(zn_dhcp4_dns_server(t.st, 1, &ip), ZN_OK);
  ZT_EQU(zn_ip_v4(&ip), DNS2);
  ZT_EQ(zn_dhcp4_dns_server(t.st, 2, &ip), ZN_ENOENT);
  /* Bound, it answers ARP for the address and pings. */
  uint8_t f[64], echo[16];
  size_t n = mk_ip(f, MAC_A, SRV_MAC, SRV_IP, OFFER_IP, ZN_IPPROTO_ICMP, 1, 0,
                   echo, mk_echo(echo, 1, 1, 8));
  zn_arp_add_static(t.st, SRV_IP, SRV_MAC);
  inject(t.st, f, n);
  ZT_EQ(S(&t, icmp_echo_rx), 1);
  t_free(&t);
}

ZT_TEST(test_probing_conflict_declines) {
  struct t t;
  t_init(&t);
  struct sent d, r, e;
  to_requesting(&t, &d, &r);
  ack(&t, r.v.xid, LEASE);
  run_to(&t, t.now + 1500 * MSEC, NULL);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_PROBING);
  /* Our own probe coming back (a hub, a looping bridge) is no conflict. */
  uint8_t f[64];
  static const uint8_t zero[6];
  zn_eth_emit(f, BCAST, MAC_A, ZN_ETHERTYPE_ARP);
  zn_arp_emit(f + 14, ZN_ARP_OP_REQUEST, MAC_A, 0, zero, OFFER_IP);
  inject(t.st, f, 42);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_PROBING);
  /* Another host answers for the address. */
  zn_eth_emit(f, MAC_A, MAC_X, ZN_ETHERTYPE_ARP);
  zn_arp_emit(f + 14, ZN_ARP_OP_REPLY, MAC_X, OFFER_IP, MAC_A, 0);
  uint64_t at = t.now;
  inject(t.st, f, 42);
  ZT_EQ(S(&t, dhcp4_conflict), 1);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_INIT);
  ZT_REQUIRE(drain(&t, &e));
  ZT_EQ(e.v.msg_type, ZN_DHCP4_DECLINE);
  ZT_EQU(e.ip_src, 0);
  ZT_EQU(e.ip_dst, ZN_IPV4_BCAST);
  ZT_EQU(e.v.ciaddr, 0);
  ZT_EQ(e.v.secs, 0);
  ZT_EQU(sent_opt32(&e, ZN_DHCP4_OPT_REQUESTED_IP), OFFER_IP);
  ZT_EQU(sent_opt32(&e, ZN_DHCP4_OPT_SERVER_ID), SRV_IP);
  /* Never applied; a new DISCOVER 10 s later (RFC 2131 4.4.1), not
   * asking for the declined address. */
  uint32_t a;
  zn_stack_get_ipv4(t.st, &a, NULL, NULL);
  ZT_EQU(a, 0);
  ZT_REQUIRE(await(&t, t.now + 20 * SECS, &e));
  ZT_EQ(e.v.msg_type, ZN_DHCP4_DISCOVER);
  ZT_EQU(e.at - at, 10 * SECS);
  ZT_EQ(sent_opt32(&e, ZN_DHCP4_OPT_REQUESTED_IP), 0);
  ZT_EQ(t.nev, 0);
  t_free(&t);
}

ZT_TEST(test_probing_probe_from_other_host_conflicts) {
  struct t t;
  t_init(&t);
  struct sent d, r;
  to_requesting(&t, &d, &r);
  ack(&t, r.v.xid, LEASE);
  uint8_t f[64];
  static const uint8_t zero[6];
  zn_eth_emit(f, BCAST, MAC_X, ZN_ETHERTYPE_ARP);
  zn_arp_emit(f + 14, ZN_ARP_OP_REQUEST, MAC_X, 0, zero, OFFER_IP);
  inject(t.st, f, 42);
  ZT_EQ(S(&t, dhcp4_conflict), 1);
  ZT_EQ(S(&t, dhcp4_decline_tx), 1);
  t_free(&t);
}

/* RFC 5227 2.1.1: after MAX_CONFLICTS (10), one address a minute. */
ZT_TEST(test_probing_conflict_rate_limited_after_ten) {
  struct t t;
  t_init(&t);
  uint8_t f[64];
  static const uint8_t zero[6];
  zn_eth_emit(f, BCAST, MAC_X, ZN_ETHERTYPE_ARP);
  zn_arp_emit(f + 14, ZN_ARP_OP_REQUEST, MAC_X, 0, zero, OFFER_IP);
  struct sent d, r;
  discover(&t, &d);
  for (int i = 0; i < 11; i++) {
    offer(&t, d.v.xid);
    ZT_REQUIRE(await(&t, t.now + SECS, &r));
    ack(&t, r.v.xid, LEASE);
    inject(t.st, f, 42);
    ZT_REQUIRE(drain(&t, &r));
    ZT_EQ(r.v.msg_type, ZN_DHCP4_DECLINE);
    uint64_t at = t.now;
    ZT_REQUIRE(await(&t, t.now + 70 * SECS, &d));
    ZT_EQ(d.v.msg_type, ZN_DHCP4_DISCOVER);
    ZT_EQU(d.at - at, (i < 9 ? 10 : 60) * SECS);
  }
  ZT_EQ(S(&t, dhcp4_conflict), 11);
  t_free(&t);
}

ZT_TEST(test_bound_t1_renews_unicast) {
  struct t t;
  t_init(&t);
  zn_arp_add_static(t.st, SRV_IP, SRV_MAC);
  ZT_REQUIRE(to_bound(&t, LEASE));
  struct zn_dhcp4_lease l;
  zn_dhcp4_lease(t.st, &l);
  struct sent r;
  ZT_REQUIRE(await(&t, l.t1_at + SECS, &r));
  ZT_EQU(r.at, l.t1_at);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_RENEWING);
  ZT_EQ(r.v.msg_type, ZN_DHCP4_REQUEST);
  ZT_EQU(r.v.ciaddr, OFFER_IP);
  ZT_EQU(r.ip_src, OFFER_IP);
  ZT_EQU(r.ip_dst, SRV_IP);
  ZT_MEMEQ(r.eth_dst, SRV_MAC, 6);
  ZT_CHECK(r.csum_ok);
  ZT_EQ(sent_opt32(&r, ZN_DHCP4_OPT_REQUESTED_IP), 0); /* table 5 */
  ZT_EQ(sent_opt32(&r, ZN_DHCP4_OPT_SERVER_ID), 0);
  ZT_EQ(r.v.secs, 0);
  /* The server ACKs a while later, unicast to our address. */
  run_to(&t, t.now + 5 * SECS, NULL);
  uint64_t renew_req = r.at;
  ack(&t, r.v.xid, LEASE);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_BOUND);
  ZT_EQ(S(&t, dhcp4_renewed), 1);
  ZT_EQ(t.nev, 2);
  ZT_EQ(t.ev[1].ev, ZN_DHCP4_EV_RENEWED);
  zn_dhcp4_lease(t.st, &l);
  ZT_EQU(l.t1_at, renew_req + (uint64_t)LEASE / 2 * SECS);
  ZT_EQU(l.expires_at, renew_req + (uint64_t)LEASE * SECS);
  /* No probe, no announcement for a renewal: the address did not
   * change. */
  ZT_EQ(t.probes, 3);
  ZT_EQ(t.announces, 2);
  t_free(&t);
}

/* RFC 2131 4.4.5: in RENEWING, half the time left to T2, at least 60 s. */
ZT_TEST(test_renewing_retransmit_halves) {
  struct t t;
  t_init(&t);
  zn_arp_add_static(t.st, SRV_IP, SRV_MAC);
  ZT_REQUIRE(to_bound(&t, LEASE));
  struct zn_dhcp4_lease l;
  zn_dhcp4_lease(t.st, &l);
  struct sent r, e;
  ZT_REQUIRE(await(&t, l.t1_at + SECS, &r));
  uint64_t left = l.t2_at - r.at;
  int n = 0;
  while (n < 20 && await(&t, l.t2_at - 1, &e)) {
    uint64_t want = left / 2 > 60 * SECS ? left / 2 : 60 * SECS;
    ZT_CHECK(e.at - r.at >= want && e.at - r.at <= want + MSEC);
    ZT_EQU(e.ip_dst, SRV_IP);
    ZT_EQU(e.v.xid, r.v.xid);
    left = l.t2_at - e.at;
    r = e;
    n++;
  }
  ZT_CHECK(n >= 3);
  t_free(&t);
}

ZT_TEST(test_renewing_t2_rebinds_broadcast) {
  struct t t;
  t_init(&t);
  zn_arp_add_static(t.st, SRV_IP, SRV_MAC);
  ZT_REQUIRE(to_bound(&t, LEASE));
  struct zn_dhcp4_lease l;
  zn_dhcp4_lease(t.st, &l);
  int n = 0;
  run_to(&t, l.t2_at - 1, &n);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_RENEWING);
  struct sent r;
  ZT_REQUIRE(await(&t, l.t2_at + SECS, &r));
  ZT_EQU(r.at, l.t2_at);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_REBINDING);
  ZT_EQ(r.v.msg_type, ZN_DHCP4_REQUEST);
  ZT_EQU(r.ip_src, OFFER_IP);
  ZT_EQU(r.ip_dst, ZN_IPV4_BCAST);
  ZT_MEMEQ(r.eth_dst, BCAST, 6);
  ZT_EQU(r.v.ciaddr, OFFER_IP);
  ZT_EQ(sent_opt32(&r, ZN_DHCP4_OPT_SERVER_ID), 0);
  /* Another server answers: any server may, in REBINDING. */
  struct msg m;
  srv_begin(&m, ZN_DHCP4_ACK, r.v.xid, OFFER_IP);
  srv_lease(&m, SRV2_IP, 7200);
  srv_send(&t, &m, OFFER_IP);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_BOUND);
  zn_dhcp4_lease(t.st, &l);
  ZT_EQU(l.server, SRV2_IP);
  ZT_EQU(l.lease_s, 7200);
  t_free(&t);
}

ZT_TEST(test_rebinding_expiry_removes_address) {
  struct t t;
  t_init(&t);
  zn_arp_add_static(t.st, SRV_IP, SRV_MAC);
  ZT_REQUIRE(to_bound(&t, LEASE));
  struct zn_dhcp4_lease l;
  zn_dhcp4_lease(t.st, &l);
  run_to(&t, l.expires_at - 1, NULL);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_REBINDING);
  uint32_t a;
  zn_stack_get_ipv4(t.st, &a, NULL, NULL);
  ZT_EQU(a, OFFER_IP);
  struct sent d;
  ZT_REQUIRE(await(&t, l.expires_at + SECS, &d));
  ZT_EQU(d.at, l.expires_at); /* INIT at once, no start delay */
  ZT_EQ(d.v.msg_type, ZN_DHCP4_DISCOVER);
  ZT_EQU(d.ip_src, 0);
  /* RFC 2131 4.4.1: it may ask for the address it had. */
  ZT_EQU(sent_opt32(&d, ZN_DHCP4_OPT_REQUESTED_IP), OFFER_IP);
  zn_stack_get_ipv4(t.st, &a, NULL, NULL);
  ZT_EQU(a, 0);
  ZT_EQ(S(&t, dhcp4_expired), 1);
  ZT_EQ(t.nev, 2);
  ZT_EQ(t.ev[1].ev, ZN_DHCP4_EV_LOST);
  ZT_EQU(t.ev[1].lease.addr, OFFER_IP);
  ZT_EQ(t.ev[1].lease.state, ZN_DHCP4_INIT);
  ZT_EQ(zn_dhcp4_lease(t.st, &l), ZN_ENOENT);
  ZT_EQ(l.state, ZN_DHCP4_SELECTING);
  t_free(&t);
}

ZT_TEST(test_renewing_nak_drops_address) {
  struct t t;
  t_init(&t);
  zn_arp_add_static(t.st, SRV_IP, SRV_MAC);
  ZT_REQUIRE(to_bound(&t, LEASE));
  struct zn_dhcp4_lease l;
  zn_dhcp4_lease(t.st, &l);
  struct sent r;
  ZT_REQUIRE(await(&t, l.t1_at + SECS, &r));
  nak(&t, r.v.xid, SRV_IP);
  /* INIT, and without a start delay its DISCOVER at once. */
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_SELECTING);
  uint32_t a;
  zn_stack_get_ipv4(t.st, &a, NULL, NULL);
  ZT_EQU(a, 0);
  ZT_EQ(t.nev, 2);
  ZT_EQ(t.ev[1].ev, ZN_DHCP4_EV_LOST);
  t_free(&t);
}

/* ---- INIT-REBOOT ------------------------------------------------------ */

static void cfg_reboot(struct zn_config *c) {
  cfg_dhcp(c);
  c->dhcp4.reboot_addr = OFFER_IP;
}

ZT_TEST(test_init_reboot_requests_remembered_address) {
  struct zn_config c;
  cfg_reboot(&c);
  c.dhcp4.start_delay_ms = 2000;
  struct t t;
  t_init_cfg(&t, &c);
  zn_stack_poll(t.st, t.now);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_INIT_REBOOT);
  struct sent r;
  ZT_REQUIRE(await(&t, t.now + 3 * SECS, &r));
  ZT_CHECK(r.at >= MSEC + 200 * MSEC && r.at <= MSEC + 2 * SECS);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_REBOOTING);
  ZT_EQ(r.v.msg_type, ZN_DHCP4_REQUEST);
  ZT_EQU(r.v.ciaddr, 0);
  ZT_EQU(r.ip_src, 0);
  ZT_EQU(r.ip_dst, ZN_IPV4_BCAST);
  ZT_EQU(sent_opt32(&r, ZN_DHCP4_OPT_REQUESTED_IP), OFFER_IP);
  ZT_EQ(sent_opt32(&r, ZN_DHCP4_OPT_SERVER_ID), 0); /* MUST NOT */
  ack(&t, r.v.xid, LEASE);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_PROBING);
  run_to(&t, t.now + 8 * SECS, NULL);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_BOUND);
  ZT_EQ(S(&t, dhcp4_discover_tx), 0);
  t_free(&t);
}

ZT_TEST(test_rebooting_nak_falls_to_init) {
  struct zn_config c;
  cfg_reboot(&c);
  struct t t;
  t_init_cfg(&t, &c);
  struct sent r, d;
  ZT_REQUIRE(await(&t, t.now + SECS, &r));
  nak(&t, r.v.xid, SRV2_IP); /* any server may refuse a reboot */
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_SELECTING);
  ZT_REQUIRE(await(&t, t.now + SECS, &d));
  ZT_EQ(d.v.msg_type, ZN_DHCP4_DISCOVER);
  ZT_EQ(sent_opt32(&d, ZN_DHCP4_OPT_REQUESTED_IP), 0);
  t_free(&t);
}

ZT_TEST(test_rebooting_no_answer_falls_to_init) {
  struct zn_config c;
  cfg_reboot(&c);
  struct t t;
  t_init_cfg(&t, &c);
  struct sent r;
  int requests = 0;
  while (requests < 10 && await(&t, t.now + 70 * SECS, &r) &&
         r.v.msg_type == ZN_DHCP4_REQUEST)
    requests++;
  ZT_EQ(requests, 4);
  ZT_EQ(r.v.msg_type, ZN_DHCP4_DISCOVER);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_SELECTING);
  t_free(&t);
}

/* ---- options ---------------------------------------------------------- */

/* Bound with an ACK built by `fill` (server id and lease time added). */
static void bound_with(struct t *t, void (*fill)(struct msg *m)) {
  struct sent d, r;
  to_requesting(t, &d, &r);
  struct msg m;
  srv_begin(&m, ZN_DHCP4_ACK, r.v.xid, OFFER_IP);
  srv_opt32(&m, ZN_DHCP4_OPT_SERVER_ID, SRV_IP);
  srv_opt32(&m, ZN_DHCP4_OPT_LEASE_TIME, LEASE);
  fill(&m);
  srv_send(t, &m, OFFER_IP);
  run_to(t, t->now + 8 * SECS, NULL);
  ZT_EQ(zn_dhcp4_state(t->st), ZN_DHCP4_BOUND);
}

static void fill_121(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_SUBNET_MASK, 0xffffff00u);
  srv_opt32(m, ZN_DHCP4_OPT_ROUTER, ZN_IPV4(192, 0, 2, 1));
  static const uint8_t routes[] = {
      8,  10, 192, 0, 2, 253,    /* 10/8 via .253: not applied */
      0,  192, 0,   2, 254,      /* default via .254 */
      24, 198, 51, 100, 192, 0, 2, 253,
  };
  srv_opt(m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
}

ZT_TEST(test_option121_overrides_router) {
  struct t t;
  t_init(&t);
  bound_with(&t, fill_121);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_BOUND);
  uint32_t gw;
  zn_stack_get_ipv4(t.st, NULL, NULL, &gw);
  ZT_EQU(gw, ROUTER_IP);
  struct zn_dhcp4_lease l;
  zn_dhcp4_lease(t.st, &l);
  ZT_EQU(l.router, ROUTER_IP);
  ZT_EQ(l.routes_ignored, 2);
  ZT_EQ(S(&t, dhcp4_route_ignored), 2);
  t_free(&t);
}

static void fill_121_bad(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_SUBNET_MASK, 0xffffff00u);
  srv_opt32(m, ZN_DHCP4_OPT_ROUTER, ROUTER_IP);
  static const uint8_t routes[] = {0, 192, 0, 2, 1, 33, 1, 2, 3, 4, 5};
  srv_opt(m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
}

ZT_TEST(test_option121_malformed_router_used) {
  struct t t;
  t_init(&t);
  bound_with(&t, fill_121_bad);
  uint32_t gw;
  zn_stack_get_ipv4(t.st, NULL, NULL, &gw);
  ZT_EQU(gw, ROUTER_IP); /* 121 ignored whole, so 3 counts */
  ZT_EQ(S(&t, dhcp4_opt_ignored), 1);
  t_free(&t);
}

static void fill_121_no_default(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_ROUTER, ROUTER_IP);
  static const uint8_t routes[] = {8, 10, 192, 0, 2, 253};
  srv_opt(m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
}

ZT_TEST(test_option121_without_default_route_no_gateway) {
  struct t t;
  t_init(&t);
  bound_with(&t, fill_121_no_default);
  uint32_t gw;
  uint8_t p;
  zn_stack_get_ipv4(t.st, NULL, &p, &gw);
  ZT_EQU(gw, 0); /* RFC 3442: option 3 ignored when 121 is present */
  ZT_EQ(p, 24);  /* no option 1: 192.0.2.0 is class C */
  t_free(&t);
}

/* Compute Engine's lease: a /32, and the gateway reached on the link
 * through option 121 ("G/32 via 0.0.0.0", then "0/0 via G"). */
static void fill_121_gce(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_SUBNET_MASK, 0xffffffffu);
  srv_opt32(m, ZN_DHCP4_OPT_ROUTER, ROUTER_IP);
  static const uint8_t routes[] = {
      32, 192, 0, 2, 254, 0, 0, 0, 0, /* .254 is on the link */
      0,  192, 0, 2, 254,             /* default via .254 */
  };
  srv_opt(m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
}

ZT_TEST(test_option121_onlink_gateway_of_a_32_taken) {
  struct t t;
  t_init(&t);
  bound_with(&t, fill_121_gce);
  uint32_t gw;
  uint8_t p;
  zn_stack_get_ipv4(t.st, NULL, &p, &gw);
  ZT_EQ(p, 32);
  ZT_EQU(gw, ROUTER_IP);
  struct zn_dhcp4_lease l;
  zn_dhcp4_lease(t.st, &l);
  ZT_EQ(l.routes_ignored, 0); /* both routes are what the stack does */
  ZT_EQ(S(&t, dhcp4_route_ignored), 0);
  t_free(&t);
}

/* A /32 with option 3 alone: its router can only be on the link. */
static void fill_32_router(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_SUBNET_MASK, 0xffffffffu);
  srv_opt32(m, ZN_DHCP4_OPT_ROUTER, ROUTER_IP);
}

ZT_TEST(test_router_of_a_32_taken) {
  struct t t;
  t_init(&t);
  bound_with(&t, fill_32_router);
  uint32_t gw;
  zn_stack_get_ipv4(t.st, NULL, NULL, &gw);
  ZT_EQU(gw, ROUTER_IP);
  ZT_EQ(S(&t, dhcp4_opt_ignored), 0);
  t_free(&t);
}

/* A /24 whose default route goes through a router off the prefix: taken
 * only with the route that puts the router on the link. */
static void fill_121_offprefix(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_SUBNET_MASK, 0xffffff00u);
  static const uint8_t routes[] = {0, 198, 51, 100, 1};
  srv_opt(m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
}

static void fill_121_offprefix_onlink(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_SUBNET_MASK, 0xffffff00u);
  static const uint8_t routes[] = {
      0,  198, 51, 100, 1,            /* default via 198.51.100.1 */
      32, 198, 51, 100, 1, 0, 0, 0, 0, /* which is on the link */
  };
  srv_opt(m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
}

ZT_TEST(test_option121_offprefix_router_needs_onlink_route) {
  struct t t;
  uint32_t gw;
  t_init(&t);
  bound_with(&t, fill_121_offprefix);
  zn_stack_get_ipv4(t.st, NULL, NULL, &gw);
  ZT_EQU(gw, 0);
  ZT_EQ(S(&t, dhcp4_route_ignored), 1);
  t_free(&t);
  t_init(&t);
  bound_with(&t, fill_121_offprefix_onlink);
  zn_stack_get_ipv4(t.st, NULL, NULL, &gw);
  ZT_EQU(gw, ZN_IPV4(198, 51, 100, 1));
  ZT_EQ(S(&t, dhcp4_route_ignored), 0);
  t_free(&t);
}

static void fill_times_bad(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_T1, 3000);
  srv_opt32(m, ZN_DHCP4_OPT_T2, 2000); /* T1 > T2 */
}

static void fill_times_good(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_T1, 600);
  srv_opt32(m, ZN_DHCP4_OPT_T2, 900);
}

static void fill_times_over(struct msg *m) {
  srv_opt32(m, ZN_DHCP4_OPT_T2, LEASE); /* T2 == lease */
}

ZT_TEST(test_t1_t2_kept_or_defaulted) {
  struct t t;
  struct zn_dhcp4_lease l;
  t_init(&t);
  bound_with(&t, fill_times_good);
  zn_dhcp4_lease(t.st, &l);
  ZT_EQU(l.t1_s, 600);
  ZT_EQU(l.t2_s, 900);
  ZT_EQ(S(&t, dhcp4_times_fixed), 0);
  t_free(&t);
  t_init(&t);
  bound_with(&t, fill_times_bad);
  zn_dhcp4_lease(t.st, &l);
  ZT_EQU(l.t1_s, LEASE / 2);
  ZT_EQU(l.t2_s, LEASE * 7 / 8);
  ZT_EQ(S(&t, dhcp4_times_fixed), 1);
  t_free(&t);
  t_init(&t);
  bound_with(&t, fill_times_over);
  zn_dhcp4_lease(t.st, &l);
  ZT_EQU(l.t2_s, LEASE * 7 / 8);
  ZT_EQ(S(&t, dhcp4_times_fixed), 1);
  t_free(&t);
}

static void fill_mtu_1400(struct msg *m) {
  srv_opt16(m, ZN_DHCP4_OPT_MTU, 1400);
}
static void fill_mtu_500(struct msg *m) { srv_opt16(m, ZN_DHCP4_OPT_MTU, 500); }
static void fill_mtu_1000(struct msg *m) {
  srv_opt16(m, ZN_DHCP4_OPT_MTU, 1000);
}
static void fill_mtu_9000(struct msg *m) {
  srv_opt16(m, ZN_DHCP4_OPT_MTU, 9000);
}

ZT_TEST(test_mtu_applied_bounded_restored) {
  struct t t;
  struct zn_dhcp4_lease l;
  t_init(&t);
  ZT_EQU(t.st->nif->mtu, 1500);
  bound_with(&t, fill_mtu_1400);
  ZT_EQU(t.st->nif->mtu, 1400);
  zn_dhcp4_lease(t.st, &l);
  ZT_EQU(l.mtu, 1400);
  ZT_EQ(zn_dhcp4_release(t.st), ZN_OK);
  ZT_EQU(t.st->nif->mtu, 1500); /* the netif's own again */
  t_free(&t);
  t_init(&t);
  bound_with(&t, fill_mtu_500);
  ZT_EQU(t.st->nif->mtu, 1500);
  ZT_EQ(S(&t, dhcp4_mtu_ignored), 1);
  t_free(&t);
  t_init(&t);
  bound_with(&t, fill_mtu_9000);
  ZT_EQU(t.st->nif->mtu, 1500);
  ZT_EQ(S(&t, dhcp4_mtu_ignored), 1);
  t_free(&t);
  /* With IPv6 on, which shares the netif's MTU, not below 1280. */
  struct zn_config c;
  cfg_dhcp(&c);
  c.ipv6 = true;
  t_init_cfg(&t, &c);
  bound_with(&t, fill_mtu_1000);
  ZT_EQU(t.st->nif->mtu, 1500);
  ZT_EQ(S(&t, dhcp4_mtu_ignored), 1);
  t_free(&t);
  t_init_cfg(&t, &c);
  bound_with(&t, fill_mtu_1400);
  ZT_EQU(t.st->nif->mtu, 1400);
  t_free(&t);
}

/* The lease's essentials inside the file field (option 52 = 1). */
ZT_TEST(test_option_overload_read) {
  struct t t;
  t_init(&t);
  struct sent d, r;
  to_requesting(&t, &d, &r);
  struct msg m;
  srv_begin(&m, ZN_DHCP4_ACK, r.v.xid, OFFER_IP);
  uint8_t one = ZN_DHCP4_OVERLOAD_FILE;
  srv_opt(&m, ZN_DHCP4_OPT_OVERLOAD, &one, 1);
  m.len = zn_dhcp4_finish(m.p, m.len);
  uint8_t *f = m.p + ZN_DHCP4_FILE_OFF, v[4];
  size_t k = 0;
  zn_wr32(v, SRV_IP);
  k += zn_dhcp4_opt_emit(f + k, ZN_DHCP4_OPT_SERVER_ID, v, 4);
  zn_wr32(v, LEASE);
  k += zn_dhcp4_opt_emit(f + k, ZN_DHCP4_OPT_LEASE_TIME, v, 4);
  zn_wr32(v, 0xfffffe00u);
  k += zn_dhcp4_opt_emit(f + k, ZN_DHCP4_OPT_SUBNET_MASK, v, 4);
  f[k] = ZN_DHCP4_OPT_END;
  m.done = true;
  srv_send(&t, &m, OFFER_IP);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_PROBING);
  run_to(&t, t.now + 8 * SECS, NULL);
  uint8_t p;
  zn_stack_get_ipv4(t.st, NULL, &p, NULL);
  ZT_EQ(p, 23);
  t_free(&t);
}

/* ---- bad replies ---------------------------------------------------- */

/* In SELECTING, a reply spoiled by `spoil` is dropped under `stat`. */
static void spoiled_offer(void (*spoil)(struct msg *m), enum zn_stat stat) {
  struct t t;
  t_init(&t);
  struct sent d;
  discover(&t, &d);
  struct msg m;
  srv_begin(&m, ZN_DHCP4_OFFER, d.v.xid, OFFER_IP);
  srv_lease(&m, SRV_IP, LEASE);
  m.len = zn_dhcp4_finish(m.p, m.len);
  m.done = true;
  spoil(&m);
  srv_send(&t, &m, ZN_IPV4_BCAST);
  ZT_EQ(zn_stat(t.st, stat), 1);
  ZT_EQ(S(&t, dhcp4_offer_rx), 0);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_SELECTING);
  ZT_EQ(S(&t, dhcp4_rx), 1);
  t_free(&t);
}

static void spoil_xid(struct msg *m) { m->p[7] ^= 1; }
static void spoil_chaddr(struct msg *m) { m->p[28 + 5] ^= 1; }
static void spoil_cookie(struct msg *m) { m->p[239] = 0; }
static void spoil_op(struct msg *m) { m->p[0] = ZN_DHCP4_OP_REQUEST; }
static void spoil_hlen(struct msg *m) { m->p[2] = 16; }
static void spoil_short(struct msg *m) { m->len = 239; }
/* The router option claims more bytes than the message has. */
static void spoil_overlong(struct msg *m) {
  m->len = 240 + 3;
  static const uint8_t o[] = {ZN_DHCP4_OPT_ROUTER, 200, 1, 2, 3, 4};
  memcpy(m->p + m->len, o, sizeof(o));
  m->len += sizeof(o);
}
/* A second message type, after end: not read, so still an offer; but a
 * second one before end makes the area malformed. */
static void spoil_two_types(struct msg *m) {
  m->len = 240 + 3;
  uint8_t t = ZN_DHCP4_ACK;
  m->len += zn_dhcp4_opt_emit(m->p + m->len, ZN_DHCP4_OPT_MSG_TYPE, &t, 1);
  m->len = zn_dhcp4_finish(m->p, m->len);
}
static void spoil_no_server(struct msg *m) {
  m->len = 240 + 3;
  uint8_t v[4] = {0, 0, 14, 16};
  m->len += zn_dhcp4_opt_emit(m->p + m->len, ZN_DHCP4_OPT_LEASE_TIME, v, 4);
  m->len = zn_dhcp4_finish(m->p, m->len);
}
static void spoil_yiaddr(struct msg *m) { zn_wr32(m->p + 16, 0xe0000001u); }
static void spoil_type(struct msg *m) { m->p[242] = ZN_DHCP4_INFORM; }
static void spoil_overload_bad(struct msg *m) {
  m->len = 240 + 3;
  uint8_t v = 7;
  m->len += zn_dhcp4_opt_emit(m->p + m->len, ZN_DHCP4_OPT_OVERLOAD, &v, 1);
  m->len = zn_dhcp4_finish(m->p, m->len);
}
/* Option 52 sends the walk into file, where an option runs past it. */
static void spoil_overload_past_file(struct msg *m) {
  m->len = 240 + 3;
  uint8_t v = ZN_DHCP4_OVERLOAD_FILE;
  m->len += zn_dhcp4_opt_emit(m->p + m->len, ZN_DHCP4_OPT_OVERLOAD, &v, 1);
  m->len = zn_dhcp4_finish(m->p, m->len);
  m->p[ZN_DHCP4_FILE_OFF + ZN_DHCP4_FILE_LEN - 2] = ZN_DHCP4_OPT_DNS;
  m->p[ZN_DHCP4_FILE_OFF + ZN_DHCP4_FILE_LEN - 1] = 4;
}

ZT_TEST(test_selecting_bad_replies_dropped) {
  spoiled_offer(spoil_xid, ZN_STAT_dhcp4_drop_xid);
  spoiled_offer(spoil_chaddr, ZN_STAT_dhcp4_drop_chaddr);
  spoiled_offer(spoil_cookie, ZN_STAT_dhcp4_drop_cookie);
  spoiled_offer(spoil_op, ZN_STAT_dhcp4_drop_op);
  spoiled_offer(spoil_hlen, ZN_STAT_dhcp4_drop_op);
  spoiled_offer(spoil_short, ZN_STAT_dhcp4_drop_short);
  spoiled_offer(spoil_overlong, ZN_STAT_dhcp4_drop_options);
  spoiled_offer(spoil_two_types, ZN_STAT_dhcp4_drop_options);
  spoiled_offer(spoil_overload_bad, ZN_STAT_dhcp4_drop_options);
  spoiled_offer(spoil_overload_past_file, ZN_STAT_dhcp4_drop_options);
  spoiled_offer(spoil_no_server, ZN_STAT_dhcp4_drop_offer);
  spoiled_offer(spoil_yiaddr, ZN_STAT_dhcp4_drop_offer);
  spoiled_offer(spoil_type, ZN_STAT_dhcp4_drop_type);
}

ZT_TEST(test_offer_pad_and_end_misuse) {
  struct t t;
  t_init(&t);
  struct sent d, r;
  discover(&t, &d);
  struct msg m;
  srv_begin(&m, 0, d.v.xid, OFFER_IP);
  static const uint8_t pads[8];
  memcpy(m.p + m.len, pads, sizeof(pads)); /* pad runs first */
  m.len += sizeof(pads);
  uint8_t ty = ZN_DHCP4_OFFER;
  srv_opt(&m, ZN_DHCP4_OPT_MSG_TYPE, &ty, 1);
  srv_lease(&m, SRV_IP, LEASE);
  /* End, then bytes that would make it another server's NAK. */
  static const uint8_t tail[] = {ZN_DHCP4_OPT_END, ZN_DHCP4_OPT_MSG_TYPE, 1,
                                 ZN_DHCP4_NAK, ZN_DHCP4_OPT_SERVER_ID, 4,
                                 192, 0, 2, 9, 0xff, 0xff, 0xff};
  memcpy(m.p + m.len, tail, sizeof(tail));
  m.len += sizeof(tail);
  m.done = true;
  srv_send(&t, &m, ZN_IPV4_BCAST);
  ZT_REQUIRE(await(&t, t.now + SECS, &r));
  ZT_EQ(r.v.msg_type, ZN_DHCP4_REQUEST);
  ZT_EQU(sent_opt32(&r, ZN_DHCP4_OPT_SERVER_ID), SRV_IP);
  t_free(&t);
}

ZT_TEST(test_reply_from_wrong_port_dropped) {
  struct t t;
  t_init(&t);
  struct sent d;
  discover(&t, &d);
  struct msg m;
  srv_begin(&m, ZN_DHCP4_OFFER, d.v.xid, OFFER_IP);
  srv_lease(&m, SRV_IP, LEASE);
  m.len = zn_dhcp4_finish(m.p, m.len);
  srv_send_from(&t, &m, SRV_IP, 1067, ZN_IPV4_BCAST);
  ZT_EQ(S(&t, dhcp4_drop_port), 1);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_SELECTING);
  t_free(&t);
}

ZT_TEST(test_bound_reply_dropped_state) {
  struct t t;
  t_init(&t);
  ZT_REQUIRE(to_bound(&t, LEASE));
  struct msg m;
  srv_begin(&m, ZN_DHCP4_ACK, 1, OFFER_IP);
  srv_lease(&m, SRV_IP, LEASE);
  srv_send(&t, &m, OFFER_IP);
  ZT_EQ(S(&t, dhcp4_drop_state), 1);
  t_free(&t);
}

ZT_TEST(test_requesting_ack_for_other_address_dropped) {
  struct t t;
  t_init(&t);
  struct sent d, r;
  to_requesting(&t, &d, &r);
  struct msg m;
  srv_begin(&m, ZN_DHCP4_ACK, r.v.xid, OFFER_IP + 1);
  srv_lease(&m, SRV_IP, LEASE);
  srv_send(&t, &m, ZN_IPV4_BCAST);
  ZT_EQ(S(&t, dhcp4_drop_ack), 1);
  /* An ACK without a lease time, and one with a lease time of 0. */
  srv_begin(&m, ZN_DHCP4_ACK, r.v.xid, OFFER_IP);
  srv_opt32(&m, ZN_DHCP4_OPT_SERVER_ID, SRV_IP);
  srv_send(&t, &m, ZN_IPV4_BCAST);
  srv_begin(&m, ZN_DHCP4_ACK, r.v.xid, OFFER_IP);
  srv_lease(&m, SRV_IP, 0);
  srv_send(&t, &m, ZN_IPV4_BCAST);
  ZT_EQ(S(&t, dhcp4_drop_ack), 3);
  /* An ACK from a server we did not choose. */
  srv_begin(&m, ZN_DHCP4_ACK, r.v.xid, OFFER_IP);
  srv_lease(&m, SRV2_IP, LEASE);
  srv_send(&t, &m, ZN_IPV4_BCAST);
  ZT_EQ(S(&t, dhcp4_drop_server), 1);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_REQUESTING);
  t_free(&t);
}

/* The IPv4 hook takes unicast UDP/68 only while the client waits without
 * an address. */
ZT_TEST(test_unicast_to_other_address_refused_when_bound) {
  struct t t;
  t_init(&t);
  uint8_t u[16], f[64];
  zn_udp_emit(u, 67, 68, 8, SRV_IP, OFFER_IP + 5);
  size_t n = mk_ip(f, MAC_A, SRV_MAC, SRV_IP, OFFER_IP + 5, ZN_IPPROTO_UDP, 1,
                   0, u, 8);
  inject(t.st, f, n); /* INIT: not waiting for a server */
  ZT_EQ(S(&t, ip_drop_not_for_us), 1);
  ZT_REQUIRE(to_bound(&t, LEASE));
  inject(t.st, f, n);
  ZT_EQ(S(&t, ip_drop_not_for_us), 2);
  /* UDP to another port is never taken, even while waiting. */
  t_free(&t);
  t_init(&t);
  struct sent d;
  discover(&t, &d);
  zn_udp_emit(u, 67, 69, 8, SRV_IP, OFFER_IP);
  n = mk_ip(f, MAC_A, SRV_MAC, SRV_IP, OFFER_IP, ZN_IPPROTO_UDP, 1, 0, u, 8);
  inject(t.st, f, n);
  ZT_EQ(S(&t, ip_drop_not_for_us), 1);
  t_free(&t);
}

/* ---- the API ---------------------------------------------------------- */

ZT_TEST(test_release_sends_and_removes) {
  struct t t;
  t_init(&t);
  zn_arp_add_static(t.st, SRV_IP, SRV_MAC);
  ZT_REQUIRE(to_bound(&t, LEASE));
  ZT_EQ(zn_dhcp4_release(t.st), ZN_OK);
  zn_stack_flush(t.st); /* as the next poll would */
  struct sent r;
  ZT_REQUIRE(drain(&t, &r));
  ZT_EQ(r.v.msg_type, ZN_DHCP4_RELEASE);
  ZT_EQU(r.v.ciaddr, OFFER_IP);
  ZT_EQU(r.ip_dst, SRV_IP);
  ZT_EQU(sent_opt32(&r, ZN_DHCP4_OPT_SERVER_ID), SRV_IP);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_OFF);
  uint32_t a;
  zn_stack_get_ipv4(t.st, &a, NULL, NULL);
  ZT_EQU(a, 0);
  ZT_EQ(t.ev[t.nev - 1].ev, ZN_DHCP4_EV_LOST);
  run_to(&t, t.now + 3600 * SECS, NULL); /* stopped: sends nothing */
  ZT_EQ(S(&t, dhcp4_discover_tx), 1);
  /* Restart: INIT-REBOOT for the address it had. */
  ZT_EQ(zn_dhcp4_restart(t.st), ZN_OK);
  ZT_REQUIRE(await(&t, t.now + SECS, &r));
  ZT_EQ(r.v.msg_type, ZN_DHCP4_REQUEST);
  ZT_EQU(sent_opt32(&r, ZN_DHCP4_OPT_REQUESTED_IP), OFFER_IP);
  t_free(&t);
}

static void on_resolved(struct zn_dns_resolver *r, void *arg,
                        const struct zn_dns_answer *a) {
  (void)r;
  (void)arg;
  (void)a;
}

/* With no server of its own, the stub resolver asks the lease's. */
ZT_TEST(test_resolver_asks_lease_dns) {
  struct t t;
  t_init(&t);
  zn_arp_add_static(t.st, ROUTER_IP, SRV_MAC);
  ZT_REQUIRE(to_bound(&t, LEASE));
  struct zn_dns_resolver_cfg rc;
  zn_dns_resolver_cfg_default(&rc);
  size_t len = zn_dns_resolver_mem_size(&rc);
  void *mem = malloc(len);
  struct zn_dns_resolver *r;
  ZT_REQUIRE(zn_dns_resolver_init(t.st, &rc, mem, len, &r) == ZN_OK);
  ZT_EQ(zn_dns_resolve(r, "host.example", ZN_DNS_TYPE_A, on_resolved, NULL,
                       NULL),
        ZN_OK);
  run_to(&t, t.now + 10 * MSEC, NULL);
  ZT_EQU(t.udp_dst, DNS1);
  ZT_EQ(t.udp_dport, 53);
  zn_dns_resolver_destroy(r);
  free(mem);
  t_free(&t);
}

/* Released before the first poll: the first poll does not start it;
 * restarted, it does. */
ZT_TEST(test_release_before_start_stays_off) {
  struct t t;
  t_init(&t);
  ZT_EQ(zn_dhcp4_release(t.st), ZN_OK);
  run_to(&t, t.now + 30 * SECS, NULL);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_OFF);
  ZT_EQ(S(&t, dhcp4_discover_tx), 0);
  ZT_EQ(zn_dhcp4_restart(t.st), ZN_OK);
  struct sent d;
  ZT_REQUIRE(await(&t, t.now + SECS, &d));
  ZT_EQ(d.v.msg_type, ZN_DHCP4_DISCOVER);
  t_free(&t);
}

ZT_TEST(test_config_checked) {
  struct zn_config c;
  cfg_dhcp(&c);
  ZT_CHECK(zn_stack_mem_size(&c) > 0);
  c.ipv4_addr = ZN_IPV4(10, 0, 0, 1); /* one source of address */
  ZT_EQU(zn_stack_mem_size(&c), 0);
  cfg_dhcp(&c);
  strcpy(c.dhcp4.hostname, "bad name");
  ZT_EQU(zn_stack_mem_size(&c), 0);
  cfg_dhcp(&c);
  c.dhcp4.reboot_addr = ZN_IPV4(127, 0, 0, 1);
  ZT_EQU(zn_stack_mem_size(&c), 0);
  cfg_dhcp(&c);
  c.udp_socks = 0;
  ZT_EQU(zn_stack_mem_size(&c), 0);
  cfg_dhcp(&c);
  c.dhcp4.client_id_len = ZN_DHCP4_CLIENT_ID_MAX + 1;
  ZT_EQU(zn_stack_mem_size(&c), 0);
  /* Not enabled: API calls say so. */
  struct t t;
  th_config(&c, ZN_IPV4(10, 0, 0, 2), 24, 2);
  t_init_cfg(&t, &c);
  ZT_EQ(zn_dhcp4_release(t.st), ZN_EINVAL);
  ZT_EQ(zn_dhcp4_restart(t.st), ZN_EINVAL);
  ZT_EQ(zn_dhcp4_state(t.st), ZN_DHCP4_OFF);
  t_free(&t);
  ZT_STREQ(zn_dhcp4_state_name(ZN_DHCP4_INIT_REBOOT), "INIT-REBOOT");
  ZT_STREQ(zn_dhcp4_state_name((enum zn_dhcp4_state)99), "?");
}

ZT_TEST(test_client_id_from_config) {
  struct zn_config c;
  cfg_dhcp(&c);
  static const uint8_t id[] = {0, 'z', 'n', 'e', 't'};
  memcpy(c.dhcp4.client_id, id, sizeof(id));
  c.dhcp4.client_id_len = sizeof(id);
  struct t t;
  t_init_cfg(&t, &c);
  struct sent d;
  discover(&t, &d);
  uint8_t b[64];
  ZT_EQ(sent_opt(&d, ZN_DHCP4_OPT_CLIENT_ID, b, sizeof(b)), sizeof(id));
  ZT_MEMEQ(b, id, sizeof(id));
  ZT_EQ(sent_opt(&d, ZN_DHCP4_OPT_HOSTNAME, b, sizeof(b)), -1);
  t_free(&t);
}

int main(void) {
  ZT_RUN(test_init_discover_after_start_delay);
  ZT_RUN(test_selecting_backoff_bounds);
  ZT_RUN(test_selecting_offer_requests_it);
  ZT_RUN(test_selecting_second_offer_ignored);
  ZT_RUN(test_requesting_no_answer_restarts_init);
  ZT_RUN(test_requesting_nak_restarts_init);
  ZT_RUN(test_requesting_ack_probes_then_bound);
  ZT_RUN(test_probing_conflict_declines);
  ZT_RUN(test_probing_probe_from_other_host_conflicts);
  ZT_RUN(test_probing_conflict_rate_limited_after_ten);
  ZT_RUN(test_bound_t1_renews_unicast);
  ZT_RUN(test_renewing_retransmit_halves);
  ZT_RUN(test_renewing_t2_rebinds_broadcast);
  ZT_RUN(test_rebinding_expiry_removes_address);
  ZT_RUN(test_renewing_nak_drops_address);
  ZT_RUN(test_init_reboot_requests_remembered_address);
  ZT_RUN(test_rebooting_nak_falls_to_init);
  ZT_RUN(test_rebooting_no_answer_falls_to_init);
  ZT_RUN(test_option121_overrides_router);
  ZT_RUN(test_option121_malformed_router_used);
  ZT_RUN(test_option121_without_default_route_no_gateway);
  ZT_RUN(test_option121_onlink_gateway_of_a_32_taken);
  ZT_RUN(test_router_of_a_32_taken);
  ZT_RUN(test_option121_offprefix_router_needs_onlink_route);
  ZT_RUN(test_t1_t2_kept_or_defaulted);
  ZT_RUN(test_mtu_applied_bounded_restored);
  ZT_RUN(test_option_overload_read);
  ZT_RUN(test_selecting_bad_replies_dropped);
  ZT_RUN(test_offer_pad_and_end_misuse);
  ZT_RUN(test_reply_from_wrong_port_dropped);
  ZT_RUN(test_bound_reply_dropped_state);
  ZT_RUN(test_requesting_ack_for_other_address_dropped);
  ZT_RUN(test_unicast_to_other_address_refused_when_bound);
  ZT_RUN(test_release_sends_and_removes);
  ZT_RUN(test_resolver_asks_lease_dns);
  ZT_RUN(test_release_before_start_stays_off);
  ZT_RUN(test_config_checked);
  ZT_RUN(test_client_id_from_config);
  return zt_done();
}
