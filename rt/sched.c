/*
 * Cooperative threads on the one vCPU: clone, exit, the futex queues,
 * the run queue, the timers and the idle loop (rt.h, sched_int.h); the
 * futex call itself is futex.c's.
 *
 * A thread runs until it blocks in the runtime (a futex, zrt_io_wait, a
 * sleep, sched_yield) or until zrt_sched_tick, at the entry of a system
 * call, finds it has run ZRT_PUMP_PERIOD without blocking while others
 * are runnable: then it goes to the back of the run queue.  The run
 * queue is first in, first out.  A thread that computes without making
 * any system call is never preempted: Solo5 gives the image no timer
 * interrupt, so nothing can take the vCPU from it, and the network's
 * timers and the other threads wait until it makes a call or blocks.
 *
 * clone: the caller goes on and the new thread waits at the back of the
 * run queue, as Linux does by default (sched_child_runs_first is 0):
 * pthread_create returns at once, having released musl's thread list
 * lock before the new thread can want it, and a burst of creations costs
 * no switch each.
 *
 * When no thread is runnable the scheduler, on the stack of the thread
 * that blocked, runs the pump (the network's poll), fires the due
 * timers, then sleeps in zrt_plat_idle until the earliest deadline of
 * the timers and the pump, or input; it runs the pump again, notifies
 * the I/O waiters if input may have come, fires the timers, and looks
 * again.  When nothing could ever wake a thread (none is runnable, no
 * timer is armed, and none waits for I/O that a pump could bring) it
 * says which thread waits on what and ends the image (a deadlock).
 *
 * A thread's record is freed, and the stack musl asked to unmap
 * (__unmapself) unmapped, by the next thread that runs after it exits:
 * the exiting thread is still on that stack while it switches away.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* CLONE_*, SCHED_BATCH, the CLOCK_ and PR_ names */
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "sched_int.h"
#include "sys_gen.h"

#define FUTEX_BUCKETS 64
/* Linux's bound on a robust list's walk (ROBUST_LIST_LIMIT). */
#define ROBUST_LIST_LIMIT 2048
/* What musl's pthread_create passes, and what it may add: a clone that
 * makes a thread in this address space. */
