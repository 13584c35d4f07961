/*
 * TCP state fixtures: one stack, one connection, and the test playing the
 * peer.  The stack (10.0.0.1) sits on a memlink whose other end nobody
 * reads; the peer (10.0.0.2, a static ARP entry) is the test, which puts
 * crafted segments on the link (fx_send / SEND) and checks exactly what
 * the stack sent back (fx_expect / EXPECT): flags, sequence and
 * acknowledgment numbers, window, options and payload.
 *
 *     struct fx f;
 *     fx_init(&f, NULL);
 *     fx_established(&f);                    // one connection, ESTABLISHED
 *     SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
 *     EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
 *     EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);  // a challenge ACK, no reset
 *     fx_free(&f);                           // nothing unexamined, no
 *                                            // leaks, accounting,
 *                                            // tcp_impossible == 0
 *
 * A frame goes in through the link and a zn_stack_poll() at the fixture's
 * virtual time, so everything the stack does with it (callbacks, reaping)
 * happens inside a poll, as in a real program.  API calls go through
 * fx_* wrappers that mark "inside an API call": a callback that runs then
 * fails the test.  The callbacks log what they see in f.log ("C"
 * connected, "A" accept, "R" readable, "W" writable, "E(ECONNRESET)"
 * error, "X" closed), and check that on_closed comes last and once.
 *
 * The peer's payload byte at stream offset i is fx_pbyte(i), the stack's
 * (written with fx_write) fx_sbyte(i), so data can be checked anywhere.
 *
 * The state tests use it: test_tcp_open.c (no connection, LISTEN,
 * SYN_SENT, SYN_RECEIVED, SYN cookies, handshake options),
 * test_tcp_established.c, test_tcp_close.c (FIN_WAIT_1 to TIME_WAIT),
 * test_tcp_timers.c (retransmission, persist, keepalive, delayed ACK),
 * test_tcp_more.c (ICMP, callbacks, more per-state cases) and
 * test_tcp_matrix.c (every synchronized state against every segment
 * class; random segments), split along the sections of what was
 * test_tcp_states.c.  Each brings one connection into a state, plays one
 * event (a segment, an API call, a timer), and checks exactly what the
 * stack sends back and the state it lands in.  Tests marked "regression"
 * failed before the engine fix they name.
 *
 * Header-only (static functions) so tests/tcp/meson.build builds it as
 * part of each test.
 */
#ifndef TESTS_TCP_FIXTURE_H
#define TESTS_TCP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "internals.h"
#include "tcp/tcp_int.h"

#define FIN ZN_TCP_FIN
#define SYN ZN_TCP_SYN
#define RST ZN_TCP_RST
#define PSH ZN_TCP_PSH
#define ACK ZN_TCP_ACK

/* A window field to send or to check: W(0) is "window 0"; a plain 0 in a
 * struct fx_seg means "the default" (send) or "do not check" (expect). */
#define W(x) (0x80000000u | (uint32_t)(x))
#define W_SET(w) (((w) & 0x80000000u) != 0)
#define W_VAL(w) ((uint16_t)((w) & 0xffffu))

#define FX_PEER_IP IP_B
#define FX_OUR_IP IP_A
#define FX_PEER_PORT 4000  /* the peer's port */
#define FX_SRV_PORT 80     /* listener port (passive) / peer's (active) */
#define FX_PEER_ISS 1000000u
#define FX_RX_CAP (1u << 20)

/* One segment, sent or expected. */
struct fx_seg {
  uint32_t seq, ack;
  uint8_t flags;
  uint32_t win;            /* W(x), or 0: default / unchecked */
  struct zn_tcp_seg_opts o; /* send: options (0: TS if agreed, else
                              none); expect: the options, except that TS
                              is only required when agreed unless listed
                              here */
  const void *data;        /* payload; NULL: the pattern at seq */
  size_t len;
  uint16_t sport, dport;   /* send: 0 is the fixture's ports */
  bool no_ts;              /* send: no TS even when agreed */
  bool bad_csum;           /* send: the TCP checksum off by one bit */
  uint8_t ecn;             /* send: the IP ECN field (ZN_IP_ECN_*; 0:
                              Not-ECT); the stack's is f->last_ecn */
  bool any_opts;           /* expect: options not checked */
  bool any_seq;            /* expect: seq not checked */
  bool any_ack;            /* expect: ack not checked */
};

struct fx_conn_rec {
  const struct zn_tcp_conn *c;
  bool closed;
};

struct fx {
  struct zn_memlink link;
  struct zn_stack *st;
  struct zn_config cfg;
  uint32_t mtu;
  uint64_t now;

  /* The connection under test (an app handle, or NULL when the app has
   * none: a child waiting in the accept queue) and the listener. */
  struct zn_tcp_conn *c, *l;
  uint16_t lport;          /* the stack's port */
  uint16_t pport;          /* the peer's */

