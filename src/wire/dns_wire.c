/*
 * DNS messages (RFC 1035 4): the checked view, the section iterator, name
 * decompression and RDATA decoding.
 *
 * Offsets are size_t and the message is at most 65535 bytes, so a sum of
 * an offset and any 16-bit field cannot overflow.  Every read is preceded
 * by a comparison against the bound it must respect: the message length,
 * or, for names and fields inside RDATA, the end of the RDATA.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/dns_wire_int.h"
#include "znet/dns_wire.h"
#include "znet/err.h"
#include "znet/wire.h"

#define RR_FIXED_LEN 10 /* TYPE, CLASS, TTL, RDLENGTH */
#define Q_FIXED_LEN 4   /* QTYPE, QCLASS */

int zn_dns_msg_init(struct zn_dns_msg *m, const uint8_t *p, size_t len) {
  if (len < ZN_DNS_HDR_LEN)
    return ZN_ETRUNCATED;
  if (len > ZN_DNS_MSG_MAX)
    return ZN_EMSGSIZE;
  m->p = p;
  m->len = len;
  return ZN_OK;
}

void zn_dns_msg_hdr(const struct zn_dns_msg *m, struct zn_dns_hdr *h) {
  h->id = zn_dns_id(m);
  h->opcode = zn_dns_opcode(m);
  h->rcode = zn_dns_rcode(m);
  h->qr = zn_dns_qr(m);
  h->aa = zn_dns_aa(m);
  h->tc = zn_dns_tc(m);
  h->rd = zn_dns_rd(m);
  h->ra = zn_dns_ra(m);
  h->ad = zn_dns_ad(m);
  h->cd = zn_dns_cd(m);
}

/*
 * Read the name at `off`.  Bytes read in place (before the first jump)
 * must lie below `end`; after a jump, anywhere in the message.  *next is
 * the offset just after the name's in-place bytes.
 *
 * Termination: `run` is where the current run of labels started (the
 * name's offset, then each jump target); a pointer must aim strictly below
 * it, so jump targets strictly decrease.  The hop limit only bounds the
 * work of long pointer-to-pointer chains.
 */
static int read_name(const struct zn_dns_msg *m, size_t off, size_t end,
                     struct zn_dns_name *out, size_t *next) {
  const uint8_t *p = m->p;
  size_t pos = off, run = off, bound = end;
  size_t o = 0;
  unsigned hops = 0;
  bool jumped = false;

  for (;;) {
    uint8_t c;
    if (pos >= bound)
      return ZN_ETRUNCATED;
    c = p[pos];
    switch (c & 0xc0) {
    case 0xc0: {
      size_t target;
      if (pos + 1 >= bound)
        return ZN_ETRUNCATED;
      target = (size_t)(c & 0x3f) << 8 | p[pos + 1];
      if (!jumped)
        *next = pos + 2;
      if (target < ZN_DNS_HDR_LEN || target >= run)
        return ZN_EMALFORMED;
      if (++hops > ZN_DNS_PTR_HOPS_MAX)
        return ZN_EMALFORMED;
      jumped = true;
      bound = m->len;
      pos = run = target;
      break;
    }
    case 0x00:
      if (c == 0) {
        out->b[o++] = 0;
        out->len = (uint8_t)o;
        if (!jumped)
          *next = pos + 1;
        return ZN_OK;
      }
      /* The label and, after it, at least the root must fit in 255. */
      if (o + 1u + c + 1u > ZN_DNS_NAME_MAX)
        return ZN_EMALFORMED;
      if (pos + 1u + c > bound)
        return ZN_ETRUNCATED;
      memcpy(out->b + o, p + pos, 1u + (size_t)c);
      o += 1u + c;
      pos += 1u + c;
      break;
    default: /* 0x40 extended (RFC 6891 dropped it), 0x80 reserved */
      return ZN_EMALFORMED;
    }
  }
}

void zn_dns_iter_init(struct zn_dns_iter *it, const struct zn_dns_msg *m) {
  it->m = m;
  it->off = ZN_DNS_HDR_LEN;
  it->index = 0;
  it->err = ZN_OK;
}

static int fail(struct zn_dns_iter *it, int err) {
  it->err = err;
  return err;
}

int zn_dns_iter_question(struct zn_dns_iter *it, struct zn_dns_question *q) {
  const struct zn_dns_msg *m = it->m;
  size_t next;
  int err;

  if (it->err != ZN_OK)
    return it->err;
  if (it->index >= zn_dns_qdcount(m))
    return ZN_EOF;
  err = read_name(m, it->off, m->len, &q->name, &next);
  if (err != ZN_OK)
    return fail(it, err);
  if (next + Q_FIXED_LEN > m->len)
    return fail(it, ZN_ETRUNCATED);
  q->qtype = zn_rd16(m->p + next);
  q->qclass = zn_rd16(m->p + next + 2);
  it->off = next + Q_FIXED_LEN;
  it->index++;
  return ZN_OK;
}

