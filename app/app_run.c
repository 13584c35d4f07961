/*
 * zn_app_run (znet/app.h) in a file of its own: in an image, a call of
 * it brings the image loop's archive member (api_image.c: the program
 * owns the network) into the link; the runtime's own start, which opens
 * an app without running it, must not.
 */
#include "app_int.h"
#include "znet/app.h"

/* zn__app_run's tick: zn_app_stop, then the program's. */
static int run_tick(void *arg, struct zn_stack *st, uint64_t now) {
  struct zn_app *a = arg;
  (void)st;
  if (a->stopped)
    return 1;
  const struct zn_app_run_opts *o = a->run;
  return o && o->tick ? o->tick(o->arg, a, now) : 0;
}

int zn_app_run(struct zn_app *app, const struct zn_app_run_opts *o) {
  zn__app_announce(app);
  struct zn_loop_opts lo = {
      .until = o ? o->until : 0,
      .tick = run_tick,
      .arg = app,
  };
  app->run = o;
  int rc = zn__app_run(&app->h, &lo);
  app->run = NULL;
  app->stopped = 0;
  return rc;
}
