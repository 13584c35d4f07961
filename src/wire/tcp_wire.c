/*
 * TCP headers and options (RFC 9293 3.1, RFC 7323, RFC 2018): the checked
 * view, the checksum over the IPv4 pseudo-header, the one option parser,
 * and the header and options in Linux's layout.
 *
 * After zn_tcp_view_init() 20 <= hdr_len <= len, so the option parser may
 * read anywhere in [20, hdr_len) once it has checked each option against
 * the bytes left in that range; it never looks past hdr_len.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"

int zn_tcp_view_init(struct zn_tcp_view *v, const uint8_t *p, size_t len) {
  return zn__tcp_view_parse(v, p, len); /* wire_inline.h */
}

bool zn_tcp_csum_ok(const struct zn_tcp_view *v, uint32_t src, uint32_t dst) {
  uint32_t sum;

  /* The pseudo-header length is 16 bits; IPv4 cannot carry more. */
  if (v->len > 0xffffu)
    return false;
  sum = zn_csum_pseudo(src, dst, ZN_IPPROTO_TCP, (uint16_t)v->len);
  return zn_tcp_csum_ok_psum(v, sum);
}

bool zn_tcp_csum_ok_psum(const struct zn_tcp_view *v, uint32_t psum) {
  return zn__tcp_csum_ok_psum(v->p, v->len, psum);
}

/* The layouts nearly every segment carries are read at once by
 * zn__tcp_seg_opts_parse (wire_inline.h), the rest by the loop of
 * tcp_opts.c; here
 * the SACK blocks are cleared too, as the contract says. */
int zn_tcp_seg_opts_parse(const struct zn_tcp_view *v,
                          struct zn_tcp_seg_opts *o) {
  memset(o->sack, 0, sizeof o->sack);
  int err = zn__tcp_seg_opts_parse(v, o);
  if (err != ZN_OK)
    memset(o, 0, sizeof *o);
  return err;
}

static uint8_t *put_nop2(uint8_t *p) {
  p[0] = ZN_TCP_OPT_NOP;
  p[1] = ZN_TCP_OPT_NOP;
  return p + 2;
}

static uint8_t *put_ts(uint8_t *p, const struct zn_tcp_seg_opts *o) {
  p[0] = ZN_TCP_OPT_TS;
  p[1] = ZN_TCP_OPTLEN_TS;
  zn_wr32(p + 2, o->tsval);
  zn_wr32(p + 6, o->tsecr);
  return p + ZN_TCP_OPTLEN_TS;
}

/* The order of Linux's tcp_options_write(): MSS, then SACK_PERM and TS
 * sharing one 12-byte slot, then window scale; on other segments TS and
 * then SACK blocks, each padded to 4 bytes with leading NOPs.  The SYN
 * layout is at most 4 + 12 + 4 = 20 bytes, so only SACK blocks can make
 * the options overflow 40 bytes. */
