/*
 * Credentials for libznet-tls's BearSSL engine, decoded from PEM (RFC
 * 7468) into the caller's memory: a server's certificate chain and
 * private key, a client's trust anchors, and the server's session cache.
 *
 * PEM text goes through BearSSL's PEM decoder, whose output is streamed
 * into BearSSL's X.509 and private key decoders as it comes, so nothing
 * needs a buffer of its own.  Each *_init() decodes twice with one
 * function: a measuring pass that writes nothing and sizes the layout,
 * then a pass that fills it, so the sizes *_measure() reports are exactly
 * what *_init() uses.  Layouts: the struct, then its arrays, then bytes.
 *
 * A trust anchor is what a CA certificate says about itself: its subject
 * name (DER, as the minimal X.509 engine compares names), its public key,
 * and whether it is a CA (basic constraints) -- the usual conversion.
 *
 * The OCSP response a server staples (zn_tls_creds_set_ocsp) is not
 * decoded: the credentials point at the caller's DER, checked only for
 * its outer form, and the TLS 1.3 server sends it from there.
 */
#include "tls_bearssl.h"

#include <string.h>

#include "tls13_crypto.h"
#include "znet/err.h"
#include "znet/wipe.h"

/* The policy's RSA keys: 2048 to 4096 bits (BearSSL's own limit). */
#define RSA_MIN_BITS 2048u
#define RSA_MAX_BITS 4096u

/* ---- memory layout ---- */


/* A cursor over the bytes part of a block; base NULL: only counting. */
struct bytes {
  uint8_t *base;
  size_t used;
};

static uint8_t *bytes_put(struct bytes *b, const void *src, size_t len) {
  uint8_t *at = b->base ? b->base + b->used : NULL;
  if (at && len)
    memcpy(at, src, len);
  b->used += len;
  return at;
}

static void set_why(const char **why, const char *text) {
  if (why)
    *why = text;
}

/* The caller's block for a layout of need bytes: aligned, big enough,
 * then zeroed. */
static int block_check(void *mem, size_t len, size_t need, const char **why) {
  if (mem == NULL || !zn__tls_aligned(mem)) {
    set_why(why, "memory not aligned");
    return ZN_EINVAL;
  }
  if (len < need) {
    set_why(why, "memory too small");
    return ZN_ENOMEM;
  }
  memset(mem, 0, need);
  return ZN_OK;
}

/* ---- the PEM walk ---- */

/* What to do with the objects of one PEM text. */
struct pem_handler {
  /* At an object's start: set where its bytes go (br_pem_decoder_setdest)
   * or leave the discarding destination. */
  int (*begin)(void *arg, const char *name, br_pem_decoder_context *pc);
  /* At its end. */
  int (*end)(void *arg);
  void *arg;
};

static void discard(void *ctx, const void *src, size_t len) {
  (void)ctx;
  (void)src;
  (void)len;
}

static int pem_event(br_pem_decoder_context *pc, const struct pem_handler *h,
                     bool *in_obj, const char **why) {
  switch (br_pem_decoder_event(pc)) {
  case BR_PEM_BEGIN_OBJ:
    *in_obj = true;
    br_pem_decoder_setdest(pc, discard, NULL);
    return h->begin(h->arg, br_pem_decoder_name(pc), pc);
  case BR_PEM_END_OBJ:
    *in_obj = false;
    return h->end(h->arg);
  case BR_PEM_ERROR:
    set_why(why, "a PEM block does not decode");
    return ZN_EINVAL;
  default:
    return ZN_OK;
  }
}

/* Every object of [pem, pem+len) through h, with the decoder pc.  A
 * newline goes after the text, so that a last END line without one
 * still ends its object. */
static int pem_walk_with(br_pem_decoder_context *pc, const void *pem,
                         size_t len, const struct pem_handler *h,
                         const char **why) {
  bool in_obj = false;
  static const uint8_t nl = '\n';
  const uint8_t *parts[2] = {pem, &nl};
  const size_t lens[2] = {len, 1};
  for (int i = 0; i < 2; i++) {
    const uint8_t *p = parts[i];
    size_t n = lens[i];
    while (n > 0) {
      size_t k = br_pem_decoder_push(pc, p, n);
      p += k;
      n -= k;
      int rc = pem_event(pc, h, &in_obj, why);
      if (rc != ZN_OK)
        return rc;
    }
    int rc = pem_event(pc, h, &in_obj, why);
    if (rc != ZN_OK)
      return rc;
  }
  if (in_obj) {
    set_why(why, "a PEM block has no END line");
    return ZN_EINVAL;
  }
  return ZN_OK;
}

