/*
 * Clocks, sleeps, timerfd and itimers (rt.h, sched_int.h).
 *
 * The monotonic clocks (MONOTONIC, _RAW, _COARSE, BOOTTIME) all read
 * zrt_plat_monotonic: the image never suspends, and nothing slews it.
 * REALTIME (and _COARSE, TAI, whose offset is 0 as on a Linux that no
 * NTP daemon told otherwise) is zrt_plat_wall plus the offset that
 * clock_settime and settimeofday set.  The coarse clocks are as fine as
 * the others, and clock_getres says 1 ns for every clock.
 *
 * CPU time is approximate: a thread's is the time it has been running,
 * measured at the switches, so it includes what the vCPU spent in the
 * runtime and in the tender on its behalf; the process's is the sum over
 * its threads, the exited ones included; the idle loop counts for none.
 * System time is always 0.
 *
 * REALTIME's offset and the deadlines of waits are deadline.c's.
 *
 * ITIMER_REAL (and alarm) raise SIGALRM at the image when it expires,
 * seen at the next system call's entry or in the idle loop.
 * ITIMER_VIRTUAL and ITIMER_PROF are not offered: -EINVAL.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* CLONE_*, SCHED_BATCH, the CLOCK_ and PR_ names */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>

#include "sched_int.h"
#include "sys_gen.h"

#define NS 1000000000ull
#define USER_HZ 100
#define TICK_NS (NS / USER_HZ)

/* ---- timespecs ---------------------------------------------------------- */

static struct timespec timespec_of_ns(uint64_t ns) {
  struct timespec ts = {.tv_sec = (time_t)(ns / NS),
                        .tv_nsec = (long)(ns % NS)};
  return ts;
}

/* ---- clocks
 * ------------------------------------------------------------------ */

/* Linux's CPU clock ids (clock_getcpuclockid, pthread_getcpuclockid):
 * negative, ~pid << 3, bit 2 for a thread, the low two bits the kind
 * (3 is none). */
static int cpu_clock_read(clockid_t clk, uint64_t *ns) {
  int id = ~(clk >> 3);
  if ((clk & 3) == 3)
    return -EINVAL;
  if (clk & 4) {
    struct zrt_thread *t = id ? zrt__sched_find(id) : zrt__sched_self();
    if (!t)
      return -EINVAL;
    *ns = zrt__sched_cpu_thread(t);
    return 0;
  }
  if (id != 0 && id != 1)
    return -EINVAL;
  *ns = zrt__sched_cpu_process();
  return 0;
}

static int clock_read(clockid_t clk, uint64_t *ns) {
  if (clk < 0)
    return cpu_clock_read(clk, ns);
  switch (clk) {
  case CLOCK_REALTIME:
  case CLOCK_REALTIME_COARSE:
  case CLOCK_REALTIME_ALARM:
  case CLOCK_TAI:
    *ns = zrt__realtime_now();
    return 0;
  case CLOCK_MONOTONIC:
  case CLOCK_MONOTONIC_RAW:
  case CLOCK_MONOTONIC_COARSE:
  case CLOCK_BOOTTIME:
  case CLOCK_BOOTTIME_ALARM:
    *ns = zrt_plat_monotonic();
    return 0;
  case CLOCK_PROCESS_CPUTIME_ID:
    *ns = zrt__sched_cpu_process();
    return 0;
  case CLOCK_THREAD_CPUTIME_ID:
    *ns = zrt__sched_cpu_thread(zrt__sched_self());
    return 0;
  }
  return -EINVAL;
}

long zrt_sys_clock_gettime(int clk, void *ts) {
  uint64_t ns;
  int r = clock_read(clk, &ns);
  if (r)
    return r;
  if (!ts)
    return -EFAULT;
  struct timespec t = timespec_of_ns(ns);
  memcpy(ts, &t, sizeof t);
  return 0;
}

long zrt_sys_clock_getres(int clk, void *res) {
  uint64_t ns;
  int r = clock_read(clk, &ns);
  if (r)
    return r;
  struct timespec t = {.tv_sec = 0, .tv_nsec = 1};
  if (res)
    memcpy(res, &t, sizeof t);
  return 0;
}

static long realtime_set(const struct timespec *ts) {
  if (!zrt__timespec_valid(ts))
    return -EINVAL;
  zrt__realtime_set(zrt__timespec_ns(ts));
  return 0;
}

long zrt_sys_clock_settime(int clk, const void *ts) {
  uint64_t ns;
  struct timespec t;
  if (clock_read(clk, &ns))
    return -EINVAL;
  if (!ts)
    return -EFAULT;
  memcpy(&t, ts, sizeof t);
  if (clk != CLOCK_REALTIME)
    return -EINVAL;
  return realtime_set(&t);
}

