/* The stub resolver over IPv6 (dns/resolver.c): a server of the IPv6
 * family, and the servers router advertisements name (RFC 8106 RDNSS)
 * used when none is configured.  Two stacks over memlink, IPv6 on. */
#include <stdlib.h>

#include "../proto/proto6_util.h"
#include "ipv6conf/ipv6conf_int.h"
#include "znet/dns.h"
#include "znet/udp.h"

static const uint8_t G_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t G_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t V6_ANSWER[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 6, [15] = 6};
static const uint8_t G_NOBODY[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x99};
static const uint8_t RTR[16] = {0xfe, 0x80, [15] = 9};

static int nqueries;
static int ntcp_queries;
static struct zn_ip last_query_from;

/* Stack B's server: every name has two A and two AAAA records. */
/* The answer to query p[0..len) into out (512 bytes); its length, 0 to
 * stay silent.  Over UDP, "big.test" is answered with TC (and part of
 * its records) and "trunc.test" empty with TC; over TCP "trunc.test"
 * comes with TC too. */
static size_t answer(const uint8_t *p, size_t len, bool tcp, uint8_t *out) {
  struct zn_dns_msg q;
  struct zn_dns_iter it;
  struct zn_dns_question qu;
  if (zn_dns_msg_init(&q, p, len) != ZN_OK)
    return 0;
  zn_dns_iter_init(&it, &q);
  if (zn_dns_iter_question(&it, &qu) != ZN_OK)
    return 0;
  char name[ZN_DNS_NAME_TEXT_MAX];
  zn_dns_name_to_text(&qu.name, name, sizeof(name), NULL);
  struct zn_dns_builder b;
  struct zn_dns_hdr h;
  struct zn_dns_rdata rd;
  zn_dns_build_response(&b, out, 512, &q, ZN_DNS_RCODE_NOERROR);
  zn_dns_msg_hdr(&q, &h);
  h.qr = true;
  h.ra = true;
  bool big = strcmp(name, "big.test") == 0 || strcmp(name, "trunc.test") == 0;
  h.tc = big && (!tcp || strcmp(name, "trunc.test") == 0);
  zn_dns_build_set_hdr(&b, &h);
  if (h.tc && strcmp(name, "trunc.test") == 0)
    return zn_dns_build_len(&b); /* empty */
  rd.type = qu.qtype;
  for (uint8_t i = 0; i < 2; i++) { /* ...::6 and ...::7, 10.1.2.6 and 7 */
    if (qu.qtype == ZN_DNS_TYPE_AAAA) {
      memcpy(rd.u.aaaa, V6_ANSWER, 16);
      rd.u.aaaa[15] = (uint8_t)(6 + i);
    } else {
      rd.u.a = ZN_IPV4(10, 1, 2, 6 + i);
    }
    zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &qu.name, ZN_DNS_CLASS_IN, 60,
                    &rd);
  }
  return zn_dns_build_len(&b);
}

static void serve(struct zn_udp_sock *s, void *arg,
                  const struct zn_udp_dgram *d) {
  uint8_t out[512];
  (void)arg;
  size_t n = answer(d->data, d->len, false, out);
  if (n == 0)
    return;
  nqueries++;
  last_query_from = d->src;
  zn_udp_sendto(s, &d->src, d->sport, out, n);
}

/* Stack B's DNS over TCP: one framed query per connection, answered. */
static uint8_t tcp_in[600];
static struct zn_dns_tcp_decoder tcp_dec;
static void tcp_srv_readable(struct zn_tcp_conn *c, void *arg) {
  uint8_t chunk[256];
  long n;
  (void)arg;
  while ((n = zn_tcp_read(c, chunk, sizeof(chunk))) > 0) {
    size_t used;
    if (zn_dns_tcp_decode(&tcp_dec, chunk, (size_t)n, &used) != 1)
      continue;
    uint8_t out[2 + 512];
    size_t len = answer(tcp_dec.buf, tcp_dec.need, true, out + 2);
    ntcp_queries++;
    zn_dns_tcp_encode_len(len, out);
    zn_tcp_write(c, out, len + 2);
    zn_tcp_close(c);
    return;
  }
}
static void tcp_srv_accept(struct zn_tcp_conn *l, void *arg) {
  struct zn_tcp_conn *c;
  (void)arg;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    zn_dns_tcp_decoder_init(&tcp_dec, tcp_in, sizeof(tcp_in));
}
static const struct zn_tcp_callbacks tcp_srv_cbs = {
    .on_accept = tcp_srv_accept, .on_readable = tcp_srv_readable};

static struct zn_dns_answer last;
static int ncb;
static void on_answer(struct zn_dns_resolver *r, void *arg,
                      const struct zn_dns_answer *a) {
  (void)r;
  (void)arg;
  last = *a;
  ncb++;
}

