/* The same calls against the host's kernel and against rt/'s handlers:
 * the answers must match (where the runtime does not differ on purpose,
 * said at each case). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "host_plat.h"
#include "zt.h"

/* The kernel's answer as the runtime gives it: the result or -errno. */
static long k(long r) { return r == -1 ? -errno : r; }

#define BOTH(kernel, ours)                                                     \
  do {                                                                         \
    long kr_ = k(kernel), or_ = (ours);                                        \
    if (kr_ != or_)                                                            \
      zt_fail(__FILE__, __LINE__, "%s: Linux %ld, rt %ld", #ours, kr_, or_);   \
  } while (0)

ZT_TEST(test_clock_getres_as_linux) {
  static const int clocks[] = {CLOCK_REALTIME,
                               CLOCK_MONOTONIC,
                               CLOCK_PROCESS_CPUTIME_ID,
                               CLOCK_THREAD_CPUTIME_ID,
                               CLOCK_MONOTONIC_RAW,
                               CLOCK_BOOTTIME,
                               CLOCK_TAI,
                               10,
                               12,
                               100,
                               -1,
                               -5,
                               (int)((~0u << 3) | 2)};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    struct timespec a = {7, 7}, b = {7, 7};
    BOTH(syscall(SYS_clock_getres, clocks[i], &a),
         zrt_sys_clock_getres(clocks[i], &b));
    ZT_MEMEQ(&a, &b, sizeof a);
    BOTH(syscall(SYS_clock_getres, clocks[i], NULL),
         zrt_sys_clock_getres(clocks[i], NULL));
  }
  /* The coarse clocks: Linux says a tick (1/HZ), the runtime 1 ns (they
   * read the precise clock); only the answer's sign is compared. */
  struct timespec a, b;
  BOTH(syscall(SYS_clock_getres, CLOCK_MONOTONIC_COARSE, &a),
       zrt_sys_clock_getres(CLOCK_MONOTONIC_COARSE, &b));
}

ZT_TEST(test_sched_getaffinity_as_linux) {
  unsigned char a[128], b[128];
  /* Linux answers min(len, its mask's size), which is a long per 64
   * possible CPUs on kernels that size it by them (Debian's) and
   * NR_CPUS / 8 bytes on others: the runtime's one long is the former
   * on a machine of at most 64 CPUs.  Lengths past a long are compared
   * only where the host's mask is a long too. */
  if (k(syscall(SYS_sched_getaffinity, 0, 8, a)) != 8) {
    zt_skip("the host has more than 64 possible CPUs");
    return;
  }
  bool host_long = k(syscall(SYS_sched_getaffinity, 0, sizeof a, a)) == 8;
  static const unsigned lens[] = {0, 1, 4, 7, 8, 12, 16, 128};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    memset(a, 0xaa, sizeof a);
    memset(b, 0xaa, sizeof b);
    long ours = zrt_sys_sched_getaffinity(0, lens[i], b);
    ZT_MEMEQ(b + 8, a + 8, sizeof a - 8); /* nothing past the mask */
    if (lens[i] > 8 && lens[i] % 8 == 0 && !host_long) {
      ZT_EQ(ours, 8);
      continue;
    }
    BOTH(syscall(SYS_sched_getaffinity, 0, lens[i], a), ours);
  }
  BOTH(syscall(SYS_sched_getaffinity, -1, 8, a),
       zrt_sys_sched_getaffinity(-1, 8, b));
  BOTH(syscall(SYS_sched_getaffinity, 0x3ffffff0, 8, a),
       zrt_sys_sched_getaffinity(0x3ffffff0, 8, b));
  /* The runtime's mask: CPU 0 alone. */
  ZT_EQ(zrt_sys_sched_getaffinity(0, 8, b), 8);
  ZT_EQ(b[0], 1);
  uint64_t none = 0;
  BOTH(syscall(SYS_sched_setaffinity, 0, 8, &none),
       zrt_sys_sched_setaffinity(0, 8, &none));
  BOTH(syscall(SYS_sched_setaffinity, 0, 0, &none),
       zrt_sys_sched_setaffinity(0, 0, &none));
  BOTH(syscall(SYS_sched_setaffinity, -1, 8, &none),
       zrt_sys_sched_setaffinity(-1, 8, &none));
  /* No mask and no length (UBSan caught a memcpy from NULL here). */
  BOTH(syscall(SYS_sched_setaffinity, 0, 0, NULL),
       zrt_sys_sched_setaffinity(0, 0, NULL));
}

/* A sequence of rt_sigprocmask calls, each compared with the old mask
 * it returns; the host's mask is saved and restored around it. */
struct mask_step {
  int how;
  uint64_t set;
  bool with_set;
  size_t size;
};

