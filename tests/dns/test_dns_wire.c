/*
 * Tests of src/wire/dns*.c: a hand-built query and response parsed
 * field by field and re-emitted byte for byte; compression pointers on
 * emit; pointer loops, forward pointers and long pointer chains; names and
 * labels at their limits; every truncation of a full response; RDATA whose
 * length does not match its type; the builder filling up at exactly its
 * capacity; names to and from text, comparison and subdomains.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet/dns.h"
#include "znet/err.h"
#include "zt.h"

/* ---- golden messages ---------------------------------------------------- */

/* Query id 0x1234, RD, "www.example.com" A IN. */
static const uint8_t golden_query[33] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 12: www.example.com (www @12, example @16, com @24, root @28) */
    0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c',
    'o', 'm', 0x00,
    /* 29: A IN */
    0x00, 0x01, 0x00, 0x01,
};

/* The response: id 0x1234, QR RD RA, 1 question, 3 answers, 1 authority,
 * 3 additional, compressed the way the builder must compress. */
static const uint8_t golden_resp[208] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x03,
    /* 12: question www.example.com A IN */
    0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c',
    'o', 'm', 0x00, 0x00, 0x01, 0x00, 0x01,
    /* 33: www.example.com CNAME web.example.com, ttl 300 */
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06,
    /* 45: web + -> example.com @16 */
    0x03, 'w', 'e', 'b', 0xc0, 0x10,
    /* 51: web.example.com A 93.184.216.34, ttl 300 */
    0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04,
    0x5d, 0xb8, 0xd8, 0x22,
    /* 67: web.example.com AAAA 2606:2800:220:1:248:1893:25c8:1946 */
    0xc0, 0x2d, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x10,
    0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01, 0x02, 0x48, 0x18, 0x93,
    0x25, 0xc8, 0x19, 0x46,
    /* 95: authority: example.com SOA, ttl 3600, rdlen 39 */
    0xc0, 0x10, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x27,
    /* 107: ns1 -> example.com */
    0x03, 'n', 's', '1', 0xc0, 0x10,
    /* 113: hostmaster -> example.com */
    0x0a, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xc0, 0x10,
    /* 126: serial 2024010101, refresh 7200, retry 3600, expire 1209600,
     * minimum 300 */
    0x78, 0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x0e, 0x10,
    0x00, 0x12, 0x75, 0x00, 0x00, 0x00, 0x01, 0x2c,
    /* 146: additional: example.com MX 10 mail.example.com, ttl 3600 */
    0xc0, 0x10, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x09,
    0x00, 0x0a, 0x04, 'm', 'a', 'i', 'l', 0xc0, 0x10,
    /* 167: example.com TXT "v=spf1 -all" "hello", ttl 3600 */
    0xc0, 0x10, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x12,
    0x0b, 'v', '=', 's', 'p', 'f', '1', ' ', '-', 'a', 'l', 'l', 0x05, 'h',
    'e', 'l', 'l', 'o',
    /* 197: OPT, UDP 4096, DO, no options */
    0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
};

static const uint8_t txt_rdata[18] = {
    0x0b, 'v', '=', 's', 'p', 'f', '1', ' ', '-', 'a', 'l', 'l',
    0x05, 'h', 'e', 'l', 'l', 'o',
};

static const uint8_t aaaa_addr[16] = {
    0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
    0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46,
};

/* The name of text s (which must be valid). */
static struct zn_dns_name nm(const char *s) {
  struct zn_dns_name n;
  int err = zn_dns_name_from_text(&n, s, strlen(s));
  if (err != ZN_OK) {
    zt_fail(__FILE__, __LINE__, "bad test name %s: %s", s, zn_err_name(err));
    n.len = 1;
    n.b[0] = 0;
  }
  return n;
}

/* Text of a name, in a rotating static buffer. */
static const char *txt(const struct zn_dns_name *n) {
  static char buf[4][ZN_DNS_NAME_TEXT_MAX];
  static int k;
  char *b = buf[k++ & 3];
  if (zn_dns_name_to_text(n, b, ZN_DNS_NAME_TEXT_MAX, NULL) != ZN_OK)
    return "?";
  return b;
}

static uint8_t *exact_copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len)
    memcpy(c, p, len);
  return c;
}

/* Build the golden response into buf; returns the last error. */
static int build_golden(struct zn_dns_builder *b, uint8_t *buf, size_t cap,
                        int *nok) {
  struct zn_dns_hdr h = {.id = 0x1234, .qr = true, .rd = true, .ra = true};
  struct zn_dns_name www = nm("www.example.com"), web = nm("web.example.com");
  struct zn_dns_name ex = nm("example.com");
  struct zn_dns_rdata rd;
  struct zn_dns_opt opt = {.udp_size = 4096, .do_bit = true};
  int err;

  *nok = 0;
  err = zn_dns_build_init(b, buf, cap, &h);
  if (err != ZN_OK)
    return err;
  (*nok)++;
  if ((err = zn_dns_build_question(b, &www, ZN_DNS_TYPE_A,
                                   ZN_DNS_CLASS_IN)) != ZN_OK)
    return err;
  (*nok)++;
  rd.type = ZN_DNS_TYPE_CNAME;
  rd.u.name = web;
  if ((err = zn_dns_build_rr(b, ZN_DNS_SEC_ANSWER, &www, ZN_DNS_CLASS_IN,
                             300, &rd)) != ZN_OK)
    return err;
  (*nok)++;
  rd.type = ZN_DNS_TYPE_A;
  rd.u.a = 0x5db8d822u;
  if ((err = zn_dns_build_rr(b, ZN_DNS_SEC_ANSWER, &web, ZN_DNS_CLASS_IN,
                             300, &rd)) != ZN_OK)
    return err;
  (*nok)++;
  rd.type = ZN_DNS_TYPE_AAAA;
  memcpy(rd.u.aaaa, aaaa_addr, 16);
  if ((err = zn_dns_build_rr(b, ZN_DNS_SEC_ANSWER, &web, ZN_DNS_CLASS_IN,
                             300, &rd)) != ZN_OK)
    return err;
  (*nok)++;
  rd.type = ZN_DNS_TYPE_SOA;
  rd.u.soa.mname = nm("ns1.example.com");
  rd.u.soa.rname = nm("hostmaster.example.com");
  rd.u.soa.serial = 2024010101u;
  rd.u.soa.refresh = 7200;
  rd.u.soa.retry = 3600;
  rd.u.soa.expire = 1209600;
  rd.u.soa.minimum = 300;
  if ((err = zn_dns_build_rr(b, ZN_DNS_SEC_AUTHORITY, &ex, ZN_DNS_CLASS_IN,
                             3600, &rd)) != ZN_OK)
    return err;
  (*nok)++;
  rd.type = ZN_DNS_TYPE_MX;
  rd.u.mx.pref = 10;
  rd.u.mx.exchange = nm("mail.example.com");
  if ((err = zn_dns_build_rr(b, ZN_DNS_SEC_ADDITIONAL, &ex, ZN_DNS_CLASS_IN,
                             3600, &rd)) != ZN_OK)
    return err;
  (*nok)++;
  rd.type = ZN_DNS_TYPE_TXT;
  rd.u.txt.p = txt_rdata;
  rd.u.txt.len = sizeof txt_rdata;
  if ((err = zn_dns_build_rr(b, ZN_DNS_SEC_ADDITIONAL, &ex, ZN_DNS_CLASS_IN,
                             3600, &rd)) != ZN_OK)
    return err;
  (*nok)++;
  if ((err = zn_dns_build_opt(b, &opt)) != ZN_OK)
    return err;
  (*nok)++;
  return ZN_OK;
}

ZT_TEST(test_query_golden_parse) {
  struct zn_dns_msg m;
  struct zn_dns_hdr h;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  struct zn_dns_rr rr;

  ZT_REQUIRE(zn_dns_msg_init(&m, golden_query, sizeof golden_query) == ZN_OK);
  ZT_EQU(zn_dns_id(&m), 0x1234);
  ZT_CHECK(!zn_dns_qr(&m));
  ZT_CHECK(zn_dns_rd(&m));
  ZT_CHECK(!zn_dns_ra(&m) && !zn_dns_aa(&m) && !zn_dns_tc(&m));
  ZT_CHECK(!zn_dns_ad(&m) && !zn_dns_cd(&m));
  ZT_EQU(zn_dns_opcode(&m), ZN_DNS_OPCODE_QUERY);
  ZT_EQU(zn_dns_rcode(&m), 0);
  ZT_EQU(zn_dns_qdcount(&m), 1);
  ZT_EQU(zn_dns_ancount(&m) + zn_dns_nscount(&m) + zn_dns_arcount(&m), 0);
  zn_dns_msg_hdr(&m, &h);
  ZT_EQU(h.id, 0x1234);
  ZT_CHECK(h.rd && !h.qr && !h.ra);

  zn_dns_iter_init(&it, &m);
  ZT_REQUIRE(zn_dns_iter_question(&it, &q) == ZN_OK);
  ZT_STREQ(txt(&q.name), "www.example.com");
  ZT_EQU(q.name.len, 17);
  ZT_MEMEQ(q.name.b, golden_query + 12, 17);
  ZT_EQU(q.qtype, ZN_DNS_TYPE_A);
  ZT_EQU(q.qclass, ZN_DNS_CLASS_IN);
  ZT_EQ(zn_dns_iter_question(&it, &q), ZN_EOF);
  ZT_EQ(zn_dns_iter_rr(&it, &rr), ZN_EOF);
  ZT_EQU(it.off, sizeof golden_query);
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK);
  {
    struct zn_dns_opt o;
    ZT_EQ(zn_dns_msg_opt(&m, &o), ZN_ENOENT);
  }
}

