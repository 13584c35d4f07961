/*
 * TCP internals: the connection (transmission control block, RFC 9293
 * §3.3.1 names), the events of the state machine, and the calls between
 * the pieces of src/tcp/.
 *
 *   tcp_events.h  the chart's events, listed once (enum, names, .rl)
 *   tcp_fsm.rl    the state chart: (state, event) -> actions, next state
 *   tcp_act.c     the actions, one small function per RFC step
 *   tcp_in.c      segment input: parse, lookup, §3.10.7.1-3 (no
 *                 connection, LISTEN, SYN_SENT), ICMP errors
 *   tcp_in_sync.c §3.10.7.4 in the synchronized states: one function per
 *                 check (first_check_sequence ... eighth_check_fin),
 *                 classifying the segment into chart events; text and
 *                 reassembly
 *   tcp_ack.c     the fifth check's ACK processing: send window, SACK
 *                 scoreboard, RTT, congestion control, loss recovery
 *   tcp_out.c     output: what to send now, segments, timers
 *   tcp.c         connection table, hashing, listeners, the API
 *   tcp_mem.c     the stack-wide bound on queued buffers and its shares
 *   tcp_ooo.c     out-of-order queue;  tcp_cc.c  congestion control;
 *   tcp_ecn.c     Explicit Congestion Notification (RFC 3168);
 *   tcp_isn.c     ISNs and SYN cookies
 */
#ifndef ZN_TCP_INT_H
#define ZN_TCP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "core/timer_inline.h"
#include "af/af_inline.h"
#include "inet/inet_int.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_events.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_seq.h"
#include "znet/assert.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/steer.h"
#include "znet/tcp.h"
#include "znet/timer.h"
#include "znet/wire.h"
#include "modules.h"

/* Events of the state machine: one per entry of ZN__TCP_EVENTS
 * (tcp_events.h), which tcp_fsm.rl's alphabet is generated from too. */
enum zn__tcp_event {
#define ZN__EV_ENUM_(name, what) ZN__EV_##name,
  ZN__TCP_EVENTS(ZN__EV_ENUM_)
#undef ZN__EV_ENUM_
  ZN__EV_COUNT
};

/* What a segment being processed carries (parsed once). */
struct zn__tcp_seg {
  struct zn_buf *b;        /* data at the payload, NULL once consumed */
  /* The IP header's addresses (same family), the network layer's own:
   * they outlive the segment's processing, and are not copied for the
   * few steps that need them. */
  const struct zn_ip *src, *dst;
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint32_t wnd;            /* raw window field */
  uint32_t len;            /* payload bytes */
  uint8_t ttl;
  uint8_t ecn;             /* the IP header's ECN field, ZN_IP_ECN_* */
  struct zn_tcp_seg_opts opts;
};

/* What the delivery rate estimator (tcp_rate.c) notes of the connection
 * when a range is sent: the draft's P.delivered, P.delivered_time,
 * P.first_send_time, P.is_app_limited, and for BBR what had been lost
 * and was in flight.  Bytes and us, modulo 2^32. */
struct zn__tcp_rate_stamp {
  uint32_t delivered;
  uint32_t delivered_us;
  uint32_t first_tx_us;
  uint32_t lost;
  uint32_t in_flight;          /* in flight once this range was sent */
  uint32_t app_limited;        /* nonzero: sent while application-limited */
};

/* One range of the transmit map (tcp_rack.c): the data from the end of
 * the range before it (or xmap_una) to end, last sent at ts. */
struct zn__tcp_xmit {
  uint32_t end;
  uint32_t ts;                 /* us, modulo 2^32 */
  uint32_t order;              /* xmit_order of its (last) send */
  uint32_t flags;              /* ZN__XMIT_* */
  struct zn__tcp_rate_stamp rs; /* the rate estimator's, at that send */
  /* Merged (ZN__XMIT_MERGED): the time and order of its earliest send
   * (else ts and order again): what its delivery is known to be at
   * least as late as. */
  uint32_t first_ts;
  uint32_t first_order;
};

/* The delivery rate estimator's state of a connection (tcp_rate.c; the
 * draft's C.delivered, C.delivered_time, C.first_send_time,
 * C.app_limited, C.lost), and its last sample, kept for TCP_INFO. */
struct zn__tcp_rate {
  uint32_t delivered;          /* bytes delivered, modulo 2^32 */
  uint32_t delivered_us;       /* when delivered last grew */
  uint32_t first_tx_us;        /* send time of the newest delivered */
  uint32_t app_limited;        /* delivered + in flight when the sender
                                  last ran out of data (0: not limited) */
  uint32_t lost;               /* bytes taken as lost, modulo 2^32 */
  uint64_t delivered_total;    /* bytes delivered, for zn_tcp_info */
  uint64_t last_bps;           /* the last valid sample, bytes/s */
  uint8_t last_app_limited;    /* ... and whether it was app-limited */
  uint8_t cwnd_limited;        /* the last output stopped at cwnd */
};

/* One ACK's rate sample (the draft's rs), built while the ACK is taken
 * in (tcp_ack.c, tcp_rack.c) and handed to congestion control. */
struct zn__tcp_rs {
  /* From the newest range delivered by the ACK (P). */
  struct zn__tcp_rate_stamp p;
  uint32_t p_order;            /* its xmit order: newest wins */
  uint32_t send_elapsed_us;
  uint32_t ack_elapsed_us;
  uint32_t rtt_us;             /* its RTT (0: none; a resent range) */
  uint32_t echo_age_ms;        /* how long ago the transmission the ACK
                                  echoes (TSecr) left, ms; UINT32_MAX:
                                  no echo */
  bool has_data;               /* P is set */
  /* The sample (zn__tcp_rate_sample). */
  bool valid;                  /* interval long enough to trust */
  bool app_limited;
  uint32_t interval_us;
  uint32_t delivered;          /* bytes delivered over the interval */
  uint32_t lost;               /* bytes lost since P was sent */
  uint32_t tx_in_flight;       /* in flight when P was sent */
  uint32_t acked_sacked;       /* bytes this ACK delivered */
  uint32_t newly_lost;         /* bytes this ACK took as lost */
  uint64_t bps;                /* delivery rate, bytes/s (valid only) */
};

enum {
  ZN__XMIT_RTX = 1u << 0,      /* sent more than once */
  ZN__XMIT_LOST = 1u << 1,     /* RACK took it as lost, not resent since */
  ZN__XMIT_SACKED = 1u << 2,   /* all delivered (SACKed) */
  ZN__XMIT_MERGED = 1u << 3,   /* ranges sent at different times, merged
                                  for room: ts, order the latest of them,
                                  first_ts, first_order the earliest */
};

enum {
  ZN__RACK_VALID = 1u << 0,    /* rack_ts, rack_end, rack_rtt_us are set */
  ZN__RACK_REORDER = 1u << 1,  /* the peer was seen to reorder */
  ZN__RACK_DSACK = 1u << 2,    /* rack_dsack_round is set */
};

#define ZN__TCP_XMAP 16

/* A send-queue chunk's record, in its buffer's cb. */
struct zn__tcp_chunk {
  uint32_t len;                /* bytes of stream in this chunk */
  const uint8_t *ref;          /* write_ref memory, NULL for copies */
  zn_tcp_release_fn release;   /* write_ref release */
  void *arg;
};

