/*
 * Tests of src/wire/dhcp4_wire.c: the header written and read back byte for
 * byte, the one option walk over every area (pad, end, missing end,
 * lengths past an area, option overload into file and sname), RFC 3396
 * joining, the single-byte options 52 and 53, masks and RFC 3442 routes.
 * The captures of ../shared/traces/v6-dhcp go through the same parser in
 * tests/replay/test_dhcp4_traces.c.
 */
#include <stdint.h>
#include <string.h>

#include "znet/addr.h"
#include "znet/err.h"
#include "znet/wire.h"
#include "zt.h"

static const uint8_t MAC[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

/* A message under construction: the header, then options at len. */
struct msg {
  uint8_t p[600];
  size_t len;
};

static void begin(struct msg *m, uint8_t type) {
  struct zn_dhcp4_hdr h = {0};
  memset(m, 0, sizeof(*m));
  h.op = ZN_DHCP4_OP_REPLY;
  h.xid = 0x12345678u;
  h.secs = 3;
  h.flags = ZN_DHCP4_FLAG_BROADCAST;
  h.yiaddr = ZN_IPV4(192, 0, 2, 10);
  h.siaddr = ZN_IPV4(192, 0, 2, 1);
  memcpy(h.chaddr, MAC, 6);
  m->len = zn_dhcp4_emit(m->p, &h);
  if (type)
    m->len += zn_dhcp4_opt_emit(m->p + m->len, ZN_DHCP4_OPT_MSG_TYPE, &type, 1);
}

static void opt(struct msg *m, uint8_t code, const void *d, size_t n) {
  m->len += zn_dhcp4_opt_emit(m->p + m->len, code, d, n);
}

static void raw(struct msg *m, const void *d, size_t n) {
  memcpy(m->p + m->len, d, n);
  m->len += n;
}

static int parse(const struct msg *m, struct zn_dhcp4_view *v) {
  return zn_dhcp4_view_init(v, m->p, m->len);
}

ZT_TEST(test_emit_golden_header) {
  struct msg m;
  begin(&m, 0);
  ZT_EQU(m.len, 240);
  static const uint8_t head[12] = {2, 1, 6, 0, 0x12, 0x34, 0x56, 0x78,
                                   0, 3, 0x80, 0};
  ZT_MEMEQ(m.p, head, sizeof(head));
  static const uint8_t yi[4] = {192, 0, 2, 10};
  ZT_MEMEQ(m.p + 16, yi, 4);
  ZT_MEMEQ(m.p + 28, MAC, 6);
  static const uint8_t cookie[4] = {99, 130, 83, 99};
  ZT_MEMEQ(m.p + 236, cookie, 4);
  for (size_t i = 34; i < 236; i++)
    ZT_EQU(m.p[i], 0);
}

ZT_TEST(test_finish_pads_to_300) {
  struct msg m;
  begin(&m, ZN_DHCP4_DISCOVER);
  size_t n = zn_dhcp4_finish(m.p, m.len);
  ZT_EQU(n, ZN_DHCP4_BOOTP_MIN_LEN);
  ZT_EQU(m.p[243], ZN_DHCP4_OPT_END);
  for (size_t i = 244; i < 300; i++)
    ZT_EQU(m.p[i], 0);
  /* A long message is not padded, only ended. */
  uint8_t big[200] = {0};
  opt(&m, 43, big, 200);
  n = zn_dhcp4_finish(m.p, m.len);
  ZT_EQU(n, 243 + 202 + 1);
}

ZT_TEST(test_view_round_trip) {
  struct msg m;
  struct zn_dhcp4_view v;
  begin(&m, ZN_DHCP4_OFFER);
  uint8_t sid[4] = {192, 0, 2, 1};
  opt(&m, ZN_DHCP4_OPT_SERVER_ID, sid, 4);
  m.len = zn_dhcp4_finish(m.p, m.len);
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_CHECK(v.p == m.p);
  ZT_EQU(v.len, 300);
  ZT_EQU(v.op, ZN_DHCP4_OP_REPLY);
  ZT_EQU(v.htype, 1);
  ZT_EQU(v.hlen, 6);
  ZT_EQU(v.hops, 0);
  ZT_EQU(v.xid, 0x12345678u);
  ZT_EQU(v.secs, 3);
  ZT_EQU(v.flags, 0x8000);
  ZT_EQU(v.ciaddr, 0);
  ZT_EQU(v.yiaddr, ZN_IPV4(192, 0, 2, 10));
  ZT_EQU(v.siaddr, ZN_IPV4(192, 0, 2, 1));
  ZT_EQU(v.giaddr, 0);
  ZT_MEMEQ(v.chaddr, MAC, 6);
  ZT_EQU(v.overload, 0);
  ZT_EQU(v.msg_type, ZN_DHCP4_OFFER);
  ZT_EQU(v.nopts, 2);
  uint8_t buf[8];
  size_t n = 99;
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_SERVER_ID, buf, sizeof(buf), &n),
        ZN_OK);
  ZT_EQU(n, 4);
  ZT_MEMEQ(buf, sid, 4);
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_ROUTER, buf, sizeof(buf), &n),
        ZN_ENOENT);
  ZT_EQU(n, 0);
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_PAD, buf, sizeof(buf), &n),
        ZN_EINVAL);
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_END, buf, sizeof(buf), &n),
        ZN_EINVAL);
}

