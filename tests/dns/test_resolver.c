/* The stub resolver (dns/resolver.c) against a scripted DNS server on
 * a second stack. */
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "znet/dns.h"

/* ---- the scripted server on stack B ---- */

enum forge { F_NONE, F_BAD_ID, F_BAD_PORT, F_BAD_QUESTION };
static int nqueries;          /* queries the server saw */
static int forge_first;       /* send these forgeries before the answer */
static int servfail_primary;  /* port 53 answers SERVFAIL */
static struct zn_udp_sock *srv53, *srv5353, *forger;
static uint16_t silent_ids[16];
static int nsilent_ids;

static void add_a(struct zn_dns_builder *b, const char *name, uint32_t a,
                  uint32_t ttl) {
  struct zn_dns_name n;
  struct zn_dns_rdata rd;
  zn_dns_name_from_text(&n, name, strlen(name));
  rd.type = ZN_DNS_TYPE_A;
  rd.u.a = a;
  zn_dns_build_rr(b, ZN_DNS_SEC_ANSWER, &n, ZN_DNS_CLASS_IN, ttl, &rd);
}

static void add_cname(struct zn_dns_builder *b, const char *name,
                      const char *target, uint32_t ttl) {
  struct zn_dns_name n;
  struct zn_dns_rdata rd;
  zn_dns_name_from_text(&n, name, strlen(name));
  rd.type = ZN_DNS_TYPE_CNAME;
  zn_dns_name_from_text(&rd.u.name, target, strlen(target));
  zn_dns_build_rr(b, ZN_DNS_SEC_ANSWER, &n, ZN_DNS_CLASS_IN, ttl, &rd);
}

static void serve(struct zn_udp_sock *s, void *arg,
                  const struct zn_udp_dgram *d) {
  bool primary = arg == NULL;
  struct zn_dns_msg q;
  struct zn_dns_iter it;
  struct zn_dns_question qu;
  if (zn_dns_msg_init(&q, d->data, d->len) != ZN_OK)
    return;
  zn_dns_iter_init(&it, &q);
  if (zn_dns_iter_question(&it, &qu) != ZN_OK)
    return;
  nqueries++;
  char name[ZN_DNS_NAME_TEXT_MAX];
  zn_dns_name_to_text(&qu.name, name, sizeof(name), NULL);
  uint8_t out[1500];
  struct zn_dns_builder b;
  uint8_t rcode = ZN_DNS_RCODE_NOERROR;
  if (strcmp(name, "silent.test") == 0) {
    if (nsilent_ids < 16)
      silent_ids[nsilent_ids++] = zn_dns_id(&q);
    return;
  }
  if (strcmp(name, "nx.test") == 0)
    rcode = ZN_DNS_RCODE_NXDOMAIN;
  if (strcmp(name, "fail.test") == 0 && primary)
    rcode = ZN_DNS_RCODE_SERVFAIL;
  if (servfail_primary && primary)
    rcode = ZN_DNS_RCODE_SERVFAIL;
  zn_dns_build_response(&b, out, sizeof(out), &q, rcode);
  struct zn_dns_hdr h;
  zn_dns_msg_hdr(&q, &h);
  h.qr = true;
  h.ra = true;
  h.rcode = rcode;
  zn_dns_build_set_hdr(&b, &h);
  if (rcode == ZN_DNS_RCODE_NOERROR) {
    if (strcmp(name, "a.test") == 0 || strcmp(name, "fail.test") == 0) {
      add_a(&b, name, ZN_IPV4(10, 1, 2, 3), 300);
      add_a(&b, name, ZN_IPV4(10, 1, 2, 4), 200);
    } else if (strcmp(name, "alias.test") == 0) {
      add_cname(&b, "alias.test", "a.test", 100);
      add_a(&b, "a.test", ZN_IPV4(10, 1, 2, 3), 300);
    } else if (strcmp(name, "hop.test") == 0) {
      add_cname(&b, "hop.test", "a.test", 50);
    } else if (strcmp(name, "loop1.test") == 0) {
      add_cname(&b, "loop1.test", "loop2.test", 50);
      add_cname(&b, "loop2.test", "loop1.test", 50);
    } else if (strcmp(name, "v6.test") == 0 && qu.qtype == ZN_DNS_TYPE_AAAA) {
      struct zn_dns_rdata rd;
      rd.type = ZN_DNS_TYPE_AAAA;
      memcpy(rd.u.aaaa, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
      zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &qu.name, ZN_DNS_CLASS_IN, 60, &rd);
    }
    /* anything else: NODATA */
  }
  if (rcode == ZN_DNS_RCODE_NXDOMAIN || (rcode == 0 && strcmp(name, "nodata.test") == 0)) {
    struct zn_dns_name zone;
    struct zn_dns_rdata rd;
    zn_dns_name_from_text(&zone, "test", 4);
    rd.type = ZN_DNS_TYPE_SOA;
    memset(&rd.u.soa, 0, sizeof(rd.u.soa));
    zn_dns_name_from_text(&rd.u.soa.mname, "ns.test", 7);
    zn_dns_name_from_text(&rd.u.soa.rname, "root.test", 9);
    rd.u.soa.minimum = 30;
    zn_dns_build_rr(&b, ZN_DNS_SEC_AUTHORITY, &zone, ZN_DNS_CLASS_IN, 3600, &rd);
  }
  size_t len = zn_dns_build_len(&b);
  /* Forgeries first, as an off-path attacker racing the answer would. */
  for (int f = F_BAD_ID; f <= F_BAD_QUESTION && forge_first; f++) {
    uint8_t fake[1500];
    memcpy(fake, out, len);
    if (f == F_BAD_ID) {
      zn_wr16(fake, (uint16_t)(zn_rd16(fake) + 1));
      zn_udp_sendto(s, &d->src, d->sport, fake, len);
    } else if (f == F_BAD_PORT) {
      zn_udp_sendto(forger, &d->src, d->sport, fake, len);
    } else {
      fake[13] ^= 0x01; /* first letter of the question */
      zn_udp_sendto(s, &d->src, d->sport, fake, len);
    }
  }
  zn_udp_sendto(s, &d->src, d->sport, out, len);
}

