/** \file
 * The DNS wire format (RFC 1035, RFC 3596 AAAA, RFC 6891 EDNS0 OPT, RFC
 * 7766 framing over TCP): names, the checked message view and its
 * iterator, RDATA, the builder, the length prefix of a stream.  Byte
 * formats only, no state: what znet/dns.h's resolver, cache and
 * forwarder are built on, usable without them (it needs no stack).
 */
#ifndef ZNET_DNS_WIRE_H
#define ZNET_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/wire.h"

/* ======================================================================
 * Wire format
 *
 * Messages are parsed through a checked view (zn_dns_msg_init) and walked
 * in order with an iterator that validates every offset before it reads;
 * emitted with a builder over a caller buffer.  No state, no allocation:
 * the caller owns every buffer, and the parsed structures point into the
 * message they came from (valid as long as its bytes are).
 *
 * Names are always handled expanded, in wire form: a sequence of labels
 * <len><bytes>, ending with the root label 0, at most 255 bytes counting
 * every length octet (RFC 1035 3.1).  Compression pointers are followed
 * on parse with these rules, so that no message can make the reader loop,
 * recurse or read out of bounds:
 *   - a pointer must point into the message body (offset >= 12) and
 *     strictly before the first byte of the run of labels that contains
 *     it (for the name's first run, before the name itself).  The targets
 *     of successive jumps therefore strictly decrease, which alone
 *     guarantees termination; every pointer a real compressor writes
 *     points to an earlier name, so this rejects nothing legitimate;
 *   - at most ZN_DNS_PTR_HOPS_MAX jumps per name, bounding the work;
 *   - labels of at most 63 bytes; label types 0x40 (extended labels of
 *     RFC 2671, deprecated by RFC 6891 5) and 0x80 (reserved) rejected;
 *   - the expanded name at most 255 bytes.
 *
 * Errors while parsing, each a distinct reason:
 *   ZN_ETRUNCATED  a field, name or RDATA runs past the end of the message
 *                  (a message cut short, or counts larger than the data)
 *   ZN_EMALFORMED  everything else: bad pointer, reserved label type,
 *                  name longer than 255 bytes, RDATA whose length does not
 *                  match its type's layout (including names inside RDATA
 *                  that run past RDLENGTH: the record is complete but
 *                  inconsistent)
 * ==================================================================== */

#define ZN_DNS_PORT 53
#define ZN_DNS_HDR_LEN 12
#define ZN_DNS_UDP_MAX 512   /**< without EDNS0 (RFC 1035 4.2.1) */
#define ZN_DNS_MSG_MAX 65535 /**< TCP length prefix (RFC 1035 4.2.2) */
#define ZN_DNS_NAME_MAX 255  /**< wire form, length octets included */
#define ZN_DNS_LABEL_MAX 63
#define ZN_DNS_PTR_HOPS_MAX 128 /**< compression jumps followed per name */
/** A buffer of this size holds the text of any name (every byte escaped as
 * `\DDD`, dots and the terminating NUL). */
#define ZN_DNS_NAME_TEXT_MAX 1024
/** Name suffixes the builder remembers for compression. */
#define ZN_DNS_COMP_MAX 32

/** Types (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 6891). */
#define ZN_DNS_TYPE_A 1
#define ZN_DNS_TYPE_NS 2
#define ZN_DNS_TYPE_CNAME 5
#define ZN_DNS_TYPE_SOA 6
#define ZN_DNS_TYPE_PTR 12
#define ZN_DNS_TYPE_MX 15
#define ZN_DNS_TYPE_TXT 16
#define ZN_DNS_TYPE_AAAA 28
#define ZN_DNS_TYPE_SRV 33
#define ZN_DNS_TYPE_OPT 41
#define ZN_DNS_TYPE_ANY 255

#define ZN_DNS_CLASS_IN 1
#define ZN_DNS_CLASS_ANY 255

#define ZN_DNS_OPCODE_QUERY 0

/** Response codes (RFC 1035 4.1.1); values above 15 need EDNS0. */
#define ZN_DNS_RCODE_NOERROR 0
#define ZN_DNS_RCODE_FORMERR 1
#define ZN_DNS_RCODE_SERVFAIL 2
#define ZN_DNS_RCODE_NXDOMAIN 3
#define ZN_DNS_RCODE_NOTIMP 4
#define ZN_DNS_RCODE_REFUSED 5

