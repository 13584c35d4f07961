/** \file
 * Packet buffers.
 *
 * A buffer is one contiguous run of bytes taken from a fixed-size pool that
 * was carved out of memory the caller handed to the stack (no malloc).  A
 * freshly allocated buffer is empty, with ZN_BUF_HEADROOM bytes free in
 * front of `data`, so every layer can prepend its header without copying:
 *
 *     head                data            data+len                 end
 *      |<--- headroom --->|<----- len ----->|<----- tailroom ----->|
 *
 * Ownership: a buffer has a reference count.  Whoever holds a reference owns
 * it and must pass it on or drop it with zn_buf_free().  A function that
 * takes a buffer argument documented as "consumes" takes over the caller's
 * reference on success AND on failure; the caller must not touch the buffer
 * afterwards.  Writing into a buffer is only allowed while the writer holds
 * the only reference (zn_buf_writable()).
 *
 * `next` and `cb` belong to whichever queue or layer currently owns the
 * buffer; they carry no meaning across a hand-off.
 */
#ifndef ZNET_BUF_H
#define ZNET_BUF_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/assert.h"
#include "znet/config.h"

struct zn_pool;

struct zn_buf {
  uint8_t *data;          /**< first valid byte */
  uint32_t len;           /**< valid bytes from data */
  uint16_t ref;           /**< references held; 0 while on the free list */
  uint16_t flags;         /**< ZN_BUF_F_* */
  uint16_t gso_size;      /**< send: TCP payload bytes per segment the device
                           * cuts this frame into (0: one frame as is) */
  uint16_t csum_l4len;    /**< send, with ZN_BUF_F_CSUM_PARTIAL: bytes from
                           * the transport header to the frame's end (the
                           * device sums from len - csum_l4len on) */
  uint8_t csum_field;     /**< send, with ZN_BUF_F_CSUM_PARTIAL: the
                           * checksum field's offset in the transport
                           * header (TCP 16, UDP 6) */
  uint8_t *head;          /**< first byte of storage */
  uint8_t *end;           /**< one past the last byte of storage */
  struct zn_buf *next;    /**< link for the current owner's queue */
  struct zn_pool *pool;   /**< pool the buffer returns to */
  alignas(8) uint8_t cb[ZN_BUF_CB_SIZE]; /**< scratch for the current owner */
};

/** Flags, informational; layers set them on buffers they own. */
#define ZN_BUF_F_BCAST 0x0001u /**< received as link-layer broadcast */
#define ZN_BUF_F_MCAST 0x0002u /**< received as link-layer multicast */
#define ZN_BUF_F_CSUM_OK 0x0004u /**< transport checksum already verified */
#define ZN_BUF_F_LOOP 0x0008u /**< looped back to ourselves, not from a wire */
/** Send: the TCP or UDP checksum field holds only the pseudo-header sum;
 * the netif (ZN_NETIF_CAP_TX_CSUM) completes it, where csum_l4len and
 * csum_field say (no need to parse the frame's headers). */
#define ZN_BUF_F_CSUM_PARTIAL 0x0010u

/**
 * A pool of `count` buffers of `size` storage bytes each.  The descriptors
 * and the storage both live in the memory given to zn_pool_init().
 */
struct zn_pool {
  struct zn_buf *free;    /**< free list through `next` */
  struct zn_buf *descs;   /**< descriptor array */
  uint8_t *storage;       /**< count * size bytes */
  uint32_t size;          /**< storage bytes per buffer */
  uint32_t count;         /**< buffers in the pool */
  uint32_t nfree;         /**< buffers on the free list */
  uint32_t min_free;      /**< low-water mark of nfree */
  uint64_t alloc_fail;    /**< allocations refused because the pool was empty */
};

/** Memory zn_pool_init() needs for `count` buffers of `size` bytes, with
 * alignment slack included. */
size_t zn_pool_mem_size(uint32_t count, uint32_t size);

/** Carve a pool out of [mem, mem+len).  count 0 makes an empty pool
 * (ZN_OK; mem and size are not looked at, every zn_pool_alloc() fails and
 * is counted in alloc_fail): how a stack without large buffers says so.
 * Errors: ZN_EINVAL (size smaller than ZN_BUF_HEADROOM + 64, or mem NULL),
 * ZN_ENOMEM (len smaller than zn_pool_mem_size(count, size)). */
int zn_pool_init(struct zn_pool *p, void *mem, size_t len, uint32_t count,
                 uint32_t size);

