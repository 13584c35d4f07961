/* fcntl for znet's Solo5 runtime: the descriptor flags libznet-posix
 * keeps (examples/solo5/posix_host.c), with Linux's values. */
#ifndef ZN_SOLO5_FCNTL_H
#define ZN_SOLO5_FCNTL_H

#define O_RDONLY 0
#define O_WRONLY 01
#define O_RDWR 02
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_NDELAY O_NONBLOCK
#define O_CLOEXEC 02000000

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030

#define FD_CLOEXEC 1

int fcntl(int fd, int cmd, ...);

#endif
