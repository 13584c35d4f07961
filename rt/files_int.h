/*
 * What the files of libznet-rt share among themselves (fd.c, vfs.c,
 * tarfs.c, memfs.c, pseudo.c, devfs.c, procfs.c, pipe.c) and nobody
 * else includes: the nodes that paths name (vnodes), the mounts, and
 * the helpers of the descriptor layer.
 *
 * A vnode is what a path resolves to: a directory, a file, a symlink, a
 * device.  Each file system embeds struct zrt_vnode at the head of its
 * own node and answers the calls of its struct zrt_vnode_ops.  Resolution
 * (vfs.c) never blocks, and one thread runs at a time, so a vnode found
 * during a call stays valid to its end without a reference; only what
 * outlives a call (an open file, the working directory) holds one
 * (ops->hold / ops->drop, for file systems that free nodes: memfs).
 */
#ifndef ZN_RT_FILES_INT_H
#define ZN_RT_FILES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "files_abi.h"
#include "rt.h"

#define ZRT_PATH_MAX 4096 /* with its NUL, as Linux's PATH_MAX */
#define ZRT_NAME_MAX 255

struct zrt_vnode;
struct zrt_mount;

/* One entry of a directory, as readdir gives it. */
struct zrt_dirent {
  const char *name;
  size_t len;
  uint64_t ino;
  unsigned char type; /* DT_REG, DT_DIR, ... */
};

/* chmod, chown, truncate, utimensat: what to change (the ZRT_SET_ bits). */
#define ZRT_SET_MODE 1u
#define ZRT_SET_UID 2u
#define ZRT_SET_GID 4u
#define ZRT_SET_SIZE 8u
#define ZRT_SET_ATIME 16u
#define ZRT_SET_MTIME 32u
struct zrt_setattr {
  unsigned mask;
  mode_t mode; /* permission bits only */
  uid_t uid;
  gid_t gid;
  off_t size;
  struct timespec atime;
  struct timespec mtime;
};

struct zrt_vnode_ops {
  /* A directory's entry `name` (len bytes, neither "." nor ".."):
   * 0, -ENOENT. */
  int (*lookup)(struct zrt_vnode *dir, const char *name, size_t len,
                struct zrt_vnode **out);
  /* A directory's n-th entry (from 0, without "." and ".."): 0, or
   * -ENOENT past the last. */
  int (*readdir)(struct zrt_vnode *dir, uint64_t n, struct zrt_dirent *out);
  void (*getattr)(struct zrt_vnode *v, struct stat *st);
  /* A symlink's target text (not NUL-terminated), valid until the next
   * change of the tree. */
  int (*readlink)(struct zrt_vnode *v, const char **text, size_t *len);
  /* Open a non-directory (flags as open(2)'s, already checked by vfs). */
  int (*open)(struct zrt_vnode *v, int flags, struct zrt_file **out);
  /* A magic link (/proc/self/fd/N): the directory it stands for in the
   * middle of a path (-ENOTDIR if it is no directory). */
  int (*jump)(struct zrt_vnode *v, struct zrt_vnode **out);
  /* Changes: NULL on a read-only file system (-EROFS).  `dir` is a
   * directory; the name is checked (1..255 bytes, not . or ..) and, for
   * create/mkdir/symlink/link, absent. */
  int (*create)(struct zrt_vnode *dir, const char *name, size_t len,
                mode_t mode, struct zrt_vnode **out);
  int (*mkdir)(struct zrt_vnode *dir, const char *name, size_t len,
               mode_t mode);
  int (*symlink)(struct zrt_vnode *dir, const char *name, size_t len,
                 const char *target, size_t tlen);
  int (*link)(struct zrt_vnode *dir, const char *name, size_t len,
              struct zrt_vnode *v);
  /* Remove the entry `name` of dir, which names v (unlink: v is no
   * directory; rmdir: v is one). */
  int (*unlink)(struct zrt_vnode *dir, const char *name, size_t len,
                struct zrt_vnode *v);
  int (*rmdir)(struct zrt_vnode *dir, const char *name, size_t len,
               struct zrt_vnode *v);
  /* Both directories are of this file system; the old entry exists. */
  int (*rename)(struct zrt_vnode *odir, const char *oname, size_t olen,
                struct zrt_vnode *ndir, const char *nname, size_t nlen,
                unsigned flags);
  int (*setattr)(struct zrt_vnode *v, const struct zrt_setattr *a);
  void (*hold)(struct zrt_vnode *v);
  void (*drop)(struct zrt_vnode *v);
  /* A read-only file system's own additions at start-up: a directory
   * `name` in dir to mount on, made if missing (0 and it, -ENOTDIR if a
   * file has the name, -ENOMEM); a read-only file `name` with text
   * (copied) unless the name is taken (0, -EEXIST, -ENOMEM). */
  int (*mount_point)(struct zrt_vnode *dir, const char *name,
                     struct zrt_vnode **out);
  int (*add_text)(struct zrt_vnode *dir, const char *name, const char *text,
                  size_t len);
};

struct zrt_vnode {
  const struct zrt_vnode_ops *ops;
  struct zrt_mount *mnt;
  /* Directories: the directory that holds it, NULL at a file system's
   * root and once removed; its name there (for getcwd). */
  struct zrt_vnode *parent;
  const char *name;
  size_t namelen;
  mode_t mode; /* S_IFMT and permission bits, kept current */
};

