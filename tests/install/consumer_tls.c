/* A program of libznet-tls's, built by scripts/install-check with
 * `pkg-config znet-tls` alone: a client session sized, a suite named. */
#include <stdio.h>

#include "znet/tls.h"

static unsigned long long clock_s(void *arg) {
  (void)arg;
  return 1;
}

int main(void) {
  struct zn_tls_config cfg;
  zn_tls_config_default(&cfg, ZN_TLS_CLIENT);
  cfg.anchors = (const struct zn_tls_anchors *)&cfg; /* only sized */
  cfg.clock = (zn_tls_clock_fn)clock_s;
  size_t n = zn_tls_conn_size(&cfg);
  printf("%s, a client session of %zu bytes\n", zn_tls_suite_name(0xC02B), n);
  return n > 16709 && zn_tls_suite_name(0xC02B) ? 0 : 1;
}