/*
 * The four timers of a connection.  Each slot takes one role at a time,
 * its mode, set by the function that arms it and dispatched on when it
 * fires (tcp_out.c, "timers"): one small function per mode.
 *
 * rtx_timer, mode enum zn__tcp_rtx_mode:
 *   SYN      our SYN (SYN_SENT) or SYN-ACK (SYN_RECEIVED) is not
 *            acknowledged.  Armed by zn__tcp_send_syn; fires: send it
 *            again with the RTO backed off, or after cfg.tcp_syn_retries
 *            give up (T_GIVEUP).  Cancelled by the ACK of the SYN.
 *   RTO      data or a FIN is in flight (RFC 6298).  Armed when a segment
 *            goes out and none is timed, and again by every ACK of new
 *            data; fires: back off, shrink cwnd (RFC 5681 §3.1), resend
 *            from SND.UNA, or after cfg.tcp_retries give up.  Cancelled
 *            when everything sent is acknowledged.
 *   PERSIST  data waits, nothing is in flight and the peer's window is
 *            shut or too small (RFC 9293 §3.8.6.1, RFC 1122 §4.2.3.4).
 *            Armed by zn__tcp_output; fires: a window probe, or the
 *            override timeout's send into a small window; probes back off
 *            and give up after cfg.tcp_retries unanswered (or
 *            user_timeout_ms after the first).  Cancelled by a window
 *            update (or becomes RTO when data goes out).
 *   CORK     TCP_CORK holds data and nothing is in flight
 *            (ZN__TCPA_CORK).  Armed by zn__tcp_output: ZN__TCP_CORK_MS
 *            ahead for a partial segment; for a time gone by (the end of
 *            the poll) once a full segment waits for a TSO frame
 *            (cork_holds_frame).  Fires: the held bytes go (PERSIST if
 *            the window is shut), or for a full segment the whole
 *            segments.  Becomes RTO when data goes out.
 *   PROBE    a tail loss probe is due before the RTO (after RFC 8985 §7):
 *            two SRTTs without progress.  Armed instead of RTO when it is
 *            earlier; fires: one segment, then the slot is RTO again.
 *   REORDER  RACK's reordering timer (RFC 8985 §6.2 step 5, tcp_rack.c):
 *            a range sent before the last one delivered is not lost yet,
 *            only because RACK.rtt plus the reordering window has not
 *            passed since it was sent.  Armed instead of RTO when
 *            earlier; fires: RACK marks what is lost by then and
 *            recovery starts (or resends it, in the recovery under way).
 *
 * ack_timer: the delayed ACK (RFC 1122 §4.2.3.2, cfg.tcp_delack_ms); one
 *   role, no mode.  Armed by zn__tcp_schedule_ack, cancelled by any
 *   segment that carries the ACK.
 *
 * pace_timer (in the flight block, fl->pace_timer): the pacing wait
 *   (tcp_pace.c); one role, no mode.  Armed by zn__tcp_pace_hold when
 *   output stops because the next departure is more than a tick ahead;
 *   fires: output.  Stopped with the others, and when the block goes
 *   back (tcp_flight.c).
 *
 * misc_timer, mode enum zn__tcp_misc_mode:
 *   KEEPALIVE   ESTABLISHED, CLOSE_WAIT, or FIN_WAIT_2 after a shutdown,
 *               with keepalive on (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6).
 *               Armed by zn__tcp_arm_keepalive (and _at_establish at
 *               the end of the handshake); fires: wait more if a
 *               segment came meanwhile, else a probe <SEQ=SND.NXT-1>, or
 *               after ka_count unanswered (with user_timeout_ms: that
 *               long after the last segment received) give up
 *               (T_GIVEUP).
 *   FIN_WAIT_2  the application closed and the peer's FIN is awaited
 *               (cfg.tcp_fw2_ms, as Linux tcp_fin_timeout).  Armed by
 *               zn__tcp_arm_fw2; fires: T_FW2 (RST, delete the TCB).
 *   TIME_WAIT   2 MSL (RFC 9293 §3.10.8).  Armed by zn__tcp_arm_2msl on
 *               entering TIME_WAIT and on a retransmitted FIN; fires:
 *               T_2MSL (delete the TCB).
 * The slot is replaced when the state moves on (FIN_WAIT_2 to TIME_WAIT);
 * a mode whose state has passed (keepalive after a close) fires as a
 * no-op.  Every slot is cancelled when the connection reaches CLOSED.
 */
enum zn__tcp_rtx_mode {
  ZN__TCP_RTX_OFF = 0,
  ZN__TCP_RTX_SYN,
  ZN__TCP_RTX_RTO,
  ZN__TCP_RTX_PERSIST,
  ZN__TCP_RTX_CORK,            /* next to PERSIST: output tests both */
  ZN__TCP_RTX_PROBE,
  ZN__TCP_RTX_REORDER
};

enum zn__tcp_misc_mode {
  ZN__TCP_MISC_OFF = 0,
  ZN__TCP_MISC_KEEPALIVE,
  ZN__TCP_MISC_FIN_WAIT_2,
  ZN__TCP_MISC_TIME_WAIT
};

/* The connection's flags, in groups, each its own field of struct
 * zn_tcp_conn (the timers' roles are their modes, above). */

/* c->flags: protocol state beside the RFC state. */
enum {
  ZN__TCPF_PASSIVE = 1u << 0,      /* created by a listener */
  ZN__TCPF_COOKIE = 1u << 1,       /* made from a SYN cookie */
  ZN__TCPF_SYN_UNACKED = 1u << 2,  /* our SYN is not acknowledged yet */
  ZN__TCPF_FIN_QUEUED = 1u << 3,   /* send FIN after queued data */
  ZN__TCPF_FIN_SENT = 1u << 4,
  ZN__TCPF_FIN_RCVD = 1u << 5,     /* the peer's FIN is in rcv_nxt */
  ZN__TCPF_NODELAY = 1u << 6,
  ZN__TCPF_ACK_NOW = 1u << 7,      /* send an ACK at the next output */
  ZN__TCPF_TIMING = 1u << 8,       /* an RTT sample is being timed */
  ZN__TCPF_IN_RECOVERY = 1u << 9,
  ZN__TCPF_RTO_RECOVERY = 1u << 10, /* retransmitting after an RTO */
  ZN__TCPF_PROBE_SENT = 1u << 11,  /* a loss probe went out; next is the RTO */
  ZN__TCPF_TLP_RTX = 1u << 12,     /* the probe resent data (tlp_high) */
  ZN__TCPF_DSACK = 1u << 13,       /* dsack_left..right goes in the next ACK */
  ZN__TCPF_UNDO_DSACK = 1u << 14,  /* a loss reduction may prove needless
                                      by D-SACKs (undo_rtx, undo_dsacked) */
};

/* c->undo_ts: where the timestamp test of a loss reduction stands (RFC
 * 3522, tcp_ack.c).  It asks about the first byte unacknowledged at the
 * reduction (undo_seq): only once that byte went again after the
 * reduction does the first ACK past it tell, by the TSval it echoes,
 * which copy reached the receiver first. */
enum zn__tcp_undo_ts {
  ZN__TCP_UNDO_TS_OFF,   /* no test: no timestamps, or decided */
  ZN__TCP_UNDO_TS_HEAD,  /* a reduction: waiting for undo_seq to go again */
  ZN__TCP_UNDO_TS_ARMED, /* it went again with TSval undo_tsval: the first
                            ACK past undo_seq decides */
};

/* c->life: the handle's life outside the protocol. */
enum {
  ZN__TCPL_USER_CLOSED = 1u << 0,  /* zn_tcp_close/abort called */
  ZN__TCPL_SHUT_WR = 1u << 1,      /* zn_tcp_shutdown called */
  ZN__TCPL_IN_ACCEPTQ = 1u << 2,   /* on its listener's accept queue */
  ZN__TCPL_REAP = 1u << 3,         /* on the reap list */
  ZN__TCPL_ZOMBIE = 1u << 4,       /* reached CLOSED; waiting to be freed */
  ZN__TCPL_KEEP_RCVQ = 1u << 5,    /* what was received outlives a reset
                                      (zn_tcp_opts.keep_after_reset) */
};

/* c->notify: callbacks pending or already given (zn__tcp_deliver). */
enum {
  ZN__TCPN_NOTIFY_READ = 1u << 0,
  ZN__TCPN_WANT_WRITABLE = 1u << 1, /* a write fell short */
  ZN__TCPN_CONNECTED_NOTIFY = 1u << 2,
  ZN__TCPN_ERR_NOTIFIED = 1u << 3,
  ZN__TCPN_CLOSED_NOTIFIED = 1u << 4,
};

/* c->ecn: Explicit Congestion Notification (RFC 3168, tcp_ecn.c).  ASKED,
 * PLAIN and OK are the handshake's (§6.1.1), ECHO the receiver's (§6.1.3),
 * CWR and CUT the sender's (§6.1.2).  New data goes out ECT(0) when OK is
 * set and PLAIN is not (zn__tcp_ecn_sending). */
enum {
  ZN__TCPE_ASKED = 1u << 0,  /* an ECN-setup SYN of ours went out */
  ZN__TCPE_PLAIN = 1u << 1,  /* ... and then a SYN without ECN setup: we
                                may never set ECT */
  ZN__TCPE_OK = 1u << 2,     /* ECN agreed: our SYN-ACKs carry ECE, CE is
                                echoed, ECE is answered */
  ZN__TCPE_ECHO = 1u << 3,   /* CE arrived: ECE on every ACK until a CWR */
  ZN__TCPE_CWR = 1u << 4,    /* the window was cut: CWR on the next new
                                data segment */
  ZN__TCPE_CUT = 1u << 5,    /* the window was cut with ecn_high = SND.MAX:
                                no ECE cuts it again until an ACK passes
                                ecn_high, and no loss below it does */
};

/* c->app: the application's settings that are not the protocol's (the
 * others are fields: tos, ttl, user_timeout_ms, the ka_*; NODELAY is a
 * flag of Nagle's, in c->flags). */
enum {
  ZN__TCPA_CORK = 1u << 0,     /* TCP_CORK: hold partial segments */
  ZN__TCPA_CORK_DUE = 1u << 1, /* (while the CORK timer's output
                                  runs) the full segments held for a
                                  TSO frame go, a partial one stays */
};