  /* The peer's view. */
  uint32_t p_iss;          /* peer ISN */
  uint32_t p_nxt;          /* peer's next sequence number */
  uint32_t iss;            /* the stack's ISS (from its SYN) */
  uint32_t s_nxt;          /* the stack's next sequence number (highest
                              seen + length) */
  struct zn_tcp_seg_opts peer_syn; /* options the peer's SYN / SYN-ACK carry */
  uint16_t p_win;          /* the peer's window field (default 65535) */
  uint64_t rtt;            /* ns the peer takes to answer our SYN */
  bool ts;                 /* timestamps agreed */
  uint32_t p_ts;           /* peer TSval clock base (ms + this) */
  uint32_t s_tsval;        /* the last TSval the stack sent */
  bool have_s_tsval;

  /* The last segment the stack sent (fx_expect fills it). */
  struct fx_seg last;
  uint8_t last_data[2048];
  uint8_t last_ip_df;      /* its IPv4 DF bit */
  uint16_t last_ip_id;     /* its IPv4 ID */
  uint8_t last_ecn;        /* its ECN field (ZN_IP_ECN_*) */

  /* The application. */
  bool auto_read;          /* on_readable reads everything (default on) */
  bool auto_accept;        /* on_accept accepts (default on) */
  bool close_on_eof;       /* on_readable closes at EOF */
  bool close_in_cb;        /* on_error closes the handle */
  size_t reply_in_cb;      /* on_readable, having read, writes this many
                              bytes (the stream pattern), corked if
                              cork_reply: a server's answer */
  bool cork_reply;
  int in_api;
  char log[512];
  int connected, accepted, readable, writable, errors, closed;
  int last_err;
  bool eof;
  uint8_t *rx;
  size_t nrx;
  size_t wr_off;           /* stream bytes written by fx_write */
  struct fx_conn_rec recs[8];
  int nrecs;
};

/* ---- patterns ---- */

static inline uint8_t fx_pbyte(size_t i) { return (uint8_t)(i * 7u + 1u); }
static inline uint8_t fx_sbyte(size_t i) { return (uint8_t)(i * 13u + 5u); }

/* ---- callbacks ---- */

static inline void fx_log(struct fx *f, const char *s) {
  size_t n = strlen(f->log);
  if (n + strlen(s) + 1 < sizeof(f->log))
    memcpy(f->log + n, s, strlen(s) + 1);
}

static inline struct fx_conn_rec *fx_rec(struct fx *f,
                                         const struct zn_tcp_conn *c) {
  for (int i = 0; i < f->nrecs; i++)
    if (f->recs[i].c == c)
      return &f->recs[i];
  if (f->nrecs < (int)(sizeof(f->recs) / sizeof(f->recs[0]))) {
    f->recs[f->nrecs].c = c;
    f->recs[f->nrecs].closed = false;
    return &f->recs[f->nrecs++];
  }
  return &f->recs[0];
}

/* A handle the app gets now: a fresh record (the slot may be reused). */
static inline void fx_new_handle(struct fx *f, const struct zn_tcp_conn *c) {
  fx_rec(f, c)->closed = false;
}

static inline void fx_cb_check(struct fx *f, const struct zn_tcp_conn *c,
                               const char *what) {
  if (f->in_api)
    zt_fail(__FILE__, __LINE__, "callback %s ran inside an API call", what);
  if (fx_rec(f, c)->closed)
    zt_fail(__FILE__, __LINE__, "callback %s after on_closed", what);
}

static inline void fx_on_accept(struct zn_tcp_conn *l, void *arg) {
  struct fx *f = arg;
  fx_cb_check(f, l, "on_accept");
  fx_log(f, "A");
  if (!f->auto_accept)
    return;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    f->accepted++;
    fx_new_handle(f, c);
    f->c = c;
  }
}

static inline void fx_on_connected(struct zn_tcp_conn *c, void *arg) {
  struct fx *f = arg;
  fx_cb_check(f, c, "on_connected");
  fx_log(f, "C");
  f->connected++;
}

static inline void fx_on_readable(struct zn_tcp_conn *c, void *arg) {
  struct fx *f = arg;
  fx_cb_check(f, c, "on_readable");
  fx_log(f, "R");
  f->readable++;
  if (!f->auto_read)
    return;
  uint8_t buf[4096];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0) {
    if (f->nrx + (size_t)n <= FX_RX_CAP)
      memcpy(f->rx + f->nrx, buf, (size_t)n);
    f->nrx += (size_t)n;
  }
  if (n == 0 && !f->eof) {
    f->eof = true;
    if (f->close_on_eof)
      zn_tcp_close(c);
  }
  if (f->reply_in_cb) {
    uint8_t out[2048];
    size_t k = f->reply_in_cb < sizeof(out) ? f->reply_in_cb : sizeof(out);
    for (size_t i = 0; i < k; i++)
      out[i] = fx_sbyte(f->wr_off + i);
    if (f->cork_reply)
      zn_tcp_set_cork(c, true);
    long w = zn_tcp_write(c, out, k);
    if (f->cork_reply)
      zn_tcp_set_cork(c, false);
    if (w > 0)
      f->wr_off += (size_t)w;
  }
}

static inline void fx_on_writable(struct zn_tcp_conn *c, void *arg) {
  struct fx *f = arg;
  fx_cb_check(f, c, "on_writable");
  fx_log(f, "W");
  f->writable++;
}

