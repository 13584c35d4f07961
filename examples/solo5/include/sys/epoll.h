/* epoll for znet's Solo5 runtime (libznet-posix, posix_host.c), with
 * Linux's layout: struct epoll_event is packed on x86_64, as the
 * kernel's is there. */
#ifndef ZN_SOLO5_SYS_EPOLL_H
#define ZN_SOLO5_SYS_EPOLL_H

#include <signal.h>
#include <stdint.h>

#define EPOLLIN 0x001u
#define EPOLLPRI 0x002u
#define EPOLLOUT 0x004u
#define EPOLLERR 0x008u
#define EPOLLHUP 0x010u
#define EPOLLNVAL 0x020u
#define EPOLLRDNORM 0x040u
#define EPOLLRDBAND 0x080u
#define EPOLLWRNORM 0x100u
#define EPOLLWRBAND 0x200u
#define EPOLLMSG 0x400u
#define EPOLLRDHUP 0x2000u
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

#define EPOLL_CLOEXEC 02000000

typedef union epoll_data {
  void *ptr;
  int fd;
  uint32_t u32;
  uint64_t u64;
} epoll_data_t;

struct epoll_event {
  uint32_t events;
  epoll_data_t data;
}
#if defined(__x86_64__)
__attribute__((packed))
#endif
;

int epoll_create(int size);
int epoll_create1(int flags);
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout_ms);
int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout_ms,
                const sigset_t *sigmask);

#endif
