/* libznet-posix against Linux's own sockets: a table of scripted
 * sequences of socket calls, each run twice, once on the kernel's sockets
 * over the loopback (127.0.0.1, ::1) and once on two libznet-posix layers
 * (px_fixture.h: the server on b, 10.0.0.2 and fd00::2, the client on a),
 * and compared step by step: the return value, errno, and what the call
 * wrote out (an option's value, revents, bytes read, an address).
 *
 * Values that legitimately differ are compared by class: a descriptor
 * (socket, accept, epoll_create: "a descriptor"), a port (the sequence's
 * ports P and Q, 0, or an ephemeral one), an address (any, this side's,
 * the other side's, as each run maps them).  P and Q are chosen free at
 * run time, so two runs of this test do not collide.
 *
 * Time.  The kernel runs in real time, and its loopback has delivered
 * what a call sent before the call returns; the znet side runs on the
 * fixture's virtual clock, so after every step both stacks run for a few
 * ms (what the loopback did inside the call).  A WAIT step waits on the
 * kernel side with poll for a condition (bounded), and runs the pair on
 * the znet side.  A blocking call on the znet side runs both stacks.
 *
 * Where znet intentionally differs from Linux (docs/POSIX.md,
 * docs/posix-options.md) the step says why (`.diff`): the difference is
 * printed and counted, and a marked step that no longer differs fails
 * (the table must not lie). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "px_fixture.h"

#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

enum side { C, S }; /* the client side (znet: layer a), the server (b) */

enum op {
  OP_END = 0,
  OP_SOCKET,      /* a domain, b type, c protocol; into slot s */
  OP_BIND,        /* s; the address */
  OP_LISTEN,      /* s; a backlog */
  OP_CONNECT,     /* s; the address */
  OP_ACCEPT,      /* s listener; into slot t; a flags */
  OP_SEND,        /* s; str, a flags, b length if not strlen(str); the
                     address, if fam, for sendto */
  OP_RECV,        /* s; a buffer size, b flags, c 1: the sender's name */
  OP_SHUTDOWN,    /* s; a how */
  OP_CLOSE,       /* s */
  OP_GETSOCKOPT,  /* s; a level, b name, c length (0: an int's), d 1: NULL
                     value, 2: NULL length */
  OP_SETSOCKOPT,  /* s; a level, b name, c value, d length (0: an int's),
                     e 1: NULL value; str: the value's bytes instead */
  OP_LINGER,      /* s; SO_LINGER {a, b} */
  OP_POLL,        /* s; a events, b timeout ms */
  OP_EPOLL_CREATE, /* into slot s; a flags */
  OP_EPOLL_CTL,   /* epoll slot s, target slot t; a op, b events, c 1: NULL
                     event */
  OP_EPOLL_WAIT,  /* epoll slot s; a max, b timeout ms */
  OP_FCNTL,       /* s; a cmd, b arg */
  OP_IOCTL,       /* s; a request, b value in, c 1: NULL argument */
  OP_GETSOCKNAME, /* s; a length (0: a sockaddr_storage) */
  OP_GETPEERNAME, /* s; a length */
  OP_WAIT,        /* s; a events: kernel poll (1 s at most), znet b ms
                     (default 50) of both stacks; not compared */
  OP_SLEEP,       /* a ms of time on both sides; not compared */
};

static const char *const op_names[] = {
    "end",         "socket",       "bind",        "listen",
    "connect",     "accept",       "send",        "recv",
    "shutdown",    "close",        "getsockopt",  "setsockopt",
    "SO_LINGER",   "poll",         "epoll_create", "epoll_ctl",
    "epoll_wait",  "fcntl",        "ioctl",       "getsockname",
    "getpeername", "wait",         "sleep",
};

/* Addresses, mapped per run. */
enum addr_sym {
  AD_ANY = 0, /* 0.0.0.0, :: */
  AD_SRV,     /* the server's: 127.0.0.1 / 10.0.0.2, ::1 / fd00::2 */
  AD_CLI,     /* the client's: 127.0.0.1 / 10.0.0.1, ::1 / fd00::1 */
  AD_SRV_MAPPED, /* the server's IPv4 address, IPv4-mapped */
  AD_FOREIGN, /* nobody's: 192.0.2.1, 2001:db8::99 */
  AD_BCAST,   /* 255.255.255.255 */
};

enum port_sym {
  PT_0 = 0,
  PT_P,       /* the sequence's port, free at run time */
  PT_Q,       /* a second one; nothing ever listens there */
};

#define NSLOT 8
#define SL_BAD 8 /* a number that is no descriptor: EBADF */
#define MAXSTEPS 28

struct step {
  uint8_t side, op;
  int8_t s, t;
  long a, b, c, d, e;
  int fam;              /* sockaddr family; 0: none (send) */
  uint8_t addr, port;
  socklen_t len;        /* the sockaddr's length; 0: its size */
  const char *str;
  bool want_set;
  long want;            /* what Linux answers, as the table expects */
  const char *diff;     /* an expected difference: why */
};

struct seq {
  const char *name;
  struct step steps[MAXSTEPS];
};

/* ---- the table's vocabulary ---- */

#define W(x) .want_set = true, .want = (x)
#define DIFF(why) .diff = (why)
#define AT(f, ad, pt) .fam = (f), .addr = (ad), .port = (pt)

/* Each macro's last argument opens its __VA_ARGS__, so that more
 * fields (W, DIFF, .len ...) may follow. */
#define SOCKET(sd, sl, dom, ...)                                              \
  {.side = sd, .op = OP_SOCKET, .s = sl, .a = dom, .b = __VA_ARGS__}
#define TCP4(sd, sl) SOCKET(sd, sl, AF_INET, SOCK_STREAM)
#define TCP6(sd, sl) SOCKET(sd, sl, AF_INET6, SOCK_STREAM)
#define UDP4(sd, sl) SOCKET(sd, sl, AF_INET, SOCK_DGRAM)
#define UDP6(sd, sl) SOCKET(sd, sl, AF_INET6, SOCK_DGRAM)
#define BIND(sd, sl, f, ad, ...)                                              \
  {.side = sd, .op = OP_BIND, .s = sl, .fam = f, .addr = ad,                 \
   .port = __VA_ARGS__}
#define LISTEN(sd, sl, ...)                                                   \
  {.side = sd, .op = OP_LISTEN, .s = sl, .a = __VA_ARGS__}
#define CONNECT(sd, sl, f, ad, ...)                                           \
  {.side = sd, .op = OP_CONNECT, .s = sl, .fam = f, .addr = ad,              \
   .port = __VA_ARGS__}
#define ACCEPT(sd, sl, into, ...)                                             \
  {.side = sd, .op = OP_ACCEPT, .s = sl, .t = into, .a = __VA_ARGS__}
#define SEND(sd, sl, text, ...)                                               \
  {.side = sd, .op = OP_SEND, .s = sl, .str = text, .a = __VA_ARGS__}
#define RECV(sd, sl, n, ...)                                                  \
  {.side = sd, .op = OP_RECV, .s = sl, .a = n, .b = __VA_ARGS__}
#define SHUTDOWN(sd, sl, ...)                                                 \
  {.side = sd, .op = OP_SHUTDOWN, .s = sl, .a = __VA_ARGS__}
#define CLOSE(sd, ...) {.side = sd, .op = OP_CLOSE, .s = __VA_ARGS__}
#define GETOPT(sd, sl, lv, ...)                                               \
  {.side = sd, .op = OP_GETSOCKOPT, .s = sl, .a = lv, .b = __VA_ARGS__}
#define SETOPT(sd, sl, lv, nm, ...)                                           \
  {.side = sd, .op = OP_SETSOCKOPT, .s = sl, .a = lv, .b = nm,               \
   .c = __VA_ARGS__}
#define LINGER(sd, sl, on, ...)                                               \
  {.side = sd, .op = OP_LINGER, .s = sl, .a = on, .b = __VA_ARGS__}
#define POLL(sd, sl, ...) {.side = sd, .op = OP_POLL, .s = sl, .a = __VA_ARGS__}
#define EPCREATE(sd, ...) {.side = sd, .op = OP_EPOLL_CREATE, .s = __VA_ARGS__}
#define EPCTL(sd, ep, o, sl, ...)                                             \
  {.side = sd, .op = OP_EPOLL_CTL, .s = ep, .t = sl, .a = o,                 \
   .b = __VA_ARGS__}
#define EPWAIT(sd, ep, ...)                                                   \
  {.side = sd, .op = OP_EPOLL_WAIT, .s = ep, .a = __VA_ARGS__}
#define FCNTL(sd, sl, cmd, ...)                                               \
  {.side = sd, .op = OP_FCNTL, .s = sl, .a = cmd, .b = __VA_ARGS__}
#define IOCTL(sd, sl, ...)                                                    \
  {.side = sd, .op = OP_IOCTL, .s = sl, .a = (long)__VA_ARGS__}
#define SOCKNAME(sd, ...) {.side = sd, .op = OP_GETSOCKNAME, .s = __VA_ARGS__}
#define PEERNAME(sd, ...) {.side = sd, .op = OP_GETPEERNAME, .s = __VA_ARGS__}
#define WAIT(sd, sl, ...) {.side = sd, .op = OP_WAIT, .s = sl, .a = __VA_ARGS__}
#define SLEEP(ms) {.op = OP_SLEEP, .a = ms}

/* A server listening on P (slot 0 of S), a client (slot 0 of C)
 * connected to it, the accepted socket in slot 1 of S. */
#define CONNECTED4                                                            \
  TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 8, W(0)), \
      TCP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),                 \
      ACCEPT(S, 0, 1, 0)
#define CONNECTED6                                                            \
  TCP6(S, 0), BIND(S, 0, AF_INET6, AD_ANY, PT_P, W(0)),                       \
      LISTEN(S, 0, 8, W(0)), TCP6(C, 0),                                      \
      CONNECT(C, 0, AF_INET6, AD_SRV, PT_P, W(0)), ACCEPT(S, 0, 1, 0)

/* ---- the table ---- */

