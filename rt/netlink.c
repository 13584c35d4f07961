/*
 * NETLINK_ROUTE sockets, read-only: the dumps a program lists the
 * interfaces and their addresses with, as Linux answers them.  musl's
 * getifaddrs and if_nameindex send RTM_GETLINK and RTM_GETADDR dumps;
 * so do Go's net.Interfaces, libuv's interface list and the like, and
 * libzmq looks a bind address up among the interfaces so.
 *
 * The replies (rt/nlmsg.c, which builds them from the requests' bytes)
 * describe lo and eth0 as they are at the request.  A dump request is
 * answered when it is sent: the messages and NLMSG_DONE are
 * queued on the socket (REPLY_MAX bytes) and read with recv, as many
 * whole messages a call as fit (a buffer too small for the first gets
 * its start, MSG_TRUNC, and the message is gone, as Linux does).  Any
 * other request (a change, a single GET) is answered with NLMSG_ERROR,
 * -EOPNOTSUPP: the image's interfaces are set by its flags.  Bytes that
 * are no whole netlink message are ignored, as Linux ignores them (the
 * send succeeds): they are the program's own, not the network's.
 *
 * The socket's port id (getsockname, and nlmsg_pid of the replies) is
 * the process id (1), as the first netlink socket of a Linux process
 * gets; every netlink socket here has it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "net.h"
#include "nlmsg.h"
#include "rt.h"

#define REPLY_MAX 16384
#define PORT_ID 1 /* the image's one process's id */

struct nl_sock {
  void (*iface)(struct zrt_net_iface *out); /* what to report (net.c) */
  int type;               /* SOCK_RAW or SOCK_DGRAM, as socket() asked */
  uint32_t port;          /* our port id (getsockname) */
  uint32_t groups;        /* what bind asked: kept, never sent to */
  size_t len;             /* queued reply bytes */
  uint8_t reply[REPLY_MAX];
};

/* ---- the socket ----------------------------------------------------------- */

static size_t iov_gather(const struct iovec *iov, int cnt, uint8_t *buf,
                         size_t cap, size_t *total) {
  size_t n = 0;
  *total = 0;
  for (int i = 0; i < cnt; i++) {
    *total += iov[i].iov_len;
    size_t k = iov[i].iov_len < cap - n ? iov[i].iov_len : cap - n;
    memcpy(buf + n, iov[i].iov_base, k);
    n += k;
  }
  return n;
}

static ssize_t nl_sendv(struct zrt_file *f, const struct iovec *iov, int cnt,
                        int flags) {
  struct nl_sock *s = f->priv;
  static uint8_t req[4096];
  (void)flags;
  size_t total;
  size_t n = iov_gather(iov, cnt, req, sizeof(req), &total);
  if (total > sizeof(req))
    return -EMSGSIZE;
  struct zrt_net_iface nic;
  s->iface(&nic);
  size_t before = s->len;
  if (!zrt_nl_answer(req, n, &nic, s->port, s->reply, sizeof(s->reply), &s->len))
    return -ENOBUFS; /* replies the program has not read fill the queue */
  if (s->len != before)
    zrt_io_notify();
  return (ssize_t)total;
}

/* The whole messages at the queue's head that fit in n bytes (at least
 * the first, cut to n). */
static size_t take_len(const struct nl_sock *s, size_t n, bool *trunc) {
  size_t off = 0;
  *trunc = false;
  while (off < s->len) {
    const struct nlmsghdr *h = (const void *)(s->reply + off);
    size_t m = NLMSG_ALIGN(h->nlmsg_len);
    if (off + m > n) {
      if (off == 0) {
        *trunc = true;
        return m;
      }
      break;
    }
    off += m;
  }
  return off;
}

