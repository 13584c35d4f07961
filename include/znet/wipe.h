/** \file
 * Erasing secrets.  A compiler may drop a store to memory that is never
 * read again (dead-store elimination): the memset() that clears a key
 * in a local array just before the function returns, or in a block just
 * before it is handed back, is such a store, and at -O2 gcc and clang
 * remove it.  zn_wipe() is the clearing they must keep.
 */
#ifndef ZNET_WIPE_H
#define ZNET_WIPE_H

#include <stddef.h>

/** Set the n bytes at p to zero, and keep the stores even when the
 * memory is never read again: for a key, secret, nonce or any state
 * derived from one at the end of its life (a local about to go out of
 * scope, a context about to be freed or handed back).  The optimizer
 * may not remove them, whether or not it inlines the call (link-time
 * optimization).  Freestanding: memset() and a compiler barrier, no
 * other libc.  The time taken depends on n only.  p may be NULL when n
 * is 0.  Copies the compiler made elsewhere (registers spilled to the
 * stack, a struct passed by value) are out of its reach. */
void zn_wipe(void *p, size_t n);

#endif /* ZNET_WIPE_H */