#define LEN0 (-2) /* getsockopt: a zero length */
#define IN_OUT (POLLIN | POLLOUT | POLLRDHUP)
#define NB(ty) ((ty) | SOCK_NONBLOCK)
static const struct seq seqs[] = {
    /* ---- socket ---- */
    {"socket_unknown_family_eafnosupport",
     {SOCKET(C, 0, 12345, SOCK_STREAM, W(-EAFNOSUPPORT)),
      SOCKET(C, 1, AF_INET6 + 100, SOCK_DGRAM, W(-EAFNOSUPPORT))}},
    {"socket_bad_type_einval_esocktnosupport",
     {SOCKET(C, 0, AF_INET, 99, W(-EINVAL)),
      SOCKET(C, 1, AF_INET6, SOCK_SEQPACKET, W(-ESOCKTNOSUPPORT)),
      SOCKET(C, 2, AF_INET, SOCK_STREAM | 0x100, W(-EINVAL))}},
    {"socket_wrong_protocol_eprotonosupport",
     {SOCKET(C, 0, AF_INET, SOCK_STREAM, .c = IPPROTO_UDP,
             W(-EPROTONOSUPPORT)),
      SOCKET(C, 1, AF_INET6, SOCK_DGRAM, .c = IPPROTO_TCP,
             W(-EPROTONOSUPPORT)),
      SOCKET(C, 2, AF_INET, SOCK_STREAM, .c = IPPROTO_TCP, W(0)),
      SOCKET(C, 3, AF_INET6, SOCK_DGRAM, .c = IPPROTO_UDP, W(0))}},
    {"socket_identity_tcp4",
     {TCP4(C, 0), GETOPT(C, 0, SOL_SOCKET, SO_TYPE, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_DOMAIN, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_PROTOCOL, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_ACCEPTCONN, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_SNDLOWAT, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_RCVLOWAT, W(0))}},
    {"socket_identity_udp6",
     {UDP6(C, 0), GETOPT(C, 0, SOL_SOCKET, SO_TYPE, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_DOMAIN, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_PROTOCOL, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_ACCEPTCONN, W(0)),
      GETOPT(C, 0, IPPROTO_IPV6, IPV6_V6ONLY, W(0))}},
    {"socket_nonblock_flag_and_fcntl",
     {SOCKET(C, 0, AF_INET, NB(SOCK_STREAM)),
      FCNTL(C, 0, F_GETFL, 0, W(O_RDWR | O_NONBLOCK)),
      FCNTL(C, 0, F_SETFL, 0, W(0)), FCNTL(C, 0, F_GETFL, 0, W(O_RDWR)),
      FCNTL(C, 0, 9999, 0, W(-EINVAL))}},
    {"bad_descriptor_ebadf",
     {BIND(C, SL_BAD, AF_INET, AD_ANY, PT_P, W(-EBADF)),
      LISTEN(C, SL_BAD, 1, W(-EBADF)),
      CONNECT(C, SL_BAD, AF_INET, AD_SRV, PT_P, W(-EBADF)),
      ACCEPT(C, SL_BAD, 1, 0, W(-EBADF)), SEND(C, SL_BAD, "x", 0, W(-EBADF)),
      RECV(C, SL_BAD, 4, 0, W(-EBADF)),
      SHUTDOWN(C, SL_BAD, SHUT_RDWR, W(-EBADF)), CLOSE(C, SL_BAD, W(-EBADF)),
      GETOPT(C, SL_BAD, SOL_SOCKET, SO_TYPE, W(-EBADF)),
      SETOPT(C, SL_BAD, SOL_SOCKET, SO_KEEPALIVE, 1, W(-EBADF)),
      FCNTL(C, SL_BAD, F_GETFL, 0, W(-EBADF)),
      IOCTL(C, SL_BAD, FIONREAD, W(-EBADF)), SOCKNAME(C, SL_BAD, W(-EBADF)),
      PEERNAME(C, SL_BAD, W(-EBADF)), POLL(C, SL_BAD, POLLIN, W(1))}},
    {"epoll_descriptor_enotsock",
     {EPCREATE(C, 0), BIND(C, 0, AF_INET, AD_ANY, PT_P, W(-ENOTSOCK)),
      LISTEN(C, 0, 1, W(-ENOTSOCK)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(-ENOTSOCK)),
      ACCEPT(C, 0, 1, 0, W(-ENOTSOCK)), SEND(C, 0, "x", 0, W(-ENOTSOCK)),
      RECV(C, 0, 4, 0, W(-ENOTSOCK)),
      SHUTDOWN(C, 0, SHUT_RDWR, W(-ENOTSOCK)),
      GETOPT(C, 0, SOL_SOCKET, SO_TYPE, W(-ENOTSOCK)),
      SETOPT(C, 0, SOL_SOCKET, SO_KEEPALIVE, 1, W(-ENOTSOCK)),
      SOCKNAME(C, 0, W(-ENOTSOCK)), PEERNAME(C, 0, W(-ENOTSOCK)),
      FCNTL(C, 0, F_GETFL, 0, W(O_RDWR)), CLOSE(C, 0, W(0))}},

    /* ---- bind ---- */
    {"bind_short_length_einval",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, .len = 8, W(-EINVAL)),
      TCP6(S, 1), BIND(S, 1, AF_INET6, AD_ANY, PT_P, .len = 20, W(-EINVAL)),
      BIND(S, 1, AF_INET6, AD_ANY, PT_P, .len = 24, W(0)),
      UDP4(S, 2), BIND(S, 2, AF_INET, AD_ANY, PT_P, .len = 1, W(-EINVAL))}},
    {"bind_wrong_family",
     {TCP4(S, 0), BIND(S, 0, AF_INET6, AD_ANY, PT_P, W(-EAFNOSUPPORT)),
      BIND(S, 0, 99, AD_ANY, PT_P, W(-EAFNOSUPPORT)),
      BIND(S, 0, AF_UNSPEC, AD_SRV, PT_P, W(-EAFNOSUPPORT)),
      BIND(S, 0, AF_UNSPEC, AD_ANY, PT_P, W(0)), SOCKNAME(S, 0, W(0)),
      TCP6(S, 1), BIND(S, 1, AF_INET, AD_ANY, PT_Q, W(-EINVAL))}},
    {"bind_twice_einval",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      BIND(S, 0, AF_INET, AD_ANY, PT_Q, W(-EINVAL)), UDP4(S, 1),
      BIND(S, 1, AF_INET, AD_ANY, PT_P, W(0)),
      BIND(S, 1, AF_INET, AD_ANY, PT_Q, W(-EINVAL))}},
    {"bind_tcp_port_in_use",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), TCP4(S, 1),
      BIND(S, 1, AF_INET, AD_ANY, PT_P, W(-EADDRINUSE)),
      BIND(S, 1, AF_INET, AD_SRV, PT_P, W(-EADDRINUSE)), TCP6(S, 2),
      BIND(S, 2, AF_INET6, AD_ANY, PT_P, W(-EADDRINUSE)), TCP6(S, 3),
      SETOPT(S, 3, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(0)),
      BIND(S, 3, AF_INET6, AD_ANY, PT_P, W(0))}},
    {"bind_reuseaddr_not_listening_shares",
     {TCP4(S, 0), SETOPT(S, 0, SOL_SOCKET, SO_REUSEADDR, 1, W(0)),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), TCP4(S, 1),
      SETOPT(S, 1, SOL_SOCKET, SO_REUSEADDR, 1, W(0)),
      BIND(S, 1, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 4, W(0)),
      LISTEN(S, 1, 4, W(-EADDRINUSE))}},
    {"bind_reuseaddr_listener_conflicts",
     {TCP4(S, 0), SETOPT(S, 0, SOL_SOCKET, SO_REUSEADDR, 1, W(0)),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 4, W(0)),
      TCP4(S, 1), SETOPT(S, 1, SOL_SOCKET, SO_REUSEADDR, 1, W(0)),
      BIND(S, 1, AF_INET, AD_ANY, PT_P, W(-EADDRINUSE))}},
    {"bind_reuseport_two_listeners",
     {TCP4(S, 0), SETOPT(S, 0, SOL_SOCKET, SO_REUSEPORT, 1, W(0)),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), TCP4(S, 1),
      SETOPT(S, 1, SOL_SOCKET, SO_REUSEPORT, 1, W(0)),
      BIND(S, 1, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 4, W(0)),
      LISTEN(S, 1, 4, W(0)), TCP4(S, 2),
      SETOPT(S, 2, SOL_SOCKET, SO_REUSEPORT, 1, W(0)),
      BIND(S, 2, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 2, 4, W(0)),
      TCP4(S, 3), BIND(S, 3, AF_INET, AD_ANY, PT_P, W(-EADDRINUSE)),
      CLOSE(S, 0, W(0)), CLOSE(S, 1, W(0)),
      BIND(S, 3, AF_INET, AD_ANY, PT_P, W(-EADDRINUSE)), CLOSE(S, 2, W(0)),
      BIND(S, 3, AF_INET, AD_ANY, PT_P, W(0))}},
    {"bind_foreign_address_eaddrnotavail",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_FOREIGN, PT_P, W(-EADDRNOTAVAIL)),
      UDP4(S, 1), BIND(S, 1, AF_INET, AD_FOREIGN, PT_P, W(-EADDRNOTAVAIL)),
      TCP6(S, 2), BIND(S, 2, AF_INET6, AD_FOREIGN, PT_P, W(-EADDRNOTAVAIL)),
      UDP6(S, 3),
      BIND(S, 3, AF_INET6, AD_FOREIGN, PT_P, W(-EADDRNOTAVAIL))}},
    {"bind_v6only_mapped_einval",
     {TCP6(S, 0), SETOPT(S, 0, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(0)),
      BIND(S, 0, AF_INET6, AD_SRV_MAPPED, PT_P, W(-EINVAL)), UDP6(S, 1),
      SETOPT(S, 1, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(0)),
      BIND(S, 1, AF_INET6, AD_SRV_MAPPED, PT_P, W(-EINVAL))}},
    {"bind_port0_ephemeral",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_0, W(0)), SOCKNAME(S, 0),
      UDP6(S, 1), BIND(S, 1, AF_INET6, AD_ANY, PT_0, W(0)), SOCKNAME(S, 1),
      TCP6(S, 2), BIND(S, 2, AF_INET6, AD_SRV, PT_P, W(0)),
      SOCKNAME(S, 2)}},
    {"bind_udp_port_in_use",
     {UDP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), UDP4(S, 1),
      BIND(S, 1, AF_INET, AD_ANY, PT_P, W(-EADDRINUSE)), UDP6(S, 2),
      BIND(S, 2, AF_INET6, AD_ANY, PT_P, W(-EADDRINUSE)), UDP6(S, 3),
      SETOPT(S, 3, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(0)),
      BIND(S, 3, AF_INET6, AD_ANY, PT_P, W(0))}},

    /* ---- listen ---- */
    {"listen_udp_eopnotsupp",
     {UDP4(S, 0), LISTEN(S, 0, 4, W(-EOPNOTSUPP))}},
    {"listen_without_bind_ephemeral",
     {TCP4(S, 0), LISTEN(S, 0, 4, W(0)), SOCKNAME(S, 0, W(0)),
      GETOPT(S, 0, SOL_SOCKET, SO_ACCEPTCONN, W(0)), LISTEN(S, 0, 16, W(0)),
      POLL(S, 0, IN_OUT, W(0))}},
    {"listen_connected_einval",
     {CONNECTED4, LISTEN(C, 0, 4, W(-EINVAL)), LISTEN(S, 1, 4, W(-EINVAL))}},
    {"listen_shutdown_rd_stops_it",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), SHUTDOWN(S, 0, SHUT_RD, W(0)),
      ACCEPT(S, 0, 1, SOCK_NONBLOCK, W(-EINVAL)),
      GETOPT(S, 0, SOL_SOCKET, SO_ACCEPTCONN, W(0)), SOCKNAME(S, 0, W(0)),
      LISTEN(S, 0, 4, W(0)), SHUTDOWN(S, 0, SHUT_WR, W(0)),
      GETOPT(S, 0, SOL_SOCKET, SO_ACCEPTCONN, W(0))}},

    /* ---- accept ---- */
    {"accept_errors",
     {SOCKET(S, 0, AF_INET, NB(SOCK_STREAM)), ACCEPT(S, 0, 1, 0, W(-EINVAL)),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 4, W(0)),
      ACCEPT(S, 0, 1, 0, W(-EAGAIN)), ACCEPT(S, 0, 1, 0x1234, W(-EINVAL)),
      UDP4(S, 2), ACCEPT(S, 2, 1, 0, W(-EOPNOTSUPP))}},
    {"accept_flags_not_inherited",
     {SOCKET(S, 0, AF_INET, NB(SOCK_STREAM)),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 4, W(0)),
      TCP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      POLL(S, 0, POLLIN, W(1)), ACCEPT(S, 0, 1, 0, W(0)),
      FCNTL(S, 1, F_GETFL, 0, W(O_RDWR)), TCP4(C, 1),
      CONNECT(C, 1, AF_INET, AD_SRV, PT_P, W(0)),
      ACCEPT(S, 0, 2, SOCK_NONBLOCK, W(0)),
      FCNTL(S, 2, F_GETFL, 0, W(O_RDWR | O_NONBLOCK)),
      ACCEPT(S, 0, 3, 0, W(-EAGAIN))}},
    {"accept_v4_on_dual_stack_listener",
     {TCP6(S, 0), BIND(S, 0, AF_INET6, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), TCP4(C, 0),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)), ACCEPT(S, 0, 1, 0, W(0)),
      SOCKNAME(S, 1), PEERNAME(S, 1), SOCKNAME(C, 0), PEERNAME(C, 0)}},
    {"accept_v6_names",
     {CONNECTED6, SOCKNAME(S, 1), PEERNAME(S, 1), SOCKNAME(C, 0),
      PEERNAME(C, 0), SOCKNAME(S, 0)}},

    /* ---- connect ---- */
    {"connect_refused_blocking",
     {TCP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(-ECONNREFUSED)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(-ECONNREFUSED)),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)), POLL(C, 0, IN_OUT),
      PEERNAME(C, 0, W(-ENOTCONN))}},
    {"connect_refused_nonblocking_so_error",
     {SOCKET(C, 0, AF_INET, NB(SOCK_STREAM)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(-EINPROGRESS)),
      WAIT(C, 0, POLLOUT), POLL(C, 0, IN_OUT),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(-ECONNABORTED)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(-EINPROGRESS)),
      WAIT(C, 0, POLLOUT),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(-ECONNREFUSED))}},
    {"connect_nonblocking_then_eisconn",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), SOCKET(C, 0, AF_INET, NB(SOCK_STREAM)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(-EINPROGRESS)),
      WAIT(C, 0, POLLOUT), POLL(C, 0, IN_OUT, W(1)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(-EISCONN)),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(-EISCONN)),
      CONNECT(S, 0, AF_INET, AD_CLI, PT_Q, W(-EISCONN))}},
    {"connect_ealready_backlog_full",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 0, W(0)), TCP4(C, 0),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      SOCKET(C, 1, AF_INET, NB(SOCK_STREAM)),
      CONNECT(C, 1, AF_INET, AD_SRV, PT_P, W(-EINPROGRESS)),
      CONNECT(C, 1, AF_INET, AD_SRV, PT_P, W(-EALREADY)),
      POLL(C, 1, IN_OUT, W(0)),
      SEND(C, 1, "x", 0, W(-EAGAIN)),
      RECV(C, 1, 4, 0, W(-EAGAIN)), GETOPT(C, 1, SOL_SOCKET, SO_ERROR, W(0)),
      PEERNAME(C, 1, W(-ENOTCONN))}},
    {"connect_bad_address",
     {TCP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_P, .len = 8, W(-EINVAL)),
      CONNECT(C, 0, AF_INET6, AD_SRV, PT_P, W(-EAFNOSUPPORT)),
      CONNECT(C, 0, 99, AD_SRV, PT_P, W(-EAFNOSUPPORT)), TCP6(C, 1),
      CONNECT(C, 1, AF_INET6, AD_SRV, PT_P, .len = 16, W(-EINVAL)),
      CONNECT(C, 1, 99, AD_SRV, PT_P, .len = 28, W(-EAFNOSUPPORT))}},
    {"connect_af_unspec_tcp",
     {TCP4(C, 0), CONNECT(C, 0, AF_UNSPEC, AD_ANY, PT_0, W(0)),
      TCP6(C, 1), CONNECT(C, 1, AF_UNSPEC, AD_ANY, PT_0, W(0)),
      POLL(C, 0, IN_OUT)}},
    {"connect_v6only_to_mapped_enetunreach",
     {TCP6(C, 0), SETOPT(C, 0, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(0)),
      CONNECT(C, 0, AF_INET6, AD_SRV_MAPPED, PT_P, W(-ENETUNREACH)),
      UDP6(C, 1), SETOPT(C, 1, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(0)),
      CONNECT(C, 1, AF_INET6, AD_SRV_MAPPED, PT_P, W(-ENETUNREACH))}},
    {"connect_dual_stack_to_mapped",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), TCP6(C, 0),
      CONNECT(C, 0, AF_INET6, AD_SRV_MAPPED, PT_P, W(0)), PEERNAME(C, 0),
      SOCKNAME(C, 0), ACCEPT(S, 0, 1, 0, W(0)), PEERNAME(S, 1)}},
    {"connect_udp_af_unspec_dissolves",
     {UDP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      PEERNAME(C, 0, W(0)), CONNECT(C, 0, AF_UNSPEC, AD_ANY, PT_0, W(0)),
      PEERNAME(C, 0, W(-ENOTCONN)), SEND(C, 0, "x", 0, W(-EDESTADDRREQ))}},

    /* ---- send, recv ---- */
    {"send_recv_unconnected",
     {TCP4(C, 0), SEND(C, 0, "x", 0, W(-EPIPE)),
      RECV(C, 0, 4, 0, W(-ENOTCONN)), TCP4(S, 0), LISTEN(S, 0, 4, W(0)),
      SEND(S, 0, "x", 0, W(-EPIPE)), RECV(S, 0, 4, 0, W(-ENOTCONN))}},
    {"recv_nonblocking_empty_eagain",
     {CONNECTED4, RECV(C, 0, 16, MSG_DONTWAIT, W(-EAGAIN)),
      FCNTL(S, 1, F_SETFL, O_NONBLOCK, W(0)), RECV(S, 1, 16, 0, W(-EAGAIN)),
      IOCTL(C, 0, FIONBIO, .b = 1, W(0)), RECV(C, 0, 16, 0, W(-EAGAIN)),
      FCNTL(C, 0, F_GETFL, 0, W(O_RDWR | O_NONBLOCK))}},
    {"data_both_ways",
     {CONNECTED4, SEND(C, 0, "hello", 0, W(5)), RECV(S, 1, 16, 0, W(5)),
      SEND(S, 1, "world!", 0, W(6)), RECV(C, 0, 16, 0, W(6)),
      IOCTL(C, 0, FIONREAD, W(0))}},
    {"ioctl_fionread_siocoutq_enotty",
     {CONNECTED4, SEND(C, 0, "abcdef", 0, W(6)),
      IOCTL(S, 1, FIONREAD, W(0)), IOCTL(S, 0, FIONREAD, W(-EINVAL)),
      SLEEP(250), IOCTL(C, 0, SIOCOUTQ, W(0)), IOCTL(C, 0, 0x1234, W(-ENOTTY)),
      IOCTL(C, 0, FIONREAD, .c = 1, W(-EFAULT)), UDP4(C, 1),
      IOCTL(C, 1, FIONREAD, W(0))}},
    {"recv_peek_then_read",
     {CONNECTED4, SEND(C, 0, "hello", 0, W(5)),
      RECV(S, 1, 16, MSG_PEEK, W(5)), RECV(S, 1, 3, 0, W(3)),
      RECV(S, 1, 16, 0, W(2))}},
    {"recv_peek_across_segments",
     {CONNECTED4, SETOPT(C, 0, IPPROTO_TCP, TCP_NODELAY, 1, W(0)),
      SEND(C, 0, "abc", 0, W(3)), SEND(C, 0, "def", 0, W(3)),
      RECV(S, 1, 16, MSG_PEEK, W(6)), RECV(S, 1, 16, 0, W(6)),
      SEND(C, 0, "a", 0, .b = 1400, W(1400)),
      SEND(C, 0, "b", 0, .b = 1400, W(1400)),
      RECV(S, 1, 2048, MSG_PEEK, W(2048)), RECV(S, 1, 2048, 0, W(2048))}},
    {"recv_peek_waitall_across_segments",
     {CONNECTED4, SETOPT(C, 0, IPPROTO_TCP, TCP_NODELAY, 1, W(0)),
      SEND(C, 0, "abc", 0, W(3)), SEND(C, 0, "def", 0, W(3)),
      SEND(C, 0, "g", 0, .b = 1400, W(1400)),
      RECV(S, 1, 1000, MSG_PEEK | MSG_WAITALL, W(1000)),
      RECV(S, 1, 1406, MSG_PEEK, W(1406)), RECV(S, 1, 4, 0, W(4)),
      RECV(S, 1, 2000, MSG_PEEK | MSG_DONTWAIT, W(1402)),
      RECV(S, 1, 2000, 0, W(1402))}},
    {"recv_trunc_discards",
     {CONNECTED4, SEND(C, 0, "hello", 0, W(5)),
      RECV(S, 1, 3, MSG_TRUNC, W(3)), RECV(S, 1, 16, 0, W(2))}},
    {"recv_waitall_until_eof",
     {CONNECTED4, SEND(C, 0, "abc", 0, W(3)), SHUTDOWN(C, 0, SHUT_WR, W(0)),
      RECV(S, 1, 10, MSG_WAITALL, W(3)), RECV(S, 1, 10, MSG_WAITALL, W(0))}},
    {"recv_waitall_two_sends",
     {CONNECTED4, SEND(C, 0, "abc", 0, W(3)), SEND(C, 0, "defg", 0, W(4)),
      RECV(S, 1, 7, MSG_WAITALL, W(7))}},
    {"send_recv_zero_length",
     {CONNECTED4, RECV(S, 1, 0, 0, W(0)), SEND(C, 0, "", 0, W(0)),
      RECV(S, 1, 4, MSG_DONTWAIT, W(-EAGAIN))}},
    {"eof_after_peer_shutdown_wr",
     {CONNECTED4, SHUTDOWN(C, 0, SHUT_WR, W(0)), POLL(S, 1, IN_OUT, W(1)),
      RECV(S, 1, 16, 0, W(0)), SEND(S, 1, "x", 0, W(1)),
      RECV(C, 0, 16, 0, W(1)), SEND(C, 0, "y", 0, W(-EPIPE)),
      POLL(C, 0, IN_OUT, W(1))}},
    {"both_shut_pollhup",
     {CONNECTED4, SHUTDOWN(C, 0, SHUT_WR, W(0)),
      SHUTDOWN(S, 1, SHUT_WR, W(0)), POLL(C, 0, IN_OUT, W(1)),
      POLL(S, 1, IN_OUT, W(1)), RECV(C, 0, 4, 0, W(0)),
      SHUTDOWN(C, 0, SHUT_WR, W(-ENOTCONN)),
      SHUTDOWN(C, 0, SHUT_RDWR, W(-ENOTCONN))}},
    {"shutdown_rd_then_data",
     {CONNECTED4, SHUTDOWN(S, 1, SHUT_RD, W(0)), RECV(S, 1, 16, 0, W(0)),
      POLL(S, 1, IN_OUT, W(1)), SEND(C, 0, "late", 0, W(4)),
      RECV(S, 1, 16, 0, W(4)), RECV(S, 1, 16, 0, W(0))}},
    {"send_after_own_shutdown_wr_epipe",
     {CONNECTED4, SHUTDOWN(C, 0, SHUT_WR, W(0)),
      SEND(C, 0, "x", 0, W(-EPIPE)), SEND(C, 0, "x", MSG_DONTWAIT,
                                          W(-EPIPE)),
      SEND(S, 1, "ok", 0, W(2)), RECV(C, 0, 4, 0, W(2))}},
    {"send_after_peer_close_epipe",
     {CONNECTED4, CLOSE(S, 1, W(0)), WAIT(C, 0, POLLIN),
      RECV(C, 0, 4, 0, W(0)), SEND(C, 0, "x", 0, W(1)), WAIT(C, 0, POLLERR),
      POLL(C, 0, IN_OUT), SEND(C, 0, "y", 0, W(-EPIPE)),
      SEND(C, 0, "y", 0, W(-EPIPE)), RECV(C, 0, 4, 0, W(0))}},
    {"reset_by_linger0_econnreset",
     {CONNECTED4, LINGER(S, 1, 1, 0, W(0)), CLOSE(S, 1, W(0)),
      WAIT(C, 0, POLLIN), POLL(C, 0, IN_OUT, W(1)),
      RECV(C, 0, 4, 0, W(-ECONNRESET)), RECV(C, 0, 4, 0, W(0)),
      SEND(C, 0, "x", 0, W(-EPIPE)), PEERNAME(C, 0, W(-ENOTCONN)),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0))}},
    {"reset_so_error_taken",
     {CONNECTED4, LINGER(S, 1, 1, 0, W(0)), CLOSE(S, 1, W(0)),
      WAIT(C, 0, POLLIN), GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)), RECV(C, 0, 4, 0, W(0)),
      SEND(C, 0, "x", 0, W(-EPIPE))}},
    {"reset_by_close_with_unread_data",
     {CONNECTED4, SEND(C, 0, "unread", 0, W(6)), WAIT(S, 1, POLLIN),
      CLOSE(S, 1, W(0)), WAIT(C, 0, POLLIN),
      SEND(C, 0, "x", 0, W(-ECONNRESET)), SEND(C, 0, "x", 0, W(-EPIPE))}},
    /* A reset after data: the data is still read first (nginx's stream
     * `return` answers and closes with the request unread). */
    {"reset_after_data_reads_the_data",
     {CONNECTED4, SEND(C, 0, "unread", 0, W(6)), WAIT(S, 1, POLLIN),
      SEND(S, 1, "answer", 0, W(6)), CLOSE(S, 1, W(0)), SLEEP(10),
      POLL(C, 0, POLLIN | POLLRDHUP),
      RECV(C, 0, 16, 0, W(6)), RECV(C, 0, 16, 0, W(-ECONNRESET)),
      RECV(C, 0, 16, 0, W(0))}},
    {"msg_oob",
     {CONNECTED4, RECV(S, 1, 16, MSG_OOB, W(-EINVAL)),
      SEND(C, 0, "u", MSG_OOB, W(1),
           DIFF("urgent data is never kept: send MSG_OOB fails with "
                "EOPNOTSUPP (POSIX.md)"))}},

    /* ---- shutdown, close ---- */
    {"shutdown_errors",
     {TCP4(C, 0), SHUTDOWN(C, 0, 99, W(-EINVAL)),
      SHUTDOWN(C, 0, SHUT_RDWR, W(-ENOTCONN)), UDP4(C, 1),
      SHUTDOWN(C, 1, SHUT_RD, W(-ENOTCONN)),
      SHUTDOWN(C, 1, -1, W(-EINVAL))}},
    {"shutdown_fresh_tcp_poll",
     {TCP4(C, 0), SHUTDOWN(C, 0, SHUT_RDWR, W(-ENOTCONN)),
      POLL(C, 0, IN_OUT)}},
    {"close_twice_ebadf",
     {TCP4(C, 0), CLOSE(C, 0, W(0)), CLOSE(C, 0, W(-EBADF)), EPCREATE(C, 1),
      CLOSE(C, 1, W(0)), CLOSE(C, 1, W(-EBADF))}},

    /* ---- getsockopt, setsockopt ---- */
    {"sockopt_unknown_enoprotoopt",
     {TCP4(C, 0), SETOPT(C, 0, SOL_SOCKET, 9999, 1, W(-ENOPROTOOPT)),
      GETOPT(C, 0, SOL_SOCKET, 9999, W(-ENOPROTOOPT)),
      SETOPT(C, 0, IPPROTO_TCP, 9999, 1, W(-ENOPROTOOPT)),
      GETOPT(C, 0, IPPROTO_TCP, 9999, W(-ENOPROTOOPT)),
      SETOPT(C, 0, IPPROTO_IP, 9999, 1, W(-ENOPROTOOPT)),
      GETOPT(C, 0, IPPROTO_IP, 9999, W(-ENOPROTOOPT)),
      SETOPT(C, 0, 9999, 1, 1, W(-ENOPROTOOPT)),
      GETOPT(C, 0, 9999, 1, W(-EOPNOTSUPP)), TCP6(C, 1),
      GETOPT(C, 1, 9999, 1, W(-ENOPROTOOPT)),
      SETOPT(C, 1, IPPROTO_IPV6, 9999, 1, W(-ENOPROTOOPT)),
      GETOPT(C, 1, IPPROTO_IPV6, 9999, W(-ENOPROTOOPT))}},
    {"sockopt_lengths_efault_einval",
     {TCP4(C, 0), SETOPT(C, 0, SOL_SOCKET, SO_KEEPALIVE, 1, .d = 2,
                         W(-EINVAL)),
      SETOPT(C, 0, SOL_SOCKET, SO_KEEPALIVE, 1, .e = 1, W(-EFAULT)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_NODELAY, 1, .d = 3, W(-EINVAL)),
      GETOPT(C, 0, SOL_SOCKET, SO_TYPE, .c = 2, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_TYPE, .c = LEN0, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_TYPE, .c = -1, W(-EINVAL)),
      GETOPT(C, 0, SOL_SOCKET, SO_TYPE, .d = 1, W(-EFAULT)),
      GETOPT(C, 0, SOL_SOCKET, SO_TYPE, .d = 2, W(-EFAULT)),
      GETOPT(C, 0, IPPROTO_TCP, TCP_NODELAY, .c = 8, W(0)),
      SETOPT(C, 0, SOL_SOCKET, SO_LINGER, 1, W(-EINVAL))}},
    {"sockopt_ip_level_bytes",
     {TCP4(C, 0), GETOPT(C, 0, IPPROTO_IP, IP_TTL, .c = 1, W(0)),
      SETOPT(C, 0, IPPROTO_IP, IP_TTL, 0, W(-EINVAL)),
      SETOPT(C, 0, IPPROTO_IP, IP_TTL, 200, W(0)),
      GETOPT(C, 0, IPPROTO_IP, IP_TTL, W(0)),
      SETOPT(C, 0, IPPROTO_IP, IP_TTL, 33, .d = 1, W(0)),
      GETOPT(C, 0, IPPROTO_IP, IP_TTL, W(0)),
      SETOPT(C, 0, IPPROTO_IP, IP_TOS, 0x13, W(0)),
      GETOPT(C, 0, IPPROTO_IP, IP_TOS, W(0)), UDP4(C, 1),
      SETOPT(C, 1, IPPROTO_IP, IP_TOS, 0x13, W(0)),
      GETOPT(C, 1, IPPROTO_IP, IP_TOS, W(0))}},
    {"sockopt_buffers_doubled",
     {TCP4(C, 0), SETOPT(C, 0, SOL_SOCKET, SO_RCVBUF, 10000, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_RCVBUF, W(0)),
      SETOPT(C, 0, SOL_SOCKET, SO_SNDBUF, 1, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_SNDBUF, W(0)),
      SETOPT(C, 0, SOL_SOCKET, SO_RCVBUF, 1, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_RCVBUF, W(0)), UDP4(C, 1),
      SETOPT(C, 1, SOL_SOCKET, SO_RCVBUF, 4096, W(0)),
      GETOPT(C, 1, SOL_SOCKET, SO_RCVBUF, W(0)),
      SETOPT(C, 1, SOL_SOCKET, SO_SNDBUF, 3000, W(0)),
      GETOPT(C, 1, SOL_SOCKET, SO_SNDBUF, W(0))}},
    {"sockopt_buffer_defaults",
     {TCP4(C, 0),
      GETOPT(C, 0, SOL_SOCKET, SO_RCVBUF, W(0),
             DIFF("unset, TCP reports twice the stack's buffer, Linux "
                  "tcp_rmem[1] (posix-options.md)")),
      GETOPT(C, 0, SOL_SOCKET, SO_SNDBUF, W(0),
             DIFF("unset, TCP reports twice the stack's buffer, Linux "
                  "tcp_wmem[1] (posix-options.md)")),
      UDP4(C, 1), GETOPT(C, 1, SOL_SOCKET, SO_RCVBUF, W(0))}},
    {"sockopt_tcp_nodelay_inherited",
     {TCP4(S, 0), GETOPT(S, 0, IPPROTO_TCP, TCP_NODELAY, W(0)),
      SETOPT(S, 0, IPPROTO_TCP, TCP_NODELAY, 5, W(0)),
      GETOPT(S, 0, IPPROTO_TCP, TCP_NODELAY, W(0)),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 4, W(0)),
      TCP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      ACCEPT(S, 0, 1, 0, W(0)), GETOPT(S, 1, IPPROTO_TCP, TCP_NODELAY, W(0)),
      GETOPT(C, 0, IPPROTO_TCP, TCP_NODELAY, W(0))}},
    {"sockopt_tcp_level_on_udp",
     {UDP4(C, 0), SETOPT(C, 0, IPPROTO_TCP, TCP_NODELAY, 1,
                         W(-ENOPROTOOPT)),
      GETOPT(C, 0, IPPROTO_TCP, TCP_NODELAY, W(-EOPNOTSUPP)), UDP6(C, 1),
      GETOPT(C, 1, IPPROTO_TCP, TCP_NODELAY, W(-ENOPROTOOPT)),
      SETOPT(C, 1, IPPROTO_IP, IP_TOS, 4, W(0),
             DIFF("AF_INET6 UDP sockets refuse IP_TOS: IPV6_TCLASS serves "
                  "both families (posix-options.md)"))}},
    {"sockopt_v6only",
     {TCP6(C, 0), GETOPT(C, 0, IPPROTO_IPV6, IPV6_V6ONLY, W(0)),
      SETOPT(C, 0, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(0)),
      GETOPT(C, 0, IPPROTO_IPV6, IPV6_V6ONLY, W(0)),
      BIND(C, 0, AF_INET6, AD_ANY, PT_0, W(0)),
      SETOPT(C, 0, IPPROTO_IPV6, IPV6_V6ONLY, 0, W(-EINVAL)), TCP4(C, 1),
      SETOPT(C, 1, IPPROTO_IPV6, IPV6_V6ONLY, 1, W(-ENOPROTOOPT)),
      GETOPT(C, 1, IPPROTO_IPV6, IPV6_V6ONLY, W(-EOPNOTSUPP))}},
    {"sockopt_linger_round_trip",
     {TCP4(C, 0), GETOPT(C, 0, SOL_SOCKET, SO_LINGER, .c = 8, W(0)),
      LINGER(C, 0, 1, 5, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_LINGER, .c = 8, W(0)),
      LINGER(C, 0, 0, 7, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_LINGER, .c = 8, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_LINGER, .c = 4, W(0))}},
    {"sockopt_keepalive_ranges",
     {TCP4(C, 0), SETOPT(C, 0, IPPROTO_TCP, TCP_KEEPIDLE, 0, W(-EINVAL)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_KEEPIDLE, 32768, W(-EINVAL)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_KEEPIDLE, 60, W(0)),
      GETOPT(C, 0, IPPROTO_TCP, TCP_KEEPIDLE, W(0)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_KEEPCNT, 128, W(-EINVAL)),
      GETOPT(C, 0, IPPROTO_TCP, TCP_KEEPCNT, W(0)),
      GETOPT(C, 0, IPPROTO_TCP, TCP_KEEPINTVL, W(0)),
      SETOPT(C, 0, SOL_SOCKET, SO_KEEPALIVE, 7, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_KEEPALIVE, W(0)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_USER_TIMEOUT, -1, W(-EINVAL))}},
    {"sockopt_maxseg_congestion",
     {TCP4(C, 0), GETOPT(C, 0, IPPROTO_TCP, TCP_MAXSEG, W(0)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_CONGESTION, 0, .str = "reno", W(0)),
      GETOPT(C, 0, IPPROTO_TCP, TCP_CONGESTION, .c = 5, W(0)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_CONGESTION, 0, .str = "nosuch",
             W(-ENOENT)),
      SETOPT(C, 0, IPPROTO_TCP, TCP_MAXSEG, 1000, W(0),
             DIFF("znet has no MSS clamp: TCP_MAXSEG cannot be set "
                  "(posix-options.md)"))}},
    {"sockopt_ipv6_tclass_hops",
     {TCP6(C, 0), GETOPT(C, 0, IPPROTO_IPV6, IPV6_UNICAST_HOPS, W(0)),
      SETOPT(C, 0, IPPROTO_IPV6, IPV6_TCLASS, 0x20, W(0)),
      GETOPT(C, 0, IPPROTO_IPV6, IPV6_TCLASS, W(0)),
      SETOPT(C, 0, IPPROTO_IPV6, IPV6_TCLASS, 256, W(-EINVAL)),
      SETOPT(C, 0, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9, W(0)),
      GETOPT(C, 0, IPPROTO_IPV6, IPV6_UNICAST_HOPS, W(0)),
      SETOPT(C, 0, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1, W(0)),
      GETOPT(C, 0, IPPROTO_IPV6, IPV6_UNICAST_HOPS, W(0)),
      SETOPT(C, 0, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 256, W(-EINVAL))}},

    /* ---- poll ---- */
    {"poll_fresh_sockets",
     {TCP4(C, 0), POLL(C, 0, IN_OUT, W(1)), UDP4(C, 1),
      POLL(C, 1, IN_OUT, W(1)), TCP6(C, 2), POLL(C, 2, POLLIN, W(1))}},
    {"poll_listening",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), POLL(S, 0, IN_OUT, W(0)), TCP4(C, 0),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      POLL(S, 0, IN_OUT, W(1)), ACCEPT(S, 0, 1, 0, W(0)),
      POLL(S, 0, IN_OUT, W(0))}},
    {"poll_connected_and_readable",
     {CONNECTED4, POLL(C, 0, IN_OUT, W(1)), POLL(S, 1, IN_OUT, W(1)),
      SEND(S, 1, "x", 0, W(1)), POLL(C, 0, IN_OUT, W(1)),
      POLL(C, 0, POLLIN, W(1)), RECV(C, 0, 4, 0, W(1)),
      POLL(C, 0, POLLIN, W(0))}},
    {"poll_rcvlowat",
     {CONNECTED4, SETOPT(S, 1, IPPROTO_TCP, TCP_NODELAY, 1, W(0)),
      SETOPT(C, 0, SOL_SOCKET, SO_RCVLOWAT, 4, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_RCVLOWAT, W(0)), SEND(S, 1, "ab", 0, W(2)),
      POLL(C, 0, POLLIN, W(0)), SEND(S, 1, "cd", 0, W(2)),
      POLL(C, 0, POLLIN, W(1)), RECV(C, 0, 16, 0, W(4))}},

    /* ---- epoll ---- */
    {"epoll_ctl_errors",
     {EPCREATE(C, 1), TCP4(C, 0), TCP4(C, 2),
      EPCTL(C, 1, EPOLL_CTL_ADD, 0, EPOLLIN, W(0)),
      EPCTL(C, 1, EPOLL_CTL_ADD, 0, EPOLLIN, W(-EEXIST)),
      EPCTL(C, 1, EPOLL_CTL_MOD, 2, EPOLLIN, W(-ENOENT)),
      EPCTL(C, 1, EPOLL_CTL_DEL, 2, 0, W(-ENOENT)),
      EPCTL(C, 1, 99, 0, EPOLLIN, W(-EINVAL)),
      EPCTL(C, 1, EPOLL_CTL_ADD, 1, EPOLLIN, W(-EINVAL)),
      EPCTL(C, 0, EPOLL_CTL_ADD, 2, EPOLLIN, W(-EINVAL)),
      EPCTL(C, SL_BAD, EPOLL_CTL_ADD, 2, EPOLLIN, W(-EBADF)),
      EPCTL(C, 1, EPOLL_CTL_ADD, SL_BAD, EPOLLIN, W(-EBADF)),
      EPCTL(C, 1, EPOLL_CTL_ADD, 2, 0, .c = 1, W(-EFAULT)),
      EPCTL(C, 1, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLEXCLUSIVE, W(-EINVAL)),
      EPCTL(C, 1, EPOLL_CTL_DEL, 0, 0, W(0)),
      EPCTL(C, 1, EPOLL_CTL_DEL, 0, 0, W(-ENOENT))}},
    {"epoll_wait_errors",
     {EPCREATE(C, 1), TCP4(C, 0), EPWAIT(C, 0, 4, W(-EINVAL)),
      EPWAIT(C, 1, 0, W(-EINVAL)), EPWAIT(C, SL_BAD, 4, W(-EBADF)),
      EPWAIT(C, 1, 4, W(0)), EPCREATE(C, 2, .a = 1234, W(-EINVAL))}},
    {"epoll_fresh_and_listening",
     {EPCREATE(S, 2), TCP4(S, 0), EPCTL(S, 2, EPOLL_CTL_ADD, 0,
                                        EPOLLIN | EPOLLOUT, W(0)),
      EPWAIT(S, 2, 4, W(1)), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), EPWAIT(S, 2, 4, W(0)), TCP4(C, 0),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)), EPWAIT(S, 2, 4, W(1))}},
    {"epoll_level_edge_oneshot",
     {CONNECTED4, EPCREATE(C, 2),
      EPCTL(C, 2, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLOUT, W(0)),
      EPWAIT(C, 2, 4, W(1)), SEND(S, 1, "x", 0, W(1)), EPWAIT(C, 2, 4, W(1)),
      EPWAIT(C, 2, 4, W(1)),
      EPCTL(C, 2, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLET, W(0)),
      EPWAIT(C, 2, 4, W(1)), EPWAIT(C, 2, 4, W(0)),
      EPCTL(C, 2, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLONESHOT, W(0)),
      EPWAIT(C, 2, 4, W(1)), EPWAIT(C, 2, 4, W(0)),
      SEND(S, 1, "y", 0, W(1)), EPWAIT(C, 2, 4, W(0)),
      EPCTL(C, 2, EPOLL_CTL_MOD, 0, EPOLLIN, W(0)), EPWAIT(C, 2, 4, W(1))}},
    /* The peer's data and its FIN in before a look: EPOLLRDHUP at once
     * (nginx reading an upstream edge-triggered waits for no other
     * edge). */
    {"poll_data_then_fin",
     {CONNECTED4, SEND(S, 1, "data", 0, W(4)), SHUTDOWN(S, 1, SHUT_WR, W(0)),
      WAIT(C, 0, POLLIN), POLL(C, 0, POLLIN | POLLRDHUP, W(1)),
      RECV(C, 0, 2, 0, W(2)), POLL(C, 0, POLLIN | POLLRDHUP, W(1)),
      RECV(C, 0, 16, 0, W(2)), POLL(C, 0, POLLIN | POLLRDHUP, W(1)),
      RECV(C, 0, 16, 0, W(0))}},
    {"epoll_edge_data_then_fin",
     {CONNECTED4, EPCREATE(C, 2),
      EPCTL(C, 2, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLRDHUP | EPOLLET, W(0)),
      SEND(S, 1, "data", 0, W(4)), SHUTDOWN(S, 1, SHUT_WR, W(0)),
      WAIT(C, 0, POLLIN), EPWAIT(C, 2, 4, W(1)), RECV(C, 0, 2, 0, W(2)),
      EPWAIT(C, 2, 4, W(0)), RECV(C, 0, 16, 0, W(2)), RECV(C, 0, 16, 0, W(0))}},
    {"epoll_half_closed_and_reset",
     {CONNECTED4, EPCREATE(C, 2),
      EPCTL(C, 2, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLRDHUP, W(0)),
      EPWAIT(C, 2, 4, W(0)), SHUTDOWN(S, 1, SHUT_WR, W(0)),
      EPWAIT(C, 2, 4, W(1)), LINGER(S, 1, 1, 0, W(0)), CLOSE(S, 1, W(0)),
      WAIT(C, 0, POLLERR), EPWAIT(C, 2, 4, W(1))}},

    /* ---- names ---- */
    {"names_fresh_and_short_length",
     {TCP4(C, 0), SOCKNAME(C, 0, W(0)), PEERNAME(C, 0, W(-ENOTCONN)),
      SOCKNAME(C, 0, .a = 4, W(0)), TCP6(C, 1), SOCKNAME(C, 1, W(0)),
      UDP4(C, 2), SOCKNAME(C, 2, W(0)), PEERNAME(C, 2, W(-ENOTCONN))}},
    {"names_connected4",
     {CONNECTED4, SOCKNAME(C, 0, W(0)), PEERNAME(C, 0, W(0)),
      SOCKNAME(S, 1, W(0)), PEERNAME(S, 1, W(0)), SOCKNAME(S, 0, W(0)),
      PEERNAME(S, 0, W(-ENOTCONN)), PEERNAME(S, 1, .a = 2, W(0))}},
    {"names_after_peer_fin",
     {CONNECTED4, SHUTDOWN(S, 1, SHUT_WR, W(0)), RECV(C, 0, 4, 0, W(0)),
      PEERNAME(C, 0, W(0)), CLOSE(S, 1, W(0)), SLEEP(10),
      PEERNAME(C, 0, W(0))}},

    /* ---- more corners ---- */
    {"sendto_address_ignored_by_tcp",
     {CONNECTED4, SEND(C, 0, "hello", 0, AT(AF_INET, AD_SRV, PT_Q), W(5)),
      RECV(S, 1, 16, 0, W(5)), TCP4(C, 1),
      SEND(C, 1, "x", 0, AT(AF_INET, AD_SRV, PT_P), W(-EPIPE))}},
    {"accept_short_address_length",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, -1, W(0)), TCP4(C, 0),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)), ACCEPT(S, 0, 1, 0, W(0)),
      PEERNAME(S, 1, .a = 4, W(0)), SOCKNAME(S, 1, .a = 0, W(0))}},
    {"listener_stopped_refuses",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), SHUTDOWN(S, 0, SHUT_RDWR, W(0)), TCP4(C, 0),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(-ECONNREFUSED)),
      POLL(S, 0, IN_OUT)}},
    {"listener_closed_with_pending_resets",
     {TCP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      LISTEN(S, 0, 4, W(0)), TCP4(C, 0),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)), CLOSE(S, 0, W(0)),
      WAIT(C, 0, POLLIN), RECV(C, 0, 4, 0, W(-ECONNRESET)),
      RECV(C, 0, 4, 0, W(0))}},
    {"poll_no_events_asked",
     {TCP4(C, 3), POLL(C, 3, 0, W(1)), CONNECTED4, POLL(C, 0, 0, W(0)),
      SHUTDOWN(S, 1, SHUT_RDWR, W(0)), SHUTDOWN(C, 0, SHUT_WR, W(0)),
      POLL(C, 0, 0, W(1))}},
    {"udp_connected_filters_other_sources",
     {UDP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), UDP4(C, 0),
      BIND(C, 0, AF_INET, AD_ANY, PT_Q, W(0)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)), UDP4(S, 1),
      SEND(S, 1, "stranger", 0, AT(AF_INET, AD_CLI, PT_Q), W(8)),
      RECV(C, 0, 16, MSG_DONTWAIT, W(-EAGAIN)),
      SEND(S, 0, "peer", 0, AT(AF_INET, AD_CLI, PT_Q), W(4)),
      RECV(C, 0, 16, MSG_DONTWAIT, W(4))}},
    {"udp_so_error_after_refused",
     {UDP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(0)),
      SEND(C, 0, "x", 0, W(1)), WAIT(C, 0, POLLIN),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_ERROR, W(0)),
      SEND(C, 0, "x", 0, W(1))}},
    {"tcp_getsockopt_timeouts_default",
     {TCP4(C, 0), GETOPT(C, 0, SOL_SOCKET, SO_RCVTIMEO, .c = 16, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_SNDTIMEO, .c = 16, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_RCVTIMEO, .c = 8, W(0))}},
    {"recv_after_close_of_own_write_side_and_peer",
     {CONNECTED6, SEND(S, 1, "tail", 0, W(4)), SHUTDOWN(S, 1, SHUT_WR, W(0)),
      RECV(C, 0, 2, 0, W(2)), RECV(C, 0, 16, 0, W(2)),
      RECV(C, 0, 16, 0, W(0)), SEND(C, 0, "ok", 0, W(2)),
      RECV(S, 1, 16, 0, W(2)), CLOSE(C, 0, W(0)), RECV(S, 1, 16, 0, W(0))}},

    {"recvfrom_names",
     {CONNECTED4, SEND(C, 0, "tcp", 0, W(3)), RECV(S, 1, 16, 0, .c = 1, W(3)),
      UDP4(S, 2), BIND(S, 2, AF_INET, AD_ANY, PT_Q, W(0)), UDP6(C, 1),
      SEND(C, 1, "udp", 0, AT(AF_INET6, AD_SRV_MAPPED, PT_Q), W(3)),
      RECV(S, 2, 16, 0, .c = 1, W(3)), UDP4(C, 2),
      CONNECT(C, 2, AF_INET, AD_SRV, PT_P, W(0)),
      SHUTDOWN(C, 2, SHUT_RD, W(0)), RECV(C, 2, 16, 0, .c = 1, W(0))}},

    {"options_inherited_by_accept",
     {TCP4(S, 0), SETOPT(S, 0, SOL_SOCKET, SO_RCVBUF, 20000, W(0)),
      SETOPT(S, 0, SOL_SOCKET, SO_KEEPALIVE, 1, W(0)),
      SETOPT(S, 0, IPPROTO_TCP, TCP_KEEPIDLE, 99, W(0)),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), LISTEN(S, 0, 4, W(0)),
      TCP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      ACCEPT(S, 0, 1, 0, W(0)), GETOPT(S, 1, SOL_SOCKET, SO_RCVBUF, W(0)),
      GETOPT(S, 1, SOL_SOCKET, SO_KEEPALIVE, W(0)),
      GETOPT(S, 1, IPPROTO_TCP, TCP_KEEPIDLE, W(0)),
      GETOPT(S, 1, SOL_SOCKET, SO_ACCEPTCONN, W(0))}},
    {"recv_waitall_dontwait_partial",
     {CONNECTED4, SEND(C, 0, "abc", 0, W(3)),
      RECV(S, 1, 10, MSG_WAITALL | MSG_DONTWAIT, W(3)),
      RECV(S, 1, 10, MSG_WAITALL | MSG_DONTWAIT, W(-EAGAIN))}},
    {"connect_port_zero_refused",
     {TCP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_0, W(-ECONNREFUSED))}},
    {"epoll_close_drops_registration",
     {EPCREATE(C, 1), TCP4(C, 0),
      EPCTL(C, 1, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLOUT, W(0)),
      EPWAIT(C, 1, 4, W(1)), CLOSE(C, 0, W(0)), EPWAIT(C, 1, 4, W(0))}},
    {"udp_zero_length_datagram",
     {UDP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), UDP4(C, 0),
      SEND(C, 0, "", 0, AT(AF_INET, AD_SRV, PT_P), W(0)),
      POLL(S, 0, IN_OUT, W(1)), IOCTL(S, 0, FIONREAD, W(0)),
      RECV(S, 0, 16, 0, .c = 1, W(0)),
      RECV(S, 0, 16, MSG_DONTWAIT, W(-EAGAIN))}},

    /* ---- UDP ---- */
    {"udp_edestaddrreq_and_exchange",
     {UDP4(C, 0), SEND(C, 0, "x", 0, W(-EDESTADDRREQ)), UDP4(S, 0),
      BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)),
      SEND(C, 0, "hello", 0, AT(AF_INET, AD_SRV, PT_P), W(5)),
      RECV(S, 0, 16, 0, W(5)), SOCKNAME(C, 0, W(0)),
      SEND(C, 0, "x", 0, AT(AF_INET, AD_SRV, PT_0), W(-EINVAL)),
      SEND(C, 0, "x", 0, AT(AF_INET6, AD_SRV, PT_P), W(-EAFNOSUPPORT))}},
    {"udp_trunc_peek_fionread",
     {UDP4(S, 0), BIND(S, 0, AF_INET, AD_ANY, PT_P, W(0)), UDP4(C, 0),
      SEND(C, 0, "hello world", 0, AT(AF_INET, AD_SRV, PT_P), W(11)),
      SEND(C, 0, "ab", 0, AT(AF_INET, AD_SRV, PT_P), W(2)),
      IOCTL(S, 0, FIONREAD, W(0)), RECV(S, 0, 5, MSG_PEEK, W(5)),
      RECV(S, 0, 5, MSG_TRUNC, W(11)), RECV(S, 0, 16, 0, W(2)),
      RECV(S, 0, 16, MSG_DONTWAIT, W(-EAGAIN)), IOCTL(S, 0, FIONREAD, W(0))}},
    {"udp_connected_refused",
     {UDP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_Q, W(0)),
      SEND(C, 0, "x", 0, W(1)), WAIT(C, 0, POLLIN), POLL(C, 0, IN_OUT),
      RECV(C, 0, 4, MSG_DONTWAIT, W(-ECONNREFUSED)),
      RECV(C, 0, 4, MSG_DONTWAIT, W(-EAGAIN))}},
    {"udp_msg_more",
     {UDP4(C, 0), CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      SEND(C, 0, "x", MSG_MORE, W(1),
           DIFF("MSG_MORE on UDP: EOPNOTSUPP (POSIX.md)"))}},
    {"udp_shutdown",
     {UDP4(C, 0), SHUTDOWN(C, 0, SHUT_RDWR, W(-ENOTCONN)),
      CONNECT(C, 0, AF_INET, AD_SRV, PT_P, W(0)),
      SHUTDOWN(C, 0, SHUT_WR, W(0)), SEND(C, 0, "x", 0, W(-EPIPE)),
      POLL(C, 0, IN_OUT), SHUTDOWN(C, 0, SHUT_RD, W(0)),
      POLL(C, 0, IN_OUT), RECV(C, 0, 4, MSG_DONTWAIT, W(-EAGAIN))}},
    {"udp_broadcast_eacces_emsgsize",
     {UDP4(C, 0), SEND(C, 0, "x", 0, AT(AF_INET, AD_BCAST, PT_P),
                       W(-EACCES)),
      SETOPT(C, 0, SOL_SOCKET, SO_BROADCAST, 1, W(0)),
      GETOPT(C, 0, SOL_SOCKET, SO_BROADCAST, W(0)),
      SEND(C, 0, "x", 0, AT(AF_INET, AD_SRV, PT_P), .b = 65508,
           W(-EMSGSIZE))}},
    {"udp_dual_stack_receives_v4",
     {UDP6(S, 0), BIND(S, 0, AF_INET6, AD_ANY, PT_P, W(0)), UDP4(C, 0),
      SEND(C, 0, "hi", 0, AT(AF_INET, AD_SRV, PT_P), W(2)),
      RECV(S, 0, 16, 0, W(2)), UDP6(C, 1),
      SEND(C, 1, "v6", 0, AT(AF_INET6, AD_SRV, PT_P), W(2)),
      RECV(S, 0, 16, 0, W(2))}},
};

