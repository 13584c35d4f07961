/*
 * libznet-app's inside (app/): the command line and the plumbing that
 * znet's example programs share, and over which the library's public
 * API (znet/app.h, app/app.c) is built.  znet's own programs
 * (examples/, znet-run's preload) use it directly; a program of znet's
 * users, and the runtime's network in an image (rt/net.c), use
 * znet/app.h.
 *
 *     static struct zn__app_host h;
 *     static const struct zn__app_opt opts[] = {   // the program's flags
 *         {"port", 0, ZN__APP_U16, offsetof(struct my_opts, port), 1, 65535,
 *          .arg = "N", .help = "serve on port N (default 7)"},
 *         {.name = NULL}};
 *     struct zn__app_prog prog = {.name = "znet-echo", .synopsis = "...",
 *                            .summary = "...", .opts = opts, .arg = &mine};
 *     zn__app_opts_default(&h.o);
 *     int first = zn__app_parse(&h.o, argc, argv, &prog); // exits if bad
 *     if (zn__app_open(&h, "znet-echo") != 0)               // stack + netif
 *       return ZN__APP_EXIT_FAIL;
 *     struct zn_loop_opts lo = {.until = ZN_TIME_NEVER};
 *     zn__app_run(&h, &lo);                                 // until SIGINT/EOF
 *     zn__app_print_stats(stderr, h.st, "znet-echo");
 *     zn__app_close(&h, "znet-echo");
 *
 * Flags are described by tables of struct zn__app_opt (name, kind of value,
 * where it goes, help text): zn__app_parse walks the program's table and the
 * shared one, and --help is generated from them.
 * The command line and the stack (common.c) are portable and built for the
 * host and for the Solo5 images (libznet-rt) alike; opening the netif and
 * running the loop are the platform's (common_linux.c: TAP, pcap,
 * capture, signals; common_solo5.c and api_image.c: an image's Solo5 net
 * device, which takes the same flags but no capture).
 *
 * Usage errors print one line naming the bad value and exit 2 (zn__app_parse;
 * zn__app_parse_args returns instead); failures to set up (no TAP, unreadable
 * capture) print why and return an error.  Besides the netif and address
 * flags every program takes --fault-* (a seeded fault injector around the
 * netif) and --tcp-* (the stack's TCP settings).
 */
#ifndef ZN_APP_INT_H
#define ZN_APP_INT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "znet.h"
#include "znet/capture.h"
#include "znet/dns.h"
#include "znet/fault.h"
#include "znet/loop.h"
#include "znet/solo5.h"
#include "znet/tap.h"

#define ZN__APP_MAX_ARP 64
#define ZN__APP_MAX_IPV6 8   /* --ipv6 addresses */
#define ZN__APP_MAX_SHOWN 16 /* IPv6 addresses zn__app_ipv6_report follows */
#define ZN__APP_EXIT_USAGE 2
#define ZN__APP_EXIT_FAIL 1

enum zn__app_netif_kind {
  ZN__APP_NETIF_NONE = 0,
  ZN__APP_NETIF_TAP,
  ZN__APP_NETIF_PCAP,
  ZN__APP_NETIF_SOLO5, /* a Solo5 net device (in a libznet-rt image only) */
};

/* The Solo5 net device the examples' manifest declares. */
#define ZN__APP_SOLO5_DEVICE "service"

/* The netif a program has without --netif: ZN__APP_NETIF_NONE on a host
 * (common_linux.c), ZN__APP_NETIF_SOLO5 in an image (common_solo5.c). */
extern const enum zn__app_netif_kind zn__app_default_netif;

struct zn__app_arp_static {
  uint32_t ip;
  uint8_t mac[6];
};

struct zn__app_ipv6_static {
  struct zn_ip addr;
  uint8_t prefix;
};

