/*
 * Signals inside the image: sigaction, the per-thread masks, kill and
 * tkill delivered synchronously (rt.h, sched_int.h).
 *
 * There is no interrupt and no return to user space to deliver at, so a
 * signal is delivered at the runtime's own points, on the thread it is
 * for, by a plain C call of its handler:
 *
 *   - at the end of the call that made it deliverable: kill, tkill,
 *     tgkill, rt_sigprocmask, sigsuspend, and
 *     zrt_signal_raise (EPIPE's SIGPIPE) before the call returns;
 *   - at the entry of the thread's next system call (zrt_signal_entry),
 *     for a signal another thread or an itimer sent while it ran or
 *     waited in the run queue;
 *   - when a wait ends with -EINTR: a futex, a sleep, sigsuspend here,
 *     zrt_io_wait in the files and the network (zrt_signal_pending_restart).
 *
 * A thread that waits (futex, I/O, sleep) and does not block the signal
 * is woken with -EINTR by it.  A signal for the image (kill, SIGALRM)
 * goes to the running thread if it takes it, else to the first thread
 * that does (woken if it waits), else it pends for the image until a
 * thread unblocks it.  Standard signals do not queue: one of each kind
 * pends, as on Linux; real-time ones (32 to 64) queue, up to
 * SIGRT_QUEUE of each pending beyond the first (Linux bounds them by
 * RLIMIT_SIGPENDING), so a hundred pthread_kills are a hundred
 * handler calls.
 *
 * The handler runs with the mask sigaction asked for; its ucontext_t is
 * zeroed but for uc_sigmask (the mask to restore, which the handler may
 * change, as musl's cancellation handler does) and uc_stack (the
 * sigaltstack).  A handler installed with SA_ONSTACK runs on the
 * thread's sigaltstack when it has one and is not on it already
 * (switch.S's zrt__call_on_stack); sigaltstack then says SS_ONSTACK and
 * refuses a change (EPERM).  sa_restorer is kept and unused.  Default
 * actions: SIGCHLD, SIGURG, SIGWINCH, SIGCONT are ignored; the stop
 * signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) are ignored too, as
 * nothing could continue the image; SIGABRT runs the exit hooks and
 * aborts (zrt_plat_abort); every other signal runs the exit hooks and
 * ends the image with status 128 + the signal, with a line on the
 * console.  As on Linux, a fatal signal that the thread it is for does
 * not block ends the image when it is sent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* CLONE_*, SCHED_BATCH, the CLOCK_ and PR_ names */
#endif
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "sched_int.h"
#include "sys_gen.h"

#define UNBLOCKABLE (ZRT_SIGBIT(SIGKILL) | ZRT_SIGBIT(SIGSTOP))
/* The kernel's MINSIGSTKSZ on x86_64 (glibc's may be a sysconf call),
 * and its SS_AUTODISARM, which glibc's headers lack. */
#define ALTSTACK_MIN 2048
#define ALTSTACK_AUTODISARM (1u << 31)

/* struct k_sigaction of x86_64's rt_sigaction. */
struct ksigaction {
  uintptr_t handler;
  unsigned long flags;
  /* cppcheck-suppress unusedStructMember ; the ABI's, kept and unused */
  uintptr_t restorer;
  uint64_t mask;
};

static struct ksigaction actions[ZRT_NSIG + 1];
static struct zrt_sigsrc image_src[ZRT_NSIG];
static uint16_t image_queued[ZRT_NSIGRT];
#define SIGRT_QUEUE 4096

/* sig pends (its bit in *pending): a real-time one already pending
 * queues once more (*queued counts them), a standard one does not. */
static void sig_pend(uint64_t *pending, uint16_t *queued, int sig) {
  uint64_t bit = ZRT_SIGBIT(sig);
  if ((*pending & bit) && sig >= ZRT_SIGRT_FIRST &&
      queued[sig - ZRT_SIGRT_FIRST] < SIGRT_QUEUE)
    queued[sig - ZRT_SIGRT_FIRST]++;
  *pending |= bit;
}

/* One of sig taken: its bit goes with the last one queued. */
static void sig_unpend(uint64_t *pending, uint16_t *queued, int sig) {
  if (sig >= ZRT_SIGRT_FIRST && queued[sig - ZRT_SIGRT_FIRST] > 0)
    queued[sig - ZRT_SIGRT_FIRST]--;
  else
    *pending &= ~ZRT_SIGBIT(sig);
}

/* ---- dispositions ---------------------------------------------------------
 */

enum default_action { DFL_TERM, DFL_IGN, DFL_STOP, DFL_ABORT };

