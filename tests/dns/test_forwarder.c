/* The forwarder (dns/forward.c, forward_tcp.c) on stack A, its
 * upstream a scripted server on stack B, and a client on B asking A over
 * UDP and TCP: forwarding under a fresh ID, the cache, the blocklist,
 * the sanity checks, the upstream timeout, pipelined TCP queries (past
 * the limit of queries in progress) and a bad length prefix. */
#include <stdio.h>
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "znet/dns.h"

/* ---- the upstream on B:53 ---- */

static int nupstream;       /* queries the upstream saw */
static uint16_t last_up_id; /* the ID of the latest */

static void upstream(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)arg;
  struct zn_dns_msg q;
  struct zn_dns_iter it;
  struct zn_dns_question qu;
  if (zn_dns_msg_init(&q, d->data, d->len) != ZN_OK)
    return;
  zn_dns_iter_init(&it, &q);
  if (zn_dns_iter_question(&it, &qu) != ZN_OK)
    return;
  nupstream++;
  last_up_id = zn_dns_id(&q);
  char name[ZN_DNS_NAME_TEXT_MAX];
  zn_dns_name_to_text(&qu.name, name, sizeof(name), NULL);
  if (strcmp(name, "silent.test") == 0)
    return;
  uint8_t out[1400];
  struct zn_dns_builder b;
  bool nx = strcmp(name, "nx.test") == 0;
  zn_dns_build_response(&b, out, sizeof(out), &q,
                        nx ? ZN_DNS_RCODE_NXDOMAIN : ZN_DNS_RCODE_NOERROR);
  struct zn_dns_rdata rd;
  memset(&rd, 0, sizeof(rd));
  if (nx) {
    struct zn_dns_name zone;
    zn_dns_name_from_text(&zone, "test", 4);
    rd.type = ZN_DNS_TYPE_SOA;
    zn_dns_name_from_text(&rd.u.soa.mname, "ns.test", 7);
    zn_dns_name_from_text(&rd.u.soa.rname, "root.test", 9);
    rd.u.soa.minimum = 30;
    zn_dns_build_rr(&b, ZN_DNS_SEC_AUTHORITY, &zone, ZN_DNS_CLASS_IN, 300, &rd);
  } else {
    /* big.test: 40 addresses, a 672-byte answer. */
    int n = strcmp(name, "big.test") == 0 ? 40 : 1;
    rd.type = ZN_DNS_TYPE_A;
    for (int i = 0; i < n; i++) {
      rd.u.a = ZN_IPV4(10, 9, 9, 9 + i);
      zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &qu.name, ZN_DNS_CLASS_IN, 100,
                      &rd);
    }
  }
  zn_udp_sendto(s, &d->src, d->sport, out, zn_dns_build_len(&b));
}

/* ---- the client on B ---- */

static uint8_t answer[1024];
static size_t answer_len;
static int nanswers;

static void on_answer(struct zn_udp_sock *s, void *arg,
                      const struct zn_udp_dgram *d) {
  (void)s;
  (void)arg;
  nanswers++;
  answer_len = d->len < sizeof(answer) ? d->len : sizeof(answer);
  memcpy(answer, d->data, answer_len);
}

struct fix {
  struct th_pair p;
  struct zn_dns_forwarder *fw;
  struct zn_dns_blocklist *bl;
  void *mem, *blmem;
  struct zn_udp_sock *up, *cli;
};

static void setup_list(struct fix *f, bool zero, bool list);

static void setup(struct fix *f, bool zero) { setup_list(f, zero, true); }

