/*
 * Build-time check of the TCP state chart (run by meson on every build).
 *
 * Explores the chart generated from tcp_fsm.rl from its start state with
 * every event of ZN__TCP_EVENTS (tcp_events.h, the one list of events),
 * and fails (exit 1) if
 *   - some (state, event) pair has no transition (Ragel's error state):
 *     this is what catches an event added to the list and not to the chart,
 *   - a transition sets no RFC state, or transitions into one chart state
 *     disagree about which RFC state it is,
 *   - some RFC state is never reached.
 * On success it writes the generated C with a table mapping RFC states to
 * chart states appended, which the library includes.
 *
 * `tcp_chart_check --extra-event` is the check's own test
 * (tests/tcp): it explores with one event more than the list has, as if
 * an event had been added to the list alone, and succeeds only if every
 * state is reported as lacking a transition for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_events.h"
#include "znet/tcp.h"

/* The events, from the one list (tcp_events.h). */
enum {
#define ZN__EV_ENUM_(name, what) EV_##name,
  ZN__TCP_EVENTS(ZN__EV_ENUM_)
#undef ZN__EV_ENUM_
  NEVENTS
};
static const char *const event_names[NEVENTS + 1] = {
#define ZN__EV_NAME_(name, what) #name,
    ZN__TCP_EVENTS(ZN__EV_NAME_)
#undef ZN__EV_NAME_
    "(an event not in the chart)"};

static int recorded_state;
static int nactions;
#define ZN_FSM_CTX_PARAMS int unused_
#define ZN_FSM_ACT(name) (nactions++)
#define ZN_FSM_STATE(s) (recorded_state = (s))

#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wconversion"
#include "tcp_fsm_raw.h"

static const char *const state_names[] = {
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED",
    "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
    "CLOSING",    "LAST_ACK",   "TIME_WAIT"};

enum { MAXCS = 256 };

/* What exploring the chart found. */
struct explored {
  int rfc_of[MAXCS]; /* RFC state of each chart state, -1 if unknown */
  int seen[MAXCS];
  int bad;           /* problems */
  int missing;       /* of which (state, event) pairs with no transition */
  int cells, ignores;
};

static const char *rfc_name(int s) { return s >= 0 ? state_names[s] : "?"; }

/* Run every event through chart state cs; queue the states reached. */
static void explore_state(struct explored *x, int cs, int nevents,
                          int *queue, int *qt) {
  for (int ev = 0; ev < nevents; ev++) {
    recorded_state = -1;
    nactions = 0;
    int to = zn__tcp_fsm_step(cs, (unsigned char)ev, 0);
    x->cells++;
    if (to == tcp_fsm_error || to < 0 || to >= MAXCS) {
      fprintf(stderr, "tcp_fsm: state %s has no transition for event %s\n",
              rfc_name(x->rfc_of[cs]), event_names[ev]);
      x->bad++;
      x->missing++;
      continue;
    }
    if (recorded_state < 0 || nactions < 1) {
      fprintf(stderr,
              "tcp_fsm: %s x event %s: a transition needs an action and a "
              "state\n",
              rfc_name(x->rfc_of[cs]), event_names[ev]);
      x->bad++;
      continue;
    }
    if (to == cs)
      x->ignores++;
    if (x->rfc_of[to] >= 0 && x->rfc_of[to] != recorded_state) {
      fprintf(stderr, "tcp_fsm: chart state %d is both %s and %s\n", to,
              state_names[x->rfc_of[to]], state_names[recorded_state]);
      x->bad++;
    }
    x->rfc_of[to] = recorded_state;
    if (!x->seen[to]) {
      x->seen[to] = 1;
      queue[(*qt)++] = to;
    }
  }
}