/** Header flag bits (the 16-bit word at offset 2). */
#define ZN_DNS_F_QR 0x8000
#define ZN_DNS_F_AA 0x0400
#define ZN_DNS_F_TC 0x0200
#define ZN_DNS_F_RD 0x0100
#define ZN_DNS_F_RA 0x0080
#define ZN_DNS_F_AD 0x0020
#define ZN_DNS_F_CD 0x0010

/** Message sections, in wire order. */
enum zn_dns_section {
  ZN_DNS_SEC_QUESTION = 0,
  ZN_DNS_SEC_ANSWER = 1,
  ZN_DNS_SEC_AUTHORITY = 2,
  ZN_DNS_SEC_ADDITIONAL = 3
};

/* ---- names ------------------------------------------------------------ */

/** An expanded name in wire form: b[0..len) is a sequence of labels ending
 * with the root label (a 0 byte), 1 <= len <= 255.  The root is {1, {0}}.
 * Every function producing one guarantees that form; functions taking one
 * assume it unless they say otherwise (zn_dns_name_check tests it). */
struct zn_dns_name {
  uint8_t len;
  uint8_t b[ZN_DNS_NAME_MAX];
};

/** True if n is in the form above: labels of 1..63 bytes, ending with the
 * root label exactly at n->len, 1 <= n->len <= 255. */
bool zn_dns_name_check(const struct zn_dns_name *n);

/** Number of labels, the root not counted (0 for the root). */
unsigned zn_dns_name_labels(const struct zn_dns_name *n);

/** Equality ignoring ASCII case (RFC 4343: only A-Z/a-z fold; every other
 * byte must match exactly). */
bool zn_dns_name_eq(const struct zn_dns_name *a, const struct zn_dns_name *b);

/** True if name equals zone or is below it, on label boundaries, ignoring
 * ASCII case: "ads.example.com" is under "example.com", "badexample.com"
 * is not.  Every name is under the root. */
bool zn_dns_name_is_sub(const struct zn_dns_name *name,
                        const struct zn_dns_name *zone);

/** Fold A-Z to a-z in every label, in place. */
void zn_dns_name_lower(struct zn_dns_name *n);

/** c with A-Z folded to a-z (RFC 4343: the only bytes a DNS name's case
 * folds; every other byte compares exactly). */
static inline uint8_t zn_dns_lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/** True if a[0..n) and b[0..n) are equal ignoring ASCII case (RFC 4343),
 * as names and their labels compare. */
static inline bool zn_dns_eq_nocase(const uint8_t *a, const uint8_t *b,
                                    size_t n) {
  for (size_t i = 0; i < n; i++)
    if (zn_dns_lower(a[i]) != zn_dns_lower(b[i]))
      return false;
  return true;
}

/** Parse presentation text ("www.example.com", trailing dot optional; "."
 * is the root) of len bytes at s (no NUL needed; none may be inside).
 * Escapes: "\DDD" (exactly three decimal digits, 0..255) is that byte,
 * "\X" for any other X is X itself (so "\." is a dot inside a label).
 * Errors, with *n left unwritten:
 *   ZN_EINVAL        empty text, an empty label ("a..b", ".a", "a.."),
 *                    a bad or unfinished escape
 *   ZN_ENAMETOOLONG  a label over 63 bytes, or a name over 255 bytes */
int zn_dns_name_from_text(struct zn_dns_name *n, const char *s, size_t len);

/** Write n as NUL-terminated text into buf (size bytes): labels joined by
 * dots, no trailing dot, the root as ".".  Bytes that are '.' or `\` are
 * written `\.` and `\\`; bytes outside 0x21..0x7e as `\DDD`.  If outlen is
 * not NULL it receives the text length without the NUL.
 * Errors: ZN_ENOSPC if the text and its NUL do not fit (buf then holds ""
 * when size > 0, *outlen is untouched).  ZN_DNS_NAME_TEXT_MAX always fits. */
int zn_dns_name_to_text(const struct zn_dns_name *n, char *buf, size_t size,
                        size_t *outlen);

/* ---- the message view -------------------------------------------------- */

struct zn_dns_msg {
  const uint8_t *p;
  size_t len; /**< whole message, 12..65535 */
};

/** Errors, with *m left unwritten:
 *   ZN_ETRUNCATED  len < 12
 *   ZN_EMSGSIZE    len > 65535 (no DNS transport carries more)
 * Only the header is checked here, so that the ID and the TC bit of a
 * response cut short can still be read; the sections are checked as they
 * are walked (zn_dns_iter_*) or all at once (zn_dns_msg_check). */
