/*
 * The HTTP server between two znet stacks over memlink, for the http
 * suite: the server on stack B (10.0.0.2) port 80 serving the bundle of
 * tests/http/www-sample (packed at build time by scripts/httpd-pack),
 * clients on stack A reading everything into a buffer, a settable wall
 * clock, and a small parser of the responses.  The content source is
 * the bundle's behind a wrapper that refuses secret.txt (403), can hide
 * the precomputed fields (the server then formats them), and counts the
 * holds and releases, which must balance at the end.
 */
#ifndef TESTS_HTTP_HTTPD_FIXTURE_H
#define TESTS_HTTP_HTTPD_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../proto/proto_util.h"
#include "znet/http.h"

#define HF_PORT 80
#define HF_NOW 1893456000u /* 2030-01-01T00:00:00Z */
#define HF_RX_CAP (4u << 20)

extern const struct zn_http_bundle www_sample;

/* The bundle's source, wrapped. */
struct hf_content {
  struct zn_http_content content;
  struct zn_http_bundle_content inner;
  bool no_fields; /* hide the precomputed fields */
  bool holdable;  /* give the files hold/release (counted) */
  int holds, releases, opens;
};

static inline void hf_hold(void *ref) { ((struct hf_content *)ref)->holds++; }
static inline void hf_release(void *ref) {
  ((struct hf_content *)ref)->releases++;
}

static inline int hf_open(struct zn_http_content *self, const char *path,
                          size_t len, struct zn_http_file *f) {
  struct hf_content *hc = (struct hf_content *)(void *)self;
  hc->opens++;
  if (len == 10 && memcmp(path, "secret.txt", 10) == 0)
    return ZN_EACCES;
  if (path[len] != '\0')
    return ZN_EINVAL; /* the contract: a NUL after the path */
  int rc = hc->inner.content.open(&hc->inner.content, path, len, f);
  if (rc == ZN_OK && hc->no_fields) {
    f->fields = NULL;
    f->fields_len = 0;
  }
  if (rc == ZN_OK && hc->holdable) {
    f->hold = hf_hold;
    f->release = hf_release;
    f->ref = hc;
  }
  return rc;
}

/* A client connection on stack A: TCP, or a stream (TLS) over it. */
struct hcli {
  struct zn_tcp_conn *c;
  struct zn_stream *s;
  uint8_t *rx;
  size_t rx_len;
  bool hold; /* read nothing */
  int connected, eof, errors, closed, last_err;
};

struct hfix {
  struct th_pair p;
  struct zn_http_server_cfg cfg;
  struct zn_http_server *srv;
  void *mem;
  struct hf_content src;
  uint64_t wall;
  int logs, last_status;
  uint64_t last_bytes;
  char last_target[256];
};

static inline uint64_t hf_clock(void *arg) {
  return ((struct hfix *)arg)->wall;
}

static inline void hf_log(void *arg, const struct zn_http_access *a) {
  struct hfix *f = arg;
  f->logs++;
  f->last_status = a->status;
  f->last_bytes = a->bytes;
  size_t n = a->target.p ? a->target.len : 0;
  if (n >= sizeof(f->last_target))
    n = sizeof(f->last_target) - 1;
  if (n)
    memcpy(f->last_target, a->target.p, n);
  f->last_target[n] = '\0';
}

/* The stacks, with tcp_conns TCP connections each, and the
 * configuration (defaults, the wrapped bundle, the clock, the log);
 * change hf->cfg, then hf_start. */
static inline void hf_init_conns(struct hfix *hf, uint32_t tcp_conns) {
  memset(hf, 0, sizeof(*hf));
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.tcp_conns = cb.tcp_conns = tcp_conns;
  ca.nbufs = cb.nbufs = 2048;
  th_pair_init(&hf->p, &ca, &cb);
  ZT_EQ(zn_http_bundle_content_init(&hf->src.inner, &www_sample), ZN_OK);
  hf->src.content.open = hf_open;
  hf->src.holdable = true;
  hf->wall = HF_NOW;
  zn_http_server_cfg_default(&hf->cfg);
  hf->cfg.content = &hf->src.content;
  hf->cfg.clock = hf_clock;
  hf->cfg.clock_arg = hf;
  hf->cfg.access_log = hf_log;
  hf->cfg.access_arg = hf;
}

