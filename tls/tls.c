/*
 * libznet-tls's glue: a TLS session as a struct zn_stream over a znet TCP
 * connection, driving an engine (tls_int.h) through its four buffers.
 *
 * Bytes move in pump(), which calls no callback: ciphertext the engine
 * made goes to TCP (zn_tcp_write copies it into the send buffer), pending
 * zn_stream_write_ref() references are encrypted as record space frees,
 * close_notify and the FIN follow when asked, and ciphertext TCP received
 * goes into the engine (zn_tcp_peek views, copied into the record buffer,
 * decrypted there in place: what zn_stream_peek() shows); with a pool of
 * record buffers, a record only once TCP holds all of it (record_ready),
 * so that a peer trickling bytes holds no buffers.  Callbacks are
 * owed, as flags, and paid in deliver(), which runs only from
 * zn_stack_poll(): in the TCP connection's callbacks and in the session's
 * kick timer (armed for the next poll when an API call leaves something
 * owed).  So the stream keeps znet/stream.h's rule that callbacks never
 * run inside a call, and every loop is bounded (PUMP_ROUNDS,
 * DELIVER_ROUNDS; the kick timer carries on where one stopped).
 *
 * A session's state is in named parts: `out` (our sending side: open,
 * draining for a close, close_notify given to the engine, FIN sent),
 * `tcp` (held, let go with zn_tcp_close or zn_tcp_abort, gone after its
 * on_closed), the deadline timer's role (handshake or close), and one
 * failure, the first, with its reason.  On a failure the session lets go
 * of its TCP connection itself, so a peer that fails a handshake holds no
 * TCP slot whatever the application does; the application's
 * zn_stream_close() then only brings on_closed.
 *
 * Truncation (RFC 5246 §7.2.1, RFC 8446 §6.1): a FIN from the peer after
 * the handshake with no close_notify before it fails the session with
 * ZN_TLS_FAIL_truncated, unless we had sent our close_notify first (the
 * peer need not answer it).
 */
#include <string.h>

#include "tls_int.h"
#include "znet/container.h"
#include "znet/err.h"
#include "znet/stack.h"
#include "znet/tcp.h"
#include "znet/timer.h"
#include "znet/wipe.h"

#define MAX_REFS 1024
/* After a fatal alert, how long the peer has to close first (ms). */
#define LINGER_MS 2000
#define MAX_BUF 65536u
#define SEED_BYTES 32
#define PUMP_ROUNDS 64
#define DELIVER_ROUNDS 64
#define REC_HDR 5

/* A zn_stream_write_ref() reference: off bytes of it are encrypted. */
struct tls_ref {
  const uint8_t *data;
  size_t len, off;
  zn_tcp_release_fn release;
  void *arg;
};

/* Counts records in one direction of ciphertext from their headers. */
struct rec_count {
  uint32_t body_left;
  uint8_t have;
  uint8_t hdr[REC_HDR];
};

/* Our sending side. */
enum tls_out {
  OUT_OPEN = 0, /* application data goes */
  OUT_DRAIN,    /* shutdown or close asked: the references first */
  OUT_NOTIFIED, /* close_notify given to the engine (or its answer sent) */
  OUT_FIN,      /* TCP shut down after it */
};

/* What the session holds of its TCP connection. */
enum tls_tcp {
  TCP_HELD = 0, /* ours, its callbacks ours */
  TCP_LINGER,   /* failed after a fatal alert: held for the peer to close
                   first, what it sends dropped, until LINGER_MS */
  TCP_LET_GO,   /* zn_tcp_close or zn_tcp_abort called */
  TCP_GONE,     /* its on_closed came */
};

/* How a failed session lets go of its TCP connection.  The side that
 * sends the first FIN keeps the connection in TIME_WAIT for 2 MSL, a slot
 * of the stack's table each: a peer that fails handshakes on purpose must
 * not fill the table with them.  So a failure resets (no alert was due,
 * the peer's alert came, the connection is broken or timed out), closes
 * (the peer's FIN came first), or lingers (our alert went: the peer, told,
 * closes first; if it does not within LINGER_MS, a reset). */
enum tls_end {
  END_RST,
  END_FIN,
  END_LINGER,
};

/* The deadline timer's role. */
enum tls_deadline {
  DL_NONE = 0,
  DL_HANDSHAKE, /* cfg.handshake_timeout_ms from the start */
  DL_CLOSE,     /* cfg.close_timeout_ms from zn_stream_close() */
  DL_LINGER,    /* LINGER_MS from a failure that sent or got an alert */
};

struct zn_tls_conn {
  struct zn_stream s; /* first: a zn_stream * is a zn_tls_conn * */
  const struct zn_tls_config *cfg;
  const struct zn__tls_engine *eng;
  void *es; /* the engine's state */
  struct zn_stack *st;
  struct zn_tcp_conn *c;
  size_t es_size;
  /* References, a ring of cfg.max_refs from ref_head: ref_n queued, the
   * first ref_sealed of them wholly in records, the first ref_sent of
   * those handed to TCP (released at the next delivery). */
  struct tls_ref *refs;
  uint32_t ref_head, ref_n, ref_sealed, ref_sent;
  struct zn_timer deadline;
  struct zn_timer kick;
  enum tls_deadline deadline_role;
  enum tls_out out;
  enum tls_tcp tcp;
  bool open;       /* the handshake is done */
  bool in_eof;     /* the peer's close_notify (or its FIN after ours) */
  bool tcp_eof;    /* the peer's FIN has been read */
  bool app_closed; /* zn_stream_close() or zn_stream_abort() */
  bool rx_had;     /* plaintext was there at the last look */
  bool in_deliver;
  bool tickets_held; /* a server's tickets wait for its answer (hold_tickets) */
  bool tickets_seen; /* and they were held once (never again) */
  uint8_t corks;     /* cork_begin() calls not yet ended */
  /* Callbacks owed. */
  bool owe_open, owe_readable, owe_error, want_writable, closed_notified;
  /* The failure, the first one. */
  enum zn_tls_failure failure;
  int err;
  int engine_code;
  struct zn__tls_verdict verdict;
  struct rec_count rin, rout;
  /* Record buffers: `bufs` the pair held (NULL: none), `own` the pair in
   * the block when the configuration has no pool.  With a pool a session
   * holds a pair from the start of its engine to the end of the
   * handshake, then only while the engine is not idle (tls_bufpool.c),
   * and takes one for a record received only once TCP holds it whole
   * (record_ready); while it holds none, status() is `idle_status` and a
   * write would find `idle_room`. */
  struct zn__tls_bufpair *bufs;
  struct zn__tls_bufpair own;
  struct zn__tls_waiter wait; /* in the pool's queue for a pair */
  unsigned idle_status;
  size_t idle_room;
  bool started; /* the engine is set up (with a pool, once it had a pair) */
  bool retired; /* aborted or finished: takes no pair again */
  uint64_t now; /* clients: the clock at the start */
  const char *server_name;
};

/* ---- names ---- */

static const char *const stat_names[ZN_TLS_NSTATS] = {
#define STAT_NAME_(name, text) #name,
    ZN_TLS_STATS(STAT_NAME_)
#undef STAT_NAME_
#define STAT_FAIL_NAME_(name, text) "failed_" #name,
        ZN_TLS_FAILURES(STAT_FAIL_NAME_)
#undef STAT_FAIL_NAME_
};

