/* The divsteps division of tls/tls13_inv.c for its three moduli (P-256's
 * p and n, 2^255 - 19): the constants against the moduli; edge values (0,
 * 1, 2, m - 1, m - 2, 1/2, powers of two, runs of ones and zeros, values
 * near m, values that need many divsteps) against Fermat's a^(m - 2), which
 * lives here as the reference now that the library no longer uses it; 100,000
 * pseudo-random values a modulus checked by a (1/a) = 1 and b / a by a (b / a)
 * = b, every hundredth against Fermat too; the Montgomery-form use of
 * tls13_p256.c (R^2 / (a R) = R / a); and zn__fe_invert (51-bit limbs,
 * unreduced inputs) against the addition chain it replaced.  A variable-time
 * count of divsteps (delta from 1/2) holds the edge values to the bound
 * of 590 that the constant-time code relies on. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tls13_fe25519.h"
#include "tls13_inv.h"
#include "tls13_u256.h"
#include "zt.h"

#define RANDOM_VALUES 100000

/* The moduli for tls13_u256.h's Montgomery products (the reference):
 * m, -1/m mod 2^64, 2^512 mod m. */
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
static const struct u256_mod mod_25519 = {
    {0xffffffffffffffed, 0xffffffffffffffff, 0xffffffffffffffff,
     0x7fffffffffffffff},
    0x86bca1af286bca1b,
    {0x5a4, 0, 0, 0}};

struct modulus {
  const char *name;
  const struct u256_mod *mont;
  const struct zn__inv_mod *inv;
};

static const struct modulus moduli[3] = {
    {"p256 p", &mod_p, &zn__inv_p256_p},
    {"p256 n", &mod_n, &zn__inv_p256_n},
    {"2^255-19", &mod_25519, &zn__inv_p25519},
};

static const uint64_t one[4] = {1, 0, 0, 0};

/* splitmix64: the tests' pseudo-random words, the same every run. */
static uint64_t rng_state = 0x5afe6cdull;

static uint64_t rnd64(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* A pseudo-random value below m. */
static void rnd_below(uint64_t a[4], const uint64_t m[4]) {
  do {
    for (int i = 0; i < 4; i++)
      a[i] = rnd64();
    a[3] &= m[3] >> 63 ? ~0ull : ~0ull >> 1;
  } while (!u256_less_mask(a, m));
}

/* Fermat: a^(m - 2) mod m (0 for 0), by square and multiply in
 * Montgomery form, the exponent's bits from the top. */
static void fermat(uint64_t r[4], const uint64_t a[4],
                   const struct u256_mod *md) {
  static const uint64_t two[4] = {2, 0, 0, 0};
  uint64_t e[4], x[4], acc[4];
  u256_sub(e, md->m, two);
  mont_in(x, a, md);
  mont_in(acc, one, md);
  for (int i = 255; i >= 0; i--) {
    mont_sqr(acc, acc, md);
    if ((e[i / 64] >> (i % 64)) & 1)
      mont_mul(acc, acc, x, md);
  }
  mont_out(r, acc, md);
}

/* a b mod m, plain. */
static void mod_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                    const struct u256_mod *md) {
  uint64_t t[4];
  mont_mul(t, a, b, md);      /* a b / R */
  mont_mul(r, t, md->rr, md); /* a b */
}

/* ---- a variable-time divstep count, for the bound ---- */

/* Signed 320-bit integers in five 64-bit words, two's complement. */
typedef uint64_t big[5];

static void big_from(big r, const uint64_t a[4]) {
  memcpy(r, a, 32);
  r[4] = 0;
}

static void big_addsub(big r, const big a, const big b, bool sub) {
  u128 c = sub;
  for (int i = 0; i < 5; i++) {
    c += (u128)a[i] + (sub ? ~b[i] : b[i]);
    r[i] = (uint64_t)c;
    c >>= 64;
  }
}

static void big_half(big r) {
  for (int i = 0; i < 4; i++)
    r[i] = r[i] >> 1 | r[i + 1] << 63;
  r[4] = (uint64_t)((int64_t)r[4] >> 1);
}

static bool big_is_zero(const big a) {
  return (a[0] | a[1] | a[2] | a[3] | a[4]) == 0;
}

/* The divsteps from f = m, g = a, delta = 1/2 (theta = delta - 1/2, as
 * tls13_inv.c), until g is 0. */
