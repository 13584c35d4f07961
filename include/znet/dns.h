/** \file
 * DNS services (RFC 1035, RFC 2308, RFC 5452, RFC 7766, RFC 7858, RFC
 * 8305): the answer cache, the blocklist matcher, the forwarder, the stub
 * resolver and connecting by name.  The wire format they speak is
 * znet/dns_wire.h, included here.
 */
#ifndef ZNET_DNS_H
#define ZNET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"
#include "znet/dns_wire.h"
#include "znet/tcp.h"
#include "znet/timer.h"

/* ======================================================================
 * Answer cache
 *
 * A bounded table of answers keyed by (name, qtype, qclass, variant):
 * names compared ignoring ASCII case (RFC 4343), `variant` a byte the
 * caller uses to keep apart answers that differ for the same question
 * (a forwarder puts the query's DO and CD bits there).  Each entry holds
 * up to value_size bytes of the caller's (an answer in whatever form the
 * caller keeps it), stored with a TTL in seconds on the caller's clock:
 * `now` is passed in, in nanoseconds, and the cache never reads a clock.
 *
 * Lookup is hashed with keyed SipHash (the key is the caller's secret), so
 * a client choosing names cannot flood one bucket; buckets chain, so
 * collisions cost time, never answers.  A full cache evicts its least
 * recently used entry; an entry found expired is removed.  Memory is the
 * caller's: zn_dns_cache_mem_size() bytes, of which only the entry
 * headers are written at init (values are written as they are stored).
 * Bounded work: a lookup walks one chain, a store evicts at most one.
 * ==================================================================== */

struct zn_dns_cache;

struct zn_dns_cache_cfg {
  uint32_t entries;    /**< 1 .. 1 << 20 */
  uint32_t value_size; /**< bytes per entry, 1 .. 1 << 17 */
  uint32_t max_ttl;    /**< seconds; longer TTLs are cut to this */
};

struct zn_dns_cache_key {
  struct zn_dns_name name; /**< any case: the cache keeps it in lower case */
  uint16_t qtype, qclass;
  uint8_t variant;
};

struct zn_dns_cache_stats {
  uint64_t hits, misses;
  uint64_t inserts;   /**< stores, replacements included */
  uint64_t evictions; /**< live entries evicted to make room */
  uint64_t expired;   /**< entries removed because their TTL ran out */
};

/** What zn_dns_cache_get() found.  value points into the cache: valid
 * until the next zn_dns_cache_put() or zn_dns_cache_flush(). */
struct zn_dns_cache_hit {
  void *value;
  size_t len;   /**< bytes stored */
  uint32_t age; /**< whole seconds since it was stored */
  uint32_t ttl; /**< whole seconds left (>= 0) */
};

/** Bytes zn_dns_cache_init() needs; 0 if cfg is out of the ranges above. */
size_t zn_dns_cache_mem_size(const struct zn_dns_cache_cfg *cfg);

/** Build an empty cache in [mem, mem+len) with hash key `key` (16 secret
 * random bytes).  Errors (*out untouched): ZN_EINVAL (bad cfg, NULL
 * pointer), ZN_ENOMEM (len below zn_dns_cache_mem_size(cfg)). */
int zn_dns_cache_init(const struct zn_dns_cache_cfg *cfg, const uint8_t key[16],
                      void *mem, size_t len, struct zn_dns_cache **out);

/** Store len bytes at value for key, for ttl seconds (cut to max_ttl) from
 * now, replacing the entry of the same key if there is one, else evicting
 * the least recently used one if the cache is full.  The entry becomes
 * the most recently used.  Errors (nothing changed): ZN_EINVAL (ttl 0, or
 * a max_ttl of 0), ZN_EMSGSIZE (len above value_size). */
int zn_dns_cache_put(struct zn_dns_cache *c, const struct zn_dns_cache_key *k,
                     uint32_t ttl, uint64_t now, const void *value, size_t len);

/** Look key up at time now.  ZN_OK: *hit filled, the entry becomes the
 * most recently used.  ZN_ENOENT: not there, or expired (then removed). */
int zn_dns_cache_get(struct zn_dns_cache *c, const struct zn_dns_cache_key *k,
                     uint64_t now, struct zn_dns_cache_hit *hit);

/** Drop every entry. */
void zn_dns_cache_flush(struct zn_dns_cache *c);

