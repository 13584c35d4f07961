/* rt/sched.c on the host: threads, futexes, sleeps, the idle loop,
 * deadlocks and starvation. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "host_plat.h"
#include "zt.h"

#define MS 1000000ull

static long futex(uint32_t *w, int op, uint32_t val, const void *ts,
                  uint32_t *w2, uint32_t val3) {
  return SC(zrt_sys_futex(w, op, val, ts, w2, val3));
}

static long futex_wait(uint32_t *w, uint32_t val) {
  return futex(w, ZRT_FUTEX_WAIT | ZRT_FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static long futex_wake(uint32_t *w, int n) {
  return futex(w, ZRT_FUTEX_WAKE | ZRT_FUTEX_PRIVATE_FLAG, (uint32_t)n, NULL,
               NULL, 0);
}

/* Let every runnable thread run until none is (the main thread too). */
static void settle(void) {
  for (int i = 0; i < 64; i++)
    SC(zrt_sys_sched_yield());
}

/* ---- creation and exit -------------------------------------------------- */

static char order[64];
static size_t norder;

struct who {
  char mark;
  uintptr_t tls;
  int tid_seen;
  uintptr_t tls_seen;
};

static int mark_order(void *p) {
  struct who *w = p;
  order[norder++] = w->mark;
  w->tid_seen = (int)SC(zrt_sys_gettid());
  w->tls_seen = host_tls;
  return 0;
}

ZT_TEST(test_clone_caller_goes_on_threads_run_in_order) {
  struct host_thread h[3];
  struct who w[3] = {
      {'1', 0x1000, 0, 0}, {'2', 0x2000, 0, 0}, {'3', 0x3000, 0, 0}};
  norder = 0;
  for (int i = 0; i < 3; i++) {
    long tid = host_spawn(&h[i], mark_order, &w[i], w[i].tls);
    ZT_CHECK(tid > 1);
    ZT_EQ(h[i].tid, tid);
  }
  order[norder++] = 'M';
  for (int i = 0; i < 3; i++)
    host_join(&h[i]);
  order[norder] = 0;
  ZT_STREQ(order, "M123");
  for (int i = 0; i < 3; i++) {
    ZT_EQ(w[i].tid_seen, h[i].ret);
    ZT_EQU(w[i].tls_seen, w[i].tls);
    ZT_EQ(h[i].tid, 0);
  }
  ZT_EQU(host_tls, 0); /* the main thread's again */
  ZT_EQ(zrt_thread_id(), 1);
}

static uint32_t gate;

static int wait_gate_then_exit(void *p) {
  (void)p;
  while (__atomic_load_n(&gate, __ATOMIC_SEQ_CST) == 0)
    futex_wait(&gate, 0);
  return 0;
}

ZT_TEST(test_join_through_cleartid_and_futex) {
  struct host_thread h;
  gate = 0;
  ZT_CHECK(host_spawn(&h, wait_gate_then_exit, NULL, 0) > 1);
  settle(); /* it waits on the gate */
  gate = 1;
  ZT_EQ(futex_wake(&gate, 1), 1);
  ZT_EQ(host_join(&h), 1); /* blocked once, woken by CLEARTID */
  ZT_EQ(h.tid, 0);
}

ZT_TEST(test_clone_refuses_processes_and_odd_flags) {
  char stack[256];
  ZT_EQ(zrt_clone(wait_gate_then_exit, NULL, stack + sizeof stack, SIGCHLD,
                  NULL, 0, NULL, NULL),
        -ENOSYS);
  ZT_EQ(zrt_clone(wait_gate_then_exit, NULL, stack + sizeof stack,
                  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL, 0, NULL, NULL),
        -ENOSYS);
  ZT_EQ(zrt_clone(wait_gate_then_exit, NULL, stack + sizeof stack,
                  host_musl_clone_flags & ~(unsigned long)CLONE_THREAD, NULL, 0,
                  NULL, NULL),
        -EINVAL);
  ZT_EQ(zrt_clone(wait_gate_then_exit, NULL, stack + sizeof stack,
                  host_musl_clone_flags | CLONE_NEWNET, NULL, 0, NULL, NULL),
        -EINVAL);
}

/* ---- futex ----------------------------------------------------------------
 */

