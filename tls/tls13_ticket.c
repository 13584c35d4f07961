/*
 * TLS 1.3 session tickets (RFC 8446 §4.6.1, §2.2): stateless, the
 * resumption state sealed by the server for itself.  A ticket is
 *
 *     epoch (4) | nonce (12) | AES-256-GCM(state) | tag (16)
 *
 * under the key of its epoch, HKDF-Expand-Label(secret, "znet ticket",
 * epoch) (SHA-256): keys rotate every lifetime, and a ticket opens with
 * the key of its own epoch only while that is the current one or the one
 * before, and while its age is within the lifetime.  The state is the
 * suite, the time it was issued (the server's clock, ms), the age
 * obfuscation (§4.6.1's ticket_age_add), the first 8 bytes of SHA-256 of
 * the server name the session was for (§4.6.1: a ticket is for that name
 * only), and the PSK.  The nonce is random (the session's DRBG): 2^32
 * tickets under one key keep a collision of 96-bit nonces below 2^-32.
 * Nothing is kept per ticket, so a ticket can be used more than once:
 * harmless without 0-RTT, which znet refuses (§8).
 */
#include <string.h>

#include "tls13_int.h"
#include "znet/err.h"
#include "znet/wipe.h"

#define EPOCH_LEN 4u
#define NONCE_LEN 12u
#define TAG_LEN 16u
#define STATE_VERSION 1
/* version, suite, issued, age_add, name hash, PSK length, PSK. */
#define STATE_FIXED (1u + 2u + 8u + 4u + 8u + 1u)

struct zn_tls_tickets {
  uint8_t secret[32];
  uint32_t lifetime_s;
};

size_t zn_tls_tickets_mem_size(void) { return sizeof(struct zn_tls_tickets); }

int zn_tls_tickets_init(void *mem, size_t len, const uint8_t secret[32],
                        uint32_t lifetime_s, struct zn_tls_tickets **out) {
  if (mem == NULL || secret == NULL || out == NULL || lifetime_s == 0 ||
      lifetime_s > ZN_TLS_TICKET_LIFETIME_MAX || !zn__tls_aligned(mem))
    return ZN_EINVAL;
  if (len < sizeof(struct zn_tls_tickets))
    return ZN_ENOMEM;
  struct zn_tls_tickets *tk = mem;
  memcpy(tk->secret, secret, sizeof(tk->secret));
  tk->lifetime_s = lifetime_s;
  *out = tk;
  return ZN_OK;
}

uint32_t zn__tls13_ticket_lifetime(const struct zn_tls_tickets *tk) {
  return tk->lifetime_s;
}

