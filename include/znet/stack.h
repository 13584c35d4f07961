/** \file
 * The stack object.
 *
 * Everything a stack needs lives in one block of memory the caller hands to
 * zn_stack_create(): the stack object itself, its buffer pools, its ARP
 * cache, reassembly slots and timer wheel.  The core calls no allocator and
 * keeps no globals, so any number of stacks can live in one process.
 *
 * The stack never reads a clock and never blocks.  Drive it with
 *
 *     for (;;) {
 *       zn_stack_poll(st, now());           // bounded work
 *       wait_until(zn_stack_next_deadline(st), or a frame arrives);
 *     }
 *
 * which is what zn_loop_run() (znet/loop.h) does for hosted backends.
 *
 * A new stack's clock stands at 0 until the first poll.  Poll once with
 * the current time before calling any API that arms a timer (sending,
 * resolving), or those timers count from 0 and fire at the first poll.
 */
#ifndef ZNET_STACK_H
#define ZNET_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"
#include "znet/buf.h"
#include "znet/config.h"
#include "znet/dhcp4.h"
#include "znet/log.h"
#include "znet/netif.h"
#include "znet/time.h"

struct zn_stack;

struct zn_config {
  /** Memory. */
  uint32_t nbufs;            /**< frame buffers (ZN_BUF_SIZE bytes each) */
  uint32_t nbigbufs;         /**< large buffers (ZN_BIGBUF_SIZE), may be 0 */

  /** Link.  If has_mac is false the netif's address is used, or, if it has
   * none, a random locally administered unicast address. */
  uint8_t mac[6];
  bool has_mac;
  uint16_t vlan_id;          /**< 0: untagged (priority tags accepted);
                                1..4094: only frames tagged with this VID
                                are accepted, and all frames sent carry it */

  /** IPv4.  addr 0 means "no address yet" (ARP answers nothing). */
  uint32_t ipv4_addr;
  uint8_t ipv4_prefix;       /**< 0..32 */
  uint32_t ipv4_gateway;     /**< 0: none, off-link destinations
                                unreachable; else the next hop for every
                                destination off the prefix, reached on
                                the link even when it is off the prefix
                                itself (a /32 with a gateway such as
                                169.254.1.1, as Kubernetes' network
                                plugins give a pod): a unicast address
                                other than ipv4_addr */
  uint8_t ttl;

  /** DHCPv4 client (znet/dhcp4.h), off by default: with dhcp4.enable
   * the address, prefix and gateway come from a DHCP server and ipv4_addr
   * must be 0. */
  struct zn_dhcp4_config dhcp4;

  /** IPv6 (off by default).  On: a link-local address at start, neighbor
   * discovery, MLD; with ipv6_slaac, addresses from router
   * advertisements' prefixes as well. */
  bool ipv6;
  bool ipv6_slaac;
  uint32_t ipv6_addrs;       /**< address table: link-local, static and
                                SLAAC addresses together (1..64) */
  uint32_t ipv6_routers;     /**< default router list (1..64) */
  uint32_t ipv6_prefixes;    /**< on-link prefix list (1..64) */
  uint32_t ipv6_groups;      /**< multicast groups joined besides all-nodes
                                (1..256) */
  uint32_t ipv6_dns_servers; /**< RDNSS addresses kept (RFC 8106) (1..64) */
  uint32_t ipv6_dns_search;  /**< DNSSL domains kept (RFC 8106) (1..64) */
  uint8_t ipv6_dad_transmits; /**< DupAddrDetectTransmits (RFC 4862 §5.1);
                                 0: addresses are usable at once */

  /** IPv6 neighbor discovery (RFC 4861 §7) and reassembly (RFC 8200
   * §4.5); used only with ipv6. */
  uint32_t nd_entries;       /**< neighbor cache entries */
  uint32_t nd_pending;       /**< datagrams queued per INCOMPLETE entry */
  uint32_t ip6_reass_slots;  /**< IPv6 datagrams reassembled at once */
  uint32_t ip6_reass_max_bytes; /**< IPv6 fragment bytes held, all slots */
  uint32_t ip6_reass_timeout_ms; /**< RFC 8200 §4.5: 60 s */