ZT_TEST(test_futex_value_differs_eagain) {
  uint32_t w = 5;
  ZT_EQ(futex_wait(&w, 4), -EAGAIN);
  ZT_EQ(futex((uint32_t *)((char *)&w + 1), ZRT_FUTEX_WAIT, 5, NULL, NULL, 0),
        -EINVAL);
  ZT_EQ(futex(&w, ZRT_FUTEX_WAIT_BITSET, 5, NULL, NULL, 0), -EINVAL);
  ZT_EQ(futex(&w, 77, 5, NULL, NULL, 0), -ENOSYS);
}

struct waiter {
  uint32_t *word;
  uint32_t bitset;
  long ret;
  int done;
};

static int wait_on_word(void *p) {
  struct waiter *w = p;
  w->ret =
      futex(w->word, ZRT_FUTEX_WAIT_BITSET, *w->word, NULL, NULL, w->bitset);
  w->done = 1;
  return 0;
}

static void spawn_waiters(struct host_thread *h, struct waiter *w, int n,
                          uint32_t *word) {
  for (int i = 0; i < n; i++) {
    w[i] = (struct waiter){word, ZRT_FUTEX_BITSET_ANY, 99, 0};
    host_spawn(&h[i], wait_on_word, &w[i], 0);
  }
  settle();
}

static int count_done(struct waiter *w, int n) {
  int k = 0;
  for (int i = 0; i < n; i++)
    k += w[i].done;
  return k;
}

ZT_TEST(test_futex_wake_counts_and_bitsets) {
  struct host_thread h[3];
  struct waiter w[3];
  uint32_t word = 7;
  spawn_waiters(h, w, 3, &word);
  ZT_EQ(count_done(w, 3), 0);
  ZT_EQ(futex_wake(&word, 2), 2);
  settle();
  ZT_EQ(count_done(w, 3), 2);
  ZT_EQ(w[0].ret, 0);
  ZT_EQ(w[2].done, 0); /* first in, first woken */
  /* Linux wakes one even when asked for none. */
  ZT_EQ(futex_wake(&word, 0), 1);
  settle();
  ZT_EQ(count_done(w, 3), 3);
  for (int i = 0; i < 3; i++)
    host_join(&h[i]);

  spawn_waiters(h, w, 1, &word);
  ZT_EQ(futex(&word, ZRT_FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), -EINVAL);
  ZT_EQ(futex_wake(&word, 1), 1);
  host_join(&h[0]);
}

ZT_TEST(test_futex_bitset_selects_waiters) {
  struct host_thread h[2];
  struct waiter w[2];
  uint32_t word = 1;
  w[0] = (struct waiter){&word, 1, 99, 0};
  w[1] = (struct waiter){&word, 2, 99, 0};
  host_spawn(&h[0], wait_on_word, &w[0], 0);
  host_spawn(&h[1], wait_on_word, &w[1], 0);
  settle();
  ZT_EQ(futex(&word, ZRT_FUTEX_WAKE_BITSET, 10, NULL, NULL, 4), 0);
  ZT_EQ(futex(&word, ZRT_FUTEX_WAKE_BITSET, 10, NULL, NULL, 2), 1);
  settle();
  ZT_EQ(w[1].done, 1);
  ZT_EQ(w[0].done, 0);
  ZT_EQ(futex(&word, ZRT_FUTEX_WAKE_BITSET, 10, NULL, NULL, 3), 1);
  host_join(&h[0]);
  host_join(&h[1]);
}

ZT_TEST(test_futex_requeue_moves_waiters) {
  struct host_thread h[3];
  struct waiter w[3];
  uint32_t a = 3, b = 4;
  spawn_waiters(h, w, 3, &a);
  ZT_EQ(futex(&a, ZRT_FUTEX_CMP_REQUEUE, 1, (void *)1, &b, 99), -EAGAIN);
  ZT_EQ(futex(&a, ZRT_FUTEX_REQUEUE, 1, (void *)(uintptr_t)-1, &b, 0), -EINVAL);
  /* One woken, one moved to b, one left on a. */
  ZT_EQ(futex(&a, ZRT_FUTEX_CMP_REQUEUE, 1, (void *)1, &b, 3), 2);
  settle();
  ZT_EQ(count_done(w, 3), 1);
  ZT_EQ(w[0].done, 1);
  ZT_EQ(futex_wake(&b, 5), 1);
  settle();
  ZT_EQ(w[1].done, 1);
  ZT_EQ(futex_wake(&b, 5), 0);
  ZT_EQ(futex_wake(&a, 5), 1);
  for (int i = 0; i < 3; i++)
    host_join(&h[i]);
  ZT_EQ(count_done(w, 3), 3);
}

