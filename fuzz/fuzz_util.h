/*
 * What the fuzz harnesses share: reading the fuzzer's bytes, failing
 * loudly, fixing up checksums, stacks on a virtual clock and the end-of-
 * run checks.  Every harness is also built, with gcc, into a plain replay
 * driver (replay.c) that runs its checked-in corpus in scripts/test.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "znet.h"

/* The libFuzzer entry point every harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the input -------------------------------------------------------- */

/* A cursor over the fuzzer's bytes; reads past the end give zeros. */
struct fz_in {
  const uint8_t *p;
  size_t len, off;
};

void fz_in_init(struct fz_in *in, const uint8_t *p, size_t len);
static inline bool fz_more(const struct fz_in *in) { return in->off < in->len; }
static inline size_t fz_left(const struct fz_in *in) {
  return in->len - in->off;
}
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
/* Up to `want` bytes (fewer at the end of the input); *out points at them. */
size_t fz_bytes(struct fz_in *in, size_t want, const uint8_t **out);

/* The input of the per-layer harnesses above Ethernet: a flags byte (bit
 * 0: fix the checksums), with `addrs` the source and destination
 * addresses (4 bytes each) a transport checksum needs, then the message. */
struct fz_msg {
  bool fix;
  uint32_t src, dst;
  const uint8_t *p;
  size_t len;
};

void fz_msg_input(struct fz_msg *m, const uint8_t *data, size_t size,
                  bool addrs);

/* ---- failing ---------------------------------------------------------- */

/* Print the reason and abort, so libFuzzer (or the replay driver) reports
 * the input. */
_Noreturn void fz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FZ_CHECK(cond)                                                        \
  do {                                                                        \
    if (!(cond))                                                              \
      fz_fail(__FILE__, __LINE__, "check failed: %s", #cond);                 \
  } while (0)

/* Abort if a check of tests/harness.c (accounting, leaks) failed. */
void fz_check_harness(void);

/* ---- frames ----------------------------------------------------------- */

/* Recompute, in place, the IPv4 header checksum of an Ethernet frame and,
 * for an unfragmented datagram, the ICMP, UDP or TCP checksum over the
 * bytes the headers announce (cut to those present), so that mutated
 * frames get past the stack's checks.  Frames that are not IPv4, or too
 * short to hold the headers, are left alone. */
void fz_fix_checksums(uint8_t *frame, size_t len);

/* Where the IPv4 header of an Ethernet frame starts (14, or 18 after one
 * 802.1Q tag); 0 if the frame is not IPv4 or too short for a header. */
size_t fz_ipv4_off(const uint8_t *frame, size_t len);

/* Copy a frame into a buffer of st and hand it to the stack, then flush
 * what it answered.  Returns false if no buffer was free. */
bool fz_inject(struct zn_stack *st, const uint8_t *frame, size_t len);

/* ---- stacks ----------------------------------------------------------- */

/* th_config() (fixed seed) with small pools and short TCP timers, so a
 * run reaches timeouts and its end quickly on the virtual clock:
 * ip 10.0.0.<last>/24, MAC 02:00:00:00:00:<last>, no announcement. */
void fz_config(struct zn_config *cfg, uint8_t last);

/* Two stacks on a memlink (each end may be wrapped by a decorator before
 * the stacks are attached), and the virtual clock. */
struct fz_pair {
  struct zn_memlink link;
  struct zn_stack *a, *b;
  uint64_t now;
};

/* Advance the clock by dur ns, polling both stacks at every deadline and
 * whenever frames are in flight; the work is bounded (fails the run if the
 * stacks keep exchanging frames without time moving: a livelock). */
void fz_pair_run(struct fz_pair *p, uint64_t dur);

/* The end of a run: free queued frames, destroy both stacks and check
 * that every frame is accounted for and every buffer came back. */
void fz_pair_free(struct fz_pair *p);

/* Connections and sockets of a stack still in its tables. */
uint32_t fz_tcp_used(const struct zn_stack *st);
uint32_t fz_udp_open(const struct zn_stack *st);

/* Fail if a stack counted an event its TCP classifier should never
 * produce. */
void fz_check_stack(const struct zn_stack *st);

/* ---- the applications on the stacks ---------------------------------- */

#define FZ_MAX_CONNS 16

/* A server: TCP port 80 echoes, port 81 accepts and never reads (its
 * window closes), UDP port 7 echoes.  Every handle is counted when it is
 * made and when its on_closed comes. */
struct fz_server {
  struct zn_stack *st;
  struct zn_tcp_conn *listener[2];
  struct zn_tcp_conn *conns[FZ_MAX_CONNS];
  struct zn_udp_sock *udp;
  uint32_t opened, closed;
};

void fz_server_start(struct fz_server *s, struct zn_stack *st);
/* Close every handle (the stack finishes the connections on its own). */
void fz_server_close(struct fz_server *s);

/* Fail unless every handle has had its on_closed and the stack's tables
 * are empty: call after fz_server_close and enough time. */
void fz_check_closed(const struct zn_stack *st, uint32_t opened,
                     uint32_t closed);

/* One stack, 10.0.0.2, on a link whose other end nobody reads, knowing
 * 10.0.0.1 (MAC :01) statically, running fz_server: where the per-layer
 * harnesses send what they parsed. */
struct fz_solo {
  struct zn_memlink link;
  struct zn_stack *st;
  struct fz_server srv;
  uint64_t now;
};

void fz_solo_init(struct fz_solo *s);
/* The same with IPv6 on: fe80::2/64 and 2001:db8::2/64, knowing fe80::1
 * (MAC :01) as a neighbor. */
void fz_solo_init6(struct fz_solo *s);
/* Advance the solo's clock by dur ns, polling at every deadline and
 * discarding what the stack sends. */
void fz_solo_run(struct fz_solo *s, uint64_t dur);
/* Close the server, let the stack finish, check and free everything. */
void fz_solo_free(struct fz_solo *s);

/* The longest frame a stack's buffer holds (a large buffer). */
#define FZ_FRAME_MAX ((size_t)ZN_BIGBUF_SIZE - ZN_BUF_HEADROOM)

/* Hand the solo stack a frame (fz_inject): it must take any frame of up to
 * FZ_FRAME_MAX bytes. */
void fz_solo_inject(struct fz_solo *s, const uint8_t *frame, size_t len);
/* Hand the solo stack `len` bytes, all of them, as the payload of an
 * Ethernet frame from 02:00:00:00:00:01 of the given EtherType. */
void fz_solo_feed_l3(struct fz_solo *s, uint16_t type, const uint8_t *p,
                     size_t len);
/* ... or of an IPv4 datagram from 10.0.0.1 to it (20-byte header, no
 * options), with the transport checksum fixed if fix is set: the first
 * 65515 bytes, all that one datagram holds. */
void fz_solo_feed_ip(struct fz_solo *s, uint8_t proto, const uint8_t *p,
                     size_t len, bool fix);

#endif /* FUZZ_UTIL_H */
