/*
 * The system call table (rt/gen-syscalls makes it from rt/*.tab) and the
 * entry musl calls (rt/musl/syscall_arch.h).
 */
#ifndef ZN_RT_SYS_H
#define ZN_RT_SYS_H

/* Numbers below this index the table (x86_64's highest is below). */
#define ZRT_SYS_COUNT 512

struct zrt_sys {
  const char *name; /* as in <sys/syscall.h>, without SYS_ */
  /* The handler with the six raw arguments, or NULL: then `fixed` is the
   * answer if it is not 0, else the call is not answered (ENOSYS, and
   * one line on the console the first time). */
  long (*fn)(const long *a);
  long fixed;
};

extern const struct zrt_sys zrt_sys_table[ZRT_SYS_COUNT];

/* Every system call of the program and of musl: the number and its six
 * arguments, the result or a negative errno. */
long zrt_syscall(long n, long a, long b, long c, long d, long e, long f);

#endif /* ZN_RT_SYS_H */
