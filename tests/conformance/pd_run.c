/*
 * The runner: one fresh znet stack per script, on a memlink whose other
 * end is the script's peer, driven by a virtual clock.
 *
 * Addresses are packetdrill's defaults: the stack is 192.168.0.1/24, the
 * peer 192.0.2.1 behind the gateway 192.168.0.2 (a static ARP entry), the
 * peer's port 41000, a bound or listening socket's port 8080.  With
 * --ip_version=ipv6 the stack is fd3d:fa7b:d17d::1/48 and the peer
 * 2001:db8::1, behind a router fe80::2 that the runner announces in a
 * router advertisement (its link-layer address, a default route) before
 * the script starts; the neighbor solicitations the stack sends it later
 * (RFC 4861 §7.3.3's probes of a STALE entry) are answered at once, so
 * neighbor discovery, like ARP, never delays a segment.
 *
 * Time.  Script time 0 is T0 on the virtual clock.  An event at an
 * absolute time runs then; "+d" runs d after the previous event's actual
 * time (for an outbound packet, when the stack sent it; for a blocking
 * call A...B, its start A), as packetdrill does.  Between events the clock
 * jumps from one stack deadline to the next, polling at each; what the
 * stack sends is queued with the time it was sent.  An outbound line takes
 * the oldest queued segment, waiting (in virtual time) up to the line's
 * time plus the tolerance; it must match (pd_match) and must not have
 * been sent before the line's time minus the tolerance.  Segments no line
 * asks for are only noticed when the next outbound line meets them (or
 * never, at the end), as in packetdrill.
 *
 * Numbers.  The peer's ISN is fixed (REMOTE_ISN); ours is learned from
 * the stack's SYN (0 before it: a RST to a segment for no connection then
 * compares with the script's absolute numbers, which is what the scripts
 * mean).  Inbound TS val are used as written, inbound TS ecr get the
 * offset between our clock and the script's (learned from our first
 * TSval).
 *
 * Sockets.  The script's file descriptors map onto znet handles; the
 * BSD semantics the scripts rely on are emulated here: SO_ERROR holds the
 * error on_error reported until read, a read reports it once, non-blocking
 * calls return EINPROGRESS/EAGAIN, blocking ones wait in virtual time.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "../internals.h"
#include "ipv6/ipv6_int.h"
#include "pd.h"
#include "tcp/tcp_int.h"
#include "znet.h"
#include "znet/memlink.h"


#define LOCAL_IP ZN_IPV4(192, 168, 0, 1)
#define GW_IP ZN_IPV4(192, 168, 0, 2)
#define REMOTE_IP ZN_IPV4(192, 0, 2, 1)
static const uint8_t LOCAL_IP6[16] = {0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d,
                                      [15] = 1};
static const uint8_t REMOTE_IP6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t GW_IP6[16] = {0xfe, 0x80, [15] = 2};
#define LOCAL_PREFIX6 48
#define ROUTER_LIFETIME_S 9000 /* RFC 4861 §6.2.1's largest */
#define REMOTE_PORT 41000
#define BIND_PORT 8080
#define REMOTE_ISN 0x5eed0000u
#define T0 ZN_SEC(1000)
#define MAX_SOCKS 16
#define MAX_HRECS 64
#define MAX_OUT 256

