/* libznet-posix's insides: the socket object, the descriptor table, the
 * epoll instances, and the steps every call shares (px.c).
 *
 * A socket (struct px_sock) is one znet TCP connection or listener, or
 * one UDP socket, plus what POSIX keeps beside it: the bound address
 * before the stack has an object, options, the pending error, shutdown
 * flags.  Descriptors point at sockets (fds[fd]); dup makes two numbers
 * point at one socket, which lives until the last is closed and then, for
 * TCP, until the stack's on_closed (an orphan running its FIN exchange,
 * or its SO_LINGER drain).
 *
 * Readiness is computed from the stack's objects when asked (px_ready),
 * never cached; callbacks only count events (seq) and queue the socket's
 * epoll items on their instances' ready lists, as Linux's ep_poll_callback
 * does. */
#ifndef ZNET_POSIX_PX_INT_H
#define ZNET_POSIX_PX_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "znet/posix.h"
#include "znet/tcp.h"
#include "znet/udp.h"

/* A deliberate fall-through between switch labels: clang does not read
 * the comment gcc accepts (as ZN_FALLTHROUGH inside the stack). */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 7)
#define PX_FALLTHROUGH __attribute__((fallthrough))
#else
#define PX_FALLTHROUGH ((void)0)
#endif

struct px_sock;
struct px_epoll;

/* One socket's membership of one epoll instance. */
struct px_item {
  struct px_epoll *ep;
  struct px_sock *s;
  int fd;                   /* the number it was added under */
  uint32_t events;          /* EPOLL* asked for, EPOLLET/ONESHOT included */
  uint64_t data;
  uint32_t seen_seq;        /* edge-triggered: s->seq when last reported */
  bool disabled;            /* EPOLLONESHOT fired, until EPOLL_CTL_MOD */
  bool on_ready;            /* linked on ep's ready list */
  struct px_item *s_next;   /* s's items */
  struct px_item *ep_next;  /* ep's items */
  struct px_item *rdy_next; /* ep's ready list */
};

struct px_epoll {
  int fd;                   /* -1: free slot; else the number the host's
                               epoll knows it by (one of those naming it) */
  unsigned nfds;            /* descriptors naming it (dup) */
  bool kernel;              /* fd is the host's epoll (foreign fds go there) */
  unsigned waiting;         /* threads inside epoll_pwait on it */
  struct px_item *items;
  struct px_item *rdy_head, *rdy_tail;
  struct px_epoll *next_free;
};

enum px_kind { PX_FREE = 0, PX_TCP, PX_UDP };

/* A received datagram waiting for recvmsg: a reference to the frame
 * buffer and what IP_PKTINFO, IP_RECVTTL and IP_RECVTOS tell. */
struct px_dgram {
  struct zn_buf *buf;
  const uint8_t *data;
  uint32_t len;
  struct zn_ip src, dst;
  uint16_t sport;
  uint8_t ttl, tos;
  struct px_dgram *next;
};

/* What a queued datagram costs against SO_RCVBUF besides its payload
 * (Linux charges the whole buffer, its truesize). */
#define PX_DGRAM_COST 256u

/* Where a TCP socket is in POSIX's eyes (the stack's state says the
 * rest). */
enum px_tcp_phase {
  PX_FRESH = 0,  /* socket(), maybe bound: no stack object yet */
  PX_LISTENING,  /* l is a listener */
  PX_CONNECTING, /* c sent its SYN */
  PX_CONNECTED,  /* c was established (it may have closed since) */
  PX_FAILED,     /* a connect failed: the error went out through SO_ERROR
                    or the call; only close is left */
};

/* Options kept only here (px_opt.c), beside those above in px_sock; an
 * accepted socket copies them whole from its listener. */
struct px_xopts {
  uint32_t keepidle, keepintvl, keepcnt; /* TCP_KEEP*: s, s, probes; 0:
                                            Linux's 7200, 75, 9 */
  uint8_t tclass;            /* IPV6_TCLASS */
  uint8_t hops;              /* IPV6_UNICAST_HOPS, 0: the stack's */
  bool oobinline;            /* SO_OOBINLINE (urgent data is inline anyway) */
  bool cc_set;               /* TCP_CONGESTION chose topts.cc */
};

