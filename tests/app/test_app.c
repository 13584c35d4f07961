/* libznet-app's public API (znet/app.h) on a replayed capture, which needs
 * no root: zn_app_open's answers (ZN_APP_HELP, one line and ZN_EINVAL for
 * every bad command line, the netif's error), the banner, the program's
 * own arguments, and zn_app_run's ways to stop (the end of the capture,
 * tick, zn_app_stop, until). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "znet/app.h"
#include "zt.h"

/* ---- what a call prints ---- */

struct capture {
  FILE *out, *err;
  int saved_out, saved_err;
};

static void capture_start(struct capture *c) {
  fflush(NULL);
  c->out = tmpfile();
  c->err = tmpfile();
  c->saved_out = dup(1);
  c->saved_err = dup(2);
  dup2(fileno(c->out), 1);
  dup2(fileno(c->err), 2);
}

static void read_all(FILE *f, char *buf, size_t cap) {
  rewind(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  fclose(f);
}

/* Ends the capture: stdout's text in out, stderr's in err. */
static void capture_end(struct capture *c, char *out, char *err, size_t cap) {
  fflush(NULL);
  dup2(c->saved_out, 1);
  dup2(c->saved_err, 2);
  close(c->saved_out);
  close(c->saved_err);
  read_all(c->out, out, cap);
  read_all(c->err, err, cap);
}

static int lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* zn_app_open on a NULL-terminated list of words (argv[0] first), what
 * it printed in out and err. */
static int open_words(const char *const *words, const struct zn_app_opts *o,
                      struct zn_app **app, char *out, char *err, size_t cap) {
  static char store[16][256];
  static char *argv[17];
  int argc = 0;
  for (; words[argc] && argc < 16; argc++) {
    snprintf(store[argc], sizeof(store[argc]), "%s", words[argc]);
    argv[argc] = store[argc];
  }
  argv[argc] = NULL;
  struct capture c;
  capture_start(&c);
  int rc = zn_app_open(argc, argv, o, app);
  capture_end(&c, out, err, cap);
  return rc;
}

/* ---- a capture to replay ---- */

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

/* An ARP request from 10.0.0.1 (02:00:00:00:00:01) for 10.0.0.TARGET at
 * second sec, as a pcap record. */
static void put_arp_request(FILE *f, uint32_t sec, uint8_t target) {
  uint8_t fr[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1,
                    0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1,
                    10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, target};
  put32(f, sec);
  put32(f, 0);
  put32(f, sizeof fr);
  put32(f, sizeof fr);
  fwrite(fr, sizeof fr, 1, f);
}

/* A capture of ARP requests for 10.0.0.2 at seconds 1 and 1 + gap;
 * its path in path. */
static void write_capture(char *path, size_t size, uint32_t gap) {
  snprintf(path, size, "/tmp/zt-app-XXXXXX");
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "wb");
  put32(f, 0xa1b2c3d4);
  put16(f, 2);
  put16(f, 4);
  put32(f, 0);
  put32(f, 0);
  put32(f, 65535);
  put32(f, 1); /* Ethernet */
  put_arp_request(f, 1, 2);
  put_arp_request(f, 1 + gap, 2);
  fclose(f);
}

static uint64_t stat_of(struct zn_app *app, const char *name) {
  struct zn_stats s;
  zn_stats_get(zn_app_stack(app), &s);
  for (int i = 0; i < ZN_STAT_COUNT; i++)
    if (strcmp(zn_stat_name(i), name) == 0)
      return s.v[i];
  return UINT64_MAX;
}

/* ---- the cases ---- */

static char out[16384], err[16384];

ZT_TEST(test_open_without_arguments_einval) {
  struct zn_app *app = (struct zn_app *)&app;
  char name[] = "tprog";
  char *argv[] = {name, NULL};
  ZT_EQ(zn_app_open(0, argv, NULL, &app), ZN_EINVAL);
  ZT_CHECK(app == NULL);
  app = (struct zn_app *)&app;
  ZT_EQ(zn_app_open(1, NULL, NULL, &app), ZN_EINVAL);
  ZT_CHECK(app == NULL);
  ZT_EQ(zn_app_open(1, argv, NULL, NULL), ZN_EINVAL);
  zn_app_close(NULL);
}

