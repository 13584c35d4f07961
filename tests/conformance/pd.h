/*
 * znet-pktdrill: runs packetdrill scripts (the FreeBSD TCP test suite)
 * against a znet stack on a virtual clock.
 *
 * The script language is read from packetdrill's published description
 * (USENIX ATC 2013, "packetdrill: Scriptable Network Stack Testing, from
 * Sockets to Packets") and from the scripts themselves; no packetdrill
 * code is used.  What is understood:
 *
 *   --name=value                 options (tolerance_usecs, mtu, ...)
 *   #ifdef NAME / #ifndef / #else / #endif
 *   TIME < FLAGS SEQ:END(LEN) [ack N] [win N] [<options>]   inbound
 *   TIME > ...                                               outbound
 *   TIME < icmp TYPE [CODE] [mtu N] [SEQ:END(LEN)]           ICMP error
 *   TIME name(args) = RET [ERRNO (text)]                     system call
 *   TIME `command`                                           shell
 *   TIME %{ python }%                                        assertion
 *
 * TIME is N (absolute, seconds), +N (after the previous event), * (any
 * time), A~B (between), or A...B (a blocking call from A returning at B).
 *
 * Files: pd_parse.c (this language -> struct pd_script), pd_match.c (one
 * segment the stack sent against one outbound line), pd_run.c (the
 * runner: stack, clock, sockets), accepted.c (how FreeBSD settings map to
 * znet and every accepted FreeBSD-specific difference).
 */
#ifndef TESTS_CONFORMANCE_PD_H
#define TESTS_CONFORMANCE_PD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/stack.h"
#include "znet/tcp.h"

/* ---- the script ---- */

enum pd_time_kind {
  PD_T_NONE,   /* no time given (a command line): as +0 */
  PD_T_ABS,    /* N */
  PD_T_REL,    /* +N */
  PD_T_ANY,    /* * */
  PD_T_RANGE,  /* A~B: any time in [A, B] */
};

struct pd_time {
  enum pd_time_kind kind;
  int64_t us;        /* ABS, REL: the time; RANGE: A */
  int64_t end_us;    /* RANGE: B; blocking: the return time */
  bool blocking;     /* A...B: the call blocks from A until B */
  bool end_rel;      /* the end of A...B is +N (relative to A) */
};

/* TCP flags as on the wire (FIN 0x01 ... CWR 0x80). */
enum {
  PD_FIN = 0x01, PD_SYN = 0x02, PD_RST = 0x04, PD_PSH = 0x08,
  PD_ACK = 0x10, PD_URG = 0x20, PD_ECE = 0x40, PD_CWR = 0x80,
};

enum pd_opt_kind {
  PD_OPT_EOL = 0,
  PD_OPT_NOP = 1,
  PD_OPT_MSS = 2,
  PD_OPT_WS = 3,
  PD_OPT_SACKOK = 4,
  PD_OPT_SACK = 5,
  PD_OPT_TS = 8,
  PD_OPT_MD5 = 19,
};

#define PD_MAX_OPTS 16
#define PD_MAX_SACK 4

struct pd_opt {
  uint8_t kind;               /* enum pd_opt_kind */
  uint32_t val;               /* MSS, WS; TS: val */
  uint32_t ecr;               /* TS */
  uint8_t nsack;
  struct {
    uint32_t left, right;
  } sack[PD_MAX_SACK];
};

/* ECN codepoint of the IP header, as a script marks it ([noecn] ...). */
enum pd_ecn { PD_ECN_UNSET = -1, PD_ECN_NOT = 0, PD_ECN_ECT1 = 1,
              PD_ECN_ECT0 = 2, PD_ECN_CE = 3 };

