/* A group of shards on one multi-queue TAP: the stacks of one program's
 * processes (a server's master and its forked workers), each on a queue
 * of its own, with one address and one MAC (znet/steer.h).
 *
 * The first process (the leader, slot 0) opens the group before any
 * fork: every queue of the TAP (so that their numbers never change: a
 * queue's number moves when an earlier one closes, and the leader keeps
 * them all), the steering program with its tables, and a page of shared
 * memory.  A forked child inherits all of it; the first time it needs a
 * stack it claims a free slot, builds its stack on that slot's queue and
 * tells the group which listening ports it serves and which flows it
 * holds.  A slot whose process died is given back (its flows forgotten:
 * their frames then go to whichever shard the port row picks, which
 * resets them).  Slot 0 leads (ARP, ND, frames of no flow, reaping);
 * when its process exits (a daemon's first one, once it has forked),
 * the next process to claim takes slot 0 and leads.  Queue numbers hold
 * while some process keeps every queue open: the leader, or a child
 * that has not claimed (the daemon's master).
 *
 * What is shared (the slots, the port rows, the neighbors slot 0
 * publishes) is under one process-shared, robust mutex in that page. */
#ifndef ZNET_POSIX_PRELOAD_GROUP_H
#define ZNET_POSIX_PRELOAD_GROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "znet/stats.h"
#include "znet/steer.h"
#include "znet/tap.h"

#define PL_GROUP_MAX_SLOTS 64 /* a port row's mask is 64 bits */
#define PL_GROUP_ADDRS 8      /* slot 0's SLAAC addresses shared */

struct pl_group;

/* Open the group on TAP `name` with nslots queues (2 to
 * PL_GROUP_MAX_SLOTS), each a zn_tap opened with tap_flags and
 * ZN_TAP_MULTI_QUEUE; the caller is slot 0.  On failure *out is NULL and
 * why says, in a few words, why (a TAP without multi-queue, no CAP_BPF,
 * no memory): the caller goes on with one stack.  The group's
 * descriptors (2 x nslots + 3) are moved to numbers at or above fd_floor
 * (0: where they open), out of the way of a program that sizes its
 * tables by the descriptors it expects to open. */
int pl_group_open(const char *name, uint32_t nslots, uint32_t mtu,
                  uint32_t tap_flags, int fd_floor, struct pl_group **out,
                  char *why, size_t whylen);

/* Slot s's queue (a zn_tap: attach a stack to its nif). */
struct zn_tap *pl_group_queue(struct pl_group *g, uint32_t s);
uint32_t pl_group_nslots(const struct pl_group *g);
/* This process's slot: 0 in the leader, what pl_group_claim gave in a
 * child, -1 in a child that has none yet. */
int pl_group_slot(const struct pl_group *g);

/* In a fork's child: give back the slots of dead processes (as
 * pl_group_reap), take the lowest free slot for this process, close this
 * process's copies of the other queues (the leader's keep them
 * attached).  Slot 0 is free once its process has died (a daemon's
 * first process, gone after its fork): its taker leads from then on,
 * answering ARP and ND and reaping.  Returns the slot, or -1 when every
 * slot is taken. */
int pl_group_claim(struct pl_group *g);
/* One more slot for this process (a thread's shard, znet-run
 * --thread-shards): the lowest free slot whose queue this process still
 * holds (the leader holds them all; a child that claimed holds its
 * own).  It is given back when the process dies.  -1: none. */
int pl_group_claim_thread(struct pl_group *g);

/* Give back the slots of processes that died (kill(pid, 0) fails with
 * ESRCH), slot 0's too: their rows and flows go.  Returns how many. */
uint32_t pl_group_reap(struct pl_group *g);

/* In every fork's child (claiming or not): this process is one of the
 * group's, which the leader waits for (pl_group_others_alive). */
void pl_group_join(struct pl_group *g);
/* The same for process p (the parent, for the child fork gave it). */
void pl_group_join_pid(struct pl_group *g, pid_t p);
/* Some other process of the group lives: a slot's, or one that joined. */
bool pl_group_others_alive(struct pl_group *g);
/* Slot 0's process gives slot 0 to process `to` (its caretaker, just
 * forked) while it still lives, so no claim takes slot 0 in between;
 * false if slot 0 is not this process's. */
