/*
 * A module for tests/rt/progs/dl.c, built by `znet-cc -shared` (as a Lua
 * C module or a Python extension is): its globals have the program's
 * names (counter) and must stay its own; it calls the C library (which
 * the image's link resolves against the program's), and sqrt from -lm.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

int counter; /* the program has one of this name too */
static int ctor_ran;

__attribute__((constructor)) static void dl_mod_init(void) { ctor_ran = 1; }

static int triple(int x) { return 3 * x; }

int mod_triple(int x) {
  counter++;
  return triple(x);
}

int mod_counter(void) { return counter; }

int mod_ctor_ran(void) { return ctor_ran; }

const char *mod_greet(const char *who) {
  static char b[96];
  snprintf(b, sizeof(b), "hello %s, sqrt(%zu)=%.0f", who,
           strlen("0123456789abcdef"),
           sqrt((double)strlen("0123456789abcdef")));
  return b;
}
