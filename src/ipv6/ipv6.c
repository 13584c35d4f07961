/*
 * IPv6 layer: placeholder until src/ipv6 lands (issue 15).  The stack has
 * no IPv6 address, so nothing is sent and nothing is accepted; EtherType
 * 0x86DD is not yet dispatched here by src/eth.
 */
#include "core/stack_int.h"
#include "ipv6/ipv6_int.h"
#include "znet/err.h"

size_t zn__ip6_mem_size(const struct zn_config *cfg) {
  (void)cfg;
  return 0;
}

void zn__ip6_init(struct zn_stack *st, void **mem) {
  (void)mem;
  st->ip6.up = false;
}

void zn__ip6_start(struct zn_stack *st) { (void)st; }

void zn__ip6_destroy(struct zn_stack *st) { (void)st; }

void zn__ip6_input(struct zn_stack *st, struct zn_buf *b, bool link_mcast) {
  (void)link_mcast;
  ZN_STAT_INC(st, eth_drop_type);
  zn_buf_free(b);
}

bool zn__ip6_mac_accepted(const struct zn_stack *st, const uint8_t mac[6]) {
  (void)st;
  (void)mac;
  return false;
}

int zn__ip6_output(struct zn_stack *st, struct zn_buf *b,
                   const struct zn__inet_tx *tx) {
  (void)st;
  (void)tx;
  zn_buf_free(b);
  return ZN_EADDRNOTAVAIL;
}

int zn__ip6_select_source(struct zn_stack *st, const uint8_t dst[16],
                          uint8_t out[16]) {
  (void)st;
  (void)dst;
  (void)out;
  return ZN_EADDRNOTAVAIL;
}

bool zn__ip6_is_local(const struct zn_stack *st, const uint8_t a[16]) {
  (void)st;
  (void)a;
  return false;
}

uint32_t zn__ip6_path_mtu(struct zn_stack *st, const uint8_t dst[16]) {
  (void)st;
  (void)dst;
  return 1280;
}

void zn__icmp6_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                                const struct zn__inet_meta *m) {
  (void)st;
  (void)b;
  (void)m;
}

void zn__nd_learn(struct zn_stack *st, const uint8_t ip[16],
                  const uint8_t mac[6], bool is_router) {
  (void)st;
  (void)ip;
  (void)mac;
  (void)is_router;
}