static inline void fx_on_error(struct zn_tcp_conn *c, void *arg, int err) {
  struct fx *f = arg;
  fx_cb_check(f, c, "on_error");
  char s[32];
  snprintf(s, sizeof(s), "E(%s)", zn_err_name(err));
  fx_log(f, s);
  f->errors++;
  f->last_err = err;
  if (f->close_in_cb)
    zn_tcp_close(c);
}

static inline void fx_on_closed(struct zn_tcp_conn *c, void *arg) {
  struct fx *f = arg;
  fx_cb_check(f, c, "on_closed");
  fx_log(f, "X");
  f->closed++;
  fx_rec(f, c)->closed = true;
  if (f->c == c)
    f->c = NULL;
  if (f->l == c)
    f->l = NULL;
}

static const struct zn_tcp_callbacks fx_cbs = {
    .on_accept = fx_on_accept,
    .on_connected = fx_on_connected,
    .on_readable = fx_on_readable,
    .on_writable = fx_on_writable,
    .on_error = fx_on_error,
    .on_closed = fx_on_closed,
};

/* ---- setup ---- */

static inline void fx_config(struct zn_config *cfg) {
  th_config(cfg, FX_OUR_IP, 24, 1);
  cfg->arp_announce = false;
  cfg->nbufs = 512;
  cfg->tcp_rcvbuf = 8192; /* window edges easy to reach; wscale 0 */
}

/* Poll the stack at the fixture's time. */
static inline void fx_poll(struct fx *f) { zn_stack_poll(f->st, f->now); }

/* A stack on a link of the given MTU (0: 1500). */
static inline void fx_init_mtu(struct fx *f, const struct zn_config *cfg,
                               uint32_t mtu) {
  memset(f, 0, sizeof(*f));
  if (cfg)
    f->cfg = *cfg;
  else
    fx_config(&f->cfg);
  f->mtu = mtu ? mtu : ZN_DEFAULT_MTU;
  zn_memlink_init(&f->link, mtu, 4096);
  f->st = th_stack_new(&f->cfg);
  if (!f->st) {
    zt_fail(__FILE__, __LINE__, "no stack");
    return;
  }
  zn_stack_attach(f->st, &f->link.a.nif);
  ZT_EQ(zn_arp_add_static(f->st, FX_PEER_IP, MAC_B), ZN_OK);
  f->now = ZN_SEC(1000); /* not 0: stamps of 0 mean "unset" in places */
  fx_poll(f);
  sent_purge(&f->link.b);
  f->auto_read = true;
  f->auto_accept = true;
  f->pport = FX_PEER_PORT;
  f->lport = FX_SRV_PORT;
  f->p_iss = FX_PEER_ISS;
  f->p_nxt = FX_PEER_ISS;
  f->p_win = 65535;
  f->p_ts = 5000;
  f->peer_syn.present = ZN_TCP_OPTF_MSS;
  f->peer_syn.mss = 1460;
  f->rx = malloc(FX_RX_CAP);
}

static inline void fx_init(struct fx *f, const struct zn_config *cfg) {
  fx_init_mtu(f, cfg, 0);
}

/* The connection as the stack has it, by 4-tuple (NULL: none). */
static inline struct zn_tcp_conn *fx_conn(const struct fx *f) {
  return zn__tcp_lookup(f->st, TH_IP(FX_OUR_IP), f->lport, TH_IP(FX_PEER_IP), f->pport);
}

/* Its state: a slot's, or the one a record keeps once the application
 * let go (TIME_WAIT, FIN_WAIT_2: tcp_tw.c), else CLOSED. */
static inline enum zn_tcp_state fx_state(const struct fx *f) {
  const struct zn_tcp_conn *c = fx_conn(f);
  if (c)
    return (enum zn_tcp_state)c->state;
  return zn__tcp_tw_state(f->st, TH_IP(FX_OUR_IP), f->lport, TH_IP(FX_PEER_IP),
                          f->pport);
}

static inline struct zn_tcp_info fx_info(const struct fx *f) {
  struct zn_tcp_info i;
  memset(&i, 0, sizeof(i));
  const struct zn_tcp_conn *c = f->c ? f->c : fx_conn(f);
  if (c)
    zn_tcp_get_info(c, &i);
  return i;
}

static inline int fx_stat(const struct fx *f, enum zn_stat s) {
  return (int)zn_stat(f->st, s);
}

/* The peer's TSval now. */
static inline uint32_t fx_tsval(const struct fx *f) {
  return f->p_ts + (uint32_t)(f->now / ZN_MS(1));
}

/* ---- the link ---- */

/* Frames the stack sent that are not TCP (ARP, ICMP) are counted here and
 * dropped by fx_expect; tests that want them look first. */
static inline int fx_pending(struct fx *f) {
  return sent_count(&f->link.b, ZN_ETHERTYPE_IPV4);
}

/* Advance the virtual clock by dur ns, polling at every deadline. */
static inline void fx_run(struct fx *f, uint64_t dur) {
  uint64_t end = f->now + dur;
  for (int guard = 0; guard < 10000000; guard++) {
    fx_poll(f);
    uint64_t next = zn_stack_next_deadline(f->st);
    if (next <= f->now)
      next = f->now + 1;
    if (next > end) {
      f->now = end;
      fx_poll(f);
      return;
    }
    f->now = next;
  }
  zt_fail(__FILE__, __LINE__, "fx_run did not settle");
}

