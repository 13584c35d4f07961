/*
 * The stack object: memory layout, configuration, and the poll loop.
 *
 * RX path: zn_stack_poll -> netif recv (into a pool buffer through the
 * alloc hook) -> zn__eth_input -> zn__arp_input | zn__ip_input -> transport.
 * TX path: transport -> zn__ip_output -> zn__arp_output -> zn__eth_output
 * -> zn__if_output (txq) -> netif send at the end of the poll; a TCP
 * segment whose connection has a route cached, zn__ip_path_output ->
 * zn__if_output.
 */
#include <string.h>

#include "core/buf_int.h"
#include "core/hash_int.h"
#include "core/stack_int.h"
#include "eth/eth_int.h"
#include "znet/addr.h"
#include "znet/err.h"
#include "znet/hash.h"

void zn_config_default(struct zn_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->nbufs = ZN_DEFAULT_NBUFS;
  cfg->nbigbufs = ZN_DEFAULT_NBIGBUFS;
  cfg->ttl = ZN_DEFAULT_TTL;
  cfg->arp_entries = ZN_DEFAULT_ARP_ENTRIES;
  cfg->arp_pending = ZN_DEFAULT_ARP_PENDING;
  cfg->arp_reachable_ms = ZN_DEFAULT_ARP_REACHABLE_MS;
  cfg->arp_retry_ms = ZN_DEFAULT_ARP_RETRY_MS;
  cfg->arp_retries = ZN_DEFAULT_ARP_RETRIES;
  cfg->arp_announce = true;
  cfg->dhcp4.start_delay_ms = ZN_DHCP4_START_DELAY_DEFAULT_MS;
  cfg->nd_entries = ZN_DEFAULT_ND_ENTRIES;
  cfg->nd_pending = ZN_DEFAULT_ND_PENDING;
  cfg->ip6_reass_slots = ZN_DEFAULT_IP6_REASS_SLOTS;
  cfg->ip6_reass_max_bytes = ZN_DEFAULT_IP6_REASS_MAX_BYTES;
  cfg->ip6_reass_timeout_ms = ZN_DEFAULT_IP6_REASS_TIMEOUT_MS;
  cfg->reass_slots = ZN_DEFAULT_REASS_SLOTS;
  cfg->reass_max_bytes = ZN_DEFAULT_REASS_MAX_BYTES;
  cfg->reass_timeout_ms = ZN_DEFAULT_REASS_TIMEOUT_MS;
  cfg->icmp_echo = true;
  cfg->ipv6_addrs = ZN_DEFAULT_IPV6_ADDRS;
  cfg->ipv6_routers = ZN_DEFAULT_IPV6_ROUTERS;
  cfg->ipv6_prefixes = ZN_DEFAULT_IPV6_PREFIXES;
  cfg->ipv6_groups = ZN_DEFAULT_IPV6_GROUPS;
  cfg->ipv6_dns_servers = ZN_DEFAULT_IPV6_DNS_SERVERS;
  cfg->ipv6_dns_search = ZN_DEFAULT_IPV6_DNS_SEARCH;
  cfg->ipv6_dad_transmits = ZN_DEFAULT_IPV6_DAD_TRANSMITS;
  cfg->icmp_rate = ZN_DEFAULT_ICMP_RATE;
  cfg->icmp_burst = ZN_DEFAULT_ICMP_BURST;
  cfg->udp_socks = ZN_DEFAULT_UDP_SOCKS;
  cfg->udp_rxq = ZN_DEFAULT_UDP_RXQ;
  cfg->tcp_conns = ZN_DEFAULT_TCP_CONNS;
  cfg->tcp_sndbuf = ZN_DEFAULT_TCP_SNDBUF;
  cfg->tcp_rcvbuf = ZN_DEFAULT_TCP_RCVBUF;
  cfg->tcp_backlog = ZN_DEFAULT_TCP_BACKLOG;
  cfg->tcp_msl_ms = ZN_DEFAULT_TCP_MSL_MS;
  cfg->tcp_rto_min_ms = ZN_DEFAULT_TCP_RTO_MIN_MS;
  cfg->tcp_rto_init_ms = ZN_DEFAULT_TCP_RTO_INIT_MS;
  cfg->tcp_rto_max_ms = ZN_DEFAULT_TCP_RTO_MAX_MS;
  cfg->tcp_syn_retries = ZN_DEFAULT_TCP_SYN_RETRIES;
  cfg->tcp_retries = ZN_DEFAULT_TCP_RETRIES;
  cfg->tcp_blackhole_probe_ms = ZN_DEFAULT_TCP_BLACKHOLE_PROBE_MS;
  cfg->tcp_delack_ms = ZN_DEFAULT_TCP_DELACK_MS;
  cfg->tcp_quickacks = ZN_DEFAULT_TCP_QUICKACKS;
  cfg->tcp_fw2_ms = ZN_DEFAULT_TCP_FW2_MS;
  cfg->tcp_chack_limit = ZN_DEFAULT_TCP_CHACK_LIMIT;
  cfg->tcp_timestamps = true;
  cfg->tcp_wscale = true;
  cfg->tcp_sack = true;
  cfg->tcp_dsack = true;
  cfg->tcp_idle_restart = true;
  cfg->tcp_rfc5961 = true;
  cfg->tcp_soft_error_abort = true;
  cfg->tcp_syncookies = true;
  cfg->tcp_cc = 0;
  cfg->tcp_ecn = ZN_TCP_ECN_PASSIVE;
  cfg->rx_budget = ZN_DEFAULT_RX_BUDGET;
  cfg->txq_len = ZN_DEFAULT_TXQ_LEN;
  cfg->log_level = ZN_LOG_INFO;
}

