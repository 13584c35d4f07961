/*
 * Pipes, socketpair(AF_UNIX) and eventfd inside the image.
 *
 * A pipe is a ring of bytes (64 KiB unless F_SETPIPE_SZ says otherwise)
 * with counts of the ends that read and write it: no reader left, a
 * write is -EPIPE and SIGPIPE; no writer left and empty, a read is the
 * end of file.  A write of up to PIPE_BUF bytes goes in whole or waits;
 * a longer one takes what fits.  A socketpair is two rings, one each way;
 * each of its ends writes one and reads the other.  Its datagram kind
 * keeps each message behind a 4-byte length in the ring, so a read takes
 * one message (the rest of a longer message is dropped, as Linux's
 * SOCK_DGRAM does).
 *
 * Every change another thread may wait for (bytes in, room made, an end
 * closed or shut down, a counter changed) moves the ring's or the
 * counter's seq (the files' seq op: edge-triggered epoll reports each)
 * and calls zrt_io_notify().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "files_int.h"
#include "rt.h"
#include "sys_gen.h"

#define PIPE_DEFAULT 65536u
#define PIPE_MAX 1048576u /* /proc/sys/fs/pipe-max-size */
#define DGRAM_HEAD 4u

struct ring {
  uint8_t *buf;
  size_t cap;
  size_t head; /* the oldest byte */
  size_t len;  /* bytes held */
  unsigned readers, writers;
  unsigned holders; /* the files that point at it */
  bool dgram;
  uint64_t ino;
  uint32_t seq; /* moved by ring_changed */
};

/* One end of a socketpair: writes tx, reads rx (the peer's tx). */
struct sp_end {
  struct ring *rx, *tx;
  bool shut_rd, shut_wr;
  int type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
};

struct efd {
  uint64_t count;
  bool semaphore;
  uint64_t ino;
  uint32_t seq; /* moved at each read and write */
};

static uint64_t next_ino = 1;

/* ---- the ring -------------------------------------------------------------- */

static struct ring *ring_new(bool dgram) {
  struct ring *r = zrt_kalloc(sizeof(*r));
  if (!r)
    return NULL;
  r->cap = PIPE_DEFAULT;
  r->buf = zrt_kalloc(r->cap);
  if (!r->buf) { /* a small pipe rather than none */
    r->cap = ZRT_PIPE_BUF;
    r->buf = zrt_kalloc(r->cap);
  }
  if (!r->buf) {
    zrt_kfree(r, sizeof(*r));
    return NULL;
  }
  r->dgram = dgram;
  r->ino = next_ino++;
  return r;
}

static void ring_free(struct ring *r) {
  if (!r)
    return;
  zrt_kfree(r->buf, r->cap);
  zrt_kfree(r, sizeof(*r));
}

/* Something a waiter on r may want happened. */
static void ring_changed(struct ring *r) {
  r->seq++;
  zrt_io_notify();
}

static void ring_unref(struct ring *r) {
  ring_changed(r);
  ZN_ASSERT(r->holders > 0 && r->len <= r->cap);
  if (--r->holders == 0)
    ring_free(r);
}

/* A position in a vector of buffers. */
struct iov_cur {
  const struct iovec *iov;
  int cnt;
  int i;
  size_t off;
};

static size_t cur_left(const struct iov_cur *c) {
  size_t n = 0;
  for (int i = c->i; i < c->cnt; i++)
    n += c->iov[i].iov_len - (i == c->i ? c->off : 0);
  return n;
}

/* Move n bytes between the ring at logical offset `at` (from head) and
 * the cursor, in the direction `in` (cursor to ring). */
