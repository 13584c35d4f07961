/* The group of shards (posix/preload/group.c) on a 4-queue TAP in a
 * private network namespace, with forked children as the workers: what
 * the steering program answers for frames (BPF_PROG_TEST_RUN) as slots
 * are claimed, serve a port, hold flows, die and are reaped.  Needs root
 * (TAP, CAP_BPF); skipped without. */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "group.h"
#include "zt.h"
#include "znet.h"

#define PL_TEST_FLOOR 300 /* the group's descriptors go at or above */

static struct pl_group *g;
static const char *why_skip;

/* A TCP SYN from 10.0.0.1:sport to 10.0.0.2:dport. */
static size_t syn(uint8_t *f, uint16_t sport, uint16_t dport) {
  memset(f, 0, 54);
  f[0] = 2, f[5] = 2, f[6] = 2, f[11] = 1, f[12] = 0x08;
  uint8_t *ip = f + 14;
  ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
  ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
  uint8_t *t = f + 34;
  t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
  t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
  t[12] = 0x50, t[13] = 0x02;
  return 54;
}

static uint32_t slot_for(uint16_t sport, uint16_t dport) {
  uint8_t f[64];
  uint32_t s = 99;
  ZT_EQ(zn_tap_steer_run(pl_group_steer(g), f, syn(f, sport, dport), &s),
        ZN_OK);
  return s;
}

static struct zn_steer_key key_of(uint16_t sport, uint16_t dport) {
  uint8_t f[64];
  struct zn_steer_key k;
  zn_steer_key_of_frame(f, syn(f, sport, dport), &k);
  return k;
}

/* A child that claims a slot, serves port 80, holds the flows from peer
 * ports 1111, 2222, ... 5555, tells its slot on `out`, and waits for a byte on `in`. */
static pid_t worker(int *in_w, int *out_r) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0)
    return -1;
  pid_t p = fork();
  if (p == 0) {
    close(in[1]);
    close(out[0]);
    int s = pl_group_claim(g);
    if (s >= 0) {
      pl_group_serve(g, s, 6, 80, true);
      for (uint16_t sp = 1111; sp <= 5555; sp += 1111) {
        struct zn_steer_key k = key_of(sp, 80);
        pl_group_flow(g, s, &k, true);
      }
    }
    signed char b = (signed char)s;
    (void)!write(out[1], &b, 1);
    char c;
    (void)!read(in[0], &c, 1);
    _exit(0);
  }
  close(in[0]);
  close(out[1]);
  *in_w = in[1];
  *out_r = out[0];
  return p;
}

static int slot_of(int out_r) {
  signed char b = -2;
  (void)!read(out_r, &b, 1);
  return b;
}

static void finish(pid_t p, int in_w, int out_r) {
  (void)!write(in_w, "x", 1);
  close(in_w);
  close(out_r);
  waitpid(p, NULL, 0);
}