ZT_TEST(test_truncated_every_length) {
  struct msg m;
  struct zn_dhcp4_view v;
  begin(&m, 0);
  for (size_t n = 0; n < 240; n++)
    ZT_EQ(zn_dhcp4_view_init(&v, m.p, n), ZN_ETRUNCATED);
  /* Exactly the header and cookie: no options at all is well formed. */
  ZT_EQ(zn_dhcp4_view_init(&v, m.p, 240), ZN_OK);
  ZT_EQU(v.msg_type, 0);
  ZT_EQU(v.nopts, 0);
}

ZT_TEST(test_bad_cookie_rejected) {
  struct msg m;
  struct zn_dhcp4_view v;
  begin(&m, ZN_DHCP4_ACK);
  m.len = zn_dhcp4_finish(m.p, m.len);
  for (int i = 0; i < 4; i++) {
    m.p[236 + i] ^= 0x01;
    ZT_EQ(parse(&m, &v), ZN_EPROTO);
    m.p[236 + i] ^= 0x01;
  }
  ZT_EQ(parse(&m, &v), ZN_OK);
}

ZT_TEST(test_option_past_area_malformed) {
  struct msg m;
  struct zn_dhcp4_view v;
  begin(&m, ZN_DHCP4_ACK);
  /* A router option claiming 8 bytes with 4 left in the message. */
  static const uint8_t o[] = {ZN_DHCP4_OPT_ROUTER, 8, 10, 0, 0, 1};
  raw(&m, o, sizeof(o));
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  /* Exactly enough bytes: fine. */
  m.p[m.len - 5] = 4;
  ZT_EQ(parse(&m, &v), ZN_OK);
  /* A code as the last byte, its length missing. */
  uint8_t code = ZN_DHCP4_OPT_DNS;
  raw(&m, &code, 1);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  /* A length byte of 255 at the end. */
  static const uint8_t l255[] = {ZN_DHCP4_OPT_HOSTNAME, 255, 'a'};
  m.len--;
  raw(&m, l255, sizeof(l255));
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
}

