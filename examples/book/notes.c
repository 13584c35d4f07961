/* The book's chapter 10: a program that keeps its data.  A TCP server
 * that appends each line a client sends to a file and answers "ok N"
 * (the line's number) only once the line is on the disk (fsync); a
 * client that connects is told how many lines the file holds.  Plain
 * POSIX: znet-cc builds it, and znet-image makes that an image with a
 * disk:
 *
 *     znet-cc -o notes notes.c && ./notes /tmp/notes.log 7070   # on Linux
 *     znet-image --target spt --volume data notes               # notes.spt
 *     znet-disk mkfs data.img 16M
 *     solo5-spt --net:service=tap0 --block:rootfs=empty.tar \
 *         --block:data=data.img notes.spt --ipv4=10.0.0.2/24 \
 *         --mount /data=data -- /data/notes.log 7070            # an image
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The lines the file holds now: its newlines. */
static long count_lines(int fd) {
  char buf[4096];
  long n = 0;
  ssize_t r;
  off_t at = 0;
  while ((r = pread(fd, buf, sizeof(buf), at)) > 0) {
    for (ssize_t i = 0; i < r; i++)
      n += buf[i] == '\n';
    at += r;
  }
  return n;
}

/* One client: its lines appended, each acknowledged after its fsync. */
static void serve(int c, int fd, long *lines) {
  char in[1024], out[64];
  size_t have = 0;
  int k = snprintf(out, sizeof(out), "lines %ld\n", *lines);
  (void)!write(c, out, (size_t)k);
  for (;;) {
    ssize_t r = read(c, in + have, sizeof(in) - have);
    if (r <= 0)
      return;
    have += (size_t)r;
    char *nl;
    while ((nl = memchr(in, '\n', have))) {
      size_t len = (size_t)(nl - in) + 1;
      if (write(fd, in, len) != (ssize_t)len || fsync(fd) != 0) {
        k = snprintf(out, sizeof(out), "error %s\n", strerror(errno));
        (void)!write(c, out, (size_t)k);
        return;
      }
      k = snprintf(out, sizeof(out), "ok %ld\n", ++*lines);
      (void)!write(c, out, (size_t)k);
      memmove(in, in + len, have - len);
      have -= len;
    }
    if (have == sizeof(in))
      return; /* a line longer than the buffer: the client is dropped */
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: notes FILE PORT\n");
    return 2;
  }
  int fd = open(argv[1], O_RDWR | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  long lines = count_lines(fd);
  printf("notes: %s holds %ld lines\n", argv[1], lines);
  fflush(stdout);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)atoi(argv[2]))};
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 8) != 0) {
    perror("listen");
    return 1;
  }
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0)
      continue;
    serve(c, fd, &lines);
    close(c);
  }
}