ZT_TEST(test_sigprocmask_sequences_as_linux) {
  const uint64_t usr = (1ull << (SIGUSR1 - 1)) | (1ull << (SIGUSR2 - 1));
  const uint64_t kill_stop = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));
  const uint64_t rt = (1ull << 40) | (1ull << 63);
  static struct mask_step steps[16];
  size_t n = 0;
  steps[n++] = (struct mask_step){SIG_SETMASK, 0, true, 8};
  steps[n++] = (struct mask_step){SIG_BLOCK, usr, true, 8};
  steps[n++] = (struct mask_step){SIG_BLOCK, kill_stop, true, 8};
  steps[n++] = (struct mask_step){SIG_UNBLOCK, 1ull << (SIGUSR1 - 1), true, 8};
  steps[n++] = (struct mask_step){SIG_SETMASK, rt | usr, true, 8};
  steps[n++] = (struct mask_step){3, usr, true, 8};
  steps[n++] = (struct mask_step){-1, usr, true, 8};
  steps[n++] = (struct mask_step){3, 0, false, 8};
  steps[n++] = (struct mask_step){SIG_BLOCK, usr, true, 4};
  steps[n++] = (struct mask_step){SIG_BLOCK, usr, true, 16};
  steps[n++] = (struct mask_step){SIG_UNBLOCK, ~0ull, true, 8};
  steps[n++] =
      (struct mask_step){SIG_BLOCK, ~0ull & ~(1ull << (SIGSEGV - 1)), true, 8};
  steps[n++] = (struct mask_step){SIG_SETMASK, 0, true, 8};
  uint64_t saved;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &saved, 8);
  for (size_t i = 0; i < n; i++) {
    uint64_t ka = 0x5555, oa = 0x5555;
    const void *ks = steps[i].with_set ? &steps[i].set : NULL;
    long kr =
        k(syscall(SYS_rt_sigprocmask, steps[i].how, ks, &ka, steps[i].size));
    long or = zrt_sys_rt_sigprocmask(steps[i].how, ks, &oa, steps[i].size);
    if (kr != or || ka != oa)
      zt_fail(__FILE__, __LINE__,
              "step %zu: Linux %ld old %#llx, rt %ld old %#llx", i, kr,
              (unsigned long long)ka, or, (unsigned long long)oa);
    uint64_t kp = 0x77, op = 0x77;
    BOTH(syscall(SYS_rt_sigpending, &kp, 8), zrt_sys_rt_sigpending(&op, 8));
    ZT_EQU(kp, op);
  }
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, NULL, 8);
  uint64_t p;
  BOTH(syscall(SYS_rt_sigpending, &p, 16), zrt_sys_rt_sigpending(&p, 16));
  BOTH(syscall(SYS_rt_sigpending, &p, 4), zrt_sys_rt_sigpending(&p, 4));
}

ZT_TEST(test_signal_errors_as_linux) {
  struct {
    uintptr_t h;
    unsigned long f;
    uintptr_t r;
    uint64_t m;
  } a = {(uintptr_t)SIG_IGN, 0, 0, 0}, old;
  static const int sigs[] = {0, SIGKILL, SIGSTOP, 65, -1};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    BOTH(syscall(SYS_rt_sigaction, sigs[i], &a, NULL, 8),
         zrt_sys_rt_sigaction(sigs[i], &a, NULL, 8));
  BOTH(syscall(SYS_rt_sigaction, SIGKILL, NULL, &old, 8),
       zrt_sys_rt_sigaction(SIGKILL, NULL, &old, 8));
  BOTH(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4),
       zrt_sys_rt_sigaction(SIGUSR1, NULL, &old, 4));
  BOTH(syscall(SYS_kill, getpid(), 65), zrt_sys_kill(1, 65));
  BOTH(syscall(SYS_kill, getpid(), 0), zrt_sys_kill(1, 0));
  BOTH(syscall(SYS_tgkill, 0, 1, 0), zrt_sys_tgkill(0, 1, 0));
  BOTH(syscall(SYS_tgkill, getpid(), 0, 0), zrt_sys_tgkill(1, 0, 0));
  BOTH(syscall(SYS_tkill, -3, 0), zrt_sys_tkill(-3, 0));
  BOTH(syscall(SYS_tkill, 0x3ffffff0, 0), zrt_sys_tkill(0x3ffffff0, 0));
  /* sigaltstack: the host's may be set (the sanitizers'), so errors only. */
  stack_t ss = {.ss_sp = &a, .ss_flags = 0, .ss_size = 100};
  BOTH(syscall(SYS_sigaltstack, &ss, NULL), zrt_sys_sigaltstack(&ss, NULL));
  ss.ss_flags = 7;
  ss.ss_size = 65536;
  BOTH(syscall(SYS_sigaltstack, &ss, NULL), zrt_sys_sigaltstack(&ss, NULL));
  uint64_t m = 1ull << (SIGUSR1 - 1);
  BOTH(syscall(SYS_rt_sigsuspend, &m, 4), zrt_sys_rt_sigsuspend(&m, 4));
  BOTH(syscall(SYS_rt_sigtimedwait, &m, NULL, NULL, 16),
       zrt_sys_rt_sigtimedwait(&m, NULL, NULL, 16));
  struct timespec zero = {0, 0}, bad = {0, -5};
  BOTH(syscall(SYS_rt_sigtimedwait, &m, NULL, &zero, 8),
       zrt_sys_rt_sigtimedwait(&m, NULL, &zero, 8));
  BOTH(syscall(SYS_rt_sigtimedwait, &m, NULL, &bad, 8),
       zrt_sys_rt_sigtimedwait(&m, NULL, &bad, 8));
}

