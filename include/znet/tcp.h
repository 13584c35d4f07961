/** \file
 * TCP (RFC 9293, with RFC 7323, 2018, 6675, 6298, 5681, 6582, 9438, 5961,
 * 6528, 1337).
 *
 * Connections come from a table inside the stack (cfg.tcp_conns).  A
 * handle is valid from the call that returns it (zn_tcp_listen,
 * zn_tcp_connect, zn_tcp_accept) until its on_closed callback returns;
 * after zn_tcp_close() or zn_tcp_abort() the stack may keep running the
 * protocol (FIN exchange, TIME_WAIT) on its own, but the handle is the
 * application's no longer once on_closed has run.
 *
 * Callbacks run from zn_stack_poll(), never from inside an API call, and
 * never free the object they are called for: zn_tcp_close() inside a
 * callback is safe, and on_closed always comes later.
 *
 * Writing: zn_tcp_write() copies into the send buffer (up to
 * cfg.tcp_sndbuf bytes per connection) and returns how much it took;
 * zn_tcp_write_ref() sends caller memory without copying it into the
 * stack, pinning it until every byte is acknowledged, then calls the
 * given release callback.  on_writable says the send buffer has room
 * again after a write fell short.
 *
 * Reading: zn_tcp_read() copies; zn_tcp_peek() returns views into the
 * received frame buffers (no copy) that zn_tcp_consume() releases.  The
 * receive window is cfg.tcp_rcvbuf bytes; it closes as data waits unread.
 *
 * Addresses are struct zn_ip (znet/addr.h), of either family.  What a
 * listener's local address takes:
 *
 * | addr                          | segments to                      |
 * |-------------------------------|----------------------------------|
 * | NULL, ZN_AF_NONE or `::`      | any of our addresses, both families |
 * | the same with opts v6only     | any of our IPv6 addresses only   |
 * | `0.0.0.0`                     | any of our IPv4 addresses only   |
 * | one of our addresses          | that address only                |
 *
 * An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2) is taken as the IPv4
 * address it maps.
 *
 * A segment goes to the listener bound to its destination address, else
 * to one bound to `0.0.0.0` (IPv4), else to one bound to any address.
 *
 * The loopback addresses are ours, as on Linux: all of 127.0.0.0/8 (with
 * or without an IPv4 address configured) and `::1` (while IPv6 is on;
 * with IPv6 off, ZN_EADDRNOTAVAIL).  Connections to them stay inside the
 * stack (its loopback queue), from 127.0.0.1 or `::1` unless bound
 * elsewhere.
 */
#ifndef ZNET_TCP_H
#define ZNET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"

struct zn_stack;
struct zn_tcp_conn;

/** The RFC 9293 states. */
enum zn_tcp_state {
  ZN_TCP_CLOSED = 0,
  ZN_TCP_LISTEN,
  ZN_TCP_SYN_SENT,
  ZN_TCP_SYN_RECEIVED,
  ZN_TCP_ESTABLISHED,
  ZN_TCP_FIN_WAIT_1,
  ZN_TCP_FIN_WAIT_2,
  ZN_TCP_CLOSE_WAIT,
  ZN_TCP_CLOSING,
  ZN_TCP_LAST_ACK,
  ZN_TCP_TIME_WAIT,
  ZN_TCP_NSTATES
};

/** "ESTABLISHED" etc.; "?" for a bad value. */
const char *zn_tcp_state_name(int state);

struct zn_tcp_callbacks {
  /** A listener has a connection ready for zn_tcp_accept(). */
  void (*on_accept)(struct zn_tcp_conn *listener, void *arg);
  /** An active open completed (SYN_SENT -> ESTABLISHED). */
  void (*on_connected)(struct zn_tcp_conn *c, void *arg);
  /** New data, or the peer's FIN (zn_tcp_read then returns 0), is there. */
  void (*on_readable)(struct zn_tcp_conn *c, void *arg);
  /** The send buffer has room again after a write fell short. */
  void (*on_writable)(struct zn_tcp_conn *c, void *arg);
  /** The connection failed: err is ZN_ECONNREFUSED (RST to our SYN),
   * ZN_ECONNRESET (RST later), ZN_ETIMEDOUT (retransmissions or keepalive
   * gave up), ZN_EHOSTUNREACH (ICMP hard error while connecting).  No
   * more data moves; zn_tcp_close() is still needed. */
  void (*on_error)(struct zn_tcp_conn *c, void *arg, int err);
  /** Last callback: the handle is gone when it returns. */
  void (*on_closed)(struct zn_tcp_conn *c, void *arg);
};

