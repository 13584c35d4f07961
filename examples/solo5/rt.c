/*
 * The entry of a znet program on Solo5 (see rt.h).
 *
 * Memory: Solo5 hands the program one region, [heap_start, heap_start +
 * heap_size), with the initial stack growing down from its top.  The top
 * STACK_RESERVE bytes are left to that stack; malloc gets the rest, and
 * the stack's memory (zn_stack_mem_size(), about 1.4 MB by default) is one
 * malloc'd block of it, as on a host.
 *
 * Command line: the tender's words after the image, joined by single
 * spaces (solo5-spt --net:service=tap0 znet-echo.spt --ipv4=10.0.0.2/24);
 * they are split at blanks (no quoting: no flag value needs a blank) and
 * become argv[1..] of main().
 *
 * Entropy (zn_host_seed): RDSEED where the CPU has it, else RDRAND, each
 * checked through CPUID and retried as Intel's guide says; without either
 * (other architectures, or a hypervisor that hides them) 32 bytes are
 * condensed with SipHash from the jitter of many clock reads and the wall
 * clock.  That fallback is weak: someone who knows roughly when the
 * unikernel booted can narrow it down.  Give such a unikernel --seed.
 */
#include <solo5.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "znet/hash.h"
#include "znet/log.h"
#include "znet/loop.h"

/* Left at the top of the heap for the C stack. */
#define STACK_RESERVE (1u << 20)
/* Words on the command line, argv[0] included. */
#define MAX_ARGS 256
#define RDRAND_RETRIES 10
#define JITTER_SAMPLES 1024

static const char *entropy_source = "none yet";

void zn_rt_console(const char *p, size_t n) { solo5_console_write(p, n); }

void zn_rt_exit(int status) {
  if (status != ZN_RT_EXIT_ABORT)
    zn_rt_at_exit();
  zn_rt_flush_all();
  if (status == ZN_RT_EXIT_ABORT)
    solo5_abort();
  solo5_exit(status);
}

void zn_rt_panic(const char *msg) {
  zn_rt_flush_all();
  static const char pre[] = "znet: fatal: ";
  solo5_console_write(pre, sizeof(pre) - 1);
  solo5_console_write(msg, strlen(msg));
  solo5_console_write("\n", 1);
  solo5_abort();
}

/* ---- entropy ----------------------------------------------------------- */

#if defined(__x86_64__)
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  __asm__ volatile("cpuid"
                   : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                   : "a"(leaf), "c"(sub));
}

static bool have_rdrand(void) {
  uint32_t r[4];
  cpuid(0, 0, r);
  if (r[0] < 1)
    return false;
  cpuid(1, 0, r);
  return (r[2] >> 30) & 1u;
}

static bool have_rdseed(void) {
  uint32_t r[4];
  cpuid(0, 0, r);
  if (r[0] < 7)
    return false;
  cpuid(7, 0, r);
  return (r[1] >> 18) & 1u;
}

/* One 64-bit value from RDSEED (seed) or RDRAND; false if the CPU kept
 * reporting underflow. */
static bool hw_random(bool seed, uint64_t *out) {
  for (int i = 0; i < RDRAND_RETRIES; i++) {
    unsigned char ok;
    uint64_t v;
    if (seed)
      __asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
    else
      __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
    if (ok) {
      *out = v;
      return true;
    }
    __asm__ volatile("pause");
  }
  return false;
}

static bool hw_seed(uint8_t seed[32]) {
  bool use_seed = have_rdseed();
  if (!use_seed && !have_rdrand())
    return false;
  for (int i = 0; i < 4; i++) {
    uint64_t v;
    if (!hw_random(use_seed, &v))
      return false;
    memcpy(seed + 8 * i, &v, 8);
  }
  entropy_source = use_seed ? "rdseed" : "rdrand";
  return true;
}

static uint64_t cycles(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}
#else
static bool hw_seed(uint8_t seed[32]) {
  (void)seed;
  return false;
}

static uint64_t cycles(void) { return solo5_clock_monotonic(); }
#endif

/* The documented weak fallback: timing jitter and the wall clock. */
static void jitter_seed(uint8_t seed[32]) {
  uint64_t samples[JITTER_SAMPLES];
  uint64_t prev = cycles();
  for (size_t i = 0; i < JITTER_SAMPLES; i++) {
    uint64_t t = cycles();
    samples[i] = (t - prev) ^ (solo5_clock_monotonic() << 7);
    prev = t;
  }
  samples[0] ^= solo5_clock_wall();
  for (uint8_t i = 0; i < 4; i++) {
    uint8_t key[16] = {i, 'z', 'n', 'e', 't'};
    uint64_t v = zn_siphash24(key, samples, sizeof(samples));
    memcpy(seed + 8 * i, &v, 8);
  }
  entropy_source = "clock jitter (weak)";
}

int zn_host_seed(uint8_t seed[32]) {
  if (!hw_seed(seed))
    jitter_seed(seed);
  return 0;
}

const char *zn_rt_entropy_source(void) { return entropy_source; }

/* ---- the host helpers of znet/loop.h ------------------------------------ */

uint64_t zn_host_now(void) { return solo5_clock_monotonic(); }

void zn_host_log(void *ctx, int level, const char *line) {
  (void)ctx;
  fprintf(stderr, "znet[%s] %s\n", zn_log_level_name(level), line);
}

/* ---- entry ------------------------------------------------------------- */

/* Split `line` in place at blanks into argv[1..]; returns argc. */
static int split_words(char *line, char **argv, int max) {
  int argc = 1;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n')
      *p++ = '\0';
    if (*p == '\0')
      break;
    if (argc == max - 1)
      zn_rt_panic("too many words on the command line");
    argv[argc++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n')
      p++;
  }
  argv[argc] = NULL;
  return argc;
}

/* The program's entry and its last step: main() and nothing, unless the
 * image links a part of the runtime that must come around them and
 * defines them (posix_host.c: libznet-posix's host, which builds the
 * stack before main and drains the sockets after it). */
__attribute__((weak)) int zn_rt_main(int argc, char **argv) {
  return main(argc, argv);
}

__attribute__((weak)) void zn_rt_at_exit(void) {}

int solo5_app_main(const struct solo5_start_info *si) {
  if (si->heap_size <= STACK_RESERVE)
    zn_rt_panic("heap smaller than the stack reserve (give --mem)");
  zn_rt_heap_init((void *)si->heap_start, si->heap_size - STACK_RESERVE);
  const char *cmd = si->cmdline ? si->cmdline : "";
  size_t len = strlen(cmd);
  char *line = malloc(len + 1);
  static char *argv[MAX_ARGS];
  static char argv0[] = "solo5";
  if (line == NULL)
    zn_rt_panic("no memory for the command line");
  memcpy(line, cmd, len + 1);
  argv[0] = argv0;
  int argc = split_words(line, argv, MAX_ARGS);
  int status = zn_rt_main(argc, argv);
  zn_rt_at_exit();
  zn_rt_flush_all();
  return status;
}
