/*
 * IPv6 (RFC 8200), ICMPv6 (RFC 4443), the neighbor cache and NUD (RFC
 * 4861 §7), path MTU (RFC 8201), and the interface's IPv6 state that
 * these read for every packet: our addresses in their RFC 4862 states,
 * the default router and on-link prefix lists and the link parameters
 * (RFC 4861 §5.2, §6.3.2, §6.3.4), the multicast groups we listen to.
 * What goes into that state is decided above, by address configuration
 * (src/ipv6conf: SLAAC, DAD, router advertisements, MLD), which writes it
 * downward; IPv6 hands it, through tables filled at assembly, the ICMPv6
 * messages of the types it registered (zn__icmp6_register) and the
 * neighbor discovery events duplicate address detection needs
 * (zn__nd_listen).
 *
 * Who calls what:
 *   eth      -> zn__ip6_input (EtherType 0x86DD), and the group filter
 *               ipv6.c registers (zn__eth_set_group_filter)
 *   af       -> zn__ip6_output, zn__ip6_select_source, zn__ip6_is_bindable,
 *               zn__ip6_path_mtu, zn__ip6_mtu_epoch,
 *               zn__icmp6_port_unreachable,
 *               zn__nd_confirm (upper-layer reachability confirmation)
 *   ipv6conf -> zn__icmp6_send (RS, DAD probes, MLD reports),
 *               zn__nd_learn (an RA's source link-layer address), the
 *               tables of the interface's state and their setters, and
 *               at assembly zn__icmp6_register, zn__nd_listen
 *   stack    -> mem_size, init, start (first poll), destroy
 */
#ifndef ZN_IPV6_INT_H
#define ZN_IPV6_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/frag_int.h"
#include "core/stack_int.h"
#include "znet/neigh.h"
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
 * output works out from the interface's tables (the RFC 6724 source, the
 * §5.2 next hop, whether it is one of our addresses), each field filled
 * on first use.  An entry is good while the tables' generation is the
 * one it was filled in; any change to the address, router or prefix lists moves
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
  uint32_t gen;            /* the tables' generation; 0: empty */
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

/* ---- the interface's IPv6 state ---------------------------------------
 *
 * Tables carved at the sizes the config gives (cfg.ipv6_addrs, _routers,
 * _prefixes, _groups), whether IPv6 is on or not.  src/ipv6 reads them
 * for every packet; address configuration, above, decides every change
 * (an address's state, a list's entries, a group's membership and its
 * reports) and writes them, then moves the generation (zn__ip6_changed). */

/* The state of one of our addresses (RFC 4862 §2). */
enum zn__ip6_addr_state {
  ZN__A6_FREE = 0,     /* slot unused */
  ZN__A6_TENTATIVE,    /* DAD running: only NS/NA for it are looked at */
  ZN__A6_PREFERRED,    /* usable for anything */
  ZN__A6_DEPRECATED,   /* valid, not preferred: kept for existing flows,
                          not chosen as a source when another will do */
  ZN__A6_DUPLICATE,    /* DAD found it in use: never used */
};

/* Where an address came from. */
enum zn__ip6_addr_origin {
  ZN__A6_LINKLOCAL = 1, /* fe80::/64 with a stable identifier */
  ZN__A6_STATIC,        /* zn_stack_add_ipv6() */
  ZN__A6_SLAAC,         /* from a router advertisement's prefix */
};

struct zn__ip6_addr {
  uint8_t a[16];
  uint8_t prefix;          /* prefix length (on-link for STATIC) */
  uint8_t state;           /* enum zn__ip6_addr_state */
  uint8_t origin;          /* enum zn__ip6_addr_origin */
  uint8_t dad_left;        /* TENTATIVE: DAD probes still to send */
  uint8_t dad_counter;     /* RFC 7217 DAD_Counter of this identifier */
  uint64_t dad_at;         /* TENTATIVE: next probe, or after the last
                              one, success (ns) */
  uint64_t preferred_until; /* ns; UINT64_MAX: infinite */
  uint64_t valid_until;    /* ns; UINT64_MAX: infinite */
};

