/*
 * The blocklist matcher: see the "Blocklist matcher" part of znet/dns.h.
 *
 * Open addressing over offsets into one arena of <len><wire name> keys,
 * names in lower case; at most half the slots used, so probe sequences
 * stay short.  Keyed SipHash: the names looked up come from the network.
 */
#include <string.h>

#include "dns_int.h"
#include "znet/addr.h"
#include "znet/dns.h"
#include "znet/err.h"
#include "znet/hash.h"

#define MAX_NAMES (1u << 26)

struct zn_dns_blocklist {
  uint8_t key[16];
  uint32_t *slot;  /* 0: empty, else arena offset + 1 */
  uint32_t nslots; /* a power of two, >= 2 * max */
  uint32_t count, max;
  uint8_t *arena;
  size_t alen, acap;
};

static bool cfg_ok(const struct zn_dns_blocklist_cfg *cfg) {
  return cfg != NULL && cfg->max_names >= 1 && cfg->max_names <= MAX_NAMES &&
         cfg->name_bytes >= 1 && cfg->name_bytes < UINT32_MAX;
}

size_t zn_dns_blocklist_mem_size(const struct zn_dns_blocklist_cfg *cfg) {
  if (!cfg_ok(cfg))
    return 0;
  return zn__dns_carve_size(sizeof(struct zn_dns_blocklist)) +
         zn__dns_carve_size((size_t)zn__dns_pow2(2 * cfg->max_names) *
                            sizeof(uint32_t)) +
         zn__dns_carve_size(cfg->name_bytes);
}

int zn_dns_blocklist_init(const struct zn_dns_blocklist_cfg *cfg,
                          const uint8_t key[16], void *mem, size_t len,
                          struct zn_dns_blocklist **out) {
  size_t need = zn_dns_blocklist_mem_size(cfg);
  if (need == 0 || key == NULL || mem == NULL || out == NULL)
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  uint8_t *m = mem;
  struct zn_dns_blocklist *bl = zn__dns_carve(&m, sizeof(*bl));
  memset(bl, 0, sizeof(*bl));
  memcpy(bl->key, key, sizeof(bl->key));
  bl->max = cfg->max_names;
  bl->nslots = zn__dns_pow2(2 * cfg->max_names);
  bl->slot = zn__dns_carve(&m, (size_t)bl->nslots * sizeof(uint32_t));
  memset(bl->slot, 0, (size_t)bl->nslots * sizeof(uint32_t));
  bl->arena = zn__dns_carve(&m, cfg->name_bytes);
  bl->acap = cfg->name_bytes;
  *out = bl;
  return ZN_OK;
}

/* The slot holding wire name p[0..len) (lower case), or the empty slot
 * where it would go. */
static uint32_t probe(const struct zn_dns_blocklist *bl, const uint8_t *p,
                      size_t len) {
  uint32_t mask = bl->nslots - 1;
  uint32_t i = (uint32_t)zn_siphash13(bl->key, p, len) & mask;
  for (;; i = (i + 1) & mask) {
    uint32_t o = bl->slot[i];
    if (o == 0)
      return i;
    const uint8_t *k = bl->arena + (o - 1);
    if (k[0] == len && memcmp(k + 1, p, len) == 0)
      return i;
  }
}

int zn_dns_blocklist_add(struct zn_dns_blocklist *bl,
                         const struct zn_dns_name *n) {
  if (!zn_dns_name_check(n) || n->len <= 1)
    return ZN_EINVAL;
  struct zn_dns_name l = *n;
  zn_dns_name_lower(&l);
  uint32_t i = probe(bl, l.b, l.len);
  if (bl->slot[i] != 0)
    return ZN_EEXIST;
  if (bl->count >= bl->max || bl->acap - bl->alen < (size_t)l.len + 1)
    return ZN_ENOSPC;
  bl->slot[i] = (uint32_t)bl->alen + 1;
  bl->arena[bl->alen] = l.len;
  memcpy(bl->arena + bl->alen + 1, l.b, l.len);
  bl->alen += (size_t)l.len + 1;
  bl->count++;
  return ZN_OK;
}

bool zn_dns_blocklist_match(const struct zn_dns_blocklist *bl,
                            const struct zn_dns_name *n) {
  if (bl->count == 0 || !zn_dns_name_check(n))
    return false;
  struct zn_dns_name l = *n;
  zn_dns_name_lower(&l);
  for (size_t off = 0; off + 1 < l.len; off += (size_t)l.b[off] + 1)
    if (bl->slot[probe(bl, l.b + off, l.len - off)] != 0)
      return true;
  return false;
}

uint32_t zn_dns_blocklist_count(const struct zn_dns_blocklist *bl) {
  return bl->count;
}

/* ---- the list text ------------------------------------------------------ */

/* Offset of the first c in t[0..len), or len: the core has no memchr. */
static size_t find_char(const char *t, size_t len, char c) {
  size_t i = 0;
  while (i < len && t[i] != c)
    i++;
  return i;
}

