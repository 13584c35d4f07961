/*
 * The HTTP/1.1 server's connections (znet/http.h, "The server"; RFC 9112
 * §9: persistence, pipelining, closing): slots from the caller's memory,
 * two listeners (plain TCP, and streams from a maker: TLS), the
 * connection's states and its one timer, reading requests off the stream
 * and handing the responses back to it.  What a request is answered with
 * is http_respond.c's.
 *
 * Design.  Each connection is a small slot: its stream (for a plain
 * connection a zn_tcp_stream inside the slot), its timer and its
 * counters; all an idle connection costs.  What only a request in flight
 * needs (the head buffer, a response head not yet taken, the records of
 * bodies sent by reference) is a request context from a pool of
 * cfg.busy_max: taken when a request's first byte arrives, given back
 * when the connection is idle again with no reference out.  A connection
 * whose bytes find no context free is not read (the TCP window closes
 * behind it) and waits in line; contexts go to the line in order.
 *
 * Requests are read only while no response waits to be taken by the
 * stream, so a pipelining client is read as fast as its answers leave
 * and no faster.  Every byte is consumed from the stream as soon as the
 * parser has copied it, so a connection never holds the stack's frame
 * buffers across polls, but while it waits for a context.
 *
 * Under load the server closes what makes the least progress, never the
 * newcomer first: a new connection finding every slot busy closes the
 * oldest idle one (keep-alive, a TLS handshake, a lingering close), else
 * the slowest busy one; a waiter finding every context taken has the
 * slowest holder closed.  Slowest is the fewest request bytes read and
 * response bytes acknowledged per second since its request started (or
 * since it began to wait), judged only after cfg.grace_ms: a connection
 * younger than that is not closed for another (a burst of newcomers
 * waits instead of destroying one another's requests).
 *
 * A slot is given back as soon as the connection is closed (the stream
 * then finishes closing on its own: callbacks cleared, the TCP FIN
 * exchange or TLS close_notify are the stack's and the maker's), unless
 * bodies it sent by reference are still out: their release records live
 * in its context, so both wait for them (HC_CLOSING).
 */
#include <string.h>

#include "http_server_int.h"
#include "znet/err.h"
#include "znet/stack.h"

#define MEM_ALIGN 16u
/* Candidates looked at per eviction (slots, or contexts), from where the
 * last scan stopped: the choice is exact up to this many, and the work
 * per call bounded beyond. */
#define HS_EVICT_SCAN 512u
/* Waiters handed a context per call; the rest at the next kick. */
#define HS_SERVE_MAX 64u
/* HC_MAKING: the maker is asked every ms, another connection closed
 * for a stream every HS_MAKE_EVICT_EVERY tries (a newcomer took the one
 * freed), and the connection refused after HS_MAKE_TRIES. */
#define HS_MAKE_TRIES 40u
#define HS_MAKE_EVICT_EVERY 8u
/* No progress is counted before the response waits on the client. */
#define NO_ACKED UINT64_MAX

static size_t round_up(size_t n) {
  return (n + MEM_ALIGN - 1) / MEM_ALIGN * MEM_ALIGN;
}

/* One size for a write: a whole body that may be larger than size_t. */
static size_t clamp_size(uint64_t n) {
  return n > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)n;
}

static uint64_t now_ns(const struct zn_http_server *srv) {
  return zn_stack_now(srv->st);
}

/* ---- the lists ----
 *
 * A slot is on at most one list, through prev and next: the free slots,
 * the idle ones (oldest first: a newcomer finding every slot busy closes
 * the head), the waiters for a context (first come, first served). */

static void list_remove(struct http_conn *hc) {
  struct zn_http_server *srv = hc->srv;
  enum hc_list l = (enum hc_list)hc->list;
  if (l == HL_NONE)
    return;
  if (hc->prev)
    hc->prev->next = hc->next;
  else
    srv->head[l] = hc->next;
  if (hc->next)
    hc->next->prev = hc->prev;
  else
    srv->tail[l] = hc->prev;
  hc->prev = hc->next = NULL;
  hc->list = HL_NONE;
}

static void list_add(struct http_conn *hc, enum hc_list l) {
  struct zn_http_server *srv = hc->srv;
  list_remove(hc);
  hc->prev = srv->tail[l];
  hc->next = NULL;
  if (srv->tail[l])
    srv->tail[l]->next = hc;
  else
    srv->head[l] = hc;
  srv->tail[l] = hc;
  hc->list = (uint8_t)l;
}

/* Idle: waiting for a request (HC_IDLE), for a TLS handshake
 * (HC_OPENING) or for the client to close (HC_LINGER), with no body out
 * by reference. */
static bool idle(const struct http_conn *hc) {
  return (hc->state == HC_IDLE || hc->state == HC_OPENING ||
          hc->state == HC_LINGER) &&
         hc->refs_out == 0;
}

/* On the idle list if idle, at its tail when it becomes so. */
static void idle_update(struct http_conn *hc) {
  if (!idle(hc)) {
    if (hc->list == HL_IDLE)
      list_remove(hc);
    return;
  }
  if (hc->list != HL_IDLE)
    list_add(hc, HL_IDLE);
}

/* ---- the timer ---- */

static void arm(struct http_conn *hc, enum hc_timer role, uint32_t ms) {
  hc->trole = (uint8_t)role;
  zn_timer_start_in(hc->srv->st, &hc->timer, ZN_MS(ms));
}

static void disarm(struct http_conn *hc) {
  hc->trole = HT_NONE;
  zn_timer_stop(hc->srv->st, &hc->timer);
}

/* ---- progress ---- */

static uint64_t tcp_acked(const struct http_conn *hc) {
  struct zn_tcp_conn *c = hc->s ? zn_stream_conn(hc->s) : NULL;
  if (c == NULL)
    return 0;
  struct zn_tcp_info ti;
  zn_tcp_get_info(c, &ti);
  return ti.bytes_acked;
}

/* Whether responses the stream took are still unread: sent and not
 * acknowledged, or queued.  Closing such a connection with a FIN would
 * leave the FIN, and the stack's buffers, behind them for as long as
 * the client takes to read: it is reset instead. */
static bool responses_unread(const struct http_conn *hc) {
  struct zn_tcp_conn *c = hc->s ? zn_stream_conn(hc->s) : NULL;
  if (c == NULL)
    return false;
  struct zn_tcp_info ti;
  zn_tcp_get_info(c, &ti);
  return ti.unacked > 0 || ti.queued > 0;
}

/* A request starts (or a wait for a context): progress counts from now. */
static void prog_start(struct http_conn *hc) {
  hc->prog_t0 = now_ns(hc->srv);
  hc->prog_in = 0;
  hc->prog_acked0 = NO_ACKED;
}

