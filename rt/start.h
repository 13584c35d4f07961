/* What rt/start.c hands the other modules at start, and what it calls. */
#ifndef ZN_RT_START_H
#define ZN_RT_START_H

#include <stddef.h>
#include <stdint.h>

/* The runtime's own flags (the words before "--"; rt/start.c). */
struct zrt_opts {
  char *env[256];    /* --env NAME=VALUE */
  int nenv;
  char *tmpfs[16];   /* --tmpfs PATH: more writable trees than /tmp */
  int ntmpfs;
  const char *dns[3]; /* --dns ADDR: /etc/resolv.conf's nameservers */
  int ndns;
  const char *cwd;   /* --cwd DIR */
  const char *hostname; /* --hostname NAME */
  size_t stack_size; /* the main thread's stack */
  size_t thread_stack; /* --thread-stack: the most a thread gets; 0 none */
  uint8_t seed[32];  /* for the stack's generator */
};

const struct zrt_opts *zrt_opts(void);

/* rt/net.c, before main(): znet's flags out of the words before "--"
 * (libznet-app's zn_app_open, as every znet program parses them), the
 * stack on the image's net device, its addresses settled, the socket
 * layer over it.  Returns the program's words (argv[0], then those after
 * "--"), *pargc their number.  When the program owns the network
 * (znet/image.h: zn_image_program_owns_net) it builds nothing and every
 * word is the program's: its zn_app_open builds the stack and hands it
 * over (zn_image_adopt_stack); until then the image has no socket
 * layer. */
char **zrt_net_start(int argc, char **argv, int *pargc);
/* rt/net.c: "nameserver ADDR" lines for the DHCP lease's DNS servers
 * into text (nothing without a lease). */
void zrt_net_lease_dns(char *text, size_t n);

#endif
