/*
 * The stack object, private.  Everything a stack owns is reachable from
 * here and lives in the caller's memory block.
 */
#ifndef ZN_CORE_STACK_INT_H
#define ZN_CORE_STACK_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/rand_int.h"
#include "core/timer_int.h"
#include "znet/addr.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/stats.h"

/* A deliberate fall-through between switch labels.  C11 has no
 * [[fallthrough]] and clang does not read the comment gcc accepts; both
 * take the attribute. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 7)
#define ZN_FALLTHROUGH __attribute__((fallthrough))
#else
#define ZN_FALLTHROUGH ((void)0)
#endif

/* zn__peer_hash's memo slots (a power of two). */
#define ZN__PEER_MEMO 16

/* Slots for the modules' states (src/modules.h numbers them).  The last
 * is the core's own: no module has it, and its poll_end tells the
 * application the address events (zn__stack_addr_event). */
#define ZN__MOD_SLOTS 16
#define ZN__SLOT_CORE (ZN__MOD_SLOTS - 1)

struct zn__module;

/* A frame from the netif (data at the link header), for the link layer,
 * which consumes it. */
typedef void (*zn__frame_fn)(struct zn_stack *st, struct zn_buf *b);

/* Address events waiting for the application's callback, at most. */
#define ZN__ADDR_QUEUE 16u

struct zn_stack {
  struct zn_config cfg;
  struct zn_pool pool;      /* frame buffers */
  struct zn_pool bigpool;   /* large buffers (may have count 0) */
  struct zn_netif *nif;
  uint64_t now;             /* ns, of the latest poll */
  bool started;             /* first poll done (announcement sent) */

  uint8_t mac[6];

  struct zn__wheel wheel;
  struct zn__rng rng;
  uint8_t hash_key[16];     /* SipHash key for tables */
  /* zn__peer_hash's memo: slot ip % ZN__PEER_MEMO holds the last address
   * of its slot and that address's hash (a function of the two under the
   * fixed key: never stale).  An empty slot i holds the address ~i,
   * whose low bits put it in another slot: no lookup matches it. */
  uint32_t peer_memo_ip[ZN__PEER_MEMO];
  uint64_t peer_memo_hash[ZN__PEER_MEMO];
  struct zn_stats stats;

  struct zn_bufq txq;       /* frames for the netif, flushed each poll */
  struct zn_bufq loopq;     /* packets to ourselves, each with the input
                               that takes it at the next poll (zn__loop) */

  /* The modules the stack was assembled from (src/assembly), by slot:
   * each one's descriptor and state, NULL for a module left out. */
  const struct zn__module *mod[ZN__MOD_SLOTS];
  void *state[ZN__MOD_SLOTS];
  uint32_t nmods;           /* slots 0 to nmods - 1 may be in use */
  zn__frame_fn frame_input; /* the link layer's input (zn__set_frame_input) */
  uint32_t link_hdr;        /* the link layer's longest header: a frame
                               may exceed the netif's MTU by this much */
  void (*poll_end[ZN__MOD_SLOTS])(struct zn_stack *st); /* the modules'
                               poll_end by slot (for zn__poll_due) */
  uint32_t poll_due;        /* modules with work for the end of the poll
                               (bit per slot, zn__poll_due): their
                               poll_end runs, and the bit is cleared */
  uint32_t repoll;          /* modules with work for the very next poll
                               (bit per slot): zn_stack_next_deadline
                               answers now */

  void *userdata;
  zn_addr_event_fn addr_cb;
  void *addr_cb_arg;
  /* Address events for addr_cb, told at the end of the next poll (a
   * callback never runs inside an API call; the core's slot's poll_end,
   * after the transports'): a ring from addr_q_head. */
  struct zn__addr_note {
    struct zn_ip addr;
    uint8_t ev; /* enum zn_addr_event */
    uint8_t prefix;
  } addr_q[ZN__ADDR_QUEUE];
  uint8_t addr_q_head, addr_q_len;
};

#define ZN_STAT_INC(st, name) ((st)->stats.v[ZN_STAT_##name]++)
#define ZN_STAT_ADD(st, name, n) ((st)->stats.v[ZN_STAT_##name] += (n))

/* The core's part of the assembly (src/assembly): its configuration
 * fields' defaults and check, its memory (the stack object and the
 * pools), and the stack object made from it. */
void zn__core_config_default(struct zn_config *cfg);
bool zn__core_config_ok(const struct zn_config *cfg);
size_t zn__core_mem_size(const struct zn_config *cfg);
struct zn_stack *zn__core_init(const struct zn_config *cfg, void **mem);
void zn__core_destroy(struct zn_stack *st);

