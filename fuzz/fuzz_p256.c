/*
 * libznet-tls's P-256 (tls/tls13_p256.c: zn__tls_ec for secp256r1 and
 * zn__p256_point_check; tls/tls13_p256_ecdsa.c: the signer) against
 * BearSSL 0.6's p256_m31 and i31 ECDSA, on hostile points and scalars:
 * a differential harness.  No stack.
 *
 * Input: a mode byte, a point (65 bytes, or what is left if fewer: a
 * wrong length), a scalar x and a scalar y (up to 32 bytes each, their
 * lengths from the mode: bits 2-4 take 4 x that many bytes off x's 32,
 * bits 5-7 off y's).  With mode bit 0 the point is first replaced by
 * t G, t its own bytes 1 to 32, computed by p256_m31 (a point of the
 * curve, unless t is 0 mod n).
 *
 * Checks: the point decodes for zn__p256_point_check exactly when it
 * does for p256_m31 (length, first byte, coordinates below p, the curve
 * equation).  Where the contract holds (a point, scalars in 1..n-1):
 * mul, mulgen and muladd (x P + y G) give p256_m31's return and bytes,
 * and zn__p256_ecdsa_sign with key x over the point's first 32 bytes
 * gives br_ecdsa_i31_sign_raw's signature.  Everywhere: mul and muladd
 * never write outside the point, an undecodable point is refused and
 * left as it was, mulgen always answers 65 bytes that are a point or
 * the encoding of infinity.
 */
#include <string.h>

#include "fuzz_util.h"
#include "tls13_crypto.h"

#define P256 BR_EC_secp256r1

static const uint8_t infinity[65] = {4};

/* Whether x (len <= 32 bytes, big-endian) is in 1..n-1. */
static bool in_range(const uint8_t *x, size_t len) {
  uint8_t b[32] = {0};
  memcpy(b + 32 - len, x, len);
  uint8_t any = 0;
  for (size_t i = 0; i < 32; i++)
    any |= b[i];
  size_t nlen; /* n, from BearSSL: the reference */
  const unsigned char *n = br_ec_p256_m31.order(P256, &nlen);
  return any != 0 && nlen == 32 && memcmp(b, n, 32) < 0;
}

/* The decoder's verdict against p256_m31's (its mul returns the
 * decoding's result, whatever the scalar). */
static bool check_decode(const uint8_t *q, size_t len) {
  static const uint8_t one = 1;
  uint8_t theirs[80];
  memcpy(theirs, q, len);
  bool ok = zn__p256_point_check(q, len);
  FZ_CHECK(ok == (br_ec_p256_m31.mul(theirs, len, &one, 1, P256) == 1));
  return ok;
}

static void check_mul(const uint8_t *q, size_t len, bool valid,
                      const uint8_t *x, size_t xlen, bool x_ok) {
  uint8_t ours[80], theirs[80];
  memset(ours, 0xa5, sizeof(ours));
  memcpy(ours, q, len);
  uint32_t r = zn__tls_ec.mul(ours, len, x, xlen, P256);
  for (size_t i = len; i < sizeof(ours); i++)
    FZ_CHECK(ours[i] == 0xa5);
  if (!valid) {
    FZ_CHECK(r == 0 && memcmp(ours, q, len) == 0);
    return;
  }
  if (!x_ok)
    return;
  memcpy(theirs, q, len);
  FZ_CHECK(br_ec_p256_m31.mul(theirs, len, x, xlen, P256) == 1);
  FZ_CHECK(r == 1 && memcmp(ours, theirs, 65) == 0);
}

static void check_mulgen(const uint8_t *x, size_t xlen, bool x_ok) {
  uint8_t ours[65], theirs[65];
  FZ_CHECK(zn__tls_ec.mulgen(ours, x, xlen, P256) == 65);
  FZ_CHECK(zn__p256_point_check(ours, 65) || memcmp(ours, infinity, 65) == 0);
  if (!x_ok)
    return;
  FZ_CHECK(br_ec_p256_m31.mulgen(theirs, x, xlen, P256) == 65);
  FZ_CHECK(memcmp(ours, theirs, 65) == 0);
}

static void check_muladd(const uint8_t *q, size_t len, bool valid,
                         const uint8_t *x, size_t xlen, const uint8_t *y,
                         size_t ylen, bool xy_ok) {
  uint8_t ours[80], theirs[80];
  memcpy(ours, q, len);
  uint32_t r = zn__tls_ec.muladd(ours, NULL, len, x, xlen, y, ylen, P256);
  if (!valid) {
    FZ_CHECK(r == 0 && memcmp(ours, q, len) == 0);
    return;
  }
  if (!xy_ok)
    return;
  memcpy(theirs, q, len);
  uint32_t t = br_ec_p256_m31.muladd(theirs, NULL, len, x, xlen, y, ylen, P256);
  FZ_CHECK(r == t);
  if (r == 1)
    FZ_CHECK(memcmp(ours, theirs, 65) == 0);
}

static void check_sign(const uint8_t *h, const uint8_t *x, size_t xlen) {
  uint8_t key[32] = {0}, ours[64], theirs[64];
  memcpy(key + 32 - xlen, x, xlen);
  br_ec_private_key sk = {P256, key, sizeof(key)};
  FZ_CHECK(zn__p256_ecdsa_sign(&br_sha256_vtable, h, &sk, ours) == 64);
  FZ_CHECK(br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, h, &sk,
                                 theirs) == 64);
  FZ_CHECK(memcmp(ours, theirs, 64) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  uint8_t mode = fz_u8(&in);
  const uint8_t *p, *x, *y;
  uint8_t q[65] = {0};
  size_t len = fz_bytes(&in, 65, &p);
  memcpy(q, p, len);
  size_t xlen = fz_bytes(&in, 32 - 4 * (size_t)((mode >> 2) & 7), &x);
  size_t ylen = fz_bytes(&in, 32 - 4 * (size_t)((mode >> 5) & 7), &y);
  if (mode & 1) {
    uint8_t t[32];
    memcpy(t, q + 1, sizeof(t));
    len = 65;
    br_ec_p256_m31.mulgen(q, t, sizeof(t), P256);
  }
  bool valid = check_decode(q, len);
  bool x_ok = in_range(x, xlen), y_ok = in_range(y, ylen);
  check_mul(q, len, valid, x, xlen, x_ok);
  check_mulgen(x, xlen, x_ok);
  check_muladd(q, len, valid, x, xlen, y, ylen, x_ok && y_ok);
  if (x_ok)
    check_sign(q, x, xlen);
  return 0;
}
