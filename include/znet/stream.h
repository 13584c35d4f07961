/** \file
 * Byte streams: one interface over a TCP connection and over a TLS
 * session riding on one (libznet-tls, znet/tls.h), so that a protocol
 * served over both (HTTP and HTTPS, DNS over TCP and over TLS) is
 * written once, against struct zn_stream.
 *
 * A stream is a small object in the caller's memory holding a table of
 * operations, the callbacks and their argument.  The calls mean what the
 * zn_tcp_* calls of the same name mean (znet/tcp.h), with the same
 * return values and errors; what a TLS stream adds is said in znet/tls.h.
 * One difference: a stream not yet open (TCP connecting, TLS
 * handshaking) reads as empty, ZN_EAGAIN, so that a server can read an
 * accepted stream at once whatever carries it; writes wait for on_open
 * (ZN_ENOTCONN before).
 * The rules of znet/tcp.h hold too: callbacks run from zn_stack_poll(),
 * never from inside a call, and closing the stream in any callback is
 * safe; on_closed is the last callback, and the stream's memory is the
 * caller's again once it has returned.
 *
 *     struct zn_tcp_stream ts;            // lives as long as the conn
 *     zn_tcp_stream_init(&ts, conn, &my_callbacks, my_arg);
 *     serve(&ts.s);                       // protocol code sees a stream
 */
#ifndef ZNET_STREAM_H
#define ZNET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/tcp.h"

struct zn_stream;

struct zn_stream_callbacks {
  /** The stream is open for data: an active TCP open completed, or a
   * TLS handshake did (either side).  A TCP stream made over a
   * connection that is already established is open from the start, and
   * this callback does not come for it. */
  void (*on_open)(struct zn_stream *s, void *arg);
  /** New data, or the end of the stream (read then returns 0), is there. */
  void (*on_readable)(struct zn_stream *s, void *arg);
  /** There is room to write again after a write fell short. */
  void (*on_writable)(struct zn_stream *s, void *arg);
  /** The stream failed (the errors of znet/tcp.h's on_error, or a TLS
   * error, znet/tls.h); no more data moves; zn_stream_close() is still
   * needed. */
  void (*on_error)(struct zn_stream *s, void *arg, int err);
  /** Last callback: the stream is the caller's memory again when it
   * returns. */
  void (*on_closed)(struct zn_stream *s, void *arg);
};

/** What an implementation provides.  Every operation is required. */
struct zn_stream_ops {
  long (*read)(struct zn_stream *s, void *buf, size_t len);
  long (*peek)(struct zn_stream *s, const uint8_t **data);
  int (*consume)(struct zn_stream *s, size_t n);
  long (*write)(struct zn_stream *s, const void *data, size_t len);
  int (*write_ref)(struct zn_stream *s, const void *data, size_t len,
                   zn_tcp_release_fn release, void *arg);
  size_t (*readable)(const struct zn_stream *s);
  size_t (*writable)(const struct zn_stream *s);
  int (*shutdown)(struct zn_stream *s);
  void (*close)(struct zn_stream *s);
  void (*abort)(struct zn_stream *s);
  /** The TCP connection carrying the stream (for zn_tcp_get_info(),
   * options); NULL once it is gone. */
  struct zn_tcp_conn *(*conn)(const struct zn_stream *s);
};

struct zn_stream {
  const struct zn_stream_ops *ops;
  const struct zn_stream_callbacks *cb;
  void *arg;
  /** Set by a stream maker (below) that owns the stream's memory: called
   * once on_closed has returned, to take the memory back.  NULL for a
   * stream in the caller's own memory. */
  void (*on_release)(struct zn_stream *s);
};

/** For implementations: the last event.  on_closed, then the memory goes
 * back to the maker that lent it, if any. */
static inline void zn_stream_emit_closed(struct zn_stream *s) {
  void (*release)(struct zn_stream *) = s->on_release;
  if (s->cb && s->cb->on_closed)
    s->cb->on_closed(s, s->arg);
  if (release)
    release(s);
}

/** Something that makes streams over TCP connections: plain TCP
 * (zn_tcp_stream_pool, below) or TLS sessions (libznet-tls).  A server
 * that can serve over either (the DNS forwarder's DNS over TLS, the HTTP
 * server) is given one and hands it each connection it accepts or opens;
 * the stream's memory is the maker's, lent until on_closed has returned.
 * The maker struct is embedded in the implementation's own. */
