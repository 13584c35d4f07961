/*
 * TLS 1.3's handshake messages as bytes (RFC 8446 §4, with RFC 6066's
 * server_name, max_fragment_length and status_request, RFC 7301's ALPN
 * and RFC 8449's record_size_limit): the parsers of the messages a TLS
 * 1.3 engine reads.
 *
 * Every read goes through one cursor, a view (struct zn__tls13_bytes)
 * that take() shortens from the front: a length is only ever compared
 * with what is left of the view that holds it, never added to an offset,
 * so nothing can wrap, and a vector (take_vec) is checked against its
 * <min..max> and against its container before any byte of it is read.
 * Extension blocks go through one walker (walk_extensions): at most
 * ZN__TLS13_MAX_EXTENSIONS of them, no type twice (unknown types too), a
 * known one only in a message §4.2's table allows it in; then the
 * message's handler reads the body.  A list the caller will iterate is
 * checked here whole, entry by entry, with the functions its iterator
 * uses, so an iterator never stops early on a list a parser returned.
 *
 * Decisions where RFC 8446 names no alert or the rule is ours:
 * - a host_name longer than 255 bytes is illegal_parameter: it is
 *   well-formed (RFC 6066's HostName is <1..2^16-1>), but no DNS name is
 *   that long;
 * - a NewSessionTicket's lifetime above 604800 s is illegal_parameter
 *   (§4.6.1: "Servers MUST NOT use any value greater than 604800
 *   seconds"; mbed TLS refuses it the same way);
 * - a ServerHello without supported_versions is not TLS 1.3's (§4.1.3):
 *   it parses with version 0, its extensions checked for form only
 *   (lengths, count, no type twice), since a TLS 1.2 server may send ones
 *   §4.2 does not allow in a TLS 1.3 ServerHello.  The engine answers it
 *   (protocol_version, or the downgrade check on the random);
 * - supported_versions below 0x0304 in a ServerHello or a
 *   HelloRetryRequest is illegal_parameter (§4.2.1);
 * - EncryptedExtensions' ALPN with other than one name is
 *   illegal_parameter (RFC 7301 §3.1: "MUST contain exactly one");
 * - the TLS 1.2 extensions a ClientHello may carry are read as far as is
 *   plain: extended_master_secret, encrypt_then_mac,
 *   signed_certificate_timestamp and post_handshake_auth empty,
 *   ec_point_formats <1..2^8-1>, renegotiation_info <0..2^8-1>; the
 *   others (use_srtp, heartbeat, the certificate types, session_ticket,
 *   padding) are opaque;
 * - status_request (RFC 6066 §8) is read in a TLS 1.2 ClientHello as in
 *   a TLS 1.3 one, so a malformed one is decode_error either way; a
 *   status_type other than ocsp (1), which RFC 6066 defines no body for
 *   in this extension, is skipped after its type byte;
 * - a malformed extension block is decode_error whatever rule breaks
 *   in it (its form is checked first); otherwise the first problem met,
 *   in the order of the bytes, decides the alert.
 * §9.2's mandatory pairs (key_share with supported_groups, pre_shared_key
 * with psk_key_exchange_modes) hold only in a TLS 1.3 ClientHello, so
 * they are the engine's, which knows the version it chose.
 *
 * Freestanding: no libc but memset and memcmp.
 */
#include "tls13_msg.h"

#include <string.h>

enum {
  DECODE = ZN__TLS13_ALERT_decode_error,
  ILLEGAL = ZN__TLS13_ALERT_illegal_parameter,
};

/* §4.6.1: a ticket lives at most 7 days. */
#define MAX_TICKET_LIFETIME 604800u
/* RFC 8449 §4: the least record_size_limit. */
#define MIN_RECORD_SIZE_LIMIT 64u
/* A DNS name's longest (RFC 1035 §2.3.4), for the host_name. */
#define MAX_HOST_NAME 255u
/* §4.2.1: TLS 1.3's version number. */
#define TLS13_VERSION 0x0304u

_Static_assert(ZN__TLS13_NEXT <= 64, "seen is a 64-bit mask");

const uint8_t zn__tls13_hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

/* "DOWNGRD" and 01. */
const uint8_t zn__tls13_downgrade_tls12[8] = {0x44, 0x4f, 0x57, 0x4e,
                                              0x47, 0x52, 0x44, 0x01};

static const struct {
  uint8_t code;
  const char *name;
} alerts[] = {
#define ALERT_(n, c) {c, #n},
    ZN__TLS13_ALERTS(ALERT_)
#undef ALERT_
};