/* Put a segment from the peer on the link and poll. */
static inline void fx_send_at(struct fx *f, const struct fx_seg *s,
                              const char *file, int line) {
  uint8_t tcp[20 + 40 + 1500];
  struct zn_tcp_seg_opts o = s->o;
  if (!o.present && f->ts && !s->no_ts) {
    o.present = ZN_TCP_OPTF_TS;
    o.tsval = fx_tsval(f);
    o.tsecr = f->s_tsval;
  }
  if (s->len > 1500) {
    zt_fail(file, line, "segment too long");
    return;
  }
  size_t olen = zn_tcp_seg_opts_emit(tcp + 20, &o);
  uint16_t win = W_SET(s->win) ? W_VAL(s->win) : f->p_win;
  zn_tcp_emit(tcp, s->sport ? s->sport : f->pport,
              s->dport ? s->dport : f->lport, s->seq, s->ack, s->flags, win,
              olen);
  uint8_t *pl = tcp + 20 + olen;
  if (s->data)
    memcpy(pl, s->data, s->len);
  else /* the first byte is at seq, or seq + 1 after a SYN */
    for (size_t i = 0; i < s->len; i++)
      pl[i] = fx_pbyte((size_t)(s->seq + ((s->flags & SYN) ? 1u : 0u) +
                                (uint32_t)i - (f->p_iss + 1u)));
  size_t tlen = 20 + olen + s->len;
  zn_tcp_finish(tcp, tlen, FX_PEER_IP, FX_OUR_IP);
  if (s->bad_csum)
    tcp[17] ^= 0x01;
  uint8_t frame[14 + 20 + sizeof(tcp)];
  size_t flen = mk_ip(frame, MAC_A, MAC_B, FX_PEER_IP, FX_OUR_IP,
                      ZN_IPPROTO_TCP, 1, 0x4000, tcp, tlen);
  if (s->ecn) { /* the TOS octet, and the header checksum again */
    frame[15] = s->ecn;
    zn_wr16(frame + 24, 0);
    zn_wr16(frame + 24, zn_csum(frame + 14, 20));
  }
  struct zn_buf *b = zn_stack_buf_alloc(f->st, flen);
  if (!b) {
    zt_fail(file, line, "no buffer for the peer's segment");
    return;
  }
  memcpy(zn_buf_put(b, flen), frame, flen);
  zn_bufq_push(&f->link.a.rxq, b);
  fx_poll(f);
}

#define SEND(f, ...)                                                          \
  fx_send_at((f), &(struct fx_seg){__VA_ARGS__}, __FILE__, __LINE__)

/* Any other frame (ICMP, say) from the peer's side. */
static inline void fx_send_frame(struct fx *f, const uint8_t *frame,
                                 size_t len) {
  struct zn_buf *b = zn_stack_buf_alloc(f->st, len);
  if (!b)
    return;
  memcpy(zn_buf_put(b, len), frame, len);
  zn_bufq_push(&f->link.a.rxq, b);
  fx_poll(f);
}

/* Pop the next TCP segment the stack sent into f->last; false if none.
 * Frames that are not IPv4/TCP are dropped on the way. */
static inline bool fx_pop(struct fx *f, const char *file, int line) {
  struct zn_buf *b;
  while ((b = sent_pop(&f->link.b)) != NULL) {
    struct zn_eth_view e;
    struct zn_ipv4_view ip;
    struct zn_tcp_view t;
    if (zn_eth_view_init(&e, b->data, b->len) != ZN_OK ||
        e.type != ZN_ETHERTYPE_IPV4 ||
        zn_ipv4_view_init(&ip, b->data + e.hdr_len, b->len - e.hdr_len) !=
            ZN_OK ||
        ip.proto != ZN_IPPROTO_TCP) {
      zn_buf_free(b);
      continue;
    }
    const uint8_t *tp = ip.p + ip.hdr_len;
    size_t tl = ip.tot_len - ip.hdr_len;
    if (zn_tcp_view_init(&t, tp, tl) != ZN_OK) {
      zt_fail(file, line, "the stack sent a malformed TCP segment");
      zn_buf_free(b);
      return false;
    }
    if (!zn_tcp_csum_ok(&t, ip.src, ip.dst))
      zt_fail(file, line, "bad TCP checksum from the stack");
    if (!zn_ipv4_csum_ok(&ip) || ip.tot_len != b->len - e.hdr_len)
      zt_fail(file, line, "bad IPv4 header from the stack");
    if (ip.src != FX_OUR_IP || ip.dst != FX_PEER_IP)
      zt_fail(file, line, "segment addressed 0x%08x -> 0x%08x", ip.src,
              ip.dst);
    if (memcmp(zn_eth_dst(&e), MAC_B, 6) != 0)
      zt_fail(file, line, "segment not sent to the peer's MAC");
    struct fx_seg *g = &f->last;
    memset(g, 0, sizeof(*g));
    g->seq = t.seq;
    g->ack = t.ack;
    g->flags = t.flags;
    g->win = W(t.win);
    g->sport = t.sport;
    g->dport = t.dport;
    g->len = zn_tcp_payload_len(&t);
    f->last_ip_df = (ip.frag & 0x4000) != 0;
    f->last_ip_id = ip.id;
    f->last_ecn = ip.tos & ZN_IP_ECN_MASK;
    if (g->len > sizeof(f->last_data))
      g->len = sizeof(f->last_data);
    memcpy(f->last_data, zn_tcp_payload(&t), g->len);
    g->data = f->last_data;
    if (zn_tcp_seg_opts_parse(&t, &g->o) != ZN_OK)
      zt_fail(file, line, "malformed options from the stack");
    zn_buf_free(b);
    uint32_t seglen = (uint32_t)g->len + ((g->flags & SYN) ? 1u : 0u) +
                      ((g->flags & FIN) ? 1u : 0u);
    if (!(g->flags & RST) && zn__seq_gt(g->seq + seglen, f->s_nxt))
      f->s_nxt = g->seq + seglen;
    return true;
  }
  return false;
}

