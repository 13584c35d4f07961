/*
 * ICMPv6 (RFC 4443), neighbor discovery messages and options (RFC 4861 4,
 * RFC 8106 5, nonce of RFC 3971 5.3.2) and MLDv2 (RFC 3810 5).
 *
 * Views start at the ICMPv6 header: the caller has walked the IPv6 header
 * chain, knows the upper-layer length and computes the pseudo-header sum
 * (src/wire has no IPv6 address type of its own here).  zn_icmp6_view_init
 * checks the 8-byte header; zn_nd_view_init and zn_mld2_query_view_init
 * check the fixed part of their type on top of it.  ND options are walked
 * by one iterator, zn_nd_opt_next, with the BSD invariants; everything
 * else that reads options (zn_nd_opts_parse, the decoders) goes through
 * it or through a zn_nd_opt it returned, whose len bytes are all inside
 * the message.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"

int zn_icmp6_view_init(struct zn_icmp6_view *v, const uint8_t *p,
                       size_t len) {
  if (len < ZN_ICMP6_HDR_LEN)
    return ZN_ETRUNCATED;
  v->p = p;
  v->len = len;
  v->type = p[0];
  v->code = p[1];
  return ZN_OK;
}

bool zn_icmp6_csum_ok(const struct zn_icmp6_view *v, uint32_t psum) {
  return zn_csum_fold(zn_csum_add(psum, v->p, v->len)) == 0;
}

size_t zn_icmp6_emit(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest) {
  p[0] = type;
  p[1] = code;
  zn_wr16(p + 2, 0);
  zn_wr32(p + 4, rest);
  return ZN_ICMP6_HDR_LEN;
}

void zn_icmp6_finish(uint8_t *p, size_t len, uint32_t psum) {
  zn_wr16(p + 2, 0);
  zn_wr16(p + 2, zn_csum_fold(zn_csum_add(psum, p, len)));
}

void zn_icmp6_echo_reply_in_place(uint8_t *p, size_t len, uint32_t psum) {
  p[0] = ZN_ICMP6_ECHO_REPLY;
  p[1] = 0;
  zn_icmp6_finish(p, len, psum);
}

/* ---- neighbor discovery messages ---------------------------------------- */

static size_t nd_fixed_len(uint8_t type) {
  switch (type) {
  case ZN_ICMP6_ND_RS:
    return ZN_ND_RS_LEN;
  case ZN_ICMP6_ND_RA:
    return ZN_ND_RA_LEN;
  case ZN_ICMP6_ND_NS:
  case ZN_ICMP6_ND_NA: /* ZN_ND_NA_LEN == ZN_ND_NS_LEN */
    return ZN_ND_NS_LEN;
  case ZN_ICMP6_ND_REDIRECT:
    return ZN_ND_REDIRECT_LEN;
  default:
    return 0;
  }
}

/* RFC 4861 8.1: the destination is not multicast, and the target is
 * link-local (a better router) or the destination itself (on-link). */
static bool redirect_addrs_ok(const uint8_t *target, const uint8_t *dest) {
  if (dest[0] == 0xff)
    return false;
  bool link_local = target[0] == 0xfe && (target[1] & 0xc0) == 0x80;
  return link_local || memcmp(target, dest, 16) == 0;
}

/* RFC 4861 6.1.1, 7.1.1, 8.1: the checks on the message's own bytes. */
int zn_nd_view_init(struct zn_nd_view *nd, const struct zn_icmp6_view *v) {
  size_t fixed = nd_fixed_len(v->type);
  if (fixed == 0)
    return ZN_EPROTO;
  if (v->code != 0)
    return ZN_EMALFORMED;
  if (v->len < fixed)
    return ZN_ETRUNCATED;
  const uint8_t *p = v->p;
  bool has_target = v->type == ZN_ICMP6_ND_NS || v->type == ZN_ICMP6_ND_NA;
  if (has_target && p[8] == 0xff)
    return ZN_EMALFORMED;
  if (v->type == ZN_ICMP6_ND_REDIRECT && !redirect_addrs_ok(p + 8, p + 24))
    return ZN_EMALFORMED;
  memset(nd, 0, sizeof *nd);
  nd->p = p;
  nd->len = v->len;
  nd->type = v->type;
  nd->opt_off = fixed;
  switch (v->type) {
  case ZN_ICMP6_ND_RA:
    nd->cur_hop_limit = p[4];
    nd->flags = p[5];
    nd->router_lifetime = zn_rd16(p + 6);
    nd->reachable_time = zn_rd32(p + 8);
    nd->retrans_timer = zn_rd32(p + 12);
    break;
  case ZN_ICMP6_ND_NA:
    nd->flags = p[4];
    nd->target = p + 8;
    break;
  case ZN_ICMP6_ND_NS:
    nd->target = p + 8;
    break;
  case ZN_ICMP6_ND_REDIRECT:
    nd->target = p + 8;
    nd->dest = p + 24;
    break;
  default:
    break;
  }
  return ZN_OK;
}

