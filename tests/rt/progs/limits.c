/*
 * What an image does at its limits (tests/rt/images.sh boots it with
 * little memory): memory runs out with ENOMEM and the program goes on;
 * a thread that computes (making system calls) does not starve a
 * sleeper; a system call the runtime does not answer returns ENOSYS
 * (and the console names it once, which the test counts); a thread that
 * asks a 4 MiB stack gets what --thread-stack allows, and runs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MB (1u << 20)
#define MAX_BLOCKS 4096

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void out_of_memory(void) {
  static void *blocks[MAX_BLOCKS];
  int n = 0;
  errno = 0;
  while (n < MAX_BLOCKS) {
    void *p = malloc(MB);
    if (!p)
      break;
    memset(p, 0x5a, MB);
    blocks[n++] = p;
  }
  printf("malloc of 1 MiB blocks failed after %d MiB: %s\n", n,
         errno == ENOMEM ? "ENOMEM" : strerror(errno));
  void *big = mmap(NULL, (size_t)64 << 30, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap of 64 GiB: %s\n",
         big == MAP_FAILED && errno == ENOMEM ? "ENOMEM" : "no ENOMEM");
  for (int i = 0; i < n; i += 2)
    free(blocks[i]);
  int again = 0;
  for (int i = 0; i < n; i += 2) {
    blocks[i] = malloc(MB);
    again += blocks[i] != NULL;
  }
  printf("after freeing half, %d of %d blocks allocated again\n", again,
         (n + 1) / 2);
  for (int i = 0; i < n; i++)
    free(blocks[i]);
}

static volatile int spin_stop;

static void *spinner(void *arg) {
  (void)arg;
  unsigned long calls = 0;
  while (!spin_stop) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t); /* a system call each time */
    calls++;
  }
  return (void *)calls;
}

static void no_starvation(void) {
  pthread_t t;
  pthread_create(&t, NULL, spinner, NULL);
  double worst = 0;
  for (int i = 0; i < 10; i++) {
    double a = now_ms();
    struct timespec d = {0, 20000000};
    nanosleep(&d, NULL);
    double late = now_ms() - a - 20.0;
    if (late > worst)
      worst = late;
  }
  spin_stop = 1;
  void *calls;
  pthread_join(t, &calls);
  printf("20 ms sleeps beside a spinning thread: late by less than 100 ms: "
         "%d (worst %.1f ms); the spinner ran: %d\n",
         worst < 100.0, worst, calls != NULL);
}

static void still_serving(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7708),
                           .sin_addr.s_addr = htonl(0x7f000001)};
  int ok = bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
           listen(l, 4) == 0;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ok = ok && connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0;
  int s = ok ? accept(l, NULL, NULL) : -1;
  char buf[8] = {0};
  ok = ok && s >= 0 && send(c, "alive", 5, 0) == 5 &&
       recv(s, buf, sizeof(buf), 0) == 5 && memcmp(buf, "alive", 5) == 0;
  printf("a loopback connection after all that: %s\n", ok ? "ok" : "failed");
  close(c);
  close(s);
  close(l);
}

static void *use_stack(void *arg) {
  volatile char buf[32 * 1024];
  for (size_t i = 0; i < sizeof buf; i += 512)
    buf[i] = (char)i;
  return arg;
}

/* As redis's threads ask: 4 MiB. */
static void stack_cap(void) {
  pthread_attr_t a;
  size_t got = 0;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 4u * MB);
  pthread_attr_getstacksize(&a, &got);
  pthread_t t;
  void *r = NULL;
  int e = pthread_create(&t, &a, use_stack, &got);
  if (e == 0)
    pthread_join(t, &r);
  printf("a thread asked 4194304 bytes of stack, got %zu: %s\n", got,
         e == 0 && r == &got ? "ran" : strerror(e));
  pthread_attr_destroy(&a);
}

static void unanswered(void) {
  long a = syscall(SYS_acct, NULL);
  int ea = errno;
  long b = syscall(SYS_acct, NULL);
  int eb = errno;
  printf("acct twice: %ld %s, %ld %s\n", a, ea == ENOSYS ? "ENOSYS" : "?", b,
         eb == ENOSYS ? "ENOSYS" : "?");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  stack_cap();
  out_of_memory();
  no_starvation();
  still_serving();
  unanswered();
  printf("== done\n");
  return 0;
}