/* What the shared flags say. */
struct zn__app_opts {
  enum zn__app_netif_kind netif;
  char netif_text[4200];     /* as given, for messages */
  char tap_name[16];
  char solo5_name[32];       /* --netif solo5:NAME */
  char pcap_in[4096];
  char pcap_out[4096];       /* "" : discard the stack's output */
  const char *capture;       /* --capture FILE, or NULL */
  uint32_t ipv4;             /* 0: no address */
  uint8_t prefix;
  uint32_t gateway;
  /* --ipv6, added after create */
  struct zn__app_ipv6_static ipv6[ZN__APP_MAX_IPV6];
  unsigned nipv6;
  struct zn_ip ipv6_gateway; /* --ipv6-gateway; family 0: none */
  bool slaac;                /* --slaac */
  bool dhcp;                 /* --dhcp: IPv4 from a DHCP server; --ipv4,
                                if given, is the address asked for first
                                (INIT-REBOOT) */
  char dhcp_hostname[ZN_DHCP4_HOSTNAME_MAX + 1]; /* --dhcp-hostname */
  uint8_t mac[6];
  bool has_mac;
  int log_level;
  struct zn__app_arp_static arp[ZN__APP_MAX_ARP];
  unsigned narp;
  uint32_t nbufs;            /* 0: the default */
  uint32_t nbigbufs;         /* --bigbufs, if has_nbigbufs */
  bool has_nbigbufs;
  uint32_t dad_transmits;    /* --dad-transmits, if has_dad_transmits */
  bool has_dad_transmits;
  bool no_offload;           /* --no-offload: TAP without IFF_VNET_HDR */
  bool no_tcp_pacing;        /* --no-tcp-pacing: cfg.tcp_pacing off */
  uint8_t seed[32];
  bool has_seed;             /* --seed: a fixed seed (replay determinism) */

  /* --fault-*: a fault injector between the stack and the netif, both
   * directions, when any of loss, burst, dup, reorder, CE, delay or
   * jitter is set. */
  bool fault;
  uint32_t fault_loss_ppm, fault_dup_ppm, fault_reorder_ppm, fault_ce_ppm;
  int fault_loss_dirs;           /* --fault-loss-dir: ZN_FAULT_RX, _TX */
  uint32_t fault_burst_ppm;      /* --fault-burst: good -> bad per frame */
  uint32_t fault_burst_len;      /* --fault-burst-len: mean frames bad */
  uint32_t fault_burst_loss_ppm; /* --fault-burst-loss (default all) */
  uint64_t fault_delay_ns, fault_jitter_ns, fault_reorder_ns;
  uint64_t fault_seed;

  /* --tcp-*: 0 (or -1 for tcp_cc and tcp_ecn) leaves the stack's
   * default. */
  uint32_t tcp_conns;
  uint64_t tcp_sndbuf, tcp_rcvbuf;
  int tcp_cc;
  int tcp_ecn;
  uint32_t tcp_blackhole_probe_ms; /* if has_blackhole_probe (0: off) */
  bool has_blackhole_probe;
  /* Not flags: a group of shards' (znet-run's preload) partition of the
   * ephemeral ports, into the config (zn_config's port_share/_shares). */
  uint16_t port_share, port_shares;
  bool no_arp_announce; /* another stack announces the address (a shard
                           of a group: slot 0 does) */
  /* Not a flag: IPv6 on without --ipv6 or --slaac, its addresses added
   * by the caller (a shard: slot 0's from SLAAC). */
  bool ipv6_given;
};

/* ---- flag tables ---- */

/* What a flag's value is, and what is stored at `off` in the table's
 * struct (the program's `arg`, or struct zn__app_opts for the shared flags). */
enum zn__app_kind {
  ZN__APP_FLAG,    /* no value; bool, set true */
  ZN__APP_U16,     /* an integer min..max; uint16_t */
  ZN__APP_U32,     /* an integer min..max; uint32_t */
  ZN__APP_SIZE,    /* bytes, K/M/G (1024) allowed, min..max; uint64_t */
  ZN__APP_SECONDS, /* decimal seconds ("0.5"), min..max ns; uint64_t ns */
  ZN__APP_MS,      /* decimal milliseconds ("1.5"), min..max ms; uint64_t ns */
  ZN__APP_PCT,     /* a percentage 0..100 with decimals; uint32_t ppm */
  ZN__APP_STR,     /* a non-empty file name; const char * (into argv) */
  ZN__APP_CHOICE,  /* one of `choices` (ASCII case ignored); int, its value */
  ZN__APP_FN,      /* parsed by fn; takes a value iff `arg` names one */
  ZN__APP_DOC,     /* no flag: a help line (an argument, a second form, a
                 heading when arg is NULL) */
};