/** Listen on addr:port (addr as in the table above: NULL, ZN_AF_NONE or
 * `::` any address of both families, `0.0.0.0` any IPv4 address) with at
 * most `backlog` connections waiting in the accept queue (0:
 * cfg.tcp_backlog).  Accepted connections take the listener's callbacks
 * and arg unless zn_tcp_set_callbacks() changes them.  zn_tcp_listen_opts()
 * with no settings, but for port 0.  Errors: ZN_EADDRINUSE (a listener or
 * connection on the port whose address overlaps), ZN_EADDRNOTAVAIL (addr
 * is not ours), ZN_ENOMEM (table full), ZN_EINVAL (port 0, unknown
 * family). */
int zn_tcp_listen(struct zn_stack *st, const struct zn_ip *addr,
                  uint16_t port, uint32_t backlog,
                  const struct zn_tcp_callbacks *cb, void *arg,
                  struct zn_tcp_conn **out);

/** Per-connection settings fixed before the first segment: given to
 * zn_tcp_connect_opts() and zn_tcp_listen_opts().  A listener's are
 * inherited by the connections it accepts (all but v6only and reuseaddr,
 * which are about its binding), and so are later changes to the
 * listener by the setters below.  Zero fields mean the stack's default;
 * a NULL `const struct zn_tcp_opts *` means all defaults.  Each can be
 * changed afterwards by its setter (zn_tcp_set_bufsizes, _set_tos,
 * _set_ttl, _set_nodelay, _set_cc, _set_user_timeout, _set_keepalive)
 * and read back with zn_tcp_get_info(). */
struct zn_tcp_opts {
  uint32_t sndbuf;          /**< send buffer bound, bytes (at most 1 GiB);
                                 0: cfg.tcp_sndbuf */
  uint32_t rcvbuf;          /**< receive window bound, bytes (at most 1
                                 GiB; chooses the window scale: the least
                                 shift that expresses it, RFC 7323 §2.3);
                                 0: cfg.tcp_rcvbuf */
  uint8_t tos;              /**< IPv4 TOS / IPv6 traffic class, DSCP bits
                                 (the ECN bits stay the stack's) */
  uint8_t ttl;              /**< IPv4 TTL / IPv6 hop limit; 0: the stack's
                                 (cfg.ttl, the router's hop limit) */
  bool nodelay;             /**< Nagle off (zn_tcp_set_nodelay) */
  bool v6only;              /**< a listener bound to `::` (or NULL,
                                 ZN_AF_NONE) takes IPv6 only, and does not
                                 overlap `0.0.0.0` on its port */
  bool reuseaddr;           /**< bind over connections in TIME_WAIT (and,
                                 for a listener, over connections that are
                                 not listeners), as SO_REUSEADDR on Linux */
  uint8_t cc;               /**< enum zn_tcp_cc_algo; 0: cfg.tcp_cc (CUBIC
                                 unless configured otherwise) */
  uint32_t user_timeout_ms; /**< RFC 5482 / TCP_USER_TIMEOUT
                                 (zn_tcp_set_user_timeout); 0: by
                                 retransmission count */
  uint32_t keepidle_ms, keepintvl_ms, keepcnt; /**< keepalive, as
                                 zn_tcp_set_keepalive; keepidle_ms 0:
                                 off */
  bool keep_after_reset;    /**< what was received and not yet read stays
                                 readable after a reset or a timeout, the
                                 error coming once it is read (Linux's
                                 sockets); without: flushed at once (RFC
                                 9293 §3.10.7.4) */
};

