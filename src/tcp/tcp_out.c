/*
 * TCP output and timers.
 *
 * zn__tcp_output() decides what goes out now: retransmissions of holes
 * during loss recovery (RFC 6675 with SACK, RFC 6582 without), new data
 * within min(cwnd, peer window) under Nagle (RFC 896) and sender SWS
 * avoidance (RFC 1122 §4.2.3.4), the FIN, window probes (persist, RFC 9293
 * §3.8.6.1) and ACKs (delayed per RFC 1122 §4.2.3.2, at least every second
 * full segment).  Segments are built by copying payload from the send
 * queue into a fresh frame buffer whose headroom takes the headers.
 *
 * Timers per connection, each in one mode at a time (tcp_int.h explains
 * them): rtx_timer (SYN, RTO, PERSIST, CORK, PROBE, REORDER), ack_timer
 * (delayed ACK), misc_timer (KEEPALIVE, FIN_WAIT_2, TIME_WAIT).  A user
 * timeout (RFC 5482, TCP_USER_TIMEOUT) ends a connection by time where
 * the retransmission and probe counts would (user_timed_out).
 */
#include <string.h>

#include "core/log_int.h"
#include "core/stack_int.h"
#include "af/af_inline.h"
#include "tcp/tcp_int.h"
#include "znet/err.h"

#define TCP_OPT_SPACE 40

uint32_t zn__tcp_ts_now(const struct zn_tcp_conn *c) {
  return (uint32_t)(c->st->now / ZN_MS(1)) + c->ts_offset;
}

/* ---- timers (their modes: tcp_int.h, before enum zn__tcp_rtx_mode) ---- */

static void rtx_timer_fn(struct zn_stack *st, struct zn_timer *t);
static void ack_timer_fn(struct zn_stack *st, struct zn_timer *t);
static void misc_timer_fn(struct zn_stack *st, struct zn_timer *t);

void zn__tcp_timers_init(struct zn_tcp_conn *c) {
  zn_timer_init(&c->rtx_timer, rtx_timer_fn);
  zn_timer_init(&c->ack_timer, ack_timer_fn);
  zn_timer_init(&c->misc_timer, misc_timer_fn);
  c->rtx_mode = ZN__TCP_RTX_OFF;
  c->misc_mode = ZN__TCP_MISC_OFF;
}

/* Arm rtx_timer in `mode`, d ns from now. */
static void rtx_start(struct zn_tcp_conn *c, enum zn__tcp_rtx_mode mode,
                      uint64_t d) {
  c->rtx_mode = (uint8_t)mode;
  zn_timer_start_in(c->st, &c->rtx_timer, d);
}

/* Arm misc_timer in `mode`, d ns from now. */
static void misc_start(struct zn_tcp_conn *c, enum zn__tcp_misc_mode mode,
                       uint64_t d) {
  c->misc_mode = (uint8_t)mode;
  zn_timer_start_in(c->st, &c->misc_timer, d);
}

static void misc_stop(struct zn_tcp_conn *c) {
  c->misc_mode = ZN__TCP_MISC_OFF;
  zn__timer_stop(c->st, &c->misc_timer);
}

static uint32_t backed_off_rto(const struct zn_tcp_conn *c) {
  uint64_t rto = (uint64_t)c->rto_ms << (c->rtx_count < 16 ? c->rtx_count : 16);
  if (rto > c->st->cfg.tcp_rto_max_ms)
    rto = c->st->cfg.tcp_rto_max_ms;
  return (uint32_t)rto;
}

/* Loss probes before the RTO, and the least probe timeout.  Both are
 * departures from RFC 8985 §7, which sends one probe two SRTTs after the
 * last progress and then waits for the RTO.  On a path of tens of
 * microseconds a window under loss is a few segments, so a flight and
 * its probe (or all their ACKs) are lost together often: at 10% loss each
 * way a probe and its ACK both get through four times in five, so one
 * probe in 25 leaves a second one unanswered too, and each time that
 * ends in a 200 ms RTO and a window of one segment.  Up to four probes,
 * each twice as late as the one before (FreeBSD's RACK stack also sends
 * more than one), and a least timeout of one timer tick (two SRTTs are
 * far below it on such a path; Linux adds two ticks): in two-stack runs
 * of 8 MiB with 25 us each way, ten seeds at 10% loss each way took
 * 10.2 s in all with two probes and a 2 ms least timeout (25 RTOs), 4.8 s
 * with three (7), 3.5 s with four (1) and 2.6 s with four and 1 ms.  Four
 * probes cost at most four segments and 15 PTOs before the RTO. */
#define TLP_MAX 4u
#define PTO_MIN_MS 1u

/* The loss probe timeout (after RFC 8985 §7, TLP), in ms, or 0 when no
 * probe is due.  A lost last segment, or a lost retransmission with
 * everything after it SACKed, draws no duplicate ACKs: without a probe
 * only the RTO (200 ms at least, then cwnd of one segment) finds it.  The
 * probe, two smoothed RTTs after the last progress, makes the receiver
 * tell (a SACK, or the cumulative ACK) at the cost of one segment; an
 * unanswered one is followed by another, twice as late, up to TLP_MAX. */
/* Is what is in flight such that a probe may be due for it?  (Inline:
 * every output asks, through probe_may_be_due.) */
static inline bool probe_flight(const struct zn_tcp_conn *c) {
  /* In recovery the probe resends the first hole: two SRTTs without its
   * ACK, the retransmission itself was lost, and nothing sent after it
   * was delivered for RACK to tell.  Otherwise one segment in flight
   * draws no probe: the receiver may be delaying its ACK (RFC 8985 adds
   * a worst-case delayed-ACK time, which makes it an RTO). */
  return (c->flags & ZN__TCPF_IN_RECOVERY) ||
         c->snd_max - c->snd_una > zn__tcp_seg_size(c);
}

static uint32_t probe_timeout(const struct zn_tcp_conn *c) {
  /* (The flight first: most of what is in flight when the timer is
   * armed, a request, a response, a FIN, is one segment.) */
  if (!probe_flight(c) || c->rtx_count || c->srtt_us == 0 ||
      (c->flags & (ZN__TCPF_RTO_RECOVERY | ZN__TCPF_SYN_UNACKED)) ||
      ((c->flags & ZN__TCPF_PROBE_SENT) && c->tlp_sent >= TLP_MAX))
    return 0;
  uint32_t pto = (2u * c->srtt_us + 999u) / 1000u;
  if (pto < PTO_MIN_MS)
    pto = PTO_MIN_MS;
  return (c->flags & ZN__TCPF_PROBE_SENT) ? pto << c->tlp_sent : pto;
}

/* RACK's reordering timer (RFC 8985 §6.2 step 5), in microseconds, or
 * 0: when the first range sent before the last one delivered is overdue
 * by RACK.rtt plus the reordering window (tcp_rack.c).  With a small
 * window there are never the three duplicate ACKs fast retransmit waits
 * for; this finds such a loss, and a lost retransmission, long before
 * the RTO. */
static uint32_t reorder_timeout_us(const struct zn_tcp_conn *c) {
  if ((c->flags & ZN__TCPF_SYN_UNACKED) || !zn__tcp_rack_may_lose(c))
    return 0;
  return zn__tcp_rack_timeout_us(c);
}

/* The mode rtx_timer takes for what is outstanding now, and in *d when
 * it fires: the handshake's SYN; the next window probe while probing; or
 * the earliest of the reordering timer, the loss probe and the RTO. */
static enum zn__tcp_rtx_mode rtx_mode_due(const struct zn_tcp_conn *c,
                                          uint64_t *d) {
  *d = ZN_MS(backed_off_rto(c));
  if (c->state == ZN_TCP_SYN_SENT || c->state == ZN_TCP_SYN_RECEIVED)
    return ZN__TCP_RTX_SYN;
  if (c->rtx_mode == ZN__TCP_RTX_PERSIST)
    return ZN__TCP_RTX_PERSIST;
  enum zn__tcp_rtx_mode mode = ZN__TCP_RTX_RTO;
  uint64_t pto = ZN_MS(probe_timeout(c));
  uint64_t reo = (uint64_t)reorder_timeout_us(c) * 1000u;
  if (pto && pto < *d) {
    *d = pto;
    mode = ZN__TCP_RTX_PROBE;
  }
  if (reo && reo < *d) {
    *d = reo;
    mode = ZN__TCP_RTX_REORDER;
  }
  return mode;
}

void zn__tcp_arm_rtx(struct zn_tcp_conn *c) {
  uint64_t d;
  enum zn__tcp_rtx_mode mode = rtx_mode_due(c, &d);
  rtx_start(c, mode, d);
}

/* A probe or the reordering timer may have become due since the timer was
 * armed as the RTO (a second segment went out, a SACK arrived, the last
 * hole's retransmission is all that is left in flight): bring it forward.
 * The reordering timer also takes the place of a probe due in the same
 * tick: RACK knows what is lost, the probe would only ask. */
static void arm_probe(struct zn_tcp_conn *c) {
  uint64_t d;
  enum zn__tcp_rtx_mode mode = rtx_mode_due(c, &d);
  if ((mode != ZN__TCP_RTX_PROBE && mode != ZN__TCP_RTX_REORDER) ||
      c->rtx_mode == mode)
    return;
  uint64_t tick = zn__ns_to_tick_ceil(c->st->now + d);
  bool displaces = mode == ZN__TCP_RTX_REORDER &&
                   c->rtx_mode == ZN__TCP_RTX_PROBE;
  if (tick > c->rtx_timer.expires ||
      (tick == c->rtx_timer.expires && !displaces))
    return;
  rtx_start(c, mode, d);
}

/* May arm_probe have anything to do?  (Inline: every output asks, and
 * nearly always the answer is no.  With nothing armed there is nothing to
 * bring forward; with nothing in flight nothing can be probed for or
 * found lost (rtx_fire_data does nothing then); and with neither a probe
 * nor the reordering timer possible rtx_mode_due can only answer SYN,
 * PERSIST or RTO.) */
static inline bool probe_may_be_due(const struct zn_tcp_conn *c) {
  return zn_timer_pending(&c->rtx_timer) && c->snd_max != c->snd_una &&
         ((probe_flight(c) && probe_timeout(c)) || reorder_timeout_us(c));
}

/* Data waits with nothing in flight to bring a window update: probe. */
static void arm_persist(struct zn_tcp_conn *c) {
  rtx_start(c, ZN__TCP_RTX_PERSIST, ZN_MS(backed_off_rto(c)));
}

