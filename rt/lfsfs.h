/*
 * lfsfs (lfsfs.c): a writable file system on a block device, over
 * littlefs, in libznet-rt-lfs (built where littlefs's source is at hand:
 * scripts/littlefs-src).
 */
#ifndef ZN_RT_LFSFS_H
#define ZN_RT_LFSFS_H

#include <stdint.h>

struct zrt_mount;

/* What a mount counted: littlefs's reads and writes of the device
 * (each of one or more of its blocks), the device's failures, and the
 * answers littlefs gave as corrupt (each an -EIO to the caller). */
struct zrt_lfsfs_stats {
  uint64_t reads, writes, io_errors, corrupt;
};

/* Mount block device `device` (a name of the manifest): the littlefs
 * on it, or, on a disk whose first 8 KiB are zero, a new one.  0 and
 * *out; -ENODEV (no such device), -EINVAL (too small, or another file
 * system, or garbage: a zrt_log line says which), -ENOMEM. */
int zrt_lfsfs_mount(const char *device, struct zrt_mount **out);
void zrt_lfsfs_stats(const struct zrt_mount *m, struct zrt_lfsfs_stats *out);

#endif /* ZN_RT_LFSFS_H */
