/*
 * Asynchronous stub resolver: see the "Stub resolver" part of znet/dns.h.
 *
 * A query is a small state machine driven by three events: its timer
 * (retry, or the deferred delivery of a cached answer), a datagram on its
 * socket, and an ICMP error on its socket.  It ends in finish(), which
 * closes the socket, runs the callback, and only then frees the slot, so
 * a callback may start new queries but never sees its own slot reused.
 */
#include <string.h>

#include "dns_int.h"
#include "znet/dhcp4.h"
#include "znet/dns.h"
#include "znet/err.h"
#include "znet/stack.h"
#include "znet/tcp.h"
#include "znet/timer.h"
#include "znet/udp.h"

#define EDNS_UDP_SIZE 1232 /* fits any path MTU seen in practice */
#define QUERY_BUF 512

enum { Q_FREE = 0, Q_ACTIVE, Q_DELIVER, Q_DONE };

/* What the answer cache keeps of an answer (the value of its entries). */
struct cached {
  int status;
  uint8_t rcode;
  uint32_t naddr;
  struct zn_dns_name canonical;
  struct zn_ip addrs[ZN_DNS_MAX_ADDRS];
};

#define MAX_IDS 8

struct zn_dns_query {
  struct zn_dns_resolver *r;
  uint8_t state;
  uint16_t qtype;
  uint16_t id;          /* of the latest try */
  uint16_t ids[MAX_IDS]; /* of every try of the current name */
  uint8_t nids;
  uint32_t tries;       /* sends for the current name */
  uint32_t server;      /* index of the server for the next send */
  /* The servers this name was sent to: answers are taken from these
   * only.  Kept by address, not index: the RDNSS list can change between
   * two tries. */
  struct zn_dns_server sent_to[ZN_DNS_MAX_SERVERS];
  uint32_t nsent_to;
  uint32_t cname_hops;
  uint32_t min_ttl;
  uint64_t timeout;     /* ns, for the next send */
  struct zn_dns_name cur; /* the name being asked (after CNAMEs) */
  struct zn_udp_sock *sock;
  /* The TCP retry of a truncated answer (RFC 7766 §5): the connection to
   * the server that truncated, and the answer's framing into tcpbuf
   * (cfg.tcp_msg_max bytes of the resolver's memory). */
  struct zn_tcp_conn *tcp;
  struct zn_dns_server tcp_srv;
  struct zn_dns_tcp_decoder dec;
  uint8_t *tcpbuf;
  struct zn_timer timer;
  zn_dns_resolve_cb cb;
  void *arg;
  struct zn_dns_answer ans;
};

struct zn_dns_resolver {
  struct zn_stack *st;
  struct zn_dns_resolver_cfg cfg;
  struct zn_dns_query *q;
  struct zn_dns_cache *cache; /* NULL: cache_entries 0 */
  struct zn_dns_resolver_stats stats;
};

void zn_dns_resolver_cfg_default(struct zn_dns_resolver_cfg *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->timeout_ms = 1000;
  cfg->tries = 4;
  cfg->max_queries = 16;
  cfg->cache_entries = 64;
  cfg->max_ttl = 86400;
  cfg->neg_ttl = 60;
  cfg->max_cname = 8;
  cfg->tcp_msg_max = 4096;
}

static bool cfg_ok(const struct zn_dns_resolver_cfg *cfg) {
  if (cfg->nservers > ZN_DNS_MAX_SERVERS ||
      cfg->tries == 0 || cfg->max_queries == 0 || cfg->timeout_ms == 0 ||
      cfg->max_queries > 65536 || cfg->cache_entries > (1u << 20) ||
      (cfg->tcp_msg_max != 0 &&
       (cfg->tcp_msg_max < 512 || cfg->tcp_msg_max > 65535)))
    return false;
  for (uint32_t i = 0; i < cfg->nservers; i++)
    if (zn_ip_is_unspecified(&cfg->servers[i].addr))
      return false;
  return true;
}

static void cache_cfg(const struct zn_dns_resolver_cfg *cfg,
                      struct zn_dns_cache_cfg *cc) {
  cc->entries = cfg->cache_entries;
  cc->value_size = sizeof(struct cached);
  cc->max_ttl = cfg->max_ttl;
}

