/* The socket ioctls libznet-posix answers (examples/solo5/posix_host.c),
 * with Linux's x86_64 request numbers. */
#ifndef ZN_SOLO5_SYS_IOCTL_H
#define ZN_SOLO5_SYS_IOCTL_H

#define TIOCOUTQ 0x5411
#define FIONREAD 0x541B
#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#define SIOCINQ FIONREAD
#define SIOCOUTQ TIOCOUTQ
#define SIOCATMARK 0x8905

int ioctl(int fd, unsigned long req, ...);

#endif