/* ---- a run ---- */

struct res {
  long rc;        /* the return value, or -errno */
  char det[160];  /* what the call wrote out, in words */
};

struct run {
  bool kern;
  int fd[2][NSLOT + 1];
  uint16_t p, q;  /* the ports PT_P and PT_Q */
  const char *srv4, *cli4, *srv6, *cli6;
};

static struct px_pair X;

static struct zn_posix *layer(int side) { return side == C ? X.pa : X.pb; }

static long kr(long rc) { return rc < 0 ? -errno : rc; }

static uint16_t port_of(const struct run *r, uint8_t pt) {
  return pt == PT_P ? r->p : pt == PT_Q ? r->q : 0;
}

/* The step's address in this run. */
static socklen_t make_addr(const struct run *r, const struct step *st,
                           struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  bool six = st->fam == AF_INET6;
  const char *txt = NULL;
  switch (st->addr) {
  case AD_ANY:
    txt = six ? "::" : "0.0.0.0";
    break;
  case AD_SRV:
    txt = six ? r->srv6 : r->srv4;
    break;
  case AD_CLI:
    txt = six ? r->cli6 : r->cli4;
    break;
  case AD_SRV_MAPPED:
    txt = r->srv4;
    break;
  case AD_FOREIGN:
    txt = six ? "2001:db8::99" : "192.0.2.1";
    break;
  case AD_BCAST:
    txt = "255.255.255.255";
    break;
  }
  uint16_t port = htons(port_of(r, st->port));
  socklen_t n;
  if (six) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = port;
    if (st->addr == AD_SRV_MAPPED) {
      char m[64];
      snprintf(m, sizeof(m), "::ffff:%s", txt);
      inet_pton(AF_INET6, m, &s6->sin6_addr);
    } else {
      inet_pton(AF_INET6, txt, &s6->sin6_addr);
    }
    n = sizeof(*s6);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = (sa_family_t)st->fam;
    s4->sin_port = port;
    inet_pton(AF_INET, txt, &s4->sin_addr);
    n = sizeof(*s4);
  }
  return st->len ? st->len : n;
}

