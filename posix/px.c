/* libznet-posix: the layer object, its descriptor table, and the steps
 * every call shares (driving the stack, blocking, errno).
 *
 * Design (px_int.h says what the objects are): the layer owns no thread
 * and no clock; the host gives it descriptor numbers, the time and a
 * sleep that also watches foreign descriptors.  A call runs with the
 * caller's lock held; one that must wait loops "poll the stack, test the
 * condition, sleep until something may have changed" in px_block, and
 * the host lets the lock go while it sleeps. */
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>

#include "px_int.h"
#include "znet/err.h"

/* Linux's, for hosts whose headers lack them (Solo5's runtime). */
#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411
#endif
#ifndef SIOCATMARK
#define SIOCATMARK 0x8905
#endif

#define PX_ALIGN(n) (((n) + 15u) & ~(size_t)15u)

void zn_posix_cfg_default(struct zn_posix_cfg *cfg,
                          const struct zn_config *stack_cfg) {
  const struct zn_config *sc = stack_cfg;
  memset(cfg, 0, sizeof(*cfg));
  cfg->max_fd = 1024;
  cfg->socks = sc->tcp_conns + sc->udp_socks;
  cfg->epolls = 64;
  cfg->epoll_items = cfg->socks * 2;
  cfg->dgrams = sc->nbufs;
  cfg->exit_linger_ms = 5000;
}

/* The layout of the memory block: each array 16-byte aligned. */
struct px_layout {
  size_t fds, eps, socks, epolls, items, dgrams, total;
};

static bool layout(const struct zn_posix_cfg *cfg, struct px_layout *l) {
  if (cfg->max_fd == 0 || cfg->max_fd > (1u << 24) || cfg->socks == 0 ||
      cfg->socks > (1u << 24) || cfg->epolls > (1u << 16) ||
      cfg->epoll_items > (1u << 24) || cfg->dgrams > (1u << 24))
    return false;
  size_t off = PX_ALIGN(sizeof(struct zn_posix));
  l->fds = off;
  off += PX_ALIGN((size_t)cfg->max_fd * sizeof(struct px_sock *));
  l->eps = off;
  off += PX_ALIGN((size_t)cfg->max_fd * sizeof(struct px_epoll *));
  l->socks = off;
  off += PX_ALIGN((size_t)cfg->socks * sizeof(struct px_sock));
  l->epolls = off;
  off += PX_ALIGN((size_t)cfg->epolls * sizeof(struct px_epoll));
  l->items = off;
  off += PX_ALIGN((size_t)cfg->epoll_items * sizeof(struct px_item));
  l->dgrams = off;
  off += PX_ALIGN((size_t)cfg->dgrams * sizeof(struct px_dgram));
  l->total = off + 16; /* slack for aligning the block's start */
  return true;
}

size_t zn_posix_mem_size(const struct zn_posix_cfg *cfg) {
  struct px_layout l;
  return cfg && layout(cfg, &l) ? l.total : 0;
}

static void free_lists(struct zn_posix *px) {
  for (uint32_t i = px->cfg.socks; i-- > 0;) {
    px->socks[i].next_free = px->free_socks;
    px->free_socks = &px->socks[i];
  }
  for (uint32_t i = px->cfg.epolls; i-- > 0;) {
    px->epolls[i].fd = -1;
    px->epolls[i].next_free = px->free_epolls;
    px->free_epolls = &px->epolls[i];
  }
  for (uint32_t i = px->cfg.epoll_items; i-- > 0;) {
    px->items[i].ep_next = px->free_items;
    px->free_items = &px->items[i];
  }
  for (uint32_t i = px->cfg.dgrams; i-- > 0;) {
    px->dgrams[i].next = px->free_dgrams;
    px->free_dgrams = &px->dgrams[i];
  }
}

int zn_posix_init(struct zn_stack *st, const struct zn_posix_cfg *cfg,
                  const struct zn_posix_host *host, void *mem, size_t len,
                  struct zn_posix **out) {
  struct px_layout l;
  if (!st || !cfg || !host || !out || !host->now || !host->fd_reserve ||
      !host->fd_release || !host->wait || !layout(cfg, &l))
    return ZN_EINVAL;
  if (!mem || len < l.total)
    return ZN_ENOMEM;
  uint8_t *base = (uint8_t *)PX_ALIGN((uintptr_t)mem);
  memset(base, 0, l.total - 16);
  struct zn_posix *px = (struct zn_posix *)(void *)base;
  px->st = st;
  px->host = *host;
  px->cfg = *cfg;
  px->fds = (struct px_sock **)(void *)(base + l.fds);
  px->eps = (struct px_epoll **)(void *)(base + l.eps);
  px->socks = (struct px_sock *)(void *)(base + l.socks);
  px->epolls = (struct px_epoll *)(void *)(base + l.epolls);
  px->items = (struct px_item *)(void *)(base + l.items);
  px->dgrams = (struct px_dgram *)(void *)(base + l.dgrams);
  free_lists(px);
  *out = px;
  return ZN_OK;
}