ZT_TEST(test_query_golden_emit) {
  uint8_t buf[64];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = 0x1234, .rd = true};
  struct zn_dns_name n = nm("www.example.com");

  memset(buf, 0xee, sizeof buf);
  ZT_REQUIRE(zn_dns_build_init(&b, buf, sizeof buf, &h) == ZN_OK);
  ZT_EQU(zn_dns_build_len(&b), 12);
  ZT_EQ(zn_dns_build_question(&b, &n, ZN_DNS_TYPE_A, ZN_DNS_CLASS_IN),
        ZN_OK);
  ZT_EQU(zn_dns_build_len(&b), sizeof golden_query);
  ZT_MEMEQ(buf, golden_query, sizeof golden_query);
}

ZT_TEST(test_resp_golden_emit) {
  uint8_t buf[512];
  struct zn_dns_builder b;
  int nok;

  memset(buf, 0xee, sizeof buf);
  ZT_EQ(build_golden(&b, buf, sizeof buf, &nok), ZN_OK);
  ZT_EQ(nok, 9);
  ZT_EQU(zn_dns_build_len(&b), sizeof golden_resp);
  ZT_MEMEQ(buf, golden_resp, sizeof golden_resp);
}

ZT_TEST(test_resp_golden_parse) {
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  struct zn_dns_rr rr;
  struct zn_dns_rdata rd;
  struct zn_dns_opt opt;
  const uint8_t *s;
  size_t slen, off;

  ZT_REQUIRE(zn_dns_msg_init(&m, golden_resp, sizeof golden_resp) == ZN_OK);
  ZT_EQU(zn_dns_id(&m), 0x1234);
  ZT_EQU(zn_dns_flags(&m), 0x8180);
  ZT_CHECK(zn_dns_qr(&m) && zn_dns_rd(&m) && zn_dns_ra(&m));
  ZT_CHECK(!zn_dns_aa(&m) && !zn_dns_tc(&m));
  ZT_EQU(zn_dns_rcode(&m), ZN_DNS_RCODE_NOERROR);
  ZT_EQU(zn_dns_qdcount(&m), 1);
  ZT_EQU(zn_dns_ancount(&m), 3);
  ZT_EQU(zn_dns_nscount(&m), 1);
  ZT_EQU(zn_dns_arcount(&m), 3);
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK);

  zn_dns_iter_init(&it, &m);
  ZT_REQUIRE(zn_dns_iter_question(&it, &q) == ZN_OK);
  ZT_STREQ(txt(&q.name), "www.example.com");
  ZT_EQU(q.qtype, ZN_DNS_TYPE_A);

  ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_EQU(rr.section, ZN_DNS_SEC_ANSWER);
  ZT_STREQ(txt(&rr.name), "www.example.com");
  ZT_EQU(rr.type, ZN_DNS_TYPE_CNAME);
  ZT_EQU(rr.rclass, ZN_DNS_CLASS_IN);
  ZT_EQU(rr.ttl, 300);
  ZT_EQU(rr.rdlen, 6);
  ZT_EQU(rr.rdoff, 45);
  ZT_CHECK(rr.rdata == golden_resp + 45);
  ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
  ZT_EQU(rd.type, ZN_DNS_TYPE_CNAME);
  ZT_STREQ(txt(&rd.u.name), "web.example.com");

  ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_STREQ(txt(&rr.name), "web.example.com");
  ZT_EQU(rr.type, ZN_DNS_TYPE_A);
  ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
  ZT_EQU(rd.u.a, 0x5db8d822u);

  ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_EQU(rr.type, ZN_DNS_TYPE_AAAA);
  ZT_EQU(rr.section, ZN_DNS_SEC_ANSWER);
  ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
  ZT_MEMEQ(rd.u.aaaa, aaaa_addr, 16);

  ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_EQU(rr.section, ZN_DNS_SEC_AUTHORITY);
  ZT_STREQ(txt(&rr.name), "example.com");
  ZT_EQU(rr.type, ZN_DNS_TYPE_SOA);
  ZT_EQU(rr.ttl, 3600);
  ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
  ZT_STREQ(txt(&rd.u.soa.mname), "ns1.example.com");
  ZT_STREQ(txt(&rd.u.soa.rname), "hostmaster.example.com");
  ZT_EQU(rd.u.soa.serial, 2024010101u);
  ZT_EQU(rd.u.soa.refresh, 7200);
  ZT_EQU(rd.u.soa.retry, 3600);
  ZT_EQU(rd.u.soa.expire, 1209600);
  ZT_EQU(rd.u.soa.minimum, 300);
  ZT_EQU(zn_dns_soa_neg_ttl(&rr, &rd.u.soa), 300);
  {
    struct zn_dns_rr r2 = rr;
    r2.ttl = 120;
    ZT_EQU(zn_dns_soa_neg_ttl(&r2, &rd.u.soa), 120);
    r2.ttl = 0x80000001u; /* RFC 2181 8: read as 0 */
    ZT_EQU(zn_dns_ttl(&r2), 0);
    ZT_EQU(zn_dns_soa_neg_ttl(&r2, &rd.u.soa), 0);
    r2.ttl = 0x7fffffffu;
    ZT_EQU(zn_dns_ttl(&r2), 0x7fffffffu);
  }

  ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_EQU(rr.section, ZN_DNS_SEC_ADDITIONAL);
  ZT_EQU(rr.type, ZN_DNS_TYPE_MX);
  ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
  ZT_EQU(rd.u.mx.pref, 10);
  ZT_STREQ(txt(&rd.u.mx.exchange), "mail.example.com");

  ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_EQU(rr.type, ZN_DNS_TYPE_TXT);
  ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
  ZT_EQU(rd.u.txt.len, 18);
  off = 0;
  ZT_REQUIRE(zn_dns_txt_next(&rd.u.txt, &off, &s, &slen) == ZN_OK);
  ZT_EQU(slen, 11);
  ZT_MEMEQ(s, "v=spf1 -all", 11);
  ZT_REQUIRE(zn_dns_txt_next(&rd.u.txt, &off, &s, &slen) == ZN_OK);
  ZT_EQU(slen, 5);
  ZT_MEMEQ(s, "hello", 5);
  ZT_EQ(zn_dns_txt_next(&rd.u.txt, &off, &s, &slen), ZN_EOF);

  ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_EQU(rr.type, ZN_DNS_TYPE_OPT);
  ZT_EQU(rr.name.len, 1);
  ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
  ZT_EQU(rd.u.opt.udp_size, 4096);
  ZT_CHECK(rd.u.opt.do_bit);
  ZT_EQU(rd.u.opt.version, 0);
  ZT_EQU(rd.u.opt.ext_rcode, 0);
  ZT_EQU(rd.u.opt.opts_len, 0);

  ZT_EQ(zn_dns_iter_rr(&it, &rr), ZN_EOF);
  ZT_EQ(zn_dns_iter_rr(&it, &rr), ZN_EOF);
  ZT_EQU(it.off, sizeof golden_resp);

  ZT_REQUIRE(zn_dns_msg_opt(&m, &opt) == ZN_OK);
  ZT_EQU(opt.udp_size, 4096);
  ZT_CHECK(opt.do_bit);
}

/* Parse the golden response and re-emit it from the decoded fields: the
 * same bytes come out. */
ZT_TEST(test_resp_roundtrip) {
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  struct zn_dns_rr rr;
  struct zn_dns_rdata rd;
  struct zn_dns_hdr h;
  struct zn_dns_builder b;
  uint8_t buf[256];
  int err;

  ZT_REQUIRE(zn_dns_msg_init(&m, golden_resp, sizeof golden_resp) == ZN_OK);
  zn_dns_msg_hdr(&m, &h);
  ZT_REQUIRE(zn_dns_build_init(&b, buf, sizeof buf, &h) == ZN_OK);
  zn_dns_iter_init(&it, &m);
  while ((err = zn_dns_iter_question(&it, &q)) == ZN_OK)
    ZT_EQ(zn_dns_build_question(&b, &q.name, q.qtype, q.qclass), ZN_OK);
  ZT_EQ(err, ZN_EOF);
  while ((err = zn_dns_iter_rr(&it, &rr)) == ZN_OK) {
    ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
    if (rr.type == ZN_DNS_TYPE_OPT)
      ZT_EQ(zn_dns_build_opt(&b, &rd.u.opt), ZN_OK);
    else
      ZT_EQ(zn_dns_build_rr(&b, (enum zn_dns_section)rr.section, &rr.name,
                            rr.rclass, rr.ttl, &rd),
            ZN_OK);
  }
  ZT_EQ(err, ZN_EOF);
  ZT_EQU(zn_dns_build_len(&b), sizeof golden_resp);
  ZT_MEMEQ(buf, golden_resp, sizeof golden_resp);
}

/* ---- compression on emit ----------------------------------------------- */