void zn__tcp_schedule_ack(struct zn_tcp_conn *c, bool now) {
  if (now) {
    c->flags |= ZN__TCPF_ACK_NOW;
    return;
  }
  if (!zn_timer_pending(&c->ack_timer))
    zn_timer_start_in(c->st, &c->ack_timer, ZN_MS(c->st->cfg.tcp_delack_ms));
}

void zn__tcp_arm_2msl(struct zn_tcp_conn *c) {
  misc_start(c, ZN__TCP_MISC_TIME_WAIT, 2 * ZN_MS(c->st->cfg.tcp_msl_ms));
}

void zn__tcp_misc_arm_at(struct zn_tcp_conn *c, uint64_t when) {
  uint64_t now = c->st->now;
  misc_start(c,
             c->state == ZN_TCP_TIME_WAIT ? ZN__TCP_MISC_TIME_WAIT
                                          : ZN__TCP_MISC_FIN_WAIT_2,
             when > now ? when - now : 0);
}

uint64_t zn__tcp_misc_deadline(const struct zn_tcp_conn *c) {
  if (c->misc_mode == ZN__TCP_MISC_OFF || !zn_timer_pending(&c->misc_timer))
    return c->st->now;
  return c->misc_timer.expires * (uint64_t)ZN_TIMER_TICK_NS;
}

/* RFC 9293 §3.10.7.4: TIME_WAIT for 2 MSL.  Once the application is done
 * with the connection (now, if it closed; else when it does) a record
 * keeps it and the slot goes back (tcp_tw.c, zn__tcp_timewait_compact
 * at the end of the poll).  A slot stays in TIME_WAIT only while an
 * application still holds it (after zn_tcp_shutdown, reading to the
 * end): at most a share of the table may, so that applications that
 * never close cannot fill it; beyond, the connection ends TIME_WAIT at
 * once (at the next poll), as Linux does when its tcp_max_tw_buckets
 * overflow.  Old duplicates are still kept out of a new incarnation by
 * PAWS (RFC 7323) and RFC 6191's checks. */
void zn__tcp_enter_timewait(struct zn_tcp_conn *c) {
  struct zn_stack *st = c->st;
  zn__tcp_rtx_stop(c);
  zn__timer_stop(st, &c->ack_timer);
  if (ZN__MOD(st, tcp)->ntimewait >= st->cfg.tcp_conns / ZN__TCP_TIMEWAIT_SHARE) {
    ZN_STAT_INC(st, tcp_timewait_cut);
    misc_start(c, ZN__TCP_MISC_TIME_WAIT, 0);
  } else {
    zn__tcp_arm_2msl(c);
  }
  ZN__MOD(st, tcp)->ntimewait++;
  /* The application that closed is done with the handle. */
  if (c->life & ZN__TCPL_USER_CLOSED)
    zn__tcp_reap_add(c);
}

/* FIN_WAIT_2 after the application closed: a time limit, and at the end
 * of the poll a record instead of the slot (tcp_tw.c). */
void zn__tcp_arm_fw2(struct zn_tcp_conn *c) {
  if (c->state == ZN_TCP_FIN_WAIT_2 && (c->life & ZN__TCPL_USER_CLOSED)) {
    misc_start(c, ZN__TCP_MISC_FIN_WAIT_2, ZN_MS(c->st->cfg.tcp_fw2_ms));
    zn__tcp_reap_add(c);
  }
}

/* The states in which misc_timer is the keepalive timer: synchronized,
 * nothing of ours outstanding that the retransmission timer watches for
 * good, and not the FIN_WAIT_2 limit's (which is for connections the
 * application has closed). */
static bool ka_state(const struct zn_tcp_conn *c) {
  return c->state == ZN_TCP_ESTABLISHED || c->state == ZN_TCP_CLOSE_WAIT ||
         (c->state == ZN_TCP_FIN_WAIT_2 &&
          !(c->life & ZN__TCPL_USER_CLOSED));
}

/* Start the idle wait (or stop it, keepalive off). */
static void keepalive_start(struct zn_tcp_conn *c) {
  if (c->ka_idle_ms) {
    c->ka_probes = 0;
    misc_start(c, ZN__TCP_MISC_KEEPALIVE, ZN_MS(c->ka_idle_ms));
  } else {
    misc_stop(c);
  }
}

void zn__tcp_arm_keepalive(struct zn_tcp_conn *c) {
  if (ka_state(c))
    keepalive_start(c);
}

void zn__tcp_arm_keepalive_at_establish(struct zn_tcp_conn *c) {
  keepalive_start(c);
}

/* ---- RTT (RFC 6298 §2) ---- */

void zn__tcp_rtt_sample(struct zn_tcp_conn *c, uint32_t r) {
  if (r == 0)
    r = 1;
  if (c->srtt_us == 0) {
    c->srtt_us = r;
    c->rttvar_us = r / 2;
  } else {
    uint32_t d = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;
    c->rttvar_us = (3 * c->rttvar_us + d) / 4;
    c->srtt_us = (7 * c->srtt_us + r) / 8;
  }
  uint64_t rto_us = (uint64_t)c->srtt_us +
                    (4ull * c->rttvar_us > 1000 ? 4ull * c->rttvar_us : 1000);
  uint64_t rto = (rto_us + 999) / 1000;
  const struct zn_config *cfg = &c->st->cfg;
  if (rto < cfg->tcp_rto_min_ms)
    rto = cfg->tcp_rto_min_ms;
  if (rto > cfg->tcp_rto_max_ms)
    rto = cfg->tcp_rto_max_ms;
  c->rto_ms = (uint32_t)rto;
}

/* ---- the send queue ---- */

static const struct zn__tcp_chunk *chunk_of(const struct zn_buf *b) {
  return (const struct zn__tcp_chunk *)(const void *)b->cb;
}

static const uint8_t *chunk_data(const struct zn_buf *b) {
  const struct zn__tcp_chunk *k = chunk_of(b);
  return k->ref ? k->ref : b->data;
}

/* Copy len stream bytes starting at sequence seq into dst. */
static void gather(struct zn_tcp_conn *c, uint32_t seq, uint8_t *dst,
                   uint32_t len) {
  uint32_t off = seq - c->snd_una + c->snd_head_off;
  struct zn_buf *b = c->sndq.head;
  /* The cursor remembers where the last gather ended, so a run of new
   * segments walks the queue once, not once per segment. */
  if (c->tx_chunk && zn__seq_geq(seq, c->tx_seq)) {
    b = c->tx_chunk;
    off = seq - c->tx_seq;
  }
  while (b && off >= chunk_of(b)->len) {
    off -= chunk_of(b)->len;
    b = b->next;
  }
  while (len > 0 && b) {
    uint32_t n = chunk_of(b)->len - off;
    if (n > len)
      n = len;
    memcpy(dst, chunk_data(b) + off, n);
    c->tx_chunk = b;
    c->tx_seq = seq - off;
    dst += n;
    seq += n;
    len -= n;
    off += n;
    if (off == chunk_of(b)->len) {
      b = b->next;
      off = 0;
      if (b) {
        c->tx_chunk = b;
        c->tx_seq = seq;
      }
    }
  }
}

void zn__tcp_sndq_ack(struct zn_tcp_conn *c, uint32_t acked) {
  if (acked > c->snd_queued)
    acked = c->snd_queued;
  c->snd_queued -= acked;
  while (acked > 0 && c->sndq.head) {
    struct zn_buf *b = c->sndq.head;
    const struct zn__tcp_chunk *k = chunk_of(b);
    uint32_t left = k->len - c->snd_head_off;
    if (acked < left) {
      c->snd_head_off += acked;
      break;
    }
    acked -= left;
    c->snd_head_off = 0;
    if (c->tx_chunk == b)
      c->tx_chunk = NULL;
    zn_bufq_pop(&c->sndq); /* less b's length: the bytes copied in */
    if (k->ref) {
      c->sndq.bytes -= k->len; /* a reference's are not in b */
      c->nrefs--;
      if (k->release)
        k->release(k->arg);
    }
    zn_buf_free(b);
  }
  /* The queue held every byte snd_queued counted: it ran out only with
   * the acknowledged bytes. */
  ZN_ASSERT(acked == 0 || c->sndq.head != NULL);
  zn__tcp_mem_sync(c);
}

/* ---- segments ---- */

/* The MSS option of our SYNs says what we can receive (RFC 9293 §3.7.1,
 * MMS_R: the MTU less the headers). */
static uint16_t syn_mss_option(const struct zn_stack *st, uint8_t family) {
  uint32_t mtu = st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
  uint32_t hdrs = zn__inet_hdr_len(family) + ZN_TCP_HDR_LEN;
  return (uint16_t)(mtu > hdrs + 65535 ? 65535 : mtu > hdrs ? mtu - hdrs : 536);
}

/* Checksum the segment p (len bytes, in b), or leave that to the netif,
 * and hand it to IP as nsegs segments with TOS tos (DSCP and the ECN
 * field) and TTL ttl (0: the stack's).  psum: the pseudo-header sum of
 * laddr, raddr and TCP with length 0 (a connection's c->psum).  ip_id and
 * path: a connection's (NULL for a segment without one). */
static int tcp_tx(struct zn_stack *st, struct zn_buf *b, uint8_t *p, size_t len,
                  const struct zn_ip *laddr, const struct zn_ip *raddr,
                  uint32_t psum, uint32_t nsegs, uint8_t tos, uint8_t ttl,
                  uint16_t *ip_id, struct zn__ip_path *path) {
  uint32_t caps = st->nif ? st->nif->caps : 0;
  psum += (uint32_t)len; /* below 2^16, into a sum far below 2^31 */
  if (caps & ZN_NETIF_CAP_TX_CSUM) {
    zn_wr16(p + 16, zn_csum_partial_psum(psum));
    b->flags |= ZN_BUF_F_CSUM_PARTIAL;
    b->csum_l4len = (uint16_t)len; /* the segment: at most 65535 */
    b->csum_field = 16;
  } else {
    zn_tcp_finish_psum(p, len, psum);
  }
  ZN_STAT_ADD(st, tcp_seg_tx, nsegs);
  /* DF: RFC 1191 path MTU discovery.  The IPv4 ID: a connection's own
   * counter (zn_tcp_conn.ip_id), one ID per segment a TSO frame becomes,
   * as the netif numbers them; a SYN-ACK for a cookie has no connection
   * and draws from the counter of its destination.  A connection's
   * segments after the first go through the route the first left in
   * path, while it stands. */
  if (!ip_id)
    return zn__af_send(st, b, laddr, raddr, ZN_IPPROTO_TCP, tos, ttl, true);
  uint16_t id = *ip_id;
  *ip_id = (uint16_t)(id + nsegs);
  return zn__af_send_path(st, b, laddr, raddr, ZN_IPPROTO_TCP, tos, ttl, id,
                          path);
}