struct zn_stack *zn_posix_stack(const struct zn_posix *px) { return px->st; }

void zn_posix_get_stats(const struct zn_posix *px,
                        struct zn_posix_stats *out) {
  *out = px->stats;
}

bool zn_posix_owns(const struct zn_posix *px, int fd) {
  if (fd < 0 || (uint32_t)fd >= px->cfg.max_fd)
    return false;
  return __atomic_load_n(&px->fds[fd], __ATOMIC_RELAXED) != NULL ||
         __atomic_load_n(&px->eps[fd], __ATOMIC_RELAXED) != NULL;
}

/* ---- errno ---- */

int px_errno(int zn_err) {
  switch (zn_err) {
  case ZN_OK: return 0;
  case ZN_EINVAL: return EINVAL;
  case ZN_ENOMEM: return ENOBUFS;
  case ZN_EAGAIN: return EAGAIN;
  case ZN_ENOBUFS: return ENOBUFS;
  case ZN_EMSGSIZE: return EMSGSIZE;
  case ZN_EHOSTUNREACH: return EHOSTUNREACH;
  case ZN_ENETUNREACH: return ENETUNREACH;
  case ZN_ETIMEDOUT: return ETIMEDOUT;
  case ZN_ECONNREFUSED: return ECONNREFUSED;
  case ZN_ECONNRESET: return ECONNRESET;
  case ZN_ECONNABORTED: return ECONNABORTED;
  case ZN_EADDRINUSE: return EADDRINUSE;
  case ZN_EADDRNOTAVAIL: return EADDRNOTAVAIL;
  case ZN_ENOTCONN: return ENOTCONN;
  case ZN_EISCONN: return EISCONN;
  case ZN_EALREADY: return EALREADY;
  case ZN_EINPROGRESS: return EINPROGRESS;
  case ZN_EPIPE: return EPIPE;
  case ZN_ENOTSUP: return EOPNOTSUPP;
  case ZN_EPROTO: return EPROTO;
  case ZN_EACCES: return EACCES;
  case ZN_ENOSPC: return ENOBUFS;
  default: return EIO;
  }
}

/* ---- sockets and descriptors ---- */

struct px_sock *px_sock_of(struct zn_posix *px, int fd) {
  if (fd < 0 || (uint32_t)fd >= px->cfg.max_fd)
    return NULL;
  return px->fds[fd];
}

struct px_sock *px_sock_new(struct zn_posix *px, enum px_kind kind,
                            uint8_t family) {
  struct px_sock *s = px->free_socks;
  if (!s)
    return NULL;
  px->free_socks = s->next_free;
  memset(s, 0, sizeof(*s));
  s->px = px;
  s->kind = kind;
  s->family = family;
  /* Linux's tcp_recvmsg reads what came before a reset, then the error. */
  s->topts.keep_after_reset = true;
  return s;
}

static void set_fd(struct zn_posix *px, int fd, struct px_sock *s) {
  __atomic_store_n(&px->fds[fd], s, __ATOMIC_RELAXED);
}

/* A number the host reserves, within the table. */
static int reserve(struct zn_posix *px) {
  int fd = px->host.fd_reserve(px->host.ctx);
  if (fd < 0)
    return fd;
  if ((uint32_t)fd >= px->cfg.max_fd || px->fds[fd] || px->eps[fd]) {
    px->host.fd_release(px->host.ctx, fd);
    return -EMFILE;
  }
  return fd;
}

int px_fd_attach(struct zn_posix *px, struct px_sock *s) {
  int fd = reserve(px);
  if (fd < 0)
    return fd;
  set_fd(px, fd, s);
  s->nfds++;
  return fd;
}

void px_sock_free(struct zn_posix *px, struct px_sock *s) {
  px_epoll_sock_gone(px, s);
  s->kind = PX_FREE;
  s->next_free = px->free_socks;
  px->free_socks = s;
}