/* How long CORK holds a partial segment with nothing in flight at most
 * (Linux's documented ceiling). */
#define ZN__TCP_CORK_MS 200u

/* c->mem: the stack-wide memory bound's marks on c (tcp_mem.c). */
enum {
  ZN__TCPM_MEM_WAIT = 1u << 0,     /* a write met the stack-wide bound */
  ZN__TCPM_RCV_CLAMPED = 1u << 1,  /* window held shut by the bound */
  ZN__TCPM_FLIGHT_WAIT = 1u << 2,  /* waits for a flight block (on the
                                      wait list, tcp_flight.c) */
};

/* SACKed ranges the scoreboard keeps (cfg.tcp_sack_ranges; 0: these).
 * Beyond, it forgets the lowest, and the data under them reads as lost:
 * it goes again though the peer has it.  A window of thousands of
 * segments at 1% loss has tens of holes: with 16 a BBR transfer to Linux
 * at 20 ms and 1% loss resent seven times what was lost (857 for 115,
 * 723 D-SACKs); with 64, 110 for 115 (7).  At 100 ms and 1% (300
 * Mbit/s, ~25 new holes a round trip, each open two or three) 64 were
 * too few once the transmit map stopped keeping delivered ranges apart:
 * 7.6% of the segments resent against Linux BBR's 1.0%; with 128,
 * 0.95%.  With 32 MiB in flight at 100 ms and 1%, 128 overflowed in
 * turn (4.93% resent, one round 22,071 D-SACKs for 27,595 resends):
 * a stack whose send buffer is 4 MiB or more keeps 1024.  Each range is
 * 8 bytes of every flight block. */
#define ZN__TCP_SACK_RANGES 128u
#define ZN__TCP_SACK_RANGES_BULK 1024u
#define ZN__TCP_SACK_RANGES_MAX 4096u
/* The send buffer from which a stack is taken for a bulk sender. */
#define ZN__TCP_SACK_BULK_SNDBUF (4u << 20)

/* A flight block (tcp_flight.c): the SACK scoreboard's ranges, the
 * transmit map's and pacing's schedule, needed only while a connection
 * has data or a FIN in flight or waiting.  A connection takes one from
 * the stack's pool before it sends data (or its FIN) and gives it back
 * when the peer has acknowledged everything it sent and nothing more
 * waits; an idle connection holds none.  Read only below the
 * connection's counts (nsacked, nxmap), which are 0 whenever it holds
 * none. */
struct zn__tcp_flight {
  struct zn__tcp_flight *next_free;
  struct zn_tcp_conn *owner;   /* while lent */
  /* Pacing (tcp_pace.c): the next send's earliest departure (ns), and
   * the timer of a wait for it.  A connection paces only while it sends,
   * and sends only with a block. */
  uint64_t pace_next;
  struct zn_timer pace_timer;
  struct zn__tcp_xmit xmap[ZN__TCP_XMAP];
  struct zn__tcp_sack_block *sacked; /* the stack's sack_ranges of them */
};

struct zn_tcp_conn {
  struct zn_stack *st;
  struct zn__tcp *tcp;         /* ZN__MOD(st, tcp), kept: one load from a
                                  connection, as when the stack held it */
  uint8_t state;               /* enum zn_tcp_state */
  uint8_t cc_algo;
  uint16_t in_cb;              /* callbacks running */
  uint16_t flags;              /* ZN__TCPF_*: protocol state */
  uint8_t life;                /* ZN__TCPL_*: the handle's life */
  uint8_t notify;              /* ZN__TCPN_*: callbacks pending/given */
  int err;                     /* sticky failure, 0 if none */
  int soft_err;                /* ICMP soft error, reported on timeout */
  uint8_t rtx_mode;            /* enum zn__tcp_rtx_mode: rtx_timer's role */
  uint8_t hashed;              /* ZN__TCP_HASHED_*: which table holds it */
  uint8_t misc_mode;           /* enum zn__tcp_misc_mode: misc_timer's role */
  uint8_t mem;                 /* ZN__TCPM_*: memory bound marks */

  /* Identity and lookup. */
  struct zn_ip laddr, raddr; /* listener laddr: ZN_AF_NONE any address of
                                either family, 0.0.0.0 any IPv4 address */
  uint16_t lport, rport;
  uint16_t ip_id;              /* the IPv4 ID of our next segment (RFC 6864
                                  §4.1: DF, atomic), seeded when the tuple
                                  is hashed (zn__tcp_hash_in; in padding) */
  uint32_t psum;               /* pseudo-header sum of the 4-tuple with
                                  length 0 (add the length): set when the
                                  tuple is hashed, zn__tcp_hash_in */
  struct zn_tcp_conn *hnext;   /* hash chain */
  struct zn_tcp_conn *next;    /* free list, accept queue, reap list */

  /* Application side. */
  struct zn_tcp_callbacks cb;
  void *arg;
  void *userdata;

  /* Listener (LISTEN) and its children. */
  struct zn_tcp_conn *parent;  /* listener of a passive child */
  struct zn_tcp_conn *acq_head, *acq_tail; /* accept queue */
  uint32_t acq_len, backlog, synq_len;
  bool held; /* a listener taking no connection (zn_tcp_set_held) */

  /* Send sequence space (§3.3.1). */
  uint32_t iss, snd_una, snd_nxt, snd_max;
  uint32_t snd_wnd;            /* peer's window, scaled, bytes */
  uint32_t snd_sml;            /* end of the last small segment sent */
  uint32_t fin_seq;            /* our FIN's one sequence number, once queued */
  uint32_t max_snd_wnd;        /* largest seen (RFC 5961 §5.2) */
  uint32_t snd_wl1, snd_wl2;
  uint32_t recover;            /* NewReno / SACK recovery point */
  uint32_t rtx_next;           /* next byte to retransmit in recovery */
  uint32_t dupacks;
  uint32_t tlp_high;            /* snd_max when a loss probe resent data */
  /* Undoing a needless reduction (RFC 3522, RFC 3708, tcp_ack.c): the
   * window and threshold before it, our TSval when it came, the first
   * byte resent; the bytes resent since, and of them those D-SACKed. */
  uint32_t prior_cwnd, prior_ssthresh, undo_tsval, undo_seq;
  uint32_t undo_rtx, undo_dsacked;
  uint8_t undo_ts;             /* enum zn__tcp_undo_ts: the RFC 3522 test */
  /* Proportional rate reduction (RFC 6937) in SACK recovery: bytes
   * delivered to the peer and sent by us since it began, and the flight
   * when it began (RecoverFS). */
  uint32_t prr_delivered, prr_out, recover_fs;
  /* Receive sequence space. */
  uint32_t irs, rcv_nxt;
  uint32_t dsack_left, dsack_right; /* a duplicate to report (RFC 2883) */
  uint32_t rcv_adv;            /* right edge advertised (rcv_nxt + wnd) */
  uint32_t rcvbuf;             /* receive buffer bound, bytes */
  uint32_t sndbuf;             /* send buffer bound, bytes */

  /* Options agreed. */
  uint16_t mss;                /* what we send per segment */
  uint16_t seg_size;           /* zn__tcp_seg_size(), kept by zn__tcp_set_mss */
  uint16_t peer_mss;
  uint8_t snd_wscale, rcv_wscale;
  bool wscale_ok, ts_ok, sack_ok;
  uint8_t ecn;                 /* ZN__TCPE_*: ECN state (in padding) */
  uint16_t mtu_epoch;          /* zn__af_mtu_epoch when the MSS last
                                  followed the path MTU (in padding) */
  uint16_t mss_full;           /* the MSS before a black hole lowered it
                                  (0: not lowered) */
  uint16_t bh_probe_len;       /* a full-sized probe out since then:
                                  its length (0: none) */
  uint8_t tos;                 /* our segments' DSCP bits (zn_tcp_set_tos;
                                  ECN's are ecn's), and */
  uint8_t ttl;                 /* TTL or hop limit (0: the stack's); in
                                  what was padding */
  uint32_t bh_probe_seq;       /* and its first byte */
  uint64_t bh_probe_at;        /* ns: no probe before this */
  uint32_t ts_recent;          /* RFC 7323 TS.Recent */
  uint64_t ts_recent_stamp;    /* ns when it was taken (PAWS 24 days) */
  uint32_t ts_offset;          /* our per-connection TSval offset */
  uint32_t last_ack_sent;
  uint32_t syn_tsval;          /* TSval for our SYN-ACK (cookies), or 0 */
  uint32_t hash;               /* its bucket's hash while hashed (kept here,
                                  in what was padding, not by the tuple:
                                  the struct stays the same size) */

