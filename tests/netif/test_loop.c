/*
 * Unit tests of netif/loop.c (zn_loop_run) and netif/hosted.c, with a whole
 * stack: pcap replay runs to its end and stops (EOF + linger), stop
 * conditions hold, errors come back, and an idle loop does not spin.
 * argv[1]: the traces directory (without it, the cases that replay a
 * capture skip: th_shared).
 */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "nif_test.h"
#include "znet/loop.h"
#include "znet/pcap.h"

static const char *traces = "../shared/traces";
static char tmp_out[64], tmp_in[64];

static const char *trace(const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof(buf), "%s/%s", traces, name);
  return buf;
}

/* The echo requests of 5-pings.pcap are addressed to this host. */
static struct zn_stack *ping_target(void) {
  struct zn_config cfg;
  th_config(&cfg, ZN_IPV4(172, 217, 11, 78), 16, 0);
  static const uint8_t mac[6] = {0xa6, 0x83, 0xe7, 0x0c, 0x90, 0x64};
  memcpy(cfg.mac, mac, 6);
  return th_stack_new(&cfg);
}

struct ticks {
  int n;
  uint64_t first, last;
  int stop_after; /* 0: never */
};

static int on_tick(void *arg, struct zn_stack *st, uint64_t now) {
  struct ticks *t = arg;
  if (t->n == 0)
    t->first = now;
  ZT_CHECK(now >= t->last); /* the clock never goes back */
  ZT_EQU(zn_stack_now(st), now);
  t->last = now;
  t->n++;
  return t->stop_after && t->n >= t->stop_after;
}

