/*
 * The examples' TLS (common_tls.h) in a build without libznet-tls: every
 * set-up says so and fails, so --tls flags are refused with a reason.
 */
#include "common_tls.h"

#include <string.h>

static void say(const char *prog) {
  fprintf(stderr,
          "%s: built without TLS (libznet-tls: meson -Dtls=enabled, "
          "BearSSL)\n",
          prog);
}

bool ex_tls_available(void) { return false; }

bool ex_tls_has_embedded(void) { return false; }

struct ex_tls *ex_tls_server_new(const char *cert_path, const char *key_path,
                                 const char *prog) {
  (void)cert_path;
  (void)key_path;
  say(prog);
  return NULL;
}

int ex_tls_add_sni(struct ex_tls *x, const char *spec, const char *prog) {
  (void)x;
  (void)spec;
  say(prog);
  return -1;
}

int ex_tls_set_ocsp_file(struct ex_tls *x, const char *path, const char *prog) {
  (void)x;
  (void)path;
  say(prog);
  return -1;
}

void ex_tls_ocsp_reload(struct ex_tls *x, struct zn_stack *st,
                        const char *prog) {
  (void)x;
  (void)st;
  (void)prog;
}

struct ex_tls *ex_tls_client_new(const char *ca_path, const char *prog) {
  (void)ca_path;
  say(prog);
  return NULL;
}

void ex_tls_set_alpn(struct ex_tls *x, const char *const *names, unsigned n) {
  (void)x;
  (void)names;
  (void)n;
}

int ex_tls_start(struct ex_tls *x, struct zn_stack *st, struct zn_tcp_conn *c,
                 const char *name, const struct zn_stream_callbacks *cb,
                 void *arg, struct zn_stream **out) {
  (void)x;
  (void)st;
  (void)c;
  (void)name;
  (void)cb;
  (void)arg;
  (void)out;
  return ZN_ENOTSUP;
}

void ex_tls_end(struct zn_stream *s) { (void)s; }

struct zn_stream_maker *ex_tls_maker(struct ex_tls *x, struct zn_stack *st,
                                     const char *name, unsigned n,
                                     const char *prog) {
  (void)x;
  (void)st;
  (void)name;
  (void)n;
  say(prog);
  return NULL;
}

void ex_tls_set_bufs(struct ex_tls *x, unsigned k) {
  (void)x;
  (void)k;
}

void ex_tls_set_busy(struct ex_tls *x, unsigned busy) {
  (void)x;
  (void)busy;
}

void ex_tls_bufs_info(const struct ex_tls *x, unsigned *pairs,
                      uint64_t *waits) {
  (void)x;
  *pairs = 0;
  *waits = 0;
}

uint64_t ex_tls_maker_refused(const struct ex_tls *x) {
  (void)x;
  return 0;
}

size_t ex_tls_conn_size(const struct ex_tls *x) {
  (void)x;
  return 0;
}

size_t ex_tls_maker_mem_size(const struct ex_tls *x) {
  (void)x;
  return 0;
}

void ex_tls_describe(const struct zn_stream *s, char *buf, size_t size) {
  (void)s;
  if (size)
    buf[0] = '\0';
}

bool ex_tls_resumed(const struct zn_stream *s) {
  (void)s;
  return false;
}

void ex_tls_why(const struct zn_stream *s, char *buf, size_t size) {
  ex_tls_describe(s, buf, size);
}

void ex_tls_print_stats(FILE *fp, const struct ex_tls *x, const char *prefix) {
  (void)fp;
  (void)x;
  (void)prefix;
}

void ex_tls_free(struct ex_tls *x) { (void)x; }
