/*
 * rt/net.c's interface for the rest of the runtime: the network's start
 * and a program's own stack handed over.  (The descriptor table reaches
 * the layer's sockets only through their files' operations.)
 */
#ifndef ZN_RT_NET_H
#define ZN_RT_NET_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

struct zn_config;
struct zn_posix;
struct zn_stack;

/* A program written against znet's own API (znet/app.h, app/app_int.h)
 * owns the network: it runs its own loop (zn__app_run), whose archive member
 * (app/api_image.c) defines zrt_net_program_owned.  Then zrt_net_start
 * takes no flags and builds nothing (every word of the command line is
 * the program's, which parses znet's flags with its own), and the
 * program's zn__app_open (app/common_solo5.c) builds the stack on "service"
 * as its flags size it and hands it over with zrt_net_adopt: the socket
 * layer is built over it and the scheduler's pump drives it from then
 * on.  Until then the image has no socket layer. */
extern const char zrt_net_program_owned __attribute__((weak));
bool zrt_net_owned_by_program(void);
/* 0, -EBUSY (the runtime has its own stack, or one was adopted), or
 * -ENOMEM (no memory for the socket layer; the stack stays the
 * caller's). */
int zrt_net_adopt(struct zn_stack *st, const struct zn_config *cfg);

/* SIGPIPE for -EPIPE unless flags has MSG_NOSIGNAL; returns rc. */
long zrt_net_sigpipe(long rc, int flags);

#endif
