/*
 * TLS 1.3's record layer (RFC 8446 §5) over the glue's two buffers, and
 * the alerts and closure of §6: records received one at a time into
 * ibuf (header, then exactly the body), checked, decrypted in place and
 * handed on by content type; records sent one at a time from obuf:
 * gathered application data, the handshake's flight, KeyUpdate, alerts.
 *
 * Rules of §5 held here: a record's plaintext is at most 2^14 bytes and
 * a protected record's body at most 2^14 + 256 (record_overflow); once
 * the peer protects its records, only application_data records are
 * read, save the one-byte change_cipher_spec that middlebox
 * compatibility sends during the handshake (dropped), and a plaintext
 * alert from a peer that failed before it had keys; an inner plaintext
 * that is all zeros has no type (unexpected_message); handshake
 * messages do not span a key change (unexpected_message); each key
 * seals at most ZN__TLS13_RECORDS_PER_KEY records before we update it
 * (§5.5, KeyUpdate); a peer's KeyUpdate that asks for ours is answered
 * once, before our next record.
 */
#include "tls13_int.h"

#include <string.h>

#include "znet/wipe.h"

/* §5.5: AES-GCM may protect 2^24.5 full records under one key; every
 * suite updates its keys after 2^24 (ChaCha20-Poly1305's bound is far
 * above that). */
#define ZN__TLS13_RECORDS_PER_KEY (1ull << 24)

/* Early data a client may send before it reads our ServerHello, which
 * we skip unread (§4.2.10: 0-RTT is refused): at most this many bytes. */
#define EARLY_DATA_SKIP_MAX 65536u

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

static size_t rd16(const uint8_t *p) { return (size_t)p[0] << 8 | p[1]; }

void zn__tls13_rec_init(struct zn__tls13 *e, const struct zn_tls_config *cfg,
                        uint8_t *ibuf, uint8_t *obuf) {
  memset(e, 0, sizeof(*e));
  e->cfg = cfg;
  e->role = (uint8_t)cfg->role;
  e->ibuf = ibuf;
  e->obuf = obuf;
  e->ibuf_len = cfg->in_buf;
  e->obuf_len = cfg->out_buf;
  e->in_need = ZN__TLS13_HDR_LEN;
  e->alpn = -1;
  zn__tls13_set_max_plain(e);
}

unsigned zn__tls13_frag_log(size_t out_buf, size_t in_buf) {
  for (unsigned u = 14; u > 9; u--) {
    size_t f = (size_t)1 << u;
    if (out_buf >= f + 85 && in_buf >= f + 325)
      return u == 13 ? 12 : u;
  }
  return 9; /* the buffers' minimums hold 2^9 */
}

/* Plaintext per record: what obuf holds as the configuration says
 * (znet/tls.h: its size less 85, rounded down to 512, 1024, 2048, 4096
 * or 16384). */
void zn__tls13_set_max_plain(struct zn__tls13 *e) {
  size_t m = (size_t)1 << zn__tls13_frag_log(e->obuf_len, SIZE_MAX);
  /* RFC 8449 §4: the limit counts the inner plaintext (type, padding). */
  if (e->peer_record_limit)
    m = min_size(m, (size_t)e->peer_record_limit - 1);
  e->max_plain = m;
}

/* ---- failing ---- */

void zn__tls13_fail_quiet(struct zn__tls13 *e, int code) {
  if (e->phase == P_CLOSED)
    return;
  zn__tls13_enter(e, P_CLOSED);
  e->err = code;
  e->app_len = 0;
  e->gather = 0;
}

void zn__tls13_fail_code(struct zn__tls13 *e, int alert, int code) {
  if (e->phase == P_CLOSED)
    return;
  zn__tls13_fail_quiet(e, code);
  e->alert_owed = (uint8_t)alert;
  e->alert_pending = true;
}

void zn__tls13_fail(struct zn__tls13 *e, int alert) {
  zn__tls13_fail_code(e, alert, ZN__TLS13_ERR_SENT + alert);
}

/* ---- keys ---- */

void zn__tls13_set_read(struct zn__tls13 *e, const uint8_t *secret) {
  memcpy(e->rd_secret, secret, e->suite->hash_len);
  zn__tls13_keys_set(&e->rd, e->suite, secret);
}

