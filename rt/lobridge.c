/*
 * --host-loopback's way in (net.c has the way out): the host's loopback
 * reaches the program's loopback listeners.
 *
 * A program that listens on 127.0.0.0/8 (nginx-tests' nginx on
 * 127.0.0.1:8080) cannot be reached from outside the image, and a
 * listener of its own on the image's address would be another socket:
 * the program would see the host's address as its client's.  So for
 * each such listener the runtime listens on the image's IPv4 address at
 * the same port (a "door"), takes the connections that come from the
 * gateway there (any other source is reset), and joins each to a
 * connection of its own, inside the stack, to the program's listener
 * from the loopback address at the client's port when it is free: the
 * program accepts a connection from 127.0.0.1:PORT, as from the host's
 * loopback under znet-run --host-loopback.  The host forwards its
 * loopback's port to the door (nftables' dnat, tests/suites/nginx.sh).
 *
 * The two connections are joined in the stack's callbacks (the pump
 * runs them): what one reads is written to the other, as much as its
 * send buffer takes (the rest waits for its on_writable), a FIN is
 * passed on as a shutdown, an error as a reset.  Each door is said once
 * on the console ("znet-rt: --host-loopback: ...").  Pairs come from a
 * table taken at the first door; a connection finding it full is reset.
 */
#include <errno.h>
#include <string.h>

#include "net.h"
#include "rt.h"
#include "znet/err.h"
#include "znet/stack.h"
#include "znet/tcp.h"

#define DOORS 64
#define PAIRS 512

struct door {
  struct zn_tcp_conn *l; /* NULL: free */
  struct zn_ip lo;       /* the program's listener's address */
  uint16_t port;
};

struct pair {
  struct zn_tcp_conn *c[2]; /* 0: the host's (outside), 1: inside */
  bool fin[2];              /* side i's FIN passed on to the other */
  bool gone[2];             /* side i closed or aborted: hands off */
  bool up;                  /* the inside one is connected */
  bool used;
};

static struct {
  struct zn_stack *st;
  struct door doors[DOORS];
  struct pair *pairs;
  uint64_t refused_source, refused_full, refused_inside;
} lb;

static void pair_pump(struct pair *p, int from);

static int side_of(const struct pair *p, const struct zn_tcp_conn *c) {
  return p->c[1] == c;
}

/* Both ways done: the handles go (their FINs are out). */
static void pair_done_if_over(struct pair *p) {
  if (!p->fin[0] || !p->fin[1])
    return;
  for (int i = 0; i < 2; i++)
    if (p->c[i] && !p->gone[i]) {
      p->gone[i] = true;
      zn_tcp_close(p->c[i]);
    }
}

static void pair_abort(struct pair *p) {
  for (int i = 0; i < 2; i++)
    if (p->c[i] && !p->gone[i]) {
      p->gone[i] = true;
      zn_tcp_abort(p->c[i]);
    }
}

/* What side `from` has received, to the other side, as far as its send
 * buffer goes; its FIN as a shutdown once all before it went. */
static void pair_pump(struct pair *p, int from) {
  struct zn_tcp_conn *in = p->c[from], *out = p->c[!from];
  if (!in || !out || !p->up || p->fin[from] || p->gone[0] || p->gone[1])
    return;
  for (;;) {
    const uint8_t *d;
    long n = zn_tcp_peek(in, &d);
    if (n == ZN_EAGAIN)
      return;
    if (n == 0) {
      p->fin[from] = true;
      (void)zn_tcp_shutdown(out);
      pair_done_if_over(p);
      return;
    }
    if (n < 0) {
      pair_abort(p);
      return;
    }
    long w = zn_tcp_write(out, d, (size_t)n);
    if (w == ZN_EAGAIN)
      return; /* out's on_writable brings us back */
    if (w < 0) {
      pair_abort(p);
      return;
    }
    (void)zn_tcp_consume(in, (size_t)w);
  }
}

static void on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct pair *p = arg;
  p->up = true;
  pair_pump(p, 0);
  pair_pump(p, 1);
}

static void on_readable(struct zn_tcp_conn *c, void *arg) {
  struct pair *p = arg;
  pair_pump(p, side_of(p, c));
}

static void on_writable(struct zn_tcp_conn *c, void *arg) {
  struct pair *p = arg;
  pair_pump(p, !side_of(p, c));
}

static void on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  pair_abort(arg); /* a reset on one side is one on the other */
}