  /** ARP. */
  uint32_t arp_entries;      /**< cache size */
  uint32_t arp_pending;      /**< frames queued per unresolved address */
  uint32_t arp_reachable_ms; /**< lifetime of a confirmed entry */
  uint32_t arp_retry_ms;     /**< first request retry, doubling after */
  uint32_t arp_retries;      /**< requests after the first before giving up */
  bool arp_announce;         /**< gratuitous ARP when the stack starts */

  /** IPv4 reassembly. */
  uint32_t reass_slots;      /**< datagrams in reassembly at once */
  uint32_t reass_max_bytes;  /**< fragment bytes held, all datagrams */
  uint32_t reass_timeout_ms;

  /** ICMP. */
  bool icmp_echo;            /**< answer echo requests */
  uint32_t icmp_rate;        /**< errors per second */
  uint32_t icmp_burst;       /**< errors in a burst */

  /** Shards (`znet/steer.h`): several stacks with one address, this one
   * share port_share of port_shares.  The ephemeral ports it picks (for
   * connect, a listen or bind to port 0, UDP's implicit binding) are the
   * ports p with p % port_shares == port_share, so that two shards never
   * pick the same one.  port_shares 0 or 1: every port. */
  uint16_t port_share, port_shares;

  /** UDP. */
  uint32_t udp_socks;        /**< sockets in the table */
  uint32_t udp_rxq;          /**< datagrams queued per socket */

  /** TCP. */
  uint32_t tcp_conns;        /**< connections in the table (all states) */
  uint32_t tcp_sndbuf;       /**< send buffer per connection, bytes */
  uint32_t tcp_rcvbuf;       /**< receive window per connection, bytes */
  uint32_t tcp_backlog;      /**< default listen backlog */
  uint32_t tcp_msl_ms;       /**< maximum segment lifetime */
  uint32_t tcp_rto_min_ms, tcp_rto_init_ms, tcp_rto_max_ms;
  uint32_t tcp_syn_retries;  /**< SYN / SYN-ACK retransmissions */
  uint32_t tcp_retries;      /**< data retransmissions before giving up */
  uint32_t tcp_blackhole_probe_ms; /**< after a PMTU black hole lowered
                                the MSS, full-sized probes try the size
                                again (the first as soon as data flows,
                                then 1 s, 2 s, ... after each lost one), at
                                most this far apart; 0: never lower it (no
                                black-hole detection) */
  uint32_t tcp_delack_ms;    /**< delayed ACK timeout */
  uint32_t tcp_quickacks;    /**< in-order segments ACKed one by one after
                                out-of-order data, as Linux's quick-ACK
                                mode (0: every second segment only) */
  uint32_t tcp_fw2_ms;       /**< FIN_WAIT_2 after close, before giving up */
  uint32_t tcp_chack_limit;  /**< challenge ACKs per second (RFC 5961 §7) */
  bool tcp_timestamps;       /**< offer RFC 7323 timestamps */
  bool tcp_wscale;           /**< offer window scaling */
  bool tcp_sack;             /**< offer SACK */
  bool tcp_dsack;            /**< with SACK agreed, report duplicate
                                segments by D-SACK (RFC 2883) */
  bool tcp_rfc5961;          /**< challenge ACKs (off: RFC 793 behaviour) */
  bool tcp_soft_error_abort; /**< an ICMP soft error (net or host
                                unreachable, time exceeded, parameter
                                problem) quoting our SYN ends
                                the connection attempt, as Linux and
                                FreeBSD do (RFC 5461); off: it is only
                                reported if the attempt times out (RFC
                                1122 §4.2.3.9) */
  bool tcp_syncookies;       /**< SYN cookies when the SYN queue is full */
  bool tcp_idle_restart;     /**< after sending nothing for an RTO, start
                                again from the initial window (RFC 5681
                                §4.1; Linux's tcp_slow_start_after_idle) */
  bool tcp_pacing;           /**< pace what every connection sends
                                (tcp_pace.c): a flight leaves at a rate
                                from cwnd and the lowest RTT seen (twice
                                cwnd a round trip in slow start, 1.2
                                times after), in bursts of at most a
                                timer tick's worth (1 ms) or two
                                segments; off: each flight at once, as
                                the window allows */
  uint8_t tcp_cc;            /**< enum zn_tcp_cc_algo */
  uint8_t tcp_ecn;           /**< enum zn_tcp_ecn_mode: ECN (RFC 3168);
                                default ZN_TCP_ECN_PASSIVE, answer a peer
                                that asks but never ask (znet/tcp.h says
                                why) */
  uint32_t tcp_mem_bufs;     /**< pool buffers all TCP queues (send, receive,
                                out of order) may hold together; 0: three
                                quarters of nbufs + nbigbufs.  The rest
                                stays free for reception and control. */
  uint32_t tcp_flights;      /**< flight blocks: the SACK scoreboard and the
                                transmit map a connection holds only while
                                it has data or a FIN in flight (832 bytes
                                and 8 per SACK range each); 0: as many as
                                tcp_mem_bufs (or its
                                default), at most tcp_conns.  With fewer, a
                                connection that finds none free waits to
                                send, in order (counter tcp_flight_wait) */
  uint32_t tcp_sack_ranges;  /**< SACKed ranges a flight block's scoreboard
                                keeps, 16..4096; beyond, the lowest are
                                forgotten and what they cover is sent
                                again.  0: 128, or 1024 when tcp_sndbuf is
                                4 MiB or more (a window of thousands of
                                segments at 1% loss has more holes) */
  uint32_t tcp_timewait;     /**< TIME_WAIT records: a connection the
                                application is done with waits its 2 MSL
                                (or, closed in FIN_WAIT_2, for the peer's
                                FIN, tcp_fw2_ms at most) in one (112
                                bytes) instead of a slot of the table;
                                when all are taken the oldest is reused
                                (counter tcp_timewait_recycled; a
                                FIN_WAIT_2 one is reset).  0: tcp_conns */
  uint32_t tcp_bbr_conns;    /**< connections that may run BBR at once (its
                                model, 240 bytes each, is lent for the
                                connection's life); 0: tcp_conns if tcp_cc
                                is BBR, else 64 (at most tcp_conns) */