static struct timezone tz_set; /* settimeofday's, reported back only */

long zrt_sys_gettimeofday(void *tv, void *tz) {
  if (tv) {
    uint64_t ns = zrt__realtime_now();
    struct timeval t = {.tv_sec = (time_t)(ns / NS),
                        .tv_usec = (suseconds_t)(ns % NS / 1000)};
    memcpy(tv, &t, sizeof t);
  }
  if (tz)
    memcpy(tz, &tz_set, sizeof tz_set);
  return 0;
}

long zrt_sys_settimeofday(const void *tv, const void *tz) {
  if (tv) {
    struct timeval t;
    memcpy(&t, tv, sizeof t);
    if (t.tv_usec < 0 || t.tv_usec >= 1000000)
      return -EINVAL;
    struct timespec ts = {.tv_sec = t.tv_sec, .tv_nsec = t.tv_usec * 1000};
    long r = realtime_set(&ts);
    if (r)
      return r;
  }
  if (tz)
    memcpy(&tz_set, tz, sizeof tz_set);
  return 0;
}

long zrt_sys_time(long *tloc) {
  long s = (long)(zrt__realtime_now() / NS);
  if (tloc)
    *tloc = s;
  return s;
}


/* ---- sleeps
 * ------------------------------------------------------------------ */

/* Sleep until the deadline; a signal whose handler runs ends it with
 * -EINTR and, if rem, the time left (Linux never restarts a sleep). */
static long sleep_until(uint64_t deadline, void *rem) {
  struct zrt_thread *t = zrt__sched_self();
  for (;;) {
    int r = zrt__sched_block(ZRT_WAIT_SLEEP, NULL, deadline);
    if (r != -EINTR)
      return 0;
    if (rem) {
      uint64_t now = zrt_plat_monotonic();
      struct timespec left =
          timespec_of_ns(deadline > now ? deadline - now : 0);
      memcpy(rem, &left, sizeof left);
    }
    if (zrt__sig_deliver(t->sig_mask) != ZRT_SIG_NONE)
      return -EINTR;
  }
}

long zrt_sys_nanosleep(const void *req, void *rem) {
  struct timespec ts;
  uint64_t deadline;
  if (!req)
    return -EFAULT;
  memcpy(&ts, req, sizeof ts);
  if (zrt__deadline_rel(&ts, &deadline))
    return -EINVAL;
  return sleep_until(deadline, rem);
}

/* The clocks a sleep can time: Linux says -EOPNOTSUPP for the other
 * clocks it can read (the CPU clocks among them: the runtime does not
 * sleep on them), -EINVAL for another thread's CPU clock. */
static int sleep_clock_check(clockid_t clk) {
  uint64_t ns;
  switch (clk) {
  case CLOCK_REALTIME:
  case CLOCK_MONOTONIC:
  case CLOCK_BOOTTIME:
  case CLOCK_TAI:
  case CLOCK_REALTIME_ALARM:
  case CLOCK_BOOTTIME_ALARM:
    return 0;
  }
  if (clock_read(clk, &ns))
    return -EINVAL;
  return (clk < 0 && (clk & 4)) ? -EINVAL : -EOPNOTSUPP;
}

long zrt_sys_clock_nanosleep(int clk, int flags, const void *req, void *rem) {
  struct timespec ts;
  uint64_t deadline;
  int r = sleep_clock_check(clk);
  if (r)
    return r;
  if (!req)
    return -EFAULT;
  memcpy(&ts, req, sizeof ts);
  if (flags & TIMER_ABSTIME) {
    if (zrt__deadline_abs(clk, &ts, &deadline))
      return -EINVAL;
    return sleep_until(deadline, NULL);
  }
  if (zrt__deadline_rel(&ts, &deadline))
    return -EINVAL;
  return sleep_until(deadline, rem);
}

/* ---- timerfd ---------------------------------------------------------------
 */

struct timerfd {
  struct zrt_timer timer;
  clockid_t clock;
  uint64_t ticks;    /* expirations not yet read */
  uint64_t interval; /* ns, 0: one shot */
};

/* Each expiration counts, those the interval skipped while nobody looked
 * too. */
static void timerfd_fire(struct zrt_timer *tm) {
  struct timerfd *tf = ZRT_CONTAINER_OF(tm, struct timerfd, timer);
  uint64_t now = zrt_plat_monotonic();
  tf->ticks++;
  if (tf->interval) {
    uint64_t missed = (now - tm->deadline) / tf->interval;
    tf->ticks += missed;
    zrt__timer_arm(tm, tm->deadline + (missed + 1) * tf->interval);
  }
  zrt_io_notify();
}

