/*
 * lwIP 2.1 configured as the benchmark comparator: single-threaded raw
 * API (NO_SYS=1), static pools, IPv4 only, with the sizes znet uses by
 * default (zn_config_default):
 *
 *   znet                                lwIP
 *   512 frame buffers of 2 KiB          PBUF_POOL_SIZE 512 x 1536 bytes
 *   tcp_conns 64                        MEMP_NUM_TCP_PCB 64
 *   tcp_rcvbuf 128 KiB                  TCP_WND 128 KiB (window scale 2)
 *   tcp_sndbuf 128 KiB                  TCP_SND_BUF 128 KiB
 *   MSS 1460 (MTU 1500)                 TCP_MSS 1460
 *   arp_entries 64                      ARP_TABLE_SIZE 64
 *   checksums computed and verified     CHECKSUM_GEN_* / CHECK_* 1
 *   SACK both ways, timestamps          SACK sent (LWIP_TCP_SACK_OUT);
 *                                       lwIP 2.1 reads no SACK and has no
 *                                       timestamps by default
 *
 * lwIP's own heap (MEM_SIZE, 1 MiB) holds what tcp_write copies and the
 * headers of zero-copy segments.  No statistics, no debug output, no
 * assertions (LWIP_NOASSERT): a release build.  This file never includes
 * a system network header, so TCP_MSS stays 1460 everywhere (Debian's
 * own port pulls in <netinet/tcp.h>, whose TCP_MSS of 512 then sizes
 * some buffers in five lwIP sources and not others).
 */
#ifndef ZNB_LWIPOPTS_H
#define ZNB_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NOASSERT 1

#define LWIP_IPV4 1
#define LWIP_IPV6 1
/* IPv6 as znet has it: a static address (DAD skipped, as the kernel side
 * uses nodad), neighbour discovery, MLD for the solicited-node groups,
 * fragmentation and reassembly; no SLAAC, no DHCPv6. */
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_ND6_NUM_NEIGHBORS 64
#define LWIP_ND6_NUM_DESTINATIONS 64
#define LWIP_ND6_QUEUEING 1
#define MEMP_NUM_ND6_QUEUE 64
#define MEMP_NUM_MLD6_GROUP 8
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_RAW 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_STATS 0
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_SINGLE_NETIF 1
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1

/* Memory: static pools, no malloc. */
#define MEM_ALIGNMENT 8
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_SIZE (1024 * 1024)
#define PBUF_POOL_SIZE 512
#define PBUF_POOL_BUFSIZE 1536
#define MEMP_NUM_PBUF 512
#define MEMP_NUM_UDP_PCB 4
#define MEMP_NUM_TCP_PCB 64
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define MEMP_NUM_TCP_SEG 512
#define MEMP_NUM_REASSDATA 8

/* TCP. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define TCP_WND (128 * 1024)
#define TCP_SND_BUF (128 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* lwIP keeps the low-water mark in 16 bits, 4 MSS below overflow. */
#define TCP_SNDLOWAT (0xffff - 4 * TCP_MSS - 1)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 2)
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 1
#define TCP_OVERSIZE TCP_MSS

/* Checksums in software, both ways. */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

#endif /* ZNB_LWIPOPTS_H */
