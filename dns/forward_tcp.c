/*
 * The forwarder's TCP side (see znet/dns.h, "Forwarder"): clients asking
 * over TCP (RFC 7766) or another stream, each connection carrying any
 * number of queries framed by zn_dns_tcp_decode, served by
 * forward_serve.c (their answers are written back as they come, by
 * forward_answer.c); and the upstream asked again over TCP when its UDP
 * answer came back truncated.  No memory of its own: the slots and their
 * buffers were cut from the caller's block by zn_dns_forwarder_init.
 */
#include <string.h>

#include "forward_int.h"
#include "znet/err.h"
#include "znet/stack.h"

/* ---- TCP clients: reading queries ---- */

/* The client said it is done (FIN): close once every query it sent is
 * answered and written. */
static void tc_maybe_close(struct fwd_tclient *tc) {
  if (tc->eof && tc->inflight == 0 && tc->out_len == 0)
    zn__fwd_tc_close(tc);
}

/* Read queries off the stream (RFC 1035 4.2.2, RFC 7766 6.2.1.1: any
 * number, back to back).  The bytes are copied out of the frame buffers
 * by the library's decoder (a query may span several) and consumed as
 * they are taken.  Stops taking more while FWD_TCP_PIPELINE_MAX queries are
 * in progress or answers wait to be written, so a client that sends
 * without reading finds the window closed; the end of one of its queries
 * wakes it (zn__fwd_tc_wake).  Serving a query never comes back here
 * (forward_pending.c); in_read keeps a stream that would call back from
 * inside its own peek, consume or write from re-entering the loop. */
static void tc_read(struct fwd_tclient *tc) {
  struct zn_dns_forwarder *fw = tc->fw;
  if (tc->in_read)
    return;
  tc->in_read = true;
  while (!tc->closing && tc->inflight + tc->nout < FWD_TCP_PIPELINE_MAX) {
    const uint8_t *p;
    long n = zn_stream_peek(tc->s, &p);
    if (n == ZN_EAGAIN)
      break;
    if (n <= 0) {
      tc->eof = n == 0;
      if (n < 0)
        zn__fwd_tc_close(tc);
      break;
    }
    size_t used = 0, k;
    while (used < (size_t)n && !tc->closing &&
           tc->inflight + tc->nout < FWD_TCP_PIPELINE_MAX) {
      int rc = zn_dns_tcp_decode(&tc->dec, p + used, (size_t)n - used, &k);
      used += k;
      if (rc < 0) {
        /* Nothing sensible follows; the framing cannot be trusted. */
        fw->s.tcp_bad_length++;
        zn__fwd_tc_close(tc);
      } else if (rc == 1) {
        fw->s.tcp_queries++;
        fw->s.received++;
        zn_timer_start_in(fw->st, &tc->idle, fw->tcp_idle_ns);
        struct fwd_client cl = {
            .kind = CL_TCP, .slot = (uint32_t)(tc - fw->tc), .gen = tc->gen};
        struct fwd_query qr;
        if (zn__fwd_check_query(fw, &cl, tc->dec.buf, tc->dec.need, &qr))
          zn__fwd_serve(fw, &cl, NULL, &qr);
      }
    }
    if (!tc->closing)
      (void)zn_stream_consume(tc->s, used); /* used <= what peek showed */
    if (used < (size_t)n)
      break;
  }
  tc->in_read = false;
  tc_maybe_close(tc);
}

/* Room to write, or a query finished: write what waits, read on if
 * reading had stopped, and close if the client is done. */
static void tc_resume(struct fwd_tclient *tc) {
  if (tc->closing || tc->in_read)
    return;
  zn__fwd_tc_flush(tc);
  tc_read(tc);
}

/* The wake timer: a query of tc's ended (forward_pending.c armed it, due
 * at once). */