int zn_dns_msg_init(struct zn_dns_msg *m, const uint8_t *p, size_t len);

static inline uint16_t zn_dns_id(const struct zn_dns_msg *m) {
  return zn_rd16(m->p);
}
static inline uint16_t zn_dns_flags(const struct zn_dns_msg *m) {
  return zn_rd16(m->p + 2);
}
static inline bool zn_dns_qr(const struct zn_dns_msg *m) {
  return (zn_dns_flags(m) & ZN_DNS_F_QR) != 0;
}
static inline uint8_t zn_dns_opcode(const struct zn_dns_msg *m) {
  return (uint8_t)((m->p[2] >> 3) & 0x0f);
}
static inline bool zn_dns_aa(const struct zn_dns_msg *m) {
  return (zn_dns_flags(m) & ZN_DNS_F_AA) != 0;
}
static inline bool zn_dns_tc(const struct zn_dns_msg *m) {
  return (zn_dns_flags(m) & ZN_DNS_F_TC) != 0;
}
static inline bool zn_dns_rd(const struct zn_dns_msg *m) {
  return (zn_dns_flags(m) & ZN_DNS_F_RD) != 0;
}
static inline bool zn_dns_ra(const struct zn_dns_msg *m) {
  return (zn_dns_flags(m) & ZN_DNS_F_RA) != 0;
}
static inline bool zn_dns_ad(const struct zn_dns_msg *m) {
  return (zn_dns_flags(m) & ZN_DNS_F_AD) != 0;
}
static inline bool zn_dns_cd(const struct zn_dns_msg *m) {
  return (zn_dns_flags(m) & ZN_DNS_F_CD) != 0;
}
/** The 4-bit header RCODE (the OPT record holds the upper 8 bits). */
static inline uint8_t zn_dns_rcode(const struct zn_dns_msg *m) {
  return (uint8_t)(m->p[3] & 0x0f);
}
static inline uint16_t zn_dns_qdcount(const struct zn_dns_msg *m) {
  return zn_rd16(m->p + 4);
}
static inline uint16_t zn_dns_ancount(const struct zn_dns_msg *m) {
  return zn_rd16(m->p + 6);
}
static inline uint16_t zn_dns_nscount(const struct zn_dns_msg *m) {
  return zn_rd16(m->p + 8);
}
static inline uint16_t zn_dns_arcount(const struct zn_dns_msg *m) {
  return zn_rd16(m->p + 10);
}

/** The header as fields: what zn_dns_msg_hdr() reads and the builder
 * writes.  opcode and rcode are 4 bits; the Z bit is always 0. */
struct zn_dns_hdr {
  uint16_t id;
  uint8_t opcode, rcode;
  bool qr, aa, tc, rd, ra, ad, cd;
};

void zn_dns_msg_hdr(const struct zn_dns_msg *m, struct zn_dns_hdr *h);

/* ---- walking the sections ---------------------------------------------- */

struct zn_dns_question {
  struct zn_dns_name name;
  uint16_t qtype, qclass; /**< qclass as on the wire (mDNS uses bit 15) */
};

struct zn_dns_rr {
  struct zn_dns_name name;
  uint16_t type, rclass; /**< rclass as on the wire (OPT: UDP size) */
  uint32_t ttl;          /**< as on the wire (OPT: extended flags); RFC
                          * 2181 8: treat values >= 2^31 as 0 */
  uint16_t rdlen;
  size_t rdoff;         /**< RDATA offset in the message */
  const uint8_t *rdata; /**< m->p + rdoff; rdlen bytes, all present */
  uint8_t section;      /**< enum zn_dns_section */
};

/** A cursor over the entries of a message, in wire order: the questions,
 * then the resource records of the answer, authority and additional
 * sections.  Errors are sticky: once a call has failed, every later call
 * returns the same error.  The fields are read-only for the caller. */
struct zn_dns_iter {
  const struct zn_dns_msg *m;
  size_t off;     /**< offset of the next entry */
  uint32_t index; /**< entries read so far, all sections */
  int err;
};

/** Start at the first question.  The iterator keeps a pointer to m, which
 * must stay valid (and unchanged) while it is used. */
void zn_dns_iter_init(struct zn_dns_iter *it, const struct zn_dns_msg *m);