const char *zn__tls13_alert_name(int code) {
  for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
    if (alerts[i].code == code)
      return alerts[i].name;
  return "?";
}

/* The known extensions, indexed by their bit in `seen`. */
static const struct {
  uint16_t type;
  uint8_t where;
} known[ZN__TLS13_NEXT] = {
#define EXT_(n, t, w) {t, w},
    ZN__TLS13_EXTENSIONS(EXT_)
#undef EXT_
};

/* ---- the cursor ---------------------------------------------------- */

/* n bytes off the front of *in into *out; false, *in unchanged, if fewer
 * are left. */
static bool take(struct zn__tls13_bytes *in, size_t n,
                 struct zn__tls13_bytes *out) {
  if (in->len < n)
    return false;
  out->p = in->p;
  out->len = n;
  if (n > 0) { /* p may be NULL on an empty view: no arithmetic on it */
    in->p += n;
    in->len -= n;
  }
  return true;
}

/* An n-byte (1 to 4) big-endian integer off the front of *in. */
static bool take_uint(struct zn__tls13_bytes *in, size_t n, uint32_t *v) {
  struct zn__tls13_bytes b;
  if (!take(in, n, &b))
    return false;
  *v = 0;
  for (size_t i = 0; i < n; i++)
    *v = *v << 8 | b.p[i];
  return true;
}

static bool take_u8(struct zn__tls13_bytes *in, uint8_t *v) {
  uint32_t x;
  if (!take_uint(in, 1, &x))
    return false;
  *v = (uint8_t)x;
  return true;
}

static bool take_u16(struct zn__tls13_bytes *in, uint16_t *v) {
  uint32_t x;
  if (!take_uint(in, 2, &x))
    return false;
  *v = (uint16_t)x;
  return true;
}

/* A vector <min..max> (§3.4): its length in lb bytes, then its bytes
 * into *out.  False, *in unchanged, if the length is out of its range
 * or passes the end of *in. */
static bool take_vec(struct zn__tls13_bytes *in, size_t lb, size_t min,
                     size_t max, struct zn__tls13_bytes *out) {
  struct zn__tls13_bytes rest = *in;
  uint32_t n;
  if (!take_uint(&rest, lb, &n) || n < min || n > max || !take(&rest, n, out))
    return false;
  *in = rest;
  return true;
}

/* in is exactly one such vector, nothing after it. */
static bool whole_vec(struct zn__tls13_bytes in, size_t lb, size_t min,
                      size_t max, struct zn__tls13_bytes *out) {
  return take_vec(&in, lb, min, max, out) && in.len == 0;
}

/* ---- list entries: one off the front, *list unchanged on failure ---- */

/* KeyShareEntry (§4.2.8). */
static bool share_entry(struct zn__tls13_bytes *list, uint16_t *group,
                        struct zn__tls13_bytes *key_exchange) {
  struct zn__tls13_bytes rest = *list;
  if (!take_u16(&rest, group) || !take_vec(&rest, 2, 1, 0xffff, key_exchange))
    return false;
  *list = rest;
  return true;
}

/* PskIdentity (§4.2.11). */
static bool identity_entry(struct zn__tls13_bytes *list,
                           struct zn__tls13_bytes *identity, uint32_t *age) {
  struct zn__tls13_bytes rest = *list;
  if (!take_vec(&rest, 2, 1, 0xffff, identity) || !take_uint(&rest, 4, age))
    return false;
  *list = rest;
  return true;
}

/* ProtocolName<1..2^8-1> (RFC 7301 §3.1). */
static bool name_entry(struct zn__tls13_bytes *list,
                       struct zn__tls13_bytes *name) {
  return take_vec(list, 1, 1, 255, name);
}

/* PskBinderEntry<32..255> (§4.2.11). */
static bool binder_entry(struct zn__tls13_bytes *list,
                         struct zn__tls13_bytes *binder) {
  return take_vec(list, 1, 32, 255, binder);
}

static bool skip_share(struct zn__tls13_bytes *list) {
  uint16_t group;
  struct zn__tls13_bytes kx;
  return share_entry(list, &group, &kx);
}

static bool skip_identity(struct zn__tls13_bytes *list) {
  struct zn__tls13_bytes identity;
  uint32_t age;
  return identity_entry(list, &identity, &age);
}

static bool skip_name(struct zn__tls13_bytes *list) {
  struct zn__tls13_bytes name;
  return name_entry(list, &name);
}

static bool skip_binder(struct zn__tls13_bytes *list) {
  struct zn__tls13_bytes binder;
  return binder_entry(list, &binder);
}

