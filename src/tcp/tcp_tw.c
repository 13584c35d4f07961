/*
 * TIME_WAIT records: what a connection in TIME_WAIT still needs, in 112
 * bytes instead of a 1,000-byte slot of the table; and the same for a
 * connection in FIN_WAIT_2 that the application has closed.
 *
 * RFC 9293 §3.10.7.4 keeps a connection that closed first for 2 MSL, to
 * acknowledge the peer's FIN again if our ACK of it was lost and to keep
 * old segments out of a new incarnation.  All that takes is the 4-tuple,
 * the sequence numbers, the window we offered and the timestamps: no
 * queues, no timers of its own, no congestion state.  A server that
 * closes first (idle keep-alive timeouts, Connection: close) holds one
 * per connection for a minute; in full slots that doubled the table a
 * server must size (znet-httpd took two slots per connection).  FreeBSD
 * (struct tcptw) and Linux (inet_timewait_sock) keep such a record too.
 *
 * When the application is done with a connection in TIME_WAIT (its
 * close, or none ever had it), the stack saves it here and frees the
 * slot (zn__tcp_timewait_compact, tcp.c, at the end of the poll).  A
 * segment for a saved 4-tuple brings the connection back into a slot
 * (zn__tcp_tw_thaw: the table keeps one slot spare for that) and goes
 * through the same procedure as any segment of a TIME_WAIT connection
 * (tcp_in_sync.c and the chart: PAWS, RFC 5961's challenge ACKs, a FIN
 * again restarting 2 MSL, RFC 6191's reopening SYN); if the connection
 * is still in TIME_WAIT after its answer went out, it is saved again.
 * Nothing is observable of the difference but the memory.
 *
 * FIN_WAIT_2 after the application closed is the same kind of wait:
 * our FIN is acknowledged, nothing is left to send, and the peer's FIN
 * is awaited for cfg.tcp_fw2_ms at most (Linux keeps such orphans in
 * its TIME_WAIT sockets too, tw_substate).  A server closing idle or
 * slow clients that never answer with their FIN would otherwise hold a
 * slot each for a minute.  Its record ends as its slot would: with a
 * reset (act_fin_wait_2_timeout); its FIN brings it back into a slot,
 * where it moves to TIME_WAIT and is saved again.
 *
 * The records wait in two queues, one per state, each in the order its
 * records expire: the wait is the same for every record of a state, so
 * a record saved goes at its queue's tail (a wait that would end before
 * the tail's is stretched to the tail's end: TIME_WAIT and FIN_WAIT_2
 * may last longer, never shorter; that happens to a connection the
 * application closed late, and to one brought back whose segment did
 * not restart its wait).  One timer, for the earlier head, ends them.
 * When every record is taken the oldest, the nearest to its end, is
 * reused (counter tcp_timewait_recycled), as FreeBSD's
 * tcp_tw_2msl_scan(reuse) does: the newest keep their protection.  The
 * pool is cfg.tcp_timewait records, by default as many as the table
 * holds.
 */
#include <string.h>

#include "core/stack_int.h"
#include "core/timer_int.h"
#include "inet/inet_int.h"
#include "tcp/tcp_int.h"

/* The flags a record keeps (the rest are a live connection's). */
#define TW_FLAGS                                                              \
  (ZN__TCPF_PASSIVE | ZN__TCPF_COOKIE | ZN__TCPF_FIN_QUEUED |                 \
   ZN__TCPF_FIN_SENT | ZN__TCPF_FIN_RCVD | ZN__TCPF_NODELAY)

enum { TW_TS = 1u << 0, TW_SACK = 1u << 1, TW_WSCALE = 1u << 2 };

/* Links are indices + 1 (0: none), to keep the record small. */
struct zn__tcp_tw {
  uint64_t expires;         /* ns: 2 MSL are over */
  uint64_t ts_recent_stamp; /* ns, as the connection's */
  uint32_t hash;            /* the 4-tuple's table hash (zn__tcp_hash_in) */
  uint32_t hnext;           /* hash chain; the free list */
  uint32_t qprev, qnext;    /* the queue, by expiry */
  uint32_t snd_max, rcv_nxt, rcv_wnd, max_snd_wnd, rcvbuf;
  uint32_t ts_recent, ts_offset, last_ack_sent;
  struct zn_ip laddr, raddr;
  uint16_t lport, rport;
  uint16_t flags;           /* TW_FLAGS of the connection's */
  uint8_t rcv_wscale, snd_wscale, opts, ecn, tos, ttl;
  uint8_t q;                /* its queue: enum tw_queue */
};

/* The queues, by the state the records keep. */
enum tw_queue { Q_TIME_WAIT = 0, Q_FIN_WAIT_2 = 1 };

