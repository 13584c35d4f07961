/*
 * The forwarder's upstream over streams (see znet/dns.h, "DNS over TLS"):
 * persistent connections made by cfg.upstream_stream, each carrying any
 * number of queries back to back (RFC 7766 6.2.1.1, RFC 7858 3.4), the
 * answers matched to the pending queries by ID as over UDP.  Queries
 * come from forward_serve.c; their ends are forward_pending.c's.  No
 * memory of its own: the connection slots and their buffers were cut
 * from the caller's block by zn_dns_forwarder_init.
 */
#include <string.h>

#include "forward_int.h"
#include "znet/err.h"
#include "znet/stack.h"

/* ---- writing queries ---- */

/* Write what waits, in order, as far as the stream takes it.  A failed
 * write is left to the stream's on_error, which always follows. */
static void us_flush(struct fwd_ustream *u) {
  while (u->state == US_OPEN && u->out_off < u->out_len) {
    long w =
        zn_stream_write(u->s, u->out + u->out_off, u->out_len - u->out_off);
    if (w <= 0)
      return; /* ZN_EAGAIN: on_writable; else on_error */
    u->out_off += (size_t)w;
  }
  if (u->out_off == u->out_len)
    u->out_off = u->out_len = 0;
}

/* ---- losing a connection ---- */

/* Every query in flight on u fails now (SERVFAIL to its client), each
 * found by a search of the pending list from its oldest; ending one
 * frees its place on u (forward_pending.c). */
static void us_fail_queries(struct fwd_ustream *u) {
  struct zn_dns_forwarder *fw = u->fw;
  while (u->inflight > 0) {
    struct fwd_pending *p = fw->oldest;
    while (p && p->via != u)
      p = p->next;
    if (p == NULL)
      break;
    fw->s.upstream_stream_failed++;
    zn__fwd_fail_pending(fw, p);
  }
  u->inflight = 0;
}

/* A connection that never opened means the upstream cannot be had that
 * way now: no connection is tried again for a while, 1 s, doubling up to
 * 64 s, until one opens. */
static void us_back_off(struct fwd_ustream *u) {
  struct zn_dns_forwarder *fw = u->fw;
  uint32_t ms =
      fw->us_backoff_ms ? fw->us_backoff_ms * 2 : FWD_US_BACKOFF_MIN_MS;
  if (ms > FWD_US_BACKOFF_MAX_MS)
    ms = FWD_US_BACKOFF_MAX_MS;
  fw->us_backoff_ms = ms;
  fw->us_retry_at = zn_stack_now(fw->st) + ZN_MS(ms);
  fw->s.upstream_stream_open_failed++;
}

/* The connection failed, or the upstream closed it: its queries fail,
 * and the stream is closed (reset if it failed); on_closed frees the
 * slot. */
static void us_lost(struct fwd_ustream *u, bool failed) {
  if (u->state == US_DOWN || u->state == US_CLOSING)
    return;
  if (u->state == US_OPENING)
    us_back_off(u);
  else
    u->fw->s.upstream_stream_lost++;
  u->state = US_CLOSING;
  if (failed)
    zn_stream_abort(u->s);
  else
    zn_stream_close(u->s);
  us_fail_queries(u);
}

/* ---- reading answers ---- */

/* A whole answer in u->dec: checked as a UDP answer is (ID pending and
 * sent on this connection, the same question), cached, relayed. */
static void us_answer(struct fwd_ustream *u) {
  struct zn_dns_forwarder *fw = u->fw;
  struct zn_dns_msg m;
  if (zn_dns_msg_init(&m, u->dec.buf, u->dec.need) != ZN_OK || !zn_dns_qr(&m)) {
    fw->s.upstream_malformed++;
    return;
  }
  uint16_t idx = fw->by_id[zn_dns_id(&m)];
  struct fwd_pending *p = idx ? &fw->pend[idx - 1] : NULL;
  if (p == NULL || p->via != u || !zn__fwd_question_is(&m, p)) {
    fw->s.upstream_mismatch++;
    return;
  }
  if (zn_dns_msg_check(&m) != ZN_OK) {
    fw->s.upstream_malformed++;
    zn__fwd_fail_pending(fw, p);
    return;
  }
  if (!zn_dns_tc(&m))
    zn__fwd_cache_put(fw, p, &m, zn_stack_now(fw->st));
  fw->s.answered++;
  zn__fwd_answer_copy(fw, p, u->dec.buf, u->dec.need);
  zn__fwd_pending_done(fw, p);
}

/* Answers off the stream, any number back to back.  Each whole one is
 * consumed before it is acted on, so the view is never used after
 * relaying an answer has run other code. */
static void us_read(struct fwd_ustream *u) {
  while (u->state == US_OPEN) {
    const uint8_t *d;
    long n = zn_stream_peek(u->s, &d);
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) {
      us_lost(u, n < 0); /* 0: the upstream closed it */
      return;
    }
    size_t used;
    int rc = zn_dns_tcp_decode(&u->dec, d, (size_t)n, &used);
    (void)zn_stream_consume(u->s, used); /* used <= what peek showed */
    if (rc < 0) {
      u->fw->s.upstream_malformed++; /* the framing cannot be trusted */
      us_lost(u, true);
      return;
    }
    if (rc == 1)
      us_answer(u);
  }
}

/* ---- the stream's events ---- */

