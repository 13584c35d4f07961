/*
 * znet's runtime for Solo5 unikernels (examples/solo5/): what a znet
 * program needs around the Solo5 ABI, which offers only a console, a
 * clock, yield, devices and one block of memory.
 *
 *   rt.c      solo5_app_main(): the heap, the command line split into
 *             argv for main(), the console, exit, entropy, and the host
 *             helpers of znet/loop.h (zn_host_seed, zn_host_now,
 *             zn_host_log) over Solo5
 *   libc.c    the mem* and string functions (the compiler emits some),
 *             ASCII classes, strtoull, strtok_r, getopt_long, exit
 *   printf.c  printf and the console streams (no floating point)
 *   malloc.c  malloc over the heap
 *   platform.c  the examples' plumbing (examples/common.h: ex_open,
 *             ex_run, ...) on the Solo5 net device "service"
 *   posix_host.c  libznet-posix's host and the C library's socket calls
 *             (socket, read, poll, epoll_wait, ...), for programs written
 *             against POSIX (linked into those images only)
 *
 * The headers in include/ declare only what is implemented here; a
 * program built for Solo5 sees no other libc.
 */
#ifndef ZN_SOLO5_RT_H
#define ZN_SOLO5_RT_H

#include <stddef.h>
#include <stdint.h>

/* Exit status of a failed assertion or corrupted heap. */
#define ZN_RT_EXIT_ABORT 255

/* Write to the Solo5 console (best effort, as solo5_console_write). */
void zn_rt_console(const char *p, size_t n);

/* Flush stdout and stderr (printf.c). */
void zn_rt_flush_all(void);

/* Flush the console streams and leave with status (ZN_RT_EXIT_ABORT:
 * solo5_abort()). */
__attribute__((noreturn)) void zn_rt_exit(int status);

/* Print "znet: fatal: MSG" and abort. */
__attribute__((noreturn)) void zn_rt_panic(const char *msg);

/* malloc's region (malloc.c); how much of it has never been handed out. */
void zn_rt_heap_init(void *start, size_t len);
size_t zn_rt_heap_left(void);

/* Where zn_host_seed() took its entropy from: "rdseed", "rdrand" or
 * "clock jitter (weak)". */
const char *zn_rt_entropy_source(void);

/* The program: main(argc, argv), called by solo5_app_main() with the
 * words of the command line after argv[0] = "solo5". */
int main(int argc, char **argv);

/* What solo5_app_main() calls: main() itself (a weak definition in
 * rt.c), or the entry of a part of the runtime that comes first
 * (posix_host.c's builds the stack and libznet-posix, then calls main
 * with the program's own words). */
int zn_rt_main(int argc, char **argv);

/* Run after main() returns and by exit() (not by abort): nothing (weak,
 * rt.c), or posix_host.c's drain of the sockets. */
void zn_rt_at_exit(void);

#endif /* ZN_SOLO5_RT_H */
