/* znet-run --host-loopback: the program's loopback and the host's are
 * one, as for a program on the kernel.
 *
 * Without it, 127.0.0.0/8 and ::1 are the stack's own (its loopback
 * queue): a program talks to itself, but a client on the host's
 * 127.0.0.1 reaches nothing of it.  A test harness that runs on the
 * kernel and starts the program under test on 127.0.0.1 (nginx's own
 * suite) needs both ways:
 *
 * - In: when the program listens on a loopback address or a wildcard,
 *   the bridge listens on the host's loopback, same port.  Once a
 *   process serves the port (accepts, polls or waits on its listener:
 *   zn_posix_host.serve), its bridge takes the host's connections and
 *   opens, for each, a connection to the program's own listener through
 *   the stack's loopback, from the client's address and port (where the
 *   stack has that port free): the program accepts a TCP connection of
 *   znet from the client's 127.0.0.1:PORT, and the bytes are copied
 *   between the two.
 * - Out: a connect() to a loopback address where nothing of the stack
 *   listens goes to the host's: the bridge connects there first (a
 *   refusal is left to the stack, which refuses too), listens on that
 *   address in the stack for the program's connection, and copies.
 *
 * What the program sees is znet's TCP through its loopback, addresses
 * and all; what it exchanges with the host goes through a copy, so a
 * segment's edges are not kept (a byte stream has none), an end of data
 * is passed on as one (shutdown), and a reset as one.
 *
 * UDP, datagram by datagram (a relay an address):
 * - In: when the program binds a UDP socket to a loopback address or a
 *   wildcard at a given port, the bridge binds the host's loopback at
 *   that port; once a process serves the port, a datagram from a host
 *   sender goes on to the program from a stack socket of the bridge's
 *   at the sender's own address and port (where the stack has them
 *   free), and what the program answers there goes back to the sender.
 * - Out: a datagram the program sends (sendto, sendmsg, or connect()
 *   first) to a loopback address where nothing of the stack is bound
 *   goes to the host's: the bridge binds that address in the stack and
 *   sends what arrives there on from a host socket of its own, one a
 *   sender, from the sender's port where the host has it free; the
 *   answers come back from that address.  An address found bound in
 *   the stack is remembered as the stack's (a program binding it later
 *   then finds the bridge's socket in the way: EADDRINUSE).
 * A datagram that finds no room on the other side is dropped, as on a
 * loopback with a full buffer.
 *
 * The bridge is a thread of the program's process, started at the first
 * port it serves or connection it carries; it makes its calls through the
 * preload's own socket calls (so a socket of the layer goes to znet, the
 * host's to the kernel), with every signal blocked.  A forked child
 * starts its own for the ports it serves; what its parent's carries stays
 * the parent's. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge.h"

#define BR_PORTS 64    /* loopback ports the program listens on */
#define BR_PAIRS 512   /* connections carried at once */
#define BR_OUTS 64     /* host addresses connected to, awaiting the stack */
#define BR_BUF 65536   /* bytes held each way of a connection */
#define BR_RELAYS 64   /* UDP addresses whose datagrams cross */
#define BR_DPEERS 256  /* their senders */
#define BR_OWN 64      /* loopback UDP addresses found the stack's own */

union br_addr {
  struct sockaddr sa;
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
  struct sockaddr_storage ss;
};

/* A port the program listens on: the host's listener for it. */
struct br_port {
  union br_addr stack; /* where the program's listener takes connections */
  socklen_t len;
  int kfd;             /* the host's listener */
  int served;          /* atomic: this process serves the port */
};

struct br_way {
  char *buf;
  size_t len, off;
  bool eof;            /* read all: shut the other side once sent */
  bool shut;
};

/* One connection carried: the host's side and the stack's. */
struct br_pair {
  int kfd, zfd;
  bool connecting;     /* zfd's connect under way */
  struct br_way k2z, z2k;
};

/* The host's connections made for program connect()s to an address,
 * awaiting their stack sides on a listener there. */
