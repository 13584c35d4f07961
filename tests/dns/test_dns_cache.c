/* The answer cache (dns/cache.c): hits, misses, expiry, LRU order,
 * eviction under a full table, collisions, case, and whole responses
 * stored and written back with their TTLs aged. */
#include <stdlib.h>

#include "znet/dns.h"
#include "znet/err.h"
#include "znet/time.h"
#include "zt.h"

static const uint8_t key[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                9, 10, 11, 12, 13, 14, 15, 16};

static struct zn_dns_cache *new_cache(uint32_t entries, uint32_t value_size,
                                      uint32_t max_ttl, void **mem) {
  struct zn_dns_cache_cfg cfg = {entries, value_size, max_ttl};
  size_t len = zn_dns_cache_mem_size(&cfg);
  struct zn_dns_cache *c = NULL;
  *mem = malloc(len);
  if (*mem == NULL || zn_dns_cache_init(&cfg, key, *mem, len, &c) != ZN_OK)
    return NULL;
  return c;
}

static void mkkey(struct zn_dns_cache_key *k, const char *name,
                  uint16_t qtype) {
  memset(k, 0, sizeof(*k));
  zn_dns_name_from_text(&k->name, name, strlen(name));
  k->qtype = qtype;
  k->qclass = ZN_DNS_CLASS_IN;
}

static int put(struct zn_dns_cache *c, const char *name, uint32_t v,
               uint32_t ttl, uint64_t now) {
  struct zn_dns_cache_key k;
  mkkey(&k, name, ZN_DNS_TYPE_A);
  return zn_dns_cache_put(c, &k, ttl, now, &v, sizeof(v));
}

/* The value stored under name, or 0 if none. */
static uint32_t get(struct zn_dns_cache *c, const char *name, uint64_t now) {
  struct zn_dns_cache_key k;
  struct zn_dns_cache_hit hit;
  uint32_t v;
  mkkey(&k, name, ZN_DNS_TYPE_A);
  if (zn_dns_cache_get(c, &k, now, &hit) != ZN_OK)
    return 0;
  memcpy(&v, hit.value, sizeof(v));
  return v;
}

ZT_TEST(test_sizes_and_init) {
  struct zn_dns_cache_cfg cfg = {0, 4, 60};
  ZT_EQ(zn_dns_cache_mem_size(&cfg), 0);
  cfg.entries = (1u << 20) + 1;
  ZT_EQ(zn_dns_cache_mem_size(&cfg), 0);
  cfg.entries = 8;
  cfg.value_size = 0;
  ZT_EQ(zn_dns_cache_mem_size(&cfg), 0);
  cfg.value_size = 4;
  size_t len = zn_dns_cache_mem_size(&cfg);
  ZT_CHECK(len >= 8 * 4);
  void *mem = malloc(len);
  struct zn_dns_cache *c = NULL;
  ZT_EQ(zn_dns_cache_init(&cfg, key, mem, len - 1, &c), ZN_ENOMEM);
  ZT_CHECK(c == NULL);
  ZT_EQ(zn_dns_cache_init(&cfg, key, mem, len, &c), ZN_OK);
  ZT_EQ(zn_dns_cache_count(c), 0);
  free(mem);
}

ZT_TEST(test_hit_miss_case) {
  void *mem;
  struct zn_dns_cache *c = new_cache(8, 4, 3600, &mem);
  ZT_REQUIRE(c);
  ZT_EQ(get(c, "a.example", 0), 0);
  ZT_EQ(put(c, "A.Example", 7, 60, 0), ZN_OK);
  ZT_EQ(get(c, "a.example", ZN_SEC(1)), 7);
  ZT_EQ(get(c, "A.EXAMPLE", ZN_SEC(1)), 7);
  ZT_EQ(get(c, "b.example", ZN_SEC(1)), 0);
  /* Type, class and variant are part of the key. */
  struct zn_dns_cache_key k;
  struct zn_dns_cache_hit hit;
  mkkey(&k, "a.example", ZN_DNS_TYPE_AAAA);
  ZT_EQ(zn_dns_cache_get(c, &k, 0, &hit), ZN_ENOENT);
  mkkey(&k, "a.example", ZN_DNS_TYPE_A);
  k.variant = 1;
  ZT_EQ(zn_dns_cache_get(c, &k, 0, &hit), ZN_ENOENT);
  k.variant = 0;
  k.qclass = 3;
  ZT_EQ(zn_dns_cache_get(c, &k, 0, &hit), ZN_ENOENT);
  k.qclass = ZN_DNS_CLASS_IN;
  ZT_EQ(zn_dns_cache_get(c, &k, ZN_SEC(10) + 5, &hit), ZN_OK);
  ZT_EQ(hit.len, 4);
  ZT_EQ(hit.age, 10);
  ZT_EQ(hit.ttl, 49);
  /* A second put replaces. */
  ZT_EQ(put(c, "a.example", 8, 60, ZN_SEC(20)), ZN_OK);
  ZT_EQ(get(c, "a.example", ZN_SEC(21)), 8);
  ZT_EQ(zn_dns_cache_count(c), 1);
  struct zn_dns_cache_stats s;
  zn_dns_cache_get_stats(c, &s);
  ZT_EQ(s.inserts, 2);
  ZT_EQ(s.hits, 4);
  ZT_EQ(s.misses, 5);
  free(mem);
}

