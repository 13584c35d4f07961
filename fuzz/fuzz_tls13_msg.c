/*
 * The TLS 1.3 handshake-message parsers of libznet-tls (tls/tls13_msg.c)
 * against hostile bytes.  No stack, no BearSSL: the parsers only.
 *
 * Input: one handshake message, its 4-byte header included (the seeds
 * are real ones: RFC 8448's, ClientHellos of openssl, gnutls and curl,
 * malformed variants).  It goes, in an exact-size copy so that ASan sees
 * any read past its end,
 *   - to every parser as it is: all but the one its type names answer
 *     unexpected_message;
 *   - to every parser once more with the type byte rewritten to that
 *     parser's, so that every input reaches every parser's body;
 *   - to the iterators and zn__tls13_has_u16 as a raw list, which they
 *     must walk to an end without reading out of it.
 *
 * Checks: every answer is 0 or an alert the parser may give
 * (decode_error, illegal_parameter; missing_extension from
 * CertificateRequest), and a header whose length is not the input's is
 * decode_error.  A message that parses: every view lies inside it and
 * where the format puts it; every list it returned walks to its end
 * through the iterators with entries in their ranges (ALPN names 1..255
 * bytes, binders 32..255, identities and key_exchange at least one, no
 * group twice among the key shares, as many identities as binders);
 * 2-byte lists are even; `seen` has only the extensions the message
 * allows and every field it filled has its bit; values are in their
 * ranges (record_size_limit >= 64, max_fragment_length 1..4, a selected
 * version >= 0x0304, lifetime <= 604800, a KeyUpdate 0 or 1); a
 * ClientHello's status_request_ocsp is set exactly when its
 * status_request (found in the raw bytes) has status_type ocsp, whose
 * two lists then fill the body; a ClientHello's binders end it at
 * binders_at; a CertificateVerify written back from its fields is the
 * input.  The message with a byte
 * appended, or its last byte cut, header fixed, is then decode_error.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tls13_msg.h"

enum {
  DECODE = ZN__TLS13_ALERT_decode_error,
  ILLEGAL = ZN__TLS13_ALERT_illegal_parameter,
  UNEXPECTED = ZN__TLS13_ALERT_unexpected_message,
  MISSING = ZN__TLS13_ALERT_missing_extension,
};

/* The `seen` bits of the extensions allowed where. */
static uint64_t allowed(unsigned where) {
  static const unsigned w[ZN__TLS13_NEXT] = {
#define FZ_WHERE_(n, t, wh) wh,
      ZN__TLS13_EXTENSIONS(FZ_WHERE_)
#undef FZ_WHERE_
  };
  uint64_t m = 0;
  for (int i = 0; i < ZN__TLS13_NEXT; i++)
    if (w[i] & where)
      m |= 1ull << i;
  return m;
}