static void setup_list(struct fix *f, bool zero, bool with_list) {
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  th_pair_init(&f->p, &ca, &cb);
  zn_stack_poll(f->p.a, 0);
  zn_stack_poll(f->p.b, 0);
  zn_udp_open(f->p.b, &f->up);
  zn_udp_bind(f->up, NULL, 53);
  zn_udp_set_recv_cb(f->up, upstream, NULL);
  zn_udp_open(f->p.b, &f->cli);
  zn_udp_bind(f->cli, NULL, 4000);
  zn_udp_set_recv_cb(f->cli, on_answer, NULL);
  static const char list[] = "0.0.0.0 ads.test\n";
  static const uint8_t key[16] = {1};
  struct zn_dns_blocklist_cfg bc;
  zn_dns_blocklist_measure(list, sizeof(list) - 1, 0, &bc);
  size_t n = zn_dns_blocklist_mem_size(&bc);
  f->blmem = malloc(n);
  zn_dns_blocklist_init(&bc, key, f->blmem, n, &f->bl);
  struct zn_dns_blocklist_stats st;
  memset(&st, 0, sizeof(st));
  zn_dns_blocklist_parse(f->bl, list, sizeof(list) - 1, NULL, NULL, &st);
  struct zn_dns_forwarder_cfg fc;
  zn_dns_forwarder_cfg_default(&fc);
  fc.upstream.addr = zn_ip_from_v4(IP_B);
  fc.tcp_clients = 4;
  fc.upstream_tcp_max = 2;
  fc.cache_entries = 16;
  fc.cache_msg_max = 512;
  fc.upstream_timeout_ms = 2000;
  fc.blocklist = with_list ? f->bl : NULL;
  fc.block_zero = zero;
  n = zn_dns_forwarder_mem_size(&fc);
  ZT_CHECK(n > 0);
  f->mem = malloc(n);
  ZT_EQ(zn_dns_forwarder_init(f->p.a, &fc, f->mem, n - 1, &f->fw), ZN_ENOMEM);
  ZT_EQ(zn_dns_forwarder_init(f->p.a, &fc, f->mem, n, &f->fw), ZN_OK);
  nupstream = nanswers = 0;
  answer_len = 0;
}

static void teardown(struct fix *f) {
  zn_dns_forwarder_stop(f->fw);
  zn_udp_close(f->up);
  zn_udp_close(f->cli);
  th_pair_run(&f->p, ZN_MS(10));
  th_pair_free(&f->p);
  free(f->mem);
  free(f->blmem);
}

static size_t mkquery(uint8_t *buf, uint16_t id, const char *name,
                      uint16_t qtype) {
  struct zn_dns_hdr h = {.id = id, .rd = true};
  struct zn_dns_builder b;
  struct zn_dns_name n;
  zn_dns_name_from_text(&n, name, strlen(name));
  zn_dns_build_init(&b, buf, 512, &h);
  zn_dns_build_question(&b, &n, qtype, ZN_DNS_CLASS_IN);
  return zn_dns_build_len(&b);
}

static void ask(struct fix *f, uint16_t id, const char *name) {
  uint8_t q[512];
  size_t n = mkquery(q, id, name, ZN_DNS_TYPE_A);
  zn_udp_sendto(f->cli, TH_IP(IP_A), 53, q, n);
  th_pair_run(&f->p, ZN_MS(50));
}

static struct zn_dns_forwarder_stats stats(struct fix *f) {
  struct zn_dns_forwarder_stats s;
  zn_dns_forwarder_get_stats(f->fw, &s);
  return s;
}

/* The first answer record's TTL, or -1. */
static long first_ttl(void) {
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  if (zn_dns_msg_init(&m, answer, answer_len) != ZN_OK)
    return -1;
  zn_dns_iter_init(&it, &m);
  return zn_dns_iter_rr(&it, &rr) == ZN_OK ? (long)rr.ttl : -1;
}

