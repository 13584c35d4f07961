/*
 * The events of the TCP state chart: the one list everything else is made
 * from.  tcp_int.h turns it into enum zn__tcp_event, tcp_chart.c into the
 * names traces print, tcp_events_rl.c into the Ragel definitions
 * tcp_fsm.rl includes (event = number), and tcp_chart_check explores the
 * chart with exactly these events.  An event added here and not handled in
 * every state of tcp_fsm.rl fails the build (tcp_chart_check); one used in
 * tcp_fsm.rl and not listed here fails it too (ragel: undefined name).
 *
 * X(name, what it means): U_ user calls, T_ timer expiries, S_ segment
 * classes after the checks of RFC 9293 §3.10.7 (made in tcp_in.c and
 * tcp_in_sync.c).
 */
#ifndef ZN_TCP_EVENTS_H
#define ZN_TCP_EVENTS_H

#define ZN__TCP_EVENTS(X)                                                     \
  X(U_LISTEN, "user: passive open")                                          \
  X(U_CONNECT, "user: active open")                                          \
  X(U_CLOSE, "user: close (graceful)")                                       \
  X(U_ABORT, "user: abort")                                                  \
  X(T_GIVEUP, "retransmissions / keepalive gave up")                         \
  X(T_2MSL, "TIME_WAIT over")                                                \
  X(T_FW2, "FIN_WAIT_2 idle too long after close")                           \
  X(S_RST, "an acceptable RST (§3.10.7.3/.4 first check)")                   \
  X(S_RST_BAD, "an RST to drop (out of window, bad ACK)")                    \
  X(S_RST_INWIN, "in window but not exact (RFC 5961 §3.2)")                  \
  X(S_SYN, "SYN without ACK (sync states: any SYN)")                         \
  X(S_SYNACK, "SYN_SENT: SYN with an acceptable ACK")                        \
  X(S_BADACK, "an ACK answered by RST <SEQ=SEG.ACK>")                        \
  X(S_ACK_INVALID, "ACK outside RFC 5961 §5.2's range")                      \
  X(S_UNACCEPTABLE, "fails the sequence test (§3.10.7.4)")                   \
  X(S_NOACK, "no ACK bit (and no SYN/RST)")                                  \
  X(S_ACK, "acceptable ACK, processed")                                      \
  X(S_ACK_FIN, "acceptable ACK that covers our FIN")                         \
  X(S_FIN, "the peer's FIN, reached in sequence")                            \
  X(S_SYN_RESET, "SYN in the window with RFC 5961 off (RFC 793)")            \
  X(S_SYN_REOPEN, "TIME_WAIT: a new SYN may reuse the 4-tuple")

#endif
