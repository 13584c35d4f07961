/* libznet-posix: epoll over the layer's sockets, and the host's own
 * epoll for foreign descriptors in the same instance.
 *
 * As Linux's fs/eventpoll.c: each registration (an item) goes on its
 * instance's ready list when its socket has an event, and when it is
 * added or modified while ready (so an edge is never missed because the
 * socket was added after the event).  epoll_wait takes items off the
 * list, asks the socket what it is ready for, reports it, and puts a
 * level-triggered item back at the tail while it stays ready; an
 * edge-triggered one waits for its socket's next event; a one-shot one
 * is disabled until EPOLL_CTL_MOD.
 *
 * An instance's number is the host's epoll descriptor when the host has
 * one (kepoll_create): foreign descriptors are registered there, and a
 * wait sleeps on it beside the stack's netif. */
#include <string.h>

#include "px_int.h"

static struct px_epoll *ep_of(struct zn_posix *px, int fd) {
  if (fd < 0 || (uint32_t)fd >= px->cfg.max_fd)
    return NULL;
  return px->eps[fd];
}

static void ready_push(struct px_item *it) {
  if (it->on_ready || it->disabled)
    return;
  struct px_epoll *ep = it->ep;
  it->on_ready = true;
  it->rdy_next = NULL;
  if (ep->rdy_tail)
    ep->rdy_tail->rdy_next = it;
  else
    ep->rdy_head = it;
  ep->rdy_tail = it;
}

static struct px_item *ready_pop(struct px_epoll *ep) {
  struct px_item *it = ep->rdy_head;
  if (!it)
    return NULL;
  ep->rdy_head = it->rdy_next;
  if (!ep->rdy_head)
    ep->rdy_tail = NULL;
  it->on_ready = false;
  return it;
}

static void ready_remove(struct px_item *it) {
  if (!it->on_ready)
    return;
  struct px_epoll *ep = it->ep;
  struct px_item *prev = NULL;
  for (struct px_item *x = ep->rdy_head; x; prev = x, x = x->rdy_next) {
    if (x != it)
      continue;
    if (prev)
      prev->rdy_next = x->rdy_next;
    else
      ep->rdy_head = x->rdy_next;
    if (ep->rdy_tail == x)
      ep->rdy_tail = prev;
    break;
  }
  it->on_ready = false;
}

void px_epoll_mark(struct px_sock *s) {
  for (struct px_item *it = s->items; it; it = it->s_next)
    ready_push(it);
}

static void item_unlink(struct zn_posix *px, struct px_item *it) {
  ready_remove(it);
  struct px_item **pp = &it->s->items;
  while (*pp && *pp != it)
    pp = &(*pp)->s_next;
  if (*pp)
    *pp = it->s_next;
  pp = &it->ep->items;
  while (*pp && *pp != it)
    pp = &(*pp)->ep_next;
  if (*pp)
    *pp = it->ep_next;
  it->ep_next = px->free_items;
  px->free_items = it;
}

void px_epoll_sock_gone(struct zn_posix *px, struct px_sock *s) {
  while (s->items)
    item_unlink(px, s->items);
}

int zn_posix_epoll_create1(struct zn_posix *px, int flags) {
  if (flags & ~EPOLL_CLOEXEC)
    return -EINVAL;
  struct px_epoll *ep = px->free_epolls;
  if (!ep)
    return -ENFILE;
  int fd = px->host.kepoll_create ? px->host.kepoll_create(px->host.ctx, flags)
                                  : px->host.fd_reserve(px->host.ctx);
  if (fd < 0)
    return fd;
  if ((uint32_t)fd >= px->cfg.max_fd || px->fds[fd] || px->eps[fd]) {
    px->host.fd_release(px->host.ctx, fd);
    return -EMFILE;
  }
  px->free_epolls = ep->next_free;
  memset(ep, 0, sizeof(*ep));
  ep->fd = fd;
  ep->nfds = 1;
  ep->kernel = px->host.kepoll_create != NULL;
  __atomic_store_n(&px->eps[fd], ep, __ATOMIC_RELAXED);
  return fd;
}

int zn_posix_epoll_move(struct zn_posix *from, struct zn_posix *to,
                        int epfd) {
  struct px_epoll *ep = ep_of(from, epfd);
  if (!ep)
    return -EBADF;
  if (!ep->kernel)
    return -EINVAL;
  if (ep->items || ep->waiting || ep->nfds > 1)
    return -EBUSY;
  if ((uint32_t)epfd >= to->cfg.max_fd || to->fds[epfd] || to->eps[epfd])
    return -EBADF;
  struct px_epoll *moved = to->free_epolls;
  if (!moved)
    return -ENFILE;
  to->free_epolls = moved->next_free;
  memset(moved, 0, sizeof(*moved));
  moved->fd = epfd;
  moved->nfds = 1;
  moved->kernel = true;
  /* The number is never free between the two: the host's epoll stays. */
  __atomic_store_n(&to->eps[epfd], moved, __ATOMIC_RELAXED);
  __atomic_store_n(&from->eps[epfd], NULL, __ATOMIC_RELAXED);
  ep->fd = -1;
  ep->next_free = from->free_epolls;
  from->free_epolls = ep;
  return 0;
}

