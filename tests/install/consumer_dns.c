/* A program of libznet-dns's, built by scripts/install-check with
 * `pkg-config znet-dns` alone: a blocklist loaded from list text, and
 * names matched against it (the zone and below, not its neighbours). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "znet/dns.h"
#include "znet/err.h"

static const char list[] = "0.0.0.0 ads.example.com\n"
                           "tracker.example.net # a comment\n"
                           "localhost\n";

static int matches(const struct zn_dns_blocklist *bl, const char *s) {
  struct zn_dns_name n;
  if (zn_dns_name_from_text(&n, s, strlen(s)) != ZN_OK)
    return -1;
  return zn_dns_blocklist_match(bl, &n);
}

int main(void) {
  struct zn_dns_blocklist_cfg cfg;
  zn_dns_blocklist_measure(list, sizeof list - 1, 0, &cfg);
  size_t len = zn_dns_blocklist_mem_size(&cfg);
  void *mem = malloc(len);
  static const uint8_t key[16] = {1, 2, 3};
  struct zn_dns_blocklist *bl;
  struct zn_dns_blocklist_stats st = {0};
  if (!mem || zn_dns_blocklist_init(&cfg, key, mem, len, &bl) != ZN_OK ||
      zn_dns_blocklist_parse(bl, list, sizeof list - 1, NULL, NULL, &st) !=
          ZN_OK)
    return 1;
  int ok = zn_dns_blocklist_count(bl) == 2 && st.ignored == 1 &&
           matches(bl, "x.ads.example.com") == 1 &&
           matches(bl, "tracker.example.net") == 1 &&
           matches(bl, "badads.example.com") == 0 &&
           matches(bl, "example.com") == 0;
  printf("blocklist of %u names, %zu bytes: %s\n", zn_dns_blocklist_count(bl),
         len, ok ? "matches as listed" : "WRONG");
  free(mem);
  return ok ? 0 : 1;
}