struct px_sock {
  struct zn_posix *px;
  enum px_kind kind;
  uint8_t family;            /* AF_INET or AF_INET6 (the socket's domain) */
  uint16_t nfds;             /* descriptors that point here */
  bool nonblock;             /* O_NONBLOCK, shared by the dups */
  bool orphan;               /* no descriptor left; the stack finishes it */
  bool forked;               /* fork's child: nothing but close */
  bool serving;              /* told the host it serves (px_note_use) */
  int err;                   /* SO_ERROR, positive errno, 0: none */
  uint32_t seq;              /* events seen (edge-triggered epoll) */
  struct px_item *items;     /* epoll memberships */

  /* binding and peer, as POSIX sees them */
  bool bound;
  struct zn_ip laddr;
  uint16_t lport;
  bool has_peer;
  struct zn_ip raddr;
  uint16_t rport;

  /* shutdown(2) */
  bool rd_shut, wr_shut;

  /* options */
  bool reuseaddr, reuseport, keepalive, v6only, broadcast;
  bool pktinfo, recvtclass, recvttl;
  int linger_on, linger_s;
  uint32_t sndbuf, rcvbuf;   /* as set (0: the stack's), bytes */
  uint32_t rcvlowat;
  uint64_t rcvtimeo_ns, sndtimeo_ns; /* 0: none */
  uint8_t tos, ttl;
  struct zn_tcp_opts topts;  /* TCP: what the next connect/listen takes */
  bool cork;
  struct px_xopts xo;

  /* TCP */
  enum px_tcp_phase phase;
  struct zn_tcp_conn *c;     /* connection or listener */
  struct px_sock *rp_next;   /* SO_REUSEPORT listeners sharing c: a ring
                                (NULL: alone) */
  int backlog;
  bool err_taken;            /* the connection's error was reported:
                                reads now end (0), writes say EPIPE */
  bool more;                 /* MSG_MORE corked the last send */
  bool fail_told;            /* a failed connect was reported (by the
                                blocking connect or a second connect) */
  bool ss_connecting;        /* Linux's SS_CONNECTING: a connect() began
                                and no connect() has told its end yet */
  bool fin_in;               /* the peer's FIN came while we could still
                                send (Linux's CLOSE_WAIT): reads end at
                                0, and a reset then is EPIPE */

  /* UDP */
  struct zn_udp_sock *u;
  struct px_dgram *rxq_head, *rxq_tail;
  uint32_t rxq_bytes;        /* payload plus PX_DGRAM_COST each */

  struct px_sock *next_free;
};

struct zn_posix {
  struct zn_stack *st;
  struct zn_posix_host host;
  struct zn_posix_cfg cfg;
  struct px_sock **fds;      /* [cfg.max_fd] */
  struct px_epoll **eps;     /* [cfg.max_fd]: epoll instance by number */
  struct px_sock *socks;     /* [cfg.socks] */
  struct px_sock *free_socks;
  struct px_epoll *epolls;   /* [cfg.epolls] */
  struct px_epoll *free_epolls;
  struct px_item *items;     /* [cfg.epoll_items] */
  struct px_item *free_items;
  struct px_dgram *dgrams;   /* [cfg.dgrams] */
  struct px_dgram *free_dgrams;
  uint32_t changes;          /* events since the last wake */
  struct zn_posix_stats stats;
  bool forked;
};

/* ---- px.c: descriptors, sockets, driving and waiting ---- */

struct px_sock *px_sock_of(struct zn_posix *px, int fd);
/* A call on fd: the socket, or NULL and *err -EBADF / -ENOTSOCK. */
struct px_sock *px_sock_for_call(struct zn_posix *px, int fd, int *err);
/* A call on fd, a socket a fork left with the parent: the host hears. */
void px_refuse_forked(struct zn_posix *px, int fd);
struct px_sock *px_sock_new(struct zn_posix *px, enum px_kind kind,
                            uint8_t family);
int px_fd_attach(struct zn_posix *px, struct px_sock *s);
void px_sock_free(struct zn_posix *px, struct px_sock *s);
void px_event(struct zn_posix *px, struct px_sock *s);
uint64_t px_now(struct zn_posix *px);
void px_drive(struct zn_posix *px);
void px_after_call(struct zn_posix *px);

/* The condition a blocking call waits for: true when done. */
typedef bool (*px_cond_fn)(struct zn_posix *px, struct px_sock *s, void *arg);
/* Drive and wait until cond holds, deadline (ns, UINT64_MAX none) or a
 * signal: 0 (cond), -EAGAIN (deadline), -EINTR.  restart: a signal whose
 * handler has SA_RESTART goes on waiting. */
int px_block(struct zn_posix *px, struct px_sock *s, px_cond_fn cond,
             void *arg, uint64_t deadline, bool restart);