static int pem_walk(const void *pem, size_t len, const struct pem_handler *h,
                    const char **why) {
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  int rc = pem_walk_with(&pc, pem, len, h, why);
  zn_wipe(&pc, sizeof(pc)); /* its buffer held a private key's bytes */
  return rc;
}

/* ---- server credentials ---- */

struct creds_build {
  struct zn_tls_creds *c; /* NULL: measuring */
  struct bytes der;       /* the certificates' DER */
  uint32_t ncert;
  size_t cert_start; /* der.used at the current certificate's start */
  br_x509_decoder_context leaf;
  uint32_t nkey;
  br_skey_decoder_context key;
};

static void cert_bytes(void *ctx, const void *src, size_t len) {
  struct creds_build *b = ctx;
  bytes_put(&b->der, src, len);
  if (b->ncert == 0)
    br_x509_decoder_push(&b->leaf, src, len);
}

static int chain_begin(void *arg, const char *name,
                       br_pem_decoder_context *pc) {
  struct creds_build *b = arg;
  if (strcmp(name, "CERTIFICATE") != 0)
    return ZN_OK; /* other blocks are not ours */
  if (b->ncert == 0)
    br_x509_decoder_init(&b->leaf, NULL, NULL);
  b->cert_start = b->der.used;
  br_pem_decoder_setdest(pc, cert_bytes, b);
  return ZN_OK;
}

static int chain_end(void *arg) {
  struct creds_build *b = arg;
  size_t n = b->der.used - b->cert_start;
  if (n == 0)
    return ZN_OK; /* not a certificate block */
  if (b->c) {
    b->c->chain[b->ncert].data = b->der.base + b->cert_start;
    b->c->chain[b->ncert].data_len = n;
  }
  b->ncert++;
  return ZN_OK;
}

static void key_bytes(void *ctx, const void *src, size_t len) {
  br_skey_decoder_push(ctx, src, len);
}

static int key_begin(void *arg, const char *name, br_pem_decoder_context *pc) {
  struct creds_build *b = arg;
  if (strcmp(name, "EC PRIVATE KEY") != 0 &&
      strcmp(name, "RSA PRIVATE KEY") != 0 && strcmp(name, "PRIVATE KEY") != 0)
    return ZN_OK; /* "EC PARAMETERS" and the like */
  if (++b->nkey > 1)
    return ZN_EINVAL;
  br_skey_decoder_init(&b->key);
  br_pem_decoder_setdest(pc, key_bytes, &b->key);
  return ZN_OK;
}

static int key_end(void *arg) {
  (void)arg;
  return ZN_OK;
}

static size_t strip_zeros(const uint8_t **p, size_t n) {
  while (n > 0 && **p == 0) {
    (*p)++;
    n--;
  }
  return n;
}

/* The private key is the leaf certificate's: the same EC point, or the
 * same RSA modulus. */
static bool key_matches(const br_x509_pkey *pk,
                        const br_skey_decoder_context *kd) {
  if (br_skey_decoder_key_type(kd) == BR_KEYTYPE_EC) {
    const br_ec_private_key *sk = br_skey_decoder_get_ec(kd);
    uint8_t q[BR_EC_KBUF_PUB_MAX_SIZE];
    br_ec_public_key pub;
    size_t qlen = br_ec_compute_pub(&zn__tls_ec, &pub, q, sk);
    return pk->key_type == BR_KEYTYPE_EC && qlen != 0 &&
           pk->key.ec.curve == sk->curve && pk->key.ec.qlen == qlen &&
           memcmp(pk->key.ec.q, q, qlen) == 0;
  }
  const br_rsa_private_key *sk = br_skey_decoder_get_rsa(kd);
  uint8_t n[RSA_MAX_BITS / 8];
  /* i15: BearSSL 0.6's default (i31) fails on 4096-bit keys, its work
   * buffer too small; only public values are computed here. */
  size_t nlen = br_rsa_i15_compute_modulus(n, sk);
  if (pk->key_type != BR_KEYTYPE_RSA || nlen == 0)
    return false;
  const uint8_t *a = n;
  const uint8_t *c = pk->key.rsa.n;
  size_t la = strip_zeros(&a, nlen);
  size_t lc = strip_zeros(&c, pk->key.rsa.nlen);
  return la == lc && memcmp(a, c, la) == 0;
}

