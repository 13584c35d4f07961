/*
 * The host's stand-in for what rt/sched.c, time.c and signal.c use from
 * the rest of the runtime (host_plat.c): the platform over the host's
 * clocks, zrt_kalloc over calloc, the console into a buffer, a small
 * descriptor table, and helpers that make threads the way musl does.
 */
#ifndef HOST_PLAT_H
#define HOST_PLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt.h"
#include "sched_int.h"
#include "sys_gen.h"

/* What the console received (NUL-terminated), and where it also goes
 * (-1: nowhere). */
extern char host_console[8192];
extern size_t host_console_len;
extern int host_console_fd;
/* The last thread pointer set, and how many times. */
extern uintptr_t host_tls;
extern unsigned host_tls_sets;
/* zrt_plat_idle: calls, and whether the next call reports input. */
extern unsigned host_idle_calls;
extern bool host_idle_input;
/* The exit hook a child registers: calls and the last status;
 * host_hook_fd (-1: none) receives the status as an int. */
extern unsigned host_exit_hooks;
extern int host_exit_status;
extern int host_hook_fd;
/* zrt_sys_munmap (a dead thread's stack): the last range and the thread
 * that asked. */
extern void *host_munmap_base;
extern size_t host_munmap_size;
extern int host_munmap_tid;

/* musl's pthread_create flags. */
extern const unsigned long host_musl_clone_flags;

/* A thread made as musl does: its own mmap'd stack (its floor, the
 * mapping's first byte, given for the sentinel), CLONE_SETTLS with
 * `tls`, ptid and ctid both `tid` (cleared and woken at its exit). */
struct host_thread {
  void *stack;
  size_t size;
  int tid;  /* set at clone, 0 once it has exited */
  long ret; /* zrt_clone's answer */
};
long host_spawn(struct host_thread *h, int (*fn)(void *), void *arg,
                uintptr_t tls);
/* Wait for its exit through the tid word and FUTEX_WAIT (as
 * pthread_join does), then free its stack; the number of waits that
 * blocked. */
int host_join(struct host_thread *h);

/* A system call's entry as zrt_syscall makes it: zrt_sched_tick with
 * the frame of a function the caller called (host_plat.c). */
bool host_sched_tick(void);
#define SC(call) (host_sched_tick() ? zrt_signal_entry() : (void)0, (call))

uint64_t host_now(void);

/* Run fn in a child process (fork) bounded by `seconds` of alarm, with
 * the console and the exit hook's status sent to the parent: returns
 * the wait status; out gets the console text. */
int host_child(void (*fn)(void), unsigned seconds, char *out, size_t outsz,
               int *hook_status);

#endif
