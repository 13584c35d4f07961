/* The project's P-256 (tls/tls13_p256.c, zn__tls_ec) and ECDSA P-256
 * signer (tls/tls13_p256_ecdsa.c): known answers (RFC 6979 A.2.5, the
 * NIST ECDH primitive vector, well-known multiples of G), the products
 * of tls13_u256.h against each other (edges and 200,000 pseudo-random
 * operands), every entry of the generated table, thousands of pseudo-random
 * cross-checks against BearSSL's p256_m31 and i31 signer, and the edges:
 * scalars 0, 1, 2, n - 1, n, n + 1, all ones, short and long; a point doubled
 * through the addition; sums at infinity; points off the curve, with a bad
 * first byte, a coordinate at or above p, the wrong length. */
#include <bearssl.h>

#include "tls13_crypto.h"
#include "tls13_u256.h"
#include "tls13_u256_adx.h"
#include "tls_hex.h"
#include "zt.h"

#include "tls13_p256_table.h"

#define P256 BR_EC_secp256r1

static const br_ec_impl *m31 = &br_ec_p256_m31;

static const char *const n_hex =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

/* Whether the CPU can run tls13_u256_adx.h (set in main). */
static bool has_adx;

/* Our result is theirs: the same return and the same bytes. */
#define SAME_POINT(ours, theirs) ZT_MEMEQ((ours), (theirs), 65)

static void sha256_of(const char *msg, uint8_t out[32]) {
  br_sha256_context c;
  br_sha256_init(&c);
  br_sha256_update(&c, msg, strlen(msg));
  br_sha256_out(&c, out);
}

/* a - b, 32 bytes big-endian each (a >= b). */
static void be_sub(uint8_t out[32], const uint8_t a[32], const uint8_t b[32]) {
  unsigned borrow = 0;
  for (int i = 31; i >= 0; i--) {
    unsigned d = (unsigned)a[i] - b[i] - borrow;
    out[i] = (uint8_t)d;
    borrow = (d >> 8) & 1;
  }
}

/* a + v, 32 bytes big-endian (no overflow). */
static void be_add_small(uint8_t out[32], const uint8_t a[32], unsigned v) {
  for (int i = 31; i >= 0; i--) {
    v += a[i];
    out[i] = (uint8_t)v;
    v >>= 8;
  }
}

static br_hmac_drbg_context rng;

static void rnd(void *p, size_t n) { br_hmac_drbg_generate(&rng, p, n); }

/* A pseudo-random scalar in 1..2^255 - 1 (below n). */
static void rnd_scalar(uint8_t k[32]) {
  do {
    rnd(k, 32);
    k[0] &= 0x7f;
  } while (k[31] == 0 && k[30] == 0);
}

/* A pseudo-random point, as p256_m31 computes it. */
static void rnd_point(uint8_t q[65]) {
  uint8_t k[32];
  rnd_scalar(k);
  ZT_EQU(m31->mulgen(q, k, 32, P256), 65);
}

/* ---- the implementation's shape ---- */

ZT_TEST(test_curves_are_p256_and_the_defaults) {
  const br_ec_impl *d = br_ec_get_default();
  ZT_EQU(zn__tls_ec.supported_curves,
         d->supported_curves | (uint32_t)1 << P256);
  size_t a, b;
  const uint8_t *ga = zn__tls_ec.generator(P256, &a);
  const uint8_t *gb = m31->generator(P256, &b);
  ZT_EQU(a, 65);
  ZT_EQU(b, 65);
  ZT_MEMEQ(ga, gb, 65);
  ga = zn__tls_ec.order(P256, &a);
  gb = m31->order(P256, &b);
  ZT_EQU(a, b);
  ZT_MEMEQ(ga, gb, a);
  ZT_EQU(zn__tls_ec.xoff(P256, &a), 1);
  ZT_EQU(a, 32);
  static const int others[] = {BR_EC_secp384r1, BR_EC_secp521r1,
                               BR_EC_curve25519};
  for (size_t i = 0; i < 3; i++) {
    ZT_CHECK(zn__tls_ec.generator(others[i], &a) ==
             d->generator(others[i], &b));
    ZT_CHECK(zn__tls_ec.order(others[i], &a) == d->order(others[i], &b));
    ZT_EQU(zn__tls_ec.xoff(others[i], &a), d->xoff(others[i], &b));
    ZT_EQU(a, b);
  }
}

/* P-384 and curve25519 go to BearSSL's code: the same answers. */
ZT_TEST(test_other_curves_delegated) {
  const br_ec_impl *d = br_ec_get_default();
  uint8_t k[48], q1[97], q2[97];
  rnd(k, sizeof(k));
  k[0] &= 0x7f;
  ZT_EQU(zn__tls_ec.mulgen(q1, k, 48, BR_EC_secp384r1), 97);
  ZT_EQU(d->mulgen(q2, k, 48, BR_EC_secp384r1), 97);
  ZT_MEMEQ(q1, q2, 97);
  ZT_EQU(zn__tls_ec.mul(q1, 97, k, 48, BR_EC_secp384r1), 1);
  ZT_EQU(d->mul(q2, 97, k, 48, BR_EC_secp384r1), 1);
  ZT_MEMEQ(q1, q2, 97);
  uint8_t u1[32] = {9}, u2[32] = {9};
  ZT_EQU(zn__tls_ec.mul(u1, 32, k, 32, BR_EC_curve25519), 1);
  ZT_EQU(d->mul(u2, 32, k, 32, BR_EC_curve25519), 1);
  ZT_MEMEQ(u1, u2, 32);
}