void px_event(struct zn_posix *px, struct px_sock *s) {
  s->seq++;
  px_epoll_mark(s);
  px->changes++;
}

/* The protocol s serves a port with, or 0: a listener (TCP), a bound
 * unconnected UDP socket. */
static uint8_t served_proto(const struct px_sock *s) {
  if (s->forked || s->orphan)
    return 0;
  if (s->kind == PX_TCP && s->phase == PX_LISTENING)
    return 6;
  if (s->kind == PX_UDP && s->bound && !s->has_peer && s->lport)
    return 17;
  return 0;
}

static bool served_by_other(const struct zn_posix *px, const struct px_sock *s,
                            uint8_t proto) {
  for (uint32_t i = 0; i < px->cfg.socks; i++) {
    const struct px_sock *o = &px->socks[i];
    if (o != s && o->serving && o->lport == s->lport &&
        served_proto(o) == proto)
      return true;
  }
  return false;
}

void px_note_use(struct zn_posix *px, struct px_sock *s) {
  if (s->serving || px->host.serve == NULL)
    return;
  uint8_t proto = served_proto(s);
  if (proto == 0)
    return;
  bool told = served_by_other(px, s, proto);
  s->serving = true;
  if (!told)
    px->host.serve(px->host.ctx, proto, s->lport, true);
  if (proto == 6)
    px_tcp_hold(s, false);
}

void px_note_gone(struct zn_posix *px, struct px_sock *s) {
  if (!s->serving)
    return;
  uint8_t proto = served_proto(s);
  s->serving = false;
  if (proto && px->host.serve && !served_by_other(px, s, proto)) {
    px->host.serve(px->host.ctx, proto, s->lport, false);
    if (proto == 6)
      px_tcp_hold(s, true);
  }
}

uint32_t px_ready(struct zn_posix *px, struct px_sock *s) {
  if (s->forked)
    return 0;
  px_note_use(px, s);
  return s->kind == PX_TCP ? px_tcp_ready(px, s) : px_udp_ready(px, s);
}

/* ---- driving the stack ---- */

uint64_t px_now(struct zn_posix *px) { return px->host.now(px->host.ctx); }

void px_drive(struct zn_posix *px) {
  if (px->forked)
    return;
  zn_stack_poll(px->st, px_now(px));
}

int zn_posix_drive(struct zn_posix *px) {
  if (px->forked)
    return 0;
  int rc = zn_stack_poll(px->st, px_now(px));
  px_after_call(px);
  return rc;
}

/* After a call that may have queued frames (to the netif or the loopback
 * queue) or changed what others wait for: send them now, and tell
 * waiting threads. */
void px_after_call(struct zn_posix *px) {
  if (px->forked)
    return;
  zn_stack_flush(px->st);
  uint64_t now = px_now(px);
  for (int i = 0; i < 4 && zn_stack_next_deadline(px->st) <= now; i++)
    zn_stack_poll(px->st, now);
  if (px->changes && px->host.wake)
    px->host.wake(px->host.ctx);
  px->changes = 0;
}

