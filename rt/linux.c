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

/* The program's constructors where musl would run them, but given the
 * process's (argc, argv, envp) as glibc gives them (init.c).  znet-cc's
 * link wraps musl's __libc_start_main (-Wl,--wrap) so that crt1's call
 * leaves the words here first. */
void zrt_run_constructors(int argc, char **argv, char **envp);
typedef int (*zrt_main_fn)(int, char **, char **);
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
int __real___libc_start_main(zrt_main_fn, int, char **, void (*)(void),
                             void (*)(void), void (*)(void));
int __wrap___libc_start_main(zrt_main_fn, int, char **, void (*)(void),
                             void (*)(void), void (*)(void));
void __libc_start_init(void);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

static int start_argc;
static char **start_argv;

int __wrap___libc_start_main(zrt_main_fn main_fn, int argc, char **argv,
                             void (*init)(void), void (*fini)(void),
                             void (*ldso)(void)) {
  start_argc = argc;
  start_argv = argv;
  return __real___libc_start_main(main_fn, argc, argv, init, fini, ldso);
}

void __libc_start_init(void) {
  zrt_run_constructors(start_argc, start_argv, start_argv + start_argc + 1);
}