bool zn__tcp_mss_fit_mtu(struct zn_tcp_conn *c, uint32_t mtu) {
  uint32_t hdrs = zn__inet_hdr_len(c->raddr.family) + ZN_TCP_HDR_LEN;
  uint32_t min_mtu = c->raddr.family == ZN_AF_INET6 ? 1280u : 68u;
  uint32_t floor = c->raddr.family == ZN_AF_INET6 ? 1280u - hdrs : ZN__TCP_MIN_MSS;
  if (mtu < min_mtu || mtu - hdrs >= c->mss)
    return false;
  zn__tcp_set_mss(c, mtu - hdrs < floor ? floor : mtu - hdrs);
  return true;
}

/* RFC 8201 §5.2: the IPv6 layer keeps one path MTU per destination, which
 * any packet too big lowers (one about another connection to the same
 * host, or one whose quote this connection did not take, RFC 5927 §4.1),
 * and refuses larger datagrams.  A connection's segments follow it, or
 * every full-sized one would be dropped here and the connection stall.
 * IPv4 keeps no such table: its path MTU is each connection's MSS. */
static void path_mtu_fit(struct zn_tcp_conn *c) {
  c->mtu_epoch = (uint16_t)zn__af_mtu_epoch(c->st);
  (void)zn__tcp_mss_fit_mtu(c, zn__af_path_mtu(c->st, &c->raddr));
}

/* Before sending: only when a path MTU may have fallen since the last
 * fit (the epoch moved; 16 bits of it, and a retransmission timeout fits
 * again regardless). */
static void path_mtu_follow(struct zn_tcp_conn *c) {
  if (c->raddr.family == ZN_AF_INET6 &&
      c->mtu_epoch != (uint16_t)zn__af_mtu_epoch(c->st))
    path_mtu_fit(c);
}

/* Our SYN's or SYN-ACK's options (RFC 9293 §3.7.1, RFC 7323, RFC 2018):
 * the MSS we can receive, and what we offer, or in a SYN-ACK what the
 * peer's SYN agreed to. */
static void syn_options(struct zn_tcp_conn *c, bool synack,
                        struct zn_tcp_seg_opts *o) {
  struct zn_stack *st = c->st;
  /* What we can receive, not c->mss, which is what we send, already
   * clamped to the peer's MSS or lowered by PMTUD. */
  o->present |= ZN_TCP_OPTF_MSS;
  o->mss = syn_mss_option(st, c->raddr.family);
  if (synack ? c->wscale_ok : st->cfg.tcp_wscale) {
    o->present |= ZN_TCP_OPTF_WS;
    o->wscale = c->rcv_wscale;
  }
  if (synack ? c->sack_ok : st->cfg.tcp_sack)
    o->present |= ZN_TCP_OPTF_SACK_PERM;
  if (synack ? c->ts_ok : st->cfg.tcp_timestamps) {
    o->present |= ZN_TCP_OPTF_TS;
    o->tsval = c->syn_tsval ? c->syn_tsval : zn__tcp_ts_now(c);
    o->tsecr = synack ? c->ts_recent : 0;
  }
}

/* SACK blocks (RFC 2018) in what a segment of len payload bytes leaves of
 * the MSS (RFC 2018 §3: never push data out to make room for them), a
 * D-SACK first (RFC 2883 §4). */
static void sack_options(struct zn_tcp_conn *c, uint32_t len,
                         struct zn_tcp_seg_opts *o) {
  struct zn__tcp_sack_block blk[ZN_TCP_MAX_SACK];
  uint32_t room = zn__tcp_seg_size(c) > len ? zn__tcp_seg_size(c) - len : 0;
  if (room > 40 - (c->ts_ok ? 12u : 0u))
    room = 40 - (c->ts_ok ? 12u : 0u);
  size_t max = room >= 4 ? (room - 4) / 8 : 0;
  if (max > (c->ts_ok ? 3u : 4u))
    max = c->ts_ok ? 3u : 4u;
  size_t n = 0;
  if (max && (c->flags & ZN__TCPF_DSACK)) {
    /* RFC 2883 §4: the D-SACK first, once, then the blocks held
     * (the first of them the run that holds it, if it was beyond
     * RCV.NXT: zn__tcp_ooo_sack's first). */
    blk[n++] = (struct zn__tcp_sack_block){c->dsack_left, c->dsack_right};
    c->flags &= (uint16_t)~ZN__TCPF_DSACK;
    ZN_STAT_INC(c->st, tcp_dsack_tx);
  }
  if (max > n)
    n += zn__tcp_ooo_sack(&c->ooo, blk + n, max - n);
  for (size_t i = 0; i < n; i++) {
    o->sack[i].left = blk[i].left;
    o->sack[i].right = blk[i].right;
  }
  o->nsack = (uint8_t)n;
  if (n)
    o->present |= ZN_TCP_OPTF_SACK;
}

/* The options of a segment with these flags and len payload bytes. */
static void segment_options(struct zn_tcp_conn *c, uint8_t flags, uint32_t len,
                            struct zn_tcp_seg_opts *o) {
  bool syn = (flags & ZN_TCP_SYN) != 0;
  memset(o, 0, sizeof(*o));
  if (syn) {
    syn_options(c, (flags & ZN_TCP_ACK) != 0, o);
  } else if (c->ts_ok) {
    o->present |= ZN_TCP_OPTF_TS;
    o->tsval = zn__tcp_ts_now(c);
    o->tsecr = c->ts_recent;
  }
  if (!syn && c->sack_ok && (flags & ZN_TCP_ACK) &&
      (c->ooo.nbufs || (c->flags & ZN__TCPF_DSACK)))
    sack_options(c, len, o);
}

/* Build and send one segment.  len payload bytes from seq; flags as on
 * the wire, but for ECN's (tcp_ecn.c adds ECE and CWR, and says the IP
 * ECN field). */
static int send_segment(struct zn_tcp_conn *c, uint32_t seq, uint32_t len,
                        uint8_t flags) {
  struct zn_stack *st = c->st;
  bool syn = (flags & ZN_TCP_SYN) != 0;
  if (syn)
    flags |= (flags & ZN_TCP_ACK) ? zn__tcp_ecn_synack_flags(c)
                                  : zn__tcp_ecn_syn_flags(c);
  uint8_t ecn = zn__tcp_ecn_out(c, seq, len, &flags);
  struct zn_tcp_seg_opts o;
  segment_options(c, flags, len, &o);
  uint8_t opts[TCP_OPT_SPACE];
  size_t olen = zn_tcp_seg_opts_emit(opts, &o);
  size_t hlen = ZN_TCP_HDR_LEN + olen;
  struct zn_buf *b = zn__buf_alloc(st, hlen + len);
  if (!b)
    return ZN_ENOBUFS;
  uint8_t *p = zn_buf_put(b, hlen + len);
  if (len)
    gather(c, seq, p + hlen, len);
  uint32_t wnd = zn__tcp_rcv_wnd(c);
  uint32_t seg = zn__tcp_seg_size(c);
  if (c->state >= ZN_TCP_ESTABLISHED && wnd < seg &&
      c->rcvq_bytes + c->ooo.bytes + seg <= c->rcvbuf) {
    /* Rather than take data only to drop it, the window stays where it
     * was; tcp.c sends the update once the receive queues have eased. */
    if (!(c->mem & ZN__TCPM_RCV_CLAMPED))
      ZN_STAT_INC(st, tcp_wnd_clamped);
    c->mem |= ZN__TCPM_RCV_CLAMPED;
    ZN__MOD(st, tcp)->rcv_clamped = true;
    zn__poll_due(st, ZN__MOD_tcp, false); /* reopened when room comes */
  }
  uint32_t wfield = syn ? (wnd > 65535 ? 65535 : wnd) : wnd >> c->rcv_wscale;
  if (wfield > 65535)
    wfield = 65535;
  uint32_t ack = (flags & ZN_TCP_ACK) ? c->rcv_nxt : 0;
  zn_tcp_emit(p, c->lport, c->rport, seq, ack, flags, (uint16_t)wfield, olen);
  memcpy(p + ZN_TCP_HDR_LEN, opts, olen);
  uint32_t nsegs = 1;
  if (len > seg) { /* only when the netif offers TSO: see tso_limit() */
    b->gso_size = (uint16_t)seg;
    nsegs = (len + seg - 1) / seg;
    ZN_STAT_INC(st, tcp_tso_tx);
  }
  if (flags & ZN_TCP_ACK) {
    c->last_ack_sent = c->rcv_nxt;
    uint32_t edge = c->rcv_nxt + (syn ? wfield : wfield << c->rcv_wscale);
    if (zn__seq_gt(edge, c->rcv_adv))
      c->rcv_adv = edge;
    zn__tcp_mem_sync(c);
    c->segs_unacked = 0;
    c->flags &= (uint16_t)~ZN__TCPF_ACK_NOW;
    zn__timer_stop(st, &c->ack_timer);
  }
  int rc = tcp_tx(st, b, p, hlen + len, &c->laddr, &c->raddr, c->psum, nsegs,
                  (uint8_t)(c->tos | ecn), c->ttl, &c->ip_id, &c->path);
  if (rc == ZN_OK)
    zn__tcp_ecn_sent(c, flags, ecn, nsegs);
  return rc;
}

/* RFC 4987 §3.6: the SYN-ACK for a SYN answered with a SYN cookie, sent
 * with no TCB: its options and window come from the SYN (syn), the
 * configuration and what the cookie encodes (a). */
