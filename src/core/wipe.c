/*
 * zn_wipe (znet/wipe.h): memset() then an empty asm statement that takes
 * the pointer and clobbers memory.  The compiler must assume the asm
 * reads every byte it could reach through p, so the memset() before it
 * is a live store and cannot be eliminated, even where zn_wipe is
 * inlined into a function whose local it clears.  (Byte by byte through
 * a volatile pointer would hold too, but is many times slower on the
 * large contexts libznet-tls wipes; C11's memset_s is optional and not
 * in the freestanding subset.)
 */
#include <string.h>

#include "znet/wipe.h"

void zn_wipe(void *p, size_t n) {
  if (n == 0)
    return; /* memset(NULL, 0, 0) is undefined */
  memset(p, 0, n);
  __asm__ __volatile__("" : : "r"(p) : "memory");
}