static int divsteps_needed(const uint64_t a[4], const uint64_t m[4]) {
  big f, g, t;
  big_from(f, m);
  big_from(g, a);
  long theta = 0;
  int n = 0;
  while (!big_is_zero(g)) {
    if (theta >= 0 && (g[0] & 1)) {
      big_addsub(t, g, f, true);
      memcpy(f, g, sizeof(f));
      memcpy(g, t, sizeof(g));
      theta = -theta;
    } else {
      if (g[0] & 1)
        big_addsub(g, g, f, false);
      theta++;
    }
    big_half(g);
    n++;
  }
  return n;
}

/* ---- the edges ---- */

static int most_divsteps;

/* 1/a by divsteps is Fermat's, for every modulus it is below. */
static void check_edge(const uint64_t a[4]) {
  for (int k = 0; k < 3; k++) {
    const struct modulus *md = &moduli[k];
    if (!u256_less_mask(a, md->mont->m))
      continue;
    uint64_t r[4], want[4];
    zn__inv_div(r, a, one, md->inv);
    fermat(want, a, md->mont);
    ZT_MEMEQ(r, want, sizeof(r));
    int n = divsteps_needed(a, md->mont->m);
    ZT_CHECK(n <= 590);
    if (n > most_divsteps)
      most_divsteps = n;
  }
}

ZT_TEST(test_constants_describe_the_moduli) {
  for (int k = 0; k < 3; k++) {
    const struct modulus *md = &moduli[k];
    /* The 62-bit limbs put back together are m. */
    uint64_t w[4] = {0};
    for (int i = 0; i < 5; i++) {
      ZT_CHECK(md->inv->m[i] >= 0 && md->inv->m[i] < (1ll << 62));
      int bit = 62 * i;
      w[bit / 64] |= (uint64_t)md->inv->m[i] << (bit % 64);
      if (bit % 64 > 2 && bit / 64 < 3)
        w[bit / 64 + 1] |= (uint64_t)md->inv->m[i] >> (64 - bit % 64);
    }
    ZT_MEMEQ(w, md->mont->m, sizeof(w));
    ZT_EQU((md->inv->minv * md->mont->m[0]) & ((1ull << 62) - 1), 1);
    ZT_CHECK(md->inv->minv < (1ull << 62));
  }
}

/* The divsteps run cover the bound for 256-bit inputs (delta from 1/2:
 * 590, sipa/safegcd-bounds), which no test value can show: the worst
 * known inputs are rare, and the edges here need fewer. */
ZT_TEST(test_divsteps_run_cover_the_bound) {
  ZT_CHECK(ZN__INV_BATCHES * ZN__INV_BATCH_STEPS >= 590);
}

ZT_TEST(test_zero_inverts_to_zero) {
  static const uint64_t zero[4];
  for (int k = 0; k < 3; k++) {
    uint64_t r[4] = {9, 9, 9, 9}, b[4];
    zn__inv_div(r, zero, one, moduli[k].inv);
    ZT_MEMEQ(r, zero, sizeof(r));
    rnd_below(b, moduli[k].mont->m);
    zn__inv_div(r, zero, b, moduli[k].inv);
    ZT_MEMEQ(r, zero, sizeof(r));
  }
}

ZT_TEST(test_small_and_near_m_values_match_fermat) {
  for (uint64_t v = 1; v < 64; v++) {
    const uint64_t a[4] = {v, 0, 0, 0};
    check_edge(a);
  }
  for (int k = 0; k < 3; k++) {
    const uint64_t *m = moduli[k].mont->m;
    for (uint64_t v = 1; v < 64; v++) { /* m - 1, m - 2, ... */
      const uint64_t s[4] = {v, 0, 0, 0};
      uint64_t a[4];
      u256_sub(a, m, s);
      check_edge(a);
    }
    uint64_t h[4]; /* (m + 1) / 2 = 1/2 and (m - 1) / 2 */
    u256_add(h, m, one);
    for (int i = 0; i < 4; i++)
      h[i] = h[i] >> 1 | (i < 3 ? h[i + 1] << 63 : 0);
    check_edge(h);
    u256_sub(h, h, one);
    check_edge(h);
  }
}

