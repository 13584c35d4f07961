/*
 * ICMPv6: the message view, the ND message views with THE ND option
 * parser and every option decoder, the MLDv2 query view, the checksum
 * written back verifying, and ND messages rebuilt from what was parsed
 * parsing to the same values.  No stack: nothing above src/wire speaks
 * IPv6 yet.
 *
 * Input: one byte (the pseudo-header sum is it times 0x01010101), then the
 * message from the ICMPv6 header on.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static bool inside(const uint8_t *q, size_t n, const uint8_t *p, size_t len) {
  return q >= p && n <= len && (size_t)(q - p) <= len - n;
}

/* Every option decoder on one option the parser returned. */
static void check_opt(const struct zn_nd_opt *o, const uint8_t *p,
                      size_t len) {
  FZ_CHECK(o->len >= 8 && o->len % 8 == 0 && inside(o->p, o->len, p, len));
  FZ_CHECK(o->type == o->p[0] && o->len == (size_t)o->p[1] * 8);
  const uint8_t *ll = zn_nd_opt_lladdr_eth(o);
  if (ll)
    FZ_CHECK(o->len == 8 && ll == o->p + 2);
  struct zn_nd_prefix pi;
  if (zn_nd_opt_prefix(o, &pi) == ZN_OK)
    FZ_CHECK(o->len == 32 && pi.prefix_len <= 128 &&
             inside(pi.prefix, 16, o->p, o->len));
  uint32_t u;
  size_t n;
  if (zn_nd_opt_mtu(o, &u) == ZN_OK)
    FZ_CHECK(o->len == 8 && u == zn_rd32(o->p + 4));
  if (zn_nd_opt_rdnss(o, &u, &n) == ZN_OK) {
    FZ_CHECK(n >= 1 && 8 + 16 * n == o->len);
    FZ_CHECK(inside(zn_nd_opt_rdnss_addr(o, n - 1), 16, o->p, o->len));
  }
  if (zn_nd_opt_dnssl(o, &u, &n) == ZN_OK)
    FZ_CHECK(o->len >= 16 && 2 * n <= o->len - 8);
}

/* Walk all options; returns the walk's end (ZN_ENOENT or an error). */
static int walk(const struct zn_nd_view *nd) {
  struct zn_nd_opt_iter it;
  struct zn_nd_opt o;
  size_t steps = 0;
  int rc;
  zn_nd_opt_iter_init(&it, nd);
  while ((rc = zn_nd_opt_next(&it, &o)) == ZN_OK) {
    check_opt(&o, nd->p, nd->len);
    FZ_CHECK(++steps <= nd->len / 8);
  }
  return rc;
}

/* RS, NS and NA rebuilt from their parsed values parse to them again. */
static void rebuild(const struct zn_nd_view *nd, const struct zn_nd_opts *o) {
  uint8_t m[32];
  size_t n;
  const uint8_t *ll = nd->type == ZN_ICMP6_ND_NA ? o->tlla : o->slla;
  uint8_t flags = nd->flags & (ZN_ND_NA_FLAG_R | ZN_ND_NA_FLAG_S |
                               ZN_ND_NA_FLAG_O);
  if (nd->type == ZN_ICMP6_ND_RS)
    n = zn_nd_rs_emit(m, ll);
  else if (nd->type == ZN_ICMP6_ND_NS)
    n = zn_nd_ns_emit(m, nd->target, ll);
  else if (nd->type == ZN_ICMP6_ND_NA)
    n = zn_nd_na_emit(m, flags, nd->target, ll);
  else
    return;
  FZ_CHECK(n <= sizeof m);
  struct zn_icmp6_view v;
  struct zn_nd_view nd2;
  struct zn_nd_opts o2;
  FZ_CHECK(zn_icmp6_view_init(&v, m, n) == ZN_OK);
  FZ_CHECK(zn_nd_view_init(&nd2, &v) == ZN_OK);
  FZ_CHECK(zn_nd_opts_parse(&nd2, &o2) == ZN_OK);
  FZ_CHECK(nd2.type == nd->type);
  if (nd->target)
    FZ_CHECK(memcmp(nd2.target, nd->target, 16) == 0);
  if (nd->type == ZN_ICMP6_ND_NA)
    FZ_CHECK(nd2.flags == flags);
  const uint8_t *ll2 = nd->type == ZN_ICMP6_ND_NA ? o2.tlla : o2.slla;
  FZ_CHECK((ll == NULL) == (ll2 == NULL));
  if (ll)
    FZ_CHECK(memcmp(ll, ll2, 6) == 0);
}

