/*
 * Private to the HTTP server (znet/http.h, "The server"):
 *
 *   http_server.c   slots, listeners, accepting and evicting, the
 *                   connection's states and timers, reading requests and
 *                   handing responses to the stream;
 *   http_respond.c  one request to one response: the steps of RFC 9110
 *                   the server takes (method, target, file, conditions,
 *                   range) and the response head, handed back to
 *                   http_server.c to send (calls go that one way).
 */
#ifndef ZN_HTTP_SERVER_INT_H
#define ZN_HTTP_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/http.h"
#include "znet/stream.h"
#include "znet/tcp.h"
#include "znet/timer.h"

/* The longest response head (the status line and every field): the
 * fields of a file (ZN_HTTP_FIELDS_MAX), Date, Server, Content-Length,
 * Content-Range, Connection, and a Location of up to HS_LOCATION_MAX
 * bytes.  A redirect whose Location would be longer is answered 414. */
#define HS_LOCATION_MAX 1024u
#define HS_HEAD_OUT_MAX (ZN_HTTP_FIELDS_MAX + HS_LOCATION_MAX + 512u)
/* Room after the cleaned path for "/index.html" and its NUL. */
#define HS_INDEX_ROOM 12u

/* A connection's state.  Only the functions named in http_server.c's
 * "states" section move it. */
enum hc_state {
  HC_FREE,    /* on the free list */
  HC_MAKING,  /* accepted on the stream port with no stream free in the
                 maker: another connection was closed for one, and the
                 maker is asked again (HT_MAKE) */
  HC_OPENING, /* the stream is not open yet (a TLS handshake) */
  HC_IDLE,    /* waiting for a request's first byte */
  HC_WAIT,    /* a request's first bytes are here, unread: waiting for a
                 request context (the TCP window closes behind them) */
  HC_HEAD,    /* reading a request head */
  HC_BODY,    /* dropping a request body (after its response) */
  HC_SEND,    /* a response partly handed to the stream */
  HC_LINGER,  /* our side shut down; reading and dropping until the
                 client closes (RFC 9112 §9.6) */
  HC_CLOSING, /* closed; waiting for bodies sent by reference to be
                 released, then the slot is free */
};

/* What the connection's one timer is armed for.  Each role is started by
 * arm() and handled by one function when it fires (timer_fired). */
enum hc_timer {
  HT_NONE,
  HT_HEADER, /* the head (the first since the connection opened, or one
                whose first byte came) must be complete */
  HT_IDLE,   /* keep-alive: a request must start */
  HT_SEND,   /* a response waits for room: progress must be made */
  HT_LINGER, /* the client must close after our close */
  HT_CLOSE,  /* the stream must release our references */
  HT_MAKE,   /* ask the maker again for the stream of an HC_MAKING */
};

/* The list a slot is on, through its prev and next: none, the free
 * slots, the idle ones a newcomer may close (oldest first), or those
 * waiting for a request context (first come, first served). */
enum hc_list {
  HL_NONE,
  HL_FREE,
  HL_IDLE,
  HL_WAIT,
};

struct http_conn;

/* A body handed to the stream by reference: released through
 * ref_released, which gives the file back to its source and counts the
 * connection's references down. */
struct hc_ref {
  struct http_conn *hc;
  void (*release)(void *ref); /* the file's; NULL: static bytes */
  void *ref;
  struct hc_ref *next_free;
};

/* The response being handed to the stream: head bytes left in the
 * context's out, then body bytes (copied, or by one reference). */
struct hc_pending {
  uint32_t out_off, out_len;
  const uint8_t *body;
  uint64_t body_len;
  bool body_copy;
  bool held; /* file holds one hold of its source */
  bool close_after;
  struct zn_http_file file;
};

/* A request context: what a connection needs only while a request is in
 * flight (its head being read, its response being handed to the stream,
 * bodies it sent by reference not yet released).  A pool of
 * cfg.busy_max, shared by every connection: taken at a request's first
 * byte (ctx_need), given back when the connection is idle again with no
 * reference out (ctx_done). */