struct fix {
  struct th_pair p;
  struct zn_udp_sock *srv;
  struct zn_tcp_conn *tcp_l;
  struct zn_dns_resolver *r;
  void *mem;
};

/* A resolver on stack A with the given servers (n may be 0); the server
 * on B listens on port 53 of both families. */
static void setup_tcp(struct fix *f, const struct zn_dns_server *servers,
                      uint32_t n, uint32_t tcp_msg_max) {
  pair6(&f->p, G_A, G_B);
  ZT_REQUIRE(f->p.a && f->p.b);
  zn_stack_poll(f->p.a, 0);
  zn_stack_poll(f->p.b, 0);
  ZT_EQ(zn_udp_open(f->p.b, &f->srv), ZN_OK);
  ZT_EQ(zn_udp_bind(f->srv, NULL, 53), ZN_OK);
  zn_udp_set_recv_cb(f->srv, serve, NULL);
  ZT_EQ(zn_tcp_listen(f->p.b, NULL, 53, 0, &tcp_srv_cbs, NULL, &f->tcp_l),
        ZN_OK);
  ntcp_queries = 0;
  struct zn_dns_resolver_cfg rc;
  zn_dns_resolver_cfg_default(&rc);
  rc.nservers = n;
  for (uint32_t i = 0; i < n; i++)
    rc.servers[i] = servers[i];
  rc.cache_entries = 0;
  rc.tcp_msg_max = tcp_msg_max;
  size_t len = zn_dns_resolver_mem_size(&rc);
  ZT_REQUIRE(len > 0);
  f->mem = malloc(len);
  ZT_EQ(zn_dns_resolver_init(f->p.a, &rc, f->mem, len, &f->r), ZN_OK);
  nqueries = 0;
  ncb = 0;
  memset(&last, 0, sizeof(last));
}

static void setup(struct fix *f, const struct zn_dns_server *servers,
                  uint32_t n) {
  setup_tcp(f, servers, n, 4096);
}

static void teardown(struct fix *f) {
  zn_dns_resolver_destroy(f->r);
  free(f->mem);
  zn_udp_close(f->srv);
  zn_tcp_close(f->tcp_l);
  th_pair_run(&f->p, ZN_SEC(70));
  th_pair_free(&f->p);
}

static struct zn_dns_resolver_stats stats(struct fix *f) {
  struct zn_dns_resolver_stats s;
  zn_dns_resolver_get_stats(f->r, &s);
  return s;
}

/* A router advertisement to stack A from RTR naming `server` as a
 * recursive DNS server for `life` seconds (router lifetime 0: not a
 * default router). */
static void rdnss_in(struct zn_stack *st, const uint8_t server[16],
                     uint32_t life) {
  uint8_t m[40];
  zn_icmp6_emit(m, ZN_ICMP6_ND_RA, 0, (uint32_t)64 << 24);
  memset(m + 8, 0, 8);
  uint8_t *o = m + 16;
  memset(o, 0, 24);
  o[0] = ZN_ND_OPT_RDNSS;
  o[1] = 3;
  zn_wr32(o + 4, life);
  memcpy(o + 8, server, 16);
  struct zn_buf *b = zn_stack_buf_alloc(st, sizeof(m));
  ZT_REQUIRE(b != NULL);
  memcpy(zn_buf_put(b, sizeof(m)), m, sizeof(m));
  struct zn__inet_meta meta;
  memset(&meta, 0, sizeof(meta));
  meta.src = zn_ip_from_v6(RTR);
  meta.dst = zn_ip_from_v6(ALL_NODES6);
  meta.proto = ZN_IPPROTO_ICMPV6;
  meta.ttl = 255;
  meta.bcast = true;
  meta.hdr_len = 40;
  zn__ip6conf_ra_input(st, b, &meta);
}

