/*
 * TLS sessions between two znet stacks over memlink, for the tls suite:
 * stack A (10.0.0.1) the client, stack B (10.0.0.2) the server on port
 * 443, the test certificates of certs.h, a fixed wall clock (2030-01-01)
 * and the stacks' fixed seeds, so that every run is the same.  Each side
 * records what its stream's callbacks saw; the server side's stream comes
 * from the listener's on_accept.  Optionally the fault injector sits
 * between stack A and the link.
 */
#ifndef TESTS_TLS_FIXTURE_H
#define TESTS_TLS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/proto_util.h"
#include "certs.h"
#include "core/stack_int.h"
#include "internals.h"
#include "znet/fault.h"
#include "znet/tls.h"

#define TF_PORT 443
#define TF_NOW 1893456000u /* 2030-01-01T00:00:00Z */

/* Sends `total` bytes of `data` with zn_stream_write_ref() (chunk bytes
 * per reference) or zn_stream_write(), as fast as the stream takes them,
 * then shuts down (or closes) if asked. */
struct tsend {
  const uint8_t *data;
  size_t total, off, chunk;
  bool copy; /* zn_stream_write instead of write_ref */
  bool shutdown_at_end, close_at_end, ended;
  int refs, released; /* references queued, releases called */
};

struct tside {
  struct tsend *send;
  struct zn_stream *s;
  void *mem;
  int opened, closed, errors, last_err, writable;
  int eof;      /* read returned 0 */
  int read_err; /* read returned this error (< 0, not EAGAIN) */
  uint8_t *rx;  /* what was read, up to rx_cap */
  size_t rx_len, rx_cap;
  bool use_peek; /* peek/consume instead of read */
  bool hold;     /* read nothing */
  bool close_on_eof;
  bool echo;                     /* write back what is read */
  struct zn_tls_error_info fail; /* zn_tls_error() at on_error */
};

/* A decorator on stack A's netif hashing every frame A sends (FNV-1a),
 * so two runs can be compared byte for byte, and keeping the first
 * TF_SNIFF_RX bytes of the frames A receives (the server's records). */
#define TF_SNIFF_RX 65536
struct tf_sniff {
  struct zn_netif nif;
  struct zn_netif *inner;
  uint64_t hash;
  uint64_t frames;
  uint8_t *rx;
  size_t rx_len;
};

static inline int sniff_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct tf_sniff *x = ZN_CONTAINER_OF(nif, struct tf_sniff, nif);
  x->inner->now = nif->now;
  *out = NULL;
  int rc = zn_netif_recv(x->inner, out);
  const struct zn_buf *b = *out;
  if (rc >= 0 && b != NULL && x->rx != NULL) {
    size_t k =
        b->len < TF_SNIFF_RX - x->rx_len ? b->len : TF_SNIFF_RX - x->rx_len;
    memcpy(x->rx + x->rx_len, b->data, k);
    x->rx_len += k;
  }
  return rc;
}

static inline int sniff_send(struct zn_netif *nif, struct zn_buf *b) {
  struct tf_sniff *x = ZN_CONTAINER_OF(nif, struct tf_sniff, nif);
  for (uint32_t i = 0; i < b->len; i++)
    x->hash = (x->hash ^ b->data[i]) * 0x100000001b3ull;
  x->frames++;
  x->inner->now = nif->now;
  return zn_netif_send(x->inner, b);
}

static const struct zn_netif_ops sniff_ops = {
    .kind = "sniff", .recv = sniff_recv, .send = sniff_send};

struct tpair {
  struct tf_sniff sniff;
  struct th_pair p;
  struct zn_fault fault;
  bool faulty;
  struct zn_tls_config scfg, ccfg;
  struct zn_tls_stats sstats, cstats;
  void *creds_mem, *anchors_mem;
  struct zn_tls_creds *creds;
  struct zn_tls_anchors *anchors;
  struct zn_tcp_conn *listener, *client_tcp;
  int accepted, start_err;
  struct tside srv, cli;
};

static inline uint64_t tf_clock(void *arg) {
  (void)arg;
  return TF_NOW;
}

static inline void tf_readable(struct zn_stream *s, void *arg) {
  struct tside *d = arg;
  if (d->hold)
    return;
  for (int guard = 0; guard < 100000; guard++) {
    const uint8_t *v;
    uint8_t tmp[4096];
    long n;
    if (d->use_peek) {
      n = zn_stream_peek(s, &v);
    } else {
      n = zn_stream_read(s, tmp, sizeof(tmp));
      v = tmp;
    }
    if (n == ZN_EAGAIN)
      return;
    if (n == 0) {
      d->eof++;
      if (d->close_on_eof)
        zn_stream_close(s);
      return;
    }
    if (n < 0) {
      d->read_err = (int)n;
      return;
    }
    size_t k = (size_t)n;
    if (d->echo) {
      long w = zn_stream_write(s, v, k);
      if (w <= 0)
        return; /* on_writable resumes; a read view stays until consumed */
      k = (size_t)w;
    }
    if (d->rx && d->rx_len + k <= d->rx_cap)
      memcpy(d->rx + d->rx_len, v, k);
    d->rx_len += k;
    if (d->use_peek && zn_stream_consume(s, k) != ZN_OK)
      zt_fail(__FILE__, __LINE__, "consume %zu failed", k);
    if (!d->use_peek && d->echo && k < (size_t)n)
      zt_fail(__FILE__, __LINE__, "echo with read lost bytes");
  }
}