  /* Send buffer: chunks linked through b->next (sndq, below). */
  uint32_t snd_head_off;       /* bytes of the first chunk already acked */
  uint32_t snd_queued;         /* bytes in sndq (from snd_una) */
  uint32_t nrefs;              /* write_ref chunks pending */
  uint32_t uto_since_ms;       /* ms (mod 2^32): when what the RTO or the
                                  window probes wait on began waiting, for
                                  user_timeout_ms (set at their first
                                  expiry; in what was padding) */
  struct zn_buf *tx_chunk;     /* cursor: a chunk of sndq ... */
  uint32_t tx_seq;             /* ... and the sequence of its first byte */
  uint32_t ecn_high;           /* SND.MAX at the last window cut (ECN,
                                  ZN__TCPE_CUT; here, in what was padding:
                                  the struct keeps its size) */

  /* Receive buffer (rcvq and ooo, below). */
  uint32_t rcvq_bytes;
  uint32_t mem_charged;        /* buffers counted in ZN__MOD(st, tcp)->mem_bufs */
  uint32_t rcv_charged;        /* of which receive queues (mem_rcv) */
  uint32_t adv_charged;        /* window promised beyond rcv_nxt (promised) */

  /* The flight block while data or a FIN is in flight (NULL: none),
   * and the next connection waiting for one (tcp_flight.c). */
  struct zn__tcp_flight *fl;
  struct zn_tcp_conn *fl_wnext;

  /* SACK scoreboard (RFC 6675): SACKed ranges above snd_una, sorted
   * (fl->sacked[]). */
  uint16_t nsacked;
  uint32_t sacked_bytes;
  uint32_t high_sacked;        /* highest SACKed sequence + 1 */

  /* RACK (RFC 8985, tcp_rack.c): when each range of [snd_una, snd_max)
   * was last sent, and the most recently sent of what was delivered
   * (fl->xmap[]). */
  uint8_t nxmap;
  uint8_t rack_flags;          /* ZN__RACK_* */
  uint8_t reo_wnd_mult;        /* reordering window, in min_rtt/4 */
  uint8_t reo_wnd_persist;     /* recoveries left before it resets */
  uint32_t xmap_una;           /* where xmap[0] begins */
  uint32_t xmit_order;         /* sends so far: orders sends in one tick */
  uint32_t rack_order;         /* RACK.xmit_ts as an order of sends, */
  uint32_t rack_ts;            /* ... and as a time, us */
  uint32_t rack_end;           /* RACK.end_seq */
  uint32_t rack_rtt_us;        /* RACK.rtt */
  uint32_t rack_fack;          /* highest sequence delivered + 1 */
  uint32_t rack_min_rtt_us;    /* lowest RTT seen (0: none) */
  uint32_t rack_dsack_round;   /* snd_max at the last D-SACK counted */

  /* Delivery rate (tcp_rate.c); pacing's schedule is the flight
   * block's. */
  struct zn__tcp_rate rate;

  /* Congestion control and RTT (RFC 6298). */
  struct zn__tcp_cc cc;
  uint32_t srtt_us, rttvar_us; /* 0: no sample yet */
  uint32_t rto_ms;
  uint32_t rtt_seq;            /* sequence being timed (no timestamps) */
  uint64_t rtt_start;          /* ns */
  uint8_t rtx_count;           /* consecutive RTO backoffs */
  uint8_t persist_backoff;
  uint8_t probes_out;          /* window probes no ACK has answered */
  uint8_t ka_probes;

  /* Delayed ACK. */
  uint8_t segs_unacked;        /* full segments received since our ACK */
  uint8_t tlp_sent;            /* loss probes sent since the last progress */
  uint8_t bh_fails;            /* black-hole probes lost in a row */
  uint8_t app;                 /* ZN__TCPA_*: settings (in padding) */
  uint16_t rcv_mss;            /* a full segment from the peer (0: mss) */
  uint16_t rcv_last_len;       /* the length of its last data segment */
  uint32_t quickacks;          /* in-order segments still ACKed at once */

  /* Keepalive, and TCP_USER_TIMEOUT (0: off; in what was padding). */
  uint32_t ka_idle_ms, ka_intvl_ms, ka_count;
  uint32_t user_timeout_ms;
  uint64_t last_rcv;           /* ns: last segment received */
  uint64_t last_snd;           /* ns: last data sent (0: none yet) */

  /* Statistics. */
  uint64_t bytes_sent, bytes_acked, bytes_received;
  uint32_t retransmits, fast_retransmits, rto_timeouts; /* (32 bits, as
                                  Linux's tcpi_total_retrans: they wrap) */

  /* IPv4's route for our segments, filled by the first that goes straight
   * to a resolved neighbour (a freed slot's is empty: cleared). */
  struct zn__ip_path path;

  /* The tail a freed slot does not clear (ZN__TCP_CONN_CLEARED), half
   * the struct.  First what zn__tcp_alloc sets up whatever a freed slot
   * held: the queues (free_slot leaves them empty) and the timers (it
   * leaves them stopped).  No padding between them: a reused slot is
   * byte for byte a fresh one (test_tcp_lookup.c,
   * test_freed_slot_leaks_nothing). */
  struct zn_bufq sndq;         /* send buffer */
  struct zn_bufq rcvq;         /* in order, data at payload */
  struct zn__tcp_ooo ooo;      /* out of order */
  /* Timers (their roles: enum zn__tcp_rtx_mode and zn__tcp_misc_mode). */
  struct zn_timer rtx_timer;   /* SYN, RTO, persist, loss probe, reorder */
  struct zn_timer ack_timer;   /* delayed ACK */
  struct zn_timer misc_timer;  /* keepalive, FIN_WAIT_2, TIME_WAIT */
};

/* The bytes of a free slot that are zero (free_slot, tcp.c); the rest is
 * set up by zn__tcp_alloc. */
#define ZN__TCP_CONN_CLEARED offsetof(struct zn_tcp_conn, sndq)

/* The connection table and lookup structures of one stack. */
struct zn__tcp_tw;

struct zn__tcp {
  struct zn_tcp_conn *conns;   /* nslots: cfg.tcp_conns and a spare */
  struct zn_flow_hooks flow_hooks; /* zn_tcp_set_flow_hooks */
  uint32_t nslots;
  uint32_t sack_ranges;        /* each flight block's scoreboard */
  struct zn_tcp_conn **bucket; /* established/embryonic, by 4-tuple */
  uint32_t nbuckets;
  struct zn_tcp_conn **lbucket; /* listeners, by local port */
  uint32_t nlbuckets;
  struct zn_tcp_conn *free;
  struct zn_tcp_conn *reap;    /* to free at the end of the poll */
  /* Flight blocks (tcp_flight.c): the pool's free list and size, how
   * many are free, and the connections waiting for one, in order. */
  struct zn__tcp_flight *fl_free;
  uint32_t fl_count, fl_nfree;
  struct zn_tcp_conn *fl_whead, *fl_wtail;
  /* Model blocks (tcp_model.c): BBR's state, lent for a connection's life. */
  union zn__tcp_model_slot *model_free;
  uint32_t model_count, model_nfree;
  /* TIME_WAIT records (tcp_tw.c): the pool, its hash by 4-tuple, the
   * free list, and the queue by expiry with its timer; links are
   * indices + 1. */
  struct zn__tcp_tw *tw;
  uint32_t *tw_bucket;
  uint32_t tw_nbuckets, tw_count, tw_used, tw_free;
  uint32_t tw_head[2], tw_tail[2]; /* TIME_WAIT's, FIN_WAIT_2's */
  struct zn_timer tw_timer;
  uint32_t nused;
  uint32_t ntimewait;          /* slots in TIME_WAIT (not the records) */
  /* Buffers held by every connection's queues, of them by receive queues
   * (in order and out of order), and the bound on all (cfg.tcp_mem_bufs);
   * mem_wait: a write was refused for it. */
  uint32_t mem_bufs, mem_rcv, mem_limit;
  uint32_t nrcv;               /* connections holding received data */
  uint32_t nmem;               /* connections holding any buffers */
  uint64_t promised;           /* window bytes offered and not yet received */
  uint32_t npromised;          /* connections with such a window */
  bool mem_wait;
  bool rcv_clamped;            /* a window was held shut for the bound */
  uint32_t scan_rcv;           /* mem_rcv and promised when the shut */
  uint64_t scan_promised;      /* windows were last looked at */
  /* RFC 5961 §7 challenge ACK limit (per stack, per second). */
  uint64_t chack_window;       /* ns start of the current second */
  uint32_t chack_count;
  /* Set while a TIME_WAIT connection hands a SYN to its listener: the
   * new incarnation's ISS must lie beyond the old one's (RFC 6191). */
  uint32_t reopen_iss_floor;
  bool reopen;
  /* Lookup caches (tcp.c).  last: the connection zn__tcp_lookup found
   * last, NULL once anything is hashed in or it is hashed out or freed;
   * always compared on the whole 4-tuple.  The memos remember the last
   * 4-tuple's and the last listening port's keyed hashes (functions of
   * their input under the stack's fixed key: never stale), so one
   * segment's or one connection's repeated lookups hash once. */
  struct zn_tcp_conn *last;
  uint64_t memo_hash;
  struct zn_ip memo_laddr, memo_raddr;
  uint16_t memo_lport, memo_rport;
  bool memo_ok;
  bool lmemo_ok;
  uint16_t lmemo_port;
  uint32_t lmemo_hash;
};