ZT_TEST(test_compress_pointers) {
  uint8_t buf[512];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = 1};
  struct zn_dns_name n;
  struct zn_dns_rdata rd = {.type = ZN_DNS_TYPE_A, .u.a = 0x0a000001u};
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  size_t at;

  ZT_REQUIRE(zn_dns_build_init(&b, buf, sizeof buf, &h) == ZN_OK);
  n = nm("a.b.c");
  ZT_EQ(zn_dns_build_question(&b, &n, 1, 1), ZN_OK); /* a@12 b@14 c@16 */
  /* x.b.c: "x" in place, then a pointer to b.c at 14. */
  at = b.len;
  n = nm("x.b.c");
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &rd), ZN_OK);
  ZT_MEMEQ(buf + at, "\x01x\xc0\x0e", 4);
  /* The whole name again: one pointer to 12. */
  at = b.len;
  n = nm("a.b.c");
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &rd), ZN_OK);
  ZT_MEMEQ(buf + at, "\xc0\x0c\x00\x01", 4);
  /* A suffix of a name that was itself compressed: x.b.c was written at
   * 23 as "x" + pointer, so "y.x.b.c" points at 23. */
  at = b.len;
  n = nm("y.x.b.c");
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &rd), ZN_OK);
  ZT_MEMEQ(buf + at, "\x01y\xc0\x17", 4);
  /* Only c shared. */
  at = b.len;
  n = nm("d.c");
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &rd), ZN_OK);
  ZT_MEMEQ(buf + at, "\x01" "d\xc0\x10", 4);
  /* Nothing shared: written in full. */
  at = b.len;
  n = nm("e.f");
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &rd), ZN_OK);
  ZT_MEMEQ(buf + at, "\x01" "e\x01" "f\x00\x00\x01", 7);
  /* Byte-exact matching: "B.C" is not compressed against "b.c". */
  at = b.len;
  n = nm("B.C");
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &rd), ZN_OK);
  ZT_MEMEQ(buf + at, "\x01" "B\x01" "C\x00", 5);
  /* The root is never a pointer. */
  at = b.len;
  n = nm(".");
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &rd), ZN_OK);
  ZT_MEMEQ(buf + at, "\x00\x00\x01", 3);

  /* Everything parses back to the names given. */
  ZT_REQUIRE(zn_dns_msg_init(&m, buf, b.len) == ZN_OK);
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK);
  ZT_EQU(zn_dns_ancount(&m), 7);
  zn_dns_iter_init(&it, &m);
  {
    static const char *const want[] = {"x.b.c", "a.b.c", "y.x.b.c", "d.c",
                                       "e.f",   "B.C",   "."};
    for (int i = 0; i < 7; i++) {
      ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
      ZT_STREQ(txt(&rr.name), want[i]);
    }
  }
}

/* Offsets from 0x4000 on cannot be pointed at; names there are written in
 * full, and earlier ones are still used. */
ZT_TEST(test_compress_high_offsets) {
  static uint8_t buf[20000];
  static uint8_t filler[16400];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = 2};
  struct zn_dns_name q = nm("q.example"), hi = nm("high.name");
  struct zn_dns_rdata raw = {.type = 99};
  struct zn_dns_rdata a = {.type = ZN_DNS_TYPE_A, .u.a = 1};
  struct zn_dns_msg m;
  size_t at1, at2, at3;

  raw.u.raw.p = filler;
  raw.u.raw.len = sizeof filler;
  ZT_REQUIRE(zn_dns_build_init(&b, buf, sizeof buf, &h) == ZN_OK);
  ZT_EQ(zn_dns_build_question(&b, &q, 1, 1), ZN_OK);
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &q, 1, 0, &raw), ZN_OK);
  at1 = b.len;
  ZT_CHECK(at1 > 0x4000);
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &hi, 1, 0, &a), ZN_OK);
  ZT_MEMEQ(buf + at1, hi.b, hi.len);
  at2 = b.len;
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &hi, 1, 0, &a), ZN_OK);
  ZT_MEMEQ(buf + at2, hi.b, hi.len); /* again in full */
  at3 = b.len;
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &q, 1, 0, &a), ZN_OK);
  ZT_MEMEQ(buf + at3, "\xc0\x0c", 2);
  ZT_REQUIRE(zn_dns_msg_init(&m, buf, b.len) == ZN_OK);
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK);
}

/* Once the table is full, new names are written in full but still
 * correct. */
ZT_TEST(test_compress_table_full) {
  uint8_t buf[4096];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = 3};
  struct zn_dns_rdata a = {.type = ZN_DNS_TYPE_A, .u.a = 1};
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  char t[16];
  size_t at;

  ZT_REQUIRE(zn_dns_build_init(&b, buf, sizeof buf, &h) == ZN_OK);
  for (int i = 0; i < 40; i++) {
    struct zn_dns_name n;
    t[0] = 'n';
    t[1] = (char)('a' + i / 26);
    t[2] = (char)('a' + i % 26);
    ZT_EQ(zn_dns_name_from_text(&n, t, 3), ZN_OK);
    ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &a), ZN_OK);
  }
  ZT_EQU(b.ncomp, ZN_DNS_COMP_MAX);
  {
    struct zn_dns_name n;
    ZT_EQ(zn_dns_name_from_text(&n, "nab", 3), ZN_OK); /* i = 1 */
    at = b.len;
    ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &a), ZN_OK);
    ZT_MEMEQ(buf + at, "\xc0\x1f", 2); /* second record at 12 + 19 */
    ZT_EQ(zn_dns_name_from_text(&n, "nbn", 3), ZN_OK); /* i = 39 */
    at = b.len;
    ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 0, &a), ZN_OK);
    ZT_MEMEQ(buf + at, "\x03nbn\x00", 5);
  }
  ZT_REQUIRE(zn_dns_msg_init(&m, buf, b.len) == ZN_OK);
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK);
  zn_dns_iter_init(&it, &m);
  for (int i = 0; i < 42; i++)
    ZT_REQUIRE(zn_dns_iter_rr(&it, &rr) == ZN_OK);
  ZT_STREQ(txt(&rr.name), "nbn");
}

/* ---- pointers on parse ------------------------------------------------- */

/* A message with header counts qd/an and body bytes. */
static size_t mk(uint8_t *out, uint16_t qd, uint16_t an, const uint8_t *body,
                 size_t len) {
  memset(out, 0, 12);
  out[0] = 0xab;
  out[5] = (uint8_t)qd;
  out[4] = (uint8_t)(qd >> 8);
  out[7] = (uint8_t)an;
  out[6] = (uint8_t)(an >> 8);
  memcpy(out + 12, body, len);
  return 12 + len;
}

static int first_question(const uint8_t *p, size_t len,
                          struct zn_dns_question *q) {
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  int err = zn_dns_msg_init(&m, p, len);
  if (err != ZN_OK)
    return err;
  zn_dns_iter_init(&it, &m);
  return zn_dns_iter_question(&it, q);
}

/* The second record's owner (the first carries raw bytes to point at). */
static int second_owner(const uint8_t *p, size_t len, struct zn_dns_name *n) {
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  int err = zn_dns_msg_init(&m, p, len);
  if (err != ZN_OK)
    return err;
  zn_dns_iter_init(&it, &m);
  if ((err = zn_dns_iter_rr(&it, &rr)) != ZN_OK)
    return err;
  if ((err = zn_dns_iter_rr(&it, &rr)) != ZN_OK)
    return err;
  *n = rr.name;
  return ZN_OK;
}

ZT_TEST(test_pointer_self) {
  static const uint8_t body[] = {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01};
  uint8_t msg[64];
  struct zn_dns_question q;
  size_t len = mk(msg, 1, 0, body, sizeof body);
  ZT_EQ(first_question(msg, len, &q), ZN_EMALFORMED);
}

ZT_TEST(test_pointer_forward) {
  /* q1 points at q2's name, which comes later. */
  static const uint8_t body[] = {0xc0, 0x12, 0x00, 0x01, 0x00, 0x01,
                                 0x01, 'a',  0x00, 0x00, 0x01, 0x00, 0x01};
  uint8_t msg[64];
  struct zn_dns_question q;
  size_t len = mk(msg, 2, 0, body, sizeof body);
  ZT_EQ(first_question(msg, len, &q), ZN_EMALFORMED);
}

ZT_TEST(test_pointer_into_header) {
  static const uint8_t body[] = {0x01, 'a', 0xc0, 0x02, 0x00, 0x01, 0x00,
                                 0x01};
  uint8_t msg[64];
  struct zn_dns_question q;
  size_t len = mk(msg, 1, 0, body, sizeof body);
  ZT_EQ(first_question(msg, len, &q), ZN_EMALFORMED);
}

/* RR1 (at 12): root owner, type 99, rdlen 4, RDATA at 23 = the bytes under
 * test; RR2 (at 27): owner = the 2 given bytes, A. */
static size_t mk_two(uint8_t *msg, const uint8_t rdata4[4],
                     const uint8_t owner2[2]) {
  uint8_t body[64];
  size_t n = 0;
  static const uint8_t rr1[] = {0x00, 0x00, 0x63, 0x00, 0x01, 0x00,
                                0x00, 0x00, 0x00, 0x00, 0x04};
  static const uint8_t rr2_tail[] = {0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x04, 10,   0,
                                     0,    1};
  memcpy(body + n, rr1, sizeof rr1);
  n += sizeof rr1;
  memcpy(body + n, rdata4, 4);
  n += 4;
  memcpy(body + n, owner2, 2);
  n += 2;
  memcpy(body + n, rr2_tail, sizeof rr2_tail);
  n += sizeof rr2_tail;
  return mk(msg, 0, 2, body, n);
}