/** The next question.  Returns ZN_OK and fills *q, or ZN_EOF when every
 * question has been read (the cursor is then at the first record), or a
 * parse error: ZN_ETRUNCATED / ZN_EMALFORMED as described above.  *q is
 * unspecified unless ZN_OK. */
int zn_dns_iter_question(struct zn_dns_iter *it, struct zn_dns_question *q);

/** The next resource record, first skipping (and checking) any questions
 * not yet read.  rr->section says where it is.  Checks the owner name,
 * the fixed fields and that RDLENGTH bytes are present; the RDATA itself
 * is decoded (and checked against its type) by zn_dns_rr_rdata().
 * Returns ZN_OK, ZN_EOF after the last record of the additional section,
 * or a parse error.  *rr is unspecified unless ZN_OK.  Bytes after the
 * last record (as counted by the header) are not looked at: it->off is
 * where they start. */
int zn_dns_iter_rr(struct zn_dns_iter *it, struct zn_dns_rr *rr);

/* ---- RDATA ------------------------------------------------------------- */

struct zn_dns_mx {
  uint16_t pref;
  struct zn_dns_name exchange;
};

struct zn_dns_soa {
  struct zn_dns_name mname, rname;
  uint32_t serial, refresh, retry, expire, minimum;
};

struct zn_dns_srv {
  uint16_t prio, weight, port;
  struct zn_dns_name target;
};

/** TXT: one or more character-strings, each `<len><len bytes>`, exactly
 * filling the RDATA (read them with zn_dns_txt_next). */
struct zn_dns_txt {
  const uint8_t *p;
  size_t len;
};

/** OPT pseudo-record (RFC 6891 6.1): the fields packed into CLASS and TTL,
 * and the options {code, length, data} exactly filling the RDATA (read
 * them with zn_dns_opt_next). */
struct zn_dns_opt {
  uint16_t udp_size; /**< requestor's payload size (the CLASS) */
  uint8_t ext_rcode; /**< upper 8 bits of the 12-bit RCODE */
  uint8_t version;
  bool do_bit; /**< DNSSEC OK */
  uint16_t z;  /**< the 15 remaining flag bits, normally 0 */
  const uint8_t *opts;
  size_t opts_len;
};

/** Raw RDATA of any type without a layout here. */
struct zn_dns_raw {
  const uint8_t *p;
  size_t len;
};

/** Decoded RDATA; `type` selects the member:
 *   A                  a (IPv4 address, host order: 192.0.2.1 == 0xC0000201)
 *   AAAA               aaaa (network order, as on the wire)
 *   CNAME, NS, PTR     name
 *   MX                 mx
 *   SOA                soa
 *   SRV                srv
 *   TXT                txt
 *   OPT                opt
 *   anything else      raw
 * Pointers inside point into the message (or, for emission, into caller
 * memory that must stay valid for the call). */
struct zn_dns_rdata {
  uint16_t type;
  union {
    uint32_t a;
    uint8_t aaaa[16];
    struct zn_dns_name name;
    struct zn_dns_mx mx;
    struct zn_dns_soa soa;
    struct zn_dns_srv srv;
    struct zn_dns_txt txt;
    struct zn_dns_opt opt;
    struct zn_dns_raw raw;
  } u;
};

/** Decode the RDATA of rr (which zn_dns_iter_rr() returned for m) by its
 * type; the class is not consulted (A and AAAA have the IN layout).  Names
 * inside are decompressed against the whole message and their in-place
 * bytes must lie inside the RDATA.  Returns ZN_OK or ZN_EMALFORMED when
 * the RDATA does not exactly match the type's layout: A not 4 bytes, AAAA
 * not 16, bytes left over or missing after the names and fixed fields of
 * CNAME/NS/PTR/MX/SOA/SRV, a bad name, TXT empty or with a string running
 * past the end, OPT whose owner is not the root or whose options do not
 * exactly fill it.  *rd is unspecified on failure. */
int zn_dns_rr_rdata(const struct zn_dns_msg *m, const struct zn_dns_rr *rr,
                    struct zn_dns_rdata *rd);

/** The next character-string of a TXT RDATA that zn_dns_rr_rdata() checked
 * (or that the caller knows to be well formed).  *off starts at 0.
 * Returns ZN_OK with *s and *slen set and *off advanced, ZN_EOF at the end,
 * or ZN_EMALFORMED if a string runs past the end (only for unchecked
 * input; *off is then unchanged). */
int zn_dns_txt_next(const struct zn_dns_txt *t, size_t *off, const uint8_t **s,
                    size_t *slen);

