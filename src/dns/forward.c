/*
 * The forwarder (see znet/dns.h, "Forwarder"): queries from clients over
 * UDP (and, through forward_tcp.c, TCP) checked, blocked, answered from
 * the cache or forwarded to the upstream under a fresh ID; answers from
 * the upstream matched back to their client.  Every structure lives in
 * the caller's block, cut up by zn_dns_forwarder_init.
 *
 * Zero copy where the bytes do not change size: a forwarded query or
 * answer is the received buffer itself, its ID rewritten in place and
 * sent on with zn_udp_sendto_buf.  Local answers are built straight into
 * a send buffer (or, for a TCP client, into the scratch area behind room
 * for the length prefix).
 */
#include <string.h>

#include "dns_int.h"
#include "forward_int.h"
#include "znet/err.h"
#include "znet/stack.h"

/* ---- the answer cache ---- */

/* DO and CD change what an upstream puts in its answer (signatures,
 * unvalidated data), so they are part of the key. */
static uint8_t variant(bool do_bit, bool cd) {
  return (uint8_t)((do_bit ? 1u : 0u) | (cd ? 2u : 0u));
}

static void cache_key(struct zn_dns_cache_key *k, const struct zn_dns_name *n,
                      uint16_t qtype, uint16_t qclass, uint8_t var) {
  k->name = *n;
  k->qtype = qtype;
  k->qclass = qclass;
  k->variant = var;
}

/* Keep the upstream's answer m to the pending query p, if it may be. */
void zn__fwd_cache_put(struct zn_dns_forwarder *fw, const struct fwd_pending *p,
                       const struct zn_dns_msg *m, uint64_t now) {
  struct zn_dns_cache_key k;
  if (fw->cache == NULL)
    return;
  cache_key(&k, &p->qname, p->qtype, p->qclass, p->variant);
  if (zn_dns_cache_put_msg(fw->cache, &k, m, now) != ZN_OK)
    fw->s.cache_uncacheable++; /* TTL 0, negative without SOA, TC, size */
}

static void send_to(struct zn_dns_forwarder *fw, struct zn_udp_sock *s,
                    const struct zn_ip *addr, uint16_t port, struct zn_buf *b) {
  if (zn_udp_sendto_buf(s, addr, port, b) != ZN_OK)
    fw->s.send_errors++;
}

/* ---- answers, to either kind of client ---- */

/* Where an answer is built: straight into a UDP send buffer, or into the
 * scratch area behind room for the TCP length prefix.  NULL (counted) if
 * no buffer is free.  reply_send sends len bytes of it. */
static uint8_t *reply_begin(struct zn_dns_forwarder *fw,
                            const struct fwd_client *cl, size_t max,
                            struct zn_buf **b) {
  *b = NULL;
  if (cl->kind == CL_TCP)
    return fw->scratch + 2;
  *b = zn_udp_buf_alloc(fw->listen, max);
  if (*b == NULL) {
    fw->s.send_errors++;
    return NULL;
  }
  return (*b)->data;
}

static void reply_send(struct zn_dns_forwarder *fw, const struct fwd_client *cl,
                       struct zn_buf *b, size_t len) {
  if (cl->kind == CL_TCP) {
    zn__fwd_tc_answer(fw, cl, len);
    return;
  }
  zn_buf_put(b, len);
  send_to(fw, fw->listen, &cl->addr, cl->port, b);
}

/* Append an OPT record advertising our UDP size (RFC 6891 7: a response
 * carries one iff the query did), DO copied from the query (RFC 3225). */
void zn__fwd_build_opt(struct zn_dns_builder *b, bool do_bit) {
  struct zn_dns_opt o;
  memset(&o, 0, sizeof(o));
  o.udp_size = FWD_EDNS_UDP_SIZE;
  o.do_bit = do_bit;
  (void)zn_dns_build_opt(b, &o); /* fits: FWD_LOCAL_MSG_MAX leaves room */
}

/* A local answer to the query: rcode, and in zero mode the 0.0.0.0 / ::
 * record, or with tc an empty answer with TC set.  Built straight into
 * the send buffer. */