/* DistinguishedName<1..2^16-1> (§4.2.4). */
static bool skip_dn(struct zn__tls13_bytes *list) {
  struct zn__tls13_bytes dn;
  return take_vec(list, 2, 1, 0xffff, &dn);
}

/* ResponderID<1..2^16-1> (RFC 6066 §8). */
static bool skip_responder_id(struct zn__tls13_bytes *list) {
  struct zn__tls13_bytes id;
  return take_vec(list, 2, 1, 0xffff, &id);
}

/* OIDFilter (§4.2.5): the OID <1..2^8-1>, the values <0..2^16-1>. */
static bool skip_oid_filter(struct zn__tls13_bytes *list) {
  struct zn__tls13_bytes rest = *list, oid, values;
  if (!take_vec(&rest, 1, 1, 255, &oid) ||
      !take_vec(&rest, 2, 0, 0xffff, &values))
    return false;
  *list = rest;
  return true;
}

/* Every byte of list is whole entries; *n of them.  Each entry takes at
 * least one byte, so the loop is bounded by the list's length. */
static bool count_entries(struct zn__tls13_bytes list,
                          bool (*entry)(struct zn__tls13_bytes *), size_t *n) {
  *n = 0;
  while (list.len > 0) {
    if (!entry(&list))
      return false;
    (*n)++;
  }
  return true;
}

/* ---- the iterators --------------------------------------------------- */

/* On a list no parser checked, an iterator stops at the first entry that
 * does not fit and empties the list, so a loop over it ends. */
static bool stop(struct zn__tls13_bytes *list) {
  list->len = 0;
  return false;
}

bool zn__tls13_next_u16(struct zn__tls13_bytes *list, uint16_t *v) {
  return take_u16(list, v) || stop(list);
}

bool zn__tls13_next_share(struct zn__tls13_bytes *list, uint16_t *group,
                          struct zn__tls13_bytes *key_exchange) {
  return share_entry(list, group, key_exchange) || stop(list);
}

bool zn__tls13_next_name(struct zn__tls13_bytes *list,
                         struct zn__tls13_bytes *name) {
  return name_entry(list, name) || stop(list);
}

bool zn__tls13_next_identity(struct zn__tls13_bytes *list,
                             struct zn__tls13_bytes *identity,
                             uint32_t *obfuscated_ticket_age) {
  return identity_entry(list, identity, obfuscated_ticket_age) || stop(list);
}

bool zn__tls13_next_binder(struct zn__tls13_bytes *list,
                           struct zn__tls13_bytes *binder) {
  return binder_entry(list, binder) || stop(list);
}

bool zn__tls13_has_u16(struct zn__tls13_bytes list, uint16_t v) {
  uint16_t x;
  while (zn__tls13_next_u16(&list, &x))
    if (x == v)
      return true;
  return false;
}

/* ---- extension bodies: 0 or an alert --------------------------------- */

/* Extensions whose extension_data is empty. */
static int empty(struct zn__tls13_bytes b) { return b.len == 0 ? 0 : DECODE; }

/* The whole body is one vector <min..max> of lb-byte length. */
static int opaque(struct zn__tls13_bytes b, size_t lb, size_t min, size_t max,
                  struct zn__tls13_bytes *out) {
  return whole_vec(b, lb, min, max, out) ? 0 : DECODE;
}

/* A list of 2-byte values <2..max> (groups, versions, signature
 * schemes): an even length. */
static int u16_list(struct zn__tls13_bytes b, size_t lb, size_t max,
                    struct zn__tls13_bytes *out) {
  if (!whole_vec(b, lb, 2, max, out) || out->len % 2 != 0)
    return DECODE;
  return 0;
}

/* A list <min..2^16-1> of entries. */
static int entry_list(struct zn__tls13_bytes b, size_t min,
                      bool (*entry)(struct zn__tls13_bytes *),
                      struct zn__tls13_bytes *out, size_t *n) {
  if (!whole_vec(b, 2, min, 0xffff, out) || !count_entries(*out, entry, n))
    return DECODE;
  return 0;
}

/* RFC 6066 §4: 2^9..2^12 as 1..4. */
static int fragment_length(struct zn__tls13_bytes b, uint8_t *out) {
  if (b.len != 1)
    return DECODE;
  if (b.p[0] < 1 || b.p[0] > 4)
    return ILLEGAL;
  *out = b.p[0];
  return 0;
}

/* RFC 8449 §4: a uint16, at least 64. */
static int record_size_limit(struct zn__tls13_bytes b, uint16_t *out) {
  uint16_t v;
  if (!take_u16(&b, &v) || b.len != 0)
    return DECODE;
  if (v < MIN_RECORD_SIZE_LIMIT)
    return ILLEGAL;
  *out = v;
  return 0;
}

