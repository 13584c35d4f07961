/*
 * zrt_syscall for a program linked by znet-cc to run on Linux: the
 * kernel's own entry.  znet-cc's output is an ordinary static Linux
 * executable (musl, this file) that also carries the objects znet-image
 * links into an image, so that a configure script's test programs run
 * where they are built.  Only this file issues the syscall instruction.
 */
long zrt_syscall(long n, long a, long b, long c, long d, long e, long f);

long zrt_syscall(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
                     "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

/* No cap on threads' stacks on Linux (rt/rt.h): the kernel gives their
 * pages as they are touched. */
#include <stddef.h>
size_t zrt_thread_stack_cap(void);
size_t zrt_thread_stack_cap(void) { return 0; }
