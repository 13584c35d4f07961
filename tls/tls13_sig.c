/*
 * TLS 1.3's CertificateVerify signatures (RFC 8446 §4.2.3, §4.4.3):
 * the content signed, the choice of a scheme for our key, signing and
 * verifying.  ECDSA is BearSSL's (DER signatures, RFC 6979 nonces);
 * RSA-PSS is not in BearSSL 0.6, so RSASSA-PSS (RFC 8017 §8.1) and its
 * encoding EMSA-PSS (§9.1, MGF1 of §B.2.1 with the message's hash, the
 * salt as long as the hash, as §4.2.3 requires) are written here over
 * BearSSL's raw RSA operations.
 *
 * Constant time.  The secrets are the private keys and the nonces made
 * from them.  Every operation that computes with them is BearSSL's
 * constant-time code or the project's: the RSA private operation
 * (br_rsa_private: i62, i31 or i15, CRT with constant-time modular
 * exponentiation), ECDSA signing (P-256 by zn__p256_ecdsa_sign,
 * tls13_p256_ecdsa.c, with its own fault checks; P-384 and P-521 by
 * br_ecdsa_i31_sign_asn1 over zn__tls_ec: RFC 6979 nonces, BearSSL's
 * curve arithmetic) and, for the fault check, the modulus p * q
 * (br_rsa_i15_compute_modulus).  The one exception is
 * br_rsa_compute_pubexp, whose early exits test the key's form (p = 3
 * mod 4, dp odd, the factors' lengths): facts fixed for the key, the
 * same on every call, and it runs only for a key whose e is neither
 * 65537 nor 3, or after a fault.  EMSA-PSS handles only the message's
 * hash (public) and the salt (secret until the signature leaves, then
 * public): every step over them (hashing, MGF1's xor, copies) takes the
 * same path whatever their value.  Verification works on public data
 * only; its comparison of H with H' is constant-time all the same.
 *
 * Faults.  A CRT signature computed with one half wrong gives the
 * factorisation of n away (Boneh, DeMillo and Lipton), so a signature
 * leaves only once the public operation has turned it back into the
 * encoded message.  BearSSL's private key holds no e: 65537 and 3 are
 * tried, then the exponent BearSSL recomputes from p and dp (possible
 * when p and q are 3 mod 4).  A key whose e is none of those cannot sign.
 * A P-256 ECDSA signature, deterministic (RFC 6979) and so as exposed to
 * a fault, is checked where it is made (tls13_p256_ecdsa.c: R on the
 * curve, s k = e + r d); P-384 and P-521 ones, BearSSL's, are not.
 *
 * Policy.  zn__tls13_verify refuses RSA keys under 2048 bits, as the
 * TLS 1.2 client does (tls_bearssl.c's MIN_RSA_BYTES); zn__rsa_pss_verify
 * has no size policy (RFC 8448's example key has 1024 bits).
 */
#include "tls13_sig.h"

#include <string.h>

#include "tls13_crypto.h"

/* The longest hash EMSA-PSS handles here: SHA-512's. */
#define HASH_MAX 64

/* The longest RSA modulus, bytes: BearSSL's 4096 bits. */
#define RSA_MAX_BYTES ZN__TLS13_SIG_MAX

/* A peer's RSA key in a CertificateVerify has at least this many bits. */
#define VERIFY_MIN_RSA_BITS 2048u

/* BearSSL's ECDSA signature buffer: DER of P-521's r and s fits. */
#define ECDSA_DER_MAX (2 * 66 + 12)

/* §4.4.3's context strings; both are 33 bytes. */
#define CV_PAD_LEN 64
#define CV_CONTEXT_LEN 33
static const char cv_server[] = "TLS 1.3, server CertificateVerify";
static const char cv_client[] = "TLS 1.3, client CertificateVerify";

enum key_kind {
  KIND_EC = 1,
  KIND_RSA = 2, /* rsa_pss_rsae_*: an rsaEncryption key signing PSS */
};