ZT_TEST(test_pad_and_end) {
  struct msg m;
  struct zn_dhcp4_view v;
  begin(&m, 0);
  static const uint8_t pads[] = {0, 0, 0};
  raw(&m, pads, sizeof(pads));
  uint8_t t = ZN_DHCP4_NAK;
  opt(&m, ZN_DHCP4_OPT_MSG_TYPE, &t, 1);
  raw(&m, pads, sizeof(pads));
  /* End, then garbage that would be malformed if it were read. */
  static const uint8_t tail[] = {ZN_DHCP4_OPT_END, ZN_DHCP4_OPT_ROUTER, 200,
                                 ZN_DHCP4_OPT_MSG_TYPE, 1, 5};
  raw(&m, tail, sizeof(tail));
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQU(v.msg_type, ZN_DHCP4_NAK);
  ZT_EQU(v.nopts, 1);
  /* Nothing but pad: no option, well formed. */
  begin(&m, 0);
  uint8_t many[100];
  memset(many, 0, sizeof(many));
  raw(&m, many, sizeof(many));
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQU(v.nopts, 0);
}

ZT_TEST(test_missing_end_accepted) {
  struct msg m;
  struct zn_dhcp4_view v;
  begin(&m, ZN_DHCP4_OFFER);
  uint8_t lease[4] = {0, 0, 0x0e, 0x10};
  opt(&m, ZN_DHCP4_OPT_LEASE_TIME, lease, 4);
  ZT_EQ(parse(&m, &v), ZN_OK); /* the message ends at an option's end */
  ZT_EQU(v.nopts, 2);
}

ZT_TEST(test_msg_type_twice_malformed) {
  struct msg m;
  struct zn_dhcp4_view v;
  begin(&m, ZN_DHCP4_OFFER);
  uint8_t t = ZN_DHCP4_ACK;
  opt(&m, ZN_DHCP4_OPT_MSG_TYPE, &t, 1);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  begin(&m, 0);
  static const uint8_t two[2] = {5, 5};
  opt(&m, ZN_DHCP4_OPT_MSG_TYPE, two, 2);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  begin(&m, 0);
  opt(&m, ZN_DHCP4_OPT_MSG_TYPE, two, 0);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  begin(&m, 0);
  t = 0;
  opt(&m, ZN_DHCP4_OPT_MSG_TYPE, &t, 1);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
}

/* Options in file (overload 1), sname (2) or both (3). */
static void overload(struct msg *m, uint8_t which) {
  begin(m, 0);
  opt(m, ZN_DHCP4_OPT_OVERLOAD, &which, 1);
  uint8_t r1[4] = {10, 0, 0, 1};
  opt(m, ZN_DHCP4_OPT_DNS, r1, 4);
  m->len = zn_dhcp4_finish(m->p, m->len);
  uint8_t *f = m->p + ZN_DHCP4_FILE_OFF, *s = m->p + ZN_DHCP4_SNAME_OFF;
  uint8_t t = ZN_DHCP4_ACK;
  uint8_t r2[4] = {10, 0, 0, 2}, r3[4] = {10, 0, 0, 3};
  size_t k = zn_dhcp4_opt_emit(f, ZN_DHCP4_OPT_MSG_TYPE, &t, 1);
  k += zn_dhcp4_opt_emit(f + k, ZN_DHCP4_OPT_DNS, r2, 4);
  f[k] = ZN_DHCP4_OPT_END;
  k = zn_dhcp4_opt_emit(s, ZN_DHCP4_OPT_DNS, r3, 4);
  s[k] = ZN_DHCP4_OPT_END;
}

ZT_TEST(test_overload_file_and_sname) {
  struct msg m;
  struct zn_dhcp4_view v;
  uint8_t buf[16];
  size_t n;
  overload(&m, 3);
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQU(v.overload, 3);
  ZT_EQU(v.msg_type, ZN_DHCP4_ACK);
  /* RFC 3396: options field, then file, then sname. */
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_DNS, buf, sizeof(buf), &n), ZN_OK);
  ZT_EQU(n, 12);
  static const uint8_t want[12] = {10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 3};
  ZT_MEMEQ(buf, want, 12);
  /* The areas each option came from. */
  struct zn_dhcp4_opt_iter it;
  struct zn_dhcp4_opt o;
  uint8_t areas[8];
  int k = 0;
  zn_dhcp4_opt_iter_init(&it, &v);
  while (zn_dhcp4_opt_next(&it, &o) == ZN_OK && k < 8)
    areas[k++] = o.area;
  ZT_EQ(k, 5);
  ZT_EQU(areas[0], ZN_DHCP4_AREA_OPTIONS); /* 52 */
  ZT_EQU(areas[1], ZN_DHCP4_AREA_OPTIONS); /* 6 */
  ZT_EQU(areas[2], ZN_DHCP4_AREA_FILE);    /* 53 */
  ZT_EQU(areas[3], ZN_DHCP4_AREA_FILE);    /* 6 */
  ZT_EQU(areas[4], ZN_DHCP4_AREA_SNAME);   /* 6 */
}