static void answer_local_tc(struct zn_dns_forwarder *fw,
                            const struct fwd_client *cl,
                            const struct fwd_query *qr, uint8_t rcode,
                            bool zero, bool tc) {
  struct zn_buf *b;
  uint8_t *p = reply_begin(fw, cl, FWD_LOCAL_MSG_MAX, &b);
  if (p == NULL)
    return;
  struct zn_dns_builder bld;
  /* Questions that do not fit or parse leave a header-only answer in
   * bld: exactly what FORMERR wants.  Only a bad rcode leaves it unset.
   * One question (at most 259 bytes), a compressed A or AAAA record and
   * an OPT record always fit in FWD_LOCAL_MSG_MAX. */
  if (zn_dns_build_response(&bld, p, FWD_LOCAL_MSG_MAX, &qr->m, rcode) ==
      ZN_EINVAL) {
    zn_buf_free(b);
    return;
  }
  struct zn_dns_hdr h;
  struct zn_dns_msg built = {.p = bld.p, .len = zn_dns_build_len(&bld)};
  zn_dns_msg_hdr(&built, &h);
  h.ra = true; /* we recurse, through the upstream */
  h.tc = tc;
  (void)zn_dns_build_set_hdr(&bld, &h);
  if (zero) {
    struct zn_dns_rdata rd;
    memset(&rd, 0, sizeof(rd));
    rd.type = qr->q.qtype; /* A: 0.0.0.0, AAAA: :: (all zero) */
    (void)zn_dns_build_rr(&bld, ZN_DNS_SEC_ANSWER, &qr->q.name, ZN_DNS_CLASS_IN,
                          FWD_BLOCK_TTL, &rd);
  }
  if (qr->edns)
    zn__fwd_build_opt(&bld, qr->do_bit);
  reply_send(fw, cl, b, zn_dns_build_len(&bld));
}

static void answer_local(struct zn_dns_forwarder *fw,
                         const struct fwd_client *cl,
                         const struct fwd_query *qr, uint8_t rcode, bool zero) {
  answer_local_tc(fw, cl, qr, rcode, zero, false);
}

/* An answer with no records, rebuilt from what a pending entry remembers
 * (the query itself is long gone): SERVFAIL, or a truncated answer (TC)
 * that sends a UDP client to TCP. */
void zn__fwd_answer_pending(struct zn_dns_forwarder *fw,
                            const struct fwd_pending *p, uint8_t rcode,
                            bool tc) {
  struct zn_buf *b;
  uint8_t *buf = reply_begin(fw, &p->cl, FWD_LOCAL_MSG_MAX, &b);
  if (buf == NULL)
    return;
  struct zn_dns_hdr h;
  memset(&h, 0, sizeof(h));
  h.id = p->orig_id;
  h.qr = h.ra = true;
  h.tc = tc;
  h.rd = p->rd;
  h.cd = p->cd;
  h.rcode = rcode;
  struct zn_dns_builder bld;
  if (zn_dns_build_init(&bld, buf, FWD_LOCAL_MSG_MAX, &h) != ZN_OK) {
    zn_buf_free(b);
    return;
  }
  (void)zn_dns_build_question(&bld, &p->qname, p->qtype, p->qclass);
  if (p->edns)
    zn__fwd_build_opt(&bld, p->do_bit);
  if (rcode == ZN_DNS_RCODE_SERVFAIL)
    fw->s.servfail++;
  reply_send(fw, &p->cl, b, zn_dns_build_len(&bld));
}

static void servfail_pending(struct zn_dns_forwarder *fw,
                             const struct fwd_pending *p) {
  zn__fwd_answer_pending(fw, p, ZN_DNS_RCODE_SERVFAIL, false);
}

/* A whole answer from the upstream (over TCP, so any size) to the
 * pending query's client, under the client's ID.  A UDP client that
 * cannot take that much gets a truncated answer instead, and asks us
 * again over TCP (where the cache has it by then). */
void zn__fwd_answer_copy(struct zn_dns_forwarder *fw,
                         const struct fwd_pending *p, const uint8_t *msg,
                         size_t len) {
  if (p->cl.kind == CL_UDP && len > p->client_max) {
    fw->s.truncated_for_client++;
    zn__fwd_answer_pending(fw, p, ZN_DNS_RCODE_NOERROR, true);
    return;
  }
  struct zn_buf *b;
  uint8_t *buf = reply_begin(fw, &p->cl, len, &b);
  if (buf == NULL)
    return;
  memcpy(buf, msg, len);
  zn_wr16(buf, p->orig_id);
  reply_send(fw, &p->cl, b, len);
}

/* ---- the pending table ---- */

static void pending_rearm(struct zn_dns_forwarder *fw) {
  if (fw->oldest)
    zn_timer_start(fw->st, &fw->timer, fw->oldest->deadline);
  else
    zn_timer_stop(fw->st, &fw->timer);
}