/* A second number for the instance at oldfd (dup, dup2, dup3, F_DUPFD):
 * the host's (newfd, or the lowest free one at least min when newfd is
 * -1), naming the same instance, as Linux's dup of an epoll file does. */
int px_epoll_dup(struct zn_posix *px, int oldfd, int newfd, int min,
                 int flags) {
  struct px_epoll *ep = ep_of(px, oldfd);
  if (!ep)
    return -EBADF;
  if (!px->host.fd_dup)
    return -EOPNOTSUPP;
  int fd = px->host.fd_dup(px->host.ctx, oldfd, newfd, min, flags);
  if (fd < 0)
    return fd;
  if ((uint32_t)fd >= px->cfg.max_fd || px->fds[fd] || px->eps[fd]) {
    px->host.fd_release(px->host.ctx, fd);
    return -EMFILE;
  }
  ep->nfds++;
  __atomic_store_n(&px->eps[fd], ep, __ATOMIC_RELAXED);
  return fd;
}

/* Another number that names ep (it has more than one). */
static int other_number(const struct zn_posix *px, const struct px_epoll *ep,
                        int fd) {
  for (uint32_t i = 0; i < px->cfg.max_fd; i++)
    if (px->eps[i] == ep && (int)i != fd)
      return (int)i;
  return -1;
}

/* One number closed: the instance ends with its last one (its
 * registrations go), else the host's epoll is known by another. */
bool px_epoll_close(struct zn_posix *px, int fd) {
  struct px_epoll *ep = ep_of(px, fd);
  if (!ep)
    return false;
  __atomic_store_n(&px->eps[fd], NULL, __ATOMIC_RELAXED);
  int to = ep->fd == fd ? other_number(px, ep, fd) : ep->fd;
  if (--ep->nfds > 0 && to >= 0) {
    if (to != ep->fd && ep->kernel && px->host.kepoll_renumber)
      px->host.kepoll_renumber(px->host.ctx, fd, to);
    ep->fd = to;
    px->host.fd_release(px->host.ctx, fd);
    return true;
  }
  while (ep->items)
    item_unlink(px, ep->items);
  ep->fd = -1;
  ep->next_free = px->free_epolls;
  px->free_epolls = ep;
  px->host.fd_release(px->host.ctx, fd);
  return true;
}

static struct px_item *find(const struct px_epoll *ep, struct px_sock *s,
                            int fd) {
  for (struct px_item *it = s->items; it; it = it->s_next)
    if (it->ep == ep && it->fd == fd)
      return it;
  return NULL;
}

/* Registered while ready: on the list now, as ep_insert does. */
static void arm(struct zn_posix *px, struct px_item *it) {
  it->disabled = false;
  ready_remove(it);
  if (px_ready(px, it->s) & (it->events | EPOLLERR | EPOLLHUP))
    ready_push(it);
}

static int item_add(struct zn_posix *px, struct px_epoll *ep,
                    struct px_sock *s, int fd, const struct epoll_event *ev) {
  if (find(ep, s, fd))
    return -EEXIST;
  struct px_item *it = px->free_items;
  if (!it)
    return -ENOSPC; /* Linux's answer past max_user_watches */
  px->free_items = it->ep_next;
  memset(it, 0, sizeof(*it));
  it->ep = ep;
  it->s = s;
  it->fd = fd;
  it->events = ev->events;
  it->data = ev->data.u64;
  it->s_next = s->items;
  s->items = it;
  it->ep_next = ep->items;
  ep->items = it;
  arm(px, it);
  return 0;
}

static int ctl_sock(struct zn_posix *px, struct px_epoll *ep, int op,
                    struct px_sock *s, int fd, struct epoll_event *ev) {
  struct px_item *it;
  switch (op) {
  case EPOLL_CTL_ADD:
    return item_add(px, ep, s, fd, ev);
  case EPOLL_CTL_MOD:
    it = find(ep, s, fd);
    if (!it)
      return -ENOENT;
    if ((ev->events | it->events) & EPOLLEXCLUSIVE)
      return -EINVAL;
    it->events = ev->events;
    it->data = ev->data.u64;
    arm(px, it);
    return 0;
  case EPOLL_CTL_DEL:
    it = find(ep, s, fd);
    if (!it)
      return -ENOENT;
    item_unlink(px, it);
    return 0;
  default:
    return -EINVAL;
  }
}