/* zn_tcp_conn.hashed */
enum { ZN__TCP_HASHED_NONE = 0, ZN__TCP_HASHED_CONN, ZN__TCP_HASHED_LISTEN };

/* ---- calls between the files ---- */

/* tcp.c */
size_t zn__tcp_mem_size(const struct zn_config *cfg);
void zn__tcp_init(struct zn_stack *st, void **mem);
void zn__tcp_destroy(struct zn_stack *st);
/* addr is no longer ours: every connection bound to it fails with
 * ZN_EADDRNOTAVAIL (no RST: it could not be sent from that address). */
void zn__tcp_addr_removed(struct zn_stack *st, const struct zn_ip *addr);
/* Free connections that reached CLOSED (end of every poll). */
void zn__tcp_reap(struct zn_stack *st);
/* A free slot, NULL with tcp_table_full counted when cfg.tcp_conns are in
 * use; _spare: the spare slot too (a saved TIME_WAIT's segment). */
struct zn_tcp_conn *zn__tcp_alloc(struct zn_stack *st);
struct zn_tcp_conn *zn__tcp_alloc_spare(struct zn_stack *st);
/* c, in TIME_WAIT and no application's, into a record (tcp_tw.c) and
 * its slot freed; else nothing. */
void zn__tcp_timewait_compact(struct zn_tcp_conn *c);
/* The least power of two >= n (tables' bucket counts). */
static inline uint32_t zn__tcp_pow2_at_least(uint32_t n) {
  uint32_t b = 1;
  while (b < n)
    b <<= 1;
  return b;
}
/* Is a's 4-tuple this one?  (Ports first: they differ most often.) */
static inline bool zn__tcp_tuple_is(const struct zn_ip *a_laddr,
                                    uint16_t a_lport,
                                    const struct zn_ip *a_raddr,
                                    uint16_t a_rport, const struct zn_ip *laddr,
                                    uint16_t lport, const struct zn_ip *raddr,
                                    uint16_t rport) {
  return a_lport == lport && a_rport == rport && zn__inet_eq(a_raddr, raddr) &&
         zn__inet_eq(a_laddr, laddr);
}
/* A 4-tuple's table hash (its chain's; never seen outside). */
uint32_t zn__tcp_tuple_hash(struct zn_stack *st, const struct zn_ip *laddr,
                            uint16_t lport, const struct zn_ip *raddr,
                            uint16_t rport);
void zn__tcp_hash_in(struct zn_tcp_conn *c);
void zn__tcp_hash_out(struct zn_tcp_conn *c);
struct zn_tcp_conn *zn__tcp_lookup(struct zn_stack *st,
                                   const struct zn_ip *laddr, uint16_t lport,
                                   const struct zn_ip *raddr, uint16_t rport);
/* The listener for a segment to laddr:lport: one bound to laddr itself,
 * else one bound to its family's unspecified address (0.0.0.0), else one
 * bound to any address of either family. */
struct zn_tcp_conn *zn__tcp_lookup_listener(struct zn_stack *st,
                                            const struct zn_ip *laddr,
                                            uint16_t lport);
/* The connection reached CLOSED: unhook it, notify, free later. */
void zn__tcp_closed(struct zn_tcp_conn *c);
/* Notifications, deferred-safe (never re-entering the app from an API
 * call): they only run from within zn_stack_poll. */
void zn__tcp_notify_error(struct zn_tcp_conn *c, int err);
void zn__tcp_notify_readable(struct zn_tcp_conn *c);
void zn__tcp_notify_connected(struct zn_tcp_conn *c);
void zn__tcp_notify_accept(struct zn_tcp_conn *listener);
/* Run the callbacks that processing left pending. */
void zn__tcp_deliver(struct zn_tcp_conn *c);
/* Queue c for on_closed / freeing at the end of the poll. */
void zn__tcp_reap_add(struct zn_tcp_conn *c);
/* Start congestion control with the RFC 6928 initial window. */
void zn__tcp_cc_start(struct zn_tcp_conn *c);
/* The initial window, RFC 6928 (also RFC 5681 §4.1's restart window). */
uint32_t zn__tcp_initial_window(const struct zn_tcp_conn *c);
void zn__tcp_release_all(struct zn_tcp_conn *c);
/* The MSS toward raddr, RFC 879's peer MSS until the SYN says, the
 * initial RTO (zn__tcp_conn_setup's first step; tcp_tw.c's too). */
void zn__tcp_path_setup(struct zn_tcp_conn *c);
/* Choose options and windows for a new connection. */
void zn__tcp_conn_setup(struct zn_tcp_conn *c);
/* A listener's child x takes l's settings (before zn__tcp_conn_setup:
 * its window scale follows the rcvbuf it inherits). */
void zn__tcp_inherit(struct zn_tcp_conn *x, const struct zn_tcp_conn *l);
/* The bound on a buffer setting (cfg.tcp_sndbuf, zn_tcp_opts.rcvbuf...),
 * and keepalive's defaults for an interval or a count given as 0. */
#define ZN__TCP_BUF_MAX (1u << 30)
#define ZN__TCP_KA_INTVL_MS 75000u
#define ZN__TCP_KA_COUNT 9u
/* Parts of it for the SYN-cookie path, which keeps no connection: our
 * MSS, our window scale for a receive buffer (its TSval offset:
 * zn__tcp_ts_offset, tcp_isn.h). */
uint16_t zn__tcp_our_mss(struct zn_stack *st, const struct zn_ip *dst);
uint8_t zn__tcp_wscale_for(uint32_t rcvbuf);
bool zn__tcp_chack_allowed(struct zn_stack *st);

/* The app holds a handle to c: connections it opened, listeners, and
 * accepted children; not children still waiting in a queue. */
static inline bool zn__tcp_app_owned(const struct zn_tcp_conn *c) {
  return !(c->flags & ZN__TCPF_PASSIVE) || !c->parent;
}

/* tcp_mem.c: the stack-wide bound on TCP's queued buffers. */
/* Set ZN__MOD(st, tcp)->mem_limit from the configuration. */
/* The buffers all TCP queues may hold (mem_limit) for a configuration. */
uint32_t zn__tcp_mem_bound(const struct zn_config *cfg);
void zn__tcp_mem_init(struct zn_stack *st);
/* The window c has open to the peer, while the peer may send into it
 * (not a half-open connection's: a SYN flood's would hold the windows of
 * real ones shut for minutes; whatever data comes with the handshake's
 * last ACK is held, or dropped and counted, as any). */
static inline uint32_t zn__tcp_adv_open(const struct zn_tcp_conn *c) {
  if ((c->state == ZN_TCP_ESTABLISHED || c->state == ZN_TCP_FIN_WAIT_1 ||
       c->state == ZN_TCP_FIN_WAIT_2) &&
      !(c->flags & ZN__TCPF_FIN_RCVD) && zn__seq_gt(c->rcv_adv, c->rcv_nxt))
    return c->rcv_adv - c->rcv_nxt;
  return 0;
}
/* Charge the stack's sums with what c's queues hold now (rcv: of it, the
 * receive queues' buffers), or with the window it holds open now (adv,
 * zn__tcp_adv_open). */
void zn__tcp_mem_charge_bufs(struct zn_tcp_conn *c, uint32_t rcv);
void zn__tcp_mem_charge_adv(struct zn_tcp_conn *c, uint32_t adv);
/* Bring st->tcp's sums up to date with what c's queues and window hold.
 * (Inline: every delivery, ACK sent and ACK received asks, and most find
 * nothing changed; what changes is most often the one or the other.) */
static inline void zn__tcp_mem_sync(struct zn_tcp_conn *c) {
  uint32_t rcv = c->rcvq.count + c->ooo.nbufs;
  if (c->sndq.count + rcv != c->mem_charged || rcv != c->rcv_charged)
    zn__tcp_mem_charge_bufs(c, rcv);
  uint32_t adv = zn__tcp_adv_open(c);
  if (adv != c->adv_charged)
    zn__tcp_mem_charge_adv(c, adv);
}
/* Is the stack-wide bound on TCP queue buffers reached (for receive
 * queues: their share of it)? */
bool zn__tcp_mem_full(const struct zn_stack *st);
bool zn__tcp_mem_rcv_full(const struct zn_stack *st);
/* Does c hold its share of the bound, of receive (rcv) or send buffers,
 * under pressure? */