static void prog_read(struct http_conn *hc, size_t n) {
  hc->prog_in =
      n > UINT32_MAX - hc->prog_in ? UINT32_MAX : hc->prog_in + (uint32_t)n;
}

/* From now on what the client acknowledges is progress too. */
static void prog_watch_acks(struct http_conn *hc, uint64_t acked) {
  if (hc->prog_acked0 == NO_ACKED)
    hc->prog_acked0 = acked;
}

/* Bytes of progress per second since prog_t0, as *rate; false if that
 * is younger than grace_ms (not judged yet). */
static bool prog_rate(const struct http_conn *hc, uint64_t now,
                      uint64_t *rate) {
  uint64_t age = now > hc->prog_t0 ? now - hc->prog_t0 : 0;
  if (age < ZN_MS(hc->srv->cfg.grace_ms))
    return false;
  uint64_t bytes = hc->prog_in;
  if (hc->prog_acked0 != NO_ACKED) {
    uint64_t a = tcp_acked(hc);
    bytes += a > hc->prog_acked0 ? a - hc->prog_acked0 : 0;
  }
  if (bytes > (UINT64_C(1) << 40))
    bytes = UINT64_C(1) << 40; /* bytes * 1000 below cannot wrap */
  uint64_t ms = age / ZN_MS(1);
  *rate = bytes * 1000u / (ms ? ms : 1);
  return true;
}

/* Whether a (rate ra, started ta) is a worse choice to keep than the
 * best candidate so far: slower, or as slow and older. */
static bool slower(uint64_t ra, uint64_t ta, uint64_t rb, uint64_t tb) {
  return ra < rb || (ra == rb && ta < tb);
}

/* ---- kicks ---- */

/* Pump hc at the next timer run (in the current poll when called from
 * its input), not now: the kick is armed for a time gone by, which fires
 * once the poll's frames are done (znet/timer.h); armed for the next tick
 * it waited up to 1 ms. */
static void kick_later(struct http_conn *hc) {
  struct zn_http_server *srv = hc->srv;
  if (hc->kicked)
    return;
  hc->kicked = true;
  hc->kick_next = srv->kick_list;
  srv->kick_list = hc;
  if (!zn_timer_pending(&srv->kick))
    zn_timer_start(srv->st, &srv->kick, 0);
}

/* ---- request contexts ---- */

static struct hs_ctx *ctx_take_free(struct zn_http_server *srv) {
  struct hs_ctx *ctx = srv->free_ctx;
  if (ctx == NULL)
    return NULL;
  srv->free_ctx = ctx->next;
  srv->ctx_free_n--;
  uint32_t used = srv->cfg.busy_max - srv->ctx_free_n;
  if (used > srv->s.ctx_max)
    srv->s.ctx_max = used;
  return ctx;
}

static void ctx_bind(struct http_conn *hc, struct hs_ctx *ctx) {
  ctx->hc = hc;
  ctx->next = NULL;
  zn_http_head_reset(&ctx->head);
  memset(&ctx->pend, 0, sizeof(ctx->pend));
  hc->ctx = ctx;
}

/* Back to the pool; the waiters are served at the next kick (not here:
 * this may be inside an ACK's processing, or an eviction). */
static void ctx_put(struct zn_http_server *srv, struct hs_ctx *ctx) {
  ctx->hc = NULL;
  ctx->next = srv->free_ctx;
  srv->free_ctx = ctx;
  srv->ctx_free_n++;
  if (srv->head[HL_WAIT] != NULL) {
    srv->serve_due = true;
    if (!zn_timer_pending(&srv->kick))
      zn_timer_start(srv->st, &srv->kick, 0);
  }
}

static void ctx_release(struct http_conn *hc) {
  struct hs_ctx *ctx = hc->ctx;
  if (ctx == NULL)
    return;
  hc->ctx = NULL;
  ctx_put(hc->srv, ctx);
}

/* The context goes back once no request is in flight (between requests,
 * dropping a body, lingering) and no body by reference is out. */
static void ctx_done(struct http_conn *hc) {
  if (hc->ctx != NULL && hc->refs_out == 0 &&
      (hc->state == HC_IDLE || hc->state == HC_BODY || hc->state == HC_LINGER))
    ctx_release(hc);
}

/* ---- slots ---- */

static void slot_free(struct http_conn *hc) {
  struct zn_http_server *srv = hc->srv;
  disarm(hc);
  ctx_release(hc);
  hc->state = HC_FREE;
  hc->s = NULL;
  list_add(hc, HL_FREE);
  srv->nopen--;
}

/* The stream finishes closing without us: no callback reaches the slot
 * again, so it can serve another connection at once. */
static void detach(struct http_conn *hc) {
  if (hc->s) {
    zn_stream_set_callbacks(hc->s, NULL, NULL);
    if (hc->plain && hc->ts.c)
      zn_tcp_set_callbacks(hc->ts.c, NULL, NULL);
  }
  slot_free(hc);
}

static void pend_release(struct http_conn *hc) {
  if (hc->ctx == NULL)
    return;
  struct hc_pending *p = &hc->ctx->pend;
  if (p->held && p->file.release)
    p->file.release(p->file.ref);
  p->held = false;
  p->out_off = p->out_len = 0;
  p->body_len = 0;
}

/* An HC_MAKING connection let go of: its TCP connection, still ours
 * alone (no stream yet), is reset. */
static void making_drop(struct http_conn *hc) {
  struct zn_tcp_conn *c = hc->ts.c;
  hc->ts.c = NULL;
  if (c != NULL) {
    zn_tcp_set_callbacks(c, NULL, NULL);
    zn_tcp_abort(c);
  }
  slot_free(hc);
}

/* The end of a connection, by us: a close (FIN after what is queued; for
 * TLS close_notify first) or a reset.  The slot is free when this
 * returns, unless references are out (HC_CLOSING until they come back,
 * at most send_timeout_ms, then a reset). */
static void conn_end(struct http_conn *hc, bool reset) {
  struct zn_http_server *srv = hc->srv;
  if (hc->state == HC_FREE || hc->state == HC_CLOSING)
    return;
  if (hc->state == HC_MAKING) {
    HS_COUNT(srv, conns_closed);
    making_drop(hc);
    return;
  }
  list_remove(hc);
  hc->state = HC_CLOSING;
  hc->ending = true;
  disarm(hc);
  pend_release(hc);
  HS_COUNT(srv, conns_closed);
  if (reset)
    zn_stream_abort(hc->s); /* releases every reference now */
  else
    zn_stream_close(hc->s);
  hc->ending = false;
  if (hc->refs_out == 0)
    detach(hc);
  else
    arm(hc, HT_CLOSE, srv->cfg.send_timeout_ms);
}

/* HT_CLOSE: the references did not come back in time; a reset releases
 * them (TCP and TLS both do so inside the abort). */
