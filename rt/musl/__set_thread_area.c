/*
 * libznet-rt: the thread pointer, set as x86_64 Linux sets it, with
 * arch_prctl(ARCH_SET_FS) (installed over musl's x86_64 assembly, which
 * issues the syscall instruction itself).  The runtime answers it with
 * the platform's TLS base (solo5_set_tls_base) and records it for the
 * thread.
 */
#include "pthread_impl.h"

#define ZRT_ARCH_SET_FS 0x1002

int __set_thread_area(void *p)
{
	return __syscall(SYS_arch_prctl, ZRT_ARCH_SET_FS, p);
}