/* Take every segment the stack sent off the link, unchecked; how many
 * there were. */
static inline uint32_t fx_drain(struct fx *f) {
  uint32_t n = 0;
  while (fx_pending(f) > 0 && fx_pop(f, __FILE__, __LINE__))
    n++;
  return n;
}

static inline void fx_flags_str(uint8_t fl, char *s) {
  s[0] = 0;
  if (fl & SYN) strcat(s, "S");
  if (fl & FIN) strcat(s, "F");
  if (fl & RST) strcat(s, "R");
  if (fl & PSH) strcat(s, "P");
  if (fl & ZN_TCP_ECE) strcat(s, "E");
  if (fl & ZN_TCP_CWR) strcat(s, "W");
  if (fl & ACK) strcat(s, ".");
  if (fl & ZN_TCP_URG) strcat(s, "+");
}

/* Check that the next segment the stack sent is `w`.  Returns true if one
 * was there (checked or not). */
static inline bool fx_expect_at(struct fx *f, const struct fx_seg *w,
                                const char *file, int line) {
  if (!fx_pop(f, file, line)) {
    zt_fail(file, line, "expected a segment, the stack sent none");
    return false;
  }
  const struct fx_seg *g = &f->last;
  char gf[10], wf[10];
  fx_flags_str(g->flags, gf);
  fx_flags_str(w->flags, wf);
  if (g->flags != w->flags)
    zt_fail(file, line, "flags [%s] != [%s] (seq %u ack %u len %zu)", gf, wf,
            g->seq, g->ack, g->len);
  if (!w->any_seq && g->seq != w->seq)
    zt_fail(file, line, "[%s] seq %u != %u (%+d)", gf, g->seq, w->seq,
            (int)(g->seq - w->seq));
  if ((w->flags & ACK) && !w->any_ack && g->ack != w->ack)
    zt_fail(file, line, "[%s] ack %u != %u (%+d)", gf, g->ack, w->ack,
            (int)(g->ack - w->ack));
  if (W_SET(w->win) && W_VAL(g->win) != W_VAL(w->win))
    zt_fail(file, line, "[%s] window %u != %u", gf, W_VAL(g->win),
            W_VAL(w->win));
  if (g->sport != f->lport || g->dport != f->pport)
    zt_fail(file, line, "[%s] ports %u -> %u, not %u -> %u", gf, g->sport,
            g->dport, f->lport, f->pport);
  if (g->len != w->len) {
    zt_fail(file, line, "[%s] payload %zu bytes, not %zu", gf, g->len,
            w->len);
  } else if (w->len) {
    for (size_t i = 0; i < w->len; i++) {
      uint8_t want = w->data ? ((const uint8_t *)w->data)[i]
                             : fx_sbyte((size_t)(g->seq + (uint32_t)i -
                                                 (f->iss + 1u)));
      if (f->last_data[i] != want) {
        zt_fail(file, line, "[%s] payload byte %zu: %u != %u", gf, i,
                f->last_data[i], want);
        break;
      }
    }
  }
  if (!w->any_opts) {
    const struct zn_tcp_seg_opts *go = &g->o, *wo = &w->o;
    uint8_t ts = ZN_TCP_OPTF_TS;
    if ((go->present & ~ts) != (wo->present & ~ts))
      zt_fail(file, line, "[%s] options 0x%02x != 0x%02x", gf, go->present,
              wo->present);
    if ((wo->present & ZN_TCP_OPTF_MSS) && go->mss != wo->mss)
      zt_fail(file, line, "[%s] MSS %u != %u", gf, go->mss, wo->mss);
    if ((wo->present & ZN_TCP_OPTF_WS) && go->wscale != wo->wscale)
      zt_fail(file, line, "[%s] wscale %u != %u", gf, go->wscale,
              wo->wscale);
    if ((wo->present & ZN_TCP_OPTF_SACK) && go->nsack == wo->nsack) {
      for (uint8_t i = 0; i < wo->nsack; i++)
        if (go->sack[i].left != wo->sack[i].left ||
            go->sack[i].right != wo->sack[i].right)
          zt_fail(file, line, "[%s] SACK block %u: %u-%u != %u-%u", gf, i,
                  go->sack[i].left, go->sack[i].right, wo->sack[i].left,
                  wo->sack[i].right);
    } else if (wo->present & ZN_TCP_OPTF_SACK) {
      zt_fail(file, line, "[%s] %u SACK blocks, not %u", gf, go->nsack,
              wo->nsack);
    }
    bool want_ts = (wo->present & ts) || (f->ts && !(w->flags & RST));
    if (want_ts != ((go->present & ts) != 0))
      zt_fail(file, line, "[%s] timestamps %s", gf,
              want_ts ? "missing" : "unexpected");
    if ((wo->present & ts) && (go->present & ts) && go->tsecr != wo->tsecr)
      zt_fail(file, line, "[%s] TSecr %u != %u", gf, go->tsecr, wo->tsecr);
  }
  if (g->o.present & ZN_TCP_OPTF_TS) {
    if (f->have_s_tsval && zn__seq_lt(g->o.tsval, f->s_tsval))
      zt_fail(file, line, "[%s] TSval went back: %u < %u", gf, g->o.tsval,
              f->s_tsval);
    f->s_tsval = g->o.tsval;
    f->have_s_tsval = true;
  }
  return true;
}

