/* A multi-threaded server as envoy-style servers are written, for
 * tests/e2e/threads.sh: each of N threads opens its own SO_REUSEPORT
 * listener on PORT, its own epoll, and answers HTTP/1.1 requests on the
 * connections it accepts (keep-alive; the body names the thread).  On
 * SIGTERM or SIGINT every thread stops and the program prints, per
 * thread, how many connections it accepted and requests it answered.
 *
 *   thread_server PORT N          serve until a signal
 *   thread_server PORT cross      the rules across threads: an epoll
 *                                 the main thread made, used by another;
 *                                 a thread's epoll given another
 *                                 thread's socket; a poll on sockets of
 *                                 two threads; a bind of a port another
 *                                 thread holds (PORT + 1)
 *
 * It is an ordinary Linux program (the kernel's sockets when run alone);
 * under znet-run --thread-shards each thread gets a stack of its own. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_THREADS 16
#define MAX_FD 65536

struct worker {
  pthread_t t;
  unsigned long accepted, answered;
  int id;
  int err; /* the errno that stopped it, or 0 */
};

static volatile sig_atomic_t stop;
static int port;
static pthread_barrier_t ready;
/* Per descriptor: how much of "\r\n\r\n" the bytes so far end with. */
static unsigned char tail[MAX_FD];

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static int listener(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
      bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 512) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* The requests whose ends ("\r\n\r\n") buf completes on fd. */
static unsigned requests_in(int fd, const char *buf, size_t n) {
  static const char end[] = "\r\n\r\n";
  unsigned k = tail[fd], done = 0;
  for (size_t i = 0; i < n; i++) {
    k = buf[i] == end[k] ? k + 1 : buf[i] == '\r' ? 1 : 0;
    if (k == 4) {
      done++;
      k = 0;
    }
  }
  tail[fd] = (unsigned char)k;
  return done;
}

static void drop(int ep, int fd) {
  (void)epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
}

/* Answer what fd sent: one reply per request. */
static void serve(struct worker *w, int ep, int fd) {
  char buf[4096], reply[160];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      drop(ep, fd);
      return;
    }
    if (n < 0)
      return;
    unsigned k = requests_in(fd, buf, (size_t)n);
    char body[32];
    int blen = snprintf(body, sizeof(body), "thread %d\n", w->id);
    int len = snprintf(reply, sizeof(reply),
                       "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s",
                       blen, body);
    for (unsigned i = 0; i < k; i++) {
      if (write(fd, reply, (size_t)len) != len) {
        drop(ep, fd);
        return;
      }
      w->answered++;
    }
  }
}

static void take(struct worker *w, int ep, int lfd) {
  for (;;) {
    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    if (c < 0)
      return;
    if (c >= MAX_FD) {
      close(c);
      continue;
    }
    tail[c] = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) != 0) {
      close(c);
      continue;
    }
    w->accepted++;
  }
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  int lfd = listener();
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  if (lfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
    w->err = errno;
  pthread_barrier_wait(&ready);
  if (w->err)
    return NULL;
  struct epoll_event evs[64];
  while (!stop) {
    int n = epoll_wait(ep, evs, 64, 100);
    for (int i = 0; i < n; i++) {
      if (evs[i].data.fd == lfd)
        take(w, ep, lfd);
      else
        serve(w, ep, evs[i].data.fd);
    }
  }
  close(ep);
  close(lfd);
  return NULL;
}