void zn__tls13_set_write(struct zn__tls13 *e, const uint8_t *secret) {
  memcpy(e->wr_secret, secret, e->suite->hash_len);
  zn__tls13_keys_set(&e->wr, e->suite, secret);
  e->wr_records = 0;
}

/* §7.2: application_traffic_secret_N+1. */
static void next_secret(const struct zn__tls13_suite *s, uint8_t *secret) {
  uint8_t next[ZN__TLS13_MAX_HASH];
  zn__tls13_expand_label(s, secret, "traffic upd", NULL, 0, next, s->hash_len);
  memcpy(secret, next, s->hash_len);
  zn_wipe(next, sizeof(next));
}

/* ---- records out ---- */

void zn__tls13_seal_out(struct zn__tls13 *e, uint8_t type, size_t len) {
  uint8_t *rec = e->obuf;
  /* What we seal is a record's plaintext at most (§5.1), fits obuf with
   * its header, type and tag, and comes before the key's limit (§5.5:
   * at the limit gathered data, then the KeyUpdate, go under it). */
  ZN_ASSERT(len <= ZN__TLS13_MAX_PLAIN);
  ZN_ASSERT(ZN__TLS13_HDR_LEN + len +
                (e->wr.suite ? 1u + ZN__TLS13_TAG_LEN : 0u) <=
            e->obuf_len);
  ZN_ASSERT(e->wr_records <= ZN__TLS13_RECORDS_PER_KEY + 1);
  if (e->wr.suite == NULL) {
    rec[0] = type;
    rec[1] = 3;
    rec[2] = 3;
    rec[3] = (uint8_t)(len >> 8);
    rec[4] = (uint8_t)len;
    e->out_len = ZN__TLS13_HDR_LEN + len;
  } else {
    rec[ZN__TLS13_HDR_LEN + len] = type;
    e->out_len = zn__tls13_seal(&e->wr, rec, len + 1);
    e->wr_records++;
  }
  e->out_sent = 0;
}

static void send_alert(struct zn__tls13 *e, uint8_t alert) {
  e->obuf[ZN__TLS13_HDR_LEN] = alert == ZN__TLS13_ALERT_close_notify ? 1 : 2;
  e->obuf[ZN__TLS13_HDR_LEN + 1] = alert;
  zn__tls13_seal_out(e, ZN__TLS13_CT_alert, 2);
}

/* §4.6.3: KeyUpdate, then our next records under the next secret. */
static void send_key_update(struct zn__tls13 *e, bool request) {
  static const uint8_t hdr[4] = {ZN__TLS13_HS_key_update, 0, 0, 1};
  memcpy(e->obuf + ZN__TLS13_HDR_LEN, hdr, 4);
  e->obuf[ZN__TLS13_HDR_LEN + 4] = request ? 1 : 0;
  zn__tls13_seal_out(e, ZN__TLS13_CT_handshake, 5);
  next_secret(e->suite, e->wr_secret);
  zn__tls13_keys_set(&e->wr, e->suite, e->wr_secret);
  e->wr_records = 0;
}

static void seal_gathered(struct zn__tls13 *e) {
  if (e->gather == 0)
    return;
  zn__tls13_seal_out(e, ZN__TLS13_CT_application_data, e->gather);
  e->gather = 0;
}

static bool key_update_due(const struct zn__tls13 *e) {
  return e->phase == P_OPEN &&
         (e->owe_key_update || e->wr_records >= ZN__TLS13_RECORDS_PER_KEY);
}

/* obuf is free (nothing sealed left to send): fill it with what comes
 * next, in order.  A fatal alert goes alone; the flight before
 * anything of ours; gathered data is sealed before a KeyUpdate or our
 * close_notify (both follow what was written before them). */
static void produce(struct zn__tls13 *e) {
  if (e->obuf == NULL || e->out_len != 0)
    return;
  if (e->alert_pending) {
    e->alert_pending = false;
    send_alert(e, e->alert_owed);
    return;
  }
  if (e->phase == P_CLOSED)
    return;
  if (zn__tls13_flight_write(e))
    return;
  if (e->phase != P_OPEN)
    return;
  if (key_update_due(e) || (e->close_wanted && !e->close_sent)) {
    if (e->gather) {
      seal_gathered(e);
      return;
    }
  }
  if (key_update_due(e)) {
    send_key_update(e, false);
    e->owe_key_update = false;
    return;
  }
  if (e->close_wanted && !e->close_sent) {
    send_alert(e, ZN__TLS13_ALERT_close_notify);
    e->close_sent = true;
  }
}