ZT_TEST(test_expiry_and_max_ttl) {
  void *mem;
  struct zn_dns_cache *c = new_cache(8, 4, 100, &mem);
  ZT_REQUIRE(c);
  ZT_EQ(put(c, "x.test", 1, 0, 0), ZN_EINVAL); /* TTL 0: not cached */
  ZT_EQ(put(c, "x.test", 1, 10, 0), ZN_OK);
  ZT_EQ(put(c, "y.test", 2, 100000, 0), ZN_OK); /* cut to 100 s */
  ZT_EQ(get(c, "x.test", ZN_SEC(10) - 1), 1);
  ZT_EQ(get(c, "x.test", ZN_SEC(10)), 0); /* expired: gone */
  ZT_EQ(zn_dns_cache_count(c), 1);
  ZT_EQ(get(c, "y.test", ZN_SEC(100) - 1), 2);
  ZT_EQ(get(c, "y.test", ZN_SEC(100)), 0);
  struct zn_dns_cache_stats s;
  zn_dns_cache_get_stats(c, &s);
  ZT_EQ(s.expired, 2);
  ZT_EQ(zn_dns_cache_count(c), 0);
  uint8_t big[5] = {0};
  struct zn_dns_cache_key k;
  mkkey(&k, "z.test", 1);
  ZT_EQ(zn_dns_cache_put(c, &k, 10, 0, big, sizeof(big)), ZN_EMSGSIZE);
  free(mem);
}

ZT_TEST(test_lru_eviction) {
  void *mem;
  struct zn_dns_cache *c = new_cache(3, 4, 3600, &mem);
  ZT_REQUIRE(c);
  put(c, "a", 1, 60, 0);
  put(c, "b", 2, 60, 0);
  put(c, "c", 3, 60, 0);
  ZT_EQ(get(c, "a", 1), 1); /* a is now the most recent: b is the oldest */
  put(c, "d", 4, 60, 2);
  ZT_EQ(zn_dns_cache_count(c), 3);
  ZT_EQ(get(c, "b", 3), 0);
  ZT_EQ(get(c, "a", 3), 1);
  ZT_EQ(get(c, "c", 3), 3);
  ZT_EQ(get(c, "d", 3), 4);
  /* Order now (oldest first): a c d.  Replacing a makes it the newest. */
  put(c, "a", 5, 60, 4);
  put(c, "e", 6, 60, 5);
  ZT_EQ(get(c, "c", 6), 0);
  ZT_EQ(get(c, "a", 6), 5);
  struct zn_dns_cache_stats s;
  zn_dns_cache_get_stats(c, &s);
  ZT_EQ(s.evictions, 2);
  /* An expired tail counts as expired, not evicted. */
  put(c, "f", 7, 60, ZN_SEC(3600));
  zn_dns_cache_get_stats(c, &s);
  ZT_EQ(s.evictions, 2);
  ZT_EQ(s.expired, 1);
  zn_dns_cache_flush(c);
  ZT_EQ(zn_dns_cache_count(c), 0);
  ZT_EQ(get(c, "f", ZN_SEC(3600)), 0);
  free(mem);
}

/* A table of 4 buckets with 4 entries takes 200 names, each kept while it
 * is among the 4 most recent: chains of every length are walked. */
