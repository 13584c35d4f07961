/* IPv6 frame builders and probes shared by the IPv6 protocol tests. */
#ifndef TESTS_PROTO6_UTIL_H
#define TESTS_PROTO6_UTIL_H

#include "core/stack_int.h"
#include "internals.h"
#include "ipv6/ipv6_int.h"
#include "proto_util.h"

static const uint8_t LL_A[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t LL_B[16] = {0xfe, 0x80, [15] = 2};
static const uint8_t ALL_NODES6[16] = {0xff, 2, [15] = 1};

static inline void cfg6(struct zn_config *c, uint8_t last) {
  cfg_quiet(c, ZN_IPV4(10, 0, 0, last), last);
  c->ipv6 = true;
  c->ipv6_dad_transmits = 0; /* static addresses usable at once */
}

static inline void add6(struct zn_stack *st, const uint8_t a[16],
                        uint8_t prefix) {
  struct zn_ip ip = zn_ip_from_v6(a);
  ZT_EQ(zn_stack_add_ipv6(st, &ip, prefix), ZN_OK);
}

/* Stacks A and B over memlink with IPv6 on, holding addresses a and b
 * (/64), usable at once. */
static inline void pair6(struct th_pair *p, const uint8_t a[16],
                         const uint8_t b[16]) {
  struct zn_config ca, cb;
  cfg6(&ca, 1);
  cfg6(&cb, 2);
  th_pair_init(p, &ca, &cb);
  if (!p->a || !p->b)
    return;
  add6(p->a, a, 64);
  add6(p->b, b, 64);
}

/* Stack B (fe80::2) alone on a link; the test plays A (fe80::1). */
static inline void solo6(struct solo *s, struct zn_config *c) {
  solo_init(s, c);
  if (!s->st)
    return;
  add6(s->st, LL_B, 64);
  zn_stack_poll(s->st, 0);
}

/* B learns A's MAC (as from an NS), so its answers go out at once. */
static inline void know_a(struct solo *s) {
  zn__nd_learn(s->st, LL_A, MAC_A, false);
}

/* Ethernet (from A) + IPv6 header + plen payload bytes. */
static inline size_t mk6(uint8_t *f, const uint8_t *dmac, const uint8_t *src,
                         const uint8_t *dst, uint8_t nxt, uint8_t hlim,
                         const uint8_t *pl, size_t plen) {
  zn_eth_emit(f, dmac, MAC_A, ZN_ETHERTYPE_IPV6);
  struct zn_ipv6_hdr h = {0};
  h.plen = (uint16_t)plen;
  h.nxt = nxt;
  h.hlim = hlim;
  memcpy(h.src, src, 16);
  memcpy(h.dst, dst, 16);
  zn_ipv6_emit(f + 14, &h);
  memcpy(f + 54, pl, plen);
  return 54 + plen;
}

static inline void csum6(uint8_t *m, size_t len, const uint8_t *src,
                         const uint8_t *dst) {
  zn_icmp6_finish(m, len,
                  zn_csum_pseudo6(src, dst, (uint32_t)len, ZN_IPPROTO_ICMPV6));
}

/* An echo request of dlen data bytes from src to dst. */
static inline size_t mk_echo6(uint8_t *m, uint16_t id, uint16_t seq,
                              size_t dlen, const uint8_t *src,
                              const uint8_t *dst) {
  zn_icmp6_emit(m, ZN_ICMP6_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq);
  for (size_t i = 0; i < dlen; i++)
    m[8 + i] = (uint8_t)(i * 7 + 3);
  csum6(m, 8 + dlen, src, dst);
  return 8 + dlen;
}

/* The next frame sent that is ICMPv6 (right after the fixed header) of
 * type `type`, others popped and freed; NULL if none.  *iv views it. */
static inline struct zn_buf *pop_icmp6(struct solo *s, uint8_t type,
                                       struct zn_icmp6_view *iv) {
  struct zn_buf *b;
  while ((b = sent_pop(&s->link.b)) != NULL) {
    if (b->len >= 62 && zn_rd16(b->data + 12) == ZN_ETHERTYPE_IPV6 &&
        b->data[14 + 6] == ZN_IPPROTO_ICMPV6 && b->data[54] == type &&
        zn_icmp6_view_init(iv, b->data + 54, b->len - 54) == ZN_OK)
      return b;
    zn_buf_free(b);
  }
  return NULL;
}

/* How many ICMPv6 messages of type `type` were sent (all popped). */
static inline int count_icmp6(struct solo *s, uint8_t type) {
  int n = 0;
  struct zn_icmp6_view iv;
  struct zn_buf *b;
  while ((b = pop_icmp6(s, type, &iv)) != NULL) {
    n++;
    zn_buf_free(b);
  }
  return n;
}

#endif