/** Entries stored (expired ones included until they are met). */
uint32_t zn_dns_cache_count(const struct zn_dns_cache *c);

void zn_dns_cache_get_stats(const struct zn_dns_cache *c,
                            struct zn_dns_cache_stats *s);

/* ---- whole responses in the cache (a forwarder's use) ------------------ */

/** The value size that holds any response of up to msg_max bytes. */
#define ZN_DNS_CACHE_MSG_VALUE(msg_max)                                        \
  (4u + (msg_max) + 2u * ((msg_max) / 11u))

/** How long response m may be cached (RFC 2308, RFC 2181 8), in seconds;
 * 0 if not at all: TC set, QDCOUNT not 1, an RCODE other than NOERROR or
 * NXDOMAIN, a part that does not parse, an OPT record that is not last or
 * has an extended RCODE.  A positive answer lives as long as its smallest
 * TTL; a negative one (NXDOMAIN, or NOERROR without answers) as long as
 * its SOA's negative TTL (RFC 2308 5), and without a SOA not at all. */
uint32_t zn_dns_msg_cache_ttl(const struct zn_dns_msg *m);

/** Store response m under k for zn_dns_msg_cache_ttl(m) seconds: its bytes
 * without the OPT record (a hit gets the server's own) and where its TTLs
 * are.  Errors (nothing stored): ZN_EINVAL (not cacheable), ZN_EMSGSIZE
 * (more than the cache's value_size holds). */
int zn_dns_cache_put_msg(struct zn_dns_cache *c,
                         const struct zn_dns_cache_key *k,
                         const struct zn_dns_msg *m, uint64_t now);

/** Bytes of the response zn_dns_cache_write_msg() writes for a hit of a
 * zn_dns_cache_put_msg() entry, with an OPT record (11 bytes) or not. */
size_t zn_dns_cache_msg_len(const struct zn_dns_cache_hit *hit, bool opt);

/** Write the cached response of hit as the answer to `query` into buf
 * (zn_dns_cache_msg_len(hit, opt != NULL) bytes; returns that): the
 * query's ID, RD and CD bits and the case of its question name, every TTL
 * lowered by hit->age (a TTL with the top bit set read as 0, RFC 2181 8),
 * and an OPT record from *opt (udp_size and do_bit;
 * no options) if opt is not NULL.  query must have the key's question
 * (its first name is at offset 12, as in the cached response). */
size_t zn_dns_cache_write_msg(const struct zn_dns_cache_hit *hit,
                              const struct zn_dns_msg *query,
                              const struct zn_dns_opt *opt, uint8_t *buf);

/* ======================================================================
 * Blocklist matcher
 *
 * A set of names, each blocking itself and every name below it
 * ("example.com" blocks "ads.example.com"), matched ignoring ASCII case:
 * a lookup tries the name's suffixes label by label, O(labels) hashed
 * probes (keyed SipHash, so names chosen by clients cannot make probe
 * sequences long).  The names live in caller memory sized for a number
 * of names and their bytes: zn_dns_blocklist_measure() says how much a
 * list text needs.
 *
 * The list text is hosts-file lines ("0.0.0.0 ads.example.com",
 * "127.0.0.1 a b c": the leading address, IPv4 or anything with a colon,
 * is skipped), or one name per line, mixed at will; '#' starts a comment;
 * a leading "*." is dropped (subdomains are blocked anyway).  The names a
 * hosts file lists for the machine itself (localhost, broadcasthost,
 * ip6-*, ...) are ignored; a token with characters other than letters,
 * digits, '-', '_' and '.', or that is not a name, is rejected.
 * ==================================================================== */

struct zn_dns_blocklist;

struct zn_dns_blocklist_cfg {
  uint32_t max_names; /**< 1 .. 1 << 26 */
  size_t name_bytes;  /**< room for the names: 1 + wire length each */
};

/** What loading found (the counts add up: every token is one of them). */
struct zn_dns_blocklist_stats {
  uint64_t lines;
  uint64_t added;
  uint64_t duplicates;
  uint64_t ignored; /**< the machine's own names */
  uint64_t invalid; /**< rejected tokens */
  uint64_t full;    /**< names that found no room */
};

/** Called for each rejected token (not NUL-terminated), line from 1. */
typedef void (*zn_dns_blocklist_reject_cb)(void *arg, uint64_t line,
                                           const char *tok, size_t len);