/* The policy's keys: EC on P-256 or P-384, RSA of 2048..4096 bits. */
static int key_allowed(const br_skey_decoder_context *kd, const char **why) {
  if (br_skey_decoder_key_type(kd) == BR_KEYTYPE_EC) {
    int curve = br_skey_decoder_get_ec(kd)->curve;
    if (curve == BR_EC_secp256r1 || curve == BR_EC_secp384r1)
      return ZN_OK;
    set_why(why, "EC key on a curve other than P-256 and P-384");
    return ZN_ENOTSUP;
  }
  uint32_t bits = br_skey_decoder_get_rsa(kd)->n_bitlen;
  if (bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS)
    return ZN_OK;
  set_why(why, "RSA key shorter than 2048 or longer than 4096 bits");
  return ZN_ENOTSUP;
}

static int check_chain_and_key(struct creds_build *b, const char **why) {
  if (b->ncert == 0) {
    set_why(why, "no certificate in the chain");
    return ZN_EINVAL;
  }
  const br_x509_pkey *pk = br_x509_decoder_get_pkey(&b->leaf);
  if (pk == NULL || br_x509_decoder_last_error(&b->leaf) != 0) {
    set_why(why, "the server certificate does not decode");
    return ZN_EINVAL;
  }
  if (b->nkey != 1) {
    set_why(why, b->nkey ? "more than one private key" : "no private key");
    return ZN_EINVAL;
  }
  if (br_skey_decoder_last_error(&b->key) != 0 ||
      br_skey_decoder_key_type(&b->key) == 0) {
    set_why(why, "the private key does not decode");
    return ZN_EINVAL;
  }
  int rc = key_allowed(&b->key, why);
  if (rc != ZN_OK)
    return rc;
  if (!key_matches(pk, &b->key)) {
    set_why(why, "the private key is not the certificate's");
    return ZN_ETLS;
  }
  return ZN_OK;
}

/* The key's numbers into the bytes after the DER (counted when
 * measuring). */
static void store_key(struct creds_build *b, struct bytes *kb) {
  struct zn_tls_creds *c = b->c;
  if (br_skey_decoder_key_type(&b->key) == BR_KEYTYPE_EC) {
    const br_ec_private_key *sk = br_skey_decoder_get_ec(&b->key);
    uint8_t *x = bytes_put(kb, sk->x, sk->xlen);
    if (c) {
      c->is_ec = true;
      c->ec.curve = sk->curve;
      c->ec.x = x;
      c->ec.xlen = sk->xlen;
    }
    return;
  }
  const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&b->key);
  br_rsa_private_key r = *sk;
  r.p = bytes_put(kb, sk->p, sk->plen);
  r.q = bytes_put(kb, sk->q, sk->qlen);
  r.dp = bytes_put(kb, sk->dp, sk->dplen);
  r.dq = bytes_put(kb, sk->dq, sk->dqlen);
  r.iq = bytes_put(kb, sk->iq, sk->iqlen);
  if (c) {
    c->is_ec = false;
    c->rsa = r;
  }
}

/* One pass; b->c and b->der.base set: filling. */
static int creds_pass(struct creds_build *b, const void *chain_pem,
                      size_t chain_len, const void *key_pem, size_t key_len,
                      const char **why) {
  const struct pem_handler ch = {chain_begin, chain_end, b};
  int rc = pem_walk(chain_pem, chain_len, &ch, why);
  if (rc != ZN_OK)
    return rc;
  const struct pem_handler kh = {key_begin, key_end, b};
  rc = pem_walk(key_pem, key_len, &kh, why);
  if (rc == ZN_EINVAL && b->nkey > 1)
    set_why(why, "more than one private key");
  return rc == ZN_OK ? check_chain_and_key(b, why) : rc;
}

static size_t creds_layout(uint32_t ncert, size_t der, size_t key) {
  return zn__tls_align_up(sizeof(struct zn_tls_creds)) +
         zn__tls_align_up(ncert * sizeof(br_x509_certificate)) + der + key;
}

