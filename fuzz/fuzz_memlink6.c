/*
 * fuzz_memlink over IPv6: the same two stacks, operations and checks, with
 * A at 2001:db8::1 and B at 2001:db8::2 on one /64, so TCP and UDP run
 * over neighbor discovery, IPv6 fragmentation and reassembly and ICMPv6
 * on the faulty link.  Its input format is fuzz_memlink's, whose corpus
 * seeds it.
 */
#define FZ_MEMLINK_V6 1
#include "fuzz_memlink.c"
