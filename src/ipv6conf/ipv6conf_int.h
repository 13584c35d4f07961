/*
 * IPv6 host configuration: the decisions about our addresses and their
 * states (RFC 4862), SLAAC with RFC 7217 interface identifiers, duplicate
 * address detection, router solicitation and the default router and
 * prefix lists fed by router advertisements (RFC 4861 §6.3), RDNSS/DNSSL
 * (RFC 8106), and MLDv2 for a host (RFC 3810).  The tables it fills (the
 * addresses, routers, prefixes, groups and the link parameters) are the
 * interface's IPv6 state and live in src/ipv6 (ipv6_int.h), which reads
 * them for every packet; this module writes them there and sends through
 * zn__icmp6_send: it calls down, never up.
 */
#ifndef ZN_IPV6CONF_INT_H
#define ZN_IPV6CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "ipv6/ipv6_int.h"
#include "modules.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/timer.h"

/* An RDNSS address or a DNSSL domain (RFC 8106 §5). */
struct zn__ip6_dns {
  uint8_t a[16];           /* RDNSS */
  char name[256];          /* DNSSL, dotted, NUL-terminated */
  bool used;
  uint64_t expires;        /* ns; UINT64_MAX: infinite */
};

/* ipv6conf's own state in struct zn_stack; tables carved by cfg sizes.
 * One timer serves every deadline of the module (its own and those of the
 * entries it keeps in IPv6's tables): it is armed at the earliest of them
 * and each firing walks the (small, bounded) tables. */
struct zn__ip6conf {
  struct zn__ip6_dns *dns;       /* RDNSS: cfg.ipv6_dns_servers */
  struct zn__ip6_dns *search;    /* DNSSL: cfg.ipv6_dns_search */
  uint32_t ndns, nsearch;
  struct zn_timer timer;
  uint8_t secret[16];            /* RFC 7217 secret_key */
  bool running;                  /* started with cfg.ipv6, not disabled */
  bool disabled;                 /* RFC 4862 §5.4.5: duplicate link-local */
  uint8_t rs_sent;               /* router solicitations sent */
  bool rs_done;                  /* an RA came, or MAX_RTR_SOLICITATIONS */
  uint64_t rs_at;                /* next RS (ns); 0: none */
  uint64_t general_at;           /* general query answer; 0: none */
};

bool zn__ip6conf_config_ok(const struct zn_config *cfg);

size_t zn__ip6conf_mem_size(const struct zn_config *cfg);
void zn__ip6conf_init(struct zn_stack *st, void **mem);
/* After zn__ip6_start: link-local address, DAD, RS, MLD reports. */
void zn__ip6conf_start(struct zn_stack *st);
void zn__ip6conf_destroy(struct zn_stack *st);

/* The ICMPv6 messages this module takes (zn__icmp6_register at init),
 * b->data at the ICMPv6 header, checksum, hop limit and source already
 * checked by src/ipv6; each consumes b: router advertisement (134), MLD
 * query (130), reports and done (131, 132, 143: counted, ignored). */
void zn__ip6conf_ra_input(struct zn_stack *st, struct zn_buf *b,
                          const struct zn__inet_meta *m);
void zn__ip6conf_mld_input(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_meta *m);

/* Duplicate address detection (RFC 4862 §5.4.3, §5.4.4): neighbor
 * discovery saw an NS (from_unspecified: a DAD probe of another node) or
 * an NA whose target is our address.  zn__ip6conf_nd_event is the
 * listener registered at init (zn__nd_listen), which calls them. */
void zn__ip6conf_nd_event(struct zn_stack *st, enum zn__nd_event ev,
                          const uint8_t target[16]);
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

#endif