static ssize_t nl_recvv(struct zrt_file *f, const struct iovec *iov, int cnt,
                        int flags) {
  struct nl_sock *s = f->priv;
  size_t room = 0;
  for (int i = 0; i < cnt; i++)
    room += iov[i].iov_len;
  while (s->len == 0) {
    if ((flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK))
      return -EAGAIN;
    if (zrt_io_wait_local(ZRT_NO_DEADLINE) == -EINTR)
      return -EINTR;
  }
  bool trunc;
  size_t m = take_len(s, room, &trunc);
  size_t copied = 0;
  for (int i = 0; i < cnt && copied < m; i++) {
    size_t k = iov[i].iov_len < m - copied ? iov[i].iov_len : m - copied;
    memcpy(iov[i].iov_base, s->reply + copied, k);
    copied += k;
  }
  if (!(flags & MSG_PEEK)) {
    memmove(s->reply, s->reply + m, s->len - m);
    s->len -= m;
  }
  if (trunc && (flags & MSG_TRUNC))
    return (ssize_t)m;
  return (ssize_t)copied;
}

static short nl_poll(struct zrt_file *f, short events) {
  struct nl_sock *s = f->priv;
  short ev = POLLOUT | POLLWRNORM;
  if (s->len)
    ev |= POLLIN | POLLRDNORM;
  return (short)(ev & events);
}

static int nl_fstat(struct zrt_file *f, struct stat *st) {
  (void)f;
  st->st_mode = S_IFSOCK | 0777;
  st->st_nlink = 1;
  st->st_blksize = 4096;
  return 0;
}

static int nl_name(struct zrt_file *f, struct sockaddr *sa, socklen_t *len,
                   bool peer) {
  struct nl_sock *s = f->priv;
  struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
  if (!peer) {
    nl.nl_pid = s->port;
    nl.nl_groups = s->groups;
  }
  if (!len)
    return -EFAULT;
  size_t n = *len < sizeof(nl) ? *len : sizeof(nl);
  if (sa)
    memcpy(sa, &nl, n);
  *len = sizeof(nl);
  return 0;
}

static int nl_getsockname(struct zrt_file *f, struct sockaddr *sa,
                          socklen_t *len) {
  return nl_name(f, sa, len, false);
}

static int nl_getpeername(struct zrt_file *f, struct sockaddr *sa,
                          socklen_t *len) {
  return nl_name(f, sa, len, true);
}

static int nl_bind(struct zrt_file *f, const struct sockaddr *sa,
                   socklen_t len) {
  struct nl_sock *s = f->priv;
  struct sockaddr_nl nl;
  if (len < sizeof(nl))
    return -EINVAL;
  memcpy(&nl, sa, sizeof(nl));
  if (nl.nl_family != AF_NETLINK)
    return -EINVAL;
  if (nl.nl_pid != 0 && nl.nl_pid != s->port)
    return -EADDRINUSE; /* one port id a process here */
  s->groups = nl.nl_groups;
  return 0;
}

static int nl_sock_type(struct zrt_file *f) {
  struct nl_sock *s = f->priv;
  return s->type;
}

static void nl_release(struct zrt_file *f) {
  zrt_kfree(f->priv, sizeof(struct nl_sock));
}

static const struct zrt_file_ops nl_ops = {
    .name = "socket:[netlink]",
    .fstat = nl_fstat,
    .poll = nl_poll,
    .sendv = nl_sendv,
    .recvv = nl_recvv,
    .bind = nl_bind,
    .getsockname = nl_getsockname,
    .getpeername = nl_getpeername,
    .sock_type = nl_sock_type,
    .release = nl_release,
};

long zrt_netlink_socket(int type, int protocol,
                        void (*iface)(struct zrt_net_iface *out)) {
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (base != SOCK_RAW && base != SOCK_DGRAM)
    return -ESOCKTNOSUPPORT;
  if (protocol != NETLINK_ROUTE)
    return -EPROTONOSUPPORT;
  struct nl_sock *s = zrt_kalloc(sizeof(*s));
  if (!s)
    return -ENOMEM;
  memset(s, 0, sizeof(*s));
  s->iface = iface;
  s->type = base;
  s->port = PORT_ID;
  struct zrt_file *f =
      zrt_file_new(&nl_ops, O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0), s);
  if (!f) {
    zrt_kfree(s, sizeof(*s));
    return -ENOMEM;
  }
  int fd = zrt_fd_install(f, 0, (type & SOCK_CLOEXEC) != 0);
  zrt_file_put(f);
  return fd;
}