bool zn__tcp_over_share(const struct zn_tcp_conn *c, bool rcv);
/* A write was refused for the bound: c hears on_writable when it eases. */
void zn__tcp_mem_wait(struct zn_tcp_conn *c);
/* End of poll: wake refused writers, reopen windows held shut; to call
 * only when zn__tcp_mem_wake_due (every poll asks, and only a writer
 * waiting or a window held shut makes work). */
void zn__tcp_mem_wake(struct zn_stack *st);
static inline bool zn__tcp_mem_wake_due(const struct zn__tcp *t) {
  return t->mem_wait || t->rcv_clamped;
}
/* The window a connection may offer under the bound, in bytes, but at
 * most want (min(share, want): the share itself is worked out, with a
 * division, only when it is below want), for a connection that holds
 * none yet (_new), whose segments carry seg_size bytes; _of: the rule
 * itself, for t's sums, a connection whose window holds adv_charged
 * bytes open.  A connection's own window within its share is
 * zn__tcp_rcv_wnd (also in tcp_mem.c). */
uint32_t zn__tcp_rcv_share_new(const struct zn_stack *st, uint32_t seg_size,
                               uint32_t want);
uint32_t zn__tcp_rcv_share_of(const struct zn__tcp *t, uint32_t seg_size,
                              uint32_t adv_charged, uint32_t want);
/* The receive window c offers now, in bytes. */
uint32_t zn__tcp_rcv_wnd(const struct zn_tcp_conn *c);
/* Buffer storage c's out-of-order queue may hold. */
uint32_t zn__tcp_ooo_mem_max(const struct zn_tcp_conn *c);

/* tcp_fsm (generated) */
void zn__tcp_fsm(struct zn_tcp_conn *c, enum zn__tcp_event ev,
                 struct zn__tcp_seg *seg);
const char *zn__tcp_event_name(int ev);

/* tcp_in.c */
void zn__tcp_input(struct zn_stack *st, struct zn_buf *b,
                   const struct zn__inet_meta *m);
void zn__tcp_icmp_err(struct zn_stack *st, const struct zn__inet_err *e);
/* The options a SYN's offer and our configuration agree on. */
struct zn__tcp_syn_agreed {
  uint16_t peer_mss;          /* the peer's MSS (64 at least, 536 if none) */
  uint8_t snd_wscale;         /* the peer's shift, if wscale_ok */
  bool wscale_ok, sack_ok, ts_ok;
};
void zn__tcp_syn_opts_agree(const struct zn_config *cfg,
                            const struct zn_tcp_seg_opts *o,
                            struct zn__tcp_syn_agreed *r);
/* Agree on a SYN's options for c (§3.7.1, RFC 7323, RFC 2018). */
void zn__tcp_apply_syn_opts(struct zn_tcp_conn *c, const struct zn__tcp_seg *s);

/* tcp_in_sync.c */
/* A segment without ACK (or a SYN+FIN) is dropped, counted: S_NOACK. */
void zn__tcp_input_noack(struct zn_tcp_conn *c, struct zn__tcp_seg *s);
/* The synchronized-state procedure (§3.10.7.4) for one segment. */
void zn__tcp_input_sync(struct zn_tcp_conn *c, struct zn__tcp_seg *s);
/* §3.10.7.3: text or a FIN on the SYN-ACK that established c, processed
 * from the sixth step on. */
void zn__tcp_synack_text(struct zn_tcp_conn *c, struct zn__tcp_seg *s);

/* tcp_ack.c */
/* §3.10.7.4 fifth check: an acceptable ACK (SND.UNA =< SEG.ACK =< SND.MAX)
 * updates the send window, the SACK scoreboard, RTT, cwnd, recovery. */
void zn__tcp_process_ack(struct zn_tcp_conn *c, const struct zn__tcp_seg *s);

/* tcp_out.c */
/* Send what the windows, Nagle and timers allow, and any ACK owed. */
void zn__tcp_output(struct zn_tcp_conn *c);
void zn__tcp_send_syn(struct zn_tcp_conn *c, bool with_ack);
void zn__tcp_send_ack(struct zn_tcp_conn *c);
/* What a SYN-ACK answering with a SYN cookie says (act_listen_syn). */
struct zn__tcp_cookie_synack {
  uint32_t iss;                /* the cookie */
  uint32_t tsval;              /* our TSval, if ts_ok */
  uint32_t rcvbuf;             /* the listener's receive buffer */
  uint16_t peer_mss;           /* the SYN's MSS (after zn__tcp_syn_opts_agree) */
  uint8_t rcv_wscale;          /* our shift, if wscale_ok */
  uint8_t tos, ttl;            /* the listener's DSCP bits and TTL */
  bool wscale_ok, sack_ok, ts_ok;
};
void zn__tcp_send_cookie_synack(struct zn_stack *st,
                                const struct zn__tcp_seg *syn,
                                const struct zn__tcp_cookie_synack *a);
/* A RST <SEQ=seq><ACK=ack><CTL=RST(+ACK if with_ack)> for a segment
 * that has no connection; src/dst as in the segment received. */
void zn__tcp_send_rst(struct zn_stack *st, const struct zn_ip *laddr,
                      uint16_t lport, const struct zn_ip *raddr,
                      uint16_t rport, uint32_t seq,
                      uint32_t ack, bool with_ack);
void zn__tcp_send_rst_conn(struct zn_tcp_conn *c);
void zn__tcp_timers_init(struct zn_tcp_conn *c);
/* Arm rtx_timer for what is outstanding: SYN in SYN_SENT/SYN_RECEIVED,
 * PERSIST again while probing, else the earliest of RTO, PROBE and
 * REORDER. */
void zn__tcp_arm_rtx(struct zn_tcp_conn *c);
/* Cancel rtx_timer (mode OFF).  (Inline: every ACK of all that was sent
 * and every close asks, and the timer is often not armed.) */
static inline void zn__tcp_rtx_stop(struct zn_tcp_conn *c) {
  c->rtx_mode = ZN__TCP_RTX_OFF;
  zn__timer_stop(c->st, &c->rtx_timer);
}
/* Stop all four timers (pacing's with a flight block).  (Inline: each
 * stop is a test when its timer is not armed, as at every slot freed
 * after zn__tcp_closed stopped them.) */
static inline void zn__tcp_timers_stop(struct zn_tcp_conn *c) {
  zn__tcp_rtx_stop(c);
  zn__timer_stop(c->st, &c->ack_timer);
  c->misc_mode = ZN__TCP_MISC_OFF;
  zn__timer_stop(c->st, &c->misc_timer);
  if (c->fl)
    zn__timer_stop(c->st, &c->fl->pace_timer);
}
void zn__tcp_schedule_ack(struct zn_tcp_conn *c, bool now);
void zn__tcp_enter_timewait(struct zn_tcp_conn *c);
/* misc_timer as TIME_WAIT: 2 MSL from now. */
void zn__tcp_arm_2msl(struct zn_tcp_conn *c);
/* misc_timer as TIME_WAIT or FIN_WAIT_2 (c's state's) until `when`
 * (ns); and when it ends (ns; now if not armed). */
void zn__tcp_misc_arm_at(struct zn_tcp_conn *c, uint64_t when);
uint64_t zn__tcp_misc_deadline(const struct zn_tcp_conn *c);
void zn__tcp_arm_fw2(struct zn_tcp_conn *c);
/* misc_timer as KEEPALIVE, in the states that keep one (else nothing). */
void zn__tcp_arm_keepalive(struct zn_tcp_conn *c);
/* The same from the two actions that establish a connection (SYN_SENT's
 * SYN-ACK, SYN_RECEIVED's ACK): they run before the chart writes
 * ESTABLISHED, so keepalive set during the handshake starts here. */
void zn__tcp_arm_keepalive_at_establish(struct zn_tcp_conn *c);
/* Start SACK/NewReno loss recovery (tcp_ack.c). */
void zn__tcp_enter_recovery(struct zn_tcp_conn *c);
/* Before a reduction for loss: what to restore if it proves needless
 * (tcp_ack.c); after another kind of reduction (ECN, a repaired loss
 * probe): nothing is to be restored any more. */
void zn__tcp_undo_save(struct zn_tcp_conn *c);
void zn__tcp_undo_forget(struct zn_tcp_conn *c);
bool zn__tcp_undo_pending(const struct zn_tcp_conn *c);
void zn__tcp_undo_resent(struct zn_tcp_conn *c, uint32_t seq, uint32_t used,
                         uint32_t data);
/* Resend the first unacknowledged segment now (fast retransmit). */
void zn__tcp_retransmit_first(struct zn_tcp_conn *c);
/* SND.UNA reached ack: a black-hole probe it covers got through, and
 * the full MSS is back (tcp_out.c). */