/** Listen on laddr:port, as zn_tcp_listen(), with the settings o (NULL:
 * defaults), which the connections it accepts inherit.
 *
 * laddr as in the table above (NULL, ZN_AF_NONE or `::`: any address of
 * both families, or of IPv6 only with o->v6only; `0.0.0.0`: any IPv4
 * address; an IPv4-mapped address is taken as the IPv4 address).  Port 0
 * picks a free port from the ephemeral range (49152-65535) that no
 * connection or listener holds on an overlapping address, as Linux's
 * listen() on an unbound socket does; zn_tcp_get_info() tells which
 * (lport).
 *
 * The port is refused (ZN_EADDRINUSE) if another listener holds it on an
 * overlapping address (always, reuseaddr or not), or, without
 * o->reuseaddr, if any other connection does (TIME_WAIT included: what
 * zn_tcp_listen always did).  With reuseaddr, connections that are not
 * listeners do not stand in the way (Linux also asks that they set
 * SO_REUSEADDR themselves; znet asks only the newcomer).
 *
 * *out is set only on success.  Errors: ZN_EADDRINUSE, ZN_EADDRNOTAVAIL
 * (laddr is not ours), ZN_ENOMEM (table full), ZN_EINVAL (out NULL,
 * unknown family, an IPv4-mapped laddr with o->v6only (as Linux), o->cc
 * unknown, o->sndbuf or o->rcvbuf above 1 GiB). */
int zn_tcp_listen_opts(struct zn_stack *st, const struct zn_ip *laddr,
                       uint16_t port, uint32_t backlog,
                       const struct zn_tcp_opts *o,
                       const struct zn_tcp_callbacks *cb, void *arg,
                       struct zn_tcp_conn **out);

/** A server in one call: where it listens and what each connection it
 * accepts gets.  Zero fields are defaults, as in zn_tcp_listen_opts(). */
struct zn_tcp_serve_opts {
  const struct zn_ip *addr;          /**< NULL: any address of both families */
  uint16_t port;                     /**< not 0 */
  uint32_t backlog;                  /**< 0: cfg.tcp_backlog */
  const struct zn_tcp_opts *tcp;     /**< settings every connection inherits;
                                          NULL: the stack's defaults */
  const struct zn_tcp_callbacks *cb; /**< each connection's callbacks (its
                                          on_accept is never called) */
  void *arg;                         /**< their arg, and on_conn's */
  /** Called once for each new connection, before any of cb: the place to
   * give it state of its own (zn_tcp_set_callbacks with another arg) or
   * refuse it (zn_tcp_abort).  May be NULL. */
  void (*on_conn)(struct zn_tcp_conn *c, void *arg);
};

/** Listen as o says and accept every connection as it is established:
 * each gets o->cb and o->arg, then o->on_conn, then on_readable if data
 * or the peer's FIN came before it was accepted.  o is kept, not copied:
 * it must outlive the listener (a static or main()'s).  *listener (may be
 * NULL) is the listening handle, for zn_tcp_close().  Errors: those of
 * zn_tcp_listen_opts(); ZN_EINVAL (st or o NULL, port 0). */
int zn_tcp_serve(struct zn_stack *st, const struct zn_tcp_serve_opts *o,
                 struct zn_tcp_conn **listener);

/** Whether a connection to addr:port would find a listener of st's now:
 * one bound to addr or to its family's wildcard (the lookup an arriving
 * SYN makes).  False for NULL arguments. */
bool zn_tcp_listening_on(struct zn_stack *st, const struct zn_ip *addr,
                         uint16_t port);

/** Take the oldest established connection from the accept queue.
 * Errors: ZN_EAGAIN (none), ZN_EINVAL (not a listener). */
int zn_tcp_accept(struct zn_tcp_conn *listener, struct zn_tcp_conn **out);

/** Connections waiting in a listener's accept queue (0 for a handle that
 * is not a listener): what zn_tcp_accept() would take. */
uint32_t zn_tcp_accept_pending(const struct zn_tcp_conn *listener);

/** The connection's RFC 9293 state (ZN_TCP_CLOSED once it has ended). */
enum zn_tcp_state zn_tcp_state(const struct zn_tcp_conn *c);

