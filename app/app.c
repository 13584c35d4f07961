/*
 * libznet-app's public API (znet/app.h) over its inside (app_int.h): the
 * same file on Linux (libznet-app) and in a Solo5 image (compiled into
 * libznet-rt), so that a program has one run loop on both.  What differs
 * is below it: zn__app_open and zn__app_run are common_linux.c's on Linux,
 * common_solo5.c's and api_image.c's in an image.
 *
 * An app (struct zn_app, app_int.h) is an zn__app_host (the parsed
 * flags, the stack, the netif) in malloc'd memory, the name its messages
 * carry, the program's own arguments (the words after "--") and a stop
 * flag; zn_app_run is app_run.c's (it says why).  The command line is
 * cut at the first "--" before getopt sees it, so that nothing after it
 * is taken for a flag of znet's and nothing before it can be left over
 * for the program.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "znet/app.h"

#define APP_NAME_MAX 64
#define APP_SYNOPSIS "[OPTIONS] [-- ARGUMENTS]"
#define APP_SUMMARY "a program on znet"

/* The name messages carry.  Static, not the app's: zn__app_stack_new hands it
 * to the assertion handler, which is process-wide and may outlive the app
 * (there is one app per process). */
static char app_name[APP_NAME_MAX];

/* argv[0]'s file name, or "znet". */
static void default_name(char *buf, size_t size, const char *argv0) {
  const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
  const char *base = slash ? slash + 1 : argv0;
  (void)snprintf(buf, size, "%s", base && *base ? base : "znet");
}

/* The index of the first "--" in argv, or argc. */
static int find_dashes(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--") == 0)
      return i;
  return argc;
}

/* The program's argv: argv[0], then argv[dashes + 1 ..], then NULL. */
static int keep_program_args(struct zn_app *a, int argc, char **argv,
                             int dashes) {
  int n = dashes < argc ? argc - dashes : 1;
  a->argv = calloc((size_t)n + 1, sizeof(*a->argv));
  if (a->argv == NULL)
    return ZN_ENOMEM;
  a->argv[0] = argv[0];
  for (int i = 1; i < n; i++)
    a->argv[i] = argv[dashes + i];
  a->argc = n;
  return ZN_OK;
}

/* znet's flags, argv[0 .. dashes): ZN_OK, ZN_APP_HELP or ZN_EINVAL
 * (message printed). */
static int parse(struct zn_app *a, int dashes, char **argv,
                 const struct zn_app_opts *o) {
  const struct zn__app_prog prog = {
      .name = a->name,
      .synopsis = o && o->synopsis ? o->synopsis : APP_SYNOPSIS,
      .summary = o && o->summary ? o->summary : APP_SUMMARY,
  };
  int first = dashes;
  zn__app_opts_default(&a->h.o);
  int rc = zn__app_parse_args(&a->h.o, dashes, argv, &prog, &first);
  if (rc == ZN__APP_HELP)
    return ZN_APP_HELP;
  if (rc != 0)
    return ZN_EINVAL;
  if (first < dashes) {
    (void)zn__app_usage(a->name,
                        "unexpected argument '%s' (the program's own "
                        "arguments go after --)",
                        argv[first]);
    return ZN_EINVAL;
  }
  return ZN_OK;
}

static void app_free(struct zn_app *a) {
  free(a->argv);
  free(a);
}

int zn_app_open(int argc, char **argv, const struct zn_app_opts *o,
                struct zn_app **app) {
  if (app == NULL)
    return ZN_EINVAL;
  *app = NULL;
  if (argc < 1 || argv == NULL)
    return ZN_EINVAL;
  struct zn_app *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return ZN_ENOMEM;
  if (o && o->name)
    (void)snprintf(app_name, sizeof(app_name), "%s", o->name);
  else
    default_name(app_name, sizeof(app_name), argv[0]);
  a->name = app_name;
  int dashes = find_dashes(argc, argv);
  int rc = keep_program_args(a, argc, argv, dashes);
  if (rc == ZN_OK)
    rc = parse(a, dashes, argv, o);
  if (rc == ZN_OK)
    rc = zn__app_open(&a->h, a->name);
  if (rc != ZN_OK) {
    app_free(a);
    return rc;
  }
  *app = a;
  return ZN_OK;
}

void zn__app_announce(struct zn_app *app) {
  if (app->announced)
    return;
  app->announced = true;
  zn__app_print_banner(&app->h);
}

struct zn_stack *zn_app_stack(struct zn_app *app) {
  zn__app_announce(app);
  return app->h.st;
}

void zn_app_settle(struct zn_app *app) { zn__app_settle(&app->h, app->name); }

const struct zn_config *zn_app_config(const struct zn_app *app) {
  return &app->h.cfg;
}

char **zn_app_argv(const struct zn_app *app, int *argc) {
  if (argc)
    *argc = app->argc;
  return app->argv;
}

uint64_t zn_app_now(const struct zn_app *app) { return zn__app_now(&app->h); }

void zn_app_stop(struct zn_app *app) { app->stopped = 1; }

void zn_app_close(struct zn_app *app) {
  if (app == NULL)
    return;
  zn__app_close(&app->h, app->name);
  app_free(app);
}