/* §4.2.1 in a ServerHello or HelloRetryRequest: selected_version. */
static int selected_version(struct zn__tls13_bytes b, uint16_t *out) {
  uint16_t v;
  if (!take_u16(&b, &v) || b.len != 0)
    return DECODE;
  if (v < TLS13_VERSION)
    return ILLEGAL;
  *out = v;
  return 0;
}

/* A uint16 and nothing else (selected_group, selected_identity). */
static int one_u16(struct zn__tls13_bytes b, uint16_t *out) {
  return take_u16(&b, out) && b.len == 0 ? 0 : DECODE;
}

/* RFC 6066 §3: ServerNameList<1..2^16-1> of {NameType, name}.  The
 * host_name (0) is kept; other types are skipped, their data opening
 * with a 16-bit length as RFC 6066 requires of any future type.  One
 * host_name at most ("MUST NOT contain more than one name of the same
 * name_type"). */
static int client_server_name(struct zn__tls13_bytes b,
                              struct zn__tls13_bytes *host) {
  struct zn__tls13_bytes list;
  bool found = false;
  if (!whole_vec(b, 2, 1, 0xffff, &list))
    return DECODE;
  while (list.len > 0) {
    uint8_t type;
    struct zn__tls13_bytes name;
    if (!take_u8(&list, &type) ||
        !take_vec(&list, 2, type == 0 ? 1 : 0, 0xffff, &name))
      return DECODE;
    if (type != 0)
      continue;
    if (found || name.len > MAX_HOST_NAME)
      return ILLEGAL;
    found = true;
    *host = name;
  }
  return 0;
}

/* RFC 7301 §3.1: ProtocolNameList<2..2^16-1>. */
static int client_alpn(struct zn__tls13_bytes b, struct zn__tls13_bytes *out) {
  size_t n;
  return entry_list(b, 2, skip_name, out, &n);
}

/* The server's: exactly one name, which *name gets. */
static int server_alpn(struct zn__tls13_bytes b, struct zn__tls13_bytes *name) {
  struct zn__tls13_bytes list;
  size_t n;
  if (entry_list(b, 2, skip_name, &list, &n) != 0)
    return DECODE;
  if (n != 1)
    return ILLEGAL;
  return name_entry(&list, name) ? 0 : DECODE;
}

/* §4.2.9: <1..255> modes; psk_ke (0) and psk_dhe_ke (1) as bits 0 and 1,
 * others ignored. */
static int psk_modes(struct zn__tls13_bytes b, uint8_t *bits) {
  struct zn__tls13_bytes modes;
  if (!whole_vec(b, 1, 1, 255, &modes))
    return DECODE;
  for (size_t i = 0; i < modes.len; i++)
    if (modes.p[i] < 2)
      *bits |= (uint8_t)(1u << modes.p[i]);
  return 0;
}

/* No group twice among the KeyShareEntry values (§4.2.8).  A list may
 * hold 13107 entries (5 bytes each), too many to compare pairwise, so
 * the 65536 groups' bitmap is kept an eighth at a time: eight walks of
 * the list with 1 KiB of stack. */
static bool shares_distinct(struct zn__tls13_bytes list) {
  uint8_t bits[1024];
  for (uint32_t base = 0; base < 0x10000; base += 8 * sizeof(bits)) {
    struct zn__tls13_bytes l = list, kx;
    uint16_t group;
    memset(bits, 0, sizeof(bits));
    while (zn__tls13_next_share(&l, &group, &kx)) {
      uint32_t i = group;
      if (i < base || i - base >= 8 * sizeof(bits))
        continue;
      i -= base;
      if (bits[i / 8] & (1u << (i % 8)))
        return false;
      bits[i / 8] |= (uint8_t)(1u << (i % 8));
    }
  }
  return true;
}

/* §4.2.8: client_shares<0..2^16-1>. */
static int client_shares(struct zn__tls13_bytes b,
                         struct zn__tls13_bytes *out) {
  size_t n;
  if (entry_list(b, 0, skip_share, out, &n) != 0)
    return DECODE;
  return shares_distinct(*out) ? 0 : ILLEGAL;
}

/* §4.2.8 in a ServerHello: one KeyShareEntry. */
static int server_share(struct zn__tls13_bytes b,
                        struct zn__tls13_server_hello *sh) {
  if (!share_entry(&b, &sh->share_group, &sh->share) || b.len != 0)
    return DECODE;
  return 0;
}