#define CLONE_NEEDED                                                           \
  (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_ALLOWED                                                          \
  (CLONE_NEEDED | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |         \
   CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED | 0xff)
/* The frame zrt__switch pops (switch.S): controls, six registers. */
#define SWITCH_FRAME_WORDS 7

static struct zrt_thread main_thread;
static struct zrt_thread *running;
static struct zrt_link threads;    /* every live thread, by creation */
static struct zrt_link run_queue;  /* runnable, first in first out */
static struct zrt_link io_waiters; /* in zrt_io_wait */
static struct zrt_link timers;     /* armed, by deadline */
static struct zrt_link futex_buckets[FUTEX_BUCKETS];
static struct zrt_thread *zombie; /* exited, its record not yet freed */
static int next_tid = 2;
static int nthreads;
static uint64_t exited_cpu_ns;
uint64_t zrt__sig_image_pending;

static uint64_t (*pump_fn)(void *ctx);
static void *pump_ctx;
static uint64_t pump_last;
static bool pump_busy;

/* ---- records ---------------------------------------------------------------
 */

static void thread_timeout_fire(struct zrt_timer *tm) {
  struct zrt_thread *t = ZRT_CONTAINER_OF(tm, struct zrt_thread, timeout);
  zrt__sched_wake(t, -ETIMEDOUT);
}

static void thread_init(struct zrt_thread *t, int tid) {
  t->tid = tid;
  t->wait = ZRT_WAIT_NONE;
  zrt__link_init(&t->all);
  zrt__link_init(&t->queue);
  zrt__timer_init(&t->timeout, thread_timeout_fire);
  t->ran_since = zrt_plat_monotonic();
  zrt__link_push_back(&threads, &t->all);
  nthreads++;
}

static void sched_init(void) {
  zrt__link_init(&threads);
  zrt__link_init(&run_queue);
  zrt__link_init(&io_waiters);
  zrt__link_init(&timers);
  for (size_t i = 0; i < FUTEX_BUCKETS; i++)
    zrt__link_init(&futex_buckets[i]);
  thread_init(&main_thread, 1);
  memcpy(main_thread.name, "main", 5);
  main_thread.altstack_flags = SS_DISABLE;
  pump_last = main_thread.ran_since;
  running = &main_thread;
}

struct zrt_thread *zrt__sched_self(void) {
  if (!running)
    sched_init();
  return running;
}

struct zrt_thread *zrt__sched_find(int tid) {
  zrt__sched_self();
  for (struct zrt_link *l = threads.next; l != &threads; l = l->next) {
    struct zrt_thread *t = ZRT_CONTAINER_OF(l, struct zrt_thread, all);
    if (t->tid == tid)
      return t;
  }
  return NULL;
}

struct zrt_thread *zrt__sched_first(void) {
  zrt__sched_self();
  return ZRT_CONTAINER_OF(threads.next, struct zrt_thread, all);
}

struct zrt_thread *zrt__sched_next(struct zrt_thread *t) {
  if (t->all.next == &threads)
    return NULL;
  return ZRT_CONTAINER_OF(t->all.next, struct zrt_thread, all);
}

/* ---- timers
 * ------------------------------------------------------------------ */

void zrt__timer_init(struct zrt_timer *tm, void (*fire)(struct zrt_timer *)) {
  zrt__link_init(&tm->link);
  tm->armed = false;
  tm->fire = fire;
}

void zrt__timer_disarm(struct zrt_timer *tm) {
  zrt__link_remove(&tm->link);
  tm->armed = false;
}

/* Inserted after the timers due no later: equal deadlines fire in the
 * order they were armed. */
void zrt__timer_arm(struct zrt_timer *tm, uint64_t deadline) {
  zrt__sched_self();
  zrt__timer_disarm(tm);
  ZN_ASSERT(tm->fire != NULL); /* armed before zrt__timer_init */
  tm->deadline = deadline;
  tm->armed = true;
  struct zrt_link *at = timers.next;
  while (at != &timers &&
         ZRT_CONTAINER_OF(at, struct zrt_timer, link)->deadline <= deadline)
    at = at->next;
  zrt__link_insert_before(at, &tm->link);
}

static uint64_t timers_next(void) {
  if (zrt__link_empty(&timers))
    return ZRT_NO_DEADLINE;
  return ZRT_CONTAINER_OF(timers.next, struct zrt_timer, link)->deadline;
}

/* Ends: each turn disarms one timer whose deadline has passed, and one
 * that arms itself again must choose a later deadline (an interval is
 * never 0), so the due ones run out. */
static void timers_fire(uint64_t now) {
  while (timers_next() <= now) {
    struct zrt_timer *tm =
        ZRT_CONTAINER_OF(timers.next, struct zrt_timer, link);
    zrt__timer_disarm(tm);
    tm->fire(tm);
  }
}

/* ---- the pump
 * ------------------------------------------------------------------ */

void zrt_sched_set_pump(uint64_t (*pump)(void *ctx), void *ctx) {
  zrt__sched_self();
  pump_fn = pump;
  pump_ctx = ctx;
}

/* The stack's next deadline; not reentered (the pump's own callbacks may
 * make system calls). */
static uint64_t pump_run(void) {
  pump_last = zrt_plat_monotonic();
  if (!pump_fn || pump_busy)
    return ZRT_NO_DEADLINE;
  pump_busy = true;
  uint64_t next = pump_fn(pump_ctx);
  pump_busy = false;
  return next;
}

/* ---- switching
 * ------------------------------------------------------------------ */

static void account_stop(struct zrt_thread *t) {
  uint64_t now = zrt_plat_monotonic();
  t->cpu_ns += now - t->ran_since;
  t->ran_since = now;
}

static void reap_zombie(void) {
  struct zrt_thread *z = zombie;
  if (!z)
    return;
  zombie = NULL;
  if (z->unmap_size) /* memory's own call: not the system-call entry */
    (void)zrt_sys_munmap((uintptr_t)z->unmap_base, z->unmap_size);
  if (z != &main_thread)
    zrt_kfree(z, sizeof *z);
}

/* What the thread switched to does first. */
static void after_switch(void) {
  running->ran_since = zrt_plat_monotonic();
  reap_zombie();
}

/* ---- stack sentinels
 * -------------------------------------------------------------- */

/* The words at a thread's stack floor; a thread that has written over
 * them ran past its stack, into memory that may be another's. */
#define SENTINEL_WORDS 4
#define SENTINEL_WORD 0xa5a5a5a5a5a5a5a5u

static size_t thread_stack_cap;

size_t zrt_thread_stack_cap(void) { return thread_stack_cap; }

void zrt_sched_set_thread_stack_cap(size_t bytes) { thread_stack_cap = bytes; }

static void sentinel_set(struct zrt_thread *t, void *floor) {
  t->floor = (uint64_t *)(((uintptr_t)floor + 7) & ~(uintptr_t)7);
  if (floor)
    for (size_t i = 0; i < SENTINEL_WORDS; i++)
      t->floor[i] = SENTINEL_WORD;
}

void zrt_sched_set_main_stack(void *floor, void *top) {
  struct zrt_thread *t = zrt__sched_self();
  sentinel_set(t, floor);
  t->stack_top = (uintptr_t)top;
}

/* Checked at every system call and whenever t (the running thread)
 * stops running: the words, and where its stack pointer is now (a frame
 * of large buffers it never wrote may have stepped over the words). */
static void sentinel_check(const struct zrt_thread *t) {
  if (!t->floor)
    return;
  /* (On the sigaltstack the stack pointer is elsewhere: the words say.) */
  bool past = !t->on_altstack && (uintptr_t)__builtin_frame_address(0) <
                                     (uintptr_t)(t->floor + SENTINEL_WORDS);
  for (size_t i = 0; i < SENTINEL_WORDS; i++)
    past |= t->floor[i] != SENTINEL_WORD;
  if (past)
    zrt_panic("thread %d (%s) ran past the floor of its stack at %p%s", t->tid,
              t->name, (void *)t->floor,
              thread_stack_cap && t != &main_thread
                  ? " (--thread-stack caps what threads get)"
                  : "");
}

static void switch_to(struct zrt_thread *prev, struct zrt_thread *next) {
  sentinel_check(prev);
  running = next;
  if (next->tp != prev->tp)
    zrt_plat_set_tls(next->tp);
  zrt__switch(&prev->sp, next->sp);
}

static struct zrt_thread *run_queue_pop(void) {
  struct zrt_link *l = run_queue.next;
  ZN_ASSERT(l != &run_queue);
  zrt__link_remove(l);
  struct zrt_thread *t = ZRT_CONTAINER_OF(l, struct zrt_thread, queue);
  ZN_ASSERT(t->wait == ZRT_WAIT_NONE); /* a runnable thread waits not */
  return t;
}

static const char *wait_name(enum zrt_wait w) {
  switch (w) {
  case ZRT_WAIT_NONE:
    return "runnable";
  case ZRT_WAIT_FUTEX:
    return "futex";
  case ZRT_WAIT_IO:
    return "I/O";
  case ZRT_WAIT_SLEEP:
    return "sleep";
  case ZRT_WAIT_SIGNAL:
    return "a signal";
  case ZRT_WAIT_EXITED:
    return "nothing (exited)";
  }
  return "?";
}

/* Where t waits: the words of its stack from where its system call
 * entered the runtime up to its top (at most DEADLOCK_SCAN_WORDS) that
 * are addresses of the image's code, innermost first: its return
 * addresses among them.  Written into line; how many. */
#define DEADLOCK_SCAN_WORDS 16384u
#define DEADLOCK_WHERE 10
static int stack_code(const struct zrt_thread *t, char *line, size_t len) {
  uintptr_t lo, hi, at = t->entry_frame, top = t->stack_top;
  line[0] = 0;
  if (!at || !top || top <= at) /* (its top not known: not read past) */
    return 0;
  if (top - at > (uintptr_t)DEADLOCK_SCAN_WORDS * 8)
    top = at + (uintptr_t)DEADLOCK_SCAN_WORDS * 8;
  zrt_plat_text(&lo, &hi);
  int n = 0;
  size_t used = 0;
  for (const uintptr_t *w = (const uintptr_t *)(at & ~(uintptr_t)7);
       (uintptr_t)w + 8u <= top && n < DEADLOCK_WHERE; w++) {
    if (*w < lo || *w >= hi)
      continue;
    int k = snprintf(line + used, len - used, " %#lx", (unsigned long)*w);
    if (k < 0 || (size_t)k >= len - used)
      break;
    used += (size_t)k;
    n++;
  }
  return n;
}

/* Nothing can ever run again: say who waits on what and where, once,
 * and end the image. */
__attribute__((noreturn)) static void deadlock(void) {
  char where[DEADLOCK_WHERE * 20 + 1];
  zrt_log("deadlock: no thread can run, and no timer, frame or signal can "
          "ever wake one");
  for (struct zrt_link *l = threads.next; l != &threads; l = l->next) {
    struct zrt_thread *t = ZRT_CONTAINER_OF(l, struct zrt_thread, all);
    if (t->wait == ZRT_WAIT_FUTEX)
      zrt_log("  thread %d (%s) waits on futex %p", t->tid, t->name,
              (void *)t->futex_addr);
    else
      zrt_log("  thread %d (%s) waits for %s%s", t->tid, t->name,
              wait_name(t->wait),
              t->wait == ZRT_WAIT_IO ? " only a thread could bring" : "");
    if (stack_code(t, where, sizeof where) > 0)
      zrt_log("    code on its stack (addr2line -f -e IMAGE):%s", where);
  }
  zrt_panic("deadlock: %d threads blocked forever", nthreads);
}

/* An I/O waiter the pump may wake (a socket's wait, not a pipe's). */
static bool io_waiter_for_frames(void) {
  if (!pump_fn)
    return false;
  for (struct zrt_link *l = io_waiters.next; l != &io_waiters; l = l->next)
    if (!ZRT_CONTAINER_OF(l, struct zrt_thread, queue)->io_local)
      return true;
  return false;
}

/* Nothing could ever make a thread runnable: no timer, and no I/O
 * waiter that the pump could wake. */
static bool nothing_can_wake(uint64_t deadline) {
  return deadline == ZRT_NO_DEADLINE && !io_waiter_for_frames();
}

static uint64_t earliest(uint64_t a, uint64_t b) { return a < b ? a : b; }

static void (*first_idle_fn)(void);

void zrt_sched_on_first_idle(void (*fn)(void)) { first_idle_fn = fn; }

/* Every thread waits: the one-time listener, if any, hears of it. */
static void say_first_idle(void) {
  void (*fn)(void) = first_idle_fn;
  first_idle_fn = NULL;
  if (fn)
    fn();
}

/* One turn of the idle loop: returns when a thread may be runnable. */
static void idle_once(void) {
  uint64_t pump_next = pump_run();
  timers_fire(zrt_plat_monotonic());
  if (!zrt__link_empty(&run_queue))
    return;
  uint64_t deadline = earliest(pump_next, timers_next());
  if (nothing_can_wake(timers_next()))
    deadlock();
  say_first_idle();
  bool input = zrt_plat_idle(deadline);
  pump_run();
  if (input)
    zrt_io_notify();
  timers_fire(zrt_plat_monotonic());
}

/* The running thread has queued itself or is waiting: run the next
 * runnable thread, idling until there is one.  Returns when the calling
 * thread runs again. */
static void schedule(void) {
  struct zrt_thread *prev = running;
  account_stop(prev);
  while (zrt__link_empty(&run_queue))
    idle_once();
  struct zrt_thread *next = run_queue_pop();
  if (next != prev)
    switch_to(prev, next);
  after_switch();
}

/* ---- waits
 * ------------------------------------------------------------------------ */

int zrt__sched_block(enum zrt_wait why, struct zrt_link *list,
                     uint64_t deadline) {
  struct zrt_thread *t = zrt__sched_self();
  if (zrt__sig_deliverable(t))
    return -EINTR;
  /* The running thread is on no list: a wait list, or the run queue. */
  ZN_ASSERT(t->wait == ZRT_WAIT_NONE && t->queue.next == &t->queue);
  t->wait = why;
  t->woken = 0;
  if (list)
    zrt__link_push_back(list, &t->queue);
  if (deadline != ZRT_NO_DEADLINE)
    zrt__timer_arm(&t->timeout, deadline);
  t->nvcsw++;
  schedule();
  return t->woken;
}

void zrt__sched_wake(struct zrt_thread *t, int woken) {
  if (t->wait == ZRT_WAIT_NONE || t->wait == ZRT_WAIT_EXITED)
    return;
  zrt__link_remove(&t->queue);
  zrt__timer_disarm(&t->timeout);
  t->wait = ZRT_WAIT_NONE;
  t->woken = woken;
  zrt__link_push_back(&run_queue, &t->queue);
}

void zrt__sched_interrupt(struct zrt_thread *t) { zrt__sched_wake(t, -EINTR); }

int zrt_io_wait(uint64_t deadline) {
  zrt__sched_self()->io_local = false;
  return zrt__sched_block(ZRT_WAIT_IO, &io_waiters, deadline);
}

int zrt_io_wait_local(uint64_t deadline) {
  struct zrt_thread *t = zrt__sched_self();
  t->io_local = true;
  int r = zrt__sched_block(ZRT_WAIT_IO, &io_waiters, deadline);
  t->io_local = false;
  return r;
}

void zrt_io_notify(void) {
  zrt__sched_self();
  while (!zrt__link_empty(&io_waiters))
    zrt__sched_wake(ZRT_CONTAINER_OF(io_waiters.next, struct zrt_thread, queue),
                    0);
}

void zrt_yield(void) {
  struct zrt_thread *t = zrt__sched_self();
  if (zrt__link_empty(&run_queue))
    return;
  t->nvcsw++;
  zrt__link_push_back(&run_queue, &t->queue);
  schedule();
}

/* (What became deliverable meanwhile runs at the next call's entry.) */
long zrt_sys_sched_yield(void) {
  zrt_yield();
  return 0;
}

/* The starvation rule: a thread that has run a period without blocking
 * goes behind the others.  It only works at a system call: see the top
 * of the file. */
static void yield_if_overdue(uint64_t now) {
  struct zrt_thread *t = running;
  if (now - t->ran_since < ZRT_PUMP_PERIOD || zrt__link_empty(&run_queue))
    return;
  t->nivcsw++;
  zrt__link_push_back(&run_queue, &t->queue);
  schedule();
}

/* Nothing while the pump runs: a system call made from inside it (a
 * callback of the stack that prints, in a program written against znet's
 * API) is answered, but must not fire timers, yield or deliver signals in
 * the middle of the stack's poll (which may itself be inside the idle
 * loop of schedule()). */
bool zrt_sched_tick(const void *entry_frame) {
  struct zrt_thread *t = zrt__sched_self();
  t->entry_frame = (uintptr_t)entry_frame;
  if (pump_busy)
    return false;
  sentinel_check(t);
  uint64_t now = zrt_plat_monotonic();
  if (timers_next() <= now)
    timers_fire(now);
  if (now - pump_last >= ZRT_PUMP_PERIOD)
    pump_run();
  yield_if_overdue(now);
  return true;
}

/* ---- time
 * ------------------------------------------------------------------------- */

uint64_t zrt__sched_cpu_thread(const struct zrt_thread *t) {
  if (t == running)
    return t->cpu_ns + (zrt_plat_monotonic() - t->ran_since);
  return t->cpu_ns;
}

uint64_t zrt__sched_cpu_process(void) {
  uint64_t sum = exited_cpu_ns;
  for (struct zrt_thread *t = zrt__sched_first(); t; t = zrt__sched_next(t))
    sum += zrt__sched_cpu_thread(t);
  return sum;
}

/* ---- futex
 * ------------------------------------------------------------------------ */

struct zrt_link *zrt__futex_bucket(uintptr_t addr) {
  zrt__sched_self();
  return &futex_buckets[(addr >> 2) % FUTEX_BUCKETS];
}

static bool futex_waiter_matches(const struct zrt_thread *t, uintptr_t addr,
                                 uint32_t bitset) {
  return t->futex_addr == addr && (t->futex_bitset & bitset) != 0;
}

/* Linux's loop: it stops after a wake once the count reaches n, so n <= 0
 * still wakes one. */
int zrt__futex_wake(uintptr_t addr, int n, uint32_t bitset) {
  struct zrt_link *b = zrt__futex_bucket(addr);
  int woken = 0;
  struct zrt_link *l = b->next;
  while (l != b) {
    struct zrt_thread *t = ZRT_CONTAINER_OF(l, struct zrt_thread, queue);
    l = l->next;
    if (!futex_waiter_matches(t, addr, bitset))
      continue;
    ZN_ASSERT(t->wait == ZRT_WAIT_FUTEX); /* a bucket holds futex waiters */
    zrt__sched_wake(t, 0);
    if (++woken >= n)
      break;
  }
  return woken;
}

long zrt__futex_requeue(uintptr_t addr, int n, int requeue, uintptr_t addr2) {
  struct zrt_link *b = zrt__futex_bucket(addr);
  struct zrt_link moved;
  int count = 0;
  zrt__link_init(&moved);
  struct zrt_link *l = b->next;
  while (l != b && count - n < requeue) {
    struct zrt_thread *t = ZRT_CONTAINER_OF(l, struct zrt_thread, queue);
    l = l->next;
    if (t->futex_addr != addr)
      continue;
    if (++count <= n) {
      zrt__sched_wake(t, 0);
      continue;
    }
    zrt__link_remove(&t->queue);
    t->futex_addr = addr2;
    zrt__link_push_back(&moved, &t->queue);
  }
  struct zrt_link *b2 = zrt__futex_bucket(addr2);
  while (!zrt__link_empty(&moved)) {
    struct zrt_link *m = moved.next;
    zrt__link_remove(m);
    zrt__link_push_back(b2, m);
  }
  return count;
}

/* ---- thread creation
 * ---------------------------------------------------------- */

/* The frame zrt__switch pops to start t at zrt__switch_trampoline: the
 * return address at the top of the 16-byte aligned stack, so that the
 * trampoline's call meets the ABI. */
static void *initial_frame(void *stack) {
  uintptr_t *top = (uintptr_t *)((uintptr_t)stack & ~(uintptr_t)15);
  uintptr_t *sp = top - 1 - SWITCH_FRAME_WORDS;
  memset(sp, 0, SWITCH_FRAME_WORDS * sizeof *sp);
  zrt__switch_fpu_save(sp);
  top[-1] = (uintptr_t)zrt__switch_trampoline;
  return sp;
}

static int clone_flags_check(unsigned long flags) {
  if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
    return -ENOSYS; /* a process: fork, vfork, posix_spawn */
  if ((flags & ~(unsigned long)CLONE_ALLOWED) ||
      (flags & CLONE_NEEDED) != CLONE_NEEDED)
    return -EINVAL;
  return 0;
}

long zrt_clone(int (*fn)(void *), void *arg, void *stack, unsigned long flags,
               int *ptid, uintptr_t tls, int *ctid, void *floor) {
  struct zrt_thread *self = zrt__sched_self();
  int r = clone_flags_check(flags);
  if (r)
    return r;
  if (!fn || !stack)
    return -EINVAL;
  struct zrt_thread *t = zrt_kalloc(sizeof *t);
  if (!t)
    return -ENOMEM;
  thread_init(t, next_tid++);
  if (next_tid > (int)ZRT_FUTEX_TID_MASK)
    next_tid = 2;
  t->fn = fn;
  t->arg = arg;
  t->tp = (flags & CLONE_SETTLS) ? tls : self->tp;
  t->sig_mask = self->sig_mask;
  t->altstack_flags = SS_DISABLE;
  memcpy(t->name, self->name, sizeof t->name);
  if (flags & CLONE_CHILD_CLEARTID)
    t->clear_tid = ctid;
  if ((flags & CLONE_PARENT_SETTID) && ptid)
    *ptid = t->tid;
  if ((flags & CLONE_CHILD_SETTID) && ctid)
    *ctid = t->tid;
  t->sp = initial_frame(stack);
  t->stack_top = (uintptr_t)stack;
  sentinel_set(t, floor);
  zrt__link_push_back(&run_queue, &t->queue);
  return t->tid;
}

/* ---- thread exit
 * ---------------------------------------------------------------- */

static struct zrt_exit_hook *exit_hooks;

void zrt_exit_hook_add(struct zrt_exit_hook *h) {
  ZN_ASSERT(h->fn != NULL && h->next == NULL && h != exit_hooks);
  h->next = exit_hooks;
  exit_hooks = h;
}

void zrt_exit_hooks_run(int status) {
  while (exit_hooks) {
    struct zrt_exit_hook *h = exit_hooks;
    exit_hooks = h->next; /* taken first: a hook that exits again runs
                             the rest, never itself twice */
    h->fn(status);
  }
}

__attribute__((noreturn)) void zrt__sched_exit_image(int status) {
  zrt_exit_hooks_run(status);
  zrt_plat_exit(status);
}

/* handle_futex_death of Linux: a lock the dead thread held is marked
 * OWNER_DIED and one waiter woken; a lock it was taking is woken. */
static void robust_futex_died(uint32_t *word, int tid, bool pending) {
  if ((uintptr_t)word % 4)
    return;
  uint32_t v = *word;
  if (pending && v == 0) {
    zrt__futex_wake((uintptr_t)word, 1, ZRT_FUTEX_BITSET_ANY);
    return;
  }
  if ((v & ZRT_FUTEX_TID_MASK) != (uint32_t)tid)
    return;
  *word = (v & ZRT_FUTEX_WAITERS) | ZRT_FUTEX_OWNER_DIED;
  if (v & ZRT_FUTEX_WAITERS)
    zrt__futex_wake((uintptr_t)word, 1, ZRT_FUTEX_BITSET_ANY);
}

/* The list set_robust_list named (struct robust_list_head: the list,
 * the futex word's offset from an entry, the entry being taken), as
 * Linux walks it at a thread's exit; priority inheritance entries (bit
 * 0) are skipped, as there are no PI futexes here. */
static void robust_list_walk(struct zrt_thread *t) {
  uintptr_t *head = (uintptr_t *)t->robust_head;
  if (!head)
    return;
  long offset = (long)head[1];
  uintptr_t pending = head[2] & ~(uintptr_t)1;
  uintptr_t e = head[0];
  for (int n = 0;
       (e & ~(uintptr_t)1) != (uintptr_t)head && n < ROBUST_LIST_LIMIT; n++) {
    uintptr_t entry = e & ~(uintptr_t)1;
    uintptr_t next = *(uintptr_t *)entry;
    if (entry != pending && !(e & 1))
      robust_futex_died((uint32_t *)(entry + (uintptr_t)offset), t->tid, false);
    e = next;
  }
  if (pending && !(head[2] & 1))
    robust_futex_died((uint32_t *)(pending + (uintptr_t)offset), t->tid, true);
}

__attribute__((noreturn)) static void thread_exit(int status) {
  struct zrt_thread *t = zrt__sched_self();
  sentinel_check(t);
  if (nthreads == 1)
    zrt__sched_exit_image(status & 0xff);
  robust_list_walk(t);
  if (t->clear_tid) {
    __atomic_store_n(t->clear_tid, 0, __ATOMIC_SEQ_CST);
    zrt__futex_wake((uintptr_t)t->clear_tid, 1, ZRT_FUTEX_BITSET_ANY);
  }
  zrt__link_remove(&t->all);
  nthreads--;
  account_stop(t);
  exited_cpu_ns += t->cpu_ns;
  t->wait = ZRT_WAIT_EXITED;
  zombie = t;
  schedule();
  zrt_panic("thread %d ran after its exit", t->tid);
}

__attribute__((noreturn)) void zrt__sched_thread_main(void) {
  after_switch();
  struct zrt_thread *t = running;
  thread_exit(t->fn(t->arg));
}

void zrt_unmapself(void *base, size_t size) {
  struct zrt_thread *t = zrt__sched_self();
  t->unmap_base = base;
  t->unmap_size = size;
  thread_exit(0);
}

long zrt_sys_exit(int status) { thread_exit(status); }

long zrt_sys_exit_group(int status) { zrt__sched_exit_image(status & 0xff); }

/* ---- the thread's own settings ----------------------------------------------
 */

int zrt_sched_set_tp(uintptr_t tp) {
  struct zrt_thread *t = zrt__sched_self();
  int r = zrt_plat_set_tls(tp);
  if (r == 0)
    t->tp = tp;
  return r;
}

uintptr_t zrt_sched_get_tp(void) { return zrt__sched_self()->tp; }

int zrt_thread_id(void) { return zrt__sched_self()->tid; }

long zrt_sys_gettid(void) { return zrt__sched_self()->tid; }

long zrt_sys_set_tid_address(int *tidptr) {
  struct zrt_thread *t = zrt__sched_self();
  t->clear_tid = tidptr;
  return t->tid;
}

/* sizeof (struct robust_list_head) on x86_64. */
#define ROBUST_HEAD_SIZE (3 * sizeof(long))

long zrt_sys_set_robust_list(void *head, size_t len) {
  if (len != ROBUST_HEAD_SIZE)
    return -EINVAL;
  struct zrt_thread *t = zrt__sched_self();
  t->robust_head = (uintptr_t)head;
  t->robust_len = len;
  return 0;
}

/* The thread `pid` names in the sched_* calls: 0 is the caller. */
static struct zrt_thread *thread_of(int pid) {
  if (pid == 0)
    return zrt__sched_self();
  return zrt__sched_find(pid);
}

long zrt_sys_get_robust_list(int pid, void **head, size_t *len) {
  struct zrt_thread *t = thread_of(pid);
  if (!t)
    return -ESRCH;
  if (!head || !len)
    return -EFAULT;
  *head = (void *)t->robust_head;
  *len = ROBUST_HEAD_SIZE;
  return 0;
}

/* ---- the one CPU
 * ------------------------------------------------------------------ */

/* The size of Linux's CPU mask for one CPU: a long. */
#define CPUMASK_SIZE sizeof(unsigned long)

long zrt_sys_sched_getaffinity(int pid, unsigned len, void *mask) {
  if (len * 8 < 1 || (len & (sizeof(unsigned long) - 1)))
    return -EINVAL;
  if (pid < 0 || !thread_of(pid))
    return -ESRCH;
  if (!mask)
    return -EFAULT;
  unsigned long one = 1;
  memcpy(mask, &one, CPUMASK_SIZE);
  return (long)CPUMASK_SIZE;
}

long zrt_sys_sched_setaffinity(int pid, unsigned len, const void *mask) {
  unsigned long m = 0;
  if (pid < 0 || !thread_of(pid))
    return -ESRCH;
  if (!mask && len)
    return -EFAULT;
  if (len) /* memcpy's source may not be NULL, even for 0 bytes */
    memcpy(&m, mask, len < CPUMASK_SIZE ? len : CPUMASK_SIZE);
  return (m & 1) ? 0 : -EINVAL;
}

long zrt_sys_getcpu(unsigned *cpu, unsigned *node, void *cache) {
  (void)cache;
  if (cpu)
    *cpu = 0;
  if (node)
    *node = 0;
  return 0;
}

/* Scheduling policies: every thread is SCHED_OTHER at priority 0, as an
 * unprivileged Linux process may not leave it (-EPERM). */
#define POLICY_DEADLINE 6 /* SCHED_DEADLINE, which glibc does not name */

static int priority_max(int policy) {
  switch (policy) {
  case SCHED_FIFO:
  case SCHED_RR:
    return 99;
  case SCHED_OTHER:
  case SCHED_BATCH:
  case SCHED_IDLE:
  case POLICY_DEADLINE:
    return 0;
  }
  return -EINVAL;
}

long zrt_sys_sched_get_priority_max(int policy) { return priority_max(policy); }

long zrt_sys_sched_get_priority_min(int policy) {
  int r = priority_max(policy);
  return r > 0 ? 1 : r;
}

long zrt_sys_sched_getscheduler(int pid) {
  if (pid < 0)
    return -EINVAL;
  return thread_of(pid) ? SCHED_OTHER : -ESRCH;
}

long zrt_sys_sched_getparam(int pid, void *param) {
  if (pid < 0 || !param)
    return -EINVAL;
  if (!thread_of(pid))
    return -ESRCH;
  struct sched_param p = {.sched_priority = 0};
  memcpy(param, &p, sizeof p);
  return 0;
}

static long set_policy(int pid, int policy, const void *param) {
  struct sched_param p;
  if (pid < 0 || !param)
    return -EINVAL;
  if (!thread_of(pid))
    return -ESRCH;
  memcpy(&p, param, sizeof p);
  int max = priority_max(policy);
  if (max < 0 || p.sched_priority < (max ? 1 : 0) || p.sched_priority > max)
    return -EINVAL;
  return (policy == SCHED_OTHER || policy == SCHED_BATCH) ? 0 : -EPERM;
}

long zrt_sys_sched_setscheduler(int pid, int policy, const void *param) {
  return set_policy(pid, policy & ~SCHED_RESET_ON_FORK, param);
}

long zrt_sys_sched_setparam(int pid, const void *param) {
  return set_policy(pid, SCHED_OTHER, param);
}

long zrt_sys_sched_rr_get_interval(int pid, void *ts) {
  if (pid < 0)
    return -EINVAL;
  if (!thread_of(pid))
    return -ESRCH;
  struct timespec t = {.tv_sec = 0, .tv_nsec = ZRT_PUMP_PERIOD};
  memcpy(ts, &t, sizeof t);
  return 0;
}

/* ---- prctl
 * ---------------------------------------------------------------------- */

static int prctl_dumpable = 1;
static int prctl_no_new_privs;
static unsigned long prctl_timerslack = 50000;
static int prctl_pdeathsig;

/* The last capability Linux 6.x knows (CAP_CHECKPOINT_RESTORE); the
 * image holds none. */
#define CAP_LAST 40

long zrt_sys_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4,
                   unsigned long a5) {
  struct zrt_thread *t = zrt__sched_self();
  switch (op) {
  case PR_SET_NAME:
    if (!a2)
      return -EFAULT;
    strncpy(t->name, (const char *)a2, sizeof t->name - 1);
    t->name[sizeof t->name - 1] = 0;
    return 0;
  case PR_GET_NAME:
    if (!a2)
      return -EFAULT;
    memcpy((char *)a2, t->name, sizeof t->name);
    return 0;
  case PR_CAPBSET_READ:
    return a2 <= CAP_LAST ? 0 : -EINVAL;
  case PR_GET_DUMPABLE:
    return prctl_dumpable;
  case PR_SET_DUMPABLE:
    if (a2 > 1)
      return -EINVAL;
    prctl_dumpable = (int)a2;
    return 0;
  case PR_SET_PDEATHSIG:
    if (a2 > ZRT_NSIG)
      return -EINVAL;
    prctl_pdeathsig = (int)a2;
    return 0;
  case PR_GET_PDEATHSIG:
    if (!a2)
      return -EFAULT;
    *(int *)a2 = prctl_pdeathsig;
    return 0;
  case PR_SET_NO_NEW_PRIVS:
    if (a2 != 1 || a3 || a4 || a5)
      return -EINVAL;
    prctl_no_new_privs = 1;
    return 0;
  case PR_GET_NO_NEW_PRIVS:
    if (a2 || a3 || a4 || a5)
      return -EINVAL;
    return prctl_no_new_privs;
  case PR_SET_TIMERSLACK:
    prctl_timerslack = a2 ? a2 : 50000;
    return 0;
  case PR_GET_TIMERSLACK:
    return (long)prctl_timerslack;
  }
  return -EINVAL;
}