#define EXPECT(f, ...)                                                        \
  fx_expect_at((f), &(struct fx_seg){__VA_ARGS__}, __FILE__, __LINE__)

/* The stack sent no TCP segment. */
static inline void fx_expect_none_at(struct fx *f, const char *file,
                                     int line) {
  if (fx_pop(f, file, line)) {
    char gf[10];
    fx_flags_str(f->last.flags, gf);
    zt_fail(file, line, "unexpected segment [%s] seq %u ack %u len %zu", gf,
            f->last.seq, f->last.ack, f->last.len);
    while (fx_pop(f, file, line))
      ;
  }
}
#define EXPECT_NONE(f) fx_expect_none_at((f), __FILE__, __LINE__)

#define EXPECT_STATE(f, s)                                                    \
  do {                                                                        \
    enum zn_tcp_state fx_s_ = fx_state(f);                                    \
    if (fx_s_ != (s))                                                         \
      zt_fail(__FILE__, __LINE__, "state %s, not %s",                        \
              zn_tcp_state_name((int)fx_s_), zn_tcp_state_name((int)(s)));    \
  } while (0)

/* ---- the API, marked so callbacks can tell ---- */

static inline long fx_write(struct fx *f, size_t n) {
  uint8_t *buf = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++)
    buf[i] = fx_sbyte(f->wr_off + i);
  f->in_api++;
  long r = zn_tcp_write(f->c, buf, n);
  f->in_api--;
  if (r > 0)
    f->wr_off += (size_t)r;
  free(buf);
  return r;
}

static inline void fx_close(struct fx *f) {
  f->in_api++;
  zn_tcp_close(f->c);
  f->in_api--;
}

static inline void fx_abort(struct fx *f) {
  f->in_api++;
  zn_tcp_abort(f->c);
  f->in_api--;
}

static inline int fx_shutdown(struct fx *f) {
  f->in_api++;
  int r = zn_tcp_shutdown(f->c);
  f->in_api--;
  return r;
}

static inline long fx_read(struct fx *f, size_t n) {
  uint8_t buf[8192];
  if (n > sizeof(buf))
    n = sizeof(buf);
  f->in_api++;
  long r = zn_tcp_read(f->c, buf, n);
  f->in_api--;
  if (r > 0) {
    if (f->nrx + (size_t)r <= FX_RX_CAP)
      memcpy(f->rx + f->nrx, buf, (size_t)r);
    f->nrx += (size_t)r;
  }
  return r;
}