static int serve_threads(int n) {
  struct worker ws[MAX_THREADS];
  pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
  for (int i = 0; i < n; i++) {
    ws[i] = (struct worker){.id = i};
    if (pthread_create(&ws[i].t, NULL, worker_main, &ws[i]) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  pthread_barrier_wait(&ready);
  int bad = 0;
  for (int i = 0; i < n; i++)
    if (ws[i].err) {
      fprintf(stderr, "thread %d: %s\n", i, strerror(ws[i].err));
      bad = 1;
    }
  printf("listening: %d threads on port %d\n", n, port);
  (void)fflush(stdout);
  for (int i = 0; i < n; i++)
    pthread_join(ws[i].t, NULL);
  for (int i = 0; i < n; i++)
    printf("thread %d: accepted %lu answered %lu\n", i, ws[i].accepted,
           ws[i].answered);
  return bad;
}

/* ---- cross: a thread's sets given another thread's socket ---- */

static int other_fd, main_ep;

static void *cross_main(void *arg) {
  (void)arg;
  int mine = listener();
  /* An instance the main thread made, holding nothing yet: it joins the
   * stack of the first socket added (this thread's). */
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = mine};
  int rc = epoll_ctl(main_ep, EPOLL_CTL_ADD, mine, &ev);
  printf("epoll_ctl main's instance, mine: %d %s\n", rc,
         rc ? strerror(errno) : "ok");
  struct epoll_event out;
  rc = epoll_wait(main_ep, &out, 1, 0);
  printf("epoll_wait main's instance: %d %s\n", rc,
         rc < 0 ? strerror(errno) : "ok");
  /* This thread's own instance, holding its socket: another thread's
   * socket cannot join it. */
  int ep = epoll_create1(0);
  rc = epoll_ctl(ep, EPOLL_CTL_ADD, mine, &ev);
  printf("epoll_ctl mine: %d %s\n", rc, rc ? strerror(errno) : "ok");
  ev.data.fd = other_fd;
  rc = epoll_ctl(ep, EPOLL_CTL_ADD, other_fd, &ev);
  printf("epoll_ctl other: %d %s\n", rc, rc ? strerror(errno) : "ok");
  struct pollfd p[2] = {{mine, POLLIN, 0}, {other_fd, POLLIN, 0}};
  rc = poll(p, 2, 0);
  printf("poll both: %d %s\n", rc, rc < 0 ? strerror(errno) : "ok");
  rc = poll(p, 1, 0);
  printf("poll mine: %d %s\n", rc, rc < 0 ? strerror(errno) : "ok");
  /* The port the main thread holds (no SO_REUSEPORT): taken, as in one
   * stack. */
  int again = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)(port + 1))};
  rc = bind(again, (struct sockaddr *)&a, sizeof(a));
  printf("bind the main thread's port: %d %s\n", rc,
         rc ? strerror(errno) : "ok");
  close(again);
  close(ep);
  close(mine);
  return NULL;
}

static int cross(void) {
  other_fd = socket(AF_INET, SOCK_DGRAM, 0);
  main_ep = epoll_create1(0);
  int held = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)(port + 1))};
  if (other_fd < 0 || main_ep < 0 || held < 0 ||
      bind(held, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      listen(held, 8) != 0) {
    perror("socket");
    return 1;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, cross_main, NULL) != 0)
    return 1;
  pthread_join(t, NULL);
  /* The socket still works in its own thread. */
  struct pollfd p = {other_fd, POLLOUT, 0};
  int rc = poll(&p, 1, 0);
  printf("poll other in its thread: %d %s\n", rc,
         rc < 0 ? strerror(errno) : "ok");
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PORT N|cross\n", argv[0]);
    return 2;
  }
  char *end;
  long p = strtol(argv[1], &end, 10);
  if (*end || p < 1 || p > 65535) {
    fprintf(stderr, "%s: a port, 1 to 65535\n", argv[0]);
    return 2;
  }
  port = (int)p;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  (void)sigaction(SIGTERM, &sa, NULL);
  (void)sigaction(SIGINT, &sa, NULL);
  (void)signal(SIGPIPE, SIG_IGN);
  if (!strcmp(argv[2], "cross"))
    return cross();
  long n = strtol(argv[2], &end, 10);
  if (*end || n < 1 || n > MAX_THREADS) {
    fprintf(stderr, "%s: 1 to %d threads\n", argv[0], MAX_THREADS);
    return 2;
  }
  return serve_threads((int)n);
}
