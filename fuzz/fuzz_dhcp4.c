/*
 * DHCPv4 messages (src/wire/dhcp4_wire.c): the view against its contract, THE
 * option walk (every option inside its area, as many as the view
 * counted, the walk never failing over a checked view), RFC 3396 joining
 * against the walk, the message rebuilt from its fields and options
 * parsing to the same, and the decoders of what a client reads (masks,
 * RFC 3442 routes).  No stack: fuzz_dhcp4_client drives the client.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

/* Bounds of the area an option of `area` must sit in. */
static void area_bounds(uint8_t area, size_t len, size_t *lo, size_t *hi) {
  switch (area) {
  case ZN_DHCP4_AREA_FILE:
    *lo = ZN_DHCP4_FILE_OFF;
    *hi = ZN_DHCP4_FILE_OFF + ZN_DHCP4_FILE_LEN;
    break;
  case ZN_DHCP4_AREA_SNAME:
    *lo = ZN_DHCP4_SNAME_OFF;
    *hi = ZN_DHCP4_SNAME_OFF + ZN_DHCP4_SNAME_LEN;
    break;
  default:
    FZ_CHECK(area == ZN_DHCP4_AREA_OPTIONS);
    *lo = ZN_DHCP4_OPTS_OFF;
    *hi = len;
  }
}

static void check_routes(const uint8_t *p, size_t len) {
  struct zn_dhcp4_route r;
  size_t off = 0;
  int rc;
  while ((rc = zn_dhcp4_route_next(p, len, &off, &r)) == ZN_OK) {
    FZ_CHECK(r.prefix <= 32);
    FZ_CHECK((r.dst & ~zn_ipv4_mask(r.prefix)) == 0);
    FZ_CHECK(off <= len);
  }
  FZ_CHECK(rc == ZN_ENOENT || rc == ZN_EMALFORMED);
  FZ_CHECK(rc == ZN_EMALFORMED || off == len);
}

/* Every option of v through the walk; returns how many. */
static unsigned walk(const struct zn_dhcp4_view *v, const uint8_t *d,
                     size_t n) {
  struct zn_dhcp4_opt_iter it;
  struct zn_dhcp4_opt o;
  unsigned count = 0;
  int rc;
  uint8_t last_area = ZN_DHCP4_AREA_OPTIONS;
  zn_dhcp4_opt_iter_init(&it, v);
  while ((rc = zn_dhcp4_opt_next(&it, &o)) == ZN_OK) {
    size_t lo, hi;
    area_bounds(o.area, n, &lo, &hi);
    FZ_CHECK(o.data >= d + lo + 2 && o.data + o.len <= d + hi);
    FZ_CHECK(o.code != ZN_DHCP4_OPT_PAD && o.code != ZN_DHCP4_OPT_END);
    FZ_CHECK(o.data[-2] == o.code && o.data[-1] == o.len);
    /* Areas come in RFC 3396's order: options, file, sname. */
    FZ_CHECK(o.area >= last_area);
    last_area = o.area;
    if (o.area == ZN_DHCP4_AREA_FILE)
      FZ_CHECK(v->overload & ZN_DHCP4_OVERLOAD_FILE);
    if (o.area == ZN_DHCP4_AREA_SNAME)
      FZ_CHECK(v->overload & ZN_DHCP4_OVERLOAD_SNAME);
    if (o.code == ZN_DHCP4_OPT_MSG_TYPE)
      FZ_CHECK(o.len == 1 && o.data[0] == v->msg_type);
    if (o.code == ZN_DHCP4_OPT_SUBNET_MASK && o.len == 4) {
      int pfx = zn_dhcp4_mask_prefix(zn_rd32(o.data));
      FZ_CHECK(pfx < 0 || zn_ipv4_mask((uint8_t)pfx) == zn_rd32(o.data));
    }
    count++;
  }
  FZ_CHECK(rc == ZN_ENOENT); /* the view was checked: the walk cannot fail */
  FZ_CHECK(zn_dhcp4_opt_next(&it, &o) == ZN_ENOENT);
  return count;
}

/* RFC 3396: each code's joined value is its copies, in walk order.  A
 * joined value is never longer than the message, so buffers of n bytes
 * hold any: ZN_EMSGSIZE is checked at the value's size less one, and at
 * a fixed 4 KiB (exactly when the value is longer). */
static void check_joined(const struct zn_dhcp4_view *v, size_t n) {
  static uint8_t fixed[4096];
  uint8_t *joined = malloc(n), *expect = malloc(n);
  FZ_CHECK(joined && expect);
  struct zn_dhcp4_opt_iter it;
  struct zn_dhcp4_opt o;
  bool seen[256] = {false};
  zn_dhcp4_opt_iter_init(&it, v);
  while (zn_dhcp4_opt_next(&it, &o) == ZN_OK) {
    if (seen[o.code])
      continue;
    seen[o.code] = true;
    size_t want = 0;
    struct zn_dhcp4_opt_iter it2;
    struct zn_dhcp4_opt o2;
    zn_dhcp4_opt_iter_init(&it2, v);
    while (zn_dhcp4_opt_next(&it2, &o2) == ZN_OK)
      if (o2.code == o.code) {
        FZ_CHECK(want + o2.len <= n);
        memcpy(expect + want, o2.data, o2.len);
        want += o2.len;
      }
    size_t got = 0;
    FZ_CHECK(zn_dhcp4_opt_get(v, o.code, joined, n, &got) == ZN_OK);
    FZ_CHECK(got == want && memcmp(joined, expect, got) == 0);
    if (got > 0) {
      FZ_CHECK(zn_dhcp4_opt_get(v, o.code, joined, got - 1, &got) ==
               ZN_EMSGSIZE);
      FZ_CHECK(got == want && memcmp(joined, expect, got - 1) == 0);
    }
    int rc = zn_dhcp4_opt_get(v, o.code, fixed, sizeof(fixed), &got);
    FZ_CHECK(got == want);
    FZ_CHECK(rc == (want > sizeof(fixed) ? ZN_EMSGSIZE : ZN_OK));
    FZ_CHECK(memcmp(fixed, expect, want < sizeof(fixed) ? want : sizeof(fixed))
             == 0);
    if (o.code == ZN_DHCP4_OPT_CLASSLESS_ROUTES)
      check_routes(expect, want);
  }
  free(expect);
  free(joined);
}