struct zrt_mount {
  struct zrt_vnode *root;
  struct zrt_vnode *covered; /* the directory it is mounted on; NULL: / */
  dev_t dev;
  bool readonly;
  long magic; /* statfs f_type */
  /* statfs figures: blocks of 4096 bytes, total and free; files. */
  void (*statfs)(struct zrt_mount *m, struct zrt_statfs *sf);
  /* sync and syncfs: every open file committed (0, or the first
   * error); NULL for a file system with nothing to commit. */
  int (*sync)(struct zrt_mount *m);
  void *ctx;
};

/* ---- fd.c ---------------------------------------------------------------- */

/* After an op answered r: true if the caller is to try again (r was
 * -EAGAIN, the file blocks and zrt_io_wait woke), else false with the
 * answer in *r (-EINTR from the wait). */
bool zrt_file_wait_again(struct zrt_file *f, long *r);
/* lseek over a file of `size` bytes (SEEK_SET/CUR/END/DATA/HOLE). */
off_t zrt_file_lseek_sized(struct zrt_file *f, off_t off, int whence,
                           uint64_t size);
/* Append the linux_dirent64 record of e at buf+*used (n bytes in all),
 * with d_off `next`: false if it does not fit. */
bool zrt_dirent_put(void *buf, size_t n, size_t *used,
                    const struct zrt_dirent *e, uint64_t next);

/* ---- lock.c -------------------------------------------------------------- */

struct flock;
/* flock(2) on f's open file description (op: ZRT_LOCK_*). */
long zrt_lock_flock(struct zrt_file *f, int op);
/* fcntl's F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms. */
long zrt_lock_fcntl(struct zrt_file *f, int cmd, struct flock *fl);
/* A descriptor of f closed: the process's record locks on its file go. */
void zrt_lock_fd_closed(struct zrt_file *f);
/* f's last reference gone: its flock and OFD locks go. */
void zrt_lock_release(struct zrt_file *f);

/* ---- shmap.c ------------------------------------------------------------- */

/* A kind of file whose bytes change (memfs, lfsfs) tells the shared
 * mappings of its vnode `obj`: bytes [off, off + len) written from buf;
 * a read's bytes [off, off + len) in buf to be what a writable mapping
 * holds; the file cut to `size`. */
void zrt_shmap_written(const void *obj, uint64_t off, const void *buf,
                       size_t len);
void zrt_shmap_overlay(const void *obj, uint64_t off, void *buf, size_t len);
void zrt_shmap_truncated(const void *obj, uint64_t size);

/* ---- vfs.c --------------------------------------------------------------- */

/* The vnode an open directory or O_PATH file stands for (NULL: another
 * kind of file). */
struct zrt_vnode *zrt_vfs_file_vnode(struct zrt_file *f);
/* Count a mount in the table (before its first use); -ENOMEM when full. */
int zrt_vfs_add_mount(struct zrt_mount *m);
dev_t zrt_vfs_next_dev(void);
/* The process's umask. */
mode_t zrt_vfs_umask(void);
/* Start-up (mount.c): m's root is / (and the working directory); m is
 * mounted on path, made where missing (in a read-only tree, by its
 * mount_point); whether there is a root yet. */
void zrt_vfs_set_root(struct zrt_mount *m);
int zrt_vfs_mount_at(const char *path, struct zrt_mount *m);
bool zrt_vfs_has_root(void);
/* The node `path` names now, a symlink at its end followed: 0 and it,
 * or -errno (valid as long as nothing changes the tree). */
int zrt_vfs_node(const char *path, struct zrt_vnode **out);
/* A read-only text file `name` in the root archive's directory `dir`
 * (made if missing) through its add_text: 0, -EEXIST, -EROFS (dir is
 * not the archive's own), -ENOMEM. */
int zrt_vfs_add_text(const char *dir, const char *name, const char *text,
                     size_t len);

/* ---- tarfs.c ------------------------------------------------------------- */

/* Mount blockdev's archive as the root (an empty root on any error:
 * -errno then, after a zrt_log line). */
int zrt_tarfs_mount(const char *blockdev, struct zrt_mount **out);
/* The same over a tar archive in memory (len bytes at data), read in
 * place: it stays there as long as the mount. */
int zrt_tarfs_mount_archive(const void *data, size_t len,
                            struct zrt_mount **out);

/* Their regular files (whose priv is the vnode). */
extern const struct zrt_file_ops zrt_tarfs_file_ops;

/* ---- memfs.c ------------------------------------------------------------- */

int zrt_memfs_mount(size_t budget, struct zrt_mount **out);
extern const struct zrt_file_ops zrt_memfs_file_ops;

/* ---- devfs.c, procfs.c (over pseudo.c, pseudo.h) ------------------------ */

int zrt_devfs_mount(struct zrt_mount **out);
int zrt_procfs_mount(struct zrt_mount **out);
/* A console file (descriptors 0, 1, 2, /dev/tty): devfs.c. */
struct zrt_file *zrt_console_open(int flags);

#endif /* ZN_RT_FILES_INT_H */
