/*
 * The examples' TLS (common_tls.h) with libznet-tls: configurations from
 * PEM files (or the credentials compiled in), each session in one
 * malloc'd block, the counters printed like the stack's.
 */
#include "common_tls.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "tls_embedded.h"
#include "znet/tls.h"

#define SESSION_CACHE 256
/* TLS 1.3 tickets live as long as OpenSSL's do by default. */
#define TICKET_LIFETIME_S 7200u
/* A client keeps this many (about 640 bytes each): a forwarder's
 * upstream connections, a few servers each. */
#define RESUME_TICKETS 64u

/* The OCSP response stapled, from a file (ex_tls_set_ocsp_file): the
 * one the credentials point at, and the one it replaced, kept until no
 * handshake can still be sending it (a stack timer frees it, so an idle
 * loop wakes for it).  Two buffers, not one per reload: a reload asked
 * while the one before last is still kept waits for it (at most a
 * handshake timeout), so a burst of SIGHUPs costs no more memory, and
 * the file is read once more after the burst. */
struct ex_ocsp {
  const char *path; /* NULL: no stapling */
  const char *prog; /* for the messages of a reload that waited */
  char *cur;        /* the credentials' response */
  size_t cur_len;
  char *old;              /* the one before, until retire fires */
  uint64_t old_until;     /* when it does (ns, the stack's clock) */
  struct zn_timer retire; /* frees old */
  bool pending;           /* a reload waits for old to go */
};

struct ex_tls {
  struct zn_tls_config cfg;
  struct zn_tls_creds *creds; /* cfg.creds, writable (OCSP) */
  struct ex_ocsp ocsp;
  struct zn_tls_stats stats;
  void *creds_mem, *anchors_mem, *cache_mem, *pool_mem, *bufs_mem, *tickets_mem;
  void *resume_mem;
  size_t pool_len, bufs_len;
  struct zn_tls_pool pool;
  unsigned bufs; /* ex_tls_set_bufs(); EX_TLS_BUFS_AUTO: bufs_for() */
  struct zn_tls_sni sni[ZN_TLS_SNI_MAX]; /* ex_tls_add_sni() */
  char *sni_names[ZN_TLS_SNI_MAX];
  void *sni_mem[ZN_TLS_SNI_MAX];
  unsigned busy; /* ex_tls_set_busy(); 0: not said */
};

bool ex_tls_available(void) { return true; }

bool ex_tls_has_embedded(void) {
  return ex_tls_embedded_cert[0] != '\0' && ex_tls_embedded_key[0] != '\0';
}

static uint64_t wall_clock(void *arg) {
  (void)arg;
  return zn__app_wall_seconds();
}

static struct ex_tls *tls_new(enum zn_tls_role role, const char *prog) {
  struct ex_tls *x = calloc(1, sizeof(*x));
  if (x == NULL) {
    fprintf(stderr, "%s: out of memory\n", prog);
    return NULL;
  }
  zn_tls_config_default(&x->cfg, role);
  x->cfg.stats = &x->stats;
  x->bufs = EX_TLS_BUFS_AUTO;
  return x;
}

/* A chain and key decoded into memory of their own (*mem; message
 * printed on failure): the credentials, or NULL. */
static struct zn_tls_creds *decode_creds(const char *chain, size_t chain_len,
                                         const char *key, size_t key_len,
                                         void **mem, const char *what,
                                         const char *prog) {
  size_t len = 0;
  const char *why = NULL;
  int rc = zn_tls_creds_measure(chain, chain_len, key, key_len, &len, &why);
  struct zn_tls_creds *cr = NULL;
  if (rc == ZN_OK) {
    *mem = malloc(len);
    rc = *mem ? zn_tls_creds_init(chain, chain_len, key, key_len, *mem, len,
                                  &cr, &why)
              : ZN_ENOMEM;
  }
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: %s: %s\n", prog, what, why ? why : zn_strerror(rc));
    return NULL;
  }
  return cr;
}