static void closing_give_up(struct http_conn *hc) {
  hc->ending = true;
  zn_stream_abort(hc->s);
  hc->ending = false;
  if (hc->refs_out == 0)
    detach(hc);
  else
    arm(hc, HT_CLOSE, hc->srv->cfg.send_timeout_ms);
}

/* ---- evicting the slowest ---- */

/* Busy, and judged by its progress: reading a request (or waiting to),
 * dropping a body, or with a response the client has not taken. */
static bool judgeable(const struct http_conn *hc) {
  switch ((enum hc_state)hc->state) {
  case HC_WAIT:
  case HC_HEAD:
  case HC_BODY:
  case HC_SEND:
    return true;
  case HC_IDLE:
  case HC_LINGER:
    return hc->refs_out > 0;
  default:
    return false;
  }
}

/* Close hc for another, counted by what it was slow at; a reset, so that
 * the stack's memory it held comes back at once. */
static void evict(struct http_conn *hc) {
  struct zn_http_server *srv = hc->srv;
  switch ((enum hc_state)hc->state) {
  case HC_WAIT:
  case HC_HEAD:
    HS_COUNT(srv, conns_evicted_slow_head);
    break;
  case HC_BODY:
    HS_COUNT(srv, conns_evicted_slow_body);
    break;
  default:
    HS_COUNT(srv, conns_evicted_slow_read);
    break;
  }
  conn_end(hc, true);
}

/* Candidates a scan of n looks at. */
static uint32_t scan_len(uint32_t n) {
  return n < HS_EVICT_SCAN ? n : HS_EVICT_SCAN;
}

/* The next index of a scan over n, from *cur, which moves on. */
static uint32_t scan_next(uint32_t *cur, uint32_t n) {
  uint32_t i = *cur;
  *cur = i + 1 < n ? i + 1 : 0;
  return i;
}

/* The slowest judged connection (of the stream port only, if
 * stream_only) among the next HS_EVICT_SCAN slots, or NULL. */
static struct http_conn *slowest_conn(struct zn_http_server *srv, uint64_t now,
                                      bool stream_only) {
  uint32_t n = srv->cfg.max_conns;
  struct http_conn *best = NULL;
  uint64_t best_rate = 0;
  for (uint32_t i = scan_len(n); i > 0; i--) {
    struct http_conn *hc = &srv->conns[scan_next(&srv->scan_conn, n)];
    uint64_t rate;
    if (!judgeable(hc) || (stream_only && hc->plain) ||
        !prog_rate(hc, now, &rate))
      continue;
    if (best == NULL || slower(rate, hc->prog_t0, best_rate, best->prog_t0)) {
      best = hc;
      best_rate = rate;
    }
  }
  return best;
}

/* The slowest judged holder of a context among the next HS_EVICT_SCAN
 * contexts, or NULL; *next: the earliest time (ns) one of those not
 * judged yet will be. */
static struct http_conn *slowest_holder(struct zn_http_server *srv,
                                        uint64_t now, uint64_t *next) {
  uint32_t n = srv->cfg.busy_max;
  uint64_t grace = ZN_MS(srv->cfg.grace_ms);
  struct http_conn *best = NULL;
  uint64_t best_rate = 0;
  for (uint32_t i = scan_len(n); i > 0; i--) {
    struct http_conn *hc = srv->ctxs[scan_next(&srv->scan_ctx, n)].hc;
    uint64_t rate;
    if (hc == NULL || !judgeable(hc))
      continue;
    if (!prog_rate(hc, now, &rate)) {
      if (hc->prog_t0 + grace < *next)
        *next = hc->prog_t0 + grace;
      continue;
    }
    if (best == NULL || slower(rate, hc->prog_t0, best_rate, best->prog_t0)) {
      best = hc;
      best_rate = rate;
    }
  }
  return best;
}

/* ---- waiting for a context ---- */

/* A context for the first waiter: a free one, else the slowest judged
 * holder's (closed now); NULL if none.  *next as slowest_holder's. */
static struct hs_ctx *ctx_for_waiter(struct zn_http_server *srv, uint64_t now,
                                     uint64_t *next) {
  struct hs_ctx *ctx = ctx_take_free(srv);
  if (ctx != NULL)
    return ctx;
  struct http_conn *v = slowest_holder(srv, now, next);
  if (v == NULL)
    return NULL;
  evict(v);
  return ctx_take_free(srv); /* NULL if its references are still out */
}

/* Hand contexts to the waiters in order (caller, if one of them, is not
 * kicked: it reads on).  What cannot be served now is tried again when a
 * context comes back (ctx_put), or when a holder can be judged. */
static void serve_waiters(struct zn_http_server *srv,
                          const struct http_conn *caller) {
  uint64_t now = now_ns(srv);
  uint64_t next = now + ZN_MS(srv->cfg.grace_ms);
  srv->serve_due = false;
  for (uint32_t n = 0; srv->head[HL_WAIT] != NULL; n++) {
    if (n == HS_SERVE_MAX) {
      next = now; /* the rest at once, in another call */
      break;
    }
    struct hs_ctx *ctx = ctx_for_waiter(srv, now, &next);
    if (ctx == NULL)
      break;
    struct http_conn *w = srv->head[HL_WAIT];
    list_remove(w);
    ctx_bind(w, ctx);
    if (w != caller)
      kick_later(w);
  }
  if (srv->head[HL_WAIT] != NULL)
    zn_timer_start(srv->st, &srv->retry, next);
}

/* A request's first bytes are here: in line for a context. */
static void enter_wait(struct http_conn *hc) {
  hc->state = HC_WAIT;
  list_add(hc, HL_WAIT);
  if (hc->trole != HT_HEADER) /* its head is timed from its first byte */
    arm(hc, HT_HEADER, hc->srv->cfg.header_timeout_ms);
  prog_start(hc);
}

/* Whether hc has a context to read its request into; if not, it waits
 * in line (and is pumped when it has one). */
static bool ctx_need(struct http_conn *hc) {
  if (hc->ctx != NULL)
    return true;
  if (hc->state == HC_WAIT)
    return false; /* served in its turn */
  enter_wait(hc);
  serve_waiters(hc->srv, hc);
  if (hc->ctx == NULL)
    HS_COUNT(hc->srv, busy_waits);
  return hc->ctx != NULL;
}

static void retry_fired(struct zn_stack *st, struct zn_timer *t) {
  (void)st;
  serve_waiters(ZN_CONTAINER_OF(t, struct zn_http_server, retry), NULL);
}

/* ---- bodies by reference ---- */

/* A body by reference is the stream's no more.  TCP calls this while it
 * processes the ACK that covered it (TLS from its own delivery, or inside
 * an abort): nothing here may write to the stream; a response waiting for
 * the reference is pumped a moment later (kick_later). */