static uint32_t rd(const uint8_t *p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* v lies inside the message. */
static bool inside(const uint8_t *m, size_t len, struct zn__tls13_bytes v) {
  if (v.len == 0)
    return true;
  return v.p >= m && v.len <= len && (size_t)(v.p - m) <= len - v.len;
}

/* v is the contents of the vector whose lb-byte length is just before
 * it, inside the message. */
static bool vec_at(const uint8_t *m, size_t len, struct zn__tls13_bytes v,
                   size_t lb) {
  return v.p != NULL && inside(m, len, v) && (size_t)(v.p - m) >= lb &&
         rd(v.p - lb, lb) == v.len;
}

/* A list of 2-byte values: even, at least one, read in order. */
static void check_u16_list(const uint8_t *m, size_t len,
                           struct zn__tls13_bytes l, size_t lb) {
  struct zn__tls13_bytes all = l;
  uint16_t v = 0;
  size_t n = 0;
  FZ_CHECK(vec_at(m, len, l, lb) && l.len >= 2 && l.len % 2 == 0);
  while (zn__tls13_next_u16(&l, &v)) {
    FZ_CHECK(v == rd(all.p + 2 * n, 2));
    n++;
  }
  FZ_CHECK(l.len == 0 && 2 * n == all.len);
  /* (Linear: not for every value.) */
  FZ_CHECK(zn__tls13_has_u16(all, v) &&
           zn__tls13_has_u16(all, (uint16_t)rd(all.p, 2)));
}

/* The key shares walk whole, key_exchange >= 1, no group twice. */
static void check_shares(const uint8_t *m, size_t len,
                         struct zn__tls13_bytes l) {
  static uint8_t bits[8192];
  struct zn__tls13_bytes kx;
  uint16_t g;
  memset(bits, 0, sizeof(bits));
  while (l.len > 0) {
    FZ_CHECK(zn__tls13_next_share(&l, &g, &kx));
    FZ_CHECK(kx.len >= 1 && inside(m, len, kx));
    FZ_CHECK(!(bits[g / 8] & (1u << (g % 8))));
    bits[g / 8] |= (uint8_t)(1u << (g % 8));
  }
  FZ_CHECK(!zn__tls13_next_share(&l, &g, &kx));
}

/* ALPN's ProtocolNameList: names of 1..255 bytes, to its end; how many. */
static size_t check_names(const uint8_t *m, size_t len,
                          struct zn__tls13_bytes l) {
  struct zn__tls13_bytes name;
  size_t n = 0;
  while (l.len > 0) {
    FZ_CHECK(zn__tls13_next_name(&l, &name));
    FZ_CHECK(name.len >= 1 && name.len <= 255 && inside(m, len, name));
    n++;
  }
  return n;
}

/* §4.2.11: identities and binders walk whole, as many of each; the
 * binders end the message at binders_at. */
static void check_psk(const uint8_t *m, size_t len,
                      const struct zn__tls13_client_hello *ch) {
  struct zn__tls13_bytes ids = ch->psk_identities, bs = ch->psk_binders, v;
  uint32_t age;
  size_t nid = 0, nb = 0;
  FZ_CHECK(vec_at(m, len, ids, 2) && ids.len >= 7);
  FZ_CHECK(vec_at(m, len, bs, 2) && bs.len >= 33);
  FZ_CHECK(ch->binders_at + 2 == (size_t)(bs.p - m));
  FZ_CHECK(ch->binders_at + 2 + bs.len == len);
  FZ_CHECK(ids.p + ids.len == m + ch->binders_at);
  while (ids.len > 0) {
    FZ_CHECK(zn__tls13_next_identity(&ids, &v, &age));
    FZ_CHECK(v.len >= 1 && inside(m, len, v));
    nid++;
  }
  while (bs.len > 0) {
    FZ_CHECK(zn__tls13_next_binder(&bs, &v));
    FZ_CHECK(v.len >= 32 && v.len <= 255 && inside(m, len, v));
    nb++;
  }
  FZ_CHECK(nid == nb && nid >= 1);
}

/* Each field is filled exactly when its extension was seen. */
#define FZ_SEEN(x, name) (((x)->seen & ZN__TLS13_SEEN(name)) != 0)

static void check_ch_fixed(const uint8_t *m, size_t len,
                           const struct zn__tls13_client_hello *ch) {
  FZ_CHECK(ch->legacy_version == rd(m + 4, 2) && ch->random == m + 6);
  FZ_CHECK(ch->session_id.len <= 32 && vec_at(m, len, ch->suites, 2));
  FZ_CHECK(ch->session_id.len == 0 || ch->session_id.p == m + 39);
  FZ_CHECK(ch->suites.p == m + 39 + ch->session_id.len + 2);
  FZ_CHECK(ch->suites.len >= 2 && ch->suites.len % 2 == 0);
  FZ_CHECK(vec_at(m, len, ch->compression, 1) && ch->compression.len >= 1);
  FZ_CHECK(ch->compression.p == ch->suites.p + ch->suites.len + 1);
  FZ_CHECK((ch->seen & ~allowed(ZN__TLS13_IN_CH)) == 0);
}

static void check_ch_lists(const uint8_t *m, size_t len,
                           const struct zn__tls13_client_hello *ch) {
  if (FZ_SEEN(ch, supported_versions))
    check_u16_list(m, len, ch->versions, 1);
  if (FZ_SEEN(ch, supported_groups))
    check_u16_list(m, len, ch->groups, 2);
  if (FZ_SEEN(ch, signature_algorithms))
    check_u16_list(m, len, ch->sig_algs, 2);
  if (FZ_SEEN(ch, signature_algorithms_cert))
    check_u16_list(m, len, ch->sig_algs_cert, 2);
  if (FZ_SEEN(ch, key_share))
    check_shares(m, len, ch->shares);
  FZ_CHECK(FZ_SEEN(ch, key_share) || ch->shares.len == 0);
  FZ_CHECK(FZ_SEEN(ch, alpn) == (ch->alpn.len > 0));
  if (FZ_SEEN(ch, alpn))
    FZ_CHECK(vec_at(m, len, ch->alpn, 2) && check_names(m, len, ch->alpn));
  FZ_CHECK(FZ_SEEN(ch, pre_shared_key) == (ch->psk_binders.len > 0));
  if (FZ_SEEN(ch, pre_shared_key))
    check_psk(m, len, ch);
  else
    FZ_CHECK(ch->binders_at == 0 && ch->psk_identities.len == 0);
}

static void check_ch_values(const uint8_t *m, size_t len,
                            const struct zn__tls13_client_hello *ch) {
  FZ_CHECK(ch->server_name.len <= 255 && inside(m, len, ch->server_name));
  FZ_CHECK(FZ_SEEN(ch, server_name) || ch->server_name.len == 0);
  FZ_CHECK(ch->server_name.len == 0 || vec_at(m, len, ch->server_name, 2));
  FZ_CHECK(FZ_SEEN(ch, cookie) == (ch->cookie.len > 0));
  FZ_CHECK(ch->cookie.len == 0 || vec_at(m, len, ch->cookie, 2));
  FZ_CHECK(ch->psk_modes <= 3);
  FZ_CHECK(FZ_SEEN(ch, psk_key_exchange_modes) || ch->psk_modes == 0);
  FZ_CHECK(FZ_SEEN(ch, record_size_limit) == (ch->record_size_limit != 0));
  FZ_CHECK(ch->record_size_limit == 0 || ch->record_size_limit >= 64);
  FZ_CHECK(FZ_SEEN(ch, max_fragment_length) == (ch->max_fragment_length != 0));
  FZ_CHECK(ch->max_fragment_length <= 4);
}

/* The body of the extension of this type in a ClientHello that parsed
 * (its block whole), found by walking the raw bytes: false if none. */
static bool ch_ext_body(const uint8_t *m, size_t len,
                        const struct zn__tls13_client_hello *ch, unsigned type,
                        struct zn__tls13_bytes *body) {
  size_t at = (size_t)(ch->compression.p - m) + ch->compression.len + 2;
  while (at + 4 <= len) {
    size_t n = rd(m + at + 2, 2);
    if (rd(m + at, 2) == type) {
      body->p = m + at + 4;
      body->len = n;
      return at + 4 + n <= len;
    }
    at += 4 + n;
  }
  return false;
}

/* RFC 6066 §8: the flag is set exactly for a status_request of type
 * ocsp, whose responder_id_list and request_extensions fill its body. */
static void check_ch_status(const uint8_t *m, size_t len,
                            const struct zn__tls13_client_hello *ch) {
  struct zn__tls13_bytes b = {NULL, 0};
  bool found = ch_ext_body(m, len, ch, 5, &b);
  FZ_CHECK(found == FZ_SEEN(ch, status_request));
  FZ_CHECK(!found || b.len >= 1);
  FZ_CHECK(ch->status_request_ocsp == (found && b.p[0] == 1));
  if (!ch->status_request_ocsp)
    return;
  FZ_CHECK(b.len >= 5);
  size_t ids = rd(b.p + 1, 2);
  FZ_CHECK(3 + ids + 2 <= b.len && 3 + ids + 2 + rd(b.p + 3 + ids, 2) == b.len);
}

static int run_ch(const uint8_t *m, size_t len) {
  struct zn__tls13_client_hello ch;
  int err = zn__tls13_parse_client_hello(m, len, &ch);
  if (err == 0) {
    check_ch_fixed(m, len, &ch);
    check_ch_lists(m, len, &ch);
    check_ch_values(m, len, &ch);
    check_ch_status(m, len, &ch);
  }
  return err;
}

static void check_sh13(const uint8_t *m, size_t len,
                       const struct zn__tls13_server_hello *sh) {
  FZ_CHECK(sh->version >= 0x0304);
  FZ_CHECK(
      (sh->seen & ~allowed(sh->hrr ? ZN__TLS13_IN_HRR : ZN__TLS13_IN_SH)) == 0);
  FZ_CHECK(FZ_SEEN(sh, key_share) || sh->share_group == 0);
  FZ_CHECK(FZ_SEEN(sh, pre_shared_key) || sh->psk_identity == 0);
  if (sh->hrr) {
    FZ_CHECK(sh->share.len == 0);
    FZ_CHECK(FZ_SEEN(sh, cookie) == (sh->cookie.len > 0));
    FZ_CHECK(sh->cookie.len == 0 || vec_at(m, len, sh->cookie, 2));
  } else {
    FZ_CHECK(sh->cookie.len == 0);
    FZ_CHECK(FZ_SEEN(sh, key_share) == (sh->share.len > 0));
    FZ_CHECK(sh->share.len == 0 || vec_at(m, len, sh->share, 2));
  }
}

static int run_sh(const uint8_t *m, size_t len) {
  struct zn__tls13_server_hello sh;
  int err = zn__tls13_parse_server_hello(m, len, &sh);
  if (err != 0)
    return err;
  FZ_CHECK(sh.legacy_version == rd(m + 4, 2) && sh.random == m + 6);
  FZ_CHECK(sh.hrr == (memcmp(m + 6, zn__tls13_hrr_random, 32) == 0));
  FZ_CHECK(sh.session_id.len <= 32 && inside(m, len, sh.session_id));
  FZ_CHECK(sh.suite == rd(m + 39 + sh.session_id.len, 2));
  FZ_CHECK(sh.compression == m[41 + sh.session_id.len]);
  if (FZ_SEEN(&sh, supported_versions)) {
    check_sh13(m, len, &sh);
  } else { /* not TLS 1.3's: nothing read from the extensions */
    FZ_CHECK(sh.version == 0 && sh.share_group == 0 && sh.share.len == 0);
    FZ_CHECK(sh.cookie.len == 0 && sh.psk_identity == 0);
  }
  return 0;
}

static int run_ee(const uint8_t *m, size_t len) {
  struct zn__tls13_encrypted_extensions ee;
  int err = zn__tls13_parse_encrypted_extensions(m, len, &ee);
  if (err != 0)
    return err;
  FZ_CHECK((ee.seen & ~allowed(ZN__TLS13_IN_EE)) == 0);
  FZ_CHECK(FZ_SEEN(&ee, alpn) == (ee.alpn.len > 0));
  FZ_CHECK(ee.alpn.len <= 255);
  FZ_CHECK(ee.alpn.len == 0 || vec_at(m, len, ee.alpn, 1));
  FZ_CHECK(FZ_SEEN(&ee, record_size_limit) == (ee.record_size_limit != 0));
  FZ_CHECK(ee.record_size_limit == 0 || ee.record_size_limit >= 64);
  FZ_CHECK(FZ_SEEN(&ee, max_fragment_length) == (ee.max_fragment_length != 0));
  FZ_CHECK(ee.max_fragment_length <= 4);
  if (FZ_SEEN(&ee, supported_groups))
    check_u16_list(m, len, ee.groups, 2);
  else
    FZ_CHECK(ee.groups.len == 0);
  return 0;
}

static int run_cr(const uint8_t *m, size_t len) {
  struct zn__tls13_certificate_request cr;
  int err = zn__tls13_parse_certificate_request(m, len, &cr);
  if (err != 0)
    return err;
  FZ_CHECK((cr.seen & ~allowed(ZN__TLS13_IN_CR)) == 0);
  FZ_CHECK(cr.context.len <= 255);
  FZ_CHECK(cr.context.len == 0 || cr.context.p == m + 5);
  check_u16_list(m, len, cr.sig_algs, 2);
  if (FZ_SEEN(&cr, signature_algorithms_cert))
    check_u16_list(m, len, cr.sig_algs_cert, 2);
  else
    FZ_CHECK(cr.sig_algs_cert.len == 0);
  return 0;
}

/* Written back from its fields, a CertificateVerify is the input. */
static int run_cv(const uint8_t *m, size_t len) {
  struct zn__tls13_certificate_verify cv;
  int err = zn__tls13_parse_certificate_verify(m, len, &cv);
  if (err != 0)
    return err;
  FZ_CHECK(cv.signature.len >= 1 && len == 8 + cv.signature.len);
  FZ_CHECK(m[0] == ZN__TLS13_HS_certificate_verify &&
           rd(m + 1, 3) == 4 + cv.signature.len);
  FZ_CHECK(rd(m + 4, 2) == cv.scheme && rd(m + 6, 2) == cv.signature.len);
  FZ_CHECK(cv.signature.p == m + 8);
  return 0;
}

static int run_nst(const uint8_t *m, size_t len) {
  struct zn__tls13_new_session_ticket nst;
  int err = zn__tls13_parse_new_session_ticket(m, len, &nst);
  if (err != 0)
    return err;
  FZ_CHECK(nst.lifetime == rd(m + 4, 4) && nst.lifetime <= 604800);
  FZ_CHECK(nst.age_add == rd(m + 8, 4));
  FZ_CHECK(nst.nonce.len == m[12]);
  FZ_CHECK(nst.nonce.len == 0 || nst.nonce.p == m + 13);
  FZ_CHECK(vec_at(m, len, nst.ticket, 2) && nst.ticket.len >= 1);
  FZ_CHECK(nst.ticket.p == m + 15 + nst.nonce.len);
  FZ_CHECK((nst.seen & ~allowed(ZN__TLS13_IN_NST)) == 0);
  FZ_CHECK(FZ_SEEN(&nst, early_data) || nst.max_early_data == 0);
  return 0;
}

static int run_ku(const uint8_t *m, size_t len) {
  bool req = true;
  int err = zn__tls13_parse_key_update(m, len, &req);
  if (err != 0)
    return err;
  FZ_CHECK(len == 5 && m[4] <= 1 && req == (m[4] == 1));
  return 0;
}

static const struct parser {
  uint8_t type;
  int (*run)(const uint8_t *m, size_t len);
} parsers[] = {
    {ZN__TLS13_HS_client_hello, run_ch},
    {ZN__TLS13_HS_server_hello, run_sh},
    {ZN__TLS13_HS_encrypted_extensions, run_ee},
    {ZN__TLS13_HS_certificate_request, run_cr},
    {ZN__TLS13_HS_certificate_verify, run_cv},
    {ZN__TLS13_HS_new_session_ticket, run_nst},
    {ZN__TLS13_HS_key_update, run_ku},
};
#define NPARSERS (sizeof(parsers) / sizeof(parsers[0]))

/* The parser's answer is one it may give for this input. */
static void check_verdict(const struct parser *p, const uint8_t *m, size_t len,
                          int err) {
  if (len >= 1 && m[0] != p->type) {
    FZ_CHECK(err == UNEXPECTED);
    return;
  }
  FZ_CHECK(err == 0 || err == DECODE || err == ILLEGAL ||
           (err == MISSING && p->type == ZN__TLS13_HS_certificate_request));
  if (len < 4 || rd(m + 1, 3) != len - 4)
    FZ_CHECK(err == DECODE);
  FZ_CHECK(err == 0 || strcmp(zn__tls13_alert_name(err), "?") != 0);
}

/* A message that parsed, one byte longer or shorter (its header fixed),
 * does not: every parser wants its message exact. */
static void check_exact(const struct parser *p, const uint8_t *m, size_t len) {
  uint8_t *c = malloc(len + 1);
  FZ_CHECK(c != NULL);
  memcpy(c, m, len);
  c[len] = 0;
  size_t n = len + 1 - 4;
  c[1] = (uint8_t)(n >> 16), c[2] = (uint8_t)(n >> 8), c[3] = (uint8_t)n;
  if (n < (1u << 24))
    FZ_CHECK(p->run(c, len + 1) == DECODE);
  n = len - 1 - 4;
  c[1] = (uint8_t)(n >> 16), c[2] = (uint8_t)(n >> 8), c[3] = (uint8_t)n;
  FZ_CHECK(p->run(c, len - 1) == DECODE);
  free(c);
}

/* The iterators over any bytes: each entry inside, the walk ends. */
static void check_iterators(const uint8_t *d, size_t len) {
  struct zn__tls13_bytes l, v;
  uint16_t u;
  uint32_t age;
  size_t n = 0;
  for (l = (struct zn__tls13_bytes){d, len}; zn__tls13_next_u16(&l, &u);)
    FZ_CHECK(++n <= len / 2);
  for (l = (struct zn__tls13_bytes){d, len}; zn__tls13_next_share(&l, &u, &v);)
    FZ_CHECK(v.len >= 1 && inside(d, len, v));
  for (l = (struct zn__tls13_bytes){d, len}; zn__tls13_next_name(&l, &v);)
    FZ_CHECK(v.len >= 1 && v.len <= 255 && inside(d, len, v));
  for (l = (struct zn__tls13_bytes){d, len};
       zn__tls13_next_identity(&l, &v, &age);)
    FZ_CHECK(v.len >= 1 && inside(d, len, v));
  for (l = (struct zn__tls13_bytes){d, len}; zn__tls13_next_binder(&l, &v);)
    FZ_CHECK(v.len >= 32 && v.len <= 255 && inside(d, len, v));
  l = (struct zn__tls13_bytes){d, len};
  (void)zn__tls13_has_u16(l, len >= 2 ? (uint16_t)rd(d + len - 2, 2) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *m = malloc(size ? size : 1);
  FZ_CHECK(m != NULL);
  if (size > 0)
    memcpy(m, data, size);
  for (size_t i = 0; i < NPARSERS; i++)
    check_verdict(&parsers[i], m, size, parsers[i].run(m, size));
  for (size_t i = 0; size > 0 && i < NPARSERS; i++) {
    m[0] = parsers[i].type;
    int err = parsers[i].run(m, size);
    check_verdict(&parsers[i], m, size, err);
    if (err == 0)
      check_exact(&parsers[i], m, size);
  }
  if (size > 0)
    memcpy(m, data, size);
  check_iterators(m, size);
  free(m);
  return 0;
}
