/* rt/signal.c on the host: synchronous delivery, masks, SA_RESTART and
 * EINTR, default actions, itimers. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

#include "host_plat.h"
#include "zt.h"

#define MS 1000000ull
#define BIT(sig) (1ull << ((sig)-1))

struct ksa {
  uintptr_t handler;
  unsigned long flags;
  uintptr_t restorer;
  uint64_t mask;
};

static long set_action(int sig, void (*h)(int), unsigned long flags,
                       uint64_t mask) {
  struct ksa a = {(uintptr_t)h, flags, 0, mask};
  return SC(zrt_sys_rt_sigaction(sig, &a, NULL, 8));
}

static long set_info_action(int sig, void (*h)(int, siginfo_t *, void *),
                            unsigned long flags) {
  struct ksa a = {(uintptr_t)h, flags | SA_SIGINFO, 0, 0};
  return SC(zrt_sys_rt_sigaction(sig, &a, NULL, 8));
}

static uint64_t mask_now(void) {
  uint64_t m = 0;
  zrt_sys_rt_sigprocmask(SIG_BLOCK, NULL, &m, 8);
  return m;
}

static void mask_set(uint64_t m) {
  SC(zrt_sys_rt_sigprocmask(SIG_SETMASK, &m, NULL, 8));
}

static long futex_wait(uint32_t *w, uint32_t val) {
  return SC(zrt_sys_futex(w, ZRT_FUTEX_WAIT, val, NULL, NULL, 0));
}

static void settle(void) {
  for (int i = 0; i < 64; i++)
    SC(zrt_sys_sched_yield());
}

static int hits[ZRT_NSIG + 1];
static int hit_tid;
static uint64_t mask_in_handler;
static int code_seen;

static void count_hit(int sig) {
  hits[sig]++;
  hit_tid = zrt_thread_id();
  mask_in_handler = mask_now();
}

static void info_hit(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  hits[sig]++;
  code_seen = si->si_code;
  mask_in_handler = mask_now();
}

static void reset(void) {
  memset(hits, 0, sizeof hits);
  hit_tid = 0;
  mask_set(0);
  for (int s = 1; s <= ZRT_NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      set_action(s, SIG_DFL, 0, 0);
}

ZT_TEST(test_kill_runs_handler_before_it_returns) {
  reset();
  ZT_EQ(set_info_action(SIGUSR1, info_hit, 0), 0);
  ZT_EQ(SC(zrt_sys_kill(1, SIGUSR1)), 0);
  ZT_EQ(hits[SIGUSR1], 1);
  ZT_EQ(code_seen, SI_USER);
  ZT_EQU(mask_in_handler, BIT(SIGUSR1)); /* blocked while it runs */
  ZT_EQU(mask_now(), 0);                 /* and no more after */
  ZT_EQ(SC(zrt_sys_tgkill(1, 1, SIGUSR1)), 0);
  ZT_EQ(hits[SIGUSR1], 2);
  ZT_EQ(code_seen, SI_TKILL);
  ZT_EQ(SC(zrt_sys_kill(0, 0)), 0);
  ZT_EQ(SC(zrt_sys_kill(2, SIGUSR1)), -ESRCH);
  ZT_EQ(SC(zrt_sys_kill(1, 65)), -EINVAL);
  ZT_EQ(SC(zrt_sys_tkill(999, SIGUSR1)), -ESRCH);
  ZT_EQ(hits[SIGUSR1], 2);
}

