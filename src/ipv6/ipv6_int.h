/*
 * IPv6 (RFC 8200), ICMPv6 (RFC 4443), the neighbor cache and NUD (RFC
 * 4861 §7), path MTU (RFC 8201): the calls the rest of the stack makes
 * into src/ipv6/.  Address configuration, router and prefix lists, DAD
 * and MLD are src/ipv6conf/ (ipv6conf_int.h).
 *
 * Who calls what:
 *   eth      -> zn__ip6_input (EtherType 0x86DD), zn__ip6_mac_accepted
 *   af       -> zn__ip6_output, zn__ip6_select_source, zn__ip6_is_local,
 *               zn__ip6_path_mtu, zn__ip6_mtu_epoch,
 *               zn__icmp6_port_unreachable,
 *               zn__nd_confirm (upper-layer reachability confirmation)
 *   ipv6conf -> zn__ip6_output (RS, DAD probes, MLD reports),
 *               zn__nd_learn (an RA's source link-layer address)
 *   stack    -> mem_size, init, start (first poll), destroy
 */
#ifndef ZN_IPV6_INT_H
#define ZN_IPV6_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/frag_int.h"
#include "core/stack_int.h"
#include "modules.h"
#include "inet/inet_int.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/wire.h"

#include "znet/icmp.h"
#include "znet/timer.h"

/* Neighbor cache entry states (RFC 4861 §7.3.2). */
enum zn__nd_state {
  ZN__ND_FREE = 0,
  ZN__ND_INCOMPLETE,
  ZN__ND_REACHABLE,
  ZN__ND_STALE,
  ZN__ND_DELAY,
  ZN__ND_PROBE,
};

struct zn__nd_entry {
  uint8_t ip[16];
  uint8_t mac[6];
  uint8_t state;           /* enum zn__nd_state */
  uint8_t probes;          /* solicitations sent in this state */
  bool router;             /* IsRouter flag */
  bool confirmed;          /* a solicited NA has confirmed it (it answers:
                              not a forged source) */
  uint64_t last_used;      /* ns: last packet sent through it */
  uint64_t reachable_until; /* REACHABLE: ns; the timer may fire before
                              (a later confirmation only moves this) */
  struct zn_bufq pending;  /* INCOMPLETE: datagrams waiting (IPv6 header) */
  struct zn_timer timer;
};

/* Path MTU cache entries (RFC 8201 §5.2), a fixed small table. */
#define ZN__IP6_PMTU 16

struct zn__pmtu6 {
  uint8_t dst[16];
  uint32_t mtu;            /* 0: slot free */
  uint64_t expires;        /* ns: aged back to the link MTU after this */
};

/* RFC 4861 §5.1's destination cache: per recent destination, what
 * output works out from ipv6conf's tables (the RFC 6724 source, the §5.2
 * next hop, whether it is one of our addresses), each field filled on
 * first use.  An entry is good while ipv6conf's generation is the one it
 * was filled in; any change to the address, router or prefix lists moves
 * that and empties the cache at once.  Direct-mapped by the address's low
 * bytes, unkeyed: colliding destinations cost only the walks the cache
 * saves.  The path MTU stays in its own table (it must outlive
 * evictions). */
#define ZN__IP6_DEST 16

enum {
  ZN__DEST_SRC = 1,   /* src, src_ok known */
  ZN__DEST_NH = 2,    /* nh, nh_ok known */
  ZN__DEST_LOCAL = 4, /* local known */
};

struct zn__ip6_dest {
  uint8_t dst[16];
  uint8_t src[16];         /* RFC 6724's choice (if src_ok) */
  uint8_t nh[16];          /* next hop (if nh_ok) */
  uint32_t gen;            /* ipv6conf's generation; 0: empty */
  uint8_t known;           /* ZN__DEST_* */
  bool src_ok;             /* a usable source exists */
  bool nh_ok;              /* on-link, or a default router */
  bool local;              /* dst is one of our usable addresses */
};

