/*
 * DNS messages: the view, the section iterator and every RDATA decoder
 * against their contracts; names produced must be in wire form, and text
 * written from a name must parse back to the same name; a message that
 * zn_dns_msg_check accepts must walk without error and survive being
 * rebuilt with the builder; a response built to it must check.
 */
#include <string.h>

#include "fuzz_util.h"

static void check_name(const struct zn_dns_name *n) {
  FZ_CHECK(zn_dns_name_check(n));
  char text[ZN_DNS_NAME_TEXT_MAX];
  size_t tl;
  FZ_CHECK(zn_dns_name_to_text(n, text, sizeof(text), &tl) == ZN_OK);
  FZ_CHECK(tl == strlen(text));
  struct zn_dns_name back;
  FZ_CHECK(zn_dns_name_from_text(&back, text, tl) == ZN_OK);
  FZ_CHECK(back.len == n->len && memcmp(back.b, n->b, n->len) == 0);
  struct zn_dns_name low = *n;
  zn_dns_name_lower(&low);
  FZ_CHECK(zn_dns_name_eq(&low, n) && zn_dns_name_is_sub(n, &low));
}

static void check_rdata(const struct zn_dns_rdata *rd) {
  size_t off = 0;
  const uint8_t *p;
  size_t len;
  uint16_t code, dlen;
  int rc;
  switch (rd->type) {
  case ZN_DNS_TYPE_CNAME:
  case ZN_DNS_TYPE_NS:
  case ZN_DNS_TYPE_PTR:
    check_name(&rd->u.name);
    break;
  case ZN_DNS_TYPE_MX:
    check_name(&rd->u.mx.exchange);
    break;
  case ZN_DNS_TYPE_SOA:
    check_name(&rd->u.soa.mname);
    check_name(&rd->u.soa.rname);
    break;
  case ZN_DNS_TYPE_SRV:
    check_name(&rd->u.srv.target);
    break;
  case ZN_DNS_TYPE_TXT:
    while ((rc = zn_dns_txt_next(&rd->u.txt, &off, &p, &len)) == ZN_OK)
      FZ_CHECK(p + len <= rd->u.txt.p + rd->u.txt.len && off <= rd->u.txt.len);
    FZ_CHECK(rc == ZN_EOF && off == rd->u.txt.len);
    break;
  case ZN_DNS_TYPE_OPT:
    while ((rc = zn_dns_opt_next(&rd->u.opt, &off, &code, &p, &dlen)) == ZN_OK)
      FZ_CHECK(p + dlen <= rd->u.opt.opts + rd->u.opt.opts_len);
    FZ_CHECK(rc == ZN_EOF && off == rd->u.opt.opts_len);
    break;
  default:
    break;
  }
}

/* The bytes an entry's RDATA takes written without compression: the
 * most the builder can need for it. */
static size_t rdata_size(const struct zn_dns_rdata *rd, size_t rdlen) {
  switch (rd->type) {
  case ZN_DNS_TYPE_A:
    return 4;
  case ZN_DNS_TYPE_AAAA:
    return 16;
  case ZN_DNS_TYPE_CNAME:
  case ZN_DNS_TYPE_NS:
  case ZN_DNS_TYPE_PTR:
    return rd->u.name.len;
  case ZN_DNS_TYPE_MX:
    return 2 + (size_t)rd->u.mx.exchange.len;
  case ZN_DNS_TYPE_SOA:
    return (size_t)rd->u.soa.mname.len + rd->u.soa.rname.len + 20;
  case ZN_DNS_TYPE_SRV:
    return 6 + (size_t)rd->u.srv.target.len;
  case ZN_DNS_TYPE_TXT:
    return rd->u.txt.len;
  case ZN_DNS_TYPE_OPT:
    return rd->u.opt.opts_len;
  default:
    return rdlen;
  }
}

/* The rebuilt message did not fit: the builder may compress less than
 * the original did, and a message holds 65535 bytes at most.  Once an
 * entry did not fit, no more are added. */
static bool full;

/* An add returned rc for an entry of at most `need` bytes: ZN_OK, or
 * ZN_ENOSPC only when the entry written without compression would not
 * fit, with nothing changed (length and counts). */
static void added(const struct zn_dns_builder *b, size_t len_before,
                  const uint8_t counts[8], size_t need, int rc) {
  if (rc != ZN_ENOSPC) {
    FZ_CHECK(rc == ZN_OK);
    return;
  }
  FZ_CHECK(len_before + need > b->cap);
  FZ_CHECK(zn_dns_build_len(b) == len_before);
  FZ_CHECK(memcmp(b->p + 4, counts, 8) == 0);
  full = true;
}

/* Walk every entry; returns the first error (ZN_EOF: all fine).  Entries
 * are re-added to b when b is not NULL (a checked message). */
