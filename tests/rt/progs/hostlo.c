/*
 * The host's loopback from an image (--host-loopback; tests/rt/images.sh
 * boots it with and without the flag, a server on the TAP's far side at
 * PORT+1).  The program listens on 127.0.0.1:PORT itself, then
 * connects to 127.0.0.1:PORT (its own listener: stays inside) and to
 * 127.0.0.1:PORT+1 (nobody inside): prints for each
 *   "PORT: connected, peer ADDR:P, read <LINE>" or "PORT: ERROR".
 * Then UDP, a connected socket sending "ping" to 127.0.0.1:PORT (a
 * socket of its own bound there, which answers "inside") and to
 * 127.0.0.1:PORT+2 (nobody inside): "udp PORT: <ANSWER>" or
 * "udp PORT: ERROR".
 * The far side's server says a line first; the program's own accepts
 * and says "inside".  With "serve" after PORT it then takes one more
 * connection on its listener (the host's, through --host-loopback's
 * door), says "hello ADDR:P" (the client as it sees it), counts what
 * comes until the client's FIN and answers "got N bytes", and prints
 * "served ADDR:P N".
 */
#include <poll.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_in lo(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* The line the far end says first (its first 63 bytes, newline cut). */
static void read_line(int fd, char *buf, size_t n) {
  size_t got = 0;
  ssize_t r;
  while (got + 1 < n && (r = read(fd, buf + got, 1)) == 1 && buf[got] != '\n')
    got++;
  buf[got] = '\0';
}

/* A UDP exchange with 127.0.0.1:port; ufd, if not -1, is our own
 * socket bound there, which answers. */
static void try_udp(int port, int ufd) {
  struct sockaddr_in a = lo(port);
  char buf[64];
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  /* socat forks a shell to answer, which a loaded machine can make take
   * seconds, and a datagram may be lost: as a UDP client does, ask
   * again after 2 s, 5 times in all (a refusal ends it at once). */
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      send(fd, "ping", 4, 0) != 4) {
    printf("udp %d: %s\n", port, strerror(errno));
    return;
  }
  if (ufd >= 0) {
    struct sockaddr_in from;
    socklen_t flen = sizeof(from);
    ssize_t n = recvfrom(ufd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
                         &flen);
    if (n > 0)
      (void)sendto(ufd, "inside", 6, 0, (struct sockaddr *)&from, flen);
  }
  ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
  for (int again = 1; again < 5 && n < 0 && ufd < 0 &&
                      (errno == EAGAIN || errno == EWOULDBLOCK);
       again++) {
    if (send(fd, "ping", 4, 0) != 4)
      break;
    n = recv(fd, buf, sizeof(buf) - 1, 0);
  }
  if (n < 0)
    printf("udp %d: %s\n", port, strerror(errno));
  else {
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    printf("udp %d: <%s>\n", port, buf);
  }
  close(fd);
}

static void try_port(int port, int lfd) {
  struct sockaddr_in a = lo(port), peer;
  socklen_t plen = sizeof(peer);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    printf("%d: %s\n", port, strerror(errno));
    if (fd >= 0)
      close(fd);
    return;
  }
  if (lfd >= 0) { /* our own listener's: say the line */
    int s = accept(lfd, NULL, NULL);
    if (s >= 0) {
      (void)write(s, "inside\n", 7);
      close(s);
    }
  }
  char line[64], addr[INET_ADDRSTRLEN] = "?";
  if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0)
    inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof(addr));
  read_line(fd, line, sizeof(line));
  printf("%d: connected, peer %s:%d, read <%s>\n", port, addr,
         ntohs(peer.sin_port), line);
  close(fd);
}

static void serve_one(int lfd) {
  struct pollfd p = {lfd, POLLIN, 0};
  if (poll(&p, 1, 20000) != 1) {
    printf("serve: nobody came\n");
    return;
  }
  struct sockaddr_in peer;
  socklen_t plen = sizeof(peer);
  int s = accept(lfd, (struct sockaddr *)&peer, &plen);
  if (s < 0) {
    printf("serve: accept: %s\n", strerror(errno));
    return;
  }
  char addr[INET_ADDRSTRLEN], line[64], buf[16384];
  inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof(addr));
  int n = snprintf(line, sizeof(line), "hello %s:%d\n", addr,
                   ntohs(peer.sin_port));
  (void)write(s, line, (size_t)n);
  long total = 0;
  ssize_t r;
  while ((r = read(s, buf, sizeof(buf))) > 0)
    total += r;
  n = snprintf(line, sizeof(line), "got %ld bytes\n", total);
  (void)write(s, line, (size_t)n);
  close(s);
  printf("served %s:%d %ld\n", addr, ntohs(peer.sin_port), total);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 7001;
  struct sockaddr_in a = lo(port);
  int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
      bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 4) != 0) {
    printf("listen %d: %s\n", port, strerror(errno));
    return 1;
  }
  try_port(port, lfd);
  try_port(port + 1, -1);
  int ufd = socket(AF_INET, SOCK_DGRAM, 0);
  if (ufd < 0 || bind(ufd, (struct sockaddr *)&a, sizeof(a)) != 0)
    printf("udp bind %d: %s\n", port, strerror(errno));
  try_udp(port, ufd);
  try_udp(port + 2, -1);
  fflush(stdout);
  if (argc > 2 && strcmp(argv[2], "serve") == 0)
    serve_one(lfd);
  return 0;
}
