/*
 * DHCPv4 messages (RFC 2131 2, 3; options RFC 2132, RFC 3396 long
 * options, RFC 3442 classless static routes).
 *
 * One walk reads options (zn_dhcp4_opt_next): the view's check runs it
 * over every area once, so that a client can trust any later walk over
 * the same bytes.  Areas are walked in the order RFC 3396 5 joins split
 * options: the options field, then file, then sname when option 52 says
 * they carry options.  Every length is checked against the area it sits
 * in, never against the message: an option may not spill from file into
 * sname, nor from the options field into whatever follows.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"

/* Enter the next area still flagged in it->overload; false if none. */
static bool next_area(struct zn_dhcp4_opt_iter *it) {
  if (it->overload & ZN_DHCP4_OVERLOAD_FILE) {
    it->overload &= (uint8_t)~ZN_DHCP4_OVERLOAD_FILE;
    it->area = ZN_DHCP4_AREA_FILE;
    it->off = ZN_DHCP4_FILE_OFF;
    it->end = ZN_DHCP4_FILE_OFF + ZN_DHCP4_FILE_LEN;
    return true;
  }
  if (it->overload & ZN_DHCP4_OVERLOAD_SNAME) {
    it->overload &= (uint8_t)~ZN_DHCP4_OVERLOAD_SNAME;
    it->area = ZN_DHCP4_AREA_SNAME;
    it->off = ZN_DHCP4_SNAME_OFF;
    it->end = ZN_DHCP4_SNAME_OFF + ZN_DHCP4_SNAME_LEN;
    return true;
  }
  return false;
}

/* A walk of the options field of the len-byte message p, then of the
 * areas `overload` names. */
static void iter_start(struct zn_dhcp4_opt_iter *it, const uint8_t *p,
                       size_t len, uint8_t overload) {
  it->p = p;
  it->area = ZN_DHCP4_AREA_OPTIONS;
  it->off = ZN_DHCP4_OPTS_OFF;
  it->end = len;
  it->overload = overload & (ZN_DHCP4_OVERLOAD_FILE | ZN_DHCP4_OVERLOAD_SNAME);
}

void zn_dhcp4_opt_iter_init(struct zn_dhcp4_opt_iter *it,
                            const struct zn_dhcp4_view *v) {
  iter_start(it, v->p, v->len, v->overload);
}

int zn_dhcp4_opt_next(struct zn_dhcp4_opt_iter *it, struct zn_dhcp4_opt *o) {
  for (;;) {
    if (it->off >= it->end) {
      if (!next_area(it))
        return ZN_ENOENT;
      continue;
    }
    uint8_t code = it->p[it->off];
    if (code == ZN_DHCP4_OPT_PAD) {
      it->off++;
      continue;
    }
    if (code == ZN_DHCP4_OPT_END) {
      it->off = it->end;
      continue;
    }
    /* off < end, so off + 1 cannot wrap; the sum is in size_t and both
     * terms are below 64 KiB + 256. */
    if (it->off + 1 >= it->end ||
        it->off + 2 + (size_t)it->p[it->off + 1] > it->end) {
      it->off = it->end;
      it->overload = 0;
      return ZN_EMALFORMED;
    }
    o->code = code;
    o->len = it->p[it->off + 1];
    o->data = it->p + it->off + 2;
    o->area = it->area;
    it->off += 2 + (size_t)o->len;
    return ZN_OK;
  }
}

/* Option 52 or 53: one byte, at most once. */
static int single_byte(const struct zn_dhcp4_opt *o, uint8_t *val) {
  if (o->len != 1 || *val != 0)
    return ZN_EMALFORMED;
  *val = o->data[0];
  return *val != 0 ? ZN_OK : ZN_EMALFORMED;
}

/* Walk every area of the message, learning 52 from the options field on
 * the way (the file and sname areas come after it). */
static int check_options(const uint8_t *p, size_t len, uint8_t *overload,
                         uint8_t *msg_type, uint16_t *nopts) {
  struct zn_dhcp4_opt_iter it;
  struct zn_dhcp4_opt o;
  int rc;
  *overload = 0;
  *msg_type = 0;
  *nopts = 0;
  iter_start(&it, p, len, 0);
  while ((rc = zn_dhcp4_opt_next(&it, &o)) == ZN_OK) {
    if (o.code == ZN_DHCP4_OPT_OVERLOAD && o.area == ZN_DHCP4_AREA_OPTIONS) {
      if (single_byte(&o, overload) != ZN_OK || *overload > 3)
        return ZN_EMALFORMED;
      /* The walk is still in the options field: the areas it names
       * come after it. */
      it.overload = *overload;
    } else if (o.code == ZN_DHCP4_OPT_MSG_TYPE) {
      if (single_byte(&o, msg_type) != ZN_OK)
        return ZN_EMALFORMED;
    }
    if (*nopts < UINT16_MAX)
      (*nopts)++;
  }
  return rc == ZN_ENOENT ? ZN_OK : rc;
}