static inline void hf_init(struct hfix *hf) { hf_init_conns(hf, 128); }

static inline void hf_start(struct hfix *hf) {
  size_t n = zn_http_server_mem_size(&hf->cfg);
  ZT_REQUIRE(n > 0);
  hf->mem = aligned_alloc(64, (n + 63) / 64 * 64);
  ZT_REQUIRE(hf->mem != NULL);
  ZT_EQ(zn_http_server_init(hf->p.b, &hf->cfg, hf->mem, n, &hf->srv), ZN_OK);
}

static inline void hf_run(struct hfix *hf, uint64_t ns) {
  th_pair_run(&hf->p, ns);
}

static inline uint64_t hf_stat(struct hfix *hf, enum zn_http_server_stat i) {
  struct zn_http_server_stats s;
  zn_http_server_get_stats(hf->srv, &s);
  return s.v[i];
}

#define HF_STAT(hf, name) hf_stat((hf), ZN_HTTP_SRV_##name)

/* Stop the server, let everything close, check the holds balance and
 * free it all (th_pair_free checks that no buffer leaked). */
static inline void hf_free(struct hfix *hf) {
  if (hf->srv)
    zn_http_server_stop(hf->srv);
  hf_run(hf, ZN_SEC(120));
  ZT_EQ(hf->src.holds, hf->src.releases);
  free(hf->mem);
  th_pair_free(&hf->p);
}

/* ---- clients ---- */

static inline void hc_take(struct hcli *cl, long n, const uint8_t *p) {
  size_t k = (size_t)n;
  if (k > HF_RX_CAP - cl->rx_len)
    k = HF_RX_CAP - cl->rx_len;
  memcpy(cl->rx + cl->rx_len, p, k);
  cl->rx_len += k;
}

static inline void hcli_readable(struct zn_tcp_conn *c, void *arg) {
  struct hcli *cl = arg;
  if (cl->hold)
    return;
  uint8_t tmp[16384];
  for (;;) {
    long n = zn_tcp_read(c, tmp, sizeof(tmp));
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) {
      if (n == 0)
        cl->eof++;
      return;
    }
    hc_take(cl, n, tmp);
  }
}

static inline void hcli_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct hcli *)arg)->connected++;
}

static inline void hcli_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct hcli *cl = arg;
  cl->errors++;
  cl->last_err = err;
}

static inline void hcli_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct hcli *cl = arg;
  cl->closed++;
  cl->c = NULL;
}

static const struct zn_tcp_callbacks hcli_cbs = {
    .on_connected = hcli_connected,
    .on_readable = hcli_readable,
    .on_writable = NULL,
    .on_error = hcli_error,
    .on_closed = hcli_closed,
};

static inline void hcli_open(struct hfix *hf, struct hcli *cl, uint16_t port) {
  memset(cl, 0, sizeof(*cl));
  cl->rx = malloc(HF_RX_CAP);
  ZT_REQUIRE(cl->rx != NULL);
  ZT_EQ(zn_tcp_connect(hf->p.a, TH_IP(IP_B), port, &hcli_cbs, cl, &cl->c),
        ZN_OK);
  zn_tcp_set_nodelay(cl->c, true); /* each piece goes as it is written */
  hf_run(hf, ZN_MS(20));
  ZT_EQ(cl->connected, 1);
}

static inline void hcli_send(struct hcli *cl, const char *s, size_t n) {
  size_t off = 0;
  while (off < n) {
    long w = zn_tcp_write(cl->c, s + off, n - off);
    ZT_REQUIRE(w > 0);
    off += (size_t)w;
  }
}

static inline void hcli_sends(struct hcli *cl, const char *s) {
  hcli_send(cl, s, strlen(s));
}

