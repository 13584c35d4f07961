/* X25519's two paths (tls/tls13_x25519.h) called by name, so that each
 * is checked whichever the CPU would choose: the portable one
 * (tls13_x25519.c over tls13_fe25519.h) and the BMI2 and ADX one
 * (tls13_x25519_adx.c over tls13_fe25519_adx.h), the latter skipped on a
 * CPU without them.  Every vector through both: RFC 7748 §5.2 and §6.1,
 * the iteration to 1,000; against BearSSL (c25519_m31) on random scalars
 * and u-coordinates, among them u at or above p and with the top bit
 * set, and the points of small order; the fixed-base multiplication
 * against both ladders.  And the 64-bit field on its own against the
 * 51-bit one, at the values where its carries wrap (test_tls13_crypto.c
 * tests the dispatching zn__x25519 and zn__x25519_base). */
#include <bearssl.h>

#include "tls13_fe25519.h"
#include "tls13_fe25519_adx.h"
#include "tls13_x25519.h"
#include "tls_hex.h"
#include "zt.h"

static const struct path {
  const char *name;
  void (*mul)(uint8_t out[32], const uint8_t k[32], const uint8_t u[32]);
  void (*base)(uint8_t out[32], const uint8_t k[32]);
} paths[] = {{"c", zn__x25519_c, zn__x25519_base_c},
             {"adx", zn__x25519_adx, zn__x25519_base_adx}};

/* How many of paths this CPU runs: the ADX one only with BMI2 and ADX. */
static size_t npaths(void) { return zn__x25519_has_adx() ? 2 : 1; }

static bool same_or_say(const uint8_t got[32], const uint8_t want[32],
                        const char *path, const char *what, int i) {
  if (memcmp(got, want, 32) == 0)
    return true;
  zt_fail(__FILE__, __LINE__, "path %s: %s %d", path, what, i);
  zt_hexdump("got", got, 32);
  zt_hexdump("want", want, 32);
  return false;
}

static void vector(const struct path *p, const char *k, const char *u,
                   const char *want) {
  uint8_t kb[32], ub[32], wb[32], out[32];
  ZT_EQU(unhex(k, kb, 32), 32);
  ZT_EQU(unhex(u, ub, 32), 32);
  ZT_EQU(unhex(want, wb, 32), 32);
  p->mul(out, kb, ub);
  same_or_say(out, wb, p->name, "vector", 0);
}

/* RFC 7748 §5.2's two vectors (u with its top bit set, scalars needing
 * the clamp), its iteration to 1,000, and §6.1's exchange, with both
 * public keys from the fixed base too. */
ZT_TEST(test_x25519_paths_match_rfc7748) {
  for (size_t n = 0; n < npaths(); n++) {
    const struct path *p = &paths[n];
    vector(p,
           "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
           "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
           "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    vector(p,
           "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
           "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
           "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    vector(p,
           "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
           "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
           "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    uint8_t k[32] = {9}, u[32] = {9}, r[32], w1[32], w1000[32];
    unhex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
          w1, 32);
    unhex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
          w1000, 32);
    for (int i = 1; i <= 1000; i++) {
      p->mul(r, k, u);
      memcpy(u, k, 32);
      memcpy(k, r, 32);
      if (i == 1)
        same_or_say(k, w1, p->name, "iteration", 1);
    }
    same_or_say(k, w1000, p->name, "iteration", 1000);
    static const char *const pairs[2][2] = {
        {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
        {"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"}};
    for (int i = 0; i < 2; i++) {
      uint8_t want[32], pub[32];
      unhex(pairs[i][0], k, 32);
      unhex(pairs[i][1], want, 32);
      p->base(pub, k);
      same_or_say(pub, want, p->name, "public key", i);
    }
  }
}

/* A u-coordinate for round i: random, or every few rounds one at the
 * edges of the encoding: p + j (j = 0..18, non-canonical, equal to j), 2p
 * - 1 and 2^255 - 1 (all ones below the top bit), each with and without
 * bit 255 (ignored). */
static void edge_u(uint8_t u[32], int i) {
  if (i % 8 != 1)
    return;
  int j = (i / 8) % 21;
  memset(u, 0xff, 32);
  u[0] = j < 19 ? (uint8_t)(0xed + j) : 0xff;
  u[31] = (i / 8) % 2 ? 0xff : 0x7f;
}