static void ref_released(void *arg) {
  struct hc_ref *r = arg;
  struct http_conn *hc = r->hc;
  struct hs_ctx *ctx = hc->ctx; /* kept while references are out */
  if (r->release)
    r->release(r->ref);
  r->release = NULL;
  r->next_free = ctx->free_refs;
  ctx->free_refs = r;
  hc->refs_out--;
  if (hc->ending)
    return; /* conn_end looks at refs_out itself */
  if (hc->state == HC_CLOSING) {
    if (hc->refs_out == 0)
      detach(hc);
    return;
  }
  idle_update(hc);
  if (hc->state == HC_SEND)
    kick_later(hc); /* it may have waited for a reference */
  else if (!hc->in_pump)
    ctx_done(hc);
}

/* ---- states ---- */

static void begin_linger(struct http_conn *hc) {
  int rc = zn_stream_shutdown(hc->s);
  if (rc != ZN_OK) {
    conn_end(hc, false);
    return;
  }
  hc->state = HC_LINGER;
  arm(hc, HT_LINGER, hc->srv->cfg.linger_ms);
  idle_update(hc);
}

/* The response is the stream's: the next request (its body first, if
 * one is to be dropped), or the lingering close. */
static void response_done(struct http_conn *hc) {
  bool close_after = hc->ctx->pend.close_after;
  pend_release(hc);
  if (close_after) {
    begin_linger(hc);
    return;
  }
  if (hc->discard_left > 0) {
    hc->state = HC_BODY; /* the body is part of the request: in time */
    arm(hc, HT_HEADER, hc->srv->cfg.header_timeout_ms);
    return;
  }
  hc->state = HC_IDLE;
  arm(hc, HT_IDLE, hc->srv->cfg.idle_timeout_ms);
  idle_update(hc);
}

/* A request's first byte, and a context for it: its head must be
 * complete in time, from its first byte (the first request's clock
 * started with the connection, a waiter's when it began to wait). */
static void begin_head(struct http_conn *hc) {
  hc->state = HC_HEAD;
  list_remove(hc);
  if (hc->trole != HT_HEADER)
    arm(hc, HT_HEADER, hc->srv->cfg.header_timeout_ms);
  prog_start(hc);
}

/* ---- handing responses to the stream ---- */

/* A body by reference, handed to the stream with a release record.
 * True if the stream took it; false while it waits (a record, room), or
 * if the connection ended. */
static bool write_body_ref(struct http_conn *hc) {
  struct hs_ctx *ctx = hc->ctx;
  struct hc_pending *p = &ctx->pend;
  struct hc_ref *r = ctx->free_refs;
  if (r == NULL || hc->refs_out >= hc->srv->cfg.pipeline_max)
    return false; /* ref_released resumes */
  int rc =
      zn_stream_write_ref(hc->s, p->body, (size_t)p->body_len, ref_released, r);
  if (rc == ZN_EAGAIN)
    return false;
  if (rc != ZN_OK) {
    conn_end(hc, true);
    return false;
  }
  /* The pending hold goes with the reference. */
  ctx->free_refs = r->next_free;
  r->hc = hc;
  r->release = p->held ? p->file.release : NULL;
  r->ref = p->file.ref;
  p->held = false;
  p->body_len = 0;
  hc->refs_out++;
  prog_watch_acks(hc, tcp_acked(hc)); /* the client must take it now */
  return true;
}

/* Write what waits of the response.  True once all of it is the
 * stream's; false while it waits (on_writable, a reference released),
 * or if the connection ended. */
static bool flush_response(struct http_conn *hc) {
  struct hc_pending *p = &hc->ctx->pend;
  while (p->out_off < p->out_len) {
    long w = zn_stream_write(hc->s, hc->ctx->out + p->out_off,
                             p->out_len - p->out_off);
    if (w == ZN_EAGAIN)
      return false;
    if (w < 0) {
      conn_end(hc, true);
      return false;
    }
    p->out_off += (uint32_t)w;
  }
  while (p->body_len > 0 && p->body_copy) {
    long w = zn_stream_write(hc->s, p->body, clamp_size(p->body_len));
    if (w == ZN_EAGAIN)
      return false;
    if (w < 0) {
      conn_end(hc, true);
      return false;
    }
    p->body += (size_t)w;
    p->body_len -= (uint64_t)w;
  }
  if (p->body_len > 0 && !write_body_ref(hc))
    return false;
  response_done(hc);
  return true;
}

/* The first try at a response: head and a copied body in one write from
 * the scratch buffer (one segment, one TLS record); what the stream does
 * not take now waits in the context (the head) or stays the file's (the
 * body, held). */
static int send_first(struct http_conn *hc, size_t head_len, bool copy,
                      uint64_t *body_taken) {
  struct zn_http_server *srv = hc->srv;
  struct hc_pending *p = &hc->ctx->pend;
  size_t total = head_len;
  if (copy) {
    memcpy(srv->scratch + head_len, p->body, clamp_size(p->body_len));
    total += clamp_size(p->body_len);
  }
  long w = zn_stream_write(hc->s, srv->scratch, total);
  *body_taken = 0;
  if (w < 0 && w != ZN_EAGAIN)
    return (int)w;
  size_t taken = w > 0 ? (size_t)w : 0;
  if (taken < head_len) {
    memcpy(hc->ctx->out, srv->scratch + taken, head_len - taken);
    p->out_len = (uint32_t)(head_len - taken);
  } else {
    *body_taken = taken - head_len;
  }
  return ZN_OK;
}

/* A response waits for the client: the send timer runs, and what the
 * client acknowledges from now on is progress. */
static void wait_on_client(struct http_conn *hc) {
  struct zn_http_server *srv = hc->srv;
  HS_COUNT(srv, pipelined_waits);
  if (hc->trole == HT_SEND)
    return;
  hc->acked_seen = tcp_acked(hc);
  prog_watch_acks(hc, hc->acked_seen);
  arm(hc, HT_SEND, srv->cfg.send_timeout_ms);
}

/* Hand response r to the stream.  What the stream does not take now
 * waits in the context's pend (the file held if it has a hold). */
static void send_response(struct http_conn *hc, const struct hs_response *r) {
  struct zn_http_server *srv = hc->srv;
  struct hc_pending *p = &hc->ctx->pend;
  size_t head_len = r->head_len;
  uint64_t body_len = r->body_len;
  memset(p, 0, sizeof(*p));
  p->close_after = r->close_after;
  p->body = r->body;
  p->body_len = body_len;
  p->body_copy = body_len <= srv->cfg.copy_max;
  if (r->has_file)
    p->file = r->file;
  srv->s.v[ZN_HTTP_SRV_bytes_out_head] += head_len;
  srv->s.v[ZN_HTTP_SRV_bytes_out_body] += body_len;
  if (body_len > 0 && p->body_copy)
    HS_COUNT(srv, bodies_copied);
  else if (body_len > 0)
    HS_COUNT(srv, bodies_by_ref);
  uint64_t taken = 0;
  if (send_first(hc, head_len, p->body_copy && body_len > 0, &taken) != ZN_OK) {
    HS_COUNT(srv, conns_failed);
    conn_end(hc, true);
    return;
  }
  if (taken > 0) {
    p->body += clamp_size(taken);
    p->body_len -= taken;
  }
  if (p->body_len > 0 && p->file.hold) {
    p->file.hold(p->file.ref);
    p->held = true;
  }
  hc->state = HC_SEND;
  if (!flush_response(hc) && hc->state == HC_SEND)
    wait_on_client(hc);
}