ZT_TEST(test_pointer_mutual) {
  /* 23 -> 25 and 25 -> 23; the owner at 27 enters at 25. */
  uint8_t msg[64];
  struct zn_dns_name n;
  size_t len = mk_two(msg, (const uint8_t *)"\xc0\x19\xc0\x17",
                      (const uint8_t *)"\xc0\x19");
  ZT_EQ(second_owner(msg, len, &n), ZN_EMALFORMED);
  /* The same layout with a sane target parses: 23 = "A", root. */
  len = mk_two(msg, (const uint8_t *)"\x01" "A\x00\x00",
               (const uint8_t *)"\xc0\x17");
  ZT_REQUIRE(second_owner(msg, len, &n) == ZN_OK);
  ZT_STREQ(txt(&n), "A");
}

ZT_TEST(test_pointer_loop_through_labels) {
  /* 23: label "A", 25: pointer to 23.  Each pointer aims below its own
   * position, but the labels lead back to the same pointer: a loop. */
  uint8_t msg[64];
  struct zn_dns_name n;
  size_t len = mk_two(msg, (const uint8_t *)"\x01" "A\xc0\x17",
                      (const uint8_t *)"\xc0\x19");
  ZT_EQ(second_owner(msg, len, &n), ZN_EMALFORMED);
  /* Entering at the label itself: the pointer at 25 aims at its own run's
   * start. */
  len = mk_two(msg, (const uint8_t *)"\x01" "A\xc0\x17",
               (const uint8_t *)"\xc0\x17");
  ZT_EQ(second_owner(msg, len, &n), ZN_EMALFORMED);
}

ZT_TEST(test_pointer_into_own_run) {
  /* 23: a label of one byte, 0x00; 25: a pointer to 24, that byte.  The
   * target is below the pointer but inside the run of labels that holds
   * it (which starts at 23): rejected, although following it would end
   * the name "\000." properly.  No compressor writes this; allowing it is
   * what lets labels lead back to their own pointers. */
  uint8_t msg[64];
  struct zn_dns_name n;
  size_t len = mk_two(msg, (const uint8_t *)"\x01\x00\xc0\x18",
                      (const uint8_t *)"\xc0\x17");
  ZT_EQ(second_owner(msg, len, &n), ZN_EMALFORMED);
  /* The same pointer entered directly (its run starts at 25): 24 is below
   * 25, so it is followed, to the root. */
  len = mk_two(msg, (const uint8_t *)"\x01\x00\xc0\x18",
               (const uint8_t *)"\xc0\x19");
  ZT_REQUIRE(second_owner(msg, len, &n) == ZN_OK);
  ZT_EQU(n.len, 1);
}

/* A chain of `hops` pointers, each to the one before, ending at
 * "example.com"; returns the result of reading the owner that enters the
 * chain at its last pointer. */
static int chain(unsigned hops, struct zn_dns_name *out) {
  uint8_t msg[1024], body[1000];
  size_t n = 0, rdstart, base, last = 0;
  static const uint8_t ex[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                               3, 'c', 'o', 'm', 0};
  /* RR1: root owner, type 99, RDATA = name + pointers. */
  body[n++] = 0;
  body[n++] = 0;
  body[n++] = 99;
  body[n++] = 0;
  body[n++] = 1;
  memset(body + n, 0, 4);
  n += 4;
  rdstart = n;
  n += 2; /* rdlen */
  base = 12 + n;
  memcpy(body + n, ex, sizeof ex);
  n += sizeof ex;
  last = base;
  for (unsigned i = 0; i < hops - 1; i++) {
    size_t here = 12 + n;
    body[n++] = (uint8_t)(0xc0 | last >> 8);
    body[n++] = (uint8_t)last;
    last = here;
  }
  body[rdstart] = (uint8_t)((n - rdstart - 2) >> 8);
  body[rdstart + 1] = (uint8_t)(n - rdstart - 2);
  /* RR2: owner = pointer to the last pointer (the hops-th jump). */
  body[n++] = (uint8_t)(0xc0 | last >> 8);
  body[n++] = (uint8_t)last;
  {
    static const uint8_t tail[] = {0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
    memcpy(body + n, tail, sizeof tail);
    n += sizeof tail;
  }
  return second_owner(msg, mk(msg, 0, 2, body, n), out);
}

ZT_TEST(test_pointer_chain) {
  struct zn_dns_name n;
  ZT_REQUIRE(chain(1, &n) == ZN_OK);
  ZT_STREQ(txt(&n), "example.com");
  ZT_REQUIRE(chain(100, &n) == ZN_OK);
  ZT_STREQ(txt(&n), "example.com");
  ZT_REQUIRE(chain(ZN_DNS_PTR_HOPS_MAX, &n) == ZN_OK);
  ZT_STREQ(txt(&n), "example.com");
  ZT_EQ(chain(ZN_DNS_PTR_HOPS_MAX + 1, &n), ZN_EMALFORMED);
  ZT_EQ(chain(400, &n), ZN_EMALFORMED);
}

ZT_TEST(test_reserved_label_types) {
  uint8_t msg[64];
  struct zn_dns_question q;
  uint8_t body[] = {0x01, 'a', 0x40, 'b', 0x00, 0x00, 0x01, 0x00, 0x01};
  size_t len = mk(msg, 1, 0, body, sizeof body);
  ZT_EQ(first_question(msg, len, &q), ZN_EMALFORMED);
  body[2] = 0x80;
  len = mk(msg, 1, 0, body, sizeof body);
  ZT_EQ(first_question(msg, len, &q), ZN_EMALFORMED);
  body[2] = 0x01;
  len = mk(msg, 1, 0, body, sizeof body);
  ZT_REQUIRE(first_question(msg, len, &q) == ZN_OK);
  ZT_STREQ(txt(&q.name), "a.b");
}

/* ---- names at their limits --------------------------------------------- */

/* A wire name of labels with the given lengths (filled with 'a'+i). */
static size_t wire_name(uint8_t *out, const unsigned *labels, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    out[o++] = (uint8_t)labels[i];
    memset(out + o, 'a' + (int)i, labels[i]);
    o += labels[i];
  }
  out[o++] = 0;
  return o;
}

ZT_TEST(test_name_255_256) {
  static const unsigned l255[] = {63, 63, 63, 61};
  static const unsigned l256[] = {63, 63, 63, 62};
  uint8_t body[600], msg[700];
  struct zn_dns_question q;
  size_t n, len;

  n = wire_name(body, l255, 4);
  ZT_EQU(n, 255);
  memcpy(body + n, "\x00\x01\x00\x01", 4);
  len = mk(msg, 1, 0, body, n + 4);
  ZT_REQUIRE(first_question(msg, len, &q) == ZN_OK);
  ZT_EQU(q.name.len, 255);
  ZT_MEMEQ(q.name.b, body, 255);
  ZT_EQU(zn_dns_name_labels(&q.name), 4);
  ZT_CHECK(zn_dns_name_check(&q.name));

  n = wire_name(body, l256, 4);
  ZT_EQU(n, 256);
  memcpy(body + n, "\x00\x01\x00\x01", 4);
  len = mk(msg, 1, 0, body, n + 4);
  ZT_EQ(first_question(msg, len, &q), ZN_EMALFORMED);

  /* 256 reached through a pointer: q1 = 63+63+63 labels (193 bytes with
   * root), q2 = a 62-byte label + pointer to q1 -> 63 + 193 = 256. */
  {
    static const unsigned l3[] = {63, 63, 63};
    size_t o = wire_name(body, l3, 3);
    memcpy(body + o, "\x00\x01\x00\x01", 4);
    o += 4;
    body[o++] = 62;
    memset(body + o, 'z', 62);
    o += 62;
    body[o++] = 0xc0;
    body[o++] = 12;
    memcpy(body + o, "\x00\x01\x00\x01", 4);
    o += 4;
    len = mk(msg, 2, 0, body, o);
    struct zn_dns_msg m;
    struct zn_dns_iter it;
    ZT_REQUIRE(zn_dns_msg_init(&m, msg, len) == ZN_OK);
    zn_dns_iter_init(&it, &m);
    ZT_EQ(zn_dns_iter_question(&it, &q), ZN_OK);
    ZT_EQU(q.name.len, 193);
    ZT_EQ(zn_dns_iter_question(&it, &q), ZN_EMALFORMED);
    ZT_EQ(zn_dns_iter_question(&it, &q), ZN_EMALFORMED); /* sticky */
    /* 61 bytes instead: 255, fine. */
    body[o - 4 - 2 - 62 - 1] = 61;
    memmove(body + o - 4 - 2 - 62 + 61 - 0, body + o - 4 - 2, 6);
    len = mk(msg, 2, 0, body, o - 1);
    ZT_REQUIRE(zn_dns_msg_init(&m, msg, len) == ZN_OK);
    zn_dns_iter_init(&it, &m);
    ZT_EQ(zn_dns_iter_question(&it, &q), ZN_OK);
    ZT_EQ(zn_dns_iter_question(&it, &q), ZN_OK);
    ZT_EQU(q.name.len, 255);
    ZT_EQ(zn_dns_iter_question(&it, &q), ZN_EOF);
  }
}

