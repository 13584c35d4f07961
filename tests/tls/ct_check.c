/* Constant time, checked as ctgrind does: under valgrind's memcheck, the
 * secrets (traffic secrets, the (EC)DHE private key, the signing keys,
 * the ticket key, the Finished and binder keys) are marked undefined, so
 * that any branch or memory address that depends on them is reported
 * ("Conditional jump or move depends on uninitialised value(s)", "Use of
 * uninitialised value").  The operations run on them are the TLS 1.3
 * engine's (tls13_crypto.c, tls13_hs.c, tls13_sig.c, tls13_ticket.c over
 * BearSSL): the key schedule, record protection both ways with the tag
 * check, Finished verification, ECDH for each group with the all-zero
 * check, SHA-512's compression on both paths (tls13_sha512.c), X25519
 * key generation (tls13_x25519.c's fixed-base
 * multiplication and its ladder, on both paths: tls13_x25519_adx.c's
 * BMI2 and ADX code too), ECDSA and RSA-PSS signing, ticket
 * sealing and opening, and the project's P-256 (tls13_p256.c: mulgen,
 * mul, on both paths of its field products, tls13_u256.h's and
 * tls13_u256_adx.h's; tls13_p256_ecdsa.c: the signer) on their own,
 * secret scalars and keys of every length the callers use, and the
 * divsteps inversion under them (tls13_inv.c) on its own for each of
 * its moduli.  Results that are public by design (a tag that matched or
 * not, a Finished that did, a ticket that opened) are marked defined
 * before they are tested, as the engine tests them; the one test on a
 * secret that the engine makes inside a function is listed in ct.supp
 * with the reason.
 *
 * Built without sanitizers (valgrind cannot run them) and run by meson
 * as `valgrind --error-exitcode=1 --suppressions=ct.supp ct_check`: it
 * passes when memcheck reports nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "certs.h"
#include "tls13_int.h"
#include "tls13_inv.h"
#include "tls13_sig.h"
#include "tls13_x25519.h"
#include "znet/err.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

/* tls13_hs.c's flight writer calls these; nothing here writes a flight. */
void zn__tls13_set_write(struct zn__tls13 *e, const uint8_t *secret) {
  (void)e;
  (void)secret;
  abort();
}

void zn__tls13_seal_out(struct zn__tls13 *e, uint8_t type, size_t len) {
  (void)e;
  (void)type;
  (void)len;
  abort();
}

static int failures;

static void expect(bool ok, const char *what) {
  if (!ok) {
    printf("FAIL %s\n", what);
    failures++;
  }
}

/* Records both ways under a secret traffic secret, for each suite. */
static void records(void) {
  static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
  for (size_t i = 0; i < 3; i++) {
    const struct zn__tls13_suite *s = zn__tls13_suite(suites[i]);
    uint8_t secret[ZN__TLS13_MAX_HASH], rec[5 + 300 + 16];
    memset(secret, 0x5a, sizeof(secret));
    SECRET(secret, sizeof(secret));
    struct zn__tls13_keys wr, rd;
    zn__tls13_keys_set(&wr, s, secret);
    zn__tls13_keys_set(&rd, s, secret);
    memset(rec + 5, 0x11, 300);
    rec[5 + 299] = 23;
    size_t n = zn__tls13_seal(&wr, rec, 300);
    PUBLIC(rec, n); /* the ciphertext goes on the wire */
    bool ok = zn__tls13_open(&rd, rec, n - 5);
    PUBLIC(&ok, sizeof(ok));
    expect(ok, "a sealed record opens");
    rec[10] ^= 1;
    rd.seq--;
    ok = zn__tls13_open(&rd, rec, n - 5);
    PUBLIC(&ok, sizeof(ok));
    expect(!ok, "a flipped record does not");
    /* §7.2's next secret and keys, still secret. */
    uint8_t next[ZN__TLS13_MAX_HASH];
    zn__tls13_expand_label(s, secret, "traffic upd", NULL, 0, next,
                           s->hash_len);
    zn__tls13_keys_set(&wr, s, next);
  }
}

