/*
 * IPv6 (RFC 8200): the checked view of the fixed header, the fixed header
 * written from its fields, address classification (RFC 4291, RFC 2464),
 * the walk of the extension-header chain and the iterator over the TLV
 * options of hop-by-hop and destination options headers.
 *
 * The view checks the fixed header and the payload length once.  The chain
 * walk then reads each extension header only after checking, in size_t
 * (offsets are at most 40 + 65535, far from wrapping), that it lies inside
 * the view; it stops after ZN_IPV6_CHAIN_MAX_HDRS headers, so its work is
 * bounded whatever the packet says.  Problems come back as an error and
 * the pointer and code an ICMPv6 parameter problem carries (RFC 4443 3.4);
 * whether to send one is the caller's policy.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"

int zn_ipv6_view_init(struct zn_ipv6_view *v, const uint8_t *p, size_t len) {
  return zn__ipv6_view_parse(v, p, len); /* wire_inline.h */
}

size_t zn_ipv6_emit(uint8_t *p, const struct zn_ipv6_hdr *h) {
  zn_wr32(p, (uint32_t)6 << 28 | (uint32_t)h->tclass << 20 |
                 (h->flow & 0xfffffu));
  zn_wr16(p + 4, h->plen);
  p[6] = h->nxt;
  p[7] = h->hlim;
  memcpy(p + 8, h->src, ZN_IPV6_ADDR_LEN);
  memcpy(p + 24, h->dst, ZN_IPV6_ADDR_LEN);
  return ZN_IPV6_HDR_LEN;
}

