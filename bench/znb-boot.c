/*
 * znb-boot: the time from a server's start to its first answered request
 * (bench/images.sh: a unikernel's tender, solo5-spt, from its exec to
 * redis's PONG or nginx's HTTP 200; bench/langs.sh: a Python web
 * application's HTTP 200, libzmq's greeting).
 *
 *   znb-boot --addr IP --port N --proto redis|http|zmtp [--cpu N]
 *            [--interval-us U] [--timeout-ms T] [--log FILE] [--keep]
 *            [--netns NAME] -- CMD ARG...
 *
 * Takes the monotonic clock, forks, and the child (pinned to --cpu)
 * execs CMD with its standard output and error into a pipe this program
 * reads.  Meanwhile it opens a new non-blocking TCP connection to
 * IP:PORT every U microseconds (default 200), keeping every attempt in
 * progress (at most 512, the oldest closed first): a SYN sent before the
 * server can take it is lost or refused, and waiting for the kernel's
 * own retransmission (1 s) would measure that timer.  The first attempt
 * to connect sends the request (redis: PING; http: GET / HTTP/1.0; zmtp:
 * ZMTP 3's signature, RFC 23); the first whole answer (+PONG, HTTP/1.x
 * 200, the peer's signature: 0xff, 8 bytes, 0x7f) ends the measurement, and the
 * child is killed (SIGKILL: nothing after the answer is measured).
 *
 * With --keep (bench/fleet.sh: a fleet of servers left running) the
 * child is not killed: its standard output and error go straight to the
 * --log file (which --keep needs), so it outlives this program, and this
 * program follows the file's growth instead of a pipe's (its times are
 * then as fine as the loop's wake-ups: 200 us, or 1 ms while a
 * connection waits for its answer).  The line then ends with pid=, the
 * child's.  With --netns the child enters the network namespace NAME
 * (/run/netns/NAME, as `ip netns add` makes it) before its exec: the
 * server in a pod's namespace, this program in the host's.
 *
 * One line on standard output:
 *   znb mode=boot proto=P answer_us= conn_us= console_us= rt_us= net_us=
 *   syns=
 * answer_us: start to the answer; conn_us: to the first connection
 * established; console_us: to the child's first byte of output (for
 * solo5-spt: the guest's banner, so the tender's own start-up is before
 * it); rt_us: to the first line containing "znet-rt: " (the image's
 * runtime has started); net_us: to the first such line with " mac " in
 * it ("znet-rt: ADDR mac MAC on ...": the stack is up).  -1 where it did
 * not happen.  Exit status 0 if
 * answered within --timeout-ms (default 10000), 1 otherwise.
 *
 * Compile: gcc -O2 -o znb-boot bench/znb-boot.c (bench/images.sh does).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXP 512

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct att {
  int fd;
  bool connected;
  size_t got;
  char buf[64];
};

static void usage(void) {
  fprintf(stderr, "usage: znb-boot --addr IP --port N --proto redis|http|zmtp "
                  "[--cpu N] [--interval-us U] [--timeout-ms T] "
                  "[--log FILE] [--keep] [--netns NAME] -- CMD ARG...\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *addr = NULL, *proto = NULL, *logpath = NULL, *netns = NULL;
  int port = 0, cpu = -1;
  long interval_us = 200, timeout_ms = 10000;
  bool keep = false;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (strcmp(argv[i], "--keep") == 0) {
      keep = true;
      continue;
    }
    if (i + 1 >= argc)
      usage();
    if (strcmp(argv[i], "--addr") == 0)
      addr = argv[++i];
    else if (strcmp(argv[i], "--port") == 0)
      port = atoi(argv[++i]);
    else if (strcmp(argv[i], "--proto") == 0)
      proto = argv[++i];
    else if (strcmp(argv[i], "--cpu") == 0)
      cpu = atoi(argv[++i]);
    else if (strcmp(argv[i], "--interval-us") == 0)
      interval_us = atol(argv[++i]);
    else if (strcmp(argv[i], "--timeout-ms") == 0)
      timeout_ms = atol(argv[++i]);
    else if (strcmp(argv[i], "--log") == 0)
      logpath = argv[++i];
    else if (strcmp(argv[i], "--netns") == 0)
      netns = argv[++i];
    else
      usage();
  }
  if (!addr || !proto || port <= 0 || i >= argc || interval_us <= 0 ||
      (keep && !logpath))
    usage();
  bool redis = strcmp(proto, "redis") == 0;
  bool zmtp = strcmp(proto, "zmtp") == 0;
  if (!redis && !zmtp && strcmp(proto, "http") != 0)
    usage();
  static const char zmtp_sig[] = "\xff\0\0\0\0\0\0\0\x01\x7f";
  const char *req = redis ? "PING\r\n" : "GET / HTTP/1.0\r\n\r\n";
  size_t req_len = zmtp ? sizeof(zmtp_sig) - 1 : strlen(req);
  if (zmtp)
    req = zmtp_sig;
  const char *want = redis ? "+PONG\r\n" : "HTTP/1.1 200";
  const char *want_alt = redis ? "+PONG\r\n" : "HTTP/1.0 200";
  size_t want_len = zmtp ? 10 : strlen(want);

  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
    usage();
  FILE *logf = NULL;
  int pfd[2]; /* [0] read here: the pipe's end, or the log file (--keep) */
  if (keep) {
    pfd[1] = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                  0644);
    pfd[0] = pfd[1] < 0 ? -1 : open(logpath, O_RDONLY | O_CLOEXEC);
    if (pfd[0] < 0) {
      perror(logpath);
      return 2;
    }
  } else {
    logf = logpath ? fopen(logpath, "w") : NULL;
    if (pipe2(pfd, O_CLOEXEC) != 0) {
      perror("pipe");
      return 2;
    }
  }
  int64_t t0 = now_ns();
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 2;
  }
  if (child == 0) {
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof(set), &set);
    }
    if (keep) /* its own session: it outlives this program's */
      setsid();
    if (netns) {
      char path[512];
      snprintf(path, sizeof(path), "/run/netns/%s", netns);
      int nfd = open(path, O_RDONLY | O_CLOEXEC);
      if (nfd < 0 || setns(nfd, CLONE_NEWNET) != 0) {
        dprintf(pfd[1], "znb-boot: cannot enter %s: %s\n", path,
                strerror(errno));
        _exit(126);
      }
      close(nfd);
    }
    dup2(pfd[1], 1);
    dup2(pfd[1], 2);
    execvp(argv[i], argv + i);
    _exit(127);
  }
  close(pfd[1]);
  fcntl(pfd[0], F_SETFL, O_NONBLOCK);

  static struct att atts[MAXP];
  static struct pollfd pfds[MAXP + 1];
  int natt = 0, syns = 0;
  int64_t t_console = -1, t_rt = -1, t_net = -1, t_conn = -1, t_answer = -1;
  int64_t last_syn = 0, deadline = t0 + timeout_ms * 1000000LL;
  int64_t interval = interval_us * 1000LL;
  char line[512];
  size_t linelen = 0;
  bool pipe_open = true, child_gone = false, at_line_start = true;
  int status = 0;

  while (t_answer < 0) {
    int64_t t = now_ns();
    if (t >= deadline)
      break;
    if (!child_gone && waitpid(child, &status, WNOHANG) == child)
      child_gone = true;
    if (child_gone && (!pipe_open || keep))
      break;
    bool live = false; /* an attempt connected and waiting for its answer */
    for (int k = 0; k < natt; k++)
      live = live || atts[k].connected;
    if (t - last_syn >= interval && !live) {
      if (natt == MAXP) { /* the oldest attempt makes room */
        close(atts[0].fd);
        memmove(atts, atts + 1, sizeof(atts[0]) * (MAXP - 1));
        natt--;
      }
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        if (rc == 0 || errno == EINPROGRESS) {
          atts[natt++] = (struct att){.fd = fd};
          syns++;
        } else {
          close(fd);
        }
      }
      last_syn = t;
    }
    int n = 0;
    for (int k = 0; k < natt; k++)
      pfds[n++] = (struct pollfd){
          .fd = atts[k].fd, .events = atts[k].connected ? POLLIN : POLLOUT};
    int pipe_ix = -1;
    if (pipe_open && !keep) { /* a file is always readable: read below */
      pipe_ix = n;
      pfds[n++] = (struct pollfd){.fd = pfd[0], .events = POLLIN};
    }
    int64_t wait = !live ? last_syn + interval - now_ns() : 1000000;
    if (wait < 0)
      wait = 0;
    struct timespec ts = {.tv_sec = wait / 1000000000,
                          .tv_nsec = wait % 1000000000};
    int r = ppoll(pfds, n, &ts, NULL);
    int64_t te = now_ns();
    if (r <= 0 && !keep)
      continue;
    if (keep || (pipe_ix >= 0 && pfds[pipe_ix].revents)) {
      char b[4096];
      ssize_t got;
      while ((got = read(pfd[0], b, sizeof(b))) > 0) {
        if (t_console < 0)
          t_console = te;
        for (ssize_t k = 0; k < got; k++) {
          if (logf) { /* each line of the log after its arrival time */
            if (at_line_start)
              fprintf(logf, "[%9.3f ms] ", (te - t0) / 1e6);
            fputc(b[k], logf);
            at_line_start = b[k] == '\n';
          }
          if (b[k] == '\n' || linelen == sizeof(line) - 1) {
            line[linelen] = '\0';
            if (strstr(line, "znet-rt: ")) {
              if (t_rt < 0)
                t_rt = te;
              if (t_net < 0 && strstr(line, " mac "))
                t_net = te;
            }
            linelen = 0;
          } else {
            line[linelen++] = b[k];
          }
        }
      }
      if (got == 0 && !keep)
        pipe_open = false;
    }
    if (r <= 0)
      continue;
    /* The attempts, from the newest back (their order in atts is kept:
     * removal compacts). */
    for (int k = natt - 1; k >= 0; k--) {
      short re = pfds[k].revents;
      if (!re)
        continue;
      struct att *a = &atts[k];
      bool drop = false;
      if (!a->connected) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (re & (POLLERR | POLLHUP))) {
          drop = true;
        } else {
          a->connected = true;
          if (t_conn < 0)
            t_conn = te;
          if (write(a->fd, req, req_len) != (ssize_t)req_len)
            drop = true;
        }
      } else {
        ssize_t got = read(a->fd, a->buf + a->got, sizeof(a->buf) - 1 - a->got);
        if (got > 0) {
          a->got += (size_t)got;
          if (a->got >= want_len) {
            if (zmtp ? (unsigned char)a->buf[0] == 0xff &&
                           (unsigned char)a->buf[9] == 0x7f
                     : memcmp(a->buf, want, want_len) == 0 ||
                           memcmp(a->buf, want_alt, want_len) == 0)
              t_answer = te;
            else
              drop = true;
          }
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          drop = true;
        }
      }
      if (drop) {
        close(a->fd);
        memmove(atts + k, atts + k + 1,
                sizeof(atts[0]) * (size_t)(natt - k - 1));
        natt--;
      }
      if (t_answer >= 0)
        break;
    }
  }
  if (!child_gone && !(keep && t_answer >= 0)) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  for (int k = 0; k < natt; k++)
    close(atts[k].fd);
  /* What the child printed after the answer, for the log. */
  if (logf) {
    char b[4096];
    ssize_t got;
    while (pipe_open && (got = read(pfd[0], b, sizeof(b))) > 0)
      fwrite(b, 1, (size_t)got, logf);
    fclose(logf);
  }
#define US(t) ((t) < 0 ? -1.0 : ((t)-t0) / 1000.0)
  printf("znb mode=boot proto=%s answer_us=%.1f conn_us=%.1f console_us=%.1f "
         "rt_us=%.1f net_us=%.1f syns=%d",
         proto, US(t_answer), US(t_conn), US(t_console), US(t_rt), US(t_net),
         syns);
  if (keep)
    printf(" pid=%d", t_answer >= 0 ? (int)child : -1);
  printf("\n");
  return t_answer >= 0 ? 0 : 1;
}