size_t zn_dns_blocklist_mem_size(const struct zn_dns_blocklist_cfg *cfg);

/** An empty set in [mem, mem+len) with hash key `key`.  Errors (*out
 * untouched): ZN_EINVAL (bad cfg), ZN_ENOMEM (len too small). */
int zn_dns_blocklist_init(const struct zn_dns_blocklist_cfg *cfg,
                          const uint8_t key[16], void *mem, size_t len,
                          struct zn_dns_blocklist **out);

/** The cfg that holds every name of the list text[0..len) (duplicates
 * counted as if new), plus `extra` names of up to 255 bytes. */
void zn_dns_blocklist_measure(const char *text, size_t len, uint32_t extra,
                              struct zn_dns_blocklist_cfg *cfg);

/** Add one name.  Returns ZN_OK, ZN_EEXIST (already there), or (nothing
 * added) ZN_EINVAL (the root, or n malformed), ZN_ENOSPC (full). */
int zn_dns_blocklist_add(struct zn_dns_blocklist *bl,
                         const struct zn_dns_name *n);

/** Add one name given as list text (a token: "*." and the machine's own
 * names handled as in a list), counting it in *st (not lines).  Returns
 * ZN_OK (added), ZN_EEXIST (a duplicate), ZN_ENOTSUP (a name of the
 * machine's, ignored), ZN_EINVAL (not a host name), ZN_ENOSPC (full). */
int zn_dns_blocklist_add_text(struct zn_dns_blocklist *bl, const char *tok,
                              size_t len, struct zn_dns_blocklist_stats *st);

/** Load list text[0..len) (lines end with '\n'; a NUL byte ends a token
 * like a blank), counting into *st (not zeroed first); reject (may be
 * NULL) is told about each rejected token.  Returns ZN_OK, or ZN_ENOSPC if
 * some names found no room (st->full says how many). */
int zn_dns_blocklist_parse(struct zn_dns_blocklist *bl, const char *text,
                           size_t len, zn_dns_blocklist_reject_cb reject,
                           void *arg, struct zn_dns_blocklist_stats *st);

/** True if n or a zone above it is in the set (the root alone never is). */
bool zn_dns_blocklist_match(const struct zn_dns_blocklist *bl,
                            const struct zn_dns_name *n);

/** Names in the set. */
uint32_t zn_dns_blocklist_count(const struct zn_dns_blocklist *bl);

/* ======================================================================
 * Forwarder (a caching, filtering DNS server over UDP and TCP)
 *
 * Serves queries on a port, UDP and TCP, answering each one of these
 * ways, each with its counter below:
 *   1. Sanity: a message too short for a header, a response (QR=1), or a
 *      datagram sent to a broadcast address or from port 0 is dropped; an
 *      opcode other than QUERY gets NOTIMP; a QDCOUNT other than 1 or a
 *      part that does not parse gets FORMERR.
 *   2. Blocked: a name the blocklist matches is answered here: NXDOMAIN,
 *      or with block_zero 0.0.0.0 for A, :: for AAAA and no data for other
 *      types (TTL 60, no SOA).
 *   3. Cached: an answer cache (above) keyed by the question and the
 *      query's DO and CD bits; a hit gets the client's ID and case, TTLs
 *      aged, and an OPT record iff the query had one (RFC 6891 7).
 *   4. Forwarded to the upstream over UDP under a fresh random ID (RFC
 *      5452 9.2); an answer is taken only from the upstream's address and
 *      port with a pending ID and the same question.  No answer within
 *      upstream_timeout_ms: SERVFAIL.  An answer with TC is asked again
 *      over TCP (RFC 7766 5); a UDP client that cannot take the whole
 *      answer gets an empty one with TC and comes back over TCP.
 * Over TCP (RFC 7766) a connection carries any number of queries back to
 * back; answers go back as they come, in any order; at most 16 are in
 * progress per connection (beyond, it is not read and its window
 * closes); an idle one is closed after tcp_idle_ms (RFC 7766 6.2.3).
 *
 * DNS over TLS (RFC 7858), or over any other stream (znet/stream.h):
 *   - Clients: connections accepted on stream_port are made into streams
 *     by stream_server (libznet-tls's TLS maker, for DoT on port 853)
 *     and served exactly as TCP clients are, in the same tcp_clients
 *     slots.
 *   - Upstream: with upstream_stream set, step 4 sends every query over
 *     one of upstream_streams persistent connections to the upstream
 *     (port 853 unless given), made by that maker (TLS with the
 *     upstream's name checked), queries pipelined on each (RFC 7766
 *     6.2.1.1, RFC 7858 3.4) and matched to answers by ID.  Queries go
 *     to the open connection with the fewest in flight, else to one
 *     being opened; a connection is opened when a query finds none.  A
 *     connection that fails or closes fails its queries at once
 *     (SERVFAIL).  One that could not be opened (TCP or TLS) is not
 *     tried again for 1 s, doubling to 64 s, reset on success.  The
 *     rule when no connection can take a query (RFC 8310 5): strict by
 *     default, SERVFAIL; with upstream_fallback_udp (opportunistic),
 *     the query goes over UDP to the upstream's address, port 53, in
 *     clear.  Answers over a stream are never truncated, so the TCP
 *     retry of step 4 does not arise.
 *
 * Memory is the caller's (zn_dns_forwarder_mem_size); sockets and TCP
 * connections come from the stack's tables.  Bounded work per event.
 * ==================================================================== */