size_t zn_dns_resolver_mem_size(const struct zn_dns_resolver_cfg *cfg) {
  if (!cfg_ok(cfg))
    return 0;
  struct zn_dns_cache_cfg cc;
  cache_cfg(cfg, &cc);
  return zn__dns_carve_size(sizeof(struct zn_dns_resolver)) +
         zn__dns_carve_size((size_t)cfg->max_queries *
                            sizeof(struct zn_dns_query)) +
         zn__dns_carve_size((size_t)cfg->max_queries * cfg->tcp_msg_max) +
         (cfg->cache_entries ? zn__dns_carve_size(zn_dns_cache_mem_size(&cc))
                             : 0);
}

static void query_timer(struct zn_stack *st, struct zn_timer *t);

int zn_dns_resolver_init(struct zn_stack *st,
                         const struct zn_dns_resolver_cfg *cfg, void *mem,
                         size_t len, struct zn_dns_resolver **out) {
  size_t need = zn_dns_resolver_mem_size(cfg);
  if (need == 0 || !mem || !st || !out)
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  uint8_t *m = mem;
  struct zn_dns_resolver *r = zn__dns_carve(&m, sizeof(*r));
  memset(r, 0, sizeof(*r));
  r->st = st;
  r->cfg = *cfg;
  r->q = zn__dns_carve(&m, (size_t)cfg->max_queries * sizeof(struct zn_dns_query));
  memset(r->q, 0, (size_t)cfg->max_queries * sizeof(struct zn_dns_query));
  uint8_t *tcpbufs =
      zn__dns_carve(&m, (size_t)cfg->max_queries * cfg->tcp_msg_max);
  if (cfg->cache_entries) {
    /* The names asked come from whoever uses the resolver: a secret key
     * keeps them from landing in one bucket. */
    struct zn_dns_cache_cfg cc;
    uint8_t key[16];
    cache_cfg(cfg, &cc);
    size_t clen = zn_dns_cache_mem_size(&cc);
    void *cmem = zn__dns_carve(&m, clen);
    zn_random_bytes(st, key, sizeof(key));
    (void)zn_dns_cache_init(&cc, key, cmem, clen, &r->cache); /* sized above */
  }
  for (uint32_t i = 0; i < cfg->max_queries; i++) {
    r->q[i].r = r;
    r->q[i].tcpbuf = tcpbufs + (size_t)i * cfg->tcp_msg_max;
    zn_timer_init(&r->q[i].timer, query_timer);
  }
  *out = r;
  return ZN_OK;
}

static const struct zn_tcp_callbacks orphan_cbs; /* all NULL */

/* Reset the TCP retry, if any; its remaining callbacks go nowhere, so a
 * slot reused meanwhile never sees them. */
static void drop_tcp(struct zn_dns_query *q) {
  if (q->tcp) {
    zn_tcp_set_callbacks(q->tcp, &orphan_cbs, NULL);
    zn_tcp_abort(q->tcp);
    q->tcp = NULL;
  }
}

static void release(struct zn_dns_query *q) {
  zn_timer_stop(q->r->st, &q->timer);
  drop_tcp(q);
  if (q->sock) {
    zn_udp_close(q->sock);
    q->sock = NULL;
  }
  q->state = Q_FREE;
}

void zn_dns_resolver_destroy(struct zn_dns_resolver *r) {
  for (uint32_t i = 0; i < r->cfg.max_queries; i++)
    if (r->q[i].state != Q_FREE)
      release(&r->q[i]);
}

void zn_dns_cancel(struct zn_dns_query *q) {
  if (q && (q->state == Q_ACTIVE || q->state == Q_DELIVER))
    release(q);
}

struct zn_stack *zn__dns_resolver_stack(const struct zn_dns_resolver *r) {
  return r->st;
}

void zn_dns_resolver_get_stats(const struct zn_dns_resolver *r,
                               struct zn_dns_resolver_stats *s) {
  *s = r->stats;
}

void zn_dns_resolver_flush_cache(struct zn_dns_resolver *r) {
  if (r->cache)
    zn_dns_cache_flush(r->cache);
}

/* ---- cache ---- */

static void cache_key(struct zn_dns_cache_key *k, const struct zn_dns_name *n,
                      uint16_t qtype) {
  k->name = *n;
  k->qtype = qtype;
  k->qclass = ZN_DNS_CLASS_IN;
  k->variant = 0;
}

