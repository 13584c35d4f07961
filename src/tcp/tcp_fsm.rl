/*
 * The TCP connection state machine, RFC 9293 §3.3.2 and §3.10, as a Ragel
 * state chart.  Meson compiles it to goto-driven C (ragel -G2: a switch
 * on the state, one on the event, the actions inline; a sixth of the
 * instructions per event of the table-driven -T0, whose binary search
 * over each state's events and action-list loop cost 120 a call) at
 * build time; the generated C is never edited or committed.
 *
 * The input alphabet is the events of ZN__TCP_EVENTS (src/tcp/
 * tcp_events.h, the one list, from which tcp_events.rl below is
 * generated): user calls, segment classes after the acceptability checks
 * of §3.10.7 (made in tcp_in.c and tcp_in_sync.c), and timer expiries.
 * Each Ragel state is one RFC 9293 state; `start` is CLOSED.  S_SYN_RESET
 * exists only with RFC 5961 turned off: RFC 793 then resets on a SYN in
 * the window.  S_SYN_REOPEN is a new SYN for a connection in TIME_WAIT
 * that may start a new incarnation (RFC 6191).  Every state lists every
 * event: a transition with named actions, or an explicit ignore,
 * challenge ACK or RST.  tcp_chart_check (built and run by meson) fails
 * the build if any (state, event) pair is missing or if the transitions
 * into a state disagree about which RFC state it is.
 *
 * Actions are the functions zn__tcp_act_<name> in tcp_act.c, each a small
 * step naming the RFC section it implements; the S_<STATE> actions record
 * the RFC state reached, and are the only writers of c->state once a
 * connection is open.  They run in the order written: after the step, so
 * that the step still sees the state it leaves, except where the step
 * acts as the new state (LISTEN: hashed as a listener; SYN_RECEIVED after
 * a simultaneous open: a SYN-ACK; FIN_WAIT_2: its timer), where the state
 * is written first.
 */
