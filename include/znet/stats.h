/** \file
 * Counters, like `netstat -s`.
 *
 * One table, ZN_STATS_MAP(X), lists every counter as X(name, kind, text):
 * kind is CNT for an event counter and DROP for a reason a packet was
 * dropped.  Every packet the stack discards increments exactly one DROP
 * counter, so the drops of a run can always be explained.
 *
 * Counters are grouped by layer prefix.  Later layers add their rows here.
 *
 * Each counter is exact whenever zn_stack_poll() or zn_stack_flush() has
 * returned.  Inside a poll (an application's callback reading them),
 * `if_rx_frames` lags by the frames of that poll's receive loop, and
 * `if_tx_frames` by those of the flush under way: each is added once per
 * batch (its bytes counter, per frame, does not lag).
 */
#ifndef ZNET_STATS_H
#define ZNET_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define ZN_STATS_MAP(X)                                                        \
  /* buffers */                                                                \
  X(buf_alloc_fail, CNT, "buffer allocations refused: pool empty")             \
  X(buf_rx_nomem, DROP, "frames not received: no buffer for RX")               \
  /* interface */                                                              \
  X(if_rx_frames, CNT, "frames received from the interface")                   \
  X(if_rx_bytes, CNT, "bytes received from the interface")                     \
  X(if_tx_frames, CNT, "frames handed to the interface")                       \
  X(if_tx_bytes, CNT, "bytes handed to the interface")                         \
  X(if_rx_errors, CNT, "receive errors reported by the interface")             \
  X(if_tx_errors, DROP, "frames the interface failed to send")                 \
  X(if_txq_flush, CNT, "transmit queue flushed early: a batch filled it")      \
  X(if_no_netif, DROP, "frames dropped: no interface attached")                \
  X(if_tx_toobig, DROP, "frames dropped: larger than the interface MTU")       \
  X(addr_event_dropped, CNT, "address events not told to the application: more than 16 between two polls") \
  /* Ethernet */                                                               \
  X(eth_rx, CNT, "Ethernet frames processed")                                  \
  X(eth_drop_short, DROP, "Ethernet frames shorter than a header")             \
  X(eth_drop_not_for_us, DROP, "Ethernet frames for another station")          \
  X(eth_drop_src, DROP, "Ethernet frames from a multicast or own source")      \
  X(eth_drop_type, DROP, "Ethernet frames of an unhandled EtherType")          \
  X(eth_drop_vlan, DROP, "Ethernet frames with a VLAN ID other than 0")        \
  X(eth_drop_mcast, DROP, "Ethernet multicast frames for a group not joined") \
  X(eth_vlan_prio, CNT, "priority-tagged (VLAN 0) frames accepted")            \
  /* ARP */                                                                    \
  X(arp_rx, CNT, "ARP packets received")                                       \
  X(arp_drop_malformed, DROP, "ARP packets too short or inconsistent")         \
  X(arp_drop_unsupported, DROP, "ARP for other hardware or protocol types")    \
  X(arp_drop_op, DROP, "ARP packets with an unknown opcode")                   \
  X(arp_drop_not_for_us, DROP, "ARP packets neither for us nor ours")          \
  X(arp_drop_bad_sender, DROP, "ARP packets with a bad sender address")        \
  X(arp_drop_unsolicited, DROP, "ARP replies no request of ours asked for")    \
  X(arp_conflict, DROP, "ARP packets claiming our own address")                \
  X(arp_req_rx, CNT, "ARP requests received for our address")                  \
  X(arp_gratuitous_rx, CNT, "gratuitous ARP from others, ignored by policy")   \
  X(arp_reply_rx, CNT, "ARP replies accepted")                                 \
  X(arp_req_tx, CNT, "ARP requests sent")                                      \
  X(arp_reply_tx, CNT, "ARP replies sent")                                     \
  X(arp_announce_tx, CNT, "gratuitous ARP announcements sent")                 \
  X(arp_resolve_fail, CNT, "ARP resolutions that timed out")                   \
  X(arp_req_wanted, CNT, "ARP requests left to the group (zn_arp_set_hooks)")  \
  X(arp_learned_rx, CNT, "ARP entries told by the group (zn_arp_learn)")       \
  X(arp_drop_unresolved, DROP, "packets dropped: ARP resolution failed")       \
  X(arp_drop_pending_full, DROP, "packets dropped: ARP pending queue full")     \
  X(arp_drop_cache_full, DROP, "packets dropped: ARP cache full")              \
  X(arp_evict, CNT, "ARP entries evicted to make room")                        \
  X(arp_expire, CNT, "ARP entries aged out")                                   \
  /* IPv4 */                                                                   \
  X(ip_rx, CNT, "IPv4 datagrams received")                                     \
  X(ip_drop_short, DROP, "IPv4 datagrams shorter than a header")               \
  X(ip_drop_version, DROP, "IPv4 datagrams with a version other than 4")       \
  X(ip_drop_hdrlen, DROP, "IPv4 datagrams with a bad header length")           \
  X(ip_drop_totlen, DROP, "IPv4 total length inconsistent with the frame")     \
  X(ip_drop_checksum, DROP, "IPv4 header checksum errors")                     \
  X(ip_drop_src_zero, DROP, "IPv4 datagrams from 0.0.0.0/8")                  \
  X(ip_drop_src_loopback, DROP, "IPv4 datagrams from 127.0.0.0/8 on the wire") \
  X(ip_drop_src_mcast, DROP, "IPv4 datagrams from a multicast address")        \
  X(ip_drop_src_bcast, DROP, "IPv4 datagrams from a broadcast address")        \
  X(ip_drop_src_class_e, DROP, "IPv4 datagrams from 240.0.0.0/4")              \
  X(ip_drop_src_own, DROP, "IPv4 datagrams from our own address on the wire")  \
  X(ip_drop_not_for_us, DROP, "IPv4 datagrams for another host")              \
  X(ip_drop_proto, DROP, "IPv4 datagrams for an unhandled protocol")           \
  X(ip_frag_rx, CNT, "IPv4 fragments received")                                \
  X(ip_reass_ok, CNT, "IPv4 datagrams reassembled")                            \
  X(ip_reass_joined, CNT, "IPv4 fragments joined into reassembled datagrams")  \
  X(ip_loop_rx, CNT, "IPv4 datagrams looped back to ourselves")                \
  X(ip_reass_drop_overlap, DROP, "IPv4 fragments dropped: overlap")            \
  X(ip_reass_drop_timeout, DROP, "IPv4 fragments dropped: reassembly timeout") \
  X(ip_reass_drop_mem, DROP, "IPv4 fragments dropped: reassembly memory")      \
  X(ip_reass_drop_slots, DROP, "IPv4 fragments dropped: no reassembly slot")   \
  X(ip_reass_drop_evicted, DROP, "IPv4 fragments dropped: datagram evicted for a newer one") \
  X(ip_reass_drop_bad, DROP, "IPv4 fragments dropped: bad length or offset")   \
  X(ip_reass_drop_dup, DROP, "IPv4 fragments dropped: exact duplicate")        \
  X(ip_reass_drop_nobuf, DROP, "IPv4 fragments dropped: no buffer to join")    \
  X(ip_tx, CNT, "IPv4 datagrams sent")                                         \
  X(ip_tx_drop_noroute, DROP, "IPv4 datagrams dropped: no route")              \
  X(ip_tx_drop_df, DROP, "IPv4 datagrams dropped: too big with DF set")        \
  X(ip_tx_drop_nobuf, DROP, "IPv4 datagrams dropped: no buffer to fragment")   \
  X(ip_tx_drop_noaddr, DROP, "IPv4 datagrams dropped: no source address")      \
  X(ip_tx_drop_toobig, DROP, "IPv4 datagrams dropped: over 65535 bytes")        \
  X(ip_tx_drop_loopq, DROP, "IPv4 datagrams to ourselves dropped: queue full")  \
  X(ip_tx_drop_martian, DROP, "IPv4 datagrams not sent: to 0/8 or 240/4")     \
  X(ip_tx_drop_src_loopback, DROP, "IPv4 datagrams not sent: from 127/8 off the host") \
  X(ip_frag_tx, CNT, "IPv4 fragments sent")                                    \
  X(ip_tx_path_cached, CNT, "IPv4 datagrams of ip_tx sent by a cached route")  \
  /* ICMP */                                                                   \
  X(ip6_rx, CNT, "IPv6 datagrams received")                                    \
  X(ip6_loop_rx, CNT, "IPv6 datagrams looped back to ourselves")               \
  X(ip6_drop_off, DROP, "IPv6 datagrams dropped: IPv6 is off")                 \
  X(ip6_drop_malformed, DROP, "IPv6 datagrams with a bad header or length")    \
  X(ip6_drop_src_mcast, DROP, "IPv6 datagrams from a multicast source")        \
  X(ip6_drop_src_unspec, DROP, "IPv6 datagrams from :: other than ND/MLD")     \
  X(ip6_drop_src_loopback, DROP, "IPv6 datagrams from ::1 on the wire")        \
  X(ip6_drop_not_for_us, DROP, "IPv6 datagrams for another host or group")     \
  X(ip6_drop_tentative, DROP, "IPv6 datagrams to a tentative address, not ND") \
  X(ip6_drop_chain, DROP, "IPv6 datagrams with a bad extension header chain")  \
  X(ip6_drop_option, DROP, "IPv6 datagrams discarded by an option's action")   \
  X(ip6_drop_rh0, DROP, "IPv6 datagrams with a type 0 routing header")         \
  X(ip6_drop_routing, DROP, "IPv6 datagrams with segments left to route")      \
  X(ip6_drop_proto, DROP, "IPv6 datagrams for an unknown next header")         \
  X(ip6_drop_none, DROP, "IPv6 datagrams with no next header (59)")            \
  X(ip6_delivered, CNT, "IPv6 datagrams passed to a transport")               \
  X(ip6_frag_rx, CNT, "IPv6 fragments received")                               \
  X(ip6_atomic_rx, CNT, "IPv6 atomic fragments processed alone")               \
  X(ip6_reass_ok, CNT, "IPv6 datagrams reassembled")                           \
  X(ip6_reass_joined, CNT, "IPv6 fragments joined into datagrams")             \
  X(ip6_reass_drop_overlap, DROP, "IPv6 fragments dropped: overlap")           \
  X(ip6_reass_drop_timeout, DROP, "IPv6 fragments dropped: reassembly timeout") \
  X(ip6_reass_drop_mem, DROP, "IPv6 fragments dropped: reassembly memory")     \
  X(ip6_reass_drop_slots, DROP, "IPv6 fragments dropped: no reassembly slot")  \
  X(ip6_reass_drop_evicted, DROP, "IPv6 fragments dropped: datagram evicted")  \
  X(ip6_reass_drop_bad, DROP, "IPv6 fragments dropped: bad length or offset")  \
  X(ip6_reass_drop_dup, DROP, "IPv6 fragments dropped: exact duplicate")       \
  X(ip6_reass_drop_nobuf, DROP, "IPv6 fragments dropped: no buffer to join")   \
  X(ip6_tx, CNT, "IPv6 datagrams sent")                                        \
  X(ip6_frag_tx, CNT, "IPv6 fragments sent")                                   \
  X(ip6_tx_drop_noroute, DROP, "IPv6 datagrams dropped: no route")             \
  X(ip6_tx_drop_noaddr, DROP, "IPv6 datagrams dropped: no source address")     \
  X(ip6_tx_drop_toobig, DROP, "IPv6 datagrams dropped: over the path MTU")     \
  X(ip6_tx_drop_nobuf, DROP, "IPv6 datagrams dropped: no buffer")              \
  X(ip6_tx_drop_loopq, DROP, "IPv6 datagrams to ourselves: queue full")        \
  X(ip6_tx_drop_off, DROP, "IPv6 datagrams not sent: IPv6 is off")             \
  X(ip6_tx_drop_bad_dst, DROP, "IPv6 datagrams not sent: bad destination")     \
                                                                               \
  X(nd_rx, CNT, "neighbor solicitations and advertisements received")          \
  X(nd_drop_hlim, DROP, "ND messages with a hop limit other than 255")         \
  X(nd_drop_invalid, DROP, "ND messages failing RFC 4861 validity checks")     \
  X(nd_drop_dad_src, DROP, "NS from :: not to a solicited-node group")         \
  X(nd_drop_not_ours, DROP, "NS/NA for a target that is not ours")             \
  X(nd_drop_unsolicited, DROP, "NAs for no entry of ours, ignored")            \
  X(nd_dad_rx, CNT, "NS/NA about our addresses passed to DAD")                 \
  X(nd_ns_rx, CNT, "neighbor solicitations answered")                          \
  X(nd_na_rx, CNT, "neighbor advertisements applied")                          \
  X(nd_ns_tx, CNT, "neighbor solicitations sent")                              \
  X(nd_na_tx, CNT, "neighbor advertisements sent")                             \
  X(nd_ns_wanted, CNT, "solicitations left to the group (zn_nd_set_hooks)")    \
  X(nd_learned_rx, CNT, "neighbor entries told by the group (zn_nd_learn)")    \
  X(nd_redirect_ignored, DROP, "redirects ignored (see src/ipv6/icmp6.c)")     \
  X(nd_rs_ignored, DROP, "router solicitations ignored: we are a host")        \
  X(nd_resolve_fail, CNT, "neighbor resolutions or NUD probes that failed")    \
  X(nd_confirm_upper, CNT, "neighbors confirmed by upper-layer progress")      \
  X(nd_drop_unresolved, DROP, "datagrams dropped: neighbor unreachable")       \
  X(nd_drop_pending_full, DROP, "datagrams dropped: ND pending queue full")    \
  X(nd_drop_cache_full, DROP, "datagrams dropped: neighbor cache full")        \
  X(nd_evict, CNT, "neighbor entries evicted to make room")                    \
                                                                               \
  X(icmp6_rx, CNT, "ICMPv6 messages received")                                 \
  X(icmp6_drop_short, DROP, "ICMPv6 messages too short")                       \
  X(icmp6_drop_checksum, DROP, "ICMPv6 checksum errors")                       \
  X(icmp6_drop_nd_fragmented, DROP,                                            \
    "ND messages that came with a fragment header (RFC 6980)")                 \
  X(icmp6_drop_type, DROP, "ICMPv6 messages of an unhandled type")             \
  X(icmp6_drop_echo_off, DROP, "ICMPv6 echo requests ignored: echo disabled")  \
  X(icmp6_drop_mcast_echo, DROP, "ICMPv6 echo requests to multicast ignored")  \
  X(icmp6_drop_quote, DROP, "ICMPv6 errors quoting an unusable datagram")      \
  X(icmp6_drop_noowner, DROP, "ICMPv6 errors for no transport of ours")        \
  X(icmp6_drop_nobuf, DROP, "ICMPv6 replies not sent: no buffer")              \
  X(icmp6_echo_rx, CNT, "ICMPv6 echo requests received")                       \
  X(icmp6_echo_reply_tx, CNT, "ICMPv6 echo replies sent")                      \
  X(icmp6_echo_reply_rx, CNT, "ICMPv6 echo replies received")                  \
  X(icmp6_err_rx, CNT, "ICMPv6 errors received and delivered")                 \
  X(icmp6_err_tx, CNT, "ICMPv6 errors sent")                                   \
  X(icmp6_err_ratelimited, CNT, "ICMPv6 errors suppressed by the rate limit")   \
  X(icmp6_err_suppressed, CNT, "ICMPv6 errors not sent: RFC 4443 2.4(e)")       \
  X(icmp6_drop_conf_hlim, DROP, "RA/MLD with a bad hop limit or source")      \
  X(icmp6_ra_rx, CNT, "router advertisements passed to their handler")         \
  X(icmp6_mld_rx, CNT, "MLD messages passed to their handler")                 \
  X(icmp6_pmtu_update, CNT, "path MTU lowered by packet too big")              \
                                                                               \
  X(icmp_rx, CNT, "ICMP messages received")                                    \
  X(icmp_drop_short, DROP, "ICMP messages too short")                          \
  X(icmp_drop_checksum, DROP, "ICMP checksum errors")                          \
  X(icmp_drop_type, DROP, "ICMP messages of an unhandled type")                \
  X(icmp_drop_echo_off, DROP, "ICMP echo requests ignored: echo disabled")     \
  X(icmp_drop_bcast_echo, DROP, "ICMP echo requests to broadcast ignored")     \
  X(icmp_drop_quote, DROP, "ICMP errors quoting an unusable datagram")         \
  X(icmp_drop_noowner, DROP, "ICMP errors for no transport of ours")           \
  X(icmp_drop_nobuf, DROP, "ICMP replies not sent: no buffer")                 \
  X(icmp_echo_rx, CNT, "ICMP echo requests received")                          \
  X(icmp_echo_reply_tx, CNT, "ICMP echo replies sent")                         \
  X(icmp_echo_reply_rx, CNT, "ICMP echo replies received")                     \
  X(icmp_err_rx, CNT, "ICMP errors received and delivered")                    \
  X(icmp_err_tx, CNT, "ICMP errors sent")                                      \
  X(icmp_err_ratelimited, CNT, "ICMP errors suppressed by the rate limit")     \
  /* UDP */                                                                    \
  X(udp_rx, CNT, "UDP datagrams received")                                     \
  X(udp_drop_short, DROP, "UDP datagrams shorter than a header")               \
  X(udp_drop_len, DROP, "UDP length field inconsistent with the datagram")     \
  X(udp_drop_checksum, DROP, "UDP checksum errors")                            \
  X(udp_drop_noport, DROP, "UDP datagrams for a port nobody listens on")       \
  X(udp_drop_rxq_full, DROP, "UDP datagrams dropped: socket queue full")       \
  X(udp_delivered, CNT, "UDP datagrams handed to a receive callback")         \
  X(udp_queued, CNT, "UDP datagrams queued for zn_udp_recv")                   \
  X(udp_tx, CNT, "UDP datagrams sent")                                         \
  X(udp_err_delivered, CNT, "ICMP errors handed to a UDP socket")              \
  X(udp_addr_removed, CNT, "UDP sockets whose bound address went away")      \
  X(udp_err_nosock, CNT, "ICMP errors about UDP with no socket to tell")       \
  /* TCP */                                                                    \
  X(tcp_rx, CNT, "TCP segments received")                                      \
  X(tcp_drop_short, DROP, "TCP segments shorter than a header")                \
  X(tcp_drop_hdrlen, DROP, "TCP segments with a bad data offset")              \
  X(tcp_drop_checksum, DROP, "TCP checksum errors")                            \
  X(tcp_drop_opts, DROP, "TCP segments with malformed options")                \
  X(tcp_drop_bcast, DROP, "TCP segments sent to a broadcast address")          \
  X(tcp_drop_noport, DROP, "TCP segments for no connection (RST sent)")        \
  X(tcp_drop_acceptq, DROP, "TCP handshakes dropped: accept queue full")       \
  X(tcp_drop_acceptq_syn, DROP, "TCP SYNs dropped: accept queue full")         \
  X(tcp_drop_held_syn, DROP, "TCP SYNs dropped: listener held")               \
  X(tcp_conn_rx, CNT, "TCP segments processed by a connection")                \
  X(tcp_seg_tx, CNT, "TCP segments sent")                                      \
  X(tcp_tso_tx, CNT, "TCP frames sent for the netif to segment (TSO)")        \
  X(tcp_cwnd_unused, CNT, "ACKs that left cwnd as it was: under half used")  \
  X(tcp_rst_tx, CNT, "TCP resets sent")                                        \
  X(tcp_chack_tx, CNT, "TCP challenge ACKs sent (RFC 5961)")                   \
  X(tcp_chack_limited, CNT, "TCP challenge ACKs suppressed by the limit")      \
  X(tcp_paws_reject, CNT, "TCP segments failing PAWS (RFC 7323)")              \
  X(tcp_unacceptable, CNT, "TCP segments outside the receive window")          \
  X(tcp_rst_rx, CNT, "TCP resets that closed a connection")                    \
  X(tcp_rst_ignored, CNT, "TCP resets ignored (window, RFC 1337, 5961)")       \
  X(tcp_impossible, CNT, "TCP events the classifier should never produce")    \
  X(tcp_syncookie_tx, CNT, "TCP SYN cookies sent")                             \
  X(tcp_syncookie_ok, CNT, "TCP connections made from SYN cookies")            \
  X(tcp_syncookie_bad, CNT, "TCP ACKs to a listener failing the cookie check") \
  X(tcp_table_full, CNT, "TCP connections refused: table full")                \
  X(tcp_soft_error_abort, CNT,                                                 \
    "TCP connection attempts ended by an ICMP soft error (RFC 5461)")          \
  X(tcp_timewait_cut, CNT,                                                     \
    "TCP TIME_WAITs ended at once: half the table was held in TIME_WAIT")     \
  X(tcp_timewait_recycled, CNT,                                                \
    "TCP TIME_WAIT records reused, oldest first: all were taken")             \
  X(tcp_timewait_busy, CNT,                                                    \
    "TCP segments for a saved TIME_WAIT dropped: no slot to answer from")     \
  X(tcp_addr_removed, CNT, "TCP connections failed: their address went away") \
  X(tcp_ooo_queued, CNT, "TCP segments held out of order")                     \
  X(tcp_ooo_dup, CNT, "TCP out-of-order segments with nothing new")            \
  X(tcp_drop_rcv_mem, CNT, "TCP data dropped: receive memory bound")           \
  X(tcp_drop_mem, CNT, "TCP data dropped: the stack-wide TCP buffer bound")     \
  X(tcp_drop_noack, CNT, "TCP segments dropped: no ACK bit (or SYN+FIN)")       \
  X(tcp_snd_share, CNT, "TCP writes cut short: the connection's share of the bound") \
  X(tcp_ooo_pruned, CNT, "TCP out-of-order queues freed for in-order data")    \
  X(tcp_wnd_clamped, CNT, "TCP windows held shut by the stack-wide buffer bound") \
  X(tcp_mem_wait, CNT, "TCP writes cut short by the stack-wide buffer bound")   \
  X(tcp_flight_wait, CNT, "TCP sends held back: no flight block free")         \
  X(tcp_flight_woken, CNT, "TCP senders woken by a flight block given back")   \
  X(tcp_cc_fallback, CNT, "TCP connections set for BBR run CUBIC: none free")  \
  X(tcp_recovery_overspent, CNT, "TCP recoveries cut off: a byte sent thrice in one output (a bug)") \
  X(tcp_rtx, CNT, "TCP segments retransmitted")                                \
  X(tcp_fast_rtx, CNT, "TCP fast retransmits")                                 \
  X(tcp_rto, CNT, "TCP retransmission timeouts")                               \
  X(tcp_rtt_ts, CNT, "TCP RTT samples from a timestamp echo after a resend (RFC 7323)") \
  X(tcp_blackhole, CNT, "TCP MSS lowered: full-sized segments vanished (PMTU black hole)") \
  X(tcp_blackhole_reprobe, CNT, "TCP full-sized probes sent after a black hole lowered the MSS") \
  X(tcp_blackhole_restored, CNT, "TCP MSS back to full size: a probe got through") \
  X(tcp_undo_rto, CNT, "TCP RTOs found needless (RFC 3522): window restored") \
  X(tcp_undo_recovery, CNT, "TCP fast recoveries found needless (RFC 3522): window restored") \
  X(tcp_undo_dsack, CNT, "TCP reductions found needless by D-SACKs (RFC 3708), of those undone") \
  X(tcp_undo_ts_unasked, CNT, "TCP reductions not tested by timestamps (RFC 3522): the first unacked byte was acknowledged before it went again") \
  X(tcp_paced, CNT, "TCP sends held back until their pacing time")         \
  X(tcp_idle_restart, CNT, "TCP windows back to the initial one after an idle RTO (RFC 5681 4.1)") \
  X(tcp_probe, CNT, "TCP loss probes sent (RFC 8985 TLP)")                     \
  X(tcp_probe_needless, CNT, "TCP loss probes D-SACKed: nothing was lost")     \
  X(tcp_reo_timeout, CNT, "TCP holes taken as lost after the reordering window") \
  X(tcp_rack_lost, CNT, "TCP ranges RACK took as lost (RFC 8985): later data delivered") \
  X(tcp_lost_rtx, CNT, "TCP retransmissions RACK took as lost (later data delivered)") \
  X(tcp_dsack_tx, CNT, "TCP duplicate data reported to the peer (RFC 2883 D-SACK)") \
  X(tcp_dsack_rx, CNT, "TCP D-SACKs received: data we sent arrived twice")     \
  X(tcp_sack_reneged, CNT, "TCP SACKed data the peer discarded: scoreboard emptied") \
  X(tcp_wnd_shrunk, CNT, "TCP windows taken back: in-order data met the memory bound") \
  X(tcp_established, CNT, "TCP connections established")                      \
  X(tcp_timeout, CNT, "TCP connections that timed out")                       \
  /* TCP ECN (RFC 3168) */                                                      \
  X(tcp_ecn_syn_tx, CNT, "TCP ECN-setup SYNs sent (asking for ECN)")           \
  X(tcp_ecn_syn_fallback, CNT, "TCP SYNs resent without ECN setup")            \
  X(tcp_ecn_negotiated, CNT, "TCP connections established with ECN")           \
  X(tcp_ecn_ect_tx, CNT, "TCP segments sent ECN-capable (ECT(0))")            \
  X(tcp_ecn_ce_rx, CNT, "TCP segments received marked CE")                     \
  X(tcp_ecn_ece_tx, CNT, "TCP segments sent with ECE (echoing CE)")           \
  X(tcp_ecn_cwr_rx, CNT, "TCP segments received with CWR (echo ended)")       \
  X(tcp_ecn_ece_rx, CNT, "TCP ACKs received with ECE")                         \
  X(tcp_ecn_cwnd_cut, CNT, "TCP congestion windows cut for ECE")               \
  X(tcp_ecn_cwr_tx, CNT, "TCP segments sent with CWR")                         \
  /* IPv6 host configuration (RFC 4861 §6.3, RFC 4862, RFC 3810) */         \
  X(ip6conf_addr_full, CNT, "IPv6 addresses not added: address table full")  \
  X(ip6conf_disabled, CNT, "IPv6 stopped: the link-local address is a duplicate") \
  X(dad_ns_tx, CNT, "DAD probes (NS from ::) handed to IPv6")                 \
  X(dad_ok, CNT, "addresses that passed duplicate address detection")       \
  X(dad_dup_ns, CNT, "DAD conflicts: another node probed our tentative address") \
  X(dad_dup_na, CNT, "DAD conflicts: an NA for our tentative address")       \
  X(dad_na_assigned, CNT, "NAs for an address we hold already (logged)")    \
  X(dad_regen, CNT, "addresses regenerated after a conflict (RFC 7217 §6)") \
  X(rs_tx, CNT, "router solicitations handed to IPv6")                       \
  X(ra_rx, CNT, "router advertisements received")                            \
  X(ra_accepted, CNT, "router advertisements processed")                     \
  X(ra_drop_src, DROP, "RAs dropped: source not link-local")                 \
  X(ra_drop_hop_limit, DROP, "RAs dropped: hop limit not 255 (off-link)")    \
  X(ra_drop_malformed, DROP, "RAs dropped: bad code or length")              \
  X(ra_drop_opts, DROP, "RAs dropped: a malformed option")                   \
  X(ra_drop_disabled, DROP, "RAs dropped: IPv6 not running")                 \
  X(ra_router_full, CNT, "routers not listed: default router list full")     \
  X(ra_router_expired, CNT, "default routers whose lifetime ran out")        \
  X(ra_prefix_full, CNT, "on-link prefixes not listed: prefix list full")    \
  X(ra_prefix_expired, CNT, "on-link prefixes whose lifetime ran out")       \
  X(ra_prefix_ignored, CNT, "prefix options ignored (link-local, lifetimes)") \
  X(ra_mtu_ignored, CNT, "MTU options ignored: outside 1280..link MTU")      \
  X(ra_dns_full, CNT, "RDNSS/DNSSL entries not kept: table full")            \
  X(slaac_addr_added, CNT, "addresses formed from advertised prefixes")      \
  X(slaac_prefix_len, CNT, "SLAAC prefixes ignored: length not 64")          \
  X(slaac_deprecated, CNT, "SLAAC addresses deprecated (preferred lifetime)") \
  X(slaac_expired, CNT, "SLAAC addresses removed (valid lifetime)")          \
  X(slaac_two_hour, CNT, "valid lifetime updates held by the two-hour rule") \
  X(mld_report_tx, CNT, "MLDv2 reports handed to IPv6")                      \
  X(mld_rx, CNT, "MLD messages received")                                    \
  X(mld_query_general, CNT, "MLD general queries answered")                  \
  X(mld_query_specific, CNT, "MLD address-specific queries answered")        \
  X(mld_drop_src, DROP, "MLD queries dropped: source not link-local")        \
  X(mld_drop_hop_limit, DROP, "MLD queries dropped: hop limit not 1")        \
  X(mld_drop_malformed, DROP, "MLD queries dropped: truncated")              \
  X(mld_drop_v1, DROP, "MLDv1 queries ignored (no compatibility mode)")     \
  X(mld_drop_report, DROP, "MLD reports ignored: hosts do not suppress")     \
  X(mld_drop_not_member, DROP, "MLD queries for a group we have not joined") \
  X(mld_group_full, CNT, "multicast groups not joined: group table full")      \
  /* DHCPv4 client */                                                          \
  X(dhcp4_rx, CNT, "DHCP messages to port 68 handed to the client")            \
  X(dhcp4_drop_state, DROP, "DHCP messages while the client awaits no reply")  \
  X(dhcp4_drop_port, DROP, "DHCP messages not from port 67")                   \
  X(dhcp4_drop_short, DROP, "DHCP messages shorter than header and cookie")    \
  X(dhcp4_drop_cookie, DROP, "DHCP messages without the magic cookie")         \
  X(dhcp4_drop_options, DROP, "DHCP messages with a malformed option area")    \
  X(dhcp4_drop_op, DROP, "DHCP messages not a BOOTREPLY for Ethernet")         \
  X(dhcp4_drop_chaddr, DROP, "DHCP replies for another client (chaddr)")       \
  X(dhcp4_drop_xid, DROP, "DHCP replies for another transaction (xid)")        \
  X(dhcp4_drop_type, DROP, "DHCP replies of a type the state does not take")   \
  X(dhcp4_drop_offer, DROP, "DHCP offers without a usable address or server")  \
  X(dhcp4_drop_ack, DROP, "DHCP ACKs without a usable lease of our address")   \
  X(dhcp4_drop_server, DROP, "DHCP replies from a server other than ours")     \
  X(dhcp4_offer_rx, CNT, "DHCP offers taken")                                  \
  X(dhcp4_ack_rx, CNT, "DHCP ACKs taken")                                      \
  X(dhcp4_nak_rx, CNT, "DHCP NAKs taken")                                      \
  X(dhcp4_discover_tx, CNT, "DHCPDISCOVERs sent")                              \
  X(dhcp4_request_tx, CNT, "DHCPREQUESTs sent")                                \
  X(dhcp4_decline_tx, CNT, "DHCPDECLINEs sent")                                \
  X(dhcp4_release_tx, CNT, "DHCPRELEASEs sent")                                \
  X(dhcp4_tx_fail, CNT, "DHCP messages or probes not sent: no buffer, route")  \
  X(dhcp4_request_timeout, CNT, "DHCP REQUESTs unanswered after every try")    \
  X(dhcp4_probe_tx, CNT, "ARP probes sent for an offered address (RFC 5227)")  \
  X(dhcp4_conflict, CNT, "offered addresses found in use: declined")           \
  X(dhcp4_bound, CNT, "DHCP leases bound: an address applied")                 \
  X(dhcp4_renewed, CNT, "DHCP leases extended (RENEWING, REBINDING)")          \
  X(dhcp4_expired, CNT, "DHCP leases that ran out")                            \
  X(dhcp4_opt_ignored, CNT, "DHCP options ignored: bad length or value")       \
  X(dhcp4_route_ignored, CNT, "option 121 routes not applied (one gateway)")   \
  X(dhcp4_times_fixed, CNT, "T1/T2 set to the defaults: not T1 < T2 < lease")  \
  X(dhcp4_mtu_ignored, CNT, "DHCP MTU options outside 576..the link MTU")

enum zn_stat {
#define ZN_STAT_ENUM_(name, kind, text) ZN_STAT_##name,
  ZN_STATS_MAP(ZN_STAT_ENUM_)
#undef ZN_STAT_ENUM_
  ZN_STAT_COUNT
};

struct zn_stats {
  uint64_t v[ZN_STAT_COUNT];
};

struct zn_stack;

/** Copy every counter. */
void zn_stats_get(const struct zn_stack *st, struct zn_stats *out);

/** One counter. */
uint64_t zn_stat(const struct zn_stack *st, enum zn_stat which);

/** Zero every counter. */
void zn_stats_reset(struct zn_stack *st);

/** Name ("ip_drop_checksum"), description, and whether it counts drops;
 * NULL / false for an index out of range. */
const char *zn_stat_name(int which);
const char *zn_stat_text(int which);
bool zn_stat_is_drop(int which);

/** Sum of every DROP counter. */
uint64_t zn_stats_drops(const struct zn_stats *s);

#endif /* ZNET_STATS_H */