struct zn_stack;
struct zn_stream_maker;

/** A DNS server to send queries to. */
struct zn_dns_server {
  struct zn_ip addr; /**< either family */
  uint16_t port;     /**< 0: 53 */
};

struct zn_dns_forwarder;

struct zn_dns_forwarder_cfg {
  struct zn_dns_server upstream; /**< an address (either family); port
                                      0: 53 */
  /** The address served on, as zn_udp_bind() and zn_tcp_listen() take it:
   * ZN_AF_NONE (zeroed) or `::` any of ours of both families, `0.0.0.0`
   * any IPv4 address. */
  struct zn_ip listen_addr;
  uint16_t port;                /**< served, UDP and TCP; 0: 53 */
  uint32_t pending_max;         /**< forwarded and unanswered, 1..65535 */
  uint32_t tcp_clients;         /**< TCP client connections at once */
  uint32_t upstream_tcp_max;    /**< TCP retries of truncated answers */
  uint32_t cache_entries;       /**< 0: no cache */
  uint32_t cache_msg_max;       /**< longest answer cached, bytes,
                                     512..4096 (each entry reserves
                                     room for one) */
  uint32_t upstream_timeout_ms; /**< 1 or more */
  uint32_t tcp_idle_ms;         /**< 1 or more */
  const struct zn_dns_blocklist *blocklist; /**< NULL: nothing blocked */
  bool block_zero; /**< 0.0.0.0 / :: rather than NXDOMAIN */
  /** Clients over streams (DoT, above): accepted on stream_port (0: none)
   * and made into streams by stream_server; both or neither. */
  uint16_t stream_port;
  struct zn_stream_maker *stream_server;
  /** The upstream over streams (DoT, above); NULL: over UDP (and TCP
   * for truncated answers).  upstream_streams connections at most,
   * 1..16. */
  struct zn_stream_maker *upstream_stream;
  uint32_t upstream_streams;
  /** Opportunistic rather than strict (above): UDP, port 53, when no
   * stream connection can take a query. */
  bool upstream_fallback_udp;
};

/** Defaults: no upstream, any address of both families, port 53, 1024
 * pending, 64 TCP clients, 64 TCP retries, 4096 cache entries of answers
 * up to 1232 bytes (the EDNS buffer size of DNS Flag Day 2020: what UDP
 * carries without fragmenting; longer answers are forwarded, not
 * cached), 5000 ms, 10000 ms, no blocklist, no streams (2 upstream
 * stream connections once a maker is set), strict. */
void zn_dns_forwarder_cfg_default(struct zn_dns_forwarder_cfg *cfg);

/** Bytes zn_dns_forwarder_init() needs; 0 if cfg is invalid. */
size_t zn_dns_forwarder_mem_size(const struct zn_dns_forwarder_cfg *cfg);

/** Start serving on stack st from [mem, mem+len): opens the UDP and TCP
 * listeners and the upstream socket.  The blocklist must outlive the
 * forwarder.  Errors: ZN_EINVAL (bad cfg), ZN_ENOMEM (len too small, or
 * no socket free), or what zn_udp_bind / zn_tcp_listen return
 * (ZN_EADDRINUSE); on error nothing stays open. */
int zn_dns_forwarder_init(struct zn_stack *st,
                          const struct zn_dns_forwarder_cfg *cfg, void *mem,
                          size_t len, struct zn_dns_forwarder **out);

