/*
 * The BearSSL side of libznet-tls, shared by its two files: the engine
 * (tls_bearssl.c) and the credentials it reads (tls_creds.c, which
 * decodes PEM into these structures in the caller's memory).
 */
#ifndef ZNET_TLS_BEARSSL_H
#define ZNET_TLS_BEARSSL_H

#include <bearssl.h>

#include "tls_int.h"

/* A server's chain and key; the DER and key bytes follow the struct in
 * the caller's block. */
struct zn_tls_creds {
  br_x509_certificate *chain; /* chain_len entries, the server's first */
  uint32_t chain_len;
  bool is_ec;
  br_ec_private_key ec;       /* is_ec */
  br_rsa_private_key rsa;     /* !is_ec */
  unsigned issuer_key_type;   /* BR_KEYTYPE_RSA or _EC: the leaf's signer */
  /* The OCSP response stapled to TLS 1.3 handshakes (the caller's bytes,
   * zn_tls_creds_set_ocsp); NULL, 0: none.  A handshake reads the pair
   * once, when it writes its Certificate. */
  const uint8_t *ocsp;
  size_t ocsp_len;
};

struct zn_tls_anchors {
  br_x509_trust_anchor *ta;
  uint32_t n;
};

struct zn_tls_session_cache {
  br_ssl_session_cache_lru lru;
  /* the entries follow */
};

/* A client's chain validation (RFC 5280 as BearSSL's minimal engine
 * does it): cfg's anchors, SHA-2 signatures, RSA of 2048 bits and up,
 * the time now (s since the epoch). */
void zn__tls_x509_init(br_x509_minimal_context *xc,
                       const struct zn_tls_config *cfg, uint64_t now);
/* What one of BearSSL's X.509 codes (BR_ERR_X509_*) means. */
enum zn_tls_failure zn__tls_x509_failure(int code);
/* A BearSSL client that wrote its ClientHello, which was not sent: take
 * hello (len bytes, a whole handshake message) as the one it sent. */
void zn__tls_bearssl_adopt_hello(void *state, const uint8_t *hello,
                                 size_t len);

#endif /* ZNET_TLS_BEARSSL_H */