/** Open a connection to addr:port (either family; an IPv4-mapped IPv6
 * address is taken as the IPv4 address it maps) from an ephemeral port
 * (RFC 6056) and a source address of the same family (127.0.0.1 toward
 * 127/8, ::1 toward ::1).  on_connected or on_error follows.
 * zn_tcp_connect_opts() with no source, port or settings.  Errors:
 * ZN_ENOMEM, ZN_EADDRNOTAVAIL (no address of addr's family configured),
 * ZN_EHOSTUNREACH (no route), ZN_EADDRINUSE (no ephemeral port free),
 * ZN_EINVAL (NULL, unspecified or no family, port 0). */
int zn_tcp_connect(struct zn_stack *st, const struct zn_ip *addr,
                   uint16_t port, const struct zn_tcp_callbacks *cb,
                   void *arg, struct zn_tcp_conn **out);

/** Open a connection to raddr:rport, as zn_tcp_connect(), from laddr:lport
 * and with the settings o (NULL: defaults).
 *
 * laddr NULL, ZN_AF_NONE or unspecified: the source is chosen as
 * zn_tcp_connect() does (127.0.0.1 toward 127/8, ::1 toward ::1).  A
 * given laddr must be one of ours (the loopback addresses count) and of
 * raddr's family (an IPv4-mapped address of either counts as IPv4); an
 * unspecified laddr of the other family (`0.0.0.0` toward IPv6) is
 * ZN_EINVAL, and so is a 127/8 laddr toward an address off the host
 * (Linux: EINVAL).
 *
 * lport 0: an ephemeral port (RFC 6056), as now.  A given lport (bind()
 * then connect()) follows Linux's rules for the bind: ZN_EADDRINUSE if a
 * listener holds lport on an address that overlaps laddr (always), or,
 * without o->reuseaddr, if any other connection does (TIME_WAIT
 * included); and, reuseaddr or not, if the exact 4-tuple exists, in any
 * state (Linux reports that one from connect() as EADDRNOTAVAIL, and may
 * take over a TIME_WAIT with timestamps; znet does not).  Departure:
 * Linux also asks that the connections in the way set SO_REUSEADDR
 * themselves, and checks against the address as bound (0.0.0.0 for an
 * unbound source) where znet checks against laddr as given.
 *
 * on_connected or on_error follows.  *out is set only on success.
 * Errors: ZN_EINVAL (raddr NULL, unspecified or of no family, rport 0,
 * out NULL, the laddr cases above, an IPv4 raddr with o->v6only (Linux:
 * ENETUNREACH), o->cc unknown, a buffer above 1 GiB),
 * ZN_EADDRNOTAVAIL (laddr not ours, or no address of raddr's family
 * configured), ZN_EHOSTUNREACH (no route), ZN_EADDRINUSE (above, or no
 * ephemeral port free), ZN_ENOMEM (table full). */
int zn_tcp_connect_opts(struct zn_stack *st, const struct zn_ip *laddr,
                        uint16_t lport, const struct zn_ip *raddr,
                        uint16_t rport, const struct zn_tcp_opts *o,
                        const struct zn_tcp_callbacks *cb, void *arg,
                        struct zn_tcp_conn **out);

/** Is laddr:port free for a binding with these settings (o: reuseaddr,
 * v6only; NULL: none) now, by the rule zn_tcp_listen_opts() and
 * zn_tcp_connect_opts() apply to a given port?  For a socket layer's
 * bind(), which reports EADDRINUSE before listen() or connect().  laddr
 * as zn_tcp_listen_opts() takes it (NULL: any address of both families).
 * Nothing is reserved: the answer holds until the stack's table changes,
 * and connect_opts may still find the 4-tuple taken.  Returns ZN_OK, or
 * ZN_EADDRINUSE, ZN_EADDRNOTAVAIL (laddr not ours), ZN_EINVAL (port 0,
 * unknown family, an IPv4-mapped laddr with v6only, bad settings). */