/* The handshake's key schedule from a secret (EC)DHE output and PSK,
 * and Finished verified as the engines verify it. */
static void schedule_and_finished(void) {
  const struct zn__tls13_suite *s = zn__tls13_suite(0x1301);
  uint8_t shared[32], psk[32], early[32], secret[32], th[32], c_hs[32];
  uint8_t s_hs[32], mac[32], peer[32];
  memset(shared, 7, sizeof(shared));
  memset(psk, 9, sizeof(psk));
  memset(th, 3, sizeof(th));
  SECRET(shared, sizeof(shared));
  SECRET(psk, sizeof(psk));
  zn__tls13_early_secret(s, psk, early);
  zn__tls13_binder(s, early, th, mac);
  zn__tls13_handshake_secret(s, early, shared, sizeof(shared), secret);
  zn__tls13_handshake_traffic(s, secret, th, c_hs, s_hs);
  zn__tls13_finished_mac(s, s_hs, th, mac);
  memcpy(peer, mac, sizeof(peer));
  PUBLIC(peer, sizeof(peer)); /* what the peer sent */
  bool ok = zn__tls13_ct_equal(peer, mac, sizeof(mac));
  PUBLIC(&ok, sizeof(ok));
  expect(ok, "Finished matches");
  peer[31] ^= 1;
  ok = zn__tls13_ct_equal(peer, mac, sizeof(mac));
  PUBLIC(&ok, sizeof(ok));
  expect(!ok, "a wrong Finished does not");
}

/* ECDH for each group from a secret private key (its all-zero check is
 * the one declassification, ct.supp). */
static void ecdh(void) {
  static uint8_t seed[32] = {1};
  br_hmac_drbg_context rng;
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  for (size_t i = 0; i < 3; i++) {
    uint16_t g = zn__tls13_groups[i];
    uint8_t sk1[48], sk2[48], pub1[97], pub2[97], sh1[66], sh2[66];
    size_t l1 = 0, l2 = 0, p1 = 0, p2 = 0, n1 = 0, n2 = 0;
    expect(zn__tls13_keygen(&rng, g, sk1, &l1, pub1, &p1) &&
               zn__tls13_keygen(&rng, g, sk2, &l2, pub2, &p2),
           "keygen");
    SECRET(sk1, l1);
    SECRET(sk2, l2);
    PUBLIC(pub1, p1);
    PUBLIC(pub2, p2);
    struct zn__tls13_bytes b1 = {pub1, p1}, b2 = {pub2, p2};
    int a1 = zn__tls13_ecdh(g, sk1, l1, b2, sh1, &n1);
    int a2 = zn__tls13_ecdh(g, sk2, l2, b1, sh2, &n2);
    PUBLIC(&a1, sizeof(a1));
    PUBLIC(&a2, sizeof(a2));
    bool same =
        a1 == 0 && a2 == 0 && n1 == n2 && zn__tls13_ct_equal(sh1, sh2, n1);
    PUBLIC(&same, sizeof(same));
    expect(same, "both sides agree");
  }
}

/* SHA-512's compression of a secret state over secret blocks on both
 * paths (tls13_sha512.c): the portable one, which the classes take
 * where the CPU has no AVX and BMI2, and that one where it has (the
 * key schedule above ran it for TLS_AES_256_GCM_SHA384). */
static void sha512_blocks(void) {
  uint64_t v[2][8];
  uint8_t msg[2 * 128];
  memset(v, 0x3c, sizeof(v));
  memset(msg, 0xa5, sizeof(msg));
  SECRET(v, sizeof(v));
  SECRET(msg, sizeof(msg));
  zn__tls_sha512_blocks_c(v[0], msg, 2);
  if (zn__tls_sha512_fast())
    zn__tls_sha512_blocks_x86ext(v[1], msg, 2);
  else
    zn__tls_sha512_blocks_c(v[1], msg, 2);
  bool same = zn__tls13_ct_equal((const uint8_t *)v[0], (const uint8_t *)v[1],
                                 sizeof(v[0]));
  PUBLIC(&same, sizeof(same));
  expect(same, "both SHA-512 compressions agree");
}