/** Reset the TCP connections, close the sockets, cancel the timers.  The
 * memory is the caller's again afterwards (no poll needs to follow). */
void zn_dns_forwarder_stop(struct zn_dns_forwarder *fw);

/** The counters: field, whether it is one of the main ones (printed even
 * when 0), what it counts. */
#define ZN_DNS_FWD_STATS(X)                                                    \
  X(received, 1, "datagrams and TCP messages to the DNS port")                 \
  X(queries, 1, "queries (QR=0) with a parsable header")                       \
  X(blocked, 1, "answered locally: name on the blocklist")                     \
  X(cache_hits, 1, "answered from the cache")                                  \
  X(cache_misses, 0, "not in the cache")                                       \
  X(forwarded, 1, "sent to the upstream")                                      \
  X(answered, 1, "upstream answers relayed to clients")                        \
  X(truncated, 0, "upstream UDP answers with TC (asked again over TCP)")       \
  X(truncated_for_client, 0,                                                   \
    "answers sent with TC: too big for a UDP client, or TCP failed")           \
  X(tcp_connections, 1, "TCP connections from clients")                        \
  X(tcp_queries, 1, "queries received over TCP")                               \
  X(tcp_answers, 0, "answers sent over TCP")                                   \
  X(tcp_idle_closed, 0, "TCP connections closed for idling")                   \
  X(tcp_bad_length, 0, "TCP connections closed: length prefix < 12 or > 4096") \
  X(tcp_answer_dropped, 0, "answers for TCP clients that had gone")            \
  X(tcp_refused, 0, "TCP connections reset: no client slot")                   \
  X(tcp_fallback, 1, "truncated upstream answers asked again over TCP")        \
  X(tcp_fallback_ok, 0, "... answered over TCP")                               \
  X(tcp_fallback_failed, 0,                                                    \
    "... failed (UDP client: TC sent; TCP client: SERVFAIL)")                  \
  X(tcp_fallback_busy, 0, "truncated answers not retried: no TCP slot")        \
  X(stream_connections, 1, "stream (DoT) connections from clients")            \
  X(upstream_stream_opens, 1, "stream connections opened to the upstream")     \
  X(upstream_stream_open_failed, 0,                                            \
    "... that failed before opening (TCP or TLS), backed off")                 \
  X(upstream_stream_lost, 0, "upstream stream connections failed or closed")   \
  X(upstream_stream_queries, 1, "queries sent over upstream streams")          \
  X(upstream_stream_failed, 0,                                                 \
    "queries failed with their stream connection (SERVFAIL sent)")             \
  X(upstream_stream_unavailable, 0,                                            \
    "queries no stream connection could take (strict: SERVFAIL)")              \
  X(upstream_fallback_udp, 0, "queries sent over UDP instead (opportunistic)") \
  X(upstream_timeouts, 1, "forwarded queries never answered (SERVFAIL sent)")  \
  X(servfail, 0, "SERVFAIL sent (timeouts, pending table full, bad upstream)") \
  X(formerr, 1, "FORMERR sent: QDCOUNT != 1 or a part that does not parse")    \
  X(notimp, 0, "NOTIMP sent: opcode other than QUERY")                         \
  X(pending_full, 0, "queries refused: pending table full")                    \
  X(dropped, 1, "datagrams dropped, all reasons below")                        \
  X(dropped_short, 0, "dropped: shorter than a DNS header")                    \
  X(dropped_response, 0, "dropped: a response (QR=1) sent to the DNS port")    \
  X(dropped_bcast, 0, "dropped: sent to a broadcast address or from port 0")   \
  X(send_errors, 0, "answers the stack could not send")                        \
  X(upstream_mismatch, 0,                                                      \
    "upstream datagrams ignored: wrong source, ID or question (late or "       \
    "forged)")                                                                 \
  X(upstream_malformed, 0, "upstream answers that did not parse")              \
  X(upstream_unreachable, 0, "ICMP errors from the upstream")                  \
  X(cache_inserts, 0, "answers stored in the cache")                           \
  X(cache_uncacheable, 0, "answers not cacheable (TTL 0, no SOA, TC, size)")   \
  X(cache_evictions, 0, "cache entries evicted to make room")                  \
  X(cache_expired, 0, "cache entries found expired")

