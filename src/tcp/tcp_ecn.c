/*
 * Explicit Congestion Notification for TCP (RFC 3168 §6.1), for IPv4 and
 * IPv6 alike: the ECN field is the low two bits of the IPv4 TOS octet or
 * of the IPv6 traffic class, read into zn__tcp_seg.ecn by tcp_in.c and
 * written through zn__af_send by tcp_out.c.
 *
 *   handshake (§6.1.1)       zn__tcp_ecn_connect, _syn_flags, _syn_rcvd,
 *                            _synack_flags (tcp_int.h), _synack_rcvd,
 *                            _established
 *   data sender (§6.1.2)     _echo, _cut, _window_reduced, _window_cut,
 *                            _acked; the CWR of _out
 *   data receiver (§6.1.3)   _rcv_marks; the ECE of _out
 *   ECT (§6.1.4-§6.1.6)      _out: new data only
 *
 * (_out and _sent are inline, tcp_int.h, up to the tests that a segment
 * of a connection without ECN stops at; here, _out_agreed and
 * _count_sent.)
 *
 * State: c->ecn's bits (ZN__TCPE_*, tcp_int.h) and c->ecn_high, SND.MAX
 * when the window was last cut.  Choices where the RFC leaves one, each
 * also at its function and in docs/tcp-spec-index.md:
 *
 *  - cfg.tcp_ecn: OFF, ON (ask and answer) or PASSIVE (answer only, the
 *    default, as Linux's tcp_ecn=2 and FreeBSD's ecn.enable=2).
 *  - A retransmitted ECN-setup SYN goes without ECE and CWR from its first
 *    retransmission (§6.1.1.1 allows one or more ECN-setup retries first;
 *    Linux's tcp_ecn_fallback does the same).  Having sent a
 *    non-ECN-setup SYN, the host never sets ECT; should an ECN-setup
 *    SYN-ACK answer the first SYN all the same, it still echoes CE, as
 *    §6.1.1 obliges (PLAIN beside OK).
 *  - A listener answers the peer's SYN as it last came: a retransmitted
 *    SYN without ECN setup (the peer fell back) withdraws the agreement,
 *    and the SYN-ACK goes again without ECE (§6.1.1.1's example).
 *  - In a simultaneous open, ECN is agreed only if both SYNs were
 *    ECN-setup SYNs (§6.1.1's rule on data: a host must have sent an
 *    ECN-setup SYN or SYN-ACK, and no non-ECN-setup one).
 *  - A SYN answered with a SYN cookie does not agree on ECN: the cookie
 *    keeps no room for it.
 *  - CE is heeded on segments carrying data (a compliant sender sends
 *    nothing else ECT); the CE that starts an echo is ACKed at once, as
 *    Linux's quick-ACK mode does, so the sender hears of it a delayed-ACK
 *    time earlier.
 *  - An echo cuts the window through the controller's loss response
 *    (NewReno halves FlightSize, CUBIC multiplies by 0.7), with
 *    FlightSize as it was before the ACK; cwnd does not grow on an ACK
 *    that carries ECE.  One cut per window, whatever its cause: no echo
 *    cuts again until an ACK passes SND.MAX as it was at the last cut
 *    (loss, timeout or echo), and a loss found in data sent before an
 *    echo's cut starts recovery without a second cut.
 */
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

#define ECE_CWR (ZN_TCP_ECE | ZN_TCP_CWR)

/* §6.1.1: "We call a SYN packet with the ECE and CWR flags set an
 * 'ECN-setup SYN packet'". */
static bool ecn_setup_syn(const struct zn__tcp_seg *s) {
  return (s->flags & ECE_CWR) == ECE_CWR;
}

/* §6.1.1: "we call a SYN-ACK packet with only the ECE flag set but the
 * CWR flag not set an 'ECN-setup SYN-ACK packet'".  (With both set, it is
 * a box reflecting our SYN's bits, §6.1.1.2, not a peer that agrees.) */
static bool ecn_setup_synack(const struct zn__tcp_seg *s) {
  return (s->flags & ECE_CWR) == ZN_TCP_ECE;
}

/* ---- the handshake (§6.1.1) ---- */

/* §6.1.1: "A host MUST NOT set ECT on data packets unless it has sent at
 * least one ECN-setup SYN or ECN-setup SYN-ACK packet, and has received at
 * least one ECN-setup SYN or ECN-setup SYN-ACK packet, and has sent no
 * non-ECN-setup SYN or non-ECN-setup SYN-ACK packet." */
static bool ecn_sending(const struct zn_tcp_conn *c) {
  return (c->ecn & (ZN__TCPE_OK | ZN__TCPE_PLAIN)) == ZN__TCPE_OK;
}

void zn__tcp_ecn_connect(struct zn_tcp_conn *c) {
  c->ecn = c->st->cfg.tcp_ecn == ZN_TCP_ECN_ON ? ZN__TCPE_ASKED : 0;
}

