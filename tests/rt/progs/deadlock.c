/*
 * A deadlock made on purpose (tests/rt/images.sh): locker-a takes m1
 * then m2, locker-b m2 then m1, both after a barrier, so each waits for
 * the other for ever; reader waits on a pipe nobody will write; main
 * joins locker-a.  The image's network is up, yet no frame can wake any
 * of them: the runtime must say so, name each thread, what it waits on
 * and the code addresses on its stack (lock_both's among locker-a's),
 * and end the image rather than hang.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;
static int pipefd[2];

__attribute__((noinline)) static void lock_both(pthread_mutex_t *first,
                                                pthread_mutex_t *second) {
  pthread_mutex_lock(first);
  pthread_barrier_wait(&both);
  pthread_mutex_lock(second); /* never returns */
  pthread_mutex_unlock(second);
  pthread_mutex_unlock(first);
}

static void *locker_a(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "locker-a");
  lock_both(&m1, &m2);
  return NULL;
}

static void *locker_b(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "locker-b");
  lock_both(&m2, &m1);
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "reader");
  char c;
  (void)read(pipefd[0], &c, 1); /* nobody writes */
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (pipe(pipefd) != 0 || pthread_barrier_init(&both, NULL, 2) != 0)
    return 1;
  pthread_t a, b, r;
  pthread_create(&r, NULL, reader, NULL);
  pthread_create(&a, NULL, locker_a, NULL);
  pthread_create(&b, NULL, locker_b, NULL);
  printf("threads started; joining locker-a\n");
  pthread_join(a, NULL);
  printf("joined (this must not happen)\n");
  return 0;
}