%%{
  machine tcp_fsm;
  alphtype unsigned char;

  # ---- events: U_LISTEN = 0; ... generated from ZN__TCP_EVENTS
  # (tcp_events.h) by tcp_events_rl, so their numbers are enum
  # zn__tcp_event's by construction ----
  include tcp_events "tcp_events.rl";

  # Events that mean nothing in a state: a stale timer, or a segment class
  # the classifier never produces there (counted by act_impossible).
  TIMERS = T_GIVEUP | T_2MSL | T_FW2;

  # ---- actions ----
  action ignore            { ZN_FSM_ACT(ignore); }
  action impossible        { ZN_FSM_ACT(impossible); }
  action user_error        { ZN_FSM_ACT(user_error); }
  action listen            { ZN_FSM_ACT(listen); }
  action connect           { ZN_FSM_ACT(connect); }
  action close_free        { ZN_FSM_ACT(close_free); }
  action close_listener    { ZN_FSM_ACT(close_listener); }
  action queue_fin         { ZN_FSM_ACT(queue_fin); }
  action abort             { ZN_FSM_ACT(abort); }
  action timeout           { ZN_FSM_ACT(timeout); }
  action timewait_done     { ZN_FSM_ACT(timewait_done); }
  action fin_wait_2_timeout { ZN_FSM_ACT(fin_wait_2_timeout); }
  action rst_for_ack       { ZN_FSM_ACT(rst_for_ack); }
  action listen_syn        { ZN_FSM_ACT(listen_syn); }
  action listen_ack        { ZN_FSM_ACT(listen_ack); }
  action synsent_synack    { ZN_FSM_ACT(synsent_synack); }
  action simultaneous_open { ZN_FSM_ACT(simultaneous_open); }
  action refused           { ZN_FSM_ACT(refused); }
  action reset             { ZN_FSM_ACT(reset); }
  action synrcvd_reset     { ZN_FSM_ACT(synrcvd_reset); }
  action challenge_ack     { ZN_FSM_ACT(challenge_ack); }
  action dup_ack           { ZN_FSM_ACT(dup_ack); }
  action synrcvd_ack       { ZN_FSM_ACT(synrcvd_ack); }
  action fin_acked         { ZN_FSM_ACT(fin_acked); }
  action closing_fin_acked { ZN_FSM_ACT(closing_fin_acked); }
  action last_ack_done     { ZN_FSM_ACT(last_ack_done); }
  action fin_estab         { ZN_FSM_ACT(fin_estab); }
  action fin_synrcvd       { ZN_FSM_ACT(fin_synrcvd); }
  action fin_fw1           { ZN_FSM_ACT(fin_fw1); }
  action fin_fw2           { ZN_FSM_ACT(fin_fw2); }
  action fin_again         { ZN_FSM_ACT(fin_again); }
  action timewait_ack      { ZN_FSM_ACT(timewait_ack); }
  action timewait_fin      { ZN_FSM_ACT(timewait_fin); }
  action syn_reset         { ZN_FSM_ACT(syn_reset); }
  action timewait_reopen   { ZN_FSM_ACT(timewait_reopen); }

  # The RFC state each transition lands in.
  action S_CLOSED       { ZN_FSM_STATE(ZN_TCP_CLOSED); }
  action S_LISTEN       { ZN_FSM_STATE(ZN_TCP_LISTEN); }
  action S_SYN_SENT     { ZN_FSM_STATE(ZN_TCP_SYN_SENT); }
  action S_SYN_RECEIVED { ZN_FSM_STATE(ZN_TCP_SYN_RECEIVED); }
  action S_ESTABLISHED  { ZN_FSM_STATE(ZN_TCP_ESTABLISHED); }
  action S_FIN_WAIT_1   { ZN_FSM_STATE(ZN_TCP_FIN_WAIT_1); }
  action S_FIN_WAIT_2   { ZN_FSM_STATE(ZN_TCP_FIN_WAIT_2); }
  action S_CLOSE_WAIT   { ZN_FSM_STATE(ZN_TCP_CLOSE_WAIT); }
  action S_CLOSING      { ZN_FSM_STATE(ZN_TCP_CLOSING); }
  action S_LAST_ACK     { ZN_FSM_STATE(ZN_TCP_LAST_ACK); }
  action S_TIME_WAIT    { ZN_FSM_STATE(ZN_TCP_TIME_WAIT); }

  main := (
    # CLOSED (§3.10.1-3.10.7.1): only the user can open.  Segments to a
    # closed port never reach a connection (tcp_in.c answers them).
    start: (
        U_LISTEN       @S_LISTEN          @listen         -> LISTEN
      | U_CONNECT      @connect           @S_SYN_SENT     -> SYN_SENT
      | U_CLOSE        @close_free        @S_CLOSED       -> start
      | U_ABORT        @close_free        @S_CLOSED       -> start
      | TIMERS         @ignore            @S_CLOSED       -> start
      | (S_RST | S_RST_BAD | S_RST_INWIN | S_SYN | S_SYNACK | S_BADACK |
         S_ACK_INVALID | S_UNACCEPTABLE | S_NOACK | S_ACK | S_ACK_FIN |
         S_FIN | S_SYN_RESET | S_SYN_REOPEN)
                       @impossible        @S_CLOSED       -> start
    ),

    # LISTEN (§3.10.7.2)
    LISTEN: (
        (U_LISTEN | U_CONNECT)
                       @user_error        @S_LISTEN       -> LISTEN
      | U_CLOSE        @close_listener    @S_CLOSED       -> start
      | U_ABORT        @close_listener    @S_CLOSED       -> start
      | TIMERS         @ignore            @S_LISTEN       -> LISTEN
      | S_RST          @ignore            @S_LISTEN       -> LISTEN
      | S_SYN          @listen_syn        @S_LISTEN       -> LISTEN
      | S_ACK          @listen_ack        @S_LISTEN       -> LISTEN
      | S_BADACK       @rst_for_ack       @S_LISTEN       -> LISTEN
      | S_NOACK        @ignore            @S_LISTEN       -> LISTEN
      | (S_RST_BAD | S_RST_INWIN | S_SYNACK | S_ACK_INVALID |
         S_UNACCEPTABLE | S_ACK_FIN | S_FIN | S_SYN_RESET | S_SYN_REOPEN)
                       @impossible        @S_LISTEN       -> LISTEN
    ),

    # SYN_SENT (§3.10.7.3)
    SYN_SENT: (
        (U_LISTEN | U_CONNECT)
                       @user_error        @S_SYN_SENT     -> SYN_SENT
      | U_CLOSE        @close_free        @S_CLOSED       -> start
      | U_ABORT        @close_free        @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | (T_2MSL | T_FW2)
                       @ignore            @S_SYN_SENT     -> SYN_SENT
      | S_RST          @refused           @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_SYN_SENT     -> SYN_SENT
      | S_BADACK       @rst_for_ack       @S_SYN_SENT     -> SYN_SENT
      | S_SYNACK       @synsent_synack    @S_ESTABLISHED  -> ESTABLISHED
      | S_SYN          @S_SYN_RECEIVED    @simultaneous_open -> SYN_RECEIVED
      | S_NOACK        @ignore            @S_SYN_SENT     -> SYN_SENT
      | (S_RST_INWIN | S_ACK_INVALID | S_UNACCEPTABLE | S_ACK |
         S_ACK_FIN | S_FIN | S_SYN_RESET | S_SYN_REOPEN)
                       @impossible        @S_SYN_SENT     -> SYN_SENT
    ),

    # SYN_RECEIVED (§3.10.7.4)
    SYN_RECEIVED: (
        (U_LISTEN | U_CONNECT)
                       @user_error        @S_SYN_RECEIVED -> SYN_RECEIVED
      | U_CLOSE        @queue_fin         @S_FIN_WAIT_1   -> FIN_WAIT_1
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | (T_2MSL | T_FW2)
                       @ignore            @S_SYN_RECEIVED -> SYN_RECEIVED
      | S_RST          @synrcvd_reset     @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_SYN_RECEIVED -> SYN_RECEIVED
      | S_RST_INWIN    @challenge_ack     @S_SYN_RECEIVED -> SYN_RECEIVED
      | S_SYN          @challenge_ack     @S_SYN_RECEIVED -> SYN_RECEIVED
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_SYN_RECEIVED -> SYN_RECEIVED
      | S_NOACK        @ignore            @S_SYN_RECEIVED -> SYN_RECEIVED
      | S_BADACK       @rst_for_ack       @S_SYN_RECEIVED -> SYN_RECEIVED
      | S_ACK          @synrcvd_ack       @S_ESTABLISHED  -> ESTABLISHED
      | S_FIN          @fin_synrcvd       @S_CLOSE_WAIT   -> CLOSE_WAIT
      | (S_SYNACK | S_ACK_INVALID | S_ACK_FIN |
         S_SYN_REOPEN)
                       @impossible        @S_SYN_RECEIVED -> SYN_RECEIVED
    ),

    # ESTABLISHED (§3.10.7.4)
    ESTABLISHED: (
        (U_LISTEN | U_CONNECT)
                       @user_error        @S_ESTABLISHED  -> ESTABLISHED
      | U_CLOSE        @queue_fin         @S_FIN_WAIT_1   -> FIN_WAIT_1
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | (T_2MSL | T_FW2)
                       @ignore            @S_ESTABLISHED  -> ESTABLISHED
      | S_RST          @reset             @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_ESTABLISHED  -> ESTABLISHED
      | (S_RST_INWIN | S_SYN | S_ACK_INVALID)
                       @challenge_ack     @S_ESTABLISHED  -> ESTABLISHED
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_ESTABLISHED  -> ESTABLISHED
      | S_NOACK        @ignore            @S_ESTABLISHED  -> ESTABLISHED
      | S_ACK          @ignore            @S_ESTABLISHED  -> ESTABLISHED
      | S_FIN          @fin_estab         @S_CLOSE_WAIT   -> CLOSE_WAIT
      | (S_SYNACK | S_BADACK | S_ACK_FIN |
         S_SYN_REOPEN)
                       @impossible        @S_ESTABLISHED  -> ESTABLISHED
    ),

    # FIN_WAIT_1 (§3.10.7.4: our FIN sent, not yet acknowledged)
    FIN_WAIT_1: (
        (U_LISTEN | U_CONNECT | U_CLOSE)
                       @user_error        @S_FIN_WAIT_1   -> FIN_WAIT_1
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | (T_2MSL | T_FW2)
                       @ignore            @S_FIN_WAIT_1   -> FIN_WAIT_1
      | S_RST          @reset             @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_FIN_WAIT_1   -> FIN_WAIT_1
      | (S_RST_INWIN | S_SYN | S_ACK_INVALID)
                       @challenge_ack     @S_FIN_WAIT_1   -> FIN_WAIT_1
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_FIN_WAIT_1   -> FIN_WAIT_1
      | S_NOACK        @ignore            @S_FIN_WAIT_1   -> FIN_WAIT_1
      | S_ACK          @ignore            @S_FIN_WAIT_1   -> FIN_WAIT_1
      | S_ACK_FIN      @S_FIN_WAIT_2      @fin_acked      -> FIN_WAIT_2
      | S_FIN          @fin_fw1           @S_CLOSING      -> CLOSING
      | (S_SYNACK | S_BADACK |
         S_SYN_REOPEN)
                       @impossible        @S_FIN_WAIT_1   -> FIN_WAIT_1
    ),

    # FIN_WAIT_2 (our FIN acknowledged; waiting for theirs)
    FIN_WAIT_2: (
        (U_LISTEN | U_CONNECT | U_CLOSE)
                       @user_error        @S_FIN_WAIT_2   -> FIN_WAIT_2
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | T_FW2          @fin_wait_2_timeout @S_CLOSED      -> start
      | T_2MSL         @ignore            @S_FIN_WAIT_2   -> FIN_WAIT_2
      | S_RST          @reset             @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_FIN_WAIT_2   -> FIN_WAIT_2
      | (S_RST_INWIN | S_SYN | S_ACK_INVALID)
                       @challenge_ack     @S_FIN_WAIT_2   -> FIN_WAIT_2
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_FIN_WAIT_2   -> FIN_WAIT_2
      | S_NOACK        @ignore            @S_FIN_WAIT_2   -> FIN_WAIT_2
      | (S_ACK | S_ACK_FIN)
                       @ignore            @S_FIN_WAIT_2   -> FIN_WAIT_2
      | S_FIN          @fin_fw2           @S_TIME_WAIT    -> TIME_WAIT
      | (S_SYNACK | S_BADACK |
         S_SYN_REOPEN)
                       @impossible        @S_FIN_WAIT_2   -> FIN_WAIT_2
    ),

    # CLOSE_WAIT (their FIN received; ours not yet sent)
    CLOSE_WAIT: (
        (U_LISTEN | U_CONNECT)
                       @user_error        @S_CLOSE_WAIT   -> CLOSE_WAIT
      | U_CLOSE        @queue_fin         @S_LAST_ACK     -> LAST_ACK
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | (T_2MSL | T_FW2)
                       @ignore            @S_CLOSE_WAIT   -> CLOSE_WAIT
      | S_RST          @reset             @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_CLOSE_WAIT   -> CLOSE_WAIT
      | (S_RST_INWIN | S_SYN | S_ACK_INVALID)
                       @challenge_ack     @S_CLOSE_WAIT   -> CLOSE_WAIT
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_CLOSE_WAIT   -> CLOSE_WAIT
      | S_NOACK        @ignore            @S_CLOSE_WAIT   -> CLOSE_WAIT
      | S_ACK          @ignore            @S_CLOSE_WAIT   -> CLOSE_WAIT
      | S_FIN          @fin_again         @S_CLOSE_WAIT   -> CLOSE_WAIT
      | (S_SYNACK | S_BADACK | S_ACK_FIN |
         S_SYN_REOPEN)
                       @impossible        @S_CLOSE_WAIT   -> CLOSE_WAIT
    ),

    # CLOSING (both FINs sent, ours not yet acknowledged)
    CLOSING: (
        (U_LISTEN | U_CONNECT | U_CLOSE)
                       @user_error        @S_CLOSING      -> CLOSING
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | (T_2MSL | T_FW2)
                       @ignore            @S_CLOSING      -> CLOSING
      | S_RST          @reset             @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_CLOSING      -> CLOSING
      | (S_RST_INWIN | S_SYN | S_ACK_INVALID)
                       @challenge_ack     @S_CLOSING      -> CLOSING
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_CLOSING      -> CLOSING
      | S_NOACK        @ignore            @S_CLOSING      -> CLOSING
      | S_ACK          @ignore            @S_CLOSING      -> CLOSING
      | S_ACK_FIN      @closing_fin_acked @S_TIME_WAIT    -> TIME_WAIT
      | S_FIN          @fin_again         @S_CLOSING      -> CLOSING
      | (S_SYNACK | S_BADACK |
         S_SYN_REOPEN)
                       @impossible        @S_CLOSING      -> CLOSING
    ),

    # LAST_ACK (their FIN received, ours sent, waiting for its ACK)
    LAST_ACK: (
        (U_LISTEN | U_CONNECT | U_CLOSE)
                       @user_error        @S_LAST_ACK     -> LAST_ACK
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_GIVEUP       @timeout           @S_CLOSED       -> start
      | (T_2MSL | T_FW2)
                       @ignore            @S_LAST_ACK     -> LAST_ACK
      | S_RST          @reset             @S_CLOSED       -> start
      | S_RST_BAD      @ignore            @S_LAST_ACK     -> LAST_ACK
      | (S_RST_INWIN | S_SYN | S_ACK_INVALID)
                       @challenge_ack     @S_LAST_ACK     -> LAST_ACK
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_LAST_ACK     -> LAST_ACK
      | S_NOACK        @ignore            @S_LAST_ACK     -> LAST_ACK
      | S_ACK          @ignore            @S_LAST_ACK     -> LAST_ACK
      | S_ACK_FIN      @last_ack_done     @S_CLOSED       -> start
      | S_FIN          @fin_again         @S_LAST_ACK     -> LAST_ACK
      | (S_SYNACK | S_BADACK |
         S_SYN_REOPEN)
                       @impossible        @S_LAST_ACK     -> LAST_ACK
    ),

    # TIME_WAIT (2 MSL; RFC 1337: a RST does not cut it short)
    TIME_WAIT: (
        (U_LISTEN | U_CONNECT | U_CLOSE)
                       @user_error        @S_TIME_WAIT    -> TIME_WAIT
      | U_ABORT        @abort             @S_CLOSED       -> start
      | T_2MSL         @timewait_done     @S_CLOSED       -> start
      | (T_GIVEUP | T_FW2)
                       @ignore            @S_TIME_WAIT    -> TIME_WAIT
      | (S_RST | S_RST_BAD | S_RST_INWIN)
                       @ignore            @S_TIME_WAIT    -> TIME_WAIT
      | (S_SYN | S_ACK_INVALID)
                       @challenge_ack     @S_TIME_WAIT    -> TIME_WAIT
      | S_SYN_RESET    @syn_reset         @S_CLOSED       -> start
      | S_UNACCEPTABLE @dup_ack           @S_TIME_WAIT    -> TIME_WAIT
      | S_NOACK        @ignore            @S_TIME_WAIT    -> TIME_WAIT
      | (S_ACK | S_ACK_FIN)
                       @timewait_ack      @S_TIME_WAIT    -> TIME_WAIT
      | S_FIN          @timewait_fin      @S_TIME_WAIT    -> TIME_WAIT
      | S_SYN_REOPEN   @timewait_reopen   @S_CLOSED       -> start
      | (S_SYNACK | S_BADACK)
                       @impossible        @S_TIME_WAIT    -> TIME_WAIT
    )
  );
}%%

%% write data;

/* Run one event through the chart from the connection's RFC state.  The
 * chart's Ragel state for each RFC state is found once by the checker and
 * stored in tcp_fsm_cs_of[] (see tcp_fsm_tables below). */
static int zn__tcp_fsm_step(int cs, unsigned char ev, ZN_FSM_CTX_PARAMS) {
  const unsigned char *p = &ev;
  const unsigned char *pe = p + 1;
  %% write exec;
  return cs;
}
