/*
 * TCP streams (znet/stream.h): the zn_stream operations as the zn_tcp_*
 * calls, and the connection's callbacks passed on as the stream's.
 */
#include "znet/stream.h"

#include <string.h>

#include "znet/err.h"

static struct zn_tcp_stream *ts_of(struct zn_stream *s) {
  return (struct zn_tcp_stream *)s;
}

static const struct zn_tcp_stream *ts_of_const(const struct zn_stream *s) {
  return (const struct zn_tcp_stream *)s;
}

/* A stream reads as empty until it is open (znet/stream.h): a
 * connection still being opened answers ZN_EAGAIN, not ZN_ENOTCONN. */
static long not_yet_open(const struct zn_tcp_stream *ts, long rc) {
  if (rc != ZN_ENOTCONN)
    return rc;
  struct zn_tcp_info info;
  zn_tcp_get_info(ts->c, &info);
  return info.state == ZN_TCP_SYN_SENT || info.state == ZN_TCP_SYN_RECEIVED
             ? ZN_EAGAIN
             : rc;
}

static long ts_read(struct zn_stream *s, void *buf, size_t len) {
  struct zn_tcp_stream *ts = ts_of(s);
  return ts->c ? not_yet_open(ts, zn_tcp_read(ts->c, buf, len)) : ZN_ENOTCONN;
}

static long ts_peek(struct zn_stream *s, const uint8_t **data) {
  struct zn_tcp_stream *ts = ts_of(s);
  return ts->c ? not_yet_open(ts, zn_tcp_peek(ts->c, data)) : ZN_ENOTCONN;
}

static int ts_consume(struct zn_stream *s, size_t n) {
  struct zn_tcp_stream *ts = ts_of(s);
  return ts->c ? zn_tcp_consume(ts->c, n) : ZN_EINVAL;
}

static long ts_write(struct zn_stream *s, const void *data, size_t len) {
  struct zn_tcp_stream *ts = ts_of(s);
  return ts->c ? zn_tcp_write(ts->c, data, len) : ZN_ENOTCONN;
}

static int ts_write_ref(struct zn_stream *s, const void *data, size_t len,
                        zn_tcp_release_fn release, void *arg) {
  struct zn_tcp_stream *ts = ts_of(s);
  return ts->c ? zn_tcp_write_ref(ts->c, data, len, release, arg) : ZN_ENOTCONN;
}

static size_t ts_readable(const struct zn_stream *s) {
  const struct zn_tcp_stream *ts = ts_of_const(s);
  return ts->c ? zn_tcp_readable(ts->c) : 0;
}

static size_t ts_writable(const struct zn_stream *s) {
  const struct zn_tcp_stream *ts = ts_of_const(s);
  return ts->c ? zn_tcp_writable(ts->c) : 0;
}

static int ts_shutdown(struct zn_stream *s) {
  struct zn_tcp_stream *ts = ts_of(s);
  return ts->c ? zn_tcp_shutdown(ts->c) : ZN_ENOTCONN;
}

static void ts_close(struct zn_stream *s) {
  struct zn_tcp_stream *ts = ts_of(s);
  if (ts->c)
    zn_tcp_close(ts->c);
}

static void ts_abort(struct zn_stream *s) {
  struct zn_tcp_stream *ts = ts_of(s);
  if (ts->c)
    zn_tcp_abort(ts->c);
}

static struct zn_tcp_conn *ts_conn(const struct zn_stream *s) {
  return ts_of_const(s)->c;
}

static const struct zn_stream_ops tcp_stream_ops = {
    .read = ts_read,
    .peek = ts_peek,
    .consume = ts_consume,
    .write = ts_write,
    .write_ref = ts_write_ref,
    .readable = ts_readable,
    .writable = ts_writable,
    .shutdown = ts_shutdown,
    .close = ts_close,
    .abort = ts_abort,
    .conn = ts_conn,
};

/* ---- the connection's events, passed on ---- */

static void ts_on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct zn_stream *s = arg;
  if (s->cb && s->cb->on_open)
    s->cb->on_open(s, s->arg);
}

static void ts_on_readable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct zn_stream *s = arg;
  if (s->cb && s->cb->on_readable)
    s->cb->on_readable(s, s->arg);
}

static void ts_on_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct zn_stream *s = arg;
  if (s->cb && s->cb->on_writable)
    s->cb->on_writable(s, s->arg);
}

static void ts_on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct zn_stream *s = arg;
  if (s->cb && s->cb->on_error)
    s->cb->on_error(s, s->arg, err);
}

/* The handle is gone after this: the stream answers ZN_ENOTCONN from now
 * on, should the caller still hold it. */
static void ts_on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct zn_stream *s = arg;
  ts_of(s)->c = NULL;
  zn_stream_emit_closed(s);
}

static const struct zn_tcp_callbacks tcp_stream_callbacks = {
    .on_connected = ts_on_connected,
    .on_readable = ts_on_readable,
    .on_writable = ts_on_writable,
    .on_error = ts_on_error,
    .on_closed = ts_on_closed,
};

void zn_tcp_stream_init(struct zn_tcp_stream *ts, struct zn_tcp_conn *c,
                        const struct zn_stream_callbacks *cb, void *arg) {
  ts->s.ops = &tcp_stream_ops;
  ts->s.cb = cb;
  ts->s.arg = arg;
  ts->s.on_release = NULL;
  ts->c = c;
  zn_tcp_set_callbacks(c, &tcp_stream_callbacks, &ts->s);
}

/* ---- a pool of TCP streams: a stream maker ---- */

struct zn_tcp_stream_slot {
  struct zn_tcp_stream ts; /* first: the stream's address is the slot's */
  struct zn_tcp_stream_pool *pool;
  struct zn_tcp_stream_slot *next_free;
};

static void pool_release(struct zn_stream *s) {
  struct zn_tcp_stream_slot *sl = (struct zn_tcp_stream_slot *)(void *)s;
  struct zn_tcp_stream_pool *p = sl->pool;
  sl->next_free = p->free_list;
  p->free_list = sl;
  p->used--;
}

static struct zn_stream *pool_make(struct zn_stream_maker *m,
                                   struct zn_tcp_conn *c,
                                   const struct zn_stream_callbacks *cb,
                                   void *arg) {
  struct zn_tcp_stream_pool *p = (struct zn_tcp_stream_pool *)(void *)m;
  struct zn_tcp_stream_slot *sl = p->free_list;
  if (sl == NULL)
    return NULL;
  p->free_list = sl->next_free;
  p->used++;
  zn_tcp_stream_init(&sl->ts, c, cb, arg);
  sl->ts.s.on_release = pool_release;
  return &sl->ts.s;
}

size_t zn_tcp_stream_pool_mem_size(uint32_t n) {
  return (size_t)n * sizeof(struct zn_tcp_stream_slot);
}

int zn_tcp_stream_pool_init(struct zn_tcp_stream_pool *p, void *mem, size_t len,
                            uint32_t n) {
  if (n == 0)
    return ZN_EINVAL;
  if (mem == NULL || len < zn_tcp_stream_pool_mem_size(n) ||
      (uintptr_t)mem % _Alignof(struct zn_tcp_stream_slot) != 0)
    return ZN_ENOMEM;
  memset(p, 0, sizeof(*p));
  p->maker.make = pool_make;
  p->slots = mem;
  p->n = n;
  for (uint32_t i = n; i-- > 0;) {
    p->slots[i].pool = p;
    p->slots[i].next_free = p->free_list;
    p->free_list = &p->slots[i];
  }
  return ZN_OK;
}