void zn_ipv6_solicited_node(const uint8_t a[16], uint8_t out[16]) {
  uint8_t low[3] = {a[13], a[14], a[15]}; /* out may alias a */
  memset(out, 0, 16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  memcpy(out + 13, low, 3);
}

void zn_ipv6_mcast_mac(const uint8_t a[16], uint8_t mac[6]) {
  mac[0] = 0x33;
  mac[1] = 0x33;
  memcpy(mac + 2, a + 12, 4);
}

bool zn_ipv6_is_ext_hdr(uint8_t nxt) {
  switch (nxt) {
  case ZN_IPPROTO_HOPOPTS:
  case ZN_IPPROTO_ROUTING:
  case ZN_IPPROTO_FRAGMENT:
  case ZN_IPPROTO_ESP:
  case ZN_IPPROTO_AH:
  case ZN_IPPROTO_DSTOPTS:
  case ZN_IPPROTO_MOBILITY:
  case ZN_IPPROTO_HIP:
  case ZN_IPPROTO_SHIM6:
  case ZN_IPPROTO_EXP1:
  case ZN_IPPROTO_EXP2:
    return true;
  default:
    return false;
  }
}

/* The extension headers zn_eth_ipv6_locate steps over: those a sender
 * puts before the upper-layer header with the generic length format. */
static bool locate_skips(uint8_t nxt) {
  return nxt == ZN_IPPROTO_HOPOPTS || nxt == ZN_IPPROTO_ROUTING ||
         nxt == ZN_IPPROTO_DSTOPTS;
}

bool zn_eth_ipv6_locate(const uint8_t *f, size_t len, size_t *ip, size_t *l4,
                        uint8_t *proto) {
  size_t l2 = ZN_ETH_HDR_LEN;
  if (len < l2 + ZN_IPV6_HDR_LEN)
    return false;
  uint16_t type = zn_rd16(f + 12);
  if (type == ZN_ETHERTYPE_VLAN) {
    l2 += 4;
    if (len < l2 + ZN_IPV6_HDR_LEN)
      return false;
    type = zn_rd16(f + 16);
  }
  if (type != ZN_ETHERTYPE_IPV6 || (f[l2] >> 4) != 6)
    return false;
  uint8_t nxt = f[l2 + 6];
  size_t off = l2 + ZN_IPV6_HDR_LEN;
  /* Each step is at least 8 bytes into a frame of len: bounded. */
  while (locate_skips(nxt)) {
    if (len < off + 8)
      return false;
    nxt = f[off];
    off += ((size_t)f[off + 1] + 1) * 8;
  }
  if (len < off + 8)
    return false;
  *ip = l2;
  *l4 = off;
  *proto = nxt;
  return true;
}

bool zn_eth_ip_locate(const uint8_t *f, size_t len, size_t *ip, size_t *l4,
                      uint8_t *proto, bool *v6) {
  /* The EtherType (behind one VLAN tag) picks the one walk to try. */
  size_t t = len >= 18 && zn_rd16(f + 12) == ZN_ETHERTYPE_VLAN ? 16 : 12;
  *v6 = len >= t + 2 && zn_rd16(f + t) == ZN_ETHERTYPE_IPV6;
  return *v6 ? zn_eth_ipv6_locate(f, len, ip, l4, proto)
             : zn_eth_ipv4_locate(f, len, ip, l4, proto);
}

/* The headers the walk goes through: those with the generic length
 * format that carry nothing a stateless walk cannot read past. */
static bool walked(uint8_t nxt) {
  return nxt == ZN_IPPROTO_HOPOPTS || nxt == ZN_IPPROTO_DSTOPTS ||
         nxt == ZN_IPPROTO_ROUTING || nxt == ZN_IPPROTO_FRAGMENT;
}

static int problem(struct zn_ipv6_chain *w, int err, size_t ptr,
                   uint8_t code) {
  w->err_ptr = ptr;
  w->err_code = code;
  return err;
}

/* A first fragment (offset 0, more to come) must hold the whole chain and
 * the start of the upper-layer header (RFC 7112 5). */
static bool first_fragment(const struct zn_ipv6_chain *w) {
  return w->has_frag && w->frag_offset == 0 && w->frag_more;
}

/* A header that does not fit: the chain is cut by fragmentation (RFC
 * 7112) or the datagram is short. */
static int header_cut(struct zn_ipv6_chain *w, size_t off) {
  if (first_fragment(w))
    return problem(w, ZN_ENOENT, 0, ZN_ICMPV6_PARAM_CHAIN);
  return problem(w, ZN_ETRUNCATED, off, ZN_ICMPV6_PARAM_HDR);
}

/* RFC 8200 4.5: the fields of the fragment header at off (8 bytes, known
 * to be inside the view).  A second fragment header is refused: it could
 * only be read after reassembling the first (RFC 8200 4.1: at most once),
 * and its offset would contradict the one reported. */
static int fragment_header(const struct zn_ipv6_view *v,
                           struct zn_ipv6_chain *w, size_t off) {
  const uint8_t *f = v->p + off;
  uint16_t offset = (uint16_t)(zn_rd16(f + 2) & 0xfff8u);
  bool more = (f[3] & 1) != 0;
  if (w->has_frag)
    return problem(w, ZN_EEXIST, off, ZN_ICMPV6_PARAM_HDR);
  /* Every fragment but the last carries a multiple of 8 bytes. */
  if (more && (v->len - off - 8) % 8 != 0)
    return problem(w, ZN_EMALFORMED, 4, ZN_ICMPV6_PARAM_HDR);
  w->has_frag = true;
  w->frag_offset = offset;
  w->frag_more = more;
  w->frag_id = zn_rd32(f + 4);
  w->frag_atomic = offset == 0 && !more;
  return ZN_OK;
}

/* How the walk ends at next header nxt, at offset off. */
static int chain_end(const struct zn_ipv6_view *v, struct zn_ipv6_chain *w,
                     uint8_t nxt, size_t off) {
  w->proto = nxt;
  w->off = off;
  /* TCP, UDP and ICMPv6, nearly every datagram, skip the table. */
  bool common = nxt == ZN_IPPROTO_TCP || nxt == ZN_IPPROTO_UDP ||
                nxt == ZN_IPPROTO_ICMPV6;
  if (nxt == ZN_IPPROTO_NONE)
    w->end = ZN_IPV6_END_NONE;
  else if (!common && zn_ipv6_is_ext_hdr(nxt))
    w->end = ZN_IPV6_END_EXT;
  else
    w->end = ZN_IPV6_END_UPPER;
  if (w->end != ZN_IPV6_END_NONE && off >= v->len && first_fragment(w))
    return problem(w, ZN_ENOENT, 0, ZN_ICMPV6_PARAM_CHAIN);
  return ZN_OK;
}

int zn_ipv6_chain_walk(const struct zn_ipv6_view *v,
                       struct zn_ipv6_chain *w) {
  size_t off = ZN_IPV6_HDR_LEN; /* the header being looked at */
  size_t nxt_field = 6;         /* the next-header field that named it */
  uint8_t nxt = v->nxt;

  /* Everything but hdr[], whose first n entries the walk writes. */
  memset(w, 0, offsetof(struct zn_ipv6_chain, hdr));
  memset(&w->has_frag, 0,
         sizeof *w - offsetof(struct zn_ipv6_chain, has_frag));
  while (walked(nxt)) { /* at most ZN_IPV6_CHAIN_MAX_HDRS + 1 rounds */
    if (nxt == ZN_IPPROTO_HOPOPTS && off != ZN_IPV6_HDR_LEN)
      return problem(w, ZN_EPROTO, nxt_field, ZN_ICMPV6_PARAM_NXT);
    if (w->n == ZN_IPV6_CHAIN_MAX_HDRS)
      return problem(w, ZN_ERANGE, off, ZN_ICMPV6_PARAM_HDR);
    if (off + 2 > v->len)
      return header_cut(w, off);
    size_t hlen = nxt == ZN_IPPROTO_FRAGMENT
                      ? 8u
                      : ((size_t)v->p[off + 1] + 1u) * 8u;
    if (off + hlen > v->len)
      return header_cut(w, off);
    if (off + hlen - ZN_IPV6_HDR_LEN > ZN_IPV6_CHAIN_MAX_LEN)
      return problem(w, ZN_ERANGE, off, ZN_ICMPV6_PARAM_HDR);
    w->hdr[w->n].type = nxt;
    w->hdr[w->n].off = (uint16_t)off;
    w->hdr[w->n].len = (uint16_t)hlen;
    w->n++;
    if (nxt == ZN_IPPROTO_ROUTING && !w->has_rh) {
      w->has_rh = true;
      w->rh_type = v->p[off + 2];
      w->rh_segleft = v->p[off + 3];
      w->rh_off = off;
    }
    if (nxt == ZN_IPPROTO_FRAGMENT) {
      int err = fragment_header(v, w, off);
      if (err != ZN_OK)
        return err;
      /* Past a later fragment's header comes fragment data, no header. */
      if ((zn_rd16(v->p + off + 2) & 0xfff8u) != 0) {
        w->end = ZN_IPV6_END_FRAGMENT;
        w->proto = v->p[off];
        w->off = off + hlen;
        return ZN_OK;
      }
    }
    nxt_field = off;
    nxt = v->p[off];
    off += hlen;
  }
  return chain_end(v, w, nxt, off);
}

int zn_ipv6_opts_init(struct zn_ipv6_opt_iter *it,
                      const struct zn_ipv6_view *v, size_t off) {
  if (off > v->len || v->len - off < 2)
    return ZN_ETRUNCATED;
  size_t hlen = ((size_t)v->p[off + 1] + 1u) * 8u;
  if (hlen > v->len - off)
    return ZN_ETRUNCATED;
  it->p = v->p;
  it->pos = off + 2;
  it->end = off + hlen;
  return ZN_OK;
}

/* Each round moves pos forward by at least one byte toward end, so a
 * header of at most 2048 bytes bounds the loop. */
int zn_ipv6_opts_next(struct zn_ipv6_opt_iter *it, struct zn_ipv6_opt *o) {
  while (it->pos < it->end) {
    size_t pos = it->pos;
    uint8_t type = it->p[pos];
    if (type == ZN_IPV6_OPT_PAD1) {
      it->pos = pos + 1;
      continue;
    }
    if (it->end - pos < 2 || it->end - pos - 2 < it->p[pos + 1]) {
      it->pos = it->end;
      return ZN_ETRUNCATED;
    }
    uint8_t len = it->p[pos + 1];
    it->pos = pos + 2 + len;
    if (type == ZN_IPV6_OPT_PADN)
      continue;
    o->type = type;
    o->len = len;
    o->data = it->p + pos + 2;
    o->off = pos;
    return 1;
  }
  return 0;
}
