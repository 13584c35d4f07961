/*
 * BearSSL inside a Solo5 unikernel: known-answer tests of the primitives
 * a TLS server or client of znet uses, run by an image of libznet-rt
 * (musl, the runtime's entry), with BearSSL compiled for the images
 * (tls/bearssl-solo5: against the runtime's musl, at the end of
 * rt/meson.build).  An ordinary program of the runtime: it needs no
 * address, but the tender wants the manifest's devices attached
 * (tests/solo5/solo5_bearssl.sh):
 *
 *     solo5-spt --net:service=tap0 --block:rootfs=empty.tar bearssl-kat.spt
 *
 * Output is TAP, the plan last; the exit status is 0 if every case
 * passed.  The vectors come from their standards: SHA-256 from FIPS
 * 180-2 (appendix B), HMAC-DRBG from NIST's CAVP (HMAC_DRBG.rsp,
 * SHA-256, no reseed, no prediction resistance, COUNT 0), AES-128-GCM
 * from the GCM specification's test case 4 (McGrew and Viega, as
 * published by NIST), ChaCha20-Poly1305 from RFC 8439 §2.8.2, X25519
 * from RFC 7748 §5.2 and deterministic ECDSA P-256 from RFC 6979
 * A.2.5 (each checked against a second implementation, Python's
 * cryptography, when written down here).  Then an ECDSA P-256 round
 * trip with a key generated here (br_ec_keygen from a seeded HMAC-DRBG).
 *
 * Each AEAD runs twice: with the constant-time portable implementations
 * (aes_ct64 + ghash_ctmul64, chacha20_ct + poly1305_ctmul), and with
 * what BearSSL's TLS engine would pick at run time
 * (br_ssl_engine_set_default_aes_gcm and _chapol: AES-NI + PCLMULQDQ
 * and SSE2 where compiled in and the CPU has them, poly1305_ctmulq with
 * 128-bit integers); where that is the portable code again, the cases
 * are skipped and say why.  Before them: that BearSSL was compiled
 * without OS entropy or time (tls/bearssl-solo5/solo5_config.h), and the
 * libc functions it calls (memcpy, memmove, memset, memcmp, strlen:
 * musl's) on the cases it relies on.
 */
#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int ncase, nfailed;

static void result(bool ok, const char *name) {
  ncase++;
  if (!ok)
    nfailed++;
  printf("%s %d - %s\n", ok ? "ok" : "not ok", ncase, name);
}

static void skip(const char *name, const char *why) {
  ncase++;
  printf("ok %d - %s # SKIP %s\n", ncase, name, why);
}

/* ---- helpers ------------------------------------------------------------ */

static int nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* The bytes of the lower-case hex string `hex` into out[cap]; their
 * count (a bad or too long string is a failed case later: 0). */
static size_t unhex(uint8_t *out, size_t cap, const char *hex) {
  size_t n = 0;
  for (; hex[0] && hex[1]; hex += 2) {
    int hi = nibble(hex[0]), lo = nibble(hex[1]);
    if (hi < 0 || lo < 0 || n == cap)
      return 0;
    out[n++] = (uint8_t)(hi << 4 | lo);
  }
  return hex[0] ? 0 : n;
}

static bool same_hex(const void *p, size_t len, const char *hex) {
  uint8_t want[256];
  size_t n = unhex(want, sizeof(want), hex);
  return n == len && memcmp(p, want, len) == 0;
}

/* The value BearSSL was compiled with for option `name` (src/config.h),
 * or -1. */
static long config_value(const char *name) {
  for (const br_config_option *o = br_get_config(); o->name; o++)
    if (strcmp(o->name, name) == 0)
      return o->value;
  return -1;
}

/* The options that differ between the images' build and a hosted one. */
static const char *const shown[] = {
    "BR_64",
    "BR_INT128",
    "BR_LE_UNALIGNED",
    "BR_AES_X86NI",
    "BR_SSE2",
    "BR_POWER8",
    "BR_RDRAND",
    "BR_USE_UNIX_TIME",
    "BR_USE_WIN32_RAND",
    "BR_USE_WIN32_TIME",
    "BR_LOMUL",
    "BR_MAX_RSA_SIZE",
};

static void print_config(void) {
  printf("# BearSSL compiled with:");
  for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
    printf("%s %s=%ld", i % 6 == 0 ? "\n#  " : "", shown[i],
           config_value(shown[i]));
  printf("\n");
}

