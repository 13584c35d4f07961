/*
 * The host's stand-in for what rt/'s files need from the rest of the
 * runtime and from Solo5, for the host tests of tests/rt/files: the
 * console into a buffer, clocks from clock_gettime, block devices over
 * files read with pread (one whole block a call, or the test fails),
 * zrt_kalloc over calloc within a byte budget the test can shrink, a
 * zrt_io_wait that fails the test when nothing could wake it, a
 * recording kind of file that keeps one file per descriptor as net.c's
 * layer files do, and a recording zrt_signal_raise.
 */
#ifndef ZN_TESTS_RT_FILES_HOST_H
#define ZN_TESTS_RT_FILES_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Everything the console got since the last host_console_clear(). */
extern char host_console[65536];
extern size_t host_console_len;
void host_console_clear(void);

/* Serve block device `name` from the file at path (NULL: none), with
 * blocks of bsize bytes. */
void host_block_set(const char *name, const char *path, uint64_t bsize);
extern uint64_t host_block_reads; /* blocks read since start */

/* A block device of the test's own (a writable disk in memory: the lfs
 * tests), served instead of host_block_set's file while set. */
struct host_blockdev {
  int (*open)(const char *name, uint64_t *handle, uint64_t *capacity,
              uint64_t *bsize);
  int (*read)(uint64_t handle, uint64_t off, void *buf, size_t n);
  int (*write)(uint64_t handle, uint64_t off, const void *buf, size_t n);
};
extern const struct host_blockdev *host_blockdev;

/* zrt_kalloc's budget (bytes not yet allocated; SIZE_MAX: unbounded) and
 * what is allocated now. */
void host_kalloc_budget(size_t bytes);
extern size_t host_kalloc_used;

/* zrt_io_wait: calls the hook if there is one (it plays the other
 * threads and returns what the wait returns), else fails the running
 * test (nothing can wake a lone thread) and returns -EINTR. */
extern int (*host_wait_hook)(void);
extern unsigned host_waits, host_notifies;

extern int host_last_signal; /* zrt_signal_raise's, 0: none */
extern int host_signals;

/* A file of the recording kind at the lowest free descriptor (its
 * number, or -errno): like a socket of the layer, its number is its
 * own (priv), it moves vectors itself, keeps its flags (fcntl, ioctl),
 * makes its own file for a dup and is told when its descriptor closes.
 * Each op records its name and the file's number and answers
 * host_net_answer (dup: 0 makes the file, else refuses). */
int host_socket_open(void);
extern const char *host_net_call;
extern int host_net_fd;
extern long host_net_answer;

/* The exit hooks registered (zrt_exit_hook_add), run as the image's
 * end runs them. */
void host_exit_hooks_run(int status);
/* What shmap.c handed memory (zrt_shmap_start), for the tests to map,
 * unmap and msync through as mem.c does. */
struct zrt_mem_file_ops;
extern const struct zrt_mem_file_ops *host_mem_file_ops;

/* The last zrt_log line. */
extern char host_last_log[512];

/* A fresh image: every descriptor closed, the files' state as at boot
 * (what can be: the file modules keep static state, so each test
 * program mounts once). */
void host_reset_fds(void);

#endif