/* n requests for path, pipelined: written at once (n at most 512). */
static inline void hcli_pipeline(struct hcli *cl, const char *path, int n) {
  static char reqs[512 * 64];
  size_t len = 0;
  ZT_REQUIRE(n <= 512);
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(reqs + len, sizeof(reqs) - len,
                            "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
  ZT_REQUIRE(len < sizeof(reqs));
  hcli_send(cl, reqs, len);
}

/* Close the client (if still open) and free its buffer. */
static inline void hcli_done(struct hfix *hf, struct hcli *cl) {
  if (cl->c) {
    zn_tcp_close(cl->c);
    hf_run(hf, ZN_MS(50));
  }
  free(cl->rx);
  cl->rx = NULL;
}

/* ---- responses ---- */

struct hresp {
  int status;
  const char *head; /* from the status line to the empty line */
  size_t head_len;
  const uint8_t *body;
  size_t body_len;
};

/* The value of field `name` (case-insensitive) in r's head, into out
 * (NUL-terminated); false if absent. */
static inline bool hr_field(const struct hresp *r, const char *name, char *out,
                            size_t cap) {
  size_t nl = strlen(name);
  const char *p = r->head, *end = r->head + r->head_len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
      break;
    if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 &&
        p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ')
        v++;
      size_t vl = (size_t)(eol - v);
      if (vl > 0 && v[vl - 1] == '\r')
        vl--;
      if (vl >= cap)
        vl = cap - 1;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return true;
    }
    p = eol + 1;
  }
  return false;
}

static inline bool hr_is(const struct hresp *r, const char *name,
                         const char *want) {
  char v[512];
  return hr_field(r, name, v, sizeof(v)) && strcmp(v, want) == 0;
}

/* One response from p[0..len): its head, and a body of Content-Length
 * bytes (none for 304, or when head_only).  Returns the bytes it took,
 * 0 if the response is not complete. */
static inline size_t hr_parse(const uint8_t *p, size_t len, bool head_only,
                              struct hresp *r) {
  memset(r, 0, sizeof(*r));
  const char *s = (const char *)p;
  const char *end = NULL;
  for (size_t i = 0; i + 3 < len; i++)
    if (memcmp(s + i, "\r\n\r\n", 4) == 0) {
      end = s + i + 4;
      break;
    }
  if (end == NULL || len < 12 || memcmp(s, "HTTP/1.1 ", 9) != 0)
    return 0;
  r->status = atoi(s + 9);
  r->head = s;
  r->head_len = (size_t)(end - s);
  char cl[32];
  size_t body = 0;
  if (!head_only && r->status != 304 && hr_field(r, "Content-Length", cl, 32))
    body = (size_t)strtoull(cl, NULL, 10);
  if (len - r->head_len < body)
    return 0;
  r->body = p + r->head_len;
  r->body_len = body;
  return r->head_len + body;
}

/* Every response in the client's buffer, into rs (at most max); head_only
 * says which are answers to HEAD (NULL: none). */
static inline int hr_all(const struct hcli *cl, struct hresp *rs, int max,
                         const bool *head_only) {
  size_t off = 0;
  int n = 0;
  while (n < max) {
    size_t k = hr_parse(cl->rx + off, cl->rx_len - off,
                        head_only ? head_only[n] : false, &rs[n]);
    if (k == 0)
      break;
    off += k;
    n++;
  }
  return n;
}

/* One request on a new connection; the first response (status, 0 if
 * none) into *r, the client left open in *cl (hcli_done frees it). */
static inline int hf_ask(struct hfix *hf, struct hcli *cl, const char *req,
                         struct hresp *r) {
  hcli_open(hf, cl, HF_PORT);
  hcli_sends(cl, req);
  hf_run(hf, ZN_MS(100));
  bool head = strncmp(req, "HEAD ", 5) == 0;
  if (hr_parse(cl->rx, cl->rx_len, head, r) == 0)
    return 0;
  return r->status;
}

/* The bundle's bytes of path. */
static inline const uint8_t *hf_file(const char *path, size_t *len) {
  const struct zn_http_bundle_entry *e =
      zn_http_bundle_find(&www_sample, path, strlen(path));
  if (e == NULL) {
    zt_fail(__FILE__, __LINE__, "%s not in the bundle", path);
    abort();
  }
  *len = (size_t)e->size;
  return www_sample.blob + e->offset;
}

#endif /* TESTS_HTTP_HTTPD_FIXTURE_H */