/* §6.1.1: Host A asks with an ECN-setup SYN.  §6.1.1.1: "A host that
 * receives no reply to an ECN-setup SYN within the normal SYN
 * retransmission timeout interval MAY resend the SYN and any subsequent
 * SYN retransmissions with CWR and ECE cleared": from the first
 * retransmission here (PLAIN: this host may no longer set ECT). */
uint8_t zn__tcp_ecn_syn_flags(struct zn_tcp_conn *c) {
  if (!(c->ecn & ZN__TCPE_ASKED) || (c->ecn & ZN__TCPE_PLAIN))
    return 0;
  if (c->rtx_count == 0)
    return ECE_CWR;
  c->ecn |= ZN__TCPE_PLAIN;
  ZN_STAT_INC(c->st, tcp_ecn_syn_fallback);
  return 0;
}

/* §6.1.1: "If a host has received an ECN-setup SYN packet, then it MAY
 * send an ECN-setup SYN-ACK packet": a listener's child does unless
 * tcp_ecn is OFF, and answers a retransmitted SYN as it came (one without
 * ECN setup withdraws the agreement).  In a simultaneous open the
 * connection already sent its own SYN: it agrees if that SYN asked
 * (ASKED), and sets ECT only if none went without since (ecn_sending). */
void zn__tcp_ecn_syn_rcvd(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  bool willing = (c->flags & ZN__TCPF_PASSIVE)
                     ? c->st->cfg.tcp_ecn != ZN_TCP_ECN_OFF
                     : (c->ecn & ZN__TCPE_ASKED) != 0;
  if (willing && ecn_setup_syn(s))
    c->ecn |= ZN__TCPE_OK;
  else
    c->ecn &= (uint8_t)~ZN__TCPE_OK;
}

/* §6.1.1: an ECN-setup SYN-ACK answering our ECN-setup SYN agrees.  Had
 * a SYN without ECN setup gone out since (PLAIN), "if a host has sent at
 * least one ECN-setup SYN ... and has received no non-ECN-setup SYN or
 * non-ECN-setup SYN-ACK packet, then if that host receives TCP data
 * packets with ECT and CE codepoints set ... [it] MUST process these
 * packets as specified for an ECN-capable connection": OK all the same,
 * but it never sets ECT itself (ecn_sending). */
void zn__tcp_ecn_synack_rcvd(struct zn_tcp_conn *c,
                             const struct zn__tcp_seg *s) {
  if ((c->ecn & ZN__TCPE_ASKED) && ecn_setup_synack(s))
    c->ecn |= ZN__TCPE_OK;
  else
    c->ecn &= (uint8_t)~ZN__TCPE_OK;
}

void zn__tcp_ecn_established(struct zn_tcp_conn *c) {
  if (c->ecn & ZN__TCPE_OK)
    ZN_STAT_INC(c->st, tcp_ecn_negotiated);
}

/* ---- what a segment we send carries ---- */

/* §6.1.2: "the TCP sender sets the CWR flag in the TCP header of the
 * first new data packet sent after the window reduction"; §6.1.3: the
 * receiver "continues to set the ECE flag in ACK packets" until a CWR;
 * ECT(0) (§5: either ECT codepoint will do, and ECT(0) is the one RFC
 * 3168 senders use) only on new data: "TCP MUST NOT set ECT on
 * retransmitted data packets" (§6.1.5), "pure ACK packets" and "window
 * probes" (§6.1.4, §6.1.6), nor on a SYN or SYN-ACK (§6.1.1) or RST. */
uint8_t zn__tcp_ecn_out_agreed(const struct zn_tcp_conn *c, uint32_t seq,
                               uint32_t len, uint8_t *flags) {
  /* (zn__tcp_ecn_out, tcp_int.h: ECN is agreed, and this is neither a
   * SYN nor a RST.) */
  if ((*flags & ZN_TCP_ACK) && (c->ecn & ZN__TCPE_ECHO))
    *flags |= ZN_TCP_ECE;
  if (!ecn_sending(c) || len == 0 || zn__seq_lt(seq, c->snd_max))
    return ZN_IP_ECN_NOT_ECT;
  if (c->ecn & ZN__TCPE_CWR)
    *flags |= ZN_TCP_CWR;
  return ZN_IP_ECN_ECT0;
}

/* (zn__tcp_ecn_sent, tcp_int.h: the segment carried ECT, ECE or CWR.) */
void zn__tcp_ecn_count_sent(struct zn_tcp_conn *c, uint8_t flags, uint8_t ecn,
                            uint32_t nsegs) {
  struct zn_stack *st = c->st;
  if (flags & ZN_TCP_SYN) {
    if ((flags & (ECE_CWR | ZN_TCP_ACK)) == ECE_CWR)
      ZN_STAT_INC(st, tcp_ecn_syn_tx);
    return;
  }
  if (ecn == ZN_IP_ECN_ECT0)
    ZN_STAT_ADD(st, tcp_ecn_ect_tx, nsegs);
  if (flags & ZN_TCP_ECE)
    ZN_STAT_INC(st, tcp_ecn_ece_tx);
  if (flags & ZN_TCP_CWR) {
    c->ecn &= (uint8_t)~ZN__TCPE_CWR;
    ZN_STAT_INC(st, tcp_ecn_cwr_tx);
  }
}