static const char *const stat_texts[ZN_TLS_NSTATS] = {
#define STAT_TEXT_(name, text) text,
    ZN_TLS_STATS(STAT_TEXT_)
#undef STAT_TEXT_
#define STAT_FAIL_TEXT_(name, text) "sessions failed: " text,
        ZN_TLS_FAILURES(STAT_FAIL_TEXT_)
#undef STAT_FAIL_TEXT_
};

static const char *const failure_names[ZN_TLS_NFAILURES] = {
    "none",
#define FAIL_NAME_(name, text) #name,
    ZN_TLS_FAILURES(FAIL_NAME_)
#undef FAIL_NAME_
};

static const char *const failure_texts[ZN_TLS_NFAILURES] = {
    "no failure",
#define FAIL_TEXT_(name, text) text,
    ZN_TLS_FAILURES(FAIL_TEXT_)
#undef FAIL_TEXT_
};

const char *zn_tls_stat_name(int i) {
  return i >= 0 && i < ZN_TLS_NSTATS ? stat_names[i] : "?";
}

const char *zn_tls_stat_text(int i) {
  return i >= 0 && i < ZN_TLS_NSTATS ? stat_texts[i] : "?";
}

const char *zn_tls_failure_name(int f) {
  return f >= 0 && f < ZN_TLS_NFAILURES ? failure_names[f] : "?";
}

const char *zn_tls_failure_text(int f) {
  return f >= 0 && f < ZN_TLS_NFAILURES ? failure_texts[f] : "?";
}

const char *zn_tls_suite_name(uint16_t iana) {
  switch (iana) {
#define SUITE_NAME_(name, id, text, version)                                   \
  case id:                                                                     \
    return text;
    ZN_TLS_SUITES(SUITE_NAME_)
#undef SUITE_NAME_
  default:
    return NULL;
  }
}

uint32_t zn__tls_suite_bit(uint16_t iana) {
  switch (iana) {
#define SUITE_BIT_(name, id, text, version)                                    \
  case id:                                                                     \
    return ZN_TLS_SUITE(name);
    ZN_TLS_SUITES(SUITE_BIT_)
#undef SUITE_BIT_
  default:
    return 0;
  }
}

uint32_t zn__tls_suites_of(uint16_t version) {
  uint32_t mask = 0;
#define SUITE_OF_(name, id, text, v)                                           \
  if ((v) == version)                                                          \
    mask |= ZN_TLS_SUITE(name);
  ZN_TLS_SUITES(SUITE_OF_)
#undef SUITE_OF_
  return mask;
}

size_t zn__tls_suite_ids(uint32_t mask, uint16_t version, uint16_t *ids) {
  size_t n = 0;
#define SUITE_ID_(name, id, text, v)                                           \
  if ((v) == version && (mask & ZN_TLS_SUITE(name)))                           \
    ids[n++] = (id);
  ZN_TLS_SUITES(SUITE_ID_)
#undef SUITE_ID_
  return n;
}

/* ---- configuration and memory ---- */

void zn_tls_config_default(struct zn_tls_config *cfg, enum zn_tls_role role) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->role = role;
  cfg->in_buf = ZN_TLS_IN_BUF_DEFAULT;
  cfg->out_buf = ZN_TLS_OUT_BUF_DEFAULT;
  cfg->max_refs = 8;
  cfg->handshake_timeout_ms = 10000;
  cfg->close_timeout_ms = 10000;
}

static bool alpn_valid(const struct zn_tls_config *cfg) {
  if (cfg->nalpn == 0)
    return true;
  if (cfg->alpn == NULL || cfg->nalpn > ZN_TLS_ALPN_MAX)
    return false;
  for (uint32_t i = 0; i < cfg->nalpn; i++) {
    const char *a = cfg->alpn[i];
    if (a == NULL || a[0] == '\0' || strlen(a) > 255)
      return false;
  }
  return true;
}

/* A name of the SNI table: a DNS name, or "*." and one. */
static bool sni_name_valid(const char *name) {
  if (name == NULL)
    return false;
  if (name[0] == '*') {
    if (name[1] != '.')
      return false;
    name += 2;
  }
  size_t n = strlen(name);
  if (n == 0 || n > 253 || name[0] == '.' || name[n - 1] == '.')
    return false;
  for (const char *p = name; *p; p++)
    if (*p == '*' || *p == ' ' || (p[0] == '.' && p[1] == '.'))
      return false;
  return true;
}

static bool sni_valid(const struct zn_tls_config *cfg) {
  if (cfg->nsni > ZN_TLS_SNI_MAX || (cfg->nsni && cfg->sni == NULL))
    return false;
  for (uint32_t i = 0; i < cfg->nsni; i++)
    if (!sni_name_valid(cfg->sni[i].name) || cfg->sni[i].creds == NULL)
      return false;
  return true;
}

static bool config_valid(const struct zn_tls_config *cfg) {
  if (cfg == NULL || (cfg->suites & ~ZN_TLS_SUITES_ALL) != 0 ||
      cfg->out_buf < ZN_TLS_OUT_BUF_MIN || cfg->out_buf > MAX_BUF ||
      cfg->in_buf > MAX_BUF || cfg->max_refs < 1 || cfg->max_refs > MAX_REFS ||
      !alpn_valid(cfg))
    return false;
  if (cfg->bufpool) {
    uint32_t in, out;
    zn__tls_bufpool_sizes(cfg->bufpool, &in, &out);
    if (in < cfg->in_buf || out < cfg->out_buf)
      return false;
  }
  if (cfg->role == ZN_TLS_SERVER)
    return cfg->creds != NULL && cfg->in_buf >= ZN_TLS_IN_BUF_DEFAULT &&
           sni_valid(cfg);
  if (cfg->role == ZN_TLS_CLIENT)
    return cfg->anchors != NULL && cfg->clock != NULL &&
           cfg->in_buf >= ZN_TLS_IN_BUF_MIN;
  return false;
}

/* Servers run the TLS 1.3 engine, which reads every ClientHello (the
 * chain by the name asked for) and hands TLS 1.2 ones to BearSSL's; so
 * does a client that may speak TLS 1.3; a client limited to TLS 1.2
 * suites runs BearSSL's. */
static const struct zn__tls_engine *
engine_for(const struct zn_tls_config *cfg) {
  uint32_t suites = cfg->suites ? cfg->suites : ZN_TLS_SUITES_ALL;
  if (cfg->role == ZN_TLS_SERVER || (suites & zn__tls_suites_of(0x0304)))
    return &zn__tls_tls13;
  return &zn__tls_bearssl;
}

/* The block: the session, the engine's state, the references, the input
 * buffer, the output buffer (these two only without a pool). */
struct layout {
  size_t es, refs, ibuf, obuf, total;
};

static struct layout layout_of(const struct zn_tls_config *cfg,
                               const struct zn__tls_engine *eng) {
  struct layout l;
  l.es = zn__tls_align_up(sizeof(struct zn_tls_conn));
  l.refs = l.es + zn__tls_align_up(eng->state_size(cfg->role));
  l.ibuf = l.refs + zn__tls_align_up(cfg->max_refs * sizeof(struct tls_ref));
  if (cfg->bufpool) {
    l.obuf = l.ibuf;
    l.total = l.ibuf;
    return l;
  }
  l.obuf = l.ibuf + zn__tls_align_up(cfg->in_buf);
  l.total = l.obuf + cfg->out_buf;
  return l;
}

size_t zn_tls_conn_size(const struct zn_tls_config *cfg) {
  if (!config_valid(cfg))
    return 0;
  return layout_of(cfg, engine_for(cfg)).total;
}

