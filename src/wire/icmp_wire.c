/*
 * ICMP messages (RFC 792): the view, the checksum over the whole message,
 * and the 8-byte header.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/err.h"
#include "znet/wire.h"

int zn_icmp_view_init(struct zn_icmp_view *v, const uint8_t *p, size_t len) {
  if (len < ZN_ICMP_HDR_LEN)
    return ZN_ETRUNCATED;
  v->p = p;
  v->len = len;
  v->type = p[0];
  v->code = p[1];
  return ZN_OK;
}

bool zn_icmp_csum_ok(const struct zn_icmp_view *v) {
  return zn_csum(v->p, v->len) == 0;
}

/* The error messages of RFC 792 that carry the IP header and first 64 bits
 * of the offending datagram; an error is never sent about these (RFC 1122
 * 3.2.2). */
bool zn_icmp_is_error(uint8_t type) {
  switch (type) {
  case ZN_ICMP_DEST_UNREACH:
  case ZN_ICMP_SOURCE_QUENCH:
  case ZN_ICMP_REDIRECT:
  case ZN_ICMP_TIME_EXCEEDED:
  case ZN_ICMP_PARAM_PROBLEM:
    return true;
  default:
    return false;
  }
}

size_t zn_icmp_emit(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest) {
  p[0] = type;
  p[1] = code;
  zn_wr16(p + 2, 0);
  zn_wr32(p + 4, rest);
  return ZN_ICMP_HDR_LEN;
}

void zn_icmp_finish(uint8_t *p, size_t len) {
  zn_wr16(p + 2, 0);
  zn_wr16(p + 2, zn_csum(p, len));
}
