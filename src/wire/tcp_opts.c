/*
 * THE loop over TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018): every
 * layout that zn__tcp_seg_opts_parse (wire_inline.h) does not read at once.
 * Each option is checked against the bytes left before it is read.  Out
 * of line, and apart from the inline bodies that call it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"

/* (Declared with the inline parser that calls it, wire_inline.h.) */
int zn__tcp_seg_opts_walk(const uint8_t *q, size_t len,
                          struct zn_tcp_seg_opts *o);

/* One option of known kind `kind` whose kind and length bytes are at q
 * and whose length optlen (2..bytes left) has been checked against the
 * header.  A wrong length, or a kind already seen, is ignored. */
static void take_opt(struct zn_tcp_seg_opts *o, const uint8_t *q,
                     size_t optlen) {
  size_t i, n;

  switch (q[0]) {
  case ZN_TCP_OPT_MSS:
    if (optlen != ZN_TCP_OPTLEN_MSS || (o->present & ZN_TCP_OPTF_MSS))
      return;
    o->mss = zn_rd16(q + 2);
    o->present |= ZN_TCP_OPTF_MSS;
    return;
  case ZN_TCP_OPT_WS:
    if (optlen != ZN_TCP_OPTLEN_WS || (o->present & ZN_TCP_OPTF_WS))
      return;
    o->wscale = q[2];
    o->present |= ZN_TCP_OPTF_WS;
    return;
  case ZN_TCP_OPT_SACK_PERM:
    if (optlen != ZN_TCP_OPTLEN_SACK_PERM)
      return;
    o->present |= ZN_TCP_OPTF_SACK_PERM;
    return;
  case ZN_TCP_OPT_TS:
    if (optlen != ZN_TCP_OPTLEN_TS || (o->present & ZN_TCP_OPTF_TS))
      return;
    o->tsval = zn_rd32(q + 2);
    o->tsecr = zn_rd32(q + 6);
    o->present |= ZN_TCP_OPTF_TS;
    return;
  case ZN_TCP_OPT_SACK:
    if ((optlen - 2) % 8 != 0 || (o->present & ZN_TCP_OPTF_SACK))
      return;
    n = (optlen - 2) / 8;
    if (n < 1 || n > ZN_TCP_MAX_SACK)
      return;
    for (i = 0; i < n; i++) {
      o->sack[i].left = zn_rd32(q + 2 + 8 * i);
      o->sack[i].right = zn_rd32(q + 6 + 8 * i);
    }
    o->nsack = (uint8_t)n;
    o->present |= ZN_TCP_OPTF_SACK;
    return;
  default:
    return; /* unknown kind: skipped by its length */
  }
}

/* The BSD loop (tcp_dooptions): EOL stops, NOP is one byte, every other
 * option has 2 <= optlen <= left, and only then are its bytes read. */
static int parse_opts(const uint8_t *q, size_t left,
                      struct zn_tcp_seg_opts *o) {
  size_t optlen;

  while (left > 0) {
    if (q[0] == ZN_TCP_OPT_EOL)
      break;
    if (q[0] == ZN_TCP_OPT_NOP) {
      q++;
      left--;
      continue;
    }
    if (left < 2)
      return ZN_EMALFORMED;
    optlen = q[1];
    if (optlen < 2 || optlen > left)
      return ZN_EMALFORMED;
    take_opt(o, q, optlen);
    q += optlen;
    left -= optlen;
  }
  return ZN_OK;
}

int zn__tcp_seg_opts_walk(const uint8_t *q, size_t len,
                          struct zn_tcp_seg_opts *o) {
  int err = parse_opts(q, len, o);
  if (err != ZN_OK) /* nothing half-parsed for the caller to use */
    memset(o, 0, offsetof(struct zn_tcp_seg_opts, sack));
  return err;
}
