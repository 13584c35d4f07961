/*
 * Fault injector: a decorator that loses, corrupts, duplicates, delays and
 * reorders frames with seeded randomness (smoltcp phy/fault_injector.rs),
 * and marks ECN-capable packets CE (RFC 3168 §5) as an AQM queue would.
 *
 * Loss is independent per frame (loss_ppm) or follows a Gilbert-Elliott
 * channel per direction (Gilbert 1960, Elliott 1963): a good and a bad
 * state, each with its own loss probability, and a Markov step after every
 * frame, so losses come in runs whose length is geometric with mean
 * 1e6 / burst_exit_ppm.  loss_dirs confines loss to one direction.
 *
 * Determinism: the PRNG (splitmix64) is drawn only for the faults that are
 * configured, in a fixed order per frame (loss, the burst channel's step,
 * corrupt, CE for an ECN-capable packet, dup, then jitter and reorder for
 * each copy), so one seed and one sequence of calls give one outcome; a
 * configuration without bursts draws exactly what it drew before they
 * existed.
 *
 * Held frames sit on a queue per direction, sorted by release time (stored
 * in cb; equal times keep arrival order).  With one delay for every frame
 * the release times only grow, so a frame joins at the tail in O(1); only
 * jitter and reordering walk the queue.  A held buffer must be ours alone,
 * since the queue uses its `next` and `cb`: a shared buffer is copied
 * first.  TX frames are released to the inner netif from ops->poll and
 * before each send; RX frames are released from recv.  Both count against
 * max_held.
 */
#include <string.h>

#include "znet/err.h"
#include "znet/fault.h"
#include "znet/wire.h"

#define FAULT_DEFAULT_MAX_HELD 256u
#define FAULT_PPM 1000000u
/* Inner frames examined per recv call, so that a lossy link under a flood
 * cannot keep one poll busy. */
#define FAULT_RX_SCAN 64

static struct zn_fault *fault_of(struct zn_netif *nif) {
  return ZN_CONTAINER_OF(nif, struct zn_fault, nif);
}