ZT_TEST(test_forward_then_cache) {
  struct fix f;
  setup(&f, false);
  ask(&f, 0x1111, "www.test");
  ZT_EQ(nupstream, 1);
  ZT_CHECK(last_up_id != 0x1111); /* a fresh random ID upstream */
  ZT_EQ(nanswers, 1);
  struct zn_dns_msg m;
  ZT_REQUIRE(zn_dns_msg_init(&m, answer, answer_len) == ZN_OK);
  ZT_EQ(zn_dns_id(&m), 0x1111);
  ZT_EQ(zn_dns_rcode(&m), ZN_DNS_RCODE_NOERROR);
  ZT_EQ(zn_dns_ancount(&m), 1);
  ZT_EQ(first_ttl(), 100);
  /* 30 s later, in another case: the cache answers, TTL aged. */
  th_pair_run(&f.p, ZN_SEC(30));
  ask(&f, 0x2222, "WWW.Test");
  ZT_EQ(nupstream, 1);
  ZT_EQ(nanswers, 2);
  zn_dns_msg_init(&m, answer, answer_len);
  ZT_EQ(zn_dns_id(&m), 0x2222);
  ZT_EQ(answer[13], 'W'); /* the client's case */
  ZT_EQ(first_ttl(), 70);
  /* Negative answers are cached by their SOA (30 s). */
  ask(&f, 3, "nx.test");
  ask(&f, 4, "nx.test");
  ZT_EQ(nupstream, 2);
  zn_dns_msg_init(&m, answer, answer_len);
  ZT_EQ(zn_dns_rcode(&m), ZN_DNS_RCODE_NXDOMAIN);
  struct zn_dns_forwarder_stats s = stats(&f);
  ZT_EQU(s.forwarded, 2);
  ZT_EQU(s.answered, 2);
  ZT_EQU(s.cache_hits, 2);
  ZT_EQU(s.cache_inserts, 2);
  ZT_EQU(s.cache_entries, 2);
  ZT_EQU(s.pending, 0);
  teardown(&f);
}

/* Answers longer than cfg.cache_msg_max are forwarded, not cached; the
 * bound is what each entry reserves, and is checked. */
ZT_TEST(test_cache_answer_max) {
  struct fix f;
  setup(&f, false);
  ask(&f, 1, "big.test");
  ask(&f, 2, "big.test");
  ZT_EQ(nupstream, 2);
  ZT_EQ(nanswers, 2);
  ZT_CHECK(answer_len > 512);
  struct zn_dns_forwarder_stats s = stats(&f);
  ZT_EQU(s.cache_inserts, 0);
  ZT_EQU(s.cache_uncacheable, 2);
  ask(&f, 3, "www.test");
  ask(&f, 4, "www.test");
  ZT_EQ(nupstream, 3);
  s = stats(&f);
  ZT_EQU(s.cache_inserts, 1);
  ZT_EQU(s.cache_hits, 1);
  teardown(&f);

  struct zn_dns_forwarder_cfg fc;
  zn_dns_forwarder_cfg_default(&fc);
  fc.upstream.addr = zn_ip_from_v4(IP_B);
  ZT_EQU(fc.cache_msg_max, 1232);
  size_t dflt = zn_dns_forwarder_mem_size(&fc);
  fc.cache_msg_max = 4096;
  ZT_CHECK(zn_dns_forwarder_mem_size(&fc) > dflt + 4096u * 2800u);
  fc.cache_msg_max = 511;
  ZT_EQU(zn_dns_forwarder_mem_size(&fc), 0);
  fc.cache_msg_max = 4097;
  ZT_EQU(zn_dns_forwarder_mem_size(&fc), 0);
}

ZT_TEST(test_blocked) {
  struct fix f;
  setup(&f, false);
  ask(&f, 1, "ads.test");
  ask(&f, 2, "x.ADS.test");
  ZT_EQ(nupstream, 0);
  ZT_EQ(nanswers, 2);
  struct zn_dns_msg m;
  zn_dns_msg_init(&m, answer, answer_len);
  ZT_EQ(zn_dns_rcode(&m), ZN_DNS_RCODE_NXDOMAIN);
  ZT_EQ(zn_dns_id(&m), 2);
  ZT_EQU(stats(&f).blocked, 2);
  teardown(&f);
  setup(&f, true);
  ask(&f, 1, "ads.test");
  zn_dns_msg_init(&m, answer, answer_len);
  ZT_EQ(zn_dns_rcode(&m), ZN_DNS_RCODE_NOERROR);
  ZT_EQ(zn_dns_ancount(&m), 1); /* 0.0.0.0 */
  ZT_EQ(first_ttl(), 60);
  teardown(&f);
  /* Without a blocklist nothing is blocked. */
  setup_list(&f, false, false);
  ask(&f, 1, "ads.test");
  ZT_EQ(nupstream, 1);
  ZT_EQU(stats(&f).blocked, 0);
  teardown(&f);
}