ZT_TEST(test_blocked_signal_pends_until_unblocked) {
  reset();
  set_action(SIGUSR2, count_hit, 0, BIT(SIGHUP));
  uint64_t m = BIT(SIGUSR2), pending = 0;
  SC(zrt_sys_rt_sigprocmask(SIG_BLOCK, &m, NULL, 8));
  SC(zrt_sys_kill(1, SIGUSR2));
  SC(zrt_sys_kill(1, SIGUSR2)); /* standard signals do not queue */
  ZT_EQ(hits[SIGUSR2], 0);
  ZT_EQ(SC(zrt_sys_rt_sigpending(&pending, 8)), 0);
  ZT_EQU(pending, BIT(SIGUSR2));
  SC(zrt_sys_rt_sigprocmask(SIG_UNBLOCK, &m, NULL, 8));
  ZT_EQ(hits[SIGUSR2], 1);
  ZT_EQU(mask_in_handler, BIT(SIGUSR2) | BIT(SIGHUP));
  SC(zrt_sys_rt_sigpending(&pending, 8));
  ZT_EQU(pending, 0);
}

/* musl's raise: block every signal, tkill itself, restore the mask. */
ZT_TEST(test_raise_as_musl_does_runs_at_restore) {
  reset();
  set_action(SIGINT, count_hit, 0, 0);
  uint64_t all = ~0ull, old;
  SC(zrt_sys_rt_sigprocmask(SIG_BLOCK, &all, &old, 8));
  SC(zrt_sys_tkill((int)zrt_sys_gettid(), SIGINT));
  ZT_EQ(hits[SIGINT], 0);
  SC(zrt_sys_rt_sigprocmask(SIG_SETMASK, &old, NULL, 8));
  ZT_EQ(hits[SIGINT], 1);
}

ZT_TEST(test_ignored_signals_are_dropped) {
  reset();
  set_action(SIGUSR1, SIG_IGN, 0, 0);
  SC(zrt_sys_kill(1, SIGUSR1));
  SC(zrt_sys_kill(1, SIGCHLD));  /* ignored by default */
  SC(zrt_sys_kill(1, SIGWINCH)); /* ignored by default */
  SC(zrt_sys_kill(1, SIGURG));   /* ignored by default */
  /* A blocked signal set to SIG_IGN while pending is dropped. */
  set_action(SIGUSR2, count_hit, 0, 0);
  uint64_t m = BIT(SIGUSR2), pending = 1;
  SC(zrt_sys_rt_sigprocmask(SIG_BLOCK, &m, NULL, 8));
  SC(zrt_sys_kill(1, SIGUSR2));
  set_action(SIGUSR2, SIG_IGN, 0, 0);
  SC(zrt_sys_rt_sigpending(&pending, 8));
  ZT_EQU(pending, 0);
  mask_set(0);
  ZT_EQ(hits[SIGUSR2], 0);
  struct ksa a = {(uintptr_t)count_hit, 0, 0, 0};
  ZT_EQ(zrt_sys_rt_sigaction(SIGKILL, &a, NULL, 8), -EINVAL);
  ZT_EQ(zrt_sys_rt_sigaction(SIGSTOP, &a, NULL, 8), -EINVAL);
  ZT_EQ(zrt_sys_rt_sigaction(SIGUSR1, &a, NULL, 4), -EINVAL);
}

ZT_TEST(test_resethand_and_nodefer) {
  reset();
  set_action(SIGUSR1, count_hit, SA_RESETHAND, 0);
  SC(zrt_sys_kill(1, SIGUSR1));
  ZT_EQ(hits[SIGUSR1], 1);
  struct ksa now;
  zrt_sys_rt_sigaction(SIGUSR1, NULL, &now, 8);
  ZT_EQU(now.handler, (uintptr_t)SIG_DFL);
  set_action(SIGUSR1, count_hit, SA_NODEFER, 0);
  SC(zrt_sys_kill(1, SIGUSR1));
  ZT_EQU(mask_in_handler, 0); /* not blocked in its own handler */
}

/* A handler that changes its ucontext's mask changes the thread's, as
 * musl's cancellation handler relies on. */
static void add_to_uc_mask(int sig, siginfo_t *si, void *ucp) {
  (void)sig, (void)si;
  ucontext_t *uc = ucp;
  sigaddset(&uc->uc_sigmask, SIGTERM);
}

