/* rt/time.c on the host: clocks, sleeps, timerfd, CPU time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <time.h>

#include "host_plat.h"
#include "zt.h"

#define MS 1000000ull
#define NS 1000000000ull

static uint64_t ns_of(const struct timespec *ts) {
  return (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
}

static uint64_t host_clock(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ns_of(&ts);
}

static uint64_t diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

ZT_TEST(test_clocks_read_the_platform) {
  struct timespec ts;
  ZT_EQ(SC(zrt_sys_clock_gettime(CLOCK_MONOTONIC, &ts)), 0);
  ZT_CHECK(diff(ns_of(&ts), host_clock(CLOCK_MONOTONIC)) < 5 * MS);
  ZT_EQ(SC(zrt_sys_clock_gettime(CLOCK_BOOTTIME, &ts)), 0);
  ZT_CHECK(diff(ns_of(&ts), host_clock(CLOCK_MONOTONIC)) < 5 * MS);
  ZT_EQ(SC(zrt_sys_clock_gettime(CLOCK_REALTIME, &ts)), 0);
  ZT_CHECK(diff(ns_of(&ts), host_clock(CLOCK_REALTIME)) < 5 * MS);
  ZT_EQ(SC(zrt_sys_clock_gettime(CLOCK_REALTIME_COARSE, &ts)), 0);
  ZT_EQ(SC(zrt_sys_clock_gettime(CLOCK_MONOTONIC_RAW, &ts)), 0);
  ZT_EQ(SC(zrt_sys_clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)), 0);
  ZT_EQ(SC(zrt_sys_clock_gettime(12345, &ts)), -EINVAL);
  struct timeval tv;
  ZT_EQ(SC(zrt_sys_gettimeofday(&tv, NULL)), 0);
  ZT_CHECK(diff((uint64_t)tv.tv_sec * NS + (uint64_t)tv.tv_usec * 1000,
                host_clock(CLOCK_REALTIME)) < 5 * MS);
  long t = 0;
  ZT_CHECK(diff((uint64_t)SC(zrt_sys_time(&t)), (uint64_t)time(NULL)) <= 1);
  ZT_CHECK(diff((uint64_t)t, (uint64_t)time(NULL)) <= 1);
}

ZT_TEST(test_clock_settime_moves_realtime_only) {
  struct timespec ts, set = {1000000000, 5};
  ZT_EQ(SC(zrt_sys_clock_settime(CLOCK_MONOTONIC, &set)), -EINVAL);
  ZT_EQ(SC(zrt_sys_clock_settime(CLOCK_REALTIME, &set)), 0);
  SC(zrt_sys_clock_gettime(CLOCK_REALTIME, &ts));
  ZT_CHECK(diff(ns_of(&ts), ns_of(&set)) < 5 * MS);
  SC(zrt_sys_clock_gettime(CLOCK_MONOTONIC, &ts));
  ZT_CHECK(diff(ns_of(&ts), host_clock(CLOCK_MONOTONIC)) < 5 * MS);
  struct timeval back;
  gettimeofday(&back, NULL);
  ZT_EQ(SC(zrt_sys_settimeofday(&back, NULL)), 0);
  SC(zrt_sys_clock_gettime(CLOCK_REALTIME, &ts));
  ZT_CHECK(diff(ns_of(&ts), host_clock(CLOCK_REALTIME)) < 5 * MS);
}

ZT_TEST(test_nanosleep_and_clock_nanosleep) {
  struct timespec ts = {0, 15 * (long)MS}, bad = {0, -1};
  uint64_t t0 = host_now();
  ZT_EQ(SC(zrt_sys_nanosleep(&ts, NULL)), 0);
  ZT_CHECK(host_now() - t0 >= 15 * MS);
  ZT_EQ(SC(zrt_sys_nanosleep(&bad, NULL)), -EINVAL);
  /* Absolute, on MONOTONIC and on REALTIME. */
  struct timespec at;
  clock_gettime(CLOCK_MONOTONIC, &at);
  uint64_t want = ns_of(&at) + 15 * MS;
  at.tv_sec = (time_t)(want / NS);
  at.tv_nsec = (long)(want % NS);
  ZT_EQ(SC(zrt_sys_clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL)),
        0);
  ZT_CHECK(host_now() >= want);
  clock_gettime(CLOCK_REALTIME, &at);
  want = ns_of(&at) + 15 * MS;
  at.tv_sec = (time_t)(want / NS);
  at.tv_nsec = (long)(want % NS);
  ZT_EQ(SC(zrt_sys_clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL)),
        0);
  ZT_CHECK(host_clock(CLOCK_REALTIME) >= want - MS);
  /* A past deadline returns at once. */
  at.tv_sec = 1;
  t0 = host_now();
  ZT_EQ(SC(zrt_sys_clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL)),
        0);
  ZT_CHECK(host_now() - t0 < 5 * MS);
  ZT_EQ(SC(zrt_sys_clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL)),
        -EOPNOTSUPP);
  ZT_EQ(SC(zrt_sys_clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &ts, NULL)),
        -EOPNOTSUPP);
}