/* Resumes the entry's TCP client, which may be the one whose query is
 * being served (tc_read, serve, forward, here, tc_resume): tc_read's
 * in_read flag stops that cycle at its first turn.
 * NOLINTNEXTLINE(misc-no-recursion): see tc_read's in_read guard */
static void pending_release(struct zn_dns_forwarder *fw,
                            struct fwd_pending *p) {
  if (p->prev)
    p->prev->next = p->next;
  else
    fw->oldest = p->next;
  if (p->next)
    p->next->prev = p->prev;
  else
    fw->newest = p->prev;
  fw->by_id[p->new_id] = 0;
  if (p->up) {
    /* The TCP retry is over (answered, failed or timed out). */
    p->up->p = NULL;
    if (p->up->c)
      zn_tcp_abort(p->up->c);
    p->up = NULL;
  }
  zn__fwd_stream_released(p);
  struct fwd_tclient *tc = zn__fwd_tclient_of(fw, &p->cl);
  p->prev = NULL;
  p->next = fw->free_pend;
  fw->free_pend = p;
  fw->npending--;
  if (tc) {
    tc->inflight--;
    zn__fwd_tc_resume(tc);
  }
}

/* A new entry with a fresh random ID (RFC 5452 9.2), at the young end of
 * the list; NULL if the table is full. */
static struct fwd_pending *pending_new(struct zn_dns_forwarder *fw,
                                       uint64_t now) {
  struct fwd_pending *p = fw->free_pend;
  if (p == NULL)
    return NULL;
  uint16_t id = 0;
  int tries = 0;
  do {
    id = (uint16_t)zn_random_u32(fw->st);
  } while (fw->by_id[id] != 0 && ++tries < FWD_ID_TRIES);
  if (fw->by_id[id] != 0)
    return NULL;
  fw->free_pend = p->next;
  memset(p, 0, sizeof(*p));
  p->new_id = id;
  p->deadline = now + fw->up_timeout_ns;
  fw->by_id[id] = (uint16_t)(p - fw->pend + 1);
  p->prev = fw->newest;
  if (fw->newest)
    fw->newest->next = p;
  else
    fw->oldest = p;
  fw->newest = p;
  fw->npending++;
  return p;
}

void zn__fwd_pending_done(struct zn_dns_forwarder *fw, struct fwd_pending *p) {
  pending_release(fw, p);
  pending_rearm(fw);
}

/* SERVFAIL to the entry's client, and the entry is done. */
void zn__fwd_fail_pending(struct zn_dns_forwarder *fw, struct fwd_pending *p) {
  servfail_pending(fw, p);
  zn__fwd_pending_done(fw, p);
}

static void fail_pending(struct zn_dns_forwarder *fw, struct fwd_pending *p) {
  zn__fwd_fail_pending(fw, p);
}

/* RFC 5452 9.1: the question of answer m must be the one p asked. */
bool zn__fwd_question_is(const struct zn_dns_msg *m,
                         const struct fwd_pending *p) {
  struct zn_dns_iter it;
  struct zn_dns_question q;
  zn_dns_iter_init(&it, m);
  return zn_dns_qdcount(m) == 1 && zn_dns_iter_question(&it, &q) == ZN_OK &&
         q.qtype == p->qtype && q.qclass == p->qclass &&
         zn_dns_name_eq(&q.name, &p->qname);
}

/* Expire pending queries whose time is up.  The client gets SERVFAIL
 * rather than silence: a stub resolver then moves on to its next server
 * (or reports the failure) at once, instead of waiting out its own
 * timeout and retrying a forwarder that has already given up. */
static void expire_pending(struct zn_stack *st, struct zn_timer *t) {
  struct zn_dns_forwarder *fw =
      ZN_CONTAINER_OF(t, struct zn_dns_forwarder, timer);
  uint64_t now = zn_stack_now(st);
  while (fw->oldest && fw->oldest->deadline <= now) {
    struct fwd_pending *p = fw->oldest;
    fw->s.upstream_timeouts++;
    servfail_pending(fw, p);
    pending_release(fw, p);
  }
  pending_rearm(fw);
}

/* ---- queries from clients ---- */

/* Step 1: is this a query we serve?  Answers FORMERR/NOTIMP or drops, and
 * returns false, if not.  client_max starts at what the transport takes
 * without EDNS (512 for UDP, a whole message for TCP). */
