/*
 * znet-pair: two znet stacks in one process, joined by an in-memory link.
 * Stack B is an echo host (10.0.0.2); stack A pings it the way ping(8)
 * does and prints ping's transcript.  No root, no TAP, no kernel network
 * stack involved: every byte on the link was built and parsed by znet.
 *
 *     znet-pair -c 3             three 56-byte pings
 *     znet-pair -c 2 -s 4000     fragmented both ways and reassembled
 *     znet-pair --loss 20 -c 20  with a fault injector on A's side
 *     znet-pair -c 1 --tcp 1M    then 1 MiB through B's TCP echo
 *
 * With --tcp BYTES, after the pings A opens a TCP connection to B's echo
 * service on port 7, sends BYTES of a pattern, half-closes, checks every
 * byte that comes back, and closes when B has closed too; B echoes the
 * way znet-echo does (zn_tcp_peek, zn_tcp_write, zn_tcp_consume: reading
 * stops while its send buffer is full).
 * Both stacks run on the host's monotonic clock in one thread: each turn
 * sends what is due, polls A then B (B answers within the same turn, A
 * reads the answer on the next), and sleeps until the earliest deadline
 * of either stack or the next ping.  Round-trip times are what the two
 * stacks cost, from zn_icmp_echo_send() to the reply callback.
 *
 * Exits 0 if every ping was answered, 1 otherwise, 2 on bad arguments.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_int.h"
#include "znet/memlink.h"

#define PROG "znet-pair"
#define ADDR_A ZN_IPV4(10, 0, 0, 1)
#define ADDR_B ZN_IPV4(10, 0, 0, 2)
#define PREFIX 24
#define MAX_COUNT 65535u /* icmp_seq is 16 bits */
#define MAX_SIZE 65507u /* 65535 - IPv4 header - ICMP header */
/* Longest single sleep, so a signal is never waited on for long even if
 * it slips in between the stop check and the sleep. */
#define MAX_NAP_NS ZN_MS(100)

#define TCP_PORT 7
#define TCP_MAX_BYTES (1ull << 32)
#define TCP_TIMEOUT_NS ZN_SEC(60)

struct pair_opts {
  uint64_t tcp_bytes; /* 0: no TCP exchange */
  uint32_t count, size;
  uint64_t interval_ns, timeout_ns;
  uint32_t loss_pct;
  int log_level;
  uint32_t nbufs;
  const char *capture;
};

/* What the pinger knows about each request it sent. */
struct pinger {
  uint32_t dst;
  uint16_t id;
  uint32_t size;
  uint8_t *payload;        /* the data every request carries */
  uint64_t *sent_at;       /* by seq - 1; 0: not sent */
  uint8_t *got;            /* by seq - 1: replies seen */
  uint32_t transmitted, received, dups, bad;
  double min_ms, max_ms, sum_ms, sum2_ms;
};

static int parse_log(void *base, const char *val, const char *prog) {
  struct pair_opts *o = base;
  (void)prog;
  o->log_level = zn_log_level_parse(val);
  return o->log_level < 0 ? -1 : 0;
}

#define OFF(field) offsetof(struct pair_opts, field)

