/* libznet-posix: SOCK_STREAM sockets over znet's TCP, with Linux's
 * answers (net/ipv4/af_inet.c, tcp.c, inet_connection_sock.c are the
 * reference for which errno each state gives).
 *
 * A socket is FRESH until listen() or connect() gives it a stack object;
 * bind() before that only records the address (and checks it against
 * the layer's other sockets: the stack checks again when the object is
 * made).  The stack's callbacks only count events; readiness and every
 * answer are read from the connection when asked. */
#include <netinet/in.h>
#include <string.h>

#include "px_int.h"
#include "znet/err.h"

/* Linux's default ephemeral range (net.ipv4.ip_local_port_range). */
#define PX_PORT_LO 32768u
#define PX_PORT_HI 60999u
/* Linux's SOMAXCONN since 5.4. */
#define PX_SOMAXCONN 4096

/* ---- the stack's callbacks ---- */

static struct px_sock *own(const struct zn_tcp_conn *c, void *arg) {
  struct px_sock *s = arg;
  return s && s->c == c ? s : NULL;
}

/* Every listener of a SO_REUSEPORT group is told (they share one queue:
 * whichever accepts first takes the connection). */
static void cb_accept(struct zn_tcp_conn *l, void *arg) {
  struct px_sock *s = own(l, arg);
  if (!s)
    return;
  struct px_sock *m = s;
  do {
    px_event(m->px, m);
    m = m->rp_next;
  } while (m && m != s);
}

static void cb_connected(struct zn_tcp_conn *c, void *arg) {
  struct px_sock *s = own(c, arg);
  if (!s)
    return;
  if (s->phase == PX_CONNECTING)
    s->phase = PX_CONNECTED;
  px_event(s->px, s);
}

static void cb_readable(struct zn_tcp_conn *c, void *arg) {
  struct px_sock *s = own(c, arg);
  if (!s)
    return;
  if (zn_tcp_state(c) == ZN_TCP_CLOSE_WAIT)
    s->fin_in = true;
  px_event(s->px, s);
}

static void cb_writable(struct zn_tcp_conn *c, void *arg) {
  struct px_sock *s = own(c, arg);
  if (s)
    px_event(s->px, s);
}

/* The error is SO_ERROR's before anyone can see readiness (a known trap:
 * a non-blocking connect reported writable before SO_ERROR is set). */
static void cb_error(struct zn_tcp_conn *c, void *arg, int err) {
  struct px_sock *s = own(c, arg);
  if (!s)
    return;
  s->err = px_errno(err);
  /* Linux's tcp_reset: a reset in CLOSE_WAIT is EPIPE. */
  if (err == ZN_ECONNRESET && s->fin_in && !s->wr_shut)
    s->err = EPIPE;
  if (s->phase == PX_CONNECTING)
    s->phase = PX_FAILED;
  px_event(s->px, s);
}

static void cb_closed(struct zn_tcp_conn *c, void *arg) {
  struct px_sock *s = own(c, arg);
  if (!s)
    return;
  /* A SO_REUSEPORT group's listener gone: the group is too. */
  struct px_sock *m = s->rp_next;
  s->rp_next = NULL;
  while (m && m != s) {
    struct px_sock *next = m->rp_next;
    m->rp_next = NULL;
    m->c = NULL;
    px_event(m->px, m);
    m = next;
  }
  s->c = NULL;
  if (s->orphan) {
    px_sock_free(s->px, s);
    return;
  }
  if (s->phase == PX_CONNECTING)
    s->phase = PX_FAILED;
  px_event(s->px, s);
}

static const struct zn_tcp_callbacks px_tcp_cbs = {
    .on_accept = cb_accept,
    .on_connected = cb_connected,
    .on_readable = cb_readable,
    .on_writable = cb_writable,
    .on_error = cb_error,
    .on_closed = cb_closed,
};

/* ---- binding ---- */

/* Whether two bindings can take the same segment (a listener bound to
 * `::` without V6ONLY takes IPv4 too). */
static bool overlap(const struct px_sock *a, const struct px_sock *b) {
  const struct zn_ip *x = &a->laddr, *y = &b->laddr;
  bool xany = zn_ip_is_unspecified(x), yany = zn_ip_is_unspecified(y);
  bool xv4 = x->family == ZN_AF_INET, yv4 = y->family == ZN_AF_INET;
  bool xv6 = !xv4 && !(xany && a->family == AF_INET),
       yv6 = !yv4 && !(yany && b->family == AF_INET);
  bool x_takes4 = xv4 || (xany && !(a->family == AF_INET6 && a->v6only));
  bool y_takes4 = yv4 || (yany && !(b->family == AF_INET6 && b->v6only));
  if (xany && yany)
    return (x_takes4 && y_takes4) || (xv6 && yv6);
  if (xany)
    return yv4 ? x_takes4 : xv6;
  if (yany)
    return xv4 ? y_takes4 : yv6;
  return zn_ip_eq(x, y);
}

