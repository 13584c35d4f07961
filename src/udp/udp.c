/*
 * UDP (RFC 768; RFC 1122 §4.1; ephemeral ports RFC 6056).
 *
 * Sockets live in a fixed table with a free list; bound sockets are
 * hashed by local port with the stack's SipHash key, so demultiplexing is
 * O(1) expected whatever ports an attacker sprays.  A datagram goes to the
 * most specific match: connected peer, then bound local address, then
 * wildcard.  A socket closed inside one of its own callbacks is unhooked
 * at once and recycled when the callback returns.
 */
#include <string.h>

#include "core/stack_int.h"
#include "znet/err.h"
#include "znet/udp.h"
#include "znet/wire.h"

/* Sender of a queued datagram, kept in its buffer's cb. */
struct udp_cb {
  uint32_t src;
  uint16_t sport;
};
_Static_assert(sizeof(struct udp_cb) <= ZN_BUF_CB_SIZE, "cb too small");

static uint32_t nbuckets_for(uint32_t n) {
  uint32_t b = 1;
  while (b < 2 * n)
    b <<= 1;
  return b;
}

size_t zn__udp_mem_size(const struct zn_config *cfg) {
  return zn__carve_size((size_t)cfg->udp_socks * sizeof(struct zn_udp_sock)) +
         zn__carve_size((size_t)nbuckets_for(cfg->udp_socks) *
                        sizeof(struct zn_udp_sock *));
}

static void udp_input(struct zn_stack *st, struct zn_buf *b,
                      const struct zn__ip_meta *m);
static void udp_err(struct zn_stack *st, const struct zn__ip_err *e);

void zn__udp_init(struct zn_stack *st, void **mem) {
  struct zn__udp *u = &st->udp;
  uint32_t n = st->cfg.udp_socks;
  memset(u, 0, sizeof(*u));
  u->socks = zn__carve(mem, (size_t)n * sizeof(struct zn_udp_sock));
  u->nbuckets = nbuckets_for(n);
  u->bucket = zn__carve(mem, (size_t)u->nbuckets * sizeof(struct zn_udp_sock *));
  memset(u->socks, 0, (size_t)n * sizeof(struct zn_udp_sock));
  memset(u->bucket, 0, (size_t)u->nbuckets * sizeof(struct zn_udp_sock *));
  for (uint32_t i = n; i-- > 0;) {
    u->socks[i].free_next = u->free;
    u->free = &u->socks[i];
  }
  if (n)
    zn__ip_register(st, ZN_IPPROTO_UDP, udp_input, udp_err);
}

void zn__udp_destroy(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->cfg.udp_socks; i++)
    zn_bufq_purge(&st->udp.socks[i].rxq);
}

static struct zn_udp_sock **bucket_of(struct zn_stack *st, uint16_t port) {
  return &st->udp.bucket[zn__hash32(st, port, 0x75647000u) &
                         (st->udp.nbuckets - 1)];
}

static void hash_in(struct zn_udp_sock *s) {
  struct zn_udp_sock **b = bucket_of(s->st, s->lport);
  s->hnext = *b;
  *b = s;
  s->hashed = 1;
}

static void hash_out(struct zn_udp_sock *s) {
  if (!s->hashed)
    return;
  struct zn_udp_sock **pp = bucket_of(s->st, s->lport);
  while (*pp && *pp != s)
    pp = &(*pp)->hnext;
  if (*pp)
    *pp = s->hnext;
  s->hashed = 0;
}