  /** Loop. */
  uint32_t rx_budget;        /**< frames received per poll */
  uint32_t txq_len;          /**< frames batched for the netif before a flush */

  /** Entropy: 32 bytes from a good source (zn_host_seed() on Linux, RDRAND
   * or the tender on Solo5).  Keys the CSPRNG and the hash functions. */
  uint8_t seed[32];

  /** Logging. */
  zn_log_fn log;             /**< NULL: no logging */
  void *log_ctx;
  int log_level;             /**< enum zn_log_level; lines above are skipped */
};

/** Fill cfg with the defaults from znet/config.h (no address, zero seed). */
void zn_config_default(struct zn_config *cfg);

/** Bytes of memory zn_stack_create() needs for cfg, or 0 if cfg is
 * invalid. */
size_t zn_stack_mem_size(const struct zn_config *cfg);

/**
 * What a program and the library must agree on, as X(field, value): the
 * layout values of znet/config.h and the sizes of the structs the two
 * share.  `value` is what the compilation unit that expands the map sees,
 * so zn_abi_current() called in a program gives the program's view and
 * called in the library the library's.  A new layout value gets a row
 * here (and its -D in znet.pc, meson.build's znet_abi_knobs).
 */
#define ZN_ABI_MAP(X)                                                         \
  X(buf_headroom, ZN_BUF_HEADROOM)                                            \
  X(buf_size, ZN_BUF_SIZE)                                                    \
  X(buf_cb_size, ZN_BUF_CB_SIZE)                                              \
  X(default_mtu, ZN_DEFAULT_MTU)                                              \
  X(buf_struct_size, sizeof(struct zn_buf))                                   \
  X(config_struct_size, sizeof(struct zn_config))

/** One compilation unit's view of ZN_ABI_MAP: a uint32_t per row, named
 * by its first column, after the size of this struct itself. */
