/*
 * IPv4: both views (whole datagram, quoted) against their contracts, a
 * 20-byte header written back from its fields (equal to the input when
 * its checksum is right), then the datagram through a stack's IPv4 input
 * (options, fragments, reassembly, the transports).
 *
 * Input: one flags byte (bit 0: fix the checksums), then the datagram.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_msg msg;
  fz_msg_input(&msg, data, size, false);
  const uint8_t *d = msg.p;
  size_t n = msg.len;
  struct zn_ipv4_view v, q;
  int rc = zn_ipv4_view_init(&v, d, n);
  int rq = zn_ipv4_view_init_quoted(&q, d, n);
  if (rc == ZN_OK) {
    FZ_CHECK(rq == ZN_OK); /* a whole datagram is a valid quote */
    FZ_CHECK(v.hdr_len >= ZN_IPV4_HDR_LEN && v.hdr_len <= ZN_IPV4_MAX_HDR_LEN);
    FZ_CHECK(v.hdr_len <= v.tot_len && v.tot_len <= n && v.len == v.tot_len);
    FZ_CHECK(zn_ipv4_payload(&v) + zn_ipv4_payload_len(&v) == d + v.tot_len);
    if (v.hdr_len == ZN_IPV4_HDR_LEN && zn_ipv4_csum_ok(&v)) {
      struct zn_ipv4_hdr h = {.tos = v.tos, .ttl = v.ttl, .proto = v.proto,
                              .id = v.id, .frag = v.frag,
                              .tot_len = (uint16_t)v.tot_len,
                              .src = v.src, .dst = v.dst};
      uint8_t out[ZN_IPV4_HDR_LEN];
      FZ_CHECK(zn_ipv4_emit(out, &h) == sizeof(out));
      /* The checksum field may be 0x0000 or 0xffff for the same sum. */
      FZ_CHECK(memcmp(out, d, 10) == 0 && memcmp(out + 12, d + 12, 8) == 0);
    }
  }
  if (rq == ZN_OK) {
    FZ_CHECK(q.hdr_len >= ZN_IPV4_HDR_LEN && q.hdr_len <= q.len);
    FZ_CHECK(q.len <= n && q.len <= q.tot_len);
    FZ_CHECK(zn_ipv4_payload_len(&q) == q.len - q.hdr_len);
  }
  struct fz_solo s;
  fz_solo_init(&s);
  uint8_t *f = malloc(ZN_ETH_HDR_LEN + n);
  if (f) {
    zn_eth_emit(f, zn_stack_mac(s.st), (const uint8_t *)"\2\0\0\0\0\1",
                ZN_ETHERTYPE_IPV4);
    if (n)
      memcpy(f + ZN_ETH_HDR_LEN, d, n);
    if (msg.fix)
      fz_fix_checksums(f, ZN_ETH_HDR_LEN + n);
    fz_solo_inject(&s, f, ZN_ETH_HDR_LEN + n);
    free(f);
  }
  /* Past the reassembly timeout, so held fragments are counted. */
  fz_solo_run(&s, ZN_SEC(5));
  fz_solo_free(&s);
  return 0;
}