ZT_TEST(test_powers_of_two_and_runs_match_fermat) {
  for (int i = 0; i < 256; i++) {
    uint64_t a[4] = {0}, b[4], c[4];
    a[i / 64] = 1ull << (i % 64);
    check_edge(a); /* 2^i */
    u256_sub(b, a, one);
    check_edge(b); /* 2^i - 1: a run of ones */
    memset(c, 0xff, sizeof(c));
    u256_sub(c, c, b);
    check_edge(c); /* ones above a run of zeros */
    for (int j = 0; j < 4; j++)
      c[j] = b[j] ^ 0xaaaaaaaaaaaaaaaa; /* alternating above a run */
    check_edge(c);
    for (int j = 0; j < 4; j++)
      c[j] = a[j] | 1; /* 2^i + 1: a run of zeros */
    check_edge(c);
  }
  ZT_CHECK(most_divsteps > 0);
  printf("# the edge values needed at most %d divsteps\n", most_divsteps);
}

/* Values that need more divsteps than random ones (2,000 random values
 * a modulus needed 515 on average, 530 at most), found by flipping bits
 * of a random value while the count did not drop (a throwaway search,
 * 100 seconds a modulus); their counts are checked, so that they stay
 * what they claim to be. */
ZT_TEST(test_slow_values_match_fermat) {
  static const struct {
    int k, divsteps;
    uint64_t a[4];
  } slow[] = {
      {0,
       537,
       {0x2604e73fd2f26383, 0x28fdd29adfc5edbf, 0x09bae8f6291f1494,
        0xf9226135c64d9fe2}},
      {1,
       534,
       {0x2684e73ff2f24183, 0x887dd3badd45e1bb, 0xb8baf4de295b15d4,
        0x7a3c615c8571d8f3}},
      {2,
       534,
       {0xa684e73fd2f24183, 0x8879d2b2df45e1bb, 0x88baedd6395b14d4,
        0x75378092a4d55f26}},
  };
  for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
    const struct modulus *md = &moduli[slow[i].k];
    ZT_EQ(divsteps_needed(slow[i].a, md->mont->m), slow[i].divsteps);
    uint64_t r[4], want[4];
    zn__inv_div(r, slow[i].a, one, md->inv);
    fermat(want, slow[i].a, md->mont);
    ZT_MEMEQ(r, want, sizeof(r));
  }
}

/* ---- pseudo-random values ---- */

ZT_TEST(test_random_values_invert) {
  for (int k = 0; k < 3; k++) {
    const struct modulus *md = &moduli[k];
    int wrong = 0;
    for (int i = 0; i < RANDOM_VALUES; i++) {
      uint64_t a[4], r[4], p[4];
      rnd_below(a, md->mont->m);
      zn__inv_div(r, a, one, md->inv);
      mod_mul(p, a, r, md->mont);
      if (memcmp(p, one, sizeof(p)) != 0 || !u256_less_mask(r, md->mont->m))
        wrong++;
      if (i % 100 == 0) {
        uint64_t want[4];
        fermat(want, a, md->mont);
        if (memcmp(r, want, sizeof(r)) != 0)
          wrong++;
      }
    }
    ZT_EQ(wrong, 0);
  }
}

ZT_TEST(test_random_quotients_multiply_back) {
  for (int k = 0; k < 3; k++) {
    const struct modulus *md = &moduli[k];
    int wrong = 0;
    for (int i = 0; i < RANDOM_VALUES / 10; i++) {
      uint64_t a[4], b[4], r[4], p[4];
      rnd_below(a, md->mont->m);
      rnd_below(b, md->mont->m);
      zn__inv_div(r, a, b, md->inv);
      mod_mul(p, a, r, md->mont);
      if (memcmp(p, b, sizeof(p)) != 0)
        wrong++;
    }
    ZT_EQ(wrong, 0);
  }
}

/* tls13_p256.c and tls13_p256_ecdsa.c's use: a in Montgomery form (A R),
 * R^2 / (A R) is 1/A in Montgomery form, so that the product of the two
 * in Montgomery form is R mod m, 1's Montgomery form; in place. */
ZT_TEST(test_montgomery_forms_invert) {
  for (int k = 0; k < 2; k++) {
    const struct u256_mod *mm = moduli[k].mont;
    uint64_t r_mod[4];
    mont_in(r_mod, one, mm);
    for (int i = 0; i < 1000; i++) {
      uint64_t a[4], am[4], r[4], p[4];
      rnd_below(a, mm->m);
      mont_in(am, a, mm);
      memcpy(r, am, sizeof(r));
      zn__inv_div(r, r, mm->rr, moduli[k].inv);
      mont_mul(p, am, r, mm);
      ZT_MEMEQ(p, r_mod, sizeof(p));
      uint64_t want[4];
      fermat(want, a, mm);
      mont_out(r, r, mm);
      ZT_MEMEQ(r, want, sizeof(r));
    }
  }
}

