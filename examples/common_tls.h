/*
 * TLS for the examples: libznet-tls (znet/tls.h) set up from the command
 * line's files, in malloc'd memory.  Built from common_tls.c where
 * libznet-tls is, from common_tls_none.c (every call says "built without
 * TLS") where it is not, so the programs need no #if.
 *
 *     struct ex_tls *x = ex_tls_server_new(cert, key, PROG);   // or NULL
 *     ...on accept:
 *     struct zn_stream *s;
 *     if (ex_tls_start(x, st, conn, NULL, &cbs, arg, &s) != ZN_OK) ...
 *     ...in on_closed(s): ex_tls_end(s);                       // its memory
 *     ex_tls_set_ocsp_file(x, "resp.der", PROG);             // optional
 *     ...on SIGHUP: ex_tls_ocsp_reload(x, st, PROG);
 *     ex_tls_print_stats(stderr, x, "tls");
 *     ex_tls_free(x);
 */
#ifndef ZN_EXAMPLES_COMMON_TLS_H
#define ZN_EXAMPLES_COMMON_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "znet.h"
#include "znet/stream.h"

struct ex_tls;

/* True if the examples were built with libznet-tls. */
bool ex_tls_available(void);

/* True if the build compiled a certificate and key into the programs
 * (meson -Dtls_cert=FILE -Dtls_key=FILE: the programs then need no
 * files to serve TLS, in an image too). */
bool ex_tls_has_embedded(void);

/* A server configuration with the chain and key of these PEM files, or
 * with both NULL the embedded ones, and a session cache of 256 entries.
 * NULL (message printed) on failure. */
struct ex_tls *ex_tls_server_new(const char *cert_path, const char *key_path,
                                 const char *prog);

/* OCSP stapling (znet/tls.h, zn_tls_creds_set_ocsp) for a server
 * configuration: the DER OCSP response in the file at path (it must
 * outlive x) is read now and stapled to TLS 1.3 handshakes whose client
 * asks.  Returns 0, or -1 with the reason printed (unreadable, not a
 * successful DER OCSP response, too long). */
int ex_tls_set_ocsp_file(struct ex_tls *x, const char *path, const char *prog);

/* Read the file of ex_tls_set_ocsp_file() again (on SIGHUP; st the
 * stack the sessions run on): "PROG: ocsp: reloaded FILE, N bytes" on
 * stdout, or why not on stderr, the response before kept.  The response
 * replaced is freed by a timer of st once no handshake can be sending it
 * (the handshake timeout, and a second); a reload asked before then
 * waits for it, and is done then.  Nothing without
 * ex_tls_set_ocsp_file(). */
void ex_tls_ocsp_reload(struct ex_tls *x, struct zn_stack *st,
                        const char *prog);

/* A client configuration trusting the CA certificates of the PEM bundle
 * at ca_path, on the host's (or the tender's) wall clock.  NULL (message
 * printed) on failure. */
struct ex_tls *ex_tls_client_new(const char *ca_path, const char *prog);

/* ALPN names for the configuration's sessions (static strings). */
/* One more chain for clients that name it (SNI): spec is
 * NAME=CERT.pem,KEY.pem (NAME a DNS name or *.NAME); 0, or -1 with a
 * message. */
int ex_tls_add_sni(struct ex_tls *x, const char *spec, const char *prog);

void ex_tls_set_alpn(struct ex_tls *x, const char *const *names, unsigned n);

/* Start a session (a server's on an accepted c; a client's, for name, on
 * a connecting or established c) in malloc'd memory that ex_tls_end()
 * frees.  Returns the errors of zn_tls_server_start/zn_tls_client_start,
 * or ZN_ENOMEM. */
int ex_tls_start(struct ex_tls *x, struct zn_stack *st, struct zn_tcp_conn *c,
                 const char *name, const struct zn_stream_callbacks *cb,
                 void *arg, struct zn_stream **out);

/* Free the session's memory: in its on_closed, or after it (never
 * before). */
void ex_tls_end(struct zn_stream *s);

/* A pool of n sessions of x's configuration (malloc'd, freed by
 * ex_tls_free) as a stream maker for servers that take one (the DNS
 * forwarder's DNS over TLS, the HTTP server); name is the server name a
 * client configuration's sessions check (NULL for a server's).  NULL
 * (message printed) on failure. */
struct zn_stream_maker *ex_tls_maker(struct ex_tls *x, struct zn_stack *st,
                                     const char *name, unsigned n,
                                     const char *prog);

/* ex_tls_set_bufs()'s default. */
#define EX_TLS_BUFS_AUTO 0u

/* Record buffer pairs the sessions of ex_tls_maker() borrow (znet/tls.h,
 * "Record buffers lent"; call before ex_tls_maker()): k pairs (at most
 * the sessions' number), or EX_TLS_BUFS_AUTO (0, the default): for a
 * server maker, busy + busy/4 + 8 with ex_tls_set_busy(busy), else n/4 +
 * 4 of its n sessions (at most n either way); none for a client's (each
 * session its own pair). */
void ex_tls_set_bufs(struct ex_tls *x, unsigned k);

/* What the application has moving at once (znet-httpd: its requests in
 * flight, --busy), which EX_TLS_BUFS_AUTO sizes the pool by; 0: not said
 * (the default).  Call before ex_tls_maker(). */
void ex_tls_set_busy(struct ex_tls *x, unsigned busy);

/* The pairs of ex_tls_maker()'s buffer pool (0: none) and the times a
 * session waited for one. */
void ex_tls_bufs_info(const struct ex_tls *x, unsigned *pairs,
                      uint64_t *waits);

/* Connections the maker of ex_tls_maker() had no session for. */
uint64_t ex_tls_maker_refused(const struct ex_tls *x);

/* Bytes per session. */
size_t ex_tls_conn_size(const struct ex_tls *x);

/* Bytes of the pool of ex_tls_maker() and its record buffers (0 before
 * it). */
size_t ex_tls_maker_mem_size(const struct ex_tls *x);

/* "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 alpn http/1.1" for an open
 * session, into buf ("... resumed" for a resumed one). */
void ex_tls_describe(const struct zn_stream *s, char *buf, size_t size);

/* True for an open session that resumed one before (a ticket). */
bool ex_tls_resumed(const struct zn_stream *s);

/* Why the session failed: "certificate does not match the server name
 * (BearSSL error 56, alert 42 sent)", into buf. */
void ex_tls_why(const struct zn_stream *s, char *buf, size_t size);

/* Every non-zero counter of the configuration's sessions, "  PREFIX.name
 * value" (failures marked), then the record buffer pool's pairs, peak,
 * takes and waits if it has one, to fp. */
void ex_tls_print_stats(FILE *fp, const struct ex_tls *x, const char *prefix);

/* Free x and its memory, once no session of it is left and st's last
 * poll is done (a reload's timer may be pending: ex_tls_ocsp_reload). */
void ex_tls_free(struct ex_tls *x);

#endif /* ZN_EXAMPLES_COMMON_TLS_H */