int zn_dhcp4_view_init(struct zn_dhcp4_view *v, const uint8_t *p, size_t len) {
  uint8_t overload, msg_type;
  uint16_t nopts;
  if (len < ZN_DHCP4_MIN_LEN)
    return ZN_ETRUNCATED;
  if (zn_rd32(p + ZN_DHCP4_FIXED_LEN) != ZN_DHCP4_COOKIE)
    return ZN_EPROTO;
  int rc = check_options(p, len, &overload, &msg_type, &nopts);
  if (rc != ZN_OK)
    return rc;
  v->p = p;
  v->len = len;
  v->op = p[0];
  v->htype = p[1];
  v->hlen = p[2];
  v->hops = p[3];
  v->xid = zn_rd32(p + 4);
  v->secs = zn_rd16(p + 8);
  v->flags = zn_rd16(p + 10);
  v->ciaddr = zn_rd32(p + 12);
  v->yiaddr = zn_rd32(p + 16);
  v->siaddr = zn_rd32(p + 20);
  v->giaddr = zn_rd32(p + 24);
  v->chaddr = p + 28;
  v->overload = overload;
  v->msg_type = msg_type;
  v->nopts = nopts;
  return ZN_OK;
}

int zn_dhcp4_opt_get(const struct zn_dhcp4_view *v, uint8_t code, uint8_t *buf,
                     size_t cap, size_t *len) {
  struct zn_dhcp4_opt_iter it;
  struct zn_dhcp4_opt o;
  size_t n = 0;
  bool found = false;
  if (code == ZN_DHCP4_OPT_PAD || code == ZN_DHCP4_OPT_END)
    return ZN_EINVAL;
  zn_dhcp4_opt_iter_init(&it, v);
  while (zn_dhcp4_opt_next(&it, &o) == ZN_OK) {
    if (o.code != code)
      continue;
    found = true;
    if (n < cap) {
      size_t k = cap - n < o.len ? cap - n : o.len;
      memcpy(buf + n, o.data, k);
    }
    n += o.len; /* at most 64 KiB of options: no overflow */
  }
  *len = n;
  if (!found)
    return ZN_ENOENT;
  return n > cap ? ZN_EMSGSIZE : ZN_OK;
}

int zn_dhcp4_mask_prefix(uint32_t mask) {
  int n = 0;
  while (n < 32 && (mask & (0x80000000u >> n)) != 0)
    n++;
  uint32_t want = n == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - n));
  return mask == want ? n : -1;
}

int zn_dhcp4_route_next(const uint8_t *p, size_t len, size_t *off,
                        struct zn_dhcp4_route *r) {
  size_t o = *off;
  if (o >= len)
    return ZN_ENOENT;
  uint8_t width = p[o];
  if (width > 32)
    return ZN_EMALFORMED;
  size_t sig = ((size_t)width + 7) / 8;
  if (len - o < 1 + sig + 4)
    return ZN_EMALFORMED;
  uint32_t dst = 0;
  for (size_t i = 0; i < sig; i++)
    dst |= (uint32_t)p[o + 1 + i] << (24 - 8 * i);
  r->prefix = width;
  r->dst = width == 0 ? 0 : dst & (uint32_t)(0xffffffffu << (32 - width));
  r->router = zn_rd32(p + o + 1 + sig);
  *off = o + 1 + sig + 4;
  return ZN_OK;
}

size_t zn_dhcp4_emit(uint8_t *p, const struct zn_dhcp4_hdr *h) {
  memset(p, 0, ZN_DHCP4_OPTS_OFF);
  p[0] = h->op;
  p[1] = ZN_DHCP4_HTYPE_ETH;
  p[2] = ZN_ETH_ADDR_LEN;
  zn_wr32(p + 4, h->xid);
  zn_wr16(p + 8, h->secs);
  zn_wr16(p + 10, h->flags);
  zn_wr32(p + 12, h->ciaddr);
  zn_wr32(p + 16, h->yiaddr);
  zn_wr32(p + 20, h->siaddr);
  zn_wr32(p + 24, h->giaddr);
  memcpy(p + 28, h->chaddr, ZN_ETH_ADDR_LEN);
  zn_wr32(p + ZN_DHCP4_FIXED_LEN, ZN_DHCP4_COOKIE);
  return ZN_DHCP4_OPTS_OFF;
}

size_t zn_dhcp4_opt_emit(uint8_t *p, uint8_t code, const void *data,
                         size_t len) {
  p[0] = code;
  p[1] = (uint8_t)len;
  if (len)
    memcpy(p + 2, data, len);
  return len + 2;
}

size_t zn_dhcp4_finish(uint8_t *p, size_t len) {
  p[len++] = ZN_DHCP4_OPT_END;
  if (len < ZN_DHCP4_BOOTP_MIN_LEN) {
    memset(p + len, 0, ZN_DHCP4_BOOTP_MIN_LEN - len);
    len = ZN_DHCP4_BOOTP_MIN_LEN;
  }
  return len;
}
