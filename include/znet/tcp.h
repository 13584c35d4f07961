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
 * | `0.0.0.0`                     | any of our IPv4 addresses only   |
 * | one of our addresses          | that address only                |
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
 * and arg unless zn_tcp_set_callbacks() changes them.  Errors:
 * ZN_EADDRINUSE (a listener or connection on the port whose address
 * overlaps), ZN_EADDRNOTAVAIL (addr is not ours), ZN_ENOMEM (table full),
 * ZN_EINVAL (port 0, unknown family). */
int zn_tcp_listen(struct zn_stack *st, const struct zn_ip *addr,
                  uint16_t port, uint32_t backlog,
                  const struct zn_tcp_callbacks *cb, void *arg,
                  struct zn_tcp_conn **out);

/** Take the oldest established connection from the accept queue.
 * Errors: ZN_EAGAIN (none), ZN_EINVAL (not a listener). */
int zn_tcp_accept(struct zn_tcp_conn *listener, struct zn_tcp_conn **out);

/** Open a connection to addr:port (either family; an IPv4-mapped IPv6
 * address is taken as the IPv4 address it maps) from an ephemeral port
 * (RFC 6056) and a source address of the same family.  on_connected or
 * on_error follows.  Errors: ZN_ENOMEM, ZN_EADDRNOTAVAIL (no address of
 * addr's family configured), ZN_EHOSTUNREACH (no route), ZN_EINVAL (NULL,
 * unspecified or no family, port 0). */
int zn_tcp_connect(struct zn_stack *st, const struct zn_ip *addr,
                   uint16_t port, const struct zn_tcp_callbacks *cb,
                   void *arg, struct zn_tcp_conn **out);

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

/** Release n bytes from the front of what zn_tcp_peek() showed (n no more
 * than is readable).  Errors: ZN_EINVAL. */
int zn_tcp_consume(struct zn_tcp_conn *c, size_t n);

/** Bytes ready to read, and free space in the send buffer. */
size_t zn_tcp_readable(const struct zn_tcp_conn *c);
size_t zn_tcp_writable(const struct zn_tcp_conn *c);

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

/** Options. */
void zn_tcp_set_nodelay(struct zn_tcp_conn *c, bool on);
/** Keepalive probes after idle_ms without traffic, every intvl_ms, count
 * probes; 0 idle_ms turns it off. */
void zn_tcp_set_keepalive(struct zn_tcp_conn *c, uint32_t idle_ms,
                          uint32_t intvl_ms, uint32_t count);

enum zn_tcp_cc_algo { ZN_TCP_CC_CUBIC = 0, ZN_TCP_CC_NEWRENO = 1 };

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
/** Before any data is sent. Errors: ZN_EINVAL. */
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
};

void zn_tcp_get_info(const struct zn_tcp_conn *c, struct zn_tcp_info *info);

#endif /* ZNET_TCP_H */