struct pd_pkt {
  bool inbound;               /* < (else >) */
  uint8_t flags;              /* PD_* */
  bool seq_any;               /* "...(LEN)" */
  uint32_t seq, end, len;     /* script (relative) numbers */
  bool bang;                  /* "!" after the sequence numbers */
  bool has_ack;
  uint32_t ack;
  bool has_win;
  uint32_t win;
  bool has_opts;              /* <...> given */
  bool opts_any;              /* <...> literally: options not checked */
  int nopts;
  struct pd_opt opts[PD_MAX_OPTS];
  int ttl, tos;               /* -1: not given; (hlim N) and (class N)
                                 of IPv6 set these too */
  int flow;                   /* IPv6 (flowlabel N); -1: not given */
  int ecn;                    /* enum pd_ecn */
  bool udp;                   /* /udp(...) encapsulation */
};

struct pd_icmp {
  uint8_t type, code;
  bool has_mtu;
  uint32_t mtu;
  bool has_seq;
  uint32_t seq, end, len;     /* the quoted segment (ours: relative to our
                                 ISN) */
  char what[64];              /* "unreachable port_unreachable" */
};

/* A system call argument. */
enum pd_arg_kind {
  PD_ARG_ELLIPSIS,            /* ... */
  PD_ARG_INT,                 /* 42, 0x2a */
  PD_ARG_SYMS,                /* O_RDWR | O_NONBLOCK: names and numbers */
  PD_ARG_LIST,                /* [ ... ] */
};

#define PD_MAX_ARGS 8
#define PD_MAX_SYMS 6

struct pd_arg {
  enum pd_arg_kind kind;
  int64_t num;                /* INT */
  int nsyms;                  /* SYMS */
  char syms[PD_MAX_SYMS][32];
  int nlist;                  /* LIST: its elements (flat, no nesting) */
  struct pd_arg *list;
};

struct pd_syscall {
  char name[32];
  int nargs;
  struct pd_arg args[PD_MAX_ARGS];
  int64_t ret;
  char err[32];               /* "EINPROGRESS", "" if none */
};

enum pd_event_kind {
  PD_E_PKT,
  PD_E_ICMP,
  PD_E_SYSCALL,
  PD_E_CMD,                   /* `...` */
  PD_E_CODE,                  /* %{ ... }% */
};

struct pd_event {
  int line;                   /* in the script file, from 1 */
  struct pd_time t;
  enum pd_event_kind kind;
  struct pd_pkt pkt;
  struct pd_icmp icmp;
  struct pd_syscall call;
  char *text;                 /* CMD, CODE: the text inside */
};

struct pd_option {
  char name[48];
  char value[96];
};

struct pd_script {
  int64_t tolerance_us;       /* --tolerance_usecs (default 4000) */
  uint32_t mtu;               /* --mtu (default 1500) */
  int ip_version;             /* 4 (ipv4), 6 (ipv6), 46 (ipv4-mapped) */
  int nopts;
  struct pd_option opts[16];  /* every --option, as given */
  int nevents, cap;
  struct pd_event *events;
};

/* Parse text (a whole script) into s.  defines: NULL-terminated names for
 * #ifdef (may be NULL).  Returns 0, or -1 with a message "line N: ..." in
 * err (size errlen).  On failure s holds what parsed so far; pd_free it
 * either way. */
int pd_parse(const char *text, const char *const *defines, struct pd_script *s,
             char *err, size_t errlen);
void pd_free(struct pd_script *s);

/* The value of --name, or NULL. */
const char *pd_option(const struct pd_script *s, const char *name);

/* Text of a packet line as packetdrill writes it (for messages). */
void pd_pkt_str(const struct pd_pkt *p, char *buf, size_t len);
void pd_flags_str(uint8_t flags, char *buf, size_t len);

/* ---- matching what the stack sent ---- */

/* A segment the stack sent, decoded. */
struct pd_seg {
  uint8_t flags;
  uint32_t seq, ack;
  uint16_t win;
  uint32_t len;               /* payload bytes */
  uint8_t ttl, tos;           /* IPv6: hop limit, traffic class */
  uint32_t flow;              /* IPv6 flow label */
  uint8_t ipv;                /* 4 or 6 (pd_frame_decode) */
  uint16_t sport, dport;      /* (pd_frame_decode) */
  uint8_t opts[40];           /* the options bytes as sent */
  uint8_t optlen;
};

