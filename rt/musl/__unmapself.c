/*
 * musl's __unmapself for libznet-rt (installed as
 * src/thread/x86_64/__unmapself.c in place of __unmapself.s).
 *
 * A detached thread whose stack musl mapped ends here: the mapping
 * [base, base+size) holds the stack it is running on, so it cannot be
 * unmapped before the thread is gone.  The runtime (rt/sched.c) ends the
 * thread as SYS_exit(0) does and unmaps the stack once another thread
 * runs.
 */
#include <stddef.h>

/* rt/rt.h declares it; that header is not on musl's include path. */
_Noreturn void zrt_unmapself(void *base, size_t size);

__attribute__((visibility("hidden"))) _Noreturn void
__unmapself(void *base, size_t size);

_Noreturn void __unmapself(void *base, size_t size) {
  zrt_unmapself(base, size);
}