static void cache_put(struct zn_dns_resolver *r, const struct zn_dns_answer *a,
                      uint32_t ttl) {
  if (r->cache == NULL || ttl == 0)
    return;
  struct zn_dns_cache_key k;
  struct cached v;
  memset(&v, 0, sizeof(v));
  cache_key(&k, &a->name, a->qtype);
  v.status = a->status;
  v.rcode = a->rcode;
  v.naddr = a->naddr;
  v.canonical = a->canonical;
  memcpy(v.addrs, a->addrs, sizeof(v.addrs));
  (void)zn_dns_cache_put(r->cache, &k, ttl, zn_stack_now(r->st), &v,
                         sizeof(v)); /* fits: value_size is sizeof(v) */
}

/* A cached answer to (name, qtype) into *a; false if there is none. */
static bool cache_get(struct zn_dns_resolver *r, const struct zn_dns_name *n,
                      uint16_t qtype, struct zn_dns_answer *a) {
  struct zn_dns_cache_key k;
  struct zn_dns_cache_hit hit;
  struct cached v;
  if (r->cache == NULL)
    return false;
  cache_key(&k, n, qtype);
  if (zn_dns_cache_get(r->cache, &k, zn_stack_now(r->st), &hit) != ZN_OK)
    return false;
  memcpy(&v, hit.value, sizeof(v));
  a->status = v.status;
  a->rcode = v.rcode;
  a->canonical = v.canonical;
  a->naddr = v.naddr;
  memcpy(a->addrs, v.addrs, sizeof(a->addrs));
  a->ttl = hit.ttl;
  a->from_cache = true;
  return true;
}

/* ---- sending ---- */

static uint16_t server_port(const struct zn_dns_server *s) {
  return s->port ? s->port : ZN_DNS_PORT;
}

/* The servers to ask: the configured ones, or, with none configured,
 * those router advertisements named (RFC 8106 §5.3.1 RDNSS), then those
 * of the DHCPv4 lease (option 6), asked at each try so a list learnt or
 * changed meanwhile is followed.  Returns how many were written to out
 * (at most ZN_DNS_MAX_SERVERS). */
static uint32_t current_servers(const struct zn_dns_resolver *r,
                                struct zn_dns_server *out) {
  if (r->cfg.nservers > 0) {
    memcpy(out, r->cfg.servers, r->cfg.nservers * sizeof(*out));
    return r->cfg.nservers;
  }
  uint32_t n = 0;
  while (n < ZN_DNS_MAX_SERVERS &&
         zn_stack_ipv6_dns_server(r->st, n, &out[n].addr) == ZN_OK) {
    out[n].port = 0;
    n++;
  }
  for (uint32_t i = 0; n < ZN_DNS_MAX_SERVERS &&
                       zn_dhcp4_dns_server(r->st, i, &out[n].addr) == ZN_OK;
       i++) {
    out[n].port = 0;
    n++;
  }
  return n;
}

static void remember_server(struct zn_dns_query *q,
                            const struct zn_dns_server *srv) {
  for (uint32_t i = 0; i < q->nsent_to; i++)
    if (zn_ip_eq(&q->sent_to[i].addr, &srv->addr) &&
        server_port(&q->sent_to[i]) == server_port(srv))
      return;
  if (q->nsent_to < ZN_DNS_MAX_SERVERS)
    q->sent_to[q->nsent_to++] = *srv;
}

/* The query for q->cur with ID q->id into buf; its length, 0 if it
 * does not fit. */
static size_t build_query(const struct zn_dns_query *q, uint8_t *buf,
                          size_t cap) {
  struct zn_dns_builder bld;
  struct zn_dns_hdr h;
  memset(&h, 0, sizeof(h));
  h.id = q->id;
  h.rd = true;
  struct zn_dns_opt opt;
  memset(&opt, 0, sizeof(opt));
  opt.udp_size = EDNS_UDP_SIZE;
  if (zn_dns_build_init(&bld, buf, cap, &h) == ZN_OK &&
      zn_dns_build_question(&bld, &q->cur, q->qtype, ZN_DNS_CLASS_IN) ==
          ZN_OK &&
      zn_dns_build_opt(&bld, &opt) == ZN_OK)
    return zn_dns_build_len(&bld);
  return 0;
}

