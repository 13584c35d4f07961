/*
 * THE place where FreeBSD's TCP test suite meets znet's configuration:
 *
 *   1. sysctls[]:  every FreeBSD sysctl the scripts set, and what it
 *      becomes in znet (a struct zn_config field), or why it changes
 *      nothing here, or why a script setting it is not applicable.
 *   2. accepted[]: every difference between FreeBSD's behaviour and
 *      znet's that the RFCs leave open, or where they prescribe what znet
 *      does, and that the runner therefore lets pass, with the scripts it
 *      applies to and the reason.  The matcher is strict unless an entry
 *      here relaxes it.
 *   3. not_applicable[]: scripts that test something znet does not do at
 *      all, by design, where no single setting says so.
 *
 * The scripts are never edited.  RESULTS.md lists, script by script, what
 * fails and what is skipped; this file says why a pass is a pass.
 */
#include <fnmatch.h>
#include <string.h>

#include "pd.h"

/* ---- 1. sysctls ---- */

static const struct pd_sysctl sysctls[] = {
    /* RFC 1323 (now 7323) options, both of them: cfg.tcp_timestamps and
     * cfg.tcp_wscale. */
    {"net.inet.tcp.rfc1323", NULL, PD_SC_RFC1323, "tcp_timestamps+tcp_wscale"},
    /* RFC 2018 SACK: cfg.tcp_sack. */
    {"net.inet.tcp.sack.enable", NULL, PD_SC_SACK, "tcp_sack"},
    /* RFC 5961 §3 (RST) and §4 (SYN) protections; znet has one switch for
     * both, cfg.tcp_rfc5961, which is on unless the script makes either
     * insecure. */
    {"net.inet.tcp.insecure_rst", NULL, PD_SC_INSECURE_RST, "!tcp_rfc5961"},
    {"net.inet.tcp.insecure_syn", NULL, PD_SC_INSECURE_SYN, "!tcp_rfc5961"},
    /* Socket buffer sizes: cfg.tcp_rcvbuf / cfg.tcp_sndbuf.  FreeBSD rounds
     * the receive buffer up to a multiple of the MSS once the connection
     * knows it (tcp_mss(): 65536 -> 65700 for an MSS of 1460) and
     * advertises windows from the rounded size; the runner configures znet
     * with the rounded size, and getsockopt(SO_RCVBUF) reads as the sysctl
     * value before the peer's SYN and as the rounded one after it. */
    {"net.inet.tcp.recvspace", NULL, PD_SC_RECVSPACE, "tcp_rcvbuf"},
    {"net.inet.tcp.sendspace", NULL, PD_SC_SENDSPACE, "tcp_sndbuf"},
    /* Delayed ACK timeout (ms): cfg.tcp_delack_ms. */
    {"net.inet.tcp.delacktime", NULL, PD_SC_DELACK, "tcp_delack_ms"},
    /* Initial RTO (ms, RFC 6298 §2.1): cfg.tcp_rto_init_ms. */
    {"net.inet.tcp.rexmit_initial", NULL, PD_SC_RTO_INIT, "tcp_rto_init_ms"},
    /* FreeBSD adds this slop to every computed RTO (TCPT_RANGESET); znet
     * has none (RFC 6298 knows none).  See PD_ACC_RTO_SLOP below. */
    {"net.inet.tcp.rexmit_slop", NULL, PD_SC_RTO_SLOP, "retransmissions early"},
    /* SYN cookies when the SYN queue overflows: cfg.tcp_syncookies. */
    {"net.inet.tcp.syncookies", NULL, PD_SC_SYNCOOKIES, "tcp_syncookies"},
    /* 0: cookies only on overflow (znet's only mode). */
    {"net.inet.tcp.syncookies_only", "0", PD_SC_NOOP, "znet's only mode"},
    {"net.inet.tcp.syncookies_only", NULL, PD_SC_NA,
     "net.inet.tcp.syncookies_only=1: znet keeps SYN state while it can"},
    /* znet never drops options from retransmitted SYNs. */
    {"net.inet.tcp.rexmit_drop_options", "0", PD_SC_NOOP, "znet's behaviour"},
    {"net.inet.tcp.rexmit_drop_options", NULL, PD_SC_NA,
     "net.inet.tcp.rexmit_drop_options=1: znet keeps its options on "
     "retransmitted SYNs"},
    /* 0: answer segments to closed ports with RST (RFC 9293 §3.10.7.1),
     * as znet always does. */
    {"net.inet.tcp.blackhole", "0", PD_SC_NOOP, "znet's behaviour"},
    {"net.inet.tcp.blackhole", NULL, PD_SC_NA,
     "net.inet.tcp.blackhole: znet always answers closed ports with RST"},
    /* ECN (RFC 3168): cfg.tcp_ecn, whose values are FreeBSD's (0 off,
     * 1 ask and answer, 2 answer only). */
    {"net.inet.tcp.ecn.enable", NULL, PD_SC_ECN, "tcp_ecn"},
    /* ECN-setup SYNs FreeBSD sends again before falling back to a plain
     * SYN; znet falls back at the first retransmission.  See
     * PD_ACC_ECN_SYN_RTX. */
    {"net.inet.tcp.ecn.maxretries", NULL, PD_SC_NOOP,
     "see PD_ACC_ECN_SYN_RTX"},
    /* The window scale FreeBSD offers follows kern.ipc.maxsockbuf; znet's
     * follows cfg.tcp_rcvbuf.  See PD_ACC_SYN_WSCALE. */
    {"kern.ipc.maxsockbuf", NULL, PD_SC_NOOP, "see PD_ACC_SYN_WSCALE"},
    /* znet keeps no host cache (RFC 9293 leaves metrics caching open). */
    {"net.inet.tcp.hostcache.purgenow", NULL, PD_SC_NOOP, "no host cache"},
    /* SYN+FIN: znet drops it in LISTEN (tcp_in.c input_listen: a scan,
     * not a peer), which is FreeBSD's drop_synfin=1.  Elsewhere FreeBSD's
     * switch changes nothing the scripts' STANDARD branches expect, so 0
     * is accepted too; the two scripts that test drop_synfin=0 in LISTEN
     * and SYN-SENT are in not_applicable[] below. */
    {"net.inet.tcp.drop_synfin", NULL, PD_SC_NOOP, "see not_applicable[]"},
    /* 1: ICMP port and protocol unreachable, "prohibited" and TTL
     * exceeded abort a connection attempt, as znet does (RFC 1122
     * §4.2.3.9's hard errors, and cfg.tcp_soft_error_abort's RFC 5461
     * soft errors).  0 ignores them all. */
    {"net.inet.tcp.icmp_may_rst", "1", PD_SC_NOOP, "znet's behaviour"},
    {"net.inet.tcp.icmp_may_rst", NULL, PD_SC_NA,
     "net.inet.tcp.icmp_may_rst=0: znet always treats ICMP port/protocol "
     "unreachable (RFC 1122 §4.2.3.9) and administratively prohibited as "
     "hard errors while connecting"},
    /* FreeBSD's connection-establishment timer.  znet bounds connecting by
     * cfg.tcp_syn_retries instead; the scripts that only set the sysctl
     * (75 s, its default) never wait that long. */
    {"net.inet.tcp.keepinit", NULL, PD_SC_NOOP, "not reached"},
    {"net.inet.tcp.keepidle", NULL, PD_SC_NA,
     "net.inet.tcp.keepidle: znet has no stack-wide keepalive default "
     "(zn_tcp_set_keepalive is per connection)"},
    {"net.inet.tcp.tolerate_missing_ts", NULL, PD_SC_NA,
     "net.inet.tcp.tolerate_missing_ts: no znet setting"},
    {"net.inet.tcp.udp_tunneling_port", NULL, PD_SC_NA,
     "TCP over UDP (RFC 6951-style tunneling) is not in znet"},
    {"net.inet.tcp.udp_tunneling_overhead", NULL, PD_SC_NA,
     "TCP over UDP (RFC 6951-style tunneling) is not in znet"},
};