/* ---- small helpers ---- */

static struct zn_tls_conn *tls_of(struct zn_stream *s) {
  return (struct zn_tls_conn *)s;
}

static const struct zn_tls_conn *tls_of_const(const struct zn_stream *s) {
  return (const struct zn_tls_conn *)s;
}

static void count(struct zn_tls_conn *t, enum zn_tls_stat i, uint64_t n) {
  if (t->cfg->stats)
    t->cfg->stats->v[i] += n;
}

/* The engine does not move while it holds no buffers: what it said when
 * they went back. */
static unsigned status(const struct zn_tls_conn *t) {
  return t->bufs ? t->eng->status(t->es) : t->idle_status;
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Records whose header went past in one direction. */
static uint64_t rec_feed(struct rec_count *r, const uint8_t *p, size_t n) {
  uint64_t recs = 0;
  while (n > 0) {
    if (r->body_left) {
      size_t k = min_size(n, r->body_left);
      p += k;
      n -= k;
      r->body_left -= (uint32_t)k;
      continue;
    }
    r->hdr[r->have++] = *p++;
    n--;
    if (r->have == REC_HDR) {
      r->have = 0;
      r->body_left = (uint32_t)r->hdr[3] << 8 | r->hdr[4];
      recs++;
    }
  }
  return recs;
}

/* The next run of the timers goes on where this one stopped: armed for a
 * time gone by, the kick fires after the frames of the poll that armed it
 * (znet/timer.h), or in the next poll if no poll is running; not at the
 * next tick, which left a session's accept, or an answer written outside
 * a poll, up to a millisecond late and cost the loop a wakeup of its own. */
static void arm_kick(struct zn_tls_conn *t) {
  if (!zn_timer_pending(&t->kick))
    zn_timer_start(t->st, &t->kick, 0);
}

/* ---- record buffers (tls_bufpool.c) ---- */

/* Can the application write: ZN_OK, or the error a write returns. */
static int write_state(const struct zn_tls_conn *t) {
  if (t->failure != ZN_TLS_FAIL_none)
    return t->err;
  if (!t->open)
    return ZN_ENOTCONN;
  if (t->out != OUT_OPEN || t->app_closed || t->in_eof)
    return ZN_EPIPE;
  return ZN_OK;
}

/* The pair is t's now; the engine points at it (or starts on it). */
static void attach(struct zn_tls_conn *t, struct zn__tls_bufpair *pair) {
  t->bufs = pair;
  if (t->started)
    t->eng->set_bufs(t->es, pair->ibuf, pair->obuf);
}

/* True if t holds a pair (a session without a pool always does); else
 * it waits in the pool's queue, and a pair given back comes to it with a
 * kick. */
static bool hold_bufs(struct zn_tls_conn *t) {
  if (t->bufs)
    return true;
  if (t->retired)
    return false;
  struct zn__tls_bufpair *pair = zn__tls_bufpool_take(t->cfg->bufpool);
  if (pair == NULL) {
    if (!t->wait.queued)
      count(t, ZN_TLS_STAT_buf_waits, 1);
    zn__tls_bufpool_wait(t->cfg->bufpool, &t->wait);
    return false;
  }
  attach(t, pair);
  return true;
}

/* t's pair back to the pool, or to the first session waiting for one,
 * which carries on at the next poll.  The engine's status and write room
 * are kept for the time t holds none (they do not change then). */
static void put_bufs(struct zn_tls_conn *t) {
  struct zn__tls_bufpair *pair = t->bufs;
  size_t room = 0;
  t->idle_status = 0;
  t->idle_room = 0;
  if (t->started) {
    t->idle_status = t->eng->status(t->es);
    if (t->eng->sendapp_buf(t->es, &room) != NULL)
      t->idle_room = room;
    t->eng->set_bufs(t->es, NULL, NULL);
  }
  t->bufs = NULL;
  struct zn__tls_waiter *w = zn__tls_bufpool_give(t->cfg->bufpool, pair);
  if (w != NULL) {
    struct zn_tls_conn *u = ZN_CONTAINER_OF(w, struct zn_tls_conn, wait);
    attach(u, pair);
    arm_kick(u);
  }
}

/* A failed session moves no record again: its pair goes back once the
 * plaintext that came before the failure has been read (it stays
 * readable), and it takes none again. */
static void put_bufs_if_failed(struct zn_tls_conn *t) {
  size_t unread = 0;
  if (t->eng->recvapp_buf(t->es, &unread) != NULL && unread > 0)
    return;
  t->retired = true;
  put_bufs(t);
}

/* Between records with nothing buffered, or closed: the pair goes back.
 * The handshake keeps its pair to the end, and so does a session owed
 * on_writable: the write it is told of will need it (else two sessions
 * would hand a pair to and fro, each giving it back for the other). */
static void put_bufs_if_idle(struct zn_tls_conn *t) {
  if (t->cfg->bufpool == NULL || t->bufs == NULL || !t->started)
    return;
  if (t->failure != ZN_TLS_FAIL_none) {
    put_bufs_if_failed(t);
    return;
  }
  if (t->want_writable && write_state(t) == ZN_OK)
    return;
  if ((t->eng->status(t->es) & ZN__TLS_CLOSED) ||
      (t->open && t->eng->idle(t->es)))
    put_bufs(t);
}

/* The session is over (aborted, or its last callback): its pair goes
 * back whatever the engine holds, and it leaves the queue. */
static void drop_bufs(struct zn_tls_conn *t) {
  t->retired = true;
  if (t->cfg->bufpool == NULL)
    return;
  zn__tls_bufpool_cancel(t->cfg->bufpool, &t->wait);
  if (t->bufs)
    put_bufs(t);
}

/* Plaintext received and not yet read (none while no pair is held). */
static uint8_t *plaintext(const struct zn_tls_conn *t, size_t *len) {
  if (t->bufs == NULL) {
    *len = 0;
    return NULL;
  }
  return t->eng->recvapp_buf(t->es, len);
}

static void stop_deadline(struct zn_tls_conn *t) {
  zn_timer_stop(t->st, &t->deadline);
  t->deadline_role = DL_NONE;
}

static void start_deadline(struct zn_tls_conn *t, enum tls_deadline role,
                           uint32_t ms) {
  stop_deadline(t);
  if (ms == 0)
    return;
  t->deadline_role = role;
  zn_timer_start_in(t->st, &t->deadline, ZN_MS(ms));
}

static struct tls_ref *ref_at(struct zn_tls_conn *t, uint32_t i) {
  return &t->refs[(t->ref_head + i) % t->cfg->max_refs];
}

/* The oldest reference off the ring and its release called (which may
 * queue another). */
static void ref_pop_release(struct zn_tls_conn *t) {
  struct tls_ref r = *ref_at(t, 0);
  t->ref_head = (t->ref_head + 1) % t->cfg->max_refs;
  t->ref_n--;
  if (t->ref_sealed)
    t->ref_sealed--;
  if (t->ref_sent)
    t->ref_sent--;
  if (r.release)
    r.release(r.arg);
}

static void release_all_refs(struct zn_tls_conn *t) {
  while (t->ref_n)
    ref_pop_release(t);
}

/* ---- TCP ---- */

/* Close (FIN; RST if data was left unread: it is dropped first) or reset
 * the TCP connection; its on_closed follows. */
static void release_tcp(struct zn_tls_conn *t, bool rst) {
  if (t->tcp != TCP_HELD && t->tcp != TCP_LINGER)
    return;
  t->tcp = TCP_LET_GO;
  if (t->corks) { /* what cork_begin() held goes now */
    t->corks = 0;
    zn_tcp_set_cork(t->c, false);
  }
  if (rst) {
    zn_tcp_abort(t->c);
    return;
  }
  const uint8_t *p;
  long n;
  while ((n = zn_tcp_peek(t->c, &p)) > 0)
    (void)zn_tcp_consume(t->c, (size_t)n);
  zn_tcp_close(t->c);
}

static void linger(struct zn_tls_conn *t) {
  if (t->tcp != TCP_HELD)
    return;
  t->tcp = TCP_LINGER;
  start_deadline(t, DL_LINGER, LINGER_MS);
}

/* The first failure: counted, owed to the application, and the TCP
 * connection let go of as `end` says (the alert, if any, went before). */
static void fail(struct zn_tls_conn *t, enum zn_tls_failure f, int err,
                 enum tls_end end) {
  if (t->failure == ZN_TLS_FAIL_none) {
    t->failure = f;
    t->err = err;
    t->owe_error = true;
    count(t, (enum zn_tls_stat)(ZN_TLS_STAT_failed_version + (int)f - 1), 1);
    if (!t->open)
      count(t, ZN_TLS_STAT_handshakes_failed, 1);
    if (t->deadline_role == DL_HANDSHAKE)
      stop_deadline(t);
  }
  if (end == END_LINGER)
    linger(t);
  else
    release_tcp(t, end == END_RST);
}

/* ---- the engine's state ---- */

/* A TLS 1.3 server's NewSessionTickets, made as the client's Finished
 * is read, wait for the answer to the request that usually follows the
 * Finished in the same poll, its own segment or not (openssl s_client
 * and s_time write it apart): then the tickets leave with the answer,
 * corked, in one segment where they took one of their own.  They wait
 * no longer than this poll: the kick timer, armed for a time gone by,
 * fires after the poll's frames (znet/timer.h), and any write, shutdown
 * or close of the application lets them go first.  A client that holds
 * its request for the ACK of its Finished (Nagle) gets it with the
 * tickets at the end of the poll. */
static void hold_tickets(struct zn_tls_conn *t) {
  t->tickets_held = true;
  t->tickets_seen = true;
  zn_timer_start(t->st, &t->kick, 0);
}

static void handshake_done(struct zn_tls_conn *t) {
  struct zn_tls_info info;
  memset(&info, 0, sizeof(info));
  t->eng->info(t->es, &info);
  t->open = true;
  t->owe_open = true;
  count(t, ZN_TLS_STAT_handshakes_ok, 1);
  count(t, ZN_TLS_STAT_handshakes_tls13, info.version == 0x0304);
  count(t, ZN_TLS_STAT_handshakes_hrr, info.hello_retry);
  count(t, ZN_TLS_STAT_handshakes_resumed, info.resumed);
  count(t, ZN_TLS_STAT_handshakes_stapled, info.ocsp_stapled);
  if (t->deadline_role == DL_HANDSHAKE)
    stop_deadline(t);
}

/* The alert the engine failed without sending, if it has one, before
 * the FIN. */
static void send_unsent_alert(struct zn_tls_conn *t, int code) {
  uint8_t rec[16];
  int alert = -1;
  size_t n = t->eng->unsent_alert(t->es, code, rec, sizeof(rec), &alert);
  if (n == 0 || t->tcp != TCP_HELD || zn_tcp_write(t->c, rec, n) != (long)n)
    return;
  count(t, ZN_TLS_STAT_records_out, rec_feed(&t->rout, rec, n));
  count(t, ZN_TLS_STAT_wire_bytes_out, n);
  t->verdict.alert = alert;
  t->verdict.alert_sent = true;
}

/* The engine closed: an orderly close (the peer's close_notify, ours
 * answered) or a failure, with its alert. */
static void engine_closed(struct zn_tls_conn *t) {
  int code = t->eng->last_error(t->es);
  if (code != 0) {
    t->engine_code = code;
    t->verdict = t->eng->verdict(code);
    send_unsent_alert(t, code);
    if (t->verdict.alert >= 0)
      count(t,
            t->verdict.alert_sent ? ZN_TLS_STAT_alerts_sent
                                  : ZN_TLS_STAT_alerts_received,
            1);
    fail(t, t->verdict.failure, ZN_ETLS,
         t->verdict.alert >= 0 && t->verdict.alert_sent ? END_LINGER : END_RST);
    return;
  }
  if (!t->open) {
    /* A close_notify during the handshake: its FIN may not have come, so
     * not ours first. */
    fail(t, ZN_TLS_FAIL_peer_closed, ZN_ETLS, END_RST);
    return;
  }
  if (t->in_eof)
    return;
  t->in_eof = true;
  t->owe_readable = true;
  count(t, ZN_TLS_STAT_close_notify_received, 1);
  if (t->out < OUT_NOTIFIED) {
    t->out = OUT_NOTIFIED; /* the engine answered it */
    count(t, ZN_TLS_STAT_close_notify_sent, 1);
  }
}

/* After the engine moved: open, closed, new plaintext. */
static void engine_check(struct zn_tls_conn *t) {
  if (t->failure != ZN_TLS_FAIL_none)
    return;
  unsigned s = status(t);
  if (s & ZN__TLS_CLOSED) {
    engine_closed(t);
    return;
  }
  if ((s & ZN__TLS_TICKETS) && !t->tickets_seen)
    hold_tickets(t);
  /* (A server with its tickets made has read the client's Finished: the
   * handshake is done, whether or not they are held.) */
  if (!t->open && (s & (ZN__TLS_SENDAPP | ZN__TLS_RECVAPP | ZN__TLS_TICKETS)))
    handshake_done(t);
  bool has = (s & ZN__TLS_RECVAPP) != 0;
  if (has && !t->rx_had)
    t->owe_readable = true;
  t->rx_had = has;
}

/* ---- moving bytes ---- */

/* TCP held corked while records are made and written one by one (the
 * engine has one record buffer), so that those made in one go leave in
 * as few segments as they fill: a server's flight (ServerHello,
 * change_cipher_spec, the encrypted messages) is one segment, where
 * each record went alone with TCP_NODELAY, or waited for an ACK under
 * Nagle.  Full segments and a FIN go at once anyway; the rest when the
 * outermost cork_end() comes.  The TCP connection is the session's
 * alone, so no one else's cork is undone. */
static void cork_begin(struct zn_tls_conn *t) {
  if (t->tcp != TCP_HELD)
    return;
  if (t->corks++ == 0)
    zn_tcp_set_cork(t->c, true);
}

static void cork_end(struct zn_tls_conn *t) {
  if (t->corks == 0)
    return;
  if (--t->corks == 0 && (t->tcp == TCP_HELD || t->tcp == TCP_LINGER))
    zn_tcp_set_cork(t->c, false);
}

/* Ciphertext from the engine to TCP. */
static bool out_records(struct zn_tls_conn *t) {
  if (t->tcp != TCP_HELD || t->bufs == NULL || t->tickets_held)
    return false; /* no pair: nothing to send; or the tickets wait */
  size_t len;
  uint8_t *p = t->eng->sendrec_buf(t->es, &len);
  if (p == NULL || len == 0)
    return false;
  /* Nothing taken: full (on_writable comes), connecting (on_connected),
   * or failed (on_error). */
  long w = zn_tcp_write(t->c, p, len);
  if (w <= 0)
    return false;
  size_t k = (size_t)w;
  count(t, ZN_TLS_STAT_records_out, rec_feed(&t->rout, p, k));
  count(t, ZN_TLS_STAT_wire_bytes_out, k);
  t->eng->sendrec_ack(t->es, k);
  if (t->eng->sendrec_buf(t->es, &len) == NULL)
    t->ref_sent = t->ref_sealed; /* their last records are TCP's now */
  return true;
}

/* Plaintext from the references into records. */
static bool out_refs(struct zn_tls_conn *t) {
  bool moved = false;
  while (t->ref_sealed < t->ref_n && t->failure == ZN_TLS_FAIL_none) {
    struct tls_ref *r = ref_at(t, t->ref_sealed);
    size_t room;
    if (!hold_bufs(t))
      break;
    uint8_t *p = t->eng->sendapp_buf(t->es, &room);
    if (p == NULL || room == 0)
      break;
    size_t k = min_size(room, r->len - r->off);
    memcpy(p, r->data + r->off, k);
    t->eng->sendapp_ack(t->es, k);
    r->off += k;
    count(t, ZN_TLS_STAT_bytes_out, k);
    if (r->off == r->len) {
      t->eng->flush(t->es);
      t->ref_sealed++;
    }
    moved = true;
  }
  return moved;
}

/* The closing steps of our side, in order: close_notify once every
 * reference is in records, then the FIN once it has gone to TCP, then
 * the connection let go of once the application closed. */
static bool close_step(struct zn_tls_conn *t) {
  if (t->tcp != TCP_HELD || t->failure != ZN_TLS_FAIL_none)
    return false;
  switch (t->out) {
  case OUT_OPEN:
    return false;
  case OUT_DRAIN:
    if (t->ref_sealed < t->ref_n || !hold_bufs(t))
      return false;
    t->eng->close(t->es);
    t->out = OUT_NOTIFIED;
    count(t, ZN_TLS_STAT_close_notify_sent, 1);
    return true;
  case OUT_NOTIFIED:
    if (status(t) & ZN__TLS_SENDREC)
      return false;
    t->out = OUT_FIN;
    if (!t->app_closed) {
      (void)zn_tcp_shutdown(t->c);
      return true;
    }
    release_tcp(t, false);
    return true;
  case OUT_FIN:
    if (!t->app_closed)
      return false;
    release_tcp(t, false);
    return true;
  }
  return false;
}

/* The peer's FIN, everything before it given to the engine. */
static void tcp_fin(struct zn_tls_conn *t) {
  t->tcp_eof = true;
  if (t->in_eof || t->failure != ZN_TLS_FAIL_none)
    return;
  if (!t->open) {
    fail(t, ZN_TLS_FAIL_peer_closed, ZN_ETLS, END_FIN);
    return;
  }
  if (t->out >= OUT_NOTIFIED) {
    t->in_eof = true; /* we closed first; its FIN will do */
    t->owe_readable = true;
    return;
  }
  fail(t, ZN_TLS_FAIL_truncated, ZN_ETLS, END_FIN);
}

/* ---- the next record, before a pair is lent for it ---- */

/* What TCP holds of the next record. */
enum rec_next {
  REC_WAIT,  /* a part, and TCP takes the rest: no pair yet */
  REC_WHOLE, /* all of it */
  REC_PART,  /* a part, but TCP will not take the rest before we read */
  REC_FIN,   /* nothing before the peer's FIN */
  REC_BAD,   /* a header the engine refuses */
};

/* Up to REC_HDR bytes of what TCP holds, across its buffers (a header
 * may straddle two segments): how many. */
static size_t peek_header(struct zn_tcp_conn *c, uint8_t *hdr) {
  size_t got = 0;
  while (got < REC_HDR) {
    const uint8_t *p;
    long n = zn_tcp_peek_at(c, got, &p);
    if (n <= 0)
      break;
    size_t k = min_size((size_t)n, REC_HDR - got);
    memcpy(hdr + got, p, k);
    got += k;
  }
  return got;
}

/* Will TCP queue `missing` more bytes while we read none?  Its receive
 * window is what it offers the peer: the room left under the
 * connection's buffer bound (rcvbuf) and its share of the stack's
 * buffers.  Below the rest of the record and below a segment, waiting
 * gains nothing: the window opens again only when we read (or, under
 * memory pressure, when other connections do), and a peer avoiding
 * silly windows may send nothing more into it. */
static bool tcp_takes(const struct zn_tcp_conn *c, size_t missing) {
  struct zn_tcp_info i;
  zn_tcp_get_info(c, &i);
  return i.rcv_wnd >= missing || i.rcv_wnd >= i.mss;
}

/* The next record as TCP holds it: *code is the engine's error for a
 * header it refuses. */
static enum rec_next next_record(struct zn_tls_conn *t, int *code) {
  const uint8_t *p;
  long first = zn_tcp_peek(t->c, &p);
  if (first == 0)
    return REC_FIN;
  if (first < 0)
    return REC_WAIT; /* nothing yet, or failed (on_error says) */
  size_t have = zn_tcp_readable(t->c);
  uint8_t hdr[REC_HDR];
  size_t need = REC_HDR;
  if (peek_header(t->c, hdr) == REC_HDR) {
    *code = t->eng->header_error(t->started ? t->es : NULL, hdr);
    if (*code != 0)
      return REC_BAD;
    need += (size_t)hdr[3] << 8 | hdr[4];
  }
  if (have >= need)
    return REC_WHOLE;
  /* The FIN behind the part: TCP will hold no more of it either. */
  if (zn_tcp_peek_at(t->c, have, &p) == 0 || !tcp_takes(t->c, need - have))
    return REC_PART;
  return REC_WAIT;
}

/* A header the engine would refuse, found before a pair was lent for
 * its record: the session fails as the engine would have on it (its
 * code, its verdict, no alert: BearSSL sends none for a record it cannot
 * frame), TCP is reset (what it holds is dropped), and the session holds
 * no pair. */
static void refuse_record(struct zn_tls_conn *t, int code) {
  count(t, ZN_TLS_STAT_bad_headers, 1);
  t->engine_code = code;
  t->verdict = t->eng->verdict(code);
  fail(t, t->verdict.failure, ZN_ETLS, END_RST);
  drop_bufs(t);
}

/* With a pool, a pair is lent for a record only once TCP holds all of
 * it, so a peer that sends a record a byte at a time holds none until
 * its last byte (the bytes wait in TCP, which holds them anyway).  Or
 * once TCP will hold no more of it before we read (its window or its
 * share of the stack's buffers below the record, the peer's FIN behind
 * it): else neither side could move.  Before the first byte of a record
 * of an open session, and of a server's first record (the ClientHello);
 * the handshake keeps its pair once it has one.  True to take a pair and
 * go on; false to wait (*acted: the FIN was read, or the session failed,
 * instead). */
static bool record_ready(struct zn_tls_conn *t, bool *acted) {
  int code = 0;
  enum rec_next r = next_record(t, &code);
  *acted = r == REC_FIN || r == REC_BAD;
  if (r == REC_FIN)
    tcp_fin(t);
  else if (r == REC_BAD)
    refuse_record(t, code);
  else if (r == REC_PART &&
           (t->bufs || zn__tls_bufpool_has_free(t->cfg->bufpool)))
    count(t, ZN_TLS_STAT_buf_partial, 1); /* once: the record begins */
  return r == REC_WHOLE || r == REC_PART;
}

/* Is the engine of an open session with a pool before the first byte of
 * a record?  (The glue's record count of what it fed is where the
 * engine is: the engine never takes bytes past the record it reads.) */
static bool at_record_start(const struct zn_tls_conn *t) {
  return t->cfg->bufpool != NULL && t->open && t->rin.have == 0 &&
         t->rin.body_left == 0;
}

/* Can the engine take ciphertext now?  Without a pair: what it said
 * when its pair went back. */
static bool engine_takes_records(const struct zn_tls_conn *t) {
  if (t->bufs == NULL)
    return (t->idle_status & ZN__TLS_RECVREC) != 0;
  size_t room;
  return t->eng->recvrec_buf(t->es, &room) != NULL && room > 0;
}

/* Ciphertext from TCP to the engine, while it takes some.  Without a
 * pair, one is taken only for a record ready (record_ready); the FIN
 * needs none. */
static bool in_records(struct zn_tls_conn *t) {
  if (t->tcp != TCP_HELD || t->tcp_eof || !engine_takes_records(t))
    return false;
  bool acted;
  if (at_record_start(t) && !record_ready(t, &acted))
    return acted;
  if (!hold_bufs(t))
    return false;
  size_t room;
  uint8_t *dst = t->eng->recvrec_buf(t->es, &room);
  if (dst == NULL || room == 0)
    return false;
  const uint8_t *src;
  long n = zn_tcp_peek(t->c, &src);
  if (n == 0) {
    tcp_fin(t);
    return true;
  }
  if (n < 0)
    return false; /* nothing yet, or failed (on_error says) */
  size_t k = min_size((size_t)n, room);
  memcpy(dst, src, k);
  count(t, ZN_TLS_STAT_records_in, rec_feed(&t->rin, src, k));
  count(t, ZN_TLS_STAT_wire_bytes_in, k);
  (void)zn_tcp_consume(t->c, k); /* src is gone */
  if (t->eng->set_clock)
    t->eng->set_clock(t->es, zn_stack_now(t->st) / 1000000u);
  t->eng->recvrec_ack(t->es, k);
  return true;
}

/* Lingering: what the peer still sends is dropped; its FIN lets us close
 * second. */
static bool linger_drain(struct zn_tls_conn *t) {
  if (t->tcp != TCP_LINGER)
    return false;
  const uint8_t *p;
  long n;
  while ((n = zn_tcp_peek(t->c, &p)) > 0)
    (void)zn_tcp_consume(t->c, (size_t)n);
  if (n != 0)
    return false;
  stop_deadline(t);
  release_tcp(t, false);
  return true;
}

/* The engine set up on the session's pair, with fresh entropy. */
static int start_engine(struct zn_tls_conn *t) {
  uint8_t seed[SEED_BYTES];
  zn_random_bytes(t->st, seed, sizeof(seed));
  struct zn__tls_start p = {.ibuf = t->bufs->ibuf,
                            .obuf = t->bufs->obuf,
                            .seed = seed,
                            .seed_len = sizeof(seed),
                            .now = t->now,
                            .now_ms = zn_stack_now(t->st) / 1000000u,
                            .server_name = t->server_name,
                            .creds = NULL};
  t->started = true;
  int rc = t->eng->start(t->es, t->cfg, &p);
  zn_wipe(seed, sizeof(seed)); /* the DRBG keeps what it needs */
  return rc;
}

/* With a pool, the engine starts once the session has a pair: a server's
 * when the client's first record is ready (record_ready), so that a
 * connection that sends nothing, or part of a ClientHello, holds none; a
 * FIN or a refused header before it ends the session without one.
 * False while it cannot. */
static bool begin(struct zn_tls_conn *t) {
  if (t->started)
    return true;
  if (t->tcp != TCP_HELD || t->failure != ZN_TLS_FAIL_none)
    return false;
  bool acted;
  if (t->bufs == NULL && t->cfg->role == ZN_TLS_SERVER &&
      !record_ready(t, &acted))
    return false;
  if (!hold_bufs(t))
    return false;
  if (start_engine(t) != ZN_OK) {
    fail(t, ZN_TLS_FAIL_internal, ZN_ETLS, END_RST);
    return false;
  }
  return true;
}

/* Move what can move, both ways; no callback.  A pair no longer needed
 * goes back at the end. */
static void pump(struct zn_tls_conn *t) {
  if (!begin(t))
    return;
  cork_begin(t);
  int i;
  for (i = 0; i < PUMP_ROUNDS; i++) {
    bool moved = out_records(t);
    moved |= out_refs(t);
    moved |= close_step(t);
    moved |= in_records(t);
    moved |= linger_drain(t);
    engine_check(t);
    if (!moved)
      break;
  }
  if (i == PUMP_ROUNDS)
    arm_kick(t); /* more to do: the next poll goes on */
  cork_end(t);
  put_bufs_if_idle(t);
}

/* ---- paying what is owed ---- */

static size_t writable_now(const struct zn_tls_conn *t) {
  if (write_state(t) != ZN_OK || t->ref_n > 0)
    return 0;
  if (t->bufs == NULL)
    return zn__tls_bufpool_has_free(t->cfg->bufpool) ? t->idle_room : 0;
  size_t len;
  return t->eng->sendapp_buf(t->es, &len) ? len : 0;
}

/* One round of callbacks; false if none was owed. */
static bool deliver_round(struct zn_tls_conn *t) {
  const struct zn_stream_callbacks *cb = t->s.cb;
  bool any = false;
  while (t->ref_sent) {
    ref_pop_release(t);
    any = true;
  }
  if (t->app_closed)
    return any;
  if (t->owe_open) {
    t->owe_open = false;
    any = true;
    if (cb && cb->on_open)
      cb->on_open(&t->s, t->s.arg);
  }
  if (t->owe_readable && !t->app_closed) {
    t->owe_readable = false;
    any = true;
    if (cb && cb->on_readable)
      cb->on_readable(&t->s, t->s.arg);
  }
  if (t->owe_error && !t->app_closed) {
    t->owe_error = false;
    any = true;
    if (cb && cb->on_error)
      cb->on_error(&t->s, t->s.arg, t->err);
  }
  if (t->want_writable && !t->app_closed && t->bufs == NULL &&
      write_state(t) == ZN_OK)
    (void)hold_bufs(t); /* a pair to write into, or a place in the queue */
  if (t->want_writable && !t->app_closed && writable_now(t) > 0) {
    t->want_writable = false;
    any = true;
    if (cb && cb->on_writable)
      cb->on_writable(&t->s, t->s.arg);
  }
  return any;
}

/* The last callback: the memory is the application's when it returns. */
static void finish(struct zn_tls_conn *t) {
  t->closed_notified = true;
  stop_deadline(t);
  zn_timer_stop(t->st, &t->kick);
  release_all_refs(t);
  drop_bufs(t);
  zn_wipe(t->es, t->es_size);   /* the keys */
  zn_stream_emit_closed(&t->s); /* then back to its maker, if any */
}

/* Move bytes and pay callbacks until quiet.  Only from zn_stack_poll();
 * the session may be gone when it returns.  Corked throughout
 * (cork_begin): an answer the application writes in its callback leaves
 * with the ticket made before it and the close after it. */
static void deliver(struct zn_tls_conn *t) {
  if (t->in_deliver)
    return; /* the outer call's loop sees what changed */
  t->in_deliver = true;
  cork_begin(t);
  int i;
  for (i = 0; i < DELIVER_ROUNDS; i++) {
    pump(t);
    if (!deliver_round(t))
      break;
  }
  if (i == DELIVER_ROUNDS)
    arm_kick(t);
  cork_end(t);
  t->in_deliver = false;
  if (t->tcp == TCP_GONE && t->app_closed && !t->closed_notified)
    finish(t);
}

/* An API call left something owed: pay it at the next poll (at once if
 * the call came from one of this session's callbacks: its loop goes on). */
static void after_call(struct zn_tls_conn *t) {
  if (t->in_deliver)
    return;
  if (t->owe_open || t->owe_readable || t->owe_error || t->ref_sent ||
      t->want_writable || t->tcp == TCP_GONE)
    arm_kick(t);
}

/* ---- timers ---- */

static void kick_fire(struct zn_stack *st, struct zn_timer *tm) {
  (void)st;
  struct zn_tls_conn *t = ZN_CONTAINER_OF(tm, struct zn_tls_conn, kick);
  t->tickets_held = false;
  deliver(t);
}

static void deadline_fire(struct zn_stack *st, struct zn_timer *tm) {
  (void)st;
  struct zn_tls_conn *t = ZN_CONTAINER_OF(tm, struct zn_tls_conn, deadline);
  enum tls_deadline role = t->deadline_role;
  t->deadline_role = DL_NONE;
  if (role == DL_HANDSHAKE && !t->open)
    fail(t, ZN_TLS_FAIL_timeout, ZN_ETIMEDOUT, END_RST);
  else if (role == DL_CLOSE || role == DL_LINGER)
    release_tcp(t, true);
  deliver(t);
}

/* ---- the TCP connection's events ---- */

static void tcp_on_event(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  deliver(arg);
}

static void tcp_on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct zn_tls_conn *t = arg;
  if (t->app_closed || t->in_eof || t->tcp == TCP_LINGER)
    release_tcp(t, true); /* it was ending anyway */
  else
    fail(t, ZN_TLS_FAIL_tcp, err, END_RST);
  deliver(t);
}

