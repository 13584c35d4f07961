/*
 * Signals from the host (--signal-port; tests/rt/images.sh sends the
 * datagrams from the TAP's far side, the gateway).  Handlers for SIGUSR1
 * and SIGQUIT; waits in poll(2), printing "got USR1" or "got QUIT" as
 * each handler runs, and ends with status 3 after SIGQUIT.  SIGTERM
 * keeps its default action (the image ends, status 143).  Says "ready"
 * first; gives up after 30 s.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_signal(int sig) { got = sig; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < 300; i++) {
    int rc = poll(NULL, 0, 100);
    if (got) {
      printf("got %s (poll %s)\n", got == SIGQUIT ? "QUIT" : "USR1",
             rc < 0 ? "interrupted" : "returned");
      fflush(stdout);
      if (got == SIGQUIT)
        return 3;
      got = 0;
    }
  }
  printf("no signal\n");
  return 1;
}