const struct pd_sysctl *pd_sysctl_find(const char *name, const char *value) {
  for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
    const struct pd_sysctl *s = &sysctls[i];
    if (strcmp(s->name, name) != 0)
      continue;
    if (s->value && strcmp(s->value, value) != 0)
      continue;
    return s;
  }
  return NULL;
}

void pd_sysctl_defaults(struct zn_config *cfg, struct pd_sysctl_state *st) {
  cfg->tcp_timestamps = cfg->tcp_wscale = cfg->tcp_sack = true;
  cfg->tcp_rfc5961 = true;
  cfg->tcp_syncookies = true;
  /* FreeBSD has no quick-ACK mode: after out-of-order data it ACKs the
   * hole's filling at once and then every second segment again. */
  cfg->tcp_quickacks = 0;
  cfg->tcp_sndbuf = 32768;
  /* FreeBSD does not pace by default: its scripts expect each flight at
   * once. */
  cfg->tcp_pacing = false;
  st->recvspace = 65536;
}

static uint32_t rounded_rcvbuf(uint32_t space, uint32_t mss) {
  return (space + mss - 1) / mss * mss;
}

void pd_sysctl_settle(struct zn_config *cfg, const struct pd_sysctl_state *st,
                      uint32_t mss) {
  cfg->tcp_rcvbuf = rounded_rcvbuf(st->recvspace, mss);
  cfg->tcp_rfc5961 = !(st->insecure_rst || st->insecure_syn);
}

