/* Hosted helpers shared by the loop and the TAP backend. */
#ifndef ZN_NETIF_HOSTED_INT_H
#define ZN_NETIF_HOSTED_INT_H

#include <signal.h>

/* The signal mask a blocking wait should run with (ppoll's mask), set by
 * zn_loop_run() while it holds the stop signals blocked; NULL otherwise. */
extern const sigset_t *zn__host_wait_mask;

#endif
