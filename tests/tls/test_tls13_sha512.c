/* SHA-384 and SHA-512 (tls/tls13_sha512.c) against FIPS 180-4's
 * examples and BearSSL's br_sha384_vtable and br_sha512_vtable: every
 * length to five blocks, cut into updates of every shape with digests
 * taken between them, the running state handed over as HMAC does, HMAC
 * through them; both compressions by name against BearSSL's.  On a CPU
 * that can run the AVX and BMI2 path it must be the one the classes
 * take, or the class tests would check only the portable one. */
#include <bearssl.h>
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "tls13_crypto.h"
#include "tls_hex.h"
#include "zt.h"

/* The two hashes, ours and BearSSL's, and their digest lengths. */
static const struct {
  const char *name;
  const br_hash_class *ours, *theirs;
  size_t len;
} hashes[] = {
    {"SHA-384", &zn__tls_sha384_vtable, &br_sha384_vtable, 48},
    {"SHA-512", &zn__tls_sha512_vtable, &br_sha512_vtable, 64},
};
#define NHASH (sizeof(hashes) / sizeof(hashes[0]))

static void digest(const br_hash_class *h, const void *p, size_t len,
                   uint8_t out[64]) {
  br_sha512_context c;
  h->init(&c.vtable);
  h->update(&c.vtable, p, len);
  h->out(&c.vtable, out);
}

/* Deterministic bytes (xorshift), so that a failure repeats. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return rnd_state;
}
static void fill(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)rnd();
}

/* XCR0's SSE and AVX bits: the operating system saves the registers. */
static bool os_saves_avx(void) {
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & 6) == 6;
}

ZT_TEST(test_fast_path_taken_where_cpu_has_it) {
  unsigned a, b, c, d;
  bool avx = __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_OSXSAVE) != 0 &&
             (c & bit_AVX) != 0 && os_saves_avx();
  bool bmi2 =
      __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 && (b & bit_BMI2) != 0;
  bool vector = br_aes_x86ni_ctr_get_vtable() != NULL;
  printf("# CPU AVX %s, BMI2 %s, BearSSL x86 code %s, fast path %s\n",
         avx ? "yes" : "no", bmi2 ? "yes" : "no", vector ? "yes" : "no",
         zn__tls_sha512_fast() ? "taken" : "not taken");
  ZT_CHECK(zn__tls_sha512_fast() == (avx && bmi2 && vector));
}

/* The engines hash with these classes: the SHA-384 suite's key schedule
 * and transcript. */
ZT_TEST(test_sha384_suite_uses_it) {
  ZT_CHECK(zn__tls13_suite(0x1302)->hash == &zn__tls_sha384_vtable);
}

ZT_TEST(test_fips180_examples) {
  static const char two_blocks[] =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  static const char *const want[NHASH][4] = {
      {"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
       "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
       "38b060a751ac96384cd9327eb1b1e36a21fdb71114be0743"
       "4c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
       "09330c33f71147e83d192fc782cd1b4753111b173b3b05d2"
       "2fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039",
       "9d0e1809716474cb086e834e310a4a1ced149e9c00f24852"
       "7972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985"},
      {"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
       "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
       "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
       "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
       "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
       "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"},
  };
  uint8_t a[1000], h[64];
  memset(a, 'a', sizeof(a));
  for (size_t k = 0; k < NHASH; k++) {
    size_t n = hashes[k].len;
    const br_hash_class *v = hashes[k].ours;
    digest(v, "abc", 3, h);
    ZT_MEMEQ(h, B(want[k][0]).b, n);
    digest(v, NULL, 0, h); /* as BearSSL allows: no data, no pointer */
    ZT_MEMEQ(h, B(want[k][1]).b, n);
    digest(v, two_blocks, strlen(two_blocks), h);
    ZT_MEMEQ(h, B(want[k][2]).b, n);
    /* A million 'a's, a thousand at a time. */
    br_sha512_context c;
    v->init(&c.vtable);
    for (int i = 0; i < 1000; i++)
      v->update(&c.vtable, a, sizeof(a));
    v->out(&c.vtable, h);
    ZT_MEMEQ(h, B(want[k][3]).b, n);
  }
}

ZT_TEST(test_every_length_as_bearssl) {
  uint8_t msg[5 * 128 + 1], a[64], b[64];
  fill(msg, sizeof(msg));
  for (size_t k = 0; k < NHASH; k++)
    for (size_t n = 0; n <= sizeof(msg); n++) {
      digest(hashes[k].ours, msg, n, a);
      digest(hashes[k].theirs, msg, n, b);
      ZT_MEMEQ(a, b, hashes[k].len);
    }
}

/* Cut into updates of random sizes (zero included), the digest taken
 * between them as a transcript's is: out leaves the context as it was. */
ZT_TEST(test_updates_of_any_shape) {
  uint8_t msg[2500], a[64], b[64];
  for (int round = 0; round < 400; round++) {
    size_t k = (size_t)round % NHASH;
    size_t n = (size_t)(rnd() % sizeof(msg));
    fill(msg, n);
    br_sha512_context c, r;
    hashes[k].ours->init(&c.vtable);
    hashes[k].theirs->init(&r.vtable);
    size_t off = 0;
    while (off < n) {
      size_t m = (size_t)(rnd() % 300);
      if (m > n - off)
        m = n - off;
      hashes[k].ours->update(&c.vtable, msg + off, m);
      hashes[k].theirs->update(&r.vtable, msg + off, m);
      off += m;
      hashes[k].ours->out(&c.vtable, a);
      hashes[k].theirs->out(&r.vtable, b);
      ZT_MEMEQ(a, b, hashes[k].len);
    }
  }
}