static int spin_20ms(void *p) {
  (void)p;
  uint64_t t0 = host_now();
  while (host_now() - t0 < 20 * MS)
    ;
  return 0;
}

ZT_TEST(test_cpu_clocks_count_time_running) {
  struct timespec p0, p1, th, other;
  struct host_thread h;
  SC(zrt_sys_clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0));
  SC(zrt_sys_clock_gettime(CLOCK_THREAD_CPUTIME_ID, &th));
  int tid = (int)host_spawn(&h, spin_20ms, NULL, 0);
  /* pthread_getcpuclockid's id for the thread. */
  clockid_t cid = (clockid_t)((~(unsigned)tid << 3) | 6);
  ZT_EQ(SC(zrt_sys_clock_gettime(cid, &other)), 0);
  /* A sleep does not count for the sleeper. */
  struct timespec ts = {0, 30 * (long)MS};
  SC(zrt_sys_nanosleep(&ts, NULL));
  ZT_EQ(SC(zrt_sys_clock_gettime(cid, &other)), -EINVAL); /* it exited */
  host_join(&h);
  SC(zrt_sys_clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1));
  ZT_CHECK(ns_of(&p1) - ns_of(&p0) >= 20 * MS);
  ZT_CHECK(ns_of(&p1) - ns_of(&p0) < 30 * MS);
  struct timespec th1;
  SC(zrt_sys_clock_gettime(CLOCK_THREAD_CPUTIME_ID, &th1));
  ZT_CHECK(ns_of(&th1) - ns_of(&th) < 10 * MS);
  struct rusage ru;
  ZT_EQ(SC(zrt_sys_getrusage(RUSAGE_SELF, &ru)), 0);
  ZT_CHECK(ru.ru_utime.tv_usec + ru.ru_utime.tv_sec * 1000000 >= 20000);
  ZT_CHECK(ru.ru_nvcsw > 0);
  ZT_EQ(SC(zrt_sys_getrusage(7, &ru)), -EINVAL);
  struct tms tm;
  ZT_CHECK(SC(zrt_sys_times(&tm)) > 0);
  ZT_CHECK(tm.tms_utime >= 2);
}

/* ---- timerfd
 * ------------------------------------------------------------------ */

static long tfd_read(int fd, uint64_t *ticks) {
  struct zrt_file *f = zrt_fd_file(fd);
  return f->ops->read(f, ticks, sizeof *ticks);
}

static short tfd_poll(int fd) {
  struct zrt_file *f = zrt_fd_file(fd);
  return f->ops->poll(f, POLLIN);
}

static uint64_t quiet_pump(void *ctx) {
  (void)ctx;
  return ZRT_NO_DEADLINE;
}

