/*
 * IPv6 (src/wire/ipv6_wire.c): the fixed-header view against its contract, the
 * header written back from its fields equal to the input, the walk of the
 * extension-header chain (headers contiguous from byte 40, inside the
 * view, within the bounds; an error's pointer inside the datagram or just
 * past it), the options of every hop-by-hop and destination options
 * header walked (each inside its header, in order), the address helpers
 * on the two addresses and the pseudo-header sum against its byte layout;
 * then the datagram into a stack with IPv6 on (feed_stack), whose
 * accounting and leak checks must hold.
 *
 * Input: an IPv6 datagram (no link header).
 */
#include <string.h>

#include "fuzz_util.h"

/* The options of the header at h: every one inside it, in order. */
static void check_options(const struct zn_ipv6_view *v,
                          const struct zn_ipv6_ext *h) {
  struct zn_ipv6_opt_iter it;
  FZ_CHECK(zn_ipv6_opts_init(&it, v, h->off) == ZN_OK);
  size_t last = h->off + 1, rounds = 0;
  struct zn_ipv6_opt o;
  int rc;
  while ((rc = zn_ipv6_opts_next(&it, &o)) == 1) {
    FZ_CHECK(++rounds <= h->len / 2);
    FZ_CHECK(o.off > last && o.off + 2 + o.len <= (size_t)h->off + h->len);
    FZ_CHECK(o.data == v->p + o.off + 2);
    FZ_CHECK(o.type != ZN_IPV6_OPT_PAD1 && o.type != ZN_IPV6_OPT_PADN);
    last = o.off;
  }
  FZ_CHECK(rc == 0 || rc == ZN_ETRUNCATED);
  FZ_CHECK(zn_ipv6_opts_next(&it, &o) == 0); /* stays at the end */
}

static void check_chain(const struct zn_ipv6_view *v) {
  struct zn_ipv6_chain w;
  int rc = zn_ipv6_chain_walk(v, &w);
  if (rc != ZN_OK) {
    FZ_CHECK(rc == ZN_EPROTO || rc == ZN_ETRUNCATED || rc == ZN_ENOENT ||
             rc == ZN_EMALFORMED || rc == ZN_ERANGE || rc == ZN_EEXIST);
    FZ_CHECK(w.err_ptr <= v->len && w.err_code <= ZN_ICMPV6_PARAM_CHAIN);
    return;
  }
  FZ_CHECK(w.n <= ZN_IPV6_CHAIN_MAX_HDRS);
  size_t end = ZN_IPV6_HDR_LEN;
  for (size_t i = 0; i < w.n; i++) {
    const struct zn_ipv6_ext *h = &w.hdr[i];
    FZ_CHECK(h->off == end && h->len >= 8 && h->len % 8 == 0);
    FZ_CHECK(h->type != ZN_IPPROTO_HOPOPTS || i == 0);
    end += h->len;
    FZ_CHECK(end <= v->len);
    if (h->type == ZN_IPPROTO_HOPOPTS || h->type == ZN_IPPROTO_DSTOPTS)
      check_options(v, h);
  }
  FZ_CHECK(end - ZN_IPV6_HDR_LEN <= ZN_IPV6_CHAIN_MAX_LEN);
  FZ_CHECK(w.off == end && w.off <= v->len);
  if (w.end == ZN_IPV6_END_FRAGMENT)
    FZ_CHECK(w.has_frag && w.frag_offset != 0);
  if (w.has_frag)
    FZ_CHECK(w.frag_offset % 8 == 0 &&
             w.frag_atomic == (w.frag_offset == 0 && !w.frag_more));
  if (w.has_rh)
    FZ_CHECK(w.rh_off >= ZN_IPV6_HDR_LEN && w.rh_off < w.off);
}

static void check_addresses(const uint8_t *a) {
  uint8_t sn[16], mac[6];
  zn_ipv6_solicited_node(a, sn);
  FZ_CHECK(zn_ipv6_addr_is_mcast(sn) && zn_ipv6_mcast_scope(sn) == 2);
  FZ_CHECK(memcmp(sn + 13, a + 13, 3) == 0);
  zn_ipv6_mcast_mac(sn, mac);
  FZ_CHECK(mac[0] == 0x33 && mac[1] == 0x33 && zn_eth_is_mcast(mac));
  FZ_CHECK(!(zn_ipv6_addr_is_unspecified(a) && zn_ipv6_addr_is_loopback(a)));
  FZ_CHECK(!(zn_ipv6_addr_is_mcast(a) && zn_ipv6_addr_is_linklocal(a)));
}

/* The datagram into a stack with IPv6 on.  With the flow label's low bit
 * set it is first readdressed from fe80::1 to the stack's fe80::2 and an
 * ICMPv6 checksum fixed, so mutations get past the address checks. */
static void feed_stack(const uint8_t *data, const struct zn_ipv6_view *v) {
  static uint8_t buf[ZN_IPV6_HDR_LEN + 0xffff];
  static const uint8_t me[16] = {0xfe, 0x80, [15] = 2};
  static const uint8_t peer[16] = {0xfe, 0x80, [15] = 1};
  memcpy(buf, data, v->len);
  if (v->flow & 1) {
    struct zn_ipv6_view w6;
    struct zn_ipv6_chain w;
    memcpy(buf + 8, peer, 16);
    memcpy(buf + 24, me, 16);
    if (zn_ipv6_view_init(&w6, buf, v->len) == ZN_OK &&
        zn_ipv6_chain_walk(&w6, &w) == ZN_OK && w.end == ZN_IPV6_END_UPPER &&
        w.proto == ZN_IPPROTO_ICMPV6 && !w.has_frag && v->len - w.off >= 8)
      zn_icmp6_finish(buf + w.off, v->len - w.off,
                      zn_csum_pseudo6(peer, me, (uint32_t)(v->len - w.off),
                                      ZN_IPPROTO_ICMPV6));
  }
  struct fz_solo s;
  fz_solo_init6(&s);
  fz_solo_feed_l3(&s, ZN_ETHERTYPE_IPV6, buf, v->len);
  fz_solo_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct zn_ipv6_view v;
  if (zn_ipv6_view_init(&v, data, size) != ZN_OK)
    return 0;
  FZ_CHECK(v.len == ZN_IPV6_HDR_LEN + (size_t)v.plen && v.len <= size);
  FZ_CHECK(v.src == data + 8 && v.dst == data + 24 && v.flow <= 0xfffffu);
  FZ_CHECK(zn_ipv6_payload(&v) + zn_ipv6_payload_len(&v) == data + v.len);
  struct zn_ipv6_hdr h = {.tclass = v.tclass, .flow = v.flow,
                          .plen = v.plen, .nxt = v.nxt, .hlim = v.hlim};
  memcpy(h.src, v.src, 16);
  memcpy(h.dst, v.dst, 16);
  uint8_t out[ZN_IPV6_HDR_LEN];
  FZ_CHECK(zn_ipv6_emit(out, &h) == sizeof out);
  FZ_CHECK(memcmp(out, data, sizeof out) == 0);
  check_chain(&v);
  check_addresses(v.src);
  check_addresses(v.dst);
  uint8_t ph[40];
  memcpy(ph, data + 8, 32);
  zn_wr32(ph + 32, v.plen);
  memset(ph + 36, 0, 3);
  ph[39] = v.nxt;
  FZ_CHECK(zn_csum_fold(zn_csum_pseudo6(v.src, v.dst, v.plen, v.nxt)) ==
           zn_csum(ph, sizeof ph));
  feed_stack(data, &v);
  return 0;
}