ZT_TEST(test_ipv6_server_answers_aaaa_and_a) {
  struct fix f;
  struct zn_dns_server srv = {.addr = zn_ip_from_v6(G_B)};
  setup(&f, &srv, 1);
  ZT_EQ(zn_dns_resolve(f.r, "dual.test", ZN_DNS_TYPE_AAAA, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_MS(200));
  ZT_EQ(ncb, 1);
  ZT_EQ(last.status, ZN_OK);
  ZT_EQ(last.naddr, 2);
  ZT_EQ(last.addrs[0].family, ZN_AF_INET6);
  ZT_MEMEQ(last.addrs[0].bytes, V6_ANSWER, 16);
  struct zn_ip ga = zn_ip_from_v6(G_A);
  ZT_CHECK(zn_ip_eq(&last_query_from, &ga)); /* asked over IPv6 */
  ZT_EQ(zn_dns_resolve(f.r, "dual.test", ZN_DNS_TYPE_A, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_MS(200));
  ZT_EQ(ncb, 2);
  ZT_EQ(last.status, ZN_OK);
  ZT_EQU(zn_ip_v4(&last.addrs[0]), ZN_IPV4(10, 1, 2, 6));
  ZT_EQU(stats(&f).mismatched, 0);
  teardown(&f);
}

/* With no server configured the resolver waits for RDNSS: a try before
 * any is known is lost (counted), the next goes to the advertised one. */
ZT_TEST(test_rdnss_server_used_when_none_configured) {
  struct fix f;
  setup(&f, NULL, 0);
  ZT_EQ(zn_dns_resolve(f.r, "dual.test", ZN_DNS_TYPE_AAAA, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_MS(500));
  ZT_EQ(ncb, 0);
  ZT_EQ(nqueries, 0);
  ZT_EQU(stats(&f).no_server, 1);
  rdnss_in(f.p.a, G_B, 600);
  struct zn_ip got;
  ZT_EQ(zn_stack_ipv6_dns_server(f.p.a, 0, &got), ZN_OK);
  th_pair_run(&f.p, ZN_MS(1000)); /* the second try, at 1 s */
  ZT_EQ(ncb, 1);
  ZT_EQ(nqueries, 1);
  ZT_EQ(last.status, ZN_OK);
  ZT_MEMEQ(last.addrs[0].bytes, V6_ANSWER, 16);
  ZT_EQU(stats(&f).sent, 1);
  teardown(&f);
}

/* No server ever known: every try is lost and the query times out. */
ZT_TEST(test_no_server_ever_times_out) {
  struct fix f;
  setup(&f, NULL, 0);
  ZT_EQ(zn_dns_resolve(f.r, "dual.test", ZN_DNS_TYPE_A, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_SEC(16));
  ZT_EQ(ncb, 1);
  ZT_EQ(last.status, ZN_ETIMEDOUT);
  ZT_EQU(stats(&f).no_server, 4);
  ZT_EQU(stats(&f).sent, 0);
  teardown(&f);
}

/* A truncated UDP answer, even one holding records, is asked again over
 * TCP to the same server (RFC 2181 §9), over IPv6, and the TCP answer is
 * taken; a TCP answer that is itself
 * truncated is a failure (not a loop). */
ZT_TEST(test_truncated_answer_retried_over_tcp6) {
  struct fix f;
  struct zn_dns_server srv = {.addr = zn_ip_from_v6(G_B)};
  setup(&f, &srv, 1);
  ZT_EQ(zn_dns_resolve(f.r, "big.test", ZN_DNS_TYPE_AAAA, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_MS(200));
  ZT_EQ(ncb, 1);
  ZT_EQ(last.status, ZN_OK);
  ZT_EQ(last.naddr, 2);
  ZT_MEMEQ(last.addrs[0].bytes, V6_ANSWER, 16);
  ZT_EQ(nqueries, 1);
  ZT_EQ(ntcp_queries, 1);
  struct zn_dns_resolver_stats s = stats(&f);
  ZT_EQU(s.tcp_retries, 1);
  ZT_EQU(s.tcp_answers, 1);
  ZT_EQU(s.tcp_failed, 0);
  /* Truncated over TCP as well: each try goes UDP then TCP, then the
   * query fails. */
  ZT_EQ(zn_dns_resolve(f.r, "trunc.test", ZN_DNS_TYPE_AAAA, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_SEC(20));
  ZT_EQ(ncb, 2);
  ZT_EQ(last.status, ZN_EPROTO);
  ZT_EQ(ntcp_queries, 1 + 4);
  teardown(&f);
}

/* With tcp_msg_max 0 the records of a truncated answer are used, and an
 * empty truncated answer is a failure. */
ZT_TEST(test_truncated_answer_without_tcp) {
  struct fix f;
  struct zn_dns_server srv = {.addr = zn_ip_from_v6(G_B)};
  setup_tcp(&f, &srv, 1, 0);
  ZT_EQ(zn_dns_resolve(f.r, "big.test", ZN_DNS_TYPE_AAAA, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_MS(200));
  ZT_EQ(ncb, 1);
  ZT_EQ(last.status, ZN_OK);
  ZT_EQ(last.naddr, 2);
  ZT_EQ(zn_dns_resolve(f.r, "trunc.test", ZN_DNS_TYPE_AAAA, on_answer, NULL,
                       NULL),
        ZN_OK);
  th_pair_run(&f.p, ZN_SEC(20));
  ZT_EQ(ncb, 2);
  ZT_EQ(last.status, ZN_EPROTO);
  ZT_EQ(ntcp_queries, 0);
  ZT_EQU(stats(&f).tcp_retries, 0);
  teardown(&f);
}

static struct zn_dns_addrinfo last_ai;
static void on_addrinfo(struct zn_dns_resolver *r, void *arg,
                        const struct zn_dns_addrinfo *ai) {
  (void)r;
  (void)arg;
  last_ai = *ai;
  ncb++;
}

static bool is_v6(const struct zn_ip *ip, uint8_t last_byte) {
  return ip->family == ZN_AF_INET6 &&
         memcmp(ip->bytes, V6_ANSWER, 15) == 0 && ip->bytes[15] == last_byte;
}

static bool is_v4(const struct zn_ip *ip, uint8_t last_byte) {
  return ip->family == ZN_AF_INET &&
         zn_ip_v4(ip) == ZN_IPV4(10, 1, 2, last_byte);
}

/* With a global IPv6 address of ours: IPv6 first, then the families in
 * turn (RFC 8305 §4). */
ZT_TEST(test_resolve_connect_ipv6_first_interleaved) {
  struct fix f;
  struct zn_dns_server srv = {.addr = zn_ip_from_v6(G_B)};
  setup(&f, &srv, 1);
  struct zn_dns_lookup l;
  ZT_EQ(zn_dns_resolve_connect(f.r, "dual.test", on_addrinfo, NULL, &l),
        ZN_OK);
  ZT_EQ(ncb, 0);
  th_pair_run(&f.p, ZN_MS(200));
  ZT_EQ(ncb, 1);
  ZT_EQ(last_ai.status, ZN_OK);
  ZT_EQ(last_ai.naddr, 4);
  ZT_EQ(last_ai.n6, 2);
  ZT_CHECK(last_ai.ipv6_first);
  ZT_CHECK(is_v6(&last_ai.addrs[0], 6));
  ZT_CHECK(is_v4(&last_ai.addrs[1], 6));
  ZT_CHECK(is_v6(&last_ai.addrs[2], 7));
  ZT_CHECK(is_v4(&last_ai.addrs[3], 7));
  teardown(&f);
}

/* Without a usable IPv6 source (only the link-local address left): every
 * IPv4 address first (RFC 6724 rule 1). */
ZT_TEST(test_resolve_connect_ipv4_first_without_ipv6_source) {
  struct fix f;
  struct zn_dns_server srv = {.addr = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2))};
  setup(&f, &srv, 1);
  struct zn_ip ga = zn_ip_from_v6(G_A);
  ZT_EQ(zn_stack_del_ipv6(f.p.a, &ga), ZN_OK);
  struct zn_dns_lookup l;
  ZT_EQ(zn_dns_resolve_connect(f.r, "dual.test", on_addrinfo, NULL, &l),
        ZN_OK);
  th_pair_run(&f.p, ZN_MS(200));
  ZT_EQ(ncb, 1);
  ZT_EQ(last_ai.naddr, 4);
  ZT_CHECK(!last_ai.ipv6_first);
  ZT_CHECK(is_v4(&last_ai.addrs[0], 6));
  ZT_CHECK(is_v4(&last_ai.addrs[1], 7));
  ZT_CHECK(is_v6(&last_ai.addrs[2], 6));
  ZT_CHECK(is_v6(&last_ai.addrs[3], 7));
  teardown(&f);
}

/* Neither family answers: the status is the failure's; a cancelled
 * lookup never calls back. */
ZT_TEST(test_resolve_connect_timeout_and_cancel) {
  struct fix f;
  struct zn_dns_server srv = {.addr = zn_ip_from_v6(G_NOBODY)};
  setup(&f, &srv, 1);
  struct zn_dns_lookup l, l2;
  ZT_EQ(zn_dns_resolve_connect(f.r, "dual.test", on_addrinfo, NULL, &l),
        ZN_OK);
  ZT_EQ(zn_dns_resolve_connect(f.r, "other.test", on_addrinfo, NULL, &l2),
        ZN_OK);
  zn_dns_lookup_cancel(&l2);
  th_pair_run(&f.p, ZN_SEC(20));
  ZT_EQ(ncb, 1);
  ZT_EQ(last_ai.status, ZN_ETIMEDOUT);
  ZT_EQ(last_ai.naddr, 0);
  teardown(&f);
}

int main(void) {
  ZT_RUN(test_ipv6_server_answers_aaaa_and_a);
  ZT_RUN(test_rdnss_server_used_when_none_configured);
  ZT_RUN(test_no_server_ever_times_out);
  ZT_RUN(test_truncated_answer_retried_over_tcp6);
  ZT_RUN(test_truncated_answer_without_tcp);
  ZT_RUN(test_resolve_connect_ipv6_first_interleaved);
  ZT_RUN(test_resolve_connect_ipv4_first_without_ipv6_source);
  ZT_RUN(test_resolve_connect_timeout_and_cancel);
  return zt_done();
}