/* An address as words both runs agree on: family, whose address (this
 * side's, the other side's, any; `peer` asks to try the other side's
 * first, as the kernel's two sides share 127.0.0.1), whose port. */
static void addr_words(const struct run *r, int side, bool peer,
                       const struct sockaddr_storage *ss, socklen_t len,
                       char *out, size_t n) {
  char txt[INET6_ADDRSTRLEN] = "?";
  const char *fam = "?";
  uint16_t port = 0;
  bool mapped = false;
  const char *self = NULL, *other = NULL;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const void *)ss;
    inet_ntop(AF_INET, &s4->sin_addr, txt, sizeof(txt));
    port = ntohs(s4->sin_port);
    fam = "in";
    self = side == C ? r->cli4 : r->srv4;
    other = side == C ? r->srv4 : r->cli4;
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const void *)ss;
    port = ntohs(s6->sin6_port);
    fam = "in6";
    if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
      mapped = true;
      inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, txt, sizeof(txt));
      self = side == C ? r->cli4 : r->srv4;
      other = side == C ? r->srv4 : r->cli4;
    } else {
      inet_ntop(AF_INET6, &s6->sin6_addr, txt, sizeof(txt));
      self = side == C ? r->cli6 : r->srv6;
      other = side == C ? r->srv6 : r->cli6;
    }
  }
  const char *who = "?";
  if (!strcmp(txt, "0.0.0.0") || !strcmp(txt, "::"))
    who = "any";
  else if (self && peer && !strcmp(txt, other))
    who = "other";
  else if (self && !strcmp(txt, self))
    who = "self";
  else if (self && !strcmp(txt, other))
    who = "other";
  else
    who = txt;
  char pt[16];
  if (port == 0)
    snprintf(pt, sizeof(pt), "0");
  else if (port == r->p)
    snprintf(pt, sizeof(pt), "P");
  else if (port == r->q)
    snprintf(pt, sizeof(pt), "Q");
  else
    snprintf(pt, sizeof(pt), "ephemeral");
  snprintf(out, n, "%s:%s%s:%s len=%u", fam, mapped ? "mapped-" : "", who, pt,
           (unsigned)len);
}