struct zn__app_choice {
  const char *name;
  int value;
};

struct zn__app_opt {
  const char *name;          /* long name without "--"; NULL ends a table */
  char short_name;           /* -X, or 0 */
  enum zn__app_kind kind;
  size_t off;        /* where the value goes (not ZN__APP_FN, ZN__APP_DOC) */
  uint64_t min, max; /* ZN__APP_U16, ZN__APP_U32, ZN__APP_SIZE (bytes),
                        ZN__APP_MS (ms), ZN__APP_SECONDS (ns) */
  /* ZN__APP_CHOICE: ends with a NULL name */
  const struct zn__app_choice *choices;
  /* ZN__APP_FN: store val into the table's struct `base`.  Returns 0, -1
   * for the usual one-line error, or ZN__APP_REPORTED after a message of its
   * own (zn__app_usage); a program's may call zn__app_usage_error itself. */
  int (*fn)(void *base, const char *val, const char *prog);
  const char *arg;           /* the value's name in --help ("N", "MS") */
  const char *want;          /* "bad --NAME 'V' (want WANT)"; NULL: from
                                the kind and range */
  const char *help;          /* '\n' continues on the next help line */
};

/* A program: its help, its own flags, and whether it takes the shared
 * ones. */
struct zn__app_prog {
  const char *name;
  const char *synopsis;        /* "[OPTIONS]" line after the name */
  const char *summary;         /* one line: what the program does */
  const struct zn__app_opt *opts; /* the program's flags, or NULL */
  void *arg;                   /* the struct they are stored in */
  bool netif_optional;         /* positional arguments may name the input */
  bool no_common;              /* no shared flags, no netif (znet-pair) */
};

/* A stack on a host netif. */
struct zn__app_host {
  const char *prog;            /* set by zn__app_open, for messages */
  struct zn__app_opts o;
  struct zn_config cfg;
  void *mem;
  struct zn_stack *st;
  struct zn_tap tap;
  bool tap_open;
  struct zn_pcapif *pcap;
  struct zn_solo5 solo5;       /* an image's device */
  bool solo5_open;
  struct zn_capture cap;
  bool cap_open;
  struct zn_fault fault;       /* --fault-*: outermost decorator */
  bool fault_open;
  uint32_t nshown;             /* how many of shown[] are in use */
  uint64_t ipv6_report_at;     /* zn__app_run's next look at the addresses */
  bool keep_signals;           /* zn__app_open leaves SIGINT and SIGTERM
                                  alone: inside another program (the
                                  preload of znet-run) */
  bool handed_over;            /* zn__app_open gave the stack and its netif
                                  to the platform (a libznet-rt image's
                                  socket layer: common_solo5.c), which
                                  keeps them: zn__app_close leaves them */
  struct zn_netif *base;       /* the backend (tap or pcap) */
  struct zn_netif *given;      /* a netif the caller opened (znet-run's
                                  queue of a multi-queue TAP): the stack
                                  goes on it instead of --netif's, and
                                  zn__app_close leaves it open */
  struct zn_netif *nif;        /* what the stack is attached to */
  /* The IPv6 addresses (and their states) zn__app_ipv6_report last printed. */
  struct zn_ipv6_addr_info shown[ZN__APP_MAX_SHOWN];
};

/* Stop flag set by SIGINT/SIGTERM once zn__app_signals() has run. */
extern volatile int zn__app_stop_asked;

/* Reload flag set by SIGHUP once zn__app_signal_reload() has run; the program
 * clears it when it has reloaded (in its loop's tick). */
extern volatile int zn__app_reload_asked;

void zn__app_opts_default(struct zn__app_opts *o);

/* What zn__app_parse_args returns besides 0 (parsed). */
#define ZN__APP_HELP 1   /* --help: the help is printed, nothing else done */
#define ZN__APP_BAD (-1) /* a one-line message is printed */
/* What an ZN__APP_FN returns after printing a message of its own
 * (zn__app_usage). */