int zn_tcp_bind_check(struct zn_stack *st, const struct zn_ip *laddr,
                      uint16_t port, const struct zn_tcp_opts *o);

void zn_tcp_set_callbacks(struct zn_tcp_conn *c,
                          const struct zn_tcp_callbacks *cb, void *arg);

/** Copy up to len bytes into the send buffer; returns the number taken
 * (> 0), or ZN_EAGAIN (buffer full; on_writable follows), ZN_EPIPE (our
 * side shut down), ZN_ENOTCONN (not yet or no longer connected),
 * ZN_ECONNRESET / ZN_ETIMEDOUT (the connection failed). */
long zn_tcp_write(struct zn_tcp_conn *c, const void *data, size_t len);

typedef void (*zn_tcp_release_fn)(void *arg);

/** At most this many zn_tcp_write_ref() calls may be pending per
 * connection (each holds one small descriptor). */
#define ZN_TCP_MAX_REFS 256

/** Send len bytes of caller memory, which must stay unchanged until
 * release(arg) is called: once all of it is acknowledged, or when the
 * connection is aborted or fails.  All or nothing.  The bytes are not
 * copied, so a reference is accepted even past the send buffer bound
 * (only the number of references is limited); but they are counted as
 * queued, so zn_tcp_writable() shrinks by them until they are
 * acknowledged and copying writes wait behind them.  Errors: as
 * zn_tcp_write; ZN_EAGAIN if ZN_TCP_MAX_REFS are pending; ZN_EINVAL for
 * len 0. */
int zn_tcp_write_ref(struct zn_tcp_conn *c, const void *data, size_t len,
                     zn_tcp_release_fn release, void *arg);

/** Copy up to len received bytes; returns the count (> 0), 0 at the end of
 * the stream (the peer's FIN, everything before it read), or ZN_EAGAIN
 * (nothing yet), ZN_ECONNRESET / ZN_ETIMEDOUT, ZN_ENOTCONN. */
long zn_tcp_read(struct zn_tcp_conn *c, void *buf, size_t len);

/** A view of the next received bytes, in place in the frame buffer that
 * carried them.  Returns the view's length (> 0), 0 at end of stream, or
 * the errors of zn_tcp_read.  Valid until zn_tcp_consume() or the next
 * zn_stack_poll(). */
long zn_tcp_peek(struct zn_tcp_conn *c, const uint8_t **data);

/** A view of the received bytes from offset off on, in place: the rest of
 * the frame buffer that holds byte off of what is readable (off 0: the
 * view of zn_tcp_peek()).  Nothing is consumed, so a caller can look
 * past the first segment (MSG_PEEK).  Returns the view's length (> 0);
 * with off at or past what is readable, what zn_tcp_peek() would say of
 * an empty queue (0 at end of stream, ZN_EAGAIN, or an error).  Valid
 * as zn_tcp_peek()'s view. */
long zn_tcp_peek_at(struct zn_tcp_conn *c, size_t off, const uint8_t **data);

/** Release n bytes from the front of what zn_tcp_peek() showed (n no more
 * than is readable).  Errors: ZN_EINVAL. */
int zn_tcp_consume(struct zn_tcp_conn *c, size_t n);

/** Bytes ready to read, and free space in the send buffer. */
size_t zn_tcp_readable(const struct zn_tcp_conn *c);
size_t zn_tcp_writable(const struct zn_tcp_conn *c);

/** Ask for on_writable once c can take bytes again, as a write it
 * refused does: for a caller that found zn_tcp_writable() 0 and will
 * wait without writing (a poll for POLLOUT, as Linux's tcp_poll sets
 * SOCK_NOSPACE).  A write that filled the buffer exactly asked nothing.
 * Once only: the flag clears when on_writable is called. */
void zn_tcp_want_writable(struct zn_tcp_conn *c);

/** Send a FIN after what is queued (half-close); reading goes on.
 * Errors: ZN_ENOTCONN. */
int zn_tcp_shutdown(struct zn_tcp_conn *c);

/** Done with the handle: shut down gracefully (a FIN after queued data),
 * or with a RST if received data was left unread (RFC 9293 §3.10.4).
 * on_closed follows.  Safe in any callback. */