struct zn_abi {
  uint32_t size; /**< sizeof(struct zn_abi): the rows that follow */
#define ZN_ABI_FIELD_(field, value) uint32_t field;
  ZN_ABI_MAP(ZN_ABI_FIELD_)
#undef ZN_ABI_FIELD_
};

/** The values of ZN_ABI_MAP as the calling compilation unit was compiled
 * (inline: the caller's, not the library's). */
static inline struct zn_abi zn_abi_current(void) {
#define ZN_ABI_VALUE_(field, value) (uint32_t)(value),
  struct zn_abi abi = {(uint32_t)sizeof(struct zn_abi),
                       ZN_ABI_MAP(ZN_ABI_VALUE_)};
#undef ZN_ABI_VALUE_
  return abi;
}

/** zn_stack_create() with the caller's view of the layout values passed
 * explicitly: the library compares `abi` with its own
 * zn_abi_current() before it looks at anything else.  Programs call
 * zn_stack_create(), which passes theirs.  Errors: those of
 * zn_stack_create(); ZN_EINVAL also for abi NULL. */
int zn_stack_create_abi(const struct zn_config *cfg, void *mem, size_t len,
                        struct zn_stack **out, const struct zn_abi *abi);

/** Build a stack inside [mem, mem+len).  The memory must stay valid and
 * untouched until zn_stack_destroy().  Inline, so that the library learns
 * the layout values the program was compiled with (zn_abi_current()).
 * Errors: ZN_EABI (the program sees other values of ZN_ABI_MAP than the
 * library: built without `pkg-config --cflags znet`, with a -D of its own
 * or against other headers; each value that differs is logged at
 * ZN_LOG_ERROR through cfg's log, the sizes of cfg's own struct excepted,
 * since then cfg cannot be read), ZN_EINVAL (bad cfg), ZN_ENOMEM (len <
 * zn_stack_mem_size(cfg)).  *out is written only on success. */
static inline int zn_stack_create(const struct zn_config *cfg, void *mem,
                                  size_t len, struct zn_stack **out) {
  struct zn_abi abi = zn_abi_current();
  return zn_stack_create_abi(cfg, mem, len, out, &abi);
}

/** Free every buffer the stack still holds (queues, caches, reassembly),
 * and wipe its secrets (the CSPRNG's state, the tables' SipHash key, the
 * seed; zn_wipe()).  Buffers the application holds stay valid until it
 * frees them; the memory block is the caller's again once
 * zn_stack_bufs_in_use() is 0. */
void zn_stack_destroy(struct zn_stack *st);

/** Attach the interface frames go in and out of; one per stack.  Sets the
 * netif's alloc hook.  If the stack has no MAC and the netif has one, it
 * is taken.  Errors: ZN_EALREADY. */
int zn_stack_attach(struct zn_stack *st, struct zn_netif *nif);

/** Change the IPv4 configuration; 0 addr removes it.  The gateway (0:
 * none) may be off the prefix: it is reached on the link (see
 * zn_config's ipv4_gateway).  Errors: ZN_EINVAL (prefix > 32; a gateway
 * that is our address, in 0/8 or 127/8, multicast or 240/4). */
int zn_stack_set_ipv4(struct zn_stack *st, uint32_t addr, uint8_t prefix,
                      uint32_t gateway);
void zn_stack_get_ipv4(const struct zn_stack *st, uint32_t *addr,
                       uint8_t *prefix, uint32_t *gateway);

/** What happened to one of the stack's addresses. */
enum zn_addr_event {
  ZN_ADDR_ADDED = 1,   /**< usable now (IPv4: set; IPv6: DAD passed) */
  ZN_ADDR_REMOVED = 2, /**< gone (changed, lease lost, lifetime over,
                            deleted, found duplicate) */
};