/* Linux's bind conflict, among the layer's sockets: the same port on
 * overlapping addresses, unless both asked for SO_REUSEPORT, or both for
 * SO_REUSEADDR and the other is not listening. */
static bool bind_conflict(struct zn_posix *px, const struct px_sock *s,
                          uint16_t port) {
  for (uint32_t i = 0; i < px->cfg.socks; i++) {
    const struct px_sock *o = &px->socks[i];
    if (o == s || o->kind != PX_TCP || !o->bound || o->lport != port ||
        o->orphan || o->forked)
      continue;
    if (!overlap(s, o))
      continue;
    if (s->reuseport && o->reuseport)
      continue;
    if (s->reuseaddr && o->reuseaddr && o->phase != PX_LISTENING)
      continue;
    return true;
  }
  return false;
}

static bool port_taken(struct zn_posix *px, struct px_sock *s,
                       uint16_t port);
static struct px_sock *reuseport_peer(struct zn_posix *px,
                                      const struct px_sock *s, uint16_t port);

static int pick_port(struct zn_posix *px, struct px_sock *s, uint16_t *out) {
  const uint32_t n = PX_PORT_HI - PX_PORT_LO + 1;
  uint32_t off = zn_random_u32(px->st);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t p = (uint16_t)(PX_PORT_LO + (off + i) % n);
    if (!port_taken(px, s, p)) {
      *out = p;
      return 0;
    }
  }
  return -EADDRINUSE;
}

static const struct zn_ip *stack_laddr(struct px_sock *s, struct zn_ip *tmp);
static void sync_opts(struct px_sock *s);

/* Taken, by the layer's sockets or by the stack's connections (those
 * left in TIME_WAIT by closed sockets, the stack's own users): bind()
 * says EADDRINUSE now, as Linux, not at listen() or connect(). */
static bool port_taken(struct zn_posix *px, struct px_sock *s,
                       uint16_t port) {
  if (bind_conflict(px, s, port))
    return true;
  if (reuseport_peer(px, s, port))
    return false; /* the stack's listener there is the group's to share */
  struct zn_ip tmp;
  bool was = s->bound;
  s->bound = true; /* stack_laddr reads the address being bound */
  sync_opts(s);
  int rc = zn_tcp_bind_check(px->st, stack_laddr(s, &tmp), port, &s->topts);
  s->bound = was;
  return rc == ZN_EADDRINUSE;
}

int px_tcp_bind(struct zn_posix *px, struct px_sock *s, const struct zn_ip *ip,
                uint16_t port) {
  if (s->phase != PX_FRESH)
    return -EINVAL;
  if (!px_ip_bindable(px->st, ip))
    return -EADDRNOTAVAIL;
  s->laddr = *ip;
  if (ip->family == ZN_AF_NONE)
    s->laddr = zn_ip_from_v4(0);
  if (s->family == AF_INET6 && ip->family == ZN_AF_NONE)
    s->laddr.family = ZN_AF_INET6; /* `::` */
  if (port == 0) {
    int rc = pick_port(px, s, &port);
    if (rc < 0)
      return rc;
  } else if (port_taken(px, s, port)) {
    return -EADDRINUSE;
  }
  s->lport = port;
  s->bound = true;
  return 0;
}

/* The address the stack is given: `::` of an AF_INET6 socket is any
 * address of both families (or IPv6 only: opts.v6only). */
static const struct zn_ip *stack_laddr(struct px_sock *s, struct zn_ip *tmp) {
  if (!s->bound)
    *tmp = s->family == AF_INET ? zn_ip_from_v4(0) : (struct zn_ip){0};
  else if (s->family == AF_INET6 && zn_ip_is_unspecified(&s->laddr) &&
           s->laddr.family == ZN_AF_INET6)
    *tmp = (struct zn_ip){0};
  else
    *tmp = s->laddr;
  return tmp;
}

static void sync_opts(struct px_sock *s) {
  s->topts.v6only = s->family == AF_INET6 && s->v6only;
  s->topts.reuseaddr = s->reuseaddr;
}

/* ---- listen, accept ---- */

/* SO_REUSEPORT: listeners bound with it to the same address and port
 * share the stack's one listener, in a ring.  Linux gives each its own
 * queue and spreads connections by hash; here they share the queue, and
 * every one of them is readable while a connection waits. */
static struct px_sock *reuseport_peer(struct zn_posix *px,
                                      const struct px_sock *s, uint16_t port) {
  if (!s->reuseport)
    return NULL;
  for (uint32_t i = 0; i < px->cfg.socks; i++) {
    struct px_sock *o = &px->socks[i];
    if (o != s && o->kind == PX_TCP && o->phase == PX_LISTENING && o->c &&
        o->reuseport && !o->orphan && !o->forked && o->lport == port &&
        o->family == s->family && o->v6only == s->v6only &&
        zn_ip_eq(&o->laddr, &s->laddr))
      return o;
  }
  return NULL;
}

