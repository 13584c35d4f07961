/*
 * ICMP: the view against its contract, the datagram an error quotes
 * parsed as a quote, the checksum written back verifying, then the
 * message through a stack's ICMP input (echo, errors to UDP and TCP).
 *
 * Input: one flags byte (bit 0: fix the checksum), then the message.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_msg msg;
  fz_msg_input(&msg, data, size, false);
  const uint8_t *d = msg.p;
  size_t n = msg.len;
  struct zn_icmp_view v;
  if (zn_icmp_view_init(&v, d, n) == ZN_OK) {
    FZ_CHECK(n >= ZN_ICMP_HDR_LEN && v.len == n);
    FZ_CHECK(v.type == d[0] && v.code == d[1]);
    FZ_CHECK(zn_icmp_body(&v) + zn_icmp_body_len(&v) == d + n);
    if (zn_icmp_is_error(v.type)) {
      struct zn_ipv4_view q;
      if (zn_ipv4_view_init_quoted(&q, zn_icmp_body(&v),
                                   zn_icmp_body_len(&v)) == ZN_OK)
        FZ_CHECK(q.len <= zn_icmp_body_len(&v) && q.hdr_len <= q.len);
    }
    uint8_t *m = malloc(n);
    if (m) {
      memcpy(m, d, n);
      zn_icmp_finish(m, n);
      struct zn_icmp_view w;
      FZ_CHECK(zn_icmp_view_init(&w, m, n) == ZN_OK && zn_icmp_csum_ok(&w));
      FZ_CHECK(zn_icmp_csum_ok(&v) == (zn_csum(d, n) == 0));
      free(m);
    }
  } else {
    FZ_CHECK(n < ZN_ICMP_HDR_LEN);
  }
  struct fz_solo s;
  fz_solo_init(&s);
  fz_solo_feed_ip(&s, ZN_IPPROTO_ICMP, d, n, msg.fix);
  fz_solo_free(&s);
  return 0;
}