ZT_TEST(test_overload_one_area_only) {
  struct msg m;
  struct zn_dhcp4_view v;
  uint8_t buf[16];
  size_t n;
  overload(&m, ZN_DHCP4_OVERLOAD_FILE);
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_DNS, buf, sizeof(buf), &n), ZN_OK);
  ZT_EQU(n, 8); /* sname is a name, not options */
  ZT_EQU(v.msg_type, ZN_DHCP4_ACK);
  overload(&m, ZN_DHCP4_OVERLOAD_SNAME);
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_DNS, buf, sizeof(buf), &n), ZN_OK);
  ZT_EQU(n, 8);
  ZT_EQU(v.msg_type, 0); /* 53 sat in file, which is not options here */
}

ZT_TEST(test_overload_without_flag_ignores_fields) {
  struct msg m;
  struct zn_dhcp4_view v;
  uint8_t buf[16];
  size_t n;
  overload(&m, 3);
  m.p[ZN_DHCP4_OPTS_OFF + 2] = 0; /* 52's value: no longer 1..3 */
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  m.p[ZN_DHCP4_OPTS_OFF] = 43;    /* 52 turned into a vendor option */
  m.p[ZN_DHCP4_OPTS_OFF + 2] = 3;
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQU(v.overload, 0);
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_DNS, buf, sizeof(buf), &n), ZN_OK);
  ZT_EQU(n, 4);
}

ZT_TEST(test_overload_bad_values_malformed) {
  struct msg m;
  struct zn_dhcp4_view v;
  overload(&m, 4);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  /* 52 with two bytes. */
  begin(&m, 0);
  static const uint8_t two[2] = {1, 1};
  opt(&m, ZN_DHCP4_OPT_OVERLOAD, two, 2);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  /* 52 twice. */
  begin(&m, 0);
  opt(&m, ZN_DHCP4_OPT_OVERLOAD, two, 1);
  opt(&m, ZN_DHCP4_OPT_OVERLOAD, two, 1);
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
}

ZT_TEST(test_overload_option_in_file_is_not_followed) {
  struct msg m;
  struct zn_dhcp4_view v;
  overload(&m, ZN_DHCP4_OVERLOAD_FILE);
  /* sname holds garbage that is malformed as options; a 52 inside file
   * asking for it must not make the walk read it (RFC 2131 4.1: 52 only
   * in the options field). */
  memset(m.p + ZN_DHCP4_SNAME_OFF, 0, ZN_DHCP4_SNAME_LEN);
  m.p[ZN_DHCP4_SNAME_OFF] = ZN_DHCP4_OPT_ROUTER;
  m.p[ZN_DHCP4_SNAME_OFF + 1] = 200;
  uint8_t *f = m.p + ZN_DHCP4_FILE_OFF;
  memset(f, 0, ZN_DHCP4_FILE_LEN);
  uint8_t two = ZN_DHCP4_OVERLOAD_SNAME;
  size_t k = zn_dhcp4_opt_emit(f, ZN_DHCP4_OPT_OVERLOAD, &two, 1);
  f[k] = ZN_DHCP4_OPT_END;
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQU(v.overload, ZN_DHCP4_OVERLOAD_FILE);
  /* With sname flagged in the options field, the garbage is read. */
  m.p[ZN_DHCP4_OPTS_OFF + 2] = 3;
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
}