/* X25519 key shares from secret scalars: the fixed-base multiplication
 * (its table lookups, digit signs and Edwards arithmetic) and the ladder
 * with the base point, which must agree, and the ladder with a peer's
 * random share, each on both paths
 * (tls13_x25519.h): the portable one and the BMI2 and ADX one.  The
 * latter runs under valgrind whatever the CPU (valgrind decodes mulx,
 * adcx and adox itself, and hides ADX from CPUID, so that zn__x25519
 * would never choose it here); natively only where the CPU has them.
 * keygen above makes its scalar before it can be marked; here it is
 * marked first.  Random scalars and the edges: all zeros, all ones,
 * nibbles of 8 (every digit -8 with a carry). */
static void x25519_base(void) {
  static const uint8_t nine[32] = {9}, fills[3] = {0x00, 0xff, 0x88};
  static uint8_t seed[32] = {2};
  bool adx = RUNNING_ON_VALGRIND || zn__x25519_has_adx();
  br_hmac_drbg_context rng;
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  for (int i = 0; i < 8; i++) {
    uint8_t k[32], u[32], fixed[3][32], ladder[3][32], shared[2][32];
    br_hmac_drbg_generate(&rng, k, sizeof(k));
    br_hmac_drbg_generate(&rng, u, sizeof(u)); /* a peer's share */
    if (i < 3)
      memset(k, fills[i], sizeof(k));
    SECRET(k, sizeof(k));
    zn__x25519_base(fixed[0], k);
    zn__x25519(ladder[0], k, nine);
    zn__x25519_base_c(fixed[1], k);
    zn__x25519_c(ladder[1], k, nine);
    memcpy(fixed[2], fixed[1], 32);
    memcpy(ladder[2], ladder[1], 32);
    zn__x25519_c(shared[0], k, u);
    memcpy(shared[1], shared[0], 32);
    if (adx) {
      zn__x25519_base_adx(fixed[2], k);
      zn__x25519_adx(ladder[2], k, nine);
      zn__x25519_adx(shared[1], k, u);
    }
    PUBLIC(fixed, sizeof(fixed)); /* public keys */
    PUBLIC(ladder, sizeof(ladder));
    PUBLIC(shared, sizeof(shared)); /* checked as the engine checks it */
    for (int p = 0; p < 3; p++)
      expect(memcmp(fixed[p], fixed[0], 32) == 0 &&
                 memcmp(ladder[p], fixed[0], 32) == 0,
             "fixed-base X25519 is the ladder's, on every path");
    expect(memcmp(shared[0], shared[1], 32) == 0,
           "X25519 of a peer's share alike on both paths");
  }
}