/* Both close_notify alerts went: the session is over, in order. */
static void maybe_closed(struct zn__tls13 *e) {
  if (e->phase == P_OPEN && e->close_sent && e->close_received &&
      e->out_len == 0)
    zn__tls13_fail_quiet(e, 0);
}

void zn__tls13_run(struct zn__tls13 *e) {
  produce(e);
  maybe_closed(e);
}

/* ---- records in: the header ---- */

/* Is a record of this type acceptable now (§5)? */
static int type_error(const struct zn__tls13 *e, uint8_t type, size_t len) {
  bool handshaking = e->phase < P_OPEN;
  switch (type) {
  case ZN__TLS13_CT_application_data:
    if (e->rd.suite == NULL && e->phase != P_WAIT_CH2)
      return ZN__TLS13_ALERT_unexpected_message;
    return 0;
  case ZN__TLS13_CT_change_cipher_spec:
    /* §5: after the first ClientHello, before the peer's Finished. */
    if (!handshaking || (e->phase == P_WAIT_CH && e->ch_len == 0) || len != 1)
      return ZN__TLS13_ALERT_unexpected_message;
    return 0;
  case ZN__TLS13_CT_alert:
    if (e->rd.suite && (e->got_protected || !handshaking))
      return ZN__TLS13_ALERT_unexpected_message;
    return 0;
  case ZN__TLS13_CT_handshake:
    if (e->rd.suite)
      return ZN__TLS13_ALERT_unexpected_message;
    return len == 0 ? ZN__TLS13_ALERT_unexpected_message : 0;
  default:
    return ZN__TLS13_ALERT_unexpected_message;
  }
}

/* §5.1, §5.2: the lengths a record may have. */
static int length_error(const struct zn__tls13 *e, uint8_t type, size_t len) {
  bool protected_ = e->rd.suite && type == ZN__TLS13_CT_application_data;
  size_t max = ZN__TLS13_MAX_PLAIN;
  if (protected_)
    max += ZN__TLS13_MAX_EXPANSION;
  if (len > max || ZN__TLS13_HDR_LEN + len > e->ibuf_len)
    return ZN__TLS13_ALERT_record_overflow;
  if (protected_ && len < ZN__TLS13_TAG_LEN + 1)
    return ZN__TLS13_ALERT_decode_error;
  return 0;
}

int zn__tls13_header_alert(const struct zn__tls13 *e, const uint8_t *h) {
  size_t len = rd16(h + 3);
  if (h[1] != 3)
    return ZN__TLS13_ALERT_protocol_version; /* not TLS */
  int a = type_error(e, h[0], len);
  return a ? a : length_error(e, h[0], len);
}

/* ---- records in: the body ---- */

static void alert_received(struct zn__tls13 *e, const uint8_t *p, size_t len) {
  if (len != 2) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_decode_error);
    return;
  }
  if (p[1] == ZN__TLS13_ALERT_user_canceled)
    return; /* §6.1: a close_notify follows */
  if (p[1] != ZN__TLS13_ALERT_close_notify) {
    zn__tls13_fail_quiet(e, ZN__TLS13_ERR_RECV + p[1]);
    return;
  }
  if (e->phase != P_OPEN) {
    zn__tls13_fail_quiet(e, ZN__TLS13_ERR_CLOSED);
    return;
  }
  /* §6.1: what comes after it is ignored; ours answers it once what we
   * wrote is sealed. */
  e->close_received = true;
  e->close_wanted = true;
}

/* KeyUpdate (§4.6.3): the peer's next records under its next secret. */
void zn__tls13_key_update_received(struct zn__tls13 *e, const uint8_t *msg,
                                   size_t len, bool last) {
  bool requested;
  int a = zn__tls13_parse_key_update(msg, len, &requested);
  if (a == 0 && !last)
    a = ZN__TLS13_ALERT_unexpected_message; /* spans the key change */
  if (a) {
    zn__tls13_fail(e, a);
    return;
  }
  next_secret(e->suite, e->rd_secret);
  zn__tls13_keys_set(&e->rd, e->suite, e->rd_secret);
  if (requested)
    e->owe_key_update = true;
}

/* A handshake message after the handshake (§4.6): KeyUpdate; a server
 * gets no other (no post-handshake authentication is offered). */