/* ---- reading requests ---- */

/* Feed bytes to the parser; act on a whole head or an error.  Returns
 * the bytes taken. */
static size_t take_head_bytes(struct http_conn *hc, const uint8_t *p, size_t n,
                              enum zn_http_head_result *r) {
  if (hc->state == HC_IDLE || hc->state == HC_WAIT)
    begin_head(hc);
  size_t used = 0;
  *r = zn_http_head_feed(&hc->ctx->head, p, n, &used);
  prog_read(hc, used);
  return used;
}

/* Drop body bytes (counted). */
static size_t take_body_bytes(struct http_conn *hc, size_t n) {
  struct zn_http_server *srv = hc->srv;
  size_t k = n;
  if (k > hc->discard_left)
    k = clamp_size(hc->discard_left);
  hc->discard_left -= k;
  prog_read(hc, k);
  srv->s.v[ZN_HTTP_SRV_body_bytes_discarded] += k;
  if (hc->discard_left == 0 && hc->state == HC_BODY) {
    hc->state = HC_IDLE;
    arm(hc, HT_IDLE, srv->cfg.idle_timeout_ms);
    idle_update(hc);
  }
  return k;
}

/* The client closed its side, or the stream failed. */
static void read_ended(struct http_conn *hc, long n) {
  struct zn_http_server *srv = hc->srv;
  if (n == 0) {
    HS_COUNT(srv, conns_peer_closed);
    conn_end(hc, false);
  } else {
    HS_COUNT(srv, conns_failed);
    conn_end(hc, true);
  }
}

static bool reading(const struct http_conn *hc) {
  return hc->state == HC_IDLE || hc->state == HC_WAIT || hc->state == HC_HEAD ||
         hc->state == HC_BODY;
}

/* A whole head: serve it, and get ready for the next (which may follow
 * at once in the same bytes: pipelining). */
static void head_done(struct http_conn *hc, enum zn_http_head_result r) {
  struct zn_http_server *srv = hc->srv;
  struct hs_response resp;
  if (r == ZN_HTTP_HEAD_ERROR) {
    HS_COUNT(srv, parse_errors);
    srv->s.v[ZN_HTTP_SRV_parse_NONE + (int)hc->ctx->head.error]++;
    zn__hs_serve_error(hc, hc->ctx->head.error, &resp);
    send_response(hc, &resp);
    return;
  }
  HS_COUNT(srv, requests);
  if (hc->nreq++ > 0)
    HS_COUNT(srv, keepalive_reuses);
  hc->discard_left = hc->ctx->head.req.content_length;
  zn__hs_serve(hc, &resp);
  send_response(hc, &resp);
  if (hc->ctx != NULL) /* none if the connection ended */
    zn_http_head_reset(&hc->ctx->head);
}

/* Read requests while the connection is reading (no response waits). */
static void read_requests(struct http_conn *hc) {
  struct zn_http_server *srv = hc->srv;
  while (reading(hc)) {
    const uint8_t *p;
    long n = zn_stream_peek(hc->s, &p);
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) {
      read_ended(hc, n);
      return;
    }
    if ((hc->state == HC_IDLE || hc->state == HC_WAIT) && !ctx_need(hc))
      return; /* unread until a context comes */
    enum zn_http_head_result r = ZN_HTTP_HEAD_NEED_MORE;
    size_t used = hc->state == HC_BODY ? take_body_bytes(hc, (size_t)n)
                                       : take_head_bytes(hc, p, (size_t)n, &r);
    srv->s.v[ZN_HTTP_SRV_bytes_in] += used;
    (void)zn_stream_consume(hc->s, used); /* what peek showed, at most */
    if (r != ZN_HTTP_HEAD_NEED_MORE)
      head_done(hc, r);
  }
}

/* Lingering: drop what comes until the client closes. */
static void linger_read(struct http_conn *hc) {
  while (hc->state == HC_LINGER) {
    const uint8_t *p;
    long n = zn_stream_peek(hc->s, &p);
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) {
      conn_end(hc, n < 0);
      return;
    }
    (void)zn_stream_consume(hc->s, (size_t)n);
  }
}

static bool live(const struct http_conn *hc) {
  return hc->state != HC_FREE && hc->state != HC_CLOSING;
}

/* Move the connection on as far as it goes, then give its context back
 * if it needs it no more.  Never re-entered (no callback comes from
 * inside a stream call, and a released reference only queues a kick);
 * were it, it would only note that it must look again. */
static void pump(struct http_conn *hc) {
  if (hc->in_pump) {
    hc->pump_again = true;
    return;
  }
  hc->in_pump = true;
  do {
    hc->pump_again = false;
    if (hc->state == HC_SEND && !flush_response(hc))
      break;
    if (reading(hc))
      read_requests(hc);
    else if (hc->state == HC_LINGER)
      linger_read(hc);
  } while (hc->pump_again && live(hc));
  hc->in_pump = false;
  if (live(hc))
    ctx_done(hc);
}

/* The waiters a context came back for, and the connections a released
 * reference or a context unblocked. */
static void kick_fired(struct zn_stack *st, struct zn_timer *t) {
  (void)st;
  struct zn_http_server *srv = ZN_CONTAINER_OF(t, struct zn_http_server, kick);
  if (srv->serve_due)
    serve_waiters(srv, NULL);
  struct http_conn *list = srv->kick_list;
  srv->kick_list = NULL;
  while (list) {
    struct http_conn *hc = list;
    list = hc->kick_next;
    hc->kicked = false;
    if (live(hc) && hc->state != HC_OPENING)
      pump(hc);
  }
}

/* ---- the stream's events ---- */

static void hc_on_open(struct zn_stream *s, void *arg) {
  (void)s;
  struct http_conn *hc = arg;
  if (hc->state != HC_OPENING)
    return;
  hc->state = HC_IDLE;
  pump(hc);
}

static void hc_on_event(struct zn_stream *s, void *arg) {
  (void)s;
  struct http_conn *hc = arg;
  if (hc->state != HC_OPENING)
    pump(hc);
}

static void hc_on_error(struct zn_stream *s, void *arg, int err) {
  (void)s;
  (void)err;
  struct http_conn *hc = arg;
  HS_COUNT(hc->srv, conns_failed);
  conn_end(hc, true);
}

