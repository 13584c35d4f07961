/*
 * zn_tcp_serve (znet/tcp.h): a listener that accepts for the caller.
 *
 * The listener's arg is the caller's zn_tcp_serve_opts (kept, not
 * copied).  Each connection the accept queue yields gets the options'
 * callbacks and arg, then on_conn, then what arrived while it waited in
 * the queue (data or the peer's FIN that came with the handshake, an
 * error): without that last step a client that sends its request with
 * the handshake's ACK and then waits would never be answered, since no
 * later segment would bring the notification again.
 */
#include "tcp_int.h"

static void serve_accept(struct zn_tcp_conn *l, void *arg) {
  const struct zn_tcp_serve_opts *o = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    zn_tcp_set_callbacks(c, o->cb, o->arg);
    if (o->on_conn)
      o->on_conn(c, o->arg);
    zn__tcp_deliver(c);
  }
}

static const struct zn_tcp_callbacks serve_listener_cbs = {
    .on_accept = serve_accept,
};

int zn_tcp_serve(struct zn_stack *st, const struct zn_tcp_serve_opts *o,
                 struct zn_tcp_conn **listener) {
  if (!st || !o || o->port == 0)
    return ZN_EINVAL;
  struct zn_tcp_conn *l;
  int rc = zn_tcp_listen_opts(st, o->addr, o->port, o->backlog, o->tcp,
                              &serve_listener_cbs, (void *)(uintptr_t)o, &l);
  if (rc != ZN_OK)
    return rc;
  if (listener)
    *listener = l;
  return ZN_OK;
}