void zn_tcp_close(struct zn_tcp_conn *c);

/** Reset the connection at once (RST) and release queued data and
 * references.  on_closed follows. */
void zn_tcp_abort(struct zn_tcp_conn *c);

/** Options.  Every setter is safe inside any callback; on a listener it
 * changes what the connections it accepts from then on inherit. */

/** What was received and not yet read stays readable after a reset or a
 * timeout, zn_tcp_read giving the error only once it is read (Linux's
 * sockets); off, the default, it is flushed at once (RFC 9293
 * §3.10.7.4).  As zn_tcp_opts.keep_after_reset; a listener's
 * connections take its setting. */
void zn_tcp_set_keep_after_reset(struct zn_tcp_conn *c, bool on);

/** Nagle's algorithm off (RFC 896; TCP_NODELAY): a partial segment goes
 * at once even while an earlier one is unacknowledged.  Turning it on
 * sends what Nagle held. */
void zn_tcp_set_nodelay(struct zn_tcp_conn *c, bool on);

/** TCP_CORK: while on, partial segments are held (full ones go), even
 * with nothing in flight, at most 200 ms each time the connection has
 * nothing in flight (Linux's 200 ms ceiling; Linux's own hold ends at its
 * window-probe timer, max(RTO, 200 ms)); a FIN (zn_tcp_shutdown,
 * zn_tcp_close) sends them.  With a netif that segments (TSO), full
 * segments are held too while less than one frame's worth is queued, so
 * that what a corked burst wrote leaves as one frame, but only to the
 * end of the poll (or while data is in flight, to its next ACK): then
 * the whole segments go, and a partial one after them stays held.
 * Turning it off sends what is queued, as far as Nagle (unless nodelay)
 * and the windows allow. */
void zn_tcp_set_cork(struct zn_tcp_conn *c, bool on);

/** Bound the send buffer to sndbuf bytes and the receive window to rcvbuf
 * bytes; 0 leaves either as it is.  A smaller send buffer keeps what is
 * queued (writes wait until it drains below).  Before the first segment
 * (a listener's connections to come) rcvbuf also chooses the window scale
 * (RFC 7323 §2.3); after it, the window grows only up to what the agreed
 * scale can express (65535 << scale) and never shrinks below what was
 * advertised (RFC 9293 §3.8.6); a window that grew by a segment or more
 * is announced at once.  Errors: ZN_EINVAL (a value above 1 GiB; nothing
 * changed). */
int zn_tcp_set_bufsizes(struct zn_tcp_conn *c, uint32_t sndbuf,
                        uint32_t rcvbuf);

/** TCP_USER_TIMEOUT (RFC 5482), as Linux: in the synchronized states,
 * data that stays unacknowledged longer than ms after the last progress
 * (or a window probe unanswered that long) ends the connection with
 * ZN_ETIMEDOUT (on_error; a soft ICMP error it met, if any, instead),
 * replacing cfg.tcp_retries; retransmissions are timed so that the last
 * comes when ms have passed.  With keepalive on, probes unanswered ms
 * after the last segment received end it too (instead of keepcnt).  The
 * handshake keeps cfg.tcp_syn_retries.  0: off. */
void zn_tcp_set_user_timeout(struct zn_tcp_conn *c, uint32_t ms);

/** IPv4 TOS / IPv6 traffic class of the segments sent from now on: its
 * DSCP bits (the top six); the ECN bits stay the stack's (RFC 3168). */
void zn_tcp_set_tos(struct zn_tcp_conn *c, uint8_t tos);

/** IPv4 TTL / IPv6 hop limit of the segments sent from now on; 0: the
 * stack's. */
void zn_tcp_set_ttl(struct zn_tcp_conn *c, uint8_t ttl);

/** listen() again on a listener: at most backlog connections wait in its
 * accept queue from now on (0: cfg.tcp_backlog); those already waiting
 * stay.  Errors: ZN_EINVAL (not a listener). */
int zn_tcp_set_backlog(struct zn_tcp_conn *listener, uint32_t backlog);