/* One datagram in reassembly (RFC 8200 §4.5), keyed by (src, dst, id). */
struct zn__reass6 {
  bool used;
  bool have_first;
  uint8_t src[16], dst[16];
  uint32_t id;
  struct zn__frag_queue q; /* fragmentable part; cb: frag6.c's */
  struct zn_timer timer;
};

/* IPv6's state in struct zn_stack; grown by src/ipv6. */
struct zn__ip6 {
  bool up;                 /* cfg.ipv6 and started */
  struct zn__nd_entry *nd; /* cfg.nd_entries */
  bool nd_answering;       /* sending an NA: resolving its destination
                              must not evict a confirmed neighbor */
  struct zn__reass6 *reass; /* cfg.ip6_reass_slots */
  uint32_t reass_mem;      /* buffer bytes held by all slots */
  struct zn__pmtu6 pmtu[ZN__IP6_PMTU];
  struct zn__ip6_dest dest[ZN__IP6_DEST];
  uint8_t npmtu;           /* slots in use (mtu not 0): none, no search */
  uint32_t mtu_epoch;      /* moves when a path MTU may have fallen */
  uint64_t tokens_ns;      /* ICMPv6 error token bucket */
  uint64_t last_ns;
  zn_icmp6_echo_cb echo_cb;
  void *echo_arg;
};

size_t zn__ip6_mem_size(const struct zn_config *cfg);
void zn__ip6_init(struct zn_stack *st, void **mem);
/* The first poll: the link is up (ipv6conf starts after this). */
void zn__ip6_start(struct zn_stack *st);
void zn__ip6_destroy(struct zn_stack *st);

/* b->data at the IPv6 header; consumes b.  link_mcast: the frame was sent
 * to a link-layer multicast address. */
void zn__ip6_input(struct zn_stack *st, struct zn_buf *b, uint16_t group);

/* True if a frame to this multicast MAC (33:33:xx:xx:xx:xx) is for a group
 * we have joined (ipv6conf's MLD decides). */
bool zn__ip6_mac_accepted(const struct zn_stack *st, const uint8_t mac[6]);

/* b->data at the upper-layer header; tx->dst is IPv6.  Chooses the source
 * (unless given), pushes the header (and hop-by-hop Router Alert if
 * asked), determines the next hop, fragments to the path MTU unless
 * tx->df, resolves the neighbor.  Consumes b.  Errors: as
 * zn__af_output. */
int zn__ip6_output(struct zn_stack *st, struct zn_buf *b,
                   const struct zn__inet_tx *tx);

/* RFC 6724 source address selection for dst (through the destination
 * cache).  Errors: ZN_EADDRNOTAVAIL. */
int zn__ip6_select_source(struct zn_stack *st, const uint8_t dst[16],
                          uint8_t out[16]);

/* True if a is one of our addresses in a usable state. */
bool zn__ip6_is_local(const struct zn_stack *st, const uint8_t a[16]);

/* A path MTU may have fallen (a packet too big, a smaller link MTU from
 * a router advertisement): zn__ip6_mtu_epoch moves. */
void zn__ip6_mtu_lowered(struct zn_stack *st);

/* Moves whenever a path MTU may have fallen (zn__ip6_mtu_lowered). */
static inline uint32_t zn__ip6_mtu_epoch(const struct zn_stack *st) {
  return ZN__MOD(st, ip6)->mtu_epoch;
}

/* The path MTU toward dst (RFC 8201), never below 1280. */
uint32_t zn__ip6_path_mtu(struct zn_stack *st, const uint8_t dst[16]);

/* Send the ICMPv6 message in b (data at its header, b->len its length)
 * as tx says (src, or src_unspecified; dst; ttl; router_alert; df): the
 * checksum over that source and tx->dst, then zn__ip6_output.
 * answering: a reply to a packet received, whose neighbor entry may not
 * evict a confirmed one (floods of forged solicitations).  Consumes b;
 * returns zn__ip6_output's result. */
int zn__icmp6_send(struct zn_stack *st, struct zn_buf *b,
                   struct zn__inet_tx *tx, bool answering);

/* ICMPv6 port unreachable about the datagram whose upper-layer header is
 * at b->data (RFC 4443 §3.1 code 4), under §2.4's rules and the rate
 * limit.  b is not consumed. */