/* The images' BearSSL asks no OS for time or randomness
 * (tls/bearssl-solo5/solo5_config.h): a TLS engine is seeded with znet's
 * own entropy, br_ssl_engine_inject_entropy, and X.509 is given the time,
 * br_x509_minimal_set_time. */
static void check_no_os(void) {
  result(config_value("BR_USE_UNIX_TIME") == 0 &&
             config_value("BR_USE_WIN32_TIME") == 0 &&
             config_value("BR_USE_WIN32_RAND") == 0 &&
             config_value("BR_RDRAND") == 0 && br_prng_seeder_system(NULL) == 0,
         "no OS time or entropy source compiled in (no system seeder)");
}

/* ---- the image's libc, as BearSSL uses it ------------------------------- */

static void check_libc(void) {
  uint8_t a[300], b[300];
  for (size_t i = 0; i < sizeof(a); i++)
    a[i] = (uint8_t)(i * 7 + 1);
  memcpy(b, a, sizeof(a));
  result(memcmp(a, b, sizeof(a)) == 0 && b[299] == (uint8_t)(299 * 7 + 1),
         "libc: memcpy of 300 bytes");

  /* Overlapping both ways: BearSSL shifts buffers in place. */
  memmove(b + 3, b, 200);
  bool up = memcmp(b + 3, a, 200) == 0 && memcmp(b, a, 3) == 0;
  memcpy(b, a, sizeof(a));
  memmove(b, b + 5, 200);
  bool down = memcmp(b, a + 5, 200) == 0 && memcmp(b + 200, a + 200, 100) == 0;
  result(up && down, "libc: memmove, overlapping upwards and downwards");

  memcpy(b, a, sizeof(a));
  memset(b + 1, 0xa5, 298);
  bool set = b[0] == a[0] && b[1] == 0xa5 && b[298] == 0xa5 && b[299] == a[299];
  result(set, "libc: memset stays within its bounds");

  /* Unsigned comparison: 0x80 sorts above 0x7f. */
  uint8_t lo[2] = {1, 0x7f}, hi[2] = {1, 0x80};
  result(memcmp(lo, hi, 2) < 0 && memcmp(hi, lo, 2) > 0 &&
             memcmp(lo, hi, 1) == 0 && memcmp(lo, hi, 0) == 0,
         "libc: memcmp compares unsigned bytes");
  result(strlen("") == 0 && strlen("bearssl") == 7,
         "libc: strlen (of server and ALPN names)");
}

/* ---- hashes and the DRBG ------------------------------------------------ */

static bool sha256_is(const char *msg, const char *hex) {
  br_sha256_context c;
  uint8_t out[32];
  br_sha256_init(&c);
  br_sha256_update(&c, msg, strlen(msg));
  br_sha256_out(&c, out);
  return same_hex(out, sizeof(out), hex);
}

static void check_sha256(void) {
  result(sha256_is("abc", "ba7816bf8f01cfea414140de5dae2223"
                          "b00361a396177a9cb410ff61f20015ad"),
         "SHA-256 of \"abc\" (FIPS 180-2 B.1)");
  result(sha256_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                   "248d6a61d20638b8e5c026930c3e6039"
                   "a33ce45964ff2167f6ecedd419db06c1"),
         "SHA-256 of the 448-bit message (FIPS 180-2 B.2)");
}

/* CAVP's procedure: instantiate with entropy || nonce, generate once and
 * throw it away, generate again and compare. */
static void check_hmac_drbg(void) {
  uint8_t seed[48], out[128];
  size_t n = unhex(seed, sizeof(seed),
                   "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14"
                   "b71a7488"
                   "659ba96c601dc69fc902940805ec0ca8");
  br_hmac_drbg_context rng;
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, n);
  br_hmac_drbg_generate(&rng, out, sizeof(out));
  br_hmac_drbg_generate(&rng, out, sizeof(out));
  result(n == 48 &&
             same_hex(out, sizeof(out),
                      "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f41996"
                      "97d04d5b89d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc"
                      "2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d30"
                      "11bb19d27676c07162c8b5ccde0668961df86803482cb37ed6d5c0"
                      "bb8d50cf1f50d476aa0458bdaba806f48be9dcb8"),
         "HMAC-DRBG (SHA-256), NIST CAVP HMAC_DRBG COUNT 0");
}