/* ---- the client side ---- */

static struct zn_dns_answer last;
static int ncb;
static bool in_resolve;
static void on_answer(struct zn_dns_resolver *r, void *arg,
                      const struct zn_dns_answer *a) {
  (void)r;
  (void)arg;
  ZT_CHECK(!in_resolve); /* never called from inside zn_dns_resolve */
  last = *a;
  ncb++;
}

struct fix {
  struct th_pair p;
  struct zn_dns_resolver *r;
  void *mem;
};

static void setup(struct fix *f, uint32_t max_queries, uint32_t cache) {
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  th_pair_init(&f->p, &ca, &cb);
  zn_stack_poll(f->p.a, 0);
  zn_stack_poll(f->p.b, 0);
  zn_udp_open(f->p.b, &srv53);
  zn_udp_bind(srv53, NULL, 53);
  zn_udp_set_recv_cb(srv53, serve, NULL);
  zn_udp_open(f->p.b, &srv5353);
  zn_udp_bind(srv5353, NULL, 5353);
  zn_udp_set_recv_cb(srv5353, serve, (void *)1);
  zn_udp_open(f->p.b, &forger);
  zn_udp_bind(forger, NULL, 9999);
  struct zn_dns_resolver_cfg rc;
  zn_dns_resolver_cfg_default(&rc);
  rc.nservers = 2;
  rc.servers[0].addr = zn_ip_from_v4(IP_B);
  rc.servers[1].addr = zn_ip_from_v4(IP_B);
  rc.servers[1].port = 5353;
  rc.max_queries = max_queries;
  rc.cache_entries = cache;
  size_t n = zn_dns_resolver_mem_size(&rc);
  f->mem = malloc(n);
  ZT_EQ(zn_dns_resolver_init(f->p.a, &rc, f->mem, n, &f->r), ZN_OK);
  nqueries = 0;
  ncb = 0;
  forge_first = 0;
  servfail_primary = 0;
  memset(&last, 0, sizeof(last));
}

static void teardown(struct fix *f) {
  zn_dns_resolver_destroy(f->r);
  free(f->mem);
  zn_udp_close(srv53);
  zn_udp_close(srv5353);
  zn_udp_close(forger);
  ZT_EQ(f->p.a ? 0 : 1, 0);
  th_pair_free(&f->p);
}