static void post_handshake_msg(struct zn__tls13 *e, const uint8_t *msg,
                               size_t len, bool last) {
  if (msg[0] == ZN__TLS13_HS_key_update)
    zn__tls13_key_update_received(e, msg, len, last);
  else
    zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
}

static void handshake_msg(struct zn__tls13 *e, const uint8_t *msg, size_t len,
                          bool last) {
  if (e->phase == P_OPEN) {
    post_handshake_msg(e, msg, len, last);
    return;
  }
  int a = zn__tls13_srv_handshake_msg(e, msg, len);
  if (a == 0 && e->phase == P_OPEN && !last)
    a = ZN__TLS13_ALERT_unexpected_message; /* spans the key change */
  if (a)
    zn__tls13_fail(e, a);
}

static size_t msg_len(const uint8_t *h) {
  return 4 + ((size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3]);
}

/* Complete the message gathered in hs_in with p; what of p it took. */
static size_t gather_msg(struct zn__tls13 *e, const uint8_t *p, size_t len) {
  size_t k = 0;
  while (e->hs_in_len < 4 && k < len)
    e->hs_in[e->hs_in_len++] = p[k++];
  if (e->hs_in_len < 4)
    return k;
  size_t want = msg_len(e->hs_in);
  if (want > sizeof(e->hs_in)) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
    return len;
  }
  size_t n = min_size(want - e->hs_in_len, len - k);
  memcpy(e->hs_in + e->hs_in_len, p + k, n);
  e->hs_in_len += n;
  k += n;
  if (e->hs_in_len == want) {
    e->hs_in_len = 0;
    handshake_msg(e, e->hs_in, want, k == len);
  }
  return k;
}

/* The handshake messages of one record: whole ones read in place, a
 * part gathered (§5.1: they may span records, never a key change).  The
 * client reads its own (tls13_cli.c). */
static void handshake_bytes(struct zn__tls13 *e, const uint8_t *p, size_t len) {
  if (e->role == ZN_TLS_CLIENT) {
    zn__tls13_cli_bytes(e, p, len);
    return;
  }
  while (len > 0 && e->phase != P_CLOSED) {
    if (e->hs_in_len > 0 || len < 4 || msg_len(p) > len) {
      size_t k = gather_msg(e, p, len);
      p += k;
      len -= k;
      continue;
    }
    size_t n = msg_len(p);
    handshake_msg(e, p, n, n == len);
    p += n;
    len -= n;
  }
}

static void content_received(struct zn__tls13 *e, uint8_t type,
                             const uint8_t *p, size_t len) {
  switch (type) {
  case ZN__TLS13_CT_alert:
    alert_received(e, p, len);
    return;
  case ZN__TLS13_CT_handshake:
    if (len == 0) {
      zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
      return;
    }
    handshake_bytes(e, p, len);
    return;
  case ZN__TLS13_CT_application_data:
    if (e->phase != P_OPEN || e->close_received) {
      if (e->phase != P_OPEN)
        zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
      return;
    }
    e->app_off = (size_t)(p - e->ibuf);
    e->app_len = len;
    return;
  default:
    zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
  }
}

/* §4.2.10: records a client sent under 0-RTT keys we never accepted,
 * skipped while the budget lasts. */
static bool skip_early_data(struct zn__tls13 *e, size_t body) {
  if (!e->early_skip || e->got_protected ||
      e->early_skipped + body > EARLY_DATA_SKIP_MAX)
    return false;
  e->early_skipped += body;
  return true;
}

/* A protected record: opened in place, its inner type found (§5.2,
 * §5.4). */
static void protected_received(struct zn__tls13 *e, size_t body) {
  uint8_t *rec = e->ibuf;
  uint64_t seq = e->rd.seq;
  if (!zn__tls13_open(&e->rd, rec, body)) {
    e->rd.seq = seq;
    if (!skip_early_data(e, body))
      zn__tls13_fail(e, ZN__TLS13_ALERT_bad_record_mac);
    return;
  }
  e->got_protected = true;
  uint8_t type;
  size_t len, inner = body - ZN__TLS13_TAG_LEN;
  if (!zn__tls13_inner_type(rec + ZN__TLS13_HDR_LEN, inner, &type, &len)) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
    return;
  }
  if (inner > ZN__TLS13_MAX_PLAIN + 1) { /* §5.4, padding counted */
    zn__tls13_fail(e, ZN__TLS13_ALERT_record_overflow);
    return;
  }
  content_received(e, type, rec + ZN__TLS13_HDR_LEN, len);
}