static void tcp_on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct zn_tls_conn *t = arg;
  t->tcp = TCP_GONE;
  t->c = NULL;
  if (!t->app_closed)
    fail(t, ZN_TLS_FAIL_tcp, ZN_ECONNRESET, END_RST);
  deliver(t);
}

static const struct zn_tcp_callbacks tls_tcp_callbacks = {
    .on_connected = tcp_on_event,
    .on_readable = tcp_on_event,
    .on_writable = tcp_on_event,
    .on_error = tcp_on_error,
    .on_closed = tcp_on_closed,
};

/* ---- the stream's operations ---- */

/* What a read sees when no plaintext is there. */
static long read_end(const struct zn_tls_conn *t) {
  if (t->failure != ZN_TLS_FAIL_none)
    return t->err;
  if (t->in_eof)
    return 0;
  return ZN_EAGAIN; /* handshaking too: a stream reads as empty until open */
}

static long tls_peek(struct zn_stream *s, const uint8_t **data) {
  struct zn_tls_conn *t = tls_of(s);
  t->owe_readable = false; /* the application looks */
  size_t len;
  uint8_t *p = plaintext(t, &len);
  if (p != NULL && len > 0) {
    *data = p;
    return (long)len;
  }
  return read_end(t);
}

/* n plaintext bytes read: the engine may decrypt the next record. */
static void consumed(struct zn_tls_conn *t, size_t n) {
  t->eng->recvapp_ack(t->es, n);
  count(t, ZN_TLS_STAT_bytes_in, n);
  t->rx_had = (status(t) & ZN__TLS_RECVAPP) != 0;
  pump(t);
}