struct zn_dns_forwarder_stats {
#define ZN_DNS_FWD_STAT_FIELD(name, main, text) uint64_t name;
  ZN_DNS_FWD_STATS(ZN_DNS_FWD_STAT_FIELD)
#undef ZN_DNS_FWD_STAT_FIELD
  uint32_t cache_entries; /**< now */
  uint32_t pending;       /**< queries waiting for the upstream */
  uint32_t tcp_open;      /**< client connections open */
};

void zn_dns_forwarder_get_stats(const struct zn_dns_forwarder *fw,
                                struct zn_dns_forwarder_stats *s);

/* ======================================================================
 * Stub resolver (RFC 1035 §7, RFC 2308 negative caching, RFC 5452
 * resilience against forged answers).
 *
 * Asks recursive servers for A or AAAA records.  Each query gets its own
 * UDP socket on a random ephemeral port, and each try a random 16-bit ID;
 * an answer is taken only if it comes from a server this query was sent
 * to, from its port, with the ID of one of its tries and the same question
 * (name compared ignoring case, type, class).  Tries go round the server list
 * with a timeout that doubles each time.  CNAME chains are followed inside an
 * answer and, if the answer stops at a CNAME, by asking again for the
 * target, up to max_cname links.  Answers, positive and negative, are
 * cached for their TTL (capped at max_ttl) in an answer cache (above:
 * hashed, LRU eviction, the stack's random key).
 *
 * Memory comes from the caller (zn_dns_resolver_mem_size); the resolver
 * takes UDP sockets from the stack's table, one per query in flight.
 * Callbacks never run inside zn_dns_resolve(): an answer found in the
 * cache is delivered on the next zn_stack_poll().
 * ====================================================================== */

#define ZN_DNS_MAX_SERVERS 4
#define ZN_DNS_MAX_ADDRS 16

struct zn_dns_resolver;
struct zn_dns_query;

struct zn_dns_resolver_cfg {
  struct zn_dns_server servers[ZN_DNS_MAX_SERVERS]; /**< either family */
  /** 0: the recursive servers router advertisements name (RFC 8106
   * RDNSS, zn_stack_ipv6_dns_server()), then those of the DHCPv4 lease
   * (zn_dhcp4_dns_server()), the first ZN_DNS_MAX_SERVERS, looked up
   * again at every try. */
  uint32_t nservers;
  uint32_t timeout_ms;    /**< first try; doubles on each retry */
  uint32_t tries;         /**< sends per name before giving up */
  uint32_t max_queries;   /**< queries in flight at once */
  uint32_t cache_entries; /**< 0: no cache */
  uint32_t max_ttl;       /**< seconds; longer TTLs are cut to this */
  uint32_t neg_ttl;       /**< seconds to cache a negative answer that
                             carries no SOA */
  uint32_t max_cname;     /**< CNAME links followed */
  /** 0: a truncated answer is a failure; else 512..65535, the longest
   * answer taken over TCP when a server truncates (RFC 7766 §5: the
   * same server asked again over TCP, either family); each query slot
   * reserves this many bytes. */
  uint32_t tcp_msg_max;
};

/** Defaults: no servers (RDNSS), 1000 ms, 4 tries, 16 queries, 64 cache
 * entries, max_ttl 86400, neg_ttl 60, max_cname 8, tcp_msg_max 4096. */
void zn_dns_resolver_cfg_default(struct zn_dns_resolver_cfg *cfg);

/** Bytes zn_dns_resolver_init() needs for cfg; 0 if cfg is invalid (more
 * than ZN_DNS_MAX_SERVERS, a server without an address or with an
 * unspecified one, tries or max_queries 0). */
size_t zn_dns_resolver_mem_size(const struct zn_dns_resolver_cfg *cfg);

/** Build a resolver for stack st inside [mem, mem+len).  Errors: ZN_EINVAL
 * (bad cfg), ZN_ENOMEM (len too small). */
int zn_dns_resolver_init(struct zn_stack *st,
                         const struct zn_dns_resolver_cfg *cfg, void *mem,
                         size_t len, struct zn_dns_resolver **out);

/** Cancel every query (their callbacks are not called) and close their
 * sockets.  The memory is the caller's again afterwards. */
void zn_dns_resolver_destroy(struct zn_dns_resolver *r);