/* A scheme §4.4.3 lets a CertificateVerify use and we implement. */
struct scheme {
  uint16_t id;
  uint8_t kind;  /* enum key_kind */
  uint8_t curve; /* BR_EC_*, KIND_EC only: §4.2.3 ties it to the hash */
  const br_hash_class *hash;
};

/* rsa_pkcs1_* are absent: §4.4.3 forbids them in CertificateVerify;
 * rsa_pss_pss_* are absent: they need a PSS-only key (RFC 4055), which
 * the credentials never hold. */
static const struct scheme schemes[] = {
    {ZN__TLS13_SIG_ecdsa_secp256r1_sha256, KIND_EC, BR_EC_secp256r1,
     &zn__tls_sha256_vtable},
    {ZN__TLS13_SIG_ecdsa_secp384r1_sha384, KIND_EC, BR_EC_secp384r1,
     &zn__tls_sha384_vtable},
    {ZN__TLS13_SIG_ecdsa_secp521r1_sha512, KIND_EC, BR_EC_secp521r1,
     &zn__tls_sha512_vtable},
    {ZN__TLS13_SIG_rsa_pss_rsae_sha256, KIND_RSA, 0, &zn__tls_sha256_vtable},
    {ZN__TLS13_SIG_rsa_pss_rsae_sha384, KIND_RSA, 0, &zn__tls_sha384_vtable},
    {ZN__TLS13_SIG_rsa_pss_rsae_sha512, KIND_RSA, 0, &zn__tls_sha512_vtable},
};

static const struct scheme *scheme_find(uint16_t id) {
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
    if (schemes[i].id == id)
      return &schemes[i];
  return NULL;
}

static size_t digest_len(const br_hash_class *hash) {
  return (size_t)(hash->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
}

static void hash_of(const br_hash_class *hash, const uint8_t *data, size_t len,
                    uint8_t *out) {
  br_hash_compat_context hc;
  hash->init(&hc.vtable);
  hash->update(&hc.vtable, data, len);
  hash->out(&hc.vtable, out);
}

/* ---- EMSA-PSS (RFC 8017 §9.1), sLen = hLen ---- */

/* §B.2.1: buf ^= MGF1(seed, len), the mask being the hashes of
 * seed || C for the 4-byte counters C = 0, 1, ...  The seed is always
 * H, hLen bytes. */
static void mgf1_xor(const br_hash_class *hash, const uint8_t *seed,
                     uint8_t *buf, size_t len) {
  size_t hlen = digest_len(hash);
  uint8_t block[HASH_MAX];
  br_hash_compat_context hc;
  for (uint32_t c = 0; len > 0; c++) {
    const uint8_t ctr[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16),
                            (uint8_t)(c >> 8), (uint8_t)c};
    hash->init(&hc.vtable);
    hash->update(&hc.vtable, seed, hlen);
    hash->update(&hc.vtable, ctr, sizeof(ctr));
    hash->out(&hc.vtable, block);
    size_t n = len < hlen ? len : hlen;
    for (size_t i = 0; i < n; i++)
      buf[i] ^= block[i];
    buf += n;
    len -= n;
  }
}

/* §9.1.1 steps 5-6 (§9.1.2 steps 12-13): H = Hash(M'), M' being eight
 * zero bytes, mHash and the salt. */
static void m_prime_hash(const br_hash_class *hash, const uint8_t *m_hash,
                         const uint8_t *salt, uint8_t *out) {
  static const uint8_t zeros[8];
  size_t hlen = digest_len(hash);
  br_hash_compat_context hc;
  hash->init(&hc.vtable);
  hash->update(&hc.vtable, zeros, sizeof(zeros));
  hash->update(&hc.vtable, m_hash, hlen);
  hash->update(&hc.vtable, salt, hlen);
  hash->out(&hc.vtable, out);
}

/* §9.1.1 step 3 (and §9.1.2's): room for H, the salt, 0x01 and 0xbc. */
static bool em_len_fits(const br_hash_class *hash, size_t em_len) {
  size_t hlen = digest_len(hash);
  return hlen > 0 && hlen <= HASH_MAX && em_len >= 2 * hlen + 2;
}

