/*
 * The small /proc: /proc/1 (its stat, its directory of open
 * descriptors, fd/), /proc/self -> 1 and /proc/cpuinfo, a fixed tree of
 * pseudo nodes (pseudo.h) whose texts are made when opened.
 */
#include <string.h>

#include "files_int.h"
#include "pseudo.h"
#include "rt.h"

/* /proc/1/stat: pid, comm, state, then the 49 numbers of proc(5), zero
 * but ppid 0, pgrp and session 1, one thread, the priority and nice of a
 * default process. */
static size_t make_stat(char *buf, size_t n) {
  static const char head[] = "1 (znet) R 0 1 1 0 -1 4194560 0 0 0 0 ";
  static const char rest[] = "0 0 0 0 20 0 1 0 ";
  size_t at = 0;
  if (n < 256)
    return 0;
  memcpy(buf, head, sizeof(head) - 1);
  at = sizeof(head) - 1;
  memcpy(buf + at, rest, sizeof(rest) - 1);
  at += sizeof(rest) - 1;
  /* the start time */
  at += zrt_pseudo_put_dec(buf + at, zrt_plat_monotonic() / 10000000u);
  for (int i = 23; i <= 52; i++) {
    buf[at++] = ' ';
    buf[at++] = '0';
  }
  buf[at++] = '\n';
  return at;
}

static size_t make_cpuinfo(char *buf, size_t n) {
  static const char text[] = "processor\t: 0\nvendor_id\t: znet\n"
                             "model name\t: virtual CPU (Solo5)\n"
                             "cpu cores\t: 1\n\n";
  if (n < sizeof(text))
    return 0;
  memcpy(buf, text, sizeof(text) - 1);
  return sizeof(text) - 1;
}

static struct zrt_pnode proc_fd = FDDIR_NODE("fd");
static struct zrt_pnode proc_stat = TEXT_NODE("stat", make_stat);
static struct zrt_pnode *proc_pid_kids[] = {&proc_fd, &proc_stat, NULL};
static struct zrt_pnode proc_pid = DIR_NODE("1", proc_pid_kids);
static struct zrt_pnode proc_self = LINK_NODE("self", "1");
static struct zrt_pnode proc_cpuinfo = TEXT_NODE("cpuinfo", make_cpuinfo);
static struct zrt_pnode *proc_kids[] = {&proc_pid, &proc_cpuinfo,
                                        &proc_self, NULL};
static struct zrt_pnode proc_root = DIR_NODE("proc", proc_kids);

int zrt_procfs_mount(struct zrt_mount **out) {
  return zrt_pseudo_mount(&proc_root, ZRT_PROC_MAGIC, out);
}