/* The server's chain and key into x (message printed on failure). */
static int load_creds(struct ex_tls *x, const char *chain, size_t chain_len,
                      const char *key, size_t key_len, const char *what,
                      const char *prog) {
  x->creds =
      decode_creds(chain, chain_len, key, key_len, &x->creds_mem, what, prog);
  x->cfg.creds = x->creds;
  return x->creds ? 0 : -1;
}

/* A chain and key from two PEM files (message printed on failure). */
static struct zn_tls_creds *read_creds(const char *cert_path,
                                       const char *key_path, void **mem,
                                       const char *prog) {
  char *cert = NULL, *key = NULL;
  size_t clen = 0, klen = 0;
  struct zn_tls_creds *cr = NULL;
  if (zn__app_read_file(cert_path, &cert, &clen, prog) == 0 &&
      zn__app_read_file(key_path, &key, &klen, prog) == 0) {
    char what[512];
    (void)snprintf(what, sizeof(what), "%s and %s", cert_path, key_path);
    cr = decode_creds(cert, clen, key, klen, mem, what, prog);
  }
  free(cert);
  if (key)
    memset(key, 0, klen);
  free(key);
  return cr;
}

int ex_tls_add_sni(struct ex_tls *x, const char *spec, const char *prog) {
  const char *eq = strchr(spec, '=');
  const char *comma = eq ? strchr(eq + 1, ',') : NULL;
  uint32_t n = x->cfg.nsni;
  if (eq == NULL || comma == NULL || eq == spec || n == ZN_TLS_SNI_MAX) {
    fprintf(stderr,
            "%s: bad --sni '%s' (want NAME=CERT.pem,KEY.pem; at most "
            "%u)\n",
            prog, spec, (unsigned)ZN_TLS_SNI_MAX);
    return -1;
  }
  char cert[4096];
  size_t clen = (size_t)(comma - eq - 1);
  if (clen >= sizeof(cert))
    clen = sizeof(cert) - 1;
  memcpy(cert, eq + 1, clen);
  cert[clen] = '\0';
  size_t nlen = (size_t)(eq - spec);
  x->sni_names[n] = malloc(nlen + 1);
  if (x->sni_names[n]) {
    memcpy(x->sni_names[n], spec, nlen);
    x->sni_names[n][nlen] = '\0';
  }
  x->sni[n].name = x->sni_names[n];
  x->sni[n].creds = read_creds(cert, comma + 1, &x->sni_mem[n], prog);
  if (x->sni_names[n] == NULL || x->sni[n].creds == NULL)
    return -1;
  x->cfg.sni = x->sni;
  x->cfg.nsni = n + 1;
  if (zn_tls_conn_size(&x->cfg) == 0) { /* the name (the rest was checked) */
    fprintf(stderr, "%s: bad --sni name '%s' (want a DNS name or *.NAME)\n",
            prog, x->sni_names[n]);
    x->cfg.nsni = n;
    return -1;
  }
  return 0;
}

static int load_cache(struct ex_tls *x, const char *prog) {
  size_t len = zn_tls_session_cache_mem_size(SESSION_CACHE);
  x->cache_mem = malloc(len);
  if (x->cache_mem == NULL ||
      zn_tls_session_cache_init(x->cache_mem, len, SESSION_CACHE,
                                &x->cfg.cache) != ZN_OK) {
    fprintf(stderr, "%s: out of memory for the TLS session cache\n", prog);
    return -1;
  }
  return 0;
}

/* TLS 1.3 tickets under a secret of this process's. */
static int load_tickets(struct ex_tls *x, const char *prog) {
  uint8_t secret[32];
  struct zn_tls_tickets *tk = NULL;
  x->tickets_mem = malloc(zn_tls_tickets_mem_size());
  if (x->tickets_mem == NULL || zn_host_seed(secret) != ZN_OK ||
      zn_tls_tickets_init(x->tickets_mem, zn_tls_tickets_mem_size(), secret,
                          TICKET_LIFETIME_S, &tk) != ZN_OK) {
    fprintf(stderr, "%s: cannot set up TLS session tickets\n", prog);
    return -1;
  }
  memset(secret, 0, sizeof(secret));
  x->cfg.tickets = tk;
  return 0;
}

