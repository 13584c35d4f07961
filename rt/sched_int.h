/*
 * The private interfaces of rt/'s threads, time and signals (sched.c,
 * time.c, signal.c; switch.S), and of their host tests.
 *
 * A thread is a struct zrt_thread.  At any time it is in one of these
 * places, by its `wait`:
 *
 *   ZRT_WAIT_NONE    running (the one `zrt__sched_self` returns) or on the
 *                    run queue
 *   ZRT_WAIT_FUTEX   on a futex bucket's list, for `futex_addr`
 *   ZRT_WAIT_IO      on the list of I/O waiters (zrt_io_wait)
 *   ZRT_WAIT_SLEEP   on no list: nanosleep; only its timeout wakes it
 *   ZRT_WAIT_SIGNAL  on no list: sigsuspend, sigtimedwait
 *   ZRT_WAIT_EXITED  gone; its record is freed by the next thread to run
 *
 * Every wait but EXITED may also have its `timeout` armed, and ends with
 * `woken` set: 0 (woken by its event), -ETIMEDOUT or -EINTR (a signal).
 *
 * Timers (struct zrt_timer) are the one list of deadlines the idle loop
 * sleeps until: threads' timeouts, itimers, timerfds.
 */
#ifndef ZN_RT_SCHED_INT_H
#define ZN_RT_SCHED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt.h"

/* ---- Linux's ABI values that no libc header defines for both glibc and
 * musl (linux/futex.h, linux/membarrier.h) ---------------------------- */

#define ZRT_FUTEX_WAIT 0
#define ZRT_FUTEX_WAKE 1
#define ZRT_FUTEX_REQUEUE 3
#define ZRT_FUTEX_CMP_REQUEUE 4
#define ZRT_FUTEX_WAKE_OP 5
#define ZRT_FUTEX_WAIT_BITSET 9
#define ZRT_FUTEX_WAKE_BITSET 10
#define ZRT_FUTEX_LOCK_PI 6
#define ZRT_FUTEX_UNLOCK_PI 7
#define ZRT_FUTEX_TRYLOCK_PI 8
#define ZRT_FUTEX_LOCK_PI2 13
#define ZRT_FUTEX_PRIVATE_FLAG 128
#define ZRT_FUTEX_CLOCK_REALTIME 256
#define ZRT_FUTEX_CMD_MASK (~(ZRT_FUTEX_PRIVATE_FLAG | ZRT_FUTEX_CLOCK_REALTIME))
#define ZRT_FUTEX_BITSET_ANY 0xffffffffu
/* The robust futex word (Documentation/locking/robust-futex-ABI). */
#define ZRT_FUTEX_WAITERS 0x80000000u
#define ZRT_FUTEX_OWNER_DIED 0x40000000u
#define ZRT_FUTEX_TID_MASK 0x3fffffffu

/* Signals: the kernel's sigset is 64 bits, signal n is bit n-1.  The
 * real-time ones (32 to 64) queue: each sent is delivered. */
#define ZRT_NSIG 64
#define ZRT_SIGRT_FIRST 32
#define ZRT_NSIGRT (ZRT_NSIG - ZRT_SIGRT_FIRST + 1)
#define ZRT_SIGBIT(sig) (1ull << ((sig)-1))
/* si_code values (asm-generic/siginfo.h). */
#define ZRT_SI_USER 0
#define ZRT_SI_KERNEL 0x80
#define ZRT_SI_TKILL (-6)

/* ---- lists --------------------------------------------------------------- */

/* A circular doubly linked list; a head is a link of no record. */
struct zrt_link {
  struct zrt_link *prev;
  struct zrt_link *next;
};

#define ZRT_CONTAINER_OF(p, type, member)                                     \
  ((type *)(void *)((char *)(p)-offsetof(type, member)))

static inline void zrt__link_init(struct zrt_link *l) { l->prev = l->next = l; }
static inline bool zrt__link_empty(const struct zrt_link *h) {
  return h->next == h;
}
static inline void zrt__link_insert_before(struct zrt_link *at,
                                           struct zrt_link *n) {
  n->prev = at->prev;
  n->next = at;
  at->prev->next = n;
  at->prev = n;
}
static inline void zrt__link_push_back(struct zrt_link *h, struct zrt_link *n) {
  zrt__link_insert_before(h, n);
}
/* Unlink n (unlinking a link on no list does nothing). */
static inline void zrt__link_remove(struct zrt_link *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = n;
}