/* A whole record is in ibuf. */
static void record_received(struct zn__tls13 *e) {
  uint8_t type = e->ibuf[0];
  size_t body = e->in_have - ZN__TLS13_HDR_LEN;
  e->in_have = 0;
  e->in_need = ZN__TLS13_HDR_LEN;
  if (type == ZN__TLS13_CT_change_cipher_spec) {
    if (e->ibuf[ZN__TLS13_HDR_LEN] != 1)
      zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
    return; /* §5: dropped */
  }
  if (type == ZN__TLS13_CT_application_data) {
    protected_received(e, body);
    return;
  }
  content_received(e, type, e->ibuf + ZN__TLS13_HDR_LEN, body);
}

/* ---- the ClientHello, gathered over records at ibuf + 5 ---- */

/* Where the next record goes while the ClientHello is gathered. */
static size_t ch_record_at(const struct zn__tls13 *e) {
  return e->ch_len ? ZN__TLS13_HDR_LEN + e->ch_len : 0;
}

static void ch_record_received(struct zn__tls13 *e) {
  size_t at = ch_record_at(e);
  uint8_t *rec = e->ibuf + at;
  size_t body = e->in_have - ZN__TLS13_HDR_LEN;
  e->in_have = 0;
  e->in_need = ZN__TLS13_HDR_LEN;
  switch (rec[0]) {
  case ZN__TLS13_CT_handshake:
    if (at)
      memmove(rec, rec + ZN__TLS13_HDR_LEN, body);
    e->ch_len += body;
    zn__tls13_ch_check(e);
    return;
  case ZN__TLS13_CT_alert:
    alert_received(e, rec + ZN__TLS13_HDR_LEN, body);
    return;
  case ZN__TLS13_CT_change_cipher_spec:
    /* §D.4: a client in compatibility mode sends one before its second
     * ClientHello; none amid a ClientHello's records. */
    if (e->phase != P_WAIT_CH2 || at || rec[ZN__TLS13_HDR_LEN] != 1)
      zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
    return;
  default: /* early data before the second ClientHello (§4.2.10) */
    if (at || !skip_early_data(e, body))
      zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
  }
}

/* ---- the glue's calls ---- */

/* Bytes the next record may put into ibuf now (0: none), at *at. */
static size_t recv_room(const struct zn__tls13 *e, size_t *at) {
  *at = 0;
  if (e->phase == P_CLOSED || e->phase == P_TLS12 || e->ibuf == NULL ||
      e->app_len > 0 || e->close_received || e->ch_done)
    return 0;
  if (e->phase <= P_WAIT_CH2 && e->rd.suite == NULL)
    *at = ch_record_at(e);
  return e->in_need - e->in_have;
}

uint8_t *zn__tls13_recvrec_buf(struct zn__tls13 *e, size_t *len) {
  size_t at;
  *len = recv_room(e, &at);
  return *len ? e->ibuf + at + e->in_have : NULL;
}

/* The header is in: its length, or a failure. */
static void header_received(struct zn__tls13 *e, const uint8_t *h) {
  int a = zn__tls13_header_alert(e, h);
  if (a == 0 && e->phase <= P_WAIT_CH2 && e->rd.suite == NULL &&
      h[0] == ZN__TLS13_CT_handshake &&
      ch_record_at(e) + ZN__TLS13_HDR_LEN + rd16(h + 3) > e->ibuf_len)
    a = ZN__TLS13_ALERT_record_overflow; /* a ClientHello too large */
  if (a == ZN__TLS13_ALERT_protocol_version) {
    /* Not TLS at all (an HTTP request, SSLv2): nothing to tell it. */
    zn__tls13_fail_quiet(e, ZN__TLS13_ERR_HEADER + a);
    return;
  }
  if (a) {
    zn__tls13_fail(e, a);
    return;
  }
  e->in_need = ZN__TLS13_HDR_LEN + rd16(h + 3);
}