static uint32_t tw_count(const struct zn_config *cfg) {
  uint32_t n = cfg->tcp_timewait ? cfg->tcp_timewait : cfg->tcp_conns;
  return cfg->tcp_conns ? n : 0;
}

static uint32_t tw_buckets(uint32_t n) {
  return n ? zn__tcp_pow2_at_least(n) : 0;
}

size_t zn__tcp_tw_size(void) { return sizeof(struct zn__tcp_tw); }

size_t zn__tcp_tw_mem_size(const struct zn_config *cfg) {
  uint32_t n = tw_count(cfg);
  return zn__carve_size((size_t)n * sizeof(struct zn__tcp_tw)) +
         zn__carve_size((size_t)tw_buckets(n) * sizeof(uint32_t));
}

static void tw_timer_fn(struct zn_stack *st, struct zn_timer *tm);

void zn__tcp_tw_init(struct zn_stack *st, void **mem) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  uint32_t n = tw_count(&st->cfg);
  t->tw = zn__carve(mem, (size_t)n * sizeof(struct zn__tcp_tw));
  t->tw_nbuckets = tw_buckets(n);
  t->tw_bucket = zn__carve(mem, (size_t)t->tw_nbuckets * sizeof(uint32_t));
  memset(t->tw, 0, (size_t)n * sizeof(struct zn__tcp_tw));
  memset(t->tw_bucket, 0, (size_t)t->tw_nbuckets * sizeof(uint32_t));
  t->tw_count = n;
  t->tw_used = 0;
  t->tw_free = 0;
  for (uint32_t i = n; i-- > 0;) {
    t->tw[i].hnext = t->tw_free;
    t->tw_free = i + 1;
  }
  memset(t->tw_head, 0, sizeof(t->tw_head));
  memset(t->tw_tail, 0, sizeof(t->tw_tail));
  zn_timer_init(&t->tw_timer, tw_timer_fn);
}

static struct zn__tcp_tw *at(struct zn__tcp *t, uint32_t link) {
  return &t->tw[link - 1];
}

static uint32_t *bucket_of(struct zn__tcp *t, uint32_t hash) {
  return &t->tw_bucket[hash & (t->tw_nbuckets - 1)];
}

/* ---- the queue and its timer ---- */

/* The record that ends first: the earlier of the two heads (0: none). */
static uint32_t first_head(struct zn__tcp *t) {
  uint32_t a = t->tw_head[Q_TIME_WAIT], b = t->tw_head[Q_FIN_WAIT_2];
  if (!a || !b)
    return a ? a : b;
  return at(t, b)->expires < at(t, a)->expires ? b : a;
}

/* The timer follows the first head: armed for its end, stopped with
 * none. */
static void timer_follow_head(struct zn_stack *st, struct zn__tcp *t) {
  uint32_t h = first_head(t);
  if (h)
    zn_timer_start(st, &t->tw_timer, at(t, h)->expires);
  else
    zn__timer_stop(st, &t->tw_timer);
}

static void queue_append(struct zn__tcp *t, uint32_t i) {
  struct zn__tcp_tw *w = at(t, i);
  uint32_t *head = &t->tw_head[w->q], *tail = &t->tw_tail[w->q];
  w->qnext = 0;
  w->qprev = *tail;
  if (*tail)
    at(t, *tail)->qnext = i;
  else
    *head = i;
  *tail = i;
}

static void queue_remove(struct zn__tcp *t, uint32_t i) {
  struct zn__tcp_tw *w = at(t, i);
  if (w->qprev)
    at(t, w->qprev)->qnext = w->qnext;
  else
    t->tw_head[w->q] = w->qnext;
  if (w->qnext)
    at(t, w->qnext)->qprev = w->qprev;
  else
    t->tw_tail[w->q] = w->qprev;
}

/* ---- the hash ---- */

static void hash_remove(struct zn__tcp *t, uint32_t i) {
  uint32_t *p = bucket_of(t, at(t, i)->hash);
  while (*p && *p != i)
    p = &at(t, *p)->hnext;
  if (*p)
    *p = at(t, i)->hnext;
}

static uint32_t find(struct zn_stack *st, const struct zn_ip *laddr,
                     uint16_t lport, const struct zn_ip *raddr,
                     uint16_t rport) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  if (!t->tw_used)
    return 0;
  uint32_t h = zn__tcp_tuple_hash(st, laddr, lport, raddr, rport);
  for (uint32_t i = *bucket_of(t, h); i; i = at(t, i)->hnext) {
    const struct zn__tcp_tw *w = at(t, i);
    if (zn__tcp_tuple_is(&w->laddr, w->lport, &w->raddr, w->rport, laddr,
                         lport, raddr, rport))
      return i;
  }
  return 0;
}

