/*
 * Emitting DNS messages (RFC 1035 4.1) into a caller buffer, with name
 * compression (RFC 1035 4.1.4).
 *
 * Every add writes at b->len through put(), which checks capacity first,
 * and commits (len, the header count, the compression table) only once
 * everything fit; on failure the bytes written past b->len are simply not
 * part of the message.  The compression table only gains entries for
 * names that were completely written, so a match never reads bytes that
 * are not there yet, and every pointer written aims at an earlier offset
 * below 0x4000.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/dns_wire_int.h"
#include "znet/dns_wire.h"
#include "znet/err.h"
#include "znet/wire.h"

static bool hdr_ok(const struct zn_dns_hdr *h) {
  return h->opcode <= 15 && h->rcode <= 15;
}

static void write_hdr(uint8_t *p, const struct zn_dns_hdr *h) {
  uint16_t f = (uint16_t)((unsigned)h->opcode << 11 | h->rcode);

  if (h->qr)
    f |= ZN_DNS_F_QR;
  if (h->aa)
    f |= ZN_DNS_F_AA;
  if (h->tc)
    f |= ZN_DNS_F_TC;
  if (h->rd)
    f |= ZN_DNS_F_RD;
  if (h->ra)
    f |= ZN_DNS_F_RA;
  if (h->ad)
    f |= ZN_DNS_F_AD;
  if (h->cd)
    f |= ZN_DNS_F_CD;
  zn_wr16(p, h->id);
  zn_wr16(p + 2, f);
}

int zn_dns_build_init(struct zn_dns_builder *b, uint8_t *buf, size_t cap,
                      const struct zn_dns_hdr *h) {
  if (!hdr_ok(h))
    return ZN_EINVAL;
  if (cap < ZN_DNS_HDR_LEN)
    return ZN_ENOSPC;
  b->p = buf;
  b->cap = cap > ZN_DNS_MSG_MAX ? ZN_DNS_MSG_MAX : cap;
  b->len = ZN_DNS_HDR_LEN;
  b->section = ZN_DNS_SEC_QUESTION;
  b->has_opt = false;
  b->ncomp = 0;
  write_hdr(buf, h);
  memset(buf + 4, 0, 8);
  return ZN_OK;
}

int zn_dns_build_set_hdr(struct zn_dns_builder *b,
                         const struct zn_dns_hdr *h) {
  if (!hdr_ok(h))
    return ZN_EINVAL;
  write_hdr(b->p, h);
  return ZN_OK;
}

static int put(struct zn_dns_builder *b, size_t *pos, const void *src,
               size_t n) {
  if (n > b->cap - *pos)
    return ZN_ENOSPC;
  if (n > 0)
    memcpy(b->p + *pos, src, n);
  *pos += n;
  return ZN_OK;
}

static int put16(struct zn_dns_builder *b, size_t *pos, uint16_t v) {
  uint8_t t[2];

  zn_wr16(t, v);
  return put(b, pos, t, 2);
}

static int put32(struct zn_dns_builder *b, size_t *pos, uint32_t v) {
  uint8_t t[4];

  zn_wr32(t, v);
  return put(b, pos, t, 4);
}

/* Does the name written at offset e (below limit; pointers in it are ours,
 * so backward) spell exactly the wire-form suffix s[0..slen)? */
static bool match_at(const struct zn_dns_builder *b, size_t e, size_t limit,
                     const uint8_t *s, size_t slen) {
  size_t pos = e, k = 0;
  unsigned hops = 0;

  for (;;) {
    uint8_t c;
    if (pos >= limit)
      return false;
    c = b->p[pos];
    if ((c & 0xc0) == 0xc0) {
      if (pos + 1 >= limit || ++hops > ZN_DNS_PTR_HOPS_MAX)
        return false;
      pos = (size_t)(c & 0x3f) << 8 | b->p[pos + 1];
      continue;
    }
    if (c > ZN_DNS_LABEL_MAX || k >= slen || s[k] != c)
      return false;
    if (c == 0)
      return k + 1 == slen;
    if (k + 1u + c > slen || pos + 1u + c > limit ||
        memcmp(s + k + 1, b->p + pos + 1, c) != 0)
      return false;
    k += 1u + c;
    pos += 1u + c;
  }
}

/* Write name n at *pos.  With `compress`, end it with a pointer to the
 * longest suffix already in the table, and remember the offsets of the
 * labels written in place. */