ZT_TEST(test_slots_rows_flows_and_death) {
  if (why_skip) {
    zt_skip(why_skip);
    return;
  }
  ZT_EQ(pl_group_slot(g), 0);
  ZT_EQ(pl_group_nslots(g), 4);
  /* Nobody serves: everything to slot 0. */
  ZT_EQ(slot_for(40000, 80), 0);
  ZT_EQ(pl_group_serve(g, 0, 6, 80, true), ZN_OK);
  ZT_EQU(pl_group_serving(g, 6, 80), 1);
  int in_w, out_r;
  pid_t p = worker(&in_w, &out_r);
  ZT_EQ(slot_of(out_r), 1);
  ZT_EQU(pl_group_serving(g, 6, 80), 3);
  /* The row spreads port 80 over slots 0 and 1 by bucket. */
  uint32_t on[4] = {0}, wrong = 0;
  for (uint32_t sp = 30000; sp < 30512; sp++) {
    uint32_t s = slot_for((uint16_t)sp, 80);
    struct zn_steer_key k = key_of((uint16_t)sp, 80);
    if (sp % 1111 != 0)
      wrong += s != zn_steer_bucket(&k) % 2;
    if (s < 4)
      on[s]++;
  }
  ZT_EQ(wrong, 0);
  ZT_CHECK(on[0] > 150 && on[1] > 150);
  printf("# port 80 over slots 0 and 1: %u and %u of 512\n", on[0], on[1]);
  for (uint16_t sp = 1111; sp <= 5555; sp += 1111)
    ZT_EQ(slot_for(sp, 80), 1); /* its flows */
  ZT_EQ(slot_for(40000, 81), 0); /* a port nobody serves */
  /* Alive: nothing to reap.  Dead: its slot, row share and flow go. */
  ZT_EQ(pl_group_reap(g), 0);
  finish(p, in_w, out_r);
  ZT_EQ(pl_group_reap(g), 1);
  ZT_EQU(pl_group_serving(g, 6, 80), 1);
  for (uint16_t sp = 1111; sp <= 5555; sp += 1111)
    ZT_EQ(slot_for(sp, 80), 0); /* every one of its flows forgotten */
  for (uint32_t sp = 30000; sp < 30064; sp++)
    ZT_EQ(slot_for((uint16_t)sp, 80), 0);
  /* Its slot is taken again; with every slot taken, none. */
  pid_t w[4];
  int wi[4], wo[4], got[4];
  for (int i = 0; i < 4; i++) {
    w[i] = worker(&wi[i], &wo[i]);
    got[i] = slot_of(wo[i]);
  }
  ZT_EQ(got[0], 1);
  ZT_EQ(got[1], 2);
  ZT_EQ(got[2], 3);
  ZT_EQ(got[3], -1);
  ZT_EQU(pl_group_serving(g, 6, 80), 0xf);
  for (int i = 0; i < 4; i++)
    finish(w[i], wi[i], wo[i]);
  ZT_EQ(pl_group_reap(g), 3);
  ZT_EQU(pl_group_serving(g, 6, 80), 1);
  ZT_EQ(pl_group_serve(g, 0, 6, 80, false), ZN_OK);
  ZT_EQU(pl_group_serving(g, 6, 80), 0);
  ZT_EQ(slot_for(30001, 80), 0);
}

static bool readable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, ms) != 1)
    return false;
  uint64_t v;
  (void)!read(fd, &v, sizeof(v));
  return true;
}

/* A worker wishes for a neighbor slot 0 knows (answered at once) and one
 * it does not: slot 0 is woken, takes the wish, publishes, and the
 * worker is woken and finds it. */
ZT_TEST(test_neighbors_through_slot_0) {
  if (why_skip) {
    zt_skip(why_skip);
    return;
  }
  struct zn_ip a = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 1));
  struct zn_ip b = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 9));
  static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1};
  static const uint8_t mac_b[6] = {2, 0, 0, 0, 0, 9};
  pl_group_publish(g, &a, mac_a);
  while (readable(pl_group_wake_fd(g, 0), 0)) {
  }
  pid_t p = fork();
  if (p == 0) {
    int bad = 0;
    uint8_t mac[6];
    bad += pl_group_claim(g) != 1;
    bad += !pl_group_wish(g, 1, &a, mac) || memcmp(mac, mac_a, 6) != 0;
    bad += pl_group_wish(g, 1, &b, mac); /* not known: slot 0 is asked */
    bad += !readable(pl_group_wake_fd(g, 1), 5000);
    bad += !pl_group_lookup(g, &b, mac) || memcmp(mac, mac_b, 6) != 0;
    _exit(bad);
  }
  ZT_CHECK(readable(pl_group_wake_fd(g, 0), 5000));
  struct zn_ip ips[4];
  ZT_EQ(pl_group_take_wishes(g, ips, 4), 1);
  ZT_CHECK(zn_ip_eq(&ips[0], &b));
  pl_group_publish(g, &b, mac_b);
  int st = -1;
  waitpid(p, &st, 0);
  ZT_CHECK(WIFEXITED(st));
  ZT_EQ(WEXITSTATUS(st), 0);
  ZT_EQ(pl_group_take_wishes(g, ips, 4), 0); /* answered: gone */
  ZT_EQ(pl_group_reap(g), 1);
}