static void send_to_server(struct zn_dns_query *q,
                           const struct zn_dns_server *srv) {
  struct zn_dns_resolver *r = q->r;
  struct zn_stack *st = r->st;
  /* A fresh ID per try (RFC 5452 §9.2); answers to earlier tries of this
   * name still count (they are just late). */
  q->id = (uint16_t)zn_random_u32(st);
  q->ids[q->nids % MAX_IDS] = q->id;
  if (q->nids < MAX_IDS)
    q->nids++;
  struct zn_buf *b = zn_udp_buf_alloc(q->sock, QUERY_BUF);
  if (b) {
    size_t len = build_query(q, zn_buf_tail(b), QUERY_BUF);
    if (len > 0) {
      zn_buf_put(b, len);
      if (zn_udp_sendto_buf(q->sock, &srv->addr, server_port(srv), b) ==
          ZN_OK)
        r->stats.sent++;
    } else {
      zn_buf_free(b);
    }
  }
}

static void send_try(struct zn_dns_query *q) {
  struct zn_dns_resolver *r = q->r;
  struct zn_dns_server list[ZN_DNS_MAX_SERVERS];
  uint32_t n = current_servers(r, list);
  q->tries++;
  if (n > 0) {
    const struct zn_dns_server *srv = &list[q->server % n];
    q->server++;
    remember_server(q, srv);
    send_to_server(q, srv);
  } else {
    r->stats.no_server++; /* none known yet: the try is lost, wait */
  }
  /* Whether or not the datagram left, wait: a failed send is a lost try. */
  zn_timer_start_in(r->st, &q->timer, q->timeout);
  q->timeout *= 2;
}

static void start_name(struct zn_dns_query *q) {
  q->tries = 0;
  q->nsent_to = 0;
  q->nids = 0;
  q->timeout = ZN_MS(q->r->cfg.timeout_ms);
  send_try(q);
}

/* ---- finishing ---- */

static void finish(struct zn_dns_query *q, int status, uint8_t rcode,
                   uint32_t ttl, bool cache) {
  struct zn_dns_resolver *r = q->r;
  struct zn_dns_answer *a = &q->ans;
  a->status = status;
  a->rcode = rcode;
  if (ttl > r->cfg.max_ttl)
    ttl = r->cfg.max_ttl;
  a->ttl = ttl;
  if (status != ZN_OK)
    a->naddr = 0;
  if (cache)
    cache_put(r, a, ttl);
  zn_timer_stop(r->st, &q->timer);
  drop_tcp(q);
  if (q->sock) {
    zn_udp_close(q->sock); /* safe inside the socket's own callback */
    q->sock = NULL;
  }
  q->state = Q_DONE;
  q->cb(r, q->arg, a);
  q->state = Q_FREE;
}

/* A server failed for this try: go on to the next, or give up. */
static void server_failed(struct zn_dns_query *q, int status, uint8_t rcode) {
  drop_tcp(q);
  if (q->tries < q->r->cfg.tries) {
    q->r->stats.retries++;
    send_try(q);
    return;
  }
  q->ans.rcode = rcode;
  finish(q, status, rcode, 0, false);
}

static uint32_t rr_ttl(uint32_t ttl) {
  return ttl >= 0x80000000u ? 0 : ttl; /* RFC 2181 §8 */
}

/* Negative TTL from the SOA in the authority section (RFC 2308 §5). */
static uint32_t neg_ttl(const struct zn_dns_resolver *r,
                        const struct zn_dns_msg *m) {
  struct zn_dns_iter it;
  struct zn_dns_rr rr;
  zn_dns_iter_init(&it, m);
  while (zn_dns_iter_rr(&it, &rr) == ZN_OK) {
    struct zn_dns_rdata rd;
    if (rr.section == ZN_DNS_SEC_AUTHORITY && rr.type == ZN_DNS_TYPE_SOA &&
        zn_dns_rr_rdata(m, &rr, &rd) == ZN_OK) {
      struct zn_dns_rr t = rr;
      t.ttl = rr_ttl(rr.ttl);
      return zn_dns_soa_neg_ttl(&t, &rd.u.soa);
    }
  }
  return r->cfg.neg_ttl;
}

/* Follow the answer section from q->cur.  Returns the number of addresses
 * found; *end is where the chain stopped; *hops the CNAMEs followed. */