int zn_dns_iter_rr(struct zn_dns_iter *it, struct zn_dns_rr *rr) {
  const struct zn_dns_msg *m = it->m;
  uint32_t qd = zn_dns_qdcount(m), an = zn_dns_ancount(m);
  uint32_t ns = zn_dns_nscount(m), ar = zn_dns_arcount(m);
  size_t next, rdoff;
  int err;

  if (it->err != ZN_OK)
    return it->err;
  while (it->index < qd) {
    struct zn_dns_question q;
    err = zn_dns_iter_question(it, &q);
    if (err != ZN_OK)
      return err;
  }
  if (it->index >= qd + an + ns + ar)
    return ZN_EOF;
  err = read_name(m, it->off, m->len, &rr->name, &next);
  if (err != ZN_OK)
    return fail(it, err);
  if (next + RR_FIXED_LEN > m->len)
    return fail(it, ZN_ETRUNCATED);
  rr->type = zn_rd16(m->p + next);
  rr->rclass = zn_rd16(m->p + next + 2);
  rr->ttl = zn_rd32(m->p + next + 4);
  rr->rdlen = zn_rd16(m->p + next + 8);
  rdoff = next + RR_FIXED_LEN;
  if (rdoff + rr->rdlen > m->len)
    return fail(it, ZN_ETRUNCATED);
  rr->rdoff = rdoff;
  rr->rdata = m->p + rdoff;
  if (it->index < qd + an)
    rr->section = ZN_DNS_SEC_ANSWER;
  else if (it->index < qd + an + ns)
    rr->section = ZN_DNS_SEC_AUTHORITY;
  else
    rr->section = ZN_DNS_SEC_ADDITIONAL;
  it->off = rdoff + rr->rdlen;
  it->index++;
  return ZN_OK;
}

/* ---- RDATA ------------------------------------------------------------- */

/* A name inside RDATA: in-place bytes below `end`.  The record is known to
 * be complete, so any failure is a malformed record, not a short
 * message. */
static int rd_name(const struct zn_dns_msg *m, size_t *pos, size_t end,
                   struct zn_dns_name *out) {
  size_t next;

  if (read_name(m, *pos, end, out, &next) != ZN_OK)
    return ZN_EMALFORMED;
  *pos = next;
  return ZN_OK;
}

bool zn__dns_txt_ok(const uint8_t *p, size_t len) {
  size_t i = 0;

  if (len == 0)
    return false;
  while (i < len)
    i += 1u + p[i];
  return i == len;
}

bool zn__dns_opts_ok(const uint8_t *p, size_t len) {
  size_t i = 0;

  while (len - i >= 4) {
    size_t dlen = zn_rd16(p + i + 2);
    if (dlen > len - i - 4)
      return false;
    i += 4 + dlen;
  }
  return i == len;
}