const char *pd_sysctl_apply(const struct pd_sysctl *sc, long v, uint32_t mss,
                            struct zn_config *cfg,
                            struct pd_sysctl_state *st) {
  switch (sc->kind) {
  case PD_SC_RFC1323:
    cfg->tcp_timestamps = cfg->tcp_wscale = v != 0;
    break;
  case PD_SC_SACK:
    cfg->tcp_sack = v != 0;
    break;
  case PD_SC_INSECURE_RST:
    st->insecure_rst = v != 0;
    cfg->tcp_rfc5961 = !(st->insecure_rst || st->insecure_syn);
    break;
  case PD_SC_INSECURE_SYN:
    st->insecure_syn = v != 0;
    cfg->tcp_rfc5961 = !(st->insecure_rst || st->insecure_syn);
    break;
  case PD_SC_RECVSPACE:
    st->recvspace = (uint32_t)v;
    cfg->tcp_rcvbuf = rounded_rcvbuf(st->recvspace, mss);
    break;
  case PD_SC_SENDSPACE:
    cfg->tcp_sndbuf = (uint32_t)v;
    break;
  case PD_SC_DELACK:
    cfg->tcp_delack_ms = (uint32_t)v;
    break;
  case PD_SC_RTO_INIT:
    cfg->tcp_rto_init_ms = (uint32_t)v;
    break;
  case PD_SC_RTO_SLOP:
    st->slop_ms = v;
    break;
  case PD_SC_SYNCOOKIES:
    cfg->tcp_syncookies = v != 0;
    break;
  case PD_SC_ECN:
    /* FreeBSD's values are znet's (enum zn_tcp_ecn_mode); 3 and more
     * (AccECN) are not in znet. */
    if (v < ZN_TCP_ECN_OFF || v > ZN_TCP_ECN_PASSIVE)
      return "net.inet.tcp.ecn.enable: no such mode in znet (AccECN is not)";
    cfg->tcp_ecn = (uint8_t)v;
    break;
  case PD_SC_NOOP:
    break;
  case PD_SC_NA:
    return sc->why;
  }
  return NULL;
}

/* ---- 2. accepted differences ---- */

struct acc_rule {
  const char *scope;  /* glob on the script's path inside the suite */
  unsigned bits;      /* PD_ACC_* */
};