static void on_closed(struct zn_tcp_conn *c, void *arg) {
  struct pair *p = arg;
  int s = side_of(p, c);
  p->c[s] = NULL;
  p->gone[s] = true;
  pair_abort(p); /* the other one, unless it is going already */
  if (!p->c[0] && !p->c[1])
    p->used = false;
}

static const struct zn_tcp_callbacks pair_cbs = {
    .on_connected = on_connected,
    .on_readable = on_readable,
    .on_writable = on_writable,
    .on_error = on_error,
    .on_closed = on_closed,
};

static struct pair *pair_new(void) {
  for (int i = 0; i < PAIRS; i++)
    if (!lb.pairs[i].used) {
      memset(&lb.pairs[i], 0, sizeof(lb.pairs[i]));
      lb.pairs[i].used = true;
      return &lb.pairs[i];
    }
  return NULL;
}

/* One connection at a door: the gateway's, joined to a new one inside. */
static void door_take(struct door *d, struct zn_tcp_conn *c) {
  struct zn_tcp_info ci;
  zn_tcp_get_info(c, &ci);
  uint32_t addr, gw;
  uint8_t prefix;
  zn_stack_get_ipv4(lb.st, &addr, &prefix, &gw);
  struct zn_ip gwip = zn_ip_from_v4(gw);
  struct pair *p;
  if (gw == 0 || !zn_ip_eq(&ci.raddr, &gwip)) {
    lb.refused_source++;
    zn_tcp_abort(c);
    return;
  }
  if (!zn_tcp_listening_on(lb.st, &d->lo, d->port)) {
    lb.refused_inside++; /* the program closed its listener */
    zn_tcp_abort(c);
    return;
  }
  if (!(p = pair_new())) {
    lb.refused_full++;
    zn_tcp_abort(c);
    return;
  }
  p->c[0] = c;
  zn_tcp_set_callbacks(c, &pair_cbs, p);
  /* From the client's own port when it is free on the loopback. */
  int rc = zn_tcp_connect_opts(lb.st, &d->lo, ci.rport, &d->lo, d->port,
                               NULL, &pair_cbs, p, &p->c[1]);
  if (rc != ZN_OK)
    rc = zn_tcp_connect_opts(lb.st, &d->lo, 0, &d->lo, d->port, NULL,
                             &pair_cbs, p, &p->c[1]);
  if (rc != ZN_OK) {
    lb.refused_inside++;
    pair_abort(p);
  }
}

static void door_accept(struct zn_tcp_conn *l, void *arg) {
  struct door *d = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    door_take(d, c);
}

static const struct zn_tcp_callbacks door_cbs = {.on_accept = door_accept};

void zrt_lobridge_listening(struct zn_stack *st, const struct zn_ip *lo,
                            uint16_t port) {
  uint32_t addr, gw;
  uint8_t prefix;
  zn_stack_get_ipv4(st, &addr, &prefix, &gw);
  if (addr == 0)
    return; /* loopback only: no way in */
  struct door *free_door = NULL;
  for (int i = 0; i < DOORS; i++) {
    if (lb.doors[i].l && lb.doors[i].port == port)
      return; /* one door a port */
    if (!lb.doors[i].l && !free_door)
      free_door = &lb.doors[i];
  }
  if (!lb.pairs) {
    lb.pairs = zrt_kalloc(PAIRS * sizeof(*lb.pairs));
    if (!lb.pairs)
      return;
    memset(lb.pairs, 0, PAIRS * sizeof(*lb.pairs));
    lb.st = st;
  }
  struct zn_ip ip = zn_ip_from_v4(addr);
  char a[ZN_IP_STRLEN], b[ZN_IP_STRLEN];
  if (!free_door ||
      zn_tcp_listen(st, &ip, port, 0, &door_cbs, free_door, &free_door->l) !=
          ZN_OK) {
    zrt_log("--host-loopback: %s:%u cannot be reached from the host (no "
            "door at %s:%u)",
            zn_ip_format(lo, a), (unsigned)port, zn_ip_format(&ip, b),
            (unsigned)port);
    return;
  }
  free_door->lo = *lo;
  free_door->port = port;
  zrt_log("--host-loopback: the gateway reaches %s:%u at %s:%u",
          zn_ip_format(lo, a), (unsigned)port, zn_ip_format(&ip, b),
          (unsigned)port);
}
