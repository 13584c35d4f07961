/* libznet-posix: SOCK_DGRAM sockets over znet's UDP.
 *
 * The stack hands each datagram to a callback as a view of its frame
 * buffer; the layer keeps a reference and what recvmsg's control
 * messages may tell (destination, TTL, TOS) in a record from its own
 * pool (px_dgram), queued on the socket within SO_RCVBUF as Linux counts
 * it (payload plus a fixed cost).  Sending gathers the iovec into one
 * buffer from the stack and hands it over without another copy. */
#include <netinet/in.h>
#include <string.h>

#include "px_int.h"
#include "znet/err.h"
#include "znet/ipv4.h"

/* Linux's net.core.rmem_default. */
#define PX_UDP_RCVBUF 212992u
/* The interface index control messages name: znet has one interface. */
#define PX_IFINDEX 1

static void queue_free(struct zn_posix *px, struct px_sock *s) {
  while (s->rxq_head) {
    struct px_dgram *d = s->rxq_head;
    s->rxq_head = d->next;
    zn_buf_free(d->buf);
    d->next = px->free_dgrams;
    px->free_dgrams = d;
  }
  s->rxq_tail = NULL;
  s->rxq_bytes = 0;
}

static void cb_dgram(struct zn_udp_sock *u, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)u;
  struct px_sock *s = arg;
  struct zn_posix *px = s->px;
  uint32_t cap = s->rcvbuf ? s->rcvbuf : PX_UDP_RCVBUF;
  uint32_t cost = (uint32_t)d->len + PX_DGRAM_COST;
  if (s->rd_shut || s->forked)
    return;
  if (s->rxq_bytes + cost > cap) {
    px->stats.udp_drop_rcvbuf++;
    return;
  }
  struct px_dgram *r = px->free_dgrams;
  if (!r) {
    px->stats.udp_drop_nodgram++;
    return;
  }
  px->free_dgrams = r->next;
  r->buf = zn_udp_dgram_keep(d);
  r->data = d->data;
  r->len = (uint32_t)d->len;
  r->src = d->src;
  r->sport = d->sport;
  r->dst = d->dst;
  r->ttl = d->ttl;
  r->tos = d->tos;
  r->next = NULL;
  if (s->rxq_tail)
    s->rxq_tail->next = r;
  else
    s->rxq_head = r;
  s->rxq_tail = r;
  s->rxq_bytes += cost;
  px_event(px, s);
}

/* Linux reports ICMP errors on connected sockets only (without
 * IP_RECVERR). */
static void cb_error(struct zn_udp_sock *u, void *arg, int err,
                     const struct zn_ip *addr, uint16_t port) {
  (void)u;
  (void)addr;
  (void)port;
  struct px_sock *s = arg;
  if (!s->has_peer && err != ZN_EADDRNOTAVAIL)
    return;
  s->err = px_errno(err);
  px_event(s->px, s);
}

int px_udp_open(struct zn_posix *px, struct px_sock *s) {
  int rc = zn_udp_open(px->st, &s->u);
  if (rc != ZN_OK)
    return -ENOBUFS;
  zn_udp_set_recv_cb(s->u, cb_dgram, s);
  zn_udp_set_err_cb(s->u, cb_error, s);
  return 0;
}

void px_udp_release(struct zn_posix *px, struct px_sock *s) {
  queue_free(px, s);
  zn_udp_close(s->u);
  s->u = NULL;
}

/* The stack's form of a local address: `::` of an AF_INET6 socket is any
 * address of both families (zn_udp_set_v6only narrows it). */
static struct zn_ip stack_laddr(const struct px_sock *s,
                                const struct zn_ip *ip) {
  if (ip->family == ZN_AF_NONE)
    return s->family == AF_INET ? zn_ip_from_v4(0) : (struct zn_ip){0};
  if (ip->family == ZN_AF_INET6 && zn_ip_is_unspecified(ip))
    return (struct zn_ip){0};
  return *ip;
}

int px_udp_bind(struct zn_posix *px, struct px_sock *s, const struct zn_ip *ip,
                uint16_t port) {
  (void)px;
  struct zn_ip a = stack_laddr(s, ip);
  if (s->family == AF_INET6)
    zn_udp_set_v6only(s->u, s->v6only);
  int rc = zn_udp_bind(s->u, &a, port);
  if (rc != ZN_OK)
    return -px_errno(rc);
  s->bound = true;
  s->laddr = a;
  s->lport = zn_udp_local_port(s->u);
  return 0;
}

static struct zn_ip this_host(const struct zn_ip *ip) {
  if (!zn_ip_is_unspecified(ip))
    return *ip;
  if (ip->family == ZN_AF_INET)
    return zn_ip_from_v4(0x7f000001u);
  return (struct zn_ip){ZN_AF_INET6, {[15] = 1}};
}