/* Record i out of the hash and the queue, back on the free list. */
static void tw_free(struct zn_stack *st, uint32_t i) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  bool was_head = t->tw_head[at(t, i)->q] == i;
  hash_remove(t, i);
  queue_remove(t, i);
  at(t, i)->hnext = t->tw_free;
  t->tw_free = i;
  t->tw_used--;
  if (was_head)
    timer_follow_head(st, t);
}

/* Record i's wait is over, or it makes room: §3.10.8's time-wait
 * timeout deletes the TCB; FIN_WAIT_2's limit resets the connection, as
 * act_fin_wait_2_timeout does from a slot. */
static void tw_end(struct zn_stack *st, uint32_t i) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  const struct zn__tcp_tw *w = at(t, i);
  if (w->q == Q_FIN_WAIT_2)
    zn__tcp_send_rst(st, &w->laddr, w->lport, &w->raddr, w->rport, w->snd_max,
                     w->rcv_nxt, true);
  zn__tcp_tell_flow(t, &w->raddr, w->rport, w->lport, false);
  tw_free(st, i);
}

static void tw_timer_fn(struct zn_stack *st, struct zn_timer *tm) {
  struct zn__tcp *t = ZN_CONTAINER_OF(tm, struct zn__tcp, tw_timer);
  uint32_t h;
  while ((h = first_head(t)) != 0 && at(t, h)->expires <= st->now)
    tw_end(st, h);
  if (first_head(t) && !zn_timer_pending(tm)) /* (woken early) */
    timer_follow_head(st, t);
}

/* A free record, or the oldest reused; 0 with none at all. */
static uint32_t take(struct zn_stack *st) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  if (!t->tw_free && first_head(t)) {
    ZN_STAT_INC(st, tcp_timewait_recycled);
    tw_end(st, first_head(t));
  }
  uint32_t i = t->tw_free;
  if (i) {
    t->tw_free = at(t, i)->hnext;
    t->tw_used++;
  }
  return i;
}

/* ---- saving and bringing back ---- */

static void save_fields(struct zn__tcp_tw *w, const struct zn_tcp_conn *c) {
  w->ts_recent_stamp = c->ts_recent_stamp;
  w->hash = c->hash;
  w->snd_max = c->snd_max;
  w->rcv_nxt = c->rcv_nxt;
  w->rcv_wnd = c->rcv_adv - c->rcv_nxt;
  w->max_snd_wnd = c->max_snd_wnd;
  w->rcvbuf = c->rcvbuf;
  w->ts_recent = c->ts_recent;
  w->ts_offset = c->ts_offset;
  w->last_ack_sent = c->last_ack_sent;
  w->laddr = c->laddr;
  w->raddr = c->raddr;
  w->lport = c->lport;
  w->rport = c->rport;
  w->flags = (uint16_t)(c->flags & TW_FLAGS);
  w->rcv_wscale = c->rcv_wscale;
  w->snd_wscale = c->snd_wscale;
  w->opts = (uint8_t)((c->ts_ok ? TW_TS : 0) | (c->sack_ok ? TW_SACK : 0) |
                      (c->wscale_ok ? TW_WSCALE : 0));
  w->ecn = c->ecn;
  w->tos = c->tos;
  w->ttl = c->ttl;
}

bool zn__tcp_tw_save(struct zn_tcp_conn *c) {
  struct zn_stack *st = c->st;
  struct zn__tcp *t = c->tcp;
  uint32_t i = take(st);
  if (!i)
    return false;
  struct zn__tcp_tw *w = at(t, i);
  save_fields(w, c);
  w->q = c->state == ZN_TCP_TIME_WAIT ? Q_TIME_WAIT : Q_FIN_WAIT_2;
  w->expires = zn__tcp_misc_deadline(c);
  uint32_t tail = t->tw_tail[w->q];
  if (tail && w->expires < at(t, tail)->expires)
    w->expires = at(t, tail)->expires; /* the queue stays in order */
  uint32_t *b = bucket_of(t, w->hash);
  w->hnext = *b;
  *b = i;
  queue_append(t, i);
  if (first_head(t) == i)
    timer_follow_head(st, t);
  return true;
}

/* The connection as it stood when saved: TIME_WAIT or FIN_WAIT_2, its
 * FIN sent and acknowledged (and the peer's received, in TIME_WAIT); no
 * application.  What a segment in those states reads is all here; the
 * rest is a fresh slot's. */
