/* DNS over TCP framing (src/wire/dns_tcp.c): messages in any pieces,
 * pipelined, bounded; errors on a length below a header or above the
 * buffer; the encoder. */
#include <stdlib.h>

#include "znet/dns.h"
#include "znet/err.h"
#include "zt.h"

/* A stream of n messages of lengths len[i], message i filled with i+1. */
static size_t stream(uint8_t *out, const size_t *len, size_t n) {
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    zn_dns_tcp_encode_len(len[i], out + at);
    memset(out + at + 2, (int)(i + 1), len[i]);
    at += 2 + len[i];
  }
  return at;
}

/* Feed s[0..n) in pieces of `piece` bytes; count the messages and check
 * each one's length and bytes. */
static int decode_all(const uint8_t *s, size_t n, size_t piece,
                      const size_t *len) {
  uint8_t buf[600];
  struct zn_dns_tcp_decoder d;
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  int got = 0;
  for (size_t at = 0; at < n;) {
    size_t k = n - at < piece ? n - at : piece;
    while (k > 0) {
      size_t used;
      int rc = zn_dns_tcp_decode(&d, s + at, k, &used);
      if (rc < 0)
        return rc;
      ZT_CHECK(used <= k);
      at += used;
      k -= used;
      if (rc == 1) {
        ZT_EQ(d.need, len[got]);
        for (size_t i = 0; i < d.need; i++)
          if (d.buf[i] != got + 1) {
            ZT_EQ(d.buf[i], got + 1);
            break;
          }
        got++;
        ZT_CHECK(zn_dns_tcp_decoder_idle(&d));
      } else {
        ZT_EQ(k, 0); /* all taken */
      }
    }
  }
  ZT_CHECK(zn_dns_tcp_decoder_idle(&d));
  return got;
}

ZT_TEST(test_pieces_and_pipelining) {
  static const size_t len[] = {12, 100, 512, 13, 600};
  uint8_t s[2000];
  size_t n = stream(s, len, 5);
  static const size_t pieces[] = {1, 2, 3, 7, 14, 101, 2000};
  for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
    ZT_EQ(decode_all(s, n, pieces[i], len), 5);
}

ZT_TEST(test_partial_is_not_idle) {
  uint8_t buf[64], s[20];
  static const size_t len[] = {12};
  stream(s, len, 1);
  struct zn_dns_tcp_decoder d;
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  size_t used;
  ZT_CHECK(zn_dns_tcp_decoder_idle(&d));
  ZT_EQ(zn_dns_tcp_decode(&d, s, 1, &used), 0);
  ZT_EQ(used, 1);
  ZT_CHECK(!zn_dns_tcp_decoder_idle(&d));
  ZT_EQ(zn_dns_tcp_decode(&d, s + 1, 0, &used), 0);
  ZT_EQ(used, 0);
  ZT_EQ(zn_dns_tcp_decode(&d, s + 1, 13, &used), 1);
  ZT_EQ(used, 13);
}

ZT_TEST(test_bad_lengths) {
  uint8_t buf[100];
  struct zn_dns_tcp_decoder d;
  size_t used;
  static const uint8_t zero[] = {0, 0, 1, 2, 3};
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  ZT_EQ(zn_dns_tcp_decode(&d, zero, sizeof(zero), &used), ZN_EMALFORMED);
  ZT_EQ(used, 2);
  /* Sticky. */
  ZT_EQ(zn_dns_tcp_decode(&d, zero + 2, 3, &used), ZN_EMALFORMED);
  ZT_EQ(used, 0);
  ZT_CHECK(!zn_dns_tcp_decoder_idle(&d));
  static const uint8_t eleven[] = {0, 11};
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  ZT_EQ(zn_dns_tcp_decode(&d, eleven, 2, &used), ZN_EMALFORMED);
  static const uint8_t big[] = {0, 101};
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  ZT_EQ(zn_dns_tcp_decode(&d, big, 1, &used), 0);
  ZT_EQ(zn_dns_tcp_decode(&d, big + 1, 1, &used), ZN_EMSGSIZE);
  static const uint8_t fits[] = {0, 100};
  zn_dns_tcp_decoder_init(&d, buf, sizeof(buf));
  ZT_EQ(zn_dns_tcp_decode(&d, fits, 2, &used), 0);
  /* A cap above 65535 counts as 65535: a full-size message is taken. */
  uint8_t *huge = malloc(70000);
  ZT_REQUIRE(huge);
  static const uint8_t max[] = {0xff, 0xff};
  zn_dns_tcp_decoder_init(&d, huge, 70000);
  ZT_EQ(d.cap, 65535);
  ZT_EQ(zn_dns_tcp_decode(&d, max, 2, &used), 0);
  free(huge);
}

ZT_TEST(test_encode) {
  uint8_t h[2] = {0xaa, 0xbb};
  ZT_EQ(zn_dns_tcp_encode_len(0, h), ZN_EMSGSIZE);
  ZT_EQ(zn_dns_tcp_encode_len(65536, h), ZN_EMSGSIZE);
  ZT_EQ(h[0], 0xaa);
  ZT_EQ(zn_dns_tcp_encode_len(0x1234, h), ZN_OK);
  ZT_EQ(h[0], 0x12);
  ZT_EQ(h[1], 0x34);
  ZT_EQ(zn_dns_tcp_encode_len(65535, h), ZN_OK);
  ZT_EQ(h[0], 0xff);
}

int main(void) {
  ZT_RUN(test_pieces_and_pipelining);
  ZT_RUN(test_partial_is_not_idle);
  ZT_RUN(test_bad_lengths);
  ZT_RUN(test_encode);
  return zt_done();
}
