/*
 * SHA-256 (FIPS 180-4) for the TLS engines, with the x86 SHA extensions
 * where they can run.  SHA-256 is in every handshake several times over:
 * the session's HMAC-DRBG (a dozen compressions per 32 bytes it gives),
 * RFC 6979's nonce, the hash signed in CertificateVerify, and the
 * transcript and key schedule of the SHA-256 suites.  BearSSL's is
 * portable C (12% of a server's full handshake here); SHA256RNDS2 and
 * its two message instructions do a block about six times as fast.
 *
 * zn__tls_sha256_vtable is BearSSL's br_sha256_vtable in every way a
 * caller can see (the context is a br_sha256_context, the descriptor the
 * same, the state functions BearSSL's own), so br_hmac, br_hmac_drbg
 * and BearSSL's TLS 1.2 engine take it.  Its update and out run
 * BearSSL's code unless zn__tls_sha256_fast() says the extensions may be used.
 *
 * When they may: the CPU says it has them (CPUID leaf 7, and SSSE3 and
 * SSE4.1 for the byte shuffles and blends), and BearSSL's own AES-NI
 * code is present.  BearSSL compiles its x86 vector code out of a build
 * that must not use SSE (-mgeneral-regs-only), and asks CPUID for the
 * rest: its answer says both
 * that this CPU has the instructions and that this build may run them,
 * with no configuration of ours.  Both answers are asked once and kept
 * (tls13_crypto.c: zn__tls13_aes_ctr, zn__tls_cpu_has).
 *
 * The functions that run the extensions are named *_x86ext: the check of
 * the images built without SSE (scripts/check-freestanding) allows vector
 * instructions there and nowhere else.
 *
 * Hashing is of public or secret data alike, and the extensions take the
 * same time whatever the data: no branch or address here depends on it.
 */
#include "tls13_crypto.h"

#include <immintrin.h>
#include <string.h>

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes. */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define BLOCK 64u

/* ---- the compression with the SHA extensions ---- */

#define TARGET __attribute__((target("sha,ssse3,sse4.1")))

/* Four rounds: W + K for them in wk, two rounds a SHA256RNDS2 (each
 * takes its two words from the low half).  abef and cdgh are the state
 * as the instruction wants it; after two rounds the old ABEF is the new
 * CDGH. */
TARGET static inline void rounds4_x86ext(__m128i *abef, __m128i *cdgh,
                                         __m128i w, const uint32_t *k) {
  __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)k));
  *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
  *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

/* W[t..t+3] into w0 from the four words before (FIPS 180-4 §6.2.2 step
 * 1): w0 = W[t-16..t-13], w1 = W[t-12..t-9], w2 = W[t-8..t-5], w3 =
 * W[t-4..t-1].  MSG1 adds sigma0 of W[t-15..t-12], the alignr gives
 * W[t-7..t-4], MSG2 adds sigma1 of W[t-2..t+1], the last two of which it
 * makes itself. */
TARGET static inline void schedule_x86ext(__m128i *w0, __m128i w1, __m128i w2,
                                          __m128i w3) {
  __m128i t = _mm_sha256msg1_epu32(*w0, w1);
  t = _mm_add_epi32(t, _mm_alignr_epi8(w3, w2, 4));
  *w0 = _mm_sha256msg2_epu32(t, w3);
}

/* n blocks at p into the state val (A..H, as BearSSL keeps them). */
TARGET static void blocks_x86ext(uint32_t val[8], const uint8_t *p, size_t n) {
  /* Big-endian words: each 32-bit lane's bytes reversed. */
  const __m128i bswap =
      _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i dcba = _mm_loadu_si128((const __m128i *)val);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)(val + 4));
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
  for (; n > 0; n--, p += BLOCK) {
    __m128i abef0 = abef, cdgh0 = cdgh;
    __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap);
    __m128i w1 =
        _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
    __m128i w2 =
        _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
    __m128i w3 =
        _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
    for (int t = 0; t < 64; t += 16) {
      if (t > 0)
        schedule_x86ext(&w0, w1, w2, w3);
      rounds4_x86ext(&abef, &cdgh, w0, K256 + t);
      if (t > 0)
        schedule_x86ext(&w1, w2, w3, w0);
      rounds4_x86ext(&abef, &cdgh, w1, K256 + t + 4);
      if (t > 0)
        schedule_x86ext(&w2, w3, w0, w1);
      rounds4_x86ext(&abef, &cdgh, w2, K256 + t + 8);
      if (t > 0)
        schedule_x86ext(&w3, w0, w1, w2);
      rounds4_x86ext(&abef, &cdgh, w3, K256 + t + 12);
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
  }
  __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
  dcba = _mm_blend_epi16(feba, dchg, 0xf0);
  hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128((__m128i *)val, dcba);
  _mm_storeu_si128((__m128i *)(val + 4), hgfe);
}

