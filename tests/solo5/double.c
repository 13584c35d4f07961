/*
 * A test double of the Solo5 ABI (rt/solo5-abi/solo5.h): a tiny "tender" linked
 * into the unikernel itself, implementing the calls znet makes with Linux
 * system calls on a TAP device, so that netif/solo5.c and the runtime in
 * examples/solo5/ run unchanged, and freestanding (-nostdlib -nostdinc:
 * no libc at all in the process), in CI where no Solo5 tender boots.
 *
 *     znet-echo.double [--net:service=TAP] [--mem=MB] [--mtu=N]
 *                      [--net-mac:service=MAC] [--] ARGS...
 *
 * ARGS, joined by single spaces, are the unikernel's command line, as
 * solo5-spt passes it.  The semantics are the ABI's as spt implements
 * them: one frame per solo5_net_read()/solo5_net_write(); a read with no
 * frame waiting returns SOLO5_R_AGAIN; a frame longer than the read's
 * buffer is cut to it (read(2) on a TAP does the same); solo5_yield()
 * sleeps in ppoll(2) until the deadline or input and reports the ready
 * handles as a bitmask (bit = handle); a device is acquired once.  Unlike
 * spt it is stricter where the ABI draws a line: a write over mtu + 14
 * bytes or a read into a buffer under mtu + 14 bytes is SOLO5_R_EINVAL
 * (spt would pass them to the kernel), so a backend that breaks the
 * contract fails the tests.  The program runs on a stack at the top of
 * its heap, as on Solo5.  x86_64 Linux only.
 *
 * Without --net the unikernel has no net device, as with an empty
 * manifest (tests/solo5/bearssl_kat.c).  The stack protector's canary and
 * failure function are here too, as Solo5's bindings have them.
 */
#include <solo5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/addr.h"
#include "znet/err.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "the Solo5 test double runs on x86_64 Linux only"
#endif

/* Linux x86_64 system call numbers and constants (no kernel headers in a
 * -nostdinc build). */
#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_mmap 9
#define SYS_ioctl 16
#define SYS_clock_gettime 228
#define SYS_exit_group 231
#define SYS_ppoll 271
#define L_EAGAIN 11
#define L_EINTR 4
#define L_O_RDWR 02
#define L_O_NONBLOCK 04000
#define L_O_CLOEXEC 02000000
#define L_PROT_RW 3
#define L_MAP_PRIVATE_ANON 0x22
#define L_TUNSETIFF 0x400454caul
#define L_IFF_TAP 0x0002
#define L_IFF_NO_PI 0x1000
#define L_POLLIN 0x0001
#define L_CLOCK_REALTIME 0
#define L_CLOCK_MONOTONIC 1

#define DEFAULT_MEM_MB 64u
#define CMDLINE_MAX 8192u
#define NAME_MAX_LEN 64u

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
                     "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static long sys3(long n, long a, long b, long c) {
  return sys6(n, a, b, c, 0, 0, 0);
}

struct l_timespec {
  long sec, nsec;
};

struct l_pollfd {
  int fd;
  short events, revents;
};

struct l_ifreq {
  char name[16];
  short flags;
  char pad[22];
};

/* The one net device. */
static struct {
  char name[NAME_MAX_LEN];
  char tap[16];
  int fd;
  bool acquired;
  uint8_t mac[SOLO5_NET_ALEN];
  size_t mtu;
} net = {.fd = -1,
         .mac = {0x02, 0x00, 0x00, 0x5e, 0x00, 0x02},
         .mtu = 1500};

static void out(const char *s) { sys3(SYS_write, 2, (long)s, (long)strlen(s)); }

__attribute__((noreturn)) static void die(const char *what) {
  out("solo5-double: ");
  out(what);
  out("\n");
  sys3(SYS_exit_group, 2, 0, 0);
  __builtin_unreachable();
}

/* ---- the ABI ----------------------------------------------------------- */

/* The stack protector's, as Solo5's bindings define them for code built
 * with its toolchain (-mstack-protector-guard=global; BearSSL in
 * scripts/check-freestanding --bearssl). */
