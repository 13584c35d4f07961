/** \file
 * DNS (RFC 1035, RFC 3596 AAAA, RFC 6891 EDNS0 OPT).
 */
#ifndef ZNET_DNS_H
#define ZNET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"
#include "znet/tcp.h"
#include "znet/timer.h"
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
 * Answer cache
 *
 * A bounded table of answers keyed by (name, qtype, qclass, variant):
 * names compared ignoring ASCII case (RFC 4343), `variant` a byte the
 * caller uses to keep apart answers that differ for the same question
 * (a forwarder puts the query's DO and CD bits there).  Each entry holds
 * up to value_size bytes of the caller's (an answer in whatever form the
 * caller keeps it), stored with a TTL in seconds on the caller's clock:
 * `now` is passed in, in nanoseconds, and the cache never reads a clock.
 *
 * Lookup is hashed with keyed SipHash (the key is the caller's secret), so
 * a client choosing names cannot flood one bucket; buckets chain, so
 * collisions cost time, never answers.  A full cache evicts its least
 * recently used entry; an entry found expired is removed.  Memory is the
 * caller's: zn_dns_cache_mem_size() bytes, of which only the entry
 * headers are written at init (values are written as they are stored).
 * Bounded work: a lookup walks one chain, a store evicts at most one.
 * ==================================================================== */

struct zn_dns_cache;

struct zn_dns_cache_cfg {
  uint32_t entries;    /**< 1 .. 1 << 20 */
  uint32_t value_size; /**< bytes per entry, 1 .. 1 << 17 */
  uint32_t max_ttl;    /**< seconds; longer TTLs are cut to this */
};

struct zn_dns_cache_key {
  struct zn_dns_name name; /**< any case: the cache keeps it in lower case */
  uint16_t qtype, qclass;
  uint8_t variant;
};

struct zn_dns_cache_stats {
  uint64_t hits, misses;
  uint64_t inserts;   /**< stores, replacements included */
  uint64_t evictions; /**< live entries evicted to make room */
  uint64_t expired;   /**< entries removed because their TTL ran out */
};

/** What zn_dns_cache_get() found.  value points into the cache: valid
 * until the next zn_dns_cache_put() or zn_dns_cache_flush(). */
struct zn_dns_cache_hit {
  void *value;
  size_t len;   /**< bytes stored */
  uint32_t age; /**< whole seconds since it was stored */
  uint32_t ttl; /**< whole seconds left (>= 0) */
};

/** Bytes zn_dns_cache_init() needs; 0 if cfg is out of the ranges above. */
size_t zn_dns_cache_mem_size(const struct zn_dns_cache_cfg *cfg);

/** Build an empty cache in [mem, mem+len) with hash key `key` (16 secret
 * random bytes).  Errors (*out untouched): ZN_EINVAL (bad cfg, NULL
 * pointer), ZN_ENOMEM (len below zn_dns_cache_mem_size(cfg)). */
int zn_dns_cache_init(const struct zn_dns_cache_cfg *cfg, const uint8_t key[16],
                      void *mem, size_t len, struct zn_dns_cache **out);

/** Store len bytes at value for key, for ttl seconds (cut to max_ttl) from
 * now, replacing the entry of the same key if there is one, else evicting
 * the least recently used one if the cache is full.  The entry becomes
 * the most recently used.  Errors (nothing changed): ZN_EINVAL (ttl 0, or
 * a max_ttl of 0), ZN_EMSGSIZE (len above value_size). */
int zn_dns_cache_put(struct zn_dns_cache *c, const struct zn_dns_cache_key *k,
                     uint32_t ttl, uint64_t now, const void *value, size_t len);

/** Look key up at time now.  ZN_OK: *hit filled, the entry becomes the
 * most recently used.  ZN_ENOENT: not there, or expired (then removed). */
int zn_dns_cache_get(struct zn_dns_cache *c, const struct zn_dns_cache_key *k,
                     uint64_t now, struct zn_dns_cache_hit *hit);

/** Drop every entry. */
void zn_dns_cache_flush(struct zn_dns_cache *c);

/** Entries stored (expired ones included until they are met). */
uint32_t zn_dns_cache_count(const struct zn_dns_cache *c);

void zn_dns_cache_get_stats(const struct zn_dns_cache *c,
                            struct zn_dns_cache_stats *s);

/* ---- whole responses in the cache (a forwarder's use) ------------------ */

/** The value size that holds any response of up to msg_max bytes. */
#define ZN_DNS_CACHE_MSG_VALUE(msg_max)                                        \
  (4u + (msg_max) + 2u * ((msg_max) / 11u))

/** How long response m may be cached (RFC 2308, RFC 2181 8), in seconds;
 * 0 if not at all: TC set, QDCOUNT not 1, an RCODE other than NOERROR or
 * NXDOMAIN, a part that does not parse, an OPT record that is not last or
 * has an extended RCODE.  A positive answer lives as long as its smallest
 * TTL; a negative one (NXDOMAIN, or NOERROR without answers) as long as
 * its SOA's negative TTL (RFC 2308 5), and without a SOA not at all. */
uint32_t zn_dns_msg_cache_ttl(const struct zn_dns_msg *m);

/** Store response m under k for zn_dns_msg_cache_ttl(m) seconds: its bytes
 * without the OPT record (a hit gets the server's own) and where its TTLs
 * are.  Errors (nothing stored): ZN_EINVAL (not cacheable), ZN_EMSGSIZE
 * (more than the cache's value_size holds). */
int zn_dns_cache_put_msg(struct zn_dns_cache *c,
                         const struct zn_dns_cache_key *k,
                         const struct zn_dns_msg *m, uint64_t now);

/** Bytes of the response zn_dns_cache_write_msg() writes for a hit of a
 * zn_dns_cache_put_msg() entry, with an OPT record (11 bytes) or not. */
size_t zn_dns_cache_msg_len(const struct zn_dns_cache_hit *hit, bool opt);

/** Write the cached response of hit as the answer to `query` into buf
 * (zn_dns_cache_msg_len(hit, opt != NULL) bytes; returns that): the
 * query's ID, RD and CD bits and the case of its question name, every TTL
 * lowered by hit->age (a TTL with the top bit set read as 0, RFC 2181 8),
 * and an OPT record from *opt (udp_size and do_bit;
 * no options) if opt is not NULL.  query must have the key's question
 * (its first name is at offset 12, as in the cached response). */
size_t zn_dns_cache_write_msg(const struct zn_dns_cache_hit *hit,
                              const struct zn_dns_msg *query,
                              const struct zn_dns_opt *opt, uint8_t *buf);

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

/* ======================================================================
 * Blocklist matcher
 *
 * A set of names, each blocking itself and every name below it
 * ("example.com" blocks "ads.example.com"), matched ignoring ASCII case:
 * a lookup tries the name's suffixes label by label, O(labels) hashed
 * probes (keyed SipHash, so names chosen by clients cannot make probe
 * sequences long).  The names live in caller memory sized for a number
 * of names and their bytes: zn_dns_blocklist_measure() says how much a
 * list text needs.
 *
 * The list text is hosts-file lines ("0.0.0.0 ads.example.com",
 * "127.0.0.1 a b c": the leading address, IPv4 or anything with a colon,
 * is skipped), or one name per line, mixed at will; '#' starts a comment;
 * a leading "*." is dropped (subdomains are blocked anyway).  The names a
 * hosts file lists for the machine itself (localhost, broadcasthost,
 * ip6-*, ...) are ignored; a token with characters other than letters,
 * digits, '-', '_' and '.', or that is not a name, is rejected.
 * ==================================================================== */

struct zn_dns_blocklist;

struct zn_dns_blocklist_cfg {
  uint32_t max_names; /**< 1 .. 1 << 26 */
  size_t name_bytes;  /**< room for the names: 1 + wire length each */
};

/** What loading found (the counts add up: every token is one of them). */
struct zn_dns_blocklist_stats {
  uint64_t lines;
  uint64_t added;
  uint64_t duplicates;
  uint64_t ignored; /**< the machine's own names */
  uint64_t invalid; /**< rejected tokens */
  uint64_t full;    /**< names that found no room */
};

/** Called for each rejected token (not NUL-terminated), line from 1. */
typedef void (*zn_dns_blocklist_reject_cb)(void *arg, uint64_t line,
                                           const char *tok, size_t len);

size_t zn_dns_blocklist_mem_size(const struct zn_dns_blocklist_cfg *cfg);

/** An empty set in [mem, mem+len) with hash key `key`.  Errors (*out
 * untouched): ZN_EINVAL (bad cfg), ZN_ENOMEM (len too small). */
int zn_dns_blocklist_init(const struct zn_dns_blocklist_cfg *cfg,
                          const uint8_t key[16], void *mem, size_t len,
                          struct zn_dns_blocklist **out);

/** The cfg that holds every name of the list text[0..len) (duplicates
 * counted as if new), plus `extra` names of up to 255 bytes. */
void zn_dns_blocklist_measure(const char *text, size_t len, uint32_t extra,
                              struct zn_dns_blocklist_cfg *cfg);

/** Add one name.  Returns ZN_OK, ZN_EEXIST (already there), or (nothing
 * added) ZN_EINVAL (the root, or n malformed), ZN_ENOSPC (full). */
int zn_dns_blocklist_add(struct zn_dns_blocklist *bl,
                         const struct zn_dns_name *n);

/** Add one name given as list text (a token: "*." and the machine's own
 * names handled as in a list), counting it in *st (not lines).  Returns
 * ZN_OK (added), ZN_EEXIST (a duplicate), ZN_ENOTSUP (a name of the
 * machine's, ignored), ZN_EINVAL (not a host name), ZN_ENOSPC (full). */
int zn_dns_blocklist_add_text(struct zn_dns_blocklist *bl, const char *tok,
                              size_t len, struct zn_dns_blocklist_stats *st);

/** Load list text[0..len) (lines end with '\n'; a NUL byte ends a token
 * like a blank), counting into *st (not zeroed first); reject (may be
 * NULL) is told about each rejected token.  Returns ZN_OK, or ZN_ENOSPC if
 * some names found no room (st->full says how many). */
int zn_dns_blocklist_parse(struct zn_dns_blocklist *bl, const char *text,
                           size_t len, zn_dns_blocklist_reject_cb reject,
                           void *arg, struct zn_dns_blocklist_stats *st);

/** True if n or a zone above it is in the set (the root alone never is). */
bool zn_dns_blocklist_match(const struct zn_dns_blocklist *bl,
                            const struct zn_dns_name *n);

/** Names in the set. */
uint32_t zn_dns_blocklist_count(const struct zn_dns_blocklist *bl);

/* ======================================================================
 * Forwarder (a caching, filtering DNS server over UDP and TCP)
 *
 * Serves queries on a port, UDP and TCP, answering each one of these
 * ways, each with its counter below:
 *   1. Sanity: a message too short for a header, a response (QR=1), or a
 *      datagram sent to a broadcast address or from port 0 is dropped; an
 *      opcode other than QUERY gets NOTIMP; a QDCOUNT other than 1 or a
 *      part that does not parse gets FORMERR.
 *   2. Blocked: a name the blocklist matches is answered here: NXDOMAIN,
 *      or with block_zero 0.0.0.0 for A, :: for AAAA and no data for other
 *      types (TTL 60, no SOA).
 *   3. Cached: an answer cache (above) keyed by the question and the
 *      query's DO and CD bits; a hit gets the client's ID and case, TTLs
 *      aged, and an OPT record iff the query had one (RFC 6891 7).
 *   4. Forwarded to the upstream over UDP under a fresh random ID (RFC
 *      5452 9.2); an answer is taken only from the upstream's address and
 *      port with a pending ID and the same question.  No answer within
 *      upstream_timeout_ms: SERVFAIL.  An answer with TC is asked again
 *      over TCP (RFC 7766 5); a UDP client that cannot take the whole
 *      answer gets an empty one with TC and comes back over TCP.
 * Over TCP (RFC 7766) a connection carries any number of queries back to
 * back; answers go back as they come, in any order; at most 16 are in
 * progress per connection (beyond, it is not read and its window
 * closes); an idle one is closed after tcp_idle_ms (RFC 7766 6.2.3).
 *
 * DNS over TLS (RFC 7858), or over any other stream (znet/stream.h):
 *   - Clients: connections accepted on stream_port are made into streams
 *     by stream_server (libznet-tls's TLS maker, for DoT on port 853)
 *     and served exactly as TCP clients are, in the same tcp_clients
 *     slots.
 *   - Upstream: with upstream_stream set, step 4 sends every query over
 *     one of upstream_streams persistent connections to the upstream
 *     (port 853 unless given), made by that maker (TLS with the
 *     upstream's name checked), queries pipelined on each (RFC 7766
 *     6.2.1.1, RFC 7858 3.4) and matched to answers by ID.  Queries go
 *     to the open connection with the fewest in flight, else to one
 *     being opened; a connection is opened when a query finds none.  A
 *     connection that fails or closes fails its queries at once
 *     (SERVFAIL).  One that could not be opened (TCP or TLS) is not
 *     tried again for 1 s, doubling to 64 s, reset on success.  The
 *     rule when no connection can take a query (RFC 8310 5): strict by
 *     default, SERVFAIL; with upstream_fallback_udp (opportunistic),
 *     the query goes over UDP to the upstream's address, port 53, in
 *     clear.  Answers over a stream are never truncated, so the TCP
 *     retry of step 4 does not arise.
 *
 * Memory is the caller's (zn_dns_forwarder_mem_size); sockets and TCP
 * connections come from the stack's tables.  Bounded work per event.
 * ==================================================================== */

struct zn_stack;
struct zn_stream_maker;

/** A DNS server to send queries to. */
struct zn_dns_server {
  struct zn_ip addr; /**< either family */
  uint16_t port;     /**< 0: 53 */
};

struct zn_dns_forwarder;

struct zn_dns_forwarder_cfg {
  struct zn_dns_server upstream; /**< an address (either family); port
                                      0: 53 */
  /** The address served on, as zn_udp_bind() and zn_tcp_listen() take it:
   * ZN_AF_NONE (zeroed) or `::` any of ours of both families, `0.0.0.0`
   * any IPv4 address. */
  struct zn_ip listen_addr;
  uint16_t port;                /**< served, UDP and TCP; 0: 53 */
  uint32_t pending_max;         /**< forwarded and unanswered, 1..65535 */
  uint32_t tcp_clients;         /**< TCP client connections at once */
  uint32_t upstream_tcp_max;    /**< TCP retries of truncated answers */
  uint32_t cache_entries;       /**< 0: no cache */
  uint32_t cache_msg_max;       /**< longest answer cached, bytes,
                                     512..4096 (each entry reserves
                                     room for one) */
  uint32_t upstream_timeout_ms; /**< 1 or more */
  uint32_t tcp_idle_ms;         /**< 1 or more */
  const struct zn_dns_blocklist *blocklist; /**< NULL: nothing blocked */
  bool block_zero; /**< 0.0.0.0 / :: rather than NXDOMAIN */
  /** Clients over streams (DoT, above): accepted on stream_port (0: none)
   * and made into streams by stream_server; both or neither. */
  uint16_t stream_port;
  struct zn_stream_maker *stream_server;
  /** The upstream over streams (DoT, above); NULL: over UDP (and TCP
   * for truncated answers).  upstream_streams connections at most,
   * 1..16. */
  struct zn_stream_maker *upstream_stream;
  uint32_t upstream_streams;
  /** Opportunistic rather than strict (above): UDP, port 53, when no
   * stream connection can take a query. */
  bool upstream_fallback_udp;
};

/** Defaults: no upstream, any address of both families, port 53, 1024
 * pending, 64 TCP clients, 64 TCP retries, 4096 cache entries of answers
 * up to 1232 bytes (the EDNS buffer size of DNS Flag Day 2020: what UDP
 * carries without fragmenting; longer answers are forwarded, not
 * cached), 5000 ms, 10000 ms, no blocklist, no streams (2 upstream
 * stream connections once a maker is set), strict. */
void zn_dns_forwarder_cfg_default(struct zn_dns_forwarder_cfg *cfg);

/** Bytes zn_dns_forwarder_init() needs; 0 if cfg is invalid. */
size_t zn_dns_forwarder_mem_size(const struct zn_dns_forwarder_cfg *cfg);

/** Start serving on stack st from [mem, mem+len): opens the UDP and TCP
 * listeners and the upstream socket.  The blocklist must outlive the
 * forwarder.  Errors: ZN_EINVAL (bad cfg), ZN_ENOMEM (len too small, or
 * no socket free), or what zn_udp_bind / zn_tcp_listen return
 * (ZN_EADDRINUSE); on error nothing stays open. */
int zn_dns_forwarder_init(struct zn_stack *st,
                          const struct zn_dns_forwarder_cfg *cfg, void *mem,
                          size_t len, struct zn_dns_forwarder **out);

/** Reset the TCP connections, close the sockets, cancel the timers.  The
 * memory is the caller's again afterwards (no poll needs to follow). */
void zn_dns_forwarder_stop(struct zn_dns_forwarder *fw);

/** The counters: field, whether it is one of the main ones (printed even
 * when 0), what it counts. */
#define ZN_DNS_FWD_STATS(X)                                                    \
  X(received, 1, "datagrams and TCP messages to the DNS port")                 \
  X(queries, 1, "queries (QR=0) with a parsable header")                       \
  X(blocked, 1, "answered locally: name on the blocklist")                     \
  X(cache_hits, 1, "answered from the cache")                                  \
  X(cache_misses, 0, "not in the cache")                                       \
  X(forwarded, 1, "sent to the upstream")                                      \
  X(answered, 1, "upstream answers relayed to clients")                        \
  X(truncated, 0, "upstream UDP answers with TC (asked again over TCP)")       \
  X(truncated_for_client, 0,                                                   \
    "answers sent with TC: too big for a UDP client, or TCP failed")           \
  X(tcp_connections, 1, "TCP connections from clients")                        \
  X(tcp_queries, 1, "queries received over TCP")                               \
  X(tcp_answers, 0, "answers sent over TCP")                                   \
  X(tcp_idle_closed, 0, "TCP connections closed for idling")                   \
  X(tcp_bad_length, 0, "TCP connections closed: length prefix < 12 or > 4096") \
  X(tcp_answer_dropped, 0, "answers for TCP clients that had gone")            \
  X(tcp_refused, 0, "TCP connections reset: no client slot")                   \
  X(tcp_fallback, 1, "truncated upstream answers asked again over TCP")        \
  X(tcp_fallback_ok, 0, "... answered over TCP")                               \
  X(tcp_fallback_failed, 0,                                                    \
    "... failed (UDP client: TC sent; TCP client: SERVFAIL)")                  \
  X(tcp_fallback_busy, 0, "truncated answers not retried: no TCP slot")        \
  X(stream_connections, 1, "stream (DoT) connections from clients")            \
  X(upstream_stream_opens, 1, "stream connections opened to the upstream")     \
  X(upstream_stream_open_failed, 0,                                            \
    "... that failed before opening (TCP or TLS), backed off")                 \
  X(upstream_stream_lost, 0, "upstream stream connections failed or closed")   \
  X(upstream_stream_queries, 1, "queries sent over upstream streams")          \
  X(upstream_stream_failed, 0,                                                 \
    "queries failed with their stream connection (SERVFAIL sent)")             \
  X(upstream_stream_unavailable, 0,                                            \
    "queries no stream connection could take (strict: SERVFAIL)")              \
  X(upstream_fallback_udp, 0, "queries sent over UDP instead (opportunistic)") \
  X(upstream_timeouts, 1, "forwarded queries never answered (SERVFAIL sent)")  \
  X(servfail, 0, "SERVFAIL sent (timeouts, pending table full, bad upstream)") \
  X(formerr, 1, "FORMERR sent: QDCOUNT != 1 or a part that does not parse")    \
  X(notimp, 0, "NOTIMP sent: opcode other than QUERY")                         \
  X(pending_full, 0, "queries refused: pending table full")                    \
  X(dropped, 1, "datagrams dropped, all reasons below")                        \
  X(dropped_short, 0, "dropped: shorter than a DNS header")                    \
  X(dropped_response, 0, "dropped: a response (QR=1) sent to the DNS port")    \
  X(dropped_bcast, 0, "dropped: sent to a broadcast address or from port 0")   \
  X(send_errors, 0, "answers the stack could not send")                        \
  X(upstream_mismatch, 0,                                                      \
    "upstream datagrams ignored: wrong source, ID or question (late or "       \
    "forged)")                                                                 \
  X(upstream_malformed, 0, "upstream answers that did not parse")              \
  X(upstream_unreachable, 0, "ICMP errors from the upstream")                  \
  X(cache_inserts, 0, "answers stored in the cache")                           \
  X(cache_uncacheable, 0, "answers not cacheable (TTL 0, no SOA, TC, size)")   \
  X(cache_evictions, 0, "cache entries evicted to make room")                  \
  X(cache_expired, 0, "cache entries found expired")

struct zn_dns_forwarder_stats {
#define ZN_DNS_FWD_STAT_FIELD(name, main, text) uint64_t name;
  ZN_DNS_FWD_STATS(ZN_DNS_FWD_STAT_FIELD)
#undef ZN_DNS_FWD_STAT_FIELD
  uint32_t cache_entries; /**< now */
  uint32_t pending;       /**< queries waiting for the upstream */
  uint32_t tcp_open;      /**< client connections open */
};

void zn_dns_forwarder_get_stats(const struct zn_dns_forwarder *fw,
                                struct zn_dns_forwarder_stats *s);

/* ======================================================================
 * Stub resolver (RFC 1035 §7, RFC 2308 negative caching, RFC 5452
 * resilience against forged answers).
 *
 * Asks recursive servers for A or AAAA records.  Each query gets its own
 * UDP socket on a random ephemeral port, and each try a random 16-bit ID;
 * an answer is taken only if it comes from a server this query was sent
 * to, from its port, with the ID of one of its tries and the same question
 * (name compared ignoring case, type, class).  Tries go round the server list
 * with a timeout that doubles each time.  CNAME chains are followed inside an
 * answer and, if the answer stops at a CNAME, by asking again for the
 * target, up to max_cname links.  Answers, positive and negative, are
 * cached for their TTL (capped at max_ttl) in an answer cache (above:
 * hashed, LRU eviction, the stack's random key).
 *
 * Memory comes from the caller (zn_dns_resolver_mem_size); the resolver
 * takes UDP sockets from the stack's table, one per query in flight.
 * Callbacks never run inside zn_dns_resolve(): an answer found in the
 * cache is delivered on the next zn_stack_poll().
 * ====================================================================== */

#define ZN_DNS_MAX_SERVERS 4
#define ZN_DNS_MAX_ADDRS 16

struct zn_dns_resolver;
struct zn_dns_query;

struct zn_dns_resolver_cfg {
  struct zn_dns_server servers[ZN_DNS_MAX_SERVERS]; /**< either family */
  /** 0: the recursive servers router advertisements name (RFC 8106
   * RDNSS, zn_stack_ipv6_dns_server()), then those of the DHCPv4 lease
   * (zn_dhcp4_dns_server()), the first ZN_DNS_MAX_SERVERS, looked up
   * again at every try. */
  uint32_t nservers;
  uint32_t timeout_ms;    /**< first try; doubles on each retry */
  uint32_t tries;         /**< sends per name before giving up */
  uint32_t max_queries;   /**< queries in flight at once */
  uint32_t cache_entries; /**< 0: no cache */
  uint32_t max_ttl;       /**< seconds; longer TTLs are cut to this */
  uint32_t neg_ttl;       /**< seconds to cache a negative answer that
                             carries no SOA */
  uint32_t max_cname;     /**< CNAME links followed */
  /** 0: a truncated answer is a failure; else 512..65535, the longest
   * answer taken over TCP when a server truncates (RFC 7766 §5: the
   * same server asked again over TCP, either family); each query slot
   * reserves this many bytes. */
  uint32_t tcp_msg_max;
};

/** Defaults: no servers (RDNSS), 1000 ms, 4 tries, 16 queries, 64 cache
 * entries, max_ttl 86400, neg_ttl 60, max_cname 8, tcp_msg_max 4096. */
void zn_dns_resolver_cfg_default(struct zn_dns_resolver_cfg *cfg);

/** Bytes zn_dns_resolver_init() needs for cfg; 0 if cfg is invalid (more
 * than ZN_DNS_MAX_SERVERS, a server without an address or with an
 * unspecified one, tries or max_queries 0). */
size_t zn_dns_resolver_mem_size(const struct zn_dns_resolver_cfg *cfg);

/** Build a resolver for stack st inside [mem, mem+len).  Errors: ZN_EINVAL
 * (bad cfg), ZN_ENOMEM (len too small). */
int zn_dns_resolver_init(struct zn_stack *st,
                         const struct zn_dns_resolver_cfg *cfg, void *mem,
                         size_t len, struct zn_dns_resolver **out);

/** Cancel every query (their callbacks are not called) and close their
 * sockets.  The memory is the caller's again afterwards. */
void zn_dns_resolver_destroy(struct zn_dns_resolver *r);

struct zn_dns_answer {
  /** ZN_OK: addresses found.  ZN_ENOENT: the name does not exist (rcode
   * NXDOMAIN) or has no record of that type (NOERROR, no data).
   * ZN_ETIMEDOUT: no usable answer from any server.  ZN_EPROTO: servers
   * failed (SERVFAIL, REFUSED, FORMERR, a malformed or truncated answer).
   * ZN_ERANGE: the CNAME chain was longer than max_cname or looped. */
  int status;
  uint8_t rcode; /**< last rcode seen, 0 if none */
  uint16_t qtype;
  struct zn_dns_name name;      /**< as asked */
  struct zn_dns_name canonical; /**< after following CNAMEs */
  uint32_t ttl;                 /**< seconds left: smallest along the chain */
  bool from_cache;
  uint32_t naddr;
  /** The addresses found: ZN_AF_INET for A, ZN_AF_INET6 for AAAA. */
  struct zn_ip addrs[ZN_DNS_MAX_ADDRS];
};

typedef void (*zn_dns_resolve_cb)(struct zn_dns_resolver *r, void *arg,
                                  const struct zn_dns_answer *a);

/** Look up `name` (presentation text, NUL-terminated) for qtype A or AAAA.
 * cb is called once, later, from zn_stack_poll(), unless the query is
 * cancelled first.  *out (if out is not NULL) is a handle for
 * zn_dns_cancel, valid until the callback starts.  Errors (cb will not be
 * called): ZN_EINVAL (bad name or qtype), ZN_ENOMEM (max_queries in
 * flight, or no UDP socket free). */
int zn_dns_resolve(struct zn_dns_resolver *r, const char *name, uint16_t qtype,
                   zn_dns_resolve_cb cb, void *arg, struct zn_dns_query **out);

/** Stop a query; its callback will not be called.  Not for a query whose
 * callback has started. */
void zn_dns_cancel(struct zn_dns_query *q);

struct zn_dns_resolver_stats {
  uint64_t queries; /**< zn_dns_resolve calls accepted */
  uint64_t cache_hits, cache_misses;
  uint64_t sent;      /**< datagrams sent, retries included */
  uint64_t no_server; /**< tries lost: none configured and no RDNSS
                         or DHCPv4 server known yet */
  uint64_t retries;
  uint64_t answers;    /**< responses accepted */
  uint64_t mismatched; /**< responses ignored: wrong server, port, ID or
                          question (possible forgeries) */
  uint64_t malformed;  /**< responses that did not parse */
  uint64_t timeouts;   /**< queries given up */
  uint64_t cname_requeries;
  uint64_t tcp_retries; /**< truncated answers asked again over TCP */
  uint64_t tcp_answers; /**< answers taken from TCP */
  uint64_t tcp_failed;  /**< TCP retries that failed (refused, reset,
                           closed early, bad framing, not ours) */
};

void zn_dns_resolver_get_stats(const struct zn_dns_resolver *r,
                               struct zn_dns_resolver_stats *s);

/** Drop every cached answer. */
void zn_dns_resolver_flush_cache(struct zn_dns_resolver *r);

/* ======================================================================
 * Resolving a name to connect to it, and connecting (RFC 6724 destination
 * order, RFC 8305 Happy Eyeballs v2).
 *
 * zn_dns_resolve_connect() asks for AAAA and A at once and, when both
 * are in, hands over one list: IPv6 first when the stack has a preferred
 * IPv6 address that can reach it (a global one, or a link-local one for
 * a link-local destination), then the families interleaved, one of each
 * in turn (RFC 8305 §4); when it has no usable IPv6 source, the IPv4
 * addresses first and the IPv6 ones after them (RFC 6724 §6 rule 1:
 * unusable destinations last).  The order inside a family is the
 * server's.
 *
 * zn_dns_race_start() connects to the first address of such a list; if
 * that attempt has not connected after the Connection Attempt Delay (250
 * ms by default, RFC 8305 §5) the next one starts too, and so on; an
 * attempt that fails (refused, unreachable, no source address) starts
 * the next at once.  The first to connect wins: it gets the caller's
 * callbacks and the others are aborted (RST).  No new attempt starts
 * once one has won.
 * ====================================================================== */

/** At most this many addresses go into a connect list (both families). */
#define ZN_DNS_CONNECT_MAX (2 * ZN_DNS_MAX_ADDRS)
/** RFC 8305 §5's recommended Connection Attempt Delay, ms. */
#define ZN_DNS_CONNECT_DELAY_MS 250

/** What zn_dns_resolve_connect() found. */
struct zn_dns_addrinfo {
  /** ZN_OK: naddr > 0.  Otherwise the AAAA lookup's status if it failed
   * other than ZN_ENOENT, else the A lookup's (see struct zn_dns_answer). */
  int status;
  int status_aaaa; /**< the AAAA lookup's status */
  int status_a;    /**< the A lookup's status */
  uint32_t naddr;
  uint32_t n6;     /**< how many of them are IPv6 */
  bool ipv6_first; /**< whether the stack could use IPv6 */
  struct zn_ip addrs[ZN_DNS_CONNECT_MAX]; /**< in the order to try */
};

typedef void (*zn_dns_addrinfo_cb)(struct zn_dns_resolver *r, void *arg,
                                   const struct zn_dns_addrinfo *ai);

/** The caller's memory for one zn_dns_resolve_connect(); its fields are
 * the library's. */
struct zn_dns_lookup {
  struct zn_dns_resolver *r;
  struct zn_dns_query *q6, *q4; /* NULL once answered */
  zn_dns_addrinfo_cb cb;
  void *arg;
  uint32_t n6, n4;
  struct zn_ip v6[ZN_DNS_MAX_ADDRS], v4[ZN_DNS_MAX_ADDRS];
  struct zn_dns_addrinfo ai;
};

/** Look `name` up for AAAA and A records at once (two queries of r's);
 * cb is called once, from zn_stack_poll(), when both have answered or
 * failed, unless zn_dns_lookup_cancel() comes first.  l must stay valid
 * until then.  Errors (cb will not be called, nothing stays in flight):
 * those of zn_dns_resolve(). */
int zn_dns_resolve_connect(struct zn_dns_resolver *r, const char *name,
                           zn_dns_addrinfo_cb cb, void *arg,
                           struct zn_dns_lookup *l);

/** Stop both queries of l; cb will not be called.  Not from inside cb. */
void zn_dns_lookup_cancel(struct zn_dns_lookup *l);

struct zn_dns_race;
/** Every attempt failed; err is the last attempt's error. */
typedef void (*zn_dns_race_fail_cb)(struct zn_dns_race *race, void *arg,
                                    int err);

struct zn_dns_race_cfg {
  const struct zn_ip *addrs; /**< to try in this order (copied) */
  uint32_t naddr;            /**< 1..ZN_DNS_CONNECT_MAX */
  uint16_t port;             /**< 1..65535 */
  uint32_t delay_ms;         /**< 0: ZN_DNS_CONNECT_DELAY_MS */
  /** The winner's callbacks and arg, from its on_connected on (which the
   * race calls for it); cb must stay valid as for zn_tcp_connect(). */
  const struct zn_tcp_callbacks *cb;
  void *arg;                /**< for cb and fail */
  zn_dns_race_fail_cb fail; /**< every attempt failed */
};

/** The caller's memory for one race; its fields are the library's.  It
 * must stay valid until zn_dns_race_idle() says so (the losers' handles
 * close after the winner is handed over). */
struct zn_dns_race {
  struct zn_stack *st;
  struct zn_dns_race_cfg cfg;
  struct zn_timer timer; /* the Connection Attempt Delay */
  struct zn_ip addrs[ZN_DNS_CONNECT_MAX];
  struct zn_tcp_conn *conns[ZN_DNS_CONNECT_MAX]; /* an attempt's handle
                                    until its on_closed */
  uint32_t next; /* index of the next attempt to start */
  uint32_t live; /* handles in conns */
  int last_err;
  uint8_t phase; /* racing, won, failed, cancelled */
};

/** Start the race on stack st (see above).  Errors (no callback will
 * come, nothing stays open): ZN_EINVAL (a bad cfg), or the error of the
 * last address tried when none could even start (ZN_EADDRNOTAVAIL,
 * ZN_EHOSTUNREACH, ZN_ENOMEM). */
int zn_dns_race_start(struct zn_stack *st, const struct zn_dns_race_cfg *cfg,
                      struct zn_dns_race *race);

/** Abort every attempt still running (not the winner, which is the
 * caller's); no more callbacks of the race. */
void zn_dns_race_cancel(struct zn_dns_race *race);

/** Whether race's memory is the caller's again: no attempt handle open
 * and no timer armed. */
bool zn_dns_race_idle(const struct zn_dns_race *race);

#endif /* ZNET_DNS_H */
