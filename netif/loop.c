/*
 * The hosted driver loop: poll the stack on the netif's clock, then wait
 * on the netif until the stack's next deadline.  The netif's wait() is
 * what makes the loop cheap when idle (ppoll on a TAP) and fast in replay
 * (a pcap netif moves its virtual clock instead of sleeping).
 *
 * Termination: after the netif reports EOF the loop runs timers for
 * eof_linger more (on the netif's clock) and stops; it also stops as soon
 * as nothing could ever happen again (EOF and no deadline at all).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "znet/err.h"
#include "hosted_int.h"
#include "znet/loop.h"

/* Longest sleep for a netif that can neither wait nor tell time: frames
 * may reach it from elsewhere (a memlink peer), so look again soon. */
#define LOOP_IDLE_NAP_NS 10000000u

static uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* For a netif without wait() or clock the loop runs on the host clock
 * and sleeps there itself, so it does not spin. */
static void nap_until(uint64_t deadline) {
  uint64_t now = zn_host_now();
  if (deadline <= now)
    return;
  uint64_t left = min_u64(deadline - now, LOOP_IDLE_NAP_NS);
  struct timespec ts = {
      .tv_sec = (time_t)(left / 1000000000u),
      .tv_nsec = (long)(left % 1000000000u),
  };
  (void)nanosleep(&ts, NULL);
}

static int run(struct zn_stack *st, struct zn_netif *nif,
               const struct zn_loop_opts *opts) {
  uint64_t until = opts->until ? opts->until : ZN_TIME_NEVER;
  bool can_wait = nif->ops->wait != NULL;
  bool eof = false;
  uint64_t linger_end = ZN_TIME_NEVER;

  for (;;) {
    if (opts->stop && *opts->stop)
      return ZN_OK;
    uint64_t now = zn_netif_now(nif);
    bool host_clock = now == ZN_TIME_NEVER;
    if (host_clock)
      now = zn_host_now();

    int rc = zn_stack_poll(st, now);
    if (rc == ZN_EOF) {
      if (!eof) {
        eof = true;
        linger_end = sat_add(now, opts->eof_linger);
      }
    } else if (rc < 0) {
      return rc;
    }
    if (opts->tick && opts->tick(opts->arg, st, now))
      return ZN_OK;
    if (opts->stop && *opts->stop)
      return ZN_OK;
    if (now >= until || (eof && now >= linger_end))
      return ZN_OK;

    uint64_t deadline = min_u64(zn_stack_next_deadline(st), until);
    if (eof) {
      deadline = min_u64(deadline, linger_end);
      if (deadline == ZN_TIME_NEVER)
        return ZN_OK; /* input over and nothing scheduled, ever */
    }
    if (can_wait) {
      rc = zn_netif_wait(nif, deadline);
      if (rc == ZN_EOF && !eof) {
        /* Nothing more will arrive and nothing is scheduled: linger from
         * here, as if the poll had reported it. */
        eof = true;
        linger_end = sat_add(now, opts->eof_linger);
      } else if (rc < 0 && rc != ZN_EOF) {
        return rc;
      }
    } else if (host_clock) {
      nap_until(deadline);
    }
  }
}

/* With a stop flag, the stop signals (SIGINT, SIGTERM, SIGHUP) are blocked
 * except while the netif waits: a TAP's ppoll(2) unblocks them atomically
 * (zn__host_wait_mask), so a signal that sets the flag cannot land between
 * the loop's look at the flag and the sleep and go unnoticed. */
int zn_loop_run(struct zn_stack *st, struct zn_netif *nif,
                const struct zn_loop_opts *opts) {
  static const struct zn_loop_opts no_opts;
  if (st == NULL || nif == NULL)
    return ZN_EINVAL;
  if (opts == NULL)
    opts = &no_opts;
  sigset_t block, saved;
  bool masked = false;
  if (opts->stop) {
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &block, &saved) == 0) {
      masked = true;
      zn__host_wait_mask = &saved;
    }
  }
  int rc = run(st, nif, opts);
  if (masked) {
    zn__host_wait_mask = NULL;
    sigprocmask(SIG_SETMASK, &saved, NULL);
  }
  return rc;
}