static enum default_action default_action(int sig) {
  switch (sig) {
  case SIGCHLD:
  case SIGURG:
  case SIGWINCH:
  case SIGCONT:
    return DFL_IGN;
  case SIGSTOP:
  case SIGTSTP:
  case SIGTTIN:
  case SIGTTOU:
    return DFL_STOP;
  case SIGABRT:
    return DFL_ABORT;
  }
  return DFL_TERM;
}

static bool sig_ignored(int sig) {
  uintptr_t h = actions[sig].handler;
  if (h == (uintptr_t)SIG_IGN)
    return true;
  enum default_action d = default_action(sig);
  return h == (uintptr_t)SIG_DFL && (d == DFL_IGN || d == DFL_STOP);
}

static bool sig_fatal(int sig) {
  return sig == SIGKILL ||
         (actions[sig].handler == (uintptr_t)SIG_DFL && !sig_ignored(sig));
}

__attribute__((noreturn)) static void terminate(int sig) {
  zrt_log("terminated by signal %d", sig);
  if (default_action(sig) == DFL_ABORT) {
    zrt_exit_hooks_run(128 + sig);
    zrt_plat_abort();
  }
  zrt__sched_exit_image(128 + sig);
}

/* ---- sending ----------------------------------------------------------------
 */

/* t would take sig now: it does not block it, or waits for it. */
static bool sig_wanted(const struct zrt_thread *t, int sig) {
  uint64_t bit = ZRT_SIGBIT(sig);
  return !(t->sig_mask & bit) || (t->sig_waitset & bit);
}

void zrt_signal_entry(void) {
  struct zrt_thread *t = zrt__sched_self();
  if (zrt__sig_deliverable(t))
    zrt__sig_deliver(t->sig_mask);
}

/* A signal that t takes: dropped if ignored, the end of the image if
 * fatal (unless t waits for it in sigtimedwait).  Returns whether it
 * pends. */
static bool sig_accept(const struct zrt_thread *t, int sig) {
  if (sig == SIGKILL)
    terminate(sig);
  if (!t || !sig_wanted(t, sig) || (t->sig_waitset & ZRT_SIGBIT(sig)))
    return true;
  if (sig_ignored(sig))
    return false;
  if (sig_fatal(sig))
    terminate(sig);
  return true;
}

/* Wake t if it waits and the signal is for it; the running thread takes
 * it at the end of the call instead. */
static void sig_kick(struct zrt_thread *t) {
  if (t->wait != ZRT_WAIT_NONE && zrt__sig_deliverable(t))
    zrt__sched_interrupt(t);
}

static void sig_send_thread(struct zrt_thread *t, int sig, int code) {
  if (!sig_accept(t, sig))
    return;
  sig_pend(&t->sig_pending, t->sig_queued, sig);
  t->sig_src[sig - 1] = (struct zrt_sigsrc){.code = code, .pid = 1};
  sig_kick(t);
}

static struct zrt_thread *sig_choose_thread(int sig) {
  struct zrt_thread *self = zrt__sched_self();
  if (self->wait == ZRT_WAIT_NONE && sig_wanted(self, sig))
    return self;
  for (struct zrt_thread *t = zrt__sched_first(); t; t = zrt__sched_next(t))
    if (sig_wanted(t, sig))
      return t;
  return NULL;
}

void zrt__sig_send_process(int sig, int code) {
  struct zrt_thread *t = sig_choose_thread(sig);
  if (!sig_accept(t, sig))
    return;
  sig_pend(&zrt__sig_image_pending, image_queued, sig);
  image_src[sig - 1] =
      (struct zrt_sigsrc){.code = code, .pid = code == ZRT_SI_KERNEL ? 0 : 1};
  if (t)
    sig_kick(t);
}

/* ---- delivering
 * --------------------------------------------------------------- */

/* Take the lowest signal of `from` pending for t (its own before the
 * image's): its number, or 0. */
static int sig_take(struct zrt_thread *t, uint64_t from,
                    struct zrt_sigsrc *src) {
  uint64_t mine = t->sig_pending & from;
  uint64_t any = (t->sig_pending | zrt__sig_image_pending) & from;
  if (!any)
    return 0;
  int sig = __builtin_ctzll(mine ? mine : any) + 1;
  if (mine) {
    sig_unpend(&t->sig_pending, t->sig_queued, sig);
    *src = t->sig_src[sig - 1];
  } else {
    sig_unpend(&zrt__sig_image_pending, image_queued, sig);
    *src = image_src[sig - 1];
  }
  return sig;
}

