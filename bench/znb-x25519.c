/*
 * znb-x25519: what an X25519 key share costs (RFC 7748 §6.1: X25519 of
 * a secret scalar and the base point 9), side by side: libznet-tls's
 * fixed-base multiplication (zn__x25519_base), its ladder with the base
 * point (zn__x25519(k, 9)), BearSSL 0.6's (br_ec_c25519_m31.mulgen, the
 * X25519 Debian's BearSSL has), and each of libznet-tls's two paths by
 * name (tls/tls13_x25519.h: base-c and ladder-c, the portable code;
 * base-adx and ladder-adx, the BMI2 and ADX code, only on a CPU that
 * has them; the first two are whichever of these the CPU chose).
 *
 *     znb-x25519 [N]    N calls of each per round (default 100)
 *
 * Twenty rounds, all taking turns, each call's scalar made from the last
 * result; a round's time per call, the best of the rounds, is what is
 * printed (the least disturbed by the rest of the machine).  The
 * numbers are meant from an optimised build without sanitizers:
 *
 *     gcc -O2 -I tls bench/znb-x25519.c tls/tls13_x25519.c \
 *         tls/tls13_x25519_adx.c tls/tls13_fe25519.c tls/tls13_inv.c -lbearssl
 *
 * Prints one "znb mode=x25519-WHICH ..." line for each, with its time
 * per call and its ratio to the fixed-base one's; exits 1 if they
 * disagree on a result.
 */
#define _GNU_SOURCE
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls13_crypto.h"
#include "tls13_x25519.h"

#define ROUNDS 20

static const uint8_t nine[32] = {9};

static void fixed_base(uint8_t out[32], const uint8_t k[32]) {
  zn__x25519_base(out, k);
}

static void ladder(uint8_t out[32], const uint8_t k[32]) {
  zn__x25519(out, k, nine);
}

static void fixed_base_c(uint8_t out[32], const uint8_t k[32]) {
  zn__x25519_base_c(out, k);
}

static void ladder_c(uint8_t out[32], const uint8_t k[32]) {
  zn__x25519_c(out, k, nine);
}

static void fixed_base_adx(uint8_t out[32], const uint8_t k[32]) {
  zn__x25519_base_adx(out, k);
}

static void ladder_adx(uint8_t out[32], const uint8_t k[32]) {
  zn__x25519_adx(out, k, nine);
}

static void bearssl(uint8_t out[32], const uint8_t k[32]) {
  br_ec_c25519_m31.mulgen(out, k, 32, BR_EC_curve25519);
}

static const struct {
  const char *name;
  void (*fn)(uint8_t out[32], const uint8_t k[32]);
} impls[] = {{"base", fixed_base},      {"ladder", ladder},
             {"bearssl", bearssl},      {"base-c", fixed_base_c},
             {"ladder-c", ladder_c},    {"base-adx", fixed_base_adx},
             {"ladder-adx", ladder_adx}};

/* The last two only where the CPU has BMI2 and ADX. */
static size_t nimpl(void) {
  size_t n = sizeof(impls) / sizeof(impls[0]);
  return zn__x25519_has_adx() ? n : n - 2;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Seconds per call of impl over n calls, the scalar chained through. */
static double round_of(size_t impl, long n, uint8_t k[32]) {
  uint8_t out[32];
  double t0 = now();
  for (long i = 0; i < n; i++) {
    impls[impl].fn(out, k);
    k[i & 31] ^= out[0];
  }
  return (now() - t0) / (double)n;
}

/* Whether the three give one result for a few scalars. */
static int agree(void) {
  uint8_t k[32] = {1, 2, 3}, first[32], out[32];
  for (int i = 0; i < 16; i++) {
    impls[0].fn(first, k);
    for (size_t j = 1; j < nimpl(); j++) {
      impls[j].fn(out, k);
      if (memcmp(out, first, 32) != 0)
        return 0;
    }
    k[i & 31] ^= first[1];
  }
  return 1;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
  if (n < 1 || argc > 2) {
    fprintf(stderr, "usage: znb-x25519 [N]\n");
    return 2;
  }
  if (!agree()) {
    fprintf(stderr, "znb-x25519: the implementations disagree\n");
    return 1;
  }
  double best[sizeof(impls) / sizeof(impls[0])];
  uint8_t k[32] = {9, 8, 7};
  for (size_t j = 0; j < nimpl(); j++)
    best[j] = 1e9;
  for (int r = 0; r < ROUNDS; r++)
    for (size_t j = 0; j < nimpl(); j++) {
      double t = round_of(j, n, k);
      if (t < best[j])
        best[j] = t;
    }
  for (size_t j = 0; j < nimpl(); j++)
    printf("znb mode=x25519-%s ops=%ld rounds=%d us=%.2f ratio=%.2f\n",
           impls[j].name, n, ROUNDS, best[j] * 1e6, best[j] / best[0]);
  return 0;
}