static ssize_t timerfd_read(struct zrt_file *f, void *buf, size_t n) {
  struct timerfd *tf = f->priv;
  if (n < sizeof tf->ticks)
    return -EINVAL;
  if (!tf->ticks)
    return -EAGAIN;
  memcpy(buf, &tf->ticks, sizeof tf->ticks);
  tf->ticks = 0;
  return (ssize_t)sizeof tf->ticks;
}

static short timerfd_poll(struct zrt_file *f, short events) {
  struct timerfd *tf = f->priv;
  return (short)(tf->ticks ? (events & POLLIN) : 0);
}

static void timerfd_release(struct zrt_file *f) {
  struct timerfd *tf = f->priv;
  zrt__timer_disarm(&tf->timer);
  zrt_kfree(tf, sizeof *tf);
}

static const struct zrt_file_ops timerfd_ops = {
    .name = "timerfd",
    .read = timerfd_read,
    .poll = timerfd_poll,
    .release = timerfd_release,
};

static bool timerfd_clock_ok(int clk) {
  return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC ||
         clk == CLOCK_BOOTTIME || clk == CLOCK_REALTIME_ALARM ||
         clk == CLOCK_BOOTTIME_ALARM;
}

long zrt_sys_timerfd_create(int clk, int flags) {
  if (!timerfd_clock_ok(clk) || (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)))
    return -EINVAL;
  struct timerfd *tf = zrt_kalloc(sizeof *tf);
  if (!tf)
    return -ENOMEM;
  zrt__timer_init(&tf->timer, timerfd_fire);
  tf->clock = clk;
  struct zrt_file *f = zrt_file_new(
      &timerfd_ops, O_RDWR | ((flags & TFD_NONBLOCK) ? O_NONBLOCK : 0), tf);
  if (!f) {
    zrt_kfree(tf, sizeof *tf);
    return -ENOMEM;
  }
  int fd = zrt_fd_install(f, 0, (flags & TFD_CLOEXEC) != 0);
  if (fd < 0)
    zrt_file_put(f);
  return fd;
}

static struct timerfd *timerfd_of(int fd, long *err) {
  struct zrt_file *f = zrt_fd_file(fd);
  *err = !f ? -EBADF : f->ops != &timerfd_ops ? -EINVAL : 0;
  return *err ? NULL : f->priv;
}

static struct itimerspec timerfd_current(const struct timerfd *tf) {
  struct itimerspec cur;
  uint64_t now = zrt_plat_monotonic();
  uint64_t left = 0;
  if (tf->timer.armed)
    left = tf->timer.deadline > now ? tf->timer.deadline - now : 1;
  cur.it_value = timespec_of_ns(left);
  cur.it_interval = timespec_of_ns(tf->interval);
  return cur;
}

long zrt_sys_timerfd_gettime(int fd, void *cur) {
  long err;
  struct timerfd *tf = timerfd_of(fd, &err);
  if (!tf)
    return err;
  struct itimerspec c = timerfd_current(tf);
  memcpy(cur, &c, sizeof c);
  return 0;
}

long zrt_sys_timerfd_settime(int fd, int flags, const void *nv, void *old) {
  long err;
  struct itimerspec n;
  uint64_t deadline;
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
    return -EINVAL;
  struct timerfd *tf = timerfd_of(fd, &err);
  if (!tf)
    return err;
  if (!nv)
    return -EFAULT;
  memcpy(&n, nv, sizeof n);
  if (!zrt__timespec_valid(&n.it_value) || !zrt__timespec_valid(&n.it_interval))
    return -EINVAL;
  if (old) {
    struct itimerspec c = timerfd_current(tf);
    memcpy(old, &c, sizeof c);
  }
  zrt__timer_disarm(&tf->timer);
  tf->ticks = 0;
  tf->interval = zrt__timespec_ns(&n.it_interval);
  if (!n.it_value.tv_sec && !n.it_value.tv_nsec)
    return 0;
  int r = (flags & TFD_TIMER_ABSTIME)
              ? zrt__deadline_abs(tf->clock, &n.it_value, &deadline)
              : zrt__deadline_rel(&n.it_value, &deadline);
  if (r < 0) /* no deadline: not for the clocks timerfd_create takes */
    return r;
  zrt__timer_arm(&tf->timer, deadline);
  return 0;
}

/* ---- itimers and alarm ------------------------------------------------------
 */

static struct zrt_timer itimer_real;
static bool itimer_real_ready;
static uint64_t itimer_real_interval;