ZT_TEST(test_futex_wake_op_changes_and_wakes) {
  struct host_thread h[2];
  struct waiter w[2];
  uint32_t a = 0, b = 5;
  w[0] = (struct waiter){&a, ZRT_FUTEX_BITSET_ANY, 99, 0};
  w[1] = (struct waiter){&b, ZRT_FUTEX_BITSET_ANY, 99, 0};
  host_spawn(&h[0], wait_on_word, &w[0], 0);
  host_spawn(&h[1], wait_on_word, &w[1], 0);
  settle();
  /* *b += 1; wake a; wake b if the old value was 5 (FUTEX_OP_ADD,
   * FUTEX_OP_CMP_EQ). */
  uint32_t enc = (1u << 28) | (0u << 24) | (1u << 12) | 5u;
  ZT_EQ(futex(&a, ZRT_FUTEX_WAKE_OP, 1, (void *)1, &b, enc), 2);
  ZT_EQ(b, 6);
  host_join(&h[0]);
  host_join(&h[1]);
  ZT_EQ(w[0].ret, 0);
  ZT_EQ(w[1].ret, 0);
}

ZT_TEST(test_futex_timeouts_relative_and_absolute) {
  uint32_t w = 0;
  struct timespec rel = {0, 20 * (long)MS};
  uint64_t t0 = host_now();
  ZT_EQ(futex(&w, ZRT_FUTEX_WAIT, 0, &rel, NULL, 0), -ETIMEDOUT);
  ZT_CHECK(host_now() - t0 >= 20 * MS);

  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 20 * (long)MS;
  if (abs.tv_nsec >= 1000000000) {
    abs.tv_sec++;
    abs.tv_nsec -= 1000000000;
  }
  t0 = host_now();
  ZT_EQ(futex(&w, ZRT_FUTEX_WAIT_BITSET, 0, &abs, NULL, ZRT_FUTEX_BITSET_ANY),
        -ETIMEDOUT);
  ZT_CHECK(host_now() - t0 >= 15 * MS);
  ZT_CHECK(host_now() - t0 < 1000 * MS);

  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_sec += 0;
  abs.tv_nsec =
      abs.tv_nsec < 980000000 ? abs.tv_nsec + 20 * (long)MS : 999999999;
  ZT_EQ(futex(&w, ZRT_FUTEX_WAIT_BITSET | ZRT_FUTEX_CLOCK_REALTIME, 0, &abs,
              NULL, ZRT_FUTEX_BITSET_ANY),
        -ETIMEDOUT);
  ZT_EQ(futex(&w, ZRT_FUTEX_WAIT | ZRT_FUTEX_CLOCK_REALTIME, 0, &rel, NULL, 0),
        -ENOSYS);
  struct timespec bad = {0, 1000000000};
  ZT_EQ(futex(&w, ZRT_FUTEX_WAIT, 0, &bad, NULL, 0), -EINVAL);
}

/* ---- a mutex and condition variable, 100k turns each way -------------------
 */

#define ROUNDS 100000
static uint32_t turn;
static uint32_t lock_word;
static long rounds_done[2];

static void mutex_lock(uint32_t *l) {
  uint32_t c = 0;
  if (__atomic_compare_exchange_n(l, &c, 1, false, __ATOMIC_SEQ_CST,
                                  __ATOMIC_SEQ_CST))
    return;
  while (__atomic_exchange_n(l, 2, __ATOMIC_SEQ_CST) != 0)
    futex_wait(l, 2);
}

static void mutex_unlock(uint32_t *l) {
  if (__atomic_exchange_n(l, 0, __ATOMIC_SEQ_CST) == 2)
    futex_wake(l, 1);
}

