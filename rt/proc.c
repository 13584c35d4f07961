/*
 * Who and where the program is: identity, the machine's name, limits,
 * memory figures and the thread pointer.  One process (pid 1), one user
 * (uid 0, named in /etc/passwd), one CPU.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "mem.h"
#include "proc.h"
#include "rt.h"
#include "sys_gen.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define HOSTNAME_MAX 64
#define NOFILE_MAX 1024

static struct {
  char hostname[HOSTNAME_MAX + 1];
  struct rlimit lim[RLIM_NLIMITS];   /* as set (below the ceilings) */
  bool lim_set[RLIM_NLIMITS];
  size_t stack_size;
} g = {.hostname = "znet"};

void zrt_proc_init(const char *hostname, size_t stack_size) {
  if (hostname && hostname[0]) {
    size_t n = strlen(hostname);
    if (n > HOSTNAME_MAX)
      n = HOSTNAME_MAX;
    memcpy(g.hostname, hostname, n);
    g.hostname[n] = '\0';
  }
  g.stack_size = stack_size;
}

const char *zrt_hostname(void) { return g.hostname; }

long zrt_sys_getresuid(uid_t *r, uid_t *e, uid_t *s) {
  *r = *e = *s = 0;
  return 0;
}

long zrt_sys_getresgid(gid_t *r, gid_t *e, gid_t *s) {
  *r = *e = *s = 0;
  return 0;
}

long zrt_sys_setid(long id) { return id == 0 ? 0 : -EPERM; }

static void copy_field(char *dst, const char *src) {
  size_t n = strlen(src);
  if (n >= sizeof(((struct utsname *)0)->sysname))
    n = sizeof(((struct utsname *)0)->sysname) - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

long zrt_sys_uname(struct utsname *u) {
  memset(u, 0, sizeof(*u));
  copy_field(u->sysname, "Linux");
  copy_field(u->nodename, g.hostname);
  copy_field(u->release, "6.1.0-znet");
  copy_field(u->version, "#1 znet unikernel (libznet-rt)");
  copy_field(u->machine, "x86_64");
  copy_field(u->domainname, "(none)");
  return 0;
}

long zrt_sys_sethostname(const char *name, size_t len) {
  if (len > HOSTNAME_MAX)
    return -EINVAL;
  memcpy(g.hostname, name, len);
  g.hostname[len] = '\0';
  return 0;
}

/* The ceiling of each limit: what the image has. */
static struct rlimit ceiling(int res) {
  struct zrt_mem_stats ms;
  struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
  switch (res) {
  case RLIMIT_NOFILE:
    r.rlim_cur = r.rlim_max = NOFILE_MAX;
    break;
  case RLIMIT_STACK:
    r.rlim_cur = r.rlim_max = g.stack_size;
    break;
  case RLIMIT_AS:
  case RLIMIT_DATA:
    zrt_mem_stats(&ms);
    r.rlim_cur = r.rlim_max = ms.total;
    break;
  case RLIMIT_NPROC:
    r.rlim_cur = r.rlim_max = 1;
    break;
  case RLIMIT_CORE:
    r.rlim_cur = r.rlim_max = 0;
    break;
  default:
    break;
  }
  return r;
}

long zrt_sys_getrlimit(int res, struct rlimit *rl) {
  if (res < 0 || res >= RLIM_NLIMITS)
    return -EINVAL;
  *rl = g.lim_set[res] ? g.lim[res] : ceiling(res);
  return 0;
}

long zrt_sys_setrlimit(int res, const struct rlimit *rl) {
  if (res < 0 || res >= RLIM_NLIMITS)
    return -EINVAL;
  struct rlimit c = ceiling(res);
  if (rl->rlim_cur > rl->rlim_max)
    return -EINVAL;
  if (rl->rlim_max > c.rlim_max)
    return -EPERM;
  g.lim[res] = *rl;
  g.lim_set[res] = true;
  if (res == RLIMIT_NOFILE)
    zrt_fd_set_limit(rl->rlim_cur);
  return 0;
}

long zrt_sys_prlimit64(int pid, int res, const struct rlimit *nl,
                       struct rlimit *ol) {
  if (pid != 0 && pid != 1)
    return -ESRCH;
  struct rlimit old;
  long rc = zrt_sys_getrlimit(res, &old);
  if (rc == 0 && nl)
    rc = zrt_sys_setrlimit(res, nl);
  if (rc == 0 && ol)
    *ol = old;
  return rc;
}

long zrt_sys_sysinfo(struct sysinfo *si) {
  struct zrt_mem_stats ms;
  zrt_mem_stats(&ms);
  memset(si, 0, sizeof(*si));
  /* long in glibc's header, unsigned long in musl's */
  si->uptime = (__typeof__(si->uptime))(zrt_plat_monotonic() / 1000000000u);
  si->totalram = ms.total;
  si->freeram = ms.free;
  si->procs = 1;
  si->mem_unit = 1;
  return 0;
}

long zrt_sys_arch_prctl(int code, uintptr_t addr) {
  switch (code) {
  case ARCH_SET_FS:
    return zrt_sched_set_tp(addr);
  case ARCH_GET_FS:
    *(uintptr_t *)addr = zrt_sched_get_tp();
    return 0;
  default:
    return -EINVAL;
  }
}