ZT_TEST(test_label_63_64) {
  uint8_t body[100], msg[200];
  struct zn_dns_question q;
  size_t len;

  body[0] = 63;
  memset(body + 1, 'x', 63);
  memcpy(body + 64, "\x00\x00\x01\x00\x01", 5);
  len = mk(msg, 1, 0, body, 69);
  ZT_REQUIRE(first_question(msg, len, &q) == ZN_OK);
  ZT_EQU(q.name.len, 65);
  body[0] = 64; /* 0x40: the extended label type, not a length */
  memset(body + 1, 'x', 64);
  memcpy(body + 65, "\x00\x00\x01\x00\x01", 5);
  len = mk(msg, 1, 0, body, 70);
  ZT_EQ(first_question(msg, len, &q), ZN_EMALFORMED);
}

/* ---- truncation ---------------------------------------------------------- */

/* Every prefix of the golden response, each in a block of exactly its
 * size, must fail with ZN_ETRUNCATED (or msg_init's error), and never read
 * past the block. */
ZT_TEST(test_truncated_every_offset) {
  for (size_t len = 0; len <= sizeof golden_resp; len++) {
    uint8_t *c = exact_copy(golden_resp, len);
    struct zn_dns_msg m;
    struct zn_dns_iter it;
    struct zn_dns_rr rr;
    int err;
    ZT_REQUIRE(c != NULL);
    err = zn_dns_msg_init(&m, c, len);
    if (len < 12) {
      ZT_EQ(err, ZN_ETRUNCATED);
      free(c);
      continue;
    }
    ZT_EQ(err, ZN_OK);
    err = zn_dns_msg_check(&m);
    if (len == sizeof golden_resp)
      ZT_EQ(err, ZN_OK);
    else if (err != ZN_ETRUNCATED)
      zt_fail(__FILE__, __LINE__, "prefix %zu: %s", len, zn_err_name(err));
    /* And walking by hand, decoding each RDATA, too. */
    zn_dns_iter_init(&it, &m);
    while ((err = zn_dns_iter_rr(&it, &rr)) == ZN_OK) {
      struct zn_dns_rdata rd;
      ZT_EQ(zn_dns_rr_rdata(&m, &rr, &rd), ZN_OK);
    }
    ZT_EQ(err, len == sizeof golden_resp ? ZN_EOF : ZN_ETRUNCATED);
    /* A response cut short still shows its header. */
    ZT_EQU(zn_dns_id(&m), 0x1234);
    free(c);
  }
}

ZT_TEST(test_msg_size_limits) {
  struct zn_dns_msg m;
  static uint8_t big[65536];
  ZT_EQ(zn_dns_msg_init(&m, big, 11), ZN_ETRUNCATED);
  ZT_EQ(zn_dns_msg_init(&m, big, 12), ZN_OK);
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK); /* empty message */
  ZT_EQ(zn_dns_msg_init(&m, big, 65535), ZN_OK);
  ZT_EQ(zn_dns_msg_init(&m, big, 65536), ZN_EMSGSIZE);
  /* Counts larger than the data. */
  {
    uint8_t msg[64];
    size_t len = mk(msg, 0, 1, (const uint8_t *)"", 0);
    ZT_REQUIRE(zn_dns_msg_init(&m, msg, len) == ZN_OK);
    ZT_EQ(zn_dns_msg_check(&m), ZN_ETRUNCATED);
  }
}

/* ---- RDATA layouts ------------------------------------------------------ */

/* A message: question "example.com" A, one answer "example.com" of the
 * given type and raw RDATA; returns the RDATA decode result. */
static int rdata_of(uint16_t type, const void *rdata, size_t rdlen,
                    struct zn_dns_rdata *rd) {
  static uint8_t buf[1024];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = 7, .qr = true};
  struct zn_dns_name n = nm("example.com");
  struct zn_dns_rdata raw = {.type = 0xff00};
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  int err;

  raw.u.raw.p = rdata;
  raw.u.raw.len = rdlen;
  if (zn_dns_build_init(&b, buf, sizeof buf, &h) != ZN_OK ||
      zn_dns_build_question(&b, &n, 1, 1) != ZN_OK ||
      zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 60, &raw) != ZN_OK)
    return -999;
  /* Patch the type: the raw record's TYPE is 10 bytes before its RDATA. */
  buf[b.len - rdlen - 10] = (uint8_t)(type >> 8);
  buf[b.len - rdlen - 9] = (uint8_t)type;
  if (zn_dns_msg_init(&m, buf, b.len) != ZN_OK)
    return -998;
  zn_dns_iter_init(&it, &m);
  if ((err = zn_dns_iter_rr(&it, &rr)) != ZN_OK)
    return err;
  if (rr.type != type || rr.rdlen != rdlen)
    return -997;
  return zn_dns_rr_rdata(&m, &rr, rd);
}

ZT_TEST(test_rdata_lengths) {
  struct zn_dns_rdata rd;
  uint8_t z[32] = {0};
  /* The question name example.com is at 12: a pointer to it is c0 0c. */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_A, "\x01\x02\x03\x04", 4, &rd), ZN_OK);
  ZT_EQU(rd.u.a, 0x01020304u);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_A, z, 3, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_A, z, 5, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_A, z, 0, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_AAAA, aaaa_addr, 16, &rd), ZN_OK);
  ZT_MEMEQ(rd.u.aaaa, aaaa_addr, 16);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_AAAA, z, 15, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_AAAA, z, 17, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_AAAA, z, 4, &rd), ZN_EMALFORMED);

  /* CNAME/NS/PTR: exactly one name. */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_CNAME, "\x01x\xc0\x0c", 4, &rd), ZN_OK);
  ZT_STREQ(txt(&rd.u.name), "x.example.com");
  ZT_EQ(rdata_of(ZN_DNS_TYPE_NS, "\x01x\xc0\x0c\x00", 5, &rd),
        ZN_EMALFORMED); /* a byte left over */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_PTR, "\x01x\xc0", 3, &rd),
        ZN_EMALFORMED); /* pointer cut by RDLENGTH */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_PTR, "\x03xy", 3, &rd),
        ZN_EMALFORMED); /* label runs past RDLENGTH */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_CNAME, "", 0, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_CNAME, "\x00", 1, &rd), ZN_OK); /* root */
  ZT_EQU(rd.u.name.len, 1);

  /* MX: preference + name. */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_MX, "\x00\x05\x02mx\xc0\x0c", 7, &rd), ZN_OK);
  ZT_EQU(rd.u.mx.pref, 5);
  ZT_STREQ(txt(&rd.u.mx.exchange), "mx.example.com");
  ZT_EQ(rdata_of(ZN_DNS_TYPE_MX, "\x00\x05", 2, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_MX, "\x00\x05\x00\x00", 4, &rd),
        ZN_EMALFORMED);

  /* SOA: two names and exactly 20 bytes. */
  {
    uint8_t soa[40];
    memcpy(soa, "\xc0\x0c\x01h\xc0\x0c", 6);
    for (int i = 0; i < 20; i++)
      soa[6 + i] = (uint8_t)(i + 1);
    ZT_EQ(rdata_of(ZN_DNS_TYPE_SOA, soa, 26, &rd), ZN_OK);
    ZT_STREQ(txt(&rd.u.soa.mname), "example.com");
    ZT_STREQ(txt(&rd.u.soa.rname), "h.example.com");
    ZT_EQU(rd.u.soa.serial, 0x01020304u);
    ZT_EQU(rd.u.soa.minimum, 0x11121314u);
    ZT_EQ(rdata_of(ZN_DNS_TYPE_SOA, soa, 25, &rd), ZN_EMALFORMED);
    soa[26] = 0;
    ZT_EQ(rdata_of(ZN_DNS_TYPE_SOA, soa, 27, &rd), ZN_EMALFORMED);
    ZT_EQ(rdata_of(ZN_DNS_TYPE_SOA, soa, 2, &rd), ZN_EMALFORMED);
  }

  /* SRV. */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_SRV, "\x00\x01\x00\x02\x14\x95\x01s\x00", 9,
                 &rd),
        ZN_OK);
  ZT_EQU(rd.u.srv.prio, 1);
  ZT_EQU(rd.u.srv.weight, 2);
  ZT_EQU(rd.u.srv.port, 5269);
  ZT_STREQ(txt(&rd.u.srv.target), "s");
  ZT_EQ(rdata_of(ZN_DNS_TYPE_SRV, "\x00\x01\x00\x02\x14\x95", 6, &rd),
        ZN_EMALFORMED);

  /* TXT: strings exactly filling the RDATA, at least one. */
  ZT_EQ(rdata_of(ZN_DNS_TYPE_TXT, "\x02hi\x00", 4, &rd), ZN_OK);
  {
    size_t off = 0, sl;
    const uint8_t *s;
    ZT_EQ(zn_dns_txt_next(&rd.u.txt, &off, &s, &sl), ZN_OK);
    ZT_EQU(sl, 2);
    ZT_EQ(zn_dns_txt_next(&rd.u.txt, &off, &s, &sl), ZN_OK);
    ZT_EQU(sl, 0);
    ZT_EQ(zn_dns_txt_next(&rd.u.txt, &off, &s, &sl), ZN_EOF);
  }
  ZT_EQ(rdata_of(ZN_DNS_TYPE_TXT, "\x03hi", 3, &rd), ZN_EMALFORMED);
  ZT_EQ(rdata_of(ZN_DNS_TYPE_TXT, "", 0, &rd), ZN_EMALFORMED);
  {
    /* An unchecked TXT with a string running past the end. */
    struct zn_dns_txt t = {(const uint8_t *)"\x01" "a\x05" "b", 4};
    size_t off = 0, sl;
    const uint8_t *s;
    ZT_EQ(zn_dns_txt_next(&t, &off, &s, &sl), ZN_OK);
    ZT_EQ(zn_dns_txt_next(&t, &off, &s, &sl), ZN_EMALFORMED);
    ZT_EQU(off, 2);
  }

  /* Unknown types: raw. */
  ZT_EQ(rdata_of(4242, "\x01\x02\x03", 3, &rd), ZN_OK);
  ZT_EQU(rd.type, 4242);
  ZT_EQU(rd.u.raw.len, 3);
  ZT_MEMEQ(rd.u.raw.p, "\x01\x02\x03", 3);
}