/** Hold a listener (held true) or let it go on: a held listener keeps
 * its port and takes no connection, dropping each SYN unanswered
 * (`tcp_drop_held_syn`) as a full accept queue does, so the peer sends
 * it again; connections already waiting stay.  For a listener a process
 * has but does not serve yet (a group of shards: a server's master,
 * whose workers serve its port).  Errors: ZN_EINVAL (not a listener). */
int zn_tcp_set_held(struct zn_tcp_conn *listener, bool held);

/** Keepalive probes after idle_ms without traffic, every intvl_ms (0:
 * 75 s), count probes (0: 9); 0 idle_ms turns it off. */
void zn_tcp_set_keepalive(struct zn_tcp_conn *c, uint32_t idle_ms,
                          uint32_t intvl_ms, uint32_t count);

/** The congestion control algorithms (zn_tcp_opts.cc, zn_tcp_set_cc,
 * cfg.tcp_cc), one table: X(NAME, value, "name").
 * - CUBIC (RFC 9438), the default: loss-based, the kernel's long-time
 *   default, fair to itself and to the Reno family.
 * - NewReno (RFC 5681, RFC 6582).
 * - BBR (draft-ietf-ccwg-bbr, BBRv3): model-based, paced at the
 *   bandwidth it measures; ignores random loss below 2% per round trip,
 *   keeps queues short.  It always paces (cfg.tcp_pacing is for the
 *   others). */
#define ZN_TCP_CC_MAP(X)                                                       \
  X(CUBIC, 0, "cubic")                                                         \
  X(NEWRENO, 1, "newreno")                                                     \
  X(BBR, 2, "bbr")

#define ZN_TCP_CC_ENUM_(n, v, s) ZN_TCP_CC_##n = (v),
enum zn_tcp_cc_algo { ZN_TCP_CC_MAP(ZN_TCP_CC_ENUM_) };
#undef ZN_TCP_CC_ENUM_

/** An algorithm's name ("cubic", "newreno", "bbr"), or NULL if algo is
 * none of them. */
const char *zn_tcp_cc_name(enum zn_tcp_cc_algo algo);

/** The algorithm called name (the NUL-terminated names above, matched
 * exactly).  Errors: ZN_EINVAL (no such name; *out untouched). */
int zn_tcp_cc_by_name(const char *name, enum zn_tcp_cc_algo *out);

/** Explicit Congestion Notification (RFC 3168), per stack: cfg.tcp_ecn.
 * The values are those of Linux's net.ipv4.tcp_ecn and FreeBSD's
 * net.inet.tcp.ecn.enable.  On a connection that agreed on ECN, new data
 * goes out ECN-capable (ECT(0)), a CE mark the network put on the peer's
 * data is echoed (ECE) until the peer answers with CWR, and an echo
 * makes the congestion window shrink once per window of data, as a loss
 * would, with nothing retransmitted.  The default is PASSIVE: some
 * middleboxes drop or reset SYNs that ask for ECN, and a client that
 * asks could not connect through them, while answering a peer that asks
 * risks nothing (Linux's default, tcp_ecn=2, and FreeBSD's). */
enum zn_tcp_ecn_mode {
  ZN_TCP_ECN_OFF = 0,     /**< never: no SYN or SYN-ACK sets up ECN */
  ZN_TCP_ECN_ON = 1,      /**< connect() asks with an ECN-setup SYN (sent
                               once: a retransmitted SYN goes without, RFC
                               3168 §6.1.1.1), and a listener answers */
  ZN_TCP_ECN_PASSIVE = 2, /**< a listener answers a peer that asks; our
                               own SYNs never ask (the default) */
};
/** The congestion control algorithm, before any data is sent (on a
 * listener: of the connections it accepts).  BBR's state comes from a
 * pool (cfg.tcp_bbr_conns): a connection set up for BBR (by this call
 * before it connects, its listener or opts.cc) when none is free runs
 * CUBIC (counter tcp_cc_fallback).  Errors: ZN_EINVAL (unknown, or data
 * was sent), ZN_ENOBUFS (BBR for a connection under way, and no BBR
 * state free: it keeps its algorithm). */
