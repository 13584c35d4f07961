/*
 * The stack object and its poll loop: the pools, the timer wheel, the
 * netif's queues, the packets looped back to ourselves, and the hooks
 * through which the poll reaches the modules the stack was assembled
 * from (src/assembly), none of which it knows by name.
 *
 * RX path: zn_stack_poll -> netif recv (into a pool buffer through the
 * alloc hook) -> the link layer's frame input (zn__set_frame_input) ->
 * the tables of the layers above.  TX path: each layer calls the one
 * below; the link layer ends in zn__if_output (txq) -> netif send at the
 * end of the poll.
 */
#include <string.h>

#include "core/buf_int.h"
#include "core/hash_int.h"
#include "core/module_int.h"
#include "core/stack_int.h"
#include "core/timer_inline.h"
#include "znet/addr.h"
#include "znet/err.h"
#include "znet/hash.h"
#include "znet/wipe.h"

/* The core's own fields of the configuration (zn_config_default sets
 * the rest through the modules). */
void zn__core_config_default(struct zn_config *cfg) {
  cfg->nbufs = ZN_DEFAULT_NBUFS;
  cfg->nbigbufs = ZN_DEFAULT_NBIGBUFS;
  cfg->rx_budget = ZN_DEFAULT_RX_BUDGET;
  cfg->txq_len = ZN_DEFAULT_TXQ_LEN;
  cfg->log_level = ZN_LOG_INFO;
}

bool zn__core_config_ok(const struct zn_config *cfg) {
  return cfg->nbufs != 0 && cfg->rx_budget != 0 && cfg->txq_len != 0;
}

size_t zn__core_mem_size(const struct zn_config *cfg) {
  size_t n = zn__carve_size(sizeof(struct zn_stack));
  n += zn__carve_size(zn_pool_mem_size(cfg->nbufs, ZN_BUF_SIZE));
  if (cfg->nbigbufs)
    n += zn__carve_size(zn_pool_mem_size(cfg->nbigbufs, ZN_BIGBUF_SIZE));
  return n;
}

/* A frame for a stack assembled without a link layer: counted, freed. */
static void no_link(struct zn_stack *st, struct zn_buf *b) {
  ZN_STAT_INC(st, if_rx_errors);
  zn_buf_free(b);
}

/* A module without end-of-poll work that asked for it. */
static void no_poll_end(struct zn_stack *st) { (void)st; }

/* The core's poll_end: the address events queued before this poll's
 * end, in order; what the callbacks queue waits for the next poll (due
 * at once). */
static void addr_events_tell(struct zn_stack *st) {
  for (uint32_t n = st->addr_q_len; n > 0 && st->addr_q_len; n--) {
    struct zn__addr_note e = st->addr_q[st->addr_q_head];
    st->addr_q_head = (uint8_t)((st->addr_q_head + 1) % ZN__ADDR_QUEUE);
    st->addr_q_len--;
    if (st->addr_cb)
      st->addr_cb(st, st->addr_cb_arg, (enum zn_addr_event)e.ev, &e.addr,
                  e.prefix);
  }
}

struct zn_stack *zn__core_init(const struct zn_config *cfg, void **mem) {
  struct zn_stack *st = zn__carve(mem, sizeof(*st));
  memset(st, 0, sizeof(*st));
  st->cfg = *cfg;

  size_t plen = zn_pool_mem_size(cfg->nbufs, ZN_BUF_SIZE);
  void *pm = zn__carve(mem, plen);
  if (zn_pool_init(&st->pool, pm, plen, cfg->nbufs, ZN_BUF_SIZE) != ZN_OK)
    return NULL;
  if (cfg->nbigbufs) {
    plen = zn_pool_mem_size(cfg->nbigbufs, ZN_BIGBUF_SIZE);
    pm = zn__carve(mem, plen);
    if (zn_pool_init(&st->bigpool, pm, plen, cfg->nbigbufs, ZN_BIGBUF_SIZE) !=
        ZN_OK)
      return NULL;
  }

