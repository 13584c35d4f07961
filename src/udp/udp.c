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

#include "core/module_int.h"
#include "core/stack_int.h"
#include "af/af_inline.h"
#include "udp/udp_int.h"
#include "znet/err.h"
#include "znet/udp.h"
#include "znet/wire.h"

/* Sender of a queued datagram, kept in its buffer's cb. */
struct udp_cb {
  struct zn_ip src;
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
                      const struct zn__inet_meta *m);
static void udp_err(struct zn_stack *st, const struct zn__inet_err *e);
static void release(struct zn_udp_sock *s);

void zn__udp_init(struct zn_stack *st, void **mem) {
  struct zn__udp *u = ZN__MOD(st, udp);
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
    zn__inet_register(st, ZN__INET_ON_BOTH, ZN_IPPROTO_UDP, udp_input, udp_err);
}

void zn__udp_destroy(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->cfg.udp_socks; i++)
    zn_bufq_purge(&ZN__MOD(st, udp)->socks[i].rxq);
}

/* The sockets bound to addr are told at the end of the poll (this may
 * run inside an API call: zn_stack_set_ipv4). */
void zn__udp_addr_removed(struct zn_stack *st, const struct zn_ip *addr) {
  for (uint32_t i = 0; i < st->cfg.udp_socks; i++) {
    struct zn_udp_sock *s = &ZN__MOD(st, udp)->socks[i];
    if (s->state != ZN__UDP_OPEN || !zn__inet_eq(&s->laddr, addr))
      continue;
    ZN_STAT_INC(st, udp_addr_removed);
    s->addr_gone = true;
    zn__poll_due(st, ZN__MOD_udp, true);
  }
}

/* UDP's work at the end of a poll: the error callbacks owed to sockets
 * whose address went away (laddr is still the removed address). */
static void udp_poll_end(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->cfg.udp_socks; i++) {
    struct zn_udp_sock *s = &ZN__MOD(st, udp)->socks[i];
    if (!s->addr_gone)
      continue;
    s->addr_gone = false;
    if (s->state != ZN__UDP_OPEN || !s->err_cb)
      continue;
    s->in_cb++;
    s->err_cb(s, s->err_arg, ZN_EADDRNOTAVAIL, &s->laddr, 0);
    s->in_cb--;
    if (s->state == ZN__UDP_CLOSING && s->in_cb == 0)
      release(s);
  }
}