static inline void tf_released(void *arg) { ((struct tsend *)arg)->released++; }

/* Queue what the stream takes of the sender's data. */
static inline void tf_send_pump(struct zn_stream *s, struct tsend *x) {
  for (int guard = 0; guard < 100000 && x->off < x->total; guard++) {
    size_t k = x->total - x->off < x->chunk ? x->total - x->off : x->chunk;
    if (x->copy) {
      long w = zn_stream_write(s, x->data + x->off, k);
      if (w <= 0)
        break;
      x->off += (size_t)w;
    } else {
      if (zn_stream_write_ref(s, x->data + x->off, k, tf_released, x) != ZN_OK)
        break;
      x->refs++;
      x->off += k;
    }
  }
  if (x->off == x->total && !x->ended) {
    x->ended = true;
    if (x->close_at_end)
      zn_stream_close(s);
    else if (x->shutdown_at_end)
      ZT_EQ(zn_stream_shutdown(s), ZN_OK);
  }
}

static inline void tf_open(struct zn_stream *s, void *arg) {
  struct tside *d = arg;
  d->opened++;
  if (d->send)
    tf_send_pump(s, d->send);
}

static inline void tf_writable(struct zn_stream *s, void *arg) {
  struct tside *d = arg;
  d->writable++;
  if (d->send)
    tf_send_pump(s, d->send);
  if (d->echo)
    tf_readable(s, arg);
}

static inline void tf_error(struct zn_stream *s, void *arg, int err) {
  struct tside *d = arg;
  d->errors++;
  d->last_err = err;
  d->fail = zn_tls_error(s);
}

static inline void tf_closed(struct zn_stream *s, void *arg) {
  (void)s;
  struct tside *d = arg;
  d->closed++;
  free(d->mem);
  d->mem = NULL;
}

static const struct zn_stream_callbacks tf_cbs = {
    .on_open = tf_open,
    .on_readable = tf_readable,
    .on_writable = tf_writable,
    .on_error = tf_error,
    .on_closed = tf_closed,
};

static inline void tf_accept(struct zn_tcp_conn *l, void *arg) {
  struct tpair *t = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    t->accepted++;
    size_t len = zn_tls_conn_size(&t->scfg);
    t->srv.mem = aligned_alloc(64, (len + 63) / 64 * 64);
    t->start_err = zn_tls_server_start(&t->scfg, t->p.b, c, &tf_cbs, &t->srv,
                                       t->srv.mem, len, &t->srv.s);
    if (t->start_err != ZN_OK) {
      free(t->srv.mem);
      t->srv.mem = NULL;
      zn_tcp_abort(c);
    }
  }
}

static const struct zn_tcp_callbacks tf_lcbs = {.on_accept = tf_accept};

/* Server credentials from PEM text (certs.h). */
static inline void tf_creds(struct tpair *t, const char *chain,
                            const char *key) {
  size_t need = 0;
  const char *why = NULL;
  int rc =
      zn_tls_creds_measure(chain, strlen(chain), key, strlen(key), &need, &why);
  ZT_EQ(rc, ZN_OK);
  free(t->creds_mem);
  t->creds_mem = malloc(need);
  rc = zn_tls_creds_init(chain, strlen(chain), key, strlen(key), t->creds_mem,
                         need, &t->creds, &why);
  ZT_EQ(rc, ZN_OK);
  t->scfg.creds = t->creds;
}

static inline void tf_anchors(struct tpair *t, const char *pem) {
  size_t need = 0;
  int rc = zn_tls_anchors_measure(pem, strlen(pem), &need, NULL, NULL);
  ZT_EQ(rc, ZN_OK);
  free(t->anchors_mem);
  t->anchors_mem = malloc(need);
  rc = zn_tls_anchors_init(pem, strlen(pem), t->anchors_mem, need, &t->anchors,
                           NULL);
  ZT_EQ(rc, ZN_OK);
  t->ccfg.anchors = t->anchors;
}

/* Two stacks (a fault injector on A's side with fc), the server's
 * listener, the configurations with the EC server certificate and the
 * test CA; nothing connected yet. */