struct br_out {
  union br_addr addr;
  socklen_t len;
  int lfd;             /* in the stack */
  int kfd[8];          /* the host's, in the order made */
  int n;
};

/* UDP: an address whose datagrams cross.  Out: the host's, where a
 * stack socket of the bridge's stands in for it; in: the program's,
 * where a host socket of the bridge's does. */
struct br_relay {
  bool in;
  int fd;              /* out: the stack's socket; in: the host's */
  union br_addr addr;
  socklen_t len;
  int served;          /* in: atomic, this process serves the port */
};

/* A sender to a relay and its socket on the other side: out, a stack
 * sender's host socket connected to the host's address; in, a host
 * sender's stack socket connected to the program's.  (The thread's.) */
struct br_dpeer {
  int relay;
  int fd;
  union br_addr who;
  socklen_t wlen;
};

/* Locks: mu (ports being added, outs) is taken before a layer's lock,
 * never after; start_mu (starting the thread) is held around nothing
 * else, so the layer's serve hook, called under its lock, may take it. */
static struct {
  pthread_mutex_t mu;
  pthread_mutex_t start_mu;
  struct br_port ports[BR_PORTS];
  struct br_out outs[BR_OUTS];
  struct br_pair pairs[BR_PAIRS];    /* the thread's alone */
  struct br_relay relays[BR_RELAYS];
  union br_addr own[BR_OWN];         /* (under mu) */
  struct br_dpeer dpeers[BR_DPEERS]; /* the thread's alone */
  socklen_t own_len[BR_OWN];
  int nports;          /* atomic: published after the row */
  int nouts;
  int npairs;
  int nrelays;         /* atomic: published after the row */
  int nown;
  int ndpeers;
  int efd;             /* wakes the thread */
  pid_t pid;           /* the process the thread runs in */
  bool on;
  bool started;
  bool told_full;
  bool told_dfull;
  bool atfork;
} br = {.mu = PTHREAD_MUTEX_INITIALIZER,
        .start_mu = PTHREAD_MUTEX_INITIALIZER,
        .efd = -1};

static _Thread_local bool in_bridge;

/* The kernel's own socket(), for the host's side. */
static int host_socket(int domain, int type) {
  static int (*real)(int, int, int);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "socket");
  return real(domain, type | SOCK_CLOEXEC, 0);
}

static bool is_loopback(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) ==
           127;
  if (sa->sa_family == AF_INET6)
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
  return false;
}

static bool is_any(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET)
    return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == INADDR_ANY;
  if (sa->sa_family == AF_INET6)
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
  return false;
}

/* A wildcard binding's share of the host: the loopback of its family. */
static void host_share(union br_addr *a) {
  if (!is_any(&a->sa))
    return;
  if (a->sa.sa_family == AF_INET)
    a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  else
    a->in6.sin6_addr = in6addr_loopback;
}

static uint16_t port_of(const union br_addr *a) {
  return ntohs(a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port);
}

static void wake(void) {
  uint64_t one = 1;
  if (br.efd >= 0)
    (void)!write(br.efd, &one, sizeof(one));
}

void pl_bridge_enable(void) { br.on = true; }

bool pl_bridge_on(void) { return br.on; }

/* ---- the thread ---- */