static uint32_t walk_answer(struct zn_dns_query *q, const struct zn_dns_msg *m,
                            struct zn_dns_name *end, uint32_t *hops,
                            uint32_t *ttl) {
  struct zn_dns_answer *a = &q->ans;
  *end = q->cur;
  *hops = 0;
  for (;;) {
    struct zn_dns_iter it;
    struct zn_dns_rr rr;
    struct zn_dns_rdata rd;
    bool have_cname = false;
    struct zn_dns_name next;
    uint32_t cname_ttl = 0;
    a->naddr = 0;
    zn_dns_iter_init(&it, m);
    while (zn_dns_iter_rr(&it, &rr) == ZN_OK) {
      if (rr.section != ZN_DNS_SEC_ANSWER)
        break;
      if ((rr.rclass & 0x7fff) != ZN_DNS_CLASS_IN || !zn_dns_name_eq(&rr.name, end))
        continue;
      if (zn_dns_rr_rdata(m, &rr, &rd) != ZN_OK)
        continue;
      if (rr.type == q->qtype && a->naddr < ZN_DNS_MAX_ADDRS) {
        if (q->qtype == ZN_DNS_TYPE_A)
          a->addrs[a->naddr] = zn_ip_from_v4(rd.u.a);
        else
          a->addrs[a->naddr] = zn_ip_from_v6(rd.u.aaaa);
        a->naddr++;
        if (rr_ttl(rr.ttl) < *ttl)
          *ttl = rr_ttl(rr.ttl);
      } else if (rr.type == ZN_DNS_TYPE_CNAME && !have_cname) {
        have_cname = true;
        next = rd.u.name;
        cname_ttl = rr_ttl(rr.ttl);
      }
    }
    if (a->naddr || !have_cname)
      return a->naddr;
    if (++*hops + q->cname_hops > q->r->cfg.max_cname)
      return 0;
    if (cname_ttl < *ttl)
      *ttl = cname_ttl;
    *end = next;
  }
}

static bool start_tcp(struct zn_dns_query *q);

static void on_response(struct zn_dns_query *q, const struct zn_dns_msg *m,
                        bool via_tcp) {
  struct zn_dns_resolver *r = q->r;
  struct zn_dns_hdr h;
  zn_dns_msg_hdr(m, &h);
  if (zn_dns_msg_check(m) != ZN_OK) {
    r->stats.malformed++;
    server_failed(q, ZN_EPROTO, h.rcode);
    return;
  }
  r->stats.answers++;
  q->ans.rcode = h.rcode;
  /* RFC 2181 §9: a truncated answer is ignored and asked again over TCP
   * (of the same server, RFC 7766 §5); only without TCP is what it
   * holds used. */
  if (h.tc && !via_tcp && start_tcp(q))
    return;
  if (h.rcode == ZN_DNS_RCODE_NXDOMAIN) {
    q->ans.canonical = q->cur;
    finish(q, ZN_ENOENT, h.rcode, neg_ttl(r, m), true);
    return;
  }
  if (h.rcode != ZN_DNS_RCODE_NOERROR) {
    server_failed(q, ZN_EPROTO, h.rcode);
    return;
  }
  struct zn_dns_name end;
  uint32_t hops, ttl = q->min_ttl;
  uint32_t n = walk_answer(q, m, &end, &hops, &ttl);
  q->min_ttl = ttl;
  if (n) {
    q->ans.canonical = end;
    finish(q, ZN_OK, h.rcode, ttl, true);
    return;
  }
  if (hops + q->cname_hops > r->cfg.max_cname) {
    finish(q, ZN_ERANGE, h.rcode, 0, false);
    return;
  }
  if (hops > 0) {
    /* The answer stops at a CNAME: ask for its target. */
    q->cname_hops += hops;
    q->cur = end;
    r->stats.cname_requeries++;
    start_name(q);
    return;
  }
  if (h.tc) {
    /* Cut short, nothing usable, no TCP (or truncated over TCP too). */
    server_failed(q, ZN_EPROTO, h.rcode);
    return;
  }
  q->ans.canonical = q->cur;
  finish(q, ZN_ENOENT, h.rcode, neg_ttl(r, m), true); /* NODATA */
}

/* The answer's question is the one asked (name ignoring case). */
static bool question_matches(const struct zn_dns_query *q,
                             const struct zn_dns_msg *m) {
  struct zn_dns_iter it;
  struct zn_dns_question qu;
  zn_dns_iter_init(&it, m);
  return zn_dns_iter_question(&it, &qu) == ZN_OK && qu.qtype == q->qtype &&
         qu.qclass == ZN_DNS_CLASS_IN && zn_dns_name_eq(&qu.name, &q->cur);
}