/* Signing with secret keys: ECDSA P-256 and RSA-PSS (RSA-2048). */
static void signing(void) {
  const char *pems[2][2] = {{ZT_PEM_SERVER_EC_PEM, ZT_PEM_SERVER_EC_KEY},
                            {ZT_PEM_SERVER_RSA_PEM, ZT_PEM_SERVER_RSA_KEY}};
  for (int k = 0; k < 2; k++) {
    size_t need = 0;
    struct zn_tls_creds *cr = NULL;
    const char *c = pems[k][0], *key = pems[k][1];
    expect(zn_tls_creds_measure(c, strlen(c), key, strlen(key), &need, NULL) ==
               ZN_OK,
           "creds measure");
    void *mem = malloc(need);
    expect(zn_tls_creds_init(c, strlen(c), key, strlen(key), mem, need, &cr,
                             NULL) == ZN_OK,
           "creds");
    if (cr->is_ec) {
      SECRET(cr->ec.x, cr->ec.xlen);
    } else {
      SECRET(cr->rsa.p, cr->rsa.plen);
      SECRET(cr->rsa.q, cr->rsa.qlen);
      SECRET(cr->rsa.dp, cr->rsa.dplen);
      SECRET(cr->rsa.dq, cr->rsa.dqlen);
      SECRET(cr->rsa.iq, cr->rsa.iqlen);
    }
    uint8_t content[ZN__TLS13_CV_CONTENT_MAX], th[32], rnd[64],
        sig[ZN__TLS13_SIG_MAX];
    memset(th, 1, sizeof(th));
    memset(rnd, 2, sizeof(rnd));
    SECRET(rnd, sizeof(rnd)); /* the PSS salt */
    size_t clen = zn__tls13_cv_content(true, th, sizeof(th), content);
    uint16_t scheme = cr->is_ec ? ZN__TLS13_SIG_ecdsa_secp256r1_sha256
                                : ZN__TLS13_SIG_rsa_pss_rsae_sha256;
    size_t n = zn__tls13_sign(scheme, cr->is_ec ? &cr->ec : NULL,
                              cr->is_ec ? NULL : &cr->rsa, content, clen, rnd,
                              sig, sizeof(sig));
    PUBLIC(&n, sizeof(n));
    expect(n > 0, "a signature");
    free(mem);
  }
}

/* The project's P-256 with secret scalars: k G, k P for a public P
 * (ECDHE's two steps), scalars of 32 bytes and shorter; and its ECDSA
 * signer with a secret key (signing() goes through it too, by
 * zn__tls13_sign). */
static void p256(void) {
  const int c = BR_EC_secp256r1;
  uint8_t k[32], q[65], p[65];
  static const size_t lens[] = {32, 20, 8};
  for (size_t i = 0; i < 3; i++) {
    size_t len = lens[i];
    memset(k, 0x3c, sizeof(k));
    k[0] = 0x7c;
    SECRET(k, sizeof(k));
    size_t n = zn__tls_ec.mulgen(q, k + 32 - len, len, c);
    PUBLIC(q, sizeof(q)); /* a public key */
    expect(n == 65 && zn__p256_point_check(q, 65), "P-256 mulgen");
    memcpy(p, q, sizeof(p));
    uint32_t ok = zn__tls_ec.mul(p, 65, k + 32 - len, len, c);
    PUBLIC(&ok, sizeof(ok));
    PUBLIC(p, sizeof(p)); /* the shared secret, checked as the engine
                             checks it */
    expect(ok == 1 && zn__p256_point_check(p, 65), "P-256 mul");
  }
  uint8_t x[32], h[32], sig[64];
  memset(x, 0x42, sizeof(x));
  memset(h, 0x17, sizeof(h));
  SECRET(x, sizeof(x));
  br_ec_private_key sk = {c, x, sizeof(x)};
  size_t n = zn__p256_ecdsa_sign(&br_sha256_vtable, h, &sk, sig);
  PUBLIC(&n, sizeof(n));
  PUBLIC(sig, sizeof(sig)); /* the signature leaves */
  expect(n == 64, "P-256 ECDSA signature");
}

/* The divsteps division (tls13_inv.c) on its own, for each modulus, with
 * a secret divisor and dividend (the P-256 signer's 1/k, mulgen's 1/Z
 * and X25519's 1/z are its callers, run above): values of every kind, 0
 * (whose quotient is 0), 1, m - 1, a power of two and a mixed one, so
 * that a branch taken only on some of them would show.  The results are
 * checked once public where they are known: 1/0 = 0, 1/1 = 1 and
 * 1/(m - 1) = m - 1; the others not 0. */
