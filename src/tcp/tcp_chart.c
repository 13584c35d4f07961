/*
 * The TCP state machine: the chart of tcp_fsm.rl, compiled by ragel into
 * goto-driven code (-G2) and checked at build time (tcp_chart_check),
 * driven one event at a time.  Each connection keeps its RFC state; the chart state for it comes
 * from the table the checker appended.
 */
#include "core/log_int.h"
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

#define ZN_FSM_CTX_PARAMS struct zn_tcp_conn *c, struct zn__tcp_seg *seg
#define ZN_FSM_ACT(name) zn__tcp_act_##name(c, seg)
#define ZN_FSM_STATE(s) (c->state = (uint8_t)(s))

/* Ragel's code mixes int and unsigned indices, and its goto-driven
 * states (-G2) fall from one case into the next label. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include "tcp_fsm_gen.h"
#pragma GCC diagnostic pop

static const char *const event_names[ZN__EV_COUNT] = {
#define ZN__EV_NAME_(name, what) #name,
    ZN__TCP_EVENTS(ZN__EV_NAME_)
#undef ZN__EV_NAME_
};

const char *zn__tcp_event_name(int ev) {
  return ev >= 0 && ev < ZN__EV_COUNT ? event_names[ev] : "?";
}

void zn__tcp_fsm(struct zn_tcp_conn *c, enum zn__tcp_event ev,
                 struct zn__tcp_seg *seg) {
  int from = c->state;
  int cs = zn__tcp_fsm_cs_of[from];
  ZN_LOG(c->st, ZN_LOG_TRACE, "tcp %u->%u: %s + %s", (unsigned)c->lport,
         (unsigned)c->rport, zn_tcp_state_name(from),
         zn__tcp_event_name((int)ev));
  cs = zn__tcp_fsm_step(cs, (unsigned char)ev, c, seg);
  (void)cs; /* every pair is defined: the checker proved it at build time */
  (void)tcp_fsm_error;
  (void)tcp_fsm_first_final;
  (void)tcp_fsm_en_main;
}