/* The counting pass: sizes in b (ncert, der.used) and *key_len. */
static int creds_count(struct creds_build *b, const void *chain_pem,
                       size_t chain_len, const void *key_pem, size_t key_len,
                       size_t *key_bytes_len, const char **why) {
  memset(b, 0, sizeof(*b));
  set_why(why, NULL);
  if ((chain_pem == NULL && chain_len) || (key_pem == NULL && key_len))
    return ZN_EINVAL;
  int rc = creds_pass(b, chain_pem, chain_len, key_pem, key_len, why);
  if (rc != ZN_OK)
    return rc;
  struct bytes kb = {NULL, 0};
  store_key(b, &kb);
  *key_bytes_len = kb.used;
  return ZN_OK;
}

int zn_tls_creds_measure(const void *chain_pem, size_t chain_len,
                         const void *key_pem, size_t key_len, size_t *mem_size,
                         const char **why) {
  struct creds_build b;
  size_t kl;
  int rc = creds_count(&b, chain_pem, chain_len, key_pem, key_len, &kl, why);
  if (rc == ZN_OK)
    *mem_size = creds_layout(b.ncert, b.der.used, kl);
  zn_wipe(&b, sizeof(b)); /* its key decoder holds the private key */
  return rc;
}

/* zn_tls_creds_init, its passes' state in b (the caller wipes it). */
static int creds_fill(struct creds_build *b, const void *chain_pem,
                      size_t chain_len, const void *key_pem, size_t key_len,
                      void *mem, size_t len, struct zn_tls_creds **out,
                      const char **why) {
  size_t kl;
  int rc = creds_count(b, chain_pem, chain_len, key_pem, key_len, &kl, why);
  if (rc != ZN_OK)
    return rc;
  size_t need = creds_layout(b->ncert, b->der.used, kl);
  size_t der_off = zn__tls_align_up(sizeof(struct zn_tls_creds)) +
                   zn__tls_align_up(b->ncert * sizeof(br_x509_certificate));
  rc = block_check(mem, len, need, why);
  if (rc != ZN_OK)
    return rc;
  memset(b, 0, sizeof(*b));
  uint8_t *m = mem;
  b->c = mem;
  b->c->chain =
      (br_x509_certificate *)(void *)(m +
                                      zn__tls_align_up(sizeof(struct zn_tls_creds)));
  b->der.base = m + der_off;
  rc = creds_pass(b, chain_pem, chain_len, key_pem, key_len, why);
  if (rc != ZN_OK)
    return rc; /* cannot happen: the same text counted fine */
  b->c->chain_len = b->ncert;
  b->c->issuer_key_type =
      (unsigned)br_x509_decoder_get_signer_key_type(&b->leaf);
  struct bytes kb = {m + der_off + b->der.used, 0};
  store_key(b, &kb);
  *out = b->c;
  return ZN_OK;
}

int zn_tls_creds_init(const void *chain_pem, size_t chain_len,
                      const void *key_pem, size_t key_len, void *mem,
                      size_t len, struct zn_tls_creds **out, const char **why) {
  struct creds_build b;
  int rc = creds_fill(&b, chain_pem, chain_len, key_pem, key_len, mem, len, out,
                      why);
  zn_wipe(&b, sizeof(b)); /* its key decoder holds the private key */
  return rc;
}

bool zn_tls_creds_is_ec(const struct zn_tls_creds *c) { return c->is_ec; }

uint32_t zn_tls_creds_chain_len(const struct zn_tls_creds *c) {
  return c->chain_len;
}

/* ---- the OCSP response stapled (RFC 6960 §4.2.1) ---- */

/* One DER element (X.690 §10.1: a definite length, in its shortest
 * form; 3 bytes of it at most, ZN_TLS_OCSP_MAX needing 2) of this tag at
 * the front of [*p, end): its contents into *body and *len, *p past
 * it. */
static bool der_element(const uint8_t **p, const uint8_t *end, uint8_t tag,
                        const uint8_t **body, size_t *len) {
  const uint8_t *q = *p;
  size_t left = (size_t)(end - q), hdr = 2, n;
  if (left < 2 || q[0] != tag)
    return false;
  n = q[1];
  if (n & 0x80u) {
    size_t k = n & 0x7fu;
    if (k == 0 || k > 3 || left < 2 + k || q[2] == 0)
      return false;
    n = 0;
    for (size_t i = 0; i < k; i++)
      n = n << 8 | q[2 + i];
    if (n < 0x80u)
      return false; /* the short form was due */
    hdr = 2 + k;
  }
  if (n > left - hdr)
    return false;
  *body = q + hdr;
  *len = n;
  *p = q + hdr + n;
  return true;
}