static void events_words(uint32_t ev, char *out, size_t n) {
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {{POLLIN, "IN"},       {POLLPRI, "PRI"},
               {POLLOUT, "OUT"},     {POLLERR, "ERR"},
               {POLLHUP, "HUP"},     {POLLNVAL, "NVAL"},
               {POLLRDNORM, "RDNORM"}, {POLLWRNORM, "WRNORM"},
               {POLLRDHUP, "RDHUP"}};
  size_t k = 0;
  out[0] = 0;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (!(ev & names[i].bit))
      continue;
    k += (size_t)snprintf(out + k, n - k, "%s%s", k ? "|" : "", names[i].name);
    if (k >= n)
      return;
    ev &= ~names[i].bit;
  }
  if (ev)
    snprintf(out + k, n - k, "%s0x%x", k ? "|" : "", ev);
  else if (!k)
    snprintf(out, n, "0");
}

static void bytes_words(const uint8_t *p, size_t len, char *out, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < len && k + 4 < n; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f)
      out[k++] = (char)p[i];
    else
      k += (size_t)snprintf(out + k, n - k, "\\x%02x", p[i]);
  }
  out[k] = 0;
}

/* ---- the calls, on either side ---- */

static int fd_of(const struct run *r, int side, int slot) {
  if (slot == SL_BAD)
    return 999;
  return r->fd[side][slot];
}

