/*
 * Signals from the host (--signal-port; tests/rt/images.sh sends the
 * datagrams from the TAP's far side, the gateway).  Handlers for SIGUSR1
 * and SIGQUIT; waits in poll(2), printing "got USR1" or "got QUIT" as
 * each handler runs, and ends with status 3 after SIGQUIT.  SIGTERM
 * keeps its default action (the image ends, status 143).  Says "ready"
 * first; gives up after 120 s.  Each wait is one poll over the time
 * left, so a signal always finds the program inside it ("interrupted");
 * with short polls in a loop, a signal taken as a poll's time ran out
 * read "returned" (seen on a loaded machine).
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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
  struct timespec now, end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  end.tv_sec += 120;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left = (end.tv_sec - now.tv_sec) * 1000 +
                (end.tv_nsec - now.tv_nsec) / 1000000;
    if (left <= 0)
      break;
    int rc = poll(NULL, 0, (int)left);
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