/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes
 * [0] EXPLICIT ResponseBytes OPTIONAL }: all of der, successful (0),
 * with its responseBytes and nothing after them.  What is inside
 * responseBytes is the client's to check. */
static bool ocsp_response_plausible(const uint8_t *der, size_t len) {
  const uint8_t *p = der, *end = der + len, *seq, *status, *bytes;
  size_t seq_len, status_len, bytes_len;
  if (!der_element(&p, end, 0x30, &seq, &seq_len) || p != end)
    return false;
  p = seq;
  end = seq + seq_len;
  return der_element(&p, end, 0x0a, &status, &status_len) && status_len == 1 &&
         status[0] == 0 && der_element(&p, end, 0xa0, &bytes, &bytes_len) &&
         bytes_len > 0 && p == end;
}

int zn_tls_creds_set_ocsp(struct zn_tls_creds *creds, const void *der,
                          size_t len) {
  if (creds == NULL || (der == NULL && len > 0))
    return ZN_EINVAL;
  if (len == 0) {
    creds->ocsp = NULL;
    creds->ocsp_len = 0;
    return ZN_OK;
  }
  if (len > ZN_TLS_OCSP_MAX || !ocsp_response_plausible(der, len))
    return ZN_EINVAL;
  creds->ocsp = der;
  creds->ocsp_len = len;
  return ZN_OK;
}

/* ---- trust anchors ---- */

struct anchors_build {
  struct zn_tls_anchors *a; /* NULL: measuring */
  struct bytes bytes;       /* names and keys */
  uint32_t n, skipped;
  bool in_cert;
  size_t start; /* bytes.used at the certificate's start */
  br_x509_decoder_context dc;
};

static void anchor_dn(void *ctx, const void *src, size_t len) {
  bytes_put(&((struct anchors_build *)ctx)->bytes, src, len);
}

static void anchor_der(void *ctx, const void *src, size_t len) {
  br_x509_decoder_push(&((struct anchors_build *)ctx)->dc, src, len);
}

static int anchor_begin(void *arg, const char *name,
                        br_pem_decoder_context *pc) {
  struct anchors_build *b = arg;
  b->in_cert = strcmp(name, "CERTIFICATE") == 0;
  if (!b->in_cert)
    return ZN_OK;
  b->start = b->bytes.used;
  br_x509_decoder_init(&b->dc, anchor_dn, b);
  br_pem_decoder_setdest(pc, anchor_der, b);
  return ZN_OK;
}

/* The public key's numbers after the name. */
static void anchor_key(struct anchors_build *b, const br_x509_pkey *pk,
                       br_x509_trust_anchor *ta) {
  if (pk->key_type == BR_KEYTYPE_RSA) {
    uint8_t *n = bytes_put(&b->bytes, pk->key.rsa.n, pk->key.rsa.nlen);
    uint8_t *e = bytes_put(&b->bytes, pk->key.rsa.e, pk->key.rsa.elen);
    if (ta) {
      ta->pkey.key_type = BR_KEYTYPE_RSA;
      ta->pkey.key.rsa.n = n;
      ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
      ta->pkey.key.rsa.e = e;
      ta->pkey.key.rsa.elen = pk->key.rsa.elen;
    }
    return;
  }
  uint8_t *q = bytes_put(&b->bytes, pk->key.ec.q, pk->key.ec.qlen);
  if (ta) {
    ta->pkey.key_type = BR_KEYTYPE_EC;
    ta->pkey.key.ec.curve = pk->key.ec.curve;
    ta->pkey.key.ec.q = q;
    ta->pkey.key.ec.qlen = pk->key.ec.qlen;
  }
}

/* A certificate that does not decode, or whose key is neither RSA nor
 * EC, is skipped: its name is taken back. */
