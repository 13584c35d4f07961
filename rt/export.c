/*
 * --export DIR (start.c, rt.h): at the image's end, DIR's tree written
 * as a tar archive (tar.c's writer) onto the block device that
 * znet-image --export declared, from its first block on: what the
 * program wrote there (its logs, its results) for the host to read
 * after it (`tar xf FILE`).  An exit hook: it runs however the image
 * ends but by the tender's death (exit, a return from main, a fatal
 * signal's default action, --signal-port's TERM).
 *
 * Entries go in directory order, each directory before what it holds.
 * One that tar cannot carry (tar.c says which), or that does not fit
 * the device with the archive's end after it, is left out and counted;
 * the console says how many.  Everything it needs (the device, a block
 * to fill) is taken at start: the end may come when memory is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "files_int.h"
#include "rt.h"
#include "tar.h"

#define EXPORT_DEPTH 64
#define EXPORT_CHUNK 4096
/* The two zero blocks that end an archive. */
#define ARCHIVE_END ((size_t)2 * ZRT_TAR_BLOCK)

/* znet-image's: the device --export writes ("" without). */
extern const char zrt_export_device[];

static struct {
  const char *dir;
  uint64_t handle, capacity, bsize;
  unsigned char *blk; /* the device block being filled */
  uint64_t off;       /* where it goes */
  size_t fill;
  bool failed;        /* a write failed: nothing more is written */
  uint64_t entries, left_out;
  char path[ZRT_TAR_PATH];
} ex;

static unsigned char hdr[ZRT_TAR_HDR_MAX];
static unsigned char chunk[EXPORT_CHUNK];

/* Bytes of the archive so far, the block being filled included. */
static uint64_t written(void) { return ex.off + ex.fill; }

static void put_bytes(const void *p, size_t n) {
  const unsigned char *b = p;
  while (n > 0 && !ex.failed) {
    size_t k = (size_t)ex.bsize - ex.fill;
    if (k > n)
      k = n;
    if (b)
      memcpy(ex.blk + ex.fill, b, k);
    else
      memset(ex.blk + ex.fill, 0, k);
    ex.fill += k;
    n -= k;
    if (b)
      b += k;
    if (ex.fill == ex.bsize) {
      if (zrt_plat_block_write(ex.handle, ex.off, ex.blk, ex.fill) != 0)
        ex.failed = true;
      ex.off += ex.bsize;
      ex.fill = 0;
    }
  }
}

/* A file's size bytes, then zeroes to its last record's end. */
static void put_data(struct zrt_vnode *v, uint64_t size) {
  struct zrt_file *f = NULL;
  uint64_t left = size;
  if (v->ops->open(v, O_RDONLY, &f) == 0) {
    while (left > 0) {
      ssize_t n = f->ops->read(f, chunk, left < sizeof(chunk) ? (size_t)left
                                                             : sizeof(chunk));
      if (n <= 0)
        break; /* (shorter than it said: the rest as zeroes) */
      put_bytes(chunk, (size_t)n);
      left -= (uint64_t)n;
    }
    zrt_file_put(f);
  }
  put_bytes(NULL, (size_t)(left + (ZRT_TAR_BLOCK - size % ZRT_TAR_BLOCK) %
                                      ZRT_TAR_BLOCK));
}

/* The entry at ex.path (plen bytes), the node v: its header and data;
 * whether it is a directory to descend into. */
