/** \file
 * znet compile-time configuration.
 *
 * Every knob has a documented default guarded by `#ifndef`, so a build can set
 * it with -DZN_X=... (meson passes options this way).  Run-time sizes that a
 * caller may want to vary per stack (pool sizes, cache sizes, timeouts) live
 * in struct zn_config instead (znet/stack.h); the values here are the
 * defaults zn_config_default() fills in and a few true compile-time limits.
 */
#ifndef ZNET_CONFIG_H
#define ZNET_CONFIG_H

/* Bytes reserved in front of every buffer for headers pushed later.
 * Ethernet (14) + 802.1Q (4) + IPv4 with options (60) + TCP with options (60)
 * = 138; rounded to a cache line multiple. */
#ifndef ZN_BUF_HEADROOM
#define ZN_BUF_HEADROOM 192
#endif

/* Data bytes of a frame buffer, headroom included.  Must hold headroom plus
 * the largest frame: 192 + 1518 (1500 MTU + Ethernet + one VLAN tag). */
#ifndef ZN_BUF_SIZE
#define ZN_BUF_SIZE 2048
#endif

/* Size of a large buffer (reassembled datagrams, large UDP sends).  Must hold
 * headroom plus the largest datagram: IPv6's, 40 + 65535 (no jumbograms),
 * rounded up to 64; IPv4's is 65535. */
#ifndef ZN_BIGBUF_SIZE
#define ZN_BIGBUF_SIZE (ZN_BUF_HEADROOM + 65600)
#endif

/* Per-buffer scratch area that the layer owning a buffer may use (like
 * Linux's skb->cb): queue metadata, reassembly offsets, send timestamps. */
#ifndef ZN_BUF_CB_SIZE
#define ZN_BUF_CB_SIZE 40
#endif

/* Default interface MTU (bytes of IP datagram per frame). */
#ifndef ZN_DEFAULT_MTU
#define ZN_DEFAULT_MTU 1500
#endif

/* Defaults for struct zn_config (see znet/stack.h for meanings). */
#ifndef ZN_DEFAULT_NBUFS
#define ZN_DEFAULT_NBUFS 512
#endif
#ifndef ZN_DEFAULT_NBIGBUFS
#define ZN_DEFAULT_NBIGBUFS 4
#endif
#ifndef ZN_DEFAULT_ARP_ENTRIES
#define ZN_DEFAULT_ARP_ENTRIES 64
#endif
#ifndef ZN_DEFAULT_ARP_PENDING
#define ZN_DEFAULT_ARP_PENDING 4 /**< frames queued per unresolved entry */
#endif
#ifndef ZN_DEFAULT_ARP_REACHABLE_MS
#define ZN_DEFAULT_ARP_REACHABLE_MS 60000u /**< entry lifetime after last confirmation */
#endif
#ifndef ZN_DEFAULT_ARP_RETRY_MS
#define ZN_DEFAULT_ARP_RETRY_MS 1000u /**< first retry; doubles each time */
#endif
#ifndef ZN_DEFAULT_ARP_RETRIES
#define ZN_DEFAULT_ARP_RETRIES 3
#endif
#ifndef ZN_DEFAULT_ND_ENTRIES
#define ZN_DEFAULT_ND_ENTRIES 32 /**< IPv6 neighbor cache entries */
#endif
#ifndef ZN_DEFAULT_ND_PENDING
#define ZN_DEFAULT_ND_PENDING 4 /**< datagrams queued per unresolved neighbor */
#endif
#ifndef ZN_DEFAULT_IP6_REASS_SLOTS
#define ZN_DEFAULT_IP6_REASS_SLOTS 8 /**< IPv6 datagrams reassembled at once */
#endif
#ifndef ZN_DEFAULT_IP6_REASS_MAX_BYTES
#define ZN_DEFAULT_IP6_REASS_MAX_BYTES (128u * 1024u) /**< IPv6 fragment bytes held */
#endif
#ifndef ZN_DEFAULT_IP6_REASS_TIMEOUT_MS
#define ZN_DEFAULT_IP6_REASS_TIMEOUT_MS 60000u /**< RFC 8200 4.5 */
#endif
#ifndef ZN_DEFAULT_REASS_SLOTS
#define ZN_DEFAULT_REASS_SLOTS 8 /**< datagrams reassembled at once */
#endif
#ifndef ZN_DEFAULT_REASS_MAX_BYTES
#define ZN_DEFAULT_REASS_MAX_BYTES (128u * 1024u) /**< fragment bytes held, all datagrams */
#endif
#ifndef ZN_DEFAULT_REASS_TIMEOUT_MS
#define ZN_DEFAULT_REASS_TIMEOUT_MS 30000u
#endif
#ifndef ZN_DEFAULT_TTL
#define ZN_DEFAULT_TTL 64
#endif
#ifndef ZN_DEFAULT_ICMP_RATE
#define ZN_DEFAULT_ICMP_RATE 100 /**< ICMP errors per second (token bucket) */
#endif
#ifndef ZN_DEFAULT_ICMP_BURST
#define ZN_DEFAULT_ICMP_BURST 50
#endif
#ifndef ZN_DEFAULT_UDP_SOCKS
#define ZN_DEFAULT_UDP_SOCKS 64
#endif
#ifndef ZN_DEFAULT_UDP_RXQ
#define ZN_DEFAULT_UDP_RXQ 64 /**< datagrams queued per socket without callback */
#endif
#ifndef ZN_DEFAULT_IPV6_ADDRS
#define ZN_DEFAULT_IPV6_ADDRS 8 /**< our IPv6 addresses, all origins */
#endif
#ifndef ZN_DEFAULT_IPV6_ROUTERS
#define ZN_DEFAULT_IPV6_ROUTERS 4 /**< default router list */
#endif
#ifndef ZN_DEFAULT_IPV6_PREFIXES
#define ZN_DEFAULT_IPV6_PREFIXES 8 /**< on-link prefix list */
#endif
#ifndef ZN_DEFAULT_IPV6_GROUPS
#define ZN_DEFAULT_IPV6_GROUPS 16 /**< multicast groups besides all-nodes */
#endif
#ifndef ZN_DEFAULT_IPV6_DNS_SERVERS
#define ZN_DEFAULT_IPV6_DNS_SERVERS 4 /**< RDNSS addresses kept */
#endif
#ifndef ZN_DEFAULT_IPV6_DNS_SEARCH
#define ZN_DEFAULT_IPV6_DNS_SEARCH 4 /**< DNSSL domains kept */
#endif
#ifndef ZN_DEFAULT_IPV6_DAD_TRANSMITS
#define ZN_DEFAULT_IPV6_DAD_TRANSMITS 1 /**< RFC 4862 DupAddrDetectTransmits */
#endif
#ifndef ZN_DEFAULT_TCP_CONNS
#define ZN_DEFAULT_TCP_CONNS 64
#endif
#ifndef ZN_DEFAULT_TCP_SNDBUF
#define ZN_DEFAULT_TCP_SNDBUF (128u * 1024u)
#endif
#ifndef ZN_DEFAULT_TCP_RCVBUF
#define ZN_DEFAULT_TCP_RCVBUF (128u * 1024u)
#endif
#ifndef ZN_DEFAULT_TCP_BACKLOG
#define ZN_DEFAULT_TCP_BACKLOG 16
#endif
#ifndef ZN_DEFAULT_TCP_MSL_MS
#define ZN_DEFAULT_TCP_MSL_MS 30000u /**< TIME_WAIT lasts twice this */
#endif
#ifndef ZN_DEFAULT_TCP_RTO_MIN_MS
#define ZN_DEFAULT_TCP_RTO_MIN_MS 200u
#endif
#ifndef ZN_DEFAULT_TCP_RTO_INIT_MS
#define ZN_DEFAULT_TCP_RTO_INIT_MS 1000u /**< RFC 6298 §2.1 */
#endif
#ifndef ZN_DEFAULT_TCP_RTO_MAX_MS
#define ZN_DEFAULT_TCP_RTO_MAX_MS 60000u
#endif
#ifndef ZN_DEFAULT_TCP_SYN_RETRIES
#define ZN_DEFAULT_TCP_SYN_RETRIES 6
#endif
#ifndef ZN_DEFAULT_TCP_BLACKHOLE_PROBE_MS
/** The longest wait between full-sized probes of a connection whose
 * full-sized segments vanished (a PMTU black hole), after lost probes
 * doubled it from 1 s: 10 minutes, as Linux's tcp_probe_interval. */