int zn_tcp_set_cc(struct zn_tcp_conn *c, enum zn_tcp_cc_algo algo);

void zn_tcp_set_userdata(struct zn_tcp_conn *c, void *p);
void *zn_tcp_userdata(const struct zn_tcp_conn *c);

struct zn_tcp_info {
  enum zn_tcp_state state;
  /** Local and remote address; a listener's laddr is as bound (no
   * family: any address of both families). */
  struct zn_ip laddr, raddr;
  uint16_t lport, rport;
  uint32_t mss;            /**< send MSS */
  uint32_t cwnd, ssthresh; /**< bytes */
  uint32_t srtt_us, rttvar_us, rto_ms;
  uint32_t snd_wnd, rcv_wnd;
  uint8_t snd_wscale, rcv_wscale;
  bool ts, sack;           /**< options agreed */
  bool ecn;                /**< ECN (RFC 3168) agreed in the handshake */
  uint64_t bytes_sent, bytes_acked, bytes_received;
  uint64_t retransmits, fast_retransmits, rto_timeouts;
  uint32_t unacked, queued; /**< bytes in flight, bytes not yet sent */

  /* What Linux's TCP_INFO reports that znet keeps too. */
  bool wscale;              /**< window scaling agreed (the shifts above) */
  uint32_t rcv_mss;         /**< the peer's MSS as its full segments show
                                 it (payload and timestamps; 0: none yet) */
  uint32_t pmtu;            /**< path MTU toward raddr, bytes */
  uint32_t min_rtt_us;      /**< lowest RTT measured (0: none yet) */
  uint32_t sacked;          /**< bytes in flight the peer SACKed */
  uint32_t lost;            /**< bytes in flight taken as lost (RACK), not
                                 resent yet */
  uint32_t retrans;         /**< bytes in flight sent more than once */
  uint8_t backoff;          /**< RTO (or window probe) backoffs in a row */
  uint8_t probes;           /**< window or keepalive probes unanswered */
  uint32_t last_data_sent_ms; /**< ms since new data last went out
                                   (UINT32_MAX: never) */
  uint32_t last_rcv_ms;     /**< ms since a segment last came in
                                 (UINT32_MAX: never) */
  uint32_t backlog;         /**< a listener's accept queue bound, */
  uint32_t accept_queued;   /**< and the connections waiting in it */
  uint64_t delivered;       /**< bytes the peer is known to have (ACKed
                                 or SACKed), SYN and FIN not counted */
  uint64_t delivery_rate;   /**< the last delivery rate sample, bytes/s
                                 (0: none yet), as Linux's: */
  bool delivery_rate_app_limited; /**< taken while the application, not
                                       the network, set the pace */
  uint64_t pacing_rate;     /**< bytes/s its sends are paced at (0: not
                                 paced: cfg.tcp_pacing off, or no RTT yet) */

  /* The settings, as zn_tcp_opts and the setters left them. */
  uint32_t sndbuf, rcvbuf;  /**< bytes */
  bool nodelay, cork;
  enum zn_tcp_cc_algo cc;
  uint8_t tos;              /**< DSCP bits (ECN bits 0) */
  uint8_t ttl;              /**< 0: the stack's */
  uint32_t user_timeout_ms; /**< 0: off */
  uint32_t keepidle_ms, keepintvl_ms, keepcnt; /**< keepidle_ms 0: off */
};

/** The connection's state, counters and settings; on a listener, its
 * binding (laddr, lport), its settings, backlog and accept_queued. */
void zn_tcp_get_info(const struct zn_tcp_conn *c, struct zn_tcp_info *info);

/** The flow hooks of TCP (`znet/steer.h`): every connection as it takes
 * its place in the connection table and leaves it, for a group of stacks
 * whose device steers each flow to the stack that holds it.  Copied;
 * NULL: none. */
struct zn_flow_hooks;
void zn_tcp_set_flow_hooks(struct zn_stack *st, const struct zn_flow_hooks *h);

#endif /* ZNET_TCP_H */