static int put_name(struct zn_dns_builder *b, size_t *pos,
                    const struct zn_dns_name *n, bool compress) {
  uint16_t fresh[ZN_DNS_COMP_MAX];
  unsigned nfresh = 0;
  size_t i = 0;
  int err;

  while (n->b[i] != 0) {
    size_t l = n->b[i];
    if (compress) {
      for (unsigned k = 0; k < b->ncomp; k++) {
        if (match_at(b, b->comp[k], *pos, n->b + i, n->len - i)) {
          err = put16(b, pos, (uint16_t)(0xc000u | b->comp[k]));
          if (err != ZN_OK)
            return err;
          goto done;
        }
      }
      if (*pos < 0x4000 && b->ncomp + nfresh < ZN_DNS_COMP_MAX)
        fresh[nfresh++] = (uint16_t)*pos;
    }
    err = put(b, pos, n->b + i, 1 + l);
    if (err != ZN_OK)
      return err;
    i += 1 + l;
  }
  err = put(b, pos, n->b + i, 1);
  if (err != ZN_OK)
    return err;
done:
  for (unsigned k = 0; k < nfresh; k++)
    b->comp[b->ncomp++] = fresh[k];
  return ZN_OK;
}

int zn_dns_build_question(struct zn_dns_builder *b,
                          const struct zn_dns_name *name, uint16_t qtype,
                          uint16_t qclass) {
  size_t pos = b->len;
  uint8_t ncomp = b->ncomp;
  int err;

  if (b->section != ZN_DNS_SEC_QUESTION || !zn_dns_name_check(name))
    return ZN_EINVAL;
  err = put_name(b, &pos, name, true);
  if (err == ZN_OK)
    err = put16(b, &pos, qtype);
  if (err == ZN_OK)
    err = put16(b, &pos, qclass);
  if (err != ZN_OK) {
    b->ncomp = ncomp;
    return err;
  }
  b->len = pos;
  /* No count can overflow: the smallest entry is 5 bytes, the message at
   * most 65535. */
  zn_wr16(b->p + 4, (uint16_t)(zn_rd16(b->p + 4) + 1));
  return ZN_OK;
}

/* Arguments a record needs before anything is written. */
static bool rdata_ok(const struct zn_dns_rdata *rd) {
  switch (rd->type) {
  case ZN_DNS_TYPE_CNAME:
  case ZN_DNS_TYPE_NS:
  case ZN_DNS_TYPE_PTR:
    return zn_dns_name_check(&rd->u.name);
  case ZN_DNS_TYPE_MX:
    return zn_dns_name_check(&rd->u.mx.exchange);
  case ZN_DNS_TYPE_SOA:
    return zn_dns_name_check(&rd->u.soa.mname) &&
           zn_dns_name_check(&rd->u.soa.rname);
  case ZN_DNS_TYPE_SRV:
    return zn_dns_name_check(&rd->u.srv.target);
  case ZN_DNS_TYPE_TXT:
    return rd->u.txt.p != NULL &&
           zn__dns_txt_ok(rd->u.txt.p, rd->u.txt.len);
  case ZN_DNS_TYPE_OPT:
    return false;
  case ZN_DNS_TYPE_A:
  case ZN_DNS_TYPE_AAAA:
    return true; /* any address (u.raw overlaps it: not to be read) */
  default:
    return rd->u.raw.p != NULL || rd->u.raw.len == 0;
  }
}

static int put_rdata(struct zn_dns_builder *b, size_t *pos,
                     const struct zn_dns_rdata *rd) {
  int err;

  switch (rd->type) {
  case ZN_DNS_TYPE_A:
    return put32(b, pos, rd->u.a);
  case ZN_DNS_TYPE_AAAA:
    return put(b, pos, rd->u.aaaa, 16);
  case ZN_DNS_TYPE_CNAME:
  case ZN_DNS_TYPE_NS:
  case ZN_DNS_TYPE_PTR:
    return put_name(b, pos, &rd->u.name, true);
  case ZN_DNS_TYPE_MX:
    err = put16(b, pos, rd->u.mx.pref);
    return err != ZN_OK ? err : put_name(b, pos, &rd->u.mx.exchange, true);
  case ZN_DNS_TYPE_SOA: {
    const struct zn_dns_soa *s = &rd->u.soa;
    err = put_name(b, pos, &s->mname, true);
    if (err == ZN_OK)
      err = put_name(b, pos, &s->rname, true);
    if (err == ZN_OK)
      err = put32(b, pos, s->serial);
    if (err == ZN_OK)
      err = put32(b, pos, s->refresh);
    if (err == ZN_OK)
      err = put32(b, pos, s->retry);
    if (err == ZN_OK)
      err = put32(b, pos, s->expire);
    if (err == ZN_OK)
      err = put32(b, pos, s->minimum);
    return err;
  }
  case ZN_DNS_TYPE_SRV: {
    /* RFC 2782: the target is never compressed. */
    const struct zn_dns_srv *s = &rd->u.srv;
    err = put16(b, pos, s->prio);
    if (err == ZN_OK)
      err = put16(b, pos, s->weight);
    if (err == ZN_OK)
      err = put16(b, pos, s->port);
    if (err == ZN_OK)
      err = put_name(b, pos, &s->target, false);
    return err;
  }
  case ZN_DNS_TYPE_TXT:
    return put(b, pos, rd->u.txt.p, rd->u.txt.len);
  default:
    return put(b, pos, rd->u.raw.p, rd->u.raw.len);
  }
}