/* ---- the TCP retry of a truncated answer (RFC 7766 §5) ---- */

/* A query's TCP callbacks: arg is the query, and q->tcp == c holds for
 * as long as the connection is the query's (drop_tcp moves it to
 * orphan_cbs first). */
static void tcp_failed(struct zn_dns_query *q) {
  q->r->stats.tcp_failed++;
  zn_timer_stop(q->r->st, &q->timer);
  server_failed(q, ZN_EPROTO, q->ans.rcode); /* drops the connection */
}

static void on_tcp_connected(struct zn_tcp_conn *c, void *arg) {
  struct zn_dns_query *q = arg;
  uint8_t out[2 + QUERY_BUF];
  size_t len = build_query(q, out + 2, QUERY_BUF);
  if (len == 0 || zn_dns_tcp_encode_len(len, out) != ZN_OK ||
      zn_tcp_write(c, out, len + 2) != (long)(len + 2)) {
    tcp_failed(q);
    return;
  }
  q->r->stats.sent++;
}

/* One whole message on the stream: the answer, if it is ours. */
static void on_tcp_message(struct zn_dns_query *q) {
  struct zn_dns_msg m;
  if (zn_dns_msg_init(&m, q->dec.buf, q->dec.need) != ZN_OK ||
      zn_dns_id(&m) != q->id || !zn_dns_qr(&m) ||
      zn_dns_opcode(&m) != ZN_DNS_OPCODE_QUERY || zn_dns_qdcount(&m) != 1 ||
      !question_matches(q, &m)) {
    q->r->stats.mismatched++;
    tcp_failed(q);
    return;
  }
  q->r->stats.tcp_answers++;
  zn_timer_stop(q->r->st, &q->timer);
  drop_tcp(q);
  on_response(q, &m, true);
}

static void on_tcp_readable(struct zn_tcp_conn *c, void *arg) {
  struct zn_dns_query *q = arg;
  uint8_t chunk[512];
  for (;;) { /* bounded: the receive window */
    long n = zn_tcp_read(c, chunk, sizeof(chunk));
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) { /* the server closed (or failed) before a whole answer */
      tcp_failed(q);
      return;
    }
    size_t used;
    int rc = zn_dns_tcp_decode(&q->dec, chunk, (size_t)n, &used);
    if (rc == 1) {
      on_tcp_message(q); /* anything after it is not ours to read */
      return;
    }
    if (rc < 0) {
      q->r->stats.malformed++;
      tcp_failed(q);
      return;
    }
  }
}

static void on_tcp_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  tcp_failed(arg);
}

/* cppcheck-suppress constParameter ; the zn_tcp_callbacks signature */
static void on_tcp_closed(struct zn_tcp_conn *c, void *arg) {
  struct zn_dns_query *q = arg;
  if (q->tcp == c)
    q->tcp = NULL;
}

static const struct zn_tcp_callbacks tcp_cbs = {
    .on_connected = on_tcp_connected,
    .on_readable = on_tcp_readable,
    .on_error = on_tcp_error,
    .on_closed = on_tcp_closed,
};

/* Connect to the server that truncated (q->tcp_srv); the query's timer
 * bounds the attempt.  False if TCP is off or no connection can start. */
static bool start_tcp(struct zn_dns_query *q) {
  struct zn_dns_resolver *r = q->r;
  if (r->cfg.tcp_msg_max == 0)
    return false;
  zn_dns_tcp_decoder_init(&q->dec, q->tcpbuf, r->cfg.tcp_msg_max);
  if (zn_tcp_connect(r->st, &q->tcp_srv.addr, q->tcp_srv.port, &tcp_cbs, q,
                     &q->tcp) != ZN_OK) {
    q->tcp = NULL;
    return false;
  }
  r->stats.tcp_retries++;
  zn_timer_start_in(r->st, &q->timer, q->timeout);
  return true;
}