/* Only while HC_CLOSING (a detached stream calls nothing), or after a
 * failure the stream closed by itself: every reference is back by now. */
static void hc_on_closed(struct zn_stream *s, void *arg) {
  (void)s;
  struct http_conn *hc = arg;
  if (hc->state == HC_FREE)
    return;
  if (hc->state != HC_CLOSING)
    HS_COUNT(hc->srv, conns_failed);
  list_remove(hc);
  hc->s = NULL;
  hc->ts.c = NULL;
  slot_free(hc);
}

static const struct zn_stream_callbacks hc_cbs = {
    .on_open = hc_on_open,
    .on_readable = hc_on_event,
    .on_writable = hc_on_event,
    .on_error = hc_on_error,
    .on_closed = hc_on_closed,
};

/* ---- streams from the maker ---- */

static uint32_t header_left_ms(const struct http_conn *hc) {
  uint64_t now = now_ns(hc->srv);
  uint64_t spent = now > hc->prog_t0 ? (now - hc->prog_t0) / ZN_MS(1) : 0;
  uint32_t t = hc->srv->cfg.header_timeout_ms;
  return spent < t ? t - (uint32_t)spent : 1;
}

/* The stream of a connection on the stream port, from the maker: OPENING
 * until its handshake is done, the head timed from the connection's
 * start.  False if the maker has none free. */
static bool stream_make(struct http_conn *hc, struct zn_tcp_conn *c) {
  struct zn_http_server *srv = hc->srv;
  hc->s = zn_stream_make(srv->cfg.stream_maker, c, &hc_cbs, hc);
  if (hc->s == NULL)
    return false;
  hc->ts.c = NULL;
  hc->state = HC_OPENING;
  arm(hc, HT_HEADER, header_left_ms(hc));
  idle_update(hc);
  return true;
}

/* Close a connection of the stream port so that its stream goes back to
 * the maker (at once: a reset): the oldest idle one, else the slowest
 * judged one.  False if there is none. */
static bool free_a_stream(struct zn_http_server *srv) {
  uint32_t k = HS_EVICT_SCAN;
  for (struct http_conn *v = srv->head[HL_IDLE]; v != NULL && k > 0;
       v = v->next, k--) {
    if (!v->plain) {
      HS_COUNT(srv, conns_evicted_idle);
      conn_end(v, true);
      return true;
    }
  }
  struct http_conn *v = slowest_conn(srv, now_ns(srv), true);
  if (v == NULL)
    return false;
  evict(v);
  return true;
}

/* While HC_MAKING the TCP connection is the slot's: a reset or its end
 * lets the slot go. */
static void making_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  struct http_conn *hc = arg;
  HS_COUNT(hc->srv, conns_failed);
  making_drop(hc);
}

static void making_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct http_conn *hc = arg;
  hc->ts.c = NULL; /* the handle is the stack's again */
  HS_COUNT(hc->srv, conns_failed);
  slot_free(hc);
}

static const struct zn_tcp_callbacks making_cbs = {
    .on_error = making_error,
    .on_closed = making_closed,
};

/* HT_MAKE: ask the maker again; close another now and then (a newcomer
 * may have taken the stream freed), give up after HS_MAKE_TRIES. */
static void making_retry(struct http_conn *hc) {
  struct zn_http_server *srv = hc->srv;
  if (stream_make(hc, hc->ts.c))
    return;
  hc->make_tries++;
  if (hc->make_tries >= HS_MAKE_TRIES ||
      (hc->make_tries % HS_MAKE_EVICT_EVERY == 0 && !free_a_stream(srv))) {
    HS_COUNT(srv, conns_refused_stream);
    making_drop(hc);
    return;
  }
  arm(hc, HT_MAKE, 1);
}

/* The maker had no stream free: one is freed by closing another, and
 * the maker asked again in a moment (its stream comes back once the
 * closed one's has finished, at its next timer run). */
static bool making_begin(struct http_conn *hc, struct zn_tcp_conn *c) {
  if (!free_a_stream(hc->srv))
    return false;
  hc->state = HC_MAKING;
  hc->ts.c = c;
  hc->make_tries = 0;
  zn_tcp_set_callbacks(c, &making_cbs, hc);
  arm(hc, HT_MAKE, 1);
  return true;
}

/* ---- timers ---- */

/* Whether the client took any of what we sent since the last look. */
static bool send_progress(struct http_conn *hc) {
  uint64_t acked = tcp_acked(hc);
  bool moved = acked != hc->acked_seen;
  hc->acked_seen = acked;
  return moved;
}

/* A response (or a body by reference) waited send_timeout_ms: go on
 * waiting if the client read some of it, else give up on the client. */
static void send_timer(struct http_conn *hc) {
  if (send_progress(hc)) {
    arm(hc, hc->state == HC_SEND ? HT_SEND : HT_IDLE,
        hc->srv->cfg.send_timeout_ms);
    return;
  }
  HS_COUNT(hc->srv, send_timeouts);
  conn_end(hc, true);
}

/* RFC 9112 §9.5: idle keep-alive connections are closed after a while.
 * Bodies still being taken by the client are not idleness. */
static void idle_timer(struct http_conn *hc) {
  if (hc->refs_out > 0) {
    send_timer(hc);
    return;
  }
  HS_COUNT(hc->srv, idle_timeouts);
  conn_end(hc, responses_unread(hc));
}

static void timer_fired(struct zn_stack *st, struct zn_timer *t) {
  (void)st;
  struct http_conn *hc = ZN_CONTAINER_OF(t, struct http_conn, timer);
  enum hc_timer role = (enum hc_timer)hc->trole;
  hc->trole = HT_NONE;
  switch (role) {
  case HT_HEADER:
    HS_COUNT(hc->srv, header_timeouts);
    conn_end(hc, false);
    break;
  case HT_IDLE:
    idle_timer(hc);
    break;
  case HT_SEND:
    send_timer(hc);
    break;
  case HT_LINGER:
    HS_COUNT(hc->srv, linger_timeouts);
    conn_end(hc, false);
    break;
  case HT_CLOSE:
    closing_give_up(hc);
    break;
  case HT_MAKE:
    making_retry(hc);
    break;
  case HT_NONE:
    break;
  }
}

/* ---- accepting ---- */

/* A slot for a new connection: a free one, else the oldest idle
 * connection's, else the slowest judged one's (closed now: its slot is
 * free at once), else none. */
static struct http_conn *slot_take(struct zn_http_server *srv) {
  if (srv->head[HL_FREE] == NULL) {
    struct http_conn *v = srv->head[HL_IDLE];
    if (v != NULL) {
      HS_COUNT(srv, conns_evicted_idle);
      conn_end(v, responses_unread(v));
    } else if ((v = slowest_conn(srv, now_ns(srv), false)) != NULL) {
      evict(v);
    }
  }
  struct http_conn *hc = srv->head[HL_FREE];
  if (hc != NULL)
    list_remove(hc);
  return hc;
}