static void siginfo_fill(siginfo_t *si, int sig, struct zrt_sigsrc src) {
  memset(si, 0, sizeof *si);
  si->si_signo = sig;
  si->si_code = src.code;
  si->si_pid = src.pid;
  si->si_uid = 0;
}

/* One handler's call, made on whichever stack it runs on. */
struct handler_call {
  struct ksigaction a;
  int sig;
  siginfo_t *si;
  ucontext_t *uc;
};

static void handler_run(void *p) {
  const struct handler_call *c = p;
  if (c->a.flags & SA_SIGINFO)
    ((void (*)(int, siginfo_t *, void *))c->a.handler)(c->sig, c->si, c->uc);
  else
    ((void (*)(int))c->a.handler)(c->sig);
}

/* The handler of `a` goes on t's sigaltstack. */
static bool on_altstack_for(const struct zrt_thread *t,
                            const struct ksigaction *a) {
  return (a->flags & SA_ONSTACK) && t->altstack_flags != SS_DISABLE &&
         t->altstack_size > 0 && !t->on_altstack;
}

/* Call the handler as the kernel would have, then restore the mask the
 * handler's ucontext holds. */
static void sig_call_handler(struct zrt_thread *t, int sig,
                             struct zrt_sigsrc src, uint64_t saved) {
  struct ksigaction a = actions[sig];
  siginfo_t si;
  ucontext_t uc;
  if (a.flags & SA_RESETHAND) {
    actions[sig].handler = (uintptr_t)SIG_DFL;
    actions[sig].flags &= ~(unsigned long)SA_SIGINFO;
  }
  siginfo_fill(&si, sig, src);
  memset(&uc, 0, sizeof uc);
  memcpy(&uc.uc_sigmask, &saved, sizeof saved);
  uc.uc_stack.ss_sp = (void *)t->altstack_sp;
  uc.uc_stack.ss_size = t->altstack_size;
  uc.uc_stack.ss_flags = t->altstack_flags;
  uint64_t during = a.mask | ((a.flags & SA_NODEFER) ? 0 : ZRT_SIGBIT(sig));
  t->sig_mask = (saved | during) & ~UNBLOCKABLE;
  struct handler_call c = {a, sig, &si, &uc};
  if (on_altstack_for(t, &a)) {
    t->on_altstack = true;
    zrt__call_on_stack(handler_run, &c,
                       (void *)(t->altstack_sp + t->altstack_size));
    t->on_altstack = false;
  } else {
    handler_run(&c);
  }
  uint64_t back;
  memcpy(&back, &uc.uc_sigmask, sizeof back);
  t->sig_mask = back & ~UNBLOCKABLE;
}

/* Ends: each turn takes one pending signal, and a handler that sends
 * more is the program's own loop. */
enum zrt_sig_outcome zrt__sig_deliver(uint64_t saved) {
  struct zrt_thread *t = zrt__sched_self();
  enum zrt_sig_outcome out = ZRT_SIG_NONE;
  struct zrt_sigsrc src;
  int sig;
  while ((sig = sig_take(t, ~t->sig_mask, &src)) != 0) {
    if (sig_ignored(sig))
      continue;
    if (actions[sig].handler == (uintptr_t)SIG_DFL)
      terminate(sig);
    bool restart = (actions[sig].flags & SA_RESTART) != 0;
    sig_call_handler(t, sig, src, saved);
    saved = t->sig_mask;
    if (!restart)
      out = ZRT_SIG_EINTR;
    else if (out == ZRT_SIG_NONE)
      out = ZRT_SIG_RESTART;
  }
  return out;
}

/* At the end of a call that may have made a signal deliverable. */
static void sig_deliver_now(void) {
  struct zrt_thread *t = zrt__sched_self();
  if (zrt__sig_deliverable(t))
    zrt__sig_deliver(t->sig_mask);
}

void zrt_signal_raise(int sig) {
  if (sig < 1 || sig > ZRT_NSIG)
    return;
  sig_send_thread(zrt__sched_self(), sig, ZRT_SI_USER);
  sig_deliver_now();
}

int zrt_signal_pending_restart(void) {
  struct zrt_thread *t = zrt__sched_self();
  return zrt__sig_deliver(t->sig_mask) != ZRT_SIG_EINTR;
}

/* ---- the system calls ------------------------------------------------------
 */

static bool sig_valid(int sig) { return sig >= 1 && sig <= ZRT_NSIG; }