/* §4.2.11: OfferedPsks, identities<7..2^16-1> and binders<33..2^16-1>,
 * as many of one as of the other. */
static int offered_psks(struct zn__tls13_bytes b,
                        struct zn__tls13_client_hello *ch) {
  size_t ids, binders;
  if (!take_vec(&b, 2, 7, 0xffff, &ch->psk_identities) ||
      !whole_vec(b, 2, 33, 0xffff, &ch->psk_binders) ||
      !count_entries(ch->psk_identities, skip_identity, &ids) ||
      !count_entries(ch->psk_binders, skip_binder, &binders))
    return DECODE;
  return ids == binders ? 0 : ILLEGAL;
}

/* RFC 6066 §8 (§4.4.2.1): CertificateStatusRequest, its status_type
 * then, for ocsp (1), an OCSPStatusRequest: responder_id_list
 * <0..2^16-1> of whole ResponderIDs, request_extensions <0..2^16-1>,
 * nothing after.  Another type is not defined here: skipped. */
static int status_request(struct zn__tls13_bytes b, bool *ocsp) {
  uint8_t type;
  struct zn__tls13_bytes ids, exts;
  size_t n;
  if (!take_u8(&b, &type))
    return DECODE;
  if (type != 1)
    return 0;
  if (!take_vec(&b, 2, 0, 0xffff, &ids) ||
      !count_entries(ids, skip_responder_id, &n) ||
      !whole_vec(b, 2, 0, 0xffff, &exts))
    return DECODE;
  *ocsp = true;
  return 0;
}

/* §4.2.4: authorities<3..2^16-1>. */
static int authorities(struct zn__tls13_bytes b) {
  struct zn__tls13_bytes list;
  size_t n;
  return entry_list(b, 3, skip_dn, &list, &n);
}

/* §4.2.5: filters<0..2^16-1>. */
static int oid_filters(struct zn__tls13_bytes b) {
  struct zn__tls13_bytes list;
  size_t n;
  return entry_list(b, 0, skip_oid_filter, &list, &n);
}

/* ---- the extension walker -------------------------------------------- */

/* What a message does with the body of a known extension it allows. */
typedef int (*ext_body_fn)(void *out, unsigned bit, struct zn__tls13_bytes b);

struct walk {
  unsigned where;   /* ZN__TLS13_IN_*: this message */
  ext_body_fn body; /* NULL: check the block's form only */
  void *out;
  uint64_t seen;
  bool after_psk; /* a ClientHello's pre_shared_key was read */
};

static int known_bit(uint16_t type) {
  for (int i = 0; i < ZN__TLS13_NEXT; i++)
    if (known[i].type == type)
      return i;
  return -1;
}

static bool type_seen(const uint16_t *types, size_t n, uint16_t type) {
  for (size_t i = 0; i < n; i++)
    if (types[i] == type)
      return true;
  return false;
}

/* One extension of a block. */
static int one_extension(struct walk *w, uint16_t type,
                         struct zn__tls13_bytes b) {
  int bit = known_bit(type);
  if (bit < 0)
    return 0; /* §4.2: unknown extensions are ignored */
  w->seen |= 1ull << bit;
  if (w->body == NULL)
    return 0;
  if (!(known[bit].where & w->where))
    return ILLEGAL; /* §4.2: recognized, not for this message */
  if (bit == ZN__TLS13_EXT_pre_shared_key && w->where == ZN__TLS13_IN_CH)
    w->after_psk = true;
  return w->body(w->out, (unsigned)bit, b);
}

/* The block's form: whole extensions, at most ZN__TLS13_MAX_EXTENSIONS
 * of them.  Checked before any rule, so that a malformed block is
 * decode_error wherever a rule breaks in it. */
static bool block_form(struct zn__tls13_bytes block) {
  for (size_t n = 0; block.len > 0; n++) {
    uint16_t type;
    struct zn__tls13_bytes b;
    if (n == ZN__TLS13_MAX_EXTENSIONS || !take_u16(&block, &type) ||
        !take_vec(&block, 2, 0, 0xffff, &b))
      return false;
  }
  return true;
}

/* An extension block's contents (its length already taken): its form,
 * then no type twice (§4.2, unknown types too), nothing after a
 * ClientHello's pre_shared_key (§4.2.11: the binders cover everything
 * before them), and each known extension's rules in turn. */