uintptr_t __stack_chk_guard = 0x00deadbeef0d0a00;

__attribute__((noreturn)) void __stack_chk_fail(void);
void __stack_chk_fail(void) {
  out("solo5-double: stack corruption detected\n");
  solo5_exit(SOLO5_EXIT_ABORT);
}

void solo5_exit(int status) {
  sys3(SYS_exit_group, status, 0, 0);
  __builtin_unreachable();
}

void solo5_abort(void) {
  out("solo5-double: solo5_abort() called\n");
  solo5_exit(SOLO5_EXIT_ABORT);
}

static solo5_time_t clock_ns(long which) {
  struct l_timespec ts;
  if (sys3(SYS_clock_gettime, which, (long)&ts, 0) != 0)
    die("clock_gettime failed");
  return (solo5_time_t)ts.sec * 1000000000u + (solo5_time_t)ts.nsec;
}

solo5_time_t solo5_clock_monotonic(void) { return clock_ns(L_CLOCK_MONOTONIC); }

solo5_time_t solo5_clock_wall(void) { return clock_ns(L_CLOCK_REALTIME); }

void solo5_console_write(const char *buf, size_t size) {
  while (size > 0) {
    long n = sys3(SYS_write, 1, (long)buf, (long)size);
    if (n == -L_EINTR)
      continue;
    if (n <= 0)
      return; /* best effort, as the ABI says */
    buf += n;
    size -= (size_t)n;
  }
}

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
                                 struct solo5_net_info *info) {
  if (net.fd < 0 || net.acquired || strcmp(name, net.name) != 0)
    return SOLO5_R_EINVAL;
  net.acquired = true;
  *handle = 0;
  memcpy(info->mac_address, net.mac, SOLO5_NET_ALEN);
  info->mtu = net.mtu;
  return SOLO5_R_OK;
}

static bool valid_handle(solo5_handle_t h) { return h == 0 && net.acquired; }

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size) {
  if (!valid_handle(handle) || size < net.mtu + SOLO5_NET_HLEN)
    return SOLO5_R_EINVAL;
  long n;
  do {
    n = sys3(SYS_read, net.fd, (long)buf, (long)size);
  } while (n == -L_EINTR);
  if (n == -L_EAGAIN)
    return SOLO5_R_AGAIN;
  if (n < 0)
    return SOLO5_R_EUNSPEC;
  *read_size = (size_t)n;
  return SOLO5_R_OK;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size) {
  if (!valid_handle(handle) || size > net.mtu + SOLO5_NET_HLEN)
    return SOLO5_R_EINVAL;
  long n;
  do {
    n = sys3(SYS_write, net.fd, (long)buf, (long)size);
  } while (n == -L_EINTR);
  /* A frame the host cannot take now is dropped, silently. */
  return n == (long)size || n == -L_EAGAIN ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set) {
  struct l_pollfd p = {.fd = net.acquired ? net.fd : -1, .events = L_POLLIN};
  solo5_time_t now = solo5_clock_monotonic();
  struct l_timespec ts = {0, 0};
  if (deadline > now) {
    solo5_time_t left = deadline - now;
    ts.sec = (long)(left / 1000000000u);
    ts.nsec = (long)(left % 1000000000u);
  }
  long n;
  do {
    n = sys6(SYS_ppoll, (long)&p, 1, (long)&ts, 0, 8, 0);
  } while (n == -L_EINTR);
  if (ready_set)
    *ready_set = n > 0 && (p.revents & L_POLLIN) ? 1u : 0u;
}

/* ---- the tender --------------------------------------------------------- */

static bool prefix(const char *s, const char *p, const char **rest) {
  size_t n = strlen(p);
  if (strncmp(s, p, n) != 0)
    return false;
  *rest = s + n;
  return true;
}

static uint64_t number(const char *s, const char *what) {
  uint64_t v = 0;
  if (*s == '\0')
    die(what);
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 - 10)
      die(what);
    v = v * 10 + (uint64_t)(*s - '0');
  }
  return v;
}