/* ---- known answers ---- */

static void mulgen_vector(const char *k_hex, const char *point_hex) {
  struct blob k = B(k_hex), want = B(point_hex);
  uint8_t q[65];
  ZT_EQU(zn__tls_ec.mulgen(q, k.b, k.n, P256), 65);
  ZT_MEMEQ(q, want.b, 65);
}

/* Multiples of G whose values are published widely (2G, 3G, the two
 * decimal scalars of the usual P-256 point multiplication vectors),
 * (n - 1) G = -G, 2^255 G, and the NIST ECDH primitive's first P-256
 * key (CAVS 14.1 KAS ECC CDH, dIUT to QIUT). */
ZT_TEST(test_mulgen_known_multiples) {
  mulgen_vector("01", "04"
                      "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a1"
                      "3945d898c296"
                      "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6"
                      "406837bf51f5");
  mulgen_vector("02", "04"
                      "7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b"
                      "48fc47669978"
                      "07775510db8ed040293d9ac69f7430dbba7dade63ce982299e04"
                      "b79d227873d1");
  mulgen_vector("03", "04"
                      "5ecbe4d1a6330a44c8f7ef951d4bf165e6c6b721efada985fb41"
                      "661bc6e7fd6c"
                      "8734640c4998ff7e374b06ce1a64a2ecd82ab036384fb83d9a79"
                      "b127a27d5032");
  mulgen_vector("018ebbb95eed0e13", /* 112233445566778899 */
                "04"
                "339150844ec15234807fe862a86be77977dbfb3ae3d96f4c22795513"
                "aeaab82f"
                "b1c14ddfdc8ec1b2583f51e85a5eb3a155840f2034730e9b5ada38b6"
                "74336a21");
  mulgen_vector("159d893d4cdd747246cdca43590e13", /* 1122..8899 twice */
                "04"
                "1b7e046a076cc25e6d7fa5003f6729f665cc3241b5adab12b498cd32"
                "f2803264"
                "bfea79be2b666b073db69a2a241adab0738fe9d2dd28b5604eb8c8cf"
                "097c457b");
  mulgen_vector(
      "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550",
      "04"
      "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
      "b01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97c840ae0a");
  mulgen_vector(
      "8000000000000000000000000000000000000000000000000000000000000000",
      "04"
      "77b20a912e6b23135066e911891524bc4efe3560e3e92350b52dec8f375f2b54"
      "a3dc291825cea3f7f7b10bfcdd038a72df623da1e850e0f1caa801fcd6cc67ff");
  mulgen_vector(
      "7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534",
      "04"
      "ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230"
      "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141");
}

/* The NIST ECDH primitive vector (CAVS 14.1, P-256, count 0): dIUT
 * times QCAVS has ZIUT for its x, by mul and by muladd. */
ZT_TEST(test_ecdh_matches_nist_vector) {
  struct blob q = B("04"
                    "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc"
                    "838833d287"
                    "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782"
                    "cab85fa4ac");
  struct blob d =
      B("7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534");
  struct blob z =
      B("46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b");
  uint8_t pt[65];
  memcpy(pt, q.b, 65);
  ZT_EQU(zn__tls_ec.mul(pt, 65, d.b, d.n, P256), 1);
  ZT_MEMEQ(pt + 1, z.b, 32);
  /* (d + 1) Q + (n - 1) Q = d Q */
  uint8_t d1[32], nm1[32];
  struct blob n = B(n_hex);
  be_add_small(d1, d.b, 1);
  be_sub(nm1, n.b, (const uint8_t[32]){[31] = 1});
  memcpy(pt, q.b, 65);
  ZT_EQU(zn__tls_ec.muladd(pt, q.b, 65, d1, 32, nm1, 32, P256), 1);
  ZT_MEMEQ(pt + 1, z.b, 32);
}

/* RFC 6979 A.2.5, P-256 with SHA-256, "sample" and "test": the public
 * key, and r and s through BearSSL's signer over zn__tls_ec and through
 * the project's own, raw and in DER. */