/* OPT: owner must be the root, options must fill the RDATA. */
ZT_TEST(test_rdata_opt) {
  uint8_t buf[128];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = 9, .rd = true};
  struct zn_dns_name n = nm("example.com");
  static const uint8_t opts[] = {0x00, 0x0a, 0x00, 0x08, 1, 2, 3, 4,
                                 5,    6,    7,    8,    0x00, 0x0c, 0x00,
                                 0x00};
  struct zn_dns_opt o = {.udp_size = 1232, .ext_rcode = 1, .version = 0,
                         .do_bit = false, .opts = opts,
                         .opts_len = sizeof opts};
  struct zn_dns_opt got;
  struct zn_dns_msg m;
  size_t off = 0;
  uint16_t code, dlen;
  const uint8_t *data;

  ZT_REQUIRE(zn_dns_build_init(&b, buf, sizeof buf, &h) == ZN_OK);
  ZT_EQ(zn_dns_build_question(&b, &n, 1, 1), ZN_OK);
  ZT_EQ(zn_dns_build_opt(&b, &o), ZN_OK);
  ZT_EQ(zn_dns_build_opt(&b, &o), ZN_EINVAL); /* only one */
  ZT_REQUIRE(zn_dns_msg_init(&m, buf, b.len) == ZN_OK);
  ZT_REQUIRE(zn_dns_msg_opt(&m, &got) == ZN_OK);
  ZT_EQU(got.udp_size, 1232);
  ZT_EQU(got.ext_rcode, 1);
  ZT_CHECK(!got.do_bit);
  ZT_EQU(got.opts_len, sizeof opts);
  ZT_EQ(zn_dns_opt_next(&got, &off, &code, &data, &dlen), ZN_OK);
  ZT_EQU(code, 10);
  ZT_EQU(dlen, 8);
  ZT_MEMEQ(data, opts + 4, 8);
  ZT_EQ(zn_dns_opt_next(&got, &off, &code, &data, &dlen), ZN_OK);
  ZT_EQU(code, 12);
  ZT_EQU(dlen, 0);
  ZT_EQ(zn_dns_opt_next(&got, &off, &code, &data, &dlen), ZN_EOF);
  /* Options that do not fill: refused by the builder, and on parse. */
  o.opts_len = sizeof opts - 1;
  {
    uint8_t buf2[128];
    struct zn_dns_builder b2;
    ZT_REQUIRE(zn_dns_build_init(&b2, buf2, sizeof buf2, &h) == ZN_OK);
    ZT_EQ(zn_dns_build_opt(&b2, &o), ZN_EINVAL);
    ZT_EQU(b2.len, 12);
  }
  {
    struct zn_dns_rdata rd;
    ZT_EQ(rdata_of(ZN_DNS_TYPE_OPT, opts, sizeof opts, &rd),
          ZN_EMALFORMED); /* owner example.com, not the root */
  }
  /* Patch the OPT in buf: option length one too long. */
  buf[b.len - sizeof opts + 3] = 9;
  ZT_REQUIRE(zn_dns_msg_init(&m, buf, b.len) == ZN_OK);
  ZT_EQ(zn_dns_msg_opt(&m, &got), ZN_EMALFORMED);
  ZT_EQ(zn_dns_msg_check(&m), ZN_EMALFORMED);
  buf[b.len - sizeof opts + 3] = 8;
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK);
  /* Two OPT records, or one in the answer section: malformed. */
  {
    uint8_t buf2[128];
    size_t optlen = 11 + sizeof opts, l;
    memcpy(buf2, buf, b.len);
    memcpy(buf2 + b.len, buf + b.len - optlen, optlen);
    buf2[11] = 2;
    l = b.len + optlen;
    ZT_REQUIRE(zn_dns_msg_init(&m, buf2, l) == ZN_OK);
    ZT_EQ(zn_dns_msg_check(&m), ZN_EMALFORMED);
    ZT_EQ(zn_dns_msg_opt(&m, &got), ZN_EMALFORMED);
    buf2[11] = 0;
    buf2[7] = 1; /* the first OPT is now an answer; the second dropped */
    ZT_REQUIRE(zn_dns_msg_init(&m, buf2, b.len) == ZN_OK);
    ZT_EQ(zn_dns_msg_check(&m), ZN_EMALFORMED);
  }
}

/* ---- the builder --------------------------------------------------------- */

ZT_TEST(test_builder_exact_capacity) {
  uint8_t ref[512];
  struct zn_dns_builder b;
  int nok;
  size_t need;

  ZT_REQUIRE(build_golden(&b, ref, sizeof ref, &nok) == ZN_OK);
  need = b.len;
  ZT_EQU(need, sizeof golden_resp);
  for (size_t cap = 0; cap <= need + 1; cap++) {
    uint8_t *buf = malloc(cap ? cap : 1); /* ASan: no write past cap */
    int err;
    ZT_REQUIRE(buf != NULL);
    err = build_golden(&b, buf, cap, &nok);
    if (cap >= need) {
      ZT_EQ(err, ZN_OK);
      ZT_MEMEQ(buf, golden_resp, need);
    } else {
      struct zn_dns_msg m;
      ZT_EQ(err, ZN_ENOSPC);
      if (cap < 12) {
        ZT_EQ(nok, 0);
      } else {
        /* What was built is a complete message: the golden one minus
         * the records that did not fit, with matching counts. */
        ZT_CHECK(nok >= 1 && nok < 9);
        ZT_CHECK(b.len <= cap);
        ZT_REQUIRE(zn_dns_msg_init(&m, buf, b.len) == ZN_OK);
        ZT_EQ(zn_dns_msg_check(&m), ZN_OK);
        ZT_EQ(zn_dns_qdcount(&m) + zn_dns_ancount(&m) + zn_dns_nscount(&m) +
                  zn_dns_arcount(&m),
              nok - 1);
        /* Same bytes as the golden one up to the counts' end and after the
         * header. */
        ZT_MEMEQ(buf, golden_resp, 4);
        ZT_MEMEQ(buf + 12, golden_resp + 12, b.len - 12);
      }
    }
    if (cap == need - 1)
      ZT_EQ(nok, 8); /* only the OPT record (11 bytes) did not fit */
    free(buf);
  }
}

/* A failed add leaves every byte of the message as it was, and the
 * builder usable for something smaller. */
ZT_TEST(test_builder_failed_add_keeps_message) {
  uint8_t buf[60], snap[60];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = 5};
  struct zn_dns_name q = nm("a.example"), big = nm("a-rather-long-label.example");
  struct zn_dns_rdata a = {.type = ZN_DNS_TYPE_A, .u.a = 0x01020304};
  size_t len;

  ZT_REQUIRE(zn_dns_build_init(&b, buf, sizeof buf, &h) == ZN_OK);
  ZT_EQ(zn_dns_build_question(&b, &q, 1, 1), ZN_OK); /* 12 + 15 = 27 */
  len = b.len;
  memcpy(snap, buf, len);
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &big, 1, 0, &a), ZN_ENOSPC);
  ZT_EQU(b.len, len);
  ZT_MEMEQ(buf, snap, len);
  ZT_EQU(b.ncomp, 2); /* a.example, example: nothing of the failed add */
  /* A compressed record still fits: 2 + 10 + 4 = 16 -> 43. */
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &q, 1, 0, &a), ZN_OK);
  ZT_EQU(b.len, 43);
  ZT_EQU(zn_rd16(buf + 6), 1);
  /* Ordering: no question after a record, no going back a section. */
  ZT_EQ(zn_dns_build_question(&b, &q, 1, 1), ZN_EINVAL);
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_QUESTION, &q, 1, 0, &a), ZN_EINVAL);
  {
    struct zn_dns_rdata opt = {.type = ZN_DNS_TYPE_OPT};
    ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ADDITIONAL, &q, 1, 0, &opt),
          ZN_EINVAL);
  }
  {
    struct zn_dns_name bad = {.len = 3, .b = {5, 'a', 0}};
    ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &bad, 1, 0, &a), ZN_EINVAL);
    ZT_CHECK(!zn_dns_name_check(&bad));
  }
  {
    struct zn_dns_rdata t = {.type = ZN_DNS_TYPE_TXT};
    t.u.txt.p = (const uint8_t *)"\x05hi";
    t.u.txt.len = 3;
    ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &q, 1, 0, &t), ZN_EINVAL);
  }
  ZT_EQU(b.len, 43);
  {
    struct zn_dns_hdr bad = {.rcode = 16};
    ZT_EQ(zn_dns_build_set_hdr(&b, &bad), ZN_EINVAL);
    ZT_EQ(zn_dns_build_init(&b, buf, 11, &h), ZN_ENOSPC);
  }
}

