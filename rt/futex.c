/*
 * futex(2) (sched_int.h): waits on a word with their deadlines, the
 * wake, requeue and wake-op commands, over the scheduler's futex queues
 * (zrt__futex_bucket, zrt__futex_wake, zrt__futex_requeue).  An
 * interrupted wait runs the signal handlers and, with SA_RESTART, waits
 * again, as Linux restarts FUTEX_WAIT.
 *
 * Priority-inheritance futexes (LOCK_PI, LOCK_PI2, TRYLOCK_PI,
 * UNLOCK_PI: musl's PTHREAD_PRIO_INHERIT mutexes): the word holds the
 * owner's tid, FUTEX_WAITERS while threads wait and FUTEX_OWNER_DIED
 * once an owner died.  With one vCPU and no priorities there is nothing
 * to boost; the unlock hands the lock to the first waiter (Linux: the
 * highest-priority one), writing its tid into the word before it runs.
 * A word whose owner is no live thread is taken with OWNER_DIED set.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the CLOCK_ names */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sched_int.h"
#include "sys_gen.h"

/* The timeout of a wait: relative (FUTEX_WAIT) or absolute on the clock
 * the op names (FUTEX_WAIT_BITSET); none when ts is NULL. */
static int futex_deadline(int cmd, int op, const struct timespec *ts,
                          uint64_t *deadline) {
  *deadline = ZRT_NO_DEADLINE;
  if (!ts)
    return 0;
  if (cmd == ZRT_FUTEX_WAIT)
    return zrt__deadline_rel(ts, deadline);
  clockid_t clk =
      (op & ZRT_FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  return zrt__deadline_abs(clk, ts, deadline);
}

/* Interrupted waits run the handlers and, with SA_RESTART, wait again
 * (comparing the word again), as Linux restarts FUTEX_WAIT. */
static long futex_wait(const uint32_t *uaddr, uint32_t val, uint64_t deadline,
                       uint32_t bitset) {
  struct zrt_thread *t = zrt__sched_self();
  for (;;) {
    if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val)
      return -EAGAIN;
    t->futex_addr = (uintptr_t)uaddr;
    t->futex_bitset = bitset;
    int r = zrt__sched_block(ZRT_WAIT_FUTEX, zrt__futex_bucket((uintptr_t)uaddr),
                             deadline);
    if (r != -EINTR)
      return r;
    if (zrt__sig_deliver(t->sig_mask) == ZRT_SIG_EINTR)
      return -EINTR;
  }
}

static bool futex_op_compare(int cmp, int oldval, int cmparg, bool *ok) {
  *ok = true;
  switch (cmp) {
  case 0:
    return oldval == cmparg;
  case 1:
    return oldval != cmparg;
  case 2:
    return oldval < cmparg;
  case 3:
    return oldval <= cmparg;
  case 4:
    return oldval > cmparg;
  case 5:
    return oldval >= cmparg;
  }
  *ok = false;
  return false;
}

/* FUTEX_WAKE_OP's operation on *uaddr2 (linux/futex.h's encoding):
 * the old value, or -ENOSYS for an unknown operation. */
static long futex_op_apply(uint32_t *uaddr2, uint32_t enc, int *oldval) {
  int op = (int)((enc >> 28) & 7);
  int oparg = (int)(enc << 8) >> 20;
  if (enc & (8u << 28))
    oparg = (int)(1u << (oparg & 31));
  int old = (int)*uaddr2;
  int now;
  switch (op) {
  case 0:
    now = oparg;
    break;
  case 1:
    now = (int)((unsigned)old + (unsigned)oparg);
    break;
  case 2:
    now = old | oparg;
    break;
  case 3:
    now = old & ~oparg;
    break;
  case 4:
    now = old ^ oparg;
    break;
  default:
    return -ENOSYS;
  }
  *uaddr2 = (uint32_t)now;
  *oldval = old;
  return 0;
}