uint64_t px_deadline(struct zn_posix *px, uint64_t timeo_ns);

/* errno for a znet error */
int px_errno(int zn_err);

/* ---- px_addr.c ---- */

int px_sa_to_ip(const struct sockaddr *sa, socklen_t len, uint8_t family,
                struct zn_ip *ip, uint16_t *port);
void px_ip_to_sa(const struct zn_ip *ip, uint16_t port, uint8_t family,
                 struct sockaddr *sa, socklen_t *len);
bool px_ip_is_v4(const struct zn_ip *ip);
/* Whether bind() may take ip: unspecified, or the host's (EADDRNOTAVAIL
 * otherwise). */
bool px_ip_bindable(struct zn_stack *st, const struct zn_ip *ip);

/* ---- px_tcp.c / px_udp.c: the calls by kind ---- */

int px_tcp_bind(struct zn_posix *px, struct px_sock *s,
                const struct zn_ip *ip, uint16_t port);
int px_tcp_listen(struct zn_posix *px, struct px_sock *s, int backlog);
int px_tcp_accept(struct zn_posix *px, struct px_sock *s, struct sockaddr *sa,
                  socklen_t *len, int flags);
int px_tcp_connect(struct zn_posix *px, struct px_sock *s,
                   const struct zn_ip *ip, uint16_t port);
int px_tcp_disconnect(struct zn_posix *px, struct px_sock *s);
ssize_t px_tcp_send(struct zn_posix *px, struct px_sock *s,
                    const struct msghdr *m, int flags);
ssize_t px_tcp_recv(struct zn_posix *px, struct px_sock *s, struct msghdr *m,
                    int flags);
int px_tcp_shutdown(struct zn_posix *px, struct px_sock *s, bool rd, bool wr);
void px_tcp_release(struct zn_posix *px, struct px_sock *s);
uint32_t px_tcp_ready(struct zn_posix *px, struct px_sock *s);
int px_tcp_getpeer(struct px_sock *s, struct zn_ip *ip, uint16_t *port);
void px_tcp_getlocal(struct px_sock *s, struct zn_ip *ip, uint16_t *port);
bool px_tcp_drained(struct px_sock *s);
void px_tcp_forget(struct px_sock *s);
int px_tcp_relisten(struct zn_posix *px, struct px_sock *s);
/* Hold a listener (a group of shards, not served here yet) or let it go. */
void px_tcp_hold(struct px_sock *s, bool held);

int px_udp_open(struct zn_posix *px, struct px_sock *s);
int px_udp_bind(struct zn_posix *px, struct px_sock *s,
                const struct zn_ip *ip, uint16_t port);
int px_udp_connect(struct zn_posix *px, struct px_sock *s,
                   const struct sockaddr *sa, socklen_t len);
ssize_t px_udp_send(struct zn_posix *px, struct px_sock *s,
                    const struct msghdr *m, int flags);
ssize_t px_udp_recv(struct zn_posix *px, struct px_sock *s, struct msghdr *m,
                    int flags);
int px_udp_shutdown(struct zn_posix *px, struct px_sock *s, bool rd, bool wr);
void px_udp_release(struct zn_posix *px, struct px_sock *s);
uint32_t px_udp_ready(struct zn_posix *px, struct px_sock *s);
void px_udp_getlocal(struct px_sock *s, struct zn_ip *ip, uint16_t *port);
void px_udp_forget(struct zn_posix *px, struct px_sock *s);
int px_udp_reopen(struct zn_posix *px, struct px_sock *s);

/* ---- px_epoll.c ---- */

void px_epoll_sock_gone(struct zn_posix *px, struct px_sock *s);
void px_epoll_mark(struct px_sock *s);
bool px_epoll_close(struct zn_posix *px, int fd);
int px_epoll_dup(struct zn_posix *px, int oldfd, int newfd, int min,
                 int flags);

/* ---- px_opt.c ---- */

int px_opt_apply_tcp(struct zn_posix *px, struct px_sock *s);

/* What a socket is ready for now, EPOLL* bits (POLL* values alike). */
uint32_t px_ready(struct zn_posix *px, struct px_sock *s);

/* The program takes what arrives on s (accept, recv, poll, epoll): a
 * listener or an unconnected bound UDP socket serves its port
 * (zn_posix_host.serve).  px_note_gone: s goes (close). */
void px_note_use(struct zn_posix *px, struct px_sock *s);
void px_note_gone(struct zn_posix *px, struct px_sock *s);

#endif /* ZNET_POSIX_PX_INT_H */