static bool config_ok(const struct zn_config *cfg) {
  if (cfg->nbufs == 0 || cfg->ipv4_prefix > 32 || cfg->arp_entries == 0 ||
      cfg->rx_budget == 0 || cfg->txq_len == 0 || cfg->vlan_id > 4094 ||
      cfg->tcp_ecn > ZN_TCP_ECN_PASSIVE)
    return false;
  if (cfg->arp_entries > (1u << 20) || cfg->reass_slots > 4096 ||
      cfg->nd_entries > (1u << 16) || cfg->ip6_reass_slots > 4096 ||
      cfg->udp_socks > (1u << 20) || cfg->tcp_conns > (1u << 22) ||
      cfg->tcp_sndbuf > (1u << 30) || cfg->tcp_rcvbuf > (1u << 30))
    return false;
  if (!zn__ip6conf_config_ok(cfg) || !zn__dhcp4_config_ok(cfg))
    return false;
  return true;
}

size_t zn_stack_mem_size(const struct zn_config *cfg) {
  if (!config_ok(cfg))
    return 0;
  size_t n = zn__carve_size(sizeof(struct zn_stack));
  n += zn__carve_size(zn_pool_mem_size(cfg->nbufs, ZN_BUF_SIZE));
  if (cfg->nbigbufs)
    n += zn__carve_size(zn_pool_mem_size(cfg->nbigbufs, ZN_BIGBUF_SIZE));
  n += zn__arp_mem_size(cfg);
  n += zn__ip_mem_size(cfg);
  n += zn__ip6_mem_size(cfg);
  n += zn__ip6conf_mem_size(cfg);
  n += zn__udp_mem_size(cfg);
  n += zn__tcp_mem_size(cfg);
  return n;
}

static void apply_ipv4(struct zn_stack *st, uint32_t addr, uint8_t prefix,
                       uint32_t gw) {
  st->ip_addr = addr;
  st->ip_prefix = prefix;
  st->ip_mask = zn_ipv4_mask(prefix);
  st->ip_gw = gw;
}

int zn_stack_create(const struct zn_config *cfg, void *mem, size_t len,
                    struct zn_stack **out) {
  size_t need = zn_stack_mem_size(cfg);
  if (need == 0 || mem == NULL || out == NULL)
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  void *m = mem;
  struct zn_stack *st = zn__carve(&m, sizeof(*st));
  memset(st, 0, sizeof(*st));
  st->cfg = *cfg;

  size_t plen = zn_pool_mem_size(cfg->nbufs, ZN_BUF_SIZE);
  void *pm = zn__carve(&m, plen);
  if (zn_pool_init(&st->pool, pm, plen, cfg->nbufs, ZN_BUF_SIZE) != ZN_OK)
    return ZN_EINVAL;
  if (cfg->nbigbufs) {
    plen = zn_pool_mem_size(cfg->nbigbufs, ZN_BIGBUF_SIZE);
    pm = zn__carve(&m, plen);
    if (zn_pool_init(&st->bigpool, pm, plen, cfg->nbigbufs, ZN_BIGBUF_SIZE) !=
        ZN_OK)
      return ZN_EINVAL;
  }

  zn__rng_init(&st->rng, cfg->seed);
  zn__rng_bytes(&st->rng, st->hash_key, sizeof(st->hash_key));
  for (uint32_t i = 0; i < ZN__PEER_MEMO; i++)
    st->peer_memo_ip[i] = ~i; /* empty: in no lookup's slot */
  zn__wheel_init(&st->wheel, 0);
  zn_bufq_init(&st->txq);
  zn_bufq_init(&st->loopq);

  if (cfg->has_mac) {
    memcpy(st->mac, cfg->mac, 6);
  } else {
    zn__rng_bytes(&st->rng, st->mac, 6);
    st->mac[0] = (uint8_t)((st->mac[0] & 0xfe) | 0x02); /* local, unicast */
  }
  apply_ipv4(st, cfg->ipv4_addr, cfg->ipv4_prefix, cfg->ipv4_gateway);

  zn__arp_init(st, &m);
  zn__ip_init(st, &m);
  zn__ip6_init(st, &m);
  zn__ip6conf_init(st, &m);
  zn__icmp_init(st);
  zn__udp_init(st, &m);
  zn__tcp_init(st, &m);
  zn__dhcp4_init(st); /* after UDP: it holds a socket */
  *out = st;
  return ZN_OK;
}