static struct px_sock *reuseport_group(struct zn_posix *px,
                                       const struct px_sock *s) {
  return s->bound ? reuseport_peer(px, s, s->lport) : NULL;
}

static int reuseport_join(struct zn_posix *px, struct px_sock *s,
                          struct px_sock *g, int backlog) {
  s->c = g->c;
  s->rp_next = g->rp_next ? g->rp_next : g;
  g->rp_next = s;
  s->phase = PX_LISTENING;
  s->backlog = backlog;
  sync_opts(s);
  if (zn_tcp_accept_pending(s->c) > 0)
    px_event(px, s);
  return 0;
}

/* s leaves its group: the listener stays with the others (and its
 * callbacks with one of them).  False if s was alone. */
static bool reuseport_leave(struct px_sock *s) {
  if (!s->rp_next)
    return false;
  struct px_sock *prev = s->rp_next;
  while (prev->rp_next != s)
    prev = prev->rp_next;
  prev->rp_next = s->rp_next == prev ? NULL : s->rp_next;
  zn_tcp_set_callbacks(s->c, &px_tcp_cbs, prev);
  s->rp_next = NULL;
  s->c = NULL;
  return true;
}

int px_tcp_listen(struct zn_posix *px, struct px_sock *s, int backlog) {
  if (backlog < 0 || backlog > PX_SOMAXCONN)
    backlog = PX_SOMAXCONN;
  /* Linux lets backlog + 1 wait (sk_acceptq_is_full is ">"). */
  uint32_t bl = (uint32_t)backlog + 1;
  if (s->phase == PX_LISTENING) {
    s->backlog = backlog;
    return -px_errno(zn_tcp_set_backlog(s->c, bl));
  }
  if (s->phase != PX_FRESH)
    return -EINVAL;
  if (!s->bound && bind_conflict(px, s, 0))
    return -EADDRINUSE;
  struct px_sock *g = reuseport_group(px, s);
  if (g)
    return reuseport_join(px, s, g, backlog);
  struct zn_ip tmp;
  sync_opts(s);
  struct zn_tcp_conn *l;
  int rc = zn_tcp_listen_opts(px->st, stack_laddr(s, &tmp),
                              s->bound ? s->lport : 0, bl, &s->topts,
                              &px_tcp_cbs, s, &l);
  if (rc != ZN_OK)
    return -px_errno(rc);
  struct zn_tcp_info i;
  zn_tcp_get_info(l, &i);
  s->c = l;
  s->lport = i.lport;
  if (!s->bound)
    stack_laddr(s, &s->laddr);
  s->bound = true;
  s->phase = PX_LISTENING;
  s->backlog = backlog;
  px_opt_apply_tcp(px, s);
  px_tcp_hold(s, px->host.serve != NULL);
  return 0;
}

/* In a group of shards a listener takes connections only once this
 * process serves it (px_note_use): until then the group's steering may
 * send its SYNs here (a master whose workers have not started), and one
 * accepted would wait for an accept() that never comes. */
void px_tcp_hold(struct px_sock *s, bool held) {
  if (s->kind == PX_TCP && s->phase == PX_LISTENING && s->c)
    (void)zn_tcp_set_held(s->c, held); /* a listener: cannot fail */
}

static bool acceptable(struct zn_posix *px, struct px_sock *s, void *arg) {
  (void)px;
  (void)arg;
  return s->phase != PX_LISTENING || !s->c ||
         zn_tcp_accept_pending(s->c) > 0;
}

/* A socket for connection c, taken from listener l's queue. */
static int adopt(struct zn_posix *px, struct px_sock *l,
                 struct zn_tcp_conn *c, int flags) {
  struct px_sock *s = px_sock_new(px, PX_TCP, l->family);
  if (!s) {
    zn_tcp_abort(c);
    return -ENFILE;
  }
  s->nonblock = (flags & SOCK_NONBLOCK) != 0;
  s->phase = PX_CONNECTED;
  s->c = c;
  s->bound = true;
  s->topts = l->topts;
  s->keepalive = l->keepalive;
  s->linger_on = l->linger_on;
  s->linger_s = l->linger_s;
  s->sndbuf = l->sndbuf;
  s->rcvbuf = l->rcvbuf;
  s->tos = l->tos;
  s->ttl = l->ttl;
  s->rcvlowat = l->rcvlowat;
  s->rcvtimeo_ns = l->rcvtimeo_ns;
  s->sndtimeo_ns = l->sndtimeo_ns;
  s->xo = l->xo;
  s->cork = l->cork;
  s->reuseaddr = l->reuseaddr;
  zn_tcp_set_callbacks(c, &px_tcp_cbs, s);
  px_opt_apply_tcp(px, s);
  int fd = px_fd_attach(px, s);
  if (fd < 0) {
    zn_tcp_set_callbacks(c, NULL, NULL);
    zn_tcp_abort(c);
    px_sock_free(px, s);
  }
  return fd;
}