int px_udp_connect(struct zn_posix *px, struct px_sock *s,
                   const struct sockaddr *sa, socklen_t len) {
  (void)px;
  struct zn_ip ip;
  uint16_t port;
  if (sa && len >= (socklen_t)sizeof(sa_family_t) &&
      sa->sa_family == AF_UNSPEC) {
    zn_udp_connect(s->u, NULL, 0); /* dissolve the association */
    s->has_peer = false;
    return 0;
  }
  int rc = px_sa_to_ip(sa, len, s->family, &ip, &port);
  if (rc < 0)
    return rc;
  if (s->family == AF_INET6 && s->v6only && px_ip_is_v4(&ip))
    return -ENETUNREACH;
  if (!s->bound && s->family == AF_INET6)
    zn_udp_set_v6only(s->u, s->v6only);
  ip = this_host(&ip);
  rc = zn_udp_connect(s->u, &ip, port);
  if (rc != ZN_OK)
    return rc == ZN_EHOSTUNREACH ? -ENETUNREACH : -px_errno(rc);
  s->has_peer = true;
  s->raddr = ip;
  s->rport = port;
  s->bound = true;
  s->lport = zn_udp_local_port(s->u);
  return 0;
}

static bool is_bcast(struct zn_posix *px, const struct zn_ip *ip) {
  if (ip->family != ZN_AF_INET)
    return false;
  uint32_t a = zn_ip_v4(ip), addr, gw;
  uint8_t prefix;
  if (a == 0xffffffffu)
    return true;
  zn_stack_get_ipv4(px->st, &addr, &prefix, &gw);
  uint32_t mask = zn_ipv4_mask(prefix);
  return addr && prefix < 31 && a == (addr | ~mask);
}

/* The datagram's destination: msg_name, else the connected peer. */
static int destination(struct px_sock *s, const struct msghdr *m,
                       struct zn_ip *ip, uint16_t *port) {
  if (!m->msg_name || m->msg_namelen == 0) {
    if (!s->has_peer)
      return -EDESTADDRREQ;
    *ip = s->raddr;
    *port = s->rport;
    return 0;
  }
  int rc = px_sa_to_ip(m->msg_name, m->msg_namelen, s->family, ip, port);
  if (rc < 0)
    return rc;
  if (ip->family == ZN_AF_NONE)
    return -EAFNOSUPPORT;
  if (s->family == AF_INET6 && s->v6only && px_ip_is_v4(ip))
    return -ENETUNREACH;
  if (port == 0)
    return -EINVAL;
  *ip = this_host(ip);
  return 0;
}

static size_t iov_len(const struct msghdr *m, bool *bad) {
  size_t t = 0;
  *bad = m->msg_iovlen > 1024;
  for (size_t i = 0; !*bad && i < m->msg_iovlen; i++) {
    if (m->msg_iov[i].iov_len > 65535)
      *bad = true;
    t += m->msg_iov[i].iov_len;
  }
  return t;
}

struct alloc_try {
  size_t len;
};

static bool buffer_free(struct zn_posix *px, struct px_sock *s, void *arg) {
  (void)px;
  const struct alloc_try *a = arg;
  struct zn_buf *b = zn_udp_buf_alloc(s->u, a->len);
  zn_buf_free(b);
  return b != NULL || s->err;
}

