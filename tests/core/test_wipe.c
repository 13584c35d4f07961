/* zn_wipe (znet/wipe.h): it clears, and its clearing survives -O2 where
 * a plain memset() of a dying local does not (the probe, wipe_probe.c,
 * reads the stack a function left behind). */
#include "wipe_probe.h"
#include "znet.h"
#include "zt.h"

/* A run of this many bytes of the secret, in place, is the secret found:
 * one byte matches by chance, eight in a row do not. */
#define FOUND_RUN 8u

ZT_TEST(test_zn_wipe_bytes_zeroed) {
  uint8_t b[40];
  memset(b, 0xa7, sizeof(b));
  zn_wipe(b + 4, 32);
  for (size_t i = 0; i < sizeof(b); i++)
    ZT_EQU(b[i], i < 4 || i >= 36 ? 0xa7 : 0);
  zn_wipe(NULL, 0); /* nothing to clear: not a null pointer's memset */
  zn_wipe(b, 0);
  ZT_EQU(b[0], 0xa7);
}

/* The control: the probe does see a secret whose memset() the compiler
 * dropped.  Without it the next two would prove nothing. */
ZT_TEST(test_memset_clearing_dropped_at_o2) {
  size_t run = wipe_probe_memset();
  if (run < FOUND_RUN)
    zt_fail(__FILE__, __LINE__,
            "memset: %zu bytes of the secret left (the store kept?)", run);
}

ZT_TEST(test_zn_wipe_clearing_kept) {
  size_t run = wipe_probe_zn_wipe();
  if (run >= FOUND_RUN)
    zt_fail(__FILE__, __LINE__, "zn_wipe: %zu bytes of the secret left", run);
}

/* Inlined, as link-time optimization would: only its barrier holds. */
ZT_TEST(test_zn_wipe_inlined_clearing_kept) {
  size_t run = wipe_probe_zn_wipe_inlined();
  if (run >= FOUND_RUN)
    zt_fail(__FILE__, __LINE__, "zn_wipe inlined: %zu bytes of the secret left",
            run);
}

int main(void) {
  ZT_RUN(test_zn_wipe_bytes_zeroed);
  ZT_RUN(test_memset_clearing_dropped_at_o2);
  ZT_RUN(test_zn_wipe_clearing_kept);
  ZT_RUN(test_zn_wipe_inlined_clearing_kept);
  return zt_done();
}
