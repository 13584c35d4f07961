/* Chapter 2: UDP and TCP echo (RFC 862) on port 7, on Linux or in an image. */
#include <znet/app.h>

static void udp_echo(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)arg;
  zn_udp_sendto(s, &d->src, d->sport, d->data, d->len);
}
/* Echo what the send buffer takes; on_writable calls again for the rest. */
static void tcp_echo(struct zn_tcp_conn *c, void *arg) {
  const uint8_t *data;
  long n, sent;
  (void)arg;
  while ((n = zn_tcp_peek(c, &data)) > 0 &&
         (sent = zn_tcp_write(c, data, (size_t)n)) > 0)
    zn_tcp_consume(c, (size_t)sent);
  if (n == 0)
    zn_tcp_close(c); /* the peer's FIN, and everything echoed */
}
static void tcp_failed(struct zn_tcp_conn *c, void *arg, int err) {
  (void)arg, (void)err;
  zn_tcp_close(c); /* reset, or timed out: the handle goes too */
}
static const struct zn_tcp_callbacks tcp_cbs = {
    .on_readable = tcp_echo, .on_writable = tcp_echo, .on_error = tcp_failed};
static const struct zn_tcp_serve_opts tcp7 = {.port = 7, .cb = &tcp_cbs};

int main(int argc, char **argv) {
  struct zn_app *app;
  struct zn_udp_sock *udp;
  int rc = zn_app_open(argc, argv, NULL, &app);
  if (rc == ZN_OK && (rc = zn_udp_open(zn_app_stack(app), &udp)) == ZN_OK &&
      (rc = zn_udp_bind(udp, NULL, 7)) == ZN_OK &&
      (rc = zn_tcp_serve(zn_app_stack(app), &tcp7, NULL)) == ZN_OK) {
    zn_udp_set_recv_cb(udp, udp_echo, NULL);
    rc = zn_app_run(app, NULL); /* until SIGINT or SIGTERM */
  }
  zn_app_close(app); /* NULL after --help or a failed open: nothing to do */
  return rc == ZN_OK || rc == ZN_APP_HELP ? 0 : 1;
}