/* Best socket for a datagram to dst:dport from src:sport; NULL if none. */
static struct zn_udp_sock *lookup(struct zn_stack *st, uint32_t dst,
                                  uint16_t dport, uint32_t src,
                                  uint16_t sport) {
  struct zn__udp *u = &st->udp;
  if (!u->last_cached || u->last_port != dport) {
    u->last_bucket = (uint32_t)(bucket_of(st, dport) - u->bucket);
    u->last_port = dport;
    u->last_cached = true;
  }
  struct zn_udp_sock *best = NULL;
  int best_score = -1;
  for (struct zn_udp_sock *s = u->bucket[u->last_bucket]; s; s = s->hnext) {
    if (s->lport != dport || s->state != ZN__UDP_OPEN)
      continue;
    int score = 0;
    if (s->laddr) {
      if (s->laddr != dst)
        continue;
      score += 1;
    }
    if (s->raddr) {
      if (s->raddr != src || s->rport != sport)
        continue;
      score += 2;
    }
    if (score > best_score) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

static bool port_in_use(struct zn_stack *st, uint32_t addr, uint16_t port) {
  for (struct zn_udp_sock *s = *bucket_of(st, port); s; s = s->hnext)
    if (s->lport == port && (s->laddr == 0 || addr == 0 || s->laddr == addr))
      return true;
  return false;
}

static void release(struct zn_udp_sock *s) {
  struct zn__udp *u = &s->st->udp;
  zn_bufq_purge(&s->rxq);
  memset(s, 0, sizeof(*s));
  s->free_next = u->free;
  u->free = s;
  u->nopen--;
}

int zn_udp_open(struct zn_stack *st, struct zn_udp_sock **out) {
  struct zn__udp *u = &st->udp;
  struct zn_udp_sock *s = u->free;
  if (!s)
    return ZN_ENOMEM;
  u->free = s->free_next;
  memset(s, 0, sizeof(*s));
  s->st = st;
  s->state = ZN__UDP_OPEN;
  zn_bufq_init(&s->rxq);
  u->nopen++;
  *out = s;
  return ZN_OK;
}

void zn_udp_close(struct zn_udp_sock *s) {
  if (!s || s->state != ZN__UDP_OPEN)
    return;
  hash_out(s);
  zn_bufq_purge(&s->rxq);
  if (s->in_cb) {
    s->state = ZN__UDP_CLOSING; /* recycled when the callback returns */
    return;
  }
  release(s);
}

/* RFC 6056 algorithm 1: a random start, then the next free port. */
static int pick_ephemeral(struct zn_stack *st, uint32_t addr, uint16_t *port) {
  const uint32_t n = ZN_UDP_EPHEMERAL_MAX - ZN_UDP_EPHEMERAL_MIN + 1;
  uint32_t off = zn__rng_below(&st->rng, n);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t p = (uint16_t)(ZN_UDP_EPHEMERAL_MIN + (off + i) % n);
    if (!port_in_use(st, addr, p)) {
      *port = p;
      return ZN_OK;
    }
  }
  return ZN_EADDRINUSE;
}

int zn_udp_bind(struct zn_udp_sock *s, uint32_t addr, uint16_t port) {
  struct zn_stack *st = s->st;
  if (s->state != ZN__UDP_OPEN)
    return ZN_ECLOSED;
  if (s->lport)
    return ZN_EINVAL;
  if (addr && !zn__ip_is_local(st, addr))
    return ZN_EADDRNOTAVAIL;
  if (port == 0) {
    int rc = pick_ephemeral(st, addr, &port);
    if (rc != ZN_OK)
      return rc;
  } else if (port_in_use(st, addr, port)) {
    return ZN_EADDRINUSE;
  }
  s->laddr = addr;
  s->lport = port;
  hash_in(s);
  return ZN_OK;
}

static int autobind(struct zn_udp_sock *s) {
  return s->lport ? ZN_OK : zn_udp_bind(s, 0, 0);
}

int zn_udp_connect(struct zn_udp_sock *s, uint32_t addr, uint16_t port) {
  if (s->state != ZN__UDP_OPEN)
    return ZN_ECLOSED;
  if (addr && port == 0)
    return ZN_EINVAL;
  int rc = autobind(s);
  if (rc != ZN_OK)
    return rc;
  s->raddr = addr;
  s->rport = addr ? port : 0;
  return ZN_OK;
}

void zn_udp_set_recv_cb(struct zn_udp_sock *s, zn_udp_recv_cb cb, void *arg) {
  s->recv_cb = cb;
  s->recv_arg = arg;
}

void zn_udp_set_err_cb(struct zn_udp_sock *s, zn_udp_err_cb cb, void *arg) {
  s->err_cb = cb;
  s->err_arg = arg;
}

uint16_t zn_udp_local_port(const struct zn_udp_sock *s) { return s->lport; }
struct zn_stack *zn_udp_stack(const struct zn_udp_sock *s) { return s->st; }

struct zn_buf *zn_udp_buf_alloc(struct zn_udp_sock *s, size_t size) {
  if (size > ZN_UDP_MAX_PAYLOAD)
    return NULL;
  return zn__buf_alloc(s->st, size + ZN_UDP_HDR_LEN);
}

int zn_udp_sendto_buf(struct zn_udp_sock *s, uint32_t addr, uint16_t port,
                      struct zn_buf *b) {
  struct zn_stack *st = s->st;
  int rc;
  if (s->state != ZN__UDP_OPEN) {
    rc = ZN_ECLOSED;
    goto fail;
  }
  if (port == 0 || addr == 0) {
    rc = ZN_EINVAL;
    goto fail;
  }
  if (b->len > ZN_UDP_MAX_PAYLOAD) {
    rc = ZN_EMSGSIZE;
    goto fail;
  }
  rc = autobind(s);
  if (rc != ZN_OK)
    goto fail;
  uint32_t src = s->laddr ? s->laddr : st->ip_addr;
  if (src == 0) {
    rc = ZN_EADDRNOTAVAIL;
    goto fail;
  }
  size_t len = (size_t)b->len + ZN_UDP_HDR_LEN;
  uint8_t *p = zn_buf_push(b, ZN_UDP_HDR_LEN);
  if (!p) {
    rc = ZN_ENOBUFS; /* a buffer not from zn_udp_buf_alloc */
    goto fail;
  }
  if (st->nif && (st->nif->caps & ZN_NETIF_CAP_TX_CSUM) &&
      len + ZN_IPV4_HDR_LEN <= st->nif->mtu) {
    /* The checksum is left to the device (not for a datagram that will
     * be fragmented: the device sees only the fragments). */
    zn_wr16(p, s->lport);
    zn_wr16(p + 2, port);
    zn_wr16(p + 4, (uint16_t)len);
    zn_wr16(p + 6, zn_csum_partial(src, addr, ZN_IPPROTO_UDP, (uint16_t)len));
    b->flags |= ZN_BUF_F_CSUM_PARTIAL;
  } else {
    zn_udp_emit(p, s->lport, port, len, src, addr);
    b->flags &= (uint16_t)~ZN_BUF_F_CSUM_PARTIAL;
  }
  struct zn__ip_tx tx = {0};
  tx.src = src;
  tx.dst = addr;
  tx.proto = ZN_IPPROTO_UDP;
  rc = zn__ip_output(st, b, &tx);
  if (rc == ZN_OK)
    ZN_STAT_INC(st, udp_tx);
  return rc == ZN_ENETUNREACH ? ZN_EHOSTUNREACH : rc;
fail:
  zn_buf_free(b);
  return rc;
}

int zn_udp_sendto(struct zn_udp_sock *s, uint32_t addr, uint16_t port,
                  const void *data, size_t len) {
  if (len > ZN_UDP_MAX_PAYLOAD)
    return ZN_EMSGSIZE;
  if (s->state != ZN__UDP_OPEN)
    return ZN_ECLOSED;
  struct zn_buf *b = zn_udp_buf_alloc(s, len);
  if (!b)
    return ZN_ENOBUFS;
  if (len)
    memcpy(zn_buf_put(b, len), data, len);
  return zn_udp_sendto_buf(s, addr, port, b);
}

int zn_udp_send(struct zn_udp_sock *s, const void *data, size_t len) {
  if (!s->raddr)
    return ZN_ENOTCONN;
  return zn_udp_sendto(s, s->raddr, s->rport, data, len);
}

struct zn_buf *zn_udp_dgram_keep(const struct zn_udp_dgram *d) {
  return zn_buf_ref(d->buf);
}

int zn_udp_recv(struct zn_udp_sock *s, struct zn_buf **out, uint32_t *from,
                uint16_t *port) {
  struct zn_buf *b = zn_bufq_pop(&s->rxq);
  if (!b)
    return ZN_EAGAIN;
  const struct udp_cb *c = (const struct udp_cb *)(const void *)b->cb;
  if (from)
    *from = c->src;
  if (port)
    *port = c->sport;
  *out = b;
  return ZN_OK;
}

uint32_t zn_udp_queued(const struct zn_udp_sock *s) { return s->rxq.count; }

static void udp_input(struct zn_stack *st, struct zn_buf *b,
                      const struct zn__ip_meta *m) {
  struct zn_udp_view v;
  ZN_STAT_INC(st, udp_rx);
  int rc = zn_udp_view_init(&v, b->data, b->len);
  if (rc != ZN_OK) {
    if (rc == ZN_ETRUNCATED)
      ZN_STAT_INC(st, udp_drop_short);
    else
      ZN_STAT_INC(st, udp_drop_len);
    goto drop;
  }
  if (!(b->flags & (ZN_BUF_F_LOOP | ZN_BUF_F_CSUM_OK)) &&
      !zn_udp_csum_ok(&v, m->src, m->dst)) {
    ZN_STAT_INC(st, udp_drop_checksum);
    goto drop;
  }
  struct zn_udp_sock *s = lookup(st, m->dst, v.dport, m->src, v.sport);
  if (!s) {
    ZN_STAT_INC(st, udp_drop_noport);
    /* RFC 1122 §4.1.3.1: port unreachable, never for broadcasts. */
    if (!m->bcast && zn_buf_push(b, m->hdr_len))
      zn__icmp_error(st, b, false, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_PORT,
                     0);
    goto drop;
  }
  zn_buf_trim(b, v.len);
  zn_buf_pull(b, ZN_UDP_HDR_LEN);
  if (s->recv_cb) {
    struct zn_udp_dgram d;
    d.src = m->src;
    d.sport = v.sport;
    d.dst = m->dst;
    d.dport = v.dport;
    d.ttl = m->ttl;
    d.bcast = m->bcast;
    d.data = b->data;
    d.len = b->len;
    d.buf = b;
    ZN_STAT_INC(st, udp_delivered);
    s->in_cb++;
    s->recv_cb(s, s->recv_arg, &d);
    s->in_cb--;
    if (s->state == ZN__UDP_CLOSING && s->in_cb == 0)
      release(s);
    goto drop; /* the callback took its own reference if it kept it */
  }
  if (s->rxq.count >= st->cfg.udp_rxq) {
    ZN_STAT_INC(st, udp_drop_rxq_full);
    goto drop;
  }
  struct udp_cb *c = (struct udp_cb *)(void *)b->cb;
  c->src = m->src;
  c->sport = v.sport;
  ZN_STAT_INC(st, udp_queued);
  zn_bufq_push(&s->rxq, b);
  return;
drop:
  zn_buf_free(b);
}

static int err_of(uint8_t type, uint8_t code) {
  switch (type) {
  case ZN_ICMP_DEST_UNREACH:
    if (code == ZN_ICMP_UNREACH_PORT)
      return ZN_ECONNREFUSED;
    if (code == ZN_ICMP_UNREACH_NEEDFRAG)
      return ZN_EMSGSIZE;
    if (code == ZN_ICMP_UNREACH_PROTO)
      return ZN_ECONNREFUSED;
    return ZN_EHOSTUNREACH;
  case ZN_ICMP_TIME_EXCEEDED:
    return ZN_ETIMEDOUT;
  default:
    return ZN_EPROTO;
  }
}

static void udp_err(struct zn_stack *st, const struct zn__ip_err *e) {
  uint16_t sport = zn_rd16(e->l4), dport = zn_rd16(e->l4 + 2);
  /* The quoted datagram went from us (sport) to the peer (dport): find the
   * socket that sent it, as a reply to it would have found it (hence src
   * and sport in lookup()'s dst and dport, the local side):
   * NOLINTNEXTLINE(readability-suspicious-call-argument) */
  struct zn_udp_sock *s = lookup(st, e->ip->src, sport, e->ip->dst, dport);
  if (!s || !s->err_cb) {
    ZN_STAT_INC(st, udp_err_nosock);
    return;
  }
  ZN_STAT_INC(st, udp_err_delivered);
  s->in_cb++;
  s->err_cb(s, s->err_arg, err_of(e->type, e->code), e->ip->dst, dport);
  s->in_cb--;
  if (s->state == ZN__UDP_CLOSING && s->in_cb == 0)
    release(s);
}