struct ex_tls *ex_tls_server_new(const char *cert_path, const char *key_path,
                                 const char *prog) {
  struct ex_tls *x = tls_new(ZN_TLS_SERVER, prog);
  if (x == NULL)
    return NULL;
  int rc;
  if (cert_path == NULL && key_path == NULL) {
    rc = load_creds(x, ex_tls_embedded_cert, strlen(ex_tls_embedded_cert),
                    ex_tls_embedded_key, strlen(ex_tls_embedded_key),
                    "the built-in certificate", prog);
  } else {
    x->creds = read_creds(cert_path, key_path, &x->creds_mem, prog);
    x->cfg.creds = x->creds;
    rc = x->creds ? 0 : -1;
  }
  if (rc != 0 || load_cache(x, prog) != 0 || load_tickets(x, prog) != 0) {
    ex_tls_free(x);
    return NULL;
  }
  return x;
}

/* ---- OCSP stapling from a file ---- */

/* The file's bytes made the credentials' response: 0 and them in *buf
 * (*len bytes), or -1 with why printed, the credentials unchanged. */
static int ocsp_read(struct ex_tls *x, char **buf, size_t *len,
                     const char *prog) {
  if (zn__app_read_file(x->ocsp.path, buf, len, prog) != 0)
    return -1;
  if (zn_tls_creds_set_ocsp(x->creds, *buf, *len) != ZN_OK) {
    fprintf(stderr,
            "%s: ocsp: %s: not a DER OCSP response with status "
            "successful, or longer than %u bytes\n",
            prog, x->ocsp.path, ZN_TLS_OCSP_MAX);
    free(*buf);
    *buf = NULL;
    return -1;
  }
  return 0;
}

/* A handshake reads the response it took until its flight is in
 * records, which is before it ends, and it ends within the handshake
 * timeout of the session's start (znet/tls.h, zn_tls_creds_set_ocsp):
 * a response replaced is free after that, and a second of margin. */
static uint64_t ocsp_retire_delay(const struct ex_tls *x) {
  return ZN_MS(x->cfg.handshake_timeout_ms) + ZN_SEC(1);
}

void ex_tls_ocsp_reload(struct ex_tls *x, struct zn_stack *st,
                        const char *prog) {
  struct ex_ocsp *o = x ? &x->ocsp : NULL;
  if (o == NULL || o->path == NULL)
    return;
  if (o->old) {
    uint64_t now = zn_stack_now(st);
    if (!o->pending)
      printf("%s: ocsp: reload of %s in %" PRIu64
             " ms, once the response before the last is free\n",
             prog, o->path,
             o->old_until > now ? (o->old_until - now) / ZN_MS(1) : 0);
    (void)fflush(stdout);
    o->pending = true;
    return;
  }
  o->pending = false;
  char *buf = NULL;
  size_t len = 0;
  if (ocsp_read(x, &buf, &len, prog) != 0) {
    fprintf(stderr,
            "%s: ocsp: reload of %s failed: the response of %zu "
            "bytes stays\n",
            prog, o->path, o->cur_len);
    return;
  }
  o->old = o->cur;
  o->old_until = zn_stack_now(st) + ocsp_retire_delay(x);
  zn_timer_start(st, &o->retire, o->old_until);
  o->cur = buf;
  o->cur_len = len;
  printf("%s: ocsp: reloaded %s, %zu bytes\n", prog, o->path, len);
  (void)fflush(stdout);
}

