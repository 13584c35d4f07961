/*
 * The forwarder (see znet/dns.h, "Forwarder"): its setup, and its UDP
 * sockets, queries from clients on one and answers from the upstream on
 * the other.  Every structure lives in the caller's block, cut up by
 * zn_dns_forwarder_init.  The other files, each calling only those
 * below it:
 *
 *   forward_tcp.c      clients over TCP and streams; the upstream asked
 *                      again over TCP
 *   forward_serve.c    a query's way: checked, blocked, cached, forwarded
 *   forward_stream.c   the upstream over stream connections (DoT)
 *   forward_pending.c  the queries in progress, the cache they fill
 *   forward_answer.c   the answers, to UDP and TCP clients
 */
#include <string.h>

#include "dns_int.h"
#include "forward_int.h"
#include "znet/err.h"
#include "znet/stack.h"

/* ---- the UDP sockets ---- */

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

/* Answers from the upstream: matched to their pending query by ID and
 * question, cached, relayed to the client under its ID (in the
 * upstream's buffer for a UDP client, the ID rewritten in place). */
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
      zn__fwd_fail_pending(fw, p);
      return;
    }
  } else if (zn_dns_msg_check(&m) != ZN_OK) {
    /* The client would have to make sense of it; say the server failed. */
    fw->s.upstream_malformed++;
    zn__fwd_fail_pending(fw, p);
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
  zn__fwd_send_to(fw, fw->listen, &cl.addr, cl.port, b);
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
    zn_timer_init(&tc->wake, zn__fwd_tc_wake);
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
  zn_timer_init(&fw->timer, zn__fwd_expire_pending);
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
