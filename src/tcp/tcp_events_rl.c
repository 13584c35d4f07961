/*
 * Build-time generator: writes the Ragel definitions of the chart's events
 * (tcp_events.rl, "name = number;" for each entry of ZN__TCP_EVENTS), which
 * tcp_fsm.rl includes.  The numbers are the enum zn__tcp_event values by
 * construction, so the chart and the C code cannot disagree about them.
 */
#include <stdio.h>

#include "tcp/tcp_events.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUTPUT.rl\n", argv[0]);
    return 2;
  }
  FILE *out = fopen(argv[1], "wb");
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  int n = 0;
  fprintf(out, "# Generated from src/tcp/tcp_events.h by tcp_events_rl: do "
               "not edit.\n%%%%{\n  machine tcp_events;\n");
#define ZN__EV_RL_(name, what) fprintf(out, "  %-16s = %d; # %s\n", #name, n++, what);
  ZN__TCP_EVENTS(ZN__EV_RL_)
#undef ZN__EV_RL_
  fprintf(out, "}%%%%\n");
  if (fclose(out) != 0) {
    perror(argv[1]);
    (void)remove(argv[1]);
    return 1;
  }
  return 0;
}