static void slot_setup(struct http_conn *hc, struct zn_tcp_conn *c,
                       bool plain) {
  struct zn_http_server *srv = hc->srv;
  hc->plain = plain;
  hc->in_pump = hc->pump_again = hc->ending = false;
  /* (kicked and kick_next stay: the slot may still be on the kick list,
   * which pumps it then: harmless) */
  hc->ctx = NULL;
  hc->nreq = 0;
  hc->refs_out = 0;
  hc->discard_left = 0;
  hc->acked_seen = 0;
  prog_start(hc);
  memset(&hc->ts, 0, sizeof(hc->ts));
  zn_tcp_set_nodelay(c, true); /* a response is written whole */
  srv->nopen++;
  if (srv->nopen > srv->s.conns_max)
    srv->s.conns_max = srv->nopen;
}

/* Above cfg.bufs_high buffers in the stack: the oldest idle connection
 * (among the first HS_EVICT_SCAN) whose responses are still unread is
 * reset, its buffers back at once.  The slowest reader, in effect: the
 * one that has read least of what it was sent the longest. */
static void shed_unread(struct zn_http_server *srv) {
  if (srv->cfg.bufs_high == 0 ||
      zn_stack_bufs_in_use(srv->st) <= srv->cfg.bufs_high)
    return;
  uint32_t k = HS_EVICT_SCAN;
  for (struct http_conn *v = srv->head[HL_IDLE]; v != NULL && k > 0;
       v = v->next, k--) {
    if (responses_unread(v)) {
      HS_COUNT(srv, conns_evicted_slow_read);
      conn_end(v, true);
      return;
    }
  }
}

static void take(struct zn_http_server *srv, struct zn_tcp_conn *c,
                 bool plain) {
  shed_unread(srv);
  struct http_conn *hc = slot_take(srv);
  if (hc == NULL) {
    HS_COUNT(srv, conns_refused);
    zn_tcp_abort(c); /* the listener's callbacks: nothing of ours */
    return;
  }
  slot_setup(hc, c, plain);
  if (plain) {
    zn_tcp_stream_init(&hc->ts, c, &hc_cbs, hc);
    hc->s = &hc->ts.s;
    hc->state = HC_IDLE;
    arm(hc, HT_HEADER, srv->cfg.header_timeout_ms);
    idle_update(hc);
  } else if (!stream_make(hc, c) && !making_begin(hc, c)) {
    HS_COUNT(srv, conns_refused_stream);
    zn_tcp_abort(c);
    slot_free(hc);
    return;
  }
  HS_COUNT(srv, conns_accepted);
  if (!plain)
    HS_COUNT(srv, conns_accepted_stream);
  if (plain)
    pump(hc); /* a request may have come with the handshake */
}

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  struct zn_http_server *srv = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    take(srv, c, l == srv->listen);
}

static const struct zn_tcp_callbacks listener_cbs = {.on_accept = on_accept};

/* ---- setup ---- */

void zn_http_server_cfg_default(struct zn_http_server_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->port = 80;
  cfg->max_conns = 64;
  zn_http_limits_default(&cfg->limits);
  cfg->head_max = ZN_DEFAULT_HTTP_HEAD_MAX;
  cfg->header_timeout_ms = 10000;
  cfg->idle_timeout_ms = 30000;
  cfg->send_timeout_ms = 30000;
  cfg->linger_ms = 2000;
  cfg->grace_ms = 1000;
  cfg->pipeline_max = 32;
  cfg->body_max = 4096;
  cfg->copy_max = 4096;
}

/* Contexts: cfg's, or by default as many as connections up to
 * ZN_HTTP_BUSY_AUTO. */
static uint32_t busy_of(const struct zn_http_server_cfg *c) {
  if (c->busy_max != 0)
    return c->busy_max;
  return c->max_conns < ZN_HTTP_BUSY_AUTO ? c->max_conns : ZN_HTTP_BUSY_AUTO;
}

static bool cfg_valid(const struct zn_http_server_cfg *c) {
  if (c->content == NULL || c->content->open == NULL)
    return false;
  if (c->port == 0 && c->stream_port == 0)
    return false;
  if ((c->stream_port != 0) != (c->stream_maker != NULL) ||
      (c->stream_port != 0 && c->stream_port == c->port))
    return false;
  if (c->max_conns == 0 || c->max_conns > ZN_HTTP_MAX_CONNS ||
      c->busy_max > c->max_conns || c->head_max < 256 ||
      c->head_max > (1u << 20) || c->copy_max > (1u << 20))
    return false;
  if (c->header_timeout_ms == 0 || c->idle_timeout_ms == 0 ||
      c->send_timeout_ms == 0 || c->linger_ms == 0 || c->grace_ms > 3600000u)
    return false;
  if (c->pipeline_max == 0 || c->pipeline_max > ZN_TCP_MAX_REFS)
    return false;
  return c->limits.request_line_max > 0 && c->limits.field_line_max > 0 &&
         c->limits.fields_max > 0 && c->limits.request_line_max < (1u << 24);
}

static uint64_t round_up64(uint64_t n) {
  return (n + MEM_ALIGN - 1) / MEM_ALIGN * MEM_ALIGN;
}

/* The parts of the block, in order: the server, the slots, the contexts,
 * per context its head buffer, response head buffer and reference
 * records, the scratch and path buffers.  In 64 bits: 2^24 slots of a
 * few hundred bytes, or as many contexts of up to 1 MiB, do not wrap
 * it. */
static uint64_t ctx_bytes(const struct zn_http_server_cfg *c) {
  return round_up64(c->head_max) + round_up64(HS_HEAD_OUT_MAX) +
         round_up64((uint64_t)c->pipeline_max * sizeof(struct hc_ref));
}

static size_t path_bytes(const struct zn_http_server_cfg *c) {
  return (size_t)c->limits.request_line_max + 1 + HS_INDEX_ROOM;
}

size_t zn_http_server_mem_size(const struct zn_http_server_cfg *cfg) {
  if (cfg == NULL || !cfg_valid(cfg))
    return 0;
  uint64_t busy = busy_of(cfg);
  uint64_t n = round_up64(sizeof(struct zn_http_server)) +
               round_up64((uint64_t)cfg->max_conns * sizeof(struct http_conn)) +
               round_up64(busy * sizeof(struct hs_ctx)) +
               busy * ctx_bytes(cfg) +
               round_up64(HS_HEAD_OUT_MAX + (uint64_t)cfg->copy_max) +
               round_up64(path_bytes(cfg));
  return n > SIZE_MAX ? 0 : (size_t)n;
}

size_t zn_http_server_slot_size(void) { return sizeof(struct http_conn); }

