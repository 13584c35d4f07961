/* The system's scalar types for znet's Solo5 runtime, as Linux's on the
 * LP64 targets Solo5 runs on (x86_64, aarch64). */
#ifndef ZN_SOLO5_SYS_TYPES_H
#define ZN_SOLO5_SYS_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef long off_t;
typedef long time_t;
typedef long suseconds_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned int mode_t;
typedef int clockid_t;

#endif