static long futex_wake_op(uint32_t *uaddr, int n, int n2, uint32_t *uaddr2,
                          uint32_t enc) {
  int cmp = (int)((enc >> 24) & 15);
  int cmparg = (int)(enc << 20) >> 20;
  int old;
  bool ok;
  futex_op_compare(cmp, 0, cmparg, &ok);
  if (!ok)
    return -ENOSYS;
  long r = futex_op_apply(uaddr2, enc, &old);
  if (r < 0)
    return r;
  long woken = zrt__futex_wake((uintptr_t)uaddr, n, ZRT_FUTEX_BITSET_ANY);
  if (futex_op_compare(cmp, old, cmparg, &ok))
    woken += zrt__futex_wake((uintptr_t)uaddr2, n2, ZRT_FUTEX_BITSET_ANY);
  return woken;
}

static long futex_wait_op(uint32_t *uaddr, int op, uint32_t val,
                          const void *timeout, uint32_t bitset) {
  int cmd = op & ZRT_FUTEX_CMD_MASK;
  uint64_t deadline;
  if (!bitset)
    return -EINVAL;
  if (futex_deadline(cmd, op, timeout, &deadline))
    return -EINVAL;
  return futex_wait(uaddr, val, deadline, bitset);
}

static long futex_requeue_op(uint32_t *uaddr, int cmd, uint32_t val,
                             const void *timeout, uint32_t *uaddr2,
                             uint32_t val3) {
  int requeue = (int)(uintptr_t)timeout;
  if ((int)val < 0 || requeue < 0)
    return -EINVAL;
  if (cmd == ZRT_FUTEX_CMP_REQUEUE && *uaddr != val3)
    return -EAGAIN;
  return zrt__futex_requeue((uintptr_t)uaddr, (int)val, requeue, (uintptr_t)uaddr2);
}

/* ---- priority inheritance ------------------------------------------------ */

/* Take the PI word for tid if it is free or its owner is gone: 0, or
 * -EDEADLK (tid owns it), -EAGAIN (another owns it). */
static long pi_take(uint32_t *uaddr, int tid) {
  uint32_t v = __atomic_load_n(uaddr, __ATOMIC_SEQ_CST);
  int owner = (int)(v & ZRT_FUTEX_TID_MASK);
  if (owner == tid)
    return -EDEADLK;
  if (owner != 0 && zrt__sched_find(owner))
    return -EAGAIN;
  uint32_t died = (owner != 0 || (v & ZRT_FUTEX_OWNER_DIED))
                      ? ZRT_FUTEX_OWNER_DIED : 0;
  *uaddr = (uint32_t)tid | died | (v & ZRT_FUTEX_WAITERS); /* one vCPU */
  return 0;
}

static long futex_lock_pi(uint32_t *uaddr, uint64_t deadline) {
  struct zrt_thread *t = zrt__sched_self();
  for (;;) {
    long r = pi_take(uaddr, t->tid);
    if (r != -EAGAIN)
      return r;
    __atomic_or_fetch(uaddr, ZRT_FUTEX_WAITERS, __ATOMIC_SEQ_CST);
    t->futex_addr = (uintptr_t)uaddr;
    t->futex_bitset = ZRT_FUTEX_BITSET_ANY;
    int w = zrt__sched_block(ZRT_WAIT_FUTEX,
                             zrt__futex_bucket((uintptr_t)uaddr), deadline);
    if ((__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) & ZRT_FUTEX_TID_MASK) ==
        (uint32_t)t->tid)
      return 0; /* handed over by the unlock */
    if (w == -ETIMEDOUT)
      return w;
    if (w == -EINTR)
      (void)zrt__sig_deliver(t->sig_mask); /* LOCK_PI restarts */
  }
}

/* The first thread waiting on the word at addr (NULL: none); *more, if
 * another waits too. */