/* Not the shared flags: two stacks in memory have no netif to choose. */
static const struct zn__app_opt pair_flags[] = {
    {"count", 'c', ZN__APP_U32, OFF(count), 1, MAX_COUNT, .arg = "COUNT",
     .help = "echo requests to send (default 4)"},
    {"size", 's', ZN__APP_U32, OFF(size), 0, MAX_SIZE, .arg = "SIZE",
     .help = "data bytes per request (default 56; up to 65507,\nfragmented "
             "above 1472)"},
    {"interval", 'i', ZN__APP_SECONDS, OFF(interval_ns), ZN_MS(1),
     ZN_SEC(86400), .arg = "SECONDS", .want = "seconds >= 0.001",
     .help = "interval between requests (default 1)"},
    {"timeout", 'W', ZN__APP_SECONDS, OFF(timeout_ns), 0, ZN_SEC(86400),
     .arg = "SECONDS", .want = "seconds",
     .help = "wait for replies after the last request (default 2)"},
    {"loss", 0, ZN__APP_U32, OFF(loss_pct), 0, 100, .arg = "PERCENT",
     .help = "drop this share of A's frames, both ways (fault\ninjector, "
             "fixed seed)"},
    {"tcp", 0, ZN__APP_SIZE, OFF(tcp_bytes), 1, TCP_MAX_BYTES, .arg = "BYTES",
     .want = "1..4G bytes; K, M, G",
     .help = "then send BYTES (K, M, G) through B's TCP echo\nand check what "
             "comes back"},
    {"capture", 0, ZN__APP_STR, OFF(capture), .arg = "FILE.pcap",
     .help = "write the frames B sees and sends"},
    {"log", 0, ZN__APP_FN, .fn = parse_log, .arg = "LEVEL",
     .want = "error|warn|info|debug|trace",
     .help = "error|warn|info|debug|trace (default warn)"},
    {"bufs", 0, ZN__APP_U32, OFF(nbufs), 16, 1u << 20, .arg = "N",
     .help = "frame buffers per stack (default 512)"},
    {.name = NULL},
};

#undef OFF

static void parse_args(struct pair_opts *o, int argc, char **argv) {
  const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "[-c COUNT] [-s SIZE] [-i SECONDS] [-W SECONDS] [OPTIONS]",
      .summary = "Two znet stacks joined in memory: A (10.0.0.1) pings B "
                 "(10.0.0.2, an echo host).",
      .opts = pair_flags,
      .arg = o,
      .no_common = true,
  };
  int first = zn__app_parse(NULL, argc, argv, &prog);
  if (first < argc)
    zn__app_usage_error(PROG, "unexpected argument '%s'", argv[first]);
}

/* ping's precision: three significant digits, at least one decimal. */
static void print_time(double ms) {
  if (ms < 1.0)
    printf("%.3f ms", ms);
  else if (ms < 10.0)
    printf("%.2f ms", ms);
  else if (ms < 100.0)
    printf("%.1f ms", ms);
  else
    printf("%.0f ms", ms);
}

static void on_reply(struct zn_stack *st, void *arg,
                     const struct zn_icmp_echo *r) {
  (void)st;
  struct pinger *p = arg;
  uint64_t now = zn_host_now();
  if (r->from != p->dst || r->id != p->id || r->seq == 0 ||
      r->seq > p->transmitted || p->sent_at[r->seq - 1] == 0)
    return; /* not an answer to us */
  uint32_t i = r->seq - 1u;
  double ms = zn__app_ms(now - p->sent_at[i]);
  bool dup = p->got[i] != 0;
  bool ok = r->len == p->size &&
            (p->size == 0 || memcmp(r->data, p->payload, p->size) == 0);
  char ip[ZN_IPV4_STRLEN];
  printf("%zu bytes from %s: icmp_seq=%u ttl=%u time=", r->len + 8,
         zn_ipv4_format(r->from, ip), (unsigned)r->seq, (unsigned)r->ttl);
  print_time(ms);
  if (dup)
    printf(" (DUP!)");
  if (!ok)
    printf(" (wrong data: %zu bytes, want %" PRIu32 ")", r->len, p->size);
  printf("\n");
  (void)fflush(stdout);
  if (!ok) {
    p->bad++;
    return;
  }
  if (dup) {
    p->dups++;
    return;
  }
  p->got[i] = 1;
  p->received++;
  p->sum_ms += ms;
  p->sum2_ms += ms * ms;
  if (p->received == 1 || ms < p->min_ms)
    p->min_ms = ms;
  if (ms > p->max_ms)
    p->max_ms = ms;
}

static void nap(uint64_t ns) {
  if (ns > MAX_NAP_NS)
    ns = MAX_NAP_NS;
  struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                        .tv_nsec = (long)(ns % 1000000000u)};
  (void)nanosleep(&ts, NULL);
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Run both stacks until every reply came, the wait after the last
 * request ran out, or a signal.  Returns the run time in ns. */