static void itimer_real_fire(struct zrt_timer *tm) {
  if (itimer_real_interval) {
    uint64_t now = zrt_plat_monotonic();
    uint64_t next = tm->deadline + itimer_real_interval;
    zrt__timer_arm(tm, next > now ? next : now + itimer_real_interval);
  }
  zrt__sig_send_process(SIGALRM, ZRT_SI_KERNEL);
}

static struct timeval timeval_of_ns(uint64_t ns) {
  struct timeval tv = {.tv_sec = (time_t)(ns / NS),
                       .tv_usec = (suseconds_t)(ns % NS / 1000)};
  return tv;
}

/* What is left, rounded up to a µs (an armed timer reads at least 1 µs,
 * as Linux's). */
static struct itimerval itimer_real_current(void) {
  struct itimerval cur;
  uint64_t left = 0;
  uint64_t now = zrt_plat_monotonic();
  if (itimer_real.armed)
    left = itimer_real.deadline > now ? itimer_real.deadline - now : 1;
  cur.it_value = timeval_of_ns((left + 999) / 1000 * 1000);
  cur.it_interval = timeval_of_ns(itimer_real_interval);
  return cur;
}

static bool timeval_valid(const struct timeval *tv) {
  return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static uint64_t ns_of_timeval(const struct timeval *tv) {
  struct timespec ts = {.tv_sec = tv->tv_sec, .tv_nsec = tv->tv_usec * 1000};
  return zrt__timespec_ns(&ts);
}

static void itimer_real_set(const struct itimerval *v) {
  if (!itimer_real_ready)
    zrt__timer_init(&itimer_real, itimer_real_fire);
  itimer_real_ready = true;
  zrt__timer_disarm(&itimer_real);
  itimer_real_interval = ns_of_timeval(&v->it_interval);
  uint64_t value = ns_of_timeval(&v->it_value);
  if (value)
    zrt__timer_arm(&itimer_real, zrt__add_saturated(zrt_plat_monotonic(), value));
}

long zrt_sys_getitimer(int which, void *cur) {
  if (which != ITIMER_REAL)
    return -EINVAL;
  if (!cur)
    return -EFAULT;
  struct itimerval c = itimer_real_current();
  memcpy(cur, &c, sizeof c);
  return 0;
}

/* A NULL new value disarms, as Linux still allows. */
long zrt_sys_setitimer(int which, const void *nv, void *old) {
  struct itimerval n = {{0, 0}, {0, 0}};
  if (which != ITIMER_REAL)
    return -EINVAL;
  if (nv)
    memcpy(&n, nv, sizeof n);
  if (!timeval_valid(&n.it_value) || !timeval_valid(&n.it_interval))
    return -EINVAL;
  if (old) {
    struct itimerval c = itimer_real_current();
    memcpy(old, &c, sizeof c);
  }
  itimer_real_set(&n);
  return 0;
}

long zrt_sys_alarm(unsigned seconds) {
  struct itimerval old = itimer_real_current();
  struct itimerval n = {{0, 0}, {(time_t)seconds, 0}};
  itimer_real_set(&n);
  long left = (long)old.it_value.tv_sec;
  if ((!left && old.it_value.tv_usec) || old.it_value.tv_usec >= 500000)
    left++;
  return left;
}

/* ---- accounting -------------------------------------------------------------
 */

long zrt_sys_times(void *buf) {
  if (buf) {
    struct tms t = {.tms_utime = (clock_t)(zrt__sched_cpu_process() / TICK_NS)};
    memcpy(buf, &t, sizeof t);
  }
  return (long)(zrt_plat_monotonic() / TICK_NS);
}

long zrt_sys_getrusage(int who, void *ru) {
  struct rusage r;
  memset(&r, 0, sizeof r);
  if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
    return -EINVAL;
  if (!ru)
    return -EFAULT;
  struct zrt_thread *self = zrt__sched_self();
  if (who == RUSAGE_THREAD) {
    r.ru_utime = timeval_of_ns(zrt__sched_cpu_thread(self));
    r.ru_nvcsw = (long)self->nvcsw;
    r.ru_nivcsw = (long)self->nivcsw;
  }
  if (who == RUSAGE_SELF) {
    r.ru_utime = timeval_of_ns(zrt__sched_cpu_process());
    for (struct zrt_thread *t = zrt__sched_first(); t; t = zrt__sched_next(t)) {
      r.ru_nvcsw += (long)t->nvcsw;
      r.ru_nivcsw += (long)t->nivcsw;
    }
  }
  memcpy(ru, &r, sizeof r);
  return 0;
}
