/* libznet-posix: poll, ppoll, select and pselect over the layer's
 * sockets and the host's descriptors together.
 *
 * One pass answers the layer's sockets from the stack; if none is ready,
 * the host sleeps on the foreign descriptors (the layer's own entries
 * hidden from it as negative numbers, which poll(2) skips) and on the
 * stack's netif, until one of them, the stack's next deadline or the
 * caller's timeout comes.  Never a spin: each sleep lasts until
 * something can have changed. */
#include <string.h>

#include "px_int.h"

static int ts_deadline(struct zn_posix *px, const struct timespec *t,
                       uint64_t *out) {
  if (!t) {
    *out = UINT64_MAX;
    return 0;
  }
  if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
    return -EINVAL;
  uint64_t ns = (uint64_t)t->tv_nsec;
  if ((uint64_t)t->tv_sec > (UINT64_MAX - ns) / 2000000000u)
    *out = UINT64_MAX;
  else
    *out = px_now(px) + (uint64_t)t->tv_sec * 1000000000u + ns;
  return 0;
}

static bool ours(struct zn_posix *px, int fd) {
  return fd >= 0 && (uint32_t)fd < px->cfg.max_fd && px->fds[fd];
}

/* Fill revents of the layer's entries; count them, and the foreign
 * ones. */
static int scan(struct zn_posix *px, struct pollfd *fds, nfds_t n,
                nfds_t *foreign) {
  int ready = 0;
  *foreign = 0;
  for (nfds_t i = 0; i < n; i++) {
    if (!ours(px, fds[i].fd)) {
      if (fds[i].fd >= 0)
        (*foreign)++;
      continue;
    }
    struct px_sock *s = px->fds[fds[i].fd];
    uint32_t want = (uint16_t)fds[i].events | POLLERR | POLLHUP;
    fds[i].revents = (short)(px_ready(px, s) & want);
    if (s->forked) {
      px_refuse_forked(px, fds[i].fd);
      fds[i].revents = POLLNVAL;
    }
    if (fds[i].revents)
      ready++;
  }
  return ready;
}

/* The layer's entries are hidden from the host as negative numbers
 * (-2 - fd), marked in a bit of events poll(2) leaves alone
 * (POLL_BUSY_LOOP's, which the kernel takes only from itself), so the
 * caller's own negative entries come back exactly as given. */
#define HIDDEN 0x8000u

static void hide(struct zn_posix *px, struct pollfd *fds, nfds_t n) {
  for (nfds_t i = 0; i < n; i++) {
    if (!ours(px, fds[i].fd))
      continue;
    fds[i].fd = -2 - fds[i].fd;
    fds[i].events = (short)((uint16_t)fds[i].events | HIDDEN);
  }
}

static void unhide(struct pollfd *fds, nfds_t n) {
  for (nfds_t i = 0; i < n; i++) {
    if (!((uint16_t)fds[i].events & HIDDEN))
      continue;
    fds[i].fd = -2 - fds[i].fd;
    fds[i].events = (short)((uint16_t)fds[i].events & ~HIDDEN);
  }
}

/* Ask the host about the foreign entries: sleep until `until` at most.
 * Returns the number of foreign entries with revents, or -errno. */
static int host_look(struct zn_posix *px, struct pollfd *fds, nfds_t n,
                     uint64_t until, const sigset_t *mask) {
  hide(px, fds, n);
  int rc = px->host.wait(px->host.ctx, fds, (unsigned)n, until, mask);
  unhide(fds, n);
  return rc;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

int zn_posix_ppoll(struct zn_posix *px, struct pollfd *fds, nfds_t n,
                   const struct timespec *timeout, const sigset_t *sigmask) {
  uint64_t deadline;
  int rc = ts_deadline(px, timeout, &deadline);
  if (rc < 0)
    return rc;
  if (n > px->cfg.max_fd)
    return -EINVAL;
  for (;;) {
    px_drive(px);
    px_after_call(px);
    nfds_t foreign;
    int ready = scan(px, fds, n, &foreign);
    uint64_t now = px_now(px);
    bool done = ready > 0 || now >= deadline;
    uint64_t until = done ? 0 : min_u64(deadline, zn_stack_next_deadline(px->st));
    int k = 0;
    if (foreign || !done) {
      k = host_look(px, fds, n, until, sigmask);
      if (k == -EINTR || k == -ZN_POSIX_ERESTART)
        return -EINTR;
      if (k < 0)
        return k;
      if (!done) {
        px_drive(px);
        px_after_call(px);
      }
      ready = scan(px, fds, n, &foreign); /* the host cleared ours */
    }
    if (ready + k > 0 || done)
      return ready + k;
  }
}

/* ---- select ---- */

#define RD (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define WR (POLLOUT | POLLWRNORM | POLLERR)
#define EX (POLLPRI)

int zn_posix_pselect(struct zn_posix *px, int nfds, fd_set *r, fd_set *w,
                     fd_set *e, const struct timespec *timeout,
                     const sigset_t *sigmask) {
  if (nfds < 0 || nfds > FD_SETSIZE)
    return -EINVAL;
  struct pollfd p[FD_SETSIZE];
  nfds_t n = 0;
  for (int fd = 0; fd < nfds; fd++) {
    short ev = 0;
    if (r && FD_ISSET(fd, r))
      ev |= POLLIN;
    if (w && FD_ISSET(fd, w))
      ev |= POLLOUT;
    if (e && FD_ISSET(fd, e))
      ev |= POLLPRI;
    if (!ev)
      continue;
    p[n].fd = fd;
    p[n].events = ev;
    p[n].revents = 0;
    n++;
  }
  int rc = zn_posix_ppoll(px, p, n, timeout, sigmask);
  if (rc < 0)
    return rc;
  for (nfds_t i = 0; i < n; i++)
    if (p[i].revents & POLLNVAL)
      return -EBADF;
  int count = 0;
  for (nfds_t i = 0; i < n; i++) {
    int fd = p[i].fd;
    bool rr = (p[i].events & POLLIN) && (p[i].revents & RD);
    bool ww = (p[i].events & POLLOUT) && (p[i].revents & WR);
    bool ee = (p[i].events & POLLPRI) && (p[i].revents & EX);
    if (r && FD_ISSET(fd, r) && !rr)
      FD_CLR(fd, r);
    if (w && FD_ISSET(fd, w) && !ww)
      FD_CLR(fd, w);
    if (e && FD_ISSET(fd, e) && !ee)
      FD_CLR(fd, e);
    count += rr + ww + ee;
  }
  return count;
}
