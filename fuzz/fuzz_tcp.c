/*
 * TCP: the view and THE option parser against their contracts; options
 * written back (zn_tcp_seg_opts_emit) must parse to the same values; a
 * segment finished with zn_tcp_finish must verify; then the segment
 * through a stack's TCP input (a listener on ports 80 and 81, RST for
 * others).
 *
 * Input: flags (bit 0: fix the checksum), source and destination
 * addresses (4 bytes each) for the checksum, then the segment.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#define SYN_OPTS (ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS | ZN_TCP_OPTF_SACK_PERM)

static void check_opts(const struct zn_tcp_view *v) {
  struct zn_tcp_seg_opts o;
  memset(&o, 0xa5, sizeof(o));
  if (zn_tcp_seg_opts_parse(v, &o) != ZN_OK) {
    struct zn_tcp_seg_opts zero;
    memset(&zero, 0, sizeof(zero));
    FZ_CHECK(memcmp(&o, &zero, sizeof(o)) == 0);
    return;
  }
  FZ_CHECK((o.present & ~0x1fu) == 0);
  FZ_CHECK(o.nsack <= ZN_TCP_MAX_SACK);
  FZ_CHECK((o.nsack > 0) == ((o.present & ZN_TCP_OPTF_SACK) != 0));
  if (!(o.present & ZN_TCP_OPTF_MSS))
    FZ_CHECK(o.mss == 0);
  if (!(o.present & ZN_TCP_OPTF_TS))
    FZ_CHECK(o.tsval == 0 && o.tsecr == 0);
  /* Written back in Linux's layout and parsed again. */
  uint8_t seg[ZN_TCP_MAX_HDR_LEN];
  memset(seg, 0, sizeof(seg));
  size_t optlen = zn_tcp_seg_opts_emit(seg + ZN_TCP_HDR_LEN, &o);
  FZ_CHECK(optlen <= ZN_TCP_MAX_OPT_LEN && optlen % 4 == 0);
  zn_tcp_emit(seg, 1, 2, 3, 4, ZN_TCP_ACK, 5, optlen);
  struct zn_tcp_view w;
  FZ_CHECK(zn_tcp_view_init(&w, seg, ZN_TCP_HDR_LEN + optlen) == ZN_OK);
  struct zn_tcp_seg_opts o2;
  FZ_CHECK(zn_tcp_seg_opts_parse(&w, &o2) == ZN_OK);
  bool syn_layout = (o.present & SYN_OPTS) != 0;
  uint8_t keep = (uint8_t)(SYN_OPTS | ZN_TCP_OPTF_TS);
  FZ_CHECK((o2.present & keep) == (o.present & keep));
  FZ_CHECK(o2.mss == o.mss && o2.wscale == o.wscale);
  FZ_CHECK(o2.tsval == o.tsval && o2.tsecr == o.tsecr);
  if (syn_layout) {
    FZ_CHECK(o2.nsack == 0);
  } else {
    unsigned room = (o.present & ZN_TCP_OPTF_TS) ? 3u : 4u;
    unsigned want = o.nsack < room ? o.nsack : room;
    FZ_CHECK(o2.nsack == want);
    for (unsigned i = 0; i < want; i++)
      FZ_CHECK(o2.sack[i].left == o.sack[i].left &&
               o2.sack[i].right == o.sack[i].right);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_msg msg;
  fz_msg_input(&msg, data, size, true);
  const uint8_t *d = msg.p;
  size_t n = msg.len;
  uint32_t src = msg.src, dst = msg.dst;
  struct zn_tcp_view v;
  if (zn_tcp_view_init(&v, d, n) == ZN_OK) {
    FZ_CHECK(v.len == n && v.hdr_len >= ZN_TCP_HDR_LEN &&
             v.hdr_len <= ZN_TCP_MAX_HDR_LEN && v.hdr_len <= n);
    FZ_CHECK(v.hdr_len == (size_t)(d[12] >> 4) * 4);
    FZ_CHECK(v.sport == zn_rd16(d) && v.dport == zn_rd16(d + 2) &&
             v.seq == zn_rd32(d + 4) && v.ack == zn_rd32(d + 8) &&
             v.flags == d[13] && v.win == zn_rd16(d + 14));
    FZ_CHECK(zn_tcp_payload(&v) + zn_tcp_payload_len(&v) == d + n);
    check_opts(&v);
    if (n <= ZN_IPV4_MAX_LEN) {
      uint8_t *c = malloc(n);
      if (c) {
        memcpy(c, d, n);
        zn_tcp_finish(c, n, src, dst);
        struct zn_tcp_view w;
        FZ_CHECK(zn_tcp_view_init(&w, c, n) == ZN_OK &&
                 zn_tcp_csum_ok(&w, src, dst));
        free(c);
      }
    }
  } else {
    FZ_CHECK(n < ZN_TCP_HDR_LEN || (d[12] >> 4) < 5 ||
             (size_t)(d[12] >> 4) * 4 > n);
  }
  struct fz_solo s;
  fz_solo_init(&s);
  fz_solo_feed_ip(&s, ZN_IPPROTO_TCP, d, n, msg.fix);
  fz_solo_free(&s);
  return 0;
}
