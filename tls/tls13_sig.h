/*
 * TLS 1.3's signatures (RFC 8446 §4.2.3, §4.4.3): the signature schemes
 * a CertificateVerify may use, the content it signs, signing with a
 * server's key and verifying with a peer's, over BearSSL's ECDSA and raw
 * RSA.  BearSSL 0.6 has no RSA-PSS, which TLS 1.3 requires for RSA keys
 * (rsa_pss_rsae_*): its encoding (EMSA-PSS, RFC 8017 §9.1, with MGF1 over
 * the same hash and a salt as long as the hash) is written here, the
 * RSA operation is BearSSL's constant-time one.
 */
#ifndef ZNET_TLS13_SIG_H
#define ZNET_TLS13_SIG_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SignatureScheme values (§4.2.3) the engines sign or verify with. */
enum zn__tls13_scheme {
  ZN__TLS13_SIG_rsa_pkcs1_sha256 = 0x0401, /* certificates only */
  ZN__TLS13_SIG_rsa_pkcs1_sha384 = 0x0501,
  ZN__TLS13_SIG_rsa_pkcs1_sha512 = 0x0601,
  ZN__TLS13_SIG_ecdsa_secp256r1_sha256 = 0x0403,
  ZN__TLS13_SIG_ecdsa_secp384r1_sha384 = 0x0503,
  ZN__TLS13_SIG_ecdsa_secp521r1_sha512 = 0x0603,
  ZN__TLS13_SIG_rsa_pss_rsae_sha256 = 0x0804,
  ZN__TLS13_SIG_rsa_pss_rsae_sha384 = 0x0805,
  ZN__TLS13_SIG_rsa_pss_rsae_sha512 = 0x0806,
};

/* The longest content §4.4.3 signs: 64 spaces, the context string
 * ("TLS 1.3, server CertificateVerify" or the client's), a zero byte,
 * the transcript hash (at most 48 bytes). */
#define ZN__TLS13_CV_CONTENT_MAX (64 + 33 + 1 + 48)

/* The longest signature: RSA-4096 (512 bytes); an ECDSA P-384 one in DER
 * is at most 104. */
#define ZN__TLS13_SIG_MAX 512

/* §4.4.3: the content a CertificateVerify signs, for the server's
 * (server true) or the client's, over transcript_hash (hash_len bytes).
 * Writes it into out (ZN__TLS13_CV_CONTENT_MAX bytes) and returns its
 * length. */
size_t zn__tls13_cv_content(bool server, const uint8_t *transcript_hash,
                            size_t hash_len, uint8_t *out);

/* The scheme a key signs a CertificateVerify with, given the peer's
 * signature_algorithms (its 2-byte values, len bytes): an EC key on P-256
 * ecdsa_secp256r1_sha256, on P-384 ecdsa_secp384r1_sha384 (§4.2.3 ties
 * the curve to the hash); an RSA key the first rsa_pss_rsae_* the peer
 * lists.  0 if the peer lists none that fits (handshake_failure). */
uint16_t zn__tls13_sig_choose(const br_ec_private_key *ec,
                              const br_rsa_private_key *rsa,
                              const uint8_t *peer_list, size_t len);

/* Sign content (len bytes) with scheme, by the EC key ec or the RSA key
 * rsa (the other NULL).  rnd holds 64 bytes of fresh randomness (the
 * PSS salt; ECDSA is deterministic, RFC 6979, and ignores it).  Writes
 * the signature into sig (cap bytes: ZN__TLS13_SIG_MAX is always
 * enough) and returns its length: DER for ECDSA, the modulus's length
 * for RSA.  0 if the scheme does not fit the key or the key fails. */
size_t zn__tls13_sign(uint16_t scheme, const br_ec_private_key *ec,
                      const br_rsa_private_key *rsa, const uint8_t *content,
                      size_t len, const uint8_t *rnd, uint8_t *sig, size_t cap);

/* Verify a CertificateVerify's signature over content (len bytes) with
 * the peer's public key (as BearSSL's X.509 engine gives it).  Only the
 * schemes §4.4.3 allows in a CertificateVerify (ECDSA with the curve's
 * own hash, RSA-PSS; never PKCS #1 v1.5) and that fit the key's type and
 * curve are accepted.  False for anything else (decrypt_error, or
 * illegal_parameter for a scheme the verifier did not offer: the
 * engine's call). */
bool zn__tls13_verify(uint16_t scheme, const br_x509_pkey *pk,
                      const uint8_t *content, size_t len, const uint8_t *sig,
                      size_t sig_len);

/* RSASSA-PSS (RFC 8017 §8.1) over a message's hash (hash's length),
 * MGF1 with the same hash, salt of the hash's length (salt, those
 * bytes): the signature into sig (the modulus's length in bytes, which
 * is returned; 0 if the key is too short for the encoding or fails). */
size_t zn__rsa_pss_sign(const br_hash_class *hash, const br_rsa_private_key *sk,
                        const uint8_t *msg_hash, const uint8_t *salt,
                        uint8_t *sig, size_t cap);

/* RSASSA-PSS verification (RFC 8017 §8.1.2, salt of the hash's length):
 * true if sig (sig_len bytes, which must be the modulus's length) is
 * msg_hash signed by pk's private key. */
bool zn__rsa_pss_verify(const br_hash_class *hash, const br_rsa_public_key *pk,
                        const uint8_t *msg_hash, const uint8_t *sig,
                        size_t sig_len);

#endif /* ZNET_TLS13_SIG_H */