void zn__tcp_send_cookie_synack(struct zn_stack *st,
                                const struct zn__tcp_seg *syn,
                                const struct zn__tcp_cookie_synack *a) {
  struct zn_tcp_seg_opts o;
  memset(&o, 0, sizeof(o));
  o.present = ZN_TCP_OPTF_MSS;
  o.mss = syn_mss_option(st, syn->src->family);
  if (a->wscale_ok) {
    o.present |= ZN_TCP_OPTF_WS;
    o.wscale = a->rcv_wscale;
  }
  if (a->sack_ok)
    o.present |= ZN_TCP_OPTF_SACK_PERM;
  if (a->ts_ok) {
    o.present |= ZN_TCP_OPTF_TS;
    o.tsval = a->tsval;
    o.tsecr = syn->opts.tsval;
  }
  /* The window a new connection would offer (zn__tcp_rcv_wnd): its
   * buffer, within the memory bound's share, no silly window. */
  uint32_t mss = zn__tcp_our_mss(st, syn->src);
  if (a->peer_mss < mss)
    mss = a->peer_mss;
  uint32_t opt = a->ts_ok ? 12u : 0u;
  uint32_t seg = mss > opt + 8 ? mss - opt : 8;
  uint32_t wnd = a->rcvbuf;
  uint32_t share = zn__tcp_rcv_share_new(st, seg, wnd);
  if (share < wnd)
    wnd = share < seg ? 0 : share;
  uint8_t opts[TCP_OPT_SPACE];
  size_t olen = zn_tcp_seg_opts_emit(opts, &o);
  size_t hlen = ZN_TCP_HDR_LEN + olen;
  struct zn_buf *b = zn__buf_alloc(st, hlen);
  if (!b)
    return;
  uint8_t *p = zn_buf_put(b, hlen);
  zn_tcp_emit(p, syn->dport, syn->sport, a->iss, syn->seq + 1,
              ZN_TCP_SYN | ZN_TCP_ACK, (uint16_t)(wnd > 65535 ? 65535 : wnd),
              olen);
  memcpy(p + ZN_TCP_HDR_LEN, opts, olen);
  (void)tcp_tx(st, b, p, hlen, syn->dst, syn->src,
               zn__inet_pseudo_sum(syn->dst, syn->src, ZN_IPPROTO_TCP, 0), 1,
               a->tos, a->ttl, NULL, NULL);
}

void zn__tcp_send_syn(struct zn_tcp_conn *c, bool with_ack) {
  send_segment(c, c->iss, 0,
               (uint8_t)(ZN_TCP_SYN | (with_ack ? ZN_TCP_ACK : 0)));
  c->snd_nxt = c->iss + 1;
  if (zn__seq_gt(c->snd_nxt, c->snd_max))
    c->snd_max = c->snd_nxt;
  if (!zn_timer_pending(&c->rtx_timer)) /* (act_connect: still CLOSED) */
    rtx_start(c, ZN__TCP_RTX_SYN, ZN_MS(backed_off_rto(c)));
}

void zn__tcp_send_ack(struct zn_tcp_conn *c) {
  /* At SND.MAX, not SND.NXT: after a timeout rewinds SND.NXT, an ACK
   * numbered below the peer's RCV.NXT would be unacceptable to it and its
   * acknowledgment ignored (BSD does the same). */
  send_segment(c, c->snd_max, 0, ZN_TCP_ACK);
}

void zn__tcp_send_rst(struct zn_stack *st, const struct zn_ip *laddr,
                      uint16_t lport, const struct zn_ip *raddr,
                      uint16_t rport, uint32_t seq,
                      uint32_t ack, bool with_ack) {
  struct zn_buf *b = zn__buf_alloc(st, ZN_TCP_HDR_LEN);
  if (!b)
    return;
  uint8_t *p = zn_buf_put(b, ZN_TCP_HDR_LEN);
  zn_tcp_emit(p, lport, rport, seq, with_ack ? ack : 0,
              (uint8_t)(ZN_TCP_RST | (with_ack ? ZN_TCP_ACK : 0)), 0, 0);
  zn_tcp_finish_psum(
      p, ZN_TCP_HDR_LEN,
      zn__inet_pseudo_sum(laddr, raddr, ZN_IPPROTO_TCP, ZN_TCP_HDR_LEN));
  struct zn__inet_tx tx = {0};
  tx.src = *laddr;
  tx.dst = *raddr;
  tx.proto = ZN_IPPROTO_TCP;
  ZN_STAT_INC(st, tcp_rst_tx);
  zn__af_output(st, b, &tx);
}

void zn__tcp_send_rst_conn(struct zn_tcp_conn *c) {
  zn__tcp_send_rst(c->st, &c->laddr, c->lport, &c->raddr, c->rport, c->snd_nxt,
                   c->rcv_nxt, true);
}

/* ---- deciding what to send ---- */

static uint32_t flight(const struct zn_tcp_conn *c) {
  return c->snd_max - c->snd_una;
}

/* Stream bytes (not counting SYN/FIN) from seq to the end of the queue. */
static uint32_t unsent_from(const struct zn_tcp_conn *c, uint32_t seq) {
  uint32_t start = c->snd_una + ((c->flags & ZN__TCPF_SYN_UNACKED) ? 1u : 0u);
  uint32_t end = start + c->snd_queued;
  return zn__seq_lt(seq, end) ? end - seq : 0;
}

/* PMTU black holes (RFC 4821 §7.7 and RFC 8899's idea, as Linux's
 * tcp_mtu_probing=1 does): a path that drops full-sized packets and
 * filters the ICMP "fragmentation needed" / "packet too big" that would
 * say so leaves a connection resending its first segment until it gives
 * up.  At the BH_RTOS-th consecutive RTO of a full-sized segment the
 * MSS comes down: over IPv4 first to the search base (1024 bytes), then by
 * halves to 536 (RFC 1122's 576-byte datagram); over IPv6 to what the
 * minimum MTU carries (1220).
 *
 * Then the full size is probed for (RFC 4821 §7.6, RFC 8899 §4.1's
 * confirmation by acknowledgement): once data flows again at the lowered
 * size (an ACK of new data, no RTO outstanding), one segment of new data
 * goes at the full size (blackhole_probe).  Acknowledged without having
 * been resent, it shows the path takes that size, and the MSS is back
 * (blackhole_probe_acked).  Resent (RACK found it lost, or an RTO came),
 * it failed (blackhole_probe_lost): the next probe waits BH_PROBE_MS,
 * twice that after a second failure, and so on up to
 * cfg.tcp_blackhole_probe_ms.  Random loss makes three RTOs in a row
 * without any black hole (at 10% each way, about one 32 MiB transfer in
 * two of scripts/bench's sendloss part lowered its MSS, twice to 536,
 * and stayed there): the first probe takes such a transfer back to full
 * size one round trip after it recovered. */
/* Three, RFC 1122 §4.2.3.5's R1 ("at least 3 retransmissions" before
 * IP is told the path may be bad; Linux's tcp_retries1).  Two came too
 * soon under random loss: at 10% each way, two RTOs in a row of one
 * segment are common enough that a sender lowered its MSS for nothing
 * (4 times in one 32 MiB transfer of scripts/bench's sendloss part). */
#define BH_RTOS 3u
#define BH_BASE_MSS4 1024u
#define BH_FLOOR_MSS4 536u
/* The wait after a first failed probe, in ms; it doubles with each. */
#define BH_PROBE_MS 1000u

static uint32_t blackhole_floor(const struct zn_tcp_conn *c) {
  return c->raddr.family == ZN_AF_INET6
             ? 1280u - zn__inet_hdr_len(ZN_AF_INET6) - ZN_TCP_HDR_LEN
             : BH_FLOOR_MSS4;
}

static void set_mss(struct zn_tcp_conn *c, uint32_t mss) {
  zn__tcp_set_mss(c, mss);
  c->cc.mss = mss;
}

/* At an RTO: lower the MSS if full-sized segments look swallowed. */
static void blackhole_lower(struct zn_tcp_conn *c) {
  struct zn_stack *st = c->st;
  uint32_t floor = blackhole_floor(c);
  if (!st->cfg.tcp_blackhole_probe_ms || c->rtx_count < BH_RTOS ||
      c->mss <= floor || unsent_from(c, c->snd_una) < zn__tcp_seg_size(c))
    return;
  uint32_t to = c->raddr.family != ZN_AF_INET6 && c->mss > BH_BASE_MSS4
                    ? BH_BASE_MSS4
                    : c->mss / 2u;
  if (to < floor)
    to = floor;
  if (!c->mss_full) {
    c->mss_full = c->mss;
    c->bh_fails = 0;
    c->bh_probe_at = st->now; /* probe as soon as data flows again */
  }
  c->bh_probe_len = 0;
  set_mss(c, to);
  ZN_STAT_INC(st, tcp_blackhole);
}

static uint32_t transmit_upto(struct zn_tcp_conn *c, uint32_t seq,
                              uint32_t max, uint32_t cap);

/* Before new data goes out: if a probe is due, one segment of it at the
 * full size, with the windows' room for all of it. */
static void blackhole_probe(struct zn_tcp_conn *c) {
  struct zn_stack *st = c->st;
  if (!c->mss_full || c->bh_probe_len || c->rtx_count ||
      st->now < c->bh_probe_at || c->snd_nxt != c->snd_max ||
      (c->flags & (ZN__TCPF_IN_RECOVERY | ZN__TCPF_RTO_RECOVERY)))
    return;
  uint16_t low = c->mss;
  zn__tcp_set_mss(c, c->mss_full); /* for this one segment */
  uint32_t seg = zn__tcp_seg_size(c);
  uint32_t wnd = c->snd_wnd < c->cc.cwnd ? c->snd_wnd : c->cc.cwnd;
  uint32_t used = 0, seq = c->snd_nxt;
  if (unsent_from(c, seq) >= seg && wnd >= c->snd_max - c->snd_una + seg)
    used = transmit_upto(c, seq, seg, seg);
  zn__tcp_set_mss(c, low);
  if (!used)
    return;
  c->snd_nxt += used;
  if (zn__seq_gt(c->snd_nxt, c->snd_max))
    c->snd_max = c->snd_nxt;
  c->bh_probe_seq = seq;
  c->bh_probe_len = (uint16_t)used;
  ZN_STAT_INC(st, tcp_blackhole_reprobe);
}

/* A resend of [seq, seq + len): if it covers the probe, the probe was
 * lost; wait longer for the next. */