ZT_TEST(test_collisions) {
  void *mem;
  struct zn_dns_cache *c = new_cache(4, 4, 3600, &mem);
  ZT_REQUIRE(c);
  char name[32];
  for (uint32_t i = 1; i <= 200; i++) {
    snprintf(name, sizeof(name), "n%u.test", (unsigned)i);
    ZT_EQ(put(c, name, i, 60, i), ZN_OK);
    for (uint32_t j = i > 3 ? i - 3 : 1; j <= i; j++) {
      snprintf(name, sizeof(name), "N%u.TEST", (unsigned)j);
      ZT_EQ(get(c, name, i), j);
    }
    if (i > 4) {
      snprintf(name, sizeof(name), "n%u.test", (unsigned)(i - 4));
      ZT_EQ(get(c, name, i), 0);
    }
  }
  ZT_EQ(zn_dns_cache_count(c), 4);
  free(mem);
}

/* ---- whole responses ---- */

static size_t response(uint8_t *buf, size_t cap, const char *qname,
                       uint8_t rcode, uint32_t ttl, bool soa, bool opt) {
  struct zn_dns_hdr h = {
      .id = 0x1234, .qr = true, .rd = true, .ra = true, .rcode = rcode};
  struct zn_dns_builder b;
  struct zn_dns_name n;
  struct zn_dns_rdata rd;
  zn_dns_name_from_text(&n, qname, strlen(qname));
  zn_dns_build_init(&b, buf, cap, &h);
  zn_dns_build_question(&b, &n, ZN_DNS_TYPE_A, ZN_DNS_CLASS_IN);
  if (rcode == ZN_DNS_RCODE_NOERROR && ttl) {
    rd.type = ZN_DNS_TYPE_A;
    rd.u.a = 0x0a000001;
    zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, ZN_DNS_CLASS_IN, ttl, &rd);
    rd.u.a = 0x0a000002;
    zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &n, ZN_DNS_CLASS_IN, ttl + 100, &rd);
  }
  if (soa) {
    memset(&rd, 0, sizeof(rd));
    rd.type = ZN_DNS_TYPE_SOA;
    zn_dns_name_from_text(&rd.u.soa.mname, "ns.test", 7);
    zn_dns_name_from_text(&rd.u.soa.rname, "h.test", 6);
    rd.u.soa.minimum = 30;
    zn_dns_name_from_text(&n, "test", 4);
    zn_dns_build_rr(&b, ZN_DNS_SEC_AUTHORITY, &n, ZN_DNS_CLASS_IN, 300, &rd);
  }
  if (opt) {
    struct zn_dns_opt o = {.udp_size = 4096};
    zn_dns_build_opt(&b, &o);
  }
  return zn_dns_build_len(&b);
}

ZT_TEST(test_msg_ttl) {
  uint8_t buf[512];
  struct zn_dns_msg m;
  zn_dns_msg_init(&m, buf,
                  response(buf, sizeof(buf), "a.test", 0, 50, false, true));
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 50);
  /* Negative: the SOA's MINIMUM (30 < its TTL 300); without SOA: never. */
  zn_dns_msg_init(&m, buf,
                  response(buf, sizeof(buf), "a.test", 3, 0, true, false));
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 30);
  zn_dns_msg_init(&m, buf,
                  response(buf, sizeof(buf), "a.test", 3, 0, false, false));
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 0);
  zn_dns_msg_init(&m, buf,
                  response(buf, sizeof(buf), "a.test", 0, 0, true, false));
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 30); /* NODATA */
  zn_dns_msg_init(&m, buf,
                  response(buf, sizeof(buf), "a.test", 2, 0, true, false));
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 0); /* SERVFAIL */
  size_t n = response(buf, sizeof(buf), "a.test", 0, 50, false, false);
  buf[2] |= ZN_DNS_F_TC >> 8;
  zn_dns_msg_init(&m, buf, n);
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 0);
  n = response(buf, sizeof(buf), "a.test", 0, 50, false, false);
  zn_dns_msg_init(&m, buf, n - 1); /* cut short */
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 0);
  n = response(buf, sizeof(buf), "a.test", 0, 0x80000005u, false, false);
  zn_dns_msg_init(&m, buf, n); /* top bit set: 0 (RFC 2181 8) */
  ZT_EQ(zn_dns_msg_cache_ttl(&m), 0);
}