static bool export_node(struct zrt_vnode *v, size_t plen) {
  struct stat st;
  v->ops->getattr(v, &st);
  struct zrt_tar_entry e = {.name = ex.path, .name_len = plen,
                            .mode = (uint32_t)(st.st_mode & 07777),
                            .uid = st.st_uid, .gid = st.st_gid,
                            .mtime = st.st_mtim.tv_sec};
  if (S_ISDIR(v->mode)) {
    e.kind = ZRT_TAR_DIR;
  } else if (S_ISREG(v->mode)) {
    e.kind = ZRT_TAR_FILE;
    e.size = (uint64_t)st.st_size;
  } else if (S_ISLNK(v->mode) &&
             v->ops->readlink(v, &e.link, &e.link_len) == 0) {
    e.kind = ZRT_TAR_SYMLINK;
  } else {
    ex.left_out++;
    return false;
  }
  size_t n = zrt_tar_header(hdr, &e);
  uint64_t data = (e.size + ZRT_TAR_BLOCK - 1) / ZRT_TAR_BLOCK * ZRT_TAR_BLOCK;
  if (n == 0 || written() + n + data + ARCHIVE_END > ex.capacity) {
    ex.left_out++; /* (a directory's contents may fit still) */
  } else {
    put_bytes(hdr, n);
    if (e.kind == ZRT_TAR_FILE)
      put_data(v, e.size);
    ex.entries++;
  }
  return e.kind == ZRT_TAR_DIR;
}

/* One level of the walk: a directory, its path's length, the next
 * entry. */
struct export_level {
  struct zrt_vnode *dir;
  size_t plen;
  uint64_t next;
};

/* The tree under root, depth first, each directory before its
 * contents, at most EXPORT_DEPTH levels (deeper ones left out). */
static void export_tree(struct zrt_vnode *root) {
  static struct export_level stack[EXPORT_DEPTH];
  int depth = 0;
  stack[0] = (struct export_level){.dir = root};
  ex.path[0] = '\0';
  while (depth >= 0 && !ex.failed) {
    struct export_level *l = &stack[depth];
    struct zrt_dirent d;
    struct zrt_vnode *v;
    ex.path[l->plen] = '\0';
    if (l->dir->ops->readdir(l->dir, l->next++, &d) != 0) {
      depth--;
      continue;
    }
    size_t sep = l->plen > 0;
    size_t plen = l->plen + sep + d.len;
    if (plen >= sizeof(ex.path) ||
        l->dir->ops->lookup(l->dir, d.name, d.len, &v) != 0) {
      ex.left_out++;
      continue;
    }
    ex.path[l->plen] = '/';
    memcpy(ex.path + l->plen + sep, d.name, d.len);
    ex.path[plen] = '\0';
    if (!export_node(v, plen))
      continue;
    if (depth + 1 == EXPORT_DEPTH)
      ex.left_out++; /* its contents: too deep */
    else
      stack[++depth] = (struct export_level){.dir = v, .plen = plen};
  }
}

static void export_now(int status) {
  (void)status;
  struct zrt_vnode *root;
  if (zrt_vfs_node(ex.dir, &root) != 0 || !S_ISDIR(root->mode)) {
    zrt_log("--export %s: no such directory at the end: nothing written",
            ex.dir);
    put_bytes(NULL, ARCHIVE_END); /* an empty archive all the same */
  } else {
    export_tree(root);
    put_bytes(NULL, ARCHIVE_END);
  }
  if (ex.fill > 0)
    put_bytes(NULL, (size_t)ex.bsize - ex.fill);
  if (ex.failed)
    zrt_log("--export %s: the device refused a write: the archive is cut",
            ex.dir);
  else if (ex.left_out > 0)
    zrt_log("--export %s: %llu entries written, %llu left out (too big for "
            "the device, or for tar)",
            ex.dir, (unsigned long long)ex.entries,
            (unsigned long long)ex.left_out);
}

static struct zrt_exit_hook export_hook = {.fn = export_now};

int zrt_export_at_exit(const char *dir) {
  if (zrt_export_device[0] == '\0' ||
      zrt_plat_block_open(zrt_export_device, &ex.handle, &ex.capacity,
                          &ex.bsize) != 0 ||
      ex.bsize < ZRT_TAR_BLOCK || ex.bsize % ZRT_TAR_BLOCK != 0 ||
      ex.capacity < ARCHIVE_END)
    return -ENODEV;
  ex.blk = zrt_kalloc((size_t)ex.bsize);
  if (!ex.blk)
    return -ENOMEM;
  ex.dir = dir;
  zrt_exit_hook_add(&export_hook);
  return 0;
}