static int walk_extensions(struct zn__tls13_bytes block, struct walk *w) {
  uint16_t types[ZN__TLS13_MAX_EXTENSIONS];
  size_t n = 0;
  w->seen = 0;
  w->after_psk = false;
  if (!block_form(block))
    return DECODE;
  /* n's bound is block_form's, restated for types[]. */
  while (block.len > 0 && n < ZN__TLS13_MAX_EXTENSIONS) {
    uint16_t type;
    struct zn__tls13_bytes b;
    if (!take_u16(&block, &type) || !take_vec(&block, 2, 0, 0xffff, &b))
      return DECODE; /* cannot happen after block_form */
    if (type_seen(types, n, type) || w->after_psk)
      return ILLEGAL;
    types[n++] = type;
    int err = one_extension(w, type, b);
    if (err != 0)
      return err;
  }
  return 0;
}

/* ---- the messages ---------------------------------------------------- */

/* §4: the header (type, uint24 length) of one whole message; *body its
 * contents. */
static int open_msg(const uint8_t *msg, size_t len, uint8_t type,
                    struct zn__tls13_bytes *body) {
  struct zn__tls13_bytes m = {msg, len};
  uint8_t t;
  uint32_t n;
  if (!take_u8(&m, &t))
    return DECODE;
  if (t != type)
    return ZN__TLS13_ALERT_unexpected_message;
  if (!take_uint(&m, 3, &n) || n != m.len)
    return DECODE;
  *body = m;
  return 0;
}

static int ch_extension(void *out, unsigned bit, struct zn__tls13_bytes b) {
  struct zn__tls13_client_hello *ch = out;
  struct zn__tls13_bytes ignored;
  switch (bit) {
  case ZN__TLS13_EXT_server_name:
    return client_server_name(b, &ch->server_name);
  case ZN__TLS13_EXT_max_fragment_length:
    return fragment_length(b, &ch->max_fragment_length);
  case ZN__TLS13_EXT_status_request:
    return status_request(b, &ch->status_request_ocsp);
  case ZN__TLS13_EXT_supported_groups:
    return u16_list(b, 2, 0xffff, &ch->groups);
  case ZN__TLS13_EXT_ec_point_formats:
    return opaque(b, 1, 1, 255, &ignored);
  case ZN__TLS13_EXT_signature_algorithms:
    return u16_list(b, 2, 0xfffe, &ch->sig_algs);
  case ZN__TLS13_EXT_signature_algorithms_cert:
    return u16_list(b, 2, 0xfffe, &ch->sig_algs_cert);
  case ZN__TLS13_EXT_alpn:
    return client_alpn(b, &ch->alpn);
  case ZN__TLS13_EXT_signed_certificate_timestamp:
  case ZN__TLS13_EXT_encrypt_then_mac:
  case ZN__TLS13_EXT_extended_master_secret:
  case ZN__TLS13_EXT_early_data:
  case ZN__TLS13_EXT_post_handshake_auth:
    return empty(b);
  case ZN__TLS13_EXT_record_size_limit:
    return record_size_limit(b, &ch->record_size_limit);
  case ZN__TLS13_EXT_pre_shared_key:
    return offered_psks(b, ch);
  case ZN__TLS13_EXT_supported_versions:
    return u16_list(b, 1, 254, &ch->versions);
  case ZN__TLS13_EXT_cookie:
    return opaque(b, 2, 1, 0xffff, &ch->cookie);
  case ZN__TLS13_EXT_psk_key_exchange_modes:
    return psk_modes(b, &ch->psk_modes);
  case ZN__TLS13_EXT_certificate_authorities:
    return authorities(b);
  case ZN__TLS13_EXT_key_share:
    return client_shares(b, &ch->shares);
  case ZN__TLS13_EXT_renegotiation_info:
    return opaque(b, 1, 0, 255, &ignored);
  default: /* opaque here: see the top of the file */
    return 0;
  }
}

/* §4.1.2. */
int zn__tls13_parse_client_hello(const uint8_t *msg, size_t len,
                                 struct zn__tls13_client_hello *ch) {
  struct zn__tls13_bytes b, random, exts;
  memset(ch, 0, sizeof(*ch));
  int err = open_msg(msg, len, ZN__TLS13_HS_client_hello, &b);
  if (err != 0)
    return err;
  if (!take_u16(&b, &ch->legacy_version) || !take(&b, 32, &random) ||
      !take_vec(&b, 1, 0, 32, &ch->session_id) ||
      !take_vec(&b, 2, 2, 0xfffe, &ch->suites) || ch->suites.len % 2 != 0 ||
      !take_vec(&b, 1, 1, 255, &ch->compression))
    return DECODE;
  ch->random = random.p;
  if (b.len == 0)
    return 0; /* no extensions: a TLS 1.2 (or older) hello */
  if (!whole_vec(b, 2, 0, 0xffff, &exts))
    return DECODE;
  struct walk w = {.where = ZN__TLS13_IN_CH, .body = ch_extension, .out = ch};
  err = walk_extensions(exts, &w);
  ch->seen = w.seen;
  if (err != 0)
    return err;
  /* §4.2.11.2: the binders' list, its length first, ends the message. */
  if (ch->seen & ZN__TLS13_SEEN(pre_shared_key))
    ch->binders_at = (size_t)(ch->psk_binders.p - msg) - 2;
  return 0;
}