ZT_TEST(test_overload_option_may_not_span_areas) {
  struct msg m;
  struct zn_dhcp4_view v;
  overload(&m, 3);
  /* The last option of file runs past file's end (into the cookie). */
  uint8_t *f = m.p + ZN_DHCP4_FILE_OFF;
  memset(f, 0, ZN_DHCP4_FILE_LEN);
  f[ZN_DHCP4_FILE_LEN - 3] = ZN_DHCP4_OPT_DNS;
  f[ZN_DHCP4_FILE_LEN - 2] = 4;
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  /* The same in sname, whose end is file's start. */
  overload(&m, 3);
  uint8_t *s = m.p + ZN_DHCP4_SNAME_OFF;
  memset(s, 0, ZN_DHCP4_SNAME_LEN);
  s[ZN_DHCP4_SNAME_LEN - 2] = ZN_DHCP4_OPT_DNS;
  s[ZN_DHCP4_SNAME_LEN - 1] = 1;
  ZT_EQ(parse(&m, &v), ZN_EMALFORMED);
  /* A full area without an end option is fine. */
  overload(&m, 3);
  memset(s, 0, ZN_DHCP4_SNAME_LEN);
  s[0] = 43;
  s[1] = ZN_DHCP4_SNAME_LEN - 2;
  ZT_EQ(parse(&m, &v), ZN_OK);
}

ZT_TEST(test_opt_get_joins_split_option) {
  struct msg m;
  struct zn_dhcp4_view v;
  uint8_t part[255], buf[600];
  size_t n;
  begin(&m, ZN_DHCP4_ACK);
  for (size_t i = 0; i < sizeof(part); i++)
    part[i] = (uint8_t)i;
  opt(&m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, part, 255);
  opt(&m, ZN_DHCP4_OPT_CLASSLESS_ROUTES, part, 10);
  m.len = zn_dhcp4_finish(m.p, m.len);
  ZT_EQ(parse(&m, &v), ZN_OK);
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_CLASSLESS_ROUTES, buf, sizeof(buf),
                         &n),
        ZN_OK);
  ZT_EQU(n, 265);
  ZT_MEMEQ(buf, part, 255);
  ZT_MEMEQ(buf + 255, part, 10);
  memset(buf, 0xee, sizeof(buf));
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_CLASSLESS_ROUTES, buf, 100, &n),
        ZN_EMSGSIZE);
  ZT_EQU(n, 265);
  ZT_MEMEQ(buf, part, 100);
  ZT_EQU(buf[100], 0xee); /* nothing written past cap */
}

ZT_TEST(test_mask_prefix) {
  ZT_EQ(zn_dhcp4_mask_prefix(0), 0);
  ZT_EQ(zn_dhcp4_mask_prefix(0x80000000u), 1);
  ZT_EQ(zn_dhcp4_mask_prefix(0xffffff00u), 24);
  ZT_EQ(zn_dhcp4_mask_prefix(0xfffffffeu), 31);
  ZT_EQ(zn_dhcp4_mask_prefix(0xffffffffu), 32);
  ZT_EQ(zn_dhcp4_mask_prefix(0xff00ff00u), -1);
  ZT_EQ(zn_dhcp4_mask_prefix(0x7fffffffu), -1);
  ZT_EQ(zn_dhcp4_mask_prefix(0x00000001u), -1);
  for (int i = 0; i <= 32; i++)
    ZT_EQ(zn_dhcp4_mask_prefix(zn_ipv4_mask((uint8_t)i)), i);
}

/* RFC 3442 3's examples: 0 -> default, 8.10 -> 10/8, 24.192.168.1 ->
 * 192.168.1/24, 32.10.0.0.1 -> 10.0.0.1/32. */
