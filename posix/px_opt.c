/* libznet-posix: setsockopt and getsockopt, with Linux's value types,
 * lengths and errno (net/core/sock.c, net/ipv4/tcp.c, ip_sockglue.c,
 * net/ipv6/ipv6_sockglue.c are the reference).
 *
 * Design.  One table (`opts`) lists every option the layer knows: its
 * level and name, the sockets it applies to (TCP or UDP, AF_INET or
 * AF_INET6), and a setter and a getter.  Anything not in the table is
 * ENOPROTOOPT: an option is listed only if it works, or if doing nothing
 * is what Linux does too (SO_KEEPALIVE on UDP, IP_PKTINFO on TCP), or if
 * it changes nothing here because znet already behaves as the option
 * asks (SO_OOBINLINE: urgent data is always inline).  docs/posix-options.md
 * gives the table in prose, with every difference from Linux.
 *
 * Linux reads and writes values by level, and the quirks are kept: a
 * SOL_SOCKET, IPPROTO_TCP or SOL_UDP value shorter than an int is EINVAL
 * before the option is looked at; IPPROTO_IP takes a one-byte value (and
 * a zero length as 0) and answers one byte when asked for less than an
 * int; IPPROTO_IPV6 reads a NULL value as 0.  `levels` holds these rules.
 *
 * A TCP socket keeps its settings in s->topts (what listen() and
 * connect() hand the stack) and, once it has a stack object, also sets
 * them on it (a listener passes them on to the connections it accepts).
 * Buffer sizes follow Linux: SO_SNDBUF/SO_RCVBUF store twice the value
 * asked (bounded as Linux bounds it) and report that; the stack gets the
 * value asked, in bytes.  The TOS and TTL of an AF_INET6 TCP socket are
 * IPV6_TCLASS and IPV6_UNICAST_HOPS, or IP_TOS and IP_TTL once its
 * connection turns out to be IPv4 (px_opt_apply_tcp). */
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>

#include "px_int.h"
#include "znet/config.h"
#include "znet/err.h"

/* Linux's, for hosts whose headers lack them (Solo5's runtime). */
#ifndef SO_RCVTIMEO_OLD
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#endif
#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif
#ifndef SO_RCVBUFFORCE
#define SO_RCVBUFFORCE 33
#define SO_SNDBUFFORCE 32
#endif
#ifndef TCPI_OPT_TIMESTAMPS
#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK 2
#define TCPI_OPT_WSCALE 4
#define TCPI_OPT_ECN 8
#endif

/* net.core.wmem_max and rmem_max, Linux's defaults: SO_SNDBUF and
 * SO_RCVBUF are bounded by them (the *FORCE variants are not). */
#define PX_MEM_MAX 212992u
/* Linux's floor for the doubled value on x86_64: SOCK_MIN_SNDBUF and
 * SOCK_MIN_RCVBUF (2048 bytes plus a struct sk_buff, twice for send). */
#define PX_MIN_SNDBUF 4608u
#define PX_MIN_RCVBUF 2304u
/* A UDP socket's SO_RCVBUF and SO_SNDBUF when not set: Linux's
 * rmem_default and wmem_default (px_udp.c bounds its queue by the same). */
#define PX_UDP_BUF_DEFAULT 212992u
/* Keepalive defaults: tcp_keepalive_time, _intvl, _probes; and the
 * bounds of TCP_KEEPIDLE/TCP_KEEPINTVL (MAX_TCP_KEEPIDLE) and
 * TCP_KEEPCNT (MAX_TCP_KEEPCNT). */
#define PX_KEEPIDLE_DEFAULT 7200u
#define PX_KEEPINTVL_DEFAULT 75u
#define PX_KEEPCNT_DEFAULT 9u
#define PX_KEEP_TIME_MAX 32767
#define PX_KEEPCNT_MAX 127
/* TCP_MAXSEG before a connection has one (TCP_MSS_DEFAULT). */
#define PX_MSS_DEFAULT 536u
/* TCP_CONGESTION's buffer (TCP_CA_NAME_MAX). */
#define PX_CA_NAME_MAX 16
/* tcpi_snd_ssthresh before the first loss (TCP_INFINITE_SSTHRESH). */
#define PX_SSTHRESH_INFINITE 0x7fffffffu

/* The TCP_* states of linux/tcp_states.h, as tcpi_state reports them. */
enum {
  PX_LX_ESTABLISHED = 1,
  PX_LX_SYN_SENT,
  PX_LX_SYN_RECV,
  PX_LX_FIN_WAIT1,
  PX_LX_FIN_WAIT2,
  PX_LX_TIME_WAIT,
  PX_LX_CLOSE,
  PX_LX_CLOSE_WAIT,
  PX_LX_LAST_ACK,
  PX_LX_LISTEN,
  PX_LX_CLOSING,
};

static const uint8_t lx_state[ZN_TCP_NSTATES] = {
    [ZN_TCP_CLOSED] = PX_LX_CLOSE,
    [ZN_TCP_LISTEN] = PX_LX_LISTEN,
    [ZN_TCP_SYN_SENT] = PX_LX_SYN_SENT,
    [ZN_TCP_SYN_RECEIVED] = PX_LX_SYN_RECV,
    [ZN_TCP_ESTABLISHED] = PX_LX_ESTABLISHED,
    [ZN_TCP_FIN_WAIT_1] = PX_LX_FIN_WAIT1,
    [ZN_TCP_FIN_WAIT_2] = PX_LX_FIN_WAIT2,
    [ZN_TCP_CLOSE_WAIT] = PX_LX_CLOSE_WAIT,
    [ZN_TCP_CLOSING] = PX_LX_CLOSING,
    [ZN_TCP_LAST_ACK] = PX_LX_LAST_ACK,
    [ZN_TCP_TIME_WAIT] = PX_LX_TIME_WAIT,
};