int px_tcp_accept(struct zn_posix *px, struct px_sock *s, struct sockaddr *sa,
                  socklen_t *len, int flags) {
  if (s->phase != PX_LISTENING || !s->c)
    return -EINVAL;
  px_note_use(px, s);
  if (sa && !len)
    return -EFAULT;
  for (;;) {
    struct zn_tcp_conn *c;
    if (zn_tcp_accept(s->c, &c) == ZN_OK) {
      int fd = adopt(px, s, c, flags);
      if (fd >= 0 && sa) {
        struct zn_tcp_info i;
        zn_tcp_get_info(c, &i);
        px_ip_to_sa(&i.raddr, i.rport, s->family, sa, len);
      }
      return fd;
    }
    if (s->nonblock)
      return -EAGAIN;
    int rc = px_block(px, s, acceptable, NULL, px_deadline(px, s->rcvtimeo_ns),
                      s->rcvtimeo_ns == 0);
    if (rc < 0)
      return rc;
    if (s->phase != PX_LISTENING || !s->c)
      return -EINVAL;
  }
}

/* ---- connect ---- */

static bool connect_done(struct zn_posix *px, struct px_sock *s, void *arg) {
  (void)px;
  (void)arg;
  return s->phase != PX_CONNECTING;
}

/* The answer of a connect whose SYN is out: 0 once connected, the error
 * once failed (taken, as Linux's sock_error). */
static int connect_result(struct px_sock *s) {
  s->ss_connecting = false;
  if (s->phase == PX_CONNECTED)
    return 0;
  s->fail_told = true;
  int e = s->err ? s->err : ECONNREFUSED;
  s->err = 0;
  s->err_taken = true;
  return -e;
}

static int start_connect(struct zn_posix *px, struct px_sock *s,
                         const struct zn_ip *ip, uint16_t port) {
  struct zn_ip raddr = *ip;
  if (zn_ip_is_unspecified(&raddr)) {
    /* As Linux: 0.0.0.0 and :: mean this host. */
    if (raddr.family == ZN_AF_INET)
      raddr = zn_ip_from_v4(0x7f000001u);
    else
      raddr = (struct zn_ip){ZN_AF_INET6, {[15] = 1}};
  }
  if (port == 0)
    return -ECONNREFUSED;
  struct zn_ip tmp;
  const struct zn_ip *laddr = NULL;
  if (s->bound) {
    laddr = stack_laddr(s, &tmp);
    if (laddr->family == ZN_AF_NONE)
      laddr = NULL;
  }
  sync_opts(s);
  struct zn_tcp_conn *c;
  int rc = zn_tcp_connect_opts(px->st, laddr, s->bound ? s->lport : 0, &raddr,
                               port, &s->topts, &px_tcp_cbs, s, &c);
  if (rc == ZN_EHOSTUNREACH)
    return -ENETUNREACH; /* no route: Linux's answer at connect time */
  if (rc != ZN_OK)
    return -px_errno(rc);
  if (s->c) /* a failed attempt's object, kept for its error until now */
    zn_tcp_close(s->c);
  s->c = c;
  s->err = 0;
  s->err_taken = false;
  s->fail_told = false;
  s->ss_connecting = true;
  s->phase = PX_CONNECTING;
  if (s->cork)
    zn_tcp_set_cork(c, true);
  px_opt_apply_tcp(px, s);
  return 0;
}

int px_tcp_connect(struct zn_posix *px, struct px_sock *s,
                   const struct zn_ip *ip, uint16_t port) {
  if (s->phase == PX_FAILED && !s->fail_told) {
    /* Linux's sock_error path: the failure is told once, then the
     * socket is unconnected and may try again. */
    s->fail_told = true;
    int e = s->err ? s->err : ECONNABORTED;
    s->err = 0;
    return -e;
  }
  switch (s->phase) {
  case PX_LISTENING:
  case PX_CONNECTED:
    /* As Linux: the first connect() to find a non-blocking connect
     * done says 0, the next ones EISCONN. */
    if (s->ss_connecting) {
      s->ss_connecting = false;
      return 0;
    }
    return -EISCONN;
  case PX_CONNECTING:
    if (s->nonblock)
      return -EALREADY;
    break;
  case PX_FAILED:
  case PX_FRESH:
    if (ip->family == ZN_AF_NONE && !zn_ip_is_unspecified(ip))
      return -EAFNOSUPPORT;
    {
      int rc = start_connect(px, s, ip, port);
      if (rc < 0)
        return rc;
    }
    if (s->nonblock)
      return -EINPROGRESS;
    break;
  }
  int rc = px_block(px, s, connect_done, NULL, px_deadline(px, s->sndtimeo_ns),
                    s->sndtimeo_ns == 0);
  if (rc == -EAGAIN)
    return -EINPROGRESS; /* SO_SNDTIMEO passed: as Linux */
  if (rc < 0)
    return rc;
  return connect_result(s);
}

/* connect() with AF_UNSPEC: Linux's tcp_disconnect.  A connection is
 * reset, a listener stops, and the socket is unconnected again (it may
 * connect anew); its binding stays. */
