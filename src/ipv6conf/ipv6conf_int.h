/*
 * IPv6 host configuration: our addresses and their states (RFC 4862),
 * SLAAC with RFC 7217 interface identifiers, duplicate address detection,
 * router solicitation and the default router and prefix lists fed by
 * router advertisements (RFC 4861 §6.3), RDNSS/DNSSL (RFC 8106), and MLDv2
 * for a host (RFC 3810).  src/ipv6 asks this module; this module sends
 * through zn__ip6_output.
 */
#ifndef ZN_IPV6CONF_INT_H
#define ZN_IPV6CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "modules.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/timer.h"

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
  uint8_t ip[16];          /* link-local */
  bool used;
  bool lost;               /* NUD gave up on it: used only when no other */
  uint64_t expires;        /* ns */
};

/* An on-link prefix (RFC 4861 §6.3.4, L flag). */
struct zn__ip6_prefix {
  uint8_t p[16];
  uint8_t len;             /* 0: slot unused (a /0 is never on-link) */
  uint64_t expires;        /* ns; UINT64_MAX: infinite */
};

/* A multicast group we listen to (RFC 3810 §6), besides all-nodes. */
struct zn__ip6_group {
  uint8_t g[16];
  uint16_t refs;           /* 0: leaving (reports left) or free */
  uint8_t report_left;     /* state-change reports still to send */
  uint8_t report_type;     /* ZN_MLD2_CHANGE_TO_EXCLUDE/INCLUDE_MODE */
  uint64_t report_at;      /* next state-change report (ns) */
  uint64_t answer_at;      /* address-specific query answer; 0: none */
};

/* An RDNSS address or a DNSSL domain (RFC 8106 §5). */
struct zn__ip6_dns {
  uint8_t a[16];           /* RDNSS */
  char name[256];          /* DNSSL, dotted, NUL-terminated */
  bool used;
  uint64_t expires;        /* ns; UINT64_MAX: infinite */
};

/* ipv6conf's state in struct zn_stack; tables carved by cfg sizes.
 * One timer serves every deadline of the module: it is armed at the
 * earliest of them and each firing walks the (small, bounded) tables. */
struct zn__ip6conf {
  struct zn__ip6_addr *addr;     /* cfg.ipv6_addrs */
  struct zn__ip6_router *router; /* cfg.ipv6_routers */
  struct zn__ip6_prefix *prefix; /* cfg.ipv6_prefixes */
  struct zn__ip6_group *group;   /* cfg.ipv6_groups */
  struct zn__ip6_dns *dns;       /* RDNSS: cfg.ipv6_dns_servers */
  struct zn__ip6_dns *search;    /* DNSSL: cfg.ipv6_dns_search */
  uint32_t naddr, nrouter, nprefix, ngroup, ndns, nsearch;
  struct zn_timer timer;
  uint8_t secret[16];            /* RFC 7217 secret_key */
  bool running;                  /* started with cfg.ipv6, not disabled */
  bool disabled;                 /* RFC 4862 §5.4.5: duplicate link-local */
  uint8_t rs_sent;               /* router solicitations sent */
  bool rs_done;                  /* an RA came, or MAX_RTR_SOLICITATIONS */
  uint64_t rs_at;                /* next RS (ns); 0: none */
  uint64_t general_at;           /* general query answer; 0: none */
  uint32_t rr;                   /* round-robin start in router[] */
  uint8_t hop_limit;             /* CurHopLimit */
  uint32_t mtu;                  /* LinkMTU */
  uint32_t base_reachable_ms;    /* BaseReachableTime */
  uint32_t reachable_ms;         /* ReachableTime, randomised */
  uint64_t rerandomise_at;       /* next new ReachableTime (ns); 0: none */
  uint32_t retrans_ms;           /* RetransTimer */
  uint32_t gen;                  /* moves (never to 0) whenever an address
                                    changes state or the router or prefix
                                    list changes: what src/ipv6's
                                    destination cache worked out from
                                    them is stale */
};

bool zn__ip6conf_config_ok(const struct zn_config *cfg);

/* The tables' generation (struct zn__ip6conf's gen), for caches of what
 * source selection and next-hop determination answer. */
static inline uint32_t zn__ip6conf_gen(const struct zn__ip6conf *c) {
  return c->gen;
}
size_t zn__ip6conf_mem_size(const struct zn_config *cfg);
void zn__ip6conf_init(struct zn_stack *st, void **mem);
/* After zn__ip6_start: link-local address, DAD, RS, MLD reports. */
void zn__ip6conf_start(struct zn_stack *st);
void zn__ip6conf_destroy(struct zn_stack *st);

