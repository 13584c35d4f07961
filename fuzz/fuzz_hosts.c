/*
 * The hosts table parser of the preload (posix/preload/hosts.c).  Input:
 * a byte that chooses the pieces, then hosts(5) text.  Checks: the text
 * fed whole and in pieces of 1 to 17 bytes gives the same entries and
 * the same counts; the counts add up (every line is an entry, blank, too
 * long, without an address or without a name) and the lines are the
 * text's; every entry has an address of one family (an IPv4-mapped one
 * taken as IPv4) that formats and reads back the same, and 1 to
 * HOSTS_NAMES_MAX names of 1 to HOSTS_NAME_MAX printable bytes, none a
 * blank or '#'; a name of an entry is found by name, and its address by
 * address.
 */
#include <stdlib.h>
#include <string.h>

#include "../posix/preload/hosts.h"
#include "fuzz_util.h"

#define KEPT 8 /* entries looked up again */

struct seen {
  uint64_t digest; /* FNV-1a over every entry */
  uint32_t kept;
  struct zn_ip addr[KEPT];
  char name[KEPT][HOSTS_NAME_MAX + 1];
};

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 1099511628211u;
  return h;
}

static void check_name(const char *s) {
  size_t n = strlen(s);
  FZ_CHECK(n >= 1 && n <= HOSTS_NAME_MAX);
  for (size_t i = 0; i < n; i++)
    FZ_CHECK(s[i] > 0x20 && s[i] < 0x7f && s[i] != '#');
}

static void check_addr(const struct zn_ip *a) {
  FZ_CHECK(a->family == ZN_AF_INET || a->family == ZN_AF_INET6);
  FZ_CHECK(!zn_ip_is_v4mapped(a));
  char t[ZN_IP_STRLEN];
  struct zn_ip back;
  FZ_CHECK(zn_ip_parse(zn_ip_format(a, t), &back) == ZN_OK);
  FZ_CHECK(zn_ip_eq(a, &back));
}

static bool on_entry(void *arg, const struct hosts_entry *e) {
  struct seen *s = arg;
  check_addr(&e->addr);
  FZ_CHECK(e->nnames >= 1 && e->nnames <= HOSTS_NAMES_MAX);
  s->digest = fnv(s->digest, &e->addr.family, 1);
  s->digest = fnv(s->digest, e->addr.bytes, 16);
  for (uint32_t i = 0; i < e->nnames; i++) {
    check_name(e->names[i]);
    s->digest = fnv(s->digest, e->names[i], strlen(e->names[i]) + 1);
  }
  if (s->kept < KEPT) {
    s->addr[s->kept] = e->addr;
    strcpy(s->name[s->kept], e->names[0]);
    s->kept++;
  }
  return true;
}

static void check_counts(const struct hosts_stats *st, const char *text,
                         size_t len) {
  uint64_t lines = 0;
  for (size_t i = 0; i < len; i++)
    lines += text[i] == '\n';
  if (len > 0 && text[len - 1] != '\n')
    lines++;
  FZ_CHECK(st->lines == lines);
  FZ_CHECK(st->lines ==
           st->entries + st->blank + st->too_long + st->bad_addr + st->no_name);
}

static void feed_pieces(struct hosts_reader *r, const char *text, size_t len,
                        uint8_t seed) {
  size_t at = 0;
  for (uint32_t k = 0; at < len; k++) {
    size_t piece = 1 + (seed + k * 7u) % 17u;
    if (piece > len - at)
      piece = len - at;
    hosts_reader_feed(r, text + at, piece);
    at += piece;
  }
  hosts_reader_end(r);
}

static void check_lookups(const struct seen *s, const struct hosts_src *src) {
  struct hosts_found f;
  char name[HOSTS_NAME_MAX + 1];
  for (uint32_t i = 0; i < s->kept; i++) {
    FZ_CHECK(hosts_find_name(src, s->name[i], &f));
    FZ_CHECK(f.naddr >= 1 && f.naddr <= HOSTS_ADDRS_MAX);
    check_name(f.canon);
    FZ_CHECK(f.naliases <= HOSTS_ALIASES_MAX);
    FZ_CHECK(hosts_find_addr(src, &s->addr[i], name, sizeof(name)));
    check_name(name);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  uint8_t seed = data[0];
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  struct seen whole, parts;
  memset(&whole, 0, sizeof(whole));
  memset(&parts, 0, sizeof(parts));
  struct hosts_src src = {.text = text, .len = len};
  struct hosts_stats st;
  FZ_CHECK(hosts_scan(&src, on_entry, &whole, &st) == 0);
  check_counts(&st, text, len);
  struct hosts_reader *r = malloc(sizeof(*r));
  FZ_CHECK(r != NULL);
  hosts_reader_init(r, on_entry, &parts);
  feed_pieces(r, text, len, seed);
  FZ_CHECK(memcmp(&r->st, &st, sizeof(st)) == 0);
  FZ_CHECK(parts.digest == whole.digest && parts.kept == whole.kept);
  free(r);
  check_lookups(&whole, &src);
  return 0;
}