static void blackhole_probe_lost(struct zn_tcp_conn *c, uint32_t seq,
                                 uint32_t len) {
  struct zn_stack *st = c->st;
  if (!c->bh_probe_len || !zn__seq_lt(seq, c->bh_probe_seq + c->bh_probe_len) ||
      !zn__seq_gt(seq + len, c->bh_probe_seq))
    return;
  c->bh_probe_len = 0;
  if (c->bh_fails < 20)
    c->bh_fails++;
  uint64_t wait = (uint64_t)BH_PROBE_MS << (c->bh_fails - 1u);
  if (wait > st->cfg.tcp_blackhole_probe_ms)
    wait = st->cfg.tcp_blackhole_probe_ms;
  c->bh_probe_at = st->now + ZN_MS(wait);
}

void zn__tcp_blackhole_acked(struct zn_tcp_conn *c, uint32_t ack) {
  if (!c->bh_probe_len || zn__seq_lt(ack, c->bh_probe_seq + c->bh_probe_len))
    return;
  c->bh_probe_len = 0;
  set_mss(c, c->mss_full);
  c->mss_full = 0;
  if (c->raddr.family == ZN_AF_INET6)
    path_mtu_fit(c); /* what the path is known to take, still */
  ZN_STAT_INC(c->st, tcp_blackhole_restored);
}

static bool fin_due(const struct zn_tcp_conn *c, uint32_t seq, uint32_t len) {
  return (c->flags & ZN__TCPF_FIN_QUEUED) && seq + len == c->fin_seq;
}

/* The most new data one frame should carry: with a netif that segments
 * (ZN_NETIF_CAP_TSO), whole segments up to a 64 KiB datagram, but no more
 * than a quarter of the congestion window (so a small window still goes
 * out as several frames the ACKs can clock), and only while a large
 * buffer is free to build the frame in; else one segment. */
static uint32_t tso_limit(struct zn_tcp_conn *c) {
  struct zn_stack *st = c->st;
  uint32_t seg = zn__tcp_seg_size(c);
  uint32_t need = ZN_NETIF_CAP_TX_CSUM | ZN_NETIF_CAP_TSO;
  if (!st->nif || (st->nif->caps & need) != need || st->bigpool.count == 0)
    return seg;
  if (!st->bigpool.free && st->txq.count)
    zn_stack_flush(st); /* frames built earlier hold the large buffers */
  if (!st->bigpool.free)
    return seg;
  uint32_t max = ZN_NETIF_TSO_MAX - ZN_IPV4_HDR_LEN - ZN_TCP_HDR_LEN -
                 TCP_OPT_SPACE;
  uint32_t fit = st->bigpool.size - ZN_BUF_HEADROOM - ZN_TCP_HDR_LEN -
                 TCP_OPT_SPACE;
  if (max > fit)
    max = fit;
  if (max > c->cc.cwnd / 4)
    max = c->cc.cwnd / 4;
  /* (seg is 8 at least once zn__tcp_set_mss has run: the test of 0 only
   * keeps a slot never set up from dividing by it.) */
  if (seg == 0 || max < 2 * seg)
    return seg;
  return max / seg * seg;
}

/* Would Nagle, as Minshall refined it (Linux does the same), or TCP_CORK
 * hold a short segment that ends what is queued: Nagle while an earlier
 * short one is unacknowledged, the cork in any case (arm_wait bounds the
 * hold); a FIN lets it go. */
static bool short_seg_held(const struct zn_tcp_conn *c) {
  return ((zn__seq_gt(c->snd_sml, c->snd_una) &&
           !(c->flags & ZN__TCPF_NODELAY)) ||
          (c->app & ZN__TCPA_CORK)) &&
         !(c->flags & ZN__TCPF_FIN_QUEUED);
}

/* How much of avail one TSO frame carries, within room and cap: whole
 * segments, and a last short one only where it would leave on its own
 * right after them -- it ends what is queued (sender SWS avoidance) and
 * neither Nagle nor TCP_CORK would hold it (short_seg_held).  An answer a
 * little over a segment (an HTTPS answer of a 1 KiB file with its ticket and
 * close_notify: 1,455 bytes) then leaves as one frame, not a segment and a
 * 7-byte one: one write to a TAP and one skb for the peer, as Linux sends it.
 */
static uint32_t tso_frame_len(const struct zn_tcp_conn *c, uint32_t avail,
                              uint32_t room, uint32_t cap, uint32_t seg) {
  uint32_t len = avail < room ? avail : room;
  if (len > cap)
    len = cap;
  if (len % seg == 0)
    return len;
  if (len == avail && !short_seg_held(c))
    return len;
  return len / seg * seg;
}

/* Send one frame of (re)transmission at seq: at most max bytes of
 * payload, and at most cap (one segment, or more for TSO).  Returns bytes
 * of sequence space used, 0 if nothing could be sent.  (The body, inlined
 * into the new-data loop, output_new_data, whose every segment comes
 * here; the other callers call transmit_upto.  Left to itself the
 * inliner's choice among them moved with unrelated changes to the file:
 * 30 instructions a segment, bench/cost.sh's tcp-segment.) */
static inline __attribute__((always_inline)) uint32_t
transmit_body(struct zn_tcp_conn *c, uint32_t seq, uint32_t max,
              uint32_t cap) {
  uint32_t len = unsent_from(c, seq);
  uint32_t seg = zn__tcp_seg_size(c);
  if (len > max)
    len = max;
  if (len > cap)
    len = cap;
  /* A TSO frame: whole segments, but for a short last one where the
   * frame ends what is queued (tso_frame_len decides it for new data). */
  if (len > seg && len < unsent_from(c, seq))
    len = len / seg * seg;
  uint8_t flags = ZN_TCP_ACK;
  if (fin_due(c, seq, len))
    flags |= ZN_TCP_FIN;
  if (len && len == unsent_from(c, seq))
    flags |= ZN_TCP_PSH;
  if ((len == 0 && !(flags & ZN_TCP_FIN)) || !zn__tcp_flight_ready(c))
    return 0;
  if (send_segment(c, seq, len, flags) != ZN_OK) {
    if (len <= seg)
      return 0;
    /* No large buffer after all: one segment, as without TSO. */
    len = seg;
    flags = ZN_TCP_ACK;
    if (fin_due(c, seq, len))
      flags |= ZN_TCP_FIN;
    if (len == unsent_from(c, seq))
      flags |= ZN_TCP_PSH;
    if (send_segment(c, seq, len, flags) != ZN_OK)
      return 0;
  }
  uint32_t used = len + ((flags & ZN_TCP_FIN) ? 1u : 0u);
  /* (A TSO frame's last segment may be short too: tso_frame_len.) */
  bool short_seg = len < seg || (seg != 0 && len % seg != 0);
  if (short_seg && zn__seq_gt(seq + len, c->snd_sml))
    c->snd_sml = seq + len;
  if (flags & ZN_TCP_FIN)
    c->flags |= ZN__TCPF_FIN_SENT;
  if ((c->flags & (ZN__TCPF_IN_RECOVERY | ZN__TCPF_RTO_RECOVERY)) ==
      ZN__TCPF_IN_RECOVERY)
    c->prr_out += len; /* RFC 6937: prr_out, what recovery has sent */
  zn__tcp_rack_sent(c, seq, used);
  zn__tcp_pace_sent(c, used);
  if (zn__seq_lt(seq, c->snd_max)) {
    c->retransmits++;
    ZN_STAT_INC(c->st, tcp_rtx);
    zn__tcp_undo_resent(c, seq, used, len);
    blackhole_probe_lost(c, seq, used);
    /* Karn: a retransmitted range cannot time the RTT. */
    if ((c->flags & ZN__TCPF_TIMING) && zn__seq_geq(c->rtt_seq, seq) &&
        zn__seq_lt(c->rtt_seq, seq + used))
      c->flags &= (uint16_t)~ZN__TCPF_TIMING;
    /* The first hole went again: its loss probe and RTO count from now
     * (Linux's tcp_xmit_retransmit_queue rearms the same way).  Armed
     * before, at the last ACK of new data, the probe could resend it a
     * moment after, the same poll even, long before its ACK could come:
     * a needless resend, whose delivery RACK cannot tell from the one
     * before it. */
    if (seq == c->snd_una)
      zn__tcp_arm_rtx(c);
  } else {
    c->bytes_sent += len;
    c->last_snd = c->st->now;
    if (!(c->flags & ZN__TCPF_TIMING)) {
      c->flags |= ZN__TCPF_TIMING;
      c->rtt_seq = seq;
      c->rtt_start = c->st->now;
    }
  }
  if (zn__seq_gt(seq + used, c->snd_max))
    c->snd_max = seq + used;
  /* Data went out: it is timed (PERSIST and CORK waited for nothing in
   * flight; neighbours, one compare). */
  if (c->rtx_mode == ZN__TCP_RTX_PERSIST || c->rtx_mode == ZN__TCP_RTX_CORK)
    rtx_start(c, ZN__TCP_RTX_RTO, ZN_MS(backed_off_rto(c)));
  else if (!zn_timer_pending(&c->rtx_timer))
    zn__tcp_arm_rtx(c);
  return used;
}

static uint32_t transmit_upto(struct zn_tcp_conn *c, uint32_t seq,
                              uint32_t max, uint32_t cap) {
  return transmit_body(c, seq, max, cap);
}

static uint32_t transmit_at(struct zn_tcp_conn *c, uint32_t seq, uint32_t max) {
  return transmit_upto(c, seq, max, zn__tcp_seg_size(c));
}

void zn__tcp_retransmit_first(struct zn_tcp_conn *c) {
  uint32_t used = transmit_at(c, c->snd_una, zn__tcp_seg_size(c));
  if (zn__seq_lt(c->rtx_next, c->snd_una + used))
    c->rtx_next = c->snd_una + used;
}

/* The end of what recovery presumes lost: below the highest SACK after a
 * fast retransmit (RFC 6675), everything that was in flight when an RTO
 * came (RFC 5681 §3.1, RFC 6675 §5.1: the sender goes back to SND.UNA and
 * resends in slow start, skipping what is SACKed), up to the recovery
 * point.  Data first sent after the RTO is not presumed lost: RACK says
 * when some of it is (resending it at once went twice). */
static uint32_t lost_end(const struct zn_tcp_conn *c) {
  if (c->flags & ZN__TCPF_RTO_RECOVERY)
    return zn__seq_lt(c->recover, c->snd_max) ? c->recover : c->snd_max;
  return zn__seq_gt(c->high_sacked, c->snd_una) ? c->high_sacked : c->snd_una;
}

/* RFC 6675 §4 pipe: bytes believed in flight.  Data above lost_end() is;
 * below it, only what has been retransmitted and not SACKed since; and
 * neither what RACK took as lost (and is not resent yet). */