static unsigned char fold(char ch) {
  return zn_dns_lower((uint8_t)ch);
}

/* t[0..len) equals the NUL-terminated s, ignoring ASCII case. */
static bool text_eq(const char *t, size_t len, const char *s) {
  size_t i = 0;
  for (; i < len && s[i] != '\0'; i++)
    if (fold(t[i]) != fold(s[i]))
      return false;
  return i == len && s[i] == '\0';
}

/* Names every hosts file carries for the machine itself. */
static bool local_name(const char *t, size_t len) {
  static const char *const names[] = {
      "localhost",      "localhost.localdomain", "local",
      "broadcasthost",  "ip6-localhost",         "ip6-loopback",
      "ip6-localnet",   "ip6-mcastprefix",       "ip6-allnodes",
      "ip6-allrouters", "ip6-allhosts",          "0.0.0.0",
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (text_eq(t, len, names[i]))
      return true;
  return false;
}

/* Host names only: letters, digits, '-', '_', dots. */
static bool hostname_chars(const char *t, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = fold(t[i]);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  }
  return true;
}

/* A hosts line starts with an address: IPv4, or anything with a colon
 * (IPv6).  Which address does not matter: every listed name is blocked. */
static bool looks_like_addr(const char *t, size_t len) {
  char a[ZN_IPV4_STRLEN];
  uint32_t v;
  if (find_char(t, len, ':') < len)
    return true;
  if (len >= sizeof(a))
    return false;
  memcpy(a, t, len);
  a[len] = '\0';
  return zn_ipv4_parse(a, &v) == ZN_OK;
}

int zn_dns_blocklist_add_text(struct zn_dns_blocklist *bl, const char *tok,
                              size_t len, struct zn_dns_blocklist_stats *st) {
  if (len >= 2 && tok[0] == '*' && tok[1] == '.') {
    tok += 2; /* subdomains are blocked anyway */
    len -= 2;
  }
  if (local_name(tok, len)) {
    st->ignored++;
    return ZN_ENOTSUP;
  }
  struct zn_dns_name n;
  int rc = ZN_EINVAL;
  if (len > 0 && hostname_chars(tok, len) &&
      zn_dns_name_from_text(&n, tok, len) == ZN_OK)
    rc = zn_dns_blocklist_add(bl, &n);
  if (rc == ZN_OK)
    st->added++;
  else if (rc == ZN_EEXIST)
    st->duplicates++;
  else if (rc == ZN_ENOSPC)
    st->full++;
  else
    st->invalid++;
  return rc;
}

static bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* The next token of line[*pos..len), or false at its end. */
static bool next_token(const char *line, size_t len, size_t *pos,
                       const char **tok, size_t *tlen) {
  size_t i = *pos;
  while (i < len && blank(line[i]))
    i++;
  size_t start = i;
  while (i < len && !blank(line[i]))
    i++;
  *pos = i;
  *tok = line + start;
  *tlen = i - start;
  return i > start;
}

/* The line's length without its comment. */
static size_t strip_comment(const char *line, size_t len) {
  return find_char(line, len, '#');
}

int zn_dns_blocklist_parse(struct zn_dns_blocklist *bl, const char *text,
                           size_t len, zn_dns_blocklist_reject_cb reject,
                           void *arg, struct zn_dns_blocklist_stats *st) {
  int status = ZN_OK;
  size_t at = 0;
  while (at < len) {
    const char *line = text + at;
    size_t full = find_char(line, len - at, '\n');
    size_t llen = strip_comment(line, full);
    at += full + (at + full < len ? 1 : 0);
    st->lines++;
    size_t pos = 0, tlen;
    const char *tok;
    if (!next_token(line, llen, &pos, &tok, &tlen))
      continue;
    if (looks_like_addr(tok, tlen) &&
        !next_token(line, llen, &pos, &tok, &tlen))
      continue;
    do {
      int rc = zn_dns_blocklist_add_text(bl, tok, tlen, st);
      if (rc == ZN_EINVAL && reject)
        reject(arg, st->lines, tok, tlen);
      if (rc == ZN_ENOSPC)
        status = ZN_ENOSPC;
    } while (next_token(line, llen, &pos, &tok, &tlen));
  }
  return status;
}

void zn_dns_blocklist_measure(const char *text, size_t len, uint32_t extra,
                              struct zn_dns_blocklist_cfg *cfg) {
  uint64_t names = extra, bytes = (uint64_t)extra * (ZN_DNS_NAME_MAX + 1);
  size_t pos = 0, tlen;
  const char *tok;
  while (next_token(text, len, &pos, &tok, &tlen)) {
    /* <len> and the wire form: at most two bytes more than the text. */
    names++;
    bytes += tlen + 3 < ZN_DNS_NAME_MAX + 1 ? tlen + 3 : ZN_DNS_NAME_MAX + 1;
  }
  cfg->max_names = names == 0          ? 1
                   : names > MAX_NAMES ? MAX_NAMES
                                       : (uint32_t)names;
  cfg->name_bytes = bytes == 0 ? 1 : (size_t)bytes;
}