/* An address that may be used (RFC 4862 §2: preferred or deprecated);
 * false for NULL. */
static inline bool zn__ip6conf_addr_usable(const struct zn__ip6_addr *e) {
  return e && (e->state == ZN__A6_PREFERRED || e->state == ZN__A6_DEPRECATED);
}

/* Our address a, in any state but FREE, or NULL. */
const struct zn__ip6_addr *zn__ip6conf_addr_find(const struct zn_stack *st,
                                                 const uint8_t a[16]);
/* The i-th slot (0 <= i < zn__ip6conf_addr_count), possibly FREE. */
const struct zn__ip6_addr *zn__ip6conf_addr_at(const struct zn_stack *st,
                                               uint32_t i);
uint32_t zn__ip6conf_addr_count(const struct zn_stack *st);
/* All the slots at once (*out), their count returned: for the walks
 * every packet makes (source selection). */
uint32_t zn__ip6conf_addrs(const struct zn_stack *st,
                           const struct zn__ip6_addr **out);

/* RFC 4861 §5.2 next-hop determination for dst (not multicast): dst
 * itself if on-link (link-local, or inside an on-link prefix), else a
 * default router.  Errors: ZN_EHOSTUNREACH (no router). */
int zn__ip6conf_next_hop(struct zn_stack *st, const uint8_t dst[16],
                         uint8_t out[16]);
/* Neighbor unreachability detection gave up on a router, or its NA no
 * longer has the R flag: the router stays listed but is chosen only when
 * no other is, round-robin (RFC 4861 §6.3.6); its next RA clears that. */
void zn__ip6conf_router_lost(struct zn_stack *st, const uint8_t ip[16]);

/* Parameters learnt from router advertisements (or the defaults). */
uint8_t zn__ip6conf_hop_limit(const struct zn_stack *st);
uint32_t zn__ip6conf_link_mtu(const struct zn_stack *st);
/* ReachableTime, drawn again if REACHABLE_RERANDOMISE passed. */
uint32_t zn__ip6conf_reachable_ms(struct zn_stack *st);
uint32_t zn__ip6conf_retrans_ms(const struct zn_stack *st);

/* ICMPv6 messages this module handles, b->data at the ICMPv6 header,
 * checksum and hop limit already checked by src/ipv6; each consumes b:
 * router advertisement (134), MLD query (130) and reports (131, 143). */
void zn__ip6conf_ra_input(struct zn_stack *st, struct zn_buf *b,
                          const struct zn__inet_meta *m);
void zn__ip6conf_mld_input(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_meta *m);

/* Duplicate address detection (RFC 4862 §5.4.3, §5.4.4): src/ipv6 saw an
 * NS (from_unspecified: a DAD probe of another node) or an NA whose
 * target is our address in any state. */
void zn__ip6conf_dad_ns(struct zn_stack *st, const uint8_t target[16],
                        bool from_unspecified);
void zn__ip6conf_dad_na(struct zn_stack *st, const uint8_t target[16]);

/* RFC 7217 §5: the interface identifier (8 bytes) for a /64 prefix
 * (its first 8 bytes) and a DAD_Counter, skipping RFC 5453 reserved
 * identifiers (counter bumped, as §5 says).  Exposed for tests. */
void zn__ip6conf_stable_iid(const struct zn_stack *st, const uint8_t pfx[8],
                            uint8_t dad_counter, uint8_t iid[8]);
/* RFC 5453 §3: a reserved interface identifier. */
bool zn__ip6conf_iid_reserved(const uint8_t iid[8]);

/* MLD membership (RFC 3810 §6.1): refcounted; the first join and the last
 * leave send Robustness Variable state-change reports.  all-nodes is
 * implicit and never reported.  Errors: ZN_ENOSPC (group table full),
 * ZN_EINVAL (not multicast), ZN_ENOENT (leave of a group not joined). */
int zn__ip6conf_mcast_join(struct zn_stack *st, const uint8_t g[16]);
int zn__ip6conf_mcast_leave(struct zn_stack *st, const uint8_t g[16]);

/* True if we listen to multicast group g (all-nodes, the solicited-node
 * groups of our addresses, groups the application joined). */
bool zn__ip6conf_mcast_joined(const struct zn_stack *st, const uint8_t g[16]);
/* True if a group we listen to maps to the Ethernet address mac (RFC 2464
 * §7: 33:33 and the group's low 32 bits). */
bool zn__ip6conf_mcast_mac_joined(const struct zn_stack *st,
                                  const uint8_t mac[6]);

#endif