ZT_TEST(test_build_response) {
  uint8_t buf[128];
  struct zn_dns_builder b;
  struct zn_dns_msg q, r;
  static const uint8_t want_hdr[12] = {0x12, 0x34, 0x81, 0x03, 0, 1,
                                       0,    0,    0,    0,    0, 0};

  ZT_REQUIRE(zn_dns_msg_init(&q, golden_query, sizeof golden_query) == ZN_OK);
  ZT_EQ(zn_dns_build_response(&b, buf, sizeof buf, &q, ZN_DNS_RCODE_NXDOMAIN),
        ZN_OK);
  ZT_EQU(b.len, sizeof golden_query);
  ZT_MEMEQ(buf, want_hdr, 12);
  ZT_MEMEQ(buf + 12, golden_query + 12, sizeof golden_query - 12);
  ZT_REQUIRE(zn_dns_msg_init(&r, buf, b.len) == ZN_OK);
  ZT_CHECK(zn_dns_qr(&r) && zn_dns_rd(&r) && !zn_dns_ra(&r));
  ZT_EQU(zn_dns_rcode(&r), ZN_DNS_RCODE_NXDOMAIN);
  /* Answer 0.0.0.0, pointing at the copied question. */
  {
    struct zn_dns_rdata a = {.type = ZN_DNS_TYPE_A, .u.a = 0};
    struct zn_dns_hdr h;
    struct zn_dns_name n = nm("WWW.example.com");
    zn_dns_msg_hdr(&r, &h);
    h.rcode = ZN_DNS_RCODE_NOERROR;
    h.ra = true;
    ZT_EQ(zn_dns_build_set_hdr(&b, &h), ZN_OK);
    zn_dns_name_lower(&n);
    ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, 1, 60, &a), ZN_OK);
    ZT_MEMEQ(buf + 2, "\x81\x80\x00\x01\x00\x01", 6);
    ZT_MEMEQ(buf + 33, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04"
                       "\x00\x00\x00\x00", 16);
  }
  /* An unparsable query: a header-only FORMERR. */
  {
    uint8_t bad[sizeof golden_query];
    memcpy(bad, golden_query, sizeof bad);
    bad[12] = 0x80;
    ZT_REQUIRE(zn_dns_msg_init(&q, bad, sizeof bad) == ZN_OK);
    ZT_EQ(zn_dns_build_response(&b, buf, sizeof buf, &q,
                                ZN_DNS_RCODE_FORMERR),
          ZN_EMALFORMED);
    ZT_EQU(b.len, 12);
    ZT_MEMEQ(buf, "\x12\x34\x81\x01\x00\x00\x00\x00\x00\x00\x00\x00", 12);
    ZT_REQUIRE(zn_dns_msg_init(&q, golden_query, 20) == ZN_OK);
    ZT_EQ(zn_dns_build_response(&b, buf, sizeof buf, &q,
                                ZN_DNS_RCODE_FORMERR),
          ZN_ETRUNCATED);
    ZT_EQU(b.len, 12);
  }
  /* No room for the question. */
  ZT_REQUIRE(zn_dns_msg_init(&q, golden_query, sizeof golden_query) == ZN_OK);
  ZT_EQ(zn_dns_build_response(&b, buf, 32, &q, 0), ZN_ENOSPC);
  ZT_EQU(b.len, 12);
  ZT_EQU(zn_rd16(buf + 4), 0);
  ZT_EQ(zn_dns_build_response(&b, buf, 8, &q, 0), ZN_ENOSPC);
  ZT_EQ(zn_dns_build_response(&b, buf, sizeof buf, &q, 16), ZN_EINVAL);
  /* Opcode and CD are copied. */
  {
    uint8_t q2[sizeof golden_query];
    memcpy(q2, golden_query, sizeof q2);
    q2[2] = 0x29; /* opcode 5 (UPDATE), RD */
    q2[3] = 0x10; /* CD */
    ZT_REQUIRE(zn_dns_msg_init(&q, q2, sizeof q2) == ZN_OK);
    ZT_EQ(zn_dns_build_response(&b, buf, sizeof buf, &q,
                                ZN_DNS_RCODE_NOTIMP),
          ZN_OK);
    ZT_MEMEQ(buf + 2, "\xa9\x14", 2);
  }
}

/* ---- text ---------------------------------------------------------------- */

ZT_TEST(test_text_roundtrip) {
  static const char ok[][32] = {
      "www.example.com", "a", "xn--bcher-kva.example", "_sip._tcp.example",
      "a\\.b.c",         "a\\\\b", "\\000\\255x.\\032y", "a-b.c0"};
  struct zn_dns_name n, n2;
  char buf[ZN_DNS_NAME_TEXT_MAX];
  size_t len;

  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    ZT_REQUIRE(zn_dns_name_from_text(&n, ok[i], strlen(ok[i])) == ZN_OK);
    ZT_CHECK(zn_dns_name_check(&n));
    ZT_EQ(zn_dns_name_to_text(&n, buf, sizeof buf, &len), ZN_OK);
    ZT_STREQ(buf, ok[i]);
    ZT_EQU(len, strlen(ok[i]));
    ZT_REQUIRE(zn_dns_name_from_text(&n2, buf, len) == ZN_OK);
    ZT_EQU(n2.len, n.len);
    ZT_MEMEQ(n2.b, n.b, n.len);
  }
  /* Wire forms. */
  ZT_EQ(zn_dns_name_from_text(&n, "www.example.com.", 16), ZN_OK);
  ZT_EQU(n.len, 17);
  ZT_MEMEQ(n.b, golden_query + 12, 17);
  ZT_EQ(zn_dns_name_from_text(&n, "www.example.com", 15), ZN_OK);
  ZT_MEMEQ(n.b, golden_query + 12, 17);
  ZT_EQ(zn_dns_name_from_text(&n, ".", 1), ZN_OK);
  ZT_EQU(n.len, 1);
  ZT_EQU(n.b[0], 0);
  ZT_EQ(zn_dns_name_to_text(&n, buf, sizeof buf, &len), ZN_OK);
  ZT_STREQ(buf, ".");
  ZT_EQ(zn_dns_name_from_text(&n, "a\\.b.c", 6), ZN_OK);
  ZT_EQU(n.len, 7);
  ZT_MEMEQ(n.b, "\x03" "a.b\x01" "c\x00", 7);
  ZT_EQU(zn_dns_name_labels(&n), 2);
  ZT_EQ(zn_dns_name_from_text(&n, "\\000\\255x.\\032y", 15), ZN_OK);
  ZT_MEMEQ(n.b, "\x03\x00\xffx\x02 y\x00", 8);
  ZT_EQ(zn_dns_name_from_text(&n, "a\\.", 3), ZN_OK); /* escaped dot last */
  ZT_MEMEQ(n.b, "\x02" "a.\x00", 4);
  ZT_EQ(zn_dns_name_from_text(&n, "\\Ab", 3), ZN_OK);
  ZT_MEMEQ(n.b, "\x02" "Ab\x00", 4);
  /* Bytes that need escapes on output. */
  {
    struct zn_dns_name e = {.len = 7, .b = {5, '.', '\\', ' ', 0x7f, 'z', 0}};
    ZT_EQ(zn_dns_name_to_text(&e, buf, sizeof buf, &len), ZN_OK);
    ZT_STREQ(buf, "\\.\\\\\\032\\127z");
  }
  /* Exactly as much room as needed, and one byte less. */
  ZT_EQ(zn_dns_name_from_text(&n, "www.example.com", 15), ZN_OK);
  ZT_EQ(zn_dns_name_to_text(&n, buf, 16, &len), ZN_OK);
  ZT_STREQ(buf, "www.example.com");
  len = 77;
  ZT_EQ(zn_dns_name_to_text(&n, buf, 15, &len), ZN_ENOSPC);
  ZT_STREQ(buf, "");
  ZT_EQU(len, 77);
  ZT_EQ(zn_dns_name_to_text(&n, buf, 0, NULL), ZN_ENOSPC);
  /* The longest text fits ZN_DNS_NAME_TEXT_MAX. */
  {
    struct zn_dns_name w;
    size_t o = 0;
    for (int l = 0; l < 4; l++) {
      unsigned ll = l < 3 ? 63 : 61;
      w.b[o++] = (uint8_t)ll;
      memset(w.b + o, 0x01, ll);
      o += ll;
    }
    w.b[o++] = 0;
    w.len = (uint8_t)o;
    ZT_EQU(o, 255);
    ZT_EQ(zn_dns_name_to_text(&w, buf, sizeof buf, &len), ZN_OK);
    ZT_EQU(len, 4 * 250 + 3);
    ZT_REQUIRE(zn_dns_name_from_text(&n2, buf, len) == ZN_OK);
    ZT_MEMEQ(n2.b, w.b, 255);
  }
}