/* Carving the stack's memory block. */
static inline size_t zn__align_up(size_t n, size_t a) {
  return (n + a - 1) & ~(a - 1);
}
/* Take `size` bytes aligned to 16 from *mem and advance it. */
static inline void *zn__carve(void **mem, size_t size) {
  uintptr_t p = ((uintptr_t)*mem + 15u) & ~(uintptr_t)15u;
  *mem = (void *)(p + size);
  return (void *)p;
}
/* zn__carve, the bytes zeroed. */
static inline void *zn__carve_zeroed(void **mem, size_t size) {
  void *p = zn__carve(mem, size);
  memset(p, 0, size);
  return p;
}
/* Bytes zn__carve needs for `size` (with alignment slack). */
static inline size_t zn__carve_size(size_t size) {
  return zn__align_up(size, 16) + 16;
}

/* Logging with a tiny formatter: %s %c %d %u %x %ld %lu %lld %llu %zu
 * %%, and %I (uint32_t IPv4 address), %M (const uint8_t *MAC). */
void zn__log(const struct zn_stack *st, int level, const char *fmt, ...);
void zn__vfmt(char *buf, size_t size, const char *fmt, va_list ap);
void zn__fmt(char *buf, size_t size, const char *fmt, ...);

/* (ZN_LOG, the call every module makes, is in core/log_int.h.) */

/* Compare a program's view of the layout values (zn_stack_create()) with
 * the library's: ZN_OK, or ZN_EABI with each differing value logged
 * through cfg's log (core/abi.c).  cfg may be NULL (nothing logged). */
int zn__abi_check(const struct zn_config *cfg, const struct zn_abi *abi);

/* Queue a finished frame (data at the Ethernet header) for the netif.
 * Consumes b. */
void zn__if_output(struct zn_stack *st, struct zn_buf *b);

/* A frame buffer, or a big one if size does not fit, for size bytes after
 * the headroom; NULL if none (counted). */
struct zn_buf *zn__buf_alloc(struct zn_stack *st, size_t size);

/* A writable copy of b (data and cb), headroom ZN_BUF_HEADROOM, or NULL. */
struct zn_buf *zn__buf_copy(struct zn_stack *st, const struct zn_buf *b);

/* One of our addresses was added or removed: every module's addr_event
 * now (the transports let go of what was bound to a removed one: TCP
 * connections fail, UDP sockets are marked; their callbacks run at the
 * end of the poll), the uppermost first; the application's callback at
 * the end of the next poll, after theirs (queued: an API call such as
 * zn_stack_set_ipv4 may be what changed it). */
void zn__stack_addr_event(struct zn_stack *st, enum zn_addr_event ev,
                          const struct zn_ip *addr, uint8_t prefix);

/* Something every route or frame template rests on changed (a netif
 * attached, the MAC, an address): every module's config_changed. */
void zn__stack_config_changed(struct zn_stack *st);

/* Module `slot` has work for the end of this poll (its poll_end runs
 * once, at the end of the poll under way or of the next one); with
 * now, the next poll is due at once (zn_stack_next_deadline). */
static inline void zn__poll_due(struct zn_stack *st, uint32_t slot,
                                bool now) {
  st->poll_due |= 1u << slot;
  if (now)
    st->repoll |= 1u << slot;
}

/* The link layer takes the frames the poll receives (fn), and puts at
 * most link_hdr bytes of header before a datagram of the netif's MTU. */
void zn__set_frame_input(struct zn_stack *st, zn__frame_fn fn,
                         uint32_t link_hdr);

/* A packet to ourselves: b (its data at the header in takes) goes to
 * in(st, b) at the next poll, within the poll's budget, flagged
 * ZN_BUF_F_LOOP.  Consumes b.  Errors: ZN_ENOBUFS (the queue holds
 * cfg.txq_len packets already; b is freed, the caller counts it). */
typedef void (*zn__loop_fn)(struct zn_stack *st, struct zn_buf *b);
int zn__loop(struct zn_stack *st, struct zn_buf *b, zn__loop_fn in);

/* Keyed hash of a few words, for tables. */
uint32_t zn__hash32(const struct zn_stack *st, uint32_t a, uint32_t b);

/* The memo's fill of zn__peer_hash (core/peer_hash.h): the hash of ip,
 * computed and remembered. */
uint64_t zn__peer_hash_fill(const struct zn_stack *st, uint32_t ip);

#endif