ZT_TEST(test_replay_ends_after_linger) {
  if (!th_shared(traces))
    return;
  const char *path = trace("zeek__icmp__5-pings.pcap");
  struct zn_stack *st = ping_target();
  ZT_REQUIRE(st);
  struct zn_pcapif_opts o = {.out_path = tmp_out};
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(path, &o, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  ZT_REQUIRE(zn_stack_attach(st, nif) == ZN_OK);
  uint64_t t0 = zn_pcapif_start_time(pi);

  struct ticks tk = {0};
  struct zn_loop_opts lo = {
      .eof_linger = ZN_SEC(5), .tick = on_tick, .arg = &tk};
  uint64_t wall = zn_host_now();
  ZT_EQ(zn_loop_run(st, nif, &lo), ZN_OK);
  wall = zn_host_now() - wall;

  ZT_CHECK(zn_pcapif_eof(pi));
  struct zn_pcapif_stats s;
  zn_pcapif_get_stats(pi, &s);
  ZT_EQU(s.frames_delivered, 10);
  ZT_EQU(tk.first, t0);
  /* The last frame is at t0 + 4.05 s; the loop lingers 5 s past the
   * poll that saw the end, on the virtual clock. */
  ZT_CHECK(tk.last >= t0 + ZN_SEC(9));
  ZT_CHECK(tk.last < t0 + ZN_SEC(20));
  ZT_CHECK(tk.n < 500);           /* polls at events, not a spin */
  ZT_CHECK(wall < ZN_SEC(2));     /* replay does not sleep in real time */
  ZT_CHECK(s.frames_written > 0); /* the stack talked (ARP, replies) */
  printf("# polls %d, frames written %llu\n", tk.n,
         (unsigned long long)s.frames_written);

  zn_netif_close(nif);
  th_stack_free(st);

  /* The output is a capture libpcap can read back. */
  ZT_REQUIRE(zn_pcapif_open(tmp_out, NULL, &pi, NULL) == ZN_OK);
  zn_pcapif_close(pi);
  unlink(tmp_out);
}

ZT_TEST(test_stop_conditions) {
  if (!th_shared(traces))
    return;
  const char *path = trace("zeek__icmp__5-pings.pcap");
  struct zn_stack *st = ping_target();
  ZT_REQUIRE(st);
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(path, NULL, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  ZT_REQUIRE(zn_stack_attach(st, nif) == ZN_OK);
  uint64_t t0 = zn_pcapif_start_time(pi);

  /* *stop set before the start: no poll at all. */
  volatile int stop = 1;
  struct ticks tk = {0};
  struct zn_loop_opts lo = {.stop = &stop, .tick = on_tick, .arg = &tk};
  ZT_EQ(zn_loop_run(st, nif, &lo), ZN_OK);
  ZT_EQ(tk.n, 0);

  /* The tick asks to stop. */
  stop = 0;
  tk.stop_after = 2;
  ZT_EQ(zn_loop_run(st, nif, &lo), ZN_OK);
  ZT_EQ(tk.n, 2);

  /* until: the frames up to t0 + 1.5 s and no more. */
  tk.stop_after = 0;
  lo.until = t0 + ZN_MS(1500);
  ZT_EQ(zn_loop_run(st, nif, &lo), ZN_OK);
  struct zn_pcapif_stats s;
  zn_pcapif_get_stats(pi, &s);
  ZT_EQU(s.frames_delivered, 4);
  ZT_EQU(tk.last, t0 + ZN_MS(1500));

  /* No opts at all: runs to EOF (no linger). */
  ZT_EQ(zn_loop_run(st, nif, NULL), ZN_OK);
  zn_pcapif_get_stats(pi, &s);
  ZT_EQU(s.frames_delivered, 10);
  ZT_EQ(zn_loop_run(NULL, nif, NULL), ZN_EINVAL);

  zn_netif_close(nif);
  th_stack_free(st);
}

/* A broken capture: the loop returns the netif's error. */
ZT_TEST(test_error_comes_back) {
  if (!th_shared(traces))
    return;
  const char *path = trace("zeek__icmp__5-pings.pcap");
  FILE *in = fopen(path, "rb");
  ZT_REQUIRE(in);
  static uint8_t buf[4096];
  size_t len = fread(buf, 1, sizeof(buf), in);
  fclose(in);
  ZT_REQUIRE(len > 24 + 114 + 50);
  FILE *out = fopen(tmp_in, "wb");
  ZT_REQUIRE(out);
  fwrite(buf, 1, 24 + 114 + 50, out);
  fclose(out);

  struct zn_stack *st = ping_target();
  ZT_REQUIRE(st);
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(tmp_in, NULL, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  ZT_REQUIRE(zn_stack_attach(st, nif) == ZN_OK);
  struct zn_loop_opts lo = {.eof_linger = ZN_SEC(1)};
  ZT_EQ(zn_loop_run(st, nif, &lo), ZN_EIO);
  zn_netif_close(nif);
  th_stack_free(st);
  unlink(tmp_in);
}

/* The loop through a decorator: a fault injector delaying every frame
 * on the way in still ends, and every frame still arrives. */
ZT_TEST(test_replay_through_fault) {
  if (!th_shared(traces))
    return;
  const char *path = trace("zeek__icmp__5-pings.pcap");
  struct zn_stack *st = ping_target();
  ZT_REQUIRE(st);
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(path, NULL, &pi, NULL) == ZN_OK);
  struct zn_fault_cfg fc = {.seed = 7,
                            .dirs = ZN_FAULT_RX | ZN_FAULT_TX,
                            .delay_ns = ZN_MS(10),
                            .jitter_ns = ZN_MS(5)};
  struct zn_fault f;
  zn_fault_init(&f, zn_pcapif_netif(pi), &fc);
  ZT_REQUIRE(zn_stack_attach(st, &f.nif) == ZN_OK);

  struct ticks tk = {0};
  struct zn_loop_opts lo = {
      .eof_linger = ZN_SEC(1), .tick = on_tick, .arg = &tk};
  ZT_EQ(zn_loop_run(st, &f.nif, &lo), ZN_OK);
  ZT_CHECK(f.stats.delayed >= f.stats.passed); /* every frame held */
  ZT_CHECK(f.stats.passed >= 10);
  ZT_CHECK(tk.n < 1000);
  zn_netif_close(&f.nif);
  zn_netif_close(zn_pcapif_netif(pi));
  th_stack_free(st);
}

/* A netif that can neither wait nor tell time runs on the host clock, and
 * the loop naps instead of spinning. */
ZT_TEST(test_host_clock_no_spin) {
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  struct zn_stack *st = ping_target();
  ZT_REQUIRE(st);
  ZT_REQUIRE(zn_stack_attach(st, &l.a.nif) == ZN_OK);
  struct ticks tk = {0};
  uint64_t t0 = zn_host_now();
  struct zn_loop_opts lo = {
      .until = t0 + ZN_MS(60), .tick = on_tick, .arg = &tk};
  ZT_EQ(zn_loop_run(st, &l.a.nif, &lo), ZN_OK);
  uint64_t el = zn_host_now() - t0;
  ZT_CHECK(el >= ZN_MS(60) && el < ZN_SEC(1));
  ZT_CHECK(tk.n >= 2 && tk.n < 100);
  printf("# %d polls in %llu us\n", tk.n, (unsigned long long)(el / 1000));
  zn_memlink_purge(&l);
  th_stack_free(st);
}

ZT_TEST(test_host_helpers) {
  uint8_t a[32], b[32];
  ZT_EQ(zn_host_seed(a), ZN_OK);
  ZT_EQ(zn_host_seed(b), ZN_OK);
  ZT_CHECK(memcmp(a, b, 32) != 0);
  uint64_t t1 = zn_host_now(), t2 = zn_host_now();
  ZT_CHECK(t1 > 0 && t2 >= t1);
  zn_host_log(NULL, ZN_LOG_DEBUG, "test_loop: a line from zn_host_log");
}

int main(int argc, char **argv) {
  if (argc > 1)
    traces = argv[1];
  snprintf(tmp_out, sizeof(tmp_out), "/tmp/zn_loop_out_%d.pcap", (int)getpid());
  snprintf(tmp_in, sizeof(tmp_in), "/tmp/zn_loop_in_%d.pcap", (int)getpid());
  ZT_RUN(test_replay_ends_after_linger);
  ZT_RUN(test_stop_conditions);
  ZT_RUN(test_error_comes_back);
  ZT_RUN(test_replay_through_fault);
  ZT_RUN(test_host_clock_no_spin);
  ZT_RUN(test_host_helpers);
  return zt_done();
}
