/*
 * The runtime's platform (rt.h) over the Solo5 ABI: the same code for
 * the spt, hvt and virtio bindings, which znet-image links in.
 */
#include <cpuid.h>
#include <errno.h>
#include <solo5.h>
#include <string.h>

#include "clock.h"
#include "rt.h"

void zrt_plat_console(const char *p, size_t n) { solo5_console_write(p, n); }

/* The counter's reckoning may run this long without the platform's clock
 * (clock.h): 1 ms, so a reading's cost (a system call on spt) is paid
 * at most a thousand times a second, and a rate off by 0.1% is off by
 * 1 us when it is corrected. */
#define CLOCK_RESYNC_NS 1000000u

/* The images of spt and virtio: nothing to do (hvt's: plat_hvt.c). */
__attribute__((weak)) void zrt_plat_enter(void) {}

static struct zrt_clock mono_clock;
static uint64_t wall_offset, wall_read_at;
static bool clocks_ready, wall_ready;

/* CPUID 0x80000007 EDX bit 8: the counter runs at one rate in every
 * power state, the same on every CPU (Intel SDM vol. 3 §18.17.1). */
static bool counter_invariant(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
    return false;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d >> 8) & 1u;
}

static uint64_t counter_read(void) { return __builtin_ia32_rdtsc(); }

static void clocks_init(void) {
  zrt_clock_init(&mono_clock, solo5_clock_monotonic, counter_read,
                 CLOCK_RESYNC_NS, counter_invariant());
  clocks_ready = true;
}

uint64_t zrt_plat_monotonic(void) {
  if (!clocks_ready)
    clocks_init();
  return zrt_clock_now(&mono_clock);
}

/* The wall clock is the monotonic one plus the offset between the two,
 * read again each CLOCK_RESYNC_NS, so a step of the host's clock shows
 * within a millisecond. */
uint64_t zrt_plat_wall(void) {
  uint64_t mono = zrt_plat_monotonic();
  if (!wall_ready || mono - wall_read_at >= CLOCK_RESYNC_NS) {
    wall_offset = solo5_clock_wall() - mono;
    wall_read_at = mono;
    wall_ready = true;
  }
  return mono + wall_offset;
}

bool zrt_plat_idle(uint64_t deadline) {
  solo5_handle_set_t ready = 0;
  solo5_yield(deadline, &ready);
  return ready != 0;
}

/* The bounds Solo5's linker scripts give the text. */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
extern char _stext[], _etext[];

void zrt_plat_text(uintptr_t *lo, uintptr_t *hi) {
  *lo = (uintptr_t)_stext;
  *hi = (uintptr_t)_etext;
}

int zrt_plat_set_tls(uintptr_t tp) {
  return solo5_set_tls_base(tp) == SOLO5_R_OK ? 0 : -EINVAL;
}

int zrt_plat_block_open(const char *name, uint64_t *handle, uint64_t *capacity,
                        uint64_t *block_size) {
  struct solo5_block_info info;
  solo5_handle_t h;
  if (solo5_block_acquire(name, &h, &info) != SOLO5_R_OK)
    return -ENODEV;
  *handle = h;
  *capacity = info.capacity;
  *block_size = info.block_size;
  return 0;
}

int zrt_plat_block_read(uint64_t handle, uint64_t off, void *buf, size_t n) {
  return solo5_block_read(handle, off, buf, n) == SOLO5_R_OK ? 0 : -EIO;
}

int zrt_plat_block_write(uint64_t handle, uint64_t off, const void *buf,
                         size_t n) {
  return solo5_block_write(handle, off, buf, n) == SOLO5_R_OK ? 0 : -EIO;
}

void zrt_plat_exit(int status) { solo5_exit(status); }

void zrt_plat_abort(void) { solo5_abort(); }