/* The leader hears whether any other process of the group lives: a
 * child that joined (not claimed), then gone; a child that claimed and
 * exited is reaped while still a zombie (its parent has not waited).
 * A child that takes the lead has slot 0, and the next child to claim
 * after the leader is gone takes slot 0. */
ZT_TEST(test_members_zombies_and_the_lead) {
  if (why_skip) {
    zt_skip(why_skip);
    return;
  }
  ZT_CHECK(!pl_group_others_alive(g));
  int go[2];
  ZT_EQ(pipe(go), 0);
  pid_t p = fork();
  if (p == 0) {
    pl_group_join(g);
    char c;
    close(go[1]);
    (void)!read(go[0], &c, 1); /* until the parent closes it */
    _exit(0);
  }
  close(go[0]);
  bool seen = false;
  for (int i = 0; i < 500 && !seen; i++) { /* its join, within 5 s */
    seen = pl_group_others_alive(g);
    if (!seen)
      usleep(10000);
  }
  ZT_CHECK(seen);
  close(go[1]);
  waitpid(p, NULL, 0);
  ZT_CHECK(!pl_group_others_alive(g));

  /* A zombie's slot is given back before its parent waits for it. */
  p = fork();
  if (p == 0)
    _exit(pl_group_claim(g) == 1 ? 0 : 1);
  siginfo_t si;
  ZT_EQ(waitid(P_PID, (id_t)p, &si, WEXITED | WNOWAIT), 0); /* a zombie */
  ZT_EQ(pl_group_reap(g), 1);
  waitpid(p, NULL, 0);

  /* Slot 0 passed to a child (a caretaker): it cannot lead before it is
   * passed, leads after; a second child cannot take it from the first.
   * Then the first is gone, and the next to claim takes slot 0 (as the
   * first child of a daemon's master would). */
  int st = -1;
  pid_t q = fork();
  if (q == 0) /* slot 0 is the test's process's: not to be taken */
    _exit(pl_group_lead(g) ? 1 : 0);
  waitpid(q, &st, 0);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  int passed[2];
  ZT_EQ(pipe(passed), 0);
  p = fork();
  if (p == 0) {
    char c;
    (void)!read(passed[0], &c, 1);
    bool led = pl_group_lead(g);
    (void)!read(passed[0], &c, 1); /* the second child has tried */
    _exit(led && pl_group_slot(g) == 0 ? 0 : 1);
  }
  ZT_CHECK(pl_group_pass_lead(g, p));
  ZT_CHECK(!pl_group_pass_lead(g, p)); /* no longer ours to pass */
  (void)!write(passed[1], "x", 1);
  usleep(100000);
  q = fork();
  if (q == 0)
    _exit(pl_group_lead(g) ? 1 : 0);
  waitpid(q, &st, 0);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  (void)!write(passed[1], "x", 1);
  close(passed[0]);
  close(passed[1]);
  waitpid(p, &st, 0);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  p = fork();
  if (p == 0)
    _exit(pl_group_claim(g) == 0 ? 0 : 1);
  waitpid(p, &st, 0);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ZT_EQ(pl_group_reap(g), 1);
  pl_group_lead(g); /* the test's process leads again */
  ZT_EQ(pl_group_slot(g), 0);
}

/* The group's descriptors sit at or above the floor it was given, and
 * the queues still carry frames (the steering program's tables too:
 * test_slots_rows_flows_and_death). */
ZT_TEST(test_fds_above_the_floor) {
  if (why_skip) {
    zt_skip(why_skip);
    return;
  }
  int fds[3 * PL_GROUP_MAX_SLOTS + 3];
  uint32_t n = pl_group_fds(g, fds, 3 * PL_GROUP_MAX_SLOTS + 3);
  ZT_EQU(n, 4u * 2u + 3u);
  uint32_t high = 0;
  for (uint32_t i = 0; i < n; i++)
    high += fds[i] >= PL_TEST_FLOOR;
  ZT_EQU(high, n);
}