void zn__tcp_blackhole_acked(struct zn_tcp_conn *c, uint32_t ack);
/* RFC 6675 §4 pipe: the bytes believed in flight during recovery. */
uint32_t zn__tcp_pipe(const struct zn_tcp_conn *c);
/* The SACK scoreboard (tcp_ack.c), for output and RACK. */
bool zn__tcp_sacked(const struct zn_tcp_conn *c, uint32_t seq,
                    uint32_t *skip);
uint32_t zn__tcp_until_sacked(const struct zn_tcp_conn *c, uint32_t seq,
                              uint32_t limit);
uint32_t zn__tcp_sacked_in(const struct zn_tcp_conn *c, uint32_t lo,
                           uint32_t hi);

/* tcp_rate.c: delivery rate estimation (draft-cheng-iccrg-delivery-
 * rate-estimation), over the transmit map's ranges. */
struct zn__tcp_rate_stamp zn__tcp_rate_on_send(struct zn_tcp_conn *c,
                                               uint32_t seq, uint32_t len);
void zn__tcp_rate_on_delivered(struct zn_tcp_conn *c, struct zn__tcp_rs *rs,
                               const struct zn__tcp_xmit *x);
void zn__tcp_rate_on_lost(struct zn_tcp_conn *c, uint32_t bytes,
                          const struct zn__tcp_rate_stamp *p);
void zn__tcp_rate_sample(struct zn_tcp_conn *c, struct zn__tcp_rs *rs,
                         uint32_t delivered, uint32_t lost_before);
void zn__tcp_rate_check_app_limited(struct zn_tcp_conn *c, uint32_t unsent);
void zn__tcp_rate_cc_sample(struct zn_tcp_conn *c, const struct zn__tcp_rs *rs,
                            bool echo);

/* tcp_pace.c: pacing, for every congestion controller. */
uint64_t zn__tcp_pacing_rate(const struct zn_tcp_conn *c);
bool zn__tcp_pace_hold(struct zn_tcp_conn *c);
void zn__tcp_pace_sent(struct zn_tcp_conn *c, uint32_t len);
uint32_t zn__tcp_pace_burst(const struct zn_tcp_conn *c, uint32_t cap);
void zn__tcp_pace_timer_fn(struct zn_stack *st, struct zn_timer *t);
/* Is output waiting on its pacing timer? */
static inline bool zn__tcp_pace_pending(const struct zn_tcp_conn *c) {
  return c->fl && zn_timer_pending(&c->fl->pace_timer);
}

/* tcp_rack.c: RACK (RFC 8985) over the transmit map.  The ranges an ACK
 * delivers go to the rate estimator too (rs may be NULL: none). */
/* tcp_model.c */
union zn__tcp_model_slot;
size_t zn__tcp_model_mem_size(const struct zn_config *cfg);
void zn__tcp_model_init(struct zn_stack *st, void **mem);
bool zn__tcp_model_take(struct zn_tcp_conn *c,
                        const struct zn__tcp_cc_ops *ops);
void zn__tcp_model_give(struct zn_tcp_conn *c);

/* tcp_tw.c: TIME_WAIT records. */
size_t zn__tcp_tw_size(void);
size_t zn__tcp_tw_mem_size(const struct zn_config *cfg);
void zn__tcp_tw_init(struct zn_stack *st, void **mem);
/* Save c (in TIME_WAIT, or closed in FIN_WAIT_2) in a record; false if
 * the stack has none. */
bool zn__tcp_tw_save(struct zn_tcp_conn *c);
/* A flow of ours opened or closed, to the flow hooks (a group's flow
 * table): a connection's, or a TIME_WAIT record's at its end. */
void zn__tcp_tell_flow(struct zn__tcp *t, const struct zn_ip *raddr,
                       uint16_t rport, uint16_t lport, bool opened);
/* The saved connection of a 4-tuple back in a slot, in the state it was
 * saved in (its record freed); NULL if none is saved (or no slot is
 * free). */
struct zn_tcp_conn *zn__tcp_tw_thaw(struct zn_stack *st,
                                    const struct zn_ip *laddr, uint16_t lport,
                                    const struct zn_ip *raddr, uint16_t rport);
/* Is a 4-tuple saved in TIME_WAIT?  Is a port (on an overlapping local
 * address) held by any record? */
bool zn__tcp_tw_holds(struct zn_stack *st, const struct zn_ip *laddr,
                      uint16_t lport, const struct zn_ip *raddr,
                      uint16_t rport);
bool zn__tcp_tw_port_held(struct zn_stack *st, const struct zn_ip *addr,
                          uint16_t port);
/* The state a 4-tuple's record keeps (CLOSED: none). */
enum zn_tcp_state zn__tcp_tw_state(struct zn_stack *st,
                                   const struct zn_ip *laddr, uint16_t lport,
                                   const struct zn_ip *raddr, uint16_t rport);
/* Records in use. */
uint32_t zn__tcp_tw_used(const struct zn_stack *st);

/* tcp_flight.c */
size_t zn__tcp_flight_mem_size(const struct zn_config *cfg);
uint32_t zn__tcp_sack_ranges(const struct zn_config *cfg);
void zn__tcp_flight_init(struct zn_stack *st, void **mem);
/* Before c sends data or its FIN: does it hold a flight block, or can it
 * take one?  If not, c waits for one (zn__tcp_flight_wake sends for it
 * when one is given back) and nothing may be sent. */
static inline bool zn__tcp_flight_ready(struct zn_tcp_conn *c);
bool zn__tcp_flight_take(struct zn_tcp_conn *c);
/* Give c's block back (when nothing is in flight, or c is done) and
 * leave the wait list. */
void zn__tcp_flight_give(struct zn_tcp_conn *c);
/* The peer acknowledged everything, and nothing waits to be sent (data,
 * or a FIN): the block goes back. */
static inline void zn__tcp_flight_settled(struct zn_tcp_conn *c);
/* End of poll: connections waiting for a block send, while blocks are
 * free. */
bool zn__tcp_flight_wake_due(const struct zn__tcp *t);
void zn__tcp_flight_wake(struct zn_stack *st);

static inline bool zn__tcp_flight_ready(struct zn_tcp_conn *c) {
  return c->fl || zn__tcp_flight_take(c);
}

static inline void zn__tcp_flight_settled(struct zn_tcp_conn *c) {
  if (c->fl && c->snd_una == c->snd_max && c->snd_queued == 0 &&
      (c->flags & (ZN__TCPF_FIN_QUEUED | ZN__TCPF_FIN_SENT)) !=
          ZN__TCPF_FIN_QUEUED)
    zn__tcp_flight_give(c);
}

void zn__tcp_rack_init(struct zn_tcp_conn *c);
void zn__tcp_rack_sent(struct zn_tcp_conn *c, uint32_t seq, uint32_t len);
void zn__tcp_rack_acked(struct zn_tcp_conn *c, uint32_t old_una,
                        bool dsack, struct zn__tcp_rs *rs);
/* Its general case, for a map that is not empty (what it does when the
 * ACK covers everything sent comes to the same, with less work). */
void zn__tcp_rack_acked_ranges(struct zn_tcp_conn *c, uint32_t old_una,
                               struct zn__tcp_rs *rs);
bool zn__tcp_rack_mark_lost(struct zn_tcp_conn *c);
/* Can RACK take anything as lost now or later: has it a delivered
 * segment to go by (RACK_VALID), SACK to learn of one beyond a hole, and
 * something outstanding?  (Inline: the reordering timer is asked of at
 * every output, and nearly always this is what says no.) */
static inline bool zn__tcp_rack_may_lose(const struct zn_tcp_conn *c) {
  return (c->rack_flags & ZN__RACK_VALID) && c->sack_ok && c->nxmap != 0;
}
uint32_t zn__tcp_rack_timeout_us(const struct zn_tcp_conn *c);
bool zn__tcp_rack_next_lost(const struct zn_tcp_conn *c, uint32_t *seq,
                            uint32_t *len);
uint32_t zn__tcp_rack_lost_bytes(const struct zn_tcp_conn *c, uint32_t lo,
                                 uint32_t hi);
/* Bytes in flight sent more than once and not SACKed (zn_tcp_info). */
uint32_t zn__tcp_rack_rtx_bytes(const struct zn_tcp_conn *c);
void zn__tcp_rack_forget_lost(struct zn_tcp_conn *c);
void zn__tcp_rack_recovery_end(struct zn_tcp_conn *c);
void zn__tcp_rack_reneged(struct zn_tcp_conn *c);
void zn__tcp_rack_recover(struct zn_tcp_conn *c); /* tcp_ack.c */
uint32_t zn__tcp_ts_now(const struct zn_tcp_conn *c);
/* The send sequence space in order (RFC 9293 §3.3.1), for ZN_ASSERT:
 * SND.UNA =< SND.NXT =< SND.MAX, and nothing sent beyond the send queue
 * (and the SYN and FIN around it), so that a retransmission finds every
 * byte of [SND.UNA, SND.MAX) there.  (SND.NXT falls back to SND.UNA at an
 * RTO and SND.MAX keeps the highest sent.) */
