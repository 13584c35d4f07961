/*
 * The loop of a program that owns an image's network (app/app_int.h's
 * zn__app_run, under znet/app.h's zn_app_run too): the program's thread
 * waiting in the runtime (znet/image.h: zn_image_wait) until input or the
 * stack's next deadline, then running the program's tick.  It never
 * polls the stack itself (the runtime's pump does), so a callback's
 * system call can never poll it again from inside a poll.
 *
 * A program that runs this loop owns the network: this file also
 * defines zn_image_program_owns_net, which the runtime reads through a
 * weak reference.  libznet-rt's archive holds this file as a member of
 * its own, so the link of an image takes it (and with it the symbol)
 * exactly when the program calls zn__app_run (znet-echo,
 * znet-dns-blocker, znet-httpd) or zn_app_run: then the runtime takes no
 * flags and builds no stack before main(), the program parses znet's
 * flags with its own and its zn__app_open builds the stack and hands it
 * to the runtime (common_solo5.c: zn_image_adopt_stack).  A program
 * written against POSIX (kvd) never calls it: the runtime builds the
 * stack from the words before "--".
 */
#include "app_int.h"
#include "znet/image.h"

const char zn_image_program_owns_net = 1;

/* The hosted loop's stop conditions, then the program's tick. */
static bool run_tick(struct zn__app_host *h, const struct zn_loop_opts *lo,
                     uint64_t now) {
  if (lo->stop && *lo->stop)
    return true;
  if (lo->until && lo->until != ZN_TIME_NEVER && now >= lo->until)
    return true;
  zn__app_ipv6_report(h);
  return lo->tick && lo->tick(lo->arg, h->st, now) != 0;
}

int zn__app_run(struct zn__app_host *h, struct zn_loop_opts *opts) {
  if (!h->handed_over)
    return ZN_EINVAL; /* nothing would poll the stack */
  if (opts->stop == NULL)
    opts->stop = &zn__app_stop_asked;
  /* The first tick, too, comes after the pump has polled the stack (as
   * on a host, after a poll): a wait that ends at once.  Else a tick
   * that arms timers (a resolver's first queries) would do so on a stack
   * whose clock still stands at 0, and they would all fire at the next
   * poll. */
  (void)zn_image_wait(zn_image_now());
  while (!run_tick(h, opts, zn_image_now())) {
    uint64_t deadline = zn_stack_next_deadline(h->st);
    if (opts->until && opts->until < deadline)
      deadline = opts->until;
    /* Woken by input (after the pump has polled it), the deadline or a
     * signal: the tick looks at what changed either way. */
    (void)zn_image_wait(deadline);
  }
  return ZN_OK;
}
