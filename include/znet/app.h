/** \file
 * libznet-app: a program's stack, its command line and its run loop, the
 * same on Linux and in a unikernel image.
 *
 * One source file, no `#ifdef`, runs on Linux over a TAP device (or a
 * replayed capture) and, unchanged, as a Solo5 unikernel image on
 * libznet-rt: zn_app_open() parses znet's flags and builds the stack on
 * the netif they name (on Linux, `--netif tap:NAME`; in an image, the
 * image's net device), zn_app_run() runs it until the program is
 * stopped, zn_app_close() frees it all.
 *
 *     int main(int argc, char **argv) {
 *       struct zn_app *app;
 *       int rc = zn_app_open(argc, argv, NULL, &app);
 *       if (rc != ZN_OK)
 *         return rc == ZN_APP_HELP ? 0 : 1;
 *       // open sockets on zn_app_stack(app): zn_udp_open, zn_tcp_serve...
 *       rc = zn_app_run(app, NULL);   // until SIGINT or SIGTERM
 *       zn_app_close(app);
 *       return rc == ZN_OK ? 0 : 1;
 *     }
 *
 * On Linux: `prog --netif tap:tap0 --ipv4 10.0.0.2/24 -- ARGS`, linked
 * with `pkg-config --cflags --libs znet-app`.  In an image: the same
 * file compiled by znet-cc and made an image by znet-image, then
 * `solo5-spt --net:service=tap0 --block:rootfs=root.tar prog.spt
 * --ipv4=10.0.0.2/24 -- ARGS`.
 *
 * The flags are those of every znet program (`--help` lists them):
 * `--netif tap:NAME` or `pcap:IN[,out=OUT]` (Linux), `--ipv4 ADDR/PREFIX`,
 * `--gateway`, `--ipv6` (repeatable), `--slaac`, `--dhcp`, `--mac`,
 * `--bufs`, `--tcp-*`, `--fault-*`, `--capture` (Linux), `--log`, ...
 * Everything after `--` is the program's own (zn_app_argv()).
 *
 * One app per process: it installs the SIGINT and SIGTERM handlers (on
 * Linux) and, in an image, is the one stack the runtime's sockets use.
 * Messages go to stderr, the banner and the address reports to stdout.
 */
#ifndef ZNET_APP_H
#define ZNET_APP_H

#include <stdint.h>

#include "znet.h"

struct zn_app;

/** What zn_app_open() returns when the command line asked for `--help`:
 * the help is printed to stdout and nothing is opened (*app is NULL).  A
 * program exits 0 then.  Not an error (errors are negative). */
#define ZN_APP_HELP 1

/** What the program says of itself.  NULL fields (or a NULL pointer for
 * the whole struct): the defaults given. */
struct zn_app_opts {
  const char *name;     /**< in messages and the banner; NULL: argv[0]'s
                             file name */
  const char *synopsis; /**< after the name in --help's usage line; NULL:
                             "[OPTIONS] [-- ARGUMENTS]" */
  const char *summary;  /**< --help's second line, what the program does;
                             NULL: "a program on znet" */
};

/**
 * Parse znet's flags in argv (those before the first "--"), build the
 * stack on the netif they name and attach it.  The banner goes to stdout
 * when the program first asks for the stack (zn_app_stack()) or runs
 * (zn_app_run()), by when it has taken its own arguments: one that
 * refuses them prints only its error.  The banner is "NAME: ADDR
 * mac MAC on NETIF" (ADDR "10.0.0.2/24", "dhcp" or "no-ipv4"), then a
 * line for each IPv6 address; with no address flag at all, "NAME: no
 * address (--ipv4, --ipv6, --slaac or --dhcp): loopback only; mac MAC on
 * NETIF".  On Linux the netif is
 * the one `--netif` names (required), and SIGINT and SIGTERM are set to
 * stop zn_app_run(); in a libznet-rt image it is the image's net device
 * ("service"), and the stack becomes the one the runtime's sockets use.
 * argv must outlive the app (zn_app_argv() points into it); o may be
 * NULL.
 *
 * Returns ZN_OK with *app set; ZN_APP_HELP after printing the help (see
 * there); or an error, with one line on stderr saying why and *app NULL:
 * ZN_EINVAL (a flag unknown, a value bad or missing, flags that do not go
 * together, a word before "--" that is not a flag, no `--netif` on Linux;
 * or argc, argv or app NULL), ZN_ENOMEM (no memory for the stack or the
 * app), ZN_EIO (no entropy for the seed; a `--capture` file not
 * written), and the netif's: ZN_EPERM (a TAP needs root or
 * CAP_NET_ADMIN), ZN_ENODEV (no /dev/net/tun; no such device in the
 * image), ZN_EEXIST (the TAP is in use), a capture's errors for `--netif
 * pcap:`.
 */
