/*
 * SHA-384 and SHA-512 (FIPS 180-4 §6.4, §6.5) for the TLS engines.  A
 * full handshake of TLS_AES_256_GCM_SHA384, the suite OpenSSL's clients
 * ask for first, runs some 85 compressions of SHA-384: the transcript,
 * HKDF's HMACs in the key schedule, Finished.  BearSSL's is portable C
 * that computes the 80 words of the message schedule before its rounds.
 *
 * zn__tls_sha384_vtable and zn__tls_sha512_vtable are br_sha384_vtable
 * and br_sha512_vtable in every way a caller can see (the context is a
 * br_sha384_context, the descriptors the same, init and the state
 * functions BearSSL's own), so br_hmac, BearSSL's TLS 1.2 engine and its
 * X.509 code take them.  Their update and out are this file's, over one
 * of two compressions chosen once:
 *  - blocks_c, portable: the rounds unrolled by sixteen, each word of
 *    the schedule made in a ring of sixteen just before its round;
 *  - blocks_x86ext, where zn__tls_sha512_fast() says so: the schedule
 *    two words at a time in AVX registers, W + K stored for the rounds,
 *    while the rounds run in general registers with BMI2's RORX (a
 *    rotation that neither reads nor writes the flags, into a register
 *    of its choice).  The two kinds of work go to different execution
 *    units and overlap.
 *
 * The x86 path runs when the CPU has AVX and BMI2, the operating system
 * saves the AVX registers (XGETBV), and BearSSL's own x86 vector code is
 * present: a build that must not use SSE or AVX (-mgeneral-regs-only)
 * compiles that code out of
 * BearSSL, so the same answer says this build may run ours, as for
 * tls13_sha256.c.  The functions that use vector registers are named
 * *_x86ext, which scripts/check-freestanding allows there and nowhere
 * else.
 *
 * Hashing is of secret data as often as public: no branch or memory
 * address here depends on the data.
 */
#include "tls13_crypto.h"

#include <immintrin.h>
#include <string.h>

/* FIPS 180-4 §4.2.3: the first 64 bits of the fractional parts of the
 * cube roots of the first 80 primes. */
static const uint64_t K512[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc, 0x3956c25bf348b538, 0x59f111f1b605d019,
    0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242,
    0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235,
    0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65, 0x2de92c6f592b0275,
    0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f,
    0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
    0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc,
    0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6,
    0x92722c851482353b, 0xa2bfe8a14cf10364, 0xa81a664bbc423001,
    0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218,
    0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc,
    0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915,
    0xc67178f2e372532b, 0xca273eceea26619c, 0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba,
    0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
};

#define BLOCK 128u

/* Inlined into both compressions (the x86 one compiles them with RORX);
 * never called on their own. */
#define INLINE static inline __attribute__((always_inline))

INLINE uint64_t rotr(uint64_t x, unsigned n) { return x >> n | x << (64 - n); }

INLINE uint64_t load_be64(const uint8_t *p) {
  uint64_t x = 0;
  for (unsigned i = 0; i < 8; i++)
    x = x << 8 | p[i];
  return x;
}

/* FIPS 180-4 §4.1.3's functions. */
INLINE uint64_t big_sigma0(uint64_t a) {
  return rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39);
}
INLINE uint64_t big_sigma1(uint64_t e) {
  return rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41);
}
INLINE uint64_t small_sigma0(uint64_t w) {
  return rotr(w, 1) ^ rotr(w, 8) ^ w >> 7;
}
INLINE uint64_t small_sigma1(uint64_t w) {
  return rotr(w, 19) ^ rotr(w, 61) ^ w >> 6;
}

/* Round i of §6.4.2 step 3 with wk = W[t] + K[t], on the working
 * variables kept in s[] without moving them: round i finds a at
 * s[-i & 7], b after it, and so on (i is a constant once unrolled, so
 * s[] lives in registers).  Only d and h change: d += T1, h = T1 + T2.
 * Maj as ((a ^ b) & (b ^ c)) ^ b: b ^ c is the round before's a ^ b,
 * which the compiler keeps (5% a block). */
INLINE void round_at(uint64_t s[8], size_t i, uint64_t wk) {
  uint64_t a = s[(0 - i) & 7], b = s[(1 - i) & 7], c = s[(2 - i) & 7];
  uint64_t e = s[(4 - i) & 7], f = s[(5 - i) & 7], g = s[(6 - i) & 7];
  uint64_t t1 = s[(7 - i) & 7] + wk + (g ^ (e & (f ^ g))) + big_sigma1(e);
  uint64_t t2 = big_sigma0(a) + (((a ^ b) & (b ^ c)) ^ b);
  s[(3 - i) & 7] += t1;
  s[(7 - i) & 7] = t1 + t2;
}