bool zn__fwd_check_query(struct zn_dns_forwarder *fw,
                         const struct fwd_client *cl, const uint8_t *data,
                         size_t len, struct fwd_query *qr) {
  if (zn_dns_msg_init(&qr->m, data, len) != ZN_OK) {
    fw->s.dropped_short++;
    fw->s.dropped++;
    return false;
  }
  if (zn_dns_qr(&qr->m)) {
    fw->s.dropped_response++;
    fw->s.dropped++;
    return false;
  }
  fw->s.queries++;
  qr->edns = false;
  qr->do_bit = false;
  qr->client_max = cl->kind == CL_TCP ? ZN_DNS_MSG_MAX : ZN_DNS_UDP_MAX;
  if (zn_dns_opcode(&qr->m) != ZN_DNS_OPCODE_QUERY) {
    fw->s.notimp++;
    answer_local(fw, cl, qr, ZN_DNS_RCODE_NOTIMP, false);
    return false;
  }
  struct zn_dns_iter it;
  zn_dns_iter_init(&it, &qr->m);
  struct zn_dns_opt o;
  int oerr = ZN_ENOENT;
  if (zn_dns_qdcount(&qr->m) != 1 ||
      zn_dns_iter_question(&it, &qr->q) != ZN_OK ||
      zn_dns_msg_check(&qr->m) != ZN_OK ||
      ((oerr = zn_dns_msg_opt(&qr->m, &o)) != ZN_OK && oerr != ZN_ENOENT)) {
    fw->s.formerr++;
    answer_local(fw, cl, qr, ZN_DNS_RCODE_FORMERR, false);
    return false;
  }
  if (oerr == ZN_OK) {
    qr->edns = true;
    qr->do_bit = o.do_bit;
    if (o.udp_size > qr->client_max)
      qr->client_max = o.udp_size;
  }
  cache_key(&qr->key, &qr->q.name, qr->q.qtype, qr->q.qclass,
            variant(qr->do_bit, zn_dns_cd(&qr->m)));
  return true;
}

/* Step 3: serve from the cache if the entry is there.  One too big for
 * a UDP client is answered with TC (RFC 1035 4.2.1, RFC 2181 9): the
 * client asks again over TCP, and gets it from the cache then.  The
 * library writes the client's ID, RD, CD and question case into it, and
 * every TTL lowered by the time it spent cached. */
static bool serve_cached(struct zn_dns_forwarder *fw,
                         const struct fwd_client *cl,
                         const struct fwd_query *qr, uint64_t now) {
  struct zn_dns_cache_hit hit;
  if (fw->cache == NULL ||
      zn_dns_cache_get(fw->cache, &qr->key, now, &hit) != ZN_OK) {
    fw->s.cache_misses++;
    return false;
  }
  fw->s.cache_hits++;
  size_t len = zn_dns_cache_msg_len(&hit, qr->edns);
  if (len > qr->client_max) {
    fw->s.truncated_for_client++;
    answer_local_tc(fw, cl, qr, ZN_DNS_RCODE_NOERROR, false, true);
    return true;
  }
  struct zn_buf *b;
  uint8_t *p = reply_begin(fw, cl, len, &b);
  if (p == NULL)
    return true; /* answered as far as the client can tell: it retries */
  struct zn_dns_opt o = {.udp_size = FWD_EDNS_UDP_SIZE, .do_bit = qr->do_bit};
  (void)zn_dns_cache_write_msg(&hit, &qr->m, qr->edns ? &o : NULL, p);
  reply_send(fw, cl, b, len);
  return true;
}

/* Step 4: to the upstream over UDP, under a fresh ID.  A UDP client's
 * buffer goes out again with only the ID changed (d); a TCP client's
 * query is copied into a datagram.  Or over a stream connection
 * (forward_stream.c), when the upstream is asked that way.
 * NOLINTNEXTLINE(misc-no-recursion): see tc_read's in_read guard */