/** The next option of a checked OPT RDATA; *off starts at 0.  Returns ZN_OK
 * with *code, *data, *dlen set and *off advanced, ZN_EOF at the end, or
 * ZN_EMALFORMED for an option running past the end (*off unchanged). */
int zn_dns_opt_next(const struct zn_dns_opt *o, size_t *off, uint16_t *code,
                    const uint8_t **data, uint16_t *dlen);

/** The TTL of a record to cache it for, in seconds: RFC 2181 8 says a
 * value with the top bit set is to be read as 0.  (Not for OPT, whose TTL
 * field holds flags.) */
static inline uint32_t zn_dns_ttl(const struct zn_dns_rr *rr) {
  return (rr->ttl & 0x80000000u) ? 0 : rr->ttl;
}

/** The negative-caching TTL of a SOA record from an authority section (RFC
 * 2308 5): the smaller of the record's TTL (as zn_dns_ttl reads it) and
 * the SOA MINIMUM field. */
static inline uint32_t zn_dns_soa_neg_ttl(const struct zn_dns_rr *rr,
                                          const struct zn_dns_soa *soa) {
  uint32_t ttl = zn_dns_ttl(rr);
  return ttl < soa->minimum ? ttl : soa->minimum;
}

/** Walk the whole message: every question, every record, every RDATA
 * decoded.  Also checks EDNS0 placement (RFC 6891 6.1.1): at most one OPT
 * record, only in the additional section.  Returns ZN_OK or the first
 * error (ZN_ETRUNCATED or ZN_EMALFORMED). */
int zn_dns_msg_check(const struct zn_dns_msg *m);

/** Find the OPT record.  Returns ZN_OK and fills *opt, ZN_ENOENT if there
 * is none, ZN_EMALFORMED if there are several or one outside the
 * additional section, or any parse error met on the way.  The full RCODE
 * of a response is (opt->ext_rcode << 4) | zn_dns_rcode(m). */
int zn_dns_msg_opt(const struct zn_dns_msg *m, struct zn_dns_opt *opt);

/* ---- the builder ------------------------------------------------------- */

/** Builds a message in a caller buffer.  At every moment p[0..len) is a
 * complete message whose header counts match what was added; an add that
 * fails (ZN_ENOSPC, ZN_EINVAL) changes neither len, nor the counts, nor
 * the bytes already written (it may scribble on p[len..cap), which is not
 * part of the message).  Entries must be added in wire order: questions,
 * then answer, authority, additional records.  Names are compressed
 * against earlier names (exact byte match of a suffix; the first
 * ZN_DNS_COMP_MAX label positions below offset 0x4000 are remembered), in
 * owner names and in the RDATA of CNAME, NS, PTR, MX and SOA (RFC 3597 4);
 * never in SRV.  The fields are the builder's; read len through
 * zn_dns_build_len(). */
struct zn_dns_builder {
  uint8_t *p;
  size_t cap; /**< at most 65535 */
  size_t len;
  uint8_t section; /**< the section entries are being added to */
  bool has_opt;
  uint8_t ncomp;
  uint16_t comp[ZN_DNS_COMP_MAX];
};

/** Start a message in buf (cap bytes; a cap above 65535 is used as 65535)
 * with header h and all counts 0.  Errors, with *b left unwritten:
 *   ZN_EINVAL  h->opcode or h->rcode above 15
 *   ZN_ENOSPC  cap < 12 */
int zn_dns_build_init(struct zn_dns_builder *b, uint8_t *buf, size_t cap,
                      const struct zn_dns_hdr *h);

/** Rewrite the header's ID and flags, keeping the counts.
 * Errors: ZN_EINVAL (opcode or rcode above 15; nothing changed). */
int zn_dns_build_set_hdr(struct zn_dns_builder *b, const struct zn_dns_hdr *h);

/** Append a question.  Errors (nothing changed):
 *   ZN_EINVAL  a record was already added, or name fails zn_dns_name_check
 *   ZN_ENOSPC  it does not fit */
int zn_dns_build_question(struct zn_dns_builder *b,
                          const struct zn_dns_name *name, uint16_t qtype,
                          uint16_t qclass);