/* tcpi_snd_wscale and tcpi_rcv_wscale are 4-bit fields of one byte, the
 * first declared in the low bits on little-endian ABIs. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PX_WSCALE(snd, rcv) ((uint8_t)(((snd) & 15u) << 4 | ((rcv) & 15u)))
#else
#define PX_WSCALE(snd, rcv) ((uint8_t)(((rcv) & 15u) << 4 | ((snd) & 15u)))
#endif

/* Linux's struct tcp_info (include/uapi/linux/tcp.h) up to
 * tcpi_total_rto_time (Linux 6.7): glibc's <netinet/tcp.h> stops at
 * tcpi_total_retrans, programs built against Linux's header ask for more.
 * Each caller gets the prefix it asks for, as from Linux. */
struct px_tcp_info {
  uint8_t state, ca_state, retransmits, probes, backoff, options;
  uint8_t wscale;      /* PX_WSCALE */
  uint8_t app_limited; /* delivery_rate_app_limited, fastopen bits */
  uint32_t rto, ato, snd_mss, rcv_mss;
  uint32_t unacked, sacked, lost, retrans, fackets;
  uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
  uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
  uint32_t advmss, reordering, rcv_rtt, rcv_space, total_retrans;
  uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
  uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
  uint32_t data_segs_in, data_segs_out;
  uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
  uint32_t delivered, delivered_ce;
  uint64_t bytes_sent, bytes_retrans;
  uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd, rcv_wnd, rehash;
  uint16_t total_rto, total_rto_recoveries;
  uint32_t total_rto_time;
};
_Static_assert(offsetof(struct px_tcp_info, rto) == 8, "tcp_info layout");
_Static_assert(offsetof(struct px_tcp_info, pacing_rate) == 104,
               "tcp_info layout: glibc's struct ends here");
_Static_assert(offsetof(struct px_tcp_info, snd_wnd) == 228, "tcp_info layout");
_Static_assert(offsetof(struct px_tcp_info, total_rto) == 240,
               "tcp_info layout");
_Static_assert(sizeof(struct px_tcp_info) == 248, "tcp_info layout");

/* SO_RCVTIMEO_NEW's value: struct __kernel_sock_timeval. */
struct px_timeval64 {
  int64_t tv_sec, tv_usec;
};

/* Which sockets an option or a level applies to. */
enum {
  W_T4 = 1, /* TCP, AF_INET */
  W_T6 = 2, /* TCP, AF_INET6 */
  W_U4 = 4, /* UDP, AF_INET */
  W_U6 = 8, /* UDP, AF_INET6 */
  W_TCP = W_T4 | W_T6,
  W_UDP = W_U4 | W_U6,
  W_V4 = W_T4 | W_U4,
  W_V6 = W_T6 | W_U6,
  W_ALL = W_TCP | W_UDP,
};

static uint8_t where_of(const struct px_sock *s) {
  uint8_t w = (uint8_t)(s->kind == PX_TCP ? W_T4 : W_U4);
  return (uint8_t)(s->family == AF_INET6 ? w << 1 : w);
}

/* A setsockopt value: as given, and read as an int by the level's rule. */
struct px_in {
  const void *val;
  socklen_t len;
  int v;
};

/* A getsockopt answer: an int (lv 0, copied by the level's rule) or lv
 * bytes of u. */
struct px_out {
  union {
    int i;
    struct linger l;
    struct timeval tv;
    struct px_timeval64 tv64;
    char name[PX_CA_NAME_MAX];
    struct px_tcp_info ti;
  } u;
  socklen_t lv;
};

struct px_optdef;
typedef int (*px_set_fn)(struct px_sock *s, const struct px_in *in,
                         const struct px_optdef *d);
typedef int (*px_get_fn)(struct px_sock *s, struct px_out *o,
                         const struct px_optdef *d);

struct px_optdef {
  int level, name;
  uint8_t where; /* W_* */
  bool raw;      /* the setter reads val itself (TCP_CONGESTION's string) */
  size_t off;    /* the bool in px_sock of set_flag/get_flag */
  px_set_fn set; /* NULL: ENOPROTOOPT (read-only) */
  px_get_fn get; /* NULL: ENOPROTOOPT (write-only) */
};

/* ---- small helpers ---- */