static const struct acc_rule accepted[] = {
    /* PD_ACC_OPT_LAYOUT, all scripts.  The order of options and their
     * NOP/EOL padding: RFC 9293 §3.2 lets options begin on any octet and
     * prescribes no order.  FreeBSD writes <mss,nop,wscale,sackOK,TS> in a
     * SYN and pads a SYN-ACK with EOLs (<mss,sackOK,eol,eol>); znet writes
     * Linux's layout (<mss,sackOK,TS,nop,wscale>, <mss,nop,nop,sackOK>).
     * The same options with the same values must still be there. */
    {"*", PD_ACC_OPT_LAYOUT},
    /* PD_ACC_SYN_WSCALE, all scripts.  The shift in our window scale
     * option: RFC 7323 §2.2 leaves it to the receiver.  FreeBSD picks the
     * smallest shift that covers kern.ipc.maxsockbuf (2 MiB -> 6); znet the
     * smallest that covers its receive buffer (cfg.tcp_rcvbuf).  The option
     * must be there when the script has it. */
    {"*", PD_ACC_SYN_WSCALE},
    /* PD_ACC_SACK_ORDER, all scripts.  SACK blocks after the first: RFC
     * 2018 §4 fixes the first (the block holding the segment that
     * triggered the ACK) and asks the others to repeat recently reported
     * blocks; when every held block fits in the option, as in these
     * scripts, the order carries nothing.  FreeBSD lists them by recency,
     * znet by sequence number.  The same blocks must be there. */
    {"*", PD_ACC_SACK_ORDER},
    /* PD_ACC_DSACK, all scripts.  D-SACK (RFC 2883) is an optional
     * extension; znet does not report duplicates.  A leading block that
     * is a D-SACK by RFC 2883 §4 (below the cumulative ACK, or inside the
     * second block) may be missing; everything else must match. */
    {"*", PD_ACC_DSACK},
    /* PD_ACC_RTO_SLOP, wherever a script sets net.inet.tcp.rexmit_slop.
     * FreeBSD adds the slop (200 ms) to every computed retransmission
     * timeout (TCPT_RANGESET): its second SYN goes 1 s after the first,
     * the third 2.2 s after that.  RFC 6298 has no slop and znet doubles
     * exactly (1 s, 2 s).  A retransmission (a segment whose sequence
     * number was sent before) may come up to the slop early. */
    {"*", PD_ACC_RTO_SLOP},
    /* PD_ACC_WIN_OOO, rcv-data-segments.  The window offered while data
     * is held out of order: FreeBSD offers its free socket buffer, where
     * out-of-order segments do not count (they wait in a separate
     * reassembly queue); znet counts the bytes it holds out of order
     * against the window.  RFC 9293 §3.8.6.2.2 leaves the offer to the
     * receiver.  The field may be lower than the script's by at most the
     * bytes znet held out of order when it sent the segment. */
    {"rcv-data-segments/*", PD_ACC_WIN_OOO},
    /* PD_ACC_DELACK_SMALL, rcv-data-segments.  FreeBSD acknowledges every
     * second segment whatever its size; RFC 5681 §4.2 (and RFC 1122
     * §4.2.3.2) ask for an ACK for at least every second full-sized
     * segment, which znet sends, and let smaller ones wait for the delayed
     * ACK timer.  A pure ACK for data that came in segments smaller than
     * the MSS may come up to cfg.tcp_delack_ms (net.inet.tcp.delacktime)
     * later than the script says. */
    {"rcv-data-segments/*", PD_ACC_DELACK_SMALL},
    /* PD_ACC_WIN_EDGE, all scripts.  The right edge of the receive window:
     * the scripts put segments at RCV.NXT + 65699, the edge of FreeBSD's
     * internal window (its buffer, 65536 rounded up to 65700), although it
     * advertised 65535 (a window field without scaling can carry no
     * more).  znet's receive window is what it advertises.  The runner
     * moves an inbound sequence number that lies between znet's edge and
     * FreeBSD's down by the difference (165), so "right edge" and "outside
     * right" keep meaning the right edge of the stack under test.  A
     * passive connection in SYN-RECEIVED lives in FreeBSD's syncache,
     * whose window is the SYN-ACK's 65535: nothing moves there.  Nor in
     * LISTEN or TIME-WAIT: FreeBSD's TIME-WAIT code (tcp_twcheck) looks at
     * no window, and the TIME-WAIT scripts' edges for SYNs are those of
     * the advertised window (65535). */
    {"*", PD_ACC_WIN_EDGE},
    /* PD_ACC_FIN_RTX, all scripts.  Acknowledging while our FIN is
     * unacknowledged (CLOSING): FreeBSD's tcp_output resends the FIN with
     * every segment, so its ACK is <SEQ=FIN><FIN,ACK>; RFC 9293 §3.10.7.4
     * asks for <SEQ=SND.NXT><ACK>, which znet sends.  Either acknowledges
     * the same data; a FIN segment expected at our FIN's sequence number
     * may be that ACK one sequence number later, all else equal. */
    {"*", PD_ACC_FIN_RTX},
    /* PD_ACC_RST_QUIET, the RST-in-CLOSING/LAST-ACK scripts.  A RST in
     * CLOSING or LAST-ACK: RFC 9293 §3.10.7.4 only enters CLOSED and
     * deletes the TCB (no "connection reset" for the user, unlike the
     * synchronized states before); FreeBSD still sets so_error to
     * ECONNRESET, znet reports nothing (on_error does not run).
     * getsockopt(SO_ERROR) may read 0 for ECONNRESET when the connection
     * was in CLOSING or LAST-ACK when it went. */
    {"state-event-engine/rcv-rst-closing/*", PD_ACC_RST_QUIET},
    {"state-event-engine/rcv-rst-last-ack/*", PD_ACC_RST_QUIET},
    /* PD_ACC_ECN_SYN_RTX, all scripts.  A retransmitted ECN-setup SYN:
     * RFC 3168 §6.1.1.1 lets a host resend its SYN with CWR and ECE
     * cleared, after "one or more" ECN-setup SYNs.  FreeBSD sends
     * net.inet.tcp.ecn.maxretries of them again first; znet falls back
     * at the first retransmission (as Linux's tcp_ecn_fallback).  A SYN
     * the stack sent before (the same ISN) may come without ECE and CWR
     * where the script expects them; all else must match. */
    {"*", PD_ACC_ECN_SYN_RTX},
    /* The two below are not choices the RFCs leave open: RFC 9293 asks
     * for what znet (and Linux) send, and FreeBSD sends nothing.  The
     * runner accepts only the exact segment the RFC prescribes, sent at
     * once in answer to the very segment the rule names; the rest of the
     * script must match as written.
     *
     * PD_ACC_LISTEN_RST, the SYN-ACK-to-LISTEN scripts.  RFC 9293
     * §3.10.7.2, LISTEN, second check: "Any acknowledgment is bad if it
     * arrives on a connection still in the LISTEN state.  An acceptable
     * reset segment should be formed for any arriving ACK-bearing
     * segment": <SEQ=SEG.ACK><CTL=RST>.  FreeBSD drops a SYN-ACK to a
     * listener silently (tcp_input, "SYN|ACK invalid"); it answers a
     * plain ACK with that RST.  After such a SYN-ACK, that RST (flags RST
     * alone, SEQ=SEG.ACK, no text) may come where the script expects
     * nothing. */
    {"state-event-engine/rcv-syn-ack-listen/*", PD_ACC_LISTEN_RST},
    /* PD_ACC_TW_ACK, the FIN-in-TIME-WAIT scripts.  RFC 9293 §3.10.7.4,
     * first check: "If an incoming segment is not acceptable, an
     * acknowledgment should be sent in reply (unless the RST bit is
     * set)", <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the check comes before
     * the fifth, which drops a segment without the ACK bit.  FreeBSD's
     * tcp_twcheck drops a segment without the ACK bit before it looks at
     * sequence numbers.  After a segment without ACK, RST or SYN that lies
     * outside the window the stack advertised (RCV.NXT to the right edge
     * it last sent), that ACK may come where the script expects
     * nothing. */
    {"state-event-engine/rcv-fin-time-wait/*", PD_ACC_TW_ACK},
};