static int sh_extension(void *out, unsigned bit, struct zn__tls13_bytes b) {
  struct zn__tls13_server_hello *sh = out;
  switch (bit) {
  case ZN__TLS13_EXT_supported_versions:
    return selected_version(b, &sh->version);
  case ZN__TLS13_EXT_key_share:
    return server_share(b, sh);
  case ZN__TLS13_EXT_pre_shared_key:
    return one_u16(b, &sh->psk_identity);
  default: /* none other is allowed (the walker's check) */
    return 0;
  }
}

static int hrr_extension(void *out, unsigned bit, struct zn__tls13_bytes b) {
  struct zn__tls13_server_hello *sh = out;
  switch (bit) {
  case ZN__TLS13_EXT_supported_versions:
    return selected_version(b, &sh->version);
  case ZN__TLS13_EXT_key_share:
    return one_u16(b, &sh->share_group);
  case ZN__TLS13_EXT_cookie:
    return opaque(b, 2, 1, 0xffff, &sh->cookie);
  default: /* none other is allowed (the walker's check) */
    return 0;
  }
}

/* §4.1.3 and §4.1.4.  Without supported_versions the hello is not TLS
 * 1.3's: its extensions are checked for form only, version stays 0. */
int zn__tls13_parse_server_hello(const uint8_t *msg, size_t len,
                                 struct zn__tls13_server_hello *sh) {
  struct zn__tls13_bytes b, random, exts;
  memset(sh, 0, sizeof(*sh));
  int err = open_msg(msg, len, ZN__TLS13_HS_server_hello, &b);
  if (err != 0)
    return err;
  if (!take_u16(&b, &sh->legacy_version) || !take(&b, 32, &random) ||
      !take_vec(&b, 1, 0, 32, &sh->session_id) || !take_u16(&b, &sh->suite) ||
      !take_u8(&b, &sh->compression))
    return DECODE;
  sh->random = random.p;
  sh->hrr = memcmp(random.p, zn__tls13_hrr_random, 32) == 0;
  if (b.len == 0)
    return 0; /* no extensions: a TLS 1.2 (or older) hello */
  if (!whole_vec(b, 2, 0, 0xffff, &exts))
    return DECODE;
  struct walk w = {.body = NULL};
  err = walk_extensions(exts, &w);
  sh->seen = w.seen;
  if (err != 0 || !(w.seen & ZN__TLS13_SEEN(supported_versions)))
    return err;
  w.where = sh->hrr ? ZN__TLS13_IN_HRR : ZN__TLS13_IN_SH;
  w.body = sh->hrr ? hrr_extension : sh_extension;
  w.out = sh;
  return walk_extensions(exts, &w);
}

static int ee_extension(void *out, unsigned bit, struct zn__tls13_bytes b) {
  struct zn__tls13_encrypted_extensions *ee = out;
  switch (bit) {
  case ZN__TLS13_EXT_server_name: /* RFC 6066 §3: the server's is empty */
  case ZN__TLS13_EXT_early_data:
    return empty(b);
  case ZN__TLS13_EXT_max_fragment_length:
    return fragment_length(b, &ee->max_fragment_length);
  case ZN__TLS13_EXT_supported_groups:
    return u16_list(b, 2, 0xffff, &ee->groups);
  case ZN__TLS13_EXT_alpn:
    return server_alpn(b, &ee->alpn);
  case ZN__TLS13_EXT_record_size_limit:
    return record_size_limit(b, &ee->record_size_limit);
  default: /* use_srtp, heartbeat, the certificate types: opaque */
    return 0;
  }
}

/* §4.3.1. */
int zn__tls13_parse_encrypted_extensions(
    const uint8_t *msg, size_t len, struct zn__tls13_encrypted_extensions *ee) {
  struct zn__tls13_bytes b, exts;
  memset(ee, 0, sizeof(*ee));
  int err = open_msg(msg, len, ZN__TLS13_HS_encrypted_extensions, &b);
  if (err != 0)
    return err;
  if (!whole_vec(b, 2, 0, 0xffff, &exts))
    return DECODE;
  struct walk w = {.where = ZN__TLS13_IN_EE, .body = ee_extension, .out = ee};
  err = walk_extensions(exts, &w);
  ee->seen = w.seen;
  return err;
}