static struct zn_udp_sock **bucket_of(struct zn_stack *st, uint16_t port) {
  return &ZN__MOD(st, udp)->bucket[zn__hash32(st, port, 0x75647000u) &
                         (ZN__MOD(st, udp)->nbuckets - 1)];
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

/* Best socket for a datagram to dst:dport from src:sport; NULL if none.
 * A connected socket's peer counts most; then the binding: the address
 * itself, its family's unspecified address, any address of both. */
static struct zn_udp_sock *lookup(struct zn_stack *st,
                                  const struct zn_ip *dst, uint16_t dport,
                                  const struct zn_ip *src, uint16_t sport) {
  struct zn__udp *u = ZN__MOD(st, udp);
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
    int score = zn__inet_bind_match(&s->laddr, dst);
    if (score == 0)
      continue;
    if (s->raddr.family != ZN_AF_NONE) {
      if (s->rport != sport || !zn__inet_eq(&s->raddr, src))
        continue;
      score += 4;
    }
    if (score > best_score) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

bool zn_udp_bound_on(struct zn_stack *st, const struct zn_ip *addr,
                     uint16_t port) {
  if (!st || !addr)
    return false;
  for (struct zn_udp_sock *s = *bucket_of(st, port); s; s = s->hnext)
    if (s->lport == port && s->state == ZN__UDP_OPEN &&
        s->raddr.family == ZN_AF_NONE && zn__inet_bind_match(&s->laddr, addr))
      return true;
  return false;
}

static bool port_in_use(struct zn_stack *st, const struct zn_ip *addr,
                        uint16_t port) {
  for (struct zn_udp_sock *s = *bucket_of(st, port); s; s = s->hnext)
    if (s->lport == port && zn__inet_bind_overlap(&s->laddr, addr))
      return true;
  return false;
}

static void release(struct zn_udp_sock *s) {
  struct zn__udp *u = ZN__MOD(s->st, udp);
  zn_bufq_purge(&s->rxq);
  memset(s, 0, sizeof(*s));
  s->free_next = u->free;
  u->free = s;
  u->nopen--;
}

int zn_udp_open(struct zn_stack *st, struct zn_udp_sock **out) {
  struct zn__udp *u = ZN__MOD(st, udp);
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

/* A connected socket's flow coming or going, for a group's flow table
 * (the peer's datagrams to it must reach this stack). */
static void tell_flow(const struct zn_udp_sock *s, bool opened) {
  const struct zn_flow_hooks *h = &ZN__MOD(s->st, udp)->flow_hooks;
  void (*fn)(void *, const struct zn_steer_key *) =
      opened ? h->opened : h->closed;
  if (fn == NULL || s->raddr.family == ZN_AF_NONE)
    return;
  struct zn_steer_key k;
  zn_steer_key_of_flow(&k, ZN_IPPROTO_UDP, &s->raddr, s->rport, s->lport);
  fn(h->arg, &k);
}

void zn_udp_set_flow_hooks(struct zn_stack *st, const struct zn_flow_hooks *h) {
  struct zn__udp *u = ZN__MOD(st, udp);
  if (h)
    u->flow_hooks = *h;
  else
    memset(&u->flow_hooks, 0, sizeof(u->flow_hooks));
}

void zn_udp_close(struct zn_udp_sock *s) {
  if (!s || s->state != ZN__UDP_OPEN)
    return;
  tell_flow(s, false);
  hash_out(s);
  zn_bufq_purge(&s->rxq);
  if (s->in_cb) {
    s->state = ZN__UDP_CLOSING; /* recycled when the callback returns */
    return;
  }
  release(s);
}

/* RFC 6056 algorithm 1: a random start, then the next free port. */
static int pick_ephemeral(struct zn_stack *st, const struct zn_ip *addr,
                          uint16_t *port) {
  const uint32_t n = ZN_UDP_EPHEMERAL_MAX - ZN_UDP_EPHEMERAL_MIN + 1;
  uint32_t off = zn__rng_below(&st->rng, n);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t p = (uint16_t)(ZN_UDP_EPHEMERAL_MIN + (off + i) % n);
    if (zn__inet_port_ours(st, p) && !port_in_use(st, addr, p)) {
      *port = p;
      return ZN_OK;
    }
  }
  return ZN_EADDRINUSE;
}

int zn_udp_bind(struct zn_udp_sock *s, const struct zn_ip *addr,
                uint16_t port) {
  struct zn_stack *st = s->st;
  if (s->state != ZN__UDP_OPEN)
    return ZN_ECLOSED;
  if (s->lport || (s->v6only && addr && zn_ip_is_v4mapped(addr)))
    return ZN_EINVAL;
  struct zn_ip laddr;
  int rc = zn__af_binding(st, addr, &laddr);
  if (rc != ZN_OK)
    return rc;
  if (s->v6only && laddr.family == ZN_AF_NONE)
    laddr.family = ZN_AF_INET6; /* `::`, IPv6's only (inet_int.h) */
  if (port == 0) {
    rc = pick_ephemeral(st, &laddr, &port);
    if (rc != ZN_OK)
      return rc;
  } else if (port_in_use(st, &laddr, port)) {
    return ZN_EADDRINUSE;
  }
  s->laddr = laddr;
  s->addr_gone = false; /* a new binding owes nothing */
  s->lport = port;
  hash_in(s);
  return ZN_OK;
}

/* Can s, as bound, talk to peer: it is bound to both families or to
 * peer's (an unbound socket will be bound to both, or with v6only to
 * IPv6's). */
static bool family_fits(const struct zn_udp_sock *s, const struct zn_ip *peer) {
  if (s->laddr.family == ZN_AF_NONE)
    return !(s->v6only && peer->family != ZN_AF_INET6);
  return s->laddr.family == peer->family;
}

/* The source address of a datagram from s to dst: s's own address if it
 * is bound to one, else the network layer's choice. */
static int source_for(struct zn_udp_sock *s, const struct zn_ip *dst,
                      struct zn_ip *src) {
  if (!family_fits(s, dst))
    return ZN_EINVAL;
  if (s->laddr.family != ZN_AF_NONE && !zn_ip_is_unspecified(&s->laddr)) {
    *src = s->laddr;
    return ZN_OK;
  }
  return zn__af_select_source(s->st, dst, src);
}

/* The TTL or hop limit of a datagram from s to dst: s's for unicast (and
 * broadcast, as Linux's IP_TTL), the stack's for a group (0). */
static uint8_t unicast_ttl(const struct zn_udp_sock *s,
                           const struct zn_ip *dst) {
  if (s->ttl == 0)
    return 0;
  bool group = dst->family == ZN_AF_INET6
                   ? zn_ipv6_addr_is_mcast(dst->bytes)
                   : zn_ipv4_is_mcast(zn_ip_v4(dst));
  return group ? 0 : s->ttl;
}

/* Write the header at p, its checksum complete or left to the device
 * (not for a datagram that will be fragmented: the device sees only the
 * fragments). */
static void emit_header(struct zn_udp_sock *s, struct zn_buf *b, uint8_t *p,
                        uint16_t port, size_t len, uint32_t psum,
                        uint8_t family) {
  const struct zn_netif *nif = s->st->nif;
  if (nif && (nif->caps & ZN_NETIF_CAP_TX_CSUM) &&
      len + zn__inet_hdr_len(family) <= nif->mtu) {
    zn_wr16(p, s->lport);
    zn_wr16(p + 2, port);
    zn_wr16(p + 4, (uint16_t)len);
    zn_wr16(p + 6, zn_csum_partial_psum(psum));
    b->flags |= ZN_BUF_F_CSUM_PARTIAL;
    b->csum_l4len = (uint16_t)len; /* fits the MTU */
    b->csum_field = 6;
  } else {
    zn_udp_emit_psum(p, s->lport, port, len, psum);
    b->flags &= (uint16_t)~ZN_BUF_F_CSUM_PARTIAL;
  }
}

static int autobind(struct zn_udp_sock *s) {
  return s->lport ? ZN_OK : zn_udp_bind(s, NULL, 0);
}

int zn_udp_connect(struct zn_udp_sock *s, const struct zn_ip *addr,
                   uint16_t port) {
  if (s->state != ZN__UDP_OPEN)
    return ZN_ECLOSED;
  struct zn_ip peer = {0};
  if (addr && !zn_ip_is_unspecified(addr))
    peer = zn_ip_unmap(addr);
  bool set = peer.family != ZN_AF_NONE;
  if (set && (port == 0 || !family_fits(s, &peer)))
    return ZN_EINVAL;
  int rc = autobind(s);
  if (rc != ZN_OK)
    return rc;
  tell_flow(s, false);
  s->raddr = peer;
  s->rport = set ? port : 0;
  tell_flow(s, true);
  return ZN_OK;
}

int zn_udp_set_v6only(struct zn_udp_sock *s, bool on) {
  if (s->state != ZN__UDP_OPEN)
    return ZN_ECLOSED;
  if (s->lport)
    return ZN_EINVAL;
  s->v6only = on;
  return ZN_OK;
}

void zn_udp_set_tos(struct zn_udp_sock *s, uint8_t tos) { s->tos = tos; }

void zn_udp_set_ttl(struct zn_udp_sock *s, uint8_t ttl) { s->ttl = ttl; }

int zn_udp_local_addr(const struct zn_udp_sock *s, struct zn_ip *addr,
                      uint16_t *port) {
  struct zn_ip a = s->laddr;
  int rc = ZN_OK;
  /* Connected while bound to any address: the source the stack would
   * send from now (Linux's getsockname after connect). */
  if (s->raddr.family != ZN_AF_NONE && zn_ip_is_unspecified(&a)) {
    struct zn_ip src;
    rc = zn__af_select_source(s->st, &s->raddr, &src);
    if (rc == ZN_OK)
      a = src;
  }
  if (addr)
    *addr = a;
  if (port)
    *port = s->lport;
  return rc;
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

/* RFC 768 over RFC 791 or RFC 8200: the length fields of IP bound the
 * payload, differently per family. */
static size_t max_payload(uint8_t family) {
  return family == ZN_AF_INET6 ? ZN_UDP6_MAX_PAYLOAD : ZN_UDP_MAX_PAYLOAD;
}

struct zn_buf *zn_udp_buf_alloc(struct zn_udp_sock *s, size_t size) {
  if (size > ZN_UDP6_MAX_PAYLOAD)
    return NULL;
  return zn__buf_alloc(s->st, size + ZN_UDP_HDR_LEN);
}

int zn_udp_sendto_buf(struct zn_udp_sock *s, const struct zn_ip *addr,
                      uint16_t port, struct zn_buf *b) {
  struct zn_stack *st = s->st;
  struct zn_ip dst, src;
  int rc;
  if (s->state != ZN__UDP_OPEN) {
    rc = ZN_ECLOSED;
    goto fail;
  }
  if (port == 0 || !addr || zn_ip_is_unspecified(addr)) {
    rc = ZN_EINVAL;
    goto fail;
  }
  dst = addr->family == ZN_AF_INET6 ? zn_ip_unmap(addr) : *addr;
  if (b->len > max_payload(dst.family)) {
    rc = ZN_EMSGSIZE;
    goto fail;
  }
  rc = autobind(s);
  if (rc != ZN_OK)
    goto fail;
  rc = source_for(s, &dst, &src);
  if (rc != ZN_OK)
    goto fail;
  size_t len = (size_t)b->len + ZN_UDP_HDR_LEN;
  uint8_t *p = zn_buf_push(b, ZN_UDP_HDR_LEN);
  if (!p) {
    rc = ZN_ENOBUFS; /* a buffer not from zn_udp_buf_alloc */
    goto fail;
  }
  emit_header(s, b, p, port, len,
              zn__inet_pseudo_sum(&src, &dst, ZN_IPPROTO_UDP, (uint32_t)len),
              dst.family);
  rc = zn__af_send(st, b, &src, &dst, ZN_IPPROTO_UDP, s->tos,
                   unicast_ttl(s, &dst), false);
  if (rc == ZN_OK)
    ZN_STAT_INC(st, udp_tx);
  return rc == ZN_ENETUNREACH ? ZN_EHOSTUNREACH : rc;
fail:
  zn_buf_free(b);
  return rc;
}

int zn_udp_sendto(struct zn_udp_sock *s, const struct zn_ip *addr,
                  uint16_t port, const void *data, size_t len) {
  if (len > ZN_UDP6_MAX_PAYLOAD ||
      (addr && len > max_payload(zn_ip_unmap(addr).family)))
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
  if (s->raddr.family == ZN_AF_NONE)
    return ZN_ENOTCONN;
  return zn_udp_sendto(s, &s->raddr, s->rport, data, len);
}

struct zn_buf *zn_udp_dgram_keep(const struct zn_udp_dgram *d) {
  return zn_buf_ref(d->buf);
}

int zn_udp_recv(struct zn_udp_sock *s, struct zn_buf **out,
                struct zn_ip *from, uint16_t *port) {
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

/* RFC 768; over IPv6 the checksum is mandatory (RFC 8200 §8.1): a zero
 * one fails. */
static bool checksum_ok(const struct zn_buf *b, const struct zn_udp_view *v,
                        const struct zn__inet_meta *m) {
  if (m->src.family == ZN_AF_INET6 && v->csum == 0)
    return false;
  if (b->flags & (ZN_BUF_F_LOOP | ZN_BUF_F_CSUM_OK))
    return true;
  return zn_udp_csum_ok_psum(
      v, zn__inet_pseudo_sum(&m->src, &m->dst, ZN_IPPROTO_UDP,
                             (uint32_t)v->len));
}

static void udp_input(struct zn_stack *st, struct zn_buf *b,
                      const struct zn__inet_meta *m) {
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
  if (!checksum_ok(b, &v, m)) {
    ZN_STAT_INC(st, udp_drop_checksum);
    goto drop;
  }
  struct zn_udp_sock *s = lookup(st, &m->dst, v.dport, &m->src, v.sport);
  if (!s) {
    ZN_STAT_INC(st, udp_drop_noport);
    /* RFC 1122 §4.1.3.1, RFC 4443 §3.1: port unreachable, never for
     * broadcasts or multicasts. */
    if (!m->bcast)
      zn__af_port_unreachable(st, b, m);
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
    d.tos = m->tos;
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

static int err_of(enum zn__inet_err_kind kind) {
  switch (kind) {
  case ZN__INET_ERR_PORT_UNREACH:
  case ZN__INET_ERR_PROTO_UNREACH:
    return ZN_ECONNREFUSED;
  case ZN__INET_ERR_TOO_BIG:
    return ZN_EMSGSIZE;
  case ZN__INET_ERR_NET_UNREACH:
  case ZN__INET_ERR_HOST_UNREACH:
  case ZN__INET_ERR_PROHIBITED:
    return ZN_EHOSTUNREACH;
  case ZN__INET_ERR_TIME_EXCEEDED:
    return ZN_ETIMEDOUT;
  default:
    return ZN_EPROTO;
  }
}

static void udp_err(struct zn_stack *st, const struct zn__inet_err *e) {
  uint16_t sport = zn_rd16(e->l4), dport = zn_rd16(e->l4 + 2);
  /* The quoted datagram went from us (sport) to the peer (dport): find the
   * socket that sent it, as a reply to it would have found it (hence src
   * and sport in lookup()'s dst and dport, the local side):
   * NOLINTNEXTLINE(readability-suspicious-call-argument) */
  struct zn_udp_sock *s = lookup(st, &e->src, sport, &e->dst, dport);
  if (!s || !s->err_cb) {
    ZN_STAT_INC(st, udp_err_nosock);
    return;
  }
  ZN_STAT_INC(st, udp_err_delivered);
  s->in_cb++;
  s->err_cb(s, s->err_arg, err_of(e->kind), &e->dst, dport);
  s->in_cb--;
  if (s->state == ZN__UDP_CLOSING && s->in_cb == 0)
    release(s);
}

static void udp_config_default(struct zn_config *cfg) {
  cfg->udp_socks = ZN_DEFAULT_UDP_SOCKS;
  cfg->udp_rxq = ZN_DEFAULT_UDP_RXQ;
}

static bool udp_config_ok(const struct zn_config *cfg) {
  return cfg->udp_socks <= (1u << 20);
}

static void udp_addr_event(struct zn_stack *st, enum zn_addr_event ev,
                           const struct zn_ip *addr, uint8_t prefix) {
  (void)prefix;
  if (ev == ZN_ADDR_REMOVED)
    zn__udp_addr_removed(st, addr);
}

const struct zn__module zn__udp_module = {
    .name = "udp",
    .id = ZN__MOD_udp,
    .needs = ZN__MOD_BIT(inet) | ZN__MOD_BIT(ip), /* and src/af: ip, ip6 if there */
    .state_size = sizeof(struct zn__udp),
    .config_default = udp_config_default,
    .config_ok = udp_config_ok,
    .mem_size = zn__udp_mem_size,
    .init = zn__udp_init,
    .poll_end = udp_poll_end,
    .addr_event = udp_addr_event,
    .destroy = zn__udp_destroy,
};
