/* The dead-stack probe of test_wipe.c (wipe_probe.c, compiled at -O2
 * without sanitizers whatever the build's options). */
#ifndef WIPE_PROBE_H
#define WIPE_PROBE_H

#include <stddef.h>

/* Bytes of the secret each probe leaves behind. */
#define WIPE_PROBE_SECRET_LEN 64u

/* Each runs a function that fills a local secret, hands it to an opaque
 * call and clears it before returning (with plain memset(), with the
 * linked zn_wipe(), with zn_wipe()'s code inlined as link-time
 * optimization would), then scans the stack that function's frame
 * occupied.  Returns the longest run of the secret's bytes found there,
 * in place: 0 if the clearing stayed. */
size_t wipe_probe_memset(void);
size_t wipe_probe_zn_wipe(void);
size_t wipe_probe_zn_wipe_inlined(void);

#endif