#define ZN__APP_REPORTED (-2)

/* Parse argv against the program's table and (unless no_common) the
 * shared one, into o (may be NULL with no_common) and prog->arg.  Returns
 * 0 with *first the index of the first positional argument; ZN__APP_HELP
 * after printing --help (generated from the tables) to stdout; ZN__APP_BAD
 * after printing one line to stderr on an unknown flag, a missing value,
 * a bad one or shared flags that do not go together.  Starts getopt
 * afresh (optind), so it may be called again. */
int zn__app_parse_args(struct zn__app_opts *o, int argc, char **argv,
                       const struct zn__app_prog *prog, int *first);

/* zn__app_parse_args for a program's main(): exits 0 after --help, 2 on bad
 * input; returns the index of the first positional argument. */
int zn__app_parse(struct zn__app_opts *o, int argc, char **argv,
                  const struct zn__app_prog *prog);

/* Print "PROG: MESSAGE (try --help)" to stderr; returns ZN__APP_REPORTED. */
__attribute__((format(printf, 2, 3))) int zn__app_usage(const char *prog,
                                                        const char *fmt, ...);

/* Print "PROG: MESSAGE (try --help)" to stderr and exit 2. */
__attribute__((noreturn, format(printf, 2, 3))) void
zn__app_usage_error(const char *prog, const char *fmt, ...);

/* Exit 2 unless the flags give the stack an address of some kind
 * (--ipv4, --ipv6, --slaac or --dhcp), for the programs that need one. */
void zn__app_require_address(const struct zn__app_opts *o, const char *prog);

/* "10.0.0.2/24", "dhcp" with --dhcp, or "no-ipv4" without either, into
 * buf (at least ZN_IPV4_STRLEN + 4 bytes); returns buf. */
char *zn__app_ipv4_text(const struct zn__app_opts *o, char *buf, size_t size);

/* With IPv6 on, print "PROG: ipv6 ADDR/PREFIX STATE ORIGIN" to stdout for
 * every address that is new or changed state since the last call (all
 * of them on the first).  The platforms' zn__app_run calls it after every
 * poll, so DAD finishing and SLAAC addresses show up as they happen. */
void zn__app_ipv6_report(struct zn__app_host *h);

/* Poll the stack until none of its IPv6 addresses is tentative (duplicate
 * address detection still running), for at most limit ns or until
 * zn__app_stop_asked: a client that connects or asks from an IPv6
 * address at once would find none usable yet.  Returns at once with IPv6 off. */
void zn__app_ipv6_wait_ready(struct zn__app_host *h, uint64_t limit);

/* With --dhcp, the DHCP client's events as they happen, to stdout:
 *   PROG: dhcp4 bound ADDR/PREFIX router R dns D1,D2 mtu M lease Ns
 *         t1 Ns t2 Ns server S
 *   PROG: dhcp4 renewed ... (the same fields)
 *   PROG: dhcp4 lost ADDR
 * (router "-" without one, dns "-" without any, mtu "-" without option
 * 26).  zn__app_attach sets it as the stack's DHCP event callback. */
void zn__app_dhcp4_event(struct zn_stack *st, void *arg, enum zn_dhcp4_event ev,
                         const struct zn_dhcp4_lease *l);

/* Poll the stack until the DHCP client holds a lease, for at most limit
 * ns or until zn__app_stop_asked: for the programs that connect or ask at once.
 * Returns at once without --dhcp.  True if there is a lease. */
bool zn__app_dhcp4_wait_bound(struct zn__app_host *h, uint64_t limit);

/* The host's start once the stack is open (znet-run's and an image's
 * alike): a first poll, then up to ZN__APP_DAD_WAIT for IPv6's
 * duplicate address detection when it has addresses to check, and up
 * to ZN__APP_DHCP_WAIT for a DHCP lease with --dhcp (else "PROG: no
 * DHCP lease yet; going on" on stderr: the lease may still come). */
#define ZN__APP_DAD_WAIT ZN_SEC(5)
#define ZN__APP_DHCP_WAIT ZN_SEC(30)
void zn__app_settle(struct zn__app_host *h, const char *prog);