int zn_app_open(int argc, char **argv, const struct zn_app_opts *o,
                struct zn_app **app);

/** The app's stack, for the sockets of the program (zn_udp_open,
 * zn_tcp_serve...).  Valid until zn_app_close().  The first call (or
 * zn_app_run()'s, whichever comes first) prints the banner. */
struct zn_stack *zn_app_stack(struct zn_app *app);

/** Wait until the addresses the flags asked for are usable: up to 5 s
 * for IPv6's duplicate address detection (`--ipv6`, `--slaac`), up to
 * 30 s for a DHCP lease (`--dhcp`; without one, "NAME: no DHCP lease
 * yet; going on" on stderr: the lease may still come).  The stack runs
 * meanwhile (frames, timers, callbacks), as in zn_app_run().  Returns at
 * once when there is nothing to wait for, and early on SIGINT or
 * SIGTERM (on Linux).  For a program that connects or binds to its
 * addresses at once; zn_app_run() needs no such wait. */
void zn_app_settle(struct zn_app *app);

/** The configuration the app's stack was built with (its sizes,
 * as zn_posix_cfg_default() takes them for a socket layer over
 * zn_app_stack()).  Valid until zn_app_close(). */
const struct zn_config *zn_app_config(const struct zn_app *app);

/** The program's own arguments: argv[0] (the program's name as given),
 * then every word after the first "--" of zn_app_open()'s argv, then a
 * NULL; *argc (may be NULL) is their number, argv[0] included, as a
 * main()'s.  Valid until zn_app_close(). */
char **zn_app_argv(const struct zn_app *app, int *argc);

/** The clock zn_app_run() runs on, ns: the netif's (the replayed
 * capture's time with `--netif pcap:`), else the monotonic clock. */
uint64_t zn_app_now(const struct zn_app *app);

/** How zn_app_run() runs; zero fields (or a NULL pointer): until stopped,
 * no tick. */
struct zn_app_run_opts {
  uint64_t until; /**< stop once zn_app_now() reaches this (ns); 0 or
                       ZN_TIME_NEVER: no limit */
  /** Called after the stack has taken in what arrived and run its timers
   * (on Linux after each poll; in an image each time the program's thread
   * wakes), with zn_app_now(); return non-zero to stop.  May be NULL. */
  int (*tick)(void *arg, struct zn_app *app, uint64_t now);
  void *arg; /**< tick's */
};

/**
 * Run the stack: take in frames, run timers and the sockets' callbacks,
 * send, and wait in between, until one of: SIGINT or SIGTERM (on Linux;
 * no signal reaches an image), zn_app_stop(), tick returning non-zero,
 * `until`, or the end of a replayed capture (`--netif pcap:`).  The same
 * call on Linux and in an image: on Linux the hosted loop
 * (zn_loop_run()), in an image the program's thread waiting in the
 * runtime's scheduler, which polls the stack.  o may be NULL.  May be
 * called again after it returns (after a signal it returns at once).
 *
 * Returns ZN_OK when stopped, or the netif's error (ZN_EIO: the device
 * failed).
 */
int zn_app_run(struct zn_app *app, const struct zn_app_run_opts *o);

/** Make zn_app_run() return: at the end of the poll in progress when
 * called from a callback or tick, or at once from the next zn_app_run()
 * if it is not running.  Not for signal handlers (SIGINT and SIGTERM stop
 * it already). */
void zn_app_stop(struct zn_app *app);

/** Close the netif and free the stack and the app, warning on stderr if
 * a buffer is still held (a leak); the sockets still open go with the
 * stack.  In an image the stack and its device are the runtime's once
 * opened: they stay until the image exits.  NULL is ignored. */
void zn_app_close(struct zn_app *app);

#endif /* ZNET_APP_H */
