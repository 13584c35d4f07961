/* Chapter 5: a web server.  The files under SITE over HTTPS (TLS 1.3 on
 * port 443) and HTTP (port 80), the certificate and its key read from PEM
 * files; on Linux over a TAP, or in an image whose root archive holds
 * SITE and the PEM files.  web [ZNET FLAGS] -- SITE CERT.pem KEY.pem */
#define _DEFAULT_SOURCE 1 /* realpath() */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <znet/app.h>
#include <znet/http.h>
#include <znet/tls.h>
#include <znet/wipe.h>

#define CONNS 16    /* connections at once, both ports */
#define SESSIONS 24 /* TLS sessions: one a connection, and some closing */

struct file { /* a file read whole; the server holds it while it sends it */
  unsigned refs;
  void *data;
};

struct web {
  struct zn_http_content content; /* first: what the server asks */
  char *site;                     /* SITE, every link followed */
  size_t site_len;                /* 0 when SITE is "/" */
  struct file *last;              /* what the last open() found */
  struct zn_tls_config tls;
  void *creds_mem, *pool_mem, *server_mem;
  struct zn_tls_pool pool;
  struct zn_http_server *server;
};

/* A whole file in memory (one byte more, so never malloc(0)), or NULL and
 * errno. */
static char *read_file(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  struct stat st;
  char *data = NULL;
  if (fp != NULL && fstat(fileno(fp), &st) == 0 &&
      (data = malloc((size_t)st.st_size + 1)) != NULL &&
      (*len = fread(data, 1, (size_t)st.st_size, fp)) != (size_t)st.st_size) {
    free(data);
    data = NULL;
    errno = EIO;
  }
  if (fp != NULL)
    (void)fclose(fp);
  return data;
}

static void file_hold(void *ref) { ((struct file *)ref)->refs++; }
static void file_release(void *ref) {
  struct file *f = ref;
  if (--f->refs == 0) {
    free(f->data);
    free(f);
  }
}

/* SITE/path with every link followed, which must still be under SITE;
 * else NULL, and *rc says what to answer (ZN_OK with a path). */
static char *site_path(const struct web *w, const char *path, int *rc) {
  char name[PATH_MAX];
  char *real = NULL;
  *rc = ZN_ENOENT; /* 404 */
  if (snprintf(name, sizeof(name), "%s/%s", w->site, path) >=
          (int)sizeof(name) ||
      (real = realpath(name, NULL)) == NULL)
    return NULL;
  if (strncmp(real, w->site, w->site_len) != 0 ||
      (real[w->site_len] != '/' && real[w->site_len] != '\0')) {
    *rc = ZN_EACCES; /* a link out of SITE: 403 */
    free(real);
    return NULL;
  }
  *rc = ZN_OK;
  return real;
}

/* The server's question for each request: what is at path, a clean path
 * under SITE (the server answered "..", in any spelling, with 400)? */
static int site_open(struct zn_http_content *self, const char *path, size_t len,
                     struct zn_http_file *out) {
  struct web *w = (struct web *)self;
  struct file *f = NULL;
  struct stat st;
  size_t size = 0;
  int rc;
  char *real = site_path(w, path, &rc);
  (void)len;
  if (w->last != NULL)
    file_release(w->last); /* the server holds it if it still sends it */
  w->last = NULL;
  if (real == NULL)
    return rc;
  if (stat(real, &st) != 0)
    rc = ZN_ENOENT;
  else if (S_ISDIR(st.st_mode))
    rc = ZN_EISDIR; /* the server asks again for its index.html */
  else if (!S_ISREG(st.st_mode))
    rc = ZN_EACCES;
  else if ((f = calloc(1, sizeof(*f))) == NULL ||
           (f->data = read_file(real, &size)) == NULL)
    rc = ZN_EIO; /* 500 */
  free(real);
  if (rc != ZN_OK) {
    free(f);
    return rc;
  }
  f->refs = 1;
  w->last = f;
  *out = (struct zn_http_file){.data = f->data,
                               .size = size,
                               .mtime = st.st_mtime,
                               .hold = file_hold,
                               .release = file_release,
                               .ref = f};
  return ZN_OK;
}

static int open_site(struct web *w, const char *site) {
  w->site = realpath(site, NULL);
  if (w->site == NULL) {
    fprintf(stderr, "web: %s: %s\n", site, strerror(errno));
    return ZN_ENOENT;
  }
  w->site_len = strcmp(w->site, "/") == 0 ? 0 : strlen(w->site);
  return ZN_OK;
}

