/*
 * The blocklist: the list text parser and the matcher.  Input: list text.
 * Checks: the sizes zn_dns_blocklist_measure gives always hold the list
 * (no name finds no room); every token is counted once (added, duplicate,
 * ignored or invalid); loading the text again adds nothing, every name
 * added being found as a duplicate; a name made of input bytes that
 * matches still matches with a label put in front, in any case.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static const uint8_t key[16] = {7, 7, 7};

static struct zn_dns_blocklist *load(const char *text, size_t len, void **mem,
                                     struct zn_dns_blocklist_stats *st) {
  struct zn_dns_blocklist_cfg cfg;
  struct zn_dns_blocklist *bl = NULL;
  zn_dns_blocklist_measure(text, len, 0, &cfg);
  size_t need = zn_dns_blocklist_mem_size(&cfg);
  FZ_CHECK(need > 0);
  *mem = malloc(need);
  FZ_CHECK(*mem != NULL);
  FZ_CHECK(zn_dns_blocklist_init(&cfg, key, *mem, need, &bl) == ZN_OK);
  memset(st, 0, sizeof(*st));
  FZ_CHECK(zn_dns_blocklist_parse(bl, text, len, NULL, NULL, st) == ZN_OK);
  return bl;
}

/* Names made of input chunks: a match must hold for their subdomains. */
static void check_matches(const struct zn_dns_blocklist *bl, const char *t,
                          size_t len) {
  for (size_t at = 0; at < len; at += 7) {
    size_t n = len - at < 40 ? len - at : 40;
    struct zn_dns_name name, sub;
    if (zn_dns_name_from_text(&name, t + at, n) != ZN_OK)
      continue;
    bool m = zn_dns_blocklist_match(bl, &name);
    if (name.len + 2 > ZN_DNS_NAME_MAX)
      continue;
    sub.len = (uint8_t)(name.len + 2);
    sub.b[0] = 1;
    sub.b[1] = 'Q';
    memcpy(sub.b + 2, name.b, name.len);
    FZ_CHECK(!m || zn_dns_blocklist_match(bl, &sub));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  void *mem, *mem2;
  struct zn_dns_blocklist_stats st, again;
  struct zn_dns_blocklist *bl = load(text, size, &mem, &st);
  FZ_CHECK(st.full == 0);
  FZ_CHECK(zn_dns_blocklist_count(bl) == st.added);
  /* The second load into the same set: everything added is a duplicate. */
  memset(&again, 0, sizeof(again));
  FZ_CHECK(zn_dns_blocklist_parse(bl, text, size, NULL, NULL, &again) == ZN_OK);
  FZ_CHECK(again.added == 0 && again.full == 0);
  FZ_CHECK(again.duplicates == st.added + st.duplicates);
  FZ_CHECK(again.invalid == st.invalid && again.ignored == st.ignored);
  FZ_CHECK(again.lines == st.lines);
  /* A fresh set agrees on the counts. */
  struct zn_dns_blocklist *bl2 = load(text, size, &mem2, &again);
  FZ_CHECK(again.added == st.added && again.duplicates == st.duplicates);
  check_matches(bl, text, size);
  check_matches(bl2, text, size);
  free(mem2);
  free(mem);
  return 0;
}