/* ---- THE ND option parser (RFC 4861 4.6) -------------------------------- */

void zn_nd_opt_iter_init(struct zn_nd_opt_iter *it,
                         const struct zn_nd_view *nd) {
  it->p = nd->p;
  it->len = nd->len;
  it->off = nd->opt_off;
}

int zn_nd_opt_next(struct zn_nd_opt_iter *it, struct zn_nd_opt *o) {
  if (it->off >= it->len)
    return ZN_ENOENT;
  size_t left = it->len - it->off;
  const uint8_t *q = it->p + it->off;
  if (left < 2)
    return ZN_EMALFORMED;
  size_t olen = (size_t)q[1] * 8u;
  if (olen == 0 || olen > left)
    return ZN_EMALFORMED;
  o->type = q[0];
  o->p = q;
  o->len = olen;
  it->off += olen;
  return ZN_OK;
}

const uint8_t *zn_nd_opt_lladdr_eth(const struct zn_nd_opt *o) {
  if (o->type != ZN_ND_OPT_SLLA && o->type != ZN_ND_OPT_TLLA)
    return NULL;
  if (o->len != 8)
    return NULL;
  return o->p + 2;
}

/* First one wins for the single-valued options: a second SLLA cannot
 * overwrite what the first taught (the same rule as the TCP options). */
static void opts_note(struct zn_nd_opts *s, const struct zn_nd_opt *o) {
  const uint8_t *ll = zn_nd_opt_lladdr_eth(o);
  uint32_t mtu;
  switch (o->type) {
  case ZN_ND_OPT_SLLA:
    if (ll && !s->slla)
      s->slla = ll;
    break;
  case ZN_ND_OPT_TLLA:
    if (ll && !s->tlla)
      s->tlla = ll;
    break;
  case ZN_ND_OPT_MTU:
    if (!s->has_mtu && zn_nd_opt_mtu(o, &mtu) == ZN_OK) {
      s->has_mtu = true;
      s->mtu = mtu;
    }
    break;
  case ZN_ND_OPT_NONCE:
    if (!s->nonce) {
      s->nonce = o->p + 2;
      s->nonce_len = o->len - 2;
    }
    break;
  case ZN_ND_OPT_PREFIX:
    s->n_prefix++;
    break;
  case ZN_ND_OPT_RDNSS:
    s->n_rdnss++;
    break;
  case ZN_ND_OPT_DNSSL:
    s->n_dnssl++;
    break;
  default:
    break; /* unknown: skipped by its length */
  }
}

int zn_nd_opts_parse(const struct zn_nd_view *nd, struct zn_nd_opts *o) {
  struct zn_nd_opt_iter it;
  struct zn_nd_opt opt;
  int rc;
  memset(o, 0, sizeof *o);
  zn_nd_opt_iter_init(&it, nd);
  /* Bounded: every step advances off by at least 8 bytes. */
  while ((rc = zn_nd_opt_next(&it, &opt)) == ZN_OK)
    opts_note(o, &opt);
  if (rc != ZN_ENOENT) {
    memset(o, 0, sizeof *o);
    return rc;
  }
  return ZN_OK;
}

int zn_nd_opt_prefix(const struct zn_nd_opt *o, struct zn_nd_prefix *pi) {
  if (o->type != ZN_ND_OPT_PREFIX)
    return ZN_EPROTO;
  if (o->len != 32 || o->p[2] > 128)
    return ZN_EMALFORMED;
  pi->prefix_len = o->p[2];
  pi->flags = o->p[3];
  pi->valid_lifetime = zn_rd32(o->p + 4);
  pi->preferred_lifetime = zn_rd32(o->p + 8);
  pi->prefix = o->p + 16;
  return ZN_OK;
}

int zn_nd_opt_mtu(const struct zn_nd_opt *o, uint32_t *mtu) {
  if (o->type != ZN_ND_OPT_MTU)
    return ZN_EPROTO;
  if (o->len != 8)
    return ZN_EMALFORMED;
  *mtu = zn_rd32(o->p + 4);
  return ZN_OK;
}

int zn_nd_opt_rdnss(const struct zn_nd_opt *o, uint32_t *lifetime,
                    size_t *naddr) {
  if (o->type != ZN_ND_OPT_RDNSS)
    return ZN_EPROTO;
  size_t units = o->len / 8u;
  if (units < 3 || units % 2 == 0)
    return ZN_EMALFORMED;
  *lifetime = zn_rd32(o->p + 4);
  *naddr = (units - 1) / 2;
  return ZN_OK;
}

/* One uncompressed name at body[*off..end): labels of 1..63 bytes, a zero
 * byte at its end, at most 255 bytes in all (RFC 1035 3.1).  Bounded: each
 * step advances *off by at least 1 within end. */
