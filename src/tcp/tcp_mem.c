/*
 * TCP's stack-wide memory policy: the bound on the buffers every
 * connection's queues hold (mem_limit), and each connection's share of
 * it.  The rest of src/tcp asks it: zn__tcp_mem_sync after a queue
 * changes, zn__tcp_mem_full / zn__tcp_over_share before taking buffers,
 * zn__tcp_rcv_share for the window to offer.
 *
 * Every connection's queues draw on the one buffer pool that reception
 * needs too.  Unbounded, a few hundred connections holding unread or
 * unacknowledged data took every buffer: no frame could be received, so
 * no ACK could free a send queue, and the stack stalled for good.  The
 * bound keeps a quarter of the pool (by default) out of TCP's reach: TCP
 * then drops data it cannot hold (the peer resends it, as from a full
 * Linux socket) and refuses writes until ACKs free buffers.
 *
 * Receive queues may fill only three quarters of the bound.  Otherwise
 * an echo-like application, which reads only what it can write, could
 * find every buffer holding received data and none left to write into:
 * nothing would be read again.  Send queues always drain (ACKs need no
 * application), so the quarter kept for them always comes back.
 */

#include "core/stack_int.h"
#include "tcp/tcp_int.h"

/* The policy's fractions, named (each a divisor or a ratio of the bound,
 * mem_limit, or of the pool): */
enum {
  /* Without cfg.tcp_mem_bufs, the bound leaves 1/4 of the pool to
   * reception and everything else: mem_limit = pool - pool / 4. */
  POOL_KEEP_DIV = 4,
  /* Receive queues may fill the bound but 1/4 of it (rcv_cap), which
   * stays for send queues. */
  SND_KEEP_DIV = 4,
  /* Writers the bound refused hear on_writable once 1/8 of it is free. */
  WAKE_FREE_DIV = 8,
  /* Windows the bound held shut open again with 1/8 of rcv_cap to spare
   * beyond what is promised. */
  REOPEN_SPARE_DIV = 8,
  /* Per-connection shares apply once 1/2 of the bound is used ... */
  SHARE_FROM_DIV = 2,
  /* ... and are 3/8 of it (each of send and receive buffers), divided
   * among the connections holding any, ... */
  SHARE_NUM = 3,
  SHARE_DEN = 8,
  /* ... but never below 2 buffers. */
  MIN_SHARE_BUFS = 2,
  /* The out-of-order queue may hold rcvbuf and 1/2 more in buffer
   * storage (pool buffers are larger than the data they carry). */
  OOO_EXTRA_DIV = 2,
};

/* Bytes a buffer of room is worth when the bound's room becomes a window
 * (the default MSS, RFC 9293 §3.7.1). */
#define MEM_SEG_BYTES 536u

static uint32_t rcv_cap(uint32_t limit) {
  return limit - limit / SND_KEEP_DIV;
}

static uint32_t wake_level(uint32_t limit) {
  return limit - limit / WAKE_FREE_DIV;
}

uint32_t zn__tcp_mem_bound(const struct zn_config *cfg) {
  uint32_t all = cfg->nbufs + cfg->nbigbufs;
  uint32_t limit =
      cfg->tcp_mem_bufs ? cfg->tcp_mem_bufs : all - all / POOL_KEEP_DIV;
  return limit < all ? limit : all;
}

void zn__tcp_mem_init(struct zn_stack *st) {
  ZN__MOD(st, tcp)->mem_limit = zn__tcp_mem_bound(&st->cfg);
}

uint32_t zn__tcp_ooo_mem_max(const struct zn_tcp_conn *c) {
  return c->rcvbuf + c->rcvbuf / OOO_EXTRA_DIV;
}

void zn__tcp_mem_charge_bufs(struct zn_tcp_conn *c, uint32_t rcv) {
  uint32_t now = c->sndq.count + rcv;
  struct zn__tcp *t = c->tcp;
  t->nmem = t->nmem - (c->mem_charged != 0) + (now != 0);
  t->mem_bufs = t->mem_bufs - c->mem_charged + now;
  t->mem_rcv = t->mem_rcv - c->rcv_charged + rcv;
  t->nrcv = t->nrcv - (c->rcv_charged != 0) + (rcv != 0);
  c->mem_charged = now;
  c->rcv_charged = rcv;
}

void zn__tcp_mem_charge_adv(struct zn_tcp_conn *c, uint32_t adv) {
  struct zn__tcp *t = c->tcp;
  t->promised = t->promised - c->adv_charged + adv;
  t->npromised = t->npromised - (c->adv_charged != 0) + (adv != 0);
  c->adv_charged = adv;
}