static int tls_consume(struct zn_stream *s, size_t n) {
  struct zn_tls_conn *t = tls_of(s);
  size_t len;
  uint8_t *p = plaintext(t, &len);
  if (n == 0)
    return ZN_OK;
  if (p == NULL || n > len)
    return ZN_EINVAL;
  consumed(t, n);
  after_call(t);
  return ZN_OK;
}

static long tls_read(struct zn_stream *s, void *buf, size_t len) {
  struct zn_tls_conn *t = tls_of(s);
  uint8_t *out = buf;
  size_t got = 0;
  long n = 0;
  t->owe_readable = false; /* the application looks */
  while (got < len) {
    size_t avail;
    const uint8_t *p = plaintext(t, &avail);
    if (p == NULL || avail == 0) {
      n = read_end(t);
      break;
    }
    size_t k = min_size(avail, len - got);
    memcpy(out + got, p, k);
    got += k;
    consumed(t, k);
  }
  if (got > 0 && (status(t) & ZN__TLS_RECVAPP) == 0)
    t->owe_readable = false; /* all read: nothing new to say */
  after_call(t);
  return got > 0 ? (long)got : n;
}

static long tls_write(struct zn_stream *s, const void *data, size_t len) {
  struct zn_tls_conn *t = tls_of(s);
  int rc = write_state(t);
  if (rc != ZN_OK)
    return rc;
  t->tickets_held = false; /* they go first */
  const uint8_t *src = data;
  size_t done = 0;
  while (done < len && t->ref_n == 0) {
    (void)out_records(t); /* room first */
    size_t room;
    if (!hold_bufs(t))
      break; /* on_writable once a pair comes */
    uint8_t *p = t->eng->sendapp_buf(t->es, &room);
    if (p == NULL || room == 0)
      break;
    size_t k = min_size(room, len - done);
    memcpy(p, src + done, k);
    t->eng->sendapp_ack(t->es, k);
    t->eng->flush(t->es);
    count(t, ZN_TLS_STAT_bytes_out, k);
    done += k;
  }
  pump(t);
  if (done < len)
    t->want_writable = true;
  after_call(t);
  return done > 0 ? (long)done : ZN_EAGAIN;
}