/* Commit a record written up to pos into `section`. */
static void commit_rr(struct zn_dns_builder *b, size_t pos,
                      enum zn_dns_section section) {
  uint8_t *cnt = b->p + 4 + 2 * (size_t)section;

  b->len = pos;
  b->section = (uint8_t)section;
  zn_wr16(cnt, (uint16_t)(zn_rd16(cnt) + 1));
}

int zn_dns_build_rr(struct zn_dns_builder *b, enum zn_dns_section section,
                    const struct zn_dns_name *name, uint16_t rclass,
                    uint32_t ttl, const struct zn_dns_rdata *rd) {
  size_t pos = b->len, rdlen_at;
  uint8_t ncomp = b->ncomp;
  int err;

  if (section < ZN_DNS_SEC_ANSWER || section > ZN_DNS_SEC_ADDITIONAL ||
      (unsigned)section < b->section || !zn_dns_name_check(name) ||
      !rdata_ok(rd))
    return ZN_EINVAL;
  err = put_name(b, &pos, name, true);
  if (err == ZN_OK)
    err = put16(b, &pos, rd->type);
  if (err == ZN_OK)
    err = put16(b, &pos, rclass);
  if (err == ZN_OK)
    err = put32(b, &pos, ttl);
  rdlen_at = pos;
  if (err == ZN_OK)
    err = put16(b, &pos, 0);
  if (err == ZN_OK)
    err = put_rdata(b, &pos, rd);
  if (err != ZN_OK) {
    b->ncomp = ncomp;
    return err;
  }
  /* pos <= cap <= 65535, so RDLENGTH fits. */
  zn_wr16(b->p + rdlen_at, (uint16_t)(pos - rdlen_at - 2));
  commit_rr(b, pos, section);
  return ZN_OK;
}

int zn_dns_build_opt(struct zn_dns_builder *b, const struct zn_dns_opt *opt) {
  static const uint8_t root = 0;
  size_t pos = b->len;
  uint32_t ttl;
  int err;

  if (opt->opts_len > ZN_DNS_MSG_MAX)
    return ZN_ENOSPC; /* cannot fit in any message */
  if (b->has_opt || (opt->opts == NULL && opt->opts_len != 0) ||
      (opt->opts_len != 0 && !zn__dns_opts_ok(opt->opts, opt->opts_len)))
    return ZN_EINVAL;
  ttl = (uint32_t)opt->ext_rcode << 24 | (uint32_t)opt->version << 16 |
        (opt->do_bit ? 0x8000u : 0u) | (opt->z & 0x7fffu);
  err = put(b, &pos, &root, 1);
  if (err == ZN_OK)
    err = put16(b, &pos, ZN_DNS_TYPE_OPT);
  if (err == ZN_OK)
    err = put16(b, &pos, opt->udp_size);
  if (err == ZN_OK)
    err = put32(b, &pos, ttl);
  if (err == ZN_OK)
    err = put16(b, &pos, (uint16_t)opt->opts_len); /* <= 65535 */
  if (err == ZN_OK)
    err = put(b, &pos, opt->opts, opt->opts_len);
  if (err != ZN_OK)
    return err;
  b->has_opt = true;
  commit_rr(b, pos, ZN_DNS_SEC_ADDITIONAL);
  return ZN_OK;
}

int zn_dns_build_response(struct zn_dns_builder *b, uint8_t *buf, size_t cap,
                          const struct zn_dns_msg *q, uint8_t rcode) {
  struct zn_dns_hdr h;
  struct zn_dns_iter it;
  struct zn_dns_question qu;
  int err;

  memset(&h, 0, sizeof(h));
  h.id = zn_dns_id(q);
  h.opcode = zn_dns_opcode(q);
  h.rd = zn_dns_rd(q);
  h.cd = zn_dns_cd(q);
  h.qr = true;
  h.rcode = rcode;
  err = zn_dns_build_init(b, buf, cap, &h);
  if (err != ZN_OK)
    return err;
  zn_dns_iter_init(&it, q);
  while ((err = zn_dns_iter_question(&it, &qu)) == ZN_OK) {
    err = zn_dns_build_question(b, &qu.name, qu.qtype, qu.qclass);
    if (err != ZN_OK)
      break;
  }
  if (err == ZN_EOF)
    return ZN_OK;
  /* Back to the bare header. */
  b->len = ZN_DNS_HDR_LEN;
  b->ncomp = 0;
  zn_wr16(b->p + 4, 0);
  return err;
}