/* The chain and its key, from PEM files, into the TLS configuration. */
static int load_creds(struct web *w, const char *cert, const char *key) {
  size_t clen = 0, klen = 0, len = 0;
  const char *why = NULL;
  struct zn_tls_creds *creds = NULL;
  char *c = read_file(cert, &clen), *k = c ? read_file(key, &klen) : NULL;
  int rc = ZN_ENOENT;
  if (k == NULL)
    fprintf(stderr, "web: %s: %s\n", c ? key : cert, strerror(errno));
  else if ((rc = zn_tls_creds_measure(c, clen, k, klen, &len, &why)) != ZN_OK ||
           (rc = (w->creds_mem = malloc(len)) ? ZN_OK : ZN_ENOMEM) != ZN_OK ||
           (rc = zn_tls_creds_init(c, clen, k, klen, w->creds_mem, len, &creds,
                                   &why)) != ZN_OK)
    fprintf(stderr, "web: %s, %s: %s\n", cert, key,
            why ? why : zn_strerror(rc));
  if (k != NULL)
    zn_wipe(k, klen); /* the key stays in creds_mem only */
  free(c);
  free(k);
  zn_tls_config_default(&w->tls, ZN_TLS_SERVER);
  w->tls.creds = creds;
  return rc;
}

static uint64_t wall_clock(void *arg) { /* for the Date field */
  (void)arg;
  return (uint64_t)time(NULL);
}

/* The HTTP server on ports 80 and 443, whose connections a pool of TLS
 * sessions makes HTTPS. */
static int serve(struct web *w, struct zn_stack *st) {
  static const char *const alpn[] = {"http/1.1"};
  struct zn_http_server_cfg cfg;
  size_t len;
  int rc = ZN_ENOMEM;
  w->tls.alpn = alpn;
  w->tls.nalpn = 1;
  len = zn_tls_pool_mem_size(&w->tls, SESSIONS);
  zn_http_server_cfg_default(&cfg); /* port 80, any address */
  cfg.stream_port = 443;
  cfg.stream_maker = &w->pool.maker;
  cfg.max_conns = CONNS;
  cfg.content = &w->content;
  cfg.clock = wall_clock;
  if ((w->pool_mem = malloc(len)) != NULL &&
      (rc = zn_tls_pool_init(&w->pool, &w->tls, st, NULL, w->pool_mem, len,
                             SESSIONS)) == ZN_OK) {
    len = zn_http_server_mem_size(&cfg);
    rc = (w->server_mem = malloc(len)) == NULL
             ? ZN_ENOMEM
             : zn_http_server_init(st, &cfg, w->server_mem, len, &w->server);
  }
  if (rc != ZN_OK)
    fprintf(stderr, "web: cannot serve: %s\n", zn_strerror(rc));
  return rc;
}

int main(int argc, char **argv) {
  static const struct zn_app_opts opts = {
      .synopsis = "[OPTIONS] -- SITE CERT.pem KEY.pem",
      .summary = "HTTPS (port 443) and HTTP (port 80) for the files in SITE"};
  /* Static: the stack may use its memory until the process ends (in an
   * image it outlives zn_app_close()), so none of it is freed. */
  static struct web w = {.content = {.open = site_open}};
  struct zn_app *app;
  int n = 0, rc = zn_app_open(argc, argv, &opts, &app);
  char **args = rc == ZN_OK ? zn_app_argv(app, &n) : NULL;
  if (rc == ZN_OK && n != 4) {
    fprintf(stderr, "web: want SITE CERT.pem KEY.pem after --\n");
    rc = ZN_EINVAL;
  }
  if (rc == ZN_OK && (rc = open_site(&w, args[1])) == ZN_OK &&
      (rc = load_creds(&w, args[2], args[3])) == ZN_OK &&
      (rc = serve(&w, zn_app_stack(app))) == ZN_OK) {
    printf("web: serving %s on ports 443 (HTTPS) and 80\n", w.site);
    (void)fflush(stdout);
    rc = zn_app_run(app, NULL); /* until SIGINT or SIGTERM */
  }
  if (w.server != NULL)
    zn_http_server_stop(w.server);
  zn_app_close(app); /* NULL after --help or a failed open */
  return rc == ZN_OK || rc == ZN_APP_HELP ? 0 : 1;
}
