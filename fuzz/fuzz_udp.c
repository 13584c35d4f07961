/*
 * UDP: the view against its contract, the checksum against the pseudo-
 * header (a header written back must verify), then the datagram through a
 * stack's UDP input (an echo socket on port 7, ICMP for other ports).
 *
 * Input: flags (bit 0: fix the checksum), source and destination
 * addresses (4 bytes each) for the checksum, then the datagram.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_msg msg;
  fz_msg_input(&msg, data, size, true);
  struct zn_udp_view v;
  int rc = zn_udp_view_init(&v, msg.p, msg.len);
  const uint8_t *d = msg.p;
  size_t n = msg.len;
  uint32_t src = msg.src, dst = msg.dst;
  if (rc == ZN_OK) {
    FZ_CHECK(v.len >= ZN_UDP_HEADER_LEN && v.len <= n);
    FZ_CHECK(v.len == zn_rd16(d + 4) && v.sport == zn_rd16(d) &&
             v.dport == zn_rd16(d + 2) && v.csum == zn_rd16(d + 6));
    FZ_CHECK(zn_udp_payload(&v) + zn_udp_payload_len(&v) == d + v.len);
    if (v.csum == 0)
      FZ_CHECK(zn_udp_csum_ok(&v, src, dst));
    uint8_t *u = malloc(v.len);
    if (u) {
      memcpy(u, d, v.len);
      FZ_CHECK(zn_udp_emit(u, v.sport, v.dport, v.len, src, dst) ==
               ZN_UDP_HEADER_LEN);
      struct zn_udp_view w;
      FZ_CHECK(zn_udp_view_init(&w, u, v.len) == ZN_OK);
      FZ_CHECK(w.csum != 0 && zn_udp_csum_ok(&w, src, dst));
      free(u);
    }
  } else {
    FZ_CHECK(n < ZN_UDP_HEADER_LEN || zn_rd16(d + 4) < ZN_UDP_HEADER_LEN ||
             zn_rd16(d + 4) > n);
  }
  struct fz_solo s;
  fz_solo_init(&s);
  fz_solo_feed_ip(&s, ZN_IPPROTO_UDP, d, n, msg.fix);
  fz_solo_free(&s);
  return 0;
}