ZT_TEST(test_sanity_and_timeout) {
  struct fix f;
  setup(&f, false);
  uint8_t q[512];
  zn_udp_sendto(f.cli, TH_IP(IP_A), 53, q, 5); /* too short */
  size_t n = mkquery(q, 7, "www.test", ZN_DNS_TYPE_A);
  q[2] |= 0x80; /* a response */
  zn_udp_sendto(f.cli, TH_IP(IP_A), 53, q, n);
  th_pair_run(&f.p, ZN_MS(50));
  ZT_EQ(nanswers, 0);
  n = mkquery(q, 8, "www.test", ZN_DNS_TYPE_A);
  q[2] |= 2 << 3; /* opcode 2 */
  zn_udp_sendto(f.cli, TH_IP(IP_A), 53, q, n);
  th_pair_run(&f.p, ZN_MS(50));
  ZT_EQ(nanswers, 1);
  ZT_EQ(answer[3] & 0x0f, ZN_DNS_RCODE_NOTIMP);
  n = mkquery(q, 9, "www.test", ZN_DNS_TYPE_A);
  q[5] = 2; /* QDCOUNT 2, one there */
  zn_udp_sendto(f.cli, TH_IP(IP_A), 53, q, n);
  th_pair_run(&f.p, ZN_MS(50));
  ZT_EQ(nanswers, 2);
  ZT_EQ(answer[3] & 0x0f, ZN_DNS_RCODE_FORMERR);
  /* No answer from upstream: SERVFAIL after 2 s, not before. */
  ask(&f, 10, "silent.test");
  ZT_EQ(nanswers, 2);
  th_pair_run(&f.p, ZN_MS(1900));
  ZT_EQ(nanswers, 2);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(nanswers, 3);
  ZT_EQ(zn_rd16(answer), 10);
  ZT_EQ(answer[3] & 0x0f, ZN_DNS_RCODE_SERVFAIL);
  struct zn_dns_forwarder_stats s = stats(&f);
  ZT_EQU(s.dropped, 2);
  ZT_EQU(s.dropped_short, 1);
  ZT_EQU(s.dropped_response, 1);
  ZT_EQU(s.notimp, 1);
  ZT_EQU(s.formerr, 1);
  ZT_EQU(s.upstream_timeouts, 1);
  teardown(&f);
}

/* ---- TCP ---- */

static uint8_t tcp_in[4096];
static size_t tcp_len;
static bool tcp_closed;

static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  long n;
  while ((n = zn_tcp_read(c, tcp_in + tcp_len, sizeof(tcp_in) - tcp_len)) > 0)
    tcp_len += (size_t)n;
  if (n == 0)
    tcp_closed = true;
}

static void cli_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)arg;
  (void)err;
  tcp_closed = true;
}

static void cli_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks cli_cbs = {
    .on_readable = cli_readable,
    .on_error = cli_error,
    .on_closed = cli_closed,
};