uint32_t zn__tcp_pipe(const struct zn_tcp_conn *c) {
  uint32_t hi = lost_end(c);
  uint32_t p = c->snd_max - hi;
  uint32_t rtx_end = zn__seq_lt(c->rtx_next, hi) ? c->rtx_next : hi;
  if (zn__seq_gt(rtx_end, c->snd_una)) {
    uint32_t span = rtx_end - c->snd_una;
    uint32_t s = zn__tcp_sacked_in(c, c->snd_una, rtx_end);
    p += span > s ? span - s : 0;
  }
  uint32_t lost = zn__tcp_rack_lost_bytes(c, c->snd_una, rtx_end) +
                  zn__tcp_rack_lost_bytes(c, hi, c->snd_max);
  return p > lost ? p - lost : 0;
}

/* Recovery's bound.  Its loop sends each byte at most twice in one call
 * (as a hole, once; as what RACK took as lost, once), plus the new ones
 * and the FIN: with what there is to send when it begins as its budget
 * and every byte sent spent from it, a loop that overspends has a broken
 * invariant (a resend that RACK's map or the walk does not take as sent,
 * so the same bytes come back round after round), not a large window.
 * That is counted, logged and asserted, and the loop ends; the
 * connection's next output carries on.  (Out of line and cold: it never
 * runs.) */
static __attribute__((noinline, cold)) void
recovery_overspent(struct zn_tcp_conn *c, uint32_t used, uint64_t budget) {
  ZN_STAT_INC(c->st, tcp_recovery_overspent);
  ZN_LOG(c->st, ZN_LOG_ERROR,
         "tcp: recovery sent more than it had to send (%u bytes with %llu "
         "left; snd_una %u snd_nxt %u snd_max %u rtx_next %u): a broken "
         "invariant",
         used, (unsigned long long)budget, c->snd_una, c->snd_nxt,
         c->snd_max, c->rtx_next);
  ZN_ASSERT(used <= budget);
}

/* Spend used bytes of recovery's *budget: false if they are more than it
 * holds (recovery_overspent). */
static bool spend(struct zn_tcp_conn *c, uint64_t *budget, uint32_t used) {
  if (used > *budget) {
    recovery_overspent(c, used, *budget);
    return false;
  }
  *budget -= used;
  return true;
}

static void output_recovery(struct zn_tcp_conn *c) {
  uint32_t cwnd = c->cc.cwnd;
  uint64_t budget = 2u * (uint64_t)(c->snd_max - c->snd_una) +
                    unsent_from(c, c->snd_max) + 1u;
  for (;;) {
    uint32_t pipe = zn__tcp_pipe(c);
    if ((pipe + c->mss > cwnd && pipe != 0) || zn__tcp_pace_hold(c))
      break;
    /* Holes first (NextSeg rule 1), skipping what is SACKed. */
    uint32_t hi = lost_end(c);
    if (zn__seq_lt(c->rtx_next, c->snd_una))
      c->rtx_next = c->snd_una;
    uint32_t skip;
    while (zn__seq_lt(c->rtx_next, hi) && zn__tcp_sacked(c, c->rtx_next, &skip))
      c->rtx_next += skip;
    /* What RACK took as lost and the walk has passed (a lost resend) or
     * will not reach (above the highest SACK). */
    uint32_t lseq, llen;
    if (zn__tcp_rack_next_lost(c, &lseq, &llen) &&
        (zn__seq_lt(lseq, c->rtx_next) || !zn__seq_lt(c->rtx_next, hi))) {
      uint32_t used = transmit_at(c, lseq, llen);
      if (!used || !spend(c, &budget, used))
        break;
      continue;
    }
    if (zn__seq_lt(c->rtx_next, hi)) {
      uint32_t n = zn__tcp_until_sacked(c, c->rtx_next, hi - c->rtx_next);
      uint32_t used = transmit_at(c, c->rtx_next, n);
      if (!used || !spend(c, &budget, used))
        break;
      c->rtx_next += used;
      if (zn__seq_lt(c->snd_nxt, c->rtx_next))
        c->snd_nxt = c->rtx_next;
      continue;
    }
    /* Then new data (rule 2). */
    uint32_t wnd_end = c->snd_una + c->snd_wnd;
    if (zn__seq_lt(c->snd_nxt, c->snd_max))
      c->snd_nxt = c->snd_max;
    uint32_t room = zn__seq_gt(wnd_end, c->snd_nxt) ? wnd_end - c->snd_nxt : 0;
    uint32_t used = room ? transmit_at(c, c->snd_nxt, room) : 0;
    if (!used || !spend(c, &budget, used))
      break;
    c->snd_nxt += used;
  }
}

/* RFC 5681 §4.1: "TCP SHOULD set cwnd to no more than RW before beginning
 * transmission if the TCP has not sent data in an interval exceeding the
 * retransmission timeout", RW = min(IW, cwnd): a window measured on a
 * path long unused is no longer known to fit it, and would go as one
 * burst.  (Only with nothing in flight: data in flight is the RTO's to
 * watch.)  cfg.tcp_idle_restart turns it off, for a peer known to keep
 * up.  A controller with on_transmit hears of every start from nothing
 * in flight (BBR's HandleRestartFromIdle); one without on_idle keeps its
 * window (BBR paces at its bandwidth instead). */
static void restart_after_idle(struct zn_tcp_conn *c) {
  const struct zn_stack *st = c->st;
  if (c->cc.ops->on_transmit && c->snd_una == c->snd_max)
    c->cc.ops->on_transmit(&c->cc, c->rate.app_limited != 0, st->now);
  if (!c->cc.ops->on_idle || !st->cfg.tcp_idle_restart ||
      c->snd_una != c->snd_max ||
      c->last_snd == 0 || st->now - c->last_snd <= ZN_MS(c->rto_ms))
    return;
  uint32_t rw = zn__tcp_initial_window(c);
  if (c->cc.cwnd > rw) {
    c->cc.ops->on_idle(&c->cc, rw);
    ZN_STAT_INC(c->st, tcp_idle_restart);
  }
  c->last_snd = st->now; /* once per idle period */
}

/* TCP_CORK with a netif that segments (TSO): a full segment waits too
 * while what is queued is less than one frame may carry, so that the
 * uncork (or a FIN) sends it all as one frame; the cork's own bound
 * (arm_wait) holds for it as for a partial one.  A TLS session corks
 * while it writes an answer's records (ticket, answer, close_notify:
 * 1,455 bytes for a 1 KiB file), and the full segment left as the
 * records filled it, the rest at the uncork: two frames.  (Linux's
 * cork sends that full segment; its tcp_tso_should_defer holds one for
 * a frame in other cases.) */
static bool cork_holds_frame(struct zn_tcp_conn *c, uint32_t len,
                             uint32_t avail, uint32_t seg) {
  if ((c->app & (ZN__TCPA_CORK | ZN__TCPA_CORK_DUE)) != ZN__TCPA_CORK ||
      (c->flags & ZN__TCPF_FIN_QUEUED) || len != seg ||
      avail >= ZN_NETIF_TSO_MAX)
    return false;
  return avail < tso_limit(c);
}

/* New data (and the FIN) within min(cwnd, peer window), under sender SWS
 * avoidance and Nagle; in frames of several segments if the netif
 * segments (TSO).  The loop needs no bound of its own: a round that goes
 * on moves SND.NXT over at least one byte of what is queued beyond it, or
 * over the FIN, and nothing in a round queues more, so it ends within
 * that many rounds whatever the state (past the end of the queue, avail
 * is 0 and the FIN no longer at SND.NXT). */
static void output_new_data(struct zn_tcp_conn *c) {
  for (;;) {
    uint32_t in_flight = c->snd_nxt - c->snd_una;
    /* Limited transmit (RFC 3042): each of the first two duplicate
     * ACKs lets one new segment out beyond cwnd, so a small window
     * still draws the three that fast retransmit needs. */
    uint32_t cwnd = c->cc.cwnd + (c->dupacks < 2 ? c->dupacks : 2u) * c->mss;
    uint32_t wnd = c->snd_wnd < cwnd ? c->snd_wnd : cwnd;
    uint32_t avail = unsent_from(c, c->snd_nxt);
    bool fin = (c->flags & ZN__TCPF_FIN_QUEUED) && avail == 0 &&
               c->snd_nxt == c->fin_seq;
    if (avail == 0 && !fin)
      break;
    uint32_t room = wnd > in_flight ? wnd - in_flight : 0;
    uint32_t seg = zn__tcp_seg_size(c);
    uint32_t len = avail < seg ? avail : seg;
    if (len > room)
      len = room;
    if (len < avail && len < seg) {
      /* Sender SWS avoidance: no small segment while more is queued,
       * unless it is half the largest window the peer offered. */
      if (len == 0 || len < c->max_snd_wnd / 2)
        break;
    }
    /* Nagle, as Minshall refined it (Linux does the same): hold a small
     * segment only while an earlier small one is unacknowledged, so a
     * write that ends in a partial segment goes out at once.  TCP_CORK
     * holds it in any case (arm_wait bounds the hold); a FIN lets it go. */
    if (len > 0 && len < seg && len == avail && short_seg_held(c))
      break;
    if (cork_holds_frame(c, len, avail, seg))
      break;
    if ((len == 0 && !fin) || zn__tcp_pace_hold(c))
      break;
    if (len == seg && avail > seg && room > seg && !zn__tcp_ecn_cwr_due(c)) {
      /* More than a segment's worth may go: as one frame if the netif
       * segments (TSO); not a CWR, which goes alone (tcp_ecn.c). */
      uint32_t cap = zn__tcp_pace_burst(c, tso_limit(c));
      if (cap > seg)
        len = tso_frame_len(c, avail, room, cap, seg);
    }
    /* New data stays within min(cwnd, SND.WND) of SND.UNA (RFC 9293
     * §3.8.6.2.1, RFC 5681 §3.1). */
    ZN_ASSERT(len <= room);
    uint32_t used = transmit_body(c, c->snd_nxt, len, len);
    if (!used)
      break;
    c->snd_nxt += used;
    if (zn__seq_gt(c->snd_nxt, c->snd_max))
      c->snd_max = c->snd_nxt;
  }
}

/* Retransmissions in recovery, or new data (and the FIN).  (Out of line:
 * most outputs have nothing of either to send, and the loops' registers,
 * saved and restored, would cost every one of them.) */
