/* rt/proc.c's interface to start-up and the file systems. */
#ifndef ZN_RT_PROC_H
#define ZN_RT_PROC_H

#include <stddef.h>
#include <stdint.h>

/* The hostname (--hostname; NULL: "znet") and the main stack's size. */
void zrt_proc_init(const char *hostname, size_t stack_size);
const char *zrt_hostname(void);
/* The file mode creation mask (umask(2)). */
unsigned zrt_umask(void);
/* The running thread's pointer, as arch_prctl(ARCH_SET_FS) set it. */
void zrt_sched_set_tp(uintptr_t tp);
uintptr_t zrt_sched_get_tp(void);

#endif
