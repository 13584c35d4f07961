/* ICMP (src/icmp/icmp.c): echo in place, errors in and out, rate limit. */
#include "icmp/icmp_int.h"
#include "ipv4/ipv4_int.h"
#include "proto_util.h"

ZT_TEST(test_echo_reply_in_place) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t msg[200], f[300];
  size_t ml = mk_echo(msg, 0x1234, 0x0007, 100);
  size_t len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, ZN_IPPROTO_ICMP, 5, 0, msg, ml);
  struct zn_buf *in = zn_stack_buf_alloc(s.st, len);
  ZT_REQUIRE(in);
  memcpy(zn_buf_put(in, len), f, len);
  uint8_t *storage = in->head;
  zn_stack_input(s.st, in);
  zn_stack_flush(s.st);
  struct zn_buf *out = sent_pop(&s.link.b);
  ZT_REQUIRE(out);
  /* Zero copy: the reply is the request's own buffer. */
  ZT_CHECK(out->head == storage);
  ZT_EQU(out->len, len);
  ZT_MEMEQ(out->data, MAC_A, 6);
  ZT_MEMEQ(out->data + 6, MAC_B, 6);
  struct zn_ipv4_view v;
  ZT_EQ(zn_ipv4_view_init(&v, out->data + 14, out->len - 14), ZN_OK);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
  ZT_EQU(v.src, IP_B);
  ZT_EQU(v.dst, IP_A);
  ZT_EQ(v.ttl, 64);
  struct zn_icmp_view iv;
  ZT_EQ(zn_icmp_view_init(&iv, zn_ipv4_payload(&v), zn_ipv4_payload_len(&v)), ZN_OK);
  ZT_CHECK(zn_icmp_csum_ok(&iv));
  ZT_EQ(iv.type, ZN_ICMP_ECHO_REPLY);
  ZT_EQ(zn_icmp_echo_id(&iv), 0x1234);
  ZT_EQ(zn_icmp_echo_seq(&iv), 7);
  ZT_MEMEQ(zn_icmp_body(&iv), msg + 8, 100);
  zn_buf_free(out);
  solo_free(&s);
}

ZT_TEST(test_echo_rejects) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t msg[64], f[200];
  size_t ml = mk_echo(msg, 1, 1, 8);
  size_t len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, ZN_IPPROTO_ICMP, 5, 0, msg, ml);
  f[34 + 2] ^= 0x55; /* ICMP checksum */
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_checksum), 1);
  len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, ZN_IPPROTO_ICMP, 5, 0, msg, 7);
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_short), 1);
  /* Echo to the subnet broadcast is not answered (no smurf amplifier). */
  len = mk_ip(f, zn_eth_bcast, MAC_A, IP_A, ZN_IPV4(10, 0, 0, 255),
              ZN_IPPROTO_ICMP, 5, 0, msg, ml);
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_bcast_echo), 1);
  /* Timestamp requests and redirects are not handled. */
  uint8_t ts[20] = {ZN_ICMP_TIMESTAMP};
  zn_icmp_finish(ts, 20);
  len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, ZN_IPPROTO_ICMP, 5, 0, ts, 20);
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_type), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
  /* With echo turned off nothing is answered. */
  cfg_quiet(&c, IP_B, 2);
  c.icmp_echo = false;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, ZN_IPPROTO_ICMP, 5, 0, msg, ml);
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_echo_off), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

/* A stand-in transport on protocol 200 recording the errors it gets. */
static struct zn__inet_err got;
static uint8_t got_l4[8];
static int nerr;
static void fake_err(struct zn_stack *st, const struct zn__inet_err *e) {
  (void)st;
  got = *e;
  memcpy(got_l4, e->l4, 8);
  got.l4 = NULL;
  nerr++;
}
static void fake_in(struct zn_stack *st, struct zn_buf *b,
                    const struct zn__inet_meta *m) {
  (void)st;
  (void)m;
  zn_buf_free(b);
}

/* An ICMP error from `from` quoting an IP header src->dst proto 200 with the
 * 8 bytes `l4`. */