static bool *flag_at(struct px_sock *s, const struct px_optdef *d) {
  return (bool *)(void *)((char *)s + d->off);
}

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static uint32_t sat_u32(uint64_t v) {
  return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Bytes in whole segments, rounded up (Linux counts segments). */
static uint32_t segs(uint32_t bytes, uint32_t mss) {
  return mss ? (uint32_t)(((uint64_t)bytes + mss - 1) / mss) : 0;
}

static bool is_bound(const struct px_sock *s) {
  return s->bound || (s->kind == PX_TCP && s->phase != PX_FRESH);
}

/* Whether a TCP socket's traffic is IPv4: its connection's family once
 * it has one, else its domain's. */
static bool tcp_is_v4(const struct px_sock *s) {
  if (s->c && s->phase != PX_LISTENING) {
    struct zn_tcp_info i;
    zn_tcp_get_info(s->c, &i);
    return i.raddr.family == ZN_AF_INET;
  }
  return s->family == AF_INET;
}

/* ---- keeping TCP settings: s->topts, and the stack object if any ---- */

static uint32_t keepidle(const struct px_sock *s) {
  return s->xo.keepidle ? s->xo.keepidle : PX_KEEPIDLE_DEFAULT;
}
static uint32_t keepintvl(const struct px_sock *s) {
  return s->xo.keepintvl ? s->xo.keepintvl : PX_KEEPINTVL_DEFAULT;
}
static uint32_t keepcnt(const struct px_sock *s) {
  return s->xo.keepcnt ? s->xo.keepcnt : PX_KEEPCNT_DEFAULT;
}

static void tcp_keepalive_sync(struct px_sock *s) {
  struct zn_tcp_opts *t = &s->topts;
  t->keepidle_ms = s->keepalive ? keepidle(s) * 1000u : 0;
  t->keepintvl_ms = keepintvl(s) * 1000u;
  t->keepcnt = keepcnt(s);
  if (s->c)
    zn_tcp_set_keepalive(s->c, t->keepidle_ms, t->keepintvl_ms, t->keepcnt);
}

/* IP_TOS/IP_TTL for IPv4 traffic, IPV6_TCLASS/IPV6_UNICAST_HOPS for
 * IPv6: what connect() and listen() take by the socket's domain, and what
 * the connection has by its family. */
static void tcp_ip_sync(struct px_sock *s) {
  bool v4 = s->family == AF_INET;
  s->topts.tos = v4 ? s->tos : s->xo.tclass;
  s->topts.ttl = v4 ? s->ttl : s->xo.hops;
  if (!s->c)
    return;
  bool cv4 = tcp_is_v4(s);
  zn_tcp_set_tos(s->c, cv4 ? s->tos : s->xo.tclass);
  zn_tcp_set_ttl(s->c, cv4 ? s->ttl : s->xo.hops);
}

/* What the stack object of s cannot take from s->topts alone: IPv4's TOS
 * and TTL for an AF_INET6 socket whose connection is IPv4, and a
 * TCP_CONGESTION choice of CUBIC (topts.cc 0 is the stack's default).
 * For px_tcp.c, once listen(), connect() or accept() made s->c. */
int px_opt_apply_tcp(struct zn_posix *px, struct px_sock *s) {
  (void)px;
  if (s->kind != PX_TCP || !s->c)
    return 0;
  tcp_ip_sync(s);
  if (s->xo.cc_set)
    return -px_errno(zn_tcp_set_cc(s->c, (enum zn_tcp_cc_algo)s->topts.cc));
  return 0;
}

/* ---- SOL_SOCKET ---- */

static int set_flag(struct px_sock *s, const struct px_in *in,
                    const struct px_optdef *d) {
  *flag_at(s, d) = in->v != 0;
  return 0;
}

static int get_flag(struct px_sock *s, struct px_out *o,
                    const struct px_optdef *d) {
  o->u.i = *flag_at(s, d);
  return 0;
}

static int set_keepalive(struct px_sock *s, const struct px_in *in,
                         const struct px_optdef *d) {
  (void)d;
  s->keepalive = in->v != 0;
  if (s->kind == PX_TCP)
    tcp_keepalive_sync(s);
  return 0;
}

/* Linux's sk_sndbuf/sk_rcvbuf for a value asked: bounded by the
 * sysctl (unless forced), doubled, with a floor. */
static uint32_t doubled(int v, bool force, uint32_t floor) {
  uint32_t x =
      force ? (v < 0 ? 0 : (uint32_t)v) : min_u32((uint32_t)v, PX_MEM_MAX);
  x = min_u32(x, INT_MAX / 2);
  return 2 * x < floor ? floor : 2 * x;
}

static int set_buf(struct px_sock *s, const struct px_in *in,
                   const struct px_optdef *d) {
  bool snd = d->name == SO_SNDBUF || d->name == SO_SNDBUFFORCE;
  bool force = d->name == SO_SNDBUFFORCE || d->name == SO_RCVBUFFORCE;
  uint32_t v = doubled(in->v, force, snd ? PX_MIN_SNDBUF : PX_MIN_RCVBUF);
  if (s->kind == PX_TCP && s->c) {
    int rc = zn_tcp_set_bufsizes(s->c, snd ? v / 2 : 0, snd ? 0 : v / 2);
    if (rc != ZN_OK)
      return -px_errno(rc);
  }
  if (snd) {
    s->sndbuf = v;
    s->topts.sndbuf = v / 2;
  } else {
    s->rcvbuf = v;
    s->topts.rcvbuf = v / 2;
  }
  return 0;
}

/* What a TCP socket's buffer is in bytes when no SO_*BUF set it: the
 * connection's, or the stack's default. */
static uint32_t tcp_buf_bytes(const struct px_sock *s, bool snd) {
  if (s->c) {
    struct zn_tcp_info i;
    zn_tcp_get_info(s->c, &i);
    return snd ? i.sndbuf : i.rcvbuf;
  }
  if (snd)
    return ZN_DEFAULT_TCP_SNDBUF;
  return ZN_DEFAULT_TCP_RCVBUF;
}

static int get_buf(struct px_sock *s, struct px_out *o,
                   const struct px_optdef *d) {
  bool snd = d->name == SO_SNDBUF;
  uint32_t v = snd ? s->sndbuf : s->rcvbuf;
  if (!v)
    v = s->kind == PX_UDP ? PX_UDP_BUF_DEFAULT : 2 * tcp_buf_bytes(s, snd);
  o->u.i = (int)min_u32(v, INT_MAX);
  return 0;
}

/* The receive window in bytes: SO_RCVLOWAT may not ask for more. */
static uint32_t tcp_window_bytes(const struct px_sock *s) {
  return s->rcvbuf ? s->rcvbuf / 2 : tcp_buf_bytes(s, false);
}

static int set_rcvlowat(struct px_sock *s, const struct px_in *in,
                        const struct px_optdef *d) {
  (void)d;
  uint32_t v = in->v < 0 ? INT_MAX : (uint32_t)in->v;
  if (s->kind == PX_TCP) /* as tcp_set_rcvlowat: at most the window */
    v = min_u32(v, tcp_window_bytes(s));
  s->rcvlowat = v ? v : 1;
  return 0;
}

static int get_rcvlowat(struct px_sock *s, struct px_out *o,
                        const struct px_optdef *d) {
  (void)d;
  o->u.i = s->rcvlowat ? (int)min_u32(s->rcvlowat, INT_MAX) : 1;
  return 0;
}

static int get_one(struct px_sock *s, struct px_out *o,
                   const struct px_optdef *d) {
  (void)s;
  (void)d;
  o->u.i = 1; /* SO_SNDLOWAT: fixed at 1, as on Linux */
  return 0;
}

static int set_linger(struct px_sock *s, const struct px_in *in,
                      const struct px_optdef *d) {
  (void)d;
  struct linger l;
  if (in->len < (socklen_t)sizeof(l))
    return -EINVAL;
  memcpy(&l, in->val, sizeof(l));
  s->linger_on = l.l_onoff != 0;
  if (l.l_onoff) /* as Linux: the time is kept only when turned on */
    s->linger_s = l.l_linger;
  return 0;
}

static int get_linger(struct px_sock *s, struct px_out *o,
                      const struct px_optdef *d) {
  (void)d;
  o->u.l.l_onoff = s->linger_on != 0;
  o->u.l.l_linger = s->linger_s;
  o->lv = sizeof(o->u.l);
  return 0;
}

static bool is_rcvtimeo(const struct px_optdef *d) {
  return d->name == SO_RCVTIMEO_OLD || d->name == SO_RCVTIMEO_NEW;
}

/* A timeval to the ns the socket keeps (0: none): as sock_set_timeout,
 * EDOM for microseconds out of range, a negative time "do not wait"
 * (1 ns), zero or past 2^64 ns none. */
static int timeval_ns(int64_t sec, int64_t usec, uint64_t *ns) {
  if (usec < 0 || usec >= 1000000)
    return -EDOM;
  if (sec < 0) {
    *ns = 1;
    return 0;
  }
  if ((uint64_t)sec >= UINT64_MAX / 1000000000u - 1) {
    *ns = 0;
    return 0;
  }
  *ns = (uint64_t)sec * 1000000000u + (uint64_t)usec * 1000u;
  return 0;
}

static int set_timeo(struct px_sock *s, const struct px_in *in,
                     const struct px_optdef *d) {
  int64_t sec, usec;
  if (d->name == SO_RCVTIMEO_OLD || d->name == SO_SNDTIMEO_OLD) {
    struct timeval tv;
    if (in->len < (socklen_t)sizeof(tv))
      return -EINVAL;
    memcpy(&tv, in->val, sizeof(tv));
    sec = tv.tv_sec;
    usec = tv.tv_usec;
  } else {
    struct px_timeval64 tv;
    if (in->len < (socklen_t)sizeof(tv))
      return -EINVAL;
    memcpy(&tv, in->val, sizeof(tv));
    sec = tv.tv_sec;
    usec = tv.tv_usec;
  }
  uint64_t ns;
  int rc = timeval_ns(sec, usec, &ns);
  if (rc < 0)
    return rc;
  if (is_rcvtimeo(d))
    s->rcvtimeo_ns = ns;
  else
    s->sndtimeo_ns = ns;
  return 0;
}

static int get_timeo(struct px_sock *s, struct px_out *o,
                     const struct px_optdef *d) {
  uint64_t ns = is_rcvtimeo(d) ? s->rcvtimeo_ns : s->sndtimeo_ns;
  int64_t sec = (int64_t)(ns / 1000000000u);
  int64_t usec = (int64_t)(ns % 1000000000u / 1000u);
  if (d->name == SO_RCVTIMEO_OLD || d->name == SO_SNDTIMEO_OLD) {
    o->u.tv.tv_sec = (time_t)sec;
    o->u.tv.tv_usec = (suseconds_t)usec;
    o->lv = sizeof(o->u.tv);
  } else {
    o->u.tv64.tv_sec = sec;
    o->u.tv64.tv_usec = usec;
    o->lv = sizeof(o->u.tv64);
  }
  return 0;
}

/* SO_ERROR: the pending error, taken (as sock_error); for TCP, reads then
 * end and writes fail with EPIPE, as after any report of it. */
static int get_error(struct px_sock *s, struct px_out *o,
                     const struct px_optdef *d) {
  (void)d;
  o->u.i = s->err;
  if (s->err && s->kind == PX_TCP)
    s->err_taken = true;
  s->err = 0;
  return 0;
}

static int get_type(struct px_sock *s, struct px_out *o,
                    const struct px_optdef *d) {
  (void)d;
  o->u.i = s->kind == PX_TCP ? SOCK_STREAM : SOCK_DGRAM;
  return 0;
}

static int get_protocol(struct px_sock *s, struct px_out *o,
                        const struct px_optdef *d) {
  (void)d;
  o->u.i = s->kind == PX_TCP ? IPPROTO_TCP : IPPROTO_UDP;
  return 0;
}

static int get_domain(struct px_sock *s, struct px_out *o,
                      const struct px_optdef *d) {
  (void)d;
  o->u.i = s->family;
  return 0;
}

static int get_acceptconn(struct px_sock *s, struct px_out *o,
                          const struct px_optdef *d) {
  (void)d;
  o->u.i = s->kind == PX_TCP && s->phase == PX_LISTENING;
  return 0;
}

/* ---- IPPROTO_TCP ---- */

static int set_nodelay(struct px_sock *s, const struct px_in *in,
                       const struct px_optdef *d) {
  (void)d;
  s->topts.nodelay = in->v != 0;
  if (s->c)
    zn_tcp_set_nodelay(s->c, s->topts.nodelay);
  return 0;
}

static int get_nodelay(struct px_sock *s, struct px_out *o,
                       const struct px_optdef *d) {
  (void)d;
  o->u.i = s->topts.nodelay;
  return 0;
}

/* TCP_CORK.  MSG_MORE corks the connection too (s->more, px_tcp.c);
 * turning TCP_CORK off ends both, as Linux pushes what is queued. */
static int set_cork(struct px_sock *s, const struct px_in *in,
                    const struct px_optdef *d) {
  (void)d;
  s->cork = in->v != 0;
  if (!s->cork)
    s->more = false;
  if (s->c)
    zn_tcp_set_cork(s->c, s->cork);
  return 0;
}

static int get_cork(struct px_sock *s, struct px_out *o,
                    const struct px_optdef *d) {
  (void)d;
  o->u.i = s->cork;
  return 0;
}

static int set_keep(struct px_sock *s, const struct px_in *in,
                    const struct px_optdef *d) {
  int max = d->name == TCP_KEEPCNT ? PX_KEEPCNT_MAX : PX_KEEP_TIME_MAX;
  if (in->v < 1 || in->v > max)
    return -EINVAL;
  uint32_t v = (uint32_t)in->v;
  if (d->name == TCP_KEEPIDLE)
    s->xo.keepidle = v;
  else if (d->name == TCP_KEEPINTVL)
    s->xo.keepintvl = v;
  else
    s->xo.keepcnt = v;
  tcp_keepalive_sync(s);
  return 0;
}

static int get_keep(struct px_sock *s, struct px_out *o,
                    const struct px_optdef *d) {
  uint32_t v = d->name == TCP_KEEPIDLE    ? keepidle(s)
               : d->name == TCP_KEEPINTVL ? keepintvl(s)
                                          : keepcnt(s);
  o->u.i = (int)v;
  return 0;
}

static int set_user_timeout(struct px_sock *s, const struct px_in *in,
                            const struct px_optdef *d) {
  (void)d;
  if (in->v < 0)
    return -EINVAL;
  s->topts.user_timeout_ms = (uint32_t)in->v;
  if (s->c)
    zn_tcp_set_user_timeout(s->c, s->topts.user_timeout_ms);
  return 0;
}

static int get_user_timeout(struct px_sock *s, struct px_out *o,
                            const struct px_optdef *d) {
  (void)d;
  o->u.i = (int)min_u32(s->topts.user_timeout_ms, INT_MAX);
  return 0;
}

/* TCP_MAXSEG: the connection's send MSS, TCP_MSS_DEFAULT before it has
 * one (as Linux's mss_cache). */
static int get_maxseg(struct px_sock *s, struct px_out *o,
                      const struct px_optdef *d) {
  (void)d;
  uint32_t mss = 0;
  if (s->c && s->phase != PX_LISTENING) {
    struct zn_tcp_info i;
    zn_tcp_get_info(s->c, &i);
    mss = i.mss;
  }
  o->u.i = (int)(mss ? mss : PX_MSS_DEFAULT);
  return 0;
}

/* Linux's names where they differ from znet's (zn_tcp_cc_name): what
 * TCP_CONGESTION reports, and takes besides znet's own. */
static const struct {
  const char *name;
  enum zn_tcp_cc_algo algo;
} linux_cc_names[] = {
    {"reno", ZN_TCP_CC_NEWRENO},
};

/* Whether the NUL-terminated a and b are the same text (the core uses
 * no libc beyond the mem* four: it builds for Solo5 too). */
static bool same_name(const char *a, const char *b) {
  size_t i = 0;
  while (a[i] && a[i] == b[i])
    i++;
  return a[i] == b[i];
}

static bool cc_by_name(const char *name, enum zn_tcp_cc_algo *algo) {
  for (size_t i = 0; i < sizeof(linux_cc_names) / sizeof(linux_cc_names[0]);
       i++) {
    if (same_name(name, linux_cc_names[i].name)) {
      *algo = linux_cc_names[i].algo;
      return true;
    }
  }
  return zn_tcp_cc_by_name(name, algo) == ZN_OK;
}

static const char *cc_linux_name(enum zn_tcp_cc_algo algo) {
  for (size_t i = 0; i < sizeof(linux_cc_names) / sizeof(linux_cc_names[0]);
       i++) {
    if (linux_cc_names[i].algo == algo)
      return linux_cc_names[i].name;
  }
  const char *n = zn_tcp_cc_name(algo);
  return n ? n : "";
}

/* As strncpy_from_user: up to PX_CA_NAME_MAX - 1 bytes, to a NUL. */
static int set_congestion(struct px_sock *s, const struct px_in *in,
                          const struct px_optdef *d) {
  (void)d;
  char name[PX_CA_NAME_MAX] = {0};
  if (in->len < 1)
    return -EINVAL;
  if (!in->val)
    return -EFAULT;
  size_t n = min_u32(in->len, PX_CA_NAME_MAX - 1);
  const char *p = in->val;
  for (size_t i = 0; i < n && p[i]; i++)
    name[i] = p[i];
  enum zn_tcp_cc_algo algo;
  if (!cc_by_name(name, &algo))
    return -ENOENT;
  if (s->c) {
    int rc = zn_tcp_set_cc(s->c, algo);
    if (rc != ZN_OK) /* data was sent (EINVAL), or no BBR state free
                        (ENOBUFS, cfg.tcp_bbr_conns) */
      return -px_errno(rc);
  }
  s->topts.cc = (uint8_t)algo;
  s->xo.cc_set = true;
  return 0;
}

static int get_congestion(struct px_sock *s, struct px_out *o,
                          const struct px_optdef *d) {
  (void)d;
  enum zn_tcp_cc_algo algo = ZN_TCP_CC_CUBIC; /* cfg.tcp_cc's default */
  if (s->xo.cc_set) {
    algo = (enum zn_tcp_cc_algo)s->topts.cc;
  } else if (s->c) {
    struct zn_tcp_info i;
    zn_tcp_get_info(s->c, &i);
    algo = i.cc;
  }
  /* as strncpy: the name, then NULs to the end of the buffer */
  const char *name = cc_linux_name(algo);
  size_t n = 0;
  for (; n < sizeof(o->u.name) && name[n]; n++)
    o->u.name[n] = name[n];
  memset(o->u.name + n, 0, sizeof(o->u.name) - n);
  o->lv = sizeof(o->u.name);
  return 0;
}

/* TCP_INFO of a connection (Linux's tcp_get_info): counts in segments
 * where Linux counts segments, times in us. */
static void info_conn(struct px_tcp_info *t, const struct zn_tcp_info *i) {
  uint32_t mss = i->mss;
  t->backoff = t->retransmits = i->backoff;
  t->probes = i->probes;
  t->options = (uint8_t)((i->ts ? TCPI_OPT_TIMESTAMPS : 0) |
                         (i->sack ? TCPI_OPT_SACK : 0) |
                         (i->wscale ? TCPI_OPT_WSCALE : 0) |
                         (i->ecn ? TCPI_OPT_ECN : 0));
  if (i->wscale)
    t->wscale = PX_WSCALE(i->snd_wscale, i->rcv_wscale);
  t->rto = sat_u32((uint64_t)i->rto_ms * 1000u);
  t->snd_mss = mss;
  t->rcv_mss = i->rcv_mss;
  t->unacked = segs(i->unacked, mss);
  t->sacked = segs(i->sacked, mss);
  t->lost = segs(i->lost, mss);
  t->retrans = segs(i->retrans, mss);
  t->last_data_sent =
      i->last_data_sent_ms == UINT32_MAX ? 0 : i->last_data_sent_ms;
  t->last_ack_recv = i->last_rcv_ms == UINT32_MAX ? 0 : i->last_rcv_ms;
  t->pmtu = i->pmtu;
  t->rtt = i->srtt_us;
  t->rttvar = i->rttvar_us;
  t->snd_ssthresh = i->ssthresh >= UINT32_MAX / 2
                        ? PX_SSTHRESH_INFINITE
                        : i->ssthresh / (mss ? mss : 1);
  t->snd_cwnd = mss ? i->cwnd / mss : 0;
  t->rcv_space = i->rcvbuf;
  t->total_retrans = sat_u32(i->retransmits);
  t->bytes_acked = i->bytes_acked;
  t->bytes_received = i->bytes_received;
  t->notsent_bytes = i->queued;
  t->min_rtt = i->min_rtt_us ? i->min_rtt_us : UINT32_MAX;
  t->bytes_sent = i->bytes_sent;
  t->delivery_rate = i->delivery_rate;
  t->pacing_rate = i->pacing_rate ? i->pacing_rate : UINT64_MAX;
  t->app_limited = i->delivery_rate_app_limited ? 1u : 0u;
  t->delivered = mss ? sat_u32((i->delivered + mss - 1u) / mss) : 0;
  t->snd_wnd = i->snd_wnd;
  t->rcv_wnd = i->rcv_wnd;
  t->total_rto =
      (uint16_t)(i->rto_timeouts > UINT16_MAX ? UINT16_MAX : i->rto_timeouts);
}

static int get_tcp_info(struct px_sock *s, struct px_out *o,
                        const struct px_optdef *d) {
  (void)d;
  struct px_tcp_info *t = &o->u.ti;
  struct zn_tcp_info i;
  o->lv = sizeof(*t);
  t->max_pacing_rate = UINT64_MAX; /* no SO_MAX_PACING_RATE */
  t->state = PX_LX_CLOSE;
  t->snd_mss = PX_MSS_DEFAULT;
  t->snd_ssthresh = PX_SSTHRESH_INFINITE;
  t->min_rtt = UINT32_MAX;
  if (!s->c)
    return 0;
  zn_tcp_get_info(s->c, &i);
  t->state =
      (unsigned)i.state < ZN_TCP_NSTATES ? lx_state[i.state] : PX_LX_CLOSE;
  if (s->phase == PX_LISTENING) {
    /* Linux's aliases: the accept queue, and the backlog asked for. */
    t->state = PX_LX_LISTEN;
    t->unacked = i.accept_queued;
    t->sacked = (uint32_t)s->backlog;
    return 0;
  }
  info_conn(t, &i);
  return 0;
}

/* ---- IPPROTO_IP and IPPROTO_IPV6 ---- */

static int set_ip_tos(struct px_sock *s, const struct px_in *in,
                      const struct px_optdef *d) {
  (void)d;
  if (s->kind == PX_UDP) {
    s->tos = (uint8_t)in->v;
    zn_udp_set_tos(s->u, s->tos);
    return 0;
  }
  s->tos = (uint8_t)(in->v & ~3); /* the ECN bits are TCP's own */
  tcp_ip_sync(s);
  return 0;
}

static int get_ip_tos(struct px_sock *s, struct px_out *o,
                      const struct px_optdef *d) {
  (void)d;
  o->u.i = s->tos;
  return 0;
}

/* IP_TTL: 1..255, or -1 for the default; a value needs a byte at least
 * (IPPROTO_IP reads a zero length as 0). */
static int set_ip_ttl(struct px_sock *s, const struct px_in *in,
                      const struct px_optdef *d) {
  (void)d;
  if (in->len < 1 || (in->v != -1 && (in->v < 1 || in->v > 255)))
    return -EINVAL;
  s->ttl = in->v == -1 ? 0 : (uint8_t)in->v;
  if (s->kind == PX_UDP)
    zn_udp_set_ttl(s->u, s->ttl);
  else
    tcp_ip_sync(s);
  return 0;
}

static int get_ip_ttl(struct px_sock *s, struct px_out *o,
                      const struct px_optdef *d) {
  (void)d;
  o->u.i = s->ttl ? s->ttl : ZN_DEFAULT_TTL;
  return 0;
}

static int set_v6only(struct px_sock *s, const struct px_in *in,
                      const struct px_optdef *d) {
  (void)d;
  if (is_bound(s))
    return -EINVAL;
  bool on = in->v != 0;
  if (s->kind == PX_UDP) {
    int rc = zn_udp_set_v6only(s->u, on);
    if (rc != ZN_OK)
      return -px_errno(rc);
  }
  s->v6only = on;
  return 0;
}

static int set_tclass(struct px_sock *s, const struct px_in *in,
                      const struct px_optdef *d) {
  (void)d;
  if (in->v < -1 || in->v > 255)
    return -EINVAL;
  int v = in->v == -1 ? 0 : in->v; /* RFC 3542 §6.5: the default is 0 */
  if (s->kind == PX_UDP) {
    s->xo.tclass = (uint8_t)v;
    zn_udp_set_tos(s->u, s->xo.tclass);
    return 0;
  }
  s->xo.tclass = (uint8_t)(v & ~3);
  tcp_ip_sync(s);
  return 0;
}

static int get_tclass(struct px_sock *s, struct px_out *o,
                      const struct px_optdef *d) {
  (void)d;
  o->u.i = s->xo.tclass;
  return 0;
}

/* IPV6_UNICAST_HOPS: 1..255 or -1.  Linux takes 0 too; the stack reads a
 * 0 as its default, so 0 is refused rather than misread. */
static int set_hops(struct px_sock *s, const struct px_in *in,
                    const struct px_optdef *d) {
  (void)d;
  if (in->v != -1 && (in->v < 1 || in->v > 255))
    return -EINVAL;
  s->xo.hops = in->v == -1 ? 0 : (uint8_t)in->v;
  if (s->kind == PX_UDP)
    zn_udp_set_ttl(s->u, s->xo.hops);
  else
    tcp_ip_sync(s);
  return 0;
}

static int get_hops(struct px_sock *s, struct px_out *o,
                    const struct px_optdef *d) {
  (void)d;
  o->u.i = s->xo.hops ? s->xo.hops : ZN_DEFAULT_TTL;
  return 0;
}

/* ---- the table ---- */

#define OFF(f) offsetof(struct px_sock, f)

static const struct px_optdef opts[] = {
    {SOL_SOCKET, SO_REUSEADDR, W_ALL, false, OFF(reuseaddr), set_flag,
     get_flag},
    {SOL_SOCKET, SO_REUSEPORT, W_ALL, false, OFF(reuseport), set_flag,
     get_flag},
    {SOL_SOCKET, SO_KEEPALIVE, W_ALL, false, OFF(keepalive), set_keepalive,
     get_flag},
    {SOL_SOCKET, SO_BROADCAST, W_ALL, false, OFF(broadcast), set_flag,
     get_flag},
    {SOL_SOCKET, SO_OOBINLINE, W_ALL, false, OFF(xo.oobinline), set_flag,
     get_flag},
    {SOL_SOCKET, SO_LINGER, W_ALL, false, 0, set_linger, get_linger},
    {SOL_SOCKET, SO_SNDBUF, W_ALL, false, 0, set_buf, get_buf},
    {SOL_SOCKET, SO_RCVBUF, W_ALL, false, 0, set_buf, get_buf},
    {SOL_SOCKET, SO_SNDBUFFORCE, W_ALL, false, 0, set_buf, NULL},
    {SOL_SOCKET, SO_RCVBUFFORCE, W_ALL, false, 0, set_buf, NULL},
    {SOL_SOCKET, SO_RCVLOWAT, W_ALL, false, 0, set_rcvlowat, get_rcvlowat},
    {SOL_SOCKET, SO_SNDLOWAT, W_ALL, false, 0, NULL, get_one},
    {SOL_SOCKET, SO_RCVTIMEO_OLD, W_ALL, false, 0, set_timeo, get_timeo},
    {SOL_SOCKET, SO_SNDTIMEO_OLD, W_ALL, false, 0, set_timeo, get_timeo},
    {SOL_SOCKET, SO_RCVTIMEO_NEW, W_ALL, false, 0, set_timeo, get_timeo},
    {SOL_SOCKET, SO_SNDTIMEO_NEW, W_ALL, false, 0, set_timeo, get_timeo},
    {SOL_SOCKET, SO_ERROR, W_ALL, false, 0, NULL, get_error},
    {SOL_SOCKET, SO_TYPE, W_ALL, false, 0, NULL, get_type},
    {SOL_SOCKET, SO_PROTOCOL, W_ALL, false, 0, NULL, get_protocol},
    {SOL_SOCKET, SO_DOMAIN, W_ALL, false, 0, NULL, get_domain},
    {SOL_SOCKET, SO_ACCEPTCONN, W_ALL, false, 0, NULL, get_acceptconn},

    {IPPROTO_TCP, TCP_NODELAY, W_TCP, false, 0, set_nodelay, get_nodelay},
    {IPPROTO_TCP, TCP_CORK, W_TCP, false, 0, set_cork, get_cork},
    {IPPROTO_TCP, TCP_KEEPIDLE, W_TCP, false, 0, set_keep, get_keep},
    {IPPROTO_TCP, TCP_KEEPINTVL, W_TCP, false, 0, set_keep, get_keep},
    {IPPROTO_TCP, TCP_KEEPCNT, W_TCP, false, 0, set_keep, get_keep},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, W_TCP, false, 0, set_user_timeout,
     get_user_timeout},
    {IPPROTO_TCP, TCP_MAXSEG, W_TCP, false, 0, NULL, get_maxseg},
    {IPPROTO_TCP, TCP_CONGESTION, W_TCP, true, 0, set_congestion,
     get_congestion},
    {IPPROTO_TCP, TCP_INFO, W_TCP, false, 0, NULL, get_tcp_info},

    /* IPv4's options, on AF_INET sockets and, for TOS and TTL, on the
     * IPv4 connections of AF_INET6 TCP sockets (a UDP socket has one
     * TOS and TTL for both families: IPV6_TCLASS and _UNICAST_HOPS). */
    {IPPROTO_IP, IP_TOS, W_TCP | W_U4, false, 0, set_ip_tos, get_ip_tos},
    {IPPROTO_IP, IP_TTL, W_TCP | W_U4, false, 0, set_ip_ttl, get_ip_ttl},
    {IPPROTO_IP, IP_PKTINFO, W_V4, false, OFF(pktinfo), set_flag, get_flag},
    {IPPROTO_IP, IP_RECVTTL, W_V4, false, OFF(recvttl), set_flag, get_flag},
    {IPPROTO_IP, IP_RECVTOS, W_V4, false, OFF(recvtclass), set_flag, get_flag},

    {IPPROTO_IPV6, IPV6_V6ONLY, W_V6, false, OFF(v6only), set_v6only, get_flag},
    {IPPROTO_IPV6, IPV6_TCLASS, W_V6, false, 0, set_tclass, get_tclass},
    {IPPROTO_IPV6, IPV6_UNICAST_HOPS, W_V6, false, 0, set_hops, get_hops},
    {IPPROTO_IPV6, IPV6_RECVPKTINFO, W_V6, false, OFF(pktinfo), set_flag,
     get_flag},
    {IPPROTO_IPV6, IPV6_RECVHOPLIMIT, W_V6, false, OFF(recvttl), set_flag,
     get_flag},
    {IPPROTO_IPV6, IPV6_RECVTCLASS, W_V6, false, OFF(recvtclass), set_flag,
     get_flag},
};