int zn_posix_epoll_ctl(struct zn_posix *px, int epfd, int op, int fd,
                       struct epoll_event *ev) {
  struct px_epoll *ep = ep_of(px, epfd);
  if (!ep)
    return px_sock_of(px, epfd) ? -EINVAL : -EBADF;
  if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
    return -EINVAL;
  if (op != EPOLL_CTL_DEL && !ev)
    return -EFAULT;
  if (fd == epfd)
    return -EINVAL;
  if (op == EPOLL_CTL_MOD && (ev->events & EPOLLEXCLUSIVE))
    return -EINVAL;
  struct px_sock *s = px_sock_of(px, fd);
  if (s) {
    if (s->forked) {
      if (op != EPOLL_CTL_DEL)
        px_refuse_forked(px, fd);
      return -EBADF;
    }
    if (op != EPOLL_CTL_DEL)
      px_note_use(px, s);
    return ctl_sock(px, ep, op, s, fd, ev);
  }
  if (ep_of(px, fd) && !ep->kernel)
    return -EINVAL; /* nesting the layer's instances is not supported */
  if (!ep->kernel || !px->host.kepoll_ctl)
    return -EPERM;
  return px->host.kepoll_ctl(px->host.ctx, epfd, op, fd, ev);
}

/* Report up to max events from the ready list. */
static int harvest(struct zn_posix *px, struct px_epoll *ep,
                   struct epoll_event *evs, int max) {
  int n = 0;
  struct px_item *requeue = NULL, **tail = &requeue;
  while (n < max) {
    struct px_item *it = ready_pop(ep);
    if (!it)
      break;
    uint32_t r = px_ready(px, it->s) & (it->events | EPOLLERR | EPOLLHUP);
    r &= ~(uint32_t)(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP);
    if (!r)
      continue;
    evs[n].events = r;
    evs[n].data.u64 = it->data;
    n++;
    if (it->events & EPOLLONESHOT) {
      it->disabled = true;
    } else if (!(it->events & EPOLLET)) {
      it->rdy_next = NULL; /* level: back at the tail, after this pass */
      *tail = it;
      tail = &it->rdy_next;
    }
  }
  while (requeue) {
    struct px_item *it = requeue;
    requeue = it->rdy_next;
    ready_push(it);
  }
  return n;
}

static int kernel_events(struct zn_posix *px, struct px_epoll *ep,
                         struct epoll_event *evs, int max) {
  if (!ep->kernel || max <= 0)
    return 0;
  int k = px->host.kepoll_wait(px->host.ctx, ep->fd, evs, max);
  return k < 0 ? 0 : k;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Wait on ep until an event or deadline (the body of epoll_pwait). */
static int epoll_wait_on(struct zn_posix *px, struct px_epoll *ep,
                         struct epoll_event *evs, int max, uint64_t deadline,
                         const sigset_t *sigmask) {
  for (;;) {
    px_drive(px);
    px_after_call(px);
    int n = harvest(px, ep, evs, max);
    uint64_t now = px_now(px);
    bool done = n > 0 || now >= deadline;
    if (done) {
      n += kernel_events(px, ep, evs + n, max - n);
      return n;
    }
    struct pollfd k = {ep->fd, POLLIN, 0};
    uint64_t until = min_u64(deadline, zn_stack_next_deadline(px->st));
    int rc = px->host.wait(px->host.ctx, &k, ep->kernel ? 1 : 0, until,
                           sigmask);
    if (rc == -EINTR || rc == -ZN_POSIX_ERESTART)
      return -EINTR;
    if (rc < 0)
      return rc;
    if (rc > 0) {
      px_drive(px);
      px_after_call(px);
      n = harvest(px, ep, evs, max);
      n += kernel_events(px, ep, evs + n, max - n);
      if (n > 0)
        return n;
    }
  }
}

int zn_posix_epoll_pwait(struct zn_posix *px, int epfd,
                         struct epoll_event *evs, int max, int timeout_ms,
                         const sigset_t *sigmask) {
  struct px_epoll *ep = ep_of(px, epfd);
  if (!ep)
    return px_sock_of(px, epfd) ? -EINVAL : -EBADF;
  if (max <= 0 || !evs)
    return max <= 0 ? -EINVAL : -EFAULT;
  uint64_t deadline = timeout_ms < 0 ? UINT64_MAX
                      : px_now(px) + (uint64_t)timeout_ms * 1000000u;
  ep->waiting++;
  int rc = epoll_wait_on(px, ep, evs, max, deadline, sigmask);
  ep->waiting--;
  return rc;
}