struct zn_dns_answer {
  /** ZN_OK: addresses found.  ZN_ENOENT: the name does not exist (rcode
   * NXDOMAIN) or has no record of that type (NOERROR, no data).
   * ZN_ETIMEDOUT: no usable answer from any server.  ZN_EPROTO: servers
   * failed (SERVFAIL, REFUSED, FORMERR, a malformed or truncated answer).
   * ZN_ERANGE: the CNAME chain was longer than max_cname or looped. */
  int status;
  uint8_t rcode; /**< last rcode seen, 0 if none */
  uint16_t qtype;
  struct zn_dns_name name;      /**< as asked */
  struct zn_dns_name canonical; /**< after following CNAMEs */
  uint32_t ttl;                 /**< seconds left: smallest along the chain */
  bool from_cache;
  uint32_t naddr;
  /** The addresses found: ZN_AF_INET for A, ZN_AF_INET6 for AAAA. */
  struct zn_ip addrs[ZN_DNS_MAX_ADDRS];
};

typedef void (*zn_dns_resolve_cb)(struct zn_dns_resolver *r, void *arg,
                                  const struct zn_dns_answer *a);

/** Look up `name` (presentation text, NUL-terminated) for qtype A or AAAA.
 * cb is called once, later, from zn_stack_poll(), unless the query is
 * cancelled first.  *out (if out is not NULL) is a handle for
 * zn_dns_cancel, valid until the callback starts.  Errors (cb will not be
 * called): ZN_EINVAL (bad name or qtype), ZN_ENOMEM (max_queries in
 * flight, or no UDP socket free). */
int zn_dns_resolve(struct zn_dns_resolver *r, const char *name, uint16_t qtype,
                   zn_dns_resolve_cb cb, void *arg, struct zn_dns_query **out);

/** Stop a query; its callback will not be called.  Not for a query whose
 * callback has started. */
void zn_dns_cancel(struct zn_dns_query *q);

struct zn_dns_resolver_stats {
  uint64_t queries; /**< zn_dns_resolve calls accepted */
  uint64_t cache_hits, cache_misses;
  uint64_t sent;      /**< datagrams sent, retries included */
  uint64_t no_server; /**< tries lost: none configured and no RDNSS
                         or DHCPv4 server known yet */
  uint64_t retries;
  uint64_t answers;    /**< responses accepted */
  uint64_t mismatched; /**< responses ignored: wrong server, port, ID or
                          question (possible forgeries) */
  uint64_t malformed;  /**< responses that did not parse */
  uint64_t timeouts;   /**< queries given up */
  uint64_t cname_requeries;
  uint64_t tcp_retries; /**< truncated answers asked again over TCP */
  uint64_t tcp_answers; /**< answers taken from TCP */
  uint64_t tcp_failed;  /**< TCP retries that failed (refused, reset,
                           closed early, bad framing, not ours) */
};

void zn_dns_resolver_get_stats(const struct zn_dns_resolver *r,
                               struct zn_dns_resolver_stats *s);

/** Drop every cached answer. */
void zn_dns_resolver_flush_cache(struct zn_dns_resolver *r);

/* ======================================================================
 * Resolving a name to connect to it, and connecting (RFC 6724 destination
 * order, RFC 8305 Happy Eyeballs v2).
 *
 * zn_dns_resolve_connect() asks for AAAA and A at once and, when both
 * are in, hands over one list: IPv6 first when the stack has a preferred
 * IPv6 address that can reach it (a global one, or a link-local one for
 * a link-local destination), then the families interleaved, one of each
 * in turn (RFC 8305 §4); when it has no usable IPv6 source, the IPv4
 * addresses first and the IPv6 ones after them (RFC 6724 §6 rule 1:
 * unusable destinations last).  The order inside a family is the
 * server's.
 *
 * zn_dns_race_start() connects to the first address of such a list; if
 * that attempt has not connected after the Connection Attempt Delay (250
 * ms by default, RFC 8305 §5) the next one starts too, and so on; an
 * attempt that fails (refused, unreachable, no source address) starts
 * the next at once.  The first to connect wins: it gets the caller's
 * callbacks and the others are aborted (RST).  No new attempt starts
 * once one has won.
 * ====================================================================== */

/** At most this many addresses go into a connect list (both families). */
#define ZN_DNS_CONNECT_MAX (2 * ZN_DNS_MAX_ADDRS)
/** RFC 8305 §5's recommended Connection Attempt Delay, ms. */
#define ZN_DNS_CONNECT_DELAY_MS 250