static void forward(struct zn_dns_forwarder *fw, const struct fwd_client *cl,
                    const struct zn_udp_dgram *d, const struct fwd_query *qr,
                    uint64_t now) {
  struct fwd_pending *p = pending_new(fw, now);
  if (p == NULL) {
    /* Refusing costs the client one round trip; queueing without bound
     * would cost us the memory. */
    fw->s.pending_full++;
    fw->s.servfail++;
    answer_local(fw, cl, qr, ZN_DNS_RCODE_SERVFAIL, false);
    return;
  }
  p->cl = *cl;
  p->client_max = qr->client_max;
  p->orig_id = zn_dns_id(&qr->m);
  p->qtype = qr->q.qtype;
  p->qclass = qr->q.qclass;
  p->qname = qr->q.name;
  p->variant = qr->key.variant;
  p->rd = zn_dns_rd(&qr->m);
  p->cd = zn_dns_cd(&qr->m);
  p->edns = qr->edns;
  p->do_bit = qr->do_bit;
  struct fwd_tclient *tc = zn__fwd_tclient_of(fw, cl);
  if (tc)
    tc->inflight++;
  if (p == fw->oldest)
    pending_rearm(fw);
  fw->s.forwarded++;
  if (fw->cfg.upstream_stream) {
    if (zn__fwd_stream_send(fw, p, qr->m.p, qr->m.len))
      return;
    if (!fw->cfg.upstream_fallback_udp) {
      fw->s.upstream_stream_unavailable++; /* strict (RFC 8310 5) */
      fail_pending(fw, p);
      return;
    }
    fw->s.upstream_fallback_udp++; /* opportunistic: in clear */
  }

  struct zn_buf *b;
  if (d) {
    b = zn_udp_dgram_keep(d);
  } else {
    b = zn_udp_buf_alloc(fw->up, qr->m.len);
    if (b)
      memcpy(zn_buf_put(b, qr->m.len), qr->m.p, qr->m.len);
  }
  if (b == NULL) {
    fw->s.send_errors++;
    fail_pending(fw, p);
    return;
  }
  zn_wr16(b->data, p->new_id); /* the query's bytes now carry new_id */
  if (zn_udp_sendto_buf(fw->up, &fw->up_addr, fw->udp_port, b) != ZN_OK) {
    fw->s.send_errors++;
    fail_pending(fw, p); /* from the entry: it has the client's ID */
  }
}

/* Steps 2 to 4 for a query that passed step 1.
 * NOLINTNEXTLINE(misc-no-recursion): see tc_read's in_read guard */
void zn__fwd_serve(struct zn_dns_forwarder *fw, const struct fwd_client *cl,
                   const struct zn_udp_dgram *d, const struct fwd_query *qr) {
  uint64_t now = zn_stack_now(fw->st);
  if (fw->cfg.blocklist &&
      zn_dns_blocklist_match(fw->cfg.blocklist, &qr->q.name)) {
    bool zero =
        fw->cfg.block_zero && qr->q.qclass == ZN_DNS_CLASS_IN &&
        (qr->q.qtype == ZN_DNS_TYPE_A || qr->q.qtype == ZN_DNS_TYPE_AAAA);
    fw->s.blocked++;
    answer_local(fw, cl, qr,
                 fw->cfg.block_zero ? ZN_DNS_RCODE_NOERROR
                                    : ZN_DNS_RCODE_NXDOMAIN,
                 zero);
    return;
  }
  if (serve_cached(fw, cl, qr, now))
    return;
  forward(fw, cl, d, qr, now);
}

static void on_query(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)s;
  struct zn_dns_forwarder *fw = arg;
  struct fwd_query qr;
  fw->s.received++;
  if (d->bcast || d->sport == 0) {
    fw->s.dropped_bcast++;
    fw->s.dropped++;
    return;
  }
  struct fwd_client cl = {.kind = CL_UDP, .addr = d->src, .port = d->sport};
  if (zn__fwd_check_query(fw, &cl, d->data, d->len, &qr))
    zn__fwd_serve(fw, &cl, d, &qr);
}

/* ---- answers from the upstream ---- */

