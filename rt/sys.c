/*
 * The entry of every system call (sys.h): musl's __syscallN and
 * __syscall_cp_asm call zrt_syscall, which finds the call in the table
 * rt/gen-syscalls made from the rt/<module>.tab files and lets its handler answer.
 *
 * A call no row names returns ENOSYS, as Linux does for a call it does
 * not have, and the first time each such number is seen the console
 * gets one line naming it ("znet-rt: epoll_pwait2 (281) is not answered
 * here: ENOSYS"), so that what a program wanted and did not get is
 * plain from its output.
 */
#include <errno.h>
#include <stdint.h>

#include "rt.h"
#include "sys.h"

static uint8_t reported[ZRT_SYS_COUNT / 8];

/* Once per number: what was asked that is not answered. */
static void report_unanswered(long n) {
  if (n < 0 || n >= ZRT_SYS_COUNT) {
    zrt_log("system call %ld does not exist on x86_64 Linux: ENOSYS", n);
    return;
  }
  uint8_t bit = (uint8_t)(1u << (n % 8));
  if (reported[n / 8] & bit)
    return;
  reported[n / 8] |= bit;
  const char *name = zrt_sys_table[n].name;
  zrt_log("%s (%ld) is not answered here: ENOSYS", name ? name : "a call",
          n);
}

uint64_t zrt_sys_calls;

long zrt_syscall(long n, long a, long b, long c, long d, long e, long f) {
  if (zrt_sched_tick(__builtin_frame_address(0)))
    zrt_signal_entry();
  zrt_sys_calls++;
  if (n < 0 || n >= ZRT_SYS_COUNT) {
    report_unanswered(n);
    return -ENOSYS;
  }
  const struct zrt_sys *s = &zrt_sys_table[n];
  switch (s->kind) {
  case ZRT_SYS_HANDLER: {
    const long args[6] = {a, b, c, d, e, f};
    return s->fn(args);
  }
  case ZRT_SYS_CONSTANT:
    return s->constant;
  case ZRT_SYS_ENOSYS:
    break;
  }
  report_unanswered(n);
  return -ENOSYS;
}

/* musl's signal restorer jumps here (rt/musl/restore.s).  In an image
 * handlers are called by the runtime and return normally, so nothing
 * returns through the restorer: reaching it is a bug. */
void zrt_sigreturn(void);
void zrt_sigreturn(void) {
  zrt_panic("a signal handler returned through the kernel's restorer");
}