static void inversions(void) {
  static const struct zn__inv_mod *const mods[3] = {
      &zn__inv_p256_p, &zn__inv_p256_n, &zn__inv_p25519};
  for (int k = 0; k < 3; k++) {
    const int64_t *ml = mods[k]->m;
    const uint64_t m[4] = {(uint64_t)ml[0] | (uint64_t)ml[1] << 62,
                           (uint64_t)ml[1] >> 2 | (uint64_t)ml[2] << 60,
                           (uint64_t)ml[2] >> 4 | (uint64_t)ml[3] << 58,
                           (uint64_t)ml[3] >> 6 | (uint64_t)ml[4] << 56};
    const uint64_t values[5][4] = {{0, 0, 0, 0},
                                   {1, 0, 0, 0},
                                   {m[0] - 1, m[1], m[2], m[3]},
                                   {0, 0, 1ull << 40, 0},
                                   {0x0123456789abcdef, 0xfedcba9876543210,
                                    0x0f1e2d3c4b5a6978, m[3] >> 1}};
    for (int i = 0; i < 5; i++) {
      uint64_t a[4], b[4] = {1, 0, 0, 0}, r[4];
      memcpy(a, values[i], sizeof(a));
      SECRET(a, sizeof(a));
      SECRET(b, sizeof(b));
      zn__inv_div(r, a, b, mods[k]);
      PUBLIC(r, sizeof(r));
      PUBLIC(a, sizeof(a));
      /* 1/1 = 1, 1/(m - 1) = m - 1, 1/0 = 0 */
      if (i < 3)
        expect(memcmp(r, a, sizeof(r)) == 0, "an inversion");
      else
        expect((r[0] | r[1] | r[2] | r[3]) != 0, "an inversion");
    }
  }
}

/* Tickets sealed and opened under a secret ticket key. */
static void tickets(void) {
  static _Alignas(max_align_t) uint8_t mem[4096];
  uint8_t secret[32];
  memset(secret, 0x33, sizeof(secret));
  SECRET(secret, sizeof(secret)); /* copied into the ticket keys */
  struct zn_tls_tickets *tk = NULL;
  expect(zn_tls_tickets_mem_size() <= sizeof(mem) &&
             zn_tls_tickets_init(mem, sizeof(mem), secret, 3600, &tk) == ZN_OK,
         "tickets");
  struct zn__tls13_ticket t, back;
  memset(&t, 0, sizeof(t));
  t.suite = 0x1301;
  t.issued_ms = 1000;
  t.psk_len = 32;
  memset(t.psk, 0x44, sizeof(t.psk));
  SECRET(t.psk, sizeof(t.psk));
  uint8_t nonce[12] = {5}, out[ZN__TLS13_TICKET_MAX];
  size_t n = zn__tls13_ticket_seal(tk, &t, nonce, out, sizeof(out));
  PUBLIC(out, n);
  PUBLIC(&n, sizeof(n));
  bool ok = n > 0 && zn__tls13_ticket_open(tk, out, n, 2000, &back);
  PUBLIC(&ok, sizeof(ok));
  expect(ok, "a ticket opens");
  out[n / 2] ^= 1;
  ok = zn__tls13_ticket_open(tk, out, n, 2000, &back);
  PUBLIC(&ok, sizeof(ok));
  expect(!ok, "a flipped ticket does not");
}

int main(void) {
  records();
  schedule_and_finished();
  ecdh();
  sha512_blocks();
  x25519_base();
  signing();
  /* P-256 on its own on each path of the field's products: the portable
   * ones, and BMI2 and ADX's (valgrind runs them, as for X25519). */
  zn__p256_set_impl(ZN__P256_C);
  p256();
  if (RUNNING_ON_VALGRIND ||
      zn__tls_cpu_has(ZN__TLS_CPU_BMI2 | ZN__TLS_CPU_ADX)) {
    zn__p256_set_impl(ZN__P256_ADX);
    p256();
  }
  zn__p256_set_impl(ZN__P256_AUTO);
  inversions();
  tickets();
  printf("%s\n", failures ? "ct_check: failed" : "ct_check: ok");
  return failures ? 1 : 0;
}