bool zn__tcp_mem_full(const struct zn_stack *st) {
  return ZN__MOD(st, tcp)->mem_bufs >= ZN__MOD(st, tcp)->mem_limit;
}

bool zn__tcp_mem_rcv_full(const struct zn_stack *st) {
  return zn__tcp_mem_full(st) || ZN__MOD(st, tcp)->mem_rcv >= rcv_cap(ZN__MOD(st, tcp)->mem_limit);
}

/* A write was refused for the bound: ask to hear when buffers free. */
void zn__tcp_mem_wait(struct zn_tcp_conn *c) {
  c->mem |= ZN__TCPM_MEM_WAIT;
  c->notify |= ZN__TCPN_WANT_WRITABLE;
  c->tcp->mem_wait = true;
  zn__poll_due(c->st, ZN__MOD_tcp, false);
  ZN_STAT_INC(c->st, tcp_mem_wait);
}

/* End of poll: once the queues are back under seven eighths of the bound,
 * the connections whose writes it refused hear on_writable.  A scan of
 * the table, but only after the bound was hit and has eased. */
void zn__tcp_mem_wake(struct zn_stack *st) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  bool writers = t->mem_wait && t->mem_bufs <= wake_level(t->mem_limit);
  /* Windows the bound held shut open again once there is room for an
   * eighth of the receive share beyond what is promised, or an equal
   * share of the room is worth a segment (rcv_share): each connection
   * whose window now takes a segment sends its update.  Looked at again
   * only when the queues or the promises have changed since. */
  uint32_t cap = rcv_cap(t->mem_limit);
  uint64_t room =
      t->mem_rcv < cap ? (uint64_t)(cap - t->mem_rcv) * MEM_SEG_BYTES : 0;
  bool readers =
      t->rcv_clamped && !zn__tcp_mem_full(st) &&
      (room >= t->promised + (uint64_t)(cap / REOPEN_SPARE_DIV) * MEM_SEG_BYTES ||
       room / (t->npromised + 1u) >= MEM_SEG_BYTES) &&
                 (t->mem_rcv != t->scan_rcv || t->promised != t->scan_promised);
  if (!writers && !readers)
    return;
  if (writers)
    t->mem_wait = false;
  if (readers) {
    t->rcv_clamped = false;
    t->scan_rcv = t->mem_rcv;
    t->scan_promised = t->promised;
  }
  for (uint32_t i = 0; i < st->cfg.tcp_conns; i++) {
    struct zn_tcp_conn *c = &t->conns[i];
    if (readers && (c->mem & ZN__TCPM_RCV_CLAMPED)) {
      bool live = c->state >= ZN_TCP_ESTABLISHED &&
                  c->state != ZN_TCP_TIME_WAIT && c->state != ZN_TCP_CLOSED;
      if (live && zn__tcp_rcv_wnd(c) < zn__tcp_seg_size(c)) {
        t->rcv_clamped = true; /* still shut: wait for more room */
      } else {
        c->mem &= (uint8_t)~ZN__TCPM_RCV_CLAMPED;
        if (live) {
          c->flags |= ZN__TCPF_ACK_NOW;
          zn__tcp_output(c);
        }
      }
    }
    if (!writers || !(c->mem & ZN__TCPM_MEM_WAIT))
      continue;
    c->mem &= (uint8_t)~ZN__TCPM_MEM_WAIT;
    if (zn__tcp_app_owned(c) && !(c->life & ZN__TCPL_USER_CLOSED))
      zn__tcp_reap_add(c); /* zn__tcp_reap delivers on_writable */
  }
}

/* Once the bound is half used, no connection may hold more send buffers,
 * nor more receive buffers, than an equal share of three eighths of it
 * (each) among the connections holding any.  Otherwise peers that never
 * read take the whole bound between them (their send queues cannot drain,
 * and an echo-like application stops reading their requests), and every
 * other connection's data is dropped for want of memory (found by the
 * attack tests: 24 such clients of znet-echo did).  A quarter of the
 * bound so stays for the others.  Two buffers each at least: an
 * application that reads only what it can write must be able to write
 * what it holds.  Writes beyond the share are cut short (the send queue
 * drains as the peer acknowledges it, and on_writable follows); data
 * received beyond it is dropped (tcp_in_sync.c) until the application
 * reads. */
static uint32_t mem_share(const struct zn_tcp_conn *c) {
  const struct zn__tcp *t = c->tcp;
  uint32_t n = t->nmem + (c->mem_charged == 0); /* c among them: >= 1 */
  uint32_t share = (t->mem_limit / SHARE_DEN * SHARE_NUM) / n;
  return share > MIN_SHARE_BUFS ? share : MIN_SHARE_BUFS;
}