static void on_upstream(struct zn_udp_sock *s, void *arg,
                        const struct zn_udp_dgram *d) {
  (void)s;
  struct zn_dns_forwarder *fw = arg;
  struct zn_dns_msg m;
  uint64_t now = zn_stack_now(fw->st);
  if (!zn_ip_eq(&d->src, &fw->up_addr) || d->sport != fw->udp_port) {
    fw->s.upstream_mismatch++;
    return;
  }
  if (zn_dns_msg_init(&m, d->data, d->len) != ZN_OK) {
    fw->s.upstream_malformed++;
    return;
  }
  uint16_t idx = fw->by_id[zn_dns_id(&m)];
  if (!zn_dns_qr(&m) || idx == 0 || fw->pend[idx - 1].up ||
      fw->pend[idx - 1].via) {
    /* Unknown ID, or one being asked over TCP or a stream. */
    fw->s.upstream_mismatch++;
    return;
  }
  struct fwd_pending *p = &fw->pend[idx - 1];
  /* A forged or stray answer leaves the entry waiting for the real one. */
  if (!zn__fwd_question_is(&m, p)) {
    fw->s.upstream_mismatch++;
    return;
  }
  if (zn_dns_tc(&m)) {
    fw->s.truncated++;
    if (zn__fwd_tcp_fallback(fw, p))
      return;
    if (p->cl.kind == CL_TCP) {
      /* A TCP client asked precisely not to get a truncated answer. */
      fail_pending(fw, p);
      return;
    }
  } else if (zn_dns_msg_check(&m) != ZN_OK) {
    /* The client would have to make sense of it; say the server failed. */
    fw->s.upstream_malformed++;
    fail_pending(fw, p);
    return;
  }
  if (!zn_dns_tc(&m))
    zn__fwd_cache_put(fw, p, &m, now);
  fw->s.answered++;
  if (p->cl.kind == CL_TCP) {
    zn__fwd_answer_copy(fw, p, d->data, d->len);
    zn__fwd_pending_done(fw, p);
    return;
  }
  struct zn_buf *b = zn_udp_dgram_keep(d);
  zn_wr16(b->data, p->orig_id);
  struct fwd_client cl = p->cl;
  zn__fwd_pending_done(fw, p);
  send_to(fw, fw->listen, &cl.addr, cl.port, b);
}

static void on_upstream_err(struct zn_udp_sock *s, void *arg, int err,
                            const struct zn_ip *addr, uint16_t port) {
  (void)s;
  (void)err;
  (void)addr;
  (void)port;
  struct zn_dns_forwarder *fw = arg;
  /* Which query drew it is not known: the pending ones time out. */
  fw->s.upstream_unreachable++;
}

/* ---- setup ---- */

void zn_dns_forwarder_cfg_default(struct zn_dns_forwarder_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->port = ZN_DNS_PORT;
  cfg->pending_max = 1024;
  cfg->tcp_clients = 64;
  cfg->upstream_tcp_max = 64;
  cfg->cache_entries = 4096;
  cfg->cache_msg_max = FWD_CACHE_MSG_DEFAULT;
  cfg->upstream_timeout_ms = 5000;
  cfg->tcp_idle_ms = 10000;
  cfg->upstream_streams = FWD_US_DEFAULT;
}

static void cache_cfg(const struct zn_dns_forwarder_cfg *cfg,
                      struct zn_dns_cache_cfg *cc) {
  cc->entries = cfg->cache_entries;
  cc->value_size = ZN_DNS_CACHE_MSG_VALUE(cfg->cache_msg_max);
  cc->max_ttl = FWD_CACHE_MAX_TTL;
}

#define FWD_PIECES 9

/* The sizes of the pieces zn_dns_forwarder_init cuts, in its order. */
static void piece_sizes(const struct zn_dns_forwarder_cfg *cfg,
                        size_t sz[FWD_PIECES]) {
  struct zn_dns_cache_cfg cc;
  cache_cfg(cfg, &cc);
  sz[0] = sizeof(struct zn_dns_forwarder);
  sz[1] = (size_t)cfg->pending_max * sizeof(struct fwd_pending);
  sz[2] = 65536u * sizeof(uint16_t);
  sz[3] = (size_t)cfg->tcp_clients * sizeof(struct fwd_tclient);
  sz[4] = (size_t)cfg->tcp_clients * (FWD_TCP_QUERY_MAX + FWD_TCP_OUT_MAX);
  sz[5] = (size_t)cfg->upstream_tcp_max *
          (sizeof(struct fwd_upconn) + ZN_DNS_MSG_MAX);
  sz[6] = 2u + ZN_DNS_MSG_MAX;
  sz[7] = cfg->cache_entries ? zn_dns_cache_mem_size(&cc) : 0;
  sz[8] =
      cfg->upstream_stream
          ? (size_t)cfg->upstream_streams *
                (sizeof(struct fwd_ustream) + FWD_US_OUT_MAX + ZN_DNS_MSG_MAX)
          : 0;
}

/* The stream settings hang together: a port with its maker, not the
 * DNS port; a maker with 1..FWD_US_MAX connections. */