static void ring_move(struct ring *r, size_t at, struct iov_cur *c, size_t n,
                      bool in) {
  while (n > 0) {
    /* n <= cur_left(c): a buffer with bytes left follows.
     * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
    while (c->off == c->iov[c->i].iov_len) {
      c->i++;
      c->off = 0;
    }
    size_t pos = (r->head + at) % r->cap;
    size_t k = r->cap - pos;
    size_t seg = c->iov[c->i].iov_len - c->off;
    k = k < seg ? k : seg;
    k = k < n ? k : n;
    uint8_t *user = (uint8_t *)c->iov[c->i].iov_base + c->off;
    if (in)
      memcpy(r->buf + pos, user, k);
    else
      memcpy(user, r->buf + pos, k);
    c->off += k;
    at += k;
    n -= k;
  }
}

static void ring_raw(struct ring *r, size_t at, void *p, size_t n, bool in) {
  struct iovec v = {p, n};
  struct iov_cur c = {&v, 1, 0, 0};
  ring_move(r, at, &c, n, in);
}

/* Write from the cursor: bytes taken, -EAGAIN, -EPIPE, -EMSGSIZE. */
static long ring_write(struct ring *r, struct iov_cur *c) {
  size_t want = cur_left(c);
  size_t room = r->cap - r->len;
  if (r->readers == 0)
    return -EPIPE;
  if (r->dgram) {
    if (want > r->cap - DGRAM_HEAD)
      return -EMSGSIZE;
    if (room < want + DGRAM_HEAD)
      return -EAGAIN;
    uint32_t len = (uint32_t)want;
    ring_raw(r, r->len, &len, DGRAM_HEAD, true);
    ring_move(r, r->len + DGRAM_HEAD, c, want, true);
    r->len += DGRAM_HEAD + want;
  } else {
    if (room == 0 || (want <= ZRT_PIPE_BUF && room < want))
      return -EAGAIN;
    want = want < room ? want : room;
    ring_move(r, r->len, c, want, true);
    r->len += want;
  }
  ring_changed(r);
  return (long)want;
}

/* Read into the cursor: bytes given, 0 at the end, -EAGAIN. */
static long ring_read(struct ring *r, struct iov_cur *c, bool peek) {
  if (r->len == 0)
    return r->writers == 0 ? 0 : -EAGAIN;
  size_t want = cur_left(c);
  size_t give, used;
  if (r->dgram) {
    uint32_t len;
    ring_raw(r, 0, &len, DGRAM_HEAD, false);
    give = len < want ? len : want;
    ring_move(r, DGRAM_HEAD, c, give, false);
    used = DGRAM_HEAD + len;
  } else {
    give = r->len < want ? r->len : want;
    ring_move(r, 0, c, give, false);
    used = give;
  }
  if (!peek) {
    r->head = (r->head + used) % r->cap;
    r->len -= used;
    if (r->len == 0)
      r->head = 0;
    ring_changed(r);
  }
  return (long)give;
}

static short ring_poll_in(const struct ring *r) {
  short ev = 0;
  if (r->len > 0)
    ev |= POLLIN | POLLRDNORM;
  if (r->writers == 0)
    ev |= POLLHUP;
  return ev;
}

static short ring_poll_out(const struct ring *r) {
  if (r->readers == 0)
    return POLLERR;
  size_t room = r->cap - r->len;
  bool fits = r->dgram ? room > DGRAM_HEAD : room >= ZRT_PIPE_BUF || room == r->cap;
  return fits ? (short)(POLLOUT | POLLWRNORM) : 0;
}

static long ring_resize(struct ring *r, long arg) {
  if (arg < 0)
    return -EINVAL;
  size_t want = ZRT_PIPE_BUF;
  while (want < (size_t)arg && want <= PIPE_MAX)
    want <<= 1;
  if (want > PIPE_MAX)
    return -EPERM;
  if (want < r->len)
    return -EBUSY;
  if (want == r->cap)
    return (long)want;
  uint8_t *nb = zrt_kalloc(want);
  if (!nb)
    return -ENOMEM;
  ring_raw(r, 0, nb, r->len, false);
  zrt_kfree(r->buf, r->cap);
  r->buf = nb;
  r->cap = want;
  r->head = 0;
  ring_changed(r);
  return (long)want;
}

/* ---- pipes ----------------------------------------------------------------- */

static void fifo_stat(uint64_t ino, struct stat *st) {
  st->st_mode = S_IFIFO | 0600;
  st->st_nlink = 1;
  st->st_ino = (ino_t)ino;
  st->st_blksize = 4096;
}

static ssize_t pipe_read(struct zrt_file *f, void *buf, size_t n) {
  struct iovec v = {buf, n};
  struct iov_cur c = {&v, 1, 0, 0};
  if (n == 0)
    return 0;
  return ring_read(f->priv, &c, false);
}

static long broken(long r, bool signal) {
  if (r == -EPIPE && signal)
    zrt_signal_raise(SIGPIPE);
  return r;
}

static ssize_t pipe_write(struct zrt_file *f, const void *buf, size_t n) {
  struct iovec v = {(void *)(uintptr_t)buf, n};
  struct iov_cur c = {&v, 1, 0, 0};
  if (n == 0)
    return 0;
  return broken(ring_write(f->priv, &c), true);
}

static int pipe_fstat(struct zrt_file *f, struct stat *st) {
  struct ring *r = f->priv;
  fifo_stat(r->ino, st);
  return 0;
}

static int bytes_ready(const struct ring *r, void *arg) {
  if (!arg)
    return -EFAULT;
  *(int *)arg = (int)r->len;
  return 0;
}

static int pipe_ioctl(struct zrt_file *f, unsigned long req, void *arg) {
  if (req == ZRT_FIONREAD)
    return bytes_ready(f->priv, arg);
  return -ENOTTY;
}

static short pipe_poll(struct zrt_file *f, short events) {
  struct ring *r = f->priv;
  short ev = (short)((f->flags & O_ACCMODE) == O_RDONLY ? ring_poll_in(r)
                                                         : ring_poll_out(r));
  return (short)(ev & (events | POLLHUP | POLLERR));
}

static uint32_t pipe_seq(struct zrt_file *f) {
  return ((const struct ring *)f->priv)->seq;
}

static void pipe_release(struct zrt_file *f) {
  struct ring *r = f->priv;
  bool reader = (f->flags & O_ACCMODE) == O_RDONLY;
  ZN_ASSERT(reader ? r->readers > 0 : r->writers > 0);
  if (reader)
    r->readers--;
  else
    r->writers--;
  ring_unref(r);
}

/* F_GETPIPE_SZ, F_SETPIPE_SZ; the rest is the table's. */
static long pipe_fcntl(struct zrt_file *f, int cmd, long arg) {
  struct ring *r = f->priv;
  if (cmd == ZRT_F_GETPIPE_SZ)
    return (long)r->cap;
  if (cmd == ZRT_F_SETPIPE_SZ)
    return ring_resize(r, arg);
  return -ENOTTY;
}

static const struct zrt_file_ops pipe_ops = {
    .name = "pipe",
    .read = pipe_read,
    .write = pipe_write,
    .fstat = pipe_fstat,
    .ioctl = pipe_ioctl,
    .fcntl = pipe_fcntl,
    .poll = pipe_poll,
    .seq = pipe_seq,
    .release = pipe_release,
};

/* Install two new files as descriptors: both, or neither. */
static long install_pair(struct zrt_file *a, struct zrt_file *b, int *fds,
                         bool cloexec) {
  int fa = zrt_fd_install(a, 0, cloexec);
  int fb = fa < 0 ? fa : zrt_fd_install(b, 0, cloexec);
  zrt_file_put(a);
  zrt_file_put(b);
  if (fb < 0) {
    if (fa >= 0)
      (void)zrt_fd_close(fa);
    return fb;
  }
  fds[0] = fa;
  fds[1] = fb;
  return 0;
}

long zrt_sys_pipe2(int *fds, int flags) {
  if (flags & ~(O_NONBLOCK | ZRT_O_CLOEXEC))
    return -EINVAL;
  if (!fds)
    return -EFAULT;
  struct ring *r = ring_new(false);
  if (!r)
    return -ENFILE;
  int nb = flags & O_NONBLOCK;
  struct zrt_file *rd = zrt_file_new(&pipe_ops, O_RDONLY | nb, r);
  struct zrt_file *wr = zrt_file_new(&pipe_ops, O_WRONLY | nb, r);
  r->readers = rd ? 1 : 0;
  r->writers = wr ? 1 : 0;
  r->holders = r->readers + r->writers;
  if (!rd || !wr) {
    if (rd)
      zrt_file_put(rd);
    if (wr)
      zrt_file_put(wr);
    if (!rd && !wr)
      ring_free(r);
    return -ENFILE;
  }
  return install_pair(rd, wr, fds, (flags & ZRT_O_CLOEXEC) != 0);
}

long zrt_sys_pipe(int *fds) { return zrt_sys_pipe2(fds, 0); }

/* ---- socketpair ------------------------------------------------------------ */

static long sp_send(struct zrt_file *f, struct iov_cur *c, bool signal) {
  struct sp_end *e = f->priv;
  if (e->shut_wr)
    return broken(-EPIPE, signal);
  return broken(ring_write(e->tx, c), signal);
}

static long sp_recv(struct zrt_file *f, struct iov_cur *c, bool peek) {
  struct sp_end *e = f->priv;
  if (e->shut_rd)
    return 0;
  return ring_read(e->rx, c, peek);
}

static ssize_t sp_read(struct zrt_file *f, void *buf, size_t n) {
  struct iovec v = {buf, n};
  struct iov_cur c = {&v, 1, 0, 0};
  struct sp_end *e = f->priv;
  if (n == 0 && !e->rx->dgram)
    return 0;
  return sp_recv(f, &c, false);
}

static ssize_t sp_write(struct zrt_file *f, const void *buf, size_t n) {
  struct iovec v = {(void *)(uintptr_t)buf, n};
  struct iov_cur c = {&v, 1, 0, 0};
  struct sp_end *e = f->priv;
  if (n == 0 && !e->tx->dgram)
    return 0;
  return sp_send(f, &c, true);
}

static int sp_fstat(struct zrt_file *f, struct stat *st) {
  struct sp_end *e = f->priv;
  st->st_mode = S_IFSOCK | 0777;
  st->st_nlink = 1;
  st->st_ino = (ino_t)e->tx->ino;
  st->st_blksize = 4096;
  return 0;
}

static int sp_ioctl(struct zrt_file *f, unsigned long req, void *arg) {
  struct sp_end *e = f->priv;
  if (req == ZRT_FIONREAD)
    return bytes_ready(e->rx, arg);
  return -ENOTTY;
}

static short sp_poll(struct zrt_file *f, short events) {
  struct sp_end *e = f->priv;
  bool rd_end = e->shut_rd || e->rx->writers == 0;
  bool wr_end = e->shut_wr || e->tx->readers == 0;
  short ev = 0;
  if (e->rx->len > 0 || rd_end)
    ev |= POLLIN | POLLRDNORM;
  if (rd_end)
    ev |= ZRT_POLLRDHUP;
  if (rd_end && wr_end)
    ev |= POLLHUP;
  if (!wr_end)
    ev = (short)(ev | ring_poll_out(e->tx));
  return (short)(ev & (events | POLLHUP | POLLERR));
}

static void sp_close_tx(struct sp_end *e) {
  if (!e->shut_wr) {
    e->shut_wr = true;
    e->tx->writers--;
  }
}

/* Either way's changes. */
static uint32_t sp_seq(struct zrt_file *f) {
  const struct sp_end *e = f->priv;
  return e->rx->seq + e->tx->seq;
}

static void sp_close_rx(struct sp_end *e) {
  if (!e->shut_rd) {
    e->shut_rd = true;
    e->rx->readers--;
  }
}

static void sp_release(struct zrt_file *f) {
  struct sp_end *e = f->priv;
  sp_close_tx(e);
  sp_close_rx(e);
  ring_unref(e->tx);
  ring_unref(e->rx);
  zrt_kfree(e, sizeof(*e));
}

/* ---- send, recv, shutdown: the socket side of an end -------------------- */

#define SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR)
#define RECV_FLAGS (MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_CMSG_CLOEXEC)

static bool may_wait(struct zrt_file *f, int flags, long *r) {
  if (*r != -EAGAIN || (flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK))
    return false;
  if (zrt_io_wait_local(ZRT_NO_DEADLINE) == -EINTR) {
    *r = -EINTR;
    return false;
  }
  return true;
}

static ssize_t sp_sendv(struct zrt_file *f, const struct iovec *iov,
                        int iovcnt, int flags) {
  if (iovcnt < 0 || iovcnt > ZRT_IOV_MAX)
    return -EINVAL;
  if (flags & ~SEND_FLAGS)
    return -EOPNOTSUPP;
  long r;
  struct iov_cur c = {iov, iovcnt, 0, 0};
  size_t want = cur_left(&c), done = 0;
  bool signal = !(flags & MSG_NOSIGNAL);
  for (;;) {
    r = sp_send(f, &c, signal);
    if (r > 0)
      done += (size_t)r;
    if (r >= 0 && (done == want || (flags & MSG_DONTWAIT) ||
                   (f->flags & O_NONBLOCK)))
      break;
    if (r >= 0 || may_wait(f, flags, &r))
      continue;
    break;
  }
  return done > 0 ? (ssize_t)done : r;
}

static ssize_t sp_recvv(struct zrt_file *f, const struct iovec *iov,
                        int iovcnt, int flags) {
  if (iovcnt < 0 || iovcnt > ZRT_IOV_MAX)
    return -EINVAL;
  if (flags & ~RECV_FLAGS)
    return -EOPNOTSUPP;
  long r;
  struct sp_end *e = f->priv;
  struct iov_cur c = {iov, iovcnt, 0, 0};
  size_t want = cur_left(&c), done = 0;
  bool all = (flags & MSG_WAITALL) && !(flags & MSG_PEEK) && !e->rx->dgram;
  for (;;) {
    r = sp_recv(f, &c, (flags & MSG_PEEK) != 0);
    if (r > 0)
      done += (size_t)r;
    if (r == 0 || (r > 0 && (!all || done == want)))
      break;
    if (r > 0 || may_wait(f, flags, &r))
      continue;
    break;
  }
  return done > 0 ? (ssize_t)done : r;
}

static int sp_shutdown(struct zrt_file *f, int how) {
  struct sp_end *e = f->priv;
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
    return -EINVAL;
  if (how != SHUT_WR)
    sp_close_rx(e);
  if (how != SHUT_RD)
    sp_close_tx(e);
  ring_changed(e->rx);
  ring_changed(e->tx);
  return 0;
}

/* Both ends are unnamed AF_UNIX sockets: the family alone. */
static int sp_name(struct zrt_file *f, struct sockaddr *sa, socklen_t *len) {
  (void)f;
  if (!len)
    return -EFAULT;
  sa_family_t fam = AF_UNIX;
  if (sa && *len > 0)
    memcpy(sa, &fam, *len < sizeof(fam) ? *len : sizeof(fam));
  *len = sizeof(fam);
  return 0;
}

static int sp_sock_type(struct zrt_file *f) {
  struct sp_end *e = f->priv;
  return e->type;
}

static const struct zrt_file_ops sp_ops = {
    .name = "socket",
    .read = sp_read,
    .write = sp_write,
    .fstat = sp_fstat,
    .ioctl = sp_ioctl,
    .poll = sp_poll,
    .seq = sp_seq,
    .sendv = sp_sendv,
    .recvv = sp_recvv,
    .shutdown = sp_shutdown,
    .getsockname = sp_name,
    .getpeername = sp_name,
    .sock_type = sp_sock_type,
    .release = sp_release,
};

static struct zrt_file *sp_end_new(struct ring *rx, struct ring *tx, int nb,
                                   int type) {
  struct sp_end *e = zrt_kalloc(sizeof(*e));
  if (!e)
    return NULL;
  memset(e, 0, sizeof(*e));
  e->type = type;
  struct zrt_file *f = zrt_file_new(&sp_ops, O_RDWR | nb, e);
  if (!f) {
    zrt_kfree(e, sizeof(*e));
    return NULL;
  }
  e->rx = rx;
  e->tx = tx;
  rx->readers++;
  tx->writers++;
  rx->holders++;
  tx->holders++;
  return f;
}

static long sp_make(int type, int nb, bool cloexec, int *sv) {
  bool dgram = type != SOCK_STREAM;
  struct ring *a = ring_new(dgram);
  struct ring *b = a ? ring_new(dgram) : NULL;
  struct zrt_file *ea = b ? sp_end_new(b, a, nb, type) : NULL;
  struct zrt_file *eb = ea ? sp_end_new(a, b, nb, type) : NULL;
  if (!eb) {
    if (ea) {
      zrt_file_put(ea); /* frees a and b with it */
    } else {
      ring_free(a);
      ring_free(b);
    }
    return -ENOMEM;
  }
  return install_pair(ea, eb, sv, cloexec);
}

long zrt_sys_socketpair(int domain, int type, int proto, int *sv) {
  int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (domain != AF_UNIX)
    return -EAFNOSUPPORT;
  if (kind != SOCK_STREAM && kind != SOCK_DGRAM && kind != SOCK_SEQPACKET)
    return -ESOCKTNOSUPPORT;
  if (proto != 0)
    return -EPROTONOSUPPORT;
  if (!sv)
    return -EFAULT;
  return sp_make(kind, (type & SOCK_NONBLOCK) ? O_NONBLOCK : 0,
                 (type & SOCK_CLOEXEC) != 0, sv);
}

/* ---- eventfd --------------------------------------------------------------- */

#define EFD_MAX (UINT64_MAX - 1)

static ssize_t efd_read(struct zrt_file *f, void *buf, size_t n) {
  struct efd *e = f->priv;
  if (n < 8)
    return -EINVAL;
  if (e->count == 0)
    return -EAGAIN;
  uint64_t v = e->semaphore ? 1 : e->count;
  e->count -= v;
  memcpy(buf, &v, 8);
  e->seq++;
  zrt_io_notify();
  return 8;
}

static ssize_t efd_write(struct zrt_file *f, const void *buf, size_t n) {
  struct efd *e = f->priv;
  uint64_t v;
  if (n < 8)
    return -EINVAL;
  memcpy(&v, buf, 8);
  if (v == UINT64_MAX)
    return -EINVAL;
  if (v > EFD_MAX - e->count)
    return -EAGAIN;
  e->count += v;
  e->seq++; /* Linux wakes the waiters at each write, even of 0 */
  zrt_io_notify();
  return 8;
}

static short efd_poll(struct zrt_file *f, short events) {
  struct efd *e = f->priv;
  short ev = 0;
  if (e->count > 0)
    ev |= POLLIN | POLLRDNORM;
  if (e->count < EFD_MAX)
    ev |= POLLOUT | POLLWRNORM;
  return (short)(ev & events);
}

static uint32_t efd_seq(struct zrt_file *f) {
  return ((const struct efd *)f->priv)->seq;
}

static int efd_fstat(struct zrt_file *f, struct stat *st) {
  struct efd *e = f->priv;
  st->st_mode = 0600; /* an anonymous inode has no type bits */
  st->st_nlink = 1;
  st->st_ino = (ino_t)e->ino;
  st->st_blksize = 4096;
  return 0;
}

static void efd_release(struct zrt_file *f) {
  zrt_kfree(f->priv, sizeof(struct efd));
}

static const struct zrt_file_ops efd_ops = {
    .name = "anon_inode:[eventfd]",
    .read = efd_read,
    .write = efd_write,
    .fstat = efd_fstat,
    .poll = efd_poll,
    .seq = efd_seq,
    .release = efd_release,
};

long zrt_sys_eventfd2(unsigned count, int flags) {
  if (flags & ~(ZRT_EFD_SEMAPHORE | ZRT_EFD_NONBLOCK | ZRT_EFD_CLOEXEC))
    return -EINVAL;
  struct efd *e = zrt_kalloc(sizeof(*e));
  if (!e)
    return -ENOMEM;
  e->count = count;
  e->semaphore = (flags & ZRT_EFD_SEMAPHORE) != 0;
  e->ino = next_ino++;
  int fl = O_RDWR | (flags & ZRT_EFD_NONBLOCK ? O_NONBLOCK : 0);
  struct zrt_file *f = zrt_file_new(&efd_ops, fl, e);
  if (!f) {
    zrt_kfree(e, sizeof(*e));
    return -ENOMEM;
  }
  int fd = zrt_fd_install(f, 0, (flags & ZRT_EFD_CLOEXEC) != 0);
  zrt_file_put(f);
  return fd;
}

long zrt_sys_eventfd(unsigned count) { return zrt_sys_eventfd2(count, 0); }