/** Take one buffer, empty, with `data` ZN_BUF_HEADROOM bytes into storage
 * and ref 1.  NULL (and alloc_fail counted) if the pool is empty. */
struct zn_buf *zn_pool_alloc(struct zn_pool *p);

/** Buffers currently allocated from the pool. */
static inline uint32_t zn_pool_in_use(const struct zn_pool *p) {
  return p->count - p->nfree;
}

/** Drop one reference; the buffer returns to its pool when the last goes.
 * NULL is accepted and ignored. */
void zn_buf_free(struct zn_buf *b);

/** Give dst src's flags and send metadata (gso_size, csum_l4len,
 * csum_field): what a copy of the frame needs to be sent the same way. */
static inline void zn_buf_copy_meta(struct zn_buf *dst,
                                    const struct zn_buf *src) {
  dst->flags = src->flags;
  dst->gso_size = src->gso_size;
  dst->csum_l4len = src->csum_l4len;
  dst->csum_field = src->csum_field;
}

/** Take another reference.  Returns b. */
static inline struct zn_buf *zn_buf_ref(struct zn_buf *b) {
  /* Only a held buffer can be shared, and its count must not wrap. */
  ZN_ASSERT(b->ref > 0 && b->ref < UINT16_MAX);
  b->ref++;
  return b;
}

static inline bool zn_buf_writable(const struct zn_buf *b) {
  return b->ref == 1;
}

static inline size_t zn_buf_headroom(const struct zn_buf *b) {
  return (size_t)(b->data - b->head);
}

static inline size_t zn_buf_tailroom(const struct zn_buf *b) {
  return (size_t)(b->end - b->data) - b->len;
}

static inline uint8_t *zn_buf_tail(const struct zn_buf *b) {
  return b->data + b->len;
}

/** Prepend n bytes and return the new start; NULL (buffer untouched) if the
 * headroom is smaller than n. */
static inline uint8_t *zn_buf_push(struct zn_buf *b, size_t n) {
  if (n > zn_buf_headroom(b))
    return NULL;
  b->data -= n;
  b->len += (uint32_t)n;
  return b->data;
}

/** Remove n bytes from the front and return a pointer to them (they stay
 * readable until something is pushed); NULL (buffer untouched) if fewer
 * than n bytes are held. */
static inline uint8_t *zn_buf_pull(struct zn_buf *b, size_t n) {
  uint8_t *p = b->data;
  if (n > b->len)
    return NULL;
  b->data += n;
  b->len -= (uint32_t)n;
  return p;
}

/** Append n bytes at the tail and return where they start; NULL (buffer
 * untouched) if the tailroom is smaller than n. */
static inline uint8_t *zn_buf_put(struct zn_buf *b, size_t n) {
  uint8_t *p = zn_buf_tail(b);
  if (n > zn_buf_tailroom(b))
    return NULL;
  b->len += (uint32_t)n;
  return p;
}

/** Cut the buffer to its first n bytes; no-op if it holds n or fewer. */
static inline void zn_buf_trim(struct zn_buf *b, size_t n) {
  if (n < b->len)
    b->len = (uint32_t)n;
}

/** Move data so that exactly `headroom` bytes are free in front of it.
 * Errors: ZN_ENOSPC if the data would not fit.  Needs a writable buffer. */
int zn_buf_reset_headroom(struct zn_buf *b, size_t headroom);

/**
 * A FIFO of buffers linked through `next`, with counts.  The queue owns one
 * reference to each buffer in it.
 */
struct zn_bufq {
  struct zn_buf *head;
  struct zn_buf *tail;
  uint32_t count;
  uint32_t bytes;
};

static inline void zn_bufq_init(struct zn_bufq *q) {
  q->head = q->tail = NULL;
  q->count = q->bytes = 0;
}

static inline void zn_bufq_push(struct zn_bufq *q, struct zn_buf *b) {
  b->next = NULL;
  if (q->tail)
    q->tail->next = b;
  else
    q->head = b;
  q->tail = b;
  q->count++;
  q->bytes += b->len;
}

static inline struct zn_buf *zn_bufq_pop(struct zn_bufq *q) {
  struct zn_buf *b = q->head;
  if (!b)
    return NULL;
  q->head = b->next;
  if (!q->head)
    q->tail = NULL;
  b->next = NULL;
  q->count--;
  q->bytes -= b->len;
  return b;
}

/** Free every buffer in the queue. */
void zn_bufq_purge(struct zn_bufq *q);

#endif /* ZNET_BUF_H */
