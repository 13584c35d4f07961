/*
 * lfsdisk (lfsdisk.c): an image's disk as it lies on the device, shared
 * by the image's file system (lfsfs.c) and the host's znet-disk
 * (disk/znet-disk.c), so that both make and read the same disks:
 * littlefs's geometry, and the attributes znet keeps beside each entry
 * (mode, owner, times, inode number) and on the root (the inode numbers
 * handed out).  Bytes in, bytes out: no state, no allocation.
 */
#ifndef ZN_RT_LFSDISK_H
#define ZN_RT_LFSDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lfs.h"

#define ZRT_LFS_BLOCK 4096u      /* littlefs's block */
#define ZRT_LFS_MIN_BLOCKS 16u   /* the smallest disk: 64 KiB */
#define ZRT_LFS_ATTR 0x7a        /* 'z': an entry's struct zrt_lfs_meta */
#define ZRT_LFS_ATTR_INOS 0x6e   /* 'n', on the root: inodes handed out */
#define ZRT_LFS_META 64u         /* bytes of ZRT_LFS_ATTR */
#define ZRT_LFS_INO_STEP 1024u   /* inode numbers reserved at a time */
#define ZRT_LFS_INO_FIRST 16u    /* the first a disk hands out */
#define ZRT_LFS_ROOT_INO 2u
#define ZRT_LFS_LOOKAHEAD_MAX 8192u
#define ZRT_LFS_MAGIC 0x4c465331 /* statfs's f_type: "LFS1" */

/* What ZRT_LFS_ATTR holds: mode (type and permissions), owner, inode
 * number, and times. */
struct zrt_lfs_meta {
  uint32_t mode, uid, gid;
  uint64_t ino;
  struct timespec atime, mtime, ctime;
};

/* The inode numbers of a mounted disk: the next to give, and the end
 * of the range the root's ZRT_LFS_ATTR_INOS has reserved. */
struct zrt_lfs_inos {
  uint64_t next, limit;
};

/* The layout of ZRT_LFS_ATTR, little-endian: mode, uid, gid (4 bytes
 * each), the inode number (8), then atime, mtime, ctime, each seconds
 * (8) and nanoseconds (4); 4 bytes reserved (zero). */
void zrt_lfsdisk_meta_encode(const struct zrt_lfs_meta *m,
                             uint8_t out[ZRT_LFS_META]);
/* False if the bytes are none of ours: a type other than a regular
 * file or a directory, nanoseconds of a second or more. */
bool zrt_lfsdisk_meta_decode(const uint8_t in[ZRT_LFS_META],
                             struct zrt_lfs_meta *m);
/* The attributes of an entry without ours (made by another littlefs
 * tool, or a cut between a mkdir and its attributes): 0755 or 0644,
 * root's, time 0, the inode number of its path. */
void zrt_lfsdisk_meta_default(bool dir, const char *path, size_t len,
                              struct zrt_lfs_meta *m);
/* An inode number for a path without one: above every number
 * zrt_lfsdisk_ino_next gives. */
uint64_t zrt_lfsdisk_ino_of_path(const char *path, size_t len);

/* The geometry of a device of `capacity` bytes in sectors of `sector`
 * bytes into *cfg (read and program in sectors, blocks of
 * ZRT_LFS_BLOCK, every file in blocks of its own, no wear levelling: a
 * disk file wears nothing); the caller sets context, the four device
 * calls and the three buffers (ZRT_LFS_BLOCK each for read and program,
 * cfg->lookahead_size for the lookahead).  False if the device cannot
 * hold one (a sector that does not divide ZRT_LFS_BLOCK, fewer than
 * ZRT_LFS_MIN_BLOCKS blocks). */
bool zrt_lfsdisk_geometry(struct lfs_config *cfg, uint64_t sector,
                          uint64_t capacity);

/* The mounted disk's inode numbers (the root's ZRT_LFS_ATTR_INOS). */
void zrt_lfsdisk_inos_load(lfs_t *lfs, struct zrt_lfs_inos *inos);
/* The next inode number into *out: 0, or littlefs's error (a new range
 * is reserved on the root first: a cut loses the rest of a range,
 * never hands a number out twice). */
int zrt_lfsdisk_ino_next(lfs_t *lfs, struct zrt_lfs_inos *inos,
                         uint64_t *out);

/* Is this the start of a blank disk (all zero)? */
bool zrt_lfsdisk_zero(const uint8_t *p, size_t n);
/* Does this first sector of block 0 or 1 (n bytes, 16 at least) begin a
 * littlefs superblock: its name, "littlefs", after the revision count
 * and the first tag?  (A disk whose blocks 0 and 1 both say no is some
 * other file system's, or none's.) */
bool zrt_lfsdisk_superblock_named(const uint8_t *p, size_t n);

#endif /* ZN_RT_LFSDISK_H */