static const uint8_t STACK_MAC[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t GW_MAC[6] = {2, 0, 0, 0, 0, 2};

/* BSD numbers the scripts use. */
#define BSD_O_RDWR 0x2
#define BSD_O_NONBLOCK 0x4

struct sock;

/* A znet handle the runner holds: its callbacks' arg.  Never reused
 * within a run, so a late on_closed finds it whatever became of the
 * fd. */
struct hrec {
  struct run *r;
  struct sock *s;        /* the fd holding it, NULL once closed */
  struct zn_tcp_conn *c;
  bool connected, failed, closed;
  int err;               /* from on_error */
};

struct sock {
  bool used;
  int fd;
  bool nonblock;
  bool bound, listening;
  uint16_t port;
  struct hrec *h;        /* NULL: no connection or listener yet */
  int so_error;          /* ZN_E*, pending for SO_ERROR / a read */
  bool was_connected;
  int live_state;        /* the connection's last state before CLOSED */
};

struct outseg {
  uint64_t t;            /* ns */
  struct pd_seg seg;
  uint16_t sport, dport;
  uint32_t ooo_bytes;    /* bytes the connection held out of order */
};

struct run {
  const char *path;
  const struct pd_run_opts *o;
  struct pd_result *res;
  struct pd_script s;
  unsigned accept;

  /* The stack. */
  struct zn_config cfg;
  bool have_stack;
  struct zn_memlink link;
  struct zn_stack *st;
  void *mem;
  uint64_t now;

  bool v6;               /* --ip_version=ipv6 */
  struct zn_ip lip, rip; /* the stack's address, the peer's */
  bool answer_ns;        /* the stack solicited the router */
  uint8_t ns_from[16];   /* from this address */

  /* Script state. */
  int64_t last_us;       /* actual time of the previous event, script us */
  struct pd_map map;
  uint16_t lport;        /* the stack's port of the connection */
  bool lport_known;
  bool isn_known;
  struct pd_sysctl_state sys; /* what the sysctls set beyond cfg */
  bool seen_seq_valid;
  uint32_t max_seq_sent; /* highest sequence end the stack sent */

  struct outseg out[MAX_OUT];
  int nout;
  /* The peer's view of our receive window: the last ACK and window sent. */
  bool peer_view;
  uint32_t peer_rcv_nxt, peer_wnd;
  /* Our FIN (for PD_ACC_FIN_RTX). */
  bool fin_known;
  uint32_t fin_seq;
  /* Largest payload the peer sent since our last ACK (PD_ACC_DELACK_SMALL). */
  uint32_t in_max_since_ack;
  /* The answer RFC 9293 prescribes to the segment being injected, where
   * FreeBSD sends none (PD_ACC_LISTEN_RST, PD_ACC_TW_ACK): collect()
   * takes it out of the way if the stack sends exactly it at once. */
  struct {
    unsigned bit;        /* 0: none owed */
    uint8_t flags;
    uint32_t seq, ack;
  } owed;

  struct sock socks[MAX_SOCKS];
  struct hrec hrecs[MAX_HRECS];
  int nhrecs;
  int cur_fd;            /* the socket of the latest call (tcpi_*) */

  /* A call that blocks. */
  struct {
    bool active;
    const struct pd_event *e;
    int64_t start_us, end_us;
  } pend;

  bool done;             /* verdict reached */
};

/* ---- verdicts and tracing ---- */

static void verdict(struct run *r, enum pd_verdict v, int line,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void verdict(struct run *r, enum pd_verdict v, int line,
                    const char *fmt, ...) {
  if (r->done)
    return;
  r->done = true;
  r->res->verdict = v;
  int n = 0;
  if (line > 0)
    n = snprintf(r->res->why, sizeof(r->res->why), "line %d: ", line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->res->why + n, sizeof(r->res->why) - (size_t)n, fmt, ap);
  va_end(ap);
}

static void trace(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void trace(struct run *r, const char *fmt, ...) {
  if (!r->o->verbose)
    return;
  int64_t us = (int64_t)(r->now - T0) / 1000;
  fprintf(stderr, "  %4lld.%06lld ", (long long)(us / 1000000),
          (long long)(us % 1000000));
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static int64_t now_us(const struct run *r) {
  return (int64_t)(r->now - T0) / 1000;
}

/* ---- callbacks ---- */

static void cb_accept(struct zn_tcp_conn *l, void *arg) {
  (void)l;
  (void)arg;
}

static void cb_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct hrec *h = arg;
  h->connected = true;
  if (h->s)
    h->s->was_connected = true;
}

static void cb_readable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static void cb_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static void cb_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct hrec *h = arg;
  h->failed = true;
  h->err = err;
  if (h->s)
    h->s->so_error = err;
  trace(h->r, "on_error %s", zn_err_name(err));
}

static void cb_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct hrec *h = arg;
  h->closed = true;
  h->c = NULL;
}

static const struct zn_tcp_callbacks cbs = {
    .on_accept = cb_accept,
    .on_connected = cb_connected,
    .on_readable = cb_readable,
    .on_writable = cb_writable,
    .on_error = cb_error,
    .on_closed = cb_closed,
};

static struct hrec *new_hrec(struct run *r, struct sock *s,
                             struct zn_tcp_conn *c) {
  if (r->nhrecs == MAX_HRECS)
    return NULL;
  struct hrec *h = &r->hrecs[r->nhrecs++];
  memset(h, 0, sizeof(*h));
  h->r = r;
  h->s = s;
  h->c = c;
  return h;
}

/* The live znet handle of a socket, or NULL. */
static struct zn_tcp_conn *sock_conn(const struct sock *s) {
  return s->h && !s->h->closed ? s->h->c : NULL;
}

/* The socket's connection still exists (not CLOSED). */
static bool sock_conn_live(const struct sock *s) {
  struct zn_tcp_conn *c = sock_conn(s);
  return c && c->state != ZN_TCP_CLOSED;
}

/* FreeBSD's receive buffer for connection c: net.inet.tcp.recvspace until
 * it has a socket that knows the peer's MSS, then rounded up to a multiple
 * of it (accepted.c, sysctl recvspace).  A passive connection has no
 * socket before the handshake completes (FreeBSD's syncache). */
static uint32_t bsd_rcvbuf(const struct run *r, const struct zn_tcp_conn *c) {
  if (!c || c->state == ZN_TCP_LISTEN || c->state == ZN_TCP_SYN_SENT ||
      c->state == ZN_TCP_CLOSED ||
      (c->state == ZN_TCP_SYN_RECEIVED && (c->flags & ZN__TCPF_PASSIVE)))
    return r->sys.recvspace;
  return c->rcvbuf;
}

/* ---- the stack and the clock ---- */

static uint32_t script_mss(const struct run *r) {
  uint32_t mtu = r->s.mtu ? r->s.mtu : 1500;
  uint32_t hdrs = r->v6 ? 60 : 40;
  return mtu > hdrs ? mtu - hdrs : 536;
}

static void inject_frame(struct run *r, const uint8_t *frame, size_t len);

/* Ethernet and IPv6 header from src to dst (RFC 8200 §3) before the plen
 * payload bytes; returns the frame's length. */
static size_t ip6_frame(uint8_t *f, const uint8_t src[16],
                        const uint8_t dst[16], uint8_t nxt, uint8_t hlim,
                        uint8_t tclass, const uint8_t *payload, size_t plen) {
  zn_eth_emit(f, STACK_MAC, GW_MAC, ZN_ETHERTYPE_IPV6);
  struct zn_ipv6_hdr h;
  memset(&h, 0, sizeof(h));
  h.tclass = tclass;
  h.plen = (uint16_t)plen;
  h.nxt = nxt;
  h.hlim = hlim;
  memcpy(h.src, src, 16);
  memcpy(h.dst, dst, 16);
  zn_ipv6_emit(f + 14, &h);
  memcpy(f + 54, payload, plen);
  return 54 + plen;
}

/* The router's ND message (RA or NA) of len bytes from fe80::2 to dst. */
static void send_nd(struct run *r, uint8_t *m, size_t len,
                    const uint8_t dst[16]) {
  zn_icmp6_finish(m, len,
                  zn_csum_pseudo6(GW_IP6, dst, (uint32_t)len,
                                  ZN_IPPROTO_ICMPV6));
  uint8_t frame[14 + 40 + 64];
  size_t flen = ip6_frame(frame, GW_IP6, dst, ZN_IPPROTO_ICMPV6,
                          ZN_ND_HOP_LIMIT, 0, m, len);
  inject_frame(r, frame, flen);
}

/* RFC 4861 §4.2: the router advertises itself as the default router (no
 * prefix: the peer is off-link) with its link-layer address. */
static void announce_router(struct run *r) {
  uint8_t m[ZN_ND_RA_LEN + 8];
  memset(m, 0, sizeof(m));
  zn_icmp6_emit(m, ZN_ICMP6_ND_RA, 0, ROUTER_LIFETIME_S);
  m[ZN_ND_RA_LEN] = ZN_ND_OPT_SLLA;
  m[ZN_ND_RA_LEN + 1] = 1;
  memcpy(m + ZN_ND_RA_LEN + 2, GW_MAC, 6);
  send_nd(r, m, sizeof(m), zn__ip6_all_nodes());
}

/* RFC 4861 §7.2.4: a solicited NA for the router's address, with its
 * link-layer address, to the stack's link-local address. */
static void answer_router_ns(struct run *r, const uint8_t to[16]) {
  uint8_t m[ZN_ND_NA_LEN + 8];
  memset(m, 0, sizeof(m));
  zn_icmp6_emit(m, ZN_ICMP6_ND_NA, 0,
                (uint32_t)(ZN_ND_NA_FLAG_R | ZN_ND_NA_FLAG_S |
                           ZN_ND_NA_FLAG_O) << 24);
  memcpy(m + 8, GW_IP6, 16);
  m[ZN_ND_NA_LEN] = ZN_ND_OPT_TLLA;
  m[ZN_ND_NA_LEN + 1] = 1;
  memcpy(m + ZN_ND_NA_LEN + 2, GW_MAC, 6);
  send_nd(r, m, sizeof(m), to);
}

/* The stack's IPv6 configuration: its address, usable at once, and the
 * router announced. */
static bool configure_ipv6(struct run *r) {
  if (zn_stack_add_ipv6(r->st, &r->lip, LOCAL_PREFIX6) != ZN_OK)
    return false;
  zn_stack_poll(r->st, r->now);
  announce_router(r);
  return true;
}

static bool make_stack(struct run *r) {
  r->cfg.ipv4_addr = LOCAL_IP;
  r->cfg.ipv4_prefix = 24;
  r->cfg.ipv4_gateway = GW_IP;
  r->cfg.has_mac = true;
  memcpy(r->cfg.mac, STACK_MAC, 6);
  r->cfg.arp_announce = false;
  r->cfg.ipv6 = r->v6;
  r->cfg.ipv6_dad_transmits = 0;
  r->cfg.nbufs = 256;
  r->cfg.nbigbufs = 2;
  r->cfg.tcp_conns = 16;
  for (int i = 0; i < 32; i++)
    r->cfg.seed[i] = (uint8_t)(i * 11 + 3);
  /* recvspace rounded up to the MSS (accepted.c, sysctl recvspace). */
  pd_sysctl_settle(&r->cfg, &r->sys, script_mss(r));
  size_t need = zn_stack_mem_size(&r->cfg);
  if (need == 0)
    return false;
  r->mem = malloc(need);
  if (!r->mem || zn_stack_create(&r->cfg, r->mem, need, &r->st) != ZN_OK) {
    free(r->mem);
    r->mem = NULL;
    return false;
  }
  zn_memlink_init(&r->link, r->s.mtu == 1500 ? 0 : r->s.mtu, 1024);
  zn_stack_attach(r->st, &r->link.a.nif);
  zn_arp_add_static(r->st, GW_IP, GW_MAC);
  r->have_stack = true;
  zn_stack_poll(r->st, r->now);
  return !r->v6 || configure_ipv6(r);
}

/* A neighbor solicitation for the router (RFC 4861 §7.2.2): answered
 * after this poll (poll_now). */
static void note_router_ns(struct run *r, const uint8_t *f, size_t len) {
  struct zn_ipv6_view ip;
  struct zn_icmp6_view ic;
  struct zn_nd_view nd;
  if (len < 14 || zn_rd16(f + 12) != ZN_ETHERTYPE_IPV6 ||
      zn_ipv6_view_init(&ip, f + 14, len - 14) != ZN_OK ||
      ip.nxt != ZN_IPPROTO_ICMPV6 ||
      zn_icmp6_view_init(&ic, zn_ipv6_payload(&ip),
                         zn_ipv6_payload_len(&ip)) != ZN_OK ||
      zn_nd_view_init(&nd, &ic) != ZN_OK || nd.type != ZN_ICMP6_ND_NS ||
      memcmp(nd.target, GW_IP6, 16) != 0 ||
      zn_ipv6_addr_is_unspecified(ip.src))
    return;
  r->answer_ns = true;
  memcpy(r->ns_from, ip.src, 16);
}

/* Take what the stack sent off the link. */
/* The segment RFC 9293 asks for, owed by the injection under way: taken
 * (once) and noted as an accepted difference rather than examined. */
static bool owed_answer(struct run *r, const struct pd_seg *seg) {
  if (!r->owed.bit || seg->ipv != (r->v6 ? 6 : 4) ||
      seg->flags != r->owed.flags || seg->seq != r->owed.seq || seg->len ||
      ((seg->flags & PD_ACK) && seg->ack != r->owed.ack) ||
      seg->dport != REMOTE_PORT)
    return false;
  r->res->accepted_used |= r->owed.bit;
  trace(r, "sent %s seq %u ack %u: RFC 9293's answer (accepted)",
        r->owed.flags == PD_RST ? "R" : ".", seg->seq, seg->ack);
  r->owed.bit = 0;
  return true;
}

static void collect(struct run *r) {
  struct zn_buf *b;
  while ((b = zn_bufq_pop(&r->link.b.rxq)) != NULL) {
    struct pd_seg seg;
    char why[96];
    int rc = pd_frame_decode(b->data, b->len, &seg, why, sizeof(why));
    if (rc == 0 && r->v6)
      note_router_ns(r, b->data, b->len);
    if (rc <= 0) {
      if (rc < 0)
        verdict(r, PD_FAIL, 0, "the stack sent a malformed frame: %s", why);
      zn_buf_free(b);
      continue;
    }
    if (r->nout == MAX_OUT) {
      verdict(r, PD_FAIL, 0, "more than %d segments sent and not examined",
              MAX_OUT);
      zn_buf_free(b);
      continue;
    }
    if (owed_answer(r, &seg)) {
      zn_buf_free(b);
      continue;
    }
    struct outseg *o = &r->out[r->nout];
    if (seg.ipv != (r->v6 ? 6 : 4)) {
      verdict(r, PD_FAIL, 0, "the stack sent an IPv%d segment", seg.ipv);
    } else {
      o->seg = seg;
      o->t = r->now;
      o->sport = seg.sport;
      o->dport = seg.dport;
      o->ooo_bytes = 0;
      struct zn_tcp_conn *c =
          zn__tcp_lookup(r->st, &r->lip, o->sport, &r->rip, o->dport);
      if (c)
        o->ooo_bytes = c->ooo.bytes;
      r->nout++;
      if (o->seg.flags & PD_ACK) {
        r->peer_view = true;
        r->peer_rcv_nxt = o->seg.ack;
        r->peer_wnd = o->seg.win;
        r->in_max_since_ack = 0;
      }
      if (o->seg.flags & PD_FIN) {
        r->fin_known = true;
        r->fin_seq = o->seg.seq + o->seg.len;
      }
      if (r->o->verbose) {
        char fl[12];
        pd_flags_str(o->seg.flags, fl, sizeof(fl));
        trace(r, "sent %s seq %u ack %u win %u len %u", fl, o->seg.seq,
              o->seg.ack, o->seg.win, o->seg.len);
      }
    }
    zn_buf_free(b);
  }
}

static void complete_pending(struct run *r);

static void track_states(struct run *r) {
  for (int i = 0; i < MAX_SOCKS; i++) {
    struct sock *s = &r->socks[i];
    struct zn_tcp_conn *c = s->used ? sock_conn(s) : NULL;
    if (c && c->state != ZN_TCP_CLOSED)
      s->live_state = c->state;
  }
}

static void poll_now(struct run *r) {
  if (!r->have_stack)
    return;
  zn_stack_poll(r->st, r->now);
  collect(r);
  if (r->answer_ns) {
    r->answer_ns = false;
    answer_router_ns(r, r->ns_from);
  }
  complete_pending(r);
  track_states(r);
}

/* Run the clock to `t` (ns), polling at every deadline on the way. */
static void advance_to(struct run *r, uint64_t t) {
  if (!r->have_stack) {
    if (t > r->now)
      r->now = t;
    return;
  }
  for (int guard = 0; guard < 1000000 && !r->done; guard++) {
    poll_now(r);
    if (r->now >= t)
      return;
    uint64_t next = zn_stack_next_deadline(r->st);
    if (next <= r->now)
      next = r->now + 1;
    if (next > t)
      next = t;
    r->now = next;
  }
}

/* One step toward `limit`: to the next deadline or the limit. */
static void step(struct run *r, uint64_t limit) {
  poll_now(r);
  uint64_t next = zn_stack_next_deadline(r->st);
  if (next <= r->now)
    next = r->now + 1;
  if (next > limit)
    next = limit;
  if (next > r->now) {
    r->now = next;
    poll_now(r);
  }
}

/* ---- segments in ---- */

static uint16_t cur_lport(const struct run *r) {
  if (r->lport_known)
    return r->lport;
  return BIND_PORT;
}

static void inject_frame(struct run *r, const uint8_t *frame, size_t len) {
  struct zn_buf *b = zn_stack_buf_alloc(r->st, len);
  if (!b) {
    verdict(r, PD_FAIL, 0, "no buffer to inject a frame (stack leak?)");
    return;
  }
  memcpy(zn_buf_put(b, len), frame, len);
  zn_bufq_push(&r->link.a.rxq, b);
  poll_now(r);
}

static size_t ip_frame(uint8_t *f, uint8_t proto, uint8_t ttl, uint8_t tos,
                       const uint8_t *payload, size_t plen) {
  zn_eth_emit(f, STACK_MAC, GW_MAC, ZN_ETHERTYPE_IPV4);
  struct zn_ipv4_hdr h;
  memset(&h, 0, sizeof(h));
  h.ttl = ttl;
  h.tos = tos;
  h.proto = proto;
  h.id = 1;
  h.frag = 0x4000;
  h.tot_len = (uint16_t)(20 + plen);
  h.src = REMOTE_IP;
  h.dst = LOCAL_IP;
  zn_ipv4_emit(f + 14, &h);
  memcpy(f + 34, payload, plen);
  return 34 + plen;
}

/* RFC 9293 §3.3.2's acceptability test of a segment of seg_len sequence
 * numbers at seq against the window the stack advertised last
 * (RCV.NXT up to the right edge it sent). */
static bool seg_acceptable(const struct zn_tcp_conn *c, uint32_t seq,
                           uint32_t seg_len) {
  uint32_t wnd = c->rcv_adv - c->rcv_nxt;
  if ((int32_t)wnd < 0)
    wnd = 0;
  uint32_t first = seq - c->rcv_nxt, last = seq + seg_len - 1 - c->rcv_nxt;
  if (seg_len == 0)
    return wnd == 0 ? seq == c->rcv_nxt : first < wnd;
  return wnd != 0 && (first < wnd || last < wnd);
}

/* Note the answer RFC 9293 prescribes to the segment about to go in,
 * where the scripts expect FreeBSD's silence (accepted.c says where and
 * why): a SYN-ACK to a listener gets <SEQ=SEG.ACK><CTL=RST>; a segment
 * without ACK, RST or SYN outside the window in TIME-WAIT gets
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
static void owe_answer(struct run *r, const struct zn_tcp_conn *c,
                       const struct pd_pkt *k, uint32_t seq, uint32_t ack) {
  uint8_t ctl = k->flags & (PD_SYN | PD_ACK | PD_RST);
  r->owed.bit = 0;
  if ((r->accept & PD_ACC_LISTEN_RST) && ctl == (PD_SYN | PD_ACK) &&
      (c == NULL || c->state == ZN_TCP_LISTEN) &&
      zn__tcp_lookup_listener(r->st, &r->lip, cur_lport(r)) != NULL) {
    r->owed.bit = PD_ACC_LISTEN_RST;
    r->owed.flags = PD_RST;
    r->owed.seq = ack;
  } else if ((r->accept & PD_ACC_TW_ACK) && ctl == 0 && c &&
             c->state == ZN_TCP_TIME_WAIT &&
             !seg_acceptable(c, seq,
                             k->len + ((k->flags & PD_FIN) ? 1u : 0u))) {
    r->owed.bit = PD_ACC_TW_ACK;
    r->owed.flags = PD_ACK;
    r->owed.seq = c->snd_nxt;
    r->owed.ack = c->rcv_nxt;
  }
}

static void inject_pkt(struct run *r, const struct pd_event *e) {
  const struct pd_pkt *k = &e->pkt;
  static uint8_t seg[60 + 65536], frame[14 + 40 + sizeof(seg)];
  if (k->seq_any) {
    verdict(r, PD_FAIL, e->line, "an inbound packet needs sequence numbers");
    return;
  }
  if (k->len > 1500 * 40) {
    verdict(r, PD_FAIL, e->line, "inbound payload too long");
    return;
  }
  struct pd_opt o[PD_MAX_OPTS];
  for (int i = 0; i < k->nopts; i++) {
    o[i] = k->opts[i];
    if (o[i].kind == PD_OPT_SACK)
      for (int j = 0; j < o[i].nsack; j++) {
        o[i].sack[j].left += r->map.local_isn;
        o[i].sack[j].right += r->map.local_isn;
      }
    if (o[i].kind == PD_OPT_TS && o[i].ecr && r->map.ts_known)
      o[i].ecr += r->map.ts_offset;
  }
  int olen = pd_opts_encode(o, k->nopts, seg + 20);
  if (olen < 0) {
    verdict(r, PD_FAIL, e->line, "inbound options do not fit");
    return;
  }
  uint32_t seq = REMOTE_ISN + k->seq;
  uint32_t ack = k->has_ack ? r->map.local_isn + k->ack : 0;
  /* PD_ACC_WIN_EDGE: the scripts' right edge is FreeBSD's, RCV.NXT plus
   * its free buffer (65700 rounded from 65536), beyond the 65535 a window
   * field without scaling carries.  znet's edge is what it advertised: a
   * segment between the two is moved down to the same place relative to
   * znet's edge. */
  struct zn_tcp_conn *lc =
      zn__tcp_lookup(r->st, &r->lip, cur_lport(r), &r->rip, REMOTE_PORT);
  if ((r->accept & PD_ACC_WIN_EDGE) && lc && r->peer_view &&
      lc->rcv_wscale == 0 && lc->state != ZN_TCP_LISTEN &&
      lc->state != ZN_TCP_TIME_WAIT) {
    uint32_t buf = bsd_rcvbuf(r, lc);
    uint32_t fwnd = buf > zn_tcp_readable(lc)
                        ? buf - (uint32_t)zn_tcp_readable(lc)
                        : 0;
    if (lc->state == ZN_TCP_SYN_RECEIVED && (lc->flags & ZN__TCPF_PASSIVE) &&
        fwnd > 65535)
      fwnd = 65535; /* the syncache's window: the SYN-ACK's field */
    uint32_t d = seq - r->peer_rcv_nxt;
    if (fwnd > r->peer_wnd && (int32_t)d >= 0 && d >= r->peer_wnd &&
        d <= fwnd) {
      seq -= fwnd - r->peer_wnd;
      r->res->accepted_used |= PD_ACC_WIN_EDGE;
      trace(r, "right edge: seq %u moved down by %u", k->seq,
            fwnd - r->peer_wnd);
    }
  }
  if (k->len > r->in_max_since_ack)
    r->in_max_since_ack = k->len;
  uint16_t win = k->has_win ? (uint16_t)k->win : 65535;
  zn_tcp_emit(seg, REMOTE_PORT, cur_lport(r), seq, ack, k->flags, win,
              (size_t)olen);
  size_t tlen = 20 + (size_t)olen + k->len;
  memset(seg + 20 + olen, 0, k->len);
  uint8_t tos = (uint8_t)(k->tos >= 0 ? k->tos : 0);
  if (k->ecn != PD_ECN_UNSET) /* [noecn], [ect0], [ect1], [ce] */
    tos = (uint8_t)((tos & ~3u) | (unsigned)k->ecn);
  uint8_t ttl = (uint8_t)(k->ttl >= 0 ? k->ttl : 64);
  size_t flen;
  if (r->v6) {
    zn_tcp_finish_psum(seg, tlen,
                       zn_csum_pseudo6(REMOTE_IP6, LOCAL_IP6, (uint32_t)tlen,
                                       ZN_IPPROTO_TCP));
    flen = ip6_frame(frame, REMOTE_IP6, LOCAL_IP6, ZN_IPPROTO_TCP, ttl, tos,
                     seg, tlen);
  } else {
    zn_tcp_finish(seg, tlen, REMOTE_IP, LOCAL_IP);
    flen = ip_frame(frame, ZN_IPPROTO_TCP, ttl, tos, seg, tlen);
  }
  if (r->o->verbose) {
    char b[200];
    pd_pkt_str(k, b, sizeof(b));
    trace(r, "inject %s", b);
  }
  owe_answer(r, lc, k, seq, ack);
  inject_frame(r, frame, flen);
  r->owed.bit = 0;
}

