/*
 * IPv6 host configuration: placeholder until src/ipv6conf lands (issue
 * 15).  The address table is real; nothing fills it yet.
 */
#include <string.h>

#include "core/stack_int.h"
#include "ipv6conf/ipv6conf_int.h"
#include "znet/err.h"

size_t zn__ip6conf_mem_size(const struct zn_config *cfg) {
  (void)cfg;
  return 0;
}

void zn__ip6conf_init(struct zn_stack *st, void **mem) {
  (void)mem;
  memset(&st->ip6conf, 0, sizeof(st->ip6conf));
}

void zn__ip6conf_start(struct zn_stack *st) { (void)st; }

void zn__ip6conf_destroy(struct zn_stack *st) { (void)st; }

const struct zn__ip6_addr *zn__ip6conf_addr_find(const struct zn_stack *st,
                                                 const uint8_t a[16]) {
  for (uint32_t i = 0; i < ZN__IP6CONF_ADDRS; i++) {
    const struct zn__ip6_addr *e = &st->ip6conf.addr[i];
    if (e->state != ZN__A6_FREE && memcmp(e->a, a, 16) == 0)
      return e;
  }
  return NULL;
}

const struct zn__ip6_addr *zn__ip6conf_addr_at(const struct zn_stack *st,
                                               uint32_t i) {
  return i < ZN__IP6CONF_ADDRS ? &st->ip6conf.addr[i] : NULL;
}

uint32_t zn__ip6conf_addr_count(const struct zn_stack *st) {
  (void)st;
  return ZN__IP6CONF_ADDRS;
}

int zn__ip6conf_next_hop(struct zn_stack *st, const uint8_t dst[16],
                         uint8_t out[16]) {
  (void)st;
  (void)dst;
  (void)out;
  return ZN_EHOSTUNREACH;
}

void zn__ip6conf_router_lost(struct zn_stack *st, const uint8_t ip[16]) {
  (void)st;
  (void)ip;
}

uint8_t zn__ip6conf_hop_limit(const struct zn_stack *st) {
  (void)st;
  return 64;
}

uint32_t zn__ip6conf_link_mtu(const struct zn_stack *st) {
  return st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
}

uint32_t zn__ip6conf_reachable_ms(const struct zn_stack *st) {
  (void)st;
  return 30000; /* RFC 4861 §10 REACHABLE_TIME */
}

uint32_t zn__ip6conf_retrans_ms(const struct zn_stack *st) {
  (void)st;
  return 1000; /* RFC 4861 §10 RETRANS_TIMER */
}

void zn__ip6conf_ra_input(struct zn_stack *st, struct zn_buf *b,
                          const struct zn__inet_meta *m) {
  (void)st;
  (void)m;
  zn_buf_free(b);
}

void zn__ip6conf_mld_input(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_meta *m) {
  (void)st;
  (void)m;
  zn_buf_free(b);
}

void zn__ip6conf_dad_ns(struct zn_stack *st, const uint8_t target[16],
                        bool from_unspecified) {
  (void)st;
  (void)target;
  (void)from_unspecified;
}

void zn__ip6conf_dad_na(struct zn_stack *st, const uint8_t target[16]) {
  (void)st;
  (void)target;
}

bool zn__ip6conf_mcast_joined(const struct zn_stack *st, const uint8_t g[16]) {
  (void)st;
  (void)g;
  return false;
}