static void close_abort(int fd) {
  struct linger l = {1, 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  (void)close(fd);
}

static bool pair_add(int kfd, int zfd, bool connecting) {
  if (br.npairs == BR_PAIRS) {
    if (!br.told_full)
      fprintf(stderr, "znet-run: --host-loopback: %d connections carried "
                      "already; more are reset\n", BR_PAIRS);
    br.told_full = true;
    return false;
  }
  struct br_pair *p = &br.pairs[br.npairs];
  memset(p, 0, sizeof(*p));
  p->k2z.buf = malloc(BR_BUF);
  p->z2k.buf = malloc(BR_BUF);
  if (!p->k2z.buf || !p->z2k.buf) {
    free(p->k2z.buf);
    free(p->z2k.buf);
    return false;
  }
  p->kfd = kfd;
  p->zfd = zfd;
  p->connecting = connecting;
  br.npairs++;
  return true;
}

static void pair_end(int i, bool abort) {
  struct br_pair *p = &br.pairs[i];
  if (abort) {
    close_abort(p->kfd);
    close_abort(p->zfd);
  } else {
    (void)close(p->kfd);
    (void)close(p->zfd);
  }
  free(p->k2z.buf);
  free(p->z2k.buf);
  p->kfd = p->zfd = -1; /* gone at the next pairs_compact */
}

/* The pairs that ended taken out, the others kept in the order they
 * came: each poll carries the older connections' bytes first, so two
 * connections opened one after the other reach the program in that
 * order (as over a loopback). */
static void pairs_compact(void) {
  int w = 0;
  for (int i = 0; i < br.npairs; i++)
    if (br.pairs[i].kfd >= 0)
      br.pairs[w++] = br.pairs[i];
  br.npairs = w;
}

/* A host connection to a port the program serves: its stack side is a
 * connection to the program's listener through the loopback. */
static void take_in(struct br_port *pt) {
  for (int k = 0; k < 16; k++) {
    union br_addr peer;
    memset(&peer, 0, sizeof(peer));
    socklen_t plen = sizeof(peer);
    int kfd = accept4(pt->kfd, &peer.sa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (kfd < 0)
      return;
    int zfd = socket(pt->stack.sa.sa_family,
                     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* From the client's own address and port where the stack has them
     * free: the program's $remote_port is the one the client knows. */
    if (zfd >= 0 && peer.sa.sa_family == pt->stack.sa.sa_family &&
        is_loopback(&peer.sa))
      (void)bind(zfd, &peer.sa, plen);
    int rc = zfd < 0 ? -1 : connect(zfd, &pt->stack.sa, pt->len);
    if (zfd < 0 || (rc < 0 && errno != EINPROGRESS) ||
        !pair_add(kfd, zfd, rc < 0)) {
      close_abort(kfd);
      if (zfd >= 0)
        (void)close(zfd);
    }
  }
}

/* The program's connections reaching a listener of the bridge's: each
 * paired with the host connection made for it. */
static void take_out(struct br_out *o) {
  while (o->n > 0) {
    int zfd = accept4(o->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (zfd < 0)
      return;
    int kfd = o->kfd[0];
    memmove(o->kfd, o->kfd + 1, (size_t)(o->n - 1) * sizeof(int));
    o->n--;
    if (!pair_add(kfd, zfd, false)) {
      close_abort(kfd);
      close_abort(zfd);
    }
  }
}

/* Move what one side has to the other; false when the pair is done
 * (abort set if by a reset or an error). */
static bool carry(int from, int to, struct br_way *w, bool *abort) {
  if (w->len == 0 && !w->eof) {
    ssize_t n = recv(from, w->buf, BR_BUF, MSG_DONTWAIT);
    if (n > 0) {
      w->len = (size_t)n;
      w->off = 0;
    } else if (n == 0) {
      w->eof = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      *abort = true;
      return false;
    }
  }
  while (w->off < w->len) {
    ssize_t n = send(to, w->buf + w->off, w->len - w->off,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return true;
      *abort = true;
      return false;
    }
    w->off += (size_t)n;
  }
  w->len = w->off = 0;
  if (w->eof && !w->shut) {
    (void)shutdown(to, SHUT_WR);
    w->shut = true;
  }
  return true;
}

static void serve_pair(int i, short kev, short zev) {
  struct br_pair *p = &br.pairs[i];
  bool abort = false;
  if (p->connecting) {
    if (!(zev & (POLLOUT | POLLERR | POLLHUP)))
      return;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(p->zfd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
      pair_end(i, true);
      return;
    }
    p->connecting = false;
  }
  /* (An error is found by the reads below, after the data that came
   * before it: a reset after an answer passes on the answer first.) */
  if ((kev | zev) & POLLNVAL)
    abort = true;
  if (!abort && carry(p->kfd, p->zfd, &p->k2z, &abort) &&
      carry(p->zfd, p->kfd, &p->z2k, &abort) && !(p->k2z.shut && p->z2k.shut))
    return;
  pair_end(i, abort);
}

/* What a side waits for: room to read into its way in, bytes to send
 * on its way out. */
static short wants(const struct br_way *in, const struct br_way *out) {
  short ev = 0;
  if (in->len == 0 && !in->eof)
    ev |= POLLIN;
  if (out->off < out->len)
    ev |= POLLOUT;
  return ev;
}

/* ---- UDP ---- */

static bool same_addr(const union br_addr *a, socklen_t alen,
                      const union br_addr *b, socklen_t blen) {
  return alen == blen && !memcmp(a, b, alen);
}

/* Copy sa (len bytes) into a for comparing: flow information cleared. */
static bool addr_of(union br_addr *a, const struct sockaddr *sa,
                    socklen_t len) {
  if (!sa || len < sizeof(sa_family_t) || len > sizeof(*a))
    return false;
  memset(a, 0, sizeof(*a));
  memcpy(a, sa, len);
  if (a->sa.sa_family == AF_INET6)
    a->in6.sin6_flowinfo = 0;
  return a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6;
}

/* The socket on the other side for datagrams from who to relay r: the
 * one made before, or a new one.  -1: none (the table is full). */
static int dpeer_fd(int r, const union br_addr *who, socklen_t wlen) {
  for (int i = 0; i < br.ndpeers; i++)
    if (br.dpeers[i].relay == r &&
        same_addr(&br.dpeers[i].who, br.dpeers[i].wlen, who, wlen))
      return br.dpeers[i].fd;
  const struct br_relay *rl = &br.relays[r];
  if (br.ndpeers == BR_DPEERS) {
    if (!br.told_dfull)
      fprintf(stderr, "znet-run: --host-loopback: %d UDP senders carried "
                      "already; the datagrams of more are dropped\n",
              BR_DPEERS);
    br.told_dfull = true;
    return -1;
  }
  /* In: a stack socket (the preload's socket()); out: the host's. */
  int fd = rl->in ? socket(rl->addr.sa.sa_family,
                           SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
                  : host_socket(rl->addr.sa.sa_family,
                                SOCK_DGRAM | SOCK_NONBLOCK);
  if (fd < 0)
    return -1;
  /* From the sender's own address and port where they are free. */
  if (who->sa.sa_family == rl->addr.sa.sa_family && is_loopback(&who->sa))
    (void)bind(fd, &who->sa, wlen);
  if (connect(fd, &rl->addr.sa, rl->len) != 0) {
    (void)close(fd);
    return -1;
  }
  br.dpeers[br.ndpeers++] =
      (struct br_dpeer){.relay = r, .fd = fd, .who = *who, .wlen = wlen};
  return fd;
}

/* A relay of the other kind at who: its socket is the sender's own on
 * the other side (the program's port, bound on the host's loopback by
 * a way in; the host's service, stood in for in the stack by a way
 * out), to send from with the sender's address kept.  -1: none. */
static int twin_of(int r, const union br_addr *who, socklen_t wlen) {
  int nr = __atomic_load_n(&br.nrelays, __ATOMIC_ACQUIRE);
  for (int i = 0; i < nr; i++)
    if (br.relays[i].in != br.relays[r].in &&
        same_addr(&br.relays[i].addr, br.relays[i].len, who, wlen))
      return i;
  return -1;
}

/* Datagrams that came to relay r's own socket: each sent on from its
 * sender's socket on the other side. */
static void relay_take(int r, char *buf) {
  for (int k = 0; k < 64; k++) {
    union br_addr who;
    memset(&who, 0, sizeof(who));
    socklen_t wlen = sizeof(who);
    ssize_t n = recvfrom(br.relays[r].fd, buf, BR_BUF, MSG_DONTWAIT, &who.sa,
                         &wlen);
    if (n < 0)
      return;
    union br_addr w;
    if (!addr_of(&w, &who.sa, wlen))
      continue;
    int t = twin_of(r, &w, wlen);
    if (t >= 0) {
      (void)sendto(br.relays[t].fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
                   &br.relays[r].addr.sa, br.relays[r].len);
      continue;
    }
    int fd = dpeer_fd(r, &w, wlen);
    if (fd >= 0)
      (void)send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
}

/* Answers that came to a sender's socket: back to the sender, from the
 * relay's address. */
static void dpeer_take(int i, char *buf) {
  const struct br_dpeer *d = &br.dpeers[i];
  for (int k = 0; k < 64; k++) {
    ssize_t n = recv(d->fd, buf, BR_BUF, MSG_DONTWAIT);
    if (n < 0)
      return;
    (void)sendto(br.relays[d->relay].fd, buf, (size_t)n,
                 MSG_DONTWAIT | MSG_NOSIGNAL, &d->who.sa, d->wlen);
  }
}

#define BR_FDS (1 + BR_PORTS + BR_OUTS + 2 * BR_PAIRS + BR_RELAYS + BR_DPEERS)

static void *bridge_main(void *arg) {
  (void)arg;
  in_bridge = true;
  static struct pollfd fds[BR_FDS];
  for (;;) {
    int n = 0;
    fds[n++] = (struct pollfd){br.efd, POLLIN, 0};
    int np = __atomic_load_n(&br.nports, __ATOMIC_ACQUIRE);
    int first_port = n;
    for (int i = 0; i < np; i++)
      fds[n++] = (struct pollfd){
          __atomic_load_n(&br.ports[i].served, __ATOMIC_ACQUIRE)
              ? br.ports[i].kfd
              : -1,
          POLLIN, 0};
    pthread_mutex_lock(&br.mu);
    int no = br.nouts;
    int first_out = n;
    for (int i = 0; i < no; i++)
      fds[n++] = (struct pollfd){br.outs[i].lfd, POLLIN, 0};
    pthread_mutex_unlock(&br.mu);
    int nr = __atomic_load_n(&br.nrelays, __ATOMIC_ACQUIRE);
    int first_relay = n;
    for (int i = 0; i < nr; i++) {
      const struct br_relay *r = &br.relays[i];
      fds[n++] = (struct pollfd){
          !r->in || __atomic_load_n(&r->served, __ATOMIC_ACQUIRE) ? r->fd : -1,
          POLLIN, 0};
    }
    int first_dpeer = n;
    int nd = br.ndpeers;
    for (int i = 0; i < nd; i++)
      fds[n++] = (struct pollfd){br.dpeers[i].fd, POLLIN, 0};
    int first_pair = n;
    int npairs = br.npairs;
    for (int i = 0; i < npairs; i++) {
      const struct br_pair *p = &br.pairs[i];
      fds[n++] = (struct pollfd){p->kfd, wants(&p->k2z, &p->z2k), 0};
      short zev = POLLOUT;
      if (!p->connecting)
        zev = wants(&p->z2k, &p->k2z);
      fds[n++] = (struct pollfd){p->zfd, zev, 0};
    }
    if (poll(fds, (nfds_t)n, -1) < 0)
      continue;
    if (fds[0].revents) {
      uint64_t v;
      (void)!read(br.efd, &v, sizeof(v));
    }
    static char dbuf[BR_BUF];
    for (int i = 0; i < nr; i++)
      if (fds[first_relay + i].revents & POLLIN)
        relay_take(i, dbuf);
    for (int i = 0; i < nd; i++)
      if (fds[first_dpeer + i].revents & POLLIN)
        dpeer_take(i, dbuf);
    for (int i = 0; i < npairs; i++)
      if (fds[first_pair + 2 * i].revents || fds[first_pair + 2 * i + 1].revents)
        serve_pair(i, fds[first_pair + 2 * i].revents,
                   fds[first_pair + 2 * i + 1].revents);
    pairs_compact();
    for (int i = 0; i < np; i++)
      if (fds[first_port + i].revents & POLLIN)
        take_in(&br.ports[i]);
    pthread_mutex_lock(&br.mu);
    for (int i = 0; i < no && i < br.nouts; i++)
      if (fds[first_out + i].revents & POLLIN)
        take_out(&br.outs[i]);
    /* A listener with nothing more to pair is closed: the address is
     * free again in the stack. */
    for (int i = br.nouts; i-- > 0;)
      if (br.outs[i].n == 0) {
        (void)close(br.outs[i].lfd);
        br.outs[i] = br.outs[--br.nouts];
      }
    pthread_mutex_unlock(&br.mu);
  }
  return NULL;
}

static bool start_locked(void);

/* The thread, in this process. */
static bool start(void) {
  pthread_mutex_lock(&br.start_mu);
  bool up = start_locked();
  pthread_mutex_unlock(&br.start_mu);
  return up;
}

static bool start_locked(void) {
  if (br.started && br.pid == getpid())
    return true;
  if (br.efd < 0)
    br.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (br.efd < 0)
    return false;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  int rc = pthread_create(&t, NULL, bridge_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return false;
  (void)pthread_detach(t);
  br.started = true;
  br.pid = getpid();
  return true;
}

/* A fork's child: its parent's connections and listeners for the stack
 * are the parent's; its host listeners (shared, like any inherited
 * descriptor) serve it once it serves their ports. */
static void forked_child(void) {
  pthread_mutex_init(&br.mu, NULL);
  pthread_mutex_init(&br.start_mu, NULL);
  if (br.efd >= 0)
    (void)close(br.efd); /* the parent's thread waits on it */
  br.efd = -1;
  for (int i = 0; i < br.npairs; i++) {
    (void)close(br.pairs[i].kfd);
    free(br.pairs[i].k2z.buf);
    free(br.pairs[i].z2k.buf);
  }
  br.npairs = 0;
  for (int i = 0; i < br.nouts; i++)
    for (int k = 0; k < br.outs[i].n; k++)
      (void)close(br.outs[i].kfd[k]);
  br.nouts = 0;
  for (int i = 0; i < br.nports; i++)
    br.ports[i].served = 0;
  /* The senders' sockets are the parent's thread's; of the relays, the
   * host's sockets of the ways in serve the child too once it serves
   * their ports, the stack's of the ways out are the parent's stack's. */
  for (int i = 0; i < br.ndpeers; i++)
    if (!br.relays[br.dpeers[i].relay].in)
      (void)close(br.dpeers[i].fd);
  br.ndpeers = 0;
  int keep = 0;
  for (int i = 0; i < br.nrelays; i++)
    if (br.relays[i].in) {
      br.relays[keep] = br.relays[i];
      br.relays[keep++].served = 0;
    }
  br.nrelays = keep;
  br.nown = 0;
  br.started = false;
}

/* (Under br.mu.) */
static void register_fork(void) {
  if (!br.atfork)
    (void)pthread_atfork(NULL, NULL, forked_child);
  br.atfork = true;
}

/* ---- the program's calls ---- */

void pl_bridge_listening(int fd) {
  if (!br.on || in_bridge)
    return;
  union br_addr a;
  memset(&a, 0, sizeof(a));
  socklen_t len = sizeof(a);
  if (getsockname(fd, &a.sa, &len) != 0 || len > sizeof(a))
    return;
  if (!is_loopback(&a.sa) && !is_any(&a.sa))
    return;
  host_share(&a);
  pthread_mutex_lock(&br.mu);
  register_fork();
  int np = br.nports;
  for (int i = 0; i < np; i++)
    if (br.ports[i].len == len && !memcmp(&br.ports[i].stack, &a, len)) {
      pthread_mutex_unlock(&br.mu); /* listening again: the same */
      return;
    }
  int kfd = np < BR_PORTS ? host_socket(a.sa.sa_family,
                                        SOCK_STREAM | SOCK_NONBLOCK)
                          : -1;
  int one = 1;
  if (kfd >= 0)
    (void)setsockopt(kfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (kfd < 0 || bind(kfd, &a.sa, len) != 0 || listen(kfd, 128) != 0) {
    fprintf(stderr, "znet-run: --host-loopback: port %u of the host's "
                    "loopback not shared: %s\n",
            (unsigned)port_of(&a), np < BR_PORTS ? strerror(errno) : "full");
    if (kfd >= 0)
      (void)close(kfd);
    pthread_mutex_unlock(&br.mu);
    return;
  }
  br.ports[np] = (struct br_port){.stack = a, .len = len, .kfd = kfd};
  __atomic_store_n(&br.nports, np + 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&br.mu);
}

void pl_bridge_serve(uint8_t proto, uint16_t port, bool on) {
  if (!br.on)
    return;
  int np = __atomic_load_n(&br.nports, __ATOMIC_ACQUIRE);
  bool any = false;
  for (int i = 0; proto == 6 && i < np; i++)
    if (port_of(&br.ports[i].stack) == port) {
      __atomic_store_n(&br.ports[i].served, on, __ATOMIC_RELEASE);
      any = true;
    }
  int nr = __atomic_load_n(&br.nrelays, __ATOMIC_ACQUIRE);
  for (int i = 0; proto == 17 && i < nr; i++)
    if (br.relays[i].in && port_of(&br.relays[i].addr) == port) {
      __atomic_store_n(&br.relays[i].served, on, __ATOMIC_RELEASE);
      any = true;
    }
  if (!any)
    return;
  /* (Called under the layer's lock: the thread starts now, and waits
   * for that lock in its first poll.) */
  if (start())
    wake();
}

/* The listener of the bridge's at a (new or the one there); -1 if the
 * stack has something of its own there. */
static struct br_out *out_at(const union br_addr *a, socklen_t len) {
  for (int i = 0; i < br.nouts; i++)
    if (br.outs[i].len == len && !memcmp(&br.outs[i].addr, a, len))
      return br.outs[i].n < 8 ? &br.outs[i] : NULL;
  if (br.nouts == BR_OUTS)
    return NULL;
  int lfd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
  if (lfd < 0)
    return NULL;
  /* (The connections an earlier listener here took may still be on the
   * port; a listener of the program's there still refuses the bind.) */
  int one = 1;
  (void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(lfd, &a->sa, len) != 0 || listen(lfd, 8) != 0) {
    (void)close(lfd); /* (EADDRINUSE: the program's own is there) */
    return NULL;
  }
  /* Served now (a look at it): a listener waits for its first use
   * before it answers a SYN (zn_posix_host.serve), and the program's
   * connection is on its way. */
  struct pollfd p = {lfd, POLLIN, 0};
  (void)poll(&p, 1, 0);
  struct br_out *o = &br.outs[br.nouts++];
  *o = (struct br_out){.addr = *a, .len = len, .lfd = lfd};
  return o;
}

static int sock_type(int fd);

void pl_bridge_connect(int fd, const struct sockaddr *sa, socklen_t len) {
  if (!br.on || in_bridge || !sa || len < sizeof(sa_family_t) ||
      len > sizeof(union br_addr) || !is_loopback(sa))
    return;
  int type = sock_type(fd);
  if (type == SOCK_DGRAM)
    pl_bridge_dgram_to(fd, sa, len);
  if (type != SOCK_STREAM)
    return;
  union br_addr a;
  memset(&a, 0, sizeof(a));
  memcpy(&a, sa, len);
  if (a.sa.sa_family == AF_INET6)
    a.in6.sin6_flowinfo = 0;
  in_bridge = true; /* the bridge's own calls below pass straight */
  pthread_mutex_lock(&br.mu);
  register_fork();
  struct br_out *o = out_at(&a, len);
  int kfd = o ? host_socket(a.sa.sa_family, SOCK_STREAM) : -1;
  if (o && kfd >= 0 && connect(kfd, &a.sa, len) == 0 && start()) {
    (void)fcntl(kfd, F_SETFL, O_NONBLOCK);
    o->kfd[o->n++] = kfd;
    kfd = -1;
  }
  if (kfd >= 0)
    (void)close(kfd); /* refused by the host: the stack refuses too */
  for (int i = br.nouts; i-- > 0;)
    if (br.outs[i].n == 0) {
      (void)close(br.outs[i].lfd);
      br.outs[i] = br.outs[--br.nouts];
    }
  pthread_mutex_unlock(&br.mu);
  in_bridge = false;
  wake();
}

/* ---- the program's UDP calls ---- */

static int sock_type(int fd) {
  int type = 0;
  socklen_t tlen = sizeof(type);
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 ? type : -1;
}

/* (Under mu.) A relay of the kind at a, or -1. */
static int relay_at(bool in, const union br_addr *a, socklen_t len) {
  for (int i = 0; i < br.nrelays; i++)
    if (br.relays[i].in == in &&
        same_addr(&br.relays[i].addr, br.relays[i].len, a, len))
      return i;
  return -1;
}

static bool own_at(const union br_addr *a, socklen_t len) {
  for (int i = 0; i < br.nown; i++)
    if (same_addr(&br.own[i], br.own_len[i], a, len))
      return true;
  return false;
}

/* (Under mu.) Publish relay row r. */
static void relay_add(bool in, int fd, const union br_addr *a, socklen_t len) {
  int n = br.nrelays;
  br.relays[n] = (struct br_relay){.in = in, .fd = fd, .addr = *a, .len = len};
  __atomic_store_n(&br.nrelays, n + 1, __ATOMIC_RELEASE);
}

void pl_bridge_dgram_to(int fd, const struct sockaddr *sa, socklen_t len) {
  union br_addr a;
  if (!br.on || in_bridge || !addr_of(&a, sa, len) || !is_loopback(&a.sa) ||
      port_of(&a) == 0)
    return;
  in_bridge = true;
  pthread_mutex_lock(&br.mu);
  if (relay_at(false, &a, len) >= 0 || own_at(&a, len) ||
      br.nrelays == BR_RELAYS || sock_type(fd) != SOCK_DGRAM) {
    pthread_mutex_unlock(&br.mu);
    in_bridge = false;
    return;
  }
  register_fork();
  /* The host's address, stood in for in the stack: unless something of
   * the stack's own is bound there. */
  int zfd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (zfd >= 0 && bind(zfd, &a.sa, len) == 0 && start()) {
    relay_add(false, zfd, &a, len);
  } else {
    if (zfd >= 0)
      (void)close(zfd);
    if (br.nown < BR_OWN) {
      br.own[br.nown] = a;
      br.own_len[br.nown++] = len;
    }
  }
  pthread_mutex_unlock(&br.mu);
  in_bridge = false;
  wake();
}

void pl_bridge_bound(int fd, const struct sockaddr *asked, socklen_t alen) {
  union br_addr a, want;
  socklen_t len = sizeof(a);
  if (!br.on || in_bridge || !addr_of(&want, asked, alen) ||
      port_of(&want) == 0 || sock_type(fd) != SOCK_DGRAM)
    return;
  memset(&a, 0, sizeof(a));
  if (getsockname(fd, &a.sa, &len) != 0 || len > sizeof(a) ||
      (!is_loopback(&a.sa) && !is_any(&a.sa)))
    return;
  host_share(&a);
  in_bridge = true;
  pthread_mutex_lock(&br.mu);
  if (relay_at(true, &a, len) >= 0 || br.nrelays == BR_RELAYS) {
    pthread_mutex_unlock(&br.mu);
    in_bridge = false;
    return;
  }
  register_fork();
  int kfd = host_socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK);
  if (kfd < 0 || bind(kfd, &a.sa, len) != 0) {
    fprintf(stderr, "znet-run: --host-loopback: UDP port %u of the host's "
                    "loopback not shared: %s\n",
            (unsigned)port_of(&a), strerror(errno));
    if (kfd >= 0)
      (void)close(kfd);
  } else {
    relay_add(true, kfd, &a, len);
  }
  pthread_mutex_unlock(&br.mu);
  in_bridge = false;
}