/* RFC 4443 §3: an ICMPv6 error from the peer quoting our segment (IPv6
 * header and the first 8 bytes of TCP: ports and sequence number). */
static void inject_icmp6(struct run *r, const struct pd_event *e) {
  const struct pd_icmp *m = &e->icmp;
  uint8_t msg[8 + 48];
  struct zn_ipv6_hdr h;
  memset(&h, 0, sizeof(h));
  h.hlim = 64;
  h.nxt = ZN_IPPROTO_TCP;
  h.plen = (uint16_t)(20 + (m->has_seq ? m->len : 0));
  memcpy(h.src, LOCAL_IP6, 16);
  memcpy(h.dst, REMOTE_IP6, 16);
  zn_ipv6_emit(msg + 8, &h);
  zn_wr16(msg + 48, cur_lport(r));
  zn_wr16(msg + 50, REMOTE_PORT);
  zn_wr32(msg + 52, r->map.local_isn + (m->has_seq ? m->seq : 0));
  zn_icmp6_emit(msg, m->type, m->code, m->has_mtu ? m->mtu : 0);
  zn_icmp6_finish(msg, sizeof(msg),
                  zn_csum_pseudo6(REMOTE_IP6, LOCAL_IP6, sizeof(msg),
                                  ZN_IPPROTO_ICMPV6));
  uint8_t frame[14 + 40 + sizeof(msg)];
  size_t flen = ip6_frame(frame, REMOTE_IP6, LOCAL_IP6, ZN_IPPROTO_ICMPV6, 64,
                          0, msg, sizeof(msg));
  trace(r, "inject icmp6 %s", m->what);
  inject_frame(r, frame, flen);
}