static size_t mk_err(uint8_t *f, uint8_t type, uint8_t code, uint32_t rest,
                     uint32_t qsrc, uint32_t qdst, const uint8_t *l4) {
  uint8_t q[28], m[64];
  struct zn_ipv4_hdr h = {0};
  h.ttl = 64;
  h.proto = 200;
  h.tot_len = 28 + 100; /* the quote is cut: the original was longer */
  h.src = qsrc;
  h.dst = qdst;
  zn_ipv4_emit(q, &h);
  memcpy(q + 20, l4, 8);
  zn_icmp_emit(m, type, code, rest);
  memcpy(m + 8, q, 28);
  zn_icmp_finish(m, 36);
  return mk_ip(f, MAC_B, MAC_X, IP_X, IP_B, ZN_IPPROTO_ICMP, 9, 0, m, 36);
}

/* Every ICMP error type and code the transports hear of, as its kind. */
ZT_TEST(test_icmp_err_kinds_mapped) {
  static const struct {
    uint8_t type, code;
    enum zn__inet_err_kind kind;
  } t[] = {
      {3, 0, ZN__INET_ERR_NET_UNREACH},   {3, 1, ZN__INET_ERR_HOST_UNREACH},
      {3, 2, ZN__INET_ERR_PROTO_UNREACH}, {3, 3, ZN__INET_ERR_PORT_UNREACH},
      {3, 4, ZN__INET_ERR_TOO_BIG},       {3, 5, ZN__INET_ERR_HOST_UNREACH},
      {3, 6, ZN__INET_ERR_NET_UNREACH},   {3, 7, ZN__INET_ERR_HOST_UNREACH},
      {3, 8, ZN__INET_ERR_HOST_UNREACH},  {3, 9, ZN__INET_ERR_PROHIBITED},
      {3, 10, ZN__INET_ERR_PROHIBITED},   {3, 11, ZN__INET_ERR_NET_UNREACH},
      {3, 12, ZN__INET_ERR_HOST_UNREACH}, {3, 13, ZN__INET_ERR_PROHIBITED},
      {3, 14, ZN__INET_ERR_PROHIBITED},   {3, 15, ZN__INET_ERR_PROHIBITED},
      {11, 0, ZN__INET_ERR_TIME_EXCEEDED}, {11, 1, ZN__INET_ERR_TIME_EXCEEDED},
      {12, 0, ZN__INET_ERR_PARAM},        {12, 2, ZN__INET_ERR_PARAM},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    ZT_EQ(zn__icmp_err_kind(t[i].type, t[i].code), t[i].kind);
}

ZT_TEST(test_error_delivery) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t f[200];
  const uint8_t l4[8] = {0x30, 0x39, 0x00, 0x35, 0, 16, 0, 0};
  /* No transport on 200 yet. */
  inject(s.st, f, mk_err(f, 3, 3, 0, IP_B, IP_X, l4));
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_noowner), 1);
  ZT_EQ(zn__inet_register(s.st, ZN__INET_ON_BOTH, 200, fake_in, fake_err), ZN_OK);
  nerr = 0;
  inject(s.st, f, mk_err(f, 3, 3, 0, IP_B, IP_X, l4));
  ZT_EQ(nerr, 1);
  ZT_EQ(got.kind, ZN__INET_ERR_PORT_UNREACH);
  ZT_EQ(got.proto, 200);
  ZT_EQU(zn_ip_v4(&got.from), IP_X);
  ZT_EQU(zn_ip_v4(&got.src), IP_B);
  ZT_EQU(zn_ip_v4(&got.dst), IP_X);
  ZT_EQU(got.l4_len, 8);
  ZT_MEMEQ(got_l4, l4, 8);
  /* Fragmentation needed carries the next-hop MTU. */
  inject(s.st, f, mk_err(f, 3, 4, 1400, IP_B, IP_X, l4));
  ZT_EQ(nerr, 2);
  ZT_EQ(got.kind, ZN__INET_ERR_TOO_BIG);
  ZT_EQ(got.mtu, 1400);
  inject(s.st, f, mk_err(f, 11, 0, 0, IP_B, IP_X, l4));
  ZT_EQ(nerr, 3);
  ZT_EQ(got.kind, ZN__INET_ERR_TIME_EXCEEDED);
  /* Quoting a datagram we did not send: refused. */
  inject(s.st, f, mk_err(f, 3, 3, 0, IP_X, IP_B, l4));
  ZT_EQ(nerr, 3);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_quote), 1);
  /* A quote cut inside the transport header: refused. */
  size_t len = mk_err(f, 3, 3, 0, IP_B, IP_X, l4);
  zn_wr16(f + 16, (uint16_t)(zn_rd16(f + 16) - 1));
  zn_wr16(f + 24, 0);
  zn_wr16(f + 24, zn_csum(f + 14, 20));
  zn_wr16(f + 36, 0);
  zn_wr16(f + 36, zn_csum(f + 34, 35));
  inject(s.st, f, len - 1);
  ZT_EQ(nerr, 3);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_quote), 2);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_rx), 3);
  solo_free(&s);
}

