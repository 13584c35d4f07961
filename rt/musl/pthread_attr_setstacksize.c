/*
 * musl's pthread_attr_setstacksize for libznet-rt (installed as
 * src/thread/x86_64/pthread_attr_setstacksize.c, in place of musl's own):
 * as musl's, but a size above the runtime's cap (--thread-stack, rt/rt.h;
 * 0: none, and always none when the program runs on Linux) is lowered to
 * it.  Without an MMU, every byte of a thread's stack is taken from the
 * image's memory when the thread starts, whether the thread ever uses it
 * or not: redis asks 4 MiB for each of its three background threads.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "pthread_impl.h"

size_t zrt_thread_stack_cap(void);

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size) {
  if (size - PTHREAD_STACK_MIN > SIZE_MAX / 4)
    return EINVAL;
  size_t cap = zrt_thread_stack_cap();
  if (cap && size > cap)
    size = cap < PTHREAD_STACK_MIN ? PTHREAD_STACK_MIN : cap;
  a->_a_stackaddr = 0;
  a->_a_stacksize = size;
  return 0;
}