static void inject_icmp(struct run *r, const struct pd_event *e) {
  const struct pd_icmp *m = &e->icmp;
  if (r->v6) {
    inject_icmp6(r, e);
    return;
  }
  uint8_t quote[28];
  struct zn_ipv4_hdr h;
  memset(&h, 0, sizeof(h));
  h.ttl = 64;
  h.proto = ZN_IPPROTO_TCP;
  h.tot_len = (uint16_t)(40 + (m->has_seq ? m->len : 0));
  h.frag = 0x4000;
  h.src = LOCAL_IP;
  h.dst = REMOTE_IP;
  zn_ipv4_emit(quote, &h);
  zn_wr16(quote + 20, cur_lport(r));
  zn_wr16(quote + 22, REMOTE_PORT);
  zn_wr32(quote + 24, r->map.local_isn + (m->has_seq ? m->seq : 0));
  uint8_t msg[8 + sizeof(quote)];
  uint32_t rest = m->has_mtu ? m->mtu & 0xffffu : 0;
  zn_icmp_emit(msg, m->type, m->code, rest);
  memcpy(msg + 8, quote, sizeof(quote));
  zn_icmp_finish(msg, sizeof(msg));
  uint8_t frame[14 + 20 + sizeof(msg)];
  size_t flen = ip_frame(frame, ZN_IPPROTO_ICMP, 64, 0, msg, sizeof(msg));
  trace(r, "inject icmp %s", m->what);
  inject_frame(r, frame, flen);
}

/* ---- segments out ---- */

static int64_t tol_us(const struct run *r) { return r->s.tolerance_us; }

static void expect_pkt(struct run *r, const struct pd_event *e, int64_t t_us) {
  const struct pd_pkt *k = &e->pkt;
  int64_t tol = tol_us(r);
  int64_t lo, hi;
  bool any = e->t.kind == PD_T_ANY;
  if (any) {
    lo = INT64_MIN / 2;
    hi = now_us(r) + 3600ll * 1000000;
  } else if (e->t.kind == PD_T_RANGE) {
    lo = e->t.us - tol;
    hi = e->t.end_us + tol;
  } else {
    lo = t_us - tol;
    hi = t_us + tol;
  }
  /* PD_ACC_DELACK_SMALL: a pure ACK for data that came in segments
   * smaller than the MSS may wait for the delayed-ACK timer. */
  int64_t late = 0;
  if ((r->accept & PD_ACC_DELACK_SMALL) && !any && k->flags == PD_ACK &&
      k->len == 0 && r->in_max_since_ack > 0 &&
      r->in_max_since_ack < script_mss(r))
    late = (int64_t)r->st->cfg.tcp_delack_ms * 1000;
  uint64_t limit = T0 + (uint64_t)(hi + late > 0 ? hi + late : 0) * 1000;
  while (r->nout == 0 && !r->done) {
    if (r->now >= limit ||
        (any && zn_stack_next_deadline(r->st) == ZN_TIME_NEVER)) {
      char b[200];
      pd_pkt_str(k, b, sizeof(b));
      if (any)
        verdict(r, PD_FAIL, e->line, "expected %s, the stack sent nothing", b);
      else
        verdict(r, PD_FAIL, e->line,
                "expected %s at %.3f s, nothing sent by %.3f s", b,
                (double)t_us / 1e6, (double)hi / 1e6);
      return;
    }
    step(r, limit);
  }
  if (r->done)
    return;
  struct outseg o = r->out[0];
  memmove(&r->out[0], &r->out[1], (size_t)(r->nout - 1) * sizeof(r->out[0]));
  r->nout--;
  int64_t sent_us = (int64_t)(o.t - T0) / 1000;
  /* The TSval may be off by as much as the segment's time may. */
  int64_t off = sent_us - t_us;
  if (off < 0)
    off = -off;
  r->map.ts_slack_ms = any ? INT32_MAX : (tol + off) / 1000 + 1;
  /* Our ISN is the sequence number of the stack's first SYN (or of a SYN
   * the script does not number: a new incarnation); a SYN at it again is
   * a retransmission (PD_ACC_ECN_SYN_RTX). */
  bool syn_rtx = (o.seg.flags & PD_SYN) && r->isn_known &&
                 o.seg.seq == r->map.local_isn;
  if ((o.seg.flags & PD_SYN) && (!r->isn_known || k->seq_any)) {
    r->map.local_isn = o.seg.seq - (k->seq_any ? 0 : k->seq);
    r->isn_known = true;
  }
  struct pd_match_ctx ctx = {&r->map,      r->accept, o.ooo_bytes,
                             r->fin_known, r->fin_seq, syn_rtx};
  char why[400];
  unsigned used = 0;
  if (!pd_match(k, &o.seg, &ctx, why, sizeof(why), &used)) {
    verdict(r, PD_FAIL, e->line, "%s", why);
    return;
  }
  if (o.dport != REMOTE_PORT || (r->lport_known && o.sport != r->lport)) {
    verdict(r, PD_FAIL, e->line, "segment from port %u to %u", o.sport,
            o.dport);
    return;
  }
  /* When. */
  bool rtx = r->seen_seq_valid && (k->flags & (PD_SYN | PD_FIN) || k->len) &&
             (int32_t)(o.seg.seq - r->max_seq_sent) < 0;
  int64_t early = lo;
  if (rtx && (r->accept & PD_ACC_RTO_SLOP) && r->sys.slop_ms)
    early -= r->sys.slop_ms * 1000;
  if (!any && sent_us < lo) {
    if (sent_us >= early) {
      used |= PD_ACC_RTO_SLOP;
    } else {
      char b[200];
      pd_pkt_str(k, b, sizeof(b));
      verdict(r, PD_FAIL, e->line,
              "%s sent at %.3f s, expected at %.3f s (+-%.3f)", b,
              (double)sent_us / 1e6, (double)t_us / 1e6, (double)tol / 1e6);
      return;
    }
  }
  if (!any && sent_us > hi + late) {
    char b[200];
    pd_pkt_str(k, b, sizeof(b));
    verdict(r, PD_FAIL, e->line, "%s sent at %.3f s, expected at %.3f s (+-%.3f)",
            b, (double)sent_us / 1e6, (double)t_us / 1e6, (double)tol / 1e6);
    return;
  }
  if (!any && sent_us > hi)
    used |= PD_ACC_DELACK_SMALL;
  r->res->accepted_used |= used;
  /* Learn our ISN, port and TS clock. */
  if (o.seg.flags & PD_SYN) {
    r->lport = o.sport;
    r->lport_known = true;
  }
  if (!r->map.ts_known) {
    for (int i = 0; i < k->nopts; i++)
      if (k->opts[i].kind == PD_OPT_TS) {
        /* The sent TSval: find it in the options. */
        for (int j = 0; j + 1 < o.seg.optlen;) {
          uint8_t kind = o.seg.opts[j];
          if (kind == 0)
            break;
          if (kind == 1) {
            j++;
            continue;
          }
          if (kind == 8 && j + 10 <= o.seg.optlen) {
            r->map.ts_offset = zn_rd32(o.seg.opts + j + 2) - k->opts[i].val;
            r->map.ts_known = true;
          }
          j += o.seg.opts[j + 1] ? o.seg.opts[j + 1] : 1;
        }
      }
  }
  /* The highest sequence sent, to tell retransmissions (PD_ACC_RTO_SLOP). */
  uint32_t end = o.seg.seq + o.seg.len + ((o.seg.flags & PD_SYN) ? 1u : 0u) +
                 ((o.seg.flags & PD_FIN) ? 1u : 0u);
  if (!(o.seg.flags & PD_RST) &&
      (!r->seen_seq_valid || (int32_t)(end - r->max_seq_sent) > 0)) {
    r->max_seq_sent = end;
    r->seen_seq_valid = true;
  }
  r->last_us = sent_us;
}

