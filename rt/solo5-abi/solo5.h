/*
 * The Solo5 application ABI as znet uses it: libznet-rt (rt/plat_solo5.c)
 * compiles against it and links with Solo5's bindings (znet-image), and
 * the scripted fake of tests/solo5/test_solo5_netif.c implements what
 * netif/solo5.c calls, so that it is tested on the host.  The names,
 * types and values are the ABI's (they must be, for the same code to
 * link against the real bindings); the descriptions are ours.
 */
#ifndef SOLO5_H_INCLUDED
#define SOLO5_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  SOLO5_R_OK = 0,
  SOLO5_R_AGAIN,   /* nothing now (a non-blocking read found no frame) */
  SOLO5_R_EINVAL,
  SOLO5_R_EUNSPEC,
} solo5_result_t;

/* What the program starts with: its command line (the words after the
 * image, joined by spaces) and one read/write region, the top of which is
 * its initial stack. */
struct solo5_start_info {
  const char *cmdline;
  uintptr_t heap_start;
  size_t heap_size;
};

int solo5_app_main(const struct solo5_start_info *info);

#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT 255

void solo5_exit(int status) __attribute__((noreturn));
void solo5_abort(void) __attribute__((noreturn));

typedef uint64_t solo5_time_t; /* nanoseconds */

solo5_time_t solo5_clock_monotonic(void);
solo5_time_t solo5_clock_wall(void); /* since the Unix epoch */

typedef uint64_t solo5_handle_t;
typedef uint64_t solo5_handle_set_t; /* bit h: handle h */

/* Sleep until monotonic time reaches deadline or a net device has input;
 * *ready_set (if not NULL) gets the handles with input. */
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

void solo5_console_write(const char *buf, size_t size);

#define SOLO5_NET_ALEN 6
#define SOLO5_NET_HLEN 14

struct solo5_net_info {
  uint8_t mac_address[SOLO5_NET_ALEN];
  size_t mtu; /* bytes after the Ethernet header */
};

/* The device `name` of the manifest, once; SOLO5_R_EINVAL otherwise. */
solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
                                 struct solo5_net_info *info);

/* One frame of at most mtu + SOLO5_NET_HLEN bytes; dropped silently if
 * the host cannot take it now. */
solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size);

/* One frame into buf, which should hold mtu + SOLO5_NET_HLEN bytes (a
 * longer frame is cut to size, as read(2) on a TAP cuts it); *read_size
 * gets its length.  SOLO5_R_AGAIN if no frame is waiting. */
solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size);

/* Block devices: I/O of one block (block_size bytes) at an offset that
 * is a multiple of it. */
typedef uint64_t solo5_off_t;

struct solo5_block_info {
  solo5_off_t capacity;   /* bytes */
  solo5_off_t block_size; /* bytes */
};

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
                                   struct solo5_block_info *info);
solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size);
solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size);

/* The thread pointer (the fs base on x86_64). */
solo5_result_t solo5_set_tls_base(uintptr_t base);

#endif