/* A default router (RFC 4861 §6.3.4). */
struct zn__ip6_router {
  uint8_t ip[16];          /* link-local, or the configuration's */
  bool used;
  bool lost;               /* NUD gave up on it: used only when no other */
  bool fixed;              /* zn_stack_set_ipv6_gateway's: no lifetime */
  uint64_t expires;        /* ns; UINT64_MAX when fixed */
};

/* An on-link prefix (RFC 4861 §6.3.4, L flag). */
struct zn__ip6_prefix {
  uint8_t p[16];
  uint8_t len;             /* 0: slot unused (a /0 is never on-link) */
  uint64_t expires;        /* ns; UINT64_MAX: infinite */
};

/* A multicast group we listen to (RFC 3810 §6), besides all-nodes.  The
 * report fields are MLD's, above. */
struct zn__ip6_group {
  uint8_t g[16];
  uint16_t refs;           /* 0: leaving (reports left) or free */
  uint8_t report_left;     /* state-change reports still to send */
  uint8_t report_type;     /* ZN_MLD2_CHANGE_TO_EXCLUDE/INCLUDE_MODE */
  uint64_t report_at;      /* next state-change report (ns) */
  uint64_t answer_at;      /* address-specific query answer; 0: none */
};

/* ---- tables filled at assembly ---------------------------------------- */

/* A handler of the ICMPv6 messages of one type that IPv6 leaves to a
 * module above (zn__icmp6_register): b->data at the ICMPv6 header, the
 * checksum checked, the IP-level receipt checks of its type done (for a
 * router advertisement hop limit 255 and a link-local source, RFC 4861
 * §6.1.2; for MLD hop limit 1 and a link-local or unspecified source, RFC
 * 3810 §5), neighbor discovery that came with a fragment header refused
 * (RFC 6980 §5).  Consumes b. */
typedef void (*zn__icmp6_fn)(struct zn_stack *st, struct zn_buf *b,
                             const struct zn__inet_meta *m);

/* The types IPv6 leaves to a module above: router advertisement, MLD
 * query, MLDv1 report and done, MLDv2 report (icmp6.c's table, one row
 * each with its receipt checks). */
#define ZN__ICMP6_UPPER 5

/* What neighbor discovery shows its listeners (zn__nd_listen): an NS or
 * NA whose target is one of our addresses (in any state but DUPLICATE,
 * which is no longer ours), what duplicate address detection needs (RFC
 * 4862 §5.4.3, §5.4.4). */
enum zn__nd_event {
  ZN__ND_EV_NS,            /* an NS from a unicast source for our
                              tentative address (not answered) */
  ZN__ND_EV_NS_PROBE,      /* an NS from :: (another node's DAD probe),
                              for our address in any state */
  ZN__ND_EV_NA,            /* an NA, for our address in any state */
};

/* A listener of neighbor discovery events; target is a copy (the
 * listener may change the address table). */
typedef void (*zn__nd_listen_fn)(struct zn_stack *st, enum zn__nd_event ev,
                                 const uint8_t target[16]);

#define ZN__ND_LISTENERS 2

/* IPv6's state in struct zn_stack; grown by src/ipv6.  Wide fields first,
 * then the 32-bit ones, then the bytes: no padding between them. */