/* Put a new descriptor in its slot; answer "a descriptor". */
static long keep_fd(struct run *r, int side, int slot, long rc) {
  if (rc < 0)
    return rc;
  r->fd[side][slot] = (int)rc;
  return 0;
}

static long call_socket(struct run *r, const struct step *st) {
  long rc = r->kern ? kr(socket((int)st->a, (int)st->b, (int)st->c))
                    : zn_posix_socket(layer(st->side), (int)st->a, (int)st->b,
                                      (int)st->c);
  return keep_fd(r, st->side, st->s, rc);
}

static long call_addr(struct run *r, const struct step *st, int fd) {
  struct sockaddr_storage ss;
  socklen_t n = make_addr(r, st, &ss);
  const struct sockaddr *sa = (const struct sockaddr *)&ss;
  struct zn_posix *px = layer(st->side);
  if (st->op == OP_BIND)
    return r->kern ? kr(bind(fd, sa, n)) : zn_posix_bind(px, fd, sa, n);
  return r->kern ? kr(connect(fd, sa, n)) : zn_posix_connect(px, fd, sa, n);
}

static long call_accept(struct run *r, const struct step *st, int fd,
                        struct res *out) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t n = sizeof(ss);
  struct sockaddr *sa = (struct sockaddr *)&ss;
  long rc = r->kern ? kr(accept4(fd, sa, &n, (int)st->a))
                    : zn_posix_accept4(layer(st->side), fd, sa, &n,
                                       (int)st->a);
  if (rc >= 0)
    addr_words(r, st->side, true, &ss, n, out->det, sizeof(out->det));
  return keep_fd(r, st->side, st->t, rc);
}