ZT_TEST(test_tcp_pipelined_and_bad_length) {
  struct fix f;
  setup(&f, false);
  struct zn_tcp_conn *c;
  tcp_len = 0;
  tcp_closed = false;
  ZT_REQUIRE(zn_tcp_connect(f.p.b, TH_IP(IP_A), 53, &cli_cbs, NULL, &c) == ZN_OK);
  th_pair_run(&f.p, ZN_MS(50));
  /* Two queries in one write: one forwarded, one blocked. */
  uint8_t s[1024];
  size_t n1 = mkquery(s + 2, 0x0a0a, "www.test", ZN_DNS_TYPE_A);
  zn_dns_tcp_encode_len(n1, s);
  size_t n2 = mkquery(s + 4 + n1, 0x0b0b, "ads.test", ZN_DNS_TYPE_A);
  zn_dns_tcp_encode_len(n2, s + 2 + n1);
  ZT_EQ(zn_tcp_write(c, s, n1 + n2 + 4), (long)(n1 + n2 + 4));
  th_pair_run(&f.p, ZN_MS(100));
  struct zn_dns_tcp_decoder d;
  uint8_t buf[1024];
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  size_t used, at = 0;
  int ids = 0;
  while (at < tcp_len &&
         zn_dns_tcp_decode(&d, tcp_in + at, tcp_len - at, &used) == 1) {
    at += used;
    ids |= zn_rd16(buf) == 0x0a0a ? 1 : zn_rd16(buf) == 0x0b0b ? 2 : 4;
  }
  ZT_EQ(at, tcp_len);
  ZT_EQ(ids, 3); /* both answers, in some order */
  ZT_EQ(nupstream, 1);
  /* A zero length prefix: the connection is closed. */
  static const uint8_t zero[2] = {0, 0};
  zn_tcp_write(c, zero, 2);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_CHECK(tcp_closed);
  struct zn_dns_forwarder_stats st = stats(&f);
  ZT_EQU(st.tcp_connections, 1);
  ZT_EQU(st.tcp_queries, 2);
  ZT_EQU(st.tcp_answers, 2);
  ZT_EQU(st.tcp_bad_length, 1);
  zn_tcp_close(c);
  th_pair_run(&f.p, ZN_SEC(1));
  teardown(&f);
}

/* More queries in one write than a connection may have in progress
 * (FWD_TCP_PIPELINE_MAX, 16): the rest are read as the first are
 * answered (the end of a query wakes its client), and the client's FIN
 * closes the connection once the last answer is out. */
ZT_TEST(test_tcp_pipeline_past_limit_resumes) {
  struct fix f;
  setup(&f, false);
  struct zn_tcp_conn *c;
  tcp_len = 0;
  tcp_closed = false;
  ZT_REQUIRE(zn_tcp_connect(f.p.b, TH_IP(IP_A), 53, &cli_cbs, NULL, &c) ==
             ZN_OK);
  th_pair_run(&f.p, ZN_MS(50));
  enum { NQ = 20 };
  uint8_t s[NQ * 64];
  size_t len = 0;
  for (int i = 0; i < NQ; i++) {
    char name[16];
    snprintf(name, sizeof(name), "q%d.test", i);
    size_t n = mkquery(s + len + 2, (uint16_t)(0x100 + i), name, ZN_DNS_TYPE_A);
    zn_dns_tcp_encode_len(n, s + len);
    len += n + 2;
  }
  ZT_EQ(zn_tcp_write(c, s, len), (long)len);
  ZT_EQ(zn_tcp_shutdown(c), ZN_OK);
  th_pair_run(&f.p, ZN_MS(200));
  struct zn_dns_tcp_decoder d;
  uint8_t buf[1024];
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  size_t used, at = 0;
  uint32_t ids = 0;
  while (at < tcp_len &&
         zn_dns_tcp_decode(&d, tcp_in + at, tcp_len - at, &used) == 1) {
    at += used;
    uint16_t id = zn_rd16(buf);
    if (id >= 0x100 && id < 0x100 + NQ)
      ids |= 1u << (id - 0x100);
  }
  ZT_EQ(at, tcp_len);
  ZT_EQU(ids, (1u << NQ) - 1); /* every query answered */
  ZT_EQ(nupstream, NQ);
  ZT_CHECK(tcp_closed);
  struct zn_dns_forwarder_stats st = stats(&f);
  ZT_EQU(st.tcp_queries, NQ);
  ZT_EQU(st.tcp_answers, NQ);
  ZT_EQU(st.tcp_open, 0);
  zn_tcp_close(c);
  th_pair_run(&f.p, ZN_SEC(1));
  teardown(&f);
}

int main(void) {
  ZT_RUN(test_forward_then_cache);
  ZT_RUN(test_cache_answer_max);
  ZT_RUN(test_blocked);
  ZT_RUN(test_sanity_and_timeout);
  ZT_RUN(test_tcp_pipelined_and_bad_length);
  ZT_RUN(test_tcp_pipeline_past_limit_resumes);
  return zt_done();
}