void zn__fwd_tc_wake(struct zn_stack *st, struct zn_timer *t) {
  (void)st;
  struct fwd_tclient *tc = ZN_CONTAINER_OF(t, struct fwd_tclient, wake);
  if (tc->s != NULL)
    tc_resume(tc);
}

static void tc_on_readable(struct zn_stream *s, void *arg) {
  (void)s;
  tc_read(arg);
}

static void tc_on_writable(struct zn_stream *s, void *arg) {
  (void)s;
  tc_resume(arg);
}

static void tc_on_error(struct zn_stream *s, void *arg, int err) {
  (void)s;
  (void)err;
  zn__fwd_tc_close(arg);
}

/* The slot is free again; answers still on their way to it are dropped
 * (the generation changes). */
static void tc_release(struct fwd_tclient *tc) {
  struct zn_dns_forwarder *fw = tc->fw;
  zn_timer_stop(fw->st, &tc->idle);
  zn_timer_stop(fw->st, &tc->wake);
  tc->out_off = tc->out_len = tc->nout = 0;
  tc->s = NULL;
  tc->gen++;
  tc->inflight = 0;
  tc->next_free = fw->free_tc;
  fw->free_tc = tc;
  fw->tc_active--;
}

static void tc_on_closed(struct zn_stream *s, void *arg) {
  (void)s;
  tc_release(arg);
}

/* RFC 7766 6.2.3: a server closes connections that have been idle for a
 * while.  A query in progress or an answer not yet taken by the client is
 * not idleness. */
void zn__fwd_tc_idle(struct zn_stack *st, struct zn_timer *t) {
  (void)st;
  struct fwd_tclient *tc = ZN_CONTAINER_OF(t, struct fwd_tclient, idle);
  if (tc->s == NULL || tc->closing)
    return;
  if (tc->inflight || tc->out_len) {
    zn_timer_start_in(tc->fw->st, &tc->idle, tc->fw->tcp_idle_ns);
    return;
  }
  tc->fw->s.tcp_idle_closed++;
  /* Unread bytes (a query cut short) make this a reset, as it should. */
  zn__fwd_tc_close(tc);
}

static const struct zn_stream_callbacks tclient_cbs = {
    .on_readable = tc_on_readable,
    .on_writable = tc_on_writable,
    .on_error = tc_on_error,
    .on_closed = tc_on_closed,
};

/* A client slot for a connection accepted on the DNS port (a plain TCP
 * stream in the slot) or on the stream port (a stream from the
 * configured maker: DNS over TLS, RFC 7858); both are served alike (RFC
 * 7766 framing and pipelining).  No slot, or no stream: refused. */
static void tc_take(struct zn_dns_forwarder *fw, struct zn_tcp_conn *c,
                    bool plain) {
  struct fwd_tclient *tc = fw->free_tc;
  struct zn_stream *s = NULL;
  if (tc != NULL && plain) {
    zn_tcp_stream_init(&tc->ts, c, &tclient_cbs, tc);
    s = &tc->ts.s;
  } else if (tc != NULL) {
    s = zn_stream_make(fw->cfg.stream_server, c, &tclient_cbs, tc);
  }
  if (s == NULL) {
    fw->s.tcp_refused++;
    zn_tcp_abort(c); /* the listener's callbacks: nothing to free */
    return;
  }
  fw->free_tc = tc->next_free;
  fw->tc_active++;
  tc->s = s;
  zn_dns_tcp_decoder_init(&tc->dec, tc->dec.buf, FWD_TCP_QUERY_MAX);
  tc->inflight = tc->nout = 0;
  tc->out_off = tc->out_len = 0;
  tc->eof = tc->closing = tc->in_read = false;
  if (plain)
    fw->s.tcp_connections++;
  else
    fw->s.stream_connections++;
  zn_timer_start_in(fw->st, &tc->idle, fw->tcp_idle_ns);
  tc_read(tc); /* a query may have come with the handshake */
}