/** Append a resource record to `section` (ANSWER, AUTHORITY or ADDITIONAL,
 * not before the section of the last record added) with the RDATA laid out
 * from rd by rd->type as listed at struct zn_dns_rdata.  TXT RDATA is given
 * in wire form (character-strings) and must be well formed; raw RDATA is
 * copied as is.  Errors (nothing changed):
 *   ZN_EINVAL  bad section or out of order; a name failing
 *              zn_dns_name_check; TXT empty or malformed; rd->type OPT
 *              (use zn_dns_build_opt)
 *   ZN_ENOSPC  it does not fit */
int zn_dns_build_rr(struct zn_dns_builder *b, enum zn_dns_section section,
                    const struct zn_dns_name *name, uint16_t rclass,
                    uint32_t ttl, const struct zn_dns_rdata *rd);

/** Append an OPT record (root owner) to the additional section from *opt:
 * udp_size, ext_rcode, version, do_bit, z (its top bit is ignored), and
 * opts_len bytes of options copied from opts.  Errors (nothing changed):
 *   ZN_EINVAL  an OPT record was already added, or the options are not
 *              well formed ({code, length, data} exactly filling opts_len)
 *   ZN_ENOSPC  it does not fit */
int zn_dns_build_opt(struct zn_dns_builder *b, const struct zn_dns_opt *opt);

/** Start a response to query q in buf: same ID, opcode, RD and CD; QR set;
 * AA, TC, RA, AD clear; RCODE rcode; the query's questions copied (the
 * usual single one, re-encoded).  Add answers with zn_dns_build_rr and
 * adjust flags with zn_dns_build_set_hdr.  Errors:
 *   ZN_EINVAL  rcode above 15 (*b left unwritten)
 *   ZN_ENOSPC  cap < 12 (*b left unwritten), or the questions do not fit
 *   ZN_ETRUNCATED, ZN_EMALFORMED  the query's questions cannot be parsed
 * When the questions do not fit or cannot be parsed, *b holds a complete
 * header-only response (QDCOUNT 0): what a FORMERR reply to an unparsable
 * query should be.
 * buf must not overlap the query's bytes (build into a fresh buffer). */
int zn_dns_build_response(struct zn_dns_builder *b, uint8_t *buf, size_t cap,
                          const struct zn_dns_msg *q, uint8_t rcode);

/** Bytes of the message built so far. */
static inline size_t zn_dns_build_len(const struct zn_dns_builder *b) {
  return b->len;
}

/* ======================================================================
 * DNS over TCP framing (RFC 1035 4.2.2, RFC 7766 8)
 *
 * On a stream every message is preceded by its length, two bytes in
 * network order.  The decoder takes the stream's bytes in any pieces (one
 * byte at a time works) and says when a whole message has arrived in the
 * caller's buffer; several messages may follow back to back (pipelining,
 * RFC 7766 6.2.1.1).  A length below a header's 12 bytes (0 included) or
 * above the buffer is an error that ends the stream: its framing can no
 * longer be trusted.
 * ==================================================================== */

struct zn_dns_tcp_decoder {
  uint8_t *buf;      /**< the caller's, cap bytes */
  size_t cap;        /**< the largest message accepted, <= 65535 */
  size_t need, have; /**< the message's length and bytes so far */
  uint8_t hdr[2];
  uint8_t hlen; /**< length bytes read, 0..2 */
  bool ready;   /**< a whole message is in buf */
  int err;      /**< sticky */
};

/** Start decoding into buf (cap bytes; a cap above 65535 counts as 65535). */
void zn_dns_tcp_decoder_init(struct zn_dns_tcp_decoder *d, uint8_t *buf,
                             size_t cap);

/** Take stream bytes p[0..len).  *used receives how many were taken: all
 * of them unless a message completed first.  Returns 1 when a whole
 * message is in d->buf (d->need bytes; valid until the next call, which
 * starts the next message), 0 when every byte was taken and the message
 * is not complete, or a sticky error (*used then says where it was met):
 *   ZN_EMALFORMED  a length prefix below 12 (0 included)
 *   ZN_EMSGSIZE    a length prefix above cap */
int zn_dns_tcp_decode(struct zn_dns_tcp_decoder *d, const uint8_t *p,
                      size_t len, size_t *used);

/** True between messages: no byte of a next message taken yet. */
bool zn_dns_tcp_decoder_idle(const struct zn_dns_tcp_decoder *d);

/** Write the two-byte length prefix of a len-byte message into hdr.
 * Errors: ZN_EMSGSIZE (len 0 or above 65535; hdr untouched). */
int zn_dns_tcp_encode_len(size_t len, uint8_t hdr[2]);

#endif /* ZNET_DNS_WIRE_H */
