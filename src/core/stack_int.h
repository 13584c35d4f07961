/*
 * The stack object, private.  Everything a stack owns is reachable from
 * here and lives in the caller's memory block.
 */
#ifndef ZN_CORE_STACK_INT_H
#define ZN_CORE_STACK_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "arp/arp_int.h"
#include "core/rand_int.h"
#include "core/timer_int.h"
#include "dhcp4/dhcp4_int.h"
#include "icmp/icmp_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_int.h"
#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_int.h"
#include "tcp/tcp_int.h"
#include "udp/udp_int.h"
#include "znet/stack.h"
#include "znet/stats.h"

/* A deliberate fall-through between switch labels.  C11 has no
 * [[fallthrough]] and clang does not read the comment gcc accepts; both
 * take the attribute. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 7)
#define ZN_FALLTHROUGH __attribute__((fallthrough))
#else
#define ZN_FALLTHROUGH ((void)0)
#endif

/* zn__peer_hash's memo slots (a power of two). */
#define ZN__PEER_MEMO 16

struct zn_stack {
  struct zn_config cfg;
  struct zn_pool pool;      /* frame buffers */
  struct zn_pool bigpool;   /* large buffers (may have count 0) */
  struct zn_netif *nif;
  uint64_t now;             /* ns, of the latest poll */
  bool started;             /* first poll done (announcement sent) */

  uint8_t mac[6];
  uint32_t ip_addr, ip_mask, ip_gw;
  uint8_t ip_prefix;

  struct zn__wheel wheel;
  struct zn__rng rng;
  uint8_t hash_key[16];     /* SipHash key for tables */
  /* zn__peer_hash's memo: slot ip % ZN__PEER_MEMO holds the last address
   * of its slot and that address's hash (a function of the two under the
   * fixed key: never stale).  An empty slot i holds the address ~i,
   * whose low bits put it in another slot: no lookup matches it. */
  uint32_t peer_memo_ip[ZN__PEER_MEMO];
  uint64_t peer_memo_hash[ZN__PEER_MEMO];
  struct zn_stats stats;

  struct zn_bufq txq;       /* frames for the netif, flushed each poll */
  struct zn_bufq loopq;     /* datagrams to ourselves (data at IP header) */

  struct zn__arp arp;
  struct zn__ip ip;
  struct zn__icmp icmp;
  struct zn__inet inet;
  struct zn__ip6 ip6;
  struct zn__ip6conf ip6conf;
  struct zn__udp udp;
  struct zn__tcp tcp;
  struct zn__dhcp4 dhcp4;

  void *userdata;
  zn_addr_event_fn addr_cb;
  void *addr_cb_arg;
};

#define ZN_STAT_INC(st, name) ((st)->stats.v[ZN_STAT_##name]++)
#define ZN_STAT_ADD(st, name, n) ((st)->stats.v[ZN_STAT_##name] += (n))

/* Carving the stack's memory block. */
static inline size_t zn__align_up(size_t n, size_t a) {
  return (n + a - 1) & ~(a - 1);
}
/* Take `size` bytes aligned to 16 from *mem and advance it. */
static inline void *zn__carve(void **mem, size_t size) {
  uintptr_t p = ((uintptr_t)*mem + 15u) & ~(uintptr_t)15u;
  *mem = (void *)(p + size);
  return (void *)p;
}
/* Bytes zn__carve needs for `size` (with alignment slack). */
static inline size_t zn__carve_size(size_t size) {
  return zn__align_up(size, 16) + 16;
}

/* Logging with a tiny formatter: %s %c %d %u %x %ld %lu %lld %llu %zu
 * %%, and %I (uint32_t IPv4 address), %M (const uint8_t *MAC). */
void zn__log(const struct zn_stack *st, int level, const char *fmt, ...);
void zn__vfmt(char *buf, size_t size, const char *fmt, va_list ap);
void zn__fmt(char *buf, size_t size, const char *fmt, ...);

#define ZN_LOG(st, lvl, ...)                                                  \
  do {                                                                        \
    if ((st)->cfg.log && (lvl) <= (st)->cfg.log_level)                        \
      zn__log((st), (lvl), __VA_ARGS__);                                      \
  } while (0)

/* Queue a finished frame (data at the Ethernet header) for the netif.
 * Consumes b. */
void zn__if_output(struct zn_stack *st, struct zn_buf *b);

/* A frame buffer, or a big one if size does not fit, for size bytes after
 * the headroom; NULL if none (counted). */
struct zn_buf *zn__buf_alloc(struct zn_stack *st, size_t size);

/* A writable copy of b (data and cb), headroom ZN_BUF_HEADROOM, or NULL. */
struct zn_buf *zn__buf_copy(struct zn_stack *st, const struct zn_buf *b);

/* One of our addresses was added or removed: the transports let go of
 * what was bound to a removed one (TCP connections fail, UDP sockets are
 * told), then the application's callback. */
void zn__stack_addr_event(struct zn_stack *st, enum zn_addr_event ev,
                          const struct zn_ip *addr, uint8_t prefix);

/* Keyed hash of a few words, for tables. */
uint32_t zn__hash32(const struct zn_stack *st, uint32_t a, uint32_t b);

/* The keyed hash of a peer's IPv4 address, 64 bits, for the tables a
 * datagram to it consults: ARP's bucket takes the low half, IPv4's ID
 * counter slot the high half (two independent halves of one PRF output),
 * so a datagram to a new next hop hashes its address once, not once per
 * table.  The hashes of the last few addresses are remembered, one per
 * memo slot, the slot chosen by the address's low bits: a host that
 * talks to a handful of neighbours in turn, or whose datagrams go to one
 * host through another, hashes each once, not once per datagram.  The
 * slot is no secret: an attacker who picks addresses only makes the memo
 * miss, which costs the hash it saves, no more.  zn__peer_hash_fill
 * computes a hash and remembers it. */
uint64_t zn__peer_hash_fill(const struct zn_stack *st, uint32_t ip);
static inline uint64_t zn__peer_hash(const struct zn_stack *st, uint32_t ip) {
  uint32_t i = ip & (ZN__PEER_MEMO - 1);
  return st->peer_memo_ip[i] == ip ? st->peer_memo_hash[i]
                                   : zn__peer_hash_fill(st, ip);
}

/* The per-datagram calls that need the whole stack, inline. */
#include "ipv4/ipv4_inline.h"
#include "inet/inet_inline.h"

#endif