int px_tcp_disconnect(struct zn_posix *px, struct px_sock *s) {
  if (s->c && (s->phase == PX_LISTENING || s->phase == PX_FAILED)) {
    zn_tcp_close(s->c); /* a failed one was kept for its error only */
  } else if (s->c) {
    zn_tcp_set_callbacks(s->c, NULL, NULL);
    zn_tcp_abort(s->c);
  }
  s->c = NULL;
  s->phase = PX_FRESH;
  s->err = 0;
  s->err_taken = s->fail_told = s->ss_connecting = s->fin_in = false;
  s->rd_shut = s->wr_shut = s->more = false;
  px_event(px, s);
  return 0;
}

/* ---- sending ---- */

/* Why nothing can be written now: 0 if something can (or may soon, for
 * -EAGAIN the caller waits), else -errno. */
static int send_state(struct px_sock *s) {
  if (s->err) {
    int e = s->err;
    s->err = 0;
    s->err_taken = true;
    return -e;
  }
  if (s->wr_shut)
    return -EPIPE;
  switch (s->phase) {
  case PX_CONNECTING:
    return -EAGAIN;
  case PX_CONNECTED:
    return s->c ? 0 : -EPIPE;
  default:
    return -EPIPE;
  }
}

static bool writable_now(struct zn_posix *px, struct px_sock *s, void *arg) {
  (void)px;
  (void)arg;
  if (s->err || s->wr_shut || !s->c)
    return true;
  if (s->phase == PX_CONNECTING)
    return false;
  if (s->phase != PX_CONNECTED)
    return true;
  return zn_tcp_writable(s->c) > 0;
}

/* Copy from the iovec, starting *done bytes in, into the send buffer.
 * Returns 0 (buffer full or all taken) or -errno from the stack. */
static int write_iov(struct px_sock *s, const struct msghdr *m, size_t *done) {
  size_t skip = *done;
  for (size_t i = 0; i < m->msg_iovlen; i++) {
    const struct iovec *v = &m->msg_iov[i];
    if (skip >= v->iov_len) {
      skip -= v->iov_len;
      continue;
    }
    const uint8_t *p = (const uint8_t *)v->iov_base + skip;
    size_t left = v->iov_len - skip;
    skip = 0;
    while (left) {
      long n = zn_tcp_write(s->c, p, left);
      if (n == ZN_EAGAIN)
        return 0;
      if (n < 0)
        return n == ZN_ECONNRESET && s->err_taken ? -EPIPE : -px_errno((int)n);
      p += n;
      left -= (size_t)n;
      *done += (size_t)n;
    }
  }
  return 0;
}

static int iov_total(const struct msghdr *m, size_t *total) {
  size_t t = 0;
  if (m->msg_iovlen > 1024)
    return -EMSGSIZE;
  for (size_t i = 0; i < m->msg_iovlen; i++) {
    if (m->msg_iov[i].iov_len > (size_t)INT64_MAX - t)
      return -EINVAL;
    t += m->msg_iov[i].iov_len;
  }
  *total = t;
  return 0;
}

static void set_more(struct px_sock *s, bool more) {
  if (more == s->more || !s->c)
    return;
  s->more = more;
  if (!s->cork)
    zn_tcp_set_cork(s->c, more);
}

ssize_t px_tcp_send(struct zn_posix *px, struct px_sock *s,
                    const struct msghdr *m, int flags) {
  size_t total, done = 0;
  if (flags & MSG_OOB)
    return -EOPNOTSUPP;
  int rc = iov_total(m, &total);
  if (rc < 0)
    return rc;
  bool nb = s->nonblock || (flags & MSG_DONTWAIT);
  uint64_t deadline = px_deadline(px, s->sndtimeo_ns);
  for (;;) {
    rc = send_state(s);
    if (rc == 0) {
      /* One call's pieces leave together, as Linux copies them all
       * before it pushes: held while they are taken. */
      bool hold = m->msg_iovlen > 1 || (flags & MSG_MORE);
      set_more(s, hold);
      rc = write_iov(s, m, &done);
      set_more(s, (flags & MSG_MORE) != 0);
    }
    if (rc < 0 && rc != -EAGAIN)
      return done ? (ssize_t)done : rc;
    if (done == total)
      return (ssize_t)done;
    if (nb)
      return done ? (ssize_t)done : -EAGAIN;
    px_after_call(px); /* what was taken goes out while we wait */
    rc = px_block(px, s, writable_now, NULL, deadline, s->sndtimeo_ns == 0);
    if (rc < 0)
      return done ? (ssize_t)done : rc;
  }
}

/* ---- receiving ---- */

struct want {
  size_t bytes;
};

static bool readable_now(struct zn_posix *px, struct px_sock *s, void *arg) {
  (void)px;
  const struct want *w = arg;
  if (s->err || s->rd_shut || !s->c || s->phase != PX_CONNECTED)
    return s->phase != PX_CONNECTING || s->err;
  if (zn_tcp_readable(s->c) >= w->bytes)
    return true;
  const uint8_t *d;
  long n = zn_tcp_peek(s->c, &d);
  return n == 0 || (n < 0 && n != ZN_EAGAIN);
}