static inline void tf_init_ex(struct tpair *t, const struct zn_fault_cfg *fc,
                              bool sniff) {
  memset(t, 0, sizeof(*t));
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.nbufs = cb.nbufs = 2048;
  zn_memlink_init(&t->p.link, 0, 1024);
  t->p.a = th_stack_new(&ca);
  t->p.b = th_stack_new(&cb);
  if (fc) {
    zn_fault_init(&t->fault, &t->p.link.a.nif, fc);
    zn_stack_attach(t->p.a, &t->fault.nif);
    t->faulty = true;
  } else if (sniff) {
    t->sniff.hash = 0xcbf29ce484222325ull;
    t->sniff.rx = malloc(TF_SNIFF_RX);
    t->sniff.inner = &t->p.link.a.nif;
    zn_netif_init(&t->sniff.nif, &sniff_ops, t->p.link.a.nif.mtu);
    zn_netif_wrap(&t->sniff.nif, &t->p.link.a.nif);
    zn_stack_attach(t->p.a, &t->sniff.nif);
  } else {
    zn_stack_attach(t->p.a, &t->p.link.a.nif);
  }
  zn_stack_attach(t->p.b, &t->p.link.b.nif);
  zn_stack_poll(t->p.a, 0);
  zn_stack_poll(t->p.b, 0);
  zn_tls_config_default(&t->scfg, ZN_TLS_SERVER);
  zn_tls_config_default(&t->ccfg, ZN_TLS_CLIENT);
  t->scfg.stats = &t->sstats;
  t->ccfg.stats = &t->cstats;
  t->ccfg.clock = tf_clock;
  tf_creds(t, ZT_PEM_SERVER_EC_PEM, ZT_PEM_SERVER_EC_KEY);
  tf_anchors(t, ZT_PEM_CA_PEM);
  ZT_EQ(zn_tcp_listen(t->p.b, NULL, TF_PORT, 0, &tf_lcbs, t, &t->listener),
        ZN_OK);
}

static inline void tf_init(struct tpair *t, const struct zn_fault_cfg *fc) {
  tf_init_ex(t, fc, false);
}

/* Connect A to B and start the client session (for `name`) at once, in
 * SYN_SENT; returns zn_tls_client_start's result. */
static inline int tf_connect(struct tpair *t, const char *name) {
  int rc =
      zn_tcp_connect(t->p.a, TH_IP(IP_B), TF_PORT, NULL, NULL, &t->client_tcp);
  ZT_EQ(rc, ZN_OK);
  size_t len = zn_tls_conn_size(&t->ccfg);
  t->cli.mem = aligned_alloc(64, (len + 63) / 64 * 64);
  rc = zn_tls_client_start(&t->ccfg, t->p.a, t->client_tcp, name, &tf_cbs,
                           &t->cli, t->cli.mem, len, &t->cli.s);
  if (rc != ZN_OK) {
    free(t->cli.mem);
    t->cli.mem = NULL;
    zn_tcp_abort(t->client_tcp);
  }
  return rc;
}

static inline void tf_run(struct tpair *t, uint64_t ns) {
  th_pair_run(&t->p, ns);
}

/* Close both streams (those still there), run the clocks on until every
 * on_closed came and the TCP tables are empty, and free everything (the
 * leak checks of th_stack_free included). */
static inline void tf_free(struct tpair *t) {
  if (t->cli.s && !t->cli.closed)
    zn_stream_close(t->cli.s);
  if (t->srv.s && !t->srv.closed)
    zn_stream_close(t->srv.s);
  tf_run(t, ZN_SEC(30));
  if (t->listener)
    zn_tcp_close(t->listener);
  tf_run(t, ZN_SEC(130));
  if (t->cli.s)
    ZT_EQ(t->cli.closed, 1);
  if (t->srv.s)
    ZT_EQ(t->srv.closed, 1);
  ZT_EQ(ZN__MOD(t->p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(t->p.b, tcp)->nused, 0);
  ZT_EQU(zn_stat(t->p.a, ZN_STAT_tcp_impossible) +
             zn_stat(t->p.b, ZN_STAT_tcp_impossible),
         0);
  ZT_EQ(th_check_accounting(t->p.a) + th_check_accounting(t->p.b), 0);
  if (t->faulty)
    zn_netif_close(&t->fault.nif);
  free(t->cli.mem);
  free(t->srv.mem);
  th_pair_free(&t->p);
  free(t->creds_mem);
  free(t->anchors_mem);
  free(t->cli.rx);
  free(t->srv.rx);
  free(t->sniff.rx);
}

/* Both sides' failures, as TAP comments. */
static inline void diag_failure(const struct tpair *t) {
  const struct zn_tls_error_info *c = &t->cli.fail, *s = &t->srv.fail;
  printf("# client: %s (engine %d, alert %d %s); server: %s (engine %d, "
         "alert %d %s)\n",
         zn_tls_failure_name((int)c->failure), c->engine_code, c->alert,
         c->alert_sent ? "sent" : "received", zn_tls_failure_name((int)s->failure),
         s->engine_code, s->alert, s->alert_sent ? "sent" : "received");
}

/* A known byte pattern (xorshift32 from seed). */
static inline uint8_t *tf_pattern(size_t n, uint32_t seed) {
  uint8_t *p = malloc(n ? n : 1);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (uint8_t)(x >> 24);
  }
  return p;
}

static inline void tf_rx(struct tside *d, size_t cap) {
  free(d->rx);
  d->rx = malloc(cap ? cap : 1);
  d->rx_cap = cap;
  d->rx_len = 0;
}

#endif /* TESTS_TLS_FIXTURE_H */