static uint64_t run(struct zn_stack *a, struct zn_stack *b, struct pinger *p,
                    const struct pair_opts *o) {
  uint64_t start = zn_host_now();
  uint64_t next_send = start, last_send = start;
  /* Set both clocks before the first send: a stack that has not been
   * polled yet schedules its timers (the ARP retry) from time 0. */
  (void)zn_stack_poll(a, start);
  (void)zn_stack_poll(b, start);
  while (!zn__app_stop_asked) {
    uint64_t now = zn_host_now();
    if (p->transmitted < o->count && now >= next_send) {
      uint16_t seq = (uint16_t)(p->transmitted + 1);
      p->sent_at[p->transmitted] = now ? now : 1;
      p->transmitted++;
      int rc = zn_icmp_echo_send(a, p->dst, p->id, seq, p->payload, p->size);
      if (rc != ZN_OK)
        printf("icmp_seq=%u: send failed: %s\n", (unsigned)seq,
               zn_strerror(rc));
      last_send = now;
      next_send += o->interval_ns;
      if (next_send < now)
        next_send = now + o->interval_ns; /* fell behind: do not burst */
    }
    int rc = zn_stack_poll(a, now);
    if (rc >= 0)
      rc = zn_stack_poll(b, now);
    if (rc < 0) {
      fprintf(stderr, PROG ": poll failed: %s\n", zn_strerror(rc));
      break;
    }
    bool all_sent = p->transmitted >= o->count;
    if (all_sent && p->received >= o->count)
      break;
    uint64_t give_up = last_send + o->timeout_ns;
    if (all_sent && now >= give_up)
      break;
    uint64_t wake = min_u64(zn_stack_next_deadline(a),
                            zn_stack_next_deadline(b));
    wake = min_u64(wake, all_sent ? give_up : next_send);
    now = zn_host_now();
    if (wake > now)
      nap(wake - now);
  }
  return zn_host_now() - start;
}

static void print_summary(const struct pinger *p, uint64_t elapsed) {
  char ip[ZN_IPV4_STRLEN];
  printf("\n--- %s ping statistics ---\n", zn_ipv4_format(p->dst, ip));
  double loss = p->transmitted
                    ? 100.0 * (double)(p->transmitted - p->received) /
                          (double)p->transmitted
                    : 0.0;
  printf("%" PRIu32 " packets transmitted, %" PRIu32 " received", p->transmitted,
         p->received);
  if (p->dups)
    printf(", +%" PRIu32 " duplicates", p->dups);
  if (p->bad)
    printf(", +%" PRIu32 " corrupted", p->bad);
  printf(", %g%% packet loss, time %.0fms\n", loss, zn__app_ms(elapsed));
  if (p->received) {
    double avg = p->sum_ms / p->received;
    double var = p->sum2_ms / p->received - avg * avg;
    printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", p->min_ms, avg,
           p->max_ms, var > 0 ? sqrt(var) : 0.0);
  }
  (void)fflush(stdout);
}

/* ---- the TCP echo exchange (--tcp) ---- */

struct tcp_pair {
  uint64_t total;        /* bytes A sends */
  uint64_t sent, echoed; /* A: written, read back and checked */
  uint64_t start, end;   /* connected, B's FIN read */
  struct zn_tcp_conn *listener, *srv, *cli;
  bool connected, shut, eof, bad, srv_closing, cli_closing;
  int closed;            /* on_closed calls: B's child and A's */
  int err;
  uint64_t srv_stalls;
};

/* The stream's byte at offset i: a pattern that shows any shift. */
static uint8_t tcp_byte(uint64_t i) {
  return (uint8_t)(i * 7u + (i >> 8) + (i >> 16) * 3u);
}