static const struct px_optdef *find_opt(int level, int name) {
  for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
    if (opts[i].level == level && opts[i].name == name)
      return &opts[i];
  return NULL;
}

/* ---- the levels: how each reads and writes an int ---- */

enum px_parse {
  PARSE_INT,  /* shorter than an int: EINVAL, before the name is looked at */
  PARSE_IP,   /* an int, a byte, or nothing (0) */
  PARSE_IPV6, /* an int; NULL or short reads 0, then short is EINVAL */
};

enum px_reply {
  REPLY_SIGNED, /* a length above INT_MAX is EINVAL; min(len, 4) bytes */
  REPLY_IP,     /* as SIGNED, but 1 to 3 bytes asked: one byte if it fits */
  REPLY_MIN,    /* min(len, 4) bytes, whatever len */
};

struct px_level {
  int level;
  uint8_t where;
  enum px_parse parse;
  enum px_reply reply;
};

static const struct px_level levels[] = {
    {SOL_SOCKET, W_ALL, PARSE_INT, REPLY_SIGNED},
    {IPPROTO_TCP, W_TCP, PARSE_INT, REPLY_MIN},
    {IPPROTO_UDP, W_UDP, PARSE_INT, REPLY_MIN}, /* SOL_UDP: none known */
    {IPPROTO_IP, W_ALL, PARSE_IP, REPLY_IP},
    {IPPROTO_IPV6, W_V6, PARSE_IPV6, REPLY_MIN},
};