static bool stream_cfg_ok(const struct zn_dns_forwarder_cfg *cfg) {
  uint16_t port = cfg->port ? cfg->port : ZN_DNS_PORT;
  if ((cfg->stream_port != 0) != (cfg->stream_server != NULL) ||
      (cfg->stream_port != 0 && cfg->stream_port == port))
    return false;
  return cfg->upstream_stream == NULL ||
         (cfg->upstream_streams >= 1 && cfg->upstream_streams <= FWD_US_MAX);
}

size_t zn_dns_forwarder_mem_size(const struct zn_dns_forwarder_cfg *cfg) {
  if (cfg == NULL || zn_ip_is_unspecified(&cfg->upstream.addr) ||
      cfg->pending_max == 0 || cfg->pending_max > 65535 ||
      cfg->tcp_clients > (1u << 16) || cfg->cache_msg_max < FWD_CACHE_MSG_MIN ||
      cfg->cache_msg_max > FWD_CACHE_MSG_MAX ||
      cfg->upstream_tcp_max > (1u << 16) || cfg->cache_entries > (1u << 20) ||
      cfg->upstream_timeout_ms == 0 || cfg->tcp_idle_ms == 0 ||
      !stream_cfg_ok(cfg))
    return 0;
  size_t sz[FWD_PIECES], total = 0;
  piece_sizes(cfg, sz);
  for (int i = 0; i < FWD_PIECES; i++)
    total += zn__dns_carve_size(sz[i]);
  return total;
}

/* Cut the block into the tables and thread the free lists. */
static struct zn_dns_forwarder *carve(const struct zn_dns_forwarder_cfg *cfg,
                                      void *mem, const uint8_t key[16]) {
  size_t sz[FWD_PIECES];
  uint8_t *m = mem;
  piece_sizes(cfg, sz);
  struct zn_dns_forwarder *fw = zn__dns_carve(&m, sz[0]);
  memset(fw, 0, sizeof(*fw));
  fw->cfg = *cfg;
  fw->pend = zn__dns_carve(&m, sz[1]);
  fw->by_id = zn__dns_carve(&m, sz[2]);
  memset(fw->by_id, 0, sz[2]);
  fw->tc = zn__dns_carve(&m, sz[3]);
  memset(fw->tc, 0, sz[3]);
  uint8_t *tbuf = zn__dns_carve(&m, sz[4]);
  fw->uc = zn__dns_carve(&m, sz[5]);
  memset(fw->uc, 0, (size_t)cfg->upstream_tcp_max * sizeof(*fw->uc));
  uint8_t *ubuf = (uint8_t *)(fw->uc + cfg->upstream_tcp_max);
  fw->scratch = zn__dns_carve(&m, sz[6]);
  for (uint32_t i = cfg->pending_max; i-- > 0;) {
    fw->pend[i].next = fw->free_pend;
    fw->free_pend = &fw->pend[i];
  }
  for (uint32_t i = cfg->tcp_clients; i-- > 0;) {
    struct fwd_tclient *tc = &fw->tc[i];
    uint8_t *b = tbuf + (size_t)i * (FWD_TCP_QUERY_MAX + FWD_TCP_OUT_MAX);
    tc->fw = fw;
    zn_dns_tcp_decoder_init(&tc->dec, b, FWD_TCP_QUERY_MAX);
    tc->out = b + FWD_TCP_QUERY_MAX;
    zn_timer_init(&tc->idle, zn__fwd_tc_idle);
    tc->next_free = fw->free_tc;
    fw->free_tc = tc;
  }
  for (uint32_t i = cfg->upstream_tcp_max; i-- > 0;) {
    struct fwd_upconn *u = &fw->uc[i];
    u->fw = fw;
    zn_dns_tcp_decoder_init(&u->dec, ubuf + (size_t)i * ZN_DNS_MSG_MAX,
                            ZN_DNS_MSG_MAX);
    u->next_free = fw->free_uc;
    fw->free_uc = u;
  }
  if (sz[7]) {
    struct zn_dns_cache_cfg cc;
    cache_cfg(cfg, &cc);
    void *cmem = zn__dns_carve(&m, sz[7]);
    (void)zn_dns_cache_init(&cc, key, cmem, sz[7], &fw->cache); /* sized */
  }
  if (sz[8]) {
    fw->us = zn__dns_carve(&m, sz[8]);
    memset(fw->us, 0, (size_t)cfg->upstream_streams * sizeof(*fw->us));
    uint8_t *b = (uint8_t *)(fw->us + cfg->upstream_streams);
    for (uint32_t i = 0; i < cfg->upstream_streams; i++) {
      struct fwd_ustream *u = &fw->us[i];
      u->fw = fw;
      u->out = b + (size_t)i * (FWD_US_OUT_MAX + ZN_DNS_MSG_MAX);
      zn_dns_tcp_decoder_init(&u->dec, u->out + FWD_US_OUT_MAX, ZN_DNS_MSG_MAX);
    }
  }
  return fw;
}