ZT_TEST(test_timerfd_expires_and_notifies) {
  int fd = (int)SC(zrt_sys_timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
  ZT_REQUIRE(fd >= 0);
  ZT_EQ(SC(zrt_sys_timerfd_create(CLOCK_MONOTONIC, 0x40)), -EINVAL);
  ZT_EQ(SC(zrt_sys_timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0)), -EINVAL);
  ZT_CHECK(zrt_fd_file(fd)->flags & O_NONBLOCK);
  uint64_t ticks = 0;
  ZT_EQ(tfd_read(fd, &ticks), -EAGAIN);
  struct itimerspec v = {{0, 10 * (long)MS}, {0, 20 * (long)MS}}, cur;
  ZT_EQ(SC(zrt_sys_timerfd_settime(fd, 0, &v, NULL)), 0);
  ZT_EQ(SC(zrt_sys_timerfd_gettime(fd, &cur)), 0);
  ZT_CHECK(cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20 * (long)MS);
  ZT_EQ(cur.it_interval.tv_nsec, 10 * (long)MS);
  /* A poller waits in zrt_io_wait; the expiry notifies it. */
  zrt_sched_set_pump(quiet_pump, NULL);
  uint64_t t0 = host_now();
  while (!tfd_poll(fd) && zrt_io_wait(t0 + 2000 * MS) != -ETIMEDOUT)
    ;
  ZT_CHECK(host_now() - t0 >= 15 * MS);
  ZT_CHECK(host_now() - t0 < 200 * MS);
  ZT_EQ(tfd_read(fd, &ticks), 8);
  ZT_EQU(ticks, 1);
  /* Missed periods count. */
  struct timespec ts = {0, 35 * (long)MS};
  SC(zrt_sys_nanosleep(&ts, NULL));
  SC(zrt_sys_gettid());
  ZT_EQ(tfd_read(fd, &ticks), 8);
  ZT_CHECK(ticks >= 3);
  ZT_EQ(tfd_read(fd, &ticks), -EAGAIN);
  struct itimerspec off = {{0, 0}, {0, 0}};
  ZT_EQ(SC(zrt_sys_timerfd_settime(fd, 0, &off, &cur)), 0);
  ZT_EQ(cur.it_interval.tv_nsec, 10 * (long)MS);
  ZT_EQ(SC(zrt_sys_timerfd_settime(fd, 0x10, &off, NULL)), -EINVAL);
  ZT_EQ(SC(zrt_sys_timerfd_settime(99, 0, &off, NULL)), -EBADF);
  zrt_file_put(zrt_fd_file(fd));
  ZT_CHECK(zrt_fd_file(fd) == NULL);
  zrt_sched_set_pump(NULL, NULL);
}

ZT_TEST(test_timerfd_absolute_realtime) {
  int fd = (int)SC(zrt_sys_timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
  ZT_REQUIRE(fd >= 0);
  uint64_t want = host_clock(CLOCK_REALTIME) + 15 * MS;
  struct itimerspec v = {{0, 0}, {(time_t)(want / NS), (long)(want % NS)}};
  ZT_EQ(SC(zrt_sys_timerfd_settime(fd, TFD_TIMER_ABSTIME, &v, NULL)), 0);
  uint64_t ticks;
  struct timespec ts = {0, 25 * (long)MS};
  SC(zrt_sys_nanosleep(&ts, NULL));
  SC(zrt_sys_gettid());
  ZT_EQ(tfd_read(fd, &ticks), 8);
  ZT_EQU(ticks, 1);
  zrt_file_put(zrt_fd_file(fd));
}

int main(void) {
  ZT_RUN(test_clocks_read_the_platform);
  ZT_RUN(test_clock_settime_moves_realtime_only);
  ZT_RUN(test_nanosleep_and_clock_nanosleep);
  ZT_RUN(test_cpu_clocks_count_time_running);
  ZT_RUN(test_timerfd_expires_and_notifies);
  ZT_RUN(test_timerfd_absolute_realtime);
  return zt_done();
}
