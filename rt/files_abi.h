/*
 * Linux's ABI values that the files of libznet-rt answer with and that
 * not every C library's headers declare (musl 1.2.3 has no struct statx;
 * glibc hides some behind _GNU_SOURCE).  The numbers are the kernel's
 * (x86_64), fixed by its ABI, so they are written here once under znet's
 * names instead of being looked for in the headers of the day.
 */
#ifndef ZN_RT_FILES_ABI_H
#define ZN_RT_FILES_ABI_H

#include <stdint.h>

/* open(2) flags beyond POSIX (octal, as in the kernel's fcntl.h). */
#define ZRT_O_LARGEFILE 0100000
#define ZRT_O_DIRECTORY 0200000
#define ZRT_O_NOFOLLOW 0400000
#define ZRT_O_CLOEXEC 02000000
#define ZRT_O_PATH 010000000
#define ZRT_O_TMPFILE 020200000

/* lseek(2) beyond POSIX; PIPE_BUF. */
#define ZRT_SEEK_DATA 3
#define ZRT_SEEK_HOLE 4
#define ZRT_PIPE_BUF 4096
#define ZRT_DT_DIR 4
#define ZRT_DT_LNK 10
#define ZRT_POLLRDHUP 0x2000

/* *at() flags. */
#define ZRT_AT_FDCWD (-100)
#define ZRT_AT_SYMLINK_NOFOLLOW 0x100
#define ZRT_AT_REMOVEDIR 0x200
#define ZRT_AT_EACCESS 0x200
#define ZRT_AT_SYMLINK_FOLLOW 0x400
#define ZRT_AT_NO_AUTOMOUNT 0x800
#define ZRT_AT_EMPTY_PATH 0x1000
#define ZRT_AT_STATX_SYNC_TYPE 0x6000

/* renameat2(2). */
#define ZRT_RENAME_NOREPLACE 1u
#define ZRT_RENAME_EXCHANGE 2u
#define ZRT_RENAME_WHITEOUT 4u

/* fcntl(2) beyond POSIX. */
#define ZRT_F_DUPFD_CLOEXEC 1030
#define ZRT_F_SETPIPE_SZ 1031
#define ZRT_F_GETPIPE_SZ 1032
#define ZRT_F_OFD_GETLK 36
#define ZRT_F_OFD_SETLK 37
#define ZRT_F_OFD_SETLKW 38

/* eventfd2(2). */
#define ZRT_EFD_SEMAPHORE 1
#define ZRT_EFD_NONBLOCK 04000
#define ZRT_EFD_CLOEXEC 02000000

/* ioctl(2) requests on files and the console. */
#define ZRT_FIONREAD 0x541Bul
#define ZRT_FIONBIO 0x5421ul
#define ZRT_FIOCLEX 0x5451ul
#define ZRT_FIONCLEX 0x5450ul
#define ZRT_TCGETS 0x5401ul
#define ZRT_TIOCGWINSZ 0x5413ul
#define ZRT_TIOCGPGRP 0x540Ful

/* flock(2). */
#define ZRT_LOCK_SH 1
#define ZRT_LOCK_EX 2
#define ZRT_LOCK_NB 4
#define ZRT_LOCK_UN 8

/* statfs f_type of the file systems served. */
#define ZRT_TMPFS_MAGIC 0x01021994
#define ZRT_DEVPTS_MAGIC 0x1cd1 /* devfs: answered as a devtmpfs */
#define ZRT_PROC_MAGIC 0x9fa0
#define ZRT_RAMFS_MAGIC 0x858458f6 /* tarfs: a read-only RAM-like fs */

/* Linux's struct linux_dirent64 (getdents64(2)) before its name. */
#define ZRT_DIRENT64_HEAD 19u /* d_ino 8, d_off 8, d_reclen 2, d_type 1 */

/* struct statx (statx(2)), the kernel's layout. */
struct zrt_statx_ts {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};
struct zrt_statx {
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t spare0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  struct zrt_statx_ts stx_atime;
  struct zrt_statx_ts stx_btime;
  struct zrt_statx_ts stx_ctime;
  struct zrt_statx_ts stx_mtime;
  uint32_t stx_rdev_major;
  uint32_t stx_rdev_minor;
  uint32_t stx_dev_major;
  uint32_t stx_dev_minor;
  uint64_t spare2[14];
};
#define ZRT_STATX_BASIC_STATS 0x7ffu
#define ZRT_STATX_RESERVED 0x80000000u

/* The kernel's struct statfs on x86_64 (statfs(2)): the same in glibc's
 * and musl's <sys/statfs.h>, written out so that neither is needed. */
struct zrt_statfs {
  int64_t f_type;
  int64_t f_bsize;
  uint64_t f_blocks;
  uint64_t f_bfree;
  uint64_t f_bavail;
  uint64_t f_files;
  uint64_t f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen;
  int64_t f_frsize;
  int64_t f_flags;
  int64_t f_spare[4];
};
#define ZRT_ST_RDONLY 1
#define ZRT_ST_NOSUID 2

#endif /* ZN_RT_FILES_ABI_H */