void zn__tls13_recvrec_ack(struct zn__tls13 *e, size_t len) {
  bool gathering = e->phase <= P_WAIT_CH2 && e->rd.suite == NULL;
  uint8_t *rec = e->ibuf + (gathering ? ch_record_at(e) : 0);
  size_t before = e->in_have;
  e->in_have += len;
  if (before < ZN__TLS13_HDR_LEN && e->in_have >= ZN__TLS13_HDR_LEN)
    header_received(e, rec);
  if (e->phase != P_CLOSED && e->in_have == e->in_need &&
      e->in_need > ZN__TLS13_HDR_LEN) {
    if (gathering)
      ch_record_received(e);
    else
      record_received(e);
  }
  zn__tls13_run(e);
}

uint8_t *zn__tls13_recvapp_buf(struct zn__tls13 *e, size_t *len) {
  *len = e->app_len;
  return e->app_len && e->ibuf ? e->ibuf + e->app_off : NULL;
}

void zn__tls13_recvapp_ack(struct zn__tls13 *e, size_t len) {
  len = min_size(len, e->app_len);
  e->app_off += len;
  e->app_len -= len;
  zn__tls13_run(e);
}

uint8_t *zn__tls13_sendrec_buf(struct zn__tls13 *e, size_t *len) {
  if (e->obuf == NULL || e->out_sent >= e->out_len) {
    *len = 0;
    return NULL;
  }
  *len = e->out_len - e->out_sent;
  return e->obuf + e->out_sent;
}

void zn__tls13_sendrec_ack(struct zn__tls13 *e, size_t len) {
  e->out_sent += min_size(len, e->out_len - e->out_sent);
  if (e->out_sent == e->out_len) {
    e->out_len = 0;
    e->out_sent = 0;
    e->tickets_unsent = zn__tls13_flight_pending(e) && e->tickets_unsent;
  }
  zn__tls13_run(e);
}

bool zn__tls13_can_write(const struct zn__tls13 *e) {
  return e->phase == P_OPEN && e->obuf != NULL && e->out_len == 0 &&
         !e->close_wanted && !e->close_sent && !e->alert_pending &&
         !zn__tls13_flight_pending(e) && !key_update_due(e);
}

uint8_t *zn__tls13_sendapp_buf(struct zn__tls13 *e, size_t *len) {
  if (!zn__tls13_can_write(e) || e->gather >= e->max_plain) {
    *len = 0;
    return NULL;
  }
  *len = e->max_plain - e->gather;
  return e->obuf + ZN__TLS13_HDR_LEN + e->gather;
}

void zn__tls13_sendapp_ack(struct zn__tls13 *e, size_t len) {
  e->gather += min_size(len, e->max_plain - e->gather);
  if (e->gather == e->max_plain)
    seal_gathered(e);
  zn__tls13_run(e);
}

void zn__tls13_flush(struct zn__tls13 *e) {
  if (e->out_len == 0)
    seal_gathered(e);
  zn__tls13_run(e);
}

void zn__tls13_close(struct zn__tls13 *e) {
  if (e->phase == P_OPEN)
    e->close_wanted = true;
  else
    zn__tls13_fail(e, ZN__TLS13_ALERT_user_canceled);
  if (e->out_len == 0)
    seal_gathered(e);
  zn__tls13_run(e);
}

unsigned zn__tls13_status(const struct zn__tls13 *e) {
  bool sending = e->out_sent < e->out_len;
  if (e->phase == P_CLOSED && !sending && !e->alert_pending)
    return ZN__TLS_CLOSED;
  unsigned s = sending ? ZN__TLS_SENDREC : 0u;
  size_t at;
  if (recv_room(e, &at) > 0)
    s |= ZN__TLS_RECVREC;
  if (zn__tls13_can_write(e) && e->gather < e->max_plain)
    s |= ZN__TLS_SENDAPP;
  if (e->app_len > 0)
    s |= ZN__TLS_RECVAPP;
  if (e->tickets_unsent)
    s |= ZN__TLS_TICKETS;
  return s;
}

bool zn__tls13_idle(const struct zn__tls13 *e) {
  return e->phase == P_OPEN && e->in_have == 0 && e->app_len == 0 &&
         e->gather == 0 && e->out_len == 0 && e->hs_in_len == 0 &&
         (e->cli == NULL || e->cli->hdr_len == 0) &&
         !zn__tls13_flight_pending(e) && !key_update_due(e) &&
         !e->close_wanted && !e->alert_pending;
}

void zn__tls13_set_bufs(struct zn__tls13 *e, uint8_t *ibuf, uint8_t *obuf) {
  e->ibuf = ibuf;
  e->obuf = obuf;
  if (obuf)
    zn__tls13_run(e);
}
