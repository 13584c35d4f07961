/* SHA-256 with the x86 SHA extensions (tls/tls13_sha256.c) against
 * FIPS 180-4's examples and BearSSL's br_sha256_vtable: every length to
 * five blocks, cut into updates of every shape, the running state handed
 * over as HMAC does, and HMAC and HMAC-DRBG through it.  On a CPU with
 * the extensions the fast path must be the one taken, or these tests
 * would compare BearSSL with itself. */
#include <bearssl.h>
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "tls13_crypto.h"
#include "tls_hex.h"
#include "zt.h"

static void ours(const void *p, size_t len, uint8_t out[32]) {
  br_sha256_context c;
  zn__tls_sha256_vtable.init(&c.vtable);
  zn__tls_sha256_vtable.update(&c.vtable, p, len);
  zn__tls_sha256_vtable.out(&c.vtable, out);
}

static void theirs(const void *p, size_t len, uint8_t out[32]) {
  br_sha256_context c;
  br_sha256_init(&c);
  br_sha256_update(&c, p, len);
  br_sha256_out(&c, out);
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

ZT_TEST(test_fast_path_taken_where_cpu_has_it) {
  unsigned a, b, c, d;
  bool sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 &&
             (b & bit_SHA) != 0 && __get_cpuid(1, &a, &b, &c, &d) != 0 &&
             (c & bit_SSSE3) != 0 && (c & bit_SSE4_1) != 0;
  bool vector = br_aes_x86ni_ctr_get_vtable() != NULL;
  printf("# CPU SHA extensions %s, BearSSL x86 code %s, fast path %s\n",
         sha ? "yes" : "no", vector ? "yes" : "no",
         zn__tls_sha256_fast() ? "taken" : "not taken");
  ZT_CHECK(zn__tls_sha256_fast() == (sha && vector));
}

ZT_TEST(test_fips180_examples) {
  uint8_t h[32];
  ours("abc", 3, h);
  ZT_MEMEQ(
      h,
      B("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad").b,
      32);
  ours(NULL, 0, h); /* as BearSSL allows: no data, no pointer */
  ZT_MEMEQ(
      h,
      B("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").b,
      32);
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  ours(m, strlen(m), h);
  ZT_MEMEQ(
      h,
      B("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1").b,
      32);
  /* A million 'a's, a thousand at a time. */
  uint8_t a[1000];
  memset(a, 'a', sizeof(a));
  br_sha256_context c;
  zn__tls_sha256_vtable.init(&c.vtable);
  for (int i = 0; i < 1000; i++)
    zn__tls_sha256_vtable.update(&c.vtable, a, sizeof(a));
  zn__tls_sha256_vtable.out(&c.vtable, h);
  ZT_MEMEQ(
      h,
      B("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0").b,
      32);
}

ZT_TEST(test_every_length_as_bearssl) {
  uint8_t msg[5 * 64 + 1], a[32], b[32];
  fill(msg, sizeof(msg));
  for (size_t n = 0; n <= sizeof(msg); n++) {
    ours(msg, n, a);
    theirs(msg, n, b);
    ZT_MEMEQ(a, b, 32);
  }
}

/* Cut into updates of random sizes (zero included), the digest taken
 * between them as a transcript's is: out leaves the context as it was. */
ZT_TEST(test_updates_of_any_shape) {
  uint8_t msg[1200], a[32], b[32];
  for (int round = 0; round < 400; round++) {
    size_t n = (size_t)(rnd() % sizeof(msg));
    fill(msg, n);
    br_sha256_context c, r;
    zn__tls_sha256_vtable.init(&c.vtable);
    br_sha256_init(&r);
    size_t off = 0;
    while (off < n) {
      size_t k = (size_t)(rnd() % 150);
      if (k > n - off)
        k = n - off;
      zn__tls_sha256_vtable.update(&c.vtable, msg + off, k);
      br_sha256_update(&r, msg + off, k);
      off += k;
      zn__tls_sha256_vtable.out(&c.vtable, a);
      br_sha256_out(&r, b);
      ZT_MEMEQ(a, b, 32);
    }
  }
}

/* HMAC keeps the state after the padded key and restarts from it
 * (state, set_state): keys of every size around the block, and a
 * DRBG's output, each as with BearSSL's SHA-256. */
ZT_TEST(test_hmac_and_drbg_as_bearssl) {
  uint8_t key[150], data[300], a[32], b[32];
  for (size_t kl = 0; kl <= sizeof(key); kl += 7) {
    fill(key, kl);
    size_t dl = (size_t)(rnd() % sizeof(data));
    fill(data, dl);
    br_hmac_key_context ka, kb;
    br_hmac_context ha, hb;
    br_hmac_key_init(&ka, &zn__tls_sha256_vtable, key, kl);
    br_hmac_key_init(&kb, &br_sha256_vtable, key, kl);
    br_hmac_init(&ha, &ka, 0);
    br_hmac_init(&hb, &kb, 0);
    br_hmac_update(&ha, data, dl);
    br_hmac_update(&hb, data, dl);
    br_hmac_out(&ha, a);
    br_hmac_out(&hb, b);
    ZT_MEMEQ(a, b, 32);
  }
  br_hmac_drbg_context da, db;
  br_hmac_drbg_init(&da, &zn__tls_sha256_vtable, "seed", 4);
  br_hmac_drbg_init(&db, &br_sha256_vtable, "seed", 4);
  uint8_t oa[100], ob[100];
  for (int i = 0; i < 20; i++) {
    br_hmac_drbg_generate(&da, oa, sizeof(oa));
    br_hmac_drbg_generate(&db, ob, sizeof(ob));
    ZT_MEMEQ(oa, ob, sizeof(oa));
  }
}

int main(void) {
  ZT_RUN(test_fast_path_taken_where_cpu_has_it);
  ZT_RUN(test_fips180_examples);
  ZT_RUN(test_every_length_as_bearssl);
  ZT_RUN(test_updates_of_any_shape);
  ZT_RUN(test_hmac_and_drbg_as_bearssl);
  return zt_done();
}