static int walk(const struct zn_dns_msg *m, struct zn_dns_builder *b) {
  struct zn_dns_iter it;
  zn_dns_iter_init(&it, m);
  uint32_t total = (uint32_t)zn_dns_qdcount(m) + zn_dns_ancount(m) +
                   zn_dns_nscount(m) + zn_dns_arcount(m);
  struct zn_dns_question q;
  int rc;
  uint32_t seen = 0;
  while ((rc = zn_dns_iter_question(&it, &q)) == ZN_OK) {
    FZ_CHECK(++seen <= zn_dns_qdcount(m));
    check_name(&q.name);
    if (b && !full) {
      size_t len = zn_dns_build_len(b);
      uint8_t counts[8];
      memcpy(counts, b->p + 4, 8);
      added(b, len, counts, (size_t)q.name.len + 4,
            zn_dns_build_question(b, &q.name, q.qtype, q.qclass));
    }
  }
  if (rc != ZN_EOF)
    return rc;
  FZ_CHECK(seen == zn_dns_qdcount(m));
  struct zn_dns_rr rr;
  while ((rc = zn_dns_iter_rr(&it, &rr)) == ZN_OK) {
    FZ_CHECK(++seen <= total);
    FZ_CHECK(it.off <= m->len && rr.rdoff + rr.rdlen <= m->len);
    FZ_CHECK(rr.rdata == m->p + rr.rdoff && rr.section >= ZN_DNS_SEC_ANSWER &&
             rr.section <= ZN_DNS_SEC_ADDITIONAL);
    check_name(&rr.name);
    struct zn_dns_rdata rd;
    if (zn_dns_rr_rdata(m, &rr, &rd) != ZN_OK) {
      FZ_CHECK(b == NULL);
      continue;
    }
    FZ_CHECK(rd.type == rr.type);
    check_rdata(&rd);
    if (!b || full)
      continue;
    size_t len = zn_dns_build_len(b);
    size_t need = (size_t)rr.name.len + 10 + rdata_size(&rd, rr.rdlen);
    uint8_t counts[8];
    memcpy(counts, b->p + 4, 8);
    if (rr.type == ZN_DNS_TYPE_OPT)
      added(b, len, counts, need, zn_dns_build_opt(b, &rd.u.opt));
    else
      added(b, len, counts, need,
            zn_dns_build_rr(b, (enum zn_dns_section)rr.section, &rr.name,
                            rr.rclass, rr.ttl, &rd));
  }
  if (rc == ZN_EOF)
    FZ_CHECK(seen == total);
  return rc;
}

static uint8_t out[ZN_DNS_MSG_MAX];
static uint8_t out2[ZN_DNS_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  struct zn_dns_msg m;
  if (zn_dns_msg_init(&m, d, n) != ZN_OK) {
    FZ_CHECK(n < ZN_DNS_HDR_LEN || n > ZN_DNS_MSG_MAX);
    return 0;
  }
  struct zn_dns_hdr h;
  zn_dns_msg_hdr(&m, &h);
  FZ_CHECK(h.id == zn_dns_id(&m) && h.qr == zn_dns_qr(&m) &&
           h.opcode == zn_dns_opcode(&m) && h.rcode == zn_dns_rcode(&m));
  int wrc = walk(&m, NULL);
  int crc = zn_dns_msg_check(&m);
  struct zn_dns_opt opt;
  int orc = zn_dns_msg_opt(&m, &opt);
  FZ_CHECK(orc == ZN_OK || orc == ZN_ENOENT || orc == ZN_EMALFORMED ||
           orc == ZN_ETRUNCATED);
  if (crc == ZN_OK) {
    FZ_CHECK(wrc == ZN_EOF && orc != ZN_EMALFORMED && orc != ZN_ETRUNCATED);
    /* Rebuild the whole message record by record; it must check, and
     * hold as many entries. */
    struct zn_dns_builder b;
    FZ_CHECK(zn_dns_build_init(&b, out, sizeof(out), &h) == ZN_OK);
    full = false;
    FZ_CHECK(walk(&m, &b) == ZN_EOF);
    struct zn_dns_msg m2;
    FZ_CHECK(zn_dns_msg_init(&m2, out, zn_dns_build_len(&b)) == ZN_OK);
    FZ_CHECK(zn_dns_msg_check(&m2) == ZN_OK);
    if (!full)
      FZ_CHECK(zn_dns_qdcount(&m2) == zn_dns_qdcount(&m) &&
               zn_dns_ancount(&m2) == zn_dns_ancount(&m) &&
               zn_dns_nscount(&m2) == zn_dns_nscount(&m) &&
               zn_dns_arcount(&m2) == zn_dns_arcount(&m));
  } else {
    FZ_CHECK(crc == ZN_ETRUNCATED || crc == ZN_EMALFORMED);
  }
  struct zn_dns_builder r;
  int rrc = zn_dns_build_response(&r, out2, sizeof(out2), &m,
                                  ZN_DNS_RCODE_REFUSED);
  struct zn_dns_msg m3;
  FZ_CHECK(zn_dns_msg_init(&m3, out2, zn_dns_build_len(&r)) == ZN_OK);
  FZ_CHECK(zn_dns_msg_check(&m3) == ZN_OK && zn_dns_qr(&m3) &&
           zn_dns_id(&m3) == zn_dns_id(&m));
  if (rrc != ZN_OK)
    FZ_CHECK(zn_dns_qdcount(&m3) == 0);
  return 0;
}