static bool scope_match(const char *scope, const char *path) {
  char pat[256];
  if (strcmp(scope, "*") == 0)
    return true;
  if (fnmatch(scope, path, 0) == 0)
    return true;
  /* A scope is relative to the suite: match it against the path's tail. */
  strcpy(pat, "*/");
  strncat(pat, scope, sizeof(pat) - 3);
  return fnmatch(pat, path, 0) == 0;
}

unsigned pd_accepted_for(const char *path) {
  unsigned bits = 0;
  for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
    if (scope_match(accepted[i].scope, path))
      bits |= accepted[i].bits;
  return bits;
}

const char *pd_accept_name(unsigned bit) {
  switch (bit) {
  case PD_ACC_OPT_LAYOUT: return "option layout";
  case PD_ACC_SYN_WSCALE: return "window scale shift";
  case PD_ACC_SACK_ORDER: return "SACK block order";
  case PD_ACC_DSACK: return "no D-SACK";
  case PD_ACC_WIN_OOO: return "window less out-of-order bytes";
  case PD_ACC_DELACK_SMALL: return "small segments' ACK delayed";
  case PD_ACC_RTO_SLOP: return "no RTO slop";
  case PD_ACC_WIN_EDGE: return "window edge";
  case PD_ACC_FIN_RTX: return "ACK, not FIN again";
  case PD_ACC_RST_QUIET: return "RST in CLOSING/LAST-ACK quiet";
  case PD_ACC_ECN_SYN_RTX: return "ECN-setup SYN resent plain";
  case PD_ACC_LISTEN_RST: return "RST for a SYN-ACK to LISTEN";
  case PD_ACC_TW_ACK: return "ACK for an unacceptable segment in TIME-WAIT";
  default: return "?";
  }
}