static void us_on_open(struct zn_stream *s, void *arg) {
  (void)s;
  struct fwd_ustream *u = arg;
  if (u->state != US_OPENING)
    return;
  u->state = US_OPEN;
  u->fw->us_backoff_ms = 0;
  u->fw->s.upstream_stream_opens++;
  us_flush(u);
  us_read(u);
}

static void us_on_readable(struct zn_stream *s, void *arg) {
  (void)s;
  us_read(arg);
}

static void us_on_writable(struct zn_stream *s, void *arg) {
  (void)s;
  us_flush(arg);
}

static void us_on_error(struct zn_stream *s, void *arg, int err) {
  (void)s;
  (void)err;
  us_lost(arg, true);
}

static void us_on_closed(struct zn_stream *s, void *arg) {
  (void)s;
  struct fwd_ustream *u = arg;
  if (u->state != US_CLOSING)
    us_lost(u, true); /* closed under us: fail what is in flight */
  u->s = NULL;
  u->state = US_DOWN;
  u->out_off = u->out_len = 0;
  zn_dns_tcp_decoder_init(&u->dec, u->dec.buf, ZN_DNS_MSG_MAX);
}

static const struct zn_stream_callbacks ustream_cbs = {
    .on_open = us_on_open,
    .on_readable = us_on_readable,
    .on_writable = us_on_writable,
    .on_error = us_on_error,
    .on_closed = us_on_closed,
};

/* ---- choosing a connection ---- */

/* Open u: a TCP connection to the upstream, made into a stream (the TLS
 * handshake, with a TLS maker).  A connection the stack refuses backs
 * off like one that fails; a maker out of room does not (the next query
 * may find room). */
static bool us_open(struct fwd_ustream *u) {
  struct zn_dns_forwarder *fw = u->fw;
  struct zn_tcp_conn *c;
  if (zn_tcp_connect(fw->st, &fw->up_addr, fw->up_port, NULL, NULL, &c) !=
      ZN_OK) {
    us_back_off(u);
    return false;
  }
  u->s = zn_stream_make(fw->cfg.upstream_stream, c, &ustream_cbs, u);
  if (u->s == NULL) {
    zn_tcp_abort(c);
    return false;
  }
  u->state = US_OPENING;
  u->inflight = 0;
  u->out_off = u->out_len = 0;
  zn_dns_tcp_decoder_init(&u->dec, u->dec.buf, ZN_DNS_MSG_MAX);
  return true;
}

static bool us_has_room(const struct fwd_ustream *u, size_t need) {
  return (u->state == US_OPEN || u->state == US_OPENING) &&
         u->inflight < FWD_US_PIPELINE_MAX &&
         FWD_US_OUT_MAX - (u->out_len - u->out_off) >= need;
}

/* The open connection with the fewest queries in flight, else one being
 * opened, else a new one (where no back-off forbids it); NULL if none
 * can take need more bytes. */
static struct fwd_ustream *us_choose(struct zn_dns_forwarder *fw, size_t need) {
  struct fwd_ustream *best = NULL;
  for (uint32_t i = 0; i < fw->cfg.upstream_streams; i++) {
    struct fwd_ustream *u = &fw->us[i];
    if (!us_has_room(u, need))
      continue;
    if (best == NULL || (u->state == US_OPEN && best->state != US_OPEN) ||
        (u->state == best->state && u->inflight < best->inflight))
      best = u;
  }
  if (best)
    return best;
  if (zn_stack_now(fw->st) < fw->us_retry_at)
    return NULL; /* backing off */
  for (uint32_t i = 0; i < fw->cfg.upstream_streams; i++) {
    struct fwd_ustream *u = &fw->us[i];
    if (u->state == US_DOWN)
      return us_open(u) ? u : NULL;
  }
  return NULL;
}

/* Step 4 over a stream: query msg[0..len) (whose ID becomes p's new_id)
 * queued on a connection, written as far as it goes.  False if no
 * connection can take it (the caller applies the strict or opportunistic
 * rule). */
bool zn__fwd_stream_send(struct zn_dns_forwarder *fw, struct fwd_pending *p,
                         const uint8_t *msg, size_t len) {
  struct fwd_ustream *u = us_choose(fw, len + 2);
  if (u == NULL)
    return false;
  if (u->out_off > 0 && FWD_US_OUT_MAX - u->out_len < len + 2) {
    memmove(u->out, u->out + u->out_off, u->out_len - u->out_off);
    u->out_len -= u->out_off;
    u->out_off = 0;
  }
  uint8_t *q = u->out + u->out_len;
  (void)zn_dns_tcp_encode_len(len, q); /* 12..ZN_DNS_MSG_MAX */
  memcpy(q + 2, msg, len);
  zn_wr16(q + 2, p->new_id);
  u->out_len += len + 2;
  u->inflight++;
  p->via = u;
  fw->s.upstream_stream_queries++;
  us_flush(u);
  return true;
}

/* At the end: reset the connections.  Their events no longer come here
 * (the memory is the caller's once stop returns); a maker still gets its
 * streams back when the stack reaps them. */
void zn__fwd_stream_stop(struct zn_dns_forwarder *fw) {
  if (fw->us == NULL)
    return;
  for (uint32_t i = 0; i < fw->cfg.upstream_streams; i++) {
    struct fwd_ustream *u = &fw->us[i];
    if (u->s) {
      zn_stream_set_callbacks(u->s, NULL, NULL);
      zn_stream_abort(u->s);
    }
    u->s = NULL;
    u->state = US_DOWN;
  }
}