static int resolve(struct fix *f, const char *name, uint16_t type) {
  in_resolve = true;
  int rc = zn_dns_resolve(f->r, name, type, on_answer, NULL, NULL);
  in_resolve = false;
  return rc;
}

static struct zn_dns_resolver_stats stats(struct fix *f) {
  struct zn_dns_resolver_stats s;
  zn_dns_resolver_get_stats(f->r, &s);
  return s;
}

ZT_TEST(test_a_and_cache) {
  struct fix f;
  setup(&f, 4, 8);
  ZT_EQ(resolve(&f, "a.test", ZN_DNS_TYPE_A), ZN_OK);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(ncb, 1);
  ZT_EQ(last.status, ZN_OK);
  ZT_EQ(last.naddr, 2);
  ZT_EQU(zn_ip_v4(&last.addrs[0]), ZN_IPV4(10, 1, 2, 3));
  ZT_EQU(zn_ip_v4(&last.addrs[1]), ZN_IPV4(10, 1, 2, 4));
  ZT_EQU(last.ttl, 200);
  ZT_CHECK(!last.from_cache);
  /* Again, in another case: from the cache, not from the server, and
   * still not from inside zn_dns_resolve. */
  ZT_EQ(resolve(&f, "A.TEST", ZN_DNS_TYPE_A), ZN_OK);
  ZT_EQ(ncb, 1);
  th_pair_run(&f.p, ZN_SEC(100));
  ZT_EQ(ncb, 2);
  ZT_CHECK(last.from_cache);
  ZT_EQ(last.naddr, 2);
  ZT_EQU(last.ttl, 199); /* what was left when it was asked */
  ZT_EQ(nqueries, 1);
  /* After the TTL the server is asked again. */
  th_pair_run(&f.p, ZN_SEC(101));
  resolve(&f, "a.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(nqueries, 2);
  ZT_CHECK(!last.from_cache);
  struct zn_dns_resolver_stats s = stats(&f);
  ZT_EQU(s.cache_hits, 1);
  ZT_EQU(s.cache_misses, 2);
  teardown(&f);
}

ZT_TEST(test_aaaa_cname_nx_nodata) {
  struct fix f;
  setup(&f, 4, 8);
  resolve(&f, "v6.test", ZN_DNS_TYPE_AAAA);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(last.status, ZN_OK);
  ZT_EQ(last.naddr, 1);
  ZT_MEMEQ(last.addrs[0].bytes, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  /* A CNAME followed inside the answer. */
  resolve(&f, "alias.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(last.status, ZN_OK);
  ZT_EQU(zn_ip_v4(&last.addrs[0]), ZN_IPV4(10, 1, 2, 3));
  ZT_EQU(last.ttl, 100);
  char txt[64];
  zn_dns_name_to_text(&last.canonical, txt, sizeof(txt), NULL);
  ZT_STREQ(txt, "a.test");
  /* A CNAME alone: the target is asked for. */
  int before = nqueries;
  resolve(&f, "hop.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(last.status, ZN_OK);
  ZT_EQ(last.naddr, 2);
  ZT_EQ(nqueries, before + 2);
  ZT_EQU(last.ttl, 50);
  ZT_EQU(stats(&f).cname_requeries, 1);
  /* A CNAME loop ends. */
  resolve(&f, "loop1.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_SEC(10));
  ZT_EQ(last.status, ZN_ERANGE);
  /* NXDOMAIN, cached for the SOA minimum (30 s). */
  resolve(&f, "nx.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(last.status, ZN_ENOENT);
  ZT_EQ(last.rcode, ZN_DNS_RCODE_NXDOMAIN);
  before = nqueries;
  resolve(&f, "nx.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_SEC(20));
  ZT_CHECK(last.from_cache);
  ZT_EQ(last.status, ZN_ENOENT);
  th_pair_run(&f.p, ZN_SEC(11));
  resolve(&f, "nx.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(nqueries, before + 1);
  /* NODATA. */
  resolve(&f, "nodata.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(last.status, ZN_ENOENT);
  ZT_EQ(last.rcode, ZN_DNS_RCODE_NOERROR);
  teardown(&f);
}

ZT_TEST(test_failover_and_timeout) {
  struct fix f;
  setup(&f, 4, 0);
  /* SERVFAIL from the first server: the second answers at once. */
  resolve(&f, "fail.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(last.status, ZN_OK);
  ZT_EQ(nqueries, 2);
  /* Both failing: EPROTO after the tries. */
  servfail_primary = 1;
  resolve(&f, "nx2.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(last.status, ZN_ENOENT); /* the second server gives NODATA */
  /* Silence: 4 tries at 0, 1, 3 (1+2), 7 (1+2+4) s, given up at 15 s. */
  servfail_primary = 0;
  nqueries = 0;
  ncb = 0;
  nsilent_ids = 0;
  resolve(&f, "silent.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(6999));
  ZT_EQ(nqueries, 3);
  th_pair_run(&f.p, ZN_MS(2));
  ZT_EQ(nqueries, 4);
  th_pair_run(&f.p, ZN_MS(7998));
  ZT_EQ(ncb, 0);
  th_pair_run(&f.p, ZN_MS(2));
  ZT_EQ(ncb, 1);
  ZT_EQ(last.status, ZN_ETIMEDOUT);
  ZT_EQU(stats(&f).timeouts, 1);
  /* Every try had an ID of its own (RFC 5452 §9.2). */
  ZT_EQ(nsilent_ids, 4);
  int distinct = 0;
  for (int i = 0; i < nsilent_ids; i++) {
    int seen = 0;
    for (int j = 0; j < i; j++)
      seen |= silent_ids[j] == silent_ids[i];
    distinct += !seen;
  }
  ZT_EQ(distinct, 4);
  teardown(&f);
}

ZT_TEST(test_forged_answers_ignored) {
  struct fix f;
  setup(&f, 4, 0);
  forge_first = 1;
  resolve(&f, "a.test", ZN_DNS_TYPE_A);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(ncb, 1);
  ZT_EQ(last.status, ZN_OK);
  ZT_EQU(zn_ip_v4(&last.addrs[0]), ZN_IPV4(10, 1, 2, 3));
  ZT_EQU(stats(&f).mismatched, 3);
  ZT_EQU(stats(&f).answers, 1);
  teardown(&f);
}

ZT_TEST(test_limits_cancel_errors) {
  struct fix f;
  setup(&f, 2, 0);
  struct zn_dns_query *q;
  ZT_EQ(zn_dns_resolve(f.r, "silent.test", ZN_DNS_TYPE_A, on_answer, NULL, &q), ZN_OK);
  ZT_EQ(resolve(&f, "silent.test", ZN_DNS_TYPE_A), ZN_OK);
  ZT_EQ(resolve(&f, "a.test", ZN_DNS_TYPE_A), ZN_ENOMEM);
  zn_dns_cancel(q);
  ZT_EQ(resolve(&f, "a.test", ZN_DNS_TYPE_A), ZN_OK);
  th_pair_run(&f.p, ZN_SEC(30));
  ZT_EQ(ncb, 2); /* a.test, and the second silent one timing out */
  ZT_EQ(resolve(&f, "", ZN_DNS_TYPE_A), ZN_EINVAL);
  ZT_EQ(resolve(&f, "a..b", ZN_DNS_TYPE_A), ZN_EINVAL);
  ZT_EQ(resolve(&f, "a.test", ZN_DNS_TYPE_MX), ZN_EINVAL);
  char longname[300];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = 0;
  ZT_EQ(resolve(&f, longname, ZN_DNS_TYPE_A), ZN_EINVAL);
  /* Destroy with one in flight: no callback, no socket left. */
  resolve(&f, "silent.test", ZN_DNS_TYPE_A);
  teardown(&f);
  ZT_EQ(ncb, 2);
}

int main(void) {
  ZT_RUN(test_a_and_cache);
  ZT_RUN(test_aaaa_cname_nx_nodata);
  ZT_RUN(test_failover_and_timeout);
  ZT_RUN(test_forged_answers_ignored);
  ZT_RUN(test_limits_cancel_errors);
  return zt_done();
}
