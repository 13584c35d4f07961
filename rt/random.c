/*
 * The image's random numbers: getrandom(2), /dev/urandom and /dev/random
 * (zrt_random), and AT_RANDOM for musl (its malloc's secret and the
 * stack protector's canary).
 *
 * Seed: 32 bytes from RDSEED where the CPU has it, else RDRAND, each
 * checked through CPUID and retried as Intel's guide says.  Without
 * either (a hypervisor that hides them) the seed is condensed with
 * SipHash from the jitter of many clock reads and the wall clock: weak,
 * since whoever knows roughly when the image booted can narrow it down;
 * the console says so at boot.
 *
 * Generator: SipHash-2-4 keyed with 128 bits of state, in counter mode,
 * 8 bytes a block; after every request the key is replaced by two more
 * blocks (fast key erasure), so the bytes handed out before cannot be
 * recomputed from the state after.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "random.h"
#include "rt.h"
#include "sys_gen.h"
#include "znet/hash.h"
#include "znet/log.h"
#include "znet/loop.h"
#include "znet/wipe.h"

#define RDRAND_RETRIES 10
#define JITTER_SAMPLES 1024
/* Bytes of one getrandom: Linux's limit for a single call. */
#define GETRANDOM_MAX 33554431u

static struct {
  uint8_t key[16];
  uint64_t counter;
  const char *source;
} g = {.source = "none yet"};

/* NOLINTNEXTLINE(readability-non-const-parameter): the asm writes r */
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
    /* cppcheck-suppress variableScope ; the asm writes it, if (ok) reads it */
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
  for (size_t i = 0; i < 4; i++) {
    uint64_t v;
    if (!hw_random(use_seed, &v))
      return false;
    memcpy(seed + 8 * i, &v, 8);
  }
  g.source = use_seed ? "rdseed" : "rdrand";
  return true;
}

static uint64_t cycles(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

/* The documented weak fallback: timing jitter and the wall clock. */
static void jitter_seed(uint8_t seed[32]) {
  static uint64_t samples[JITTER_SAMPLES];
  uint64_t prev = cycles();
  for (size_t i = 0; i < JITTER_SAMPLES; i++) {
    uint64_t t = cycles();
    samples[i] = (t - prev) ^ (zrt_plat_monotonic() << 7);
    prev = t;
  }
  samples[0] ^= zrt_plat_wall();
  for (uint8_t i = 0; i < 4; i++) {
    uint8_t key[16] = {i, 'z', 'r', 't'};
    uint64_t v = zn_siphash24(key, samples, sizeof(samples));
    memcpy(seed + 8 * (size_t)i, &v, 8);
  }
  zn_wipe(samples, sizeof(samples));
  g.source = "clock jitter (weak)";
}

void zrt_random_init(uint8_t seed_out[32]) {
  uint8_t seed[32];
  if (!hw_seed(seed))
    jitter_seed(seed);
  memcpy(g.key, seed, sizeof(g.key));
  g.counter = 0;
  /* The caller's bytes (the stack's seed) come from the generator, not
   * from the seed itself. */
  zn_wipe(seed, sizeof(seed));
  zrt_random(seed_out, 32);
}

const char *zrt_random_source(void) { return g.source; }

static uint64_t block(void) {
  uint64_t c = g.counter++;
  return zn_siphash24(g.key, &c, sizeof(c));
}

void zrt_random(void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    uint64_t v = block();
    size_t k = n < 8 ? n : 8;
    memcpy(p, &v, k);
    p += k;
    n -= k;
  }
  uint64_t k0 = block(), k1 = block();
  memcpy(g.key, &k0, 8);
  memcpy(g.key + 8, &k1, 8);
  zn_wipe(&k0, sizeof(k0));
  zn_wipe(&k1, sizeof(k1));
}

long zrt_sys_getrandom(void *buf, size_t n, unsigned flags) {
  if (flags & ~0x7u) /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
    return -EINVAL;
  if (n > GETRANDOM_MAX)
    n = GETRANDOM_MAX;
  zrt_random(buf, n);
  return (long)n;
}

/* znet/loop.h's host helpers, for the stack and examples/common.c. */
int zn_host_seed(uint8_t seed[32]) {
  zrt_random(seed, 32);
  return 0;
}

uint64_t zn_host_now(void) { return zrt_plat_monotonic(); }

void zn_host_log(void *ctx, int level, const char *line) {
  (void)ctx;
  zrt_log("[%s] %s", zn_log_level_name(level), line);
}
