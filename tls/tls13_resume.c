/*
 * A client's TLS 1.3 tickets (RFC 8446 §4.6.1, §4.2.11): what the server
 * sent (the ticket, its lifetime and age obfuscation) with what the
 * client derived for it (the PSK, the suite it was made under), kept
 * under the first 16 bytes of SHA-256 of the server name the session
 * connected to.  The store is a fixed array in the caller's memory; a
 * slot's seq orders the tickets (0: free), so the oldest is the one
 * replaced when the store is full and the newest is the one offered.
 * A ticket leaves the store when it is offered (§C.4: offered once), or
 * when found past its lifetime.
 */
#include <string.h>

#include "tls13_int.h"
#include "znet/err.h"
#include "znet/wipe.h"

struct resume_slot {
  uint64_t seq;         /* 0: free; else the order it was kept in */
  uint64_t received_ms; /* the stack's clock, ms */
  uint32_t lifetime_s;
  uint32_t age_add;
  uint16_t suite;
  uint16_t ticket_len;
  uint8_t name_hash[16];
  uint8_t psk_len;
  uint8_t psk[ZN__TLS13_MAX_HASH];
  uint8_t ticket[ZN_TLS_RESUME_TICKET_MAX];
};

struct zn_tls_resume {
  uint32_t entries;
  uint64_t seq; /* the last slot's */
  struct resume_slot slot[];
};

#define RESUME_ENTRIES_MAX 65536u

size_t zn_tls_resume_mem_size(uint32_t entries) {
  return sizeof(struct zn_tls_resume) +
         (size_t)entries * sizeof(struct resume_slot);
}

int zn_tls_resume_init(void *mem, size_t len, uint32_t entries,
                       struct zn_tls_resume **out) {
  if (mem == NULL || out == NULL || entries == 0 ||
      entries > RESUME_ENTRIES_MAX || !zn__tls_aligned(mem))
    return ZN_EINVAL;
  if (len < zn_tls_resume_mem_size(entries))
    return ZN_ENOMEM;
  struct zn_tls_resume *r = mem;
  memset(r, 0, zn_tls_resume_mem_size(entries));
  r->entries = entries;
  *out = r;
  return ZN_OK;
}

uint32_t zn_tls_resume_count(const struct zn_tls_resume *r) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->entries; i++)
    n += r->slot[i].seq != 0;
  return n;
}

/* The key a server name's tickets are kept under ("" for none). */
static void resume_name_hash(const char *name, uint8_t out[16]) {
  zn__tls13_name_hash(name, name ? strlen(name) : 0, out, 16);
}

/* (Its PSK goes with it.) */
static void slot_free(struct resume_slot *s) { zn_wipe(s, sizeof(*s)); }

/* §4.6.1: a ticket is not used past its lifetime (nor with a clock that
 * went back). */
static bool slot_alive(const struct resume_slot *s, uint64_t now_ms) {
  return now_ms >= s->received_ms &&
         now_ms - s->received_ms < (uint64_t)s->lifetime_s * 1000u;
}

/* A free slot, else the oldest one. */
static struct resume_slot *slot_for_new(struct zn_tls_resume *r) {
  struct resume_slot *old = &r->slot[0];
  for (uint32_t i = 0; i < r->entries; i++) {
    struct resume_slot *s = &r->slot[i];
    if (s->seq == 0)
      return s;
    if (s->seq < old->seq)
      old = s;
  }
  return old;
}

int zn__tls13_resume_keep(struct zn_tls_resume *r, const char *name,
                          const struct zn__tls13_resume_ticket *t) {
  if (t->ticket_len > ZN_TLS_RESUME_TICKET_MAX)
    return ZN_EMSGSIZE;
  struct resume_slot *s = slot_for_new(r);
  slot_free(s);
  s->seq = ++r->seq;
  s->received_ms = t->received_ms;
  s->lifetime_s = t->lifetime_s;
  s->age_add = t->age_add;
  s->suite = t->suite;
  s->ticket_len = t->ticket_len;
  resume_name_hash(name, s->name_hash);
  s->psk_len = t->psk_len;
  memcpy(s->psk, t->psk, t->psk_len);
  memcpy(s->ticket, t->ticket, t->ticket_len);
  return ZN_OK;
}

bool zn__tls13_resume_take(struct zn_tls_resume *r, const char *name,
                           uint64_t now_ms,
                           struct zn__tls13_resume_ticket *out) {
  uint8_t key[16];
  struct resume_slot *best = NULL;
  resume_name_hash(name, key);
  for (uint32_t i = 0; i < r->entries; i++) {
    struct resume_slot *s = &r->slot[i];
    if (s->seq == 0 || memcmp(s->name_hash, key, sizeof(key)) != 0)
      continue;
    if (!slot_alive(s, now_ms))
      slot_free(s);
    else if (best == NULL || s->seq > best->seq)
      best = s;
  }
  if (best == NULL)
    return false;
  out->received_ms = best->received_ms;
  out->lifetime_s = best->lifetime_s;
  out->age_add = best->age_add;
  out->suite = best->suite;
  out->psk_len = best->psk_len;
  memcpy(out->psk, best->psk, best->psk_len);
  out->ticket_len = best->ticket_len;
  memcpy(out->ticket, best->ticket, best->ticket_len);
  slot_free(best);
  return true;
}
