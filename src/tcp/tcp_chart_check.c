/*
 * Build-time check of the TCP state chart (run by meson on every build).
 *
 * Explores the chart generated from tcp_fsm.rl from its start state with
 * every event, and fails (exit 1) if
 *   - some (state, event) pair has no transition (Ragel's error state),
 *   - a transition sets no RFC state, or transitions into one chart state
 *     disagree about which RFC state it is,
 *   - some RFC state is never reached.
 * On success it writes the generated C with a table mapping RFC states to
 * chart states appended, which the library includes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "znet/tcp.h"

#define NEVENTS 21

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

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s GENERATED.h OUTPUT.h\n", argv[0]);
    return 2;
  }
  enum { MAXCS = 256 };
  int rfc_of[MAXCS], seen[MAXCS], queue[MAXCS], qh = 0, qt = 0;
  for (int i = 0; i < MAXCS; i++)
    rfc_of[i] = -1, seen[i] = 0;
  int start = tcp_fsm_start;
  rfc_of[start] = ZN_TCP_CLOSED;
  seen[start] = 1;
  queue[qt++] = start;
  int bad = 0, cells = 0, ignores = 0;
  while (qh < qt) {
    int cs = queue[qh++];
    for (int ev = 0; ev < NEVENTS; ev++) {
      recorded_state = -1;
      nactions = 0;
      int to = zn__tcp_fsm_step(cs, (unsigned char)ev, 0);
      cells++;
      if (to == tcp_fsm_error || to < 0 || to >= MAXCS) {
        fprintf(stderr, "tcp_fsm: state %s has no transition for event %d\n",
                rfc_of[cs] >= 0 ? state_names[rfc_of[cs]] : "?", ev);
        bad++;
        continue;
      }
      if (recorded_state < 0 || nactions < 1) {
        fprintf(stderr,
                "tcp_fsm: %s x event %d: a transition needs an action and a "
                "state\n",
                state_names[rfc_of[cs]], ev);
        bad++;
        continue;
      }
      if (to == cs)
        ignores++;
      if (rfc_of[to] >= 0 && rfc_of[to] != recorded_state) {
        fprintf(stderr, "tcp_fsm: chart state %d is both %s and %s\n", to,
                state_names[rfc_of[to]], state_names[recorded_state]);
        bad++;
      }
      rfc_of[to] = recorded_state;
      if (!seen[to]) {
        seen[to] = 1;
        queue[qt++] = to;
      }
    }
  }
  int cs_of[ZN_TCP_NSTATES];
  for (int s = 0; s < ZN_TCP_NSTATES; s++) {
    cs_of[s] = -1;
    for (int i = 0; i < MAXCS; i++)
      if (seen[i] && rfc_of[i] == s) {
        if (cs_of[s] >= 0) {
          fprintf(stderr, "tcp_fsm: %s appears as two chart states\n",
                  state_names[s]);
          bad++;
        }
        cs_of[s] = i;
      }
    if (cs_of[s] < 0) {
      fprintf(stderr, "tcp_fsm: %s is never reached\n", state_names[s]);
      bad++;
    }
  }
  if (bad) {
    fprintf(stderr, "tcp_fsm: %d problem(s) in the specification\n", bad);
    return 1;
  }
  FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
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
  /* A short read or write must fail the build, not leave a truncated
   * header behind for the library to include. */
  int ioerr = ferror(in) || ferror(out);
  (void)fclose(in);
  if (fclose(out) != 0 || ioerr) {
    fprintf(stderr, "tcp_chart_check: I/O error on %s or %s\n", argv[1],
            argv[2]);
    (void)remove(argv[2]);
    return 1;
  }
  printf("tcp_fsm: %d states x %d events = %d cells, all defined (%d stay "
         "in place)\n",
         ZN_TCP_NSTATES, NEVENTS, cells, ignores);
  return 0;
}