/* ---- sockets ---- */

static struct sock *sock_of(struct run *r, int fd) {
  for (int i = 0; i < MAX_SOCKS; i++)
    if (r->socks[i].used && r->socks[i].fd == fd)
      return &r->socks[i];
  return NULL;
}

static struct sock *new_sock(struct run *r) {
  for (int fd = 3; fd < 3 + MAX_SOCKS; fd++) {
    if (sock_of(r, fd))
      continue;
    for (int i = 0; i < MAX_SOCKS; i++)
      if (!r->socks[i].used) {
        struct sock *s = &r->socks[i];
        memset(s, 0, sizeof(*s));
        s->used = true;
        s->fd = fd;
        return s;
      }
  }
  return NULL;
}

/* The integer value of an argument (numbers and known names). */
static bool arg_value(const struct pd_arg *a, int64_t *v) {
  static const struct {
    const char *name;
    int64_t v;
  } names[] = {
      {"O_RDWR", BSD_O_RDWR},   {"O_NONBLOCK", BSD_O_NONBLOCK},
      {"O_RDONLY", 0},          {"MSG_PEEK", 2},
      {"SHUT_RD", 0},           {"SHUT_WR", 1},
      {"SHUT_RDWR", 2},
  };
  if (a->kind == PD_ARG_INT) {
    *v = a->num;
    return true;
  }
  if (a->kind == PD_ARG_LIST && a->nlist == 1)
    return arg_value(&a->list[0], v);
  if (a->kind != PD_ARG_SYMS)
    return false;
  int64_t x = 0;
  for (int i = 0; i < a->nsyms; i++) {
    const char *s = a->syms[i];
    if (isdigit((unsigned char)s[0]) || s[0] == '-') {
      x |= strtoll(s, NULL, 0);
      continue;
    }
    bool found = false;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
      if (strcmp(names[k].name, s) == 0) {
        x |= names[k].v;
        found = true;
      }
    if (!found)
      return false;
  }
  *v = x;
  return true;
}

static const char *arg_sym(const struct pd_arg *a) {
  if (a->kind == PD_ARG_SYMS && a->nsyms == 1)
    return a->syms[0];
  if (a->kind == PD_ARG_LIST && a->nlist == 1)
    return arg_sym(&a->list[0]);
  return NULL;
}

/* What a call returned: ret, or -1 with err (a ZN_E* code); block: it
 * cannot complete yet. */
struct callres {
  int64_t ret;
  int err;
  bool block;
  int64_t outval;        /* getsockopt: the value read */
  const char *outsym;    /* getsockopt: the value read, as a name */
};

static struct callres ok(int64_t v) {
  return (struct callres){.ret = v};
}
static struct callres fail_err(int err) {
  return (struct callres){.ret = -1, .err = err};
}
static struct callres would_block(const struct sock *s) {
  if (s->nonblock)
    return fail_err(ZN_EAGAIN);
  return (struct callres){.block = true};
}

static int errno_of(const char *name) {
  for (int e = 0; e >= -40; e--)
    if (strcmp(zn_err_name(e), name) == 0)
      return e;
  if (strcmp(name, "EWOULDBLOCK") == 0)
    return ZN_EAGAIN;
  return 1; /* no such code */
}

static struct callres do_read(struct run *r, struct sock *s, int64_t n,
                              bool peek) {
  struct zn_tcp_conn *c = sock_conn(s);
  (void)r;
  if (!c) {
    if (s->so_error) {
      int e = s->so_error;
      if (!peek)
        s->so_error = 0;
      return fail_err(e);
    }
    return s->was_connected ? ok(0) : fail_err(ZN_ENOTCONN);
  }
  size_t avail = zn_tcp_readable(c);
  if (avail > 0) {
    size_t k = avail < (size_t)n ? avail : (size_t)n;
    if (peek)
      return ok((int64_t)k);
    uint8_t buf[4096];
    size_t done = 0;
    while (done < k) {
      size_t want = k - done < sizeof(buf) ? k - done : sizeof(buf);
      long got = zn_tcp_read(c, buf, want);
      if (got <= 0)
        break;
      done += (size_t)got;
    }
    return ok((int64_t)done);
  }
  if (s->so_error) {
    int e = s->so_error;
    if (!peek)
      s->so_error = 0;
    return fail_err(e);
  }
  long rc = zn_tcp_read(c, NULL, 0);
  if (rc == 0)
    return ok(0);
  if (rc == ZN_EAGAIN)
    return would_block(s);
  if (rc == ZN_ENOTCONN)
    return s->was_connected ? ok(0) : fail_err(ZN_ENOTCONN);
  /* A failure already reported through SO_ERROR: end of stream. */
  return ok(0);
}

static struct callres do_write(struct run *r, struct sock *s, int64_t n) {
  (void)r;
  struct zn_tcp_conn *c = sock_conn(s);
  if (s->so_error) {
    int e = s->so_error;
    s->so_error = 0;
    return fail_err(e);
  }
  if (!c)
    return fail_err(s->was_connected ? ZN_EPIPE : ZN_ENOTCONN);
  static uint8_t zeros[65536];
  if (n > (int64_t)sizeof(zeros))
    return fail_err(ZN_EINVAL);
  long rc = zn_tcp_write(c, zeros, (size_t)n);
  if (rc == ZN_EAGAIN)
    return would_block(s);
  if (rc < 0)
    return fail_err((int)rc);
  return ok(rc);
}

static void sync_cur_fd(struct run *r, const struct pd_syscall *c) {
  int64_t v;
  if (c->nargs > 0 && arg_value(&c->args[0], &v))
    r->cur_fd = (int)v;
}

static uint32_t rcvbuf_of(const struct run *r, const struct sock *s) {
  return bsd_rcvbuf(r, sock_conn(s));
}