/* Read into the iovec from *done on (with MSG_PEEK, copy from offset
 * *done of what is readable and consume nothing; with MSG_TRUNC, drop
 * without copying).  Returns 1 at end of stream, 0 when nothing more is
 * there now, or -errno. */
static int read_iov(struct px_sock *s, struct msghdr *m, size_t total,
                    size_t *done, int flags) {
  size_t skip = *done;
  for (size_t i = 0; i < m->msg_iovlen && *done < total; i++) {
    struct iovec *v = &m->msg_iov[i];
    if (skip >= v->iov_len) {
      skip -= v->iov_len;
      continue;
    }
    uint8_t *p = (uint8_t *)v->iov_base + skip;
    size_t room = v->iov_len - skip;
    skip = 0;
    while (room) {
      long n;
      if (flags & (MSG_PEEK | MSG_TRUNC)) {
        const uint8_t *d;
        n = (flags & MSG_PEEK) ? zn_tcp_peek_at(s->c, *done, &d)
                             : zn_tcp_peek(s->c, &d);
        if (n > 0) {
          n = (size_t)n < room ? n : (long)room;
          if (!(flags & MSG_TRUNC))
            memcpy(p, d, (size_t)n);
          if (!(flags & MSG_PEEK))
            zn_tcp_consume(s->c, (size_t)n);
        }
      } else {
        n = zn_tcp_read(s->c, p, room);
      }
      if (n == 0)
        return 1;
      if (n == ZN_EAGAIN)
        return 0;
      if (n < 0)
        return -px_errno((int)n);
      *done += (size_t)n;
      p += n;
      room -= (size_t)n;
    }
  }
  return 0;
}

/* Whether a read looks at the connection: connected and no error, or
 * an error with data that came before it (kept: topts.keep_after_reset),
 * which is read first, as Linux's tcp_recvmsg does. */
static bool can_read(const struct px_sock *s) {
  return s->phase == PX_CONNECTED && s->c &&
         (!s->err || zn_tcp_readable(s->c) > 0);
}

/* What a read says when the stream has nothing for it: the error once,
 * then end of stream. */
static ssize_t read_end(struct px_sock *s, int rc) {
  if (s->fin_in)
    return 0; /* tcp_recvmsg: SOCK_DONE before sk_err */
  if (s->err) {
    int e = s->err;
    s->err = 0;
    s->err_taken = true;
    return -e;
  }
  if (rc < 0 && !s->err_taken) {
    s->err_taken = true;
    return rc;
  }
  return 0;
}

ssize_t px_tcp_recv(struct zn_posix *px, struct px_sock *s, struct msghdr *m,
                    int flags) {
  size_t total, done = 0;
  if (flags & MSG_OOB)
    return -EINVAL; /* no urgent data is ever kept inline or out */
  int rc = iov_total(m, &total);
  if (rc < 0)
    return rc;
  m->msg_flags = 0;
  m->msg_controllen = 0;
  m->msg_namelen = 0; /* a stream names no sender: Linux's length is 0 */
  if (s->phase == PX_FRESH || s->phase == PX_LISTENING ||
      (s->phase == PX_FAILED && !s->err))
    return -ENOTCONN;
  bool nb = s->nonblock || (flags & MSG_DONTWAIT);
  size_t low = s->rcvlowat ? s->rcvlowat : 1;
  size_t target = (flags & MSG_WAITALL) ? total : low < total ? low : total;
  uint64_t deadline = px_deadline(px, s->rcvtimeo_ns);
  for (;;) {
    if (s->rd_shut) {
      /* Linux's tcp_recvmsg reads what is queued before it looks at
       * RCV_SHUTDOWN, even what arrived after shutdown(SHUT_RD); then
       * the stream has ended (0), without waiting. */
      if (can_read(s))
        (void)read_iov(s, m, total, &done, flags);
      return (ssize_t)done;
    }
    if (can_read(s)) {
      rc = read_iov(s, m, total, &done, flags);
      if (rc != 0)
        return done ? (ssize_t)done : read_end(s, rc);
    } else if (s->phase != PX_CONNECTING) {
      return done ? (ssize_t)done : read_end(s, 0);
    }
    if (done >= target || total == 0)
      return (ssize_t)done;
    if (nb)
      return done ? (ssize_t)done : -EAGAIN;
    /* A peek consumed nothing: what it saw is still to be counted. */
    struct want w = {(flags & MSG_PEEK) ? target : target - done};
    rc = px_block(px, s, readable_now, &w, deadline, s->rcvtimeo_ns == 0);
    if (rc < 0)
      return done ? (ssize_t)done : rc;
  }
}

/* ---- shutdown, close ---- */