static uint8_t *carve(uint8_t **at, size_t n) {
  uint8_t *p = *at;
  *at += round_up(n);
  return p;
}

static void slots_init(struct zn_http_server *srv) {
  for (uint32_t i = 0; i < srv->cfg.max_conns; i++) {
    struct http_conn *hc = &srv->conns[i];
    memset(hc, 0, sizeof(*hc));
    hc->srv = srv;
    zn_timer_init(&hc->timer, timer_fired);
    hc->state = HC_FREE;
    list_add(hc, HL_FREE);
  }
}

static void ctxs_init(struct zn_http_server *srv, uint8_t **at) {
  const struct zn_http_server_cfg *c = &srv->cfg;
  for (uint32_t i = c->busy_max; i-- > 0;) {
    struct hs_ctx *ctx = &srv->ctxs[i];
    memset(ctx, 0, sizeof(*ctx));
    char *hb = (char *)carve(at, c->head_max);
    (void)zn_http_head_init(&ctx->head, &c->limits, hb, c->head_max);
    ctx->out = (char *)carve(at, HS_HEAD_OUT_MAX);
    ctx->refs = (struct hc_ref *)(void *)carve(at, (size_t)c->pipeline_max *
                                                       sizeof(struct hc_ref));
    for (uint32_t k = c->pipeline_max; k-- > 0;) {
      ctx->refs[k].next_free = ctx->free_refs;
      ctx->free_refs = &ctx->refs[k];
    }
    ctx->next = srv->free_ctx;
    srv->free_ctx = ctx;
  }
  srv->ctx_free_n = c->busy_max;
}

static int listen_on(struct zn_http_server *srv, uint16_t port,
                     struct zn_tcp_conn **out) {
  if (port == 0)
    return ZN_OK;
  const struct zn_ip *a =
      srv->cfg.listen_addr.family == ZN_AF_NONE ? NULL : &srv->cfg.listen_addr;
  return zn_tcp_listen(srv->st, a, port, srv->cfg.backlog, &listener_cbs, srv,
                       out);
}

int zn_http_server_init(struct zn_stack *st,
                        const struct zn_http_server_cfg *cfg, void *mem,
                        size_t len, struct zn_http_server **out) {
  size_t need = zn_http_server_mem_size(cfg);
  if (st == NULL || need == 0 || mem == NULL || (uintptr_t)mem % MEM_ALIGN != 0)
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  uint8_t *at = mem;
  struct zn_http_server *srv =
      (struct zn_http_server *)(void *)carve(&at, sizeof(*srv));
  memset(srv, 0, sizeof(*srv));
  srv->st = st;
  srv->cfg = *cfg;
  srv->cfg.busy_max = busy_of(cfg);
  srv->conns = (struct http_conn *)(void *)carve(
      &at, (size_t)cfg->max_conns * sizeof(struct http_conn));
  slots_init(srv);
  srv->ctxs = (struct hs_ctx *)(void *)carve(&at, (size_t)srv->cfg.busy_max *
                                                      sizeof(struct hs_ctx));
  ctxs_init(srv, &at);
  srv->scratch_cap = HS_HEAD_OUT_MAX + (size_t)cfg->copy_max;
  srv->scratch = carve(&at, srv->scratch_cap);
  srv->path_cap = path_bytes(cfg);
  srv->path = (char *)carve(&at, srv->path_cap);
  zn_timer_init(&srv->kick, kick_fired);
  zn_timer_init(&srv->retry, retry_fired);
  int rc = listen_on(srv, cfg->port, &srv->listen);
  if (rc == ZN_OK)
    rc = listen_on(srv, cfg->stream_port, &srv->slisten);
  if (rc != ZN_OK) {
    zn_http_server_stop(srv);
    return rc;
  }
  *out = srv;
  return ZN_OK;
}

static void close_listener(struct zn_tcp_conn **l) {
  if (*l) {
    zn_tcp_set_callbacks(*l, NULL, NULL);
    zn_tcp_close(*l);
  }
  *l = NULL;
}

void zn_http_server_stop(struct zn_http_server *srv) {
  for (uint32_t i = 0; i < srv->cfg.max_conns; i++) {
    struct http_conn *hc = &srv->conns[i];
    if (hc->state == HC_FREE)
      continue;
    hc->ending = true; /* the references come back inside the abort */
    pend_release(hc);
    if (hc->s) {
      zn_stream_set_callbacks(hc->s, NULL, NULL);
      if (hc->plain && hc->ts.c)
        zn_tcp_set_callbacks(hc->ts.c, NULL, NULL);
      zn_stream_abort(hc->s);
    }
    hc->ending = false;
    if (hc->state == HC_MAKING)
      making_drop(hc); /* no stream yet: the TCP connection */
    else
      slot_free(hc);
  }
  close_listener(&srv->listen);
  close_listener(&srv->slisten);
  zn_timer_stop(srv->st, &srv->kick);
  zn_timer_stop(srv->st, &srv->retry);
  srv->kick_list = NULL;
  srv->serve_due = false;
  zn_stack_flush(srv->st); /* the resets go out */
}

/* ---- counters ---- */

static const char *const stat_names[ZN_HTTP_SRV_NSTATS] = {
#define NAME_(name, text) #name,
    ZN_HTTP_SERVER_STATS(NAME_)
#undef NAME_
#define STATUS_NAME_(code) "status_" #code,
        ZN_HTTP_SERVER_STATUSES(STATUS_NAME_)
#undef STATUS_NAME_
            "status_other",
#define PARSE_NAME_(name, status, text) "parse_" #name,
    ZN_HTTP_ERRORS(PARSE_NAME_)
#undef PARSE_NAME_
};

static const char *const stat_texts[ZN_HTTP_SRV_NSTATS] = {
#define TEXT_(name, text) text,
    ZN_HTTP_SERVER_STATS(TEXT_)
#undef TEXT_
#define STATUS_TEXT_(code) "responses " #code,
        ZN_HTTP_SERVER_STATUSES(STATUS_TEXT_)
#undef STATUS_TEXT_
            "responses with another status",
#define PARSE_TEXT_(name, status, text) "heads refused: " text,
    ZN_HTTP_ERRORS(PARSE_TEXT_)
#undef PARSE_TEXT_
};

const char *zn_http_server_stat_name(int i) {
  return i >= 0 && i < ZN_HTTP_SRV_NSTATS ? stat_names[i] : "?";
}

const char *zn_http_server_stat_text(int i) {
  return i >= 0 && i < ZN_HTTP_SRV_NSTATS ? stat_texts[i] : "?";
}

void zn_http_server_get_stats(const struct zn_http_server *srv,
                              struct zn_http_server_stats *s) {
  *s = srv->s;
  s->conns_open = srv->nopen;
  s->ctx_open = srv->cfg.busy_max - srv->ctx_free_n;
}