/* Breadth-first from the start state (CLOSED) with nevents events. */
static void explore(struct explored *x, int nevents) {
  int queue[MAXCS], qh = 0, qt = 0;
  memset(x, 0, sizeof(*x));
  for (int i = 0; i < MAXCS; i++)
    x->rfc_of[i] = -1;
  x->rfc_of[tcp_fsm_start] = ZN_TCP_CLOSED;
  x->seen[tcp_fsm_start] = 1;
  queue[qt++] = tcp_fsm_start;
  while (qh < qt)
    explore_state(x, queue[qh++], nevents, queue, &qt);
}

/* The one chart state of each RFC state; counts problems into x->bad. */
static void map_states(struct explored *x, int cs_of[ZN_TCP_NSTATES]) {
  for (int s = 0; s < ZN_TCP_NSTATES; s++) {
    cs_of[s] = -1;
    for (int i = 0; i < MAXCS; i++)
      if (x->seen[i] && x->rfc_of[i] == s) {
        if (cs_of[s] >= 0) {
          fprintf(stderr, "tcp_fsm: %s appears as two chart states\n",
                  state_names[s]);
          x->bad++;
        }
        cs_of[s] = i;
      }
    if (cs_of[s] < 0) {
      fprintf(stderr, "tcp_fsm: %s is never reached\n", state_names[s]);
      x->bad++;
    }
  }
}

/* The generated C, then the table; a short read or write fails the build
 * rather than leave a truncated header behind for the library. */
static int write_output(const char *inp, const char *outp,
                        const int cs_of[ZN_TCP_NSTATES], int cells) {
  FILE *in = fopen(inp, "rb"), *out = fopen(outp, "wb");
  if (!in || !out) {
    perror("tcp_chart_check");
    return 1;
  }
  char buf[8192];
  size_t n;
  fprintf(out, "/* Generated from src/tcp/tcp_fsm.rl by ragel and checked "
               "by tcp_chart_check: do not edit. */\n");
  while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
    if (fwrite(buf, 1, n, out) != n)
      break;
  fprintf(out, "\n/* Chart state of each RFC state (enum zn_tcp_state). */\n"
               "static const unsigned char zn__tcp_fsm_cs_of[%d] = {",
          ZN_TCP_NSTATES);
  for (int s = 0; s < ZN_TCP_NSTATES; s++)
    fprintf(out, "%s%d", s ? ", " : "", cs_of[s]);
  fprintf(out, "};\n#define ZN__TCP_FSM_CELLS %d\n", cells);
  int ioerr = ferror(in) || ferror(out);
  (void)fclose(in);
  if (fclose(out) != 0 || ioerr) {
    fprintf(stderr, "tcp_chart_check: I/O error on %s or %s\n", inp, outp);
    (void)remove(outp);
    return 1;
  }
  return 0;
}

/* The self-test: an event beyond the list must be missing in every state. */
static int extra_event_test(void) {
  struct explored x;
  explore(&x, NEVENTS + 1);
  int cs_of[ZN_TCP_NSTATES];
  map_states(&x, cs_of);
  int bad_besides = x.bad - x.missing;
  printf("tcp_chart_check --extra-event: %d of %d states reported without a "
         "transition for it, %d other problem(s)\n",
         x.missing, ZN_TCP_NSTATES, bad_besides);
  return x.missing == ZN_TCP_NSTATES && bad_besides == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--extra-event") == 0)
    return extra_event_test();
  if (argc != 3) {
    fprintf(stderr, "usage: %s GENERATED.h OUTPUT.h\n"
                    "       %s --extra-event\n",
            argv[0], argv[0]);
    return 2;
  }
  struct explored x;
  explore(&x, NEVENTS);
  int cs_of[ZN_TCP_NSTATES];
  map_states(&x, cs_of);
  if (x.bad) {
    fprintf(stderr, "tcp_fsm: %d problem(s) in the specification\n", x.bad);
    return 1;
  }
  if (write_output(argv[1], argv[2], cs_of, x.cells))
    return 1;
  printf("tcp_fsm: %d states x %d events = %d cells, all defined (%d stay "
         "in place)\n",
         ZN_TCP_NSTATES, NEVENTS, x.cells, x.ignores);
  return 0;
}