/* Parse helpers for extra flags: 0 on success, -1 if the text is bad. */
/* ADDR[:PORT] (IPv4), ADDR or [ADDR]:PORT (IPv6) of a DNS server (port 53
 * if not given; address not unspecified). */
int zn__app_parse_dns_server(const char *s, struct zn_dns_server *srv);
/* The same with another port when none is given (853: DNS over TLS). */
int zn__app_parse_dns_server_port(const char *s, struct zn_dns_server *srv,
                                  uint16_t default_port);
int zn__app_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int zn__app_parse_seconds(const char *s, uint64_t *ns);
/* A byte count with an optional binary suffix: 1500, 64K, 64M, 1G
 * (K = 1024).  At most max. */
int zn__app_parse_size(const char *s, uint64_t max, uint64_t *out);
/* A percentage 0..100 with decimals ("0.5") as parts per million. */
int zn__app_parse_pct(const char *s, uint32_t *ppm);

/* Set `netif`'s pcap input (and output, may be NULL) directly, as
 * znet-replay does for its positional argument. */
void zn__app_set_pcap(struct zn__app_opts *o, const char *in, const char *out);

/* Fill cfg from the shared flags: defaults, seed, log, address, MAC,
 * buffers, TCP sizes and congestion control.  Returns 0, or -1 (message
 * printed) if the host gives no entropy. */
int zn__app_config(const struct zn__app_opts *o, struct zn_config *cfg,
                   const char *prog);

/* Create a stack in memory mapped for it (mmap).  Returns 0, or (message
 * printed) ZN_EINVAL (a configuration the stack refuses), ZN_ENOMEM or
 * zn_stack_create()'s error.  *mem must be freed with zn__app_stack_free(). */
int zn__app_stack_new(const struct zn_config *cfg, const char *prog, void **mem,
                      struct zn_stack **st);

/* Destroy st, warn on stderr if buffers are still in use, unmap mem
 * (made for cfg). */
void zn__app_stack_free(const struct zn_config *cfg, struct zn_stack *st,
                        void *mem, const char *prog);

/* Create the stack, open the netif (and capture, and the fault injector:
 * stack -> fault -> capture -> backend, so a capture shows the wire),
 * attach, add the static ARP entries, install the signal handlers.
 * Returns 0, or a negative zn_err with the reason printed and everything
 * released: ZN_EINVAL (a netif this platform has not; cfg refused),
 * ZN_ENOMEM, ZN_EIO (no entropy; a capture file not written), the
 * netif's own (the TAP's ZN_EPERM, ZN_ENODEV, ZN_EEXIST; the replay's). */
int zn__app_open(struct zn__app_host *h, const char *prog);

/* Part of zn__app_open, for the platforms: wrap h->nif (the backend, or the
 * capture around it) in the fault injector if --fault-* asks, attach the
 * stack, add the static ARP entries.  Returns 0, or the error of the call
 * that failed (message printed; the caller closes what is open). */
int zn__app_attach(struct zn__app_host *h, const char *prog);

/* "PROG: ADDR mac MAC on NETIF" to stdout (ADDR as zn__app_ipv4_text, NETIF as
 * zn__app_describe_netif), then the IPv6 addresses (zn__app_ipv6_report);
 * without an address flag "PROG: no address (...): loopback only; mac MAC
 * on NETIF". */
void zn__app_print_banner(struct zn__app_host *h);

/* The clock the loop runs on, ns: the netif's, else zn_host_now(). */
uint64_t zn__app_now(const struct zn__app_host *h);

/* Wait for input until `deadline` (zn__app_now's ns; 0: not at all),
 * then have the stack take in what arrived and run its timers: the
 * netif's wait and zn_stack_poll (common_linux.c; common_solo5.c before
 * the hand-over), or, once an image's runtime has the stack, the
 * runtime's wait, while its pump polls the stack (common_solo5.c).  For
 * the waits of a start (zn__app_settle). */
