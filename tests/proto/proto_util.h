/* Frame builders and probes shared by the protocol tests. */
#ifndef TESTS_PROTO_UTIL_H
#define TESTS_PROTO_UTIL_H

#include <string.h>

#include "harness.h"
#include "zt.h"

static const uint8_t MAC_A[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t MAC_B[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t MAC_X[6] = {2, 0, 0, 0, 0, 0x66};
#define IP_A ZN_IPV4(10, 0, 0, 1)
#define IP_B ZN_IPV4(10, 0, 0, 2)
#define IP_X ZN_IPV4(10, 0, 0, 66)

/* Hand st a frame made of `len` bytes. */
static inline void inject(struct zn_stack *st, const uint8_t *frame,
                          size_t len) {
  struct zn_buf *b = zn_stack_buf_alloc(st, len);
  if (!b) {
    zt_fail(__FILE__, __LINE__, "no buffer to inject");
    return;
  }
  memcpy(zn_buf_put(b, len), frame, len);
  zn_stack_input(st, b);
  zn_stack_flush(st); /* as the end of a poll would */
}

/* Build Ethernet + IPv4 header + payload into f; returns the frame length.
 * frag: flags|offset/8 as on the wire. */
static inline size_t mk_ip(uint8_t *f, const uint8_t *dmac,
                           const uint8_t *smac, uint32_t src, uint32_t dst,
                           uint8_t proto, uint16_t id, uint16_t frag,
                           const uint8_t *payload, size_t plen) {
  zn_eth_emit(f, dmac, smac, ZN_ETHERTYPE_IPV4);
  struct zn_ipv4_hdr h = {0};
  h.ttl = 64;
  h.proto = proto;
  h.id = id;
  h.frag = frag;
  h.tot_len = (uint16_t)(20 + plen);
  h.src = src;
  h.dst = dst;
  zn_ipv4_emit(f + 14, &h);
  memcpy(f + 34, payload, plen);
  return 34 + plen;
}

/* An ICMP echo request message of `dlen` data bytes (pattern i & 0xff). */
static inline size_t mk_echo(uint8_t *m, uint16_t id, uint16_t seq,
                             size_t dlen) {
  zn_icmp_emit(m, ZN_ICMP_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq);
  for (size_t i = 0; i < dlen; i++)
    m[8 + i] = (uint8_t)(i * 7 + 3);
  zn_icmp_finish(m, 8 + dlen);
  return 8 + dlen;
}

/* Frames the stack attached to link end `end` has sent, oldest first. */
static inline struct zn_buf *sent_pop(struct zn_memlink_end *peer) {
  return zn_bufq_pop(&peer->rxq);
}

static inline void sent_purge(struct zn_memlink_end *peer) {
  zn_bufq_purge(&peer->rxq);
}

/* One stack on a memlink whose other end nobody reads: what it sends
 * stays in link.b.rxq for the test to look at. */
struct solo {
  struct zn_memlink link;
  struct zn_stack *st;
};

static inline void solo_init(struct solo *s, struct zn_config *cfg) {
  zn_memlink_init(&s->link, 0, 1024);
  s->st = th_stack_new(cfg);
  if (s->st)
    zn_stack_attach(s->st, &s->link.a.nif);
}

static inline void solo_free(struct solo *s) {
  zn_memlink_purge(&s->link);
  th_stack_free(s->st);
}

/* Count frames queued toward the peer with EtherType `type` (0: any). */
static inline int sent_count(struct zn_memlink_end *peer, uint16_t type) {
  int n = 0;
  for (struct zn_buf *b = peer->rxq.head; b; b = b->next)
    if (type == 0 || (b->len >= 14 && zn_rd16(b->data + 12) == type))
      n++;
  return n;
}

/* A /24 config without the start-up announcements, so tests count only
 * the frames they cause. */
static inline void cfg_quiet(struct zn_config *c, uint32_t ip, uint8_t last) {
  th_config(c, ip, 24, last);
  c->arp_announce = false;
}

/* Stack B alone on a link, knowing A's MAC, so what it sends goes out at
 * once and can be inspected. */
static inline void solo_b(struct solo *s, struct zn_config *c) {
  solo_init(s, c);
  if (s->st) {
    zn_arp_add_static(s->st, IP_A, MAC_A);
    zn_stack_poll(s->st, 0);
  }
}

#endif
