/*
 * Pools of TLS sessions as stream makers (znet/tls.h, "pools"): slots in
 * the caller's memory, each a small header (its pool, the free list's
 * link) followed by one session of the configuration's size.  A
 * session's stream is the start of its session memory, so on_release
 * finds the header, and through it the pool, from the stream alone.
 */
#include <string.h>

#include "tls_int.h"
#include "znet/err.h"

struct zn_tls_pool_slot {
  struct zn_tls_pool *pool;
  struct zn_tls_pool_slot *next_free;
};

#define HEADER_SIZE zn__tls_align_up(sizeof(struct zn_tls_pool_slot))

static uint8_t *session_of(struct zn_tls_pool_slot *h) {
  return (uint8_t *)h + HEADER_SIZE;
}

static struct zn_tls_pool_slot *header_of(struct zn_stream *s) {
  return (struct zn_tls_pool_slot *)(void *)((uint8_t *)s - HEADER_SIZE);
}

static void give_back(struct zn_tls_pool *p, struct zn_tls_pool_slot *h) {
  h->next_free = p->free_list;
  p->free_list = h;
  p->used--;
}

static void pool_release(struct zn_stream *s) {
  struct zn_tls_pool_slot *h = header_of(s);
  give_back(h->pool, h);
}

static struct zn_stream *pool_make(struct zn_stream_maker *m,
                                   struct zn_tcp_conn *c,
                                   const struct zn_stream_callbacks *cb,
                                   void *arg) {
  struct zn_tls_pool *p = (struct zn_tls_pool *)(void *)m;
  struct zn_tls_pool_slot *h = p->free_list;
  if (h == NULL) {
    p->refused++;
    return NULL;
  }
  p->free_list = h->next_free;
  p->used++;
  struct zn_stream *s = NULL;
  int rc = p->server_name
               ? zn_tls_client_start(p->cfg, p->st, c, p->server_name, cb, arg,
                                     session_of(h), p->session_size, &s)
               : zn_tls_server_start(p->cfg, p->st, c, cb, arg, session_of(h),
                                     p->session_size, &s);
  if (rc != ZN_OK) {
    give_back(p, h);
    p->refused++;
    return NULL;
  }
  s->on_release = pool_release;
  return s;
}

size_t zn_tls_pool_mem_size(const struct zn_tls_config *cfg, uint32_t n) {
  size_t session = cfg ? zn_tls_conn_size(cfg) : 0;
  if (session == 0 || n == 0)
    return 0;
  return (size_t)n * (HEADER_SIZE + zn__tls_align_up(session));
}

int zn_tls_pool_init(struct zn_tls_pool *p, const struct zn_tls_config *cfg,
                     struct zn_stack *st, const char *server_name, void *mem,
                     size_t len, uint32_t n) {
  size_t need = zn_tls_pool_mem_size(cfg, n);
  if (need == 0 || p == NULL || st == NULL || mem == NULL ||
      !zn__tls_aligned(mem) ||
      (cfg->role == ZN_TLS_CLIENT) != (server_name != NULL))
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  memset(p, 0, sizeof(*p));
  p->maker.make = pool_make;
  p->cfg = cfg;
  p->st = st;
  p->server_name = server_name;
  p->mem = mem;
  p->session_size = zn__tls_align_up(zn_tls_conn_size(cfg));
  p->slot_size = HEADER_SIZE + p->session_size;
  p->n = n;
  for (uint32_t i = n; i-- > 0;) {
    struct zn_tls_pool_slot *h =
        (struct zn_tls_pool_slot *)(void *)(p->mem + (size_t)i * p->slot_size);
    h->pool = p;
    h->next_free = p->free_list;
    p->free_list = h;
  }
  return ZN_OK;
}