/* Pending signals that became ignored are dropped, as Linux does. */
static void sig_discard(int sig) {
  zrt__sig_image_pending &= ~ZRT_SIGBIT(sig);
  if (sig >= ZRT_SIGRT_FIRST)
    image_queued[sig - ZRT_SIGRT_FIRST] = 0;
  for (struct zrt_thread *t = zrt__sched_first(); t; t = zrt__sched_next(t)) {
    t->sig_pending &= ~ZRT_SIGBIT(sig);
    if (sig >= ZRT_SIGRT_FIRST)
      t->sig_queued[sig - ZRT_SIGRT_FIRST] = 0;
  }
}

long zrt_sys_rt_sigaction(int sig, const void *act, void *oact,
                          size_t sigsetsize) {
  if (sigsetsize != sizeof(uint64_t))
    return -EINVAL;
  if (!sig_valid(sig) || (act && (sig == SIGKILL || sig == SIGSTOP)))
    return -EINVAL;
  struct ksigaction old = actions[sig];
  if (act) {
    memcpy(&actions[sig], act, sizeof actions[sig]);
    actions[sig].mask &= ~UNBLOCKABLE;
    if (sig_ignored(sig))
      sig_discard(sig);
  }
  if (oact)
    memcpy(oact, &old, sizeof old);
  return 0;
}

long zrt_sys_rt_sigprocmask(int how, const void *set, void *oset,
                            size_t sigsetsize) {
  struct zrt_thread *t = zrt__sched_self();
  uint64_t old = t->sig_mask;
  uint64_t s;
  if (sigsetsize != sizeof(uint64_t))
    return -EINVAL;
  if (set) {
    memcpy(&s, set, sizeof s);
    switch (how) {
    case SIG_BLOCK:
      t->sig_mask |= s;
      break;
    case SIG_UNBLOCK:
      t->sig_mask &= ~s;
      break;
    case SIG_SETMASK:
      t->sig_mask = s;
      break;
    default:
      return -EINVAL;
    }
    t->sig_mask &= ~UNBLOCKABLE;
  }
  if (oset)
    memcpy(oset, &old, sizeof old);
  sig_deliver_now();
  return 0;
}

long zrt_sys_rt_sigpending(void *set, size_t sigsetsize) {
  struct zrt_thread *t = zrt__sched_self();
  if (sigsetsize > sizeof(uint64_t))
    return -EINVAL;
  uint64_t p = (t->sig_pending | zrt__sig_image_pending) & t->sig_mask;
  memcpy(set, &p, sigsetsize);
  return 0;
}

/* Wait under `mask` until a handler runs; then the thread's mask is
 * `saved` again (the handler's ucontext), as Linux's sigsuspend. */
static long suspend_with(uint64_t mask) {
  struct zrt_thread *t = zrt__sched_self();
  uint64_t saved = t->sig_mask;
  for (;;) {
    t->sig_mask = mask & ~UNBLOCKABLE;
    zrt__sched_block(ZRT_WAIT_SIGNAL, NULL, ZRT_NO_DEADLINE);
    if (zrt__sig_deliver(saved) != ZRT_SIG_NONE)
      return -EINTR;
    t->sig_mask = saved;
  }
}

long zrt_sys_rt_sigsuspend(const void *mask, size_t sigsetsize) {
  uint64_t m;
  if (sigsetsize != sizeof(uint64_t))
    return -EINVAL;
  memcpy(&m, mask, sizeof m);
  return suspend_with(m);
}

long zrt_sys_pause(void) { return suspend_with(zrt__sched_self()->sig_mask); }

static long timedwait_take(struct zrt_thread *t, uint64_t want, void *info) {
  struct zrt_sigsrc src;
  int sig = sig_take(t, want, &src);
  if (sig && info) {
    siginfo_t si;
    siginfo_fill(&si, sig, src);
    memcpy(info, &si, sizeof si);
  }
  return sig;
}

long zrt_sys_rt_sigtimedwait(const void *set, void *info, const void *timeout,
                             size_t sigsetsize) {
  struct zrt_thread *t = zrt__sched_self();
  uint64_t want;
  uint64_t deadline = ZRT_NO_DEADLINE;
  if (sigsetsize != sizeof(uint64_t))
    return -EINVAL;
  memcpy(&want, set, sizeof want);
  want &= ~UNBLOCKABLE;
  if (timeout) {
    struct timespec ts;
    memcpy(&ts, timeout, sizeof ts);
    if (zrt__deadline_rel(&ts, &deadline))
      return -EINVAL;
  }
  for (;;) {
    long sig = timedwait_take(t, want, info);
    if (sig)
      return sig;
    if (deadline <= zrt_plat_monotonic())
      return -EAGAIN;
    t->sig_waitset = want;
    int r = zrt__sched_block(ZRT_WAIT_SIGNAL, NULL, deadline);
    t->sig_waitset = 0;
    sig = timedwait_take(t, want, info);
    if (sig)
      return sig;
    if (r == -ETIMEDOUT)
      return -EAGAIN;
    if (zrt__sig_deliver(t->sig_mask) != ZRT_SIG_NONE)
      return -EINTR;
  }
}