static int tls_write_ref(struct zn_stream *s, const void *data, size_t len,
                         zn_tcp_release_fn release, void *arg) {
  struct zn_tls_conn *t = tls_of(s);
  int rc = write_state(t);
  if (rc != ZN_OK)
    return rc;
  if (len == 0 || data == NULL)
    return ZN_EINVAL;
  t->tickets_held = false; /* they go first */
  if (t->ref_n == t->cfg->max_refs) {
    t->want_writable = true;
    return ZN_EAGAIN;
  }
  struct tls_ref *r = ref_at(t, t->ref_n);
  r->data = data;
  r->len = len;
  r->off = 0;
  r->release = release;
  r->arg = arg;
  t->ref_n++;
  pump(t);
  after_call(t);
  return ZN_OK;
}

static size_t tls_readable(const struct zn_stream *s) {
  const struct zn_tls_conn *t = tls_of_const(s);
  size_t len;
  return plaintext(t, &len) ? len : 0;
}

static size_t tls_writable(const struct zn_stream *s) {
  return writable_now(tls_of_const(s));
}

static int tls_shutdown(struct zn_stream *s) {
  struct zn_tls_conn *t = tls_of(s);
  if (t->failure != ZN_TLS_FAIL_none)
    return t->err;
  if (!t->open || t->tcp != TCP_HELD)
    return ZN_ENOTCONN;
  if (t->out == OUT_OPEN)
    t->out = OUT_DRAIN;
  t->tickets_held = false;
  pump(t);
  after_call(t);
  return ZN_OK;
}