/* Numbers that turn a script's relative values into absolute ones. */
struct pd_map {
  uint32_t local_isn;         /* the stack's ISN (0 until its first SYN) */
  uint32_t remote_isn;        /* the script peer's ISN */
  bool ts_known;              /* ts_offset learned from our first TSval */
  uint32_t ts_offset;         /* live TSval - script TSval */
  int64_t ts_slack_ms;        /* TSval tolerance for this segment, ms */
};

/* What the matcher lets pass; bits of PD_ACC_* (accepted.c says which
 * script gets which and why). */
enum {
  PD_ACC_OPT_LAYOUT = 1u << 0,  /* options: order and NOP/EOL padding */
  PD_ACC_SYN_WSCALE = 1u << 1,  /* our window scale shift */
  PD_ACC_SACK_ORDER = 1u << 2,  /* SACK blocks after the first: a set */
  PD_ACC_DSACK = 1u << 3,       /* a leading D-SACK block may be absent */
  PD_ACC_WIN_OOO = 1u << 4,     /* window less the bytes held out of order */
  PD_ACC_DELACK_SMALL = 1u << 5,/* ACK of small segments delayed */
  PD_ACC_RTO_SLOP = 1u << 6,    /* retransmissions rexmit_slop early */
  PD_ACC_WIN_EDGE = 1u << 7,    /* right edge: FreeBSD's buffer, not ours */
  PD_ACC_FIN_RTX = 1u << 8,     /* FIN resent where an ACK does */
  PD_ACC_RST_QUIET = 1u << 9,   /* RST in CLOSING/LAST-ACK: no error */
  PD_ACC_ECN_SYN_RTX = 1u << 10,/* retransmitted SYN without ECE/CWR */
  PD_ACC_LISTEN_RST = 1u << 11, /* RFC 9293's RST for a SYN-ACK to LISTEN */
  PD_ACC_TW_ACK = 1u << 12,     /* RFC 9293's ACK, unacceptable in TIME-WAIT */
};

struct pd_match_ctx {
  const struct pd_map *map;
  unsigned accept;             /* PD_ACC_* in force */
  uint32_t ooo_bytes;          /* for PD_ACC_WIN_OOO: bytes the stack holds
                                  out of order when it sent the segment */
  bool fin_known;              /* for PD_ACC_FIN_RTX: the stack has sent */
  uint32_t fin_seq;            /* its FIN, at this sequence number */
  bool syn_rtx;                /* for PD_ACC_ECN_SYN_RTX: the segment is a
                                  SYN the stack sent before */
};

/* Compare one sent segment with an outbound line.  Returns true if they
 * match; else false with "expected ... got ..." in why.  *used_accept gets
 * the PD_ACC_* bits that had to be used (may be NULL). */
bool pd_match(const struct pd_pkt *want, const struct pd_seg *got,
              const struct pd_match_ctx *ctx, char *why, size_t whylen,
              unsigned *used_accept);

/* Decode the TCP segment at p (header and payload, len bytes). */
bool pd_seg_decode(const uint8_t *p, size_t len, struct pd_seg *out);

/* Decode an Ethernet frame the stack sent: IPv4 (header checksum, total
 * length) or IPv6 (version, payload length), then the TCP segment, whose
 * checksum is verified over the family's pseudo-header.  Returns 1 with
 * *out filled (ipv, ttl/hop limit, tos/traffic class, flow label, ports),
 * 0 for a frame that is not a TCP segment (ARP, ND, MLD...), or -1 with
 * the reason in why for a malformed one. */
int pd_frame_decode(const uint8_t *f, size_t len, struct pd_seg *out,
                    char *why, size_t whylen);