ZT_TEST(test_msg_roundtrip) {
  void *mem;
  struct zn_dns_cache *c =
      new_cache(4, ZN_DNS_CACHE_MSG_VALUE(512), 3600, &mem);
  ZT_REQUIRE(c);
  uint8_t ans[512], q[512], out[600];
  struct zn_dns_msg m, qm;
  size_t alen = response(ans, sizeof(ans), "www.test", 0, 50, false, true);
  zn_dns_msg_init(&m, ans, alen);
  struct zn_dns_cache_key k;
  mkkey(&k, "www.test", ZN_DNS_TYPE_A);
  ZT_EQ(zn_dns_cache_put_msg(c, &k, &m, ZN_SEC(100)), ZN_OK);
  /* The query: another ID and case, CD set, RD clear. */
  struct zn_dns_hdr h = {.id = 0x9999, .cd = true};
  struct zn_dns_builder b;
  zn_dns_build_init(&b, q, sizeof(q), &h);
  zn_dns_build_question(&b, &k.name, ZN_DNS_TYPE_A, ZN_DNS_CLASS_IN);
  q[ZN_DNS_HDR_LEN + 1] = 'W';
  zn_dns_msg_init(&qm, q, zn_dns_build_len(&b));
  struct zn_dns_cache_hit hit;
  ZT_EQ(zn_dns_cache_get(c, &k, ZN_SEC(120) + 1, &hit), ZN_OK);
  ZT_EQ(zn_dns_cache_msg_len(&hit, false), alen - 11);
  size_t n = zn_dns_cache_write_msg(&hit, &qm, NULL, out);
  ZT_EQ(n, alen - 11);
  struct zn_dns_msg r;
  ZT_EQ(zn_dns_msg_init(&r, out, n), ZN_OK);
  ZT_EQ(zn_dns_msg_check(&r), ZN_OK);
  ZT_EQ(zn_dns_id(&r), 0x9999);
  ZT_CHECK(zn_dns_cd(&r) && !zn_dns_rd(&r) && zn_dns_ra(&r) && zn_dns_qr(&r));
  ZT_EQ(zn_dns_arcount(&r), 0);
  ZT_EQ(out[ZN_DNS_HDR_LEN + 1], 'W');
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  zn_dns_iter_init(&it, &r);
  ZT_EQ(zn_dns_iter_rr(&it, &rr), ZN_OK);
  ZT_EQ(rr.ttl, 30); /* 50 - 20 s aged */
  ZT_EQ(zn_dns_iter_rr(&it, &rr), ZN_OK);
  ZT_EQ(rr.ttl, 130);
  /* With our OPT record. */
  struct zn_dns_opt o = {.udp_size = 1232, .do_bit = true};
  n = zn_dns_cache_write_msg(&hit, &qm, &o, out);
  ZT_EQ(n, zn_dns_cache_msg_len(&hit, true));
  zn_dns_msg_init(&r, out, n);
  ZT_EQ(zn_dns_msg_check(&r), ZN_OK);
  struct zn_dns_opt got;
  ZT_EQ(zn_dns_msg_opt(&r, &got), ZN_OK);
  ZT_EQ(got.udp_size, 1232);
  ZT_CHECK(got.do_bit);
  /* Aged to its last second. */
  ZT_EQ(zn_dns_cache_get(c, &k, ZN_SEC(149) + 1, &hit), ZN_OK);
  n = zn_dns_cache_write_msg(&hit, &qm, NULL, out);
  zn_dns_msg_init(&r, out, n);
  zn_dns_iter_init(&it, &r);
  ZT_EQ(zn_dns_iter_rr(&it, &rr), ZN_OK);
  ZT_EQ(rr.ttl, 1);
  /* Too big for the value size; uncacheable. */
  void *mem2;
  struct zn_dns_cache *small = new_cache(4, 40, 3600, &mem2);
  ZT_EQ(zn_dns_cache_put_msg(small, &k, &m, 0), ZN_EMSGSIZE);
  alen = response(ans, sizeof(ans), "www.test", 3, 0, false, false);
  zn_dns_msg_init(&m, ans, alen);
  ZT_EQ(zn_dns_cache_put_msg(c, &k, &m, 0), ZN_EINVAL);
  free(mem2);
  free(mem);
}

int main(void) {
  ZT_RUN(test_sizes_and_init);
  ZT_RUN(test_hit_miss_case);
  ZT_RUN(test_expiry_and_max_ttl);
  ZT_RUN(test_lru_eviction);
  ZT_RUN(test_collisions);
  ZT_RUN(test_msg_ttl);
  ZT_RUN(test_msg_roundtrip);
  return zt_done();
}