long zrt_sys_sigaltstack(const void *ss, void *old) {
  struct zrt_thread *t = zrt__sched_self();
  stack_t o = {.ss_sp = (void *)t->altstack_sp,
               .ss_flags = t->on_altstack ? SS_ONSTACK : t->altstack_flags,
               .ss_size = t->altstack_size};
  if (ss && t->on_altstack)
    return -EPERM;
  if (ss) {
    stack_t n;
    memcpy(&n, ss, sizeof n);
    int mode = (int)((unsigned)n.ss_flags & ~ALTSTACK_AUTODISARM);
    if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
      return -EINVAL;
    if (mode == SS_DISABLE) {
      n.ss_sp = NULL;
      n.ss_size = 0;
    } else if (n.ss_size < ALTSTACK_MIN) {
      return -ENOMEM;
    }
    t->altstack_sp = (uintptr_t)n.ss_sp;
    t->altstack_size = n.ss_size;
    t->altstack_flags = mode == SS_DISABLE ? SS_DISABLE : 0;
  }
  if (old)
    memcpy(old, &o, sizeof o);
  return 0;
}

/* ---- signals from outside the image (--signal-port, net.c) ---------------- */

static uint64_t host_pending; /* ZRT_SIGBIT of each signal not yet sent */
static struct zrt_timer host_timer;

/* In the timer's context, as SIGALRM's: not inside the stack's poll that
 * brought the datagram (a fatal signal ends the image from here). */
static void host_signals_fire(struct zrt_timer *tm) {
  (void)tm;
  for (int sig = 1; sig <= ZRT_NSIG; sig++)
    if (host_pending & ZRT_SIGBIT(sig)) {
      host_pending &= ~ZRT_SIGBIT(sig);
      zrt__sig_send_process(sig, ZRT_SI_USER);
    }
}

void zrt_signal_from_host(int sig) {
  if (!sig_valid(sig))
    return;
  if (!host_timer.fire)
    zrt__timer_init(&host_timer, host_signals_fire);
  host_pending |= ZRT_SIGBIT(sig);
  zrt__timer_arm(&host_timer, zrt_plat_monotonic());
}

static const struct {
  const char *name;
  int sig;
} sig_names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},   {"USR2", SIGUSR2},
    {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"WINCH", SIGWINCH},
};

int zrt_signal_by_name(const char *name, size_t len) {
  if (len > 3 && memcmp(name, "SIG", 3) == 0) {
    name += 3;
    len -= 3;
  }
  for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++)
    if (strlen(sig_names[i].name) == len &&
        memcmp(sig_names[i].name, name, len) == 0)
      return sig_names[i].sig;
  int n = 0;
  for (size_t i = 0; i < len && i < 3; i++) {
    if (name[i] < '0' || name[i] > '9')
      return 0;
    n = n * 10 + (name[i] - '0');
  }
  return len > 0 && len <= 3 && n >= 1 && n <= ZRT_NSIG ? n : 0;
}

/* kill's pid: the image is process 1, and 0 (its group) and -1 (every
 * process it may signal) reach only it. */
long zrt_sys_kill(int pid, int sig) {
  if (sig < 0 || sig > ZRT_NSIG)
    return -EINVAL;
  if (pid != 1 && pid != 0 && pid != -1)
    return -ESRCH;
  if (sig == 0)
    return 0;
  zrt__sig_send_process(sig, ZRT_SI_USER);
  sig_deliver_now();
  return 0;
}

static long thread_kill(int tid, int sig) {
  if (tid <= 0 || sig < 0 || sig > ZRT_NSIG)
    return -EINVAL;
  struct zrt_thread *t = zrt__sched_find(tid);
  if (!t)
    return -ESRCH;
  if (sig == 0)
    return 0;
  sig_send_thread(t, sig, ZRT_SI_TKILL);
  sig_deliver_now();
  return 0;
}

long zrt_sys_tkill(int tid, int sig) { return thread_kill(tid, sig); }

long zrt_sys_tgkill(int tgid, int tid, int sig) {
  if (tgid <= 0)
    return -EINVAL;
  if (tgid != 1)
    return tid <= 0 ? -EINVAL : -ESRCH;
  return thread_kill(tid, sig);
}