/* ---- zn__fe_invert, 51-bit limbs ---- */

/* f^(2^n), n >= 1. */
static void fe_sq_n(zn__fe h, const zn__fe f, int n) {
  zn__fe_sq(h, f);
  for (int i = 1; i < n; i++)
    zn__fe_sq(h, h);
}

/* z^(p - 2), p - 2 = 2^255 - 21: the addition chain zn__fe_invert used
 * before the divsteps (254 squarings, 11 products). */
static void fe_invert_fermat(zn__fe out, const zn__fe z) {
  zn__fe z2, z11, e5, e10, e20, e50, e100, t;
  zn__fe_sq(z2, z);
  fe_sq_n(t, z2, 2);
  zn__fe_mul(t, t, z);
  zn__fe_mul(z11, z2, t);
  zn__fe_sq(e5, z11);
  zn__fe_mul(e5, e5, t);
  fe_sq_n(t, e5, 5);
  zn__fe_mul(e10, t, e5);
  fe_sq_n(t, e10, 10);
  zn__fe_mul(e20, t, e10);
  fe_sq_n(t, e20, 20);
  zn__fe_mul(t, t, e20);
  fe_sq_n(t, t, 10);
  zn__fe_mul(e50, t, e10);
  fe_sq_n(t, e50, 50);
  zn__fe_mul(e100, t, e50);
  fe_sq_n(t, e100, 100);
  zn__fe_mul(t, t, e100);
  fe_sq_n(t, t, 50);
  zn__fe_mul(t, t, e50);
  fe_sq_n(t, t, 5);
  zn__fe_mul(out, t, z11);
}

static void fe_check(const zn__fe z) {
  zn__fe a, b;
  uint8_t sa[32], sb[32];
  zn__fe_invert(a, z);
  fe_invert_fermat(b, z);
  zn__fe_tobytes(sa, a);
  zn__fe_tobytes(sb, b);
  ZT_MEMEQ(sa, sb, 32);
  for (int i = 0; i < 5; i++)
    ZT_CHECK(a[i] <= ZN__FE_MASK51); /* tight */
}

ZT_TEST(test_fe_invert_matches_the_addition_chain) {
  static const zn__fe edges[] = {
      {0},
      {1},
      {2},
      {ZN__FE_MASK51 - 19, ZN__FE_MASK51, ZN__FE_MASK51, ZN__FE_MASK51,
       ZN__FE_MASK51}, /* p - 1 */
      {ZN__FE_MASK51 - 18, ZN__FE_MASK51, ZN__FE_MASK51, ZN__FE_MASK51,
       ZN__FE_MASK51}, /* p: 0 */
      {ZN__FE_MASK51 - 17, ZN__FE_MASK51, ZN__FE_MASK51, ZN__FE_MASK51,
       ZN__FE_MASK51}, /* p + 1: 1 */
      {ZN__FE_MASK51, ZN__FE_MASK51, ZN__FE_MASK51, ZN__FE_MASK51,
       ZN__FE_MASK51}, /* 2^255 - 1 = 18 */
      {(1ull << 54) - 1, (1ull << 54) - 1, (1ull << 54) - 1, (1ull << 54) - 1,
       (1ull << 54) - 1}, /* limbs at the bound of zn__fe_mul's inputs */
  };
  for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
    fe_check(edges[i]);
  for (int i = 0; i < 2000; i++) {
    zn__fe z;
    for (int j = 0; j < 5; j++)
      z[j] = rnd64() >> 10; /* up to 2^54 */
    fe_check(z);
  }
}

int main(void) {
  ZT_RUN(test_constants_describe_the_moduli);
  ZT_RUN(test_divsteps_run_cover_the_bound);
  ZT_RUN(test_zero_inverts_to_zero);
  ZT_RUN(test_small_and_near_m_values_match_fermat);
  ZT_RUN(test_powers_of_two_and_runs_match_fermat);
  ZT_RUN(test_slow_values_match_fermat);
  ZT_RUN(test_random_values_invert);
  ZT_RUN(test_random_quotients_multiply_back);
  ZT_RUN(test_montgomery_forms_invert);
  ZT_RUN(test_fe_invert_matches_the_addition_chain);
  return zt_done();
}