/* ---- AES-128-GCM -------------------------------------------------------- */

#define GCM_KEY "feffe9928665731c6d6a8f9467308308"
#define GCM_IV "cafebabefacedbaddecaf888"
#define GCM_AAD "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_PT                                                                 \
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"           \
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_CT                                                                 \
  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"           \
  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
#define GCM_TAG "5bc94fbc3221a5db94fae95ae7121a47"

/* Test case 4 encrypted, decrypted, and refused with one tag bit
 * flipped, with the AES-CTR implementation `ctr` and GHASH `gh`. */
static void check_gcm(const char *impl, const br_block_ctr_class *ctr,
                      br_ghash gh) {
  uint8_t key[16], iv[12], aad[20], buf[60], tag[16];
  unhex(key, sizeof(key), GCM_KEY);
  unhex(iv, sizeof(iv), GCM_IV);
  unhex(aad, sizeof(aad), GCM_AAD);
  size_t n = unhex(buf, sizeof(buf), GCM_PT);
  br_aes_gen_ctr_keys keys;
  br_gcm_context gc;
  char name[128];

  ctr->init(&keys.vtable, key, sizeof(key));
  br_gcm_init(&gc, &keys.vtable, gh);
  br_gcm_reset(&gc, iv, sizeof(iv));
  br_gcm_aad_inject(&gc, aad, sizeof(aad));
  br_gcm_flip(&gc);
  br_gcm_run(&gc, 1, buf, n);
  br_gcm_get_tag(&gc, tag);
  snprintf(name, sizeof(name), "AES-128-GCM encrypt, %s (GCM spec test case 4)",
           impl);
  result(n == 60 && same_hex(buf, n, GCM_CT) &&
             same_hex(tag, sizeof(tag), GCM_TAG),
         name);

  br_gcm_reset(&gc, iv, sizeof(iv));
  br_gcm_aad_inject(&gc, aad, sizeof(aad));
  br_gcm_flip(&gc);
  br_gcm_run(&gc, 0, buf, n);
  bool tag_ok = br_gcm_check_tag(&gc, tag) == 1;
  snprintf(name, sizeof(name), "AES-128-GCM decrypt and tag check, %s", impl);
  result(tag_ok && same_hex(buf, n, GCM_PT), name);

  tag[15] ^= 1;
  br_gcm_reset(&gc, iv, sizeof(iv));
  br_gcm_aad_inject(&gc, aad, sizeof(aad));
  br_gcm_flip(&gc);
  br_gcm_run(&gc, 0, buf, n);
  snprintf(name, sizeof(name), "AES-128-GCM refuses a flipped tag bit, %s",
           impl);
  result(br_gcm_check_tag(&gc, tag) == 0, name);
}

static void check_aes_gcm(void) {
  check_gcm("aes_ct64 + ghash_ctmul64", &br_aes_ct64_ctr_vtable,
            &br_ghash_ctmul64);
  const br_block_ctr_class *ni = br_aes_x86ni_ctr_get_vtable();
  br_ghash clmul = br_ghash_pclmul_get();
  if (ni && clmul) {
    check_gcm("aes_x86ni + ghash_pclmul", ni, clmul);
  } else {
    const char *why = config_value("BR_AES_X86NI") == 1
                          ? "the CPU has no AES-NI or PCLMULQDQ"
                          : "not compiled in (BR_AES_X86NI=0)";
    skip("AES-128-GCM encrypt, aes_x86ni + ghash_pclmul", why);
    skip("AES-128-GCM decrypt and tag check, aes_x86ni + ghash_pclmul", why);
    skip("AES-128-GCM refuses a flipped tag bit, aes_x86ni + ghash_pclmul",
         why);
  }
}

/* ---- ChaCha20-Poly1305 -------------------------------------------------- */

#define CP_KEY                                                                 \
  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
#define CP_NONCE "070000004041424344454647"
#define CP_AAD "50515253c0c1c2c3c4c5c6c7"
#define CP_PT                                                                  \
  "Ladies and Gentlemen of the class of '99: If I could offer you only one "   \
  "tip for the future, sunscreen would be it."
#define CP_CT                                                                  \
  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"           \
  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"           \
  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"           \
  "3ff4def08e4b7a9de576d26586cec64b6116"
