/* The descriptor calls of znet's Solo5 runtime (posix_host.c): read,
 * write and close of libznet-posix's sockets, and of the console: 0
 * reads end of file, 1 and 2 write to solo5_console_write(). */
#ifndef ZN_SOLO5_UNISTD_H
#define ZN_SOLO5_UNISTD_H

#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int close(int fd);
int dup(int fd);
int dup2(int fd, int newfd);
int dup3(int fd, int newfd, int flags);

#endif