static void ocsp_retired(struct zn_stack *st, struct zn_timer *t) {
  struct ex_ocsp *o = ZN_CONTAINER_OF(t, struct ex_ocsp, retire);
  free(o->old);
  o->old = NULL;
  if (o->pending)
    ex_tls_ocsp_reload(ZN_CONTAINER_OF(o, struct ex_tls, ocsp), st, o->prog);
}

int ex_tls_set_ocsp_file(struct ex_tls *x, const char *path, const char *prog) {
  if (x->creds == NULL || x->cfg.handshake_timeout_ms == 0) {
    /* Without a timeout no time is safe to free a replaced response. */
    fprintf(stderr,
            "%s: ocsp: needs a server configuration with a "
            "handshake timeout\n",
            prog);
    return -1;
  }
  x->ocsp.path = path;
  x->ocsp.prog = prog;
  zn_timer_init(&x->ocsp.retire, ocsp_retired);
  if (ocsp_read(x, &x->ocsp.cur, &x->ocsp.cur_len, prog) != 0) {
    x->ocsp.path = NULL;
    return -1;
  }
  printf("%s: ocsp: %s, %zu bytes, stapled to TLS 1.3 handshakes that ask "
         "(SIGHUP reads it again)\n",
         prog, path, x->ocsp.cur_len);
  (void)fflush(stdout);
  return 0;
}

/* A client's TLS 1.3 tickets, offered again to the same name. */
static int load_resume(struct ex_tls *x, const char *prog) {
  size_t len = zn_tls_resume_mem_size(RESUME_TICKETS);
  x->resume_mem = malloc(len); /* malloc's alignment is what it asks */
  if (x->resume_mem == NULL ||
      zn_tls_resume_init(x->resume_mem, len, RESUME_TICKETS, &x->cfg.resume) !=
          ZN_OK) {
    fprintf(stderr, "%s: out of memory for the TLS ticket store\n", prog);
    return -1;
  }
  return 0;
}

struct ex_tls *ex_tls_client_new(const char *ca_path, const char *prog) {
  struct ex_tls *x = tls_new(ZN_TLS_CLIENT, prog);
  if (x == NULL)
    return NULL;
  x->cfg.clock = wall_clock;
  if (load_resume(x, prog) != 0) {
    ex_tls_free(x);
    return NULL;
  }
  char *pem = NULL;
  size_t len = 0, need = 0;
  uint32_t skipped = 0;
  const char *why = NULL;
  int rc = ZN_EINVAL;
  if (zn__app_read_file(ca_path, &pem, &len, prog) == 0) {
    rc = zn_tls_anchors_measure(pem, len, &need, &skipped, &why);
    struct zn_tls_anchors *a = NULL;
    if (rc == ZN_OK) {
      x->anchors_mem = malloc(need);
      rc = x->anchors_mem
               ? zn_tls_anchors_init(pem, len, x->anchors_mem, need, &a, &why)
               : ZN_ENOMEM;
    }
    x->cfg.anchors = a;
    if (rc != ZN_OK)
      fprintf(stderr, "%s: %s: %s\n", prog, ca_path,
              why ? why : zn_strerror(rc));
    else if (skipped)
      fprintf(stderr, "%s: %s: %" PRIu32 " certificates skipped\n", prog,
              ca_path, skipped);
  }
  free(pem);
  if (rc != ZN_OK) {
    ex_tls_free(x);
    return NULL;
  }
  return x;
}

void ex_tls_set_alpn(struct ex_tls *x, const char *const *names, unsigned n) {
  x->cfg.alpn = names;
  x->cfg.nalpn = n;
}

size_t ex_tls_conn_size(const struct ex_tls *x) {
  return zn_tls_conn_size(&x->cfg);
}

int ex_tls_start(struct ex_tls *x, struct zn_stack *st, struct zn_tcp_conn *c,
                 const char *name, const struct zn_stream_callbacks *cb,
                 void *arg, struct zn_stream **out) {
  size_t len = zn_tls_conn_size(&x->cfg);
  void *mem = malloc(len);
  if (mem == NULL)
    return ZN_ENOMEM;
  int rc =
      x->cfg.role == ZN_TLS_SERVER
          ? zn_tls_server_start(&x->cfg, st, c, cb, arg, mem, len, out)
          : zn_tls_client_start(&x->cfg, st, c, name, cb, arg, mem, len, out);
  if (rc != ZN_OK)
    free(mem);
  return rc;
}