/** Called from the poll after the change (never inside an API call:
 * zn_stack_set_ipv4, zn_stack_add_ipv6 and zn_stack_del_ipv6 change the
 * address at once and the events follow at the end of the next poll, in
 * order; more than 16 between two polls are counted in
 * addr_event_dropped, not told).  By then TCP connections bound to a
 * removed address have failed with ZN_EADDRNOTAVAIL (their on_error) and
 * UDP sockets bound to it have been told (their error callback, err
 * ZN_EADDRNOTAVAIL, addr the removed address, port 0).  Listeners and
 * sockets bound to an unspecified address are left alone: they take the
 * new address's traffic.  A changed IPv4 address is REMOVED then
 * ADDED. */
typedef void (*zn_addr_event_fn)(struct zn_stack *st, void *arg,
                                 enum zn_addr_event ev,
                                 const struct zn_ip *addr, uint8_t prefix);

/** Set (or with NULL clear) the address event callback. */
void zn_stack_set_addr_cb(struct zn_stack *st, zn_addr_event_fn fn,
                          void *arg);

/** Add a static IPv6 address with its on-link prefix length (0..128).
 * It starts TENTATIVE and becomes PREFERRED once duplicate address
 * detection finds no other user (cfg.ipv6_dad_transmits probes, the first
 * after a random delay of up to 1 s, the last followed by RetransTimer);
 * zn_stack_ipv6_addrs() shows its state.
 * Errors: ZN_EINVAL (not IPv6, multicast, unspecified, loopback, prefix
 * > 128), ZN_EEXIST, ZN_ENOSPC (address table full). */
int zn_stack_add_ipv6(struct zn_stack *st, const struct zn_ip *addr,
                      uint8_t prefix);
/** Remove one of our IPv6 addresses.  Errors: ZN_ENOENT. */
int zn_stack_del_ipv6(struct zn_stack *st, const struct zn_ip *addr);

/** The state of an IPv6 address of ours (RFC 4862 §2). */
enum zn_ipv6_addr_state {
  ZN_IPV6_ADDR_TENTATIVE = 1,  /**< duplicate address detection running */
  ZN_IPV6_ADDR_PREFERRED = 2,  /**< usable for anything */
  ZN_IPV6_ADDR_DEPRECATED = 3, /**< valid, avoided as a new source */
  ZN_IPV6_ADDR_DUPLICATE = 4,  /**< in use by another node: never used */
};

/** Where an IPv6 address came from. */
enum zn_ipv6_addr_origin {
  ZN_IPV6_ORIGIN_LINKLOCAL = 1, /**< fe80::/64, RFC 7217 identifier */
  ZN_IPV6_ORIGIN_STATIC = 2,    /**< zn_stack_add_ipv6() */
  ZN_IPV6_ORIGIN_SLAAC = 3,     /**< a router advertisement's prefix */
};

/** One IPv6 address as zn_stack_ipv6_addrs() reports it. */
struct zn_ipv6_addr_info {
  struct zn_ip addr;       /**< ZN_AF_INET6 */
  uint8_t prefix;          /**< prefix length */
  uint8_t state;           /**< enum zn_ipv6_addr_state */
  uint8_t origin;          /**< enum zn_ipv6_addr_origin */
  uint64_t preferred_until; /**< stack time (ns) the address deprecates;
                               ZN_TIME_NEVER: never */
  uint64_t valid_until;    /**< stack time (ns) it is removed;
                              ZN_TIME_NEVER: never */
};

/** Set the static default router of IPv6, the configuration's (NULL or
 * the unspecified address: none), as a pod's network hands one out: a
 * link-local address, or a global one outside every prefix of ours (a
 * /128 address has no prefix to hold it).  It is reached on the link:
 * neighbor discovery resolves it wherever it is.  It joins the default
 * router list (RFC 4861 §6.3.4) with no lifetime: router advertisements
 * from it neither expire nor remove it, and it is chosen as the others
 * are (§6.3.6: while neighbor unreachability detection has not given up
 * on it, or when all are given up on).  A new one replaces the old.
 * Errors: ZN_EINVAL (not IPv6, multicast, loopback, one of our own
 * addresses), ZN_ENOSPC (the router list is full: cfg.ipv6_routers). */
int zn_stack_set_ipv6_gateway(struct zn_stack *st, const struct zn_ip *gw);
/** The static default router set by zn_stack_set_ipv6_gateway.  Errors:
 * ZN_ENOENT (none); *out unwritten then. */
