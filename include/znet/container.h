/** \file
 * ZN_CONTAINER_OF: from a pointer to a member back to the object that
 * holds it.  A timer callback finds its connection from the timer, a
 * backend finds its own state from the struct zn_netif embedded in it
 * (wherever in the struct the member is).
 */
#ifndef ZNET_CONTAINER_H
#define ZNET_CONTAINER_H

#include <stddef.h>

/** The `type` object whose member `member` is at ptr. */
#define ZN_CONTAINER_OF(ptr, type, member)                                    \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif /* ZNET_CONTAINER_H */