  zn__rng_init(&st->rng, cfg->seed);
  zn__rng_bytes(&st->rng, st->hash_key, sizeof(st->hash_key));
  for (uint32_t i = 0; i < ZN__PEER_MEMO; i++)
    st->peer_memo_ip[i] = ~i; /* empty: in no lookup's slot */
  zn__wheel_init(&st->wheel, 0);
  zn_bufq_init(&st->txq);
  zn_bufq_init(&st->loopq);
  st->frame_input = no_link; /* until a link layer takes the frames */
  for (uint32_t i = 0; i < ZN__MOD_SLOTS; i++)
    st->poll_end[i] = no_poll_end;
  st->poll_end[ZN__SLOT_CORE] = addr_events_tell;

  if (cfg->has_mac) {
    memcpy(st->mac, cfg->mac, 6);
  } else {
    zn__rng_bytes(&st->rng, st->mac, 6);
    st->mac[0] = (uint8_t)((st->mac[0] & 0xfe) | 0x02); /* local, unicast */
  }
  return st;
}

/* The secrets go with the stack: the CSPRNG, the tables' SipHash key
 * and the seed (kept in cfg for RFC 7217 addresses), since the memory
 * is the caller's again. */
void zn__core_destroy(struct zn_stack *st) {
  zn_bufq_purge(&st->txq);
  zn_bufq_purge(&st->loopq);
  st->nif = NULL;
  zn__rng_wipe(&st->rng);
  zn_wipe(st->hash_key, sizeof(st->hash_key));
  zn_wipe(st->cfg.seed, sizeof(st->cfg.seed));
}

/* (The pool's allocation inline: every frame received takes one, and
 * this calls nothing else.) */
static struct zn_buf *rx_alloc(void *ctx) {
  struct zn_stack *st = ctx;
  struct zn_buf *b = zn__pool_alloc(&st->pool);
  if (!b) {
    ZN_STAT_INC(st, buf_alloc_fail);
    ZN_STAT_INC(st, buf_rx_nomem);
  }
  return b;
}

static struct zn_buf *rx_alloc_big(void *ctx) {
  struct zn_stack *st = ctx;
  /* Not counted as a failure: a backend asks for one when it can make do
   * without (it splits a large frame into ordinary buffers). */
  return st->bigpool.free ? zn_pool_alloc(&st->bigpool) : NULL;
}

int zn_stack_attach(struct zn_stack *st, struct zn_netif *nif) {
  if (st->nif)
    return ZN_EALREADY;
  if (!nif || !nif->ops || !nif->ops->recv || !nif->ops->send)
    return ZN_EINVAL;
  st->nif = nif;
  nif->alloc = rx_alloc;
  nif->alloc_big = rx_alloc_big;
  nif->alloc_ctx = st;
  nif->now = st->now;
  if (!st->cfg.has_mac && nif->has_mac)
    memcpy(st->mac, nif->mac, 6);
  zn__stack_config_changed(st); /* a netif, and maybe a MAC, to send with */
  return ZN_OK;
}

void zn_stack_set_addr_cb(struct zn_stack *st, zn_addr_event_fn fn,
                          void *arg) {
  st->addr_cb = fn;
  st->addr_cb_arg = arg;
}

void zn__stack_addr_event(struct zn_stack *st, enum zn_addr_event ev,
                          const struct zn_ip *addr, uint8_t prefix) {
  for (uint32_t i = st->nmods; i-- > 0;) {
    const struct zn__module *m = st->mod[i];
    if (m && m->addr_event)
      m->addr_event(st, ev, addr, prefix);
  }
  if (!st->addr_cb)
    return;
  if (st->addr_q_len == ZN__ADDR_QUEUE) {
    ZN_STAT_INC(st, addr_event_dropped);
    return;
  }
  struct zn__addr_note *n =
      &st->addr_q[(st->addr_q_head + st->addr_q_len) % ZN__ADDR_QUEUE];
  *n = (struct zn__addr_note){.addr = *addr, .ev = (uint8_t)ev,
                              .prefix = prefix};
  st->addr_q_len++;
  zn__poll_due(st, ZN__SLOT_CORE, true);
}