ZT_TEST(test_handler_ucontext_mask_is_restored) {
  reset();
  set_info_action(SIGUSR1, add_to_uc_mask, 0);
  SC(zrt_sys_kill(1, SIGUSR1));
  ZT_EQU(mask_now(), BIT(SIGTERM));
  mask_set(0);
}

/* ---- default actions end the image -----------------------------------------
 */

static void term_child(void) { zrt_sys_kill(1, SIGTERM); }
static void pipe_child(void) { zrt_signal_raise(SIGPIPE); }
static void abort_child(void) { zrt_sys_tkill(1, SIGABRT); }
static void blocked_term_child(void) {
  uint64_t m = BIT(SIGTERM);
  zrt_sys_rt_sigprocmask(SIG_BLOCK, &m, NULL, 8);
  zrt_sys_kill(1, SIGTERM);
  zrt_plat_exit(42); /* still here: it pends */
}

ZT_TEST(test_default_actions_end_the_image) {
  char out[512];
  int hook;
  int st = host_child(term_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM);
  ZT_EQ(hook, 128 + SIGTERM);
  ZT_CHECK(strstr(out, "terminated by signal 15") != NULL);
  st = host_child(pipe_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGPIPE);
  st = host_child(abort_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
  ZT_EQ(hook, 128 + SIGABRT);
  st = host_child(blocked_term_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
}

/* ---- waits interrupted
 * ------------------------------------------------------- */

struct sleeper {
  uint32_t word;
  long ret;
  int done;
  struct timespec rem;
};

static int futex_sleeper(void *p) {
  struct sleeper *s = p;
  s->ret = futex_wait(&s->word, 0);
  s->done = 1;
  return 0;
}

ZT_TEST(test_sa_restart_futex_restarts_else_eintr) {
  struct host_thread h;
  struct sleeper s = {0, 99, 0, {0, 0}};
  reset();
  set_action(SIGUSR1, count_hit, SA_RESTART, 0);
  host_spawn(&h, futex_sleeper, &s, 0);
  settle();
  SC(zrt_sys_tkill(h.tid, SIGUSR1));
  settle();
  ZT_EQ(hits[SIGUSR1], 1);
  ZT_EQ(hit_tid, (int)h.ret); /* on the thread it was sent to */
  ZT_EQ(s.done, 0);           /* and its wait goes on */
  s.word = 1;
  zrt_sys_futex(&s.word, ZRT_FUTEX_WAKE, 1, NULL, NULL, 0);
  host_join(&h);
  ZT_EQ(s.ret, 0);

  s = (struct sleeper){0, 99, 0, {0, 0}};
  set_action(SIGUSR1, count_hit, 0, 0);
  host_spawn(&h, futex_sleeper, &s, 0);
  settle();
  SC(zrt_sys_tkill(h.tid, SIGUSR1));
  host_join(&h);
  ZT_EQ(hits[SIGUSR1], 2);
  ZT_EQ(s.ret, -EINTR);
}

static int nanosleeper(void *p) {
  struct sleeper *s = p;
  struct timespec ts = {1, 0};
  s->ret = SC(zrt_sys_nanosleep(&ts, &s->rem));
  return 0;
}

ZT_TEST(test_nanosleep_eintr_with_time_left_even_with_sa_restart) {
  struct host_thread h;
  struct sleeper s = {0, 99, 0, {0, 0}};
  reset();
  set_action(SIGUSR1, count_hit, SA_RESTART, 0);
  host_spawn(&h, nanosleeper, &s, 0);
  settle();
  uint64_t t0 = host_now();
  SC(zrt_sys_kill(1, SIGUSR1)); /* for the image: main blocks it? no */
  ZT_EQ(hits[SIGUSR1], 1);      /* the caller took it */
  uint64_t m = BIT(SIGUSR1);
  SC(zrt_sys_rt_sigprocmask(SIG_BLOCK, &m, NULL, 8));
  SC(zrt_sys_kill(1, SIGUSR1)); /* now only the sleeper takes it */
  host_join(&h);
  ZT_EQ(s.ret, -EINTR);
  ZT_EQ(hits[SIGUSR1], 2);
  ZT_CHECK(host_now() - t0 < 500 * MS);
  ZT_CHECK(s.rem.tv_sec == 0 && s.rem.tv_nsec > 500 * (long)MS);
  mask_set(0);
}

struct io_waiter {
  long ret;
  int restart;
};

static int io_sleeper(void *p) {
  struct io_waiter *w = p;
  w->ret = zrt_io_wait(ZRT_NO_DEADLINE);
  w->restart = w->ret == -EINTR ? zrt_signal_pending_restart() : -1;
  return 0;
}

static uint64_t quiet_pump(void *ctx) {
  (void)ctx;
  return ZRT_NO_DEADLINE;
}

ZT_TEST(test_io_wait_eintr_and_what_to_restart) {
  struct host_thread h;
  struct io_waiter w = {99, 99};
  reset();
  zrt_sched_set_pump(quiet_pump, NULL);
  set_action(SIGUSR2, count_hit, SA_RESTART, 0);
  host_spawn(&h, io_sleeper, &w, 0);
  settle();
  SC(zrt_sys_tkill(h.tid, SIGUSR2));
  host_join(&h);
  ZT_EQ(w.ret, -EINTR);
  ZT_EQ(w.restart, 1);
  ZT_EQ(hits[SIGUSR2], 1);
  set_action(SIGUSR2, count_hit, 0, 0);
  host_spawn(&h, io_sleeper, &w, 0);
  settle();
  SC(zrt_sys_tkill(h.tid, SIGUSR2));
  host_join(&h);
  ZT_EQ(w.ret, -EINTR);
  ZT_EQ(w.restart, 0);
  zrt_sched_set_pump(NULL, NULL);
}

/* ---- sigsuspend, sigtimedwait
 * -------------------------------------------------- */

static int send_later(void *p) {
  int sig = (int)(uintptr_t)p;
  struct timespec ts = {0, 10 * (long)MS};
  SC(zrt_sys_nanosleep(&ts, NULL));
  SC(zrt_sys_kill(1, sig));
  return 0;
}

ZT_TEST(test_sigsuspend_waits_for_a_handler) {
  struct host_thread h;
  reset();
  set_action(SIGUSR1, count_hit, 0, 0);
  uint64_t m = BIT(SIGUSR1), none = 0;
  mask_set(m);
  host_spawn(&h, send_later, (void *)(uintptr_t)SIGUSR1, 0);
  ZT_EQ(SC(zrt_sys_rt_sigsuspend(&none, 8)), -EINTR);
  ZT_EQ(hits[SIGUSR1], 1);
  ZT_EQ(hit_tid, 1);
  ZT_EQU(mask_now(), m); /* the old mask again */
  host_join(&h);
  mask_set(0);
}

ZT_TEST(test_sigtimedwait_takes_pending_or_awaited) {
  struct host_thread h;
  reset();
  uint64_t m = BIT(SIGUSR2);
  mask_set(m);
  siginfo_t si;
  struct timespec zero = {0, 0}, tenms = {0, 10 * (long)MS};
  ZT_EQ(SC(zrt_sys_rt_sigtimedwait(&m, &si, &zero, 8)), -EAGAIN);
  uint64_t t0 = host_now();
  ZT_EQ(SC(zrt_sys_rt_sigtimedwait(&m, &si, &tenms, 8)), -EAGAIN);
  ZT_CHECK(host_now() - t0 >= 10 * MS);
  SC(zrt_sys_tkill(1, SIGUSR2));
  ZT_EQ(SC(zrt_sys_rt_sigtimedwait(&m, &si, NULL, 8)), SIGUSR2);
  ZT_EQ(si.si_code, SI_TKILL);
  host_spawn(&h, send_later, (void *)(uintptr_t)SIGUSR2, 0);
  ZT_EQ(SC(zrt_sys_rt_sigtimedwait(&m, &si, NULL, 8)), SIGUSR2);
  ZT_EQ(si.si_code, SI_USER);
  ZT_EQ(hits[SIGUSR2], 0);
  host_join(&h);
  mask_set(0);
}

/* ---- itimers
 * ------------------------------------------------------------------- */

ZT_TEST(test_itimer_real_raises_sigalrm) {
  reset();
  set_action(SIGALRM, count_hit, 0, 0);
  struct itimerval v = {{0, 20000}, {0, 20000}}, cur;
  ZT_EQ(SC(zrt_sys_setitimer(ITIMER_REAL, &v, NULL)), 0);
  ZT_EQ(SC(zrt_sys_getitimer(ITIMER_REAL, &cur)), 0);
  ZT_CHECK(cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000);
  ZT_EQ(cur.it_interval.tv_usec, 20000);
  /* Idle: each expiry interrupts the sleep. */
  struct timespec ts = {1, 0};
  uint64_t t0 = host_now();
  ZT_EQ(SC(zrt_sys_nanosleep(&ts, NULL)), -EINTR);
  ZT_EQ(hits[SIGALRM], 1);
  ZT_CHECK(host_now() - t0 >= 15 * MS);
  ZT_CHECK(host_now() - t0 < 200 * MS);
  /* Busy making calls: delivered at a call's entry. */
  t0 = host_now();
  while (hits[SIGALRM] < 3 && host_now() - t0 < 1000 * MS)
    SC(zrt_sys_gettid());
  ZT_EQ(hits[SIGALRM], 3);
  struct itimerval off = {{0, 0}, {0, 0}};
  SC(zrt_sys_setitimer(ITIMER_REAL, &off, &cur));
  ZT_EQ(cur.it_interval.tv_usec, 20000);
  ZT_EQ(SC(zrt_sys_getitimer(ITIMER_REAL, &cur)), 0);
  ZT_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
  ZT_EQ(SC(zrt_sys_setitimer(ITIMER_VIRTUAL, &v, NULL)), -EINVAL);
  /* alarm: the seconds left, rounded. */
  ZT_EQ(SC(zrt_sys_alarm(5)), 0);
  ZT_EQ(SC(zrt_sys_alarm(0)), 5);
}

static void sigalrm_child(void) {
  set_action(SIGALRM, SIG_DFL, 0, 0); /* the earlier cases' handler */
  struct itimerval v = {{0, 0}, {0, 10000}};
  zrt_sys_setitimer(ITIMER_REAL, &v, NULL);
  uint32_t w = 0;
  zrt_sys_futex(&w, ZRT_FUTEX_WAIT, 0, NULL, NULL, 0); /* would deadlock */
}

ZT_TEST(test_sigalrm_default_ends_a_waiting_image) {
  char out[512];
  int hook;
  int st = host_child(sigalrm_child, 5, out, sizeof out, &hook);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGALRM);
  ZT_EQ(hook, 128 + SIGALRM);
}

int main(void) {
  ZT_RUN(test_kill_runs_handler_before_it_returns);
  ZT_RUN(test_blocked_signal_pends_until_unblocked);
  ZT_RUN(test_raise_as_musl_does_runs_at_restore);
  ZT_RUN(test_ignored_signals_are_dropped);
  ZT_RUN(test_resethand_and_nodefer);
  ZT_RUN(test_handler_ucontext_mask_is_restored);
  ZT_RUN(test_default_actions_end_the_image);
  ZT_RUN(test_sa_restart_futex_restarts_else_eintr);
  ZT_RUN(test_nanosleep_eintr_with_time_left_even_with_sa_restart);
  ZT_RUN(test_io_wait_eintr_and_what_to_restart);
  ZT_RUN(test_sigsuspend_waits_for_a_handler);
  ZT_RUN(test_sigtimedwait_takes_pending_or_awaited);
  ZT_RUN(test_itimer_real_raises_sigalrm);
  ZT_RUN(test_sigalrm_default_ends_a_waiting_image);
  return zt_done();
}