ZT_TEST(test_routes_rfc3442_examples) {
  static const uint8_t v[] = {
      0, 10, 0, 0, 1,                 /* 0/0 via 10.0.0.1 */
      8, 10, 10, 0, 0, 2,             /* 10/8 via 10.0.0.2 */
      24, 192, 168, 1, 0, 0, 0, 0,    /* 192.168.1/24 on-link */
      32, 10, 0, 0, 1, 10, 0, 0, 3,   /* host route */
      12, 172, 31, 10, 0, 0, 4,       /* 172.16/12: bits past 12 cleared */
  };
  struct zn_dhcp4_route r;
  size_t off = 0;
  ZT_EQ(zn_dhcp4_route_next(v, sizeof(v), &off, &r), ZN_OK);
  ZT_EQU(r.dst, 0);
  ZT_EQU(r.prefix, 0);
  ZT_EQU(r.router, ZN_IPV4(10, 0, 0, 1));
  ZT_EQU(off, 5);
  ZT_EQ(zn_dhcp4_route_next(v, sizeof(v), &off, &r), ZN_OK);
  ZT_EQU(r.dst, ZN_IPV4(10, 0, 0, 0));
  ZT_EQU(r.prefix, 8);
  ZT_EQU(r.router, ZN_IPV4(10, 0, 0, 2));
  ZT_EQ(zn_dhcp4_route_next(v, sizeof(v), &off, &r), ZN_OK);
  ZT_EQU(r.dst, ZN_IPV4(192, 168, 1, 0));
  ZT_EQU(r.prefix, 24);
  ZT_EQU(r.router, 0);
  ZT_EQ(zn_dhcp4_route_next(v, sizeof(v), &off, &r), ZN_OK);
  ZT_EQU(r.dst, ZN_IPV4(10, 0, 0, 1));
  ZT_EQU(r.prefix, 32);
  ZT_EQU(r.router, ZN_IPV4(10, 0, 0, 3));
  ZT_EQ(zn_dhcp4_route_next(v, sizeof(v), &off, &r), ZN_OK);
  ZT_EQU(r.dst, ZN_IPV4(172, 16, 0, 0));
  ZT_EQU(r.prefix, 12);
  ZT_EQU(off, sizeof(v));
  ZT_EQ(zn_dhcp4_route_next(v, sizeof(v), &off, &r), ZN_ENOENT);
}

ZT_TEST(test_routes_malformed) {
  struct zn_dhcp4_route r;
  size_t off = 0;
  static const uint8_t wide[] = {33, 10, 0, 0, 0, 0, 10, 0, 0, 1};
  ZT_EQ(zn_dhcp4_route_next(wide, sizeof(wide), &off, &r), ZN_EMALFORMED);
  static const uint8_t shortr[] = {24, 192, 168, 1, 10, 0, 0};
  for (size_t n = 1; n <= sizeof(shortr); n++) {
    off = 0;
    ZT_EQ(zn_dhcp4_route_next(shortr, n, &off, &r), ZN_EMALFORMED);
    ZT_EQU(off, 0);
  }
  off = 0;
  ZT_EQ(zn_dhcp4_route_next(shortr, 0, &off, &r), ZN_ENOENT);
}

int main(void) {
  ZT_RUN(test_emit_golden_header);
  ZT_RUN(test_finish_pads_to_300);
  ZT_RUN(test_view_round_trip);
  ZT_RUN(test_truncated_every_length);
  ZT_RUN(test_bad_cookie_rejected);
  ZT_RUN(test_option_past_area_malformed);
  ZT_RUN(test_pad_and_end);
  ZT_RUN(test_missing_end_accepted);
  ZT_RUN(test_msg_type_twice_malformed);
  ZT_RUN(test_overload_file_and_sname);
  ZT_RUN(test_overload_one_area_only);
  ZT_RUN(test_overload_without_flag_ignores_fields);
  ZT_RUN(test_overload_bad_values_malformed);
  ZT_RUN(test_overload_option_in_file_is_not_followed);
  ZT_RUN(test_overload_option_may_not_span_areas);
  ZT_RUN(test_opt_get_joins_split_option);
  ZT_RUN(test_mask_prefix);
  ZT_RUN(test_routes_rfc3442_examples);
  ZT_RUN(test_routes_malformed);
  return zt_done();
}