/* Run a call; false if it cannot complete yet (a blocking call). */
static bool run_call(struct run *r, const struct pd_event *e, bool first) {
  const struct pd_syscall *call = &e->call;
  const char *nm = call->name;
  struct callres res = {0};
  int64_t fd = -1;
  struct sock *s = NULL;
  if (strcmp(nm, "socket") != 0) {
    if (call->nargs < 1 || !arg_value(&call->args[0], &fd) ||
        !(s = sock_of(r, (int)fd))) {
      verdict(r, PD_FAIL, e->line, "%s: no such socket", nm);
      return true;
    }
  }
  if (first)
    sync_cur_fd(r, call);
  if (strcmp(nm, "socket") == 0) {
    s = new_sock(r);
    if (!s) {
      verdict(r, PD_FAIL, e->line, "too many sockets");
      return true;
    }
    r->cur_fd = s->fd;
    res = ok(s->fd);
  } else if (strcmp(nm, "bind") == 0) {
    s->bound = true;
    s->port = BIND_PORT;
    res = ok(0);
  } else if (strcmp(nm, "listen") == 0) {
    int64_t backlog = 0;
    if (call->nargs > 1)
      arg_value(&call->args[1], &backlog);
    struct hrec *h = new_hrec(r, s, NULL);
    struct zn_tcp_conn *l;
    int rc = h ? zn_tcp_listen(r->st, NULL, s->port ? s->port : BIND_PORT,
                               backlog > 0 ? (uint32_t)backlog : 1, &cbs, h, &l)
               : ZN_ENOMEM;
    if (rc == ZN_OK) {
      h->c = l;
      s->h = h;
      s->listening = true;
      res = ok(0);
    } else {
      res = fail_err(rc);
    }
  } else if (strcmp(nm, "accept") == 0) {
    struct zn_tcp_conn *l = sock_conn(s), *c;
    if (!l || !s->listening) {
      res = fail_err(ZN_EINVAL);
    } else if (zn_tcp_accept(l, &c) == ZN_OK) {
      struct sock *n = new_sock(r);
      struct hrec *h = n ? new_hrec(r, n, c) : NULL;
      if (!h) {
        verdict(r, PD_FAIL, e->line, "too many sockets");
        return true;
      }
      zn_tcp_set_callbacks(c, &cbs, h);
      n->h = h;
      n->was_connected = true;
      r->cur_fd = n->fd;
      res = ok(n->fd);
    } else {
      res = would_block(s);
    }
  } else if (strcmp(nm, "connect") == 0) {
    if (first) {
      struct hrec *h = new_hrec(r, s, NULL);
      struct zn_tcp_conn *c;
      int rc = h ? zn_tcp_connect(r->st, &r->rip, REMOTE_PORT, &cbs, h, &c)
                 : ZN_ENOMEM;
      if (rc != ZN_OK) {
        res = fail_err(rc);
      } else {
        h->c = c;
        s->h = h;
        res = s->nonblock ? fail_err(ZN_EINPROGRESS) : (struct callres){.block = true};
      }
    } else if (s->h && s->h->connected) {
      res = ok(0);
    } else if (s->so_error) {
      res = fail_err(s->so_error);
      s->so_error = 0;
    } else {
      res.block = true;
    }
  } else if (strcmp(nm, "read") == 0 || strcmp(nm, "recv") == 0) {
    int64_t n = 0, flags = 0;
    if (call->nargs > 2)
      arg_value(&call->args[2], &n);
    if (call->nargs > 3 && !arg_value(&call->args[3], &flags)) {
      verdict(r, PD_SKIP, e->line, "%s flags not supported", nm);
      return true;
    }
    res = do_read(r, s, n, (flags & 2) != 0);
  } else if (strcmp(nm, "write") == 0 || strcmp(nm, "send") == 0) {
    int64_t n = 0;
    if (call->nargs > 2)
      arg_value(&call->args[2], &n);
    res = do_write(r, s, n);
  } else if (strcmp(nm, "close") == 0) {
    struct zn_tcp_conn *c = sock_conn(s);
    if (c)
      zn_tcp_close(c);
    if (s->h)
      s->h->s = NULL;
    s->used = false;
    res = ok(0);
  } else if (strcmp(nm, "shutdown") == 0) {
    struct zn_tcp_conn *c = sock_conn(s);
    int64_t how = 1;
    if (call->nargs > 1)
      arg_value(&call->args[1], &how);
    if (how != 1) {
      verdict(r, PD_SKIP, e->line, "shutdown other than SHUT_WR");
      return true;
    }
    int rc = c ? zn_tcp_shutdown(c) : ZN_ENOTCONN;
    res = rc == ZN_OK ? ok(0) : fail_err(rc);
  } else if (strcmp(nm, "fcntl") == 0) {
    const char *cmd = call->nargs > 1 ? arg_sym(&call->args[1]) : NULL;
    if (cmd && strcmp(cmd, "F_GETFL") == 0) {
      res = ok(BSD_O_RDWR | (s->nonblock ? BSD_O_NONBLOCK : 0));
    } else if (cmd && strcmp(cmd, "F_SETFL") == 0 && call->nargs > 2) {
      int64_t fl;
      if (!arg_value(&call->args[2], &fl)) {
        verdict(r, PD_SKIP, e->line, "fcntl flags not supported");
        return true;
      }
      s->nonblock = (fl & BSD_O_NONBLOCK) != 0;
      res = ok(0);
    } else {
      verdict(r, PD_SKIP, e->line, "fcntl command not supported");
      return true;
    }
  } else if (strcmp(nm, "getsockopt") == 0 || strcmp(nm, "setsockopt") == 0) {
    const char *lvl = call->nargs > 1 ? arg_sym(&call->args[1]) : NULL;
    const char *opt = call->nargs > 2 ? arg_sym(&call->args[2]) : NULL;
    bool get = nm[0] == 'g';
    if (!lvl || !opt) {
      verdict(r, PD_SKIP, e->line, "%s: unsupported arguments", nm);
      return true;
    }
    if (get && strcmp(opt, "SO_ERROR") == 0) {
      res = ok(0);
      res.outval = 0;
      if (s->so_error) {
        res.outsym = zn_err_name(s->so_error);
        res.outval = 1;
        s->so_error = 0;
      }
    } else if (get && strcmp(opt, "SO_RCVBUF") == 0) {
      res = ok(0);
      res.outval = rcvbuf_of(r, s);
    } else if (!get && strcmp(opt, "SO_REUSEADDR") == 0) {
      res = ok(0);
    } else if (!get && strcmp(opt, "TCP_NODELAY") == 0) {
      int64_t v = 0;
      if (call->nargs > 3)
        arg_value(&call->args[3], &v);
      struct zn_tcp_conn *c = sock_conn(s);
      if (c)
        zn_tcp_set_nodelay(c, v != 0);
      res = ok(0);
    } else {
      verdict(r, PD_SKIP, e->line, "%s %s not supported", nm, opt);
      return true;
    }
    /* Compare the value read with the script's [value]. */
    if (get && call->nargs > 3) {
      const struct pd_arg *want = &call->args[3];
      const char *wsym = arg_sym(want);
      int64_t wv;
      bool match;
      char gotb[48], wantb[48];
      if (res.outsym)
        snprintf(gotb, sizeof(gotb), "%s", res.outsym);
      else
        snprintf(gotb, sizeof(gotb), "%lld", (long long)res.outval);
      if (wsym && wsym[0] == 'E') {
        match = res.outsym && strcmp(res.outsym, wsym) == 0;
        snprintf(wantb, sizeof(wantb), "%s", wsym);
      } else if (arg_value(want, &wv)) {
        match = !res.outsym && res.outval == wv;
        snprintf(wantb, sizeof(wantb), "%lld", (long long)wv);
      } else {
        match = true; /* [...] */
        wantb[0] = 0;
      }
      /* PD_ACC_RST_QUIET: a RST that closed CLOSING or LAST-ACK. */
      if (!match && (r->accept & PD_ACC_RST_QUIET) && !res.outsym &&
          wsym && strcmp(wsym, "ECONNRESET") == 0 && !sock_conn_live(s) &&
          (s->live_state == ZN_TCP_CLOSING ||
           s->live_state == ZN_TCP_LAST_ACK)) {
        match = true;
        r->res->accepted_used |= PD_ACC_RST_QUIET;
      }
      if (!match) {
        verdict(r, PD_FAIL, e->line, "getsockopt(%s) = %s, expected %s", opt,
                gotb, wantb);
        return true;
      }
    }
  } else {
    verdict(r, PD_SKIP, e->line, "system call %s not supported", nm);
    return true;
  }
  if (res.block)
    return false;
  /* Compare the result. */
  int werr = call->err[0] ? errno_of(call->err) : 0;
  bool good;
  if (call->ret < 0 || res.ret < 0)
    good = call->ret == res.ret && (call->err[0] == 0 || werr == res.err);
  else
    good = call->ret == res.ret;
  if (!good) {
    char got[64], want[64];
    if (res.ret < 0)
      snprintf(got, sizeof(got), "-1 %s", zn_err_name(res.err));
    else
      snprintf(got, sizeof(got), "%lld", (long long)res.ret);
    snprintf(want, sizeof(want), "%lld%s%s", (long long)call->ret,
             call->err[0] ? " " : "", call->err);
    verdict(r, PD_FAIL, e->line, "%s() = %s, expected %s", nm, got, want);
    return true;
  }
  trace(r, "%s() = %lld", nm, (long long)res.ret);
  return true;
}