static void on_dgram(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  struct zn_dns_query *q = arg;
  struct zn_dns_resolver *r = q->r;
  (void)s;
  if (q->state != Q_ACTIVE)
    return;
  /* RFC 5452 §9.1: source address and port, ID and question must all
   * match what we sent, or the datagram is ignored. */
  bool from_server = false;
  for (uint32_t i = 0; i < q->nsent_to; i++)
    if (zn_ip_eq(&q->sent_to[i].addr, &d->src) &&
        server_port(&q->sent_to[i]) == d->sport)
      from_server = true;
  struct zn_dns_msg m;
  bool id_ok = false;
  if (from_server && zn_dns_msg_init(&m, d->data, d->len) == ZN_OK)
    for (uint8_t i = 0; i < q->nids; i++)
      id_ok |= zn_dns_id(&m) == q->ids[i];
  if (!id_ok || !zn_dns_qr(&m) || zn_dns_opcode(&m) != ZN_DNS_OPCODE_QUERY ||
      zn_dns_qdcount(&m) != 1) {
    r->stats.mismatched++;
    return;
  }
  if (!question_matches(q, &m)) {
    r->stats.mismatched++;
    return;
  }
  zn_timer_stop(r->st, &q->timer);
  drop_tcp(q); /* a late UDP answer beat it */
  q->tcp_srv.addr = d->src;
  q->tcp_srv.port = d->sport;
  on_response(q, &m, false);
}

static void on_err(struct zn_udp_sock *s, void *arg, int err,
                   const struct zn_ip *addr,
                   uint16_t port) {
  struct zn_dns_query *q = arg;
  (void)s;
  (void)err;
  (void)addr;
  (void)port;
  if (q->state != Q_ACTIVE)
    return;
  /* The server's port or host is unreachable: move on now rather than
   * waiting out the timeout. */
  zn_timer_stop(q->r->st, &q->timer);
  server_failed(q, ZN_ETIMEDOUT, 0);
}

static void query_timer(struct zn_stack *st, struct zn_timer *t) {
  struct zn_dns_query *q = ZN_CONTAINER_OF(t, struct zn_dns_query, timer);
  (void)st;
  if (q->state == Q_DELIVER) {
    q->state = Q_DONE;
    q->cb(q->r, q->arg, &q->ans);
    q->state = Q_FREE;
    return;
  }
  if (q->state != Q_ACTIVE)
    return;
  drop_tcp(q); /* a TCP retry that took as long as a try has failed */
  if (q->tries < q->r->cfg.tries) {
    q->r->stats.retries++;
    send_try(q);
    return;
  }
  q->r->stats.timeouts++;
  finish(q, ZN_ETIMEDOUT, q->ans.rcode, 0, false);
}

static size_t cstrlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int zn_dns_resolve(struct zn_dns_resolver *r, const char *name,
                   uint16_t qtype, zn_dns_resolve_cb cb, void *arg,
                   struct zn_dns_query **out) {
  struct zn_dns_name n;
  if (!name || !cb || (qtype != ZN_DNS_TYPE_A && qtype != ZN_DNS_TYPE_AAAA))
    return ZN_EINVAL;
  size_t len = cstrlen(name);
  if (len == 0 || zn_dns_name_from_text(&n, name, len) != ZN_OK)
    return ZN_EINVAL;
  struct zn_dns_query *q = NULL;
  for (uint32_t i = 0; i < r->cfg.max_queries && !q; i++)
    if (r->q[i].state == Q_FREE)
      q = &r->q[i];
  if (!q)
    return ZN_ENOMEM;
  memset(&q->ans, 0, sizeof(q->ans));
  q->ans.name = n;
  q->ans.qtype = qtype;
  q->qtype = qtype;
  q->cur = n;
  q->cname_hops = 0;
  q->min_ttl = UINT32_MAX;
  q->cb = cb;
  q->arg = arg;
  r->stats.queries++;
  if (cache_get(r, &n, qtype, &q->ans)) {
    r->stats.cache_hits++;
    q->state = Q_DELIVER;
    zn_timer_start(r->st, &q->timer, zn_stack_now(r->st));
  } else {
    r->stats.cache_misses++;
    int rc = zn_udp_open(r->st, &q->sock);
    if (rc != ZN_OK)
      return ZN_ENOMEM;
    rc = zn_udp_bind(q->sock, NULL, 0); /* a random port (RFC 5452 §9.2) */
    if (rc != ZN_OK) {
      zn_udp_close(q->sock);
      q->sock = NULL;
      return ZN_ENOMEM;
    }
    zn_udp_set_recv_cb(q->sock, on_dgram, q);
    zn_udp_set_err_cb(q->sock, on_err, q);
    q->server = 0; /* the first server first; retries go round the list */
    q->state = Q_ACTIVE;
    start_name(q);
  }
  if (out)
    *out = q;
  return ZN_OK;
}