void zn__stack_config_changed(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->nmods; i++) {
    const struct zn__module *m = st->mod[i];
    if (m && m->config_changed)
      m->config_changed(st);
  }
}

void zn__set_frame_input(struct zn_stack *st, zn__frame_fn fn,
                         uint32_t link_hdr) {
  st->frame_input = fn;
  st->link_hdr = link_hdr;
}

const uint8_t *zn_stack_mac(const struct zn_stack *st) { return st->mac; }

uint32_t zn_stack_mtu(const struct zn_stack *st) {
  return st->nif ? st->nif->mtu : 0;
}

/* The batch is full: hand it to the netif now rather than drop what a
 * protocol already counted as sent (one ACK can release a whole window
 * of TCP segments), then queue b.  Out of line, so that zn__if_output,
 * which calls nothing else but to drop, keeps no registers for it. */
__attribute__((noinline)) static void flush_then_queue(struct zn_stack *st,
                                                       struct zn_buf *b) {
  ZN_STAT_INC(st, if_txq_flush);
  zn_stack_flush(st);
  zn_bufq_push(&st->txq, b);
}

void zn__if_output(struct zn_stack *st, struct zn_buf *b) {
  if (!st->nif) {
    ZN_STAT_INC(st, if_no_netif);
    zn_buf_free(b);
    return;
  }
  if (b->len > (size_t)st->nif->mtu + st->link_hdr && !b->gso_size) {
    ZN_STAT_INC(st, if_tx_toobig);
    zn_buf_free(b);
    return;
  }
  if (st->txq.count >= st->cfg.txq_len) {
    flush_then_queue(st, b);
    return;
  }
  zn_bufq_push(&st->txq, b);
}

/* Hand the queued frames to nif, whose `now` is the stack's.  (Inlined
 * into the poll, which has set the clock already and calls it only when
 * there is something to send.) */
static inline __attribute__((always_inline)) void
send_txq(struct zn_stack *st, struct zn_netif *nif) {
  struct zn_buf *b;
  uint64_t sent = 0; /* (counted once: one add, not one a frame) */
  while ((b = zn_bufq_pop(&st->txq)) != NULL) {
    uint32_t len = b->len;
    int rc = zn_netif_send(nif, b);
    if (rc == ZN_OK) {
      sent++;
      ZN_STAT_ADD(st, if_tx_bytes, len);
    } else {
      ZN_STAT_INC(st, if_tx_errors);
    }
  }
  ZN_STAT_ADD(st, if_tx_frames, sent);
}

void zn_stack_flush(struct zn_stack *st) {
  if (!st->nif)
    return;
  st->nif->now = st->now;
  send_txq(st, st->nif);
}


/* A frame into the link layer. */
static inline void link_input(struct zn_stack *st, struct zn_buf *b) {
  st->frame_input(st, b);
}

void zn_stack_input(struct zn_stack *st, struct zn_buf *b) {
  ZN_STAT_INC(st, if_rx_frames);
  ZN_STAT_ADD(st, if_rx_bytes, b->len);
  link_input(st, b);
}

/* Where a looped packet goes: its input, kept in the buffer's control
 * block while the core owns it on the queue. */
struct loop_cb {
  zn__loop_fn in;
};

_Static_assert(sizeof(struct loop_cb) <= ZN_BUF_CB_SIZE, "cb too small");

int zn__loop(struct zn_stack *st, struct zn_buf *b, zn__loop_fn in) {
  if (st->loopq.count >= st->cfg.txq_len) {
    zn_buf_free(b);
    return ZN_ENOBUFS;
  }
  b->flags |= ZN_BUF_F_LOOP;
  ((struct loop_cb *)(void *)b->cb)->in = in;
  zn_bufq_push(&st->loopq, b);
  return ZN_OK;
}

static void drain_loopback(struct zn_stack *st, uint32_t budget) {
  struct zn_buf *b;
  if (!st->loopq.head)
    return; /* (most polls: look at the queue before the budget) */
  while (budget-- > 0 && (b = zn_bufq_pop(&st->loopq)) != NULL)
    ((struct loop_cb *)(void *)b->cb)->in(st, b);
}