#define ZN_DEFAULT_TCP_BLACKHOLE_PROBE_MS 600000u
#endif
#ifndef ZN_DEFAULT_TCP_RETRIES
#define ZN_DEFAULT_TCP_RETRIES 12
#endif
#ifndef ZN_DEFAULT_TCP_QUICKACKS
#define ZN_DEFAULT_TCP_QUICKACKS 16u
#endif
#ifndef ZN_DEFAULT_TCP_DELACK_MS
#define ZN_DEFAULT_TCP_DELACK_MS 40u
#endif
#ifndef ZN_DEFAULT_TCP_FW2_MS
#define ZN_DEFAULT_TCP_FW2_MS 60000u
#endif
#ifndef ZN_DEFAULT_TCP_CHACK_LIMIT
#define ZN_DEFAULT_TCP_CHACK_LIMIT 1000u /**< challenge ACKs per second */
#endif
#ifndef ZN_DEFAULT_RX_BUDGET
#define ZN_DEFAULT_RX_BUDGET 64 /**< frames received per zn_stack_poll() */
#endif
#ifndef ZN_DEFAULT_TXQ_LEN
#define ZN_DEFAULT_TXQ_LEN 256 /**< frames held while the netif says EAGAIN */
#endif

/* Limits of the HTTP request-head parser (struct zn_http_limits,
 * znet/http.h), and the head buffer's suggested size, which bounds the
 * head. */
#ifndef ZN_DEFAULT_HTTP_REQUEST_LINE_MAX
#define ZN_DEFAULT_HTTP_REQUEST_LINE_MAX 8000u /**< RFC 9112 §3's minimum */
#endif
#ifndef ZN_DEFAULT_HTTP_FIELD_LINE_MAX
#define ZN_DEFAULT_HTTP_FIELD_LINE_MAX 8192u /**< one field line, bytes */
#endif
#ifndef ZN_DEFAULT_HTTP_FIELDS_MAX
#define ZN_DEFAULT_HTTP_FIELDS_MAX 100u /**< field lines per request */
#endif
#ifndef ZN_DEFAULT_HTTP_HEAD_MAX
#define ZN_DEFAULT_HTTP_HEAD_MAX 16384u /**< head buffer, bytes */
#endif

#endif /* ZNET_CONFIG_H */