size_t zn_tcp_seg_opts_emit(uint8_t *p, const struct zn_tcp_seg_opts *o) {
  const uint8_t syn_opts =
      ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS | ZN_TCP_OPTF_SACK_PERM;
  const bool ts = (o->present & ZN_TCP_OPTF_TS) != 0;
  uint8_t *q = p;
  size_t n, room;

  if (o->present & syn_opts) {
    if (o->present & ZN_TCP_OPTF_MSS) {
      q[0] = ZN_TCP_OPT_MSS;
      q[1] = ZN_TCP_OPTLEN_MSS;
      zn_wr16(q + 2, o->mss);
      q += ZN_TCP_OPTLEN_MSS;
    }
    if (ts && (o->present & ZN_TCP_OPTF_SACK_PERM)) {
      q[0] = ZN_TCP_OPT_SACK_PERM;
      q[1] = ZN_TCP_OPTLEN_SACK_PERM;
      q = put_ts(q + 2, o);
    } else if (ts) {
      q = put_ts(put_nop2(q), o);
    } else if (o->present & ZN_TCP_OPTF_SACK_PERM) {
      q = put_nop2(q);
      q[0] = ZN_TCP_OPT_SACK_PERM;
      q[1] = ZN_TCP_OPTLEN_SACK_PERM;
      q += 2;
    }
    if (o->present & ZN_TCP_OPTF_WS) {
      q[0] = ZN_TCP_OPT_NOP;
      q[1] = ZN_TCP_OPT_WS;
      q[2] = ZN_TCP_OPTLEN_WS;
      q[3] = o->wscale;
      q += 4;
    }
    return (size_t)(q - p);
  }

  if (ts)
    q = put_ts(put_nop2(q), o);
  /* Blocks that fit after TS: (40 - 12 - 4) / 8 = 3, else 36 / 8 = 4. */
  room = (ZN_TCP_MAX_OPT_LEN - (size_t)(q - p) - 4) / 8;
  n = o->nsack;
  if (n > ZN_TCP_MAX_SACK)
    n = ZN_TCP_MAX_SACK;
  if (n > room)
    n = room;
  if (n > 0) {
    q = put_nop2(q);
    q[0] = ZN_TCP_OPT_SACK;
    q[1] = (uint8_t)(2 + 8 * n);
    q += 2;
    for (size_t i = 0; i < n; i++, q += 8) {
      zn_wr32(q, o->sack[i].left);
      zn_wr32(q + 4, o->sack[i].right);
    }
  }
  return (size_t)(q - p);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NATIVE_BE 1
#else
#define NATIVE_BE 0
#endif

/* A big-endian 32-bit word as one native store.  (The header's fields
 * stored a byte at a time with zn_wr16/zn_wr32, GCC merged the stores
 * into one 16-byte value built a byte at a time: 90 instructions where
 * these five words take 25.) */
static void put_word(uint8_t *p, uint32_t v) {
  if (!NATIVE_BE)
    v = __builtin_bswap32(v);
  memcpy(p, &v, sizeof(v));
}

size_t zn_tcp_emit(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq,
                   uint32_t ack, uint8_t flags, uint16_t win, size_t optlen) {
  uint32_t doff = (uint32_t)((ZN_TCP_HDR_LEN + optlen) / 4) << 4;
  put_word(p, (uint32_t)sport << 16 | dport);
  put_word(p + 4, seq);
  put_word(p + 8, ack);
  put_word(p + 12, doff << 24 | (uint32_t)flags << 16 | win);
  put_word(p + 16, 0); /* checksum, urgent pointer */
  return ZN_TCP_HDR_LEN;
}

void zn_tcp_finish(uint8_t *p, size_t len, uint32_t src, uint32_t dst) {
  zn_tcp_finish_psum(p, len,
                     zn_csum_pseudo(src, dst, ZN_IPPROTO_TCP, (uint16_t)len));
}

void zn_tcp_finish_psum(uint8_t *p, size_t len, uint32_t psum) {
  zn_wr16(p + 16, 0);
  zn_wr16(p + 16, zn_csum_fold(zn_csum_add(psum, p, len)));
}

void zn_tcp_gso_segment(uint8_t *dst, const uint8_t *f, size_t ipoff,
                        size_t l4, size_t hdr, size_t off, size_t k, size_t i,
                        bool last) {
  memcpy(dst, f, hdr);
  memcpy(dst + hdr, f + hdr + off, k);
  uint8_t *ip = dst + ipoff;
  if ((f[ipoff] >> 4) == 6) { /* no ID, no header checksum */
    zn_wr16(ip + 4, (uint16_t)(hdr - ipoff - ZN_IPV6_HDR_LEN + k));
  } else {
    zn_wr16(ip + 2, (uint16_t)(hdr - ipoff + k));
    zn_wr16(ip + 4, (uint16_t)(zn_rd16(f + ipoff + 4) + i));
    zn_wr16(ip + 10, 0);
    zn_wr16(ip + 10, zn_csum(ip, l4 - ipoff));
  }
  uint8_t *th = dst + l4;
  zn_wr32(th + 4, zn_rd32(f + l4 + 4) + (uint32_t)off);
  uint8_t fl = f[l4 + 13];
  if (!last)
    fl &= (uint8_t) ~(ZN_TCP_FIN | ZN_TCP_PSH);
  if (i)
    fl &= (uint8_t)~ZN_TCP_CWR;
  th[13] = fl;
}