static const struct px_level *find_level(const struct px_sock *s, int level) {
  for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
    if (levels[i].level == level && (levels[i].where & where_of(s)))
      return &levels[i];
  return NULL;
}

static int parse_int(const struct px_optdef *d, struct px_in *in) {
  if (d && d->raw)
    return 0;
  if (in->len < (socklen_t)sizeof(int))
    return -EINVAL;
  if (!in->val)
    return -EFAULT;
  memcpy(&in->v, in->val, sizeof(int));
  return 0;
}

static int parse_ip(const struct px_optdef *d, struct px_in *in) {
  if (!d)
    return -ENOPROTOOPT;
  if (in->len > 0 && !in->val)
    return -EFAULT;
  if (in->len >= (socklen_t)sizeof(int)) {
    memcpy(&in->v, in->val, sizeof(int));
  } else if (in->len >= 1) {
    in->v = *(const unsigned char *)in->val;
  }
  return 0;
}

static int parse_ipv6(const struct px_optdef *d, struct px_in *in) {
  if (in->val && in->len >= (socklen_t)sizeof(int))
    memcpy(&in->v, in->val, sizeof(int));
  if (d && in->len < (socklen_t)sizeof(int))
    return -EINVAL;
  return 0;
}

static int parse(const struct px_level *l, const struct px_optdef *d,
                 struct px_in *in) {
  switch (l->parse) {
  case PARSE_INT:
    return parse_int(d, in);
  case PARSE_IP:
    return parse_ip(d, in);
  case PARSE_IPV6:
    return parse_ipv6(d, in);
  }
  return -EINVAL;
}