static long call_send(struct run *r, const struct step *st, int fd) {
  size_t len = st->b ? (size_t)st->b : strlen(st->str ? st->str : "");
  if (st->b < 0)
    len = 0;
  static char buf[70000];
  memset(buf, 'x', len < sizeof(buf) ? len : sizeof(buf));
  if (st->str)
    memcpy(buf, st->str, strlen(st->str) < len ? strlen(st->str) : len);
  struct sockaddr_storage ss;
  socklen_t n = 0;
  if (st->fam)
    n = make_addr(r, st, &ss);
  const struct sockaddr *sa = st->fam ? (const struct sockaddr *)&ss : NULL;
  int fl = (int)st->a | MSG_NOSIGNAL;
  if (r->kern)
    return kr(sendto(fd, buf, len, fl, sa, n));
  return zn_posix_sendto(layer(st->side), fd, buf, len, fl, sa, n);
}

static long call_recv(struct run *r, const struct step *st, int fd,
                      struct res *out) {
  uint8_t buf[2048];
  memset(buf, 0, sizeof(buf));
  struct iovec iov = {buf, (size_t)st->a};
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  struct sockaddr_storage from;
  memset(&from, 0, sizeof(from));
  if (st->c == 1) { /* recvfrom's name */
    m.msg_name = &from;
    m.msg_namelen = sizeof(from);
  }
  long rc = r->kern ? kr(recvmsg(fd, &m, (int)st->b))
                    : zn_posix_recvmsg(layer(st->side), fd, &m, (int)st->b);
  if (rc >= 0) {
    char d[100];
    size_t got = (size_t)rc < (size_t)st->a ? (size_t)rc : (size_t)st->a;
    bytes_words(buf, got, d, sizeof(d));
    char name[64] = "";
    if (st->c == 1 && m.msg_namelen)
      addr_words(r, st->side, true, &from, m.msg_namelen, name, sizeof(name));
    else if (st->c == 1)
      snprintf(name, sizeof(name), "none");
    snprintf(out->det, sizeof(out->det), "\"%s\" flags=0x%x%s%s", d,
             (unsigned)m.msg_flags, name[0] ? " from " : "", name);
  }
  return rc;
}

static long call_getsockopt(struct run *r, const struct step *st, int fd,
                            struct res *out) {
  uint8_t val[256];
  memset(val, 0xaa, sizeof(val));
  socklen_t len = st->c == LEN0 ? 0
                 : st->c    ? (socklen_t)st->c
                            : (socklen_t)sizeof(int);
  void *v = st->d == 1 ? NULL : val;
  socklen_t *l = st->d == 2 ? NULL : &len;
  long rc = r->kern
                ? kr(getsockopt(fd, (int)st->a, (int)st->b, v, l))
                : zn_posix_getsockopt(layer(st->side), fd, (int)st->a,
                                      (int)st->b, v, l);
  if (rc < 0)
    return rc;
  if (len == sizeof(int)) {
    int i;
    memcpy(&i, val, sizeof(i));
    snprintf(out->det, sizeof(out->det), "len=4 %d", i);
  } else if (len == sizeof(struct linger) && st->b == SO_LINGER) {
    struct linger lg;
    memcpy(&lg, val, sizeof(lg));
    snprintf(out->det, sizeof(out->det), "len=8 on=%d linger=%d", lg.l_onoff,
             lg.l_linger);
  } else {
    char d[100];
    bytes_words(val, len < 24 ? len : 24, d, sizeof(d));
    snprintf(out->det, sizeof(out->det), "len=%u \"%s\"", (unsigned)len, d);
  }
  return rc;
}

static long call_setsockopt(struct run *r, const struct step *st, int fd) {
  int v = (int)st->c;
  const void *val = &v;
  socklen_t len = st->d ? (socklen_t)st->d : sizeof(int);
  if (st->str) {
    val = st->str;
    len = st->d ? (socklen_t)st->d : (socklen_t)strlen(st->str);
  }
  if (st->e == 1)
    val = NULL;
  if (r->kern)
    return kr(setsockopt(fd, (int)st->a, (int)st->b, val, len));
  return zn_posix_setsockopt(layer(st->side), fd, (int)st->a, (int)st->b, val,
                             len);
}