/* ---- timers (sched.c) ---------------------------------------------------- */

struct zrt_timer {
  struct zrt_link link; /* on the timer list, by deadline */
  uint64_t deadline;    /* monotonic ns */
  bool armed;
  /* Runs in the scheduler (at a system call's entry or in the idle loop)
   * once the deadline has passed, disarmed: it may wake threads, notify
   * I/O waiters, raise a signal and arm itself again; never block. */
  void (*fire)(struct zrt_timer *tm);
};

void zrt__timer_init(struct zrt_timer *tm, void (*fire)(struct zrt_timer *));
void zrt__timer_arm(struct zrt_timer *tm, uint64_t deadline);
void zrt__timer_disarm(struct zrt_timer *tm);

/* ---- threads (sched.c) --------------------------------------------------- */

enum zrt_wait {
  ZRT_WAIT_NONE,
  ZRT_WAIT_FUTEX,
  ZRT_WAIT_IO,
  ZRT_WAIT_SLEEP,
  ZRT_WAIT_SIGNAL,
  ZRT_WAIT_EXITED,
};

/* Where a pending signal came from, for the handler's siginfo. */
struct zrt_sigsrc {
  int code; /* SI_USER, SI_TKILL, SI_KERNEL */
  int pid;
};

struct zrt_thread {
  void *sp; /* the saved stack pointer (switch.S): while not running */
  int tid;
  enum zrt_wait wait;
  int woken;              /* how the last wait ended */
  struct zrt_link all;    /* on the list of live threads */
  struct zrt_link queue;  /* on the run queue, a futex bucket, I/O list */
  struct zrt_timer timeout;
  uintptr_t tp;           /* the thread pointer (fs base) */
  int *clear_tid;         /* CLONE_CHILD_CLEARTID, set_tid_address */
  uintptr_t robust_head;  /* set_robust_list */
  size_t robust_len;
  uintptr_t futex_addr;   /* ZRT_WAIT_FUTEX: the word it waits on */
  uint32_t futex_bitset;
  char name[16];          /* prctl PR_SET_NAME */
  int (*fn)(void *);      /* what a new thread runs first */
  void *arg;
  void *unmap_base;       /* its stack, unmapped once it is gone */
  uint64_t *floor;        /* its stack's lowest words: the sentinel */
  uintptr_t stack_top;    /* its stack's end above (0: not known) */
  uintptr_t entry_frame;  /* where its last system call entered the
                             runtime (zrt_syscall's frame) */
  bool io_local;          /* ZRT_WAIT_IO that no frame can end */
  size_t unmap_size;
  /* Time: ns it has run (counted at switches), when it last started. */
  uint64_t cpu_ns;
  uint64_t ran_since;
  uint64_t nvcsw;  /* switches: it blocked or yielded */
  uint64_t nivcsw; /* the scheduler made it yield (zrt_sched_tick) */
  /* Signals (signal.c). */
  uint64_t sig_mask;
  uint64_t sig_pending;
  uint64_t sig_waitset; /* sigtimedwait: what wakes it though blocked */
  struct zrt_sigsrc sig_src[ZRT_NSIG];
  uint16_t sig_queued[ZRT_NSIGRT]; /* real-time ones pending beyond the first */
  uintptr_t altstack_sp; /* sigaltstack */
  size_t altstack_size;
  int altstack_flags;
  bool on_altstack;      /* a handler runs on it now */
};

/* The running thread (the main thread's record is made at first use). */
struct zrt_thread *zrt__sched_self(void);
/* The live thread `tid`, or NULL. */
struct zrt_thread *zrt__sched_find(int tid);
/* The live threads, in creation order: first, then next until NULL. */
struct zrt_thread *zrt__sched_first(void);
struct zrt_thread *zrt__sched_next(struct zrt_thread *t);

/* Block the running thread: on `list` (NULL: none) as `why`, until woken
 * or `deadline`; 0, -ETIMEDOUT, or -EINTR (at once, without blocking,
 * when a signal is already deliverable to it). */
int zrt__sched_block(enum zrt_wait why, struct zrt_link *list,
                     uint64_t deadline);