static void tls_close(struct zn_stream *s) {
  struct zn_tls_conn *t = tls_of(s);
  if (t->app_closed)
    return;
  t->app_closed = true;
  t->tickets_held = false;
  if (t->tcp == TCP_HELD && !t->open) {
    release_tcp(t, true); /* a handshake given up: no FIN first */
  } else if (t->tcp == TCP_HELD) {
    if (t->out == OUT_OPEN)
      t->out = OUT_DRAIN;
    start_deadline(t, DL_CLOSE, t->cfg->close_timeout_ms);
    pump(t);
  }
  after_call(t);
}

/* No timer stays armed: the TCP connection's on_closed brings ours.  So a
 * program that exits without polling again may free the memory at once
 * (znet/tls.h). */
static void tls_abort(struct zn_stream *s) {
  struct zn_tls_conn *t = tls_of(s);
  t->app_closed = true;
  release_tcp(t, true);
  release_all_refs(t);
  drop_bufs(t);
  stop_deadline(t);
  zn_timer_stop(t->st, &t->kick);
  if (t->tcp == TCP_GONE && !t->in_deliver)
    arm_kick(t);
}

static struct zn_tcp_conn *tls_conn(const struct zn_stream *s) {
  const struct zn_tls_conn *t = tls_of_const(s);
  return t->tcp == TCP_GONE ? NULL : t->c;
}

