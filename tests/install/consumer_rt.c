/*
 * A program as any program is, built by the installed znet-cc
 * (scripts/install-check): it must run on Linux (configure scripts run
 * what znet-cc links) and, made an image by the installed znet-image,
 * link for Solo5.  It uses what musl gives: stdio with floating point,
 * threads, TLS, a constructor.
 */
#include <pthread.h>
#include <stdio.h>

static __thread int tls = 41;
static int ctor;

__attribute__((constructor)) static void init(void) { ctor = 1; }

static void *thread(void *arg) {
  (void)arg;
  tls++;
  return (void *)(long)tls;
}

int main(void) {
  pthread_t t;
  void *r = NULL;
  if (pthread_create(&t, NULL, thread, NULL) != 0 || pthread_join(t, &r) != 0)
    return 1;
  printf("znet-cc program: %.2f, thread's TLS %ld, main's %d, constructor %d\n",
         1.5, (long)r, tls, ctor);
  return (long)r == 42 && tls == 41 && ctor == 1 ? 0 : 1;
}
