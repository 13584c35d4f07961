/* znet-pause: the program of a pod's sandbox container, the one the
 * container runtime interface starts first (RunPodSandbox) to hold the
 * pod's namespaces while its containers come and go.  A static Linux
 * program, pid 1 of the sandbox:
 *
 *   - it waits for a signal and does nothing else: no timer, no file;
 *   - SIGTERM or SIGINT (the runtime's stop of the sandbox) ends it,
 *     exit status 0;
 *   - SIGCHLD: it reaps every child that has ended, so that a pod whose
 *     containers share its process namespace (shareProcessNamespace)
 *     leaves no zombie behind;
 *   - any other signal that would end a process still ends it (SIGKILL
 *     always does).
 *
 *   znet-pause
 *
 * docs/DEPLOY.md says how
 * znet-oci --pause makes it an image and which name the node's
 * containerd configuration gives that image. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every child that has ended, reaped; none is waited for. */
static void reap_children(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0)
    ;
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "usage: znet-pause\n");
    return 2;
  }
  if (getpid() != 1)
    fprintf(stderr, "znet-pause: not pid 1: children of others are not "
                    "reaped here\n");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    fprintf(stderr, "znet-pause: sigprocmask: %s\n", strerror(errno));
    return 1;
  }
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig == SIGCHLD)
      reap_children();
    else if (sig == SIGTERM || sig == SIGINT)
      return 0;
    else if (sig < 0 && errno != EINTR) {
      fprintf(stderr, "znet-pause: sigwaitinfo: %s\n", strerror(errno));
      return 1;
    }
  }
}
