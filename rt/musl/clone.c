/*
 * libznet-rt: musl's __clone for x86_64 (installed over clone.s, which
 * issues the syscall instruction itself).  The thread is made by
 * zrt_clone: in an image the runtime's cooperative scheduler
 * (rt/sched.c), on Linux the kernel (rt/linux_clone.s, for znet-cc's
 * programs run where they are built).
 */
#include <stdarg.h>

int zrt_clone(int (*func)(void *), void *stack, int flags, void *arg,
              int *ptid, void *tls, int *ctid);

int __clone(int (*func)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int *ptid = va_arg(ap, int *);
	void *tls = va_arg(ap, void *);
	int *ctid = va_arg(ap, int *);
	va_end(ap);
	return zrt_clone(func, stack, flags, arg, ptid, tls, ctid);
}