/* ---- the portable compression ---- */

/* §6.4.2 step 1's W[t], t >= 16, into the ring w of the last sixteen
 * (w[i] holds W[t - 16] and becomes W[t]). */
INLINE uint64_t schedule_at(uint64_t w[16], size_t i) {
  w[i] += small_sigma1(w[(i + 14) & 15]) + w[(i + 9) & 15] +
          small_sigma0(w[(i + 1) & 15]);
  return w[i];
}

static void block_c(uint64_t val[8], const uint8_t *p) {
  uint64_t s[8], w[16];
  memcpy(s, val, sizeof(s));
#pragma GCC unroll 16
  for (size_t i = 0; i < 16; i++) {
    w[i] = load_be64(p + 8 * i);
    round_at(s, i, w[i] + K512[i]);
  }
  for (size_t t = 16; t < 80; t += 16) {
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; i++)
      round_at(s, i, schedule_at(w, i) + K512[t + i]);
  }
  for (size_t i = 0; i < 8; i++)
    val[i] += s[i];
}

void zn__tls_sha512_blocks_c(uint64_t val[8], const uint8_t *p, size_t n) {
  for (; n > 0; n--, p += BLOCK)
    block_c(val, p);
}

/* ---- the compression with AVX and BMI2 ---- */

#define TARGET __attribute__((target("avx,bmi2")))

/* Each 64-bit lane's rotation right by n (AVX has none of its own). */
TARGET INLINE __m128i rotr_x86ext(__m128i x, int n) {
  return _mm_or_si128(_mm_srli_epi64(x, n), _mm_slli_epi64(x, 64 - n));
}

/* W[t], W[t+1] (§6.4.2 step 1) from the pairs of words before them,
 * named by their distance: t16 = W[t-16..t-15], t14, t8, t6 and t2 =
 * W[t-2..t-1].  Both words need only words made before, so the pair is
 * one vector's work. */
TARGET INLINE __m128i schedule_x86ext(__m128i t16, __m128i t14, __m128i t8,
                                      __m128i t6, __m128i t2) {
  __m128i t15 = _mm_alignr_epi8(t14, t16, 8);
  __m128i t7 = _mm_alignr_epi8(t6, t8, 8);
  __m128i s0 =
      _mm_xor_si128(_mm_xor_si128(rotr_x86ext(t15, 1), rotr_x86ext(t15, 8)),
                    _mm_srli_epi64(t15, 7));
  __m128i s1 =
      _mm_xor_si128(_mm_xor_si128(rotr_x86ext(t2, 19), rotr_x86ext(t2, 61)),
                    _mm_srli_epi64(t2, 6));
  return _mm_add_epi64(_mm_add_epi64(t16, t7), _mm_add_epi64(s0, s1));
}

TARGET static void block_x86ext(uint64_t val[8], const uint8_t *p) {
  /* Big-endian words: each 64-bit lane's bytes reversed. */
  const __m128i bswap =
      _mm_set_epi64x(0x08090a0b0c0d0e0fLL, 0x0001020304050607LL);
  uint64_t wk[80]; /* W[t] + K[t], as the schedule makes them */
  uint64_t s[8];
  __m128i w[8]; /* the last sixteen words, two a vector, in a ring */
  for (size_t j = 0; j < 8; j++) {
    w[j] =
        _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * j)), bswap);
    _mm_storeu_si128(
        (__m128i *)(wk + 2 * j),
        _mm_add_epi64(w[j], _mm_loadu_si128((const __m128i *)(K512 + 2 * j))));
  }
  memcpy(s, val, sizeof(s));
  for (size_t t = 0; t < 64; t += 16) {
    /* Rounds t..t+15 while the schedule makes W[t+16..t+31]. */
#pragma GCC unroll 8
    for (size_t j = 0; j < 8; j++) {
      w[j] = schedule_x86ext(w[j], w[(j + 1) & 7], w[(j + 4) & 7],
                             w[(j + 5) & 7], w[(j + 7) & 7]);
      _mm_storeu_si128(
          (__m128i *)(wk + t + 16 + 2 * j),
          _mm_add_epi64(
              w[j], _mm_loadu_si128((const __m128i *)(K512 + t + 16 + 2 * j))));
      round_at(s, 2 * j, wk[t + 2 * j]);
      round_at(s, 2 * j + 1, wk[t + 2 * j + 1]);
    }
  }
#pragma GCC unroll 16
  for (size_t i = 0; i < 16; i++)
    round_at(s, i, wk[64 + i]);
  for (size_t i = 0; i < 8; i++)
    val[i] += s[i];
}

TARGET void zn__tls_sha512_blocks_x86ext(uint64_t val[8], const uint8_t *p,
                                         size_t n) {
  for (; n > 0; n--, p += BLOCK)
    block_x86ext(val, p);
}