static __attribute__((noinline)) void output_send(struct zn_tcp_conn *c) {
  if (c->flags & ZN__TCPF_IN_RECOVERY) {
    output_recovery(c);
    return;
  }
  restart_after_idle(c);
  blackhole_probe(c);
  output_new_data(c);
}

/* The CORK timer for a time gone by: it fires once the poll's frames are
 * done (znet/timer.h), or in the next poll. */
static void cork_due_now(struct zn_tcp_conn *c) {
  c->rtx_mode = ZN__TCP_RTX_CORK;
  zn_timer_start(c->st, &c->rtx_timer, 0);
}

/* Data waits with nothing in flight: TCP_CORK holds it, if the window
 * would take it, else the window is shut or too small (persist).  The
 * cork holds a partial segment ZN__TCP_CORK_MS at most, as Linux's does;
 * a full segment it holds for a TSO frame (cork_holds_frame) only to the
 * end of the poll, so that what one burst of writes queues leaves as one
 * frame and a segment Linux would send is not held longer.  A CORK timer
 * already armed is brought forward, never pushed back.  (Out of line:
 * inlined, it cost zn__tcp_output, which asks at every call and nearly
 * always finds data in flight, 8 instructions a segment, bench/cost.sh's
 * tcp-segment.) */
static __attribute__((noinline)) void arm_wait(struct zn_tcp_conn *c) {
  uint32_t unsent = unsent_from(c, c->snd_nxt);
  bool corked = (c->app & ZN__TCPA_CORK) && c->snd_wnd >= unsent;
  bool full = unsent >= zn__tcp_seg_size(c);
  if (zn_timer_pending(&c->rtx_timer)) { /* CORK (zn__tcp_output) */
    if (corked && full)
      cork_due_now(c);
  } else if (!corked) {
    arm_persist(c);
  } else if (full) {
    cork_due_now(c);
  } else {
    rtx_start(c, ZN__TCP_RTX_CORK, ZN_MS(ZN__TCP_CORK_MS));
  }
}

void zn__tcp_output(struct zn_tcp_conn *c) {
  if (c->state < ZN_TCP_ESTABLISHED && c->state != ZN_TCP_SYN_RECEIVED)
    return;
  path_mtu_follow(c);
  if (c->state == ZN_TCP_SYN_RECEIVED || c->state == ZN_TCP_TIME_WAIT ||
      c->state == ZN_TCP_CLOSED) {
    if (c->flags & ZN__TCPF_ACK_NOW)
      zn__tcp_send_ack(c);
    return;
  }
  if ((c->flags & ZN__TCPF_IN_RECOVERY) || unsent_from(c, c->snd_nxt) > 0 ||
      ((c->flags & ZN__TCPF_FIN_QUEUED) && c->snd_nxt == c->fin_seq))
    output_send(c);
  ZN_ASSERT(zn__tcp_send_space_ok(c));
  zn__tcp_rate_check_app_limited(c, unsent_from(c, c->snd_nxt));
  /* Persist: data waits and nothing is in flight to bring an update:
   * the peer's window is shut, or too small for sender SWS avoidance
   * (then the timer is RFC 1122 §4.2.3.4's override timeout); or CORK
   * holds it. */
  if (unsent_from(c, c->snd_nxt) > 0 && c->snd_max == c->snd_una &&
      (!zn_timer_pending(&c->rtx_timer) || c->rtx_mode == ZN__TCP_RTX_CORK) &&
      !zn__tcp_pace_pending(c) &&
      !(c->mem & ZN__TCPM_FLIGHT_WAIT)) /* (the block's return sends) */
    arm_wait(c);
  if (probe_may_be_due(c))
    arm_probe(c);
  /* In the application's callback a pure ACK waits for its return (tcp.c
   * call()), to ride on what it writes. */
  if ((c->flags & ZN__TCPF_ACK_NOW) && c->in_cb == 0)
    zn__tcp_send_ack(c);
}

/* ---- timer callbacks: one function per mode ---- */

/* The wait a user timeout measures began waited_ns ago: at the first
 * expiry of the timer of a wait (SYN, RTO, window probe), when that timer
 * was armed, at the last progress.  Stamped whether or not a user timeout
 * is set, so that one set later counts from there (Linux's retrans_stamp,
 * which a SYN's retransmission sets too: a connection closed in
 * SYN_RECEIVED resends its SYN-ACK by the RTO, counting on). */
static void uto_stamp(struct zn_tcp_conn *c, uint64_t waited_ns) {
  c->uto_since_ms = (uint32_t)(c->st->now / ZN_MS(1)) -
                    (uint32_t)(waited_ns / ZN_MS(1));
}

/* TCP_USER_TIMEOUT (RFC 5482 §3; Linux's meaning): has what the firing
 * timer waits on (data unacknowledged, a window probe unanswered) waited
 * user_timeout_ms?  first: this is the wait's first expiry (uto_stamp). */
static bool user_timed_out(struct zn_tcp_conn *c, bool first,
                           uint64_t waited_ns) {
  if (first)
    uto_stamp(c, waited_ns);
  uint32_t now_ms = (uint32_t)(c->st->now / ZN_MS(1));
  return c->user_timeout_ms && now_ms - c->uto_since_ms >= c->user_timeout_ms;
}

/* The retransmission after this one comes no later than the user timeout
 * (Linux tcp_clamp_rto_to_user_timeout): the connection ends on time,
 * not up to a backed-off RTO later. */
static void rto_clamp_to_user_timeout(struct zn_tcp_conn *c) {
  if (!c->user_timeout_ms || c->rtx_mode != ZN__TCP_RTX_RTO)
    return;
  uint32_t now_ms = (uint32_t)(c->st->now / ZN_MS(1));
  uint32_t spent = now_ms - c->uto_since_ms;
  uint32_t left = spent < c->user_timeout_ms ? c->user_timeout_ms - spent : 0;
  uint64_t at = c->st->now + ZN_MS(left ? left : 1);
  if (at < c->rtx_timer.expires * ZN_TIMER_TICK_NS)
    rtx_start(c, ZN__TCP_RTX_RTO, at - c->st->now);
}

/* rtx_timer as PROBE (RFC 8985 §7.3): new data if the windows allow it,
 * else the last segment sent, or in recovery the first hole again.  Then
 * the timer is the RTO. */
static void rtx_fire_probe(struct zn_tcp_conn *c) {
  c->tlp_sent = (c->flags & ZN__TCPF_PROBE_SENT) ? (uint8_t)(c->tlp_sent + 1)
                                                 : 1;
  c->flags |= ZN__TCPF_PROBE_SENT;
  ZN_STAT_INC(c->st, tcp_probe);
  uint32_t seg = zn__tcp_seg_size(c);
  if (c->flags & ZN__TCPF_IN_RECOVERY) {
    transmit_at(c, c->snd_una, seg);
  } else if (unsent_from(c, c->snd_max) > 0 &&
             zn__seq_gt(c->snd_una + c->snd_wnd, c->snd_max)) {
    uint32_t room = c->snd_una + c->snd_wnd - c->snd_max;
    if (zn__seq_lt(c->snd_nxt, c->snd_max))
      c->snd_nxt = c->snd_max;
    c->snd_nxt += transmit_at(c, c->snd_nxt, room < seg ? room : seg);
  } else {
    uint32_t end = c->snd_max;
    if ((c->flags & ZN__TCPF_FIN_SENT) && end == c->fin_seq + 1)
      end--; /* the FIN rides on the last data, or goes alone */
    uint32_t start = end - c->snd_una > seg ? end - seg : c->snd_una;
    if ((c->flags & ZN__TCPF_SYN_UNACKED) && start == c->snd_una)
      start++;
    if (transmit_at(c, start, end - start)) {
      c->flags |= ZN__TCPF_TLP_RTX;
      c->tlp_high = c->snd_max;
    }
  }
  zn__tcp_arm_rtx(c);
}

/* rtx_timer as REORDER (RFC 8985 §6.2 step 5, RACK's reordering
 * timer): a range is overdue by the reordering window: lost; recover, or
 * resend it in the recovery under way. */
static void rtx_fire_reorder(struct zn_tcp_conn *c) {
  ZN_STAT_INC(c->st, tcp_reo_timeout);
  zn__tcp_rack_recover(c);
  if (c->flags & ZN__TCPF_IN_RECOVERY)
    zn__tcp_output(c);
  zn__tcp_arm_rtx(c);
}

/* rtx_timer as RTO: RFC 6298 §5.4-5.6, RFC 5681 §3.1: back off, shrink
 * cwnd, resend from the first unacknowledged byte; give up after
 * cfg.tcp_retries (RFC 1122 §4.2.3.5's R2), or with a user timeout once
 * the data has waited that long (RFC 5482). */
static void rtx_fire_rto(struct zn_tcp_conn *c) {
  bool gone = user_timed_out(c, c->rtx_count == 0,
                             ZN_MS(backed_off_rto(c)));
  if (c->user_timeout_ms ? gone : c->rtx_count >= c->st->cfg.tcp_retries) {
    zn__tcp_fsm(c, ZN__EV_T_GIVEUP, NULL);
    return;
  }
  /* The first RTO of an episode may prove needless (tcp_ack.c); a fast
   * recovery under way whose own cut is still in question saved the
   * window from before it (the RTO is part of the same episode). */
  if (c->rtx_count == 0 &&
      !((c->flags & ZN__TCPF_IN_RECOVERY) && zn__tcp_undo_pending(c)))
    zn__tcp_undo_save(c);
  c->rtx_count++;
  c->rto_timeouts++;
  ZN_STAT_INC(c->st, tcp_rto);
  c->cc.ops->on_rto(&c->cc, flight(c), c->st->now);
  zn__tcp_ecn_window_reduced(c);
  c->recover = c->snd_max;
  c->flags |= ZN__TCPF_IN_RECOVERY | ZN__TCPF_RTO_RECOVERY;
  c->flags &= (uint16_t)~(ZN__TCPF_TIMING | ZN__TCPF_PROBE_SENT |
                          ZN__TCPF_TLP_RTX);
  c->dupacks = 0;
  c->rtx_next = c->snd_una;
  c->snd_nxt = c->snd_una;
  /* All of it goes again: what RACK had not taken as lost is now. */
  uint32_t out = c->snd_max - c->snd_una;
  uint32_t known =
      c->sacked_bytes + zn__tcp_rack_lost_bytes(c, c->snd_una, c->snd_max);
  zn__tcp_rate_on_lost(c, out > known ? out - known : 0, NULL);
  zn__tcp_rack_forget_lost(c);
  c->flags &= (uint16_t)~ZN__TCPF_FIN_SENT;
  if (c->flags & ZN__TCPF_SYN_UNACKED) {
    zn__tcp_send_syn(c, true);
  } else {
    if (c->raddr.family == ZN_AF_INET6)
      path_mtu_fit(c);
    blackhole_lower(c);
    uint32_t used = transmit_at(c, c->snd_una, zn__tcp_seg_size(c));
    c->rtx_next = c->snd_una + used;
    c->snd_nxt = c->snd_una + used;
  }
  zn__tcp_arm_rtx(c);
  rto_clamp_to_user_timeout(c);
}