/* The peer's bytes [0, n) arrived, in order, in f->rx. */
static inline bool fx_rx_ok(const struct fx *f, size_t n) {
  if (f->nrx != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (f->rx[i] != fx_pbyte(i))
      return false;
  return true;
}

/* ---- bringing the connection into a state ---- */

static inline void fx_listen(struct fx *f, uint32_t backlog) {
  f->lport = FX_SRV_PORT;
  f->in_api++;
  ZT_EQ(zn_tcp_listen(f->st, NULL, FX_SRV_PORT, backlog, &fx_cbs, f, &f->l),
        ZN_OK);
  f->in_api--;
  fx_new_handle(f, f->l);
  fx_poll(f);
}

/* Options the stack's SYN carries with the fixture's config. */
static inline struct zn_tcp_seg_opts fx_our_syn_opts(const struct fx *f) {
  struct zn_tcp_seg_opts o;
  memset(&o, 0, sizeof(o));
  o.present = ZN_TCP_OPTF_MSS;
  o.mss = (uint16_t)(f->mtu - 40);
  if (f->cfg.tcp_wscale) {
    o.present |= ZN_TCP_OPTF_WS;
    uint8_t s = 0;
    while (s < 14 && (f->cfg.tcp_rcvbuf >> s) > 65535u)
      s++;
    o.wscale = s;
  }
  if (f->cfg.tcp_sack)
    o.present |= ZN_TCP_OPTF_SACK_PERM;
  if (f->cfg.tcp_timestamps)
    o.present |= ZN_TCP_OPTF_TS; /* tsecr 0 */
  return o;
}

/* What the stack answers the peer's SYN options with. */
static inline struct zn_tcp_seg_opts
fx_synack_opts(const struct fx *f, const struct zn_tcp_seg_opts *p) {
  struct zn_tcp_seg_opts all = fx_our_syn_opts(f), o;
  memset(&o, 0, sizeof(o));
  o.present = ZN_TCP_OPTF_MSS;
  o.mss = all.mss;
  if ((p->present & ZN_TCP_OPTF_WS) && (all.present & ZN_TCP_OPTF_WS)) {
    o.present |= ZN_TCP_OPTF_WS;
    o.wscale = all.wscale;
  }
  if ((p->present & ZN_TCP_OPTF_SACK_PERM) &&
      (all.present & ZN_TCP_OPTF_SACK_PERM))
    o.present |= ZN_TCP_OPTF_SACK_PERM;
  if ((p->present & ZN_TCP_OPTF_TS) && (all.present & ZN_TCP_OPTF_TS)) {
    o.present |= ZN_TCP_OPTF_TS;
    o.tsecr = p->tsval;
  }
  return o;
}

/* The peer's SYN options with its TSval filled in now. */
static inline struct zn_tcp_seg_opts fx_peer_syn_opts(const struct fx *f) {
  struct zn_tcp_seg_opts o = f->peer_syn;
  if (o.present & ZN_TCP_OPTF_TS) {
    o.tsval = fx_tsval(f);
    o.tsecr = 0;
  }
  return o;
}

/* The stack's window field in a SYN: its buffer, at most 65535. */
static inline uint16_t fx_syn_win(const struct fx *f) {
  return (uint16_t)(f->cfg.tcp_rcvbuf > 65535 ? 65535 : f->cfg.tcp_rcvbuf);
}

/* CLOSED -> SYN_SENT: connect; the SYN goes out. */
static inline void fx_syn_sent(struct fx *f) {
  f->in_api++;
  ZT_EQ(zn_tcp_connect(f->st, TH_IP(FX_PEER_IP), FX_SRV_PORT, &fx_cbs, f, &f->c),
        ZN_OK);
  f->in_api--;
  fx_new_handle(f, f->c);
  f->pport = FX_SRV_PORT;
  fx_poll(f);
  if (!fx_pop(f, __FILE__, __LINE__)) {
    zt_fail(__FILE__, __LINE__, "no SYN");
    return;
  }
  f->lport = f->last.sport;
  f->iss = f->last.seq;
  f->s_nxt = f->iss + 1;
  ZT_EQ(f->last.flags, SYN);
  struct zn_tcp_seg_opts o = fx_our_syn_opts(f);
  ZT_EQ(f->last.o.present, o.present);
  ZT_EQ(f->last.o.mss, f->mtu - 40);
  ZT_EQ(W_VAL(f->last.win), fx_syn_win(f));
  if (f->last.o.present & ZN_TCP_OPTF_TS) {
    ZT_EQU(f->last.o.tsecr, 0);
    f->s_tsval = f->last.o.tsval;
    f->have_s_tsval = true;
  }
  EXPECT_STATE(f, ZN_TCP_SYN_SENT);
}

/* SYN_SENT -> ESTABLISHED: the peer's SYN-ACK (f->rtt later), our ACK. */
static inline void fx_established_active(struct fx *f) {
  fx_syn_sent(f);
  f->now += f->rtt;
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(f);
  if (o.present & ZN_TCP_OPTF_TS)
    o.tsecr = f->s_tsval;
  f->ts = (o.present & ZN_TCP_OPTF_TS) && f->cfg.tcp_timestamps;
  SEND(f, .seq = f->p_iss, .ack = f->iss + 1, .flags = SYN | ACK, .o = o);
  f->p_nxt = f->p_iss + 1;
  EXPECT(f, .seq = f->iss + 1, .ack = f->p_nxt, .flags = ACK);
  EXPECT_STATE(f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f->connected, 1);
}

/* CLOSED -> LISTEN -> SYN_RECEIVED: the peer's SYN, our SYN-ACK. */
static inline void fx_syn_received(struct fx *f, uint32_t backlog) {
  fx_listen(f, backlog);
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(f);
  SEND(f, .seq = f->p_iss, .flags = SYN, .o = o);
  f->p_nxt = f->p_iss + 1;
  struct zn_tcp_seg_opts a = fx_synack_opts(f, &o);
  if (!EXPECT(f, .any_seq = true, .ack = f->p_nxt, .flags = SYN | ACK,
              .o = a, .win = W(fx_syn_win(f))))
    return;
  f->iss = f->last.seq;
  f->s_nxt = f->iss + 1;
  f->ts = (a.present & ZN_TCP_OPTF_TS) != 0;
  EXPECT_STATE(f, ZN_TCP_SYN_RECEIVED);
}

/* SYN_RECEIVED -> ESTABLISHED (passive), accepted by the app. */
/* Like fx_established_passive_timed, then the RTT estimate is forgotten,
 * as if the SYN-ACK had been sent twice (Karn): the retransmission tests
 * start from RFC 6298's initial RTO of 1 s. */
static inline void fx_established_passive_timed(struct fx *f) {
  fx_syn_received(f, 0);
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK);
  EXPECT_NONE(f);
  EXPECT_STATE(f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f->accepted, 1);
  ZT_CHECK(f->c != NULL);
}