/* ---- the choice, once ---- */

bool zn__tls_sha512_fast(void) {
  return zn__tls13_aes_ctr() != &br_aes_ct64_ctr_vtable &&
         zn__tls_cpu_has(ZN__TLS_CPU_AVX | ZN__TLS_CPU_BMI2);
}

static void blocks(uint64_t val[8], const uint8_t *p, size_t n) {
  if (zn__tls_sha512_fast())
    zn__tls_sha512_blocks_x86ext(val, p, n);
  else
    zn__tls_sha512_blocks_c(val, p, n);
}

/* ---- the hash classes ---- */

static void sha384_init(const br_hash_class **ctx) {
  br_sha384_context *c = (br_sha384_context *)(void *)ctx;
  br_sha384_init(c);
  c->vtable = &zn__tls_sha384_vtable;
}

static void sha512_init(const br_hash_class **ctx) {
  br_sha512_context *c = (br_sha512_context *)(void *)ctx;
  br_sha512_init(c);
  c->vtable = &zn__tls_sha512_vtable;
}

static void sha2big_update(const br_hash_class **ctx, const void *data,
                           size_t len) {
  br_sha384_context *c = (br_sha384_context *)(void *)ctx;
  const uint8_t *p = data;
  if (len == 0) /* data may be NULL then */
    return;
  size_t used = (size_t)c->count & (BLOCK - 1);
  c->count += len;
  if (used != 0) { /* fill the block begun */
    size_t k = BLOCK - used < len ? BLOCK - used : len;
    memcpy(c->buf + used, p, k);
    p += k;
    len -= k;
    if (used + k < BLOCK)
      return;
    blocks(c->val, c->buf, 1);
  }
  blocks(c->val, p, len / BLOCK); /* whole blocks, in place */
  memcpy(c->buf, p + len / BLOCK * BLOCK, len % BLOCK);
}

/* FIPS 180-4 §5.1.2's padding: 0x80, zeros, the 128-bit bit length,
 * big-endian, in one block or two; the first words of the state are the
 * digest (§6.5: six for SHA-384).  The context is left as it was. */
static void sha2big_out(const br_hash_class *const *ctx, uint8_t *dst,
                        size_t words) {
  const br_sha384_context *c = (const br_sha384_context *)(const void *)ctx;
  uint8_t pad[2 * BLOCK] = {0};
  uint64_t val[8];
  size_t used = (size_t)c->count & (BLOCK - 1);
  size_t n = used < BLOCK - 16 ? 1 : 2;
  memcpy(pad, c->buf, used);
  pad[used] = 0x80;
  uint64_t bits = c->count << 3;
  for (unsigned i = 0; i < 8; i++)
    pad[n * BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
  pad[n * BLOCK - 9] = (uint8_t)(c->count >> 61);
  memcpy(val, c->val, sizeof(val));
  blocks(val, pad, n);
  for (size_t i = 0; i < words; i++)
    for (unsigned j = 0; j < 8; j++)
      dst[8 * i + j] = (uint8_t)(val[i] >> (56 - 8 * j));
}

static void sha384_out(const br_hash_class *const *ctx, void *dst) {
  sha2big_out(ctx, dst, 6);
}

static void sha512_out(const br_hash_class *const *ctx, void *dst) {
  sha2big_out(ctx, dst, 8);
}

static uint64_t sha2big_state(const br_hash_class *const *ctx, void *dst) {
  return br_sha384_state((const br_sha384_context *)(const void *)ctx, dst);
}

static void sha2big_set_state(const br_hash_class **ctx, const void *stb,
                              uint64_t count) {
  br_sha384_set_state((br_sha384_context *)(void *)ctx, stb, count);
}

#define SHA2BIG_DESC(id, out)                                                  \
  (BR_HASHDESC_ID(id) | BR_HASHDESC_OUT(out) | BR_HASHDESC_STATE(64) |         \
   BR_HASHDESC_LBLEN(7) | BR_HASHDESC_MD_PADDING | BR_HASHDESC_MD_PADDING_BE | \
   BR_HASHDESC_MD_PADDING_128)

const br_hash_class zn__tls_sha384_vtable = {
    sizeof(br_sha384_context),
    SHA2BIG_DESC(br_sha384_ID, 48),
    sha384_init,
    sha2big_update,
    sha384_out,
    sha2big_state,
    sha2big_set_state,
};

const br_hash_class zn__tls_sha512_vtable = {
    sizeof(br_sha512_context),
    SHA2BIG_DESC(br_sha512_ID, 64),
    sha512_init,
    sha2big_update,
    sha512_out,
    sha2big_state,
    sha2big_set_state,
};