ZT_TEST(test_error_rate_limit) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.icmp_rate = 10;
  c.icmp_burst = 5;
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t f[200], pl[8] = {0};
  size_t len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 99, 1, 0, pl, 8);
  for (int i = 0; i < 20; i++)
    inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 5);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_ratelimited), 15);
  zn_stack_poll(s.st, ZN_MS(500)); /* half a second buys 5 more */
  for (int i = 0; i < 20; i++)
    inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 10);
  zn_stack_poll(s.st, ZN_SEC(100)); /* the bucket caps at the burst */
  for (int i = 0; i < 20; i++)
    inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 15);
  ZT_EQ(sent_count(&s.link.b, 0), 15);
  solo_free(&s);
}

ZT_TEST(test_no_error_about_errors_or_fragments) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t f[200], pl[16] = {0};
  /* A non-initial fragment of an unknown protocol that completes a
   * datagram whose first fragment came: the error quotes fragment 0 only
   * if there is one; here the reassembled datagram has offset 0. */
  size_t len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 99, 2, ZN_IPV4_MF, pl, 8);
  inject(s.st, f, len);
  len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 99, 2, 1, pl, 8);
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_ok), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 1);
  /* An ICMP error about an ICMP error is never sent: an unknown-protocol
   * reply is impossible to provoke for ICMP itself, so check the filter
   * directly with a quoted ICMP error. */
  uint8_t q[28];
  struct zn_ipv4_hdr h = {0};
  h.ttl = 64;
  h.proto = ZN_IPPROTO_ICMP;
  h.tot_len = 28;
  h.src = IP_A;
  h.dst = IP_B;
  zn_ipv4_emit(q, &h);
  zn_icmp_emit(q + 20, ZN_ICMP_DEST_UNREACH, 3, 0);
  struct zn_buf *b = zn_stack_buf_alloc(s.st, 28);
  ZT_REQUIRE(b);
  memcpy(zn_buf_put(b, 28), q, 28);
  zn__icmp_error(s.st, b, false, ZN_ICMP_DEST_UNREACH, 2, 0);
  q[20] = ZN_ICMP_ECHO_REQUEST; /* but about an echo request: allowed */
  memcpy(b->data, q, 28);
  zn__icmp_error(s.st, b, false, ZN_ICMP_DEST_UNREACH, 2, 0);
  /* Not in answer to a link broadcast. */
  zn__icmp_error(s.st, b, true, ZN_ICMP_DEST_UNREACH, 2, 0);
  zn_buf_free(b);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 2);
  sent_purge(&s.link.b);
  solo_free(&s);
}

int main(void) {
  ZT_RUN(test_echo_reply_in_place);
  ZT_RUN(test_echo_rejects);
  ZT_RUN(test_icmp_err_kinds_mapped);
  ZT_RUN(test_error_delivery);
  ZT_RUN(test_error_rate_limit);
  ZT_RUN(test_no_error_about_errors_or_fragments);
  return zt_done();
}
