/*
 * The steering rule's parser (zn_steer_key_of_frame, netif/steer.c): on
 * any bytes, a key only for TCP or UDP with its family's shape, a zeroed
 * key otherwise, a bucket in range, and the same answer when the frame
 * is followed by more bytes (the rule reads only what it needs, and
 * never past len: ASan sees to that, the input being an exact-size copy).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "znet/steer.h"

static bool zero(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != 0)
      return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  uint8_t *f = malloc(n + 64);
  if (f == NULL)
    return 0;
  memcpy(f, d, n);
  struct zn_steer_key k, k2;
  enum zn_steer_kind kind = zn_steer_key_of_frame(f, n, &k);
  if (kind == ZN_STEER_OTHER) {
    FZ_CHECK(zero(&k, sizeof(k)));
  } else {
    FZ_CHECK(kind == ZN_STEER_FLOW || kind == ZN_STEER_ERROR);
    FZ_CHECK(k.family == 4 || k.family == 6);
    FZ_CHECK(k.proto == 6 || k.proto == 17);
    FZ_CHECK(k.pad == 0);
    FZ_CHECK(k.family == 6 || (k.peer[1] | k.peer[2] | k.peer[3]) == 0);
    FZ_CHECK(n >= 14 + 20 + 4);
    /* An error quotes a header of ours behind an ICMP one. */
    FZ_CHECK(kind == ZN_STEER_FLOW || n >= 14 + 20 + 8 + 20 + 4);
    FZ_CHECK(zn_steer_bucket(&k) < ZN_STEER_BUCKETS);
    /* The same with bytes after it. */
    memset(f + n, 0xa5, 64);
    FZ_CHECK(zn_steer_key_of_frame(f, n + 64, &k2) == kind);
    FZ_CHECK(memcmp(&k, &k2, sizeof(k)) == 0);
  }
  /* Twice the same. */
  FZ_CHECK(zn_steer_key_of_frame(f, n, &k2) == kind);
  FZ_CHECK(memcmp(&k, &k2, sizeof(k)) == 0);
  free(f);
  return 0;
}