int zn_stack_get_ipv6_gateway(const struct zn_stack *st, struct zn_ip *out);

/** Copy up to max of our IPv6 addresses (any state) into out, in table
 * order.  Returns how many there are, which may exceed max: call again
 * with a larger array to see them all. */
uint32_t zn_stack_ipv6_addrs(const struct zn_stack *st,
                             struct zn_ipv6_addr_info *out, uint32_t max);

/** The i-th recursive DNS server learnt from router advertisements (RFC
 * 8106 RDNSS), still within its lifetime, in the order they were learnt.
 * Errors: ZN_ENOENT (fewer than i + 1 servers); *out unwritten then. */
int zn_stack_ipv6_dns_server(const struct zn_stack *st, uint32_t i,
                             struct zn_ip *out);

/** The i-th DNS search domain learnt from router advertisements (RFC 8106
 * DNSSL), still within its lifetime, as a dotted name without the final
 * dot ("example.com"), NUL-terminated in out (len bytes; 254 always
 * suffice).  Errors: ZN_ENOENT (fewer than i + 1 domains), ZN_ENOSPC (len
 * too small); out unwritten then. */
int zn_stack_ipv6_dns_search(const struct zn_stack *st, uint32_t i,
                             char *out, size_t len);

const uint8_t *zn_stack_mac(const struct zn_stack *st);
/** The attached netif's MTU (the largest IP datagram a frame carries);
 * 0 before zn_stack_attach. */
uint32_t zn_stack_mtu(const struct zn_stack *st);

/**
 * Do bounded work at time `now`: receive up to rx_budget frames, run the
 * timers that are due, and hand queued frames to the netif.
 * Returns the number of frames received (>= 0), ZN_EOF once the netif
 * reports the end of its input (replay), or another error from the netif.
 * `now` earlier than a previous call is treated as the previous value.
 */
int zn_stack_poll(struct zn_stack *st, uint64_t now);

/** When zn_stack_poll() next has work that is not triggered by a frame
 * arriving: the earliest timer, or ZN_TIME_NEVER; but the stack's `now`
 * (zn_stack_now()) whenever frames wait, to be sent (the netif's transmit
 * queue) or to come back in (the loopback queue: what the stack sent to
 * 127.0.0.0/8, ::1 or its own addresses), and before the first poll.  So
 * after any call that sent something (a write, a connect, a datagram to
 * ourselves) the deadline is at most zn_stack_now(st): the caller polls
 * again before it sleeps. */
uint64_t zn_stack_next_deadline(const struct zn_stack *st);

/** The `now` of the latest zn_stack_poll(). */
uint64_t zn_stack_now(const struct zn_stack *st);

/** Hand one received Ethernet frame to the stack, as if the netif had
 * delivered it (replay, tests, fuzzing).  Consumes b.  Uses the time of
 * the latest poll. */
void zn_stack_input(struct zn_stack *st, struct zn_buf *b);

/** Send queued frames to the netif now instead of at the end of the next
 * poll. */
void zn_stack_flush(struct zn_stack *st);

/** An empty buffer with ZN_BUF_HEADROOM in front and room for `size` more
 * bytes: a frame buffer if that fits, a large one otherwise.  NULL if no
 * buffer of that size is free (or size > ZN_BIGBUF_SIZE - headroom). */
struct zn_buf *zn_stack_buf_alloc(struct zn_stack *st, size_t size);

/** Buffers allocated from this stack's pools and not yet freed.  A test
 * that has freed everything it holds expects 0 after zn_stack_destroy(). */
uint32_t zn_stack_bufs_in_use(const struct zn_stack *st);

/** The application's pointer, for callbacks that get only the stack. */
void zn_stack_set_userdata(struct zn_stack *st, void *p);
void *zn_stack_userdata(const struct zn_stack *st);

/** 32 random bits from the stack's CSPRNG (ChaCha20 keyed from the seed). */
uint32_t zn_random_u32(struct zn_stack *st);
void zn_random_bytes(struct zn_stack *st, void *p, size_t len);

#endif /* ZNET_STACK_H */