static void complete_pending(struct run *r) {
  if (!r->pend.active || r->done)
    return;
  const struct pd_event *e = r->pend.e;
  if (!run_call(r, e, false))
    return;
  r->pend.active = false;
  if (r->done)
    return;
  int64_t t = now_us(r);
  int64_t d = t - r->pend.end_us;
  if (d < 0)
    d = -d;
  if (d > tol_us(r))
    verdict(r, PD_FAIL, e->line, "%s() returned at %.3f s, expected %.3f s",
            e->call.name, (double)t / 1e6, (double)r->pend.end_us / 1e6);
}

/* A blocking call must be over by the time the script goes past it. */
static void check_pending(struct run *r, int64_t t_us) {
  if (!r->pend.active || r->done)
    return;
  if (t_us > r->pend.end_us + tol_us(r)) {
    advance_to(r, T0 + (uint64_t)(r->pend.end_us + tol_us(r)) * 1000);
    if (r->pend.active && !r->done)
      verdict(r, PD_FAIL, r->pend.e->line, "%s() did not return by %.3f s",
              r->pend.e->call.name,
              (double)(r->pend.end_us + tol_us(r)) / 1e6);
  }
}

/* ---- commands and code ---- */

static void apply_sysctl(struct run *r, const char *name, const char *value,
                         int line) {
  const struct pd_sysctl *sc = pd_sysctl_find(name, value);
  if (!sc) {
    verdict(r, PD_SKIP, line, "sysctl %s has no znet equivalent", name);
    return;
  }
  struct zn_config *cfg = r->have_stack ? &r->st->cfg : &r->cfg;
  const char *why = pd_sysctl_apply(sc, atol(value), script_mss(r), cfg,
                                    &r->sys);
  if (why)
    verdict(r, PD_SKIP, line, "%s", why);
}

/* "sysctl -w NAME=VALUE" -> name, value; false if not that form. */
static bool parse_sysctl(const char *cmd, char *name, size_t nl, char *value,
                         size_t vl) {
  const char *p = cmd;
  while (*p == ' ')
    p++;
  if (strncmp(p, "sysctl", 6) != 0)
    return false;
  p += 6;
  while (*p == ' ')
    p++;
  if (strncmp(p, "-w", 2) == 0) {
    p += 2;
    while (*p == ' ')
      p++;
  }
  const char *eq = strchr(p, '=');
  if (!eq)
    return false;
  snprintf(name, nl, "%.*s", (int)(eq - p), p);
  const char *v = eq + 1, *ve = v;
  while (*ve && *ve != ' ')
    ve++;
  snprintf(value, vl, "%.*s", (int)(ve - v), v);
  while (*ve == ' ')
    ve++;
  return *ve == 0;
}

/* FreeBSD's names of TCP states (sockstat -s). */
static const char *const bsd_states[ZN_TCP_NSTATES] = {
    "CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RCVD",
    "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
    "CLOSING",     "LAST_ACK",   "TIME_WAIT"};

struct sockstat {
  int port;        /* -p N, or -1 */
  bool own;        /* | grep packetdril: the script's own sockets */
  char state[16];  /* grep -c STATE */
  int want;        /* grep N */
};

static bool parse_sockstat(const char *cmd, struct sockstat *q) {
  memset(q, 0, sizeof(*q));
  q->port = -1;
  q->want = -1;
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", cmd);
  char *save = NULL;
  int part = 0;
  for (char *seg = strtok_r(buf, "|", &save); seg;
       seg = strtok_r(NULL, "|", &save), part++) {
    char *w[8];
    int nw = 0;
    char *s2 = NULL;
    for (char *t = strtok_r(seg, " ", &s2); t && nw < 8;
         t = strtok_r(NULL, " ", &s2))
      w[nw++] = t;
    if (nw == 0)
      return false;
    if (part == 0) {
      if (strcmp(w[0], "sockstat") != 0)
        return false;
      for (int i = 1; i < nw; i++)
        if (strcmp(w[i], "-p") == 0 && i + 1 < nw)
          q->port = atoi(w[++i]);
      continue;
    }
    if (strcmp(w[0], "grep") != 0)
      return false;
    if (nw == 3 && strcmp(w[1], "-c") == 0)
      snprintf(q->state, sizeof(q->state), "%s", w[2]);
    else if (nw == 2 && strcmp(w[1], "packetdril") == 0)
      q->own = true;
    else if (nw == 2 && isdigit((unsigned char)w[1][0]))
      q->want = atoi(w[1]);
    else
      return false;
  }
  return q->state[0] && q->want >= 0;
}

static int count_state(struct run *r, const struct sockstat *q) {
  int n = 0;
  if (q->own) {
    for (int i = 0; i < MAX_SOCKS; i++) {
      const struct sock *s = &r->socks[i];
      if (!s->used)
        continue;
      struct zn_tcp_conn *c = sock_conn(s);
      int st = c ? c->state : ZN_TCP_CLOSED;
      if (strcmp(bsd_states[st], q->state) == 0)
        n++;
    }
    return n;
  }
  for (uint32_t i = 0; i < r->st->cfg.tcp_conns; i++) {
    const struct zn_tcp_conn *c = &ZN__MOD(r->st, tcp)->conns[i];
    if (c->state == ZN_TCP_CLOSED)
      continue;
    if (q->port >= 0 && c->lport != q->port && c->rport != q->port)
      continue;
    if (strcmp(bsd_states[c->state], q->state) == 0)
      n++;
  }
  return n;
}

static void run_cmd(struct run *r, const struct pd_event *e) {
  char name[96], value[64];
  struct sockstat q;
  if (parse_sysctl(e->text, name, sizeof(name), value, sizeof(value))) {
    trace(r, "sysctl %s=%s", name, value);
    apply_sysctl(r, name, value, e->line);
  } else if (parse_sockstat(e->text, &q)) {
    if (!r->have_stack) {
      if (q.want != 0)
        verdict(r, PD_FAIL, e->line, "%d sockets in %s, expected %d", 0,
                q.state, q.want);
      return;
    }
    int n = count_state(r, &q);
    trace(r, "sockstat %s: %d", q.state, n);
    if (n != q.want)
      verdict(r, PD_FAIL, e->line, "%d sockets in %s, expected %d", n,
              q.state, q.want);
  } else {
    verdict(r, PD_SKIP, e->line, "command not supported: `%.60s`", e->text);
  }
}

static const char *const tcpi_names[ZN_TCP_NSTATES] = {
    "TCPI_CLOSED",      "TCPI_LISTEN",     "TCPI_SYN_SENT",
    "TCPI_SYN_RECEIVED", "TCPI_ESTABLISHED", "TCPI_FIN_WAIT_1",
    "TCPI_FIN_WAIT_2",  "TCPI_CLOSE_WAIT", "TCPI_CLOSING",
    "TCPI_LAST_ACK",    "TCPI_TIME_WAIT"};

/* %{ assert tcpi_X == Y }%: the forms the suite uses. */
static bool parse_code(const char *text, char *var, size_t vl, char *val,
                       size_t al) {
  char a[32], b[32], c[48];
  char tail[8];
  if (sscanf(text, " %31s %31s == %47s %7s", a, b, c, tail) != 3)
    return false;
  if (strcmp(a, "assert") != 0)
    return false;
  snprintf(var, vl, "%s", b);
  snprintf(val, al, "%s", c);
  return true;
}

static void run_code(struct run *r, const struct pd_event *e) {
  char var[32], val[48];
  if (!parse_code(e->text, var, sizeof(var), val, sizeof(val))) {
    verdict(r, PD_SKIP, e->line, "python not supported: %.60s", e->text);
    return;
  }
  struct sock *s = sock_of(r, r->cur_fd);
  struct zn_tcp_conn *c = s ? sock_conn(s) : NULL;
  struct zn_tcp_info info;
  memset(&info, 0, sizeof(info));
  if (c)
    zn_tcp_get_info(c, &info);
  else
    info.state = ZN_TCP_CLOSED;
  if (strcmp(var, "tcpi_state") == 0) {
    const char *got = tcpi_names[info.state];
    if (strcmp(got, val) != 0)
      verdict(r, PD_FAIL, e->line, "tcpi_state %s, expected %s", got, val);
  } else if (strcmp(var, "tcpi_options") == 0) {
    /* TCPI_OPT_TIMESTAMPS 1, _SACK 2, _WSCALE 4. */
    long got = (info.ts ? 1 : 0) | (info.sack ? 2 : 0) |
               (info.snd_wscale || info.rcv_wscale ? 4 : 0);
    if (c && c->wscale_ok)
      got |= 4;
    if (got != strtol(val, NULL, 0))
      verdict(r, PD_FAIL, e->line, "tcpi_options %ld, expected %s", got, val);
  } else {
    verdict(r, PD_SKIP, e->line, "python variable %s not supported", var);
  }
}

/* ---- applicability, before running ---- */

static bool supported_sockopt(const char *name, bool get) {
  static const char *const gets[] = {"SO_ERROR", "SO_RCVBUF"};
  static const char *const sets[] = {"SO_REUSEADDR", "TCP_NODELAY"};
  const char *const *v = get ? gets : sets;
  for (int i = 0; i < 2; i++)
    if (strcmp(v[i], name) == 0)
      return true;
  return false;
}