static struct zn_buf *gather(struct zn_posix *px, struct px_sock *s,
                             const struct msghdr *m, size_t total, bool nb,
                             int *err) {
  struct zn_buf *b = zn_udp_buf_alloc(s->u, total);
  if (!b && !nb) {
    struct alloc_try a = {total};
    int rc = px_block(px, s, buffer_free, &a,
                      px_deadline(px, s->sndtimeo_ns), s->sndtimeo_ns == 0);
    b = rc == 0 ? zn_udp_buf_alloc(s->u, total) : NULL;
    if (rc < 0) {
      *err = rc;
      return NULL;
    }
  }
  if (!b) {
    *err = nb ? -EAGAIN : -ENOBUFS;
    return NULL;
  }
  for (size_t i = 0; i < m->msg_iovlen; i++) {
    uint8_t *p = zn_buf_put(b, m->msg_iov[i].iov_len);
    if (m->msg_iov[i].iov_len)
      memcpy(p, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
  }
  return b;
}

static int take_err(struct px_sock *s) {
  int e = s->err;
  s->err = 0;
  return -e;
}

ssize_t px_udp_send(struct zn_posix *px, struct px_sock *s,
                    const struct msghdr *m, int flags) {
  if (flags & (MSG_OOB | MSG_MORE))
    return -EOPNOTSUPP;
  if (s->err)
    return take_err(s);
  if (s->wr_shut)
    return -EPIPE;
  struct zn_ip ip;
  uint16_t port;
  int rc = destination(s, m, &ip, &port);
  if (rc < 0)
    return rc;
  if (is_bcast(px, &ip) && !s->broadcast)
    return -EACCES;
  bool bad;
  size_t total = iov_len(m, &bad);
  size_t max = ip.family == ZN_AF_INET ? ZN_UDP_MAX_PAYLOAD
                                       : ZN_UDP6_MAX_PAYLOAD;
  if (bad || total > max)
    return -EMSGSIZE;
  int err = 0;
  struct zn_buf *b = gather(px, s, m, total,
                            s->nonblock || (flags & MSG_DONTWAIT), &err);
  if (!b)
    return err;
  rc = zn_udp_sendto_buf(s->u, &ip, port, b);
  if (rc != ZN_OK)
    return rc == ZN_EHOSTUNREACH && ip.family == ZN_AF_INET ? -ENETUNREACH
                                                            : -px_errno(rc);
  if (!s->bound) {
    s->bound = true;
    s->lport = zn_udp_local_port(s->u);
  }
  return (ssize_t)total;
}

/* ---- receiving ---- */

static bool dgram_ready(struct zn_posix *px, struct px_sock *s, void *arg) {
  (void)px;
  (void)arg;
  return s->rxq_head || s->err || s->rd_shut;
}

static void put_cmsg(struct msghdr *m, size_t *used, int level, int type,
                     const void *data, size_t len) {
  size_t need = CMSG_SPACE(len);
  if (!m->msg_control || *used + CMSG_LEN(len) > m->msg_controllen) {
    m->msg_flags |= MSG_CTRUNC;
    return;
  }
  struct cmsghdr *c =
      (struct cmsghdr *)(void *)((uint8_t *)m->msg_control + *used);
  c->cmsg_level = level;
  c->cmsg_type = type;
  /* size_t in glibc's header, socklen_t in musl's (POSIX's) */
  c->cmsg_len = (__typeof__(c->cmsg_len))CMSG_LEN(len);
  memcpy(CMSG_DATA(c), data, len);
  *used += need < m->msg_controllen - *used ? need
                                            : m->msg_controllen - *used;
}

static void v4_cmsgs(struct px_sock *s, const struct px_dgram *d,
                     struct msghdr *m, size_t *used) {
  if (s->pktinfo) {
    struct in_pktinfo pi;
    memset(&pi, 0, sizeof(pi));
    pi.ipi_ifindex = PX_IFINDEX;
    memcpy(&pi.ipi_addr, d->dst.bytes, 4);
    memcpy(&pi.ipi_spec_dst, d->dst.bytes, 4);
    put_cmsg(m, used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
  }
  if (s->recvttl) {
    int ttl = d->ttl;
    put_cmsg(m, used, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
  }
  if (s->recvtclass) {
    uint8_t tos = d->tos;
    put_cmsg(m, used, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
  }
}

static void v6_cmsgs(struct px_sock *s, const struct px_dgram *d,
                     struct msghdr *m, size_t *used) {
  if (s->pktinfo) {
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof(pi));
    pi.ipi6_ifindex = PX_IFINDEX;
    if (d->dst.family == ZN_AF_INET6) {
      memcpy(&pi.ipi6_addr, d->dst.bytes, 16);
    } else {
      pi.ipi6_addr.s6_addr[10] = pi.ipi6_addr.s6_addr[11] = 0xff;
      memcpy(pi.ipi6_addr.s6_addr + 12, d->dst.bytes, 4);
    }
    put_cmsg(m, used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
  }
  if (s->recvttl) {
    int h = d->ttl;
    put_cmsg(m, used, IPPROTO_IPV6, IPV6_HOPLIMIT, &h, sizeof(h));
  }
  if (s->recvtclass) {
    int tc = d->tos;
    put_cmsg(m, used, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc));
  }
}

static size_t copy_out(const struct px_dgram *d, struct msghdr *m) {
  size_t off = 0;
  for (size_t i = 0; i < m->msg_iovlen && off < d->len; i++) {
    size_t n = d->len - off;
    if (n > m->msg_iov[i].iov_len)
      n = m->msg_iov[i].iov_len;
    if (n)
      memcpy(m->msg_iov[i].iov_base, d->data + off, n);
    off += n;
  }
  return off;
}

static ssize_t deliver(struct zn_posix *px, struct px_sock *s,
                       struct msghdr *m, int flags) {
  struct px_dgram *d = s->rxq_head;
  size_t got = copy_out(d, m);
  if (got < d->len)
    m->msg_flags |= MSG_TRUNC;
  if (m->msg_name) {
    socklen_t n = m->msg_namelen;
    px_ip_to_sa(&d->src, d->sport, s->family, m->msg_name, &n);
    m->msg_namelen = n;
  }
  size_t used = 0;
  if (d->src.family == ZN_AF_INET && s->family == AF_INET)
    v4_cmsgs(s, d, m, &used);
  else
    v6_cmsgs(s, d, m, &used);
  m->msg_controllen = (__typeof__(m->msg_controllen))used;
  ssize_t rc = (flags & MSG_TRUNC) ? (ssize_t)d->len : (ssize_t)got;
  if (!(flags & MSG_PEEK)) {
    s->rxq_head = d->next;
    if (!s->rxq_head)
      s->rxq_tail = NULL;
    s->rxq_bytes -= d->len + PX_DGRAM_COST;
    zn_buf_free(d->buf);
    d->next = px->free_dgrams;
    px->free_dgrams = d;
  }
  return rc;
}

ssize_t px_udp_recv(struct zn_posix *px, struct px_sock *s, struct msghdr *m,
                    int flags) {
  px_note_use(px, s);
  if (flags & MSG_OOB)
    return -EOPNOTSUPP;
  m->msg_flags = 0;
  for (;;) {
    if (s->err)
      return take_err(s);
    if (s->rxq_head)
      return deliver(px, s, m, flags);
    bool nb = s->nonblock || (flags & MSG_DONTWAIT);
    if (s->rd_shut) {
      /* As Linux's __skb_recv_udp: shut, nothing waits; only a
       * blocking read ends (0). */
      m->msg_controllen = 0;
      m->msg_namelen = 0; /* no datagram, no sender */
      return nb ? -EAGAIN : 0;
    }
    if (nb)
      return -EAGAIN;
    int rc = px_block(px, s, dgram_ready, NULL,
                      px_deadline(px, s->rcvtimeo_ns), s->rcvtimeo_ns == 0);
    if (rc < 0)
      return rc;
  }
}

int px_udp_shutdown(struct zn_posix *px, struct px_sock *s, bool rd, bool wr) {
  if (rd)
    s->rd_shut = true;
  if (wr)
    s->wr_shut = true;
  px_event(px, s);
  /* Linux says ENOTCONN without a peer, yet sets the flags and wakes
   * the waiters (a known way to stop a thread blocked in recv). */
  return s->has_peer ? 0 : -ENOTCONN;
}

uint32_t px_udp_ready(struct zn_posix *px, struct px_sock *s) {
  (void)px;
  uint32_t r = s->err ? EPOLLERR : 0;
  if (s->rxq_head || s->rd_shut)
    r |= EPOLLIN | EPOLLRDNORM;
  if (s->rd_shut)
    r |= EPOLLRDHUP;
  if (s->rd_shut && s->wr_shut)
    r |= EPOLLHUP;
  /* Linux's datagram_poll: writable whatever the shutdown (a send then
   * fails at once with EPIPE). */
  return r | EPOLLOUT | EPOLLWRNORM;
}

void px_udp_getlocal(struct px_sock *s, struct zn_ip *ip, uint16_t *port) {
  if (zn_udp_local_addr(s->u, ip, port) != ZN_OK) {
    memset(ip, 0, sizeof(*ip));
    *port = 0;
  }
}

/* ---- a new stack under the layer (zn_posix_reshard) ---- */

/* The datagrams queued are the old stack's buffers: dropped unread (the
 * old stack, with its pool, is gone), their records back to the free
 * list. */
void px_udp_forget(struct zn_posix *px, struct px_sock *s) {
  while (s->rxq_head) {
    struct px_dgram *d = s->rxq_head;
    s->rxq_head = d->next;
    d->buf = NULL;
    d->next = px->free_dgrams;
    px->free_dgrams = d;
  }
  s->rxq_tail = NULL;
  s->rxq_bytes = 0;
  s->u = NULL;
}

/* s again on px's stack: the same binding, peer and settings. */
int px_udp_reopen(struct zn_posix *px, struct px_sock *s) {
  int rc = px_udp_open(px, s);
  if (rc < 0)
    return rc;
  if (s->family == AF_INET6)
    zn_udp_set_v6only(s->u, s->v6only);
  if (s->bound && (rc = zn_udp_bind(s->u, &s->laddr, s->lport)) != ZN_OK)
    return -px_errno(rc);
  if (s->has_peer &&
      (rc = zn_udp_connect(s->u, &s->raddr, s->rport)) != ZN_OK)
    return -px_errno(rc);
  if (s->tos)
    zn_udp_set_tos(s->u, s->tos);
  if (s->ttl)
    zn_udp_set_ttl(s->u, s->ttl);
  return 0;
}