static void parse_mac(const char *s) {
  if (zn_mac_parse(s, net.mac) != ZN_OK)
    die("bad --net-mac (want xx:xx:xx:xx:xx:xx)");
}

/* --net:NAME=TAP */
static void parse_net(const char *s) {
  const char *eq = strchr(s, '=');
  if (eq == NULL || eq == s || (size_t)(eq - s) >= sizeof(net.name) ||
      strlen(eq + 1) == 0 || strlen(eq + 1) >= sizeof(net.tap))
    die("bad --net (want --net:NAME=TAP)");
  memcpy(net.name, s, (size_t)(eq - s));
  memcpy(net.tap, eq + 1, strlen(eq + 1));
}

static void open_tap(void) {
  long fd = sys3(SYS_open, (long)"/dev/net/tun",
                 L_O_RDWR | L_O_NONBLOCK | L_O_CLOEXEC, 0);
  if (fd < 0)
    die("cannot open /dev/net/tun");
  struct l_ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.name, net.tap, strlen(net.tap));
  ifr.flags = L_IFF_TAP | L_IFF_NO_PI;
  if (sys3(SYS_ioctl, fd, (long)L_TUNSETIFF, (long)&ifr) != 0)
    die("cannot attach to the TAP device (TUNSETIFF)");
  net.fd = (int)fd;
}

/* Run solo5_app_main on a stack at the top of the heap. */
static int call_on_heap_stack(uintptr_t top,
                              const struct solo5_start_info *si) {
  int ret;
  __asm__ volatile("mov %%rsp, %%rbx\n\t"
                   "mov %[top], %%rsp\n\t"
                   "call solo5_app_main\n\t"
                   "mov %%rbx, %%rsp"
                   : "=a"(ret)
                   : [top] "r"(top & ~(uintptr_t)15), "D"(si)
                   : "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11",
                     "memory", "cc");
  return ret;
}

static char cmdline[CMDLINE_MAX];

__attribute__((used)) static void double_main(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  uint64_t mem_mb = DEFAULT_MEM_MB;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i], *rest;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (prefix(a, "--net:", &rest))
      parse_net(rest);
    else if (prefix(a, "--net-mac:", &rest) && strchr(rest, '='))
      parse_mac(strchr(rest, '=') + 1);
    else if (prefix(a, "--mem=", &rest))
      mem_mb = number(rest, "bad --mem (want MB)");
    else if (prefix(a, "--mtu=", &rest))
      net.mtu = number(rest, "bad --mtu");
    else if (a[0] == '-' && a[1] == '-' && a[2] != '\0')
      die("unknown tender option (--net:NAME=TAP --mem=MB --mtu=N "
          "--net-mac:NAME=MAC)");
    else
      break;
  }
  if (mem_mb < 2 || mem_mb > 65536 || net.mtu < 68 || net.mtu > 9000)
    die("--mem or --mtu out of range");
  /* Without --net the unikernel has no device (an empty manifest). */
  if (net.name[0] != '\0')
    open_tap();
  size_t len = 0;
  for (; i < argc; i++) {
    size_t n = strlen(argv[i]);
    if (len + n + 2 > sizeof(cmdline))
      die("command line too long");
    if (len)
      cmdline[len++] = ' ';
    memcpy(cmdline + len, argv[i], n);
    len += n;
  }
  size_t heap = (size_t)mem_mb << 20;
  long base = sys6(SYS_mmap, 0, (long)heap, L_PROT_RW, L_MAP_PRIVATE_ANON, -1,
                   0);
  if (base < 0 && base > -4096)
    die("cannot map the heap");
  struct solo5_start_info si = {
      .cmdline = cmdline, .heap_start = (uintptr_t)base, .heap_size = heap};
  solo5_exit(call_on_heap_stack((uintptr_t)base + heap, &si));
}

/* The process entry: the kernel's stack holds argc, argv[], envp[]. */
__asm__(".text\n"
        ".global _start\n"
        "_start:\n\t"
        "xor %rbp, %rbp\n\t"
        "mov %rsp, %rdi\n\t"
        "and $-16, %rsp\n\t"
        "call double_main\n\t"
        "hlt\n");