static void on_tcp_accept(struct zn_tcp_conn *l, void *arg) {
  struct zn_dns_forwarder *fw = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    tc_take(fw, c, l == fw->tlisten);
}

static void on_tcp_listener_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

const struct zn_tcp_callbacks zn__fwd_listener_cbs = {
    .on_accept = on_tcp_accept,
    .on_closed = on_tcp_listener_closed,
};

/* ---- asking the upstream again over TCP ---- */

static void uc_close(struct fwd_upconn *u) {
  if (u->c)
    zn_tcp_close(u->c);
}

/* The TCP retry failed: a UDP client gets the truncated answer it would
 * have had (and may come to us over TCP), a TCP client SERVFAIL. */
static void uc_fail(struct fwd_upconn *u) {
  struct zn_dns_forwarder *fw = u->fw;
  struct fwd_pending *p = u->p;
  if (p == NULL)
    return;
  fw->s.tcp_fallback_failed++;
  p->up = NULL;
  u->p = NULL;
  if (p->cl.kind == CL_UDP) {
    fw->s.truncated_for_client++;
    zn__fwd_answer_pending(fw, p, ZN_DNS_RCODE_NOERROR, true);
  } else {
    zn__fwd_answer_pending(fw, p, ZN_DNS_RCODE_SERVFAIL, false);
  }
  zn__fwd_pending_done(fw, p);
  if (u->c)
    zn_tcp_abort(u->c);
}

/* The whole answer is in: check it as a UDP answer is checked, cache it,
 * hand it on. */
static void uc_answer(struct fwd_upconn *u) {
  struct zn_dns_forwarder *fw = u->fw;
  struct fwd_pending *p = u->p;
  struct zn_dns_msg m;
  if (p == NULL)
    return;
  if (zn_dns_msg_init(&m, u->dec.buf, u->dec.need) != ZN_OK || !zn_dns_qr(&m) ||
      zn_dns_id(&m) != p->new_id || !zn__fwd_question_is(&m, p)) {
    fw->s.upstream_mismatch++;
    uc_fail(u);
    return;
  }
  if (zn_dns_msg_check(&m) != ZN_OK) {
    fw->s.upstream_malformed++;
    uc_fail(u);
    return;
  }
  fw->s.tcp_fallback_ok++;
  if (!zn_dns_tc(&m))
    zn__fwd_cache_put(fw, p, &m, zn_stack_now(fw->st));
  fw->s.answered++;
  zn__fwd_answer_copy(fw, p, u->dec.buf, u->dec.need);
  p->up = NULL;
  u->p = NULL;
  zn__fwd_pending_done(fw, p);
  uc_close(u);
}

static void uc_write(struct fwd_upconn *u) {
  while (u->qoff < u->qlen) {
    long w = zn_tcp_write(u->c, u->q + u->qoff, u->qlen - u->qoff);
    if (w == ZN_EAGAIN)
      return;
    if (w < 0) {
      uc_fail(u);
      return;
    }
    u->qoff += (size_t)w;
  }
}

static void uc_on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  uc_write(arg);
}

static void uc_on_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  uc_write(arg);
}

static void uc_on_readable(struct zn_tcp_conn *c, void *arg) {
  struct fwd_upconn *u = arg;
  while (u->p) {
    const uint8_t *p;
    long n = zn_tcp_peek(c, &p);
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) {
      uc_fail(u); /* closed (or failed) before the whole answer came */
      return;
    }
    size_t used;
    int rc = zn_dns_tcp_decode(&u->dec, p, (size_t)n, &used);
    (void)zn_tcp_consume(c, used); /* used <= what peek showed */
    if (rc < 0) {
      u->fw->s.upstream_malformed++; /* a length below a header */
      uc_fail(u);
      return;
    }
    if (rc == 1) {
      uc_answer(u);
      return;
    }
  }
}

static void uc_on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  uc_fail(arg);
}