/* End t's wait with `woken` and make it runnable. */
void zrt__sched_wake(struct zrt_thread *t, int woken);
/* A signal for t: end its wait with -EINTR if it waits. */
void zrt__sched_interrupt(struct zrt_thread *t);
/* The queue of the threads waiting on the futex word at addr (and
 * others hashed with it). */
struct zrt_link *zrt__futex_bucket(uintptr_t addr);
/* Wake up to n threads waiting on the futex word at addr whose bitset
 * meets `bitset` (Linux's count: at least one when any waits). */
int zrt__futex_wake(uintptr_t addr, int n, uint32_t bitset);
/* Linux's futex_requeue: of addr's waiters, in order, the first n are
 * woken and up to `requeue` more moved to addr2; returns how many were
 * woken or moved. */
long zrt__futex_requeue(uintptr_t addr, int n, int requeue, uintptr_t addr2);

/* CPU time (ns), counted at switches: of t, and of the whole image. */
uint64_t zrt__sched_cpu_thread(const struct zrt_thread *t);
uint64_t zrt__sched_cpu_process(void);

/* Run the exit hooks and end the image with `status`. */
__attribute__((noreturn)) void zrt__sched_exit_image(int status);

/* ---- the realtime clock and deadlines (deadline.c) ---------------------- */

/* A timespec in range (seconds and nanoseconds not negative, under a
 * second of ns); its ns, at most ZRT_NO_DEADLINE - 1; a + b, as much. */
bool zrt__timespec_valid(const struct timespec *ts);
uint64_t zrt__timespec_ns(const struct timespec *ts);
uint64_t zrt__add_saturated(uint64_t a, uint64_t b);
/* REALTIME now, in ns; set it (clock_settime). */
uint64_t zrt__realtime_now(void);
void zrt__realtime_set(uint64_t ns);
/* The monotonic deadline `ts` from now, or of the absolute time `ts` on
 * clock clk (REALTIME, MONOTONIC, BOOTTIME...); 0, or -EINVAL for a
 * timespec out of range or a clock that cannot time a wait. */
int zrt__deadline_rel(const struct timespec *ts, uint64_t *deadline);
int zrt__deadline_abs(clockid_t clk, const struct timespec *ts,
                      uint64_t *deadline);

/* ---- the switch (switch.S) ----------------------------------------------- */

/* Save the callee-saved registers, the x87 control word and MXCSR on the
 * stack, store the stack pointer at *save, load `load` and restore what
 * it saved: returns when something switches back to *save. */
void zrt__switch(void **save, void *load);
/* Where a new thread's first switch returns to: calls
 * zrt__sched_thread_main, which never returns. */
void zrt__switch_trampoline(void);
/* The x87 control word (bytes 0-1) and MXCSR (bytes 4-7) as zrt__switch
 * saves them: a new thread starts with its creator's. */
void zrt__switch_fpu_save(void *out8);
/* fn(arg) on the stack whose top is `top`, then back (a signal handler
 * on the sigaltstack). */
void zrt__call_on_stack(void (*fn)(void *), void *arg, void *top);
__attribute__((noreturn)) void zrt__sched_thread_main(void);

/* ---- signals (signal.c) -------------------------------------------------- */

/* The signals pending for the image as a whole (every thread blocks
 * them): signal.c's, kept with the threads' own so that the scheduler
 * sees a wait's interruption without calling up. */
extern uint64_t zrt__sig_image_pending;

/* Some signal is pending for t and not blocked (or t waits for it in
 * sigtimedwait). */
static inline bool zrt__sig_deliverable(const struct zrt_thread *t) {
  return ((t->sig_pending | zrt__sig_image_pending) &
          (~t->sig_mask | t->sig_waitset)) != 0;
}
/* What zrt__sig_deliver did, for the call it interrupted. */
enum zrt_sig_outcome {
  ZRT_SIG_NONE,    /* no handler ran: a wait goes on */
  ZRT_SIG_RESTART, /* handlers ran, all with SA_RESTART */
  ZRT_SIG_EINTR,   /* a handler without SA_RESTART ran */
};
/* Run the handlers (or default actions) of the running thread's
 * deliverable signals; `saved` is the mask to restore after a handler
 * (the thread's own, or the one sigsuspend replaced). */
enum zrt_sig_outcome zrt__sig_deliver(uint64_t saved);
/* A signal to the whole image (kill, itimers), from `code`. */
void zrt__sig_send_process(int sig, int code);

#endif /* ZN_RT_SCHED_INT_H */