/* ---- membarrier
 * -------------------------------------------------------------- */

/* linux/membarrier.h's commands.  One vCPU and threads that switch only
 * in calls: every barrier is already there. */
#define MB_QUERY 0
#define MB_GLOBAL 1
#define MB_GLOBAL_EXPEDITED 2
#define MB_REGISTER_GLOBAL_EXPEDITED 4
#define MB_PRIVATE_EXPEDITED 8
#define MB_REGISTER_PRIVATE_EXPEDITED 16
#define MB_SUPPORTED                                                           \
  (MB_GLOBAL | MB_GLOBAL_EXPEDITED | MB_REGISTER_GLOBAL_EXPEDITED |            \
   MB_PRIVATE_EXPEDITED | MB_REGISTER_PRIVATE_EXPEDITED)

static bool mb_private_registered;

long zrt_sys_membarrier(int cmd, unsigned flags, int cpu_id) {
  (void)cpu_id;
  if (flags)
    return -EINVAL;
  switch (cmd) {
  case MB_QUERY:
    return MB_SUPPORTED;
  case MB_REGISTER_PRIVATE_EXPEDITED:
    mb_private_registered = true;
    return 0;
  case MB_PRIVATE_EXPEDITED:
    return mb_private_registered ? 0 : -EPERM;
  case MB_GLOBAL:
  case MB_GLOBAL_EXPEDITED:
  case MB_REGISTER_GLOBAL_EXPEDITED:
    return 0;
  }
  return -EINVAL;
}
