/*
 * DNS over TCP framing: the decoder against its contract.  Input: a byte
 * choosing the buffer size, a byte seeding the piece sizes, then the
 * stream.  The stream is decoded at once and again in pieces of 1 to 17
 * bytes; both must find the same messages and end the same way, each
 * message must be exactly the bytes after its length prefix (which the
 * encoder writes back the same), no message may exceed the buffer, and
 * nothing may be read or written out of bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

/* A message takes its 2-byte prefix and a 12-byte header at least: a
 * stream of len bytes holds at most this many. */
#define MAX_MSGS(len) ((len) / (2 + ZN_DNS_HDR_LEN) + 1)

struct run {
  size_t nmsg;
  size_t *end; /* stream offset where each message ended (MAX_MSGS) */
  int rc;      /* 0, or the error that stopped it */
  size_t stop; /* bytes taken */
};

static void check_msg(const struct zn_dns_tcp_decoder *d, const uint8_t *s,
                      size_t at) {
  FZ_CHECK(d->need >= ZN_DNS_HDR_LEN && d->need <= d->cap);
  FZ_CHECK(at >= d->need + 2);
  const uint8_t *start = s + at - d->need - 2;
  uint8_t hdr[2];
  FZ_CHECK(zn_dns_tcp_encode_len(d->need, hdr) == ZN_OK);
  FZ_CHECK(memcmp(hdr, start, 2) == 0);
  FZ_CHECK(memcmp(d->buf, start + 2, d->need) == 0);
}

/* Decode s[0..len) in pieces given by seed (0: all at once). */
static void decode(const uint8_t *s, size_t len, size_t cap, uint8_t seed,
                   struct run *r) {
  static uint8_t buf[ZN_DNS_MSG_MAX];
  struct zn_dns_tcp_decoder d;
  zn_dns_tcp_decoder_init(&d, buf, cap);
  uint32_t x = seed;
  size_t at = 0;
  r->nmsg = 0;
  r->rc = 0;
  while (at < len || (at == len && r->rc == 0)) {
    x = x * 1103515245u + 12345u;
    size_t piece = seed ? 1 + (x >> 16) % 17 : len - at;
    if (piece > len - at)
      piece = len - at;
    size_t used;
    int rc = zn_dns_tcp_decode(&d, s + at, piece, &used);
    FZ_CHECK(used <= piece);
    at += used;
    if (rc < 0) {
      FZ_CHECK(rc == ZN_EMALFORMED || rc == ZN_EMSGSIZE);
      FZ_CHECK(!zn_dns_tcp_decoder_idle(&d));
      r->rc = rc;
      break;
    }
    if (rc == 1) {
      check_msg(&d, s, at);
      FZ_CHECK(zn_dns_tcp_decoder_idle(&d));
      FZ_CHECK(r->nmsg < MAX_MSGS(len));
      r->end[r->nmsg++] = at;
    } else {
      FZ_CHECK(rc == 0 && used == piece);
      if (at == len)
        break;
    }
  }
  r->stop = at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct run whole, pieces;
  if (size < 2)
    return 0;
  size_t cap = (size_t)data[0] << 8 | data[0];
  whole.end = malloc(MAX_MSGS(size - 2) * sizeof(size_t));
  pieces.end = malloc(MAX_MSGS(size - 2) * sizeof(size_t));
  FZ_CHECK(whole.end && pieces.end);
  decode(data + 2, size - 2, cap, 0, &whole);
  decode(data + 2, size - 2, cap, (uint8_t)(data[1] | 1), &pieces);
  FZ_CHECK(whole.nmsg == pieces.nmsg && whole.rc == pieces.rc &&
           whole.stop == pieces.stop);
  FZ_CHECK(memcmp(whole.end, pieces.end, whole.nmsg * sizeof(size_t)) == 0);
  free(pieces.end);
  free(whole.end);
  return 0;
}
