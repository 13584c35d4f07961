/*
 * DNS names in expanded wire form: checks, comparison ignoring ASCII case
 * (RFC 4343), and conversion to and from presentation text (RFC 1035
 * 5.1).
 *
 * Functions that take a name trust the form documented in znet/dns_wire.h
 * (labels of 1..63 bytes ending with the root label at len); loops are
 * still bounded by len so that a caller's hand-made bad name cannot make
 * them read past b[].
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/dns_wire.h"
#include "znet/err.h"

bool zn_dns_name_check(const struct zn_dns_name *n) {
  size_t i = 0;

  if (n->len < 1)
    return false;
  while (i < n->len) {
    uint8_t c = n->b[i];
    if (c == 0)
      return i + 1 == n->len;
    if (c > ZN_DNS_LABEL_MAX)
      return false;
    i += 1u + c;
  }
  return false;
}

unsigned zn_dns_name_labels(const struct zn_dns_name *n) {
  unsigned k = 0;
  size_t i = 0;

  while (i < n->len && n->b[i] != 0) {
    i += 1u + n->b[i];
    k++;
  }
  return k;
}

/* Length octets are at most 63, below 'A', so folding the whole wire form
 * compares label lengths exactly and label bytes without case. */
bool zn_dns_name_eq(const struct zn_dns_name *a, const struct zn_dns_name *b) {
  return a->len == b->len && zn_dns_eq_nocase(a->b, b->b, a->len);
}

bool zn_dns_name_is_sub(const struct zn_dns_name *name,
                        const struct zn_dns_name *zone) {
  size_t i = 0;

  if (zone->len > name->len)
    return false;
  /* Walk name's labels until the rest is as long as zone: only a suffix
   * that starts on a label boundary may match. */
  while (i < name->len && name->len - i > zone->len) {
    if (name->b[i] == 0)
      return false;
    i += 1u + name->b[i];
  }
  return i <= name->len && name->len - i == zone->len &&
         zn_dns_eq_nocase(name->b + i, zone->b, zone->len);
}

void zn_dns_name_lower(struct zn_dns_name *n) {
  size_t i = 0;

  while (i < n->len && n->b[i] != 0) {
    size_t l = n->b[i];
    for (size_t k = i + 1; k <= i + l && k < n->len; k++)
      n->b[k] = zn_dns_lower(n->b[k]);
    i += 1u + l;
  }
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int zn_dns_name_from_text(struct zn_dns_name *n, const char *s, size_t len) {
  uint8_t out[ZN_DNS_NAME_MAX];
  size_t lab = 0;     /* out[lab] is the open label's length octet */
  size_t o = 1;       /* next byte to write */
  bool closed = false; /* the last thing read was a separating dot */
  size_t i = 0;

  if (len == 0)
    return ZN_EINVAL;
  if (len == 1 && s[0] == '.') {
    n->len = 1;
    n->b[0] = 0;
    return ZN_OK;
  }
  while (i < len) {
    uint8_t c = (uint8_t)s[i];
    if (c == 0)
      return ZN_EINVAL;
    if (c == '.') {
      if (o == lab + 1)
        return ZN_EINVAL; /* empty label */
      out[lab] = (uint8_t)(o - lab - 1);
      /* Reserve the next length octet; if the text ends here it becomes
       * the root label.  o <= 254 was kept by the byte writes. */
      lab = o++;
      closed = true;
      i++;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= len)
        return ZN_EINVAL;
      if (is_digit(s[i + 1])) {
        unsigned v;
        if (i + 3 >= len || !is_digit(s[i + 2]) || !is_digit(s[i + 3]))
          return ZN_EINVAL;
        v = (unsigned)(s[i + 1] - '0') * 100u +
            (unsigned)(s[i + 2] - '0') * 10u + (unsigned)(s[i + 3] - '0');
        if (v > 255)
          return ZN_EINVAL;
        c = (uint8_t)v;
        i += 4;
      } else {
        if (s[i + 1] == 0)
          return ZN_EINVAL;
        c = (uint8_t)s[i + 1];
        i += 2;
      }
    } else {
      i++;
    }
    if (o - lab - 1 >= ZN_DNS_LABEL_MAX)
      return ZN_ENAMETOOLONG;
    /* The root label must still fit after this byte: o + 1 <= 254. */
    if (o + 1 >= ZN_DNS_NAME_MAX)
      return ZN_ENAMETOOLONG;
    out[o++] = c;
    closed = false;
  }
  if (closed) {
    out[lab] = 0;       /* trailing dot: the reserved octet is the root */
    o = lab + 1;
  } else {
    out[lab] = (uint8_t)(o - lab - 1); /* never empty: a byte came last */
    out[o++] = 0;
  }
  n->len = (uint8_t)o;
  memcpy(n->b, out, o);
  return ZN_OK;
}

/* Appends to a text buffer, remembering overflow instead of checking at
 * every call site. */
struct text_out {
  char *buf;
  size_t size, len;
  bool full;
};

static void put(struct text_out *t, char c) {
  if (t->len + 1 >= t->size) { /* keep room for the NUL */
    t->full = true;
    return;
  }
  t->buf[t->len++] = c;
}

int zn_dns_name_to_text(const struct zn_dns_name *n, char *buf, size_t size,
                        size_t *outlen) {
  struct text_out t = {buf, size, 0, false};

  if (n->len <= 1 || n->b[0] == 0) {
    put(&t, '.');
  } else {
    size_t i = 0;
    while (i < n->len && n->b[i] != 0) {
      size_t l = n->b[i];
      if (i != 0)
        put(&t, '.');
      for (size_t k = i + 1; k <= i + l && k < n->len; k++) {
        uint8_t c = n->b[k];
        if (c == '.' || c == '\\') {
          put(&t, '\\');
          put(&t, (char)c);
        } else if (c < 0x21 || c > 0x7e) {
          put(&t, '\\');
          put(&t, (char)('0' + c / 100));
          put(&t, (char)('0' + c / 10 % 10));
          put(&t, (char)('0' + c % 10));
        } else {
          put(&t, (char)c);
        }
      }
      i += 1u + l;
    }
  }
  if (t.full || size == 0) {
    if (size > 0)
      buf[0] = '\0';
    return ZN_ENOSPC;
  }
  buf[t.len] = '\0';
  if (outlen != NULL)
    *outlen = t.len;
  return ZN_OK;
}
