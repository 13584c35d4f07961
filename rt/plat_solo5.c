/*
 * The runtime's platform (rt.h) over the Solo5 ABI: the same code for
 * the spt, hvt and virtio bindings, which znet-image links in.
 */
#include <errno.h>
#include <solo5.h>
#include <string.h>

#include "rt.h"

void zrt_plat_console(const char *p, size_t n) { solo5_console_write(p, n); }

uint64_t zrt_plat_monotonic(void) { return solo5_clock_monotonic(); }

uint64_t zrt_plat_wall(void) { return solo5_clock_wall(); }

bool zrt_plat_idle(uint64_t deadline) {
  solo5_handle_set_t ready = 0;
  solo5_yield(deadline, &ready);
  return ready != 0;
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

void zrt_plat_exit(int status) { solo5_exit(status); }

void zrt_plat_abort(void) { solo5_abort(); }
