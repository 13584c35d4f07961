/* struct timeval (Linux's layout), for select and the socket timeouts. */
#ifndef ZN_SOLO5_SYS_TIME_H
#define ZN_SOLO5_SYS_TIME_H

#include <sys/types.h>

struct timeval {
  time_t tv_sec;
  suseconds_t tv_usec;
};

#endif