/* The session's stream is the start of its block (znet/tls.h). */
void ex_tls_end(struct zn_stream *s) { free(s); }

void ex_tls_set_bufs(struct ex_tls *x, unsigned k) { x->bufs = k; }

void ex_tls_set_busy(struct ex_tls *x, unsigned busy) { x->busy = busy; }

/* A server maker's sessions borrow record buffers (znet/tls.h, "Record
 * buffers lent"), so that idle keep-alive sessions hold none.  A pair is
 * held only while a record moves: a handshake, a request TCP holds
 * whole until the application has read it, a response until TCP has
 * taken it.  So the pool follows what moves records at once, not the
 * sessions.  Told the application's requests in flight (znet-httpd's
 * request contexts, --busy), a pair for each (a request in flight reads
 * and answers through one, a record at a time), and a quarter more and
 * 8 for handshakes under way and for sessions whose next request waits,
 * decrypted, for a context (the margin of znet-httpd's sessions over
 * its contexts); at most one per session.  So with the sessions at their
 * default (the same figure) every session may hold one, and with many
 * more sessions than requests in flight (keep-alive connections held
 * idle) the pool stays the size of the load.  Not told, a pair for each
 * four sessions and four more (DoT's 32 sessions: 12).  Sessions that
 * find none free wait in turn (buf_waits; ex_tls_print_stats). */
static unsigned bufs_for(const struct ex_tls *x, unsigned n) {
  unsigned k = x->bufs;
  if (k == EX_TLS_BUFS_AUTO && x->cfg.role != ZN_TLS_SERVER)
    k = 0;
  else if (k == EX_TLS_BUFS_AUTO && x->busy)
    k = x->busy + x->busy / 4 + 8;
  else if (k == EX_TLS_BUFS_AUTO)
    k = n / 4 + 4;
  return k < n ? k : n;
}

static int make_bufpool(struct ex_tls *x, unsigned n) {
  unsigned k = bufs_for(x, n);
  free(x->bufs_mem);
  x->bufs_mem = NULL;
  x->bufs_len = 0;
  x->cfg.bufpool = NULL;
  if (k == 0)
    return ZN_OK;
  size_t len = zn_tls_bufpool_mem_size(k, x->cfg.in_buf, x->cfg.out_buf);
  x->bufs_mem = len ? malloc(len) : NULL;
  if (x->bufs_mem == NULL)
    return ZN_ENOMEM;
  x->bufs_len = len;
  return zn_tls_bufpool_init(x->bufs_mem, len, k, x->cfg.in_buf, x->cfg.out_buf,
                             &x->cfg.bufpool);
}

struct zn_stream_maker *ex_tls_maker(struct ex_tls *x, struct zn_stack *st,
                                     const char *name, unsigned n,
                                     const char *prog) {
  int brc = make_bufpool(x, n);
  if (brc != ZN_OK) {
    fprintf(stderr, "%s: TLS record buffers: %s\n", prog, zn_strerror(brc));
    return NULL;
  }
  size_t len = zn_tls_pool_mem_size(&x->cfg, n);
  free(x->pool_mem);
  x->pool_mem = len ? malloc(len) : NULL;
  x->pool_len = x->pool_mem ? len : 0;
  int rc = x->pool_mem ? zn_tls_pool_init(&x->pool, &x->cfg, st, name,
                                          x->pool_mem, len, n)
                       : ZN_ENOMEM;
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: %u TLS sessions: %s\n", prog, n, zn_strerror(rc));
    return NULL;
  }
  return &x->pool.maker;
}