/* B: echo what A sent, straight from the frame buffers. */
static void srv_pump(struct tcp_pair *t) {
  while (t->srv && !t->srv_closing) {
    const uint8_t *p;
    long n = zn_tcp_peek(t->srv, &p);
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) {
      t->srv_closing = true; /* A's FIN (or a failure): our FIN follows */
      zn_tcp_close(t->srv);
      return;
    }
    long w = zn_tcp_write(t->srv, p, (size_t)n);
    if (w == ZN_EAGAIN) {
      t->srv_stalls++;
      return; /* on_writable */
    }
    if (w < 0) {
      t->srv_closing = true;
      zn_tcp_close(t->srv);
      return;
    }
    (void)zn_tcp_consume(t->srv, (size_t)w);
    if (w < n)
      return;
  }
}

static void srv_readable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  srv_pump(arg);
}

static void srv_accept(struct zn_tcp_conn *l, void *arg) {
  struct tcp_pair *t = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    if (t->srv) {
      zn_tcp_abort(c);
      continue;
    }
    t->srv = c;
    srv_pump(t);
  }
}

static void tcp_error(struct zn_tcp_conn *c, void *arg, int err) {
  struct tcp_pair *t = arg;
  if (t->err == 0)
    t->err = err;
  if (c == t->srv && !t->srv_closing) {
    t->srv_closing = true;
    zn_tcp_close(c);
  } else if (c == t->cli && !t->cli_closing) {
    t->cli_closing = true;
    zn_tcp_close(c);
  }
}

/* cppcheck-suppress constParameter ; the type of zn_tcp's callbacks */
static void tcp_closed(struct zn_tcp_conn *c, void *arg) {
  struct tcp_pair *t = arg;
  if (c == t->listener)
    return;
  t->closed++;
}

/* A: write what the send buffer takes, then half-close. */
static void cli_pump(struct tcp_pair *t) {
  uint8_t chunk[16384];
  while (t->connected && !t->cli_closing && t->sent < t->total) {
    size_t n = sizeof(chunk);
    if (n > t->total - t->sent)
      n = (size_t)(t->total - t->sent);
    for (size_t i = 0; i < n; i++)
      chunk[i] = tcp_byte(t->sent + i);
    long w = zn_tcp_write(t->cli, chunk, n);
    if (w <= 0)
      return; /* ZN_EAGAIN: on_writable; a failure: on_error */
    t->sent += (uint64_t)w;
  }
  if (t->connected && t->sent == t->total && !t->shut) {
    t->shut = true;
    (void)zn_tcp_shutdown(t->cli);
  }
}

/* A: check what comes back, byte for byte. */
static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  struct tcp_pair *t = arg;
  const uint8_t *p;
  long n;
  while (!t->cli_closing && (n = zn_tcp_peek(c, &p)) > 0) {
    for (long i = 0; i < n && !t->bad; i++)
      if (p[i] != tcp_byte(t->echoed + (uint64_t)i))
        t->bad = true;
    t->echoed += (uint64_t)n;
    (void)zn_tcp_consume(c, (size_t)n);
  }
  if (!t->cli_closing && zn_tcp_peek(c, &p) == 0) {
    t->eof = true;
    t->end = zn_host_now();
    t->cli_closing = true;
    zn_tcp_close(c);
  }
}

static void cli_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct tcp_pair *t = arg;
  t->connected = true;
  t->start = zn_host_now();
  cli_pump(t);
}

/* cppcheck-suppress constParameter ; the type of zn_tcp's callbacks */
static void tcp_writable(struct zn_tcp_conn *c, void *arg) {
  struct tcp_pair *t = arg;
  if (c == t->srv)
    srv_pump(t);
  else
    cli_pump(t);
}

static const struct zn_tcp_callbacks srv_cbs = {
    .on_accept = srv_accept,
    .on_readable = srv_readable,
    .on_writable = tcp_writable,
    .on_error = tcp_error,
    .on_closed = tcp_closed,
};

static const struct zn_tcp_callbacks cli_cbs = {
    .on_connected = cli_connected,
    .on_readable = cli_readable,
    .on_writable = tcp_writable,
    .on_error = tcp_error,
    .on_closed = tcp_closed,
};

/* Run both stacks until A and B have both closed, something failed, a
 * minute passed, or a signal.  Returns 0 if every byte came back right
 * and both sides closed cleanly. */
