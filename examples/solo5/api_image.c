/*
 * Linked into the image of a program written against znet's own API
 * (znet-echo, znet-dns-blocker, znet-httpd: examples/common.h), and only
 * there: it says that the program owns the network.  libznet-rt then
 * takes no flags and builds no stack before main(); the program parses
 * znet's flags with its own, and its ex_open builds the stack and hands
 * it to the runtime (platform.c, rt/net.h).  A program written against
 * POSIX (kvd) does not link it: the runtime builds the stack from the
 * words before "--".
 */
const char zrt_net_program_owned = 1;