/* 3,000 random scalars and points, both paths against BearSSL. */
ZT_TEST(test_x25519_paths_match_bearssl) {
  br_hmac_drbg_context rng;
  static const uint8_t seed[16] = {77, 48};
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  int bad = 0;
  for (int i = 0; i < 3000 && bad < 3; i++) {
    uint8_t k[32], u[32], ours[32], theirs[32];
    br_hmac_drbg_generate(&rng, k, sizeof(k));
    br_hmac_drbg_generate(&rng, u, sizeof(u));
    edge_u(u, i);
    memcpy(theirs, u, 32);
    ZT_CHECK(br_ec_c25519_m31.mul(theirs, 32, k, 32, BR_EC_curve25519) == 1);
    for (size_t n = 0; n < npaths(); n++) {
      paths[n].mul(ours, k, u);
      bad += !same_or_say(ours, theirs, paths[n].name, "random", i);
    }
  }
  ZT_EQ(bad, 0);
}

/* u-coordinates of small order, whose X25519 is zero for any clamped
 * scalar (RFC 7748 §7: a peer may send them; the engine refuses the
 * all-zero secret, §6.1): 0, 1, the two of order 8 and p - 1, then p and
 * p + 1 (0 and 1 unreduced), each also with bit 255 set; zero on both
 * paths, as with BearSSL. */
ZT_TEST(test_x25519_small_order_points_give_zero) {
  static const char *const small[] = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"};
  static const uint8_t zero[32] = {0};
  uint8_t k[32];
  memset(k, 0x5a, sizeof(k));
  for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
    for (int variant = 0; variant < 2; variant++) {
      uint8_t u[32], out[32], theirs[32];
      ZT_EQU(unhex(small[i], u, 32), 32);
      u[31] |= (uint8_t)(variant << 7);
      memcpy(theirs, u, 32);
      br_ec_c25519_m31.mul(theirs, 32, k, 32, BR_EC_curve25519);
      ZT_MEMEQ(theirs, zero, 32);
      for (size_t n = 0; n < npaths(); n++) {
        paths[n].mul(out, k, u);
        same_or_say(out, zero, paths[n].name, "small order", (int)i);
      }
    }
  }
}

/* k B by each path's fixed-base multiplication and by both ladders with
 * u = 9, and BearSSL's, for 2,000 random scalars and the edges of
 * test_tls13_crypto.c (fills that recode to -8 with carries, single
 * bits). */
ZT_TEST(test_x25519_base_paths_match_ladders) {
  static const uint8_t nine[32] = {9};
  br_hmac_drbg_context rng;
  static const uint8_t seed[16] = {25, 51, 64};
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  static const uint8_t fills[] = {0x00, 0xff, 0x88, 0x77, 0xf0, 0x0f};
  int bad = 0;
  for (int i = 0; i < 2000 + 6 + 32 && bad < 3; i++) {
    uint8_t k[32], want[32], out[32];
    br_hmac_drbg_generate(&rng, k, sizeof(k));
    if (i >= 2000 && i < 2006)
      memset(k, fills[i - 2000], sizeof(k));
    if (i >= 2006) { /* 2^254 + bit (i - 2006) * 8 */
      memset(k, 0, sizeof(k));
      k[i - 2006] = 1;
    }
    ZT_CHECK(br_ec_c25519_m31.mulgen(want, k, 32, BR_EC_curve25519) == 32);
    for (size_t n = 0; n < npaths(); n++) {
      paths[n].base(out, k);
      bad += !same_or_say(out, want, paths[n].name, "base", i);
      paths[n].mul(out, k, nine);
      bad += !same_or_say(out, want, paths[n].name, "ladder of 9", i);
    }
  }
  ZT_EQ(bad, 0);
}

/* ---- the 64-bit field against the 51-bit one ---- */

/* The 51-bit element of a 256-bit value: bit 255 is 2^255 = 19. */
static void fe51_of(zn__fe h, const zn__fe64 v) {
  const uint64_t w[4] = {v[0], v[1], v[2], v[3]};
  zn__fe_from_words(h, w);
  h[0] += 19 * (v[3] >> 63);
}

/* Whether the 64-bit h and the 51-bit want encode alike. */
static bool fe_agree(const zn__fe64 h, const zn__fe want) {
  uint8_t a[32], b[32];
  zn__fe64_tobytes(a, h);
  zn__fe_tobytes(b, want);
  return memcmp(a, b, 32) == 0;
}