struct zn_stream_maker {
  /** A stream over c with the given callbacks, or NULL (no room: the
   * caller aborts c).  c may be established (accepted) or connecting
   * (opened by zn_tcp_connect: on_open follows). */
  struct zn_stream *(*make)(struct zn_stream_maker *m, struct zn_tcp_conn *c,
                            const struct zn_stream_callbacks *cb, void *arg);
};

/** A stream over c from maker m (see struct zn_stream_maker). */
static inline struct zn_stream *
zn_stream_make(struct zn_stream_maker *m, struct zn_tcp_conn *c,
               const struct zn_stream_callbacks *cb, void *arg) {
  return m->make(m, c, cb, arg);
}

/** Replace the callbacks and their argument (both may be NULL: none). */
static inline void zn_stream_set_callbacks(struct zn_stream *s,
                                           const struct zn_stream_callbacks *cb,
                                           void *arg) {
  s->cb = cb;
  s->arg = arg;
}

/** As zn_tcp_read(). */
static inline long zn_stream_read(struct zn_stream *s, void *buf, size_t len) {
  return s->ops->read(s, buf, len);
}

/** As zn_tcp_peek(): a view of the next bytes, valid until
 * zn_stream_consume() or the next zn_stack_poll(). */
static inline long zn_stream_peek(struct zn_stream *s, const uint8_t **data) {
  return s->ops->peek(s, data);
}

/** As zn_tcp_consume(). */
static inline int zn_stream_consume(struct zn_stream *s, size_t n) {
  return s->ops->consume(s, n);
}

/** As zn_tcp_write(). */
static inline long zn_stream_write(struct zn_stream *s, const void *data,
                                   size_t len) {
  return s->ops->write(s, data, len);
}

/** As zn_tcp_write_ref(): data stays unchanged until release(arg). */
static inline int zn_stream_write_ref(struct zn_stream *s, const void *data,
                                      size_t len, zn_tcp_release_fn release,
                                      void *arg) {
  return s->ops->write_ref(s, data, len, release, arg);
}

/** As zn_tcp_readable() and zn_tcp_writable(). */
static inline size_t zn_stream_readable(const struct zn_stream *s) {
  return s->ops->readable(s);
}
static inline size_t zn_stream_writable(const struct zn_stream *s) {
  return s->ops->writable(s);
}

/** As zn_tcp_shutdown(), zn_tcp_close() and zn_tcp_abort(). */
static inline int zn_stream_shutdown(struct zn_stream *s) {
  return s->ops->shutdown(s);
}
static inline void zn_stream_close(struct zn_stream *s) { s->ops->close(s); }
static inline void zn_stream_abort(struct zn_stream *s) { s->ops->abort(s); }

/** The TCP connection under the stream, or NULL once it is gone. */
static inline struct zn_tcp_conn *zn_stream_conn(const struct zn_stream *s) {
  return s->ops->conn(s);
}

/* ---- TCP streams ----------------------------------------------------------
 */

/** A stream over one TCP connection: the zn_tcp_* calls, one to one. */
struct zn_tcp_stream {
  struct zn_stream s; /**< first: a zn_stream * is a zn_tcp_stream * */
  struct zn_tcp_conn *c;
};

/** Make ts a stream over c (connecting or established) with the given
 * callbacks.  It takes c's callbacks and their argument for itself, so
 * c's events arrive as the stream's from now on (c's userdata stays the
 * caller's).  ts must stay in place until on_closed has returned. */
void zn_tcp_stream_init(struct zn_tcp_stream *ts, struct zn_tcp_conn *c,
                        const struct zn_stream_callbacks *cb, void *arg);

/** A maker of plain TCP streams from a fixed number of slots in the
 * caller's memory (for servers given a struct zn_stream_maker: plain
 * TCP where TLS could go). */
struct zn_tcp_stream_slot;
struct zn_tcp_stream_pool {
  struct zn_stream_maker maker; /**< what servers are given */
  struct zn_tcp_stream_slot *slots, *free_list;
  uint32_t n, used;
};

/** Bytes zn_tcp_stream_pool_init() needs for n streams. */
size_t zn_tcp_stream_pool_mem_size(uint32_t n);

/** A pool of n streams in [mem, mem+len).  Errors: ZN_EINVAL (n 0),
 * ZN_ENOMEM (len too small). */
int zn_tcp_stream_pool_init(struct zn_tcp_stream_pool *p, void *mem, size_t len,
                            uint32_t n);

#endif /* ZNET_STREAM_H */