/* The first poll: every module's start, in the order of assembly (ARP
 * announces, DHCPv4 and IPv6 configuration begin). */
static void start_modules(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->nmods; i++) {
    const struct zn__module *m = st->mod[i];
    if (m && m->start)
      m->start(st);
  }
}

/* The end of a poll: the deferred work of the modules that asked
 * (zn__poll_due: TCP frees what the application let go of), each
 * module's bit cleared before its poll_end, which may ask again.  Out of
 * line: most polls find none. */
static __attribute__((noinline)) void end_modules(struct zn_stack *st) {
  uint32_t due = st->poll_due;
  st->poll_due = 0;
  st->repoll = 0;
  if ((due & (due - 1)) == 0) { /* one module: a tail call, no loop */
    st->poll_end[__builtin_ctz(due)](st);
    return;
  }
  do {
    uint32_t i = (uint32_t)__builtin_ctz(due);
    due &= due - 1;
    st->poll_end[i](st);
  } while (due);
}


/* Frames from nif, at most the budget, each into the stack as
 * zn_stack_input takes it; the frames taken, or the netif's error.
 * (Inlined into the poll: the frames are counted once, and the loop
 * counts the budget down in one register.  The configuration does not
 * change, and config_ok holds the budget above 0.  recv sets b whenever
 * it returns ZN_OK, the only case that reads it.) */
static inline __attribute__((always_inline)) int receive(struct zn_stack *st,
                                                         struct zn_netif *nif) {
  uint32_t left = st->cfg.rx_budget;
  int rc = 0;
  do {
    struct zn_buf *b;
    int r = zn_netif_recv(nif, &b);
    if (r != ZN_OK) {
      if (r != ZN_EAGAIN) {
        if (r != ZN_EOF)
          ZN_STAT_INC(st, if_rx_errors);
        rc = r;
      }
      break;
    }
    ZN_STAT_ADD(st, if_rx_bytes, b->len);
    link_input(st, b);
  } while (--left > 0);
  uint32_t n = st->cfg.rx_budget - left; /* (read again: no register) */
  ZN_STAT_ADD(st, if_rx_frames, n);
  return rc < 0 ? rc : (int)n;
}

int zn_stack_poll(struct zn_stack *st, uint64_t now) {
  int rc = 0;
  if (now < st->now)
    now = st->now;
  st->now = now;
  zn__wheel_sync(&st->wheel, now);
  struct zn_netif *nif = st->nif;
  if (nif) {
    nif->now = now;
    if (nif->ops->poll)
      nif->ops->poll(nif);
  }
  if (!st->started) {
    st->started = true;
    start_modules(st);
  }
  if (nif)
    rc = receive(st, nif);
  drain_loopback(st, st->cfg.rx_budget);
  /* The sync above moved the wheel to now: what is due is on its expired
   * list, and most polls find it empty. */
  if (zn__timers_due(&st->wheel))
    zn__timers_run(st);
  if (st->poll_due)
    end_modules(st);
  /* zn_stack_flush, less what this poll has done already: nif->now is
   * set (by the poll, or by zn_stack_attach for a netif attached since),
   * and an empty queue has nothing to send. */
  if (st->txq.head && st->nif)
    send_txq(st, st->nif);
  return rc;
}

/* The deadline of wheel tick t (zn__wheel_next), no earlier than now. */
static inline uint64_t tick_deadline(const struct zn_stack *st, uint64_t t) {
  uint64_t d;
  if (t <= (ZN_TIME_NEVER - 1) / ZN_TIMER_TICK_NS)
    d = t * ZN_TIMER_TICK_NS;
  else /* none, or a tick that begins after the last ns */
    d = t == UINT64_MAX ? ZN_TIME_NEVER : ZN_TIME_NEVER - 1;
  return d < st->now ? st->now : d;
}

/* zn_stack_next_deadline when the wheel must look for its next tick
 * again, or the netif has a deadline of its own: out of line, so that
 * the common answer calls nothing and saves no register. */