int zn_dns_rr_rdata(const struct zn_dns_msg *m, const struct zn_dns_rr *rr,
                    struct zn_dns_rdata *rd) {
  const uint8_t *p = m->p;
  size_t pos = rr->rdoff, end = rr->rdoff + rr->rdlen;

  rd->type = rr->type;
  switch (rr->type) {
  case ZN_DNS_TYPE_A:
    if (rr->rdlen != 4)
      return ZN_EMALFORMED;
    rd->u.a = zn_rd32(p + pos);
    return ZN_OK;
  case ZN_DNS_TYPE_AAAA:
    if (rr->rdlen != 16)
      return ZN_EMALFORMED;
    memcpy(rd->u.aaaa, p + pos, 16);
    return ZN_OK;
  case ZN_DNS_TYPE_CNAME:
  case ZN_DNS_TYPE_NS:
  case ZN_DNS_TYPE_PTR:
    if (rd_name(m, &pos, end, &rd->u.name) != ZN_OK || pos != end)
      return ZN_EMALFORMED;
    return ZN_OK;
  case ZN_DNS_TYPE_MX:
    if (rr->rdlen < 3)
      return ZN_EMALFORMED;
    rd->u.mx.pref = zn_rd16(p + pos);
    pos += 2;
    if (rd_name(m, &pos, end, &rd->u.mx.exchange) != ZN_OK || pos != end)
      return ZN_EMALFORMED;
    return ZN_OK;
  case ZN_DNS_TYPE_SOA:
    if (rd_name(m, &pos, end, &rd->u.soa.mname) != ZN_OK ||
        rd_name(m, &pos, end, &rd->u.soa.rname) != ZN_OK ||
        end - pos != 20)
      return ZN_EMALFORMED;
    rd->u.soa.serial = zn_rd32(p + pos);
    rd->u.soa.refresh = zn_rd32(p + pos + 4);
    rd->u.soa.retry = zn_rd32(p + pos + 8);
    rd->u.soa.expire = zn_rd32(p + pos + 12);
    rd->u.soa.minimum = zn_rd32(p + pos + 16);
    return ZN_OK;
  case ZN_DNS_TYPE_SRV:
    if (rr->rdlen < 7)
      return ZN_EMALFORMED;
    rd->u.srv.prio = zn_rd16(p + pos);
    rd->u.srv.weight = zn_rd16(p + pos + 2);
    rd->u.srv.port = zn_rd16(p + pos + 4);
    pos += 6;
    if (rd_name(m, &pos, end, &rd->u.srv.target) != ZN_OK || pos != end)
      return ZN_EMALFORMED;
    return ZN_OK;
  case ZN_DNS_TYPE_TXT:
    if (!zn__dns_txt_ok(p + pos, rr->rdlen))
      return ZN_EMALFORMED;
    rd->u.txt.p = p + pos;
    rd->u.txt.len = rr->rdlen;
    return ZN_OK;
  case ZN_DNS_TYPE_OPT:
    /* RFC 6891 6.1.2: the owner MUST be the root. */
    if (rr->name.len != 1 || !zn__dns_opts_ok(p + pos, rr->rdlen))
      return ZN_EMALFORMED;
    rd->u.opt.udp_size = rr->rclass;
    rd->u.opt.ext_rcode = (uint8_t)(rr->ttl >> 24);
    rd->u.opt.version = (uint8_t)(rr->ttl >> 16);
    rd->u.opt.do_bit = (rr->ttl & 0x8000u) != 0;
    rd->u.opt.z = (uint16_t)(rr->ttl & 0x7fffu);
    rd->u.opt.opts = p + pos;
    rd->u.opt.opts_len = rr->rdlen;
    return ZN_OK;
  default:
    rd->u.raw.p = p + pos;
    rd->u.raw.len = rr->rdlen;
    return ZN_OK;
  }
}

int zn_dns_txt_next(const struct zn_dns_txt *t, size_t *off,
                    const uint8_t **s, size_t *slen) {
  size_t i = *off, l;

  if (i >= t->len)
    return ZN_EOF;
  l = t->p[i];
  if (l > t->len - i - 1)
    return ZN_EMALFORMED;
  *s = t->p + i + 1;
  *slen = l;
  *off = i + 1 + l;
  return ZN_OK;
}

int zn_dns_opt_next(const struct zn_dns_opt *o, size_t *off, uint16_t *code,
                    const uint8_t **data, uint16_t *dlen) {
  size_t i = *off;
  uint16_t l;

  if (i >= o->opts_len)
    return ZN_EOF;
  if (o->opts_len - i < 4)
    return ZN_EMALFORMED;
  l = zn_rd16(o->opts + i + 2);
  if (l > o->opts_len - i - 4)
    return ZN_EMALFORMED;
  *code = zn_rd16(o->opts + i);
  *dlen = l;
  *data = o->opts + i + 4;
  *off = i + 4 + l;
  return ZN_OK;
}

/* Walk everything; return the OPT record if found (*nopt counts them). */
static int walk(const struct zn_dns_msg *m, struct zn_dns_opt *opt,
                unsigned *nopt) {
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  struct zn_dns_rdata rd;
  int err;

  *nopt = 0;
  zn_dns_iter_init(&it, m);
  while ((err = zn_dns_iter_rr(&it, &rr)) == ZN_OK) {
    err = zn_dns_rr_rdata(m, &rr, &rd);
    if (err != ZN_OK)
      return err;
    if (rr.type == ZN_DNS_TYPE_OPT) {
      if (rr.section != ZN_DNS_SEC_ADDITIONAL || ++*nopt > 1)
        return ZN_EMALFORMED;
      *opt = rd.u.opt;
    }
  }
  return err == ZN_EOF ? ZN_OK : err;
}

int zn_dns_msg_check(const struct zn_dns_msg *m) {
  struct zn_dns_opt opt;
  unsigned nopt;

  return walk(m, &opt, &nopt);
}

int zn_dns_msg_opt(const struct zn_dns_msg *m, struct zn_dns_opt *opt) {
  struct zn_dns_opt o;
  unsigned nopt;
  int err = walk(m, &o, &nopt);

  if (err != ZN_OK)
    return err;
  if (nopt == 0)
    return ZN_ENOENT;
  *opt = o;
  return ZN_OK;
}
