/* ARP state and the calls the rest of the stack makes into it. */
#ifndef ZN_ARP_INT_H
#define ZN_ARP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "modules.h"
#include "znet/arp.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/timer.h"

struct zn__arp_entry {
  uint32_t ip;
  uint32_t hnext;          /* next entry index + 1 in the hash chain */
  uint8_t mac[6];
  uint8_t state;           /* enum zn_arp_state */
  uint8_t tries;           /* requests sent in this resolution/probe */
  uint32_t gen;            /* moves when mac changes and when the entry
                              is freed: what a pin holds (zn__arp_pin) */
  uint64_t expires;        /* ns: next retry, or REACHABLE -> STALE */
  uint64_t last_used;      /* ns: for eviction */
  struct zn_bufq pending;  /* frames (IP datagrams) waiting for the MAC */
  struct zn_timer timer;
};

/* A listener of ARP packets (DHCPv4's RFC 5227 probe): one from sha/spa
 * about tpa, op request or reply, its sender already judged plausible,
 * shown whether or not we have an address.  Looks only. */
typedef void (*zn__arp_listen_fn)(struct zn_stack *st, const uint8_t *sha,
                                  uint32_t spa, uint32_t tpa, uint16_t op);

#define ZN__ARP_LISTENERS 2

/* Where a datagram goes once its next hop's MAC is known (IPv4's link
 * send, which fragments it to the MTU); consumes b. */
typedef void (*zn__arp_send_fn)(struct zn_stack *st, struct zn_buf *b,
                                const uint8_t mac[6]);

struct zn__arp {
  struct zn__arp_entry *e; /* cfg.arp_entries */
  uint32_t *bucket;        /* entry index + 1, 0 = empty */
  uint32_t nbuckets;       /* power of two */
  uint32_t nused;
  uint32_t last;           /* index + 1 of the last entry looked up:
                              0 once that entry is freed (unlink_entry),
                              and checked against state and address
                              (find, zn__arp_pin) */
  uint32_t free_head;      /* index + 1 of the first FREE entry */
  uint32_t announce_left;  /* gratuitous ARPs still to send */
  uint32_t addr;           /* the IPv4 address we answer for, 0: none */
  uint32_t dbcast;         /* its prefix's directed broadcast (or the
                              limited one): no sender's address */
  zn__arp_send_fn send;    /* zn__arp_set_sender */
  zn__arp_listen_fn listen[ZN__ARP_LISTENERS]; /* zn__arp_listen */
  struct zn_neigh_hooks hooks; /* zn_arp_set_hooks */
  uint32_t nlisten;
  struct zn_timer announce_timer;
};

size_t zn__arp_mem_size(const struct zn_config *cfg);
void zn__arp_init(struct zn_stack *st, void **mem);
void zn__arp_destroy(struct zn_stack *st);
/* b->data at the ARP header; consumes b. */
void zn__arp_input(struct zn_stack *st, struct zn_buf *b, uint16_t group);
/* Show fn every ARP packet with a plausible sender (at assembly; a
 * module above ARP).  Errors: ZN_ENOMEM (the table is full). */
int zn__arp_listen(struct zn_stack *st, zn__arp_listen_fn fn);
/* Send the IP datagram in b (data at the IP header) to next hop `ip` on
 * the link, resolving it first if needed.  Consumes b. */
void zn__arp_output(struct zn_stack *st, struct zn_buf *b, uint32_t ip);
/* The address changed or the stack started: announce if configured. */
void zn__arp_start(struct zn_stack *st);
/* The IPv4 address ARP answers for (0: none), and its prefix's directed
 * broadcast (ZN_IPV4_BCAST if none): from IPv4, whenever they change. */
void zn__arp_set_addr(struct zn_stack *st, uint32_t addr, uint32_t dbcast);
/* The layer that sends the datagrams zn__arp_output resolves (at
 * assembly, by IPv4). */
void zn__arp_set_sender(struct zn_stack *st, zn__arp_send_fn fn);

/* The states in which zn__arp_output hands a datagram straight to the
 * link, to the entry's MAC: REACHABLE, PROBE (a unicast probe is out, the
 * MAC still serves) and STATIC. */
static inline bool zn__arp_sends_directly(uint8_t state) {
  return ((1u << state) & ((1u << ZN_ARP_REACHABLE) | (1u << ZN_ARP_PROBE) |
                           (1u << ZN_ARP_STATIC))) != 0;
}

/* An entry held by a sender that caches its route (struct zn__ip_path):
 * the entry, and its generation then.  The pin stands while the entry
 * keeps that generation, which it leaves when its MAC changes or it is
 * freed (expired, evicted, removed, failed), and while its state sends
 * directly: once REACHABLE goes STALE the next datagram must go through
 * zn__arp_output, which probes (RFC 1122 §2.3.2.1), and the pin stands
 * again once the probe (same MAC) is out. */
struct zn__arp_pin {
  struct zn__arp_entry *e; /* NULL: none yet */
  uint32_t gen;
};

/* Right after zn__arp_output sent a datagram to next hop ip: pin ip's
 * entry if the datagram went straight to the link (the entry sends
 * directly) and return its MAC; else NULL, pin untouched.  The entry is
 * the last that zn__arp_output looked up (find's memo, which nothing
 * below it moves), so pinning costs no lookup; were the memo elsewhere,
 * there would only be no pin. */
static inline const uint8_t *zn__arp_pin(struct zn__arp *a, uint32_t ip,
                                         struct zn__arp_pin *pin) {
  if (!a->last)
    return NULL;
  struct zn__arp_entry *e = &a->e[a->last - 1];
  if (e->ip != ip || !zn__arp_sends_directly(e->state))
    return NULL;
  pin->e = e;
  pin->gen = e->gen;
  return e->mac;
}

/* Whether pin (taken) still stands: a datagram to its next hop would go
 * straight to the MAC pinned.  Inline, with the next call, on the path
 * of every datagram sent through a cached route. */
static inline bool zn__arp_pinned(const struct zn__arp_pin *pin) {
  return pin->e->gen == pin->gen && zn__arp_sends_directly(pin->e->state);
}

/* A datagram went out through a pin that stands: the entry was used, as
 * zn__arp_output records it (the least recently used is evicted first).
 * Use neither confirms the neighbour nor delays its aging to STALE. */
static inline void zn__arp_pin_used(const struct zn__arp_pin *pin,
                                    uint64_t now) {
  pin->e->last_used = now;
}

#endif