ZT_TEST(test_prctl_names_as_linux) {
  char saved[16], a[16], b[16];
  prctl(PR_GET_NAME, saved);
  static const char *names[] = {"redis-server", "", "x",
                                "a-name-longer-than-fifteen-bytes",
                                "exactly15bytes!"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    memset(a, 0x55, sizeof a);
    memset(b, 0x55, sizeof b);
    BOTH(syscall(SYS_prctl, PR_SET_NAME, names[i], 0, 0, 0),
         zrt_sys_prctl(PR_SET_NAME, (unsigned long)names[i], 0, 0, 0));
    BOTH(syscall(SYS_prctl, PR_GET_NAME, a, 0, 0, 0),
         zrt_sys_prctl(PR_GET_NAME, (unsigned long)b, 0, 0, 0));
    ZT_MEMEQ(a, b, sizeof a);
  }
  prctl(PR_SET_NAME, saved);
  BOTH(syscall(SYS_prctl, PR_CAPBSET_READ, 41, 0, 0, 0),
       zrt_sys_prctl(PR_CAPBSET_READ, 41, 0, 0, 0));
  BOTH(syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0),
       zrt_sys_prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  BOTH(syscall(SYS_prctl, PR_SET_DUMPABLE, 5, 0, 0, 0),
       zrt_sys_prctl(PR_SET_DUMPABLE, 5, 0, 0, 0));
  BOTH(syscall(SYS_prctl, PR_SET_PDEATHSIG, 65, 0, 0, 0),
       zrt_sys_prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0));
  BOTH(syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0),
       zrt_sys_prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
  BOTH(syscall(SYS_prctl, 9999, 0, 0, 0, 0), zrt_sys_prctl(9999, 0, 0, 0, 0));
}

ZT_TEST(test_sched_policy_calls_as_linux) {
  /* 7 is SCHED_EXT on Linux 6.12 and later, when built in: not compared. */
  for (int p = -1; p <= 6; p++) {
    BOTH(syscall(SYS_sched_get_priority_max, p),
         zrt_sys_sched_get_priority_max(p));
    BOTH(syscall(SYS_sched_get_priority_min, p),
         zrt_sys_sched_get_priority_min(p));
  }
  BOTH(syscall(SYS_sched_getscheduler, 0), zrt_sys_sched_getscheduler(0));
  BOTH(syscall(SYS_sched_getscheduler, -1), zrt_sys_sched_getscheduler(-1));
  struct sched_param a = {5}, b = {5};
  BOTH(syscall(SYS_sched_getparam, 0, &a), zrt_sys_sched_getparam(0, &b));
  ZT_EQ(a.sched_priority, b.sched_priority);
  BOTH(syscall(SYS_sched_getparam, 0, NULL), zrt_sys_sched_getparam(0, NULL));
  struct sched_param bad = {7};
  BOTH(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &bad),
       zrt_sys_sched_setscheduler(0, SCHED_OTHER, &bad));
  BOTH(syscall(SYS_sched_setscheduler, 0, 42, &a),
       zrt_sys_sched_setscheduler(0, 42, &a));
  BOTH(syscall(SYS_sched_setparam, 0, &a), zrt_sys_sched_setparam(0, &a));
  BOTH(syscall(SYS_membarrier, 0, 1, 0), zrt_sys_membarrier(0, 1, 0));
  BOTH(syscall(SYS_membarrier, 1 << 20, 0, 0),
       zrt_sys_membarrier(1 << 20, 0, 0));
}