static inline void fx_established_passive(struct fx *f) {
  fx_established_passive_timed(f);
  if (f->c) {
    f->c->srtt_us = 0;
    f->c->rttvar_us = 0;
    f->c->rto_ms = f->st->cfg.tcp_rto_init_ms;
  }
}

static inline void fx_established(struct fx *f) { fx_established_active(f); }

/* ESTABLISHED -> FIN_WAIT_1: shutdown (keeps the handle); our FIN. */
static inline void fx_fin_wait_1(struct fx *f) {
  fx_established(f);
  ZT_EQ(fx_shutdown(f), ZN_OK);
  fx_poll(f);
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = FIN | ACK);
  EXPECT_STATE(f, ZN_TCP_FIN_WAIT_1);
}

/* FIN_WAIT_1 -> FIN_WAIT_2: the peer ACKs our FIN. */
static inline void fx_fin_wait_2(struct fx *f) {
  fx_fin_wait_1(f);
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK);
  EXPECT_NONE(f);
  EXPECT_STATE(f, ZN_TCP_FIN_WAIT_2);
}

/* ESTABLISHED -> CLOSE_WAIT: the peer's FIN, ACKed at once. */
static inline void fx_close_wait(struct fx *f) {
  fx_established(f);
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = FIN | ACK);
  f->p_nxt++;
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = ACK);
  EXPECT_STATE(f, ZN_TCP_CLOSE_WAIT);
  ZT_CHECK(f->eof);
}

/* FIN_WAIT_1 -> CLOSING: the peer's FIN crosses ours. */
static inline void fx_closing(struct fx *f) {
  fx_fin_wait_1(f);
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt - 1, .flags = FIN | ACK);
  f->p_nxt++;
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = ACK);
  EXPECT_STATE(f, ZN_TCP_CLOSING);
}

/* CLOSE_WAIT -> LAST_ACK: shutdown; our FIN. */
static inline void fx_last_ack(struct fx *f) {
  fx_close_wait(f);
  ZT_EQ(fx_shutdown(f), ZN_OK);
  fx_poll(f);
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = FIN | ACK);
  EXPECT_STATE(f, ZN_TCP_LAST_ACK);
}

/* FIN_WAIT_2 -> TIME_WAIT: the peer's FIN. */
static inline void fx_time_wait(struct fx *f) {
  fx_fin_wait_2(f);
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = FIN | ACK);
  f->p_nxt++;
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = ACK);
  EXPECT_NONE(f);
  EXPECT_STATE(f, ZN_TCP_TIME_WAIT);
}

/* ---- ICMP ---- */

/* An ICMP error from a router about one of our segments (seq quoted). */
static inline void fx_icmp(struct fx *f, uint8_t type, uint8_t code,
                           uint16_t mtu, uint32_t seq) {
  uint8_t quote[28];
  struct zn_ipv4_hdr h = {0};
  h.ttl = 63;
  h.proto = ZN_IPPROTO_TCP;
  h.tot_len = 60;
  h.frag = 0x4000;
  h.src = FX_OUR_IP;
  h.dst = FX_PEER_IP;
  zn_ipv4_emit(quote, &h);
  zn_wr16(quote + 20, f->lport);
  zn_wr16(quote + 22, f->pport);
  zn_wr32(quote + 24, seq);
  uint8_t msg[8 + sizeof(quote)];
  zn_icmp_emit(msg, type, code, mtu);
  memcpy(msg + 8, quote, sizeof(quote));
  zn_icmp_finish(msg, sizeof(msg));
  uint8_t frame[14 + 20 + sizeof(msg)];
  size_t flen = mk_ip(frame, MAC_A, MAC_B, IP_X, FX_OUR_IP, ZN_IPPROTO_ICMP, 7,
                      0, msg, sizeof(msg));
  fx_send_frame(f, frame, flen);
}

/* ---- the end ---- */

/* Free everything; checks that the test looked at every segment the
 * stack sent, that the classifier never produced an event the chart
 * calls impossible, and (through th_stack_free) that no buffer leaked and
 * every frame is accounted for. */
static inline void fx_free(struct fx *f) {
  if (!f->st)
    return;
  fx_expect_none_at(f, __FILE__, __LINE__);
  ZT_EQU(zn_stat(f->st, ZN_STAT_tcp_impossible), 0);
  zn_memlink_purge(&f->link);
  th_stack_free(f->st);
  f->st = NULL;
  free(f->rx);
  f->rx = NULL;
}

/* The peer ACKs everything the stack sent. */
static inline void ack_all(struct fx *f) {
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK);
}

/* The peer sends n bytes at its next sequence number, ACKing all. */
static inline void data_in(struct fx *f, size_t n) {
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK, .len = n);
  f->p_nxt += (uint32_t)n;
}

#endif /* TESTS_TCP_FIXTURE_H */