/* The sockets: UDP and TCP listeners on the port, a TCP listener on the
 * stream port if there is one, and one UDP socket for
 * every upstream query, on a random ephemeral port, connected so that the
 * stack itself filters on the upstream's address and port (on_upstream
 * checks again). */
static int open_sockets(struct zn_dns_forwarder *fw) {
  int rc = zn_udp_open(fw->st, &fw->listen);
  if (rc == ZN_OK)
    rc = zn_udp_bind(fw->listen, &fw->cfg.listen_addr, fw->listen_port);
  if (rc == ZN_OK)
    rc =
        zn_tcp_listen(fw->st, &fw->cfg.listen_addr, fw->listen_port,
                      FWD_TCP_BACKLOG, &zn__fwd_listener_cbs, fw, &fw->tlisten);
  if (rc == ZN_OK && fw->cfg.stream_port)
    rc =
        zn_tcp_listen(fw->st, &fw->cfg.listen_addr, fw->cfg.stream_port,
                      FWD_TCP_BACKLOG, &zn__fwd_listener_cbs, fw, &fw->slisten);
  if (rc == ZN_OK)
    rc = zn_udp_open(fw->st, &fw->up);
  if (rc == ZN_OK)
    rc = zn_udp_connect(fw->up, &fw->up_addr, fw->udp_port);
  if (rc != ZN_OK)
    return rc;
  zn_udp_set_recv_cb(fw->listen, on_query, fw);
  zn_udp_set_recv_cb(fw->up, on_upstream, fw);
  zn_udp_set_err_cb(fw->up, on_upstream_err, fw);
  return ZN_OK;
}

int zn_dns_forwarder_init(struct zn_stack *st,
                          const struct zn_dns_forwarder_cfg *cfg, void *mem,
                          size_t len, struct zn_dns_forwarder **out) {
  size_t need = zn_dns_forwarder_mem_size(cfg);
  if (need == 0 || st == NULL || mem == NULL || out == NULL)
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  /* The names come from the network: a secret key for the buckets. */
  uint8_t key[16];
  zn_random_bytes(st, key, sizeof(key));
  struct zn_dns_forwarder *fw = carve(cfg, mem, key);
  fw->st = st;
  fw->up_addr = cfg->upstream.addr;
  fw->udp_port = cfg->upstream_stream || cfg->upstream.port == 0
                     ? ZN_DNS_PORT
                     : cfg->upstream.port;
  fw->up_port = cfg->upstream.port     ? cfg->upstream.port
                : cfg->upstream_stream ? FWD_DOT_PORT
                                       : ZN_DNS_PORT;
  fw->listen_port = cfg->port ? cfg->port : ZN_DNS_PORT;
  fw->up_timeout_ns = ZN_MS(cfg->upstream_timeout_ms);
  fw->tcp_idle_ns = ZN_MS(cfg->tcp_idle_ms);
  zn_timer_init(&fw->timer, expire_pending);
  int rc = open_sockets(fw);
  if (rc != ZN_OK) {
    zn_dns_forwarder_stop(fw);
    return rc;
  }
  *out = fw;
  return ZN_OK;
}

void zn_dns_forwarder_stop(struct zn_dns_forwarder *fw) {
  zn_timer_stop(fw->st, &fw->timer);
  zn__fwd_tcp_stop(fw);
  zn__fwd_stream_stop(fw);
  zn_udp_close(fw->listen);
  zn_udp_close(fw->up);
  fw->listen = fw->up = NULL;
  zn_stack_flush(fw->st); /* the resets go out */
}

void zn_dns_forwarder_get_stats(const struct zn_dns_forwarder *fw,
                                struct zn_dns_forwarder_stats *s) {
  *s = fw->s;
  if (fw->cache) {
    struct zn_dns_cache_stats cs;
    zn_dns_cache_get_stats(fw->cache, &cs);
    s->cache_inserts = cs.inserts;
    s->cache_evictions = cs.evictions;
    s->cache_expired = cs.expired;
    s->cache_entries = zn_dns_cache_count(fw->cache);
  }
  s->pending = fw->npending;
  s->tcp_open = fw->tc_active;
}