/* splitmix64 (Steele, Lea, Flood 2014). */
static uint64_t rng_next(struct zn_fault *f) {
  uint64_t z = (f->rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* True with probability ppm / 1e6; draws nothing when ppm is 0. */
static bool chance(struct zn_fault *f, uint32_t ppm) {
  if (ppm == 0)
    return false;
  /* Multiply-high maps 32 random bits onto [0, 1e6) without a divide. */
  uint64_t r = ((rng_next(f) >> 32) * FAULT_PPM) >> 32;
  return r < ppm;
}

/* Uniform in [0, n]. */
static uint64_t uniform_incl(struct zn_fault *f, uint64_t n) {
  uint64_t r = rng_next(f);
  return n == UINT64_MAX ? r : r % (n + 1);
}

static uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t release_of(const struct zn_buf *b) {
  uint64_t t;
  memcpy(&t, b->cb, sizeof(t));
  return t;
}

/* A copy of b, flags, segment size and checksum offsets and all, from
 * the outer netif's alloc hook; NULL if none fits. */
static struct zn_buf *copy_buf(struct zn_fault *f, const struct zn_buf *b) {
  struct zn_buf *c = zn_netif_copy_frame(&f->nif, b->data, b->len);
  if (c != NULL)
    zn_buf_copy_meta(c, b);
  return c;
}

/* b, or a private copy of it if b is shared.  Consumes b; NULL (counted)
 * if a copy was needed and no buffer was available. */
static struct zn_buf *own(struct zn_fault *f, struct zn_buf *b) {
  if (zn_buf_writable(b))
    return b;
  struct zn_buf *c = copy_buf(f, b);
  zn_buf_free(b);
  if (c == NULL)
    f->stats.nobuf++;
  return c;
}

static void flip_bit(struct zn_fault *f, struct zn_buf *b) {
  uint64_t bit = uniform_incl(f, (uint64_t)b->len * 8u - 1u);
  b->data[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
  /* What a device checked before is no longer what arrives: the stack
   * must verify the checksum itself (and catch the flip). */
  b->flags &= (uint16_t)~ZN_BUF_F_CSUM_OK;
  f->stats.corrupted++;
}

/* The offset of the IP header in an Ethernet frame (behind one 802.1Q
 * tag, if any), and its version in *v (4 or 6); 0 if the frame holds no
 * IP header whose ECN field could be read. */
static size_t ip_offset(const uint8_t *p, size_t len, unsigned *v) {
  size_t off = ZN_ETH_HDR_LEN;
  *v = 0;
  if (len < off + 4)
    return 0;
  uint16_t type = zn_rd16(p + 12);
  if (type == ZN_ETHERTYPE_VLAN) {
    type = zn_rd16(p + 16);
    off += 4;
  }
  if (len < off + ZN_IPV4_HDR_LEN)
    return 0;
  *v = (unsigned)(p[off] >> 4);
  size_t ihl = (size_t)(p[off] & 15) * 4;
  if (type == ZN_ETHERTYPE_IPV4 && *v == 4 && ihl >= ZN_IPV4_HDR_LEN &&
      len >= off + ihl)
    return off;
  if (type == ZN_ETHERTYPE_IPV6 && *v == 6 && len >= off + ZN_IPV6_HDR_LEN)
    return off;
  return 0;
}

/* The ECN field of the IP header at ip: IPv4's TOS octet, or IPv6's
 * traffic class (bits 4 and 5 of the header's second octet). */
static uint8_t ecn_field(const uint8_t *ip, unsigned v) {
  return (uint8_t)((v == 4 ? ip[1] : ip[1] >> 4) & ZN_IP_ECN_MASK);
}

/* Set CE in the IP header at ip (ours alone).  IPv4's header checksum
 * follows the TOS octet incrementally (RFC 1624 eqn 3); IPv6 has none. */
static void mark_ce(struct zn_fault *f, uint8_t *ip, unsigned v) {
  if (v == 6) {
    ip[1] |= (uint8_t)(ZN_IP_ECN_CE << 4);
  } else {
    uint32_t old = zn_rd16(ip), now = old | ZN_IP_ECN_CE;
    uint32_t sum = (zn_rd16(ip + 10) ^ 0xffffu) + (old ^ 0xffffu) + now;
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    ip[1] = (uint8_t)now;
    zn_wr16(ip + 10, (uint16_t)~sum);
  }
  f->stats.ce_marked++;
}

/* An ECN-capable packet is marked CE with probability ce_ppm.  Consumes
 * b; NULL (counted) if a private copy was needed and none was had. */
static struct zn_buf *maybe_mark_ce(struct zn_fault *f, struct zn_buf *b) {
  unsigned v;
  size_t off = ip_offset(b->data, b->len, &v);
  if (off == 0)
    return b;
  uint8_t ecn = ecn_field(b->data + off, v);
  if (ecn != ZN_IP_ECN_ECT0 && ecn != ZN_IP_ECN_ECT1)
    return b;
  if (!chance(f, f->cfg.ce_ppm))
    return b;
  b = own(f, b); /* a copy has the same layout */
  if (b)
    mark_ce(f, b->data + off, v);
  return b;
}

/* How long to hold the next frame: delay + jitter, plus the reorder hold
 * if this frame is picked.  Counts delayed / reordered. */
static uint64_t hold_time(struct zn_fault *f) {
  uint64_t d = f->cfg.delay_ns;
  if (f->cfg.jitter_ns)
    d = sat_add(d, uniform_incl(f, f->cfg.jitter_ns));
  if (d)
    f->stats.delayed++;
  if (chance(f, f->cfg.reorder_ppm)) {
    d = sat_add(d, f->cfg.reorder_delay_ns);
    f->stats.reordered++;
  }
  return d;
}

/* Put b (ours alone) on q to leave at `when`, after every frame due no
 * later.  Consumes b. */
static void hold(struct zn_fault *f, struct zn_bufq *q, struct zn_buf *b,
                 uint64_t when) {
  if (f->nheld >= f->cfg.max_held) {
    f->stats.overflow++;
    zn_buf_free(b);
    return;
  }
  memcpy(b->cb, &when, sizeof(when));
  f->nheld++;
  if (q->tail == NULL || release_of(q->tail) <= when) {
    zn_bufq_push(q, b);
    return;
  }
  /* The tail leaves later than b: the walk stops before it. */
  struct zn_buf **pp = &q->head;
  while (release_of(*pp) <= when)
    pp = &(*pp)->next;
  b->next = *pp;
  *pp = b;
  q->count++;
  q->bytes += b->len;
}

/* The first frame of q if due at `now`, unlinked; NULL otherwise. */
static struct zn_buf *take_due(struct zn_fault *f, struct zn_bufq *q,
                               uint64_t now) {
  if (q->head == NULL || release_of(q->head) > now)
    return NULL;
  f->nheld--;
  return zn_bufq_pop(q);
}

/* The burst channel of direction dir after one more frame.  Draws only
 * while bursts are configured (or the channel is bad). */
static void burst_step(struct zn_fault *f, uint32_t dir) {
  if (f->bad & dir) {
    if (chance(f, f->cfg.burst_exit_ppm))
      f->bad &= ~dir;
  } else if (chance(f, f->cfg.burst_enter_ppm)) {
    f->bad |= dir;
    f->bad_since[dir == ZN_FAULT_TX] = f->nif.now;
    f->stats.bursts++;
  }
}

/* Whether direction dir's channel is bad for the frame now passing: a
 * spell older than burst_max_ns is over without a draw. */
static bool burst_bad(struct zn_fault *f, uint32_t dir) {
  if (!(f->bad & dir))
    return false;
  if (f->cfg.burst_max_ns &&
      f->nif.now - f->bad_since[dir == ZN_FAULT_TX] >= f->cfg.burst_max_ns) {
    f->bad &= ~dir;
    return false;
  }
  return true;
}

/* Whether the next frame of direction dir is lost (counted): with
 * loss_ppm in the good state, burst_loss_ppm in the bad; then the
 * channel takes its step. */
static bool lose(struct zn_fault *f, uint32_t dir) {
  if (!(f->cfg.loss_dirs & dir))
    return false;
  bool bad = burst_bad(f, dir);
  bool lost = chance(f, bad ? f->cfg.burst_loss_ppm : f->cfg.loss_ppm);
  burst_step(f, dir);
  if (!lost)
    return false;
  f->stats.lost++;
  if (dir == ZN_FAULT_RX)
    f->stats.lost_rx++;
  if (bad)
    f->stats.burst_lost++;
  return true;
}

static void release_tx(struct zn_fault *f) {
  struct zn_buf *b;
  f->inner->now = f->nif.now;
  while ((b = take_due(f, &f->held_tx, f->nif.now)) != NULL) {
    f->stats.passed++;
    (void)zn_netif_send(f->inner, b);
  }
}

/* Send one copy of a frame now or later.  Consumes b. */
static int tx_one(struct zn_fault *f, struct zn_buf *b) {
  uint64_t d = hold_time(f);
  if (d == 0) {
    f->stats.passed++;
    return zn_netif_send(f->inner, b);
  }
  b = own(f, b);
  if (b == NULL)
    return ZN_ENOBUFS;
  hold(f, &f->held_tx, b, sat_add(f->nif.now, d));
  return ZN_OK;
}

/* A lost or held frame counts as sent: the wire took it. */
static int fault_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_fault *f = fault_of(nif);
  release_tx(f);
  if (!(f->cfg.dirs & ZN_FAULT_TX)) {
    f->stats.passed++;
    return zn_netif_send(f->inner, b);
  }
  if (lose(f, ZN_FAULT_TX)) {
    zn_buf_free(b);
    return ZN_OK;
  }
  if (chance(f, f->cfg.corrupt_ppm) && b->len > 0) {
    b = own(f, b);
    if (b == NULL)
      return ZN_ENOBUFS;
    flip_bit(f, b);
  }
  if (f->cfg.ce_ppm && (b = maybe_mark_ce(f, b)) == NULL)
    return ZN_ENOBUFS;
  if (chance(f, f->cfg.dup_ppm)) {
    f->stats.duplicated++;
    (void)tx_one(f, zn_buf_ref(b));
  }
  return tx_one(f, b);
}

/* Place a received frame: to be returned at once (true), or held, or
 * dropped (counted) for want of a private copy. */
static bool rx_place(struct zn_fault *f, struct zn_buf *b) {
  uint64_t d = hold_time(f);
  if (d == 0)
    return true;
  b = own(f, b);
  if (b)
    hold(f, &f->held_rx, b, sat_add(f->nif.now, d));
  return false;
}

static int fault_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_fault *f = fault_of(nif);
  f->inner->now = nif->now;
  if (!(f->cfg.dirs & ZN_FAULT_RX)) {
    int rc = zn_netif_recv(f->inner, out);
    if (rc == ZN_OK)
      f->stats.passed++;
    return rc;
  }
  for (int scan = 0;; scan++) {
    struct zn_buf *b = take_due(f, &f->held_rx, nif->now);
    if (b) {
      f->stats.passed++;
      *out = b;
      return ZN_OK;
    }
    if (scan == FAULT_RX_SCAN)
      return ZN_EAGAIN;
    int rc = zn_netif_recv(f->inner, &b);
    if (rc == ZN_EOF && f->held_rx.head)
      return ZN_EAGAIN; /* the held frames are still to come */
    if (rc != ZN_OK)
      return rc;
    if (lose(f, ZN_FAULT_RX)) {
      zn_buf_free(b);
      continue;
    }
    if (chance(f, f->cfg.corrupt_ppm) && b->len > 0) {
      b = own(f, b);
      if (b == NULL)
        continue;
      flip_bit(f, b);
    }
    if (f->cfg.ce_ppm && (b = maybe_mark_ce(f, b)) == NULL)
      continue;
    if (chance(f, f->cfg.dup_ppm)) {
      struct zn_buf *c = copy_buf(f, b);
      if (c == NULL) {
        f->stats.nobuf++;
      } else {
        f->stats.duplicated++;
        /* The copy follows the original: due no earlier than now. */
        if (rx_place(f, c))
          hold(f, &f->held_rx, c, nif->now);
      }
    }
    if (rx_place(f, b)) {
      f->stats.passed++;
      *out = b;
      return ZN_OK;
    }
  }
}

static void fault_poll(struct zn_netif *nif) {
  struct zn_fault *f = fault_of(nif);
  release_tx(f);
  if (f->inner->ops->poll)
    f->inner->ops->poll(f->inner);
}

static uint64_t fault_next_deadline(struct zn_netif *nif) {
  struct zn_fault *f = fault_of(nif);
  uint64_t t = zn_netif_next_deadline(f->inner);
  if (f->held_rx.head && release_of(f->held_rx.head) < t)
    t = release_of(f->held_rx.head);
  if (f->held_tx.head && release_of(f->held_tx.head) < t)
    t = release_of(f->held_tx.head);
  return t;
}

static int fault_wait(struct zn_netif *nif, uint64_t deadline) {
  uint64_t own_t = fault_next_deadline(nif);
  return zn_netif_wait(fault_of(nif)->inner,
                       own_t < deadline ? own_t : deadline);
}

static uint64_t fault_now(struct zn_netif *nif) {
  return zn_netif_now(fault_of(nif)->inner);
}

static void fault_close(struct zn_netif *nif) { zn_fault_purge(fault_of(nif)); }

/* The decorator waits and tells time only if inner does, so a driver can
 * tell a netif that sleeps from one that does not (zn_loop_run() naps on
 * the host clock for the latter instead of spinning). */
#define FAULT_OPS(wait_fn, now_fn)                                             \
  {                                                                            \
    .kind = "fault", .recv = fault_recv, .send = fault_send,                   \
    .wait = (wait_fn), .now = (now_fn), .next_deadline = fault_next_deadline,  \
    .poll = fault_poll, .close = fault_close,                                  \
  }

static const struct zn_netif_ops fault_ops[4] = {
    FAULT_OPS(NULL, NULL),
    FAULT_OPS(fault_wait, NULL),
    FAULT_OPS(NULL, fault_now),
    FAULT_OPS(fault_wait, fault_now),
};

static const struct zn_netif_ops *fault_ops_for(const struct zn_netif *inner) {
  return &fault_ops[(inner->ops->wait ? 1 : 0) | (inner->ops->now ? 2 : 0)];
}

void zn_fault_init(struct zn_fault *f, struct zn_netif *inner,
                   const struct zn_fault_cfg *cfg) {
  memset(f, 0, sizeof(*f));
  zn_netif_init(&f->nif, fault_ops_for(inner), inner->mtu);
  zn_netif_wrap(&f->nif, inner);
  f->inner = inner;
  f->cfg = *cfg;
  if (f->cfg.max_held == 0)
    f->cfg.max_held = FAULT_DEFAULT_MAX_HELD;
  f->cfg.loss_dirs = cfg->loss_dirs ? cfg->loss_dirs & cfg->dirs : cfg->dirs;
  f->rng = cfg->seed;
}

void zn_fault_purge(struct zn_fault *f) {
  zn_bufq_purge(&f->held_rx);
  zn_bufq_purge(&f->held_tx);
  f->nheld = 0;
}
