/* rt/proc.c's interface to start-up and the file systems. */
#ifndef ZN_RT_PROC_H
#define ZN_RT_PROC_H

#include <stddef.h>
#include <stdint.h>

/* The hostname (--hostname; NULL: "znet") and the main stack's size. */
void zrt_proc_init(const char *hostname, size_t stack_size);
const char *zrt_hostname(void);

#endif
