/*
 * The system call table (rt/gen-syscalls makes it from the rt/<module>.tab files) and the
 * entry musl calls (rt/musl/syscall_arch.h).
 */
#ifndef ZN_RT_SYS_H
#define ZN_RT_SYS_H

/* Numbers below this index the table (x86_64's highest is below). */
#define ZRT_SYS_COUNT 512

enum zrt_sys_kind {
  ZRT_SYS_ENOSYS = 0, /* not answered: ENOSYS, and one line on the
                         console the first time */
  ZRT_SYS_HANDLER,    /* fn answers */
  ZRT_SYS_CONSTANT,   /* always `constant` */
};

struct zrt_sys {
  const char *name; /* as in <sys/syscall.h>, without SYS_ */
  enum zrt_sys_kind kind;
  long (*fn)(const long *a); /* with the six raw arguments */
  long constant;
};

extern const struct zrt_sys zrt_sys_table[ZRT_SYS_COUNT];

/* Every system call of the program and of musl: the number and its six
 * arguments, the result or a negative errno. */
long zrt_syscall(long n, long a, long b, long c, long d, long e, long f);

#endif /* ZN_RT_SYS_H */