/* Encode a script's options (absolute values already applied) into at
 * most 40 bytes; returns the length (padded to a multiple of 4 with EOL
 * only if the list does not fill it), or -1 if they do not fit. */
int pd_opts_encode(const struct pd_opt *o, int n, uint8_t *out);

/* ---- the accepted differences and the sysctl table (accepted.c) ---- */

enum pd_sysctl_kind {
  PD_SC_RFC1323,        /* timestamps + window scale */
  PD_SC_SACK,
  PD_SC_INSECURE_RST,
  PD_SC_INSECURE_SYN,
  PD_SC_RECVSPACE,
  PD_SC_SENDSPACE,
  PD_SC_DELACK,
  PD_SC_RTO_INIT,
  PD_SC_RTO_SLOP,
  PD_SC_SYNCOOKIES,
  PD_SC_ECN,            /* net.inet.tcp.ecn.enable: cfg.tcp_ecn */
  PD_SC_NOOP,           /* no effect on znet (the comment says why) */
  PD_SC_NA,             /* the script is not applicable */
};

struct pd_sysctl {
  const char *name;     /* net.inet.tcp.... */
  const char *value;    /* NULL: any value; else this value only */
  enum pd_sysctl_kind kind;
  const char *why;      /* NA: the reason shown; others: the note */
};

/* The entry for name=value, or NULL if the table has none. */
const struct pd_sysctl *pd_sysctl_find(const char *name, const char *value);

/* What FreeBSD's sysctls set that a zn_config does not hold. */
struct pd_sysctl_state {
  uint32_t recvspace;        /* net.inet.tcp.recvspace */
  int64_t slop_ms;           /* net.inet.tcp.rexmit_slop */
  bool insecure_rst, insecure_syn;
};

/* FreeBSD's defaults where the scripts rely on them, in cfg (made by
 * zn_config_default) and st. */
void pd_sysctl_defaults(struct zn_config *cfg, struct pd_sysctl_state *st);

/* Apply the entry sc, found for the value v, to cfg and st; mss rounds
 * the receive space up (FreeBSD's buffer is whole segments).  Returns
 * NULL, or why the value makes the script not applicable. */
const char *pd_sysctl_apply(const struct pd_sysctl *sc, long v, uint32_t mss,
                            struct zn_config *cfg,
                            struct pd_sysctl_state *st);

/* The settings st decides in cfg, before the stack is made. */
void pd_sysctl_settle(struct zn_config *cfg, const struct pd_sysctl_state *st,
                      uint32_t mss);

/* Accepted differences in force for the script at `path` (a path whose
 * tail is folder/name.pkt inside the suite). */
unsigned pd_accepted_for(const char *path);

/* The #ifdef names for the script (NULL-terminated): {"STANDARD"} unless
 * accepted.c says otherwise for it. */
const char *const *pd_defines_for(const char *path);

/* Per-script verdicts that no setting expresses: NULL, or the reason the
 * script is not applicable. */
const char *pd_not_applicable(const char *path);

/* One line per PD_ACC_* bit, for --explain. */
const char *pd_accept_name(unsigned bit);

/* ---- the runner (pd_run.c) ---- */

enum pd_verdict { PD_PASS, PD_FAIL, PD_SKIP };

struct pd_result {
  enum pd_verdict verdict;
  char why[512];              /* FAIL: first mismatch; SKIP: the reason */
  unsigned accepted_used;     /* PD_ACC_* bits that made a difference */
  int ip_version;             /* the script's family: 4, 6 or 46 */
};

struct pd_run_opts {
  bool verbose;               /* trace every event to stderr */
  const char *const *defines; /* for #ifdef; NULL: {"STANDARD"} */
};

void pd_run_file(const char *path, const struct pd_run_opts *o,
                 struct pd_result *r);

/* Run a script given as text; path names it (for the accepted table). */
void pd_run_text(const char *path, const char *text,
                 const struct pd_run_opts *o, struct pd_result *r);

#endif
