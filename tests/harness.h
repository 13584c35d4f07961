/*
 * Test harness for stacks: a stack in a malloc'd arena, two stacks joined
 * by a memlink, a virtual clock, and the no-leak check every test ends
 * with.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet.h"
/* Beyond the umbrella: the tests drive the wire formats, the test and
 * fault-injection netifs and the libraries over libznet directly. */
#include "znet/dns.h"
#include "znet/dns_wire.h"
#include "znet/fault.h"
#include "znet/http.h"
#include "znet/memlink.h"
#include "znet/wire.h"

/* The IPv4 address a (host order) as a `const struct zn_ip *`, for the
 * calls that take one: zn_tcp_connect(st, TH_IP(ZN_IPV4(10, 0, 0, 2)), ..). */
#define TH_IP(a) ((const struct zn_ip[1]){zn_ip_from_v4(a)})

/* A zn_log_fn printing TAP comments. */
void zn_host_log_for_tests(void *ctx, int level, const char *line);

/* A config with defaults, a fixed seed (so runs repeat), logging off
 * unless ZT_LOG is set in the environment. */
void th_config(struct zn_config *cfg, uint32_t ip, uint8_t prefix,
               uint8_t mac_last);

/* A stack in a fresh arena. */
struct zn_stack *th_stack_new(const struct zn_config *cfg);

/* A stack in a fresh arena, assembled from the n modules of tab
 * (zn__stack_create_with: a stack without some module); NULL if the
 * table or the config is refused. */
struct zn__module;
struct zn_stack *th_stack_new_with(const struct zn_config *cfg,
                                   const struct zn__module *const *tab,
                                   size_t n);

/* Destroy the stack, check (ZT_EQ) that no buffer is left in use, free the
 * arena. */
void th_stack_free(struct zn_stack *st);

/* Check that every frame the stack received is accounted for: at each
 * layer, what came in equals what was dropped (one DROP counter each) plus
 * what was passed up, plus fragments still held.  Reports each broken
 * equation with zt_fail and returns the number broken. */
int th_check_accounting(const struct zn_stack *st);

struct th_pair {
  struct zn_memlink link;
  struct zn_stack *a, *b;   /* a: 10.0.0.1/24, b: 10.0.0.2/24 */
  uint64_t now;
};

/* cfg_a / cfg_b may be NULL for th_config() defaults; addresses and MACs
 * (02:00:00:00:00:01 and :02) are those of th_config unless the given
 * config sets them. */
void th_pair_init(struct th_pair *p, const struct zn_config *cfg_a,
                  const struct zn_config *cfg_b);

/* Advance the virtual clock by `dur` ns, polling both stacks at every
 * deadline and whenever frames are in flight. */
void th_pair_run(struct th_pair *p, uint64_t dur);

/* Free queued frames and both stacks (with the leak check). */
void th_pair_free(struct th_pair *p);

/* Advance *now by `dur` ns for one stack alone (its netif, if any, left
 * to the test): poll at every deadline, and again at the same time while
 * its deadline is now (frames on its loopback or transmit queue). */
void th_stack_run(struct zn_stack *st, uint64_t *now, uint64_t dur);

/* The material from outside the repository that some tests read (the
 * shared captures, FreeBSD's TCP scripts): ../shared beside the checkout,
 * or the directory given to meson as -Dshared_dir (scripts/test: the
 * environment's ZN_SHARED_DIR).  A fresh clone has none of it, so a test
 * that needs it skips, with one line naming what is missing and where it
 * goes; with ZN_SHARED_REQUIRED set in the environment (.ci/run sets it)
 * a missing file fails instead.
 *
 * th_shared(path): true if path exists.  If not, marks the running case
 * skipped (zt_skip) or failed, and returns false: the case returns before
 * it makes anything. */
bool th_shared(const char *path);

/* th_shared_all(path): for a test every case of which needs path, called
 * first thing in main.  Returns if path exists; if not, prints the plan
 * that skips the whole test ("1..0 # SKIP ...") and exits 0, or, with
 * ZN_SHARED_REQUIRED set, prints "Bail out! ..." and exits 1. */
void th_shared_all(const char *path);

#endif /* TESTS_HARNESS_H */