static void uc_on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct fwd_upconn *u = arg;
  struct zn_dns_forwarder *fw = u->fw;
  u->c = NULL;
  uc_fail(u); /* every path closes after letting go of the query: no-op */
  u->next_free = fw->free_uc;
  fw->free_uc = u;
}

static const struct zn_tcp_callbacks upconn_cbs = {
    .on_connected = uc_on_connected,
    .on_readable = uc_on_readable,
    .on_writable = uc_on_writable,
    .on_error = uc_on_error,
    .on_closed = uc_on_closed,
};

/* TCP fallback (RFC 7766 5; RFC 1035 4.2.2): an upstream answer with TC
 * set is asked again over TCP, under the same ID, and the TCP answer is
 * what the client gets.  The pending entry waits meanwhile, its timeout
 * still running.  Returns false (the truncated answer is then relayed as
 * it is) if no TCP slot or connection is to be had. */
bool zn__fwd_tcp_fallback(struct zn_dns_forwarder *fw, struct fwd_pending *p) {
  struct fwd_upconn *u = fw->free_uc;
  if (u == NULL) {
    fw->s.tcp_fallback_busy++;
    return false;
  }
  struct zn_dns_hdr h;
  memset(&h, 0, sizeof(h));
  h.id = p->new_id;
  h.rd = p->rd;
  h.cd = p->cd;
  struct zn_dns_builder bld;
  if (zn_dns_build_init(&bld, u->q + 2, FWD_LOCAL_MSG_MAX, &h) != ZN_OK ||
      zn_dns_build_question(&bld, &p->qname, p->qtype, p->qclass) != ZN_OK)
    return false;
  if (p->edns)
    zn__fwd_build_opt(&bld, p->do_bit);
  u->qlen = 2 + zn_dns_build_len(&bld);
  (void)zn_dns_tcp_encode_len(u->qlen - 2, u->q); /* at most 512 */
  u->qoff = 0;
  zn_dns_tcp_decoder_init(&u->dec, u->dec.buf, ZN_DNS_MSG_MAX);
  u->c = NULL;
  if (zn_tcp_connect(fw->st, &fw->up_addr, fw->up_port, &upconn_cbs, u,
                     &u->c) != ZN_OK) {
    u->c = NULL;
    fw->s.tcp_fallback_busy++;
    return false;
  }
  fw->free_uc = u->next_free;
  u->p = p;
  p->up = u;
  fw->s.tcp_fallback++;
  return true;
}

/* At the end: reset the connections still open.  Their events no longer
 * come here (the memory is the caller's once stop returns, polled or
 * not); a maker still gets its streams back when the stack reaps them. */
void zn__fwd_tcp_stop(struct zn_dns_forwarder *fw) {
  for (uint32_t i = 0; i < fw->cfg.tcp_clients; i++) {
    struct fwd_tclient *tc = &fw->tc[i];
    if (tc->s) {
      zn_stream_set_callbacks(tc->s, NULL, NULL);
      zn_stream_abort(tc->s);
    }
    tc->s = NULL;
    zn_timer_stop(fw->st, &tc->idle);
    zn_timer_stop(fw->st, &tc->wake);
  }
  for (uint32_t i = 0; i < fw->cfg.upstream_tcp_max; i++) {
    if (fw->uc[i].c) {
      zn_tcp_set_callbacks(fw->uc[i].c, NULL, NULL);
      zn_tcp_abort(fw->uc[i].c);
    }
    fw->uc[i].c = NULL;
  }
  if (fw->tlisten) {
    zn_tcp_set_callbacks(fw->tlisten, NULL, NULL);
    zn_tcp_close(fw->tlisten);
  }
  if (fw->slisten) {
    zn_tcp_set_callbacks(fw->slisten, NULL, NULL);
    zn_tcp_close(fw->slisten);
  }
  fw->tlisten = fw->slisten = NULL;
}