static bool dnssl_name(const uint8_t *body, size_t *off, size_t end) {
  size_t start = *off;
  size_t i = start;
  while (i < end) {
    size_t l = body[i];
    if (l == 0) {
      *off = i + 1;
      return i + 1 - start <= 255;
    }
    if (l > 63)
      return false; /* 0xc0 pointers and the reserved 0x40/0x80 forms */
    i += 1 + l;
    if (i - start > 255)
      return false;
  }
  return false;
}

int zn_nd_opt_dnssl(const struct zn_nd_opt *o, uint32_t *lifetime,
                    size_t *nnames) {
  if (o->type != ZN_ND_OPT_DNSSL)
    return ZN_EPROTO;
  if (o->len < 16)
    return ZN_EMALFORMED;
  size_t off = 8;
  size_t n = 0;
  /* A zero byte where a name would start is padding: the rest must be
   * zeros too (RFC 8106 5.2). */
  while (off < o->len && o->p[off] != 0) {
    if (!dnssl_name(o->p, &off, o->len))
      return ZN_EMALFORMED;
    n++;
  }
  for (; off < o->len; off++)
    if (o->p[off] != 0)
      return ZN_EMALFORMED;
  *lifetime = zn_rd32(o->p + 4);
  *nnames = n;
  return ZN_OK;
}

/* ---- ND builders -------------------------------------------------------- */

static size_t lladdr_opt_emit(uint8_t *p, uint8_t type, const uint8_t *ll) {
  p[0] = type;
  p[1] = 1;
  memcpy(p + 2, ll, ZN_ETH_ADDR_LEN);
  return 8;
}

size_t zn_nd_rs_emit(uint8_t *p, const uint8_t *slla) {
  size_t n = zn_icmp6_emit(p, ZN_ICMP6_ND_RS, 0, 0);
  if (slla)
    n += lladdr_opt_emit(p + n, ZN_ND_OPT_SLLA, slla);
  return n;
}

size_t zn_nd_ns_emit(uint8_t *p, const uint8_t target[16],
                     const uint8_t *slla) {
  size_t n = zn_icmp6_emit(p, ZN_ICMP6_ND_NS, 0, 0);
  memcpy(p + n, target, 16);
  n += 16;
  if (slla)
    n += lladdr_opt_emit(p + n, ZN_ND_OPT_SLLA, slla);
  return n;
}

size_t zn_nd_na_emit(uint8_t *p, uint8_t flags, const uint8_t target[16],
                     const uint8_t *tlla) {
  size_t n = zn_icmp6_emit(p, ZN_ICMP6_ND_NA, 0, (uint32_t)flags << 24);
  memcpy(p + n, target, 16);
  n += 16;
  if (tlla)
    n += lladdr_opt_emit(p + n, ZN_ND_OPT_TLLA, tlla);
  return n;
}

/* ---- MLDv2 (RFC 3810 5) ------------------------------------------------- */

uint32_t zn_mld2_decode_qqic(uint8_t code) {
  if (code < 128)
    return code;
  uint32_t mant = code & 0x0fu;
  unsigned exp = (code >> 4) & 0x07u;
  return (mant | 0x10u) << (exp + 3);
}

uint32_t zn_mld2_decode_mrc(uint16_t code) {
  if (code < 32768)
    return code;
  uint32_t mant = code & 0x0fffu;
  unsigned exp = (code >> 12) & 0x07u;
  return (mant | 0x1000u) << (exp + 3);
}

int zn_mld2_query_view_init(struct zn_mld2_query_view *q,
                            const struct zn_icmp6_view *v) {
  if (v->type != ZN_ICMP6_MLD_QUERY || v->len == ZN_MLD_QUERY_V1_LEN)
    return ZN_EPROTO;
  if (v->len < ZN_MLD2_QUERY_LEN)
    return ZN_ETRUNCATED;
  const uint8_t *p = v->p;
  uint16_t nsrc = zn_rd16(p + 26);
  size_t need = ZN_MLD2_QUERY_LEN + (size_t)nsrc * 16u;
  if (need > v->len)
    return ZN_ETRUNCATED;
  q->p = p;
  q->len = need;
  q->max_resp_ms = zn_mld2_decode_mrc(zn_rd16(p + 4));
  q->group = p + 8;
  q->s_flag = (p[24] & ZN_MLD2_FLAG_S) != 0;
  q->qrv = p[24] & 0x07u;
  q->qqi = zn_mld2_decode_qqic(p[25]);
  q->nsrc = nsrc;
  return ZN_OK;
}

size_t zn_mld2_report_emit(uint8_t *p, uint8_t rec_type,
                           const uint8_t (*groups)[16], size_t n) {
  size_t off = zn_icmp6_emit(p, ZN_ICMP6_MLD2_REPORT, 0, (uint32_t)n & 0xffffu);
  for (size_t i = 0; i < n; i++) {
    p[off] = rec_type;
    p[off + 1] = 0;          /* aux data len */
    zn_wr16(p + off + 2, 0); /* number of sources */
    memcpy(p + off + 4, groups[i], 16);
    off += 20;
  }
  return off;
}
