/* ARP state and the calls the rest of the stack makes into it. */
#ifndef ZN_ARP_INT_H
#define ZN_ARP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/timer.h"

struct zn__arp_entry {
  uint32_t ip;
  uint32_t hnext;          /* next entry index + 1 in the hash chain */
  uint8_t mac[6];
  uint8_t state;           /* enum zn_arp_state */
  uint8_t tries;           /* requests sent in this resolution/probe */
  uint64_t expires;        /* ns: next retry, or REACHABLE -> STALE */
  uint64_t last_used;      /* ns: for eviction */
  struct zn_bufq pending;  /* frames (IP datagrams) waiting for the MAC */
  struct zn_timer timer;
};

struct zn__arp {
  struct zn__arp_entry *e; /* cfg.arp_entries */
  uint32_t *bucket;        /* entry index + 1, 0 = empty */
  uint32_t nbuckets;       /* power of two */
  uint32_t nused;
  uint32_t last;           /* index + 1 of the last entry looked up:
                              0 once that entry is freed (unlink_entry),
                              and checked against state and address */
  uint32_t free_head;      /* index + 1 of the first FREE entry */
  uint32_t announce_left;  /* gratuitous ARPs still to send */
  struct zn_timer announce_timer;
};

size_t zn__arp_mem_size(const struct zn_config *cfg);
void zn__arp_init(struct zn_stack *st, void **mem);
void zn__arp_destroy(struct zn_stack *st);
/* b->data at the ARP header; consumes b. */
void zn__arp_input(struct zn_stack *st, struct zn_buf *b);
/* Send the IP datagram in b (data at the IP header) to next hop `ip` on
 * the link, resolving it first if needed.  Consumes b. */
void zn__arp_output(struct zn_stack *st, struct zn_buf *b, uint32_t ip);
/* The address changed or the stack started: announce if configured. */
void zn__arp_start(struct zn_stack *st);

#endif