/* The bits of EM's first byte above emBits (§9.1.1 step 11). */
static uint8_t em_top_mask(size_t em_bits) {
  size_t em_len = (em_bits + 7) / 8;
  return (uint8_t) ~(0xffu >> (8 * em_len - em_bits));
}

/* §9.1.1 EMSA-PSS-ENCODE: EM (ceil(emBits/8) bytes) of mHash with salt.
 * False if EM is too short for the hash (step 3). */
static bool emsa_pss_encode(const br_hash_class *hash, const uint8_t *m_hash,
                            const uint8_t *salt, size_t em_bits, uint8_t *em) {
  size_t hlen = digest_len(hash);
  size_t em_len = (em_bits + 7) / 8;
  if (!em_len_fits(hash, em_len))
    return false;
  size_t db_len = em_len - hlen - 1;
  size_t ps_len = db_len - hlen - 1;
  uint8_t *h = em + db_len;
  m_prime_hash(hash, m_hash, salt, h); /* steps 5-6 */
  memset(em, 0, ps_len);               /* steps 7-8: DB = PS||01||salt */
  em[ps_len] = 0x01;
  memcpy(em + ps_len + 1, salt, hlen);
  mgf1_xor(hash, h, em, db_len);           /* steps 9-10 */
  em[0] &= (uint8_t)~em_top_mask(em_bits); /* step 11 */
  em[em_len - 1] = 0xbc;                   /* step 12 */
  return true;
}

/* §9.1.2 step 10: DB is PS (zeros) then 0x01 then the salt. */
static bool db_well_formed(const uint8_t *db, size_t ps_len) {
  uint8_t acc = 0;
  for (size_t i = 0; i < ps_len; i++)
    acc |= db[i];
  return acc == 0 && db[ps_len] == 0x01;
}

/* §9.1.2 EMSA-PSS-VERIFY of EM (ceil(emBits/8) bytes, unmasked in
 * place) against mHash. */
static bool emsa_pss_verify(const br_hash_class *hash, const uint8_t *m_hash,
                            uint8_t *em, size_t em_bits) {
  size_t hlen = digest_len(hash);
  size_t em_len = (em_bits + 7) / 8;
  if (!em_len_fits(hash, em_len) || em[em_len - 1] != 0xbc) /* steps 3-4 */
    return false;
  size_t db_len = em_len - hlen - 1;
  const uint8_t *h = em + db_len; /* step 5 */
  uint8_t top = em_top_mask(em_bits);
  if (em[0] & top) /* step 6 */
    return false;
  mgf1_xor(hash, h, em, db_len); /* steps 7-8 */
  em[0] &= (uint8_t)~top;        /* step 9 */
  if (!db_well_formed(em, db_len - hlen - 1))
    return false;
  uint8_t h2[HASH_MAX];
  m_prime_hash(hash, m_hash, em + db_len - hlen, h2); /* steps 11-13 */
  return zn__tls13_ct_equal(h, h2, hlen);             /* step 14 */
}

/* ---- RSASSA-PSS (RFC 8017 §8.1) ---- */

/* The modulus without its leading zero bytes; its length. */
static size_t modulus_trim(const br_rsa_public_key *pk, const uint8_t **n) {
  const uint8_t *p = pk->n;
  size_t len = pk->nlen;
  while (len > 0 && *p == 0) {
    p++;
    len--;
  }
  *n = p;
  return len;
}

/* modBits of a modulus without leading zero bytes (len > 0). */
static size_t modulus_bits(const uint8_t *n, size_t len) {
  size_t bits = 8 * (len - 1);
  for (unsigned top = n[0]; top != 0; top >>= 1)
    bits++;
  return bits;
}

/* The public key the fault check builds from a private one. */
struct check_key {
  br_rsa_public_key pk; /* points at n and into e */
  uint8_t n[RSA_MAX_BYTES];
  uint8_t e[4];
};

/* Whether s^e mod n is the encoded message em (both ck->pk.nlen
 * bytes). */