int zn_posix_setsockopt(struct zn_posix *px, int fd, int level, int name,
                        const void *val, socklen_t len) {
  int err;
  struct px_sock *s = px_sock_for_call(px, fd, &err);
  if (!s)
    return err;
  const struct px_level *l = find_level(s, level);
  if (!l)
    return -ENOPROTOOPT;
  const struct px_optdef *d = find_opt(level, name);
  if (d && !(d->where & where_of(s)))
    d = NULL;
  struct px_in in = {val, len, 0};
  int rc = parse(l, d, &in);
  if (rc < 0)
    return rc;
  if (!d || !d->set)
    return -ENOPROTOOPT;
  rc = d->set(s, &in, d);
  px_after_call(px); /* TCP_NODELAY and uncorking may send */
  return rc;
}

/* Copy an int answer out by the level's rule; *n is the length asked. */
static const void *reply_int(const struct px_level *l, struct px_out *o,
                             socklen_t *n, unsigned char *byte) {
  if (l->reply == REPLY_IP && *n > 0 && *n < sizeof(int) && o->u.i >= 0 &&
      o->u.i <= 255) {
    *byte = (unsigned char)o->u.i;
    *n = 1;
    return byte;
  }
  *n = min_u32(*n, sizeof(int));
  return &o->u.i;
}

int zn_posix_getsockopt(struct zn_posix *px, int fd, int level, int name,
                        void *val, socklen_t *len) {
  int err;
  struct px_sock *s = px_sock_for_call(px, fd, &err);
  if (!s)
    return err;
  const struct px_level *l = find_level(s, level);
  if (!l) /* as ip_getsockopt (AF_INET) and ipv6_getsockopt answer */
    return s->family == AF_INET ? -EOPNOTSUPP : -ENOPROTOOPT;
  if (!len)
    return -EFAULT;
  socklen_t n = *len;
  if (l->reply != REPLY_MIN && n > INT_MAX)
    return -EINVAL;
  const struct px_optdef *d = find_opt(level, name);
  if (!d || !d->get || !(d->where & where_of(s)))
    return -ENOPROTOOPT;
  struct px_out o;
  memset(&o, 0, sizeof(o));
  int rc = d->get(s, &o, d);
  if (rc < 0)
    return rc;
  unsigned char byte;
  const void *src = &o.u;
  if (o.lv)
    n = min_u32(n, o.lv);
  else
    src = reply_int(l, &o, &n, &byte);
  if (n > 0 && !val)
    return -EFAULT;
  if (n > 0)
    memcpy(val, src, n);
  *len = n;
  return 0;
}