struct hs_ctx {
  struct http_conn *hc; /* the holder; NULL while free */
  struct hs_ctx *next;  /* the free list's link */
  char *out;            /* HS_HEAD_OUT_MAX: a response head not taken */
  struct hc_ref *refs;  /* pipeline_max records */
  struct hc_ref *free_refs;
  struct hc_pending pend;
  struct zn_http_head head; /* on its own head_max buffer */
};

/* A connection slot, one of cfg.max_conns: all an idle connection
 * costs. */
struct http_conn {
  struct zn_http_server *srv;
  struct zn_stream *s;
  struct zn_tcp_stream ts; /* the stream of a plain connection */
  struct zn_timer timer;
  struct http_conn *prev, *next; /* on the list `list` says */
  struct http_conn *kick_next;   /* on the server's kick list */
  struct hs_ctx *ctx;            /* while a request is in flight */
  uint64_t discard_left;         /* request body bytes still to drop */
  uint64_t acked_seen; /* TCP bytes_acked at the last look (HT_SEND) */
  /* Progress of the request in flight (or of the wait for a context),
   * which the slowest is evicted by: since prog_t0 (ns), prog_in request
   * bytes read, and the client acknowledged what it took beyond
   * prog_acked0 (TCP bytes_acked then). */
  uint64_t prog_t0;
  uint64_t prog_acked0;
  uint32_t prog_in;
  uint32_t nreq;     /* requests served */
  uint16_t refs_out; /* bodies by reference not yet released */
  uint8_t state;     /* enum hc_state */
  uint8_t trole;     /* enum hc_timer */
  uint8_t list;      /* enum hc_list */
  uint8_t make_tries; /* HC_MAKING: the maker asked this often */
  bool plain;        /* accepted on cfg.port (else the maker's) */
  bool in_pump, pump_again;
  bool kicked; /* on the server's kick list */
  bool ending; /* inside conn_end: releases must not free the slot */
};

struct zn_http_server {
  struct zn_stack *st;
  struct zn_http_server_cfg cfg; /* busy_max resolved */
  struct zn_tcp_conn *listen, *slisten;
  struct http_conn *conns;
  struct hs_ctx *ctxs;
  struct hs_ctx *free_ctx;
  uint32_t ctx_free_n;
  struct http_conn *head[4], *tail[4]; /* per enum hc_list (not HL_NONE) */
  /* Connections a released reference unblocked, or a context reached,
   * pumped from kick (a timer due at once: a TCP release comes in the
   * middle of processing an ACK, where writing to the connection must
   * wait). */
  struct http_conn *kick_list;
  struct zn_timer kick;
  struct zn_timer retry;        /* waiters, and no holder old enough to judge */
  bool serve_due;               /* a context came back while some wait */
  uint32_t scan_conn, scan_ctx; /* where the next eviction scans start */
  uint32_t nopen;
  uint8_t *scratch; /* a response head, and a body copied after it */
  size_t scratch_cap;
  char *path; /* the target as a path, room for "/index.html" */
  size_t path_cap;
  int64_t date_sec; /* the second date[] shows; 0: none yet */
  char date[ZN_HTTP_DATE_LEN + 1];
  struct zn_http_server_stats s;
};

#define HS_COUNT(srv, name) ((srv)->s.v[ZN_HTTP_SRV_##name]++)

/* A response as http_respond.c makes it, for http_server.c to hand to
 * the stream: the head is scratch[0, head_len); the body, body_len bytes
 * at body (copied or sent by reference), is file's when has_file (its
 * bytes valid until the server has taken them: it holds the file if it
 * must).  close_after: a lingering close follows. */
struct hs_response {
  size_t head_len;
  bool has_file;
  struct zn_http_file file; /* as the content source opened it */
  const uint8_t *body;
  uint64_t body_len;
  bool close_after;
};

/* http_respond.c: the response to the request hc->head.req (just
 * parsed), or to the parser's error, into *out.  The request is counted
 * and logged; the server sends *out. */
void zn__hs_serve(struct http_conn *hc, struct hs_response *out);
void zn__hs_serve_error(struct http_conn *hc, enum zn_http_error e,
                        struct hs_response *out);

#endif /* ZN_HTTP_SERVER_INT_H */