#define M ~UINT64_C(0)
#define TOP (UINT64_C(1) << 63)

/* Values where the 64-bit field's carries wrap: around 0, p, 2p = 2^256
 * - 38 and 2^256, the top bit alone and with everything, single full
 * words. */
/* clang-format off */
static const zn__fe64 edges[] = {
    {0, 0, 0, 0},            {1, 0, 0, 0},            {19, 0, 0, 0},
    {37, 0, 0, 0},           {38, 0, 0, 0},           {M - 19, M, M, TOP - 1},
    {M - 18, M, M, TOP - 1}, {M - 17, M, M, TOP - 1}, {M, M, M, TOP - 1},
    {0, 0, 0, TOP},          {18, 0, 0, TOP},         {M - 37, M, M, M},
    {M - 38, M, M, M},       {M - 36, M, M, M},       {M - 18, M, M, M},
    {M, M, M, M},            {0, M, 0, M},            {M, 0, M, 0},
    {0, 0, 0, M},            {M, 0, 0, 0},            {0, 0, 1, 0}};
/* clang-format on */

#define NEDGES (sizeof(edges) / sizeof(edges[0]))

/* Sum, difference, product, square, a24 * f + g and the encoding of
 * every pair of edges, then of 20,000 random pairs (random words, or
 * words of all ones or zeros), against the 51-bit field's. */
ZT_TEST(test_fe64_matches_fe51_at_the_edges) {
  if (!zn__x25519_has_adx()) {
    zt_skip("no BMI2 and ADX");
    return;
  }
  br_hmac_drbg_context rng;
  static const uint8_t seed[16] = {64, 51};
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  zn__fe a24 = {121665};
  int bad = 0;
  for (size_t i = 0; i < NEDGES * NEDGES + 20000 && bad < 3; i++) {
    zn__fe64 f, g, h;
    if (i < NEDGES * NEDGES) {
      memcpy(f, edges[i / NEDGES], sizeof(f));
      memcpy(g, edges[i % NEDGES], sizeof(g));
    } else {
      uint8_t pick[2];
      br_hmac_drbg_generate(&rng, f, sizeof(f));
      br_hmac_drbg_generate(&rng, g, sizeof(g));
      br_hmac_drbg_generate(&rng, pick, sizeof(pick));
      for (int w = 0; w < 4; w++) { /* some words all ones or all zeros */
        f[w] =
            (pick[0] >> (2 * w)) & 1 ? (pick[0] >> (2 * w + 1) & 1) * M : f[w];
        g[w] =
            (pick[1] >> (2 * w)) & 1 ? (pick[1] >> (2 * w + 1) & 1) * M : g[w];
      }
    }
    zn__fe f5, g5, want;
    fe51_of(f5, f);
    fe51_of(g5, g);
    bool ok = fe_agree(f, f5);
    zn__fe64_add(h, f, g);
    zn__fe_add(want, f5, g5);
    ok = ok && fe_agree(h, want);
    zn__fe64_sub(h, f, g);
    zn__fe_sub(want, f5, g5);
    ok = ok && fe_agree(h, want);
    zn__fe64_mul(h, f, g);
    zn__fe_mul(want, f5, g5);
    ok = ok && fe_agree(h, want);
    zn__fe64_sq(h, f);
    zn__fe_sq(want, f5);
    ok = ok && fe_agree(h, want);
    zn__fe64_mul_a24_add(h, f, g);
    zn__fe_mul(want, f5, a24);
    zn__fe_add(want, want, g5);
    ok = ok && fe_agree(h, want);
    if (!ok && bad++ < 3) {
      zt_fail(__FILE__, __LINE__, "pair %zu", i);
      zt_hexdump("f", f, sizeof(f));
      zt_hexdump("g", g, sizeof(g));
    }
  }
  ZT_EQ(bad, 0);
}

int main(void) {
  ZT_RUN(test_x25519_paths_match_rfc7748);
  ZT_RUN(test_x25519_paths_match_bearssl);
  ZT_RUN(test_x25519_small_order_points_give_zero);
  ZT_RUN(test_x25519_base_paths_match_ladders);
  ZT_RUN(test_fe64_matches_fe51_at_the_edges);
  return zt_done();
}