uint64_t px_deadline(struct zn_posix *px, uint64_t timeo_ns) {
  if (!timeo_ns)
    return UINT64_MAX;
  uint64_t now = px_now(px);
  return now + timeo_ns < now ? UINT64_MAX : now + timeo_ns;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

int px_block(struct zn_posix *px, struct px_sock *s, px_cond_fn cond,
             void *arg, uint64_t deadline, bool restart) {
  for (;;) {
    px_drive(px);
    if (px->changes && px->host.wake)
      px->host.wake(px->host.ctx);
    px->changes = 0;
    if (cond(px, s, arg))
      return 0;
    uint64_t now = px_now(px);
    if (now >= deadline)
      return -EAGAIN;
    uint64_t until = min_u64(deadline, zn_stack_next_deadline(px->st));
    int rc = px->host.wait(px->host.ctx, NULL, 0, until, NULL);
    if (rc == -EINTR || (rc == -ZN_POSIX_ERESTART && !restart))
      return -EINTR;
    if (px->forked)
      return -EBADF;
  }
}

/* ---- socket() ---- */

/* The low bits of socket()'s type are the type (SOCK_TYPE_MASK); above
 * them only SOCK_NONBLOCK and SOCK_CLOEXEC may be set. */
#define PX_SOCK_TYPE_MASK 0xf

int zn_posix_socket(struct zn_posix *px, int domain, int type, int protocol) {
  /* As Linux's __sys_socket_create: unknown flags are EINVAL, before the
   * family is looked at. */
  if (type & ~(PX_SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (domain != AF_INET && domain != AF_INET6)
    return -EAFNOSUPPORT;
  int base = type & PX_SOCK_TYPE_MASK;
  enum px_kind kind;
  if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
    kind = PX_TCP;
  else if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
    kind = PX_UDP;
  else if (base == SOCK_STREAM || base == SOCK_DGRAM)
    return -EPROTONOSUPPORT;
  else
    return -ESOCKTNOSUPPORT;
  if (px->forked)
    return -ENOBUFS;
  struct px_sock *s = px_sock_new(px, kind, (uint8_t)domain);
  if (!s)
    return -ENOBUFS;
  s->nonblock = (type & SOCK_NONBLOCK) != 0;
  if (kind == PX_UDP) {
    int rc = px_udp_open(px, s);
    if (rc < 0) {
      px_sock_free(px, s);
      return rc;
    }
  }
  int fd = px_fd_attach(px, s);
  if (fd < 0) {
    if (kind == PX_UDP)
      px_udp_release(px, s);
    px_sock_free(px, s);
  }
  return fd;
}

void px_refuse_forked(struct zn_posix *px, int fd) {
  if (px->host.orphan)
    px->host.orphan(px->host.ctx, fd);
}

struct px_sock *px_sock_for_call(struct zn_posix *px, int fd, int *err) {
  struct px_sock *s = px_sock_of(px, fd);
  if (s && s->forked)
    px_refuse_forked(px, fd);
  if (!s || s->forked) {
    *err = (fd >= 0 && (uint32_t)fd < px->cfg.max_fd && px->eps[fd])
               ? -ENOTSOCK
               : -EBADF;
    return NULL;
  }
  return s;
}

/* NOLINTBEGIN(bugprone-macro-parentheses): s is the name it declares */
#define GET_SOCK(px, fd, s)                                                   \
  int err_;                                                                   \
  struct px_sock *s = px_sock_for_call(px, fd, &err_);                        \
  if (!s)                                                                     \
  return err_
/* NOLINTEND(bugprone-macro-parentheses) */

int zn_posix_bind(struct zn_posix *px, int fd, const struct sockaddr *sa,
                  socklen_t len) {
  GET_SOCK(px, fd, s);
  struct zn_ip ip;
  uint16_t port;
  int rc = px_sa_to_ip(sa, len, s->family, &ip, &port);
  if (rc < 0)
    return rc;
  if (s->family == AF_INET6 && s->v6only && px_ip_is_v4(&ip))
    return -EINVAL;
  if (s->bound)
    return -EINVAL;
  rc = s->kind == PX_TCP ? px_tcp_bind(px, s, &ip, port)
                         : px_udp_bind(px, s, &ip, port);
  return rc;
}

/* Whether a (with a_v6only) and b overlap as bound addresses: equal, or
 * one the wildcard of its family, an IPv6 one covering IPv4 unless
 * v6only. */
static bool addrs_overlap(const struct zn_ip *a, bool a_v6only,
                          const struct zn_ip *b, bool b_v6only) {
  if (a->family == b->family)
    return zn_ip_is_unspecified(a) || zn_ip_is_unspecified(b) ||
           zn_ip_eq(a, b);
  const struct zn_ip *six = a->family == ZN_AF_INET6 ? a : b;
  bool only = a->family == ZN_AF_INET6 ? a_v6only : b_v6only;
  return !only && zn_ip_is_unspecified(six);
}

int zn_posix_bind_check(const struct zn_posix *px, struct zn_posix *mine,
                        int fd, const struct sockaddr *sa, socklen_t len) {
  GET_SOCK(mine, fd, s);
  struct zn_ip ip;
  uint16_t port;
  int rc = px_sa_to_ip(sa, len, s->family, &ip, &port);
  if (rc < 0 || port == 0)
    return rc;
  bool v6only = s->family == AF_INET6 && s->v6only;
  for (uint32_t i = 0; i < px->cfg.socks; i++) {
    const struct px_sock *o = &px->socks[i];
    if (o->kind != s->kind || o->forked || !o->bound || o->has_peer ||
        o->lport != port || (o->reuseport && s->reuseport))
      continue;
    if (addrs_overlap(&o->laddr, o->family == AF_INET6 && o->v6only, &ip,
                      v6only))
      return -EADDRINUSE;
  }
  return 0;
}

int zn_posix_listen(struct zn_posix *px, int fd, int backlog) {
  GET_SOCK(px, fd, s);
  if (s->kind != PX_TCP)
    return -EOPNOTSUPP;
  int rc = px_tcp_listen(px, s, backlog);
  px_after_call(px);
  return rc;
}

int zn_posix_accept4(struct zn_posix *px, int fd, struct sockaddr *sa,
                     socklen_t *len, int flags) {
  GET_SOCK(px, fd, s);
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (s->kind != PX_TCP)
    return -EOPNOTSUPP;
  int rc = px_tcp_accept(px, s, sa, len, flags);
  px_after_call(px);
  return rc;
}

int zn_posix_connect(struct zn_posix *px, int fd, const struct sockaddr *sa,
                     socklen_t len) {
  GET_SOCK(px, fd, s);
  int rc;
  if (s->kind == PX_UDP) {
    rc = px_udp_connect(px, s, sa, len);
  } else if (sa && len >= (socklen_t)sizeof(sa_family_t) &&
             sa->sa_family == AF_UNSPEC) {
    rc = px_tcp_disconnect(px, s); /* as inet_stream_connect */
  } else {
    struct zn_ip ip;
    uint16_t port;
    rc = px_sa_to_ip(sa, len, s->family, &ip, &port);
    if (rc == 0 && s->family == AF_INET6 && s->v6only && px_ip_is_v4(&ip))
      rc = -ENETUNREACH;
    if (rc == 0)
      rc = px_tcp_connect(px, s, &ip, port);
  }
  px_after_call(px);
  return rc;
}

ssize_t zn_posix_sendmsg(struct zn_posix *px, int fd, const struct msghdr *m,
                         int flags) {
  GET_SOCK(px, fd, s);
  ssize_t rc = s->kind == PX_TCP ? px_tcp_send(px, s, m, flags)
                                 : px_udp_send(px, s, m, flags);
  px_after_call(px);
  return rc;
}

ssize_t zn_posix_recvmsg(struct zn_posix *px, int fd, struct msghdr *m,
                         int flags) {
  GET_SOCK(px, fd, s);
  ssize_t rc = s->kind == PX_TCP ? px_tcp_recv(px, s, m, flags)
                                 : px_udp_recv(px, s, m, flags);
  px_after_call(px);
  return rc;
}

ssize_t zn_posix_sendto(struct zn_posix *px, int fd, const void *buf,
                        size_t len, int flags, const struct sockaddr *sa,
                        socklen_t salen) {
  struct iovec iov = {(void *)(uintptr_t)buf, len};
  struct msghdr m = {0};
  m.msg_name = (void *)(uintptr_t)sa;
  m.msg_namelen = sa ? salen : 0;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  return zn_posix_sendmsg(px, fd, &m, flags);
}

ssize_t zn_posix_recvfrom(struct zn_posix *px, int fd, void *buf, size_t len,
                          int flags, struct sockaddr *sa, socklen_t *salen) {
  struct iovec iov = {buf, len};
  struct msghdr m = {0};
  m.msg_name = sa;
  m.msg_namelen = sa && salen ? *salen : 0;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  ssize_t rc = zn_posix_recvmsg(px, fd, &m, flags);
  if (rc >= 0 && sa && salen)
    *salen = m.msg_namelen;
  return rc;
}

int zn_posix_sendmmsg(struct zn_posix *px, int fd, struct mmsghdr *v,
                      unsigned n, int flags) {
  if (n > 1024)
    n = 1024; /* UIO_MAXIOV, as Linux */
  unsigned i = 0;
  for (; i < n; i++) {
    ssize_t rc = zn_posix_sendmsg(px, fd, &v[i].msg_hdr, flags);
    if (rc < 0)
      return i ? (int)i : (int)rc;
    v[i].msg_len = (unsigned)rc;
  }
  return (int)i;
}

int zn_posix_recvmmsg(struct zn_posix *px, int fd, struct mmsghdr *v,
                      unsigned n, int flags, struct timespec *timeout) {
  uint64_t deadline = UINT64_MAX;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
        timeout->tv_nsec >= 1000000000)
      return -EINVAL;
    deadline = px_now(px) + (uint64_t)timeout->tv_sec * 1000000000u +
               (uint64_t)timeout->tv_nsec;
  }
  if (n > 1024)
    n = 1024;
  unsigned i = 0;
  for (; i < n; i++) {
    int f = flags & ~MSG_WAITFORONE;
    if (i > 0 && (flags & MSG_WAITFORONE))
      f |= MSG_DONTWAIT;
    ssize_t rc = zn_posix_recvmsg(px, fd, &v[i].msg_hdr, f);
    if (rc < 0)
      return i ? (int)i : (int)rc;
    v[i].msg_len = (unsigned)rc;
    /* As Linux: the timeout is looked at only after each datagram. */
    if (timeout && px_now(px) >= deadline)
      return (int)i + 1;
  }
  return (int)i;
}

ssize_t zn_posix_readv(struct zn_posix *px, int fd, const struct iovec *iov,
                       int n) {
  if (n < 0 || n > 1024)
    return -EINVAL;
  struct msghdr m = {0};
  m.msg_iov = (struct iovec *)(uintptr_t)iov;
  m.msg_iovlen = (__typeof__(m.msg_iovlen))n; /* size_t in glibc, int in musl */
  return zn_posix_recvmsg(px, fd, &m, 0);
}

ssize_t zn_posix_writev(struct zn_posix *px, int fd, const struct iovec *iov,
                        int n) {
  if (n < 0 || n > 1024)
    return -EINVAL;
  struct msghdr m = {0};
  m.msg_iov = (struct iovec *)(uintptr_t)iov;
  m.msg_iovlen = (__typeof__(m.msg_iovlen))n; /* size_t in glibc, int in musl */
  return zn_posix_sendmsg(px, fd, &m, 0);
}

int zn_posix_shutdown(struct zn_posix *px, int fd, int how) {
  GET_SOCK(px, fd, s);
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
    return -EINVAL;
  bool rd = how != SHUT_WR, wr = how != SHUT_RD;
  int rc = s->kind == PX_TCP ? px_tcp_shutdown(px, s, rd, wr)
                             : px_udp_shutdown(px, s, rd, wr);
  px_after_call(px);
  return rc;
}

/* ---- closing ---- */

/* The last descriptor of s is gone: the socket goes (TCP: the stack
 * finishes the connection, and the socket stays an orphan until
 * on_closed). */
static void sock_last_close(struct zn_posix *px, struct px_sock *s) {
  px_note_gone(px, s);
  px_epoll_sock_gone(px, s);
  if (s->kind == PX_UDP) {
    px_udp_release(px, s);
    px_sock_free(px, s);
    return;
  }
  s->orphan = true;
  px_tcp_release(px, s); /* frees s unless the stack still has it */
}

static void fd_drop(struct zn_posix *px, int fd) {
  struct px_sock *s = px->fds[fd];
  set_fd(px, fd, NULL);
  if (--s->nfds == 0)
    sock_last_close(px, s);
}

int zn_posix_close(struct zn_posix *px, int fd) {
  if (fd < 0 || (uint32_t)fd >= px->cfg.max_fd)
    return -EBADF;
  if (px->eps[fd]) {
    px_epoll_close(px, fd);
    return 0;
  }
  struct px_sock *s = px->fds[fd];
  if (!s)
    return -EBADF;
  if (s->forked) {
    set_fd(px, fd, NULL);
    px->host.fd_release(px->host.ctx, fd);
    return 0;
  }
  fd_drop(px, fd);
  px->host.fd_release(px->host.ctx, fd);
  px_after_call(px);
  return 0;
}

void zn_posix_forget(struct zn_posix *px, int fd) {
  if (fd < 0 || (uint32_t)fd >= px->cfg.max_fd)
    return;
  if (px->eps[fd]) {
    px_epoll_close(px, fd);
    return;
  }
  if (px->fds[fd] && !px->fds[fd]->forked) {
    fd_drop(px, fd);
    px_after_call(px);
  } else if (px->fds[fd]) {
    set_fd(px, fd, NULL);
  }
}

/* A second number for s from the host (newfd, or the lowest free one at
 * least min when newfd is -1), entered in the table. */
static int dup_number(struct zn_posix *px, struct px_sock *s, int oldfd,
                      int newfd, int min, int flags) {
  if (!px->host.fd_dup)
    return -EOPNOTSUPP;
  int fd = px->host.fd_dup(px->host.ctx, oldfd, newfd, min, flags);
  if (fd < 0)
    return fd;
  if ((uint32_t)fd >= px->cfg.max_fd) {
    px->host.fd_release(px->host.ctx, fd);
    return -EMFILE;
  }
  set_fd(px, fd, s);
  s->nfds++;
  return fd;
}

static bool is_epoll(const struct zn_posix *px, int fd) {
  return fd >= 0 && (uint32_t)fd < px->cfg.max_fd && px->eps[fd];
}

/* A second number for oldfd, a socket's (s) or an epoll instance's (s
 * NULL): newfd (what was there closed first), or the lowest free one at
 * least min when newfd is -1. */
static int dup_onto(struct zn_posix *px, struct px_sock *s, int oldfd,
                    int newfd, int min, int flags) {
  if (newfd >= 0)
    zn_posix_forget(px, newfd);
  return s ? dup_number(px, s, oldfd, newfd, min, flags)
           : px_epoll_dup(px, oldfd, newfd, min, flags);
}

static int dup3_checked(struct zn_posix *px, struct px_sock *s, int oldfd,
                        int newfd, int flags) {
  if (!px->host.fd_dup)
    return -EOPNOTSUPP;
  if (oldfd == newfd)
    return flags ? -EINVAL : newfd;
  if (newfd >= 0 && (uint32_t)newfd >= px->cfg.max_fd)
    return -EBADF;
  return dup_onto(px, s, oldfd, newfd, 0, flags);
}

int zn_posix_dup3(struct zn_posix *px, int oldfd, int newfd, int flags) {
  if (is_epoll(px, oldfd))
    return dup3_checked(px, NULL, oldfd, newfd, flags);
  GET_SOCK(px, oldfd, s);
  return dup3_checked(px, s, oldfd, newfd, flags);
}

static int dup_min(struct zn_posix *px, struct px_sock *s, int oldfd,
                   long min, int flags) {
  if (min < 0 || min >= (long)px->cfg.max_fd)
    return -EINVAL;
  return dup_onto(px, s, oldfd, -1, (int)min, flags);
}

int zn_posix_fcntl(struct zn_posix *px, int fd, int cmd, long arg) {
  /* An epoll instance's descriptor is the host's own (an epoll or a
   * reserved number): its flags are the host's, as Linux's F_GETFL of
   * an epoll file answers O_RDWR; a dup names the same instance. */
  if (is_epoll(px, fd)) {
    if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
      return -ENOSYS;
    return dup_min(px, NULL, fd, arg, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
  }
  /* A descriptor's flags need no stack: a fork's child sets them on the
   * sockets it inherited before it uses them (gunicorn's workers). */
  struct px_sock *f = px_sock_of(px, fd);
  if (f && f->forked && (cmd == F_GETFL || cmd == F_SETFL ||
                         cmd == F_GETFD || cmd == F_SETFD))
    return cmd == F_GETFL   ? O_RDWR | (f->nonblock ? O_NONBLOCK : 0)
           : cmd == F_SETFL ? (f->nonblock = (arg & O_NONBLOCK) != 0, 0)
                            : -ENOSYS;
  GET_SOCK(px, fd, s);
  switch (cmd) {
  case F_GETFL:
    return O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
  case F_SETFL:
    s->nonblock = (arg & O_NONBLOCK) != 0;
    return 0;
  case F_DUPFD:
    return dup_min(px, s, fd, arg, 0);
  case F_DUPFD_CLOEXEC:
    return dup_min(px, s, fd, arg, O_CLOEXEC);
  case F_GETFD:
  case F_SETFD:
    return -ENOSYS; /* the host's descriptor holds FD_CLOEXEC */
  default:
    return -EINVAL;
  }
}

static int tcp_outq(struct px_sock *s) {
  if (!s->c || s->phase == PX_LISTENING)
    return 0;
  struct zn_tcp_info i;
  zn_tcp_get_info(s->c, &i);
  uint64_t q = (uint64_t)i.unacked + i.queued;
  return q > INT32_MAX ? INT32_MAX : (int)q;
}

static int inq(struct px_sock *s) {
  if (s->kind == PX_UDP)
    return s->rxq_head ? (int)s->rxq_head->len : 0;
  if (s->phase == PX_LISTENING)
    return -EINVAL;
  if (!s->c || s->phase != PX_CONNECTED)
    return 0;
  size_t n = zn_tcp_readable(s->c);
  return n > INT32_MAX ? INT32_MAX : (int)n;
}

int zn_posix_ioctl(struct zn_posix *px, int fd, unsigned long req,
                   void *arg) {
  GET_SOCK(px, fd, s);
  int *v = arg;
  int n;
  switch (req) {
  case FIONBIO:
    if (!v)
      return -EFAULT;
    s->nonblock = *v != 0;
    return 0;
  case SIOCINQ:
    n = inq(s);
    break;
  case SIOCOUTQ:
    n = s->kind == PX_TCP ? tcp_outq(s) : 0;
    break;
  case SIOCATMARK:
    n = 0; /* no urgent data is ever kept (RFC 6093) */
    break;
  default:
    return -ENOTTY;
  }
  if (n < 0)
    return n;
  if (!v)
    return -EFAULT;
  *v = n;
  return 0;
}

int zn_posix_getsockname(struct zn_posix *px, int fd, struct sockaddr *sa,
                         socklen_t *len) {
  GET_SOCK(px, fd, s);
  if (!sa || !len)
    return -EFAULT;
  struct zn_ip ip;
  uint16_t port;
  if (s->kind == PX_TCP)
    px_tcp_getlocal(s, &ip, &port);
  else
    px_udp_getlocal(s, &ip, &port);
  px_ip_to_sa(&ip, port, s->family, sa, len);
  return 0;
}

int zn_posix_getpeername(struct zn_posix *px, int fd, struct sockaddr *sa,
                         socklen_t *len) {
  GET_SOCK(px, fd, s);
  if (!sa || !len)
    return -EFAULT;
  struct zn_ip ip;
  uint16_t port;
  if (s->kind == PX_TCP) {
    int rc = px_tcp_getpeer(s, &ip, &port);
    if (rc < 0)
      return rc;
  } else {
    if (!s->has_peer)
      return -ENOTCONN;
    ip = s->raddr;
    port = s->rport;
  }
  px_ip_to_sa(&ip, port, s->family, sa, len);
  return 0;
}

/* ---- the whole layer ---- */

void zn_posix_forked(struct zn_posix *px) {
  px->forked = true;
  for (uint32_t i = 0; i < px->cfg.socks; i++)
    if (px->socks[i].kind != PX_FREE)
      px->socks[i].forked = true;
}

int zn_posix_reshard(struct zn_posix *px, struct zn_stack *st) {
  if (px == NULL || st == NULL)
    return -EINVAL;
  for (uint32_t i = 0; i < px->cfg.socks; i++) {
    struct px_sock *s = &px->socks[i];
    s->serving = false; /* the parent's: this process serves once it uses */
    s->forked = false;  /* (zn_posix_forked's, undone: decided here) */
    if (s->kind == PX_TCP)
      px_tcp_forget(s);
    else if (s->kind == PX_UDP)
      px_udp_forget(px, s);
  }
  px->st = st;
  px->forked = false;
  memset(&px->stats, 0, sizeof(px->stats));
  int first = 0;
  for (uint32_t i = 0; i < px->cfg.socks; i++) {
    struct px_sock *s = &px->socks[i];
    if (s->kind == PX_FREE || s->orphan || s->forked)
      continue;
    int rc = s->kind == PX_TCP ? px_tcp_relisten(px, s) : px_udp_reopen(px, s);
    if (rc < 0 && first == 0)
      first = rc;
    if (rc < 0)
      s->forked = true;
  }
  return first;
}

static bool all_drained(struct zn_posix *px, struct px_sock *unused,
                        void *arg) {
  (void)unused;
  (void)arg;
  for (uint32_t i = 0; i < px->cfg.socks; i++) {
    struct px_sock *s = &px->socks[i];
    if (s->kind == PX_TCP && !px_tcp_drained(s))
      return false;
  }
  return true;
}

void zn_posix_drain(struct zn_posix *px) {
  if (px->forked)
    return;
  for (uint32_t fd = 0; fd < px->cfg.max_fd; fd++)
    if (px->fds[fd])
      zn_posix_close(px, (int)fd);
  px_after_call(px);
  uint64_t deadline =
      px_deadline(px, (uint64_t)px->cfg.exit_linger_ms * 1000000u);
  while (px_block(px, NULL, all_drained, NULL, deadline, true) == -EINTR) {
  }
}

void zn_posix_destroy(struct zn_posix *px) {
  for (uint32_t fd = 0; fd < px->cfg.max_fd; fd++) {
    if (px->eps[fd])
      px_epoll_close(px, (int)fd);
    struct px_sock *s = px->fds[fd];
    if (!s)
      continue;
    set_fd(px, (int)fd, NULL);
    px->host.fd_release(px->host.ctx, (int)fd);
    if (--s->nfds == 0 && !s->forked) {
      s->linger_on = 1;
      s->linger_s = 0; /* abort */
      sock_last_close(px, s);
    }
  }
  if (!px->forked)
    px_after_call(px);
}