size_t ex_tls_maker_mem_size(const struct ex_tls *x) {
  return x->pool_len + x->bufs_len;
}

void ex_tls_bufs_info(const struct ex_tls *x, unsigned *pairs,
                      uint64_t *waits) {
  struct zn_tls_bufpool_info i = {0};
  if (x->cfg.bufpool)
    zn_tls_bufpool_get_info(x->cfg.bufpool, &i);
  *pairs = i.n;
  *waits = i.waits;
}

uint64_t ex_tls_maker_refused(const struct ex_tls *x) {
  return x->pool.refused;
}

void ex_tls_describe(const struct zn_stream *s, char *buf, size_t size) {
  struct zn_tls_info i;
  if (zn_tls_get_info(s, &i) != ZN_OK || !i.open) {
    (void)snprintf(buf, size, "not open");
    return;
  }
  (void)snprintf(buf, size, "TLSv1.%u %s alpn %s%s",
                 (unsigned)(i.version & 0xff) - 1u,
                 i.suite_name ? i.suite_name : "?", i.alpn ? i.alpn : "-",
                 i.resumed ? " resumed" : "");
}

bool ex_tls_resumed(const struct zn_stream *s) {
  struct zn_tls_info i;
  return zn_tls_get_info(s, &i) == ZN_OK && i.open && i.resumed;
}

void ex_tls_why(const struct zn_stream *s, char *buf, size_t size) {
  struct zn_tls_error_info e = zn_tls_error(s);
  char alert[32] = "";
  if (e.alert >= 0)
    (void)snprintf(alert, sizeof(alert), ", alert %d %s", e.alert,
                   e.alert_sent ? "sent" : "received");
  if (e.engine_code)
    (void)snprintf(buf, size, "%s (BearSSL error %d%s)", e.text, e.engine_code,
                   alert);
  else
    (void)snprintf(buf, size, "%s", e.text);
}

static void print_one(FILE *fp, const char *prefix, const char *name,
                      uint64_t v, const char *note) {
  char key[64];
  (void)snprintf(key, sizeof(key), "%s.%s", prefix, name);
  fprintf(fp, "  %-26s %10" PRIu64 "%s\n", key, v, note);
}

/* The record buffer pool, whatever its counters say: how large it is
 * against how much of it was used. */
static void print_bufpool(FILE *fp, const struct ex_tls *x,
                          const char *prefix) {
  struct zn_tls_bufpool_info i;
  if (x->cfg.bufpool == NULL)
    return;
  zn_tls_bufpool_get_info(x->cfg.bufpool, &i);
  print_one(fp, prefix, "bufpool_pairs", i.n, "  (record buffer pairs)");
  print_one(fp, prefix, "bufpool_peak", i.peak, "  (most lent at once)");
  print_one(fp, prefix, "bufpool_takes", i.takes, "  (pairs lent)");
  print_one(fp, prefix, "bufpool_waits", i.waits, "  (none free: waited)");
}

void ex_tls_print_stats(FILE *fp, const struct ex_tls *x, const char *prefix) {
  if (x == NULL)
    return;
  for (int i = 0; i < ZN_TLS_NSTATS; i++)
    if (x->stats.v[i] != 0)
      print_one(fp, prefix, zn_tls_stat_name(i), x->stats.v[i],
                i >= ZN_TLS_STAT_failed_version ? "  (failure)" : "");
  print_bufpool(fp, x, prefix);
}

void ex_tls_free(struct ex_tls *x) {
  if (x == NULL)
    return;
  free(x->creds_mem);
  for (uint32_t i = 0; i < x->cfg.nsni; i++) {
    free(x->sni_names[i]);
    free(x->sni_mem[i]);
  }
  free(x->ocsp.cur);
  free(x->ocsp.old);
  free(x->anchors_mem);
  free(x->cache_mem);
  free(x->tickets_mem);
  free(x->resume_mem);
  free(x->pool_mem);
  free(x->bufs_mem);
  free(x);
}