ZT_TEST(test_help_printed_app_help) {
  static const char *const words[] = {"tprog", "--help", NULL};
  static const struct zn_app_opts o = {
      .name = "book", .synopsis = "[FLAGS] -- GREETING", .summary = "Greets."};
  struct zn_app *app = (struct zn_app *)&app;
  ZT_EQ(open_words(words, &o, &app, out, err, sizeof out), ZN_APP_HELP);
  ZT_CHECK(app == NULL);
  ZT_CHECK(strncmp(out, "usage: book [FLAGS] -- GREETING\nGreets.\n", 40) == 0);
  ZT_CHECK(strstr(out, "--netif tap:NAME") != NULL);
  ZT_CHECK(strstr(out, "--tcp-rcvbuf") != NULL);
  ZT_STREQ(err, "");
  /* The defaults. */
  ZT_EQ(open_words(words, NULL, &app, out, err, sizeof out), ZN_APP_HELP);
  ZT_CHECK(strncmp(out, "usage: tprog [OPTIONS] [-- ARGUMENTS]\n", 38) == 0);
}

ZT_TEST(test_bad_command_line_einval_one_line) {
  static const char *const bad[][8] = {
      {"/usr/bin/tprog", "--netif", "tap:zt0", "--ipv4", "10.1.2.3/33", NULL},
      {"/usr/bin/tprog", "--netif", "tap:zt0", "--nope", NULL},
      {"/usr/bin/tprog", "--netif", "tap:zt0", "--ipv4", NULL},
      {"/usr/bin/tprog", "--ipv4", "10.1.2.3/24", NULL},
      {"/usr/bin/tprog", "--netif", "tap:zt0", "seven", "--", "x", NULL},
      {"/usr/bin/tprog", "--netif", "tap:zt0", "--gateway", "10.1.2.1", NULL},
      {"/usr/bin/tprog", "--netif", "solo5:service", NULL},
  };
  static const char *const named[] = {"10.1.2.3/33", "--nope", "--ipv4",
                                      "no --netif", "'seven'", "--gateway",
                                      "solo5:service"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct zn_app *app = (struct zn_app *)&app;
    int rc = open_words(bad[i], NULL, &app, out, err, sizeof out);
    ZT_EQ(rc, ZN_EINVAL);
    ZT_CHECK(app == NULL);
    ZT_EQ(lines(err), 1);
    ZT_CHECK(strncmp(err, "tprog: ", 7) == 0);
    if (strstr(err, named[i]) == NULL)
      zt_fail(__FILE__, __LINE__, "case %zu: '%s' not named in: %s", i,
              named[i], err);
    ZT_STREQ(out, "");
  }
}

ZT_TEST(test_capture_missing_fails_with_its_error) {
  static const char *const words[] = {
      "tprog", "--netif", "pcap:/nonexistent/zt-app.pcap", "--ipv4",
      "10.0.0.2/24", NULL};
  struct zn_app *app = (struct zn_app *)&app;
  int rc = open_words(words, NULL, &app, out, err, sizeof out);
  ZT_CHECK(rc < 0);
  ZT_CHECK(app == NULL);
  ZT_CHECK(strstr(err, "tprog: cannot replay '/nonexistent/zt-app.pcap'") !=
           NULL);
}

/* Opens the app on a capture of two ARP requests gap s apart, with the
 * program's words "alpha beta" after "--". */
static struct zn_app *open_replay(char *in, char *outp, size_t size,
                                  uint32_t gap) {
  write_capture(in, size, gap);
  snprintf(outp, size, "%s.out", in);
  char netif[600];
  snprintf(netif, sizeof netif, "pcap:%s,out=%s", in, outp);
  const char *const words[] = {"tprog", "--netif", netif, "--ipv4",
                               "10.0.0.2/24", "--mac", "02:00:00:00:00:02",
                               "--", "alpha", "beta", NULL};
  struct zn_app *app = NULL;
  int rc = open_words(words, NULL, &app, out, err, sizeof out);
  ZT_EQ(rc, ZN_OK);
  return app;
}