bool pl_group_pass_lead(struct pl_group *g, pid_t to);
/* In the process slot 0 was passed to (or any, when slot 0 is free): it
 * leads from now on, with every queue it holds; false if slot 0 is
 * another's. */
bool pl_group_lead(struct pl_group *g);
/* The descriptors the group holds in this process (queues, eventfds,
 * the steering program and tables), at most max into fds: how many. */
uint32_t pl_group_fds(const struct pl_group *g, int *fds, uint32_t max);

/* ---- IPv6 addresses: SLAAC runs in slot 0, the others take them ---- */

/* Slot 0: its addresses from router advertisements now (at most
 * PL_GROUP_ADDRS); a change wakes the other slots. */
void pl_group_set_addrs(struct pl_group *g, const struct zn_ip *addrs,
                        const uint8_t *prefixes, uint32_t n);
/* The addresses slot 0 set, into addrs and prefixes (PL_GROUP_ADDRS
 * each) and *n: returns their generation. */
uint64_t pl_group_addrs(struct pl_group *g, struct zn_ip *addrs,
                        uint8_t *prefixes, uint32_t *n);
/* The generation alone (no lock): compare with the last one taken. */
uint64_t pl_group_addrs_gen(struct pl_group *g);

/* ---- IPv4: slot 0's (DHCP runs there), followed by the others ---- */

/* Slot 0: its IPv4 address now (0: none), prefix and gateway; a change
 * (or the first call) starts a new generation and wakes the others. */
void pl_group_set_ipv4(struct pl_group *g, uint32_t addr, uint8_t prefix,
                       uint32_t gateway);
/* What slot 0 set last, into *addr, *prefix, *gateway: its generation
 * (0: never set). */
uint64_t pl_group_ipv4(struct pl_group *g, uint32_t *addr, uint8_t *prefix,
                       uint32_t *gateway);
/* The generation alone (no lock). */
uint64_t pl_group_ipv4_gen(struct pl_group *g);

/* --stats at exit: add this process's counters to the group's; true if
 * it is the last to report (every other process of the group has
 * reported or died), with the sum of all in *sum. */
bool pl_group_report(struct pl_group *g, const struct zn_stats *mine,
                     struct zn_stats *sum);

/* Slot (one of this process's) serves (on) or no longer serves (off)
 * proto and port: the port row spreads the port's buckets over the
 * slots that serve it. */
int pl_group_serve(struct pl_group *g, int slot, uint8_t proto,
                   uint16_t port, bool on);

/* Slot (one of this process's) holds (open) or no longer holds the
 * flow. */
int pl_group_flow(struct pl_group *g, int slot, const struct zn_steer_key *k,
                  bool open);

/* ---- neighbors: slot 0 sees ARP and ND; the others ask it ---- */

/* Slot 0 tells the group ip is at mac (znet/neigh.h's `learned`); the
 * slots that wished for ip are woken. */
void pl_group_publish(struct pl_group *g, const struct zn_ip *ip,
                      const uint8_t mac[6]);
/* What the group knows of ip: true with *mac. */
bool pl_group_lookup(struct pl_group *g, const struct zn_ip *ip,
                     uint8_t mac[6]);
/* Slot wants ip (znet/neigh.h's `wanted`): true with *mac if the group
 * knows it already; else the wish is queued for slot 0, which is woken,
 * and slot is woken when it is published. */
bool pl_group_wish(struct pl_group *g, int slot, const struct zn_ip *ip,
                   uint8_t mac[6]);
/* Slot 0: the addresses wished for since the last call, at most max of
 * them into ips; returns how many. */
uint32_t pl_group_take_wishes(struct pl_group *g, struct zn_ip *ips,
                              uint32_t max);
/* Slot s's wake eventfd: readable when the group has news for it (a
 * wish for slot 0, an answer for the others).  Read it to rearm. */
int pl_group_wake_fd(const struct pl_group *g, uint32_t s);

/* The steering program and its tables (for tests). */
const struct zn_tap_steer *pl_group_steer(const struct pl_group *g);

/* The slots serving proto/port, as a mask (for tests and --stats). */
uint64_t pl_group_serving(struct pl_group *g, uint8_t proto, uint16_t port);

#endif
