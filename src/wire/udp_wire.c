/* UDP header view and emit (RFC 768). */
#include "znet/err.h"
#include "znet/wire.h"

int zn_udp_view_init(struct zn_udp_view *v, const uint8_t *p, size_t len) {
  if (len < ZN_UDP_HEADER_LEN)
    return ZN_ETRUNCATED;
  size_t ulen = zn_rd16(p + 4);
  if (ulen < ZN_UDP_HEADER_LEN || ulen > len)
    return ZN_ERANGE;
  v->p = p;
  v->len = ulen;
  v->sport = zn_rd16(p);
  v->dport = zn_rd16(p + 2);
  v->csum = zn_rd16(p + 6);
  return ZN_OK;
}

bool zn_udp_csum_ok(const struct zn_udp_view *v, uint32_t src, uint32_t dst) {
  if (v->csum == 0)
    return true;
  return zn_udp_csum_ok_psum(
      v, zn_csum_pseudo(src, dst, ZN_IPPROTO_UDP, (uint16_t)v->len));
}

bool zn_udp_csum_ok_psum(const struct zn_udp_view *v, uint32_t psum) {
  if (v->csum == 0)
    return true;
  return zn_csum_fold(zn_csum_add(psum, v->p, v->len)) == 0;
}

size_t zn_udp_emit(uint8_t *p, uint16_t sport, uint16_t dport, size_t len,
                   uint32_t src, uint32_t dst) {
  return zn_udp_emit_psum(
      p, sport, dport, len,
      zn_csum_pseudo(src, dst, ZN_IPPROTO_UDP, (uint16_t)len));
}

size_t zn_udp_emit_psum(uint8_t *p, uint16_t sport, uint16_t dport,
                        size_t len, uint32_t psum) {
  zn_wr16(p, sport);
  zn_wr16(p + 2, dport);
  zn_wr16(p + 4, (uint16_t)len);
  zn_wr16(p + 6, 0);
  uint16_t c = zn_csum_fold(zn_csum_add(psum, p, len));
  zn_wr16(p + 6, c == 0 ? 0xffff : c);
  return ZN_UDP_HEADER_LEN;
}