#define CP_TAG "1ae10b594f09e26a7e902ecbd0600691"

/* RFC 8439 §2.8.2 encrypted, decrypted, and a flipped ciphertext bit
 * caught by the tag, with `cc` and `poly`. */
static void check_chapol(const char *impl, br_chacha20_run cc,
                         br_poly1305_run poly) {
  uint8_t key[32], nonce[12], aad[12], buf[114], tag[16], tag2[16];
  unhex(key, sizeof(key), CP_KEY);
  unhex(nonce, sizeof(nonce), CP_NONCE);
  unhex(aad, sizeof(aad), CP_AAD);
  size_t n = strlen(CP_PT);
  char name[128];
  memcpy(buf, CP_PT, sizeof(buf));

  poly(key, nonce, buf, n, aad, sizeof(aad), tag, cc, 1);
  snprintf(name, sizeof(name), "ChaCha20-Poly1305 encrypt, %s (RFC 8439 2.8.2)",
           impl);
  result(n == sizeof(buf) && same_hex(buf, n, CP_CT) &&
             same_hex(tag, sizeof(tag), CP_TAG),
         name);

  poly(key, nonce, buf, n, aad, sizeof(aad), tag2, cc, 0);
  snprintf(name, sizeof(name), "ChaCha20-Poly1305 decrypt and tag, %s", impl);
  result(memcmp(buf, CP_PT, n) == 0 && memcmp(tag, tag2, sizeof(tag)) == 0,
         name);

  poly(key, nonce, buf, n, aad, sizeof(aad), tag, cc, 1);
  buf[17] ^= 4;
  poly(key, nonce, buf, n, aad, sizeof(aad), tag2, cc, 0);
  snprintf(name, sizeof(name),
           "ChaCha20-Poly1305 tag catches a flipped ciphertext bit, %s", impl);
  result(memcmp(tag, tag2, sizeof(tag)) != 0, name);
}

/* The portable pair, then what br_ssl_engine_set_default_chapol would
 * pick here (SSE2 ChaCha20 where compiled in and the CPU has SSE2;
 * Poly1305 with 64x64->128 multiplies where the compiler has them), if
 * that is another pair. */
static void check_chacha20_poly1305(void) {
  check_chapol("chacha20_ct + poly1305_ctmul", &br_chacha20_ct_run,
               &br_poly1305_ctmul_run);
  br_chacha20_run cc = br_chacha20_sse2_get();
  br_poly1305_run poly = br_poly1305_ctmulq_get();
  char impl[64];
  snprintf(impl, sizeof(impl), "%s + %s", cc ? "chacha20_sse2" : "chacha20_ct",
           poly ? "poly1305_ctmulq" : "poly1305_ctmul");
  if (cc || poly) {
    check_chapol(impl, cc ? cc : &br_chacha20_ct_run,
                 poly ? poly : &br_poly1305_ctmul_run);
    return;
  }
  const char *why = "BearSSL's default here is the portable pair";
  skip("ChaCha20-Poly1305 encrypt, BearSSL's default", why);
  skip("ChaCha20-Poly1305 decrypt and tag, BearSSL's default", why);
  skip("ChaCha20-Poly1305 tag catches a flipped ciphertext bit, "
       "BearSSL's default",
       why);
}

/* ---- elliptic curves ---------------------------------------------------- */