void zn__app_take_input(struct zn__app_host *h, uint64_t deadline);
/* The netif's part of it: its wait, then zn_stack_poll (common.c). */
void zn__app_poll_netif(struct zn__app_host *h, uint64_t deadline);

/* The loop with zn__app_stop_asked as the stop flag unless opts has
 * one: on a host zn_loop_run (common_linux.c); in an image the program's thread waiting
 * in the runtime's scheduler (api_image.c).  Returns its result. */
int zn__app_run(struct zn__app_host *h, struct zn_loop_opts *opts);

/* Close the netifs and the stack (the bufs-in-use check included), unless
 * zn__app_open handed them over (handed_over): then only forget them. */
void zn__app_close(struct zn__app_host *h, const char *prog);

/* The platform's part of zn__app_close: close the netifs zn__app_open
 * opened. */
void zn__app_close_netifs(struct zn__app_host *h);

/* SIGINT and SIGTERM set zn__app_stop_asked.  No SA_RESTART: a sleeping
 * ppoll(2) returns at once.  zn_loop_run() keeps them blocked except inside its
 * wait, so one cannot land between its look at the flag and the sleep;
 * a program with its own loop must do the same. */
void zn__app_signals(void);

/* SIGHUP sets zn__app_reload_asked, for a program that reads something
 * again on it (znet-httpd --ocsp); the others leave SIGHUP its default.  Like the
 * stop signals, zn_loop_run() keeps it blocked except inside its wait,
 * so it wakes a sleeping loop, whose next tick sees the flag.  No signal
 * reaches a Solo5 image: there it installs nothing. */
void zn__app_signal_reload(void);

/* "tap:zntap0", "pcap:in.pcap", with " (capture)" and " (faults: ...)"
 * when wrapped. */
void zn__app_describe_netif(const struct zn__app_host *h, char *buf,
                            size_t size);

/* Every non-zero counter, "  name value", DROP counters marked, to fp
 * under a heading "PROG: counters". */
void zn__app_print_stats(FILE *fp, const struct zn_stack *st, const char *prog);
/* The same for counters s, under the heading "WHO: counters". */
void zn__app_print_counts(FILE *fp, const struct zn_stats *s, const char *who);

/* Counters of the backends (tap, pcap, capture, fault injector) that are
 * non-zero. */
void zn__app_print_netif_stats(FILE *fp, const struct zn__app_host *h);

/* The fault injector's non-zero counters, if it is in use. */
void zn__app_print_fault_stats(FILE *fp, const struct zn__app_host *h);

/* "  NAME VALUE" if v is not 0 (the backends' counters). */
void zn__app_print_nz(FILE *fp, const char *name, uint64_t v);

/* The whole file at path in malloc'd *out (*len bytes, a NUL after
 * them).  Returns 0, or -1 with the reason printed ("PROG: cannot read
 * PATH: ..."); in a Solo5 image, from its root archive (libznet-rt). */
int zn__app_read_file(const char *path, char **out, size_t *len,
                      const char *prog);

/* The wall clock, seconds since the Unix epoch (0 if unknown): the
 * platform's (common_linux.c: CLOCK_REALTIME; common_solo5.c: the
 * tender's wall clock).  TLS clients check certificates against it. */
uint64_t zn__app_wall_seconds(void);

/* ns to ms as a double. */
static inline double zn__app_ms(uint64_t ns) { return (double)ns / 1e6; }

/* libznet-app's public app (znet/app.h; app.c, app_run.c): an
 * zn__app_host in malloc'd memory, the name its messages carry, the
 * program's own arguments (the words after "--") and a stop flag. */
struct zn_app_run_opts;
struct zn_app {
  struct zn__app_host h;
  const char *name; /* app.c's app_name */
  char **argv;      /* the program's: argv[0], the words after "--" */
  int argc;
  volatile int stopped;              /* zn_app_stop; zn_app_run clears it */
  bool announced;                    /* the banner printed (first run) */
  const struct zn_app_run_opts *run; /* zn_app_run's, while it runs */
};

/* The banner, once: when the program first asks for the stack or runs,
 * by when it has taken (and may have refused) its own arguments. */
void zn__app_announce(struct zn_app *app);

#endif /* ZN_APP_INT_H */