ZT_TEST(test_text_errors) {
  static const char *const bad[] = {"",      "..",    "a..b", ".a",  "a\\",
                                    "a\\25", "a\\256", "a\\2x5", "..a", "a.."};
  struct zn_dns_name n = {.len = 99};
  char l63[64], l64[65], name[300];

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int err = zn_dns_name_from_text(&n, bad[i], strlen(bad[i]));
    if (err != ZN_EINVAL)
      zt_fail(__FILE__, __LINE__, "\"%s\": %s", bad[i], zn_err_name(err));
  }
  ZT_EQU(n.len, 99); /* untouched on failure */
  ZT_EQ(zn_dns_name_from_text(&n, "a\0b", 3), ZN_EINVAL);

  memset(l63, 'x', 63);
  l63[63] = 0;
  memset(l64, 'x', 64);
  l64[64] = 0;
  ZT_EQ(zn_dns_name_from_text(&n, l63, 63), ZN_OK);
  ZT_EQU(n.len, 65);
  ZT_EQ(zn_dns_name_from_text(&n, l64, 64), ZN_ENAMETOOLONG);

  /* 255 and 256 bytes of wire form: 3 x 63 + 61 / 62. */
  for (int extra = 0; extra < 2; extra++) {
    size_t o = 0;
    for (int l = 0; l < 3; l++) {
      memset(name + o, 'a' + l, 63);
      o += 63;
      name[o++] = '.';
    }
    memset(name + o, 'd', (size_t)(61 + extra));
    o += (size_t)(61 + extra);
    if (extra == 0) {
      ZT_EQ(zn_dns_name_from_text(&n, name, o), ZN_OK);
      ZT_EQU(n.len, 255);
      name[o] = '.';
      ZT_EQ(zn_dns_name_from_text(&n, name, o + 1), ZN_OK);
      ZT_EQU(n.len, 255);
    } else {
      ZT_EQ(zn_dns_name_from_text(&n, name, o), ZN_ENAMETOOLONG);
      name[o] = '.';
      ZT_EQ(zn_dns_name_from_text(&n, name, o + 1), ZN_ENAMETOOLONG);
    }
  }
  /* 127 one-byte labels = 255 bytes; 128 = 257. */
  {
    size_t o = 0;
    for (int i = 0; i < 127; i++) {
      name[o++] = 'q';
      name[o++] = '.';
    }
    ZT_EQ(zn_dns_name_from_text(&n, name, o), ZN_OK);
    ZT_EQU(n.len, 255);
    ZT_EQU(zn_dns_name_labels(&n), 127);
    name[o++] = 'q';
    ZT_EQ(zn_dns_name_from_text(&n, name, o), ZN_ENAMETOOLONG);
  }
}

ZT_TEST(test_compare_and_subdomain) {
  struct zn_dns_name a = nm("WWW.Example.COM"), b = nm("www.example.com.");
  struct zn_dns_name ex = nm("example.com"), ads = nm("ads.example.com");
  struct zn_dns_name badex = nm("badexample.com"), com = nm("com");
  struct zn_dns_name root = nm("."), other = nm("www.example.org");
  struct zn_dns_name deep = nm("a.b.ads.EXAMPLE.com");

  ZT_CHECK(zn_dns_name_eq(&a, &b));
  ZT_CHECK(zn_dns_name_eq(&b, &a));
  ZT_CHECK(!zn_dns_name_eq(&a, &other));
  ZT_CHECK(!zn_dns_name_eq(&a, &ex));
  {
    /* Only ASCII letters fold: '[' (0x5b) is not '{' (0x7b), 0xC9 is not
     * 0xE9. */
    struct zn_dns_name x = nm("a["), y = nm("a{");
    struct zn_dns_name u = nm("\\201"), v = nm("\\233");
    ZT_CHECK(!zn_dns_name_eq(&x, &y));
    ZT_CHECK(!zn_dns_name_eq(&u, &v));
  }
  ZT_CHECK(zn_dns_name_is_sub(&ads, &ex));
  ZT_CHECK(zn_dns_name_is_sub(&deep, &ex));
  ZT_CHECK(zn_dns_name_is_sub(&deep, &ads));
  ZT_CHECK(zn_dns_name_is_sub(&ex, &ex));
  ZT_CHECK(zn_dns_name_is_sub(&a, &ex)); /* case ignored */
  ZT_CHECK(!zn_dns_name_is_sub(&badex, &ex));
  ZT_CHECK(!zn_dns_name_is_sub(&ex, &ads));
  ZT_CHECK(!zn_dns_name_is_sub(&other, &ex));
  ZT_CHECK(zn_dns_name_is_sub(&badex, &com));
  ZT_CHECK(zn_dns_name_is_sub(&ex, &root));
  ZT_CHECK(zn_dns_name_is_sub(&root, &root));
  ZT_CHECK(!zn_dns_name_is_sub(&root, &com));
  {
    /* A label whose bytes look like "example.com" in wire form must not
     * match across a label boundary: "\007example\003com" as one label. */
    struct zn_dns_name tricky;
    ZT_REQUIRE(zn_dns_name_from_text(&tricky, "x\\007example\\003com", 19) ==
               ZN_OK);
    ZT_EQU(tricky.len, 15);
    ZT_CHECK(!zn_dns_name_is_sub(&tricky, &ex));
  }

  {
    /* Hand-made names that break the form: the helpers stay inside b[]
     * (ASan would tell) and give a plain answer. */
    struct zn_dns_name bad;
    memset(&bad, 0x3f, sizeof bad); /* labels of 63 running off the end */
    ZT_CHECK(!zn_dns_name_check(&bad));
    ZT_CHECK(!zn_dns_name_is_sub(&bad, &ex));
    ZT_CHECK(!zn_dns_name_eq(&bad, &ex));
    zn_dns_name_lower(&bad);
    ZT_CHECK(zn_dns_name_labels(&bad) <= 4);
    {
      char big[ZN_DNS_NAME_TEXT_MAX];
      ZT_EQ(zn_dns_name_to_text(&bad, big, sizeof big, NULL), ZN_OK);
    }
    bad.len = 0;
    ZT_CHECK(!zn_dns_name_check(&bad));
  }

  zn_dns_name_lower(&a);
  ZT_STREQ(txt(&a), "www.example.com");
  ZT_MEMEQ(a.b, b.b, a.len);
  {
    struct zn_dns_name z = nm("AZ.\\065\\090\\091@");
    zn_dns_name_lower(&z);
    ZT_MEMEQ(z.b, "\x02" "az\x04" "az[@\x00", 9);
  }
}

/* Found by fuzz_dns: the builder checked A and AAAA RDATA through the
 * union's raw member, so an address whose first 8 bytes are 0 and the
 * rest not (::ffff:192.0.2.1, ::1:0:0:0) was refused with ZN_EINVAL. */
ZT_TEST(test_build_any_address) {
  static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0xff, 0xff, 192, 0, 2, 1};
  static const uint8_t odd[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  uint8_t buf[512];
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.qr = true};
  struct zn_dns_name n = nm("example.com");
  struct zn_dns_rdata rd;
  ZT_EQ(zn_dns_build_init(&b, buf, sizeof(buf), &h), ZN_OK);
  rd.type = ZN_DNS_TYPE_AAAA;
  memcpy(rd.u.aaaa, mapped, 16);
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, ZN_DNS_CLASS_IN, 60, &rd),
        ZN_OK);
  memcpy(rd.u.aaaa, odd, 16);
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, ZN_DNS_CLASS_IN, 60, &rd),
        ZN_OK);
  memset(&rd, 0, sizeof(rd));
  memset(rd.u.aaaa + 8, 0xee, 8); /* what the union holds past u.a */
  rd.type = ZN_DNS_TYPE_A;
  rd.u.a = 0;
  ZT_EQ(zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, ZN_DNS_CLASS_IN, 60, &rd),
        ZN_OK);
  struct zn_dns_msg m;
  ZT_EQ(zn_dns_msg_init(&m, buf, zn_dns_build_len(&b)), ZN_OK);
  ZT_EQ(zn_dns_msg_check(&m), ZN_OK);
  ZT_EQ(zn_dns_ancount(&m), 3);
}

int main(void) {
  ZT_RUN(test_query_golden_parse);
  ZT_RUN(test_query_golden_emit);
  ZT_RUN(test_resp_golden_emit);
  ZT_RUN(test_resp_golden_parse);
  ZT_RUN(test_resp_roundtrip);
  ZT_RUN(test_compress_pointers);
  ZT_RUN(test_compress_high_offsets);
  ZT_RUN(test_compress_table_full);
  ZT_RUN(test_pointer_self);
  ZT_RUN(test_pointer_forward);
  ZT_RUN(test_pointer_into_header);
  ZT_RUN(test_pointer_mutual);
  ZT_RUN(test_pointer_loop_through_labels);
  ZT_RUN(test_pointer_into_own_run);
  ZT_RUN(test_pointer_chain);
  ZT_RUN(test_reserved_label_types);
  ZT_RUN(test_name_255_256);
  ZT_RUN(test_label_63_64);
  ZT_RUN(test_truncated_every_offset);
  ZT_RUN(test_msg_size_limits);
  ZT_RUN(test_rdata_lengths);
  ZT_RUN(test_rdata_opt);
  ZT_RUN(test_builder_exact_capacity);
  ZT_RUN(test_builder_failed_add_keeps_message);
  ZT_RUN(test_build_response);
  ZT_RUN(test_text_roundtrip);
  ZT_RUN(test_text_errors);
  ZT_RUN(test_compare_and_subdomain);
  ZT_RUN(test_build_any_address);
  return zt_done();
}