static void check_nd(const struct zn_icmp6_view *v) {
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  if (zn_nd_view_init(&nd, v) != ZN_OK)
    return;
  FZ_CHECK(v->code == 0 && nd.p == v->p && nd.len == v->len);
  FZ_CHECK(nd.opt_off >= 8 && nd.opt_off <= nd.len);
  if (nd.target)
    FZ_CHECK(inside(nd.target, 16, v->p, v->len));
  if (nd.type == ZN_ICMP6_ND_NS || nd.type == ZN_ICMP6_ND_NA)
    FZ_CHECK(nd.target[0] != 0xff);
  if (nd.dest)
    FZ_CHECK(inside(nd.dest, 16, v->p, v->len) && nd.dest[0] != 0xff &&
             (nd.target[0] == 0xfe || !memcmp(nd.target, nd.dest, 16)));
  int rc = zn_nd_opts_parse(&nd, &o);
  FZ_CHECK((rc == ZN_OK) == (walk(&nd) == ZN_ENOENT));
  if (rc != ZN_OK) {
    FZ_CHECK(rc == ZN_EMALFORMED && !o.slla && !o.tlla && !o.nonce);
    return;
  }
  if (o.slla)
    FZ_CHECK(inside(o.slla, 6, v->p, v->len));
  if (o.tlla)
    FZ_CHECK(inside(o.tlla, 6, v->p, v->len));
  if (o.nonce)
    FZ_CHECK(inside(o.nonce, o.nonce_len, v->p, v->len));
  rebuild(&nd, &o);
}

static void check_mld(const struct zn_icmp6_view *v) {
  struct zn_mld2_query_view q;
  if (zn_mld2_query_view_init(&q, v) != ZN_OK)
    return;
  FZ_CHECK(q.len == ZN_MLD2_QUERY_LEN + 16 * (size_t)q.nsrc && q.len <= v->len);
  FZ_CHECK(q.qrv <= 7 && q.qqi <= 31744 && q.max_resp_ms <= 8387584);
  if (q.nsrc)
    FZ_CHECK(inside(zn_mld2_query_source(&q, q.nsrc - 1), 16, v->p, v->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_msg msg;
  fz_msg_input(&msg, data, size, false);
  uint32_t psum = size ? (uint32_t)data[0] * 0x01010101u : 0;
  const uint8_t *d = msg.p;
  size_t n = msg.len;
  struct zn_icmp6_view v;
  if (zn_icmp6_view_init(&v, d, n) != ZN_OK) {
    FZ_CHECK(n < ZN_ICMP6_HDR_LEN);
    return 0;
  }
  FZ_CHECK(v.len == n && v.type == d[0] && v.code == d[1]);
  FZ_CHECK(zn_icmp6_body(&v) + zn_icmp6_body_len(&v) == d + n);
  FZ_CHECK(zn_icmp6_is_error(v.type) == (v.type < 128));
  check_nd(&v);
  check_mld(&v);
  uint8_t *m = malloc(n);
  if (m) {
    memcpy(m, d, n);
    if (v.type == ZN_ICMP6_ECHO_REQUEST)
      zn_icmp6_echo_reply_in_place(m, n, psum);
    else
      zn_icmp6_finish(m, n, psum);
    struct zn_icmp6_view w;
    FZ_CHECK(zn_icmp6_view_init(&w, m, n) == ZN_OK);
    FZ_CHECK(zn_icmp6_csum_ok(&w, psum));
    FZ_CHECK(memcmp(m + 4, d + 4, n - 4) == 0);
    free(m);
  }
  return 0;
}