/* ---- the choice, once ---- */

bool zn__tls_sha256_fast(void) {
  return zn__tls13_aes_ctr() != &br_aes_ct64_ctr_vtable &&
         zn__tls_cpu_has(ZN__TLS_CPU_SHA | ZN__TLS_CPU_SSSE3 |
                         ZN__TLS_CPU_SSE41);
}

/* ---- the hash class ---- */

static void sha256_init(const br_hash_class **ctx) {
  br_sha256_context *c = (br_sha256_context *)(void *)ctx;
  br_sha256_init(c);
  c->vtable = &zn__tls_sha256_vtable;
}

static void sha256_update(const br_hash_class **ctx, const void *data,
                          size_t len) {
  br_sha256_context *c = (br_sha256_context *)(void *)ctx;
  if (!zn__tls_sha256_fast()) {
    br_sha256_update(c, data, len);
    return;
  }
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
    blocks_x86ext(c->val, c->buf, 1);
  }
  blocks_x86ext(c->val, p, len / BLOCK); /* whole blocks, in place */
  memcpy(c->buf, p + len / BLOCK * BLOCK, len % BLOCK);
}

/* FIPS 180-4 §5.1.1's padding: 0x80, zeros, the bit length, big-endian,
 * in one block or two; the context is left as it was. */
static void sha256_out(const br_hash_class *const *ctx, void *dst) {
  const br_sha256_context *c = (const br_sha256_context *)(const void *)ctx;
  if (!zn__tls_sha256_fast()) {
    br_sha256_out(c, dst);
    return;
  }
  uint8_t pad[2 * BLOCK] = {0};
  uint32_t val[8];
  size_t used = (size_t)c->count & (BLOCK - 1);
  size_t n = used < BLOCK - 8 ? 1 : 2;
  memcpy(pad, c->buf, used);
  pad[used] = 0x80;
  uint64_t bits = c->count << 3;
  for (unsigned i = 0; i < 8; i++)
    pad[n * BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
  memcpy(val, c->val, sizeof(val));
  blocks_x86ext(val, pad, n);
  uint8_t *o = dst;
  for (size_t i = 0; i < 8; i++) {
    o[4 * i] = (uint8_t)(val[i] >> 24);
    o[4 * i + 1] = (uint8_t)(val[i] >> 16);
    o[4 * i + 2] = (uint8_t)(val[i] >> 8);
    o[4 * i + 3] = (uint8_t)val[i];
  }
}

static uint64_t sha256_state(const br_hash_class *const *ctx, void *dst) {
  return br_sha256_state((const br_sha256_context *)(const void *)ctx, dst);
}

static void sha256_set_state(const br_hash_class **ctx, const void *stb,
                             uint64_t count) {
  br_sha256_set_state((br_sha256_context *)(void *)ctx, stb, count);
}

const br_hash_class zn__tls_sha256_vtable = {
    sizeof(br_sha256_context),
    BR_HASHDESC_ID(br_sha256_ID) | BR_HASHDESC_OUT(32) | BR_HASHDESC_STATE(32) |
        BR_HASHDESC_LBLEN(6) | BR_HASHDESC_MD_PADDING |
        BR_HASHDESC_MD_PADDING_BE,
    sha256_init,
    sha256_update,
    sha256_out,
    sha256_state,
    sha256_set_state,
};