struct zn__ip6 {
  struct zn_neigh_hooks nd_hooks; /* zn_nd_set_hooks */
  struct zn__nd_entry *nd; /* cfg.nd_entries */
  struct zn__reass6 *reass; /* cfg.ip6_reass_slots */
  struct zn__pmtu6 pmtu[ZN__IP6_PMTU];
  struct zn__ip6_dest dest[ZN__IP6_DEST];
  uint64_t tokens_ns;      /* ICMPv6 error token bucket */
  uint64_t last_ns;
  zn_icmp6_echo_cb echo_cb;
  void *echo_arg;
  /* The interface's state (tables: cfg sizes, carved if IPv6 is off too;
   * address configuration writes them). */
  struct zn__ip6_addr *addr;     /* cfg.ipv6_addrs */
  struct zn__ip6_router *router; /* cfg.ipv6_routers */
  struct zn__ip6_prefix *prefix; /* cfg.ipv6_prefixes */
  struct zn__ip6_group *group;   /* cfg.ipv6_groups */
  uint64_t rerandomise_at;       /* next new ReachableTime (ns); 0: none */
  /* Filled at assembly by the modules above. */
  zn__icmp6_fn icmp6_up[ZN__ICMP6_UPPER]; /* zn__icmp6_register, by the
                                             rows of icmp6.c's table */
  zn__nd_listen_fn nd_listen[ZN__ND_LISTENERS]; /* zn__nd_listen */
  uint32_t nnd_listen;
  uint32_t reass_mem;      /* buffer bytes held by all slots */
  uint32_t mtu_epoch;      /* moves when a path MTU may have fallen */
  uint32_t naddr, nrouter, nprefix, ngroup;
  uint32_t rr;             /* round-robin start in router[] */
  uint32_t gen;            /* moves (never to 0) whenever an address
                              changes state or the router or prefix list
                              changes (zn__ip6_changed): what the
                              destination cache worked out from them is
                              stale */
  /* RFC 4861 §6.3.2's host variables, as router advertisements set them
   * (address configuration), or the defaults. */
  uint32_t mtu;            /* LinkMTU; 0: the netif's */
  uint32_t base_reachable_ms; /* BaseReachableTime */
  uint32_t reachable_ms;   /* ReachableTime, randomised */
  uint32_t retrans_ms;     /* RetransTimer */
  uint8_t hop_limit;       /* CurHopLimit */
  bool up;                 /* cfg.ipv6 and started */
  bool nd_answering;       /* sending an NA: resolving its destination
                              must not evict a confirmed neighbor */
  uint8_t npmtu;           /* pmtu slots in use (mtu not 0): none, no
                              search */
};

size_t zn__ip6_mem_size(const struct zn_config *cfg);
void zn__ip6_init(struct zn_stack *st, void **mem);
/* The first poll: the link is up (the modules above start after this);
 * the first ReachableTime is drawn. */
void zn__ip6_start(struct zn_stack *st);
void zn__ip6_destroy(struct zn_stack *st);

/* b->data at the IPv6 header; consumes b.  link_mcast: the frame was sent
 * to a link-layer multicast address. */
void zn__ip6_input(struct zn_stack *st, struct zn_buf *b, uint16_t group);

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

/* True if a transport may bind to a: one of our usable addresses, or ::1
 * (the loopback, ours whenever IPv6 is up: RFC 4291 §2.5.3). */
bool zn__ip6_is_bindable(const struct zn_stack *st, const uint8_t a[16]);

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

/* ---- the interface's IPv6 state (ip6_iface.c) ---- */

/* True if a is inside the prefix p of len bits. */
bool zn__ip6_in_prefix(const uint8_t a[16], const uint8_t p[16], uint8_t len);

bool zn__ip6_config_ok(const struct zn_config *cfg);
void zn__ip6_config_default(struct zn_config *cfg);
size_t zn__ip6_iface_mem_size(const struct zn_config *cfg);
/* Carves the tables, sets the link parameters to RFC 4861 §10's
 * defaults. */
void zn__ip6_iface_init(struct zn_stack *st, void **mem);

/* An address that may be used (RFC 4862 §2: preferred or deprecated);
 * false for NULL. */
static inline bool zn__ip6_addr_usable(const struct zn__ip6_addr *e) {
  return e && (e->state == ZN__A6_PREFERRED || e->state == ZN__A6_DEPRECATED);
}

/* Our address a, in any state but FREE, or NULL.  The table is carved
 * memory behind a pointer: a const stack still gives a writable entry,
 * which address configuration's changes rely on.  Inline: every datagram received
 * asks (is its destination ours?). */
static inline struct zn__ip6_addr *zn__ip6_addr_find(const struct zn_stack *st,
                                                     const uint8_t a[16]) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->naddr; i++) {
    struct zn__ip6_addr *e = &ip6->addr[i];
    if (zn_ipv6_addr_eq(e->a, a) && e->state != ZN__A6_FREE)
      return e;
  }
  return NULL;
}

/* The generation of the address, router and prefix tables, for caches of
 * what source selection and next-hop determination answer. */
static inline uint32_t zn__ip6_gen(const struct zn_stack *st) {
  return ZN__MOD(st, ip6)->gen;
}