static struct zrt_thread *pi_first_waiter(uintptr_t addr, bool *more) {
  struct zrt_link *b = zrt__futex_bucket(addr);
  struct zrt_thread *first = NULL;
  *more = false;
  for (struct zrt_link *l = b->next; l != b; l = l->next) {
    struct zrt_thread *t = ZRT_CONTAINER_OF(l, struct zrt_thread, queue);
    if (t->futex_addr != addr)
      continue;
    if (first) {
      *more = true;
      break;
    }
    first = t;
  }
  return first;
}

static long futex_unlock_pi(uint32_t *uaddr) {
  struct zrt_thread *t = zrt__sched_self();
  uint32_t v = __atomic_load_n(uaddr, __ATOMIC_SEQ_CST);
  if ((v & ZRT_FUTEX_TID_MASK) != (uint32_t)t->tid)
    return -EPERM;
  bool more;
  struct zrt_thread *next = pi_first_waiter((uintptr_t)uaddr, &more);
  if (!next) {
    __atomic_store_n(uaddr, 0, __ATOMIC_SEQ_CST);
    return 0;
  }
  __atomic_store_n(uaddr, (uint32_t)next->tid | (more ? ZRT_FUTEX_WAITERS : 0),
                   __ATOMIC_SEQ_CST);
  zrt__sched_wake(next, 0);
  return 0;
}

/* LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on
 * CLOCK_MONOTONIC unless the op says CLOCK_REALTIME. */
static long futex_lock_pi_op(uint32_t *uaddr, int cmd, int op,
                             const struct timespec *ts) {
  uint64_t deadline = ZRT_NO_DEADLINE;
  clockid_t clk = cmd == ZRT_FUTEX_LOCK_PI || (op & ZRT_FUTEX_CLOCK_REALTIME)
                      ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  if (ts && zrt__deadline_abs(clk, ts, &deadline))
    return -EINVAL;
  return futex_lock_pi(uaddr, deadline);
}

long zrt_sys_futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout,
                   uint32_t *uaddr2, uint32_t val3) {
  int cmd = op & ZRT_FUTEX_CMD_MASK;
  if (!uaddr)
    return -EFAULT;
  if ((uintptr_t)uaddr % 4)
    return -EINVAL;
  if ((op & ZRT_FUTEX_CLOCK_REALTIME) && cmd != ZRT_FUTEX_WAIT_BITSET &&
      cmd != ZRT_FUTEX_LOCK_PI2)
    return -ENOSYS;
  switch (cmd) {
  case ZRT_FUTEX_WAIT:
    return futex_wait_op(uaddr, op, val, timeout, ZRT_FUTEX_BITSET_ANY);
  case ZRT_FUTEX_WAIT_BITSET:
    return futex_wait_op(uaddr, op, val, timeout, val3);
  case ZRT_FUTEX_WAKE:
    return zrt__futex_wake((uintptr_t)uaddr, (int)val, ZRT_FUTEX_BITSET_ANY);
  case ZRT_FUTEX_WAKE_BITSET:
    return val3 ? zrt__futex_wake((uintptr_t)uaddr, (int)val, val3) : -EINVAL;
  case ZRT_FUTEX_REQUEUE:
  case ZRT_FUTEX_CMP_REQUEUE:
    return futex_requeue_op(uaddr, cmd, val, timeout, uaddr2, val3);
  case ZRT_FUTEX_WAKE_OP:
    return futex_wake_op(uaddr, (int)val, (int)(uintptr_t)timeout, uaddr2,
                         val3);
  case ZRT_FUTEX_LOCK_PI:
  case ZRT_FUTEX_LOCK_PI2:
    return futex_lock_pi_op(uaddr, cmd, op, timeout);
  case ZRT_FUTEX_TRYLOCK_PI:
    return pi_take(uaddr, zrt__sched_self()->tid);
  case ZRT_FUTEX_UNLOCK_PI:
    return futex_unlock_pi(uaddr);
  }
  return -ENOSYS;
}