static int ping_pong(void *p) {
  uint32_t me = (uint32_t)(uintptr_t)p;
  for (int i = 0; i < ROUNDS; i++) {
    mutex_lock(&lock_word);
    while (__atomic_load_n(&turn, __ATOMIC_SEQ_CST) != me) {
      uint32_t seen = turn;
      mutex_unlock(&lock_word);
      futex_wait(&turn, seen);
      mutex_lock(&lock_word);
    }
    rounds_done[me]++;
    __atomic_store_n(&turn, 1 - me, __ATOMIC_SEQ_CST);
    futex_wake(&turn, 1);
    mutex_unlock(&lock_word);
  }
  return 0;
}

ZT_TEST(test_mutex_condvar_ping_pong_100k) {
  struct host_thread h[2];
  turn = 0;
  lock_word = 0;
  rounds_done[0] = rounds_done[1] = 0;
  uint64_t t0 = host_now();
  host_spawn(&h[0], ping_pong, (void *)0, 0);
  host_spawn(&h[1], ping_pong, (void *)1, 0);
  host_join(&h[0]);
  host_join(&h[1]);
  ZT_EQ(rounds_done[0], ROUNDS);
  ZT_EQ(rounds_done[1], ROUNDS);
  printf("# ping-pong: %d rounds in %llu ms\n", 2 * ROUNDS,
         (unsigned long long)((host_now() - t0) / MS));
}

/* ---- sleeps ---------------------------------------------------------------
 */

static int sleep_then_mark(void *p) {
  struct who *w = p;
  struct timespec ts = {0, (long)w->tls * (long)MS};
  long r = SC(zrt_sys_nanosleep(&ts, NULL));
  order[norder++] = r == 0 ? w->mark : '!';
  return 0;
}

ZT_TEST(test_sleeps_end_in_deadline_order) {
  struct host_thread h[3];
  struct who w[3] = {{'c', 30, 0, 0}, {'a', 10, 0, 0}, {'b', 20, 0, 0}};
  norder = 0;
  uint64_t t0 = host_now();
  for (int i = 0; i < 3; i++)
    host_spawn(&h[i], sleep_then_mark, &w[i], 0);
  for (int i = 0; i < 3; i++)
    host_join(&h[i]);
  order[norder] = 0;
  ZT_STREQ(order, "abc");
  ZT_CHECK(host_now() - t0 >= 30 * MS);
  ZT_CHECK(host_now() - t0 < 500 * MS); /* they slept side by side */
}

/* ---- deadlock
 * ---------------------------------------------------------------- */

static uint32_t dl_a, dl_b;

static int dl_wait_a(void *p) {
  (void)p;
  futex_wait(&dl_a, 0);
  return 0;
}

static void deadlock_child(void) {
  struct host_thread h;
  host_spawn(&h, dl_wait_a, NULL, 0);
  futex_wait(&dl_b, 0);
}

ZT_TEST(test_deadlock_reported_not_hung) {
  char out[4096];
  int hook;
  int st = host_child(deadlock_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st));
  ZT_EQ(WEXITSTATUS(st), 255);
  ZT_CHECK(strstr(out, "deadlock") != NULL);
  char a[64], b[64];
  snprintf(a, sizeof a, "waits on futex %p", (void *)&dl_a);
  snprintf(b, sizeof b, "thread 1 (main) waits on futex %p", (void *)&dl_b);
  ZT_CHECK(strstr(out, a) != NULL);
  ZT_CHECK(strstr(out, b) != NULL);
  /* Where the spawned thread waits: a return address into dl_wait_a
   * among the code addresses on its stack. */
  const char *where = strstr(out, a);
  where = where ? strstr(where, "code on its stack (addr2line -f -e IMAGE):") : NULL;
  bool in_fn = false;
  for (const char *p = where ? strchr(where, ':') + 1 : NULL; p && *p == ' ';) {
    char *end;
    uintptr_t v = (uintptr_t)strtoull(p, &end, 16);
    in_fn |= v > (uintptr_t)dl_wait_a && v < (uintptr_t)dl_wait_a + 256;
    p = end;
  }
  ZT_CHECK(in_fn);
  if (zt_case_failed)
    printf("# console: %s\n", out);
}