/** What zn_dns_resolve_connect() found. */
struct zn_dns_addrinfo {
  /** ZN_OK: naddr > 0.  Otherwise the AAAA lookup's status if it failed
   * other than ZN_ENOENT, else the A lookup's (see struct zn_dns_answer). */
  int status;
  int status_aaaa; /**< the AAAA lookup's status */
  int status_a;    /**< the A lookup's status */
  uint32_t naddr;
  uint32_t n6;     /**< how many of them are IPv6 */
  bool ipv6_first; /**< whether the stack could use IPv6 */
  struct zn_ip addrs[ZN_DNS_CONNECT_MAX]; /**< in the order to try */
};

typedef void (*zn_dns_addrinfo_cb)(struct zn_dns_resolver *r, void *arg,
                                   const struct zn_dns_addrinfo *ai);

/** The caller's memory for one zn_dns_resolve_connect(); its fields are
 * the library's. */
struct zn_dns_lookup {
  struct zn_dns_resolver *r;
  struct zn_dns_query *q6, *q4; /* NULL once answered */
  zn_dns_addrinfo_cb cb;
  void *arg;
  uint32_t n6, n4;
  struct zn_ip v6[ZN_DNS_MAX_ADDRS], v4[ZN_DNS_MAX_ADDRS];
  struct zn_dns_addrinfo ai;
};

/** Look `name` up for AAAA and A records at once (two queries of r's);
 * cb is called once, from zn_stack_poll(), when both have answered or
 * failed, unless zn_dns_lookup_cancel() comes first.  l must stay valid
 * until then.  Errors (cb will not be called, nothing stays in flight):
 * those of zn_dns_resolve(). */
int zn_dns_resolve_connect(struct zn_dns_resolver *r, const char *name,
                           zn_dns_addrinfo_cb cb, void *arg,
                           struct zn_dns_lookup *l);

/** Stop both queries of l; cb will not be called.  Not from inside cb. */
void zn_dns_lookup_cancel(struct zn_dns_lookup *l);

struct zn_dns_race;
/** Every attempt failed; err is the last attempt's error. */
typedef void (*zn_dns_race_fail_cb)(struct zn_dns_race *race, void *arg,
                                    int err);

struct zn_dns_race_cfg {
  const struct zn_ip *addrs; /**< to try in this order (copied) */
  uint32_t naddr;            /**< 1..ZN_DNS_CONNECT_MAX */
  uint16_t port;             /**< 1..65535 */
  uint32_t delay_ms;         /**< 0: ZN_DNS_CONNECT_DELAY_MS */
  /** The winner's callbacks and arg, from its on_connected on (which the
   * race calls for it); cb must stay valid as for zn_tcp_connect(). */
  const struct zn_tcp_callbacks *cb;
  void *arg;                /**< for cb and fail */
  zn_dns_race_fail_cb fail; /**< every attempt failed */
};

/** The caller's memory for one race; its fields are the library's.  It
 * must stay valid until zn_dns_race_idle() says so (the losers' handles
 * close after the winner is handed over). */
struct zn_dns_race {
  struct zn_stack *st;
  struct zn_dns_race_cfg cfg;
  struct zn_timer timer; /* the Connection Attempt Delay */
  struct zn_ip addrs[ZN_DNS_CONNECT_MAX];
  struct zn_tcp_conn *conns[ZN_DNS_CONNECT_MAX]; /* an attempt's handle
                                    until its on_closed */
  uint32_t next; /* index of the next attempt to start */
  uint32_t live; /* handles in conns */
  int last_err;
  uint8_t phase; /* racing, won, failed, cancelled */
};

/** Start the race on stack st (see above).  Errors (no callback will
 * come, nothing stays open): ZN_EINVAL (a bad cfg), or the error of the
 * last address tried when none could even start (ZN_EADDRNOTAVAIL,
 * ZN_EHOSTUNREACH, ZN_ENOMEM). */
int zn_dns_race_start(struct zn_stack *st, const struct zn_dns_race_cfg *cfg,
                      struct zn_dns_race *race);

/** Abort every attempt still running (not the winner, which is the
 * caller's); no more callbacks of the race. */
void zn_dns_race_cancel(struct zn_dns_race *race);

/** Whether race's memory is the caller's again: no attempt handle open
 * and no timer armed. */
bool zn_dns_race_idle(const struct zn_dns_race *race);

#endif /* ZNET_DNS_H */