/* The header and every option written into a new message (all in the
 * options field, no overload) must parse to the same fields and the same
 * options in the same order.  The new message is at most the old one, the
 * options of file and sname (192 bytes), an end and the padding to 300
 * bytes. */
static void check_rebuilt(const struct zn_dhcp4_view *v, unsigned count) {
  uint8_t *m = malloc(v->len + ZN_DHCP4_FILE_LEN + ZN_DHCP4_SNAME_LEN + 1 +
                      ZN_DHCP4_BOOTP_MIN_LEN);
  FZ_CHECK(m != NULL);
  unsigned skipped = 0;
  struct zn_dhcp4_hdr h;
  h.op = v->op;
  h.xid = v->xid;
  h.secs = v->secs;
  h.flags = v->flags;
  h.ciaddr = v->ciaddr;
  h.yiaddr = v->yiaddr;
  h.siaddr = v->siaddr;
  h.giaddr = v->giaddr;
  memcpy(h.chaddr, v->chaddr, 6);
  size_t len = zn_dhcp4_emit(m, &h);
  struct zn_dhcp4_opt_iter it;
  struct zn_dhcp4_opt o;
  zn_dhcp4_opt_iter_init(&it, v);
  while (zn_dhcp4_opt_next(&it, &o) == ZN_OK) {
    if (o.code == ZN_DHCP4_OPT_OVERLOAD) {
      skipped++; /* nothing is overloaded any more */
      continue;
    }
    len += zn_dhcp4_opt_emit(m + len, o.code, o.data, o.len);
  }
  len = zn_dhcp4_finish(m, len);
  struct zn_dhcp4_view w;
  FZ_CHECK(zn_dhcp4_view_init(&w, m, len) == ZN_OK);
  FZ_CHECK(w.xid == v->xid && w.secs == v->secs && w.flags == v->flags &&
           w.yiaddr == v->yiaddr && w.ciaddr == v->ciaddr &&
           w.siaddr == v->siaddr && w.giaddr == v->giaddr &&
           w.op == v->op && w.htype == ZN_DHCP4_HTYPE_ETH && w.hlen == 6 &&
           memcmp(w.chaddr, v->chaddr, 6) == 0);
  FZ_CHECK(w.overload == 0 && w.msg_type == v->msg_type);
  FZ_CHECK(walk(&w, m, len) == count - skipped);
  struct zn_dhcp4_opt_iter a, b;
  struct zn_dhcp4_opt oa, ob;
  zn_dhcp4_opt_iter_init(&a, v);
  zn_dhcp4_opt_iter_init(&b, &w);
  while (zn_dhcp4_opt_next(&a, &oa) == ZN_OK) {
    if (oa.code == ZN_DHCP4_OPT_OVERLOAD)
      continue;
    FZ_CHECK(zn_dhcp4_opt_next(&b, &ob) == ZN_OK);
    FZ_CHECK(oa.code == ob.code && oa.len == ob.len &&
             memcmp(oa.data, ob.data, oa.len) == 0);
  }
  FZ_CHECK(zn_dhcp4_opt_next(&b, &ob) == ZN_ENOENT);
  free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  struct zn_dhcp4_view v;
  int rc = zn_dhcp4_view_init(&v, d, n);
  if (n < ZN_DHCP4_MIN_LEN) {
    FZ_CHECK(rc == ZN_ETRUNCATED);
    return 0;
  }
  if (zn_rd32(d + ZN_DHCP4_FIXED_LEN) != ZN_DHCP4_COOKIE) {
    FZ_CHECK(rc == ZN_EPROTO);
    return 0;
  }
  if (rc != ZN_OK) {
    FZ_CHECK(rc == ZN_EMALFORMED);
    return 0;
  }
  FZ_CHECK(v.p == d && v.len == n);
  FZ_CHECK(v.op == d[0] && v.htype == d[1] && v.hlen == d[2]);
  FZ_CHECK(v.xid == zn_rd32(d + 4) && v.yiaddr == zn_rd32(d + 16));
  FZ_CHECK(v.chaddr == d + 28);
  FZ_CHECK(v.overload <= 3);
  unsigned count = walk(&v, d, n);
  /* (The view's count stops at UINT16_MAX: only a message of over 128 KiB,
   * longer than any UDP datagram, has more options.) */
  FZ_CHECK(v.nopts == (count < UINT16_MAX ? count : UINT16_MAX));
  check_joined(&v, n);
  check_rebuilt(&v, count);
  return 0;
}