static int run_tcp(struct zn_stack *a, struct zn_stack *b,
                   const struct pair_opts *o) {
  static struct tcp_pair t;
  memset(&t, 0, sizeof(t));
  t.total = o->tcp_bytes;
  char ipa[ZN_IPV4_STRLEN], ipb[ZN_IPV4_STRLEN];
  uint64_t start = zn_host_now();
  (void)zn_stack_poll(a, start);
  (void)zn_stack_poll(b, start);
  const struct zn_ip peer = zn_ip_from_v4(ADDR_B);
  int rc = zn_tcp_listen(b, NULL, TCP_PORT, 0, &srv_cbs, &t, &t.listener);
  if (rc == ZN_OK)
    rc = zn_tcp_connect(a, &peer, TCP_PORT, &cli_cbs, &t, &t.cli);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": tcp: %s\n", zn_strerror(rc));
    return 1;
  }
  printf("\nTCP %s -> %s:%u (B's echo): %" PRIu64 " bytes\n",
         zn_ipv4_format(ADDR_A, ipa), zn_ipv4_format(ADDR_B, ipb), TCP_PORT,
         t.total);
  (void)fflush(stdout);
  while (!zn__app_stop_asked && t.closed < 2 && !t.bad) {
    uint64_t now = zn_host_now();
    if (now - start > TCP_TIMEOUT_NS)
      break;
    rc = zn_stack_poll(a, now);
    if (rc >= 0)
      rc = zn_stack_poll(b, now);
    if (rc < 0) {
      fprintf(stderr, PROG ": poll failed: %s\n", zn_strerror(rc));
      break;
    }
    cli_pump(&t);
    uint64_t wake = min_u64(zn_stack_next_deadline(a),
                            zn_stack_next_deadline(b));
    now = zn_host_now();
    if (wake > now)
      nap(wake - now);
  }
  if (t.listener)
    zn_tcp_close(t.listener);
  double s = t.eof ? (double)(t.end - t.start) / 1e9 : 0;
  bool ok = t.eof && !t.bad && t.err == 0 && t.echoed == t.total &&
            t.closed == 2;
  printf("%" PRIu64 " bytes sent, %" PRIu64 " echoed back%s, %s", t.sent,
         t.echoed, t.bad ? " WRONG" : " and checked",
         t.closed == 2 ? "both sides closed" : "not closed");
  if (s > 0)
    printf(", %.1f ms (%.1f Mbit/s each way)", s * 1e3,
           (double)t.total * 8 / s / 1e6);
  if (t.err)
    printf(", failed: %s", zn_strerror(t.err));
  printf("\n");
  (void)fflush(stdout);
  return ok ? 0 : 1;
}

/* A stack at addr with the pair's settings (*cfg, kept for its free). */
static int make_stack(const struct pair_opts *o, uint32_t addr,
                      uint8_t last_seed_byte, struct zn_config *cfg,
                      void **mem, struct zn_stack **st) {
  zn_config_default(cfg);
  if (zn_host_seed(cfg->seed) != ZN_OK) {
    fprintf(stderr, PROG ": getrandom failed\n");
    return -1;
  }
  cfg->seed[31] ^= last_seed_byte; /* never the same key twice */
  cfg->log = zn_host_log;
  cfg->log_level = o->log_level;
  cfg->ipv4_addr = addr;
  cfg->ipv4_prefix = PREFIX;
  if (o->nbufs)
    cfg->nbufs = o->nbufs;
  return zn__app_stack_new(cfg, PROG, mem, st);
}