static void listener_stop(struct px_sock *s) {
  /* Linux: shutdown(SHUT_RD) of a listener stops it; accept() then
   * fails with EINVAL.  The binding stays. */
  if (!reuseport_leave(s))
    zn_tcp_close(s->c);
  s->c = NULL;
  s->phase = PX_FRESH;
  px_event(s->px, s);
}

/* Whether Linux would see the socket in TCP_CLOSE: never connected,
 * failed, or its connection over (a TIME_WAIT connection is the stack's
 * affair by then: Linux's socket is closed). */
static bool tcp_closed(const struct px_sock *s) {
  if (s->phase == PX_FRESH || s->phase == PX_FAILED)
    return true;
  if (s->phase != PX_CONNECTED)
    return false;
  if (!s->c)
    return true;
  enum zn_tcp_state st = zn_tcp_state(s->c);
  return st == ZN_TCP_CLOSED || st == ZN_TCP_TIME_WAIT;
}

int px_tcp_shutdown(struct zn_posix *px, struct px_sock *s, bool rd, bool wr) {
  if (s->phase == PX_LISTENING && s->c) {
    if (rd)
      listener_stop(s);
    return 0;
  }
  if (s->phase == PX_CONNECTING)
    return px_tcp_disconnect(px, s); /* inet_shutdown in SYN_SENT */
  if (tcp_closed(s)) {
    /* Linux's inet_shutdown on a closed socket: ENOTCONN, yet the flags
     * are set, and waiters woken ("to wake up other listeners"). */
    s->rd_shut |= rd;
    s->wr_shut |= wr;
    px_event(px, s);
    return -ENOTCONN;
  }
  if (rd)
    s->rd_shut = true;
  if (wr && !s->wr_shut && s->c) {
    s->wr_shut = true;
    if (s->phase == PX_CONNECTED)
      zn_tcp_shutdown(s->c);
  }
  px_event(px, s);
  return 0;
}

static bool fin_acked(struct zn_posix *px, struct px_sock *s, void *arg) {
  (void)px;
  (void)arg;
  return px_tcp_drained(s);
}

/* The last descriptor is closed: s is an orphan the stack finishes.
 * SO_LINGER with 0 s resets; with a time and a blocking socket, close
 * waits that long for the FIN to be acknowledged (Linux's
 * sk_stream_wait_close), the connection going on after that. */
void px_tcp_release(struct zn_posix *px, struct px_sock *s) {
  if (!s->c) {
    px_sock_free(px, s);
    return;
  }
  if (s->phase == PX_LISTENING && reuseport_leave(s)) {
    px_sock_free(px, s);
    return;
  }
  if (s->phase == PX_LISTENING || s->phase == PX_FAILED) {
    zn_tcp_close(s->c);
    return;
  }
  if (s->linger_on && s->linger_s == 0) {
    zn_tcp_abort(s->c);
    return;
  }
  if (s->rd_shut && zn_tcp_readable(s->c)) {
    zn_tcp_abort(s->c); /* unread data: RST, as zn_tcp_close would */
    return;
  }
  if (s->cork || s->more)
    zn_tcp_set_cork(s->c, false);
  if (!s->linger_on || s->nonblock) {
    zn_tcp_close(s->c); /* on_closed frees the orphan */
    return;
  }
  /* Not an orphan while close() waits: on_closed must not free s under
   * the wait's feet. */
  s->orphan = false;
  zn_tcp_close(s->c);
  px_after_call(px);
  uint64_t deadline = px_deadline(px, (uint64_t)s->linger_s * 1000000000u);
  px_block(px, s, fin_acked, NULL, deadline, true);
  s->orphan = true;
  if (!s->c)
    px_sock_free(px, s);
}

/* ---- readiness and names ---- */

/* The peer's FIN is in, read up to or not: the states after it (RFC
 * 9293 §3.3.2).  Linux's RCV_SHUTDOWN, which tcp_poll reports as
 * EPOLLRDHUP at once, data still unread or not: an edge-triggered waiter
 * that reads less than all (nginx reading an upstream) learns of the end
 * from that edge, since no other comes. */
static bool fin_received(enum zn_tcp_state st) {
  return st == ZN_TCP_CLOSE_WAIT || st == ZN_TCP_LAST_ACK ||
         st == ZN_TCP_CLOSING || st == ZN_TCP_TIME_WAIT;
}