static inline bool zn__tcp_send_space_ok(const struct zn_tcp_conn *c) {
  uint32_t end = c->snd_una + ((c->flags & ZN__TCPF_SYN_UNACKED) ? 1u : 0u) +
                 c->snd_queued + ((c->flags & ZN__TCPF_FIN_QUEUED) ? 1u : 0u);
  return zn__seq_leq(c->snd_una, c->snd_nxt) &&
         zn__seq_leq(c->snd_nxt, c->snd_max) && zn__seq_leq(c->snd_max, end);
}

/* Payload bytes of a full-sized segment: the MSS less our options.  The
 * MSS counts payload with no options (RFC 9293 §3.7.1); every segment of
 * ours carries the timestamp option once agreed.  (Inline: the output
 * path asks it many times a segment.) */
static inline uint32_t zn__tcp_seg_size(const struct zn_tcp_conn *c) {
  return c->seg_size;
}
/* Every write of mss, and of ts_ok once the MSS is set, goes through
 * here, so that seg_size follows both (the output path reads it several
 * times a segment). */
static inline void zn__tcp_set_mss(struct zn_tcp_conn *c, uint32_t mss) {
  uint32_t ts_len = c->ts_ok ? 12u : 0u;
  c->mss = (uint16_t)mss;
  c->seg_size = (uint16_t)(mss > ts_len + 8 ? mss - ts_len : 8);
}
/* The smallest MSS believed, from a peer's option or a path MTU. */
#define ZN__TCP_MIN_MSS 64
/* At most 1/ZN__TCP_TIMEWAIT_SHARE of the table in TIME_WAIT: beyond,
 * a connection entering it ends at once (zn__tcp_enter_timewait). */
#define ZN__TCP_TIMEWAIT_SHARE 2u
/* Path MTU discovery (RFC 1191, RFC 8201): lower the MSS to what a path
 * MTU of mtu carries (never below the family's minimum MTU's); true if
 * it was lowered. */
bool zn__tcp_mss_fit_mtu(struct zn_tcp_conn *c, uint32_t mtu);
/* Drop acknowledged bytes from the send queue; releases write_refs. */
void zn__tcp_sndq_ack(struct zn_tcp_conn *c, uint32_t acked);
/* RTT sample in microseconds (RFC 6298 §2). */
void zn__tcp_rtt_sample(struct zn_tcp_conn *c, uint32_t rtt_us);

/* tcp_ecn.c: ECN (RFC 3168). */
/* The ECN flags of our SYN (ECE|CWR: ECN-setup, §6.1.1), or 0; a
 * retransmission (rtx_count > 0) falls back to none (§6.1.1.1). */
uint8_t zn__tcp_ecn_syn_flags(struct zn_tcp_conn *c);
/* ... of our SYN-ACK: ECE if ECN was agreed (§6.1.1: Host B answers an
 * ECN-setup SYN with an ECN-setup SYN-ACK). */
static inline uint8_t zn__tcp_ecn_synack_flags(const struct zn_tcp_conn *c) {
  return (uint8_t)((c->ecn & ZN__TCPE_OK) ? ZN_TCP_ECE : 0);
}
/* An active open is about to send its first SYN: ask if cfg.tcp_ecn says. */
void zn__tcp_ecn_connect(struct zn_tcp_conn *c);
/* A SYN arrived (LISTEN, or SYN_SENT: simultaneous open): agree on ECN
 * if it is an ECN-setup SYN and we may. */
void zn__tcp_ecn_syn_rcvd(struct zn_tcp_conn *c, const struct zn__tcp_seg *s);
/* A SYN-ACK answered our SYN in SYN_SENT. */
void zn__tcp_ecn_synack_rcvd(struct zn_tcp_conn *c,
                             const struct zn__tcp_seg *s);
/* The handshake is over (ESTABLISHED): count an agreement. */
void zn__tcp_ecn_established(struct zn_tcp_conn *c);
/* The ECN parts of a segment we send: *flags gains ECE or CWR, and the
 * IP ECN field to send it with is returned.  len payload bytes at seq;
 * nothing is marked sent (zn__tcp_ecn_sent does, once it went out).
 * (Inline, as far as the test that a connection without ECN agreed, most
 * of them, and every SYN and RST stop at: every segment asks.) */
uint8_t zn__tcp_ecn_out_agreed(const struct zn_tcp_conn *c, uint32_t seq,
                               uint32_t len, uint8_t *flags);
static inline uint8_t zn__tcp_ecn_out(const struct zn_tcp_conn *c,
                                      uint32_t seq, uint32_t len,
                                      uint8_t *flags) {
  if (!(c->ecn & ZN__TCPE_OK) || (*flags & (ZN_TCP_SYN | ZN_TCP_RST)))
    return ZN_IP_ECN_NOT_ECT;
  return zn__tcp_ecn_out_agreed(c, seq, len, flags);
}
/* A segment went out with these flags and ECN field (nsegs segments).
 * (Inline as far as the test that it carried no ECN mark at all, ECT,
 * ECE or CWR, and there is nothing to count: most segments.) */
void zn__tcp_ecn_count_sent(struct zn_tcp_conn *c, uint8_t flags, uint8_t ecn,
                            uint32_t nsegs);
static inline void zn__tcp_ecn_sent(struct zn_tcp_conn *c, uint8_t flags,
                                    uint8_t ecn, uint32_t nsegs) {
  if (ecn != ZN_IP_ECN_NOT_ECT || (flags & (ZN_TCP_ECE | ZN_TCP_CWR)))
    zn__tcp_ecn_count_sent(c, flags, ecn, nsegs);
}
/* Is a CWR owed (so the next new data goes alone, not as a TSO frame)? */
bool zn__tcp_ecn_cwr_due(const struct zn_tcp_conn *c);
/* §6.1.3, the receiver: CWR and CE on an acceptable segment. */
void zn__tcp_ecn_rcv_marks(struct zn_tcp_conn *c, const struct zn__tcp_seg *s);
/* §6.1.2, the sender: does this ACK carry an echo (ECE) we heed? */
bool zn__tcp_ecn_echo(struct zn_tcp_conn *c, const struct zn__tcp_seg *s);
/* §6.1.2: cut the window for an echo, once per window of data; flight:
 * bytes in flight before the ACK that carried it. */
void zn__tcp_ecn_cut(struct zn_tcp_conn *c, uint32_t flight);
/* SND.UNA moved: the window of the last cut may be over. */
void zn__tcp_ecn_acked(struct zn_tcp_conn *c);
/* Was the window already cut for the data at SND.UNA (so a loss found
 * there is not answered by a second cut)? */
bool zn__tcp_ecn_window_cut(const struct zn_tcp_conn *c);
/* The window was cut (loss, timeout or echo): CWR on the next new data
 * (§6.1.2), and no echo cuts it again within this window. */
void zn__tcp_ecn_window_reduced(struct zn_tcp_conn *c);

/* tcp_act.c: the actions named in tcp_fsm.rl. */
#define ZN__TCP_ACTIONS(X)                                                    \
  X(ignore)                                                                   \
  X(impossible)                                                               \
  X(user_error)                                                               \
  X(listen)                                                                   \
  X(connect)                                                                  \
  X(close_free)                                                               \
  X(close_listener)                                                           \
  X(queue_fin)                                                                \
  X(abort)                                                                    \
  X(timeout)                                                                  \
  X(timewait_done)                                                            \
  X(fin_wait_2_timeout)                                                       \
  X(rst_for_ack)                                                              \
  X(listen_syn)                                                               \
  X(listen_ack)                                                               \
  X(synsent_synack)                                                           \
  X(simultaneous_open)                                                        \
  X(refused)                                                                  \
  X(reset)                                                                    \
  X(synrcvd_reset)                                                            \
  X(challenge_ack)                                                            \
  X(dup_ack)                                                                  \
  X(synrcvd_ack)                                                              \
  X(fin_acked)                                                                \
  X(closing_fin_acked)                                                        \
  X(last_ack_done)                                                            \
  X(fin_estab)                                                                \
  X(fin_synrcvd)                                                              \
  X(fin_fw1)                                                                  \
  X(fin_fw2)                                                                  \
  X(fin_again)                                                                \
  X(timewait_ack)                                                              \
  X(timewait_fin)                                                              \
  X(syn_reset)                                                                 \
  X(timewait_reopen)

#define ZN__TCP_ACT_DECL_(name)                                               \
  void zn__tcp_act_##name(struct zn_tcp_conn *c, struct zn__tcp_seg *seg);
ZN__TCP_ACTIONS(ZN__TCP_ACT_DECL_)
#undef ZN__TCP_ACT_DECL_

#endif