static bool public_op_gives(struct check_key *ck, uint32_t e, const uint8_t *s,
                            const uint8_t *em) {
  size_t k = ck->pk.nlen;
  size_t skip = 0;
  for (int i = 0; i < 4; i++)
    ck->e[i] = (uint8_t)(e >> (24 - 8 * i));
  while (skip < 3 && ck->e[skip] == 0)
    skip++;
  ck->pk.e = ck->e + skip;
  ck->pk.elen = 4 - skip;
  uint8_t x[RSA_MAX_BYTES];
  memcpy(x, s, k);
  return br_rsa_public_get_default()(x, k, &ck->pk) == 1 &&
         memcmp(x, em, k) == 0;
}

/* The fault check (see the top of the file): the signature s (k bytes)
 * raised to the key's public exponent gives em back. */
static bool signature_checks(const br_rsa_private_key *sk, const uint8_t *s,
                             const uint8_t *em, size_t k) {
  struct check_key ck;
  /* i15's: BearSSL 0.6's i31 (the default) has too small a buffer for
   * 4096-bit keys and returns 0 for them; p * q costs little either way. */
  if (br_rsa_i15_compute_modulus(ck.n, sk) != k)
    return false;
  ck.pk.n = ck.n;
  ck.pk.nlen = k;
  if (public_op_gives(&ck, 65537, s, em) || public_op_gives(&ck, 3, s, em))
    return true;
  uint32_t e = br_rsa_compute_pubexp_get_default()(sk);
  return e != 0 && public_op_gives(&ck, e, s, em);
}

size_t zn__rsa_pss_sign(const br_hash_class *hash, const br_rsa_private_key *sk,
                        const uint8_t *msg_hash, const uint8_t *salt,
                        uint8_t *sig, size_t cap) {
  size_t mod_bits = sk->n_bitlen;
  size_t k = (mod_bits + 7) / 8;
  if (mod_bits < 2 || k > cap || k > RSA_MAX_BYTES)
    return 0;
  /* emBits = modBits - 1: EM is one byte short of k when modBits is
   * 8j + 1, and the octet string RSASP1 takes then starts with zero. */
  size_t em_bits = mod_bits - 1;
  size_t em_len = (em_bits + 7) / 8;
  sig[0] = 0;
  if (!emsa_pss_encode(hash, msg_hash, salt, em_bits, sig + k - em_len))
    return 0;
  uint8_t em[RSA_MAX_BYTES];
  memcpy(em, sig, k);
  if (br_rsa_private_get_default()(sig, sk) != 1 ||
      !signature_checks(sk, sig, em, k)) {
    memset(sig, 0, k); /* a faulty signature must not leave */
    return 0;
  }
  return k;
}

bool zn__rsa_pss_verify(const br_hash_class *hash, const br_rsa_public_key *pk,
                        const uint8_t *msg_hash, const uint8_t *sig,
                        size_t sig_len) {
  const uint8_t *n;
  size_t k = modulus_trim(pk, &n);
  if (k == 0 || k > RSA_MAX_BYTES || sig_len != k)
    return false;
  uint8_t em[RSA_MAX_BYTES];
  memcpy(em, sig, k);
  /* §8.1.2 step 2: RSAVP1 (BearSSL refuses s >= n), then I2OSP into
   * emLen bytes, which fails if the value does not fit (its top byte
   * is not zero when emLen < k). */
  if (br_rsa_public_get_default()(em, k, pk) != 1)
    return false;
  size_t em_bits = modulus_bits(n, k) - 1;
  size_t em_len = (em_bits + 7) / 8;
  if (em_len < k && em[0] != 0)
    return false;
  return emsa_pss_verify(hash, msg_hash, em + k - em_len, em_bits);
}

/* ---- TLS 1.3 ---- */

size_t zn__tls13_cv_content(bool server, const uint8_t *transcript_hash,
                            size_t hash_len, uint8_t *out) {
  if (hash_len > ZN__TLS13_MAX_HASH)
    return 0; /* not a transcript hash: out has no room for it */
  memset(out, 0x20, CV_PAD_LEN);
  memcpy(out + CV_PAD_LEN, server ? cv_server : cv_client, CV_CONTEXT_LEN);
  out[CV_PAD_LEN + CV_CONTEXT_LEN] = 0;
  memcpy(out + CV_PAD_LEN + CV_CONTEXT_LEN + 1, transcript_hash, hash_len);
  return CV_PAD_LEN + CV_CONTEXT_LEN + 1 + hash_len;
}