/* An address changed state, or the router or prefix list changed: what
 * was worked out from them (the destination cache) is stale. */
static inline void zn__ip6_changed(struct zn_stack *st) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (++ip6->gen == 0)
    ip6->gen = 1;
}

/* CurHopLimit, RetransTimer (RFC 4861 §6.3.2). */
static inline uint8_t zn__ip6_hop_limit(const struct zn_stack *st) {
  return ZN__MOD(st, ip6)->hop_limit;
}

static inline uint32_t zn__ip6_retrans_ms(const struct zn_stack *st) {
  return ZN__MOD(st, ip6)->retrans_ms;
}

/* LinkMTU: a router advertisement's, else the netif's. */
static inline uint32_t zn__ip6_link_mtu(const struct zn_stack *st) {
  uint32_t m = ZN__MOD(st, ip6)->mtu;
  if (m)
    return m;
  return st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
}

/* RFC 4861 §6.3.2: ReachableTime uniformly in [0.5, 1.5] *
 * BaseReachableTime, drawn again REACHABLE_RERANDOMISE from now. */
void zn__ip6_recompute_reachable(struct zn_stack *st);

/* ReachableTime, drawn again first if REACHABLE_RERANDOMISE passed
 * (RFC 4861 §6.3.4: "at least every few hours"), when it is next used
 * rather than by a timer: an idle stack does not wake for it. */
static inline uint32_t zn__ip6_reachable_ms(struct zn_stack *st) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (ip6->rerandomise_at && ip6->rerandomise_at <= st->now)
    zn__ip6_recompute_reachable(st);
  return ip6->reachable_ms;
}

/* A router advertisement's BaseReachableTime: a new one draws
 * ReachableTime again. */
void zn__ip6_set_base_reachable(struct zn_stack *st, uint32_t ms);
/* A router advertisement's LinkMTU (checked by the caller): a lower one
 * moves zn__ip6_mtu_epoch. */
void zn__ip6_set_link_mtu(struct zn_stack *st, uint32_t mtu);

/* RFC 4861 §5.2 next-hop determination for dst (not multicast), without
 * the destination cache: dst itself if on-link (link-local, inside an
 * on-link prefix or a static address's prefix), else a default router
 * (§6.3.6).  Errors: ZN_EHOSTUNREACH (no router). */
int zn__ip6_next_hop_determine(struct zn_stack *st, const uint8_t dst[16],
                               uint8_t out[16]);
/* Neighbor unreachability detection gave up on a router, or its NA no
 * longer has the R flag: the router stays listed but is chosen only when
 * no other is, round-robin (RFC 4861 §6.3.6); its next RA clears that. */
void zn__ip6_router_lost(struct zn_stack *st, const uint8_t ip[16]);

/* True if we listen to multicast group g (all-nodes, the solicited-node
 * groups of our addresses, groups the application joined). */
bool zn__ip6_mcast_joined(const struct zn_stack *st, const uint8_t g[16]);
/* True if a group we listen to maps to the Ethernet address mac (RFC 2464
 * §7: 33:33 and the group's low 32 bits). */
bool zn__ip6_mcast_mac_joined(const struct zn_stack *st,
                              const uint8_t mac[6]);

/* ---- tables filled at assembly ---- */

/* Hand the ICMPv6 messages of type to fn (a module above, at assembly).
 * A type nobody registered is dropped as one of an unhandled type
 * (icmp6_drop_type).  Errors: ZN_EINVAL (fn NULL, or a type IPv6 handles
 * itself or knows no receipt checks for: a new type is a row of
 * icmp6.c's table, with its checks and the counter of the messages
 * handed on), ZN_EEXIST (the type is taken). */
int zn__icmp6_register(struct zn_stack *st, uint8_t type, zn__icmp6_fn fn);

/* Show fn the events of enum zn__nd_event (a module above, at assembly):
 * it looks, and may change the address table; neighbor discovery then
 * answers only for an address still ours and usable.  Errors: ZN_ENOMEM
 * (the table is full). */
int zn__nd_listen(struct zn_stack *st, zn__nd_listen_fn fn);

#endif
