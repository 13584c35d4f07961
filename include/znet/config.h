/** \file
 * znet compile-time configuration.
 *
 * The values here are of two kinds, and a -D means something different
 * for each.
 *
 * **Layout values**: ZN_BUF_HEADROOM, ZN_BUF_SIZE, ZN_BUF_CB_SIZE and
 * ZN_DEFAULT_MTU size struct zn_buf or the buffers and frames a program
 * fills, so the library and every program using it must see the same
 * values.  They may be set when the library is built
 * (`meson setup -Dc_args=-DZN_BUF_SIZE=9216 ...`), and are then recorded
 * and checked:
 *  - the installed znet.pc carries the library's values in its Cflags, so
 *    a program built with `pkg-config --cflags znet` sees them (and a -D
 *    of its own that differs draws the compiler's "redefined" warning);
 *  - zn_stack_create() is an inline wrapper (znet/stack.h) that hands the
 *    values the program was compiled with (struct zn_abi, ZN_ABI_MAP) to
 *    the library, which refuses to build a stack for a program that sees
 *    other values (ZN_EABI, and a log line naming them) instead of letting
 *    the two disagree about memory.
 * ZN_BIGBUF_SIZE follows from ZN_BUF_HEADROOM and cannot be set.
 *
 * **Run-time defaults**: every other ZN_DEFAULT_* is only what
 * zn_config_default() (struct zn_config, znet/stack.h),
 * zn_http_limits_default() and zn_http_server_cfg_default() (znet/http.h)
 * fill in.  Those functions are compiled into the library, so a -D takes
 * effect only where the library itself is built with it: given to a
 * program, it changes nothing.  A program that wants another value sets
 * the field after calling the default function.
 */
#ifndef ZNET_CONFIG_H
#define ZNET_CONFIG_H

/* Layout values: recorded in znet.pc and checked by zn_stack_create(). */

#ifndef ZN_BUF_HEADROOM
/** Bytes reserved in front of every buffer for headers pushed later.
 * Ethernet (14) + 802.1Q (4) + IPv4 with options (60) + TCP with options
 * (60) = 138; rounded to a cache line multiple.  A layout value. */
#define ZN_BUF_HEADROOM 192
#endif

#ifndef ZN_BUF_SIZE
/** Data bytes of a frame buffer, headroom included.  Must hold headroom
 * plus the largest frame: 192 + 1518 (1500 MTU + Ethernet + one VLAN
 * tag).  A layout value. */
#define ZN_BUF_SIZE 2048
#endif

#ifndef ZN_BUF_CB_SIZE
/** Per-buffer scratch area that the layer owning a buffer may use (like
 * Linux's skb->cb): queue metadata, reassembly offsets, send timestamps.
 * Sizes struct zn_buf.  A layout value. */
#define ZN_BUF_CB_SIZE 40
#endif

#ifndef ZN_DEFAULT_MTU
/** Default interface MTU (bytes of IP datagram per frame), and the largest
 * the Solo5 backend and the skeleton netif accept: frame buffers must
 * hold it.  A layout value. */
#define ZN_DEFAULT_MTU 1500
#endif

#ifdef ZN_BIGBUF_SIZE
#error "ZN_BIGBUF_SIZE cannot be set: size the large pool with nbigbufs"
#endif
/** Size of a large buffer (reassembled datagrams, large UDP sends): the
 * headroom plus the largest datagram, IPv6's, 40 + 65535 (no jumbograms),
 * rounded up to 64; IPv4's is 65535.  Fixed: nothing needs it larger, a
 * smaller one would refuse the largest datagrams, and the memory they
 * take is set at run time (struct zn_config's nbigbufs, 0 for none). */
#define ZN_BIGBUF_SIZE (ZN_BUF_HEADROOM + 65600)

/* Run-time defaults.  Compiled into the library's default functions: a -D
 * given to a program changes nothing (see above). */

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
 * head (the server's head_max; a program that parses heads itself passes
 * its buffer's size, whatever it is). */
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