/* HMAC keeps the state after the padded key and restarts from it
 * (state, set_state): keys of every size around the block, as with
 * BearSSL's hashes. */
ZT_TEST(test_hmac_as_bearssl) {
  uint8_t key[300], data[600], a[64], b[64];
  for (size_t k = 0; k < NHASH; k++)
    for (size_t kl = 0; kl <= sizeof(key); kl += 7) {
      fill(key, kl);
      size_t dl = (size_t)(rnd() % sizeof(data));
      fill(data, dl);
      br_hmac_key_context ka, kb;
      br_hmac_context ha, hb;
      br_hmac_key_init(&ka, hashes[k].ours, key, kl);
      br_hmac_key_init(&kb, hashes[k].theirs, key, kl);
      br_hmac_init(&ha, &ka, 0);
      br_hmac_init(&hb, &kb, 0);
      br_hmac_update(&ha, data, dl);
      br_hmac_update(&hb, data, dl);
      br_hmac_out(&ha, a);
      br_hmac_out(&hb, b);
      ZT_MEMEQ(a, b, hashes[k].len);
    }
}

/* A running state handed over with a count near 2^61 bytes (set_state,
 * as HMAC hands it): the bit length's high word is in the padding. */
ZT_TEST(test_huge_counts_as_bearssl) {
  uint8_t st[64], msg[300], a[64], b[64];
  for (int round = 0; round < 50; round++) {
    size_t k = (size_t)round % NHASH;
    fill(st, sizeof(st));
    size_t n = (size_t)(rnd() % sizeof(msg));
    fill(msg, n);
    uint64_t count = (((uint64_t)1 << 61) - 256 + rnd() % 512) & ~(uint64_t)127;
    count += (uint64_t)round % 3 * ((uint64_t)1 << 62); /* past 2^64 bits */
    br_sha512_context c, r;
    hashes[k].ours->init(&c.vtable);
    hashes[k].theirs->init(&r.vtable);
    hashes[k].ours->set_state(&c.vtable, st, count);
    hashes[k].theirs->set_state(&r.vtable, st, count);
    hashes[k].ours->update(&c.vtable, msg, n);
    hashes[k].theirs->update(&r.vtable, msg, n);
    hashes[k].ours->out(&c.vtable, a);
    hashes[k].theirs->out(&r.vtable, b);
    ZT_MEMEQ(a, b, hashes[k].len);
    ZT_CHECK(hashes[k].ours->state(&c.vtable, a) == count + n);
  }
}

/* BearSSL's compression of n blocks from the state val: the state set,
 * whole blocks hashed. */
static void bearssl_blocks(uint64_t val[8], const uint8_t *p, size_t n) {
  br_sha512_context c;
  uint8_t st[64];
  for (size_t i = 0; i < 64; i++)
    st[i] = (uint8_t)(val[i / 8] >> (56 - 8 * (i % 8)));
  br_sha512_init(&c);
  br_sha512_set_state(&c, st, 0);
  br_sha512_update(&c, p, n * 128);
  br_sha512_state(&c, st);
  for (size_t i = 0; i < 8; i++) {
    val[i] = 0;
    for (size_t j = 0; j < 8; j++)
      val[i] = val[i] << 8 | st[8 * i + j];
  }
}

/* Each compression by name, from random states over one to four random
 * blocks: the portable one is tested even where the classes take the
 * other, and the x86 one where it may run. */
ZT_TEST(test_both_compressions_as_bearssl) {
  uint8_t msg[4 * 128];
  int runs = 0;
  for (int round = 0; round < 200; round++) {
    uint64_t v0[8], want[8], got[8];
    size_t n = 1 + (size_t)(rnd() % 4);
    for (size_t i = 0; i < 8; i++)
      v0[i] = rnd();
    fill(msg, n * 128);
    memcpy(want, v0, sizeof(want));
    bearssl_blocks(want, msg, n);
    memcpy(got, v0, sizeof(got));
    zn__tls_sha512_blocks_c(got, msg, n);
    ZT_MEMEQ(got, want, sizeof(want));
    if (zn__tls_sha512_fast()) {
      memcpy(got, v0, sizeof(got));
      zn__tls_sha512_blocks_x86ext(got, msg, n);
      ZT_MEMEQ(got, want, sizeof(want));
      runs++;
    }
  }
  printf("# x86 compression compared %d times\n", runs);
}

int main(void) {
  ZT_RUN(test_fast_path_taken_where_cpu_has_it);
  ZT_RUN(test_sha384_suite_uses_it);
  ZT_RUN(test_fips180_examples);
  ZT_RUN(test_every_length_as_bearssl);
  ZT_RUN(test_updates_of_any_shape);
  ZT_RUN(test_hmac_as_bearssl);
  ZT_RUN(test_huge_counts_as_bearssl);
  ZT_RUN(test_both_compressions_as_bearssl);
  return zt_done();
}