/* zn_app_stack's first call, what it printed (the banner) in out. */
static struct zn_stack *stack_first(struct zn_app *app, char *o, char *e,
                                    size_t cap) {
  struct capture c;
  capture_start(&c);
  struct zn_stack *st = zn_app_stack(app);
  capture_end(&c, o, e, cap);
  return st;
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

ZT_TEST(test_replay_runs_to_its_end) {
  char in[512], outp[512];
  struct zn_app *app = open_replay(in, outp, sizeof in, 1);
  ZT_REQUIRE(app != NULL);
  ZT_STREQ(out, ""); /* no banner before the program took its arguments */
  ZT_CHECK(stack_first(app, out, err, sizeof out) != NULL);
  char want[1200];
  snprintf(want, sizeof want, "tprog: 10.0.0.2/24 mac 02:00:00:00:00:02 on "
           "pcap:%s\n", in);
  ZT_STREQ(out, want); /* the banner, when the program asks for the stack */
  int argc = 0;
  char **argv = zn_app_argv(app, &argc);
  ZT_EQ(argc, 3);
  ZT_STREQ(argv[0], "tprog");
  ZT_STREQ(argv[1], "alpha");
  ZT_STREQ(argv[2], "beta");
  ZT_CHECK(argv[3] == NULL);
  ZT_CHECK(zn_app_argv(app, NULL) == argv);
  struct capture c;
  capture_start(&c);
  int rc = zn_app_run(app, NULL);
  capture_end(&c, out, err, sizeof out);
  ZT_EQ(rc, ZN_OK);
  ZT_STREQ(out, ""); /* once */
  ZT_EQU(stat_of(app, "arp_req_rx"), 2);
  zn_app_close(app);
  /* Both answered: the header and two 42-byte replies, padded to 60. */
  ZT_CHECK(file_size(outp) >= 24 + 2 * (16 + 42));
  unlink(in);
  unlink(outp);
}

struct ticks {
  int n;
  int stop_at;     /* return non-zero at this call */
  int app_stop_at; /* call zn_app_stop at this call */
  uint64_t last_now;
  bool now_matches;
};

static int tick(void *arg, struct zn_app *app, uint64_t now) {
  struct ticks *t = arg;
  t->n++;
  t->last_now = now;
  t->now_matches = zn_app_now(app) == now;
  if (t->n == t->app_stop_at)
    zn_app_stop(app);
  return t->n == t->stop_at;
}

ZT_TEST(test_tick_or_stop_ends_the_run) {
  char in[512], outp[512];
  struct zn_app *app = open_replay(in, outp, sizeof in, 100);
  ZT_REQUIRE(app != NULL);
  ZT_CHECK(stack_first(app, out, err, sizeof out) != NULL); /* the banner */
  struct ticks t = {.stop_at = 1};
  struct zn_app_run_opts ro = {.tick = tick, .arg = &t};
  ZT_EQ(zn_app_run(app, &ro), ZN_OK);
  ZT_EQ(t.n, 1);
  ZT_CHECK(t.now_matches);
  /* zn_app_stop inside the tick: the run ends after that poll. */
  t = (struct ticks){.app_stop_at = 1};
  ZT_EQ(zn_app_run(app, &ro), ZN_OK);
  ZT_EQ(t.n, 1);
  /* zn_app_stop before the run: it ends at its first look, the program's
   * tick not called. */
  t = (struct ticks){0};
  zn_app_stop(app);
  ZT_EQ(zn_app_run(app, &ro), ZN_OK);
  ZT_EQ(t.n, 0);
  ZT_EQU(stat_of(app, "arp_req_rx"), 1); /* the second is 100 s on */
  /* until: 10 s of the capture's clock on, short of the second frame. */
  uint64_t start = zn_app_now(app);
  t = (struct ticks){0};
  ro.until = start + ZN_SEC(10);
  ZT_EQ(zn_app_run(app, &ro), ZN_OK);
  ZT_CHECK(t.last_now >= start + ZN_SEC(10));
  ZT_EQU(stat_of(app, "arp_req_rx"), 1);
  /* And then to the end. */
  ZT_EQ(zn_app_run(app, NULL), ZN_OK);
  ZT_EQU(stat_of(app, "arp_req_rx"), 2);
  zn_app_close(app);
  unlink(in);
  unlink(outp);
}

int main(void) {
  ZT_RUN(test_open_without_arguments_einval);
  ZT_RUN(test_help_printed_app_help);
  ZT_RUN(test_bad_command_line_einval_one_line);
  ZT_RUN(test_capture_missing_fails_with_its_error);
  ZT_RUN(test_replay_runs_to_its_end);
  ZT_RUN(test_tick_or_stop_ends_the_run);
  return zt_done();
}