/* ---- stack sentinels ------------------------------------------------------ */

static struct host_thread overrun_thread;

/* Writes below where its stack may go (as a deep recursion would), then
 * lets another run (without the system call's entry: the switch sees
 * it), or makes a system call (its entry sees it). */
static int overrun_then_yield(void *p) {
  ((volatile unsigned char *)overrun_thread.stack)[5] = 0;
  if (p)
    SC(zrt_sys_gettid());
  else
    zrt_sys_sched_yield();
  return 0;
}

static void overrun_child(void) {
  host_spawn(&overrun_thread, overrun_then_yield, NULL, 0);
  SC(zrt_sys_sched_yield());
  SC(zrt_sys_sched_yield());
}

static void overrun_call_child(void) {
  host_spawn(&overrun_thread, overrun_then_yield, &overrun_thread, 0);
  SC(zrt_sys_sched_yield());
  SC(zrt_sys_sched_yield());
}

static void main_overrun_child(void) {
  static uint64_t floor[8];
  zrt_sched_set_main_stack(floor, NULL);
  SC(zrt_sys_gettid());
  floor[1] = 0;
  SC(zrt_sys_gettid());
}

static int use_stack_then_exit(void *p) {
  char deep[200 * 1024];
  memset(deep, 1, sizeof deep);
  __asm__ volatile("" : : "r"(deep) : "memory");
  SC(zrt_sys_sched_yield());
  return *(int *)p + deep[7];
}

ZT_TEST(test_stack_overrun_reported_at_switch_or_call) {
  char out[4096];
  int hook;
  int st = host_child(overrun_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st));
  ZT_EQ(WEXITSTATUS(st), 255);
  ZT_CHECK(strstr(out, "ran past the floor of its stack") != NULL);
  st = host_child(overrun_call_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 255);
  ZT_CHECK(strstr(out, "ran past the floor of its stack") != NULL);
  st = host_child(main_overrun_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 255);
  ZT_CHECK(strstr(out, "(main) ran past the floor of its stack") != NULL);
  if (zt_case_failed)
    printf("# console: %s\n", out);
  /* A thread that uses most of its stack but stays above the floor runs
   * to its end. */
  struct host_thread h;
  int two = 2;
  ZT_REQUIRE(host_spawn(&h, use_stack_then_exit, &two, 0) > 0);
  host_join(&h);
}

ZT_TEST(test_thread_stack_cap_set_and_read) {
  ZT_EQU(zrt_thread_stack_cap(), 0);
  zrt_sched_set_thread_stack_cap(64 * 1024);
  ZT_EQU(zrt_thread_stack_cap(), 64 * 1024);
  zrt_sched_set_thread_stack_cap(0);
}

/* ---- exits --------------------------------------------------------------- */

static void exit_group_child(void) { zrt_sys_exit_group(3 + 256); }

static int exit_seven(void *p) {
  (void)p;
  SC(zrt_sys_exit(7));
  return 0;
}

static void last_thread_child(void) {
  struct host_thread h;
  host_spawn(&h, exit_seven, NULL, 0);
  zrt_sys_exit(0); /* the main thread goes, the other ends the image */
}