/* ---- #ifdef branches ---- */

struct define_rule {
  const char *scope;
  const char *const *defines;
};

/* The STANDARD branches are RFC 9293 read strictly; the FreeBSD ones are
 * where FreeBSD takes an option the RFCs allow. */
static const char *const def_standard[] = {"STANDARD", NULL};
static const char *const def_freebsd[] = {"FreeBSD", NULL};

static const struct define_rule define_rules[] = {
    /* A SYN beyond the old sequence space in TIME-WAIT: RFC 1122
     * §4.2.2.13 lets it reopen the connection (with an ISS above the old
     * one; RFC 6191 refines it), which FreeBSD and znet both do
     * (tcp_in_sync.c timewait_reopen, S_SYN_REOPEN): the FreeBSD branch
     * expects the new SYN-ACK.  The
     * STANDARD branch expects RFC 9293 §3.10.7.4 without that option. */
    {"state-event-engine/rcv-syn-time-wait/*-right-edge-*", def_freebsd},
    {"state-event-engine/rcv-syn-time-wait/*-outside-right-*", def_freebsd},
    {NULL, NULL},
};

const char *const *pd_defines_for(const char *path) {
  for (size_t i = 0; define_rules[i].scope; i++)
    if (scope_match(define_rules[i].scope, path))
      return define_rules[i].defines;
  return def_standard;
}

/* ---- 3. scripts not applicable ---- */

struct na_rule {
  const char *scope;
  const char *why;
};

static const struct na_rule not_applicable[] = {
    /* FreeBSD with drop_synfin=0 takes a SYN+FIN (with data) as a SYN;
     * znet drops SYN+FIN to a listener by design (drop_synfin=1). */
    {"state-event-engine/rcv-syn-fin-listen/"
     "rcv-syn-fin-with-data-listen-dropping-disabled-ipv?.pkt",
     "net.inet.tcp.drop_synfin=0 in LISTEN: znet always drops SYN+FIN"},
    /* FreeBSD with drop_synfin=1 also drops a SYN+FIN in SYN-SENT; znet
     * takes it as the SYN of a simultaneous open (RFC 9293 §3.10.7.3),
     * queueing the FIN: it has no drop_synfin=1 in that state. */
    {"state-event-engine/rcv-syn-fin-syn-sent/"
     "rcv-syn-fin-without-data-syn-sent-dropping-enabled-ipv?.pkt",
     "net.inet.tcp.drop_synfin=1 in SYN-SENT: znet drops SYN+FIN only at "
     "a listener"},
    {NULL, NULL},
};

const char *pd_not_applicable(const char *path) {
  for (size_t i = 0; not_applicable[i].scope; i++)
    if (scope_match(not_applicable[i].scope, path))
      return not_applicable[i].why;
  return NULL;
}
