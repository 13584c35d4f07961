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
 */
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

/* rt/rt.h declares it; that header is not on musl's include path. */
long zrt_clone(int (*fn)(void *), void *arg, void *stack, unsigned long flags,
               int *ptid, uintptr_t tls, int *ctid);

__attribute__((visibility("hidden"))) int __clone(int (*fn)(void *),
                                                void *stack, int flags,
                                                void *arg, ...);

int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  pid_t *ptid = va_arg(ap, pid_t *);
  void *tls = va_arg(ap, void *);
  pid_t *ctid = va_arg(ap, pid_t *);
  va_end(ap);
  return (int)zrt_clone(fn, arg, stack, (unsigned)flags, ptid,
                        (uintptr_t)tls, ctid);
}
