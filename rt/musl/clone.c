/*
 * musl's __clone for libznet-rt (installed as src/thread/x86_64/clone.c
 * in place of clone.s): no system call, the runtime makes the thread
 * (rt/sched.c).
 *
 * The contract musl's callers rely on (pthread_create, and posix_spawn
 * and friends, which get ENOSYS here): fn(arg) runs in the new thread on
 * `stack` and its return value is the thread's exit status; the
 * optional arguments are, in order, the parent's tid word, the thread
 * pointer and the child's tid word, used as `flags` says; the result is
 * the new thread's id or a negative errno.  The caller goes on first.
 *
 * Compiled inside musl's tree, this file reads the new thread's
 * descriptor (pthread_impl.h: on x86_64 the thread pointer is the
 * descriptor itself), so the runtime learns where the stack musl made
 * ends below (its floor), and puts a sentinel there.
 */
#define _GNU_SOURCE /* CLONE_SETTLS */
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#include "pthread_impl.h"

/* rt/rt.h declares it; that header is not on musl's include path. */
long zrt_clone(int (*fn)(void *), void *arg, void *stack, unsigned long flags,
               int *ptid, uintptr_t tls, int *ctid, void *floor);

/* The lowest byte of the new thread's stack, if musl made the thread:
 * CLONE_SETTLS with the descriptor's stack inside what it describes. */
static void *stack_floor(int flags, void *tls, void *stack) {
  if (!(flags & CLONE_SETTLS) || !tls)
    return 0;
  struct pthread *t = tls;
  unsigned char *top = t->stack, *floor = top - t->stack_size;
  if (t->self != t || !top || t->stack_size == 0 || (unsigned char *)stack > top ||
      (unsigned char *)stack <= floor)
    return 0;
  return floor;
}

int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  pid_t *ptid = va_arg(ap, pid_t *);
  void *tls = va_arg(ap, void *);
  pid_t *ctid = va_arg(ap, pid_t *);
  va_end(ap);
  return (int)zrt_clone(fn, arg, stack, (unsigned)flags, ptid,
                        (uintptr_t)tls, ctid, stack_floor(flags, tls, stack));
}