static int anchor_end(void *arg) {
  struct anchors_build *b = arg;
  if (!b->in_cert)
    return ZN_OK;
  b->in_cert = false;
  const br_x509_pkey *pk = br_x509_decoder_get_pkey(&b->dc);
  if (pk == NULL || br_x509_decoder_last_error(&b->dc) != 0 ||
      (pk->key_type != BR_KEYTYPE_RSA && pk->key_type != BR_KEYTYPE_EC)) {
    b->bytes.used = b->start;
    b->skipped++;
    return ZN_OK;
  }
  br_x509_trust_anchor *ta = b->a ? &b->a->ta[b->n] : NULL;
  if (ta) {
    ta->dn.data = b->bytes.base + b->start;
    ta->dn.len = b->bytes.used - b->start;
    ta->flags = br_x509_decoder_isCA(&b->dc) ? BR_X509_TA_CA : 0;
  }
  anchor_key(b, pk, ta);
  b->n++;
  return ZN_OK;
}

static int anchors_pass(struct anchors_build *b, const void *pem, size_t len,
                        const char **why) {
  const struct pem_handler h = {anchor_begin, anchor_end, b};
  int rc = pem_walk(pem, len, &h, why);
  if (rc == ZN_OK && b->n == 0) {
    set_why(why, "no usable CA certificate");
    rc = ZN_EINVAL;
  }
  return rc;
}

static size_t anchors_layout(uint32_t n, size_t bytes) {
  return zn__tls_align_up(sizeof(struct zn_tls_anchors)) +
         zn__tls_align_up(n * sizeof(br_x509_trust_anchor)) + bytes;
}

int zn_tls_anchors_measure(const void *pem, size_t len, size_t *mem_size,
                           uint32_t *skipped, const char **why) {
  struct anchors_build b;
  memset(&b, 0, sizeof(b));
  set_why(why, NULL);
  if (pem == NULL && len)
    return ZN_EINVAL;
  int rc = anchors_pass(&b, pem, len, why);
  if (skipped)
    *skipped = b.skipped;
  if (rc == ZN_OK)
    *mem_size = anchors_layout(b.n, b.bytes.used);
  return rc;
}

int zn_tls_anchors_init(const void *pem, size_t len, void *mem, size_t mem_len,
                        struct zn_tls_anchors **out, const char **why) {
  struct anchors_build b;
  memset(&b, 0, sizeof(b));
  set_why(why, NULL);
  if (pem == NULL && len)
    return ZN_EINVAL;
  int rc = anchors_pass(&b, pem, len, why);
  if (rc != ZN_OK)
    return rc;
  size_t need = anchors_layout(b.n, b.bytes.used);
  size_t bytes_off = zn__tls_align_up(sizeof(struct zn_tls_anchors)) +
                     zn__tls_align_up(b.n * sizeof(br_x509_trust_anchor));
  rc = block_check(mem, mem_len, need, why);
  if (rc != ZN_OK)
    return rc;
  memset(&b, 0, sizeof(b));
  uint8_t *m = mem;
  b.a = mem;
  b.a->ta = (br_x509_trust_anchor *)(void *)(m + zn__tls_align_up(sizeof(*b.a)));
  b.bytes.base = m + bytes_off;
  rc = anchors_pass(&b, pem, len, why);
  if (rc != ZN_OK)
    return rc; /* cannot happen: the same text counted fine */
  b.a->n = b.n;
  *out = b.a;
  return ZN_OK;
}

uint32_t zn_tls_anchors_count(const struct zn_tls_anchors *a) { return a->n; }

/* ---- session cache ---- */

/* BearSSL's LRU cache stores each session in 100 bytes. */
#define CACHE_ENTRY 100u

size_t zn_tls_session_cache_mem_size(uint32_t entries) {
  return zn__tls_align_up(sizeof(struct zn_tls_session_cache)) +
         (size_t)entries * CACHE_ENTRY;
}

int zn_tls_session_cache_init(void *mem, size_t len, uint32_t entries,
                              struct zn_tls_session_cache **out) {
  if (entries == 0 || mem == NULL || !zn__tls_aligned(mem))
    return ZN_EINVAL;
  if (len < zn_tls_session_cache_mem_size(entries))
    return ZN_ENOMEM;
  struct zn_tls_session_cache *c = mem;
  uint8_t *store = (uint8_t *)mem + zn__tls_align_up(sizeof(*c));
  br_ssl_session_cache_lru_init(&c->lru, store, (size_t)entries * CACHE_ENTRY);
  *out = c;
  return ZN_OK;
}