static const struct zn_stream_ops tls_stream_ops = {
    .read = tls_read,
    .peek = tls_peek,
    .consume = tls_consume,
    .write = tls_write,
    .write_ref = tls_write_ref,
    .readable = tls_readable,
    .writable = tls_writable,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .abort = tls_abort,
    .conn = tls_conn,
};

/* ---- starting ---- */

static bool tcp_usable(struct zn_tcp_conn *c, enum zn_tls_role role) {
  struct zn_tcp_info info;
  zn_tcp_get_info(c, &info);
  switch (info.state) {
  case ZN_TCP_ESTABLISHED:
  case ZN_TCP_CLOSE_WAIT:
    return true;
  case ZN_TCP_SYN_SENT:
  case ZN_TCP_SYN_RECEIVED:
    return role == ZN_TLS_CLIENT;
  default:
    return false;
  }
}

/* A DNS name, not an IP address literal: something other than digits and
 * dots, and no colon. */
static bool dns_name_ok(const char *name) {
  if (name == NULL || name[0] == '\0' || strlen(name) > 255)
    return false;
  bool other = false;
  for (const char *p = name; *p; p++) {
    if (*p == ':')
      return false;
    if ((*p < '0' || *p > '9') && *p != '.')
      other = true;
  }
  return other;
}

static int start_session(const struct zn_tls_config *cfg, enum zn_tls_role role,
                         struct zn_stack *st, struct zn_tcp_conn *c,
                         const char *server_name,
                         const struct zn_stream_callbacks *cb, void *arg,
                         void *mem, size_t len, struct zn_stream **out) {
  if (!config_valid(cfg) || cfg->role != role || st == NULL || c == NULL ||
      mem == NULL || !zn__tls_aligned(mem) || out == NULL)
    return ZN_EINVAL;
  const struct zn__tls_engine *eng = engine_for(cfg);
  struct layout l = layout_of(cfg, eng);
  if (len < l.total)
    return ZN_ENOMEM;
  uint64_t now = role == ZN_TLS_CLIENT ? cfg->clock(cfg->clock_arg) : 0;
  if (role == ZN_TLS_CLIENT && (!dns_name_ok(server_name) || now == 0))
    return ZN_EINVAL;
  if (!tcp_usable(c, role))
    return ZN_ENOTCONN;
  uint8_t *m = mem;
  struct zn_tls_conn *t = mem;
  memset(t, 0, sizeof(*t));
  t->cfg = cfg;
  t->eng = eng;
  t->es = m + l.es;
  t->es_size = eng->state_size(role);
  t->refs = (struct tls_ref *)(void *)(m + l.refs);
  t->st = st;
  t->c = c;
  t->now = now;
  t->server_name = server_name;
  if (cfg->bufpool == NULL) {
    t->own.ibuf = m + l.ibuf;
    t->own.obuf = m + l.obuf;
    t->bufs = &t->own;
  } else if (role == ZN_TLS_CLIENT) {
    /* A pair now if one is free; else begin() waits for one. */
    t->bufs = zn__tls_bufpool_take(cfg->bufpool);
  }
  if (t->bufs && start_engine(t) != ZN_OK) {
    if (cfg->bufpool)
      drop_bufs(t);
    zn_wipe(t->es, t->es_size); /* what the engine seeded */
    return ZN_EINVAL;
  }
  t->s.ops = &tls_stream_ops;
  t->s.cb = cb;
  t->s.arg = arg;
  zn_timer_init(&t->kick, kick_fire);
  zn_timer_init(&t->deadline, deadline_fire);
  zn_tcp_set_callbacks(c, &tls_tcp_callbacks, t);
  /* Records are written corked (cork_begin): what is left at cork_end is
   * the end of a flight or an answer, not to be held by Nagle for the
   * ACK of the last one (a client's request after its Finished waited
   * out a server's delayed ACK: 40 ms). */
  zn_tcp_set_nodelay(c, true);
  count(t, ZN_TLS_STAT_sessions, 1);
  start_deadline(t, DL_HANDSHAKE, cfg->handshake_timeout_ms);
  pump(t);
  arm_kick(t); /* what came before the session took over */
  *out = &t->s;
  return ZN_OK;
}

int zn_tls_server_start(const struct zn_tls_config *cfg, struct zn_stack *st,
                        struct zn_tcp_conn *c,
                        const struct zn_stream_callbacks *cb, void *arg,
                        void *mem, size_t len, struct zn_stream **out) {
  return start_session(cfg, ZN_TLS_SERVER, st, c, NULL, cb, arg, mem, len, out);
}

int zn_tls_client_start(const struct zn_tls_config *cfg, struct zn_stack *st,
                        struct zn_tcp_conn *c, const char *server_name,
                        const struct zn_stream_callbacks *cb, void *arg,
                        void *mem, size_t len, struct zn_stream **out) {
  return start_session(cfg, ZN_TLS_CLIENT, st, c, server_name, cb, arg, mem,
                       len, out);
}

/* ---- questions ---- */

bool zn_tls_is_session(const struct zn_stream *s) {
  return s != NULL && s->ops == &tls_stream_ops;
}

struct zn_tls_error_info zn_tls_error(const struct zn_stream *s) {
  struct zn_tls_error_info e;
  memset(&e, 0, sizeof(e));
  e.alert = -1;
  e.text = zn_tls_failure_text(ZN_TLS_FAIL_none);
  if (!zn_tls_is_session(s))
    return e;
  const struct zn_tls_conn *t = tls_of_const(s);
  e.failure = t->failure;
  e.err = t->err;
  e.engine_code = t->engine_code;
  if (t->engine_code) {
    e.alert = t->verdict.alert;
    e.alert_sent = t->verdict.alert_sent;
  }
  e.text = zn_tls_failure_text((int)t->failure);
  return e;
}

int zn_tls_get_info(const struct zn_stream *s, struct zn_tls_info *info) {
  if (!zn_tls_is_session(s))
    return ZN_EINVAL;
  const struct zn_tls_conn *t = tls_of_const(s);
  memset(info, 0, sizeof(*info));
  info->open = t->open;
  info->sni = -1;
  if (t->open)
    t->eng->info(t->es, info);
  return ZN_OK;
}
