/*
 * znb-ec: what libznet-tls's P-256 costs (tls/tls13_p256.c,
 * tls/tls13_p256_ecdsa.c) beside BearSSL 0.6's (p256_m31, ecdsa_i31),
 * one operation at a time, in one run.
 *
 *     znb-ec [-n ITERS] [-r ROUNDS]
 *
 * Each operation runs ROUNDS rounds (default 15) of ITERS calls (default
 * 300), znet's then BearSSL's in every round, so that both meet the same
 * noise; a figure is the fastest round's time per call (the median is
 * printed beside it).  One line per operation:
 *
 *     znb mode=ec-mulgen ops=4500 secs=0.26 rate=18552.1 unit=op/s
 *         us=53.9 us_median=56.0 base_us=363.3 base_median=372.9
 *         ratio=6.73
 *
 * rate and us are znet's, base_* BearSSL's, ratio base_us / us.  The
 * operations: mulgen (k G), mul (k P: ECDHE), muladd (x P + y G: what
 * verification computes), sign-i31 (br_ecdsa_i31_sign_raw over
 * zn__tls_ec, as P-384 keys and nothing else sign now, against it over
 * p256_m31), sign (zn__p256_ecdsa_sign against br_ecdsa_i31_sign_raw over
 * p256_m31), verify (br_ecdsa_i31_vrfy_raw over each).  Time it in a
 * build without sanitizers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls13_crypto.h"

#define P256 BR_EC_secp256r1

enum op { OP_MULGEN, OP_MUL, OP_MULADD, OP_SIGN_I31, OP_SIGN, OP_VERIFY };

static const char *const op_names[] = {"mulgen",   "mul",  "muladd",
                                       "sign-i31", "sign", "verify"};

/* The operands: a key k (also the scalar), a point, a digest and a
 * signature to verify. */
static uint8_t k[32], point[65], digest[32], sig[64], out[80];
static br_ec_private_key sk = {P256, k, sizeof(k)};
static br_ec_public_key pk = {P256, point, sizeof(point)};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One call of op, znet's (base false) or BearSSL's. */
static void run(enum op op, int base) {
  const br_ec_impl *ec = base ? &br_ec_p256_m31 : &zn__tls_ec;
  uint8_t q[65];
  switch (op) {
  case OP_MULGEN:
    ec->mulgen(q, k, sizeof(k), P256);
    break;
  case OP_MUL:
    memcpy(q, point, sizeof(q));
    ec->mul(q, sizeof(q), k, sizeof(k), P256);
    break;
  case OP_MULADD:
    memcpy(q, point, sizeof(q));
    ec->muladd(q, NULL, sizeof(q), k, sizeof(k), digest, sizeof(digest), P256);
    break;
  case OP_SIGN_I31:
    br_ecdsa_i31_sign_raw(ec, &br_sha256_vtable, digest, &sk, out);
    break;
  case OP_SIGN:
    if (base)
      br_ecdsa_i31_sign_raw(ec, &br_sha256_vtable, digest, &sk, out);
    else
      zn__p256_ecdsa_sign(&br_sha256_vtable, digest, &sk, out);
    break;
  case OP_VERIFY:
    if (br_ecdsa_i31_vrfy_raw(ec, digest, sizeof(digest), &pk, sig, 64) != 1)
      abort(); /* the measured signature must verify */
    break;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void measure(enum op op, int iters, int rounds) {
  double t[2][64];
  for (int r = 0; r < rounds; r++)
    for (int base = 0; base < 2; base++) {
      double t0 = now();
      for (int i = 0; i < iters; i++)
        run(op, base);
      t[base][r] = (now() - t0) / iters * 1e6;
    }
  double secs = 0;
  for (int r = 0; r < rounds; r++)
    secs += t[0][r] * iters / 1e6;
  qsort(t[0], (size_t)rounds, sizeof(double), cmp_double);
  qsort(t[1], (size_t)rounds, sizeof(double), cmp_double);
  printf("znb mode=ec-%s ops=%d secs=%.3f rate=%.1f unit=op/s us=%.1f "
         "us_median=%.1f base_us=%.1f base_median=%.1f ratio=%.2f\n",
         op_names[op], iters * rounds, secs, 1e6 / t[0][0], t[0][0],
         t[0][rounds / 2], t[1][0], t[1][rounds / 2], t[1][0] / t[0][0]);
}

/* A count from the command line: 1..max, else 0. */
static int count_arg(const char *s, long max) {
  char *end;
  long v = strtol(s, &end, 10);
  return *s != '\0' && *end == '\0' && v >= 1 && v <= max ? (int)v : 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: znb-ec [-n ITERS (1..1000000)] [-r ROUNDS (1..64)]\n");
  return 2;
}

int main(int argc, char **argv) {
  int iters = 300, rounds = 15;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
      iters = count_arg(argv[++i], 1000000);
    else if (i + 1 < argc && strcmp(argv[i], "-r") == 0)
      rounds = count_arg(argv[++i], 64);
    else
      return usage();
  }
  if (iters == 0 || rounds == 0)
    return usage();
  memset(k, 0x5a, sizeof(k));
  k[0] = 0x7f;
  memset(digest, 0x11, sizeof(digest));
  if (br_ec_p256_m31.mulgen(point, k, sizeof(k), P256) != 65 ||
      br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest, &sk,
                            sig) != 64)
    return 1;
  for (int op = OP_MULGEN; op <= OP_VERIFY; op++)
    measure((enum op)op, iters, rounds);
  return 0;
}