static int cr_extension(void *out, unsigned bit, struct zn__tls13_bytes b) {
  struct zn__tls13_certificate_request *cr = out;
  switch (bit) {
  case ZN__TLS13_EXT_signature_algorithms:
    return u16_list(b, 2, 0xfffe, &cr->sig_algs);
  case ZN__TLS13_EXT_signature_algorithms_cert:
    return u16_list(b, 2, 0xfffe, &cr->sig_algs_cert);
  case ZN__TLS13_EXT_certificate_authorities:
    return authorities(b);
  case ZN__TLS13_EXT_oid_filters:
    return oid_filters(b);
  case ZN__TLS13_EXT_status_request: /* §4.4.2.1: the server's is empty */
    return empty(b);
  default: /* signed_certificate_timestamp: opaque */
    return 0;
  }
}

/* §4.3.2. */
int zn__tls13_parse_certificate_request(
    const uint8_t *msg, size_t len, struct zn__tls13_certificate_request *cr) {
  struct zn__tls13_bytes b, exts;
  memset(cr, 0, sizeof(*cr));
  int err = open_msg(msg, len, ZN__TLS13_HS_certificate_request, &b);
  if (err != 0)
    return err;
  if (!take_vec(&b, 1, 0, 255, &cr->context) ||
      !whole_vec(b, 2, 2, 0xffff, &exts))
    return DECODE;
  struct walk w = {.where = ZN__TLS13_IN_CR, .body = cr_extension, .out = cr};
  err = walk_extensions(exts, &w);
  cr->seen = w.seen;
  if (err != 0)
    return err;
  if (!(cr->seen & ZN__TLS13_SEEN(signature_algorithms)))
    return ZN__TLS13_ALERT_missing_extension; /* §4.3.2: "MUST" */
  return 0;
}

/* §4.4.3. */
int zn__tls13_parse_certificate_verify(
    const uint8_t *msg, size_t len, struct zn__tls13_certificate_verify *cv) {
  struct zn__tls13_bytes b;
  memset(cv, 0, sizeof(*cv));
  int err = open_msg(msg, len, ZN__TLS13_HS_certificate_verify, &b);
  if (err != 0)
    return err;
  if (!take_u16(&b, &cv->scheme) || !whole_vec(b, 2, 1, 0xffff, &cv->signature))
    return DECODE;
  return 0;
}

static int nst_extension(void *out, unsigned bit, struct zn__tls13_bytes b) {
  struct zn__tls13_new_session_ticket *nst = out;
  if (bit != ZN__TLS13_EXT_early_data)
    return 0; /* none other is allowed (the walker's check) */
  /* §4.2.10: max_early_data_size. */
  return take_uint(&b, 4, &nst->max_early_data) && b.len == 0 ? 0 : DECODE;
}

/* §4.6.1. */
int zn__tls13_parse_new_session_ticket(
    const uint8_t *msg, size_t len, struct zn__tls13_new_session_ticket *nst) {
  struct zn__tls13_bytes b, exts;
  memset(nst, 0, sizeof(*nst));
  int err = open_msg(msg, len, ZN__TLS13_HS_new_session_ticket, &b);
  if (err != 0)
    return err;
  if (!take_uint(&b, 4, &nst->lifetime) || !take_uint(&b, 4, &nst->age_add) ||
      !take_vec(&b, 1, 0, 255, &nst->nonce) ||
      !take_vec(&b, 2, 1, 0xffff, &nst->ticket) ||
      !whole_vec(b, 2, 0, 0xfffe, &exts))
    return DECODE;
  struct walk w = {
      .where = ZN__TLS13_IN_NST, .body = nst_extension, .out = nst};
  err = walk_extensions(exts, &w);
  nst->seen = w.seen;
  if (err != 0)
    return err;
  return nst->lifetime > MAX_TICKET_LIFETIME ? ILLEGAL : 0;
}

/* §4.6.3. */
int zn__tls13_parse_key_update(const uint8_t *msg, size_t len,
                               bool *update_requested) {
  struct zn__tls13_bytes b;
  uint8_t v;
  *update_requested = false;
  int err = open_msg(msg, len, ZN__TLS13_HS_key_update, &b);
  if (err != 0)
    return err;
  if (!take_u8(&b, &v) || b.len != 0)
    return DECODE;
  if (v > 1)
    return ILLEGAL;
  *update_requested = v == 1;
  return 0;
}