void zn__icmp6_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                                const struct zn__inet_meta *m);

/* RFC 4861 §6.3.4/§7.2.3: a router advertisement (or other ND message)
 * from ip carried its link-layer address: create or update the neighbor
 * cache entry (STALE if new or changed), and note whether ip is a
 * router. */
void zn__nd_learn(struct zn_stack *st, const uint8_t ip[16],
                  const uint8_t mac[6], bool is_router);

/* ---- inside src/ipv6 ---- */

/* ff02::1 */
const uint8_t *zn__ip6_all_nodes(void);
/* RFC 8201 §4: a packet too big said mtu toward dst. */
void zn__ip6_pmtu_update(struct zn_stack *st, const uint8_t dst[16],
                         uint32_t mtu);

/* True if the destination d is ours (a usable address) or a group we
 * joined; tentative addresses are not. */
bool zn__ip6_dst_accepted(const struct zn_stack *st, const uint8_t d[16]);
/* Put a finished datagram (IPv6 header at b->data) on the link toward
 * next hop nh (unicast, resolved through the neighbor cache).  Consumes b. */
void zn__nd_output(struct zn_stack *st, struct zn_buf *b, const uint8_t nh[16]);
/* Send a datagram (IPv6 header at b->data) to mac, fragmenting it to the
 * path MTU if needed and allowed.  Consumes b. */
void zn__ip6_link_send(struct zn_stack *st, struct zn_buf *b,
                       const uint8_t mac[6]);
/* NS (135) and NA (136), checksum and hop limit unchecked; consumes b. */
void zn__nd_input(struct zn_stack *st, struct zn_buf *b,
                  const struct zn__inet_meta *m);
void zn__nd_init(struct zn_stack *st, void **mem);
void zn__nd_destroy(struct zn_stack *st);
size_t zn__nd_mem_size(const struct zn_config *cfg);

/* ICMPv6 message at b->data (after the extension headers); consumes b.
 * fragmented: the datagram carried a fragment header (an atomic fragment,
 * or reassembled), which neighbor discovery refuses (RFC 6980 §5). */
void zn__icmp6_input(struct zn_stack *st, struct zn_buf *b,
                     const struct zn__inet_meta *m, bool fragmented);
/* Send an ICMPv6 error about the datagram whose IPv6 header is at
 * orig->data (not consumed) under RFC 4443 §2.4 and the rate limit.
 * link_mcast: it came as a link-layer multicast. */
void zn__icmp6_error(struct zn_stack *st, const struct zn_buf *orig,
                     bool link_mcast, uint8_t type, uint8_t code,
                     uint32_t rest);

/* Reassembly (RFC 8200 §4.5): b->data at the IPv6 header, w its walk.
 * Returns the whole datagram (IPv6 header at data, no fragment header)
 * or NULL (held or dropped, counted).  Consumes b. */
struct zn_buf *zn__ip6_reass_input(struct zn_stack *st, struct zn_buf *b,
                                   const struct zn_ipv6_chain *w);
size_t zn__ip6_reass_mem_size(const struct zn_config *cfg);
void zn__ip6_reass_init(struct zn_stack *st, void **mem);
void zn__ip6_reass_destroy(struct zn_stack *st);
/* Fragments held in reassembly now (for the tests' accounting). */
uint32_t zn__ip6_reass_held(const struct zn_stack *st);
/* RFC 4861 §5.2 next-hop determination for unicast dst, through the
 * destination cache.  Errors: ZN_EHOSTUNREACH. */
int zn__ip6_next_hop(struct zn_stack *st, const uint8_t dst[16],
                     uint8_t nh[16]);
/* RFC 4861 §7.3.1: forward progress toward dst confirms the neighbor
 * it goes through (dst itself on-link, else its router): an entry with
 * a link-layer address becomes REACHABLE; none, or INCOMPLETE, is left. */
void zn__nd_confirm(struct zn_stack *st, const uint8_t dst[16]);

/* The enum zn__nd_state of ip's neighbor cache entry (FREE: none). */
int zn__nd_state(struct zn_stack *st, const uint8_t ip[16]);

#endif
