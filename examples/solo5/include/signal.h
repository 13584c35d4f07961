/* Signals for znet's Solo5 runtime: there are none (Solo5 delivers no
 * signals), but the POSIX calls that take a mask (ppoll, pselect,
 * epoll_pwait) name its type: sigset_t, sized as the C library's on
 * Linux (1024 bits). */
#ifndef ZN_SOLO5_SIGNAL_H
#define ZN_SOLO5_SIGNAL_H

typedef struct {
  unsigned long bits[1024 / (8 * sizeof(unsigned long))];
} sigset_t;

#define SIGINT 2
#define SIGPIPE 13
#define SIGTERM 15

#endif