/* Why the script cannot run on znet, or NULL. */
static const char *applicable(struct run *r, int *line) {
  static char why[200];
  *line = 0;
  if (r->s.ip_version == 46)
    return "IPv4-mapped IPv6 addresses: znet's sockets are one family each";
  for (int i = 0; i < r->s.nopts; i++) {
    const char *n = r->s.opts[i].name;
    if (strcmp(n, "udp_encapsulation") == 0)
      return "--udp_encapsulation: TCP over UDP is not in znet";
    if (strcmp(n, "tcp_md5_secret") == 0)
      return "--tcp_md5_secret: TCP-MD5 (RFC 2385) is not in znet";
  }
  const char *na = pd_not_applicable(r->path);
  if (na)
    return na;
  for (int i = 0; i < r->s.nevents; i++) {
    const struct pd_event *e = &r->s.events[i];
    *line = e->line;
    switch (e->kind) {
    case PD_E_PKT: {
      const struct pd_pkt *k = &e->pkt;
      if (k->udp)
        return "TCP over UDP is not in znet";
      for (int j = 0; j < k->nopts; j++)
        if (k->opts[j].kind == PD_OPT_MD5)
          return "TCP-MD5 (RFC 2385) is not in znet";
      break;
    }
    case PD_E_ICMP:
      break;
    case PD_E_CMD: {
      char name[96], value[64];
      struct sockstat q;
      if (parse_sysctl(e->text, name, sizeof(name), value, sizeof(value))) {
        const struct pd_sysctl *sc = pd_sysctl_find(name, value);
        if (!sc) {
          snprintf(why, sizeof(why), "sysctl %s has no znet equivalent", name);
          return why;
        }
        if (sc->kind == PD_SC_NA)
          return sc->why;
      } else if (!parse_sockstat(e->text, &q)) {
        snprintf(why, sizeof(why), "command not supported: `%.60s`", e->text);
        return why;
      }
      break;
    }
    case PD_E_CODE: {
      char var[32], val[48];
      if (!parse_code(e->text, var, sizeof(var), val, sizeof(val)) ||
          (strcmp(var, "tcpi_state") != 0 && strcmp(var, "tcpi_options") != 0)) {
        snprintf(why, sizeof(why), "python not supported: %.60s", e->text);
        return why;
      }
      break;
    }
    case PD_E_SYSCALL: {
      const struct pd_syscall *c = &e->call;
      static const char *const calls[] = {
          "socket", "bind",  "listen",   "accept", "connect",
          "read",   "recv",  "write",    "send",   "close",
          "shutdown", "fcntl", "getsockopt", "setsockopt"};
      bool known = false;
      for (size_t k = 0; k < sizeof(calls) / sizeof(calls[0]); k++)
        known |= strcmp(calls[k], c->name) == 0;
      if (!known) {
        snprintf(why, sizeof(why), "system call %s is not mapped", c->name);
        return why;
      }
      if (strcmp(c->name, "getsockopt") == 0 ||
          strcmp(c->name, "setsockopt") == 0) {
        const char *opt = c->nargs > 2 ? arg_sym(&c->args[2]) : NULL;
        if (!opt || !supported_sockopt(opt, c->name[0] == 'g')) {
          snprintf(why, sizeof(why),
                   "%s(%s): no equivalent in znet's API", c->name,
                   opt ? opt : "?");
          return why;
        }
      }
      break;
    }
    }
  }
  *line = 0;
  return NULL;
}

/* ---- the run ---- */

static void run_events(struct run *r) {
  for (int i = 0; i < r->s.nevents && !r->done; i++) {
    const struct pd_event *e = &r->s.events[i];
    int64_t t;
    switch (e->t.kind) {
    case PD_T_ABS:
    case PD_T_RANGE:
      t = e->t.us;
      break;
    case PD_T_ANY:
      t = r->last_us;
      break;
    default:
      t = r->last_us + e->t.us;
      break;
    }
    check_pending(r, t);
    if (r->done)
      break;
    /* The stack comes to life with the first event that needs it. */
    if (!r->have_stack && !(e->kind == PD_E_CMD &&
                            strncmp(e->text, "sysctl", 6) == 0)) {
      advance_to(r, T0 + (uint64_t)(t > 0 ? t : 0) * 1000);
      if (!make_stack(r)) {
        verdict(r, PD_FAIL, e->line, "could not create the stack");
        break;
      }
    }
    if (e->kind == PD_E_PKT && !e->pkt.inbound) {
      expect_pkt(r, e, t);
      continue;
    }
    if (t > now_us(r))
      advance_to(r, T0 + (uint64_t)t * 1000);
    r->last_us = now_us(r) > t ? now_us(r) : t;
    switch (e->kind) {
    case PD_E_PKT:
      inject_pkt(r, e);
      break;
    case PD_E_ICMP:
      inject_icmp(r, e);
      break;
    case PD_E_CMD:
      run_cmd(r, e);
      break;
    case PD_E_CODE:
      run_code(r, e);
      break;
    case PD_E_SYSCALL:
      if (r->pend.active) {
        verdict(r, PD_FAIL, e->line,
                "a call while %s() blocks (one at a time)",
                r->pend.e->call.name);
        break;
      }
      if (!run_call(r, e, true)) {
        r->pend.active = true;
        r->pend.e = e;
        r->pend.start_us = t;
        if (e->t.blocking)
          r->pend.end_us = e->t.end_rel ? t + e->t.end_us : e->t.end_us;
        else
          r->pend.end_us = t;
      }
      poll_now(r);
      break;
    }
  }
  if (!r->done && r->pend.active) {
    check_pending(r, INT64_MAX / 4);
  }
}

static void teardown(struct run *r) {
  if (!r->have_stack)
    return;
  /* Let go of every handle, as the process exiting would. */
  for (int i = 0; i < MAX_SOCKS; i++) {
    struct sock *s = &r->socks[i];
    if (!s->used)
      continue;
    struct zn_tcp_conn *c = sock_conn(s);
    if (c)
      zn_tcp_abort(c);
    if (s->h)
      s->h->s = NULL;
    s->used = false;
  }
  zn_stack_poll(r->st, r->now);
  collect(r);
  if (zn_stat(r->st, ZN_STAT_tcp_impossible) && !r->done)
    verdict(r, PD_FAIL, 0, "the classifier produced an impossible event");
  zn_memlink_purge(&r->link);
  zn_stack_destroy(r->st);
  if (zn_stack_bufs_in_use(r->st) != 0 && !r->done)
    verdict(r, PD_FAIL, 0, "%u buffers leaked",
            (unsigned)zn_stack_bufs_in_use(r->st));
  free(r->mem);
  r->mem = NULL;
  r->have_stack = false;
}

void pd_run_text(const char *path, const char *text,
                 const struct pd_run_opts *o, struct pd_result *res) {
  struct run *r = calloc(1, sizeof(*r));
  memset(res, 0, sizeof(*res));
  r->path = path;
  r->o = o;
  r->res = res;
  r->now = T0;
  char err[256];
  int prc = pd_parse(text, o->defines ? o->defines : pd_defines_for(path),
                     &r->s, err, sizeof(err));
  res->ip_version = r->s.ip_version;
  if (prc != 0) {
    res->verdict = PD_FAIL;
    snprintf(res->why, sizeof(res->why), "parse error: %s", err);
    pd_free(&r->s);
    free(r);
    return;
  }
  int line;
  const char *na = applicable(r, &line);
  if (na) {
    res->verdict = PD_SKIP;
    if (line)
      snprintf(res->why, sizeof(res->why), "line %d: %s", line, na);
    else
      snprintf(res->why, sizeof(res->why), "%s", na);
    pd_free(&r->s);
    free(r);
    return;
  }
  r->accept = pd_accepted_for(path);
  r->v6 = r->s.ip_version == 6;
  r->lip = r->v6 ? zn_ip_from_v6(LOCAL_IP6) : zn_ip_from_v4(LOCAL_IP);
  r->rip = r->v6 ? zn_ip_from_v6(REMOTE_IP6) : zn_ip_from_v4(REMOTE_IP);
  zn_config_default(&r->cfg);
  pd_sysctl_defaults(&r->cfg, &r->sys);
  r->map.remote_isn = REMOTE_ISN;
  r->cur_fd = -1;
  run_events(r);
  teardown(r);
  if (!r->done)
    res->verdict = PD_PASS;
  pd_free(&r->s);
  free(r);
}

void pd_run_file(const char *path, const struct pd_run_opts *o,
                 struct pd_result *res) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    memset(res, 0, sizeof(*res));
    res->verdict = PD_FAIL;
    snprintf(res->why, sizeof(res->why), "cannot open");
    return;
  }
  size_t cap = 1 << 16, n = 0;
  char *text = malloc(cap);
  for (;;) {
    if (n + 4096 > cap) {
      cap *= 2;
      text = realloc(text, cap);
    }
    size_t k = fread(text + n, 1, cap - n - 1, f);
    if (k == 0)
      break;
    n += k;
  }
  fclose(f);
  text[n] = 0;
  pd_run_text(path, text, o, res);
  free(text);
}