static uint32_t epoch_of(const struct zn_tls_tickets *tk, uint64_t now_ms) {
  return (uint32_t)(now_ms / ((uint64_t)tk->lifetime_s * 1000u));
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* The AES-256-GCM context of an epoch's key. */
struct ticket_aead {
  br_aes_gen_ctr_keys aes;
  br_gcm_context gcm;
};

static void epoch_key(const struct zn_tls_tickets *tk, uint32_t epoch,
                      struct ticket_aead *x) {
  const struct zn__tls13_suite *s = zn__tls13_suite(0x1301); /* SHA-256 */
  uint8_t ctx[4], key[32];
  put32(ctx, epoch);
  zn__tls13_expand_label(s, tk->secret, "znet ticket", ctx, sizeof(ctx), key,
                         sizeof(key));
  const br_block_ctr_class *aes = zn__tls13_aes_ctr();
  aes->init(&x->aes.vtable, key, sizeof(key));
  br_gcm_init(&x->gcm, &x->aes.vtable, zn__tls13_ghash());
  zn_wipe(key, sizeof(key));
}

static size_t state_write(const struct zn__tls13_ticket *t, uint8_t *p) {
  size_t n = 0;
  p[n++] = STATE_VERSION;
  p[n++] = (uint8_t)(t->suite >> 8);
  p[n++] = (uint8_t)t->suite;
  put32(p + n, (uint32_t)(t->issued_ms >> 32));
  put32(p + n + 4, (uint32_t)t->issued_ms);
  n += 8;
  put32(p + n, t->age_add);
  n += 4;
  memcpy(p + n, t->name_hash, sizeof(t->name_hash));
  n += sizeof(t->name_hash);
  p[n++] = t->psk_len;
  memcpy(p + n, t->psk, t->psk_len);
  return n + t->psk_len;
}

static bool state_read(const uint8_t *p, size_t len,
                       struct zn__tls13_ticket *t) {
  if (len < STATE_FIXED || p[0] != STATE_VERSION)
    return false;
  t->suite = (uint16_t)(p[1] << 8 | p[2]);
  t->issued_ms = (uint64_t)get32(p + 3) << 32 | get32(p + 7);
  t->age_add = get32(p + 11);
  memcpy(t->name_hash, p + 15, sizeof(t->name_hash));
  t->psk_len = p[23];
  return t->psk_len <= sizeof(t->psk) && len == STATE_FIXED + t->psk_len &&
         (memcpy(t->psk, p + STATE_FIXED, t->psk_len), true);
}

size_t zn__tls13_ticket_seal(const struct zn_tls_tickets *tk,
                             const struct zn__tls13_ticket *t,
                             const uint8_t nonce[12], uint8_t *out,
                             size_t cap) {
  size_t body = STATE_FIXED + t->psk_len;
  size_t len = EPOCH_LEN + NONCE_LEN + body + TAG_LEN;
  if (cap < len)
    return 0;
  uint32_t epoch = epoch_of(tk, t->issued_ms);
  struct ticket_aead x;
  epoch_key(tk, epoch, &x);
  put32(out, epoch);
  memcpy(out + EPOCH_LEN, nonce, NONCE_LEN);
  uint8_t *c = out + EPOCH_LEN + NONCE_LEN;
  state_write(t, c);
  br_gcm_reset(&x.gcm, nonce, NONCE_LEN);
  br_gcm_aad_inject(&x.gcm, out, EPOCH_LEN);
  br_gcm_flip(&x.gcm);
  br_gcm_run(&x.gcm, 1, c, body);
  br_gcm_get_tag(&x.gcm, c + body);
  zn_wipe(&x, sizeof(x));
  return len;
}

bool zn__tls13_ticket_open(const struct zn_tls_tickets *tk, const uint8_t *in,
                           size_t len, uint64_t now_ms,
                           struct zn__tls13_ticket *t) {
  uint8_t buf[STATE_FIXED + ZN__TLS13_MAX_HASH];
  if (len < EPOCH_LEN + NONCE_LEN + STATE_FIXED + TAG_LEN ||
      len - EPOCH_LEN - NONCE_LEN - TAG_LEN > sizeof(buf))
    return false;
  uint32_t epoch = get32(in), now = epoch_of(tk, now_ms);
  if (epoch != now && epoch + 1 != now)
    return false; /* its key is gone */
  size_t body = len - EPOCH_LEN - NONCE_LEN - TAG_LEN;
  memcpy(buf, in + EPOCH_LEN + NONCE_LEN, body);
  struct ticket_aead x;
  epoch_key(tk, epoch, &x);
  br_gcm_reset(&x.gcm, in + EPOCH_LEN, NONCE_LEN);
  br_gcm_aad_inject(&x.gcm, in, EPOCH_LEN);
  br_gcm_flip(&x.gcm);
  br_gcm_run(&x.gcm, 0, buf, body);
  bool ok = br_gcm_check_tag(&x.gcm, in + len - TAG_LEN) != 0 &&
            state_read(buf, body, t) && t->issued_ms <= now_ms &&
            now_ms - t->issued_ms <= (uint64_t)tk->lifetime_s * 1000u;
  zn_wipe(&x, sizeof(x));
  zn_wipe(buf, sizeof(buf)); /* the PSK in the clear */
  return ok;
}