int main(int argc, char **argv) {
  struct pair_opts o = {
      .count = 4,
      .size = 56,
      .interval_ns = ZN_SEC(1),
      .timeout_ns = ZN_SEC(2),
      .log_level = ZN_LOG_WARN,
  };
  parse_args(&o, argc, argv);

  static struct zn_memlink link;
  static struct zn_fault fault;
  static struct zn_capture cap;
  bool cap_open = false, fault_on = false, link_on = false;
  void *mem_a = NULL, *mem_b = NULL;
  struct zn_config cfg_a, cfg_b;
  struct zn_stack *a = NULL, *b = NULL;
  struct pinger p;
  memset(&p, 0, sizeof(p));
  int status = ZN__APP_EXIT_FAIL;

  p.dst = ADDR_B;
  p.size = o.size;
  p.payload = malloc(o.size ? o.size : 1);
  p.sent_at = calloc(o.count, sizeof(*p.sent_at));
  p.got = calloc(o.count, 1);
  if (!p.payload || !p.sent_at || !p.got) {
    fprintf(stderr, PROG ": out of memory\n");
    goto out;
  }
  for (uint32_t i = 0; i < o.size; i++)
    p.payload[i] = (uint8_t)i;

  if (make_stack(&o, ADDR_A, 0xa, &cfg_a, &mem_a, &a) != 0 ||
      make_stack(&o, ADDR_B, 0xb, &cfg_b, &mem_b, &b) != 0)
    goto out;

  zn_memlink_init(&link, 0, 0);
  link_on = true;
  struct zn_netif *nif_a = &link.a.nif, *nif_b = &link.b.nif;
  if (o.loss_pct) {
    struct zn_fault_cfg fc;
    memset(&fc, 0, sizeof(fc));
    fc.seed = 1;
    fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
    fc.loss_ppm = o.loss_pct * 10000u;
    zn_fault_init(&fault, nif_a, &fc);
    fault_on = true;
    nif_a = &fault.nif;
  }
  if (o.capture) {
    if (zn_capture_open(&cap, nif_b, o.capture) != ZN_OK) {
      fprintf(stderr, PROG ": cannot write capture '%s'\n", o.capture);
      goto out;
    }
    cap_open = true;
    nif_b = &cap.nif;
  }
  if (zn_stack_attach(a, nif_a) != ZN_OK || zn_stack_attach(b, nif_b) != ZN_OK) {
    fprintf(stderr, PROG ": cannot attach the stacks\n");
    goto out;
  }
  p.id = (uint16_t)zn_random_u32(a);
  zn_icmp_set_echo_reply_cb(a, on_reply, &p);
  zn__app_signals();

  char ipa[ZN_IPV4_STRLEN], ipb[ZN_IPV4_STRLEN];
  char maca[ZN_MAC_STRLEN], macb[ZN_MAC_STRLEN];
  printf(PROG ": stack A %s (%s) <-> memlink%s <-> stack B %s (%s), echo "
         "host\n",
         zn_ipv4_format(ADDR_A, ipa), zn_mac_format(zn_stack_mac(a), maca),
         o.loss_pct ? " + loss" : "", zn_ipv4_format(ADDR_B, ipb),
         zn_mac_format(zn_stack_mac(b), macb));
  printf("PING %s (%s) %" PRIu32 "(%" PRIu32 ") bytes of data.\n", ipb, ipb,
         o.size, o.size + 28);
  (void)fflush(stdout);

  uint64_t elapsed = run(a, b, &p, &o);
  print_summary(&p, elapsed);
  status = p.transmitted == o.count && p.received == o.count ? 0 : 1;
  if (o.tcp_bytes && !zn__app_stop_asked && run_tcp(a, b, &o) != 0)
    status = 1;

  zn__app_print_stats(stderr, a, "stack A (pinger)");
  zn__app_print_stats(stderr, b, "stack B (echo host)");
  if (fault_on)
    fprintf(stderr, "fault: %" PRIu64 " frames passed, %" PRIu64 " lost\n",
            fault.stats.passed, fault.stats.lost);

out:
  /* Frames still in flight belong to the stacks' pools: free them first. */
  if (cap_open)
    zn_netif_close(&cap.nif);
  if (fault_on)
    zn_fault_purge(&fault);
  if (link_on)
    zn_memlink_purge(&link);
  zn__app_stack_free(&cfg_a, a, mem_a, "stack A");
  zn__app_stack_free(&cfg_b, b, mem_b, "stack B");
  free(p.payload);
  free(p.sent_at);
  free(p.got);
  return status;
}