bool zn__tcp_over_share(const struct zn_tcp_conn *c, bool rcv) {
  const struct zn__tcp *t = c->tcp;
  if (t->mem_bufs < t->mem_limit / SHARE_FROM_DIV)
    return false;
  uint32_t held = rcv ? c->rcv_charged : c->mem_charged - c->rcv_charged;
  return held >= mem_share(c);
}

/* What the stack-wide bound leaves c to offer: the room receive
 * queues have left (as full segments), less what the other connections'
 * windows already promise.  Offering every connection its whole buffer
 * would promise, with many connections, many times the memory there is;
 * data sent into such windows could only be dropped, and the senders'
 * RTOs back off for seconds.  But never less than an equal share of the
 * room among the connections holding windows open: otherwise a few idle
 * connections, each holding its whole window open, would shut every
 * newer one out (found by the attack tests: seven idle clients of
 * znet-echo did).  And never less than one segment while the room takes
 * one: with more connections than the room has segments (a server
 * holding 100,000 idle keep-alive connections on fewer buffers than
 * that), the equal share fell below a segment, sender SWS avoidance
 * made it a window of 0, and 44% of the connections could not send
 * their next request (bench/idle.sh: 9,648 of 15,000 answered with a
 * buffer each).  A segment each promises more than the room only if
 * they all send at once; shares taken at different times can promise
 * somewhat more than the room too.  What does not fit is dropped and
 * counted (tcp_drop_mem), and the sender resends it.
 *
 *     share = max(room - others, room / n, min(seg, want) if room >= seg)
 *                                           (room - others: 0 at least)
 *
 * The callers want at most `want` bytes (the free buffer) and that is
 * what the share comes to until memory runs short, so the two tests that
 * settle share >= want go first, without dividing:
 * room - others >= want is room >= others + want, and room / n >= want
 * (rounded down) is room >= want * n (below 2^64: both factors are below
 * 2^32).  The division is left to the connections the bound does hold
 * back; the result is min(share, want) either way. */
static inline uint32_t rcv_share_of(const struct zn__tcp *t,
                                    uint32_t seg_size, uint32_t adv_charged,
                                    uint32_t want) {
  uint32_t cap = rcv_cap(t->mem_limit);
  if (t->mem_bufs >= t->mem_limit || t->mem_rcv >= cap)
    return 0;
  uint64_t room = (uint64_t)(cap - t->mem_rcv) * seg_size;
  uint64_t others = t->promised - adv_charged;
  if (room >= others + want)
    return want;
  uint32_t n = t->npromised - (adv_charged != 0) + 1u;
  if (room >= (uint64_t)want * n)
    return want;
  uint64_t fair = room / n;
  uint64_t rest = room > others ? room - others : 0;
  uint64_t share = rest > fair ? rest : fair; /* below want */
  if (share < seg_size && room >= seg_size)
    share = seg_size < want ? seg_size : want;
  return (uint32_t)share;
}

uint32_t zn__tcp_rcv_share_of(const struct zn__tcp *t, uint32_t seg_size,
                              uint32_t adv_charged, uint32_t want) {
  return rcv_share_of(t, seg_size, adv_charged, want);
}

uint32_t zn__tcp_rcv_share_new(const struct zn_stack *st, uint32_t seg_size,
                               uint32_t want) {
  return rcv_share_of(ZN__MOD(st, tcp), seg_size, 0, want);
}

/* Free receive space, advertised as the window (never shrinking what was
 * promised: RFC 9293 §3.8.6.2.2), within the share above.  (Here, beside
 * the share it is made of, which is inlined into it: every segment in or
 * out asks.) */
uint32_t zn__tcp_rcv_wnd(const struct zn_tcp_conn *c) {
  uint32_t used = c->rcvq_bytes + c->ooo.bytes;
  uint32_t wnd = used >= c->rcvbuf ? 0 : c->rcvbuf - used;
  uint32_t share =
      rcv_share_of(c->tcp, zn__tcp_seg_size(c), c->adv_charged, wnd);
  if (share < wnd)
    wnd = share < zn__tcp_seg_size(c) ? 0 : share; /* no silly windows */
  if (zn__seq_gt(c->rcv_adv, c->rcv_nxt) && c->rcv_adv - c->rcv_nxt > wnd)
    wnd = c->rcv_adv - c->rcv_nxt;
  uint32_t max = 65535u << c->rcv_wscale;
  return wnd > max ? max : wnd;
}