ZT_TEST(test_futex_errors_as_linux) {
  uint32_t w[2] = {3, 0};
  struct timespec tiny = {0, 1000}, bad = {0, 1000000000}, past = {1, 0};
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAIT, 4, NULL, NULL, 0),
       zrt_sys_futex(w, ZRT_FUTEX_WAIT, 4, NULL, NULL, 0));
  BOTH(syscall(SYS_futex, (char *)w + 2, ZRT_FUTEX_WAIT, 3, NULL, NULL, 0),
       zrt_sys_futex((uint32_t *)((char *)w + 2), ZRT_FUTEX_WAIT, 3, NULL, NULL,
                     0));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAIT, 3, &tiny, NULL, 0),
       zrt_sys_futex(w, ZRT_FUTEX_WAIT, 3, &tiny, NULL, 0));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAIT, 3, &bad, NULL, 0),
       zrt_sys_futex(w, ZRT_FUTEX_WAIT, 3, &bad, NULL, 0));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAIT_BITSET, 3, &past, NULL, ~0u),
       zrt_sys_futex(w, ZRT_FUTEX_WAIT_BITSET, 3, &past, NULL, ~0u));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAIT_BITSET, 3, &past, NULL, 0),
       zrt_sys_futex(w, ZRT_FUTEX_WAIT_BITSET, 3, &past, NULL, 0));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAIT | ZRT_FUTEX_CLOCK_REALTIME, 3,
               &tiny, NULL, 0),
       zrt_sys_futex(w, ZRT_FUTEX_WAIT | ZRT_FUTEX_CLOCK_REALTIME, 3, &tiny,
                     NULL, 0));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAKE | ZRT_FUTEX_PRIVATE_FLAG, 5, NULL,
               NULL, 0),
       zrt_sys_futex(w, ZRT_FUTEX_WAKE | ZRT_FUTEX_PRIVATE_FLAG, 5, NULL, NULL,
                     0));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_WAKE_BITSET, 5, NULL, NULL, 0),
       zrt_sys_futex(w, ZRT_FUTEX_WAKE_BITSET, 5, NULL, NULL, 0));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_CMP_REQUEUE, 1, (void *)1, w + 1, 4),
       zrt_sys_futex(w, ZRT_FUTEX_CMP_REQUEUE, 1, (void *)1, w + 1, 4));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_CMP_REQUEUE, 1, (void *)1, w + 1, 3),
       zrt_sys_futex(w, ZRT_FUTEX_CMP_REQUEUE, 1, (void *)1, w + 1, 3));
  BOTH(syscall(SYS_futex, w, ZRT_FUTEX_REQUEUE, -1, (void *)1, w + 1, 0),
       zrt_sys_futex(w, ZRT_FUTEX_REQUEUE, (uint32_t)-1, (void *)1, w + 1, 0));
  BOTH(syscall(SYS_futex, w, 99, 0, NULL, NULL, 0),
       zrt_sys_futex(w, 99, 0, NULL, NULL, 0));
}

ZT_TEST(test_time_errors_as_linux) {
  struct timespec ts = {0, 1000}, bad = {0, -1}, badsec = {-1, 0};
  BOTH(syscall(SYS_nanosleep, &bad, NULL), zrt_sys_nanosleep(&bad, NULL));
  BOTH(syscall(SYS_nanosleep, &badsec, NULL), zrt_sys_nanosleep(&badsec, NULL));
  static const int clocks[] = {CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
                               CLOCK_MONOTONIC_COARSE, 100};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++)
    BOTH(syscall(SYS_clock_nanosleep, clocks[i], 0, &ts, NULL),
         zrt_sys_clock_nanosleep(clocks[i], 0, &ts, NULL));
  BOTH(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL),
       zrt_sys_clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL));
  BOTH(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts),
       zrt_sys_clock_settime(CLOCK_MONOTONIC, &ts));
  BOTH(syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0x40),
       zrt_sys_timerfd_create(CLOCK_MONOTONIC, 0x40));
  BOTH(syscall(SYS_timerfd_create, CLOCK_PROCESS_CPUTIME_ID, 0),
       zrt_sys_timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  struct itimerval v = {{0, 1000000}, {0, 0}}, cur;
  BOTH(syscall(SYS_setitimer, ITIMER_REAL, &v, NULL),
       zrt_sys_setitimer(ITIMER_REAL, &v, NULL));
  BOTH(syscall(SYS_getitimer, 5, &cur), zrt_sys_getitimer(5, &cur));
  BOTH(syscall(SYS_getitimer, ITIMER_REAL, &cur),
       zrt_sys_getitimer(ITIMER_REAL, &cur));
  struct rusage ru;
  BOTH(syscall(SYS_getrusage, 5, &ru), zrt_sys_getrusage(5, &ru));
  BOTH(syscall(SYS_alarm, 0), zrt_sys_alarm(0));
}

int main(void) {
  ZT_RUN(test_clock_getres_as_linux);
  ZT_RUN(test_sched_getaffinity_as_linux);
  ZT_RUN(test_sigprocmask_sequences_as_linux);
  ZT_RUN(test_signal_errors_as_linux);
  ZT_RUN(test_prctl_names_as_linux);
  ZT_RUN(test_sched_policy_calls_as_linux);
  ZT_RUN(test_futex_errors_as_linux);
  ZT_RUN(test_time_errors_as_linux);
  return zt_done();
}