/* RFC 7748 §5.2, the first vector: scalar times u, in place. */
static void check_x25519(void) {
  const br_ec_impl *ec = br_ec_get_default();
  uint8_t k[32], u[32];
  unhex(k, sizeof(k),
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
  unhex(u, sizeof(u),
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
  uint32_t ok = ec->mul(u, sizeof(u), k, sizeof(k), BR_EC_curve25519);
  result(ok == 1 && same_hex(u, sizeof(u),
                             "c3da55379de9c6908e94ea4df28d084f"
                             "32eccf03491c71f754b4075577a28552"),
         "X25519 (RFC 7748 5.2), br_ec_get_default()");
}

static void sha256_of(const char *msg, uint8_t out[32]) {
  br_sha256_context c;
  br_sha256_init(&c);
  br_sha256_update(&c, msg, strlen(msg));
  br_sha256_out(&c, out);
}

/* RFC 6979 A.2.5: the public key from the private key, and the
 * deterministic signature of "sample" with SHA-256 (BearSSL derives k
 * as RFC 6979 says). */
static void check_ecdsa_rfc6979(void) {
  const br_ec_impl *ec = br_ec_get_default();
  uint8_t x[32], pub[BR_EC_KBUF_PUB_MAX_SIZE], hash[32], sig[64];
  unhex(x, sizeof(x),
        "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
  br_ec_private_key sk = {BR_EC_secp256r1, x, sizeof(x)};
  br_ec_public_key pk;
  size_t plen = br_ec_compute_pub(ec, &pk, pub, &sk);
  result(plen == 65 &&
             same_hex(pub, plen,
                      "04"
                      "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce66962"
                      "2e60f29fb6"
                      "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c2"
                      "94d4462299"),
         "ECDSA P-256 public key of the RFC 6979 A.2.5 private key");
  sha256_of("sample", hash);
  size_t slen =
      br_ecdsa_sign_raw_get_default()(ec, &br_sha256_vtable, hash, &sk, sig);
  result(slen == 64 &&
             same_hex(sig, slen,
                      "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0e"
                      "a84eaf3716"
                      "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab"
                      "2f843acda8"),
         "ECDSA P-256 signature of \"sample\" (RFC 6979 A.2.5, SHA-256)");
  result(slen == 64 && br_ecdsa_vrfy_raw_get_default()(ec, hash, sizeof(hash),
                                                       &pk, sig, slen) == 1,
         "ECDSA P-256 verifies the RFC 6979 signature");
}

/* A key of our own: br_ec_keygen from an HMAC-DRBG seeded with a fixed
 * string (as a TLS server seeds from znet's CSPRNG), then sign and verify
 * in the ASN.1 form TLS uses; a changed message is refused.  The key is
 * known too: br_ec_keygen takes the DRBG's first 32 bytes when they are
 * below the order, as here, so its public key is that of
 * HMAC-DRBG-SHA-256(seed)'s first output (computed with Python's hmac
 * and cryptography). */
static void check_ecdsa_roundtrip(void) {
  static const char seed[] = "znet: BearSSL on Solo5, ECDSA round trip";
  const br_ec_impl *ec = br_ec_get_default();
  br_hmac_drbg_context rng;
  uint8_t kbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
  uint8_t hash[32], sig[80];
  br_ec_private_key sk;
  br_ec_public_key pk;

  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed) - 1);
  size_t klen = br_ec_keygen(&rng.vtable, ec, &sk, kbuf, BR_EC_secp256r1);
  size_t plen = klen ? br_ec_compute_pub(ec, &pk, pbuf, &sk) : 0;
  result(klen == 32 && plen == 65 &&
             same_hex(pbuf, plen,
                      "04"
                      "1d54b30ea8acac59cfa81a1fea6375d7d01ee67a7f0749bb00f7fc"
                      "b2c2946dd6"
                      "6794164c11b226e305a919ad018b5c898dd0220adf25bc0da5fdf6"
                      "76c62d2843"),
         "ECDSA P-256 key pair from br_ec_keygen with a seeded HMAC-DRBG");

  sha256_of("GET / HTTP/1.1 from a unikernel", hash);
  size_t slen = klen ? br_ecdsa_sign_asn1_get_default()(ec, &br_sha256_vtable,
                                                        hash, &sk, sig)
                     : 0;
  br_ecdsa_vrfy vrfy = br_ecdsa_vrfy_asn1_get_default();
  result(slen > 0 && plen && vrfy(ec, hash, sizeof(hash), &pk, sig, slen) == 1,
         "ECDSA P-256 signs (ASN.1) and verifies with the generated key");
  hash[0] ^= 0x80;
  result(slen > 0 && plen && vrfy(ec, hash, sizeof(hash), &pk, sig, slen) == 0,
         "ECDSA P-256 refuses the signature for a changed message");
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("# BearSSL known-answer tests, in a Solo5 image\n");
  print_config();
  check_no_os();
  check_libc();
  check_sha256();
  check_hmac_drbg();
  check_aes_gcm();
  check_chacha20_poly1305();
  check_x25519();
  check_ecdsa_rfc6979();
  check_ecdsa_roundtrip();
  printf("1..%d\n", ncase);
  printf("# %d passed, %d failed\n", ncase - nfailed, nfailed);
  return nfailed ? 1 : 0;
}