static void restore_fields(struct zn_tcp_conn *c, const struct zn__tcp_tw *w) {
  c->laddr = w->laddr;
  c->raddr = w->raddr;
  c->lport = w->lport;
  c->rport = w->rport;
  c->state = w->q == Q_TIME_WAIT ? ZN_TCP_TIME_WAIT : ZN_TCP_FIN_WAIT_2;
  c->flags = w->flags;
  c->life = ZN__TCPL_USER_CLOSED;
  c->notify = ZN__TCPN_CLOSED_NOTIFIED;
  c->iss = c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = w->snd_max;
  c->recover = c->high_sacked = c->rtx_next = w->snd_max;
  c->fin_seq = w->snd_max - 1u;
  c->snd_wnd = c->max_snd_wnd = w->max_snd_wnd;
  c->snd_wl1 = w->rcv_nxt;
  c->snd_wl2 = w->snd_max;
  c->irs = w->rcv_nxt - 1u;
  c->rcv_nxt = w->rcv_nxt;
  c->rcv_adv = w->rcv_nxt + w->rcv_wnd;
  c->rcvbuf = w->rcvbuf;
  c->ts_recent = w->ts_recent;
  c->ts_recent_stamp = w->ts_recent_stamp;
  c->ts_offset = w->ts_offset;
  c->last_ack_sent = w->last_ack_sent;
  c->rcv_wscale = w->rcv_wscale;
  c->snd_wscale = w->snd_wscale;
  c->ts_ok = (w->opts & TW_TS) != 0;
  c->sack_ok = (w->opts & TW_SACK) != 0;
  c->wscale_ok = (w->opts & TW_WSCALE) != 0;
  c->ecn = w->ecn;
  c->tos = w->tos;
  c->ttl = w->ttl;
}

/* What a slot needs beside the record to run (zn__tcp_conn_setup's part
 * that is not the handshake's): an MSS, an RTO, RACK's and a controller's
 * starting state.  CUBIC, whatever the connection ran: TIME_WAIT sends
 * no data, and a model-based controller would take a block. */
static void restore_machinery(struct zn_tcp_conn *c) {
  zn__tcp_path_setup(c);
  zn__tcp_rack_init(c);
  c->cc_algo = ZN_TCP_CC_CUBIC;
  c->cc.ops = zn__tcp_cc_ops_of(c->cc_algo);
  zn__tcp_cc_start(c);
}

struct zn_tcp_conn *zn__tcp_tw_thaw(struct zn_stack *st,
                                    const struct zn_ip *laddr, uint16_t lport,
                                    const struct zn_ip *raddr,
                                    uint16_t rport) {
  uint32_t i = find(st, laddr, lport, raddr, rport);
  if (!i)
    return NULL;
  struct zn_tcp_conn *c = zn__tcp_alloc_spare(st);
  if (!c) { /* (the spare is on its way to the free list: next poll) */
    ZN_STAT_INC(st, tcp_timewait_busy);
    return NULL;
  }
  struct zn__tcp *t = ZN__MOD(st, tcp);
  const struct zn__tcp_tw *w = at(t, i);
  restore_fields(c, w);
  restore_machinery(c);
  uint64_t expires = w->expires;
  tw_free(st, i);
  zn__tcp_hash_in(c);
  if (c->state == ZN_TCP_TIME_WAIT)
    t->ntimewait++; /* a slot in TIME_WAIT (zn__tcp_closed counts it) */
  zn__tcp_misc_arm_at(c, expires);
  return c;
}

bool zn__tcp_tw_holds(struct zn_stack *st, const struct zn_ip *laddr,
                      uint16_t lport, const struct zn_ip *raddr,
                      uint16_t rport) {
  return find(st, laddr, lport, raddr, rport) != 0;
}

enum zn_tcp_state zn__tcp_tw_state(struct zn_stack *st,
                                   const struct zn_ip *laddr, uint16_t lport,
                                   const struct zn_ip *raddr, uint16_t rport) {
  uint32_t i = find(st, laddr, lport, raddr, rport);
  if (!i)
    return ZN_TCP_CLOSED;
  return at(ZN__MOD(st, tcp), i)->q == Q_TIME_WAIT ? ZN_TCP_TIME_WAIT
                                                   : ZN_TCP_FIN_WAIT_2;
}

bool zn__tcp_tw_port_held(struct zn_stack *st, const struct zn_ip *addr,
                          uint16_t port) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  for (int q = Q_TIME_WAIT; q <= Q_FIN_WAIT_2; q++)
    for (uint32_t i = t->tw_head[q]; i; i = at(t, i)->qnext) {
      const struct zn__tcp_tw *w = at(t, i);
      if (w->lport == port && zn__inet_bind_overlap(&w->laddr, addr))
        return true;
    }
  return false;
}

uint32_t zn__tcp_tw_used(const struct zn_stack *st) {
  return ZN__MOD(st, tcp)->tw_used;
}