static uint32_t connected_ready(struct px_sock *s) {
  uint32_t r = 0;
  enum zn_tcp_state st = zn_tcp_state(s->c);
  const uint8_t *d;
  long n = zn_tcp_peek(s->c, &d);
  size_t low = s->rcvlowat ? s->rcvlowat : 1;
  bool peer_fin = n == 0 || fin_received(st);
  if ((n > 0 && zn_tcp_readable(s->c) >= low) || peer_fin || s->rd_shut)
    r |= EPOLLIN | EPOLLRDNORM;
  if (peer_fin || s->rd_shut)
    r |= EPOLLRDHUP;
  bool dead = st == ZN_TCP_CLOSED || (n < 0 && n != ZN_EAGAIN);
  if (dead)
    r |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLHUP;
  if (peer_fin && s->wr_shut)
    r |= EPOLLHUP;
  /* Writable with any room, which is when the stack's on_writable
   * comes: a higher mark (Linux's half of what is queued) would need an
   * event the stack does not give, and an edge-triggered waiter would
   * miss its edge.  Once writes are shut or the connection is gone, a
   * write fails at once (EPIPE): Linux's tcp_poll reports it writable
   * then too.  Found full, the stack is asked for on_writable, as
   * tcp_poll sets SOCK_NOSPACE: a write that filled the buffer exactly
   * asked for none, and a poll or epoll for EPOLLOUT would wait for
   * ever. */
  if (s->wr_shut || dead || zn_tcp_writable(s->c) > 0)
    r |= EPOLLOUT | EPOLLWRNORM;
  else
    zn_tcp_want_writable(s->c);
  return r;
}

/* Closed, as Linux's tcp_poll sees TCP_CLOSE with both directions shut
 * (after tcp_done): everything. */
#define PX_ALL_DONE                                                           \
  (EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLHUP | EPOLLOUT | EPOLLWRNORM)

uint32_t px_tcp_ready(struct zn_posix *px, struct px_sock *s) {
  (void)px;
  uint32_t r = s->err ? EPOLLERR : 0;
  switch (s->phase) {
  case PX_FRESH:
    if (s->rd_shut)
      r |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
    return r | EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
  case PX_LISTENING:
    return r | (s->c && zn_tcp_accept_pending(s->c) ? EPOLLIN | EPOLLRDNORM
                                                     : 0);
  case PX_CONNECTING:
    return r;
  case PX_FAILED:
    /* Once connect() reported the failure Linux disconnects the socket
     * (its shutdown flags cleared): as fresh. */
    if (s->fail_told)
      return r | EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
    return r | PX_ALL_DONE;
  case PX_CONNECTED:
    if (!s->c)
      return r | PX_ALL_DONE;
    return r | connected_ready(s);
  }
  return r;
}

/* Nothing of ours waits for an acknowledgement: our FIN was answered
 * (or the connection is gone). */
bool px_tcp_drained(struct px_sock *s) {
  if (!s->c || s->phase == PX_LISTENING || s->forked)
    return true;
  enum zn_tcp_state st = zn_tcp_state(s->c);
  return st == ZN_TCP_FIN_WAIT_2 || st == ZN_TCP_TIME_WAIT ||
         st == ZN_TCP_CLOSED;
}

void px_tcp_getlocal(struct px_sock *s, struct zn_ip *ip, uint16_t *port) {
  if (s->c && s->phase != PX_LISTENING) {
    struct zn_tcp_info i;
    zn_tcp_get_info(s->c, &i);
    *ip = i.laddr;
    *port = i.lport;
    return;
  }
  if (s->bound) {
    *ip = s->laddr;
    *port = s->lport;
    return;
  }
  memset(ip, 0, sizeof(*ip));
  *port = 0;
}

int px_tcp_getpeer(struct px_sock *s, struct zn_ip *ip, uint16_t *port) {
  if (s->phase != PX_CONNECTED || !s->c ||
      zn_tcp_state(s->c) == ZN_TCP_CLOSED)
    return -ENOTCONN;
  struct zn_tcp_info i;
  zn_tcp_get_info(s->c, &i);
  *ip = i.raddr;
  *port = i.rport;
  return 0;
}

/* ---- a new stack under the layer (zn_posix_reshard) ---- */

/* s on a stack that is gone: a listener is made again on px's stack,
 * with its address, port, backlog and settings (once for a SO_REUSEPORT
 * ring: the others share it); a connection stays with the old stack,
 * whose process has it, and is left to close (forked).  The old objects
 * are the old stack's: forgotten, never freed here. */
void px_tcp_forget(struct px_sock *s) {
  if (s->phase == PX_LISTENING) {
    s->c = NULL;
    return;
  }
  s->c = NULL;
  if (s->phase == PX_CONNECTING || s->phase == PX_CONNECTED)
    s->forked = true;
}

int px_tcp_relisten(struct zn_posix *px, struct px_sock *s) {
  if (s->phase != PX_LISTENING || s->c != NULL || s->forked)
    return 0; /* not a listener, or made again with its ring */
  struct zn_ip tmp;
  sync_opts(s);
  struct zn_tcp_conn *l;
  int rc = zn_tcp_listen_opts(px->st, stack_laddr(s, &tmp), s->lport,
                              (uint32_t)s->backlog + 1, &s->topts,
                              &px_tcp_cbs, s, &l);
  if (rc != ZN_OK) {
    s->forked = true; /* nothing but close, as a connection */
    return -px_errno(rc);
  }
  s->c = l;
  for (struct px_sock *o = s->rp_next; o && o != s; o = o->rp_next)
    o->c = l;
  px_opt_apply_tcp(px, s);
  px_tcp_hold(s, px->host.serve != NULL);
  return 0;
}
