/*
 * libznet-rt's system call layer for musl on x86_64 (installed over
 * musl's arch/x86_64/syscall_arch.h by rt/musl/build).  A system call is
 * a call of zrt_syscall(), a C function of the runtime linked into the
 * same image, never the syscall instruction: the image answers its own
 * calls (rt/sys.c), and the same libc.a serves every Solo5 target.  On
 * Linux (znet-cc's programs, which configure scripts run) zrt_syscall
 * is the kernel's entry instead (rt/linux.c).  The result is the
 * kernel's: the value, or a negative errno.  No vDSO: clock_gettime is a
 * call like the others.
 */
#define __SYSCALL_LL_E(x) (x)
#define __SYSCALL_LL_O(x) (x)

long zrt_syscall(long, long, long, long, long, long, long);

static __inline long __syscall0(long n)
{
	return zrt_syscall(n, 0, 0, 0, 0, 0, 0);
}

static __inline long __syscall1(long n, long a1)
{
	return zrt_syscall(n, a1, 0, 0, 0, 0, 0);
}

static __inline long __syscall2(long n, long a1, long a2)
{
	return zrt_syscall(n, a1, a2, 0, 0, 0, 0);
}

static __inline long __syscall3(long n, long a1, long a2, long a3)
{
	return zrt_syscall(n, a1, a2, a3, 0, 0, 0);
}

static __inline long __syscall4(long n, long a1, long a2, long a3, long a4)
{
	return zrt_syscall(n, a1, a2, a3, a4, 0, 0);
}

static __inline long __syscall5(long n, long a1, long a2, long a3, long a4,
				long a5)
{
	return zrt_syscall(n, a1, a2, a3, a4, a5, 0);
}

static __inline long __syscall6(long n, long a1, long a2, long a3, long a4,
				long a5, long a6)
{
	return zrt_syscall(n, a1, a2, a3, a4, a5, a6);
}

#define IPC_64 0