/* A segment with CWR must be one segment on the wire: a netif segmenting
 * a TSO frame would have to keep CWR off all but the first. */
bool zn__tcp_ecn_cwr_due(const struct zn_tcp_conn *c) {
  return ecn_sending(c) && (c->ecn & ZN__TCPE_CWR);
}

/* ---- the data receiver (§6.1.3) ---- */

/* "When TCP receives a CE data packet at the destination end-system, the
 * TCP data receiver sets the ECN-Echo flag in the TCP header of the
 * subsequent ACK packet ... the TCP receiver continues to set the ECE
 * flag in ACK packets" until it "receives a CWR packet".  CWR is taken
 * first, so that a segment carrying both starts a new echo.  The CE that
 * starts an echo is ACKed at once (Linux's quick-ACK on CE). */
void zn__tcp_ecn_rcv_marks(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  if (!(c->ecn & ZN__TCPE_OK))
    return;
  if (s->flags & ZN_TCP_CWR) {
    ZN_STAT_INC(c->st, tcp_ecn_cwr_rx);
    c->ecn &= (uint8_t)~ZN__TCPE_ECHO;
  }
  if (s->ecn != ZN_IP_ECN_CE || s->len == 0)
    return;
  ZN_STAT_INC(c->st, tcp_ecn_ce_rx);
  if (!(c->ecn & ZN__TCPE_ECHO)) {
    c->ecn |= ZN__TCPE_ECHO;
    zn__tcp_schedule_ack(c, true);
  }
}

/* ---- the data sender (§6.1.2) ---- */

/* An ECE on anything but a SYN, to a sender that sets ECT (one that
 * never does cannot have had a packet marked: the echo is not believed). */
bool zn__tcp_ecn_echo(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  if (!ecn_sending(c) || (s->flags & (ZN_TCP_ECE | ZN_TCP_SYN)) != ZN_TCP_ECE)
    return false;
  ZN_STAT_INC(c->st, tcp_ecn_ece_rx);
  return true;
}

/* An ACK beyond ecn_high ends the window of the last cut (and keeps an old
 * ecn_high from reading as ahead once sequence numbers wrap). */
void zn__tcp_ecn_acked(struct zn_tcp_conn *c) {
  if ((c->ecn & ZN__TCPE_CUT) && zn__seq_gt(c->snd_una, c->ecn_high))
    c->ecn &= (uint8_t)~ZN__TCPE_CUT;
}

bool zn__tcp_ecn_window_cut(const struct zn_tcp_conn *c) {
  return (c->ecn & ZN__TCPE_CUT) && zn__seq_lt(c->snd_una, c->ecn_high);
}

/* §6.1.2: "When an ECN-Capable TCP sender reduces its congestion window
 * for any reason (because of a retransmit timeout, a Fast Retransmit, or
 * in response to an ECN Notification), the TCP sender sets the CWR flag
 * in the TCP header of the first new data packet sent after the window
 * reduction". */
void zn__tcp_ecn_window_reduced(struct zn_tcp_conn *c) {
  if (!ecn_sending(c))
    return;
  c->ecn |= ZN__TCPE_CWR | ZN__TCPE_CUT;
  c->ecn_high = c->snd_max;
}

/* §6.1.2: "The indication of congestion should be treated just as a
 * congestion loss in non-ECN-Capable TCP" (the controller's loss
 * response, flight as it was before this ACK, nothing retransmitted), but
 * "TCP should not react to congestion indications more than once every
 * window of data": not in loss recovery, whose entry cut the window, and
 * not until an ACK passes ecn_high (the last cut's SND.MAX: the data the
 * peer echoes CE for until our CWR reaches it).  ssthresh stays at two
 * segments at least, so the one-segment window §6.1.2 treats apart never
 * comes of a cut. */
void zn__tcp_ecn_cut(struct zn_tcp_conn *c, uint32_t flight) {
  if ((c->flags & ZN__TCPF_IN_RECOVERY) ||
      ((c->ecn & ZN__TCPE_CUT) && zn__seq_leq(c->snd_una, c->ecn_high)))
    return;
  zn__tcp_undo_forget(c);
  /* (A model-based controller took the echo with the ACK's sample.) */
  if (!c->cc.ops->model_based)
    c->cc.ops->on_loss(&c->cc, flight, c->st->now);
  ZN_STAT_INC(c->st, tcp_ecn_cwnd_cut);
  zn__tcp_ecn_window_reduced(c);
}