ZT_TEST(test_exit_group_and_last_thread_end_the_image) {
  char out[256];
  int hook;
  int st = host_child(exit_group_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
  ZT_EQ(hook, 3);
  st = host_child(last_thread_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
  ZT_EQ(hook, 7);
}

static struct host_thread unmap_copy;

static int unmap_me(void *p) {
  (void)p;
  zrt_unmapself(unmap_copy.stack, unmap_copy.size);
}

ZT_TEST(test_unmapself_unmaps_once_gone) {
  struct host_thread h;
  host_munmap_base = NULL;
  long tid = host_spawn(&h, unmap_me, NULL, 0);
  void *stack = h.stack;
  unmap_copy = h;
  while (__atomic_load_n(&h.tid, __ATOMIC_SEQ_CST))
    futex_wait((uint32_t *)&h.tid, (uint32_t)tid);
  ZT_CHECK(host_munmap_base == stack);
  ZT_EQU(host_munmap_size, 256 * 1024);
  ZT_EQ(host_munmap_tid, 1); /* by the thread that ran next */
}

/* struct robust_list_head, and a lock on the list at offset 8. */
struct robust_lock {
  uintptr_t next;
  uint32_t word;
};
static uintptr_t robust_head[3];
static struct robust_lock robust_lock;

static int die_holding_lock(void *p) {
  (void)p;
  int tid = (int)zrt_sys_gettid();
  robust_head[0] = (uintptr_t)&robust_lock;
  robust_head[1] = offsetof(struct robust_lock, word);
  robust_head[2] = 0;
  robust_lock.next = (uintptr_t)robust_head;
  robust_lock.word = (uint32_t)tid | ZRT_FUTEX_WAITERS;
  ZT_EQ(SC(zrt_sys_set_robust_list(robust_head, 24)), 0);
  ZT_EQ(SC(zrt_sys_set_robust_list(robust_head, 16)), -EINVAL);
  return 0;
}

ZT_TEST(test_robust_list_walked_at_exit) {
  struct host_thread h[2];
  struct waiter w;
  host_spawn(&h[0], die_holding_lock, NULL, 0);
  settle(); /* it holds the lock and has exited */
  ZT_EQU(robust_lock.word, ZRT_FUTEX_WAITERS | ZRT_FUTEX_OWNER_DIED);
  host_join(&h[0]);

  /* A waiter on a lock whose owner dies is woken. */
  robust_lock.word = 0;
  w = (struct waiter){&robust_lock.word, ZRT_FUTEX_BITSET_ANY, 99, 0};
  host_spawn(&h[1], wait_on_word, &w, 0);
  settle();
  host_spawn(&h[0], die_holding_lock, NULL, 0);
  host_join(&h[0]);
  host_join(&h[1]);
  ZT_EQ(w.done, 1);
}

/* ---- starvation and the pump --------------------------------------------- */

static unsigned pump_calls;
static uint64_t pump_next;
static uint64_t pump_notify_at; /* the pump notifies from then on; 0: never */

static uint64_t count_pump(void *ctx) {
  (void)ctx;
  pump_calls++;
  if (pump_notify_at && host_now() >= pump_notify_at)
    zrt_io_notify();
  return pump_next;
}

static int flag_ran;

static int set_flag(void *p) {
  (void)p;
  flag_ran = 1;
  return 0;
}

struct busy {
  long calls;
  int saw_flag;
};

/* Makes calls until the other thread has run, for 2 s at most. */
static int busy_calls(void *p) {
  struct busy *b = p;
  uint64_t t0 = host_now();
  while (!flag_ran && host_now() - t0 < 2000 * MS) {
    SC(zrt_sys_gettid());
    b->calls++;
  }
  b->saw_flag = flag_ran;
  return 0;
}

ZT_TEST(test_thread_making_calls_lets_others_and_pump_run) {
  struct host_thread h[2];
  struct busy b = {0, 0};
  flag_ran = 0;
  pump_calls = 0;
  pump_next = ZRT_NO_DEADLINE;
  zrt_sched_set_pump(count_pump, NULL);
  host_spawn(&h[0], busy_calls, &b, 0);
  host_spawn(&h[1], set_flag, NULL, 0);
  /* The main thread computes and makes calls for 50 ms: after a period
   * it yields to the busy thread, which yields to the third after its
   * own. */
  uint64_t t0 = host_now();
  while (host_now() - t0 < 50 * MS)
    SC(zrt_sys_gettid());
  ZT_EQ(flag_ran, 1);
  host_join(&h[0]);
  host_join(&h[1]);
  ZT_EQ(b.saw_flag, 1);
  ZT_CHECK(b.calls > 0);
  ZT_CHECK(pump_calls >= 3);
  ZT_CHECK(zrt__sched_self()->nivcsw > 0);
  zrt_sched_set_pump(NULL, NULL);
}

ZT_TEST(test_busy_thread_alone_still_runs_the_pump) {
  pump_calls = 0;
  pump_next = ZRT_NO_DEADLINE;
  zrt_sched_set_pump(count_pump, NULL);
  uint64_t t0 = host_now();
  while (host_now() - t0 < 55 * MS)
    SC(zrt_sys_gettid());
  ZT_CHECK(pump_calls >= 4); /* one a period (10 ms) */
  ZT_CHECK(pump_calls <= 7);
  zrt_sched_set_pump(NULL, NULL);
}

/* ---- I/O waits and the idle loop --------------------------------------------
 */

/* Waits for a notification, 2 s at most (-ETIMEDOUT: none came). */
static int io_wait_ret(void *p) {
  long *r = p;
  *r = zrt_io_wait(host_now() + 2000 * MS);
  return 0;
}

ZT_TEST(test_io_wait_woken_by_notify_or_deadline) {
  struct host_thread h;
  long r = 99;
  zrt_sched_set_pump(count_pump, NULL);
  pump_next = ZRT_NO_DEADLINE;
  host_spawn(&h, io_wait_ret, &r, 0);
  settle();
  ZT_EQ(r, 99);
  zrt_io_notify();
  host_join(&h);
  ZT_EQ(r, 0);
  uint64_t t0 = host_now();
  ZT_EQ(zrt_io_wait(host_now() + 10 * MS), -ETIMEDOUT);
  ZT_CHECK(host_now() - t0 >= 10 * MS);
  zrt_sched_set_pump(NULL, NULL);
}

ZT_TEST(test_idle_notifies_io_waiters_on_input) {
  struct host_thread h;
  long r = 99;
  zrt_sched_set_pump(count_pump, NULL);
  pump_calls = 0;
  pump_notify_at = 0;
  pump_next = ZRT_NO_DEADLINE;
  host_spawn(&h, io_wait_ret, &r, 0);
  settle();
  host_idle_calls = 0;
  host_idle_input = true; /* the device has a frame at the next idle */
  host_join(&h);
  ZT_EQ(r, 0);
  ZT_EQ(host_idle_calls, 1);
  ZT_CHECK(pump_calls >= 2); /* before the idle and after */
  zrt_sched_set_pump(NULL, NULL);
}

ZT_TEST(test_idle_sleeps_until_the_pump_deadline) {
  struct host_thread h;
  long r = 99;
  zrt_sched_set_pump(count_pump, NULL);
  host_spawn(&h, io_wait_ret, &r, 0);
  settle();
  uint64_t t0 = host_now();
  pump_next = pump_notify_at = t0 + 30 * MS;
  host_idle_calls = 0;
  host_join(&h);
  ZT_EQ(r, 0);
  ZT_CHECK(host_now() - t0 >= 30 * MS);
  ZT_CHECK(host_now() - t0 < 45 * MS);
  ZT_EQ(host_idle_calls, 1); /* one sleep, to the deadline */
  pump_notify_at = 0;
  zrt_sched_set_pump(NULL, NULL);
}

int main(void) {
  ZT_RUN(test_clone_caller_goes_on_threads_run_in_order);
  ZT_RUN(test_join_through_cleartid_and_futex);
  ZT_RUN(test_clone_refuses_processes_and_odd_flags);
  ZT_RUN(test_futex_value_differs_eagain);
  ZT_RUN(test_futex_wake_counts_and_bitsets);
  ZT_RUN(test_futex_bitset_selects_waiters);
  ZT_RUN(test_futex_requeue_moves_waiters);
  ZT_RUN(test_futex_wake_op_changes_and_wakes);
  ZT_RUN(test_futex_timeouts_relative_and_absolute);
  ZT_RUN(test_mutex_condvar_ping_pong_100k);
  ZT_RUN(test_sleeps_end_in_deadline_order);
  ZT_RUN(test_deadlock_reported_not_hung);
  ZT_RUN(test_stack_overrun_reported_at_switch_or_call);
  ZT_RUN(test_thread_stack_cap_set_and_read);
  ZT_RUN(test_exit_group_and_last_thread_end_the_image);
  ZT_RUN(test_unmapself_unmaps_once_gone);
  ZT_RUN(test_robust_list_walked_at_exit);
  ZT_RUN(test_thread_making_calls_lets_others_and_pump_run);
  ZT_RUN(test_busy_thread_alone_still_runs_the_pump);
  ZT_RUN(test_io_wait_woken_by_notify_or_deadline);
  ZT_RUN(test_idle_notifies_io_waiters_on_input);
  ZT_RUN(test_idle_sleeps_until_the_pump_deadline);
  return zt_done();
}