/* Slot 0's IPv4 address (a DHCP lease's) for the others: a new
 * generation only when it changes, and the others woken. */
ZT_TEST(test_ipv4_followed) {
  if (why_skip) {
    zt_skip(why_skip);
    return;
  }
  uint32_t a, gw;
  uint8_t p;
  uint64_t gen0 = pl_group_ipv4_gen(g);
  pl_group_set_ipv4(g, 0x0a000002, 24, 0x0a000001);
  uint64_t gen1 = pl_group_ipv4(g, &a, &p, &gw);
  ZT_CHECK(gen1 > gen0);
  ZT_EQU(a, 0x0a000002);
  ZT_EQU(p, 24);
  ZT_EQU(gw, 0x0a000001);
  ZT_CHECK(readable(pl_group_wake_fd(g, 1), 1000)); /* (and rearmed) */
  pl_group_set_ipv4(g, 0x0a000002, 24, 0x0a000001); /* the same: nothing */
  ZT_EQU(pl_group_ipv4_gen(g), gen1);
  ZT_CHECK(!readable(pl_group_wake_fd(g, 1), 0));
  pl_group_set_ipv4(g, 0x0a000063, 24, 0x0a000001); /* a new lease */
  ZT_CHECK(pl_group_ipv4(g, &a, &p, &gw) > gen1);
  ZT_EQU(a, 0x0a000063);
  ZT_CHECK(readable(pl_group_wake_fd(g, 1), 1000));
}

ZT_TEST(test_open_refusals) {
  if (why_skip) {
    zt_skip(why_skip);
    return;
  }
  struct pl_group *x;
  char why[128] = "";
  ZT_EQ(pl_group_open("zngrp1", 1, 0, ZN_TAP_NO_OFFLOAD, 0, &x, why,
                      sizeof(why)),
        ZN_EINVAL);
  ZT_CHECK(x == NULL);
  /* A TAP made without multi-queue: said so. */
  struct zn_tap single;
  ZT_EQ(zn_tap_open_flags(&single, "zngrp2", 0, ZN_TAP_NO_OFFLOAD), ZN_OK);
  ZT_EQ(pl_group_open("zngrp2", 2, 0, ZN_TAP_NO_OFFLOAD, 0, &x, why,
                      sizeof(why)),
        ZN_EINVAL);
  ZT_CHECK(x == NULL);
  ZT_CHECK(strstr(why, "multi_queue") != NULL);
  printf("# %s\n", why);
  zn_netif_close(&single.nif);
  /* A second group on zngrp0, whose first four queues are g's: its
   * queues would not be 0 to 3, so it is refused. */
  ZT_EQ(pl_group_open("zngrp0", 2, 0, ZN_TAP_NO_OFFLOAD, 0, &x, why,
                      sizeof(why)),
        ZN_EEXIST);
  ZT_CHECK(x == NULL);
  ZT_CHECK(strstr(why, "another program") != NULL);
  printf("# %s\n", why);
}

int main(void) {
  char why[128] = "";
  if (geteuid() != 0)
    why_skip = "needs root (a TAP, CAP_BPF)";
  else if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
    why_skip = "no private network namespace";
  /* sysfs for this namespace, in this mount namespace only: the group
   * counts the TAP's queues there. */
  else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
           mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
    why_skip = "no sysfs of its own";
  else if (pl_group_open("zngrp0", 4, 0, ZN_TAP_NO_OFFLOAD, PL_TEST_FLOOR,
                         &g, why, sizeof(why)) != ZN_OK) {
    printf("# pl_group_open: %s\n", why);
    why_skip = "the group could not be opened";
  }
  ZT_RUN(test_fds_above_the_floor);
  ZT_RUN(test_slots_rows_flows_and_death);
  ZT_RUN(test_neighbors_through_slot_0);
  ZT_RUN(test_members_zombies_and_the_lead);
  ZT_RUN(test_ipv4_followed);
  ZT_RUN(test_open_refusals);
  return zt_done();
}