ZT_TEST(test_ecdsa_matches_rfc6979) {
  struct blob x =
      B("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
  br_ec_private_key sk = {P256, x.b, x.n};
  uint8_t pub[65];
  br_ec_public_key pk;
  ZT_EQU(br_ec_compute_pub(&zn__tls_ec, &pk, pub, &sk), 65);
  struct blob u = B("04"
                    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce66962"
                    "2e60f29fb6"
                    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c2"
                    "94d4462299");
  ZT_MEMEQ(pub, u.b, 65);
  static const char *const msgs[2] = {"sample", "test"};
  static const char *const sigs[2] = {
      "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
      "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
      "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
      "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"};
  for (int i = 0; i < 2; i++) {
    uint8_t h[32], sig[64], der[80];
    struct blob want = B(sigs[i]);
    sha256_of(msgs[i], h);
    memset(sig, 0, sizeof(sig));
    ZT_EQU(br_ecdsa_i31_sign_raw(&zn__tls_ec, &br_sha256_vtable, h, &sk, sig),
           64);
    ZT_MEMEQ(sig, want.b, 64);
    memset(sig, 0, sizeof(sig));
    ZT_EQU(zn__p256_ecdsa_sign(&br_sha256_vtable, h, &sk, sig), 64);
    ZT_MEMEQ(sig, want.b, 64);
    size_t n = zn__tls_ecdsa_sign(&zn__tls_ec, &br_sha256_vtable, h, &sk, der);
    ZT_CHECK(n > 64);
    ZT_EQU(br_ecdsa_asn1_to_raw(der, n), 64);
    ZT_MEMEQ(der, want.b, 64);
  }
}

/* ---- the field's products ---- */

static const struct u256_mod mod_p = {
    {0xffffffffffffffff, 0x00000000ffffffff, 0, 0xffffffff00000001},
    1,
    {0x0000000000000003, 0xfffffffbffffffff, 0xfffffffffffffffe,
     0x00000004fffffffd}};

static const struct u256_mod mod_n = {{0xf3b9cac2fc632551, 0xbce6faada7179e84,
                                       0xffffffffffffffff, 0xffffffff00000000},
                                      0xccd1c8aaee00bc4f,
                                      {0x83244c95be79eea2, 0x4699799c49bd6fa6,
                                       0x2845b2392b6bec59, 0x66e12d94f3d95620}};

/* Operands at the edges, each below p (and reduced below n where n is
 * the modulus): 0, 1, 2, p - 1, p - 2, 2^255 - 1, 2^255, R mod p (1 in
 * Montgomery form), limbs of all ones or zero in turn, 2^64, 2^192, and
 * p - 2^64 + 1. */
static const uint64_t edges[][4] = {
    {0, 0, 0, 0},
    {1, 0, 0, 0},
    {2, 0, 0, 0},
    {0xfffffffffffffffe, 0x00000000ffffffff, 0, 0xffffffff00000001},
    {0xfffffffffffffffd, 0x00000000ffffffff, 0, 0xffffffff00000001},
    {0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff,
     0x7fffffffffffffff},
    {0, 0, 0, 0x8000000000000000},
    {0x0000000000000001, 0xffffffff00000000, 0xffffffffffffffff,
     0x00000000fffffffe},
    {0xffffffffffffffff, 0, 0xffffffffffffffff, 0},
    {0, 0xffffffffffffffff, 0, 0xffffffff00000000},
    {0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff,
     0xffffffff00000000},
    {0, 1, 0, 0},
    {0, 0, 0, 1},
    {0, 0x00000000ffffffff, 0, 0xffffffff00000001},
};
#define N_EDGES (sizeof(edges) / sizeof(edges[0]))

/* A pseudo-random operand below m: 256 random bits, or (one in four)
 * limbs of all ones and zeros mixed in, reduced by one subtraction
 * (2^256 < 2m for both moduli). */
static void rnd_below(uint64_t a[4], const struct u256_mod *md) {
  rnd(a, 4 * sizeof(uint64_t));
  uint8_t shape;
  rnd(&shape, 1);
  if (shape < 64)
    for (int i = 0; i < 4; i++)
      if (shape >> i & 1)
        a[i] = shape >> (i + 4) & 1 ? 0 : ~(uint64_t)0;
  mod_reduce_once(a, a, md);
}

/* mont_mul_p256 and mont_sqr_p256, and their BMI2 and ADX forms where
 * the CPU has them (tls13_u256_adx.h), against mont_mul modulo p, and
 * mont_sqr against mont_mul modulo n (and so u256_sqr_wide against
 * u256_mul_wide): every pair of edges and 200,000 pseudo-random
 * operands. */
static void products_agree(const uint64_t a[4], const uint64_t b[4]) {
  uint64_t want[4], got[4];
  mont_mul(want, a, b, &mod_p);
  mont_mul_p256(got, a, b);
  ZT_MEMEQ(got, want, sizeof(want));
  if (has_adx) {
    mont_mul_p256_adx(got, a, b);
    ZT_MEMEQ(got, want, sizeof(want));
  }
  mont_mul(want, a, a, &mod_p);
  mont_sqr_p256(got, a);
  ZT_MEMEQ(got, want, sizeof(want));
  if (has_adx) {
    mont_sqr_p256_adx(got, a);
    ZT_MEMEQ(got, want, sizeof(want));
  }
  uint64_t an[4];
  mod_reduce_once(an, a, &mod_n); /* a < p < 2n */
  mont_mul(want, an, an, &mod_n);
  mont_sqr(got, an, &mod_n);
  ZT_MEMEQ(got, want, sizeof(want));
}

ZT_TEST(test_field_products_match_mont_mul) {
  for (size_t i = 0; i < N_EDGES; i++)
    for (size_t j = 0; j < N_EDGES; j++)
      products_agree(edges[i], edges[j]);
  for (int i = 0; i < 200000; i++) {
    uint64_t a[4], b[4];
    rnd_below(a, &mod_p);
    if (i % 3 == 0)
      memcpy(b, edges[(size_t)i / 3 % N_EDGES], sizeof(b));
    else
      rnd_below(b, &mod_p);
    products_agree(a, b);
  }
}

/* The wide products against each other and against a known square:
 * (2^256 - 1)^2 = 2^512 - 2^257 + 1, which carries through every limb. */
ZT_TEST(test_wide_products_at_the_top) {
  static const uint64_t ones[4] = {~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0,
                                   ~(uint64_t)0};
  static const uint64_t want[8] = {
      1, 0, 0, 0, 0xfffffffffffffffe, ~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0};
  uint64_t t[8];
  u256_sqr_wide(t, ones);
  ZT_MEMEQ(t, want, sizeof(want));
  u256_mul_wide(t, ones, ones);
  ZT_MEMEQ(t, want, sizeof(want));
  for (int i = 0; i < 10000; i++) {
    uint64_t a[4], w1[8], w2[8];
    rnd(a, sizeof(a));
    u256_sqr_wide(w1, a);
    u256_mul_wide(w2, a, a);
    ZT_MEMEQ(w1, w2, sizeof(w1));
  }
}

/* Left to itself (AUTO), the field takes the path CPUID allows, and
 * again after a path was forced; the products of k G are the same
 * whichever it takes. */
ZT_TEST(test_path_taken_as_cpuid_says) {
  const enum zn__p256_impl want = has_adx ? ZN__P256_ADX : ZN__P256_C;
  uint8_t k[32], auto_pt[65], c_pt[65];
  rnd_scalar(k);
  zn__p256_set_impl(ZN__P256_AUTO);
  ZT_EQ(zn__p256_impl_used(), want);
  ZT_EQU(zn__tls_ec.mulgen(auto_pt, k, 32, P256), 65);
  zn__p256_set_impl(ZN__P256_C);
  ZT_EQ(zn__p256_impl_used(), ZN__P256_C);
  ZT_EQU(zn__tls_ec.mulgen(c_pt, k, 32, P256), 65);
  SAME_POINT(auto_pt, c_pt);
  zn__p256_set_impl(ZN__P256_AUTO);
  ZT_EQ(zn__p256_impl_used(), want);
}

/* ---- the table ---- */

/* Every entry of p256_comb is (2j + 1) 16^i G as p256_m31 computes it
 * (out of Montgomery form here, with tls13_u256.h). */
ZT_TEST(test_comb_table_matches_m31) {
  static const struct u256_mod p = {
      {0xffffffffffffffff, 0x00000000ffffffff, 0, 0xffffffff00000001}, 1, {0}};
  for (int i = 0; i < 64; i++)
    for (int j = 0; j < 8; j++) {
      uint8_t k[32] = {0}, want[65], got[65];
      /* (2j + 1) << 4i, big-endian */
      unsigned v = (unsigned)(2 * j + 1) << (4 * (i % 2));
      k[31 - i / 2] = (uint8_t)v;
      if (i / 2 < 31)
        k[30 - i / 2] = (uint8_t)(v >> 8);
      ZT_EQU(m31->mulgen(want, k, 32, P256), 65);
      uint64_t x[4], y[4];
      mont_out(x, p256_comb[i][j], &p);
      mont_out(y, p256_comb[i][j] + 4, &p);
      got[0] = 4;
      u256_to_be(got + 1, x);
      u256_to_be(got + 33, y);
      if (memcmp(got, want, 65) != 0)
        zt_fail(__FILE__, __LINE__, "comb entry [%d][%d]", i, j);
    }
}

/* ---- against p256_m31 ---- */

/* 2,000 scalars: 32 bytes, and every length from 1 to 31. */
ZT_TEST(test_mulgen_matches_m31) {
  for (int i = 0; i < 2000; i++) {
    uint8_t k[32], ours[65], theirs[65];
    rnd_scalar(k);
    size_t len = i % 4 ? 32 : 1 + (size_t)(i / 4) % 31;
    ZT_EQU(zn__tls_ec.mulgen(ours, k + 32 - len, len, P256), 65);
    ZT_EQU(m31->mulgen(theirs, k + 32 - len, len, P256), 65);
    SAME_POINT(ours, theirs);
  }
}

/* 1,000 points and scalars, some of them short. */
ZT_TEST(test_mul_matches_m31) {
  for (int i = 0; i < 1000; i++) {
    uint8_t k[32], ours[65], theirs[65];
    rnd_point(ours);
    memcpy(theirs, ours, 65);
    rnd_scalar(k);
    size_t len = i % 5 ? 32 : 1 + (size_t)(i / 5) % 31;
    ZT_EQU(zn__tls_ec.mul(ours, 65, k + 32 - len, len, P256), 1);
    ZT_EQU(m31->mul(theirs, 65, k + 32 - len, len, P256), 1);
    SAME_POINT(ours, theirs);
  }
}

/* 1,000 sums x A + y B, B a point or the generator (NULL). */
ZT_TEST(test_muladd_matches_m31) {
  for (int i = 0; i < 1000; i++) {
    uint8_t a[65], b[65], x[32], y[32], ours[65], theirs[65];
    rnd_point(a);
    rnd_point(b);
    rnd_scalar(x);
    rnd_scalar(y);
    const uint8_t *bp = i % 2 ? b : NULL;
    memcpy(ours, a, 65);
    memcpy(theirs, a, 65);
    ZT_EQU(zn__tls_ec.muladd(ours, bp, 65, x, 32, y, 32, P256), 1);
    ZT_EQU(m31->muladd(theirs, bp, 65, x, 32, y, 32, P256), 1);
    SAME_POINT(ours, theirs);
  }
}

/* ---- edges ---- */

/* The point at infinity's encoding, as mulgen writes it. */
static const uint8_t infinity[65] = {4};

/* mulgen's last addition is complete because it can meet the cases
 * the others cannot: k = 30 2^252 - n has digits whose sum below the
 * top one equals the top one's term mod n, so the last addition
 * doubles; k = 0 (and n) cancels (test_scalar_edges). */
ZT_TEST(test_mulgen_last_addition_doubles) {
  struct blob k =
      B("e0000000ffffffff00000000000000004319055258e8617b0c46353d039cdaaf");
  uint8_t ours[65], theirs[65];
  ZT_EQU(zn__tls_ec.mulgen(ours, k.b, 32, P256), 65);
  ZT_EQU(m31->mulgen(theirs, k.b, 32, P256), 65);
  SAME_POINT(ours, theirs);
}

/* mul's last addition likewise: k = n - 2 is odd, its last digit -1,
 * so the digits above it sum to (n - 1) / 16 and the last addition is
 * -P + -P, a doubling. */
ZT_TEST(test_mul_last_addition_doubles) {
  struct blob n = B(n_hex);
  uint8_t k[32], p[65], ours[65], theirs[65];
  be_sub(k, n.b, (const uint8_t[32]){[31] = 2});
  for (int i = 0; i < 20; i++) {
    rnd_point(p);
    memcpy(ours, p, 65);
    memcpy(theirs, p, 65);
    ZT_EQU(zn__tls_ec.mul(ours, 65, k, 32, P256), 1);
    ZT_EQU(m31->mul(theirs, 65, k, 32, P256), 1);
    SAME_POINT(ours, theirs);
  }
}

/* mulgen and mul with scalars 0, 1, 2, n - 1, n, n + 1, all ones (= 2^256
 * - 1 - n mod n), empty, and longer than 32 bytes. */
ZT_TEST(test_scalar_edges) {
  struct blob n = B(n_hex);
  size_t glen;
  const uint8_t *g = zn__tls_ec.generator(P256, &glen);
  uint8_t zero[32] = {0}, one[32] = {[31] = 1}, two[32] = {[31] = 2};
  uint8_t nm1[32], np1[32], ones[32], ones_red[32], q[65], want[65];
  be_sub(nm1, n.b, one);
  be_add_small(np1, n.b, 1);
  memset(ones, 0xff, 32);
  be_sub(ones_red, ones, n.b);

  ZT_EQU(zn__tls_ec.mulgen(q, zero, 32, P256), 65);
  ZT_MEMEQ(q, infinity, 65);
  ZT_EQU(zn__tls_ec.mulgen(q, n.b, 32, P256), 65);
  ZT_MEMEQ(q, infinity, 65);
  ZT_EQU(zn__tls_ec.mulgen(q, zero, 0, P256), 65);
  ZT_MEMEQ(q, infinity, 65);
  ZT_EQU(zn__tls_ec.mulgen(q, one, 32, P256), 65);
  ZT_MEMEQ(q, g, 65);
  ZT_EQU(zn__tls_ec.mulgen(q, np1, 32, P256), 65);
  ZT_MEMEQ(q, g, 65);
  ZT_EQU(zn__tls_ec.mulgen(q, two, 32, P256), 65);
  m31->mulgen(want, two, 32, P256);
  ZT_MEMEQ(q, want, 65);
  ZT_EQU(zn__tls_ec.mulgen(q, nm1, 32, P256), 65);
  m31->mulgen(want, nm1, 32, P256);
  ZT_MEMEQ(q, want, 65);
  ZT_EQU(zn__tls_ec.mulgen(q, ones, 32, P256), 65);
  m31->mulgen(want, ones_red, 32, P256);
  ZT_MEMEQ(q, want, 65);
  /* 33 bytes: a leading zero is the same scalar; anything else does
   * not fit and gives infinity. */
  uint8_t long_k[33] = {0};
  memcpy(long_k + 1, two, 32);
  ZT_EQU(zn__tls_ec.mulgen(q, long_k, 33, P256), 65);
  m31->mulgen(want, two, 32, P256);
  ZT_MEMEQ(q, want, 65);
  long_k[0] = 1;
  ZT_EQU(zn__tls_ec.mulgen(q, long_k, 33, P256), 65);
  ZT_MEMEQ(q, infinity, 65);

  /* mul on a random point: 0 and n give infinity (and 0), 1 and n + 1
   * the point, all ones and n - 1 as p256_m31 with the reduced scalar. */
  uint8_t p[65], r[65];
  rnd_point(p);
  const struct {
    const uint8_t *k;
    size_t len;
    uint32_t ok;
  } cases[] = {{zero, 32, 0},   {n.b, 32, 0},       {zero, 0, 0}, {one, 32, 1},
               {np1, 32, 1},    {two + 31, 1, 1},   {nm1, 32, 1}, {ones, 32, 1},
               {long_k, 33, 0}, {long_k + 1, 32, 1}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    memcpy(r, p, 65);
    ZT_EQU(zn__tls_ec.mul(r, 65, cases[i].k, cases[i].len, P256), cases[i].ok);
  }
  memcpy(r, p, 65);
  zn__tls_ec.mul(r, 65, np1, 32, P256);
  ZT_MEMEQ(r, p, 65);
  memcpy(r, p, 65);
  zn__tls_ec.mul(r, 65, ones, 32, P256);
  memcpy(want, p, 65);
  m31->mul(want, 65, ones_red, 32, P256);
  ZT_MEMEQ(r, want, 65);
  memcpy(r, p, 65);
  zn__tls_ec.mul(r, 65, nm1, 32, P256);
  memcpy(want, p, 65);
  m31->mul(want, 65, nm1, 32, P256);
  ZT_MEMEQ(r, want, 65);
}

/* x A + y B where the two products are equal (the addition doubles) or
 * opposite (the sum is infinity: 0), and zero scalars (0). */
ZT_TEST(test_muladd_doubles_and_cancels) {
  struct blob n = B(n_hex);
  for (int i = 0; i < 50; i++) {
    uint8_t p[65], k[32], k2[32], nk[32], r[65], want[65];
    rnd_point(p);
    rnd_scalar(k);
    for (int j = 31, c = 0; j >= 0; j--) { /* k2 = 2k (k < 2^255) */
      int v = k[j] * 2 + c;
      k2[j] = (uint8_t)v;
      c = v >> 8;
    }
    memcpy(want, p, 65);
    ZT_EQU(m31->mul(want, 65, k2, 32, P256), 1);
    memcpy(r, p, 65);
    ZT_EQU(zn__tls_ec.muladd(r, p, 65, k, 32, k, 32, P256), 1);
    ZT_MEMEQ(r, want, 65);
    /* k P + (n - k) P = infinity */
    be_sub(nk, n.b, k);
    memcpy(r, p, 65);
    ZT_EQU(zn__tls_ec.muladd(r, p, 65, k, 32, nk, 32, P256), 0);
    /* k G + (n - k) G with B the generator, given and NULL */
    size_t glen;
    const uint8_t *g = zn__tls_ec.generator(P256, &glen);
    memcpy(r, g, 65);
    ZT_EQU(zn__tls_ec.muladd(r, NULL, 65, k, 32, nk, 32, P256), 0);
    memcpy(r, g, 65);
    ZT_EQU(zn__tls_ec.muladd(r, NULL, 65, k, 32, k, 32, P256), 1);
    ZT_EQU(m31->mulgen(want, k2, 32, P256), 65);
    ZT_MEMEQ(r, want, 65);
  }
  uint8_t p[65], r[65], k[32], zero[32] = {0};
  rnd_point(p);
  rnd_scalar(k);
  memcpy(r, p, 65);
  ZT_EQU(zn__tls_ec.muladd(r, NULL, 65, zero, 32, k, 32, P256), 0);
  memcpy(r, p, 65);
  ZT_EQU(zn__tls_ec.muladd(r, NULL, 65, k, 32, zero, 32, P256), 0);
  memcpy(r, p, 65);
  ZT_EQU(zn__tls_ec.muladd(r, NULL, 65, k, 32, n.b, 32, P256), 0);
}

/* Encodings that are no point: refused by mul, muladd (as A and as B)
 * and zn__p256_point_check, and the point left as it was by mul. */
static void refused(const uint8_t *q, size_t len) {
  uint8_t buf[80], k[32] = {[31] = 3}, good[65];
  rnd_point(good);
  ZT_CHECK(!zn__p256_point_check(q, len));
  memcpy(buf, q, len);
  ZT_EQU(zn__tls_ec.mul(buf, len, k, 32, P256), 0);
  ZT_MEMEQ(buf, q, len);
  ZT_EQU(zn__tls_ec.muladd(buf, NULL, len, k, 32, k, 32, P256), 0);
  if (len == 65) {
    memcpy(buf, good, 65);
    ZT_EQU(zn__tls_ec.muladd(buf, q, 65, k, 32, k, 32, P256), 0);
    memcpy(buf, q, 65);
    ZT_EQU(zn__tls_ec.muladd(buf, good, 65, k, 32, k, 32, P256), 0);
  }
}

ZT_TEST(test_bad_points_refused) {
  uint8_t p[80];
  rnd_point(p);
  ZT_CHECK(zn__p256_point_check(p, 65));
  for (int i = 1; i < 65; i += 7) { /* off the curve */
    p[i] ^= 0x10;
    refused(p, 65);
    p[i] ^= 0x10;
  }
  static const uint8_t first[] = {0x00, 0x02, 0x03, 0x05, 0x06, 0x07, 0x84};
  for (size_t i = 0; i < sizeof(first); i++) {
    uint8_t save = p[0];
    p[0] = first[i];
    refused(p, 65);
    p[0] = save;
  }
  refused(p, 64);
  refused(p, 66);
  refused(p, 33);
  refused(p + 1, 64);
  refused(infinity, 65);
  /* (0, y) is on the curve; x written as p (= 0 mod p) is not below p. */
  struct blob q0 = B("04"
                     "0000000000000000000000000000000000000000000000000000"
                     "000000000000"
                     "66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf"
                     "856a174f93f4");
  ZT_CHECK(zn__p256_point_check(q0.b, 65));
  struct blob qp = B("04"
                     "ffffffff00000001000000000000000000000000ffffffffffff"
                     "ffffffffffff"
                     "66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf"
                     "856a174f93f4");
  refused(qp.b, 65);
  /* y + p does not fit; y = p is not below p (and not on the curve). */
  memcpy(q0.b + 33, qp.b + 1, 32);
  refused(q0.b, 65);
}

/* ---- the signer ---- */

/* 3,000 keys and digests, byte for byte against br_ecdsa_i31_sign_raw
 * (over p256_m31 and over zn__tls_ec) and br_ecdsa_i31_sign_asn1:
 * SHA-256, and digests longer (SHA-384, SHA-512: truncated) and shorter
 * (SHA-1: zero-extended) than n; keys of 32 bytes, shorter, and 33 with
 * a leading zero. */
ZT_TEST(test_ecdsa_matches_bearssl) {
  static const br_hash_class *const hashes[4] = {
      &br_sha256_vtable, &br_sha384_vtable, &br_sha512_vtable, &br_sha1_vtable};
  for (int i = 0; i < 3000; i++) {
    uint8_t x[33] = {0}, h[64], ours[64], theirs[64];
    rnd_scalar(x + 1);
    rnd(h, sizeof(h));
    const br_hash_class *hf = hashes[i % 4];
    size_t off = 1; /* 32 bytes */
    if (i % 7 == 0)
      off = 0; /* 33 bytes, a leading zero */
    else if (i % 7 == 1)
      off = 2; /* 31 bytes */
    br_ec_private_key sk = {P256, x + off, 33 - off};
    ZT_EQU(zn__p256_ecdsa_sign(hf, h, &sk, ours), 64);
    ZT_EQU(br_ecdsa_i31_sign_raw(m31, hf, h, &sk, theirs), 64);
    ZT_MEMEQ(ours, theirs, 64);
    if (i % 10 == 0) {
      ZT_EQU(br_ecdsa_i31_sign_raw(&zn__tls_ec, hf, h, &sk, ours), 64);
      ZT_MEMEQ(ours, theirs, 64);
      uint8_t d1[80], d2[80];
      size_t n1 = zn__tls_ecdsa_sign(&zn__tls_ec, hf, h, &sk, d1);
      size_t n2 = br_ecdsa_i31_sign_asn1(m31, hf, h, &sk, d2);
      ZT_EQU(n1, n2);
      ZT_MEMEQ(d1, d2, n2);
    }
  }
}

/* Digests at the edges of the reduction mod n: 0, 1, n - 1, n, n + 1,
 * all ones (2^256 - 1, above n), and a 20-byte one (SHA-1) of all ones:
 * byte for byte BearSSL's. */
ZT_TEST(test_ecdsa_digest_edges) {
  struct blob n = B(n_hex);
  uint8_t h[7][32], x[32], ours[64], theirs[64];
  memset(h, 0, sizeof(h));
  h[1][31] = 1;
  be_sub(h[2], n.b, h[1]);
  memcpy(h[3], n.b, 32);
  be_add_small(h[4], n.b, 1);
  memset(h[5], 0xff, 32);
  memset(h[6], 0xff, 20);
  rnd_scalar(x);
  br_ec_private_key sk = {P256, x, 32};
  for (int i = 0; i < 7; i++) {
    const br_hash_class *hf = i < 6 ? &br_sha256_vtable : &br_sha1_vtable;
    ZT_EQU(zn__p256_ecdsa_sign(hf, h[i], &sk, ours), 64);
    ZT_EQU(br_ecdsa_i31_sign_raw(m31, hf, h[i], &sk, theirs), 64);
    ZT_MEMEQ(ours, theirs, 64);
  }
}

/* Our signatures verify (BearSSL's verifier over zn__tls_ec and over
 * p256_m31); a changed one does not. */
ZT_TEST(test_ecdsa_verifies) {
  for (int i = 0; i < 100; i++) {
    uint8_t x[32], h[32], sig[64], pub[65];
    rnd_scalar(x);
    rnd(h, sizeof(h));
    br_ec_private_key sk = {P256, x, 32};
    br_ec_public_key pk;
    ZT_EQU(br_ec_compute_pub(&zn__tls_ec, &pk, pub, &sk), 65);
    ZT_EQU(zn__p256_ecdsa_sign(&br_sha256_vtable, h, &sk, sig), 64);
    ZT_EQU(br_ecdsa_i31_vrfy_raw(&zn__tls_ec, h, 32, &pk, sig, 64), 1);
    ZT_EQU(br_ecdsa_i31_vrfy_raw(m31, h, 32, &pk, sig, 64), 1);
    sig[i % 64] ^= 1;
    ZT_EQU(br_ecdsa_i31_vrfy_raw(&zn__tls_ec, h, 32, &pk, sig, 64), 0);
  }
}

/* Keys outside 1..n-1, too long, or on another curve: no signature, as
 * BearSSL.  A P-384 key goes to BearSSL's signer through
 * zn__tls_ecdsa_sign. */
ZT_TEST(test_ecdsa_refuses_bad_keys) {
  struct blob n = B(n_hex);
  uint8_t zero[32] = {0}, ones[32], np1[32], big[33] = {1}, h[48] = {1};
  uint8_t sig[104];
  memset(ones, 0xff, 32);
  be_add_small(np1, n.b, 1);
  const struct {
    const uint8_t *x;
    size_t len;
  } bad[] = {{zero, 32}, {zero, 0},  {n.b, 32},
             {np1, 32},  {ones, 32}, {big, 33}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    br_ec_private_key sk = {P256, (uint8_t *)(uintptr_t)bad[i].x, bad[i].len};
    memset(sig, 0xaa, sizeof(sig));
    ZT_EQU(zn__p256_ecdsa_sign(&br_sha256_vtable, h, &sk, sig), 0);
    ZT_EQU(br_ecdsa_i31_sign_raw(m31, &br_sha256_vtable, h, &sk, sig), 0);
    ZT_EQU(zn__tls_ecdsa_sign(&zn__tls_ec, &br_sha256_vtable, h, &sk, sig), 0);
  }
  uint8_t x[48];
  rnd(x, sizeof(x));
  x[0] &= 0x7f;
  br_ec_private_key p384 = {BR_EC_secp384r1, x, sizeof(x)};
  ZT_EQU(zn__p256_ecdsa_sign(&br_sha384_vtable, h, &p384, sig), 0);
  uint8_t want[104];
  size_t len = br_ecdsa_i31_sign_asn1(br_ec_get_default(), &br_sha384_vtable, h,
                                      &p384, want);
  ZT_CHECK(len > 0);
  ZT_EQU(zn__tls_ecdsa_sign(&zn__tls_ec, &br_sha384_vtable, h, &p384, sig),
         len);
  ZT_MEMEQ(sig, want, len);
}

/* Everything that goes through the field's products, on one path. */
static void run_point_tests(void) {
  ZT_RUN(test_curves_are_p256_and_the_defaults);
  ZT_RUN(test_other_curves_delegated);
  ZT_RUN(test_mulgen_known_multiples);
  ZT_RUN(test_ecdh_matches_nist_vector);
  ZT_RUN(test_ecdsa_matches_rfc6979);
  ZT_RUN(test_comb_table_matches_m31);
  ZT_RUN(test_mulgen_matches_m31);
  ZT_RUN(test_mul_matches_m31);
  ZT_RUN(test_muladd_matches_m31);
  ZT_RUN(test_mulgen_last_addition_doubles);
  ZT_RUN(test_mul_last_addition_doubles);
  ZT_RUN(test_scalar_edges);
  ZT_RUN(test_muladd_doubles_and_cancels);
  ZT_RUN(test_bad_points_refused);
  ZT_RUN(test_ecdsa_matches_bearssl);
  ZT_RUN(test_ecdsa_digest_edges);
  ZT_RUN(test_ecdsa_verifies);
  ZT_RUN(test_ecdsa_refuses_bad_keys);
}

int main(void) {
  static const uint8_t seed[16] = {0x25, 0x6};
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  has_adx = zn__tls_cpu_has(ZN__TLS_CPU_BMI2 | ZN__TLS_CPU_ADX);
  ZT_RUN(test_field_products_match_mont_mul);
  ZT_RUN(test_wide_products_at_the_top);
  ZT_RUN(test_path_taken_as_cpuid_says);
  /* The portable products, then (where the CPU has them) BMI2 and ADX's:
   * the known answers and the cross-checks against BearSSL on each. */
  zn__p256_set_impl(ZN__P256_C);
  run_point_tests();
  if (has_adx) {
    zn__p256_set_impl(ZN__P256_ADX);
    run_point_tests();
  }
  return zt_done();
}
