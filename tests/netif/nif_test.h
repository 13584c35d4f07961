/*
 * Helpers for the netif tests: a buffer pool in malloc'd memory standing
 * in for a stack's pool behind a netif's alloc hook, and frame builders.
 */
#ifndef TESTS_NETIF_NIF_TEST_H
#define TESTS_NETIF_NIF_TEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet.h"
#include "znet/fault.h"
#include "znet/memlink.h"
#include "znet/wire.h"
#include "zt.h"

struct nt_pool {
  struct zn_pool pool;
  void *mem;
};

static inline int nt_pool_init(struct nt_pool *p, uint32_t count,
                               uint32_t size) {
  size_t len = zn_pool_mem_size(count, size);
  p->mem = malloc(len);
  if (p->mem == NULL)
    return ZN_ENOMEM;
  return zn_pool_init(&p->pool, p->mem, len, count, size);
}

/* The no-leak check every test ends with, then the memory goes. */
static inline void nt_pool_fini(struct nt_pool *p) {
  ZT_EQU(zn_pool_in_use(&p->pool), 0);
  free(p->mem);
  p->mem = NULL;
}

static inline struct zn_buf *nt_alloc_hook(void *ctx) {
  return zn_pool_alloc(&((struct nt_pool *)ctx)->pool);
}

static inline void nt_attach(struct zn_netif *nif, struct nt_pool *p) {
  nif->alloc = nt_alloc_hook;
  nif->alloc_ctx = p;
}

/* A frame of `len` bytes: Ethernet-ish header, then a pattern seeded by
 * `tag` (the first 4 payload bytes are the tag, big-endian). */
static inline struct zn_buf *nt_frame(struct nt_pool *p, uint32_t len,
                                      uint32_t tag) {
  struct zn_buf *b = zn_pool_alloc(&p->pool);
  if (b == NULL)
    return NULL;
  uint8_t *d = zn_buf_put(b, len);
  if (d == NULL) {
    zn_buf_free(b);
    return NULL;
  }
  for (uint32_t i = 0; i < len; i++)
    d[i] = (uint8_t)(i * 7u + tag * 13u + 1u);
  if (len >= 18) {
    d[14] = (uint8_t)(tag >> 24);
    d[15] = (uint8_t)(tag >> 16);
    d[16] = (uint8_t)(tag >> 8);
    d[17] = (uint8_t)tag;
  }
  return b;
}

/* The tag nt_frame() wrote. */
static inline uint32_t nt_tag(const struct zn_buf *b) {
  const uint8_t *d = b->data;
  return (uint32_t)d[14] << 24 | (uint32_t)d[15] << 16 | (uint32_t)d[16] << 8 |
         d[17];
}

/* True if b holds exactly what nt_frame(len, tag) made. */
static inline int nt_frame_ok(const struct zn_buf *b, uint32_t len,
                              uint32_t tag) {
  if (b->len != len)
    return 0;
  for (uint32_t i = 0; i < len; i++) {
    uint8_t want = (uint8_t)(i * 7u + tag * 13u + 1u);
    if (len >= 18 && i >= 14 && i < 18)
      want = (uint8_t)(tag >> (8u * (17u - i)));
    if (b->data[i] != want)
      return 0;
  }
  return 1;
}

#endif /* TESTS_NETIF_NIF_TEST_H */
