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
  HC_OPENING, /* the stream is not open yet (a TLS handshake) */
  HC_IDLE,    /* waiting for a request's first byte */
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

/* The response being handed to the stream: head bytes left in hc->out,
 * then body bytes (copied, or by one reference). */
struct hc_pending {
  uint32_t out_off, out_len;
  const uint8_t *body;
  uint64_t body_len;
  bool body_copy;
  bool held; /* file holds one hold of its source */
  bool close_after;
  struct zn_http_file file;
};

struct http_conn {
  struct zn_http_server *srv;
  struct zn_stream *s;
  struct zn_tcp_stream ts; /* the stream of a plain connection */
  bool plain;              /* accepted on cfg.port (else the maker's) */
  enum hc_state state;
  enum hc_timer trole;
  struct zn_timer timer;
  /* The evictable list (oldest first) while in_lru; the free list's link
   * (next) while free. */
  struct http_conn *prev, *next;
  bool in_lru;
  bool in_pump, pump_again;
  bool kicked; /* on the server's kick list */
  struct http_conn *kick_next;
  bool ending;       /* inside conn_end: releases must not free the slot */
  bool first;        /* no request has started yet */
  uint32_t nreq;     /* requests served */
  uint32_t refs_out; /* bodies by reference not yet released */
  struct hc_ref *refs, *free_refs;
  uint64_t discard_left; /* request body bytes still to drop */
  uint64_t acked_seen;   /* TCP bytes_acked at the last look (HT_SEND) */
  struct zn_ip peer;
  uint16_t peer_port;
  char *out; /* HS_HEAD_OUT_MAX: a response head not yet taken */
  struct hc_pending pend;
  struct zn_http_head head;
};

struct zn_http_server {
  struct zn_stack *st;
  struct zn_http_server_cfg cfg;
  struct zn_tcp_conn *listen, *slisten;
  struct http_conn *conns;
  struct http_conn *free_list;
  struct http_conn *lru_head, *lru_tail;
  /* Connections a released reference unblocked, pumped from kick (a
   * timer due at once: a TCP release comes in the middle of processing
   * an ACK, where writing to the connection must wait). */
  struct http_conn *kick_list;
  struct zn_timer kick;
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