void zn_stack_destroy(struct zn_stack *st) {
  if (!st)
    return;
  zn__dhcp4_destroy(st);
  zn__arp_destroy(st);
  zn__ip_destroy(st);
  zn__ip6conf_destroy(st);
  zn__ip6_destroy(st);
  zn__udp_destroy(st);
  zn__tcp_destroy(st);
  zn_bufq_purge(&st->txq);
  zn_bufq_purge(&st->loopq);
  st->nif = NULL;
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
  zn__ip_config_changed(st); /* a netif, and maybe a MAC, to send with */
  return ZN_OK;
}

void zn_stack_set_addr_cb(struct zn_stack *st, zn_addr_event_fn fn,
                          void *arg) {
  st->addr_cb = fn;
  st->addr_cb_arg = arg;
}

void zn__stack_addr_event(struct zn_stack *st, enum zn_addr_event ev,
                          const struct zn_ip *addr, uint8_t prefix) {
  if (ev == ZN_ADDR_REMOVED) {
    zn__tcp_addr_removed(st, addr);
    zn__udp_addr_removed(st, addr);
  }
  if (st->addr_cb)
    st->addr_cb(st, st->addr_cb_arg, ev, addr, prefix);
}

int zn_stack_set_ipv4(struct zn_stack *st, uint32_t addr, uint8_t prefix,
                      uint32_t gateway) {
  if (prefix > 32)
    return ZN_EINVAL;
  uint32_t mask = zn_ipv4_mask(prefix);
  if (gateway && addr && ((gateway ^ addr) & mask) != 0)
    return ZN_EINVAL;
  uint32_t old = st->ip_addr;
  uint8_t old_prefix = st->ip_prefix;
  apply_ipv4(st, addr, prefix, gateway);
  zn__ip_config_changed(st);
  if (st->started)
    zn__arp_start(st);
  if (old != addr) {
    struct zn_ip a;
    if (old) {
      a = zn_ip_from_v4(old);
      zn__stack_addr_event(st, ZN_ADDR_REMOVED, &a, old_prefix);
    }
    if (addr) {
      a = zn_ip_from_v4(addr);
      zn__stack_addr_event(st, ZN_ADDR_ADDED, &a, prefix);
    }
  }
  return ZN_OK;
}

void zn_stack_get_ipv4(const struct zn_stack *st, uint32_t *addr,
                       uint8_t *prefix, uint32_t *gateway) {
  if (addr)
    *addr = st->ip_addr;
  if (prefix)
    *prefix = st->ip_prefix;
  if (gateway)
    *gateway = st->ip_gw;
}

const uint8_t *zn_stack_mac(const struct zn_stack *st) { return st->mac; }

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
  if (b->len > (size_t)st->nif->mtu + ZN_ETH_VLAN_HDR_LEN && !b->gso_size) {
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

void zn_stack_input(struct zn_stack *st, struct zn_buf *b) {
  ZN_STAT_INC(st, if_rx_frames);
  ZN_STAT_ADD(st, if_rx_bytes, b->len);
  zn__eth_input(st, b);
}

static void drain_loopback(struct zn_stack *st, uint32_t budget) {
  struct zn_buf *b;
  if (!st->loopq.head)
    return; /* (most polls: look at the queue before the budget) */
  while (budget-- > 0 && (b = zn_bufq_pop(&st->loopq)) != NULL) {
    if (b->len && (b->data[0] >> 4) == 6) {
      ZN_STAT_INC(st, ip6_loop_rx);
      zn__ip6_input(st, b, false);
      continue;
    }
    ZN_STAT_INC(st, ip_loop_rx);
    zn__ip_input(st, b, false);
  }
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
    zn__eth_input(st, b);
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
    zn__arp_start(st);
    zn__ip6_start(st);
    zn__ip6conf_start(st);
    zn__dhcp4_start(st);
  }
  if (nif)
    rc = receive(st, nif);
  drain_loopback(st, st->cfg.rx_budget);
  /* The sync above moved the wheel to now: what is due is on its expired
   * list, and most polls find it empty. */
  if (zn__timers_due(&st->wheel))
    zn__timers_run(st);
  zn__tcp_reap(st);
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
  if (!st->started || (st->txq.count | st->loopq.count) != 0 ||
      zn__tcp_reap_pending(st))
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