__attribute__((noinline)) static uint64_t
next_deadline_slow(const struct zn_stack *st) {
  uint64_t d = tick_deadline(st, zn__wheel_next(&st->wheel));
  /* (zn_netif_next_deadline, less the call: a netif without the op has
   * no deadline of its own.) */
  const struct zn_netif *nif = st->nif;
  if (nif && nif->ops->next_deadline) {
    uint64_t nd = nif->ops->next_deadline(st->nif);
    if (nd < d)
      d = nd;
  }
  return d;
}

/* Asked after every poll, so it reads what is kept ready: the queues'
 * counts and the wheel's next tick (zn__wheel_next, its kept value
 * unless a stop has emptied the list it stands for). */
uint64_t zn_stack_next_deadline(const struct zn_stack *st) {
  if (!st->started || (st->txq.count | st->loopq.count | st->repoll) != 0)
    return st->now;
  const struct zn__wheel *w = &st->wheel;
  const struct zn_netif *nif = st->nif;
  if (zn__wheel_next_stale(w) || (nif && nif->ops->next_deadline))
    return next_deadline_slow(st);
  return tick_deadline(st, w->next);
}

uint64_t zn_stack_now(const struct zn_stack *st) { return st->now; }

struct zn_buf *zn__buf_alloc(struct zn_stack *st, size_t size) {
  struct zn_buf *b = NULL;
  if (size <= (size_t)ZN_BUF_SIZE - ZN_BUF_HEADROOM)
    b = zn__pool_alloc(&st->pool);
  else if (size <= (size_t)ZN_BIGBUF_SIZE - ZN_BUF_HEADROOM && st->bigpool.count)
    b = zn__pool_alloc(&st->bigpool);
  if (!b)
    ZN_STAT_INC(st, buf_alloc_fail);
  return b;
}

struct zn_buf *zn_stack_buf_alloc(struct zn_stack *st, size_t size) {
  return zn__buf_alloc(st, size);
}

struct zn_buf *zn__buf_copy(struct zn_stack *st, const struct zn_buf *b) {
  struct zn_buf *c = zn__buf_alloc(st, b->len);
  if (!c)
    return NULL;
  memcpy(zn_buf_put(c, b->len), b->data, b->len);
  memcpy(c->cb, b->cb, sizeof(c->cb));
  zn_buf_copy_meta(c, b);
  return c;
}

uint32_t zn_stack_bufs_in_use(const struct zn_stack *st) {
  return zn_pool_in_use(&st->pool) + zn_pool_in_use(&st->bigpool);
}

void zn_stack_set_userdata(struct zn_stack *st, void *p) { st->userdata = p; }
void *zn_stack_userdata(const struct zn_stack *st) { return st->userdata; }

uint32_t zn_random_u32(struct zn_stack *st) { return zn__rng_u32(&st->rng); }

void zn_random_bytes(struct zn_stack *st, void *p, size_t len) {
  zn__rng_bytes(&st->rng, p, len);
}

/* SipHash-1-3 of the 8 bytes a, b, each little-endian: one word. */
uint32_t zn__hash32(const struct zn_stack *st, uint32_t a, uint32_t b) {
  return (uint32_t)zn__siphash13_w2(st->hash_key, a | (uint64_t)b << 32, 0, 8);
}

/* SipHash-1-3 of the address big-endian, then 0x70: its own domain, a
 * 5-byte input, which no zn__hash32 input (8 bytes) nor 4-tuple (12 or
 * 36, tcp.c) can equal.  The memo is a cache of a pure function, so
 * lookups through a const stack may fill it, as ARP's find does its
 * own. */
uint64_t zn__peer_hash_fill(const struct zn_stack *st, uint32_t ip) {
  struct zn_stack *w = (struct zn_stack *)(uintptr_t)st;
  uint32_t i = ip & (ZN__PEER_MEMO - 1);
  uint64_t h = zn__siphash13_w1(st->hash_key,
                                __builtin_bswap32(ip) | (uint64_t)0x70 << 32, 5);
  w->peer_memo_ip[i] = ip;
  w->peer_memo_hash[i] = h;
  return h;
}