/* Whether an RSA key of mod_bits can sign EMSA-PSS with hash, within
 * BearSSL's 4096 bits. */
static bool rsa_fits(size_t mod_bits, const br_hash_class *hash) {
  return mod_bits >= 2 && (mod_bits + 7) / 8 <= RSA_MAX_BYTES &&
         em_len_fits(hash, (mod_bits - 1 + 7) / 8);
}

/* Whether our key (ec or rsa) can sign with s: an EC key on the
 * scheme's curve, which zn__tls_ec supports; an RSA key long enough for
 * the scheme's hash. */
static bool key_fits(const struct scheme *s, const br_ec_private_key *ec,
                     const br_rsa_private_key *rsa) {
  if (s->kind == KIND_EC)
    return ec != NULL && ec->curve == s->curve &&
           ((zn__tls_ec.supported_curves >> s->curve) & 1);
  return rsa != NULL && rsa_fits(rsa->n_bitlen, s->hash);
}

uint16_t zn__tls13_sig_choose(const br_ec_private_key *ec,
                              const br_rsa_private_key *rsa,
                              const uint8_t *peer_list, size_t len) {
  for (size_t i = 0; i + 1 < len; i += 2) {
    uint16_t id = (uint16_t)(peer_list[i] << 8 | peer_list[i + 1]);
    const struct scheme *s = scheme_find(id);
    if (s != NULL && key_fits(s, ec, rsa))
      return id;
  }
  return 0;
}

static size_t ecdsa_sign(const struct scheme *s, const br_ec_private_key *ec,
                         const uint8_t *h, uint8_t *sig, size_t cap) {
  uint8_t der[ECDSA_DER_MAX];
  size_t n = zn__tls_ecdsa_sign(&zn__tls_ec, s->hash, h, ec, der);
  if (n == 0 || n > cap)
    return 0;
  memcpy(sig, der, n);
  return n;
}

size_t zn__tls13_sign(uint16_t scheme, const br_ec_private_key *ec,
                      const br_rsa_private_key *rsa, const uint8_t *content,
                      size_t len, const uint8_t *rnd, uint8_t *sig,
                      size_t cap) {
  const struct scheme *s = scheme_find(scheme);
  if (s == NULL || !key_fits(s, ec, rsa))
    return 0;
  uint8_t h[HASH_MAX];
  hash_of(s->hash, content, len, h);
  if (s->kind == KIND_EC)
    return ecdsa_sign(s, ec, h, sig, cap);
  return zn__rsa_pss_sign(s->hash, rsa, h, rnd, sig, cap);
}

/* Whether the peer's key can have made a signature of s: EC on the
 * scheme's curve, RSA (rsaEncryption) within the policy's size. */
static bool peer_key_fits(const struct scheme *s, const br_x509_pkey *pk) {
  if (s->kind == KIND_EC)
    return pk->key_type == BR_KEYTYPE_EC && pk->key.ec.curve == s->curve;
  if (pk->key_type != BR_KEYTYPE_RSA)
    return false;
  const uint8_t *n;
  size_t k = modulus_trim(&pk->key.rsa, &n);
  return k > 0 && modulus_bits(n, k) >= VERIFY_MIN_RSA_BITS;
}

bool zn__tls13_verify(uint16_t scheme, const br_x509_pkey *pk,
                      const uint8_t *content, size_t len, const uint8_t *sig,
                      size_t sig_len) {
  const struct scheme *s = scheme_find(scheme);
  if (s == NULL || pk == NULL || !peer_key_fits(s, pk))
    return false;
  uint8_t h[HASH_MAX];
  hash_of(s->hash, content, len, h);
  if (s->kind == KIND_EC)
    return br_ecdsa_vrfy_asn1_get_default()(&zn__tls_ec, h, digest_len(s->hash),
                                            &pk->key.ec, sig, sig_len) == 1;
  return zn__rsa_pss_verify(s->hash, &pk->key.rsa, h, sig, sig_len);
}