/* The modes that watch data in flight: with nothing in flight any more
 * the timer is stale. */
static void rtx_fire_data(struct zn_tcp_conn *c, enum zn__tcp_rtx_mode mode) {
  if (c->snd_max == c->snd_una)
    return;
  if (mode == ZN__TCP_RTX_PROBE)
    rtx_fire_probe(c);
  else if (mode == ZN__TCP_RTX_REORDER)
    rtx_fire_reorder(c);
  else
    rtx_fire_rto(c);
}

/* rtx_timer as SYN: resend our SYN (SYN_SENT) or SYN-ACK (SYN_RECEIVED),
 * the RTO backed off (RFC 6298 §5.5; §5.7: after a lost SYN data starts
 * with 3 s), or give up after cfg.tcp_syn_retries.  A connection closed
 * in SYN_RECEIVED is in FIN_WAIT_1 by now: its SYN-ACK goes again as
 * data does, by the RTO. */
static void rtx_fire_syn(struct zn_tcp_conn *c) {
  if (c->state != ZN_TCP_SYN_SENT && c->state != ZN_TCP_SYN_RECEIVED) {
    rtx_fire_data(c, ZN__TCP_RTX_RTO);
    return;
  }
  if (c->rtx_count >= c->st->cfg.tcp_syn_retries) {
    zn__tcp_fsm(c, ZN__EV_T_GIVEUP, NULL);
    return;
  }
  if (c->rtx_count == 0)
    uto_stamp(c, ZN_MS(backed_off_rto(c)));
  c->rtx_count++;
  c->retransmits++;
  ZN_STAT_INC(c->st, tcp_rtx);
  c->flags &= (uint16_t)~ZN__TCPF_TIMING; /* Karn */
  zn__tcp_send_syn(c, c->state == ZN_TCP_SYN_RECEIVED);
  zn__tcp_arm_rtx(c);
}

/* rtx_timer as PERSIST.  RFC 1122 §4.2.3.4 (d), the override timeout: a
 * window too small for sender SWS avoidance takes what it can now (and
 * the timer becomes the RTO).  Otherwise a window probe <SEQ=SND.UNA-1>,
 * no data (Linux tcp_xmit_probe_skb): any receiver answers it with an ACK
 * that gives its window.  (A data byte the receiver took would be ACKed
 * beyond SND.NXT, which §3.10.7.4 drops: stuck for ever.)  A peer that
 * answers no probe at all is gone: give up as after unanswered
 * retransmissions (RFC 1122 §4.2.2.17 keeps probing only while the
 * receiver keeps answering), or with a user timeout once the first
 * unanswered probe is that old (Linux's icsk_probes_tstamp). */
static void rtx_fire_persist(struct zn_tcp_conn *c) {
  if (c->snd_wnd > 0 && unsent_from(c, c->snd_nxt) > 0) {
    c->rtx_count = 0;
    c->snd_nxt += transmit_at(c, c->snd_nxt, c->snd_wnd);
    return;
  }
  bool gone = user_timed_out(c, c->probes_out == 0, 0);
  if (c->user_timeout_ms ? gone : c->probes_out >= c->st->cfg.tcp_retries) {
    zn__tcp_fsm(c, ZN__EV_T_GIVEUP, NULL);
    return;
  }
  c->probes_out++;
  if (c->persist_backoff < 16)
    c->persist_backoff++;
  c->rtx_count = c->persist_backoff;
  send_segment(c, c->snd_una - 1, 0, ZN_TCP_ACK);
  arm_persist(c);
}

/* rtx_timer as CORK, with nothing in flight: a full segment TCP_CORK
 * held for a TSO frame has waited to the end of the poll, and the whole
 * segments go (a partial one after them stays corked); or a partial
 * segment has waited ZN__TCP_CORK_MS, and output runs once as if
 * uncorked (what the window takes goes; if it takes nothing, persist).
 * Stale if data went out since (the timer is the RTO's then). */
static void rtx_fire_cork(struct zn_tcp_conn *c) {
  c->rtx_mode = ZN__TCP_RTX_OFF;
  if (c->snd_max != c->snd_una) {
    zn__tcp_arm_rtx(c);
    return;
  }
  uint8_t app = c->app;
  if (unsent_from(c, c->snd_nxt) >= zn__tcp_seg_size(c))
    c->app |= ZN__TCPA_CORK_DUE;
  else
    c->app &= (uint8_t)~ZN__TCPA_CORK;
  zn__tcp_output(c);
  c->app = app;
}

static const char *const rtx_mode_names[] = {
    "off", "SYN", "RTO", "persist", "cork", "probe", "reorder"};

static void rtx_timer_fn(struct zn_stack *st, struct zn_timer *t) {
  struct zn_tcp_conn *c = ZN_CONTAINER_OF(t, struct zn_tcp_conn, rtx_timer);
  (void)st;
  enum zn__tcp_rtx_mode mode = (enum zn__tcp_rtx_mode)c->rtx_mode;
  ZN_LOG(c->st, ZN_LOG_TRACE, "tcp %u->%u: rtx timer (%s)",
         (unsigned)c->lport, (unsigned)c->rport, rtx_mode_names[mode]);
  /* (A connection without a handshake or data to watch has no use for
   * it: a stale expiry.) */
  if (c->state == ZN_TCP_CLOSED || c->state == ZN_TCP_LISTEN ||
      c->state == ZN_TCP_TIME_WAIT)
    mode = ZN__TCP_RTX_OFF;
  switch (mode) {
  case ZN__TCP_RTX_SYN:
    rtx_fire_syn(c);
    break;
  case ZN__TCP_RTX_PERSIST:
    rtx_fire_persist(c);
    break;
  case ZN__TCP_RTX_CORK:
    rtx_fire_cork(c);
    break;
  case ZN__TCP_RTX_RTO:
  case ZN__TCP_RTX_PROBE:
  case ZN__TCP_RTX_REORDER:
    rtx_fire_data(c, mode);
    break;
  case ZN__TCP_RTX_OFF:
    break;
  }
  zn__tcp_deliver(c);
}

static void ack_timer_fn(struct zn_stack *st, struct zn_timer *t) {
  struct zn_tcp_conn *c = ZN_CONTAINER_OF(t, struct zn_tcp_conn, ack_timer);
  (void)st;
  if (c->state >= ZN_TCP_SYN_RECEIVED) { /* so not CLOSED (0) either */
    c->flags |= ZN__TCPF_ACK_NOW;
    zn__tcp_output(c);
  }
  /* A closed FIN_WAIT_2 connection kept in its slot for this ACK
   * (compactable, tcp.c) can now wait in a record. */
  if (c->state == ZN_TCP_FIN_WAIT_2 && (c->life & ZN__TCPL_USER_CLOSED))
    zn__tcp_reap_add(c);
}

/* misc_timer as KEEPALIVE (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6): idle
 * long enough (else wait the rest), send a probe <SEQ=SND.NXT-1>, no
 * data; give up after ka_count unanswered.  After a close the state no
 * longer keeps alive: nothing to do. */
static void misc_fire_keepalive(struct zn_tcp_conn *c) {
  if (!ka_state(c) || !c->ka_idle_ms)
    return;
  if (c->st->now - c->last_rcv < ZN_MS(c->ka_idle_ms)) {
    c->misc_mode = ZN__TCP_MISC_KEEPALIVE;
    zn_timer_start(c->st, &c->misc_timer, c->last_rcv + ZN_MS(c->ka_idle_ms));
    c->ka_probes = 0;
    return;
  }
  /* With a user timeout, that long without a segment ends it, once a
   * probe went unanswered (Linux tcp_keepalive_timer); else ka_count
   * probes do. */
  bool gone = c->user_timeout_ms
                  ? c->ka_probes > 0 &&
                        c->st->now - c->last_rcv >= ZN_MS(c->user_timeout_ms)
                  : c->ka_probes >= c->ka_count;
  if (gone) {
    zn__tcp_fsm(c, ZN__EV_T_GIVEUP, NULL);
    return;
  }
  c->ka_probes++;
  send_segment(c, c->snd_una - 1, 0, ZN_TCP_ACK);
  misc_start(c, ZN__TCP_MISC_KEEPALIVE, ZN_MS(c->ka_intvl_ms));
}

/* misc_timer as FIN_WAIT_2: the peer's FIN never came after the
 * application closed (T_FW2). */
static void misc_fire_fin_wait_2(struct zn_tcp_conn *c) {
  if (c->state == ZN_TCP_FIN_WAIT_2 && (c->life & ZN__TCPL_USER_CLOSED))
    zn__tcp_fsm(c, ZN__EV_T_FW2, NULL);
}

/* misc_timer as TIME_WAIT: 2 MSL are over (T_2MSL). */
static void misc_fire_time_wait(struct zn_tcp_conn *c) {
  if (c->state == ZN_TCP_TIME_WAIT)
    zn__tcp_fsm(c, ZN__EV_T_2MSL, NULL);
}

static void misc_timer_fn(struct zn_stack *st, struct zn_timer *t) {
  struct zn_tcp_conn *c = ZN_CONTAINER_OF(t, struct zn_tcp_conn, misc_timer);
  (void)st;
  switch ((enum zn__tcp_misc_mode)c->misc_mode) {
  case ZN__TCP_MISC_KEEPALIVE:
    misc_fire_keepalive(c);
    break;
  case ZN__TCP_MISC_FIN_WAIT_2:
    misc_fire_fin_wait_2(c);
    break;
  case ZN__TCP_MISC_TIME_WAIT:
    misc_fire_time_wait(c);
    break;
  case ZN__TCP_MISC_OFF:
    break;
  }
  zn__tcp_deliver(c);
}