static long call_linger(struct run *r, const struct step *st, int fd) {
  struct linger lg = {(int)st->a, (int)st->b};
  if (r->kern)
    return kr(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
  return zn_posix_setsockopt(layer(st->side), fd, SOL_SOCKET, SO_LINGER, &lg,
                             sizeof(lg));
}

static long call_poll(struct run *r, const struct step *st, int fd,
                      struct res *out) {
  struct pollfd p = {fd, (short)st->a, 0};
  long rc;
  if (r->kern) {
    rc = kr(poll(&p, 1, (int)st->b));
  } else {
    struct timespec t = {st->b / 1000, (st->b % 1000) * 1000000};
    rc = zn_posix_ppoll(layer(st->side), &p, 1, &t, NULL);
  }
  if (rc >= 0)
    events_words((uint16_t)p.revents, out->det, sizeof(out->det));
  return rc;
}

static long call_epoll_ctl(struct run *r, const struct step *st, int ep) {
  int fd = fd_of(r, st->side, st->t);
  struct epoll_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.events = (uint32_t)st->b;
  ev.data.u64 = (uint64_t)st->t;
  struct epoll_event *e = st->c == 1 ? NULL : &ev;
  if (r->kern)
    return kr(epoll_ctl(ep, (int)st->a, fd, e));
  return zn_posix_epoll_ctl(layer(st->side), ep, (int)st->a, fd, e);
}

static long call_epoll_wait(struct run *r, const struct step *st, int ep,
                            struct res *out) {
  struct epoll_event evs[8];
  memset(evs, 0, sizeof(evs));
  int max = (int)st->a;
  long rc = r->kern ? kr(epoll_wait(ep, evs, max, (int)st->b))
                    : zn_posix_epoll_pwait(layer(st->side), ep, evs, max,
                                           (int)st->b, NULL);
  size_t k = 0;
  for (long i = 0; i < rc && i < 8 && k < sizeof(out->det); i++) {
    char w[80];
    events_words(evs[i].events, w, sizeof(w));
    k += (size_t)snprintf(out->det + k, sizeof(out->det) - k, "%s%u:%s",
                          i ? " " : "", (unsigned)evs[i].data.u64, w);
  }
  return rc;
}

static long call_ioctl(struct run *r, const struct step *st, int fd,
                       struct res *out) {
  int v = (int)st->b;
  void *arg = st->c == 1 ? NULL : &v;
  long rc = r->kern ? kr(ioctl(fd, (unsigned long)st->a, arg))
                    : zn_posix_ioctl(layer(st->side), fd,
                                     (unsigned long)st->a, arg);
  if (rc >= 0)
    snprintf(out->det, sizeof(out->det), "%d", v);
  return rc;
}

static long call_name(struct run *r, const struct step *st, int fd,
                      struct res *out) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t n = st->a ? (socklen_t)st->a : sizeof(ss);
  struct sockaddr *sa = (struct sockaddr *)&ss;
  bool peer = st->op == OP_GETPEERNAME;
  long rc;
  if (r->kern)
    rc = kr(peer ? getpeername(fd, sa, &n) : getsockname(fd, sa, &n));
  else if (peer)
    rc = zn_posix_getpeername(layer(st->side), fd, sa, &n);
  else
    rc = zn_posix_getsockname(layer(st->side), fd, sa, &n);
  if (rc >= 0)
    addr_words(r, st->side, peer, &ss, n, out->det, sizeof(out->det));
  return rc;
}

/* WAIT: the kernel's side waits for the condition (bounded); znet's runs
 * both stacks for as long (in virtual time). */
static void wait_for(struct run *r, const struct step *st, int fd) {
  if (r->kern) {
    struct pollfd p = {fd, (short)st->a, 0};
    poll(&p, 1, 1000);
  } else {
    pxp_run(&X, (uint64_t)(st->b ? st->b : 50) * 1000000u);
  }
}

/* As a host does: what the layer leaves to the host's descriptor
 * (-ENOSYS) goes to the kernel. */
static long znet_fcntl(struct zn_posix *px, const struct step *st, int fd) {
  long rc = zn_posix_fcntl(px, fd, (int)st->a, st->b);
  return rc == -ENOSYS ? kr(fcntl(fd, (int)st->a, st->b)) : rc;
}

static long call(struct run *r, const struct step *st, struct res *out) {
  int fd = fd_of(r, st->side, st->s);
  struct zn_posix *px = layer(st->side);
  switch (st->op) {
  case OP_SOCKET:
    return call_socket(r, st);
  case OP_BIND:
  case OP_CONNECT:
    return call_addr(r, st, fd);
  case OP_LISTEN:
    return r->kern ? kr(listen(fd, (int)st->a))
                   : zn_posix_listen(px, fd, (int)st->a);
  case OP_ACCEPT:
    return call_accept(r, st, fd, out);
  case OP_SEND:
    return call_send(r, st, fd);
  case OP_RECV:
    return call_recv(r, st, fd, out);
  case OP_SHUTDOWN:
    return r->kern ? kr(shutdown(fd, (int)st->a))
                   : zn_posix_shutdown(px, fd, (int)st->a);
  case OP_CLOSE:
    if (st->s != SL_BAD)
      r->fd[st->side][st->s] = -1;
    return r->kern ? kr(close(fd)) : zn_posix_close(px, fd);
  case OP_GETSOCKOPT:
    return call_getsockopt(r, st, fd, out);
  case OP_SETSOCKOPT:
    return call_setsockopt(r, st, fd);
  case OP_LINGER:
    return call_linger(r, st, fd);
  case OP_POLL:
    return call_poll(r, st, fd, out);
  case OP_EPOLL_CREATE:
    return keep_fd(r, st->side, st->s,
                   r->kern ? kr(epoll_create1((int)st->a))
                           : zn_posix_epoll_create1(px, (int)st->a));
  case OP_EPOLL_CTL:
    return call_epoll_ctl(r, st, fd);
  case OP_EPOLL_WAIT:
    return call_epoll_wait(r, st, fd, out);
  case OP_FCNTL:
    return r->kern ? kr(fcntl(fd, (int)st->a, st->b)) : znet_fcntl(px, st, fd);
  case OP_IOCTL:
    return call_ioctl(r, st, fd, out);
  case OP_GETSOCKNAME:
  case OP_GETPEERNAME:
    return call_name(r, st, fd, out);
  case OP_WAIT:
    wait_for(r, st, fd);
    return 0;
  case OP_SLEEP:
    if (r->kern)
      usleep((useconds_t)st->a * 1000u);
    else
      pxp_run(&X, (uint64_t)st->a * 1000000u);
    return 0;
  }
  return 0;
}

/* A blocking kernel call the table got wrong must not hang the test: an
 * alarm interrupts it (EINTR, no SA_RESTART). */
static void on_alarm(int sig) { (void)sig; }

static void run_seq(struct run *r, const struct seq *q, struct res *out) {
  for (int side = 0; side < 2; side++)
    for (int i = 0; i <= NSLOT; i++)
      r->fd[side][i] = -1;
  for (int i = 0; i < MAXSTEPS && q->steps[i].op != OP_END; i++) {
    const struct step *st = &q->steps[i];
    memset(&out[i], 0, sizeof(out[i]));
    if (r->kern)
      alarm(5);
    out[i].rc = call(r, st, &out[i]);
    if (r->kern)
      alarm(0);
    else
      pxp_run(&X, 5000000); /* what the loopback does inside a call */
  }
  for (int side = 0; side < 2; side++) {
    for (int i = 0; i < NSLOT; i++) {
      if (r->fd[side][i] < 0)
        continue;
      if (r->kern)
        close(r->fd[side][i]);
      else
        zn_posix_close(layer(side), r->fd[side][i]);
    }
  }
}

/* ---- choosing ports, comparing ---- */

/* A TCP and UDP port free on the kernel's loopback of both families now. */
static uint16_t free_port(uint16_t avoid) {
  for (int tries = 0; tries < 100; tries++) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    socklen_t n = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n) < 0) {
      if (fd >= 0)
        close(fd);
      continue;
    }
    close(fd);
    uint16_t p = ntohs(a.sin6_port);
    int u = socket(AF_INET6, SOCK_DGRAM, 0);
    bool ok = u >= 0 && bind(u, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (u >= 0)
      close(u);
    if (ok && p != avoid)
      return p;
  }
  return 0;
}

static const struct seq *cur;
static int n_steps, n_diffs, n_seqs;

static void describe(const struct step *st, const struct res *r, char *out,
                     size_t n) {
  if (r->rc < 0)
    snprintf(out, n, "-%s", strerrorname_np((int)-r->rc)
                                ? strerrorname_np((int)-r->rc)
                                : "?");
  else
    snprintf(out, n, "%ld", r->rc);
  size_t k = strlen(out);
  if (r->det[0])
    snprintf(out + k, n - k, " [%s]", r->det);
  (void)st;
}

static bool compared(const struct step *st) {
  return st->op != OP_WAIT && st->op != OP_SLEEP;
}

static void run_current(void) {
  const struct seq *q = cur;
  struct res kres[MAXSTEPS], zres[MAXSTEPS];
  struct run k = {.kern = true,
                  .srv4 = "127.0.0.1",
                  .cli4 = "127.0.0.1",
                  .srv6 = "::1",
                  .cli6 = "::1"};
  k.p = free_port(0);
  k.q = free_port(k.p);
  ZT_REQUIRE(k.p && k.q);
  struct run z = k;
  z.kern = false;
  z.srv4 = "10.0.0.2";
  z.cli4 = "10.0.0.1";
  z.srv6 = "fd00::2";
  z.cli6 = "fd00::1";

  run_seq(&k, q, kres);
  pxp_init(&X, true);
  run_seq(&z, q, zres);
  pxp_free(&X);

  n_seqs++;
  for (int i = 0; i < MAXSTEPS && q->steps[i].op != OP_END; i++) {
    const struct step *st = &q->steps[i];
    if (!compared(st))
      continue;
    n_steps++;
    char kw[256], zw[256];
    describe(st, &kres[i], kw, sizeof(kw));
    describe(st, &zres[i], zw, sizeof(zw));
    bool same = kres[i].rc == zres[i].rc && !strcmp(kres[i].det, zres[i].det);
    if (st->want_set && kres[i].rc != st->want)
      zt_fail(__FILE__, __LINE__,
              "%s step %d (%s): Linux answered %s, the table expects %ld",
              q->name, i, op_names[st->op], kw, st->want);
    if (same && st->diff)
      zt_fail(__FILE__, __LINE__,
              "%s step %d (%s): marked as a difference (%s) but both "
              "answered %s",
              q->name, i, op_names[st->op], st->diff, kw);
    else if (!same && st->diff) {
      n_diffs++;
      printf("# expected difference: %s step %d (%s): Linux %s, znet %s: %s\n",
             q->name, i, op_names[st->op], kw, zw, st->diff);
    } else if (!same) {
      zt_fail(__FILE__, __LINE__, "%s step %d (%s): Linux %s, znet %s",
              q->name, i, op_names[st->op], kw, zw);
    }
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
    cur = &seqs[i];
    zt_run(seqs[i].name, run_current);
  }
  printf("# %d sequences, %d steps compared, %d expected differences\n",
         n_seqs, n_steps, n_diffs);
  return zt_done();
}
