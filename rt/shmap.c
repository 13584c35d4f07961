/*
 * Shared mappings of files (mmap MAP_SHARED), kept coherent with the
 * files' calls as Linux's page cache keeps them, without one: an image
 * has no page tables of its own to share pages through, so a mapping is
 * a copy (mem.c's pages, filled by zrt_file_mmap_copy) that this module
 * keeps equal to the file:
 *
 *  - a write to the file (write, pwrite, writev) is copied into every
 *    shared mapping of the range (zrt_shmap_written, from the file's
 *    kind), so a program that writes with write and reads through its
 *    mapping (LMDB, SQLite's mmap mode) reads what it wrote;
 *  - a read of the file takes the range's bytes from a writable shared
 *    mapping (zrt_shmap_overlay), so what a program stored through its
 *    mapping is what read answers;
 *  - a truncation zeroes the mappings past the new end;
 *  - msync, munmap, fsync and fdatasync of the file, sync and syncfs
 *    (which the image's end calls: vfs.c) write back what writable
 *    mappings changed, page by
 *    page where the page differs from the file, never past the file's
 *    end (a mapping does not grow its file, as on Linux).
 *
 * Not as on Linux: two mappings of one range see each other's stores
 * only after a write-back (msync) of the one that stored; a
 * mapping moved by mremap is a private copy from then on (its changes
 * written back first).  A mapping holds its file open, as on Linux: it
 * outlives close(fd), and an unlinked file's mapping works on.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "files_int.h"
#include "mem.h"
#include "rt.h"

#define CHUNK 4096u

struct shmap {
  struct shmap *next;
  uintptr_t addr;
  size_t len;
  uint64_t off; /* the file offset at addr */
  struct zrt_file *f;
  bool writable;
};

static struct shmap *maps;
static bool writing_back; /* the file's reads are the file's own bytes */

static const void *map_obj(const struct zrt_file *f) { return f->priv; }

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) {
  return a < b + bn && b < a + an;
}

/* ---- the file's side ------------------------------------------------------ */

void zrt_shmap_written(const void *obj, uint64_t off, const void *buf,
                       size_t len) {
  for (struct shmap *m = maps; m; m = m->next) {
    if (map_obj(m->f) != obj || !overlaps(m->off, m->len, off, len))
      continue;
    if ((uintptr_t)buf >= m->addr && (uintptr_t)buf < m->addr + m->len)
      continue; /* a write-back of this mapping: it has the bytes */
    uint64_t from = off > m->off ? off : m->off;
    uint64_t to = off + len < m->off + m->len ? off + len : m->off + m->len;
    memcpy((void *)(m->addr + (uintptr_t)(from - m->off)),
           (const uint8_t *)buf + (from - off), (size_t)(to - from));
  }
}

void zrt_shmap_overlay(const void *obj, uint64_t off, void *buf, size_t len) {
  if (writing_back)
    return;
  for (struct shmap *m = maps; m; m = m->next) {
    if (!m->writable || map_obj(m->f) != obj ||
        !overlaps(m->off, m->len, off, len))
      continue;
    uint64_t from = off > m->off ? off : m->off;
    uint64_t to = off + len < m->off + m->len ? off + len : m->off + m->len;
    memcpy((uint8_t *)buf + (from - off),
           (const void *)(m->addr + (uintptr_t)(from - m->off)),
           (size_t)(to - from));
  }
}

void zrt_shmap_truncated(const void *obj, uint64_t size) {
  for (struct shmap *m = maps; m; m = m->next) {
    if (map_obj(m->f) != obj || m->off + m->len <= size)
      continue;
    uint64_t from = size > m->off ? size : m->off;
    memset((void *)(m->addr + (uintptr_t)(from - m->off)), 0,
           (size_t)(m->off + m->len - from));
  }
}

/* ---- write-back ------------------------------------------------------------ */

/* The file's bytes [off, off + n) differ from p's (or cannot be read). */
static bool chunk_differs(struct zrt_file *f, uint64_t off, const void *p,
                          size_t n) {
  static uint8_t file[CHUNK];
  ssize_t r = f->ops->pread(f, file, n, (off_t)off);
  return r != (ssize_t)n || memcmp(file, p, n) != 0;
}

/* m's bytes [addr, addr + len) (within m) written to its file where they
 * differ, up to the file's end: 0 or the first error. */
static int write_back(struct shmap *m, uintptr_t addr, size_t len) {
  struct zrt_file *f = m->f;
  struct stat st;
  if (!m->writable || !f->ops->pwrite || !f->ops->fstat ||
      f->ops->fstat(f, &st) < 0)
    return 0;
  uint64_t off = m->off + (addr - m->addr);
  uint64_t end = off + len;
  if (end > (uint64_t)st.st_size)
    end = (uint64_t)st.st_size;
  int first = 0;
  writing_back = true;
  for (; off < end; off += CHUNK, addr += CHUNK) {
    size_t n = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
    if (!chunk_differs(f, off, (const void *)addr, n))
      continue;
    ssize_t w = f->ops->pwrite(f, (const void *)addr, n, (off_t)off);
    if (w != (ssize_t)n && first == 0)
      first = w < 0 ? (int)w : -EIO;
  }
  writing_back = false;
  return first;
}

/* The part of m in [addr, addr + len), clipped: false if none. */
static bool clip(const struct shmap *m, uintptr_t *addr, size_t *len) {
  uintptr_t a = *addr > m->addr ? *addr : m->addr;
  uintptr_t e = *addr + *len < m->addr + m->len ? *addr + *len
                                                 : m->addr + m->len;
  if (a >= e)
    return false;
  *addr = a;
  *len = e - a;
  return true;
}

static int shmap_writeback(const void *obj) {
  int first = 0;
  for (struct shmap *m = maps; m; m = m->next)
    if (!obj || map_obj(m->f) == obj) {
      int r = write_back(m, m->addr, m->len);
      if (r < 0 && first == 0)
        first = r;
    }
  return first;
}

/* ---- memory's side (mem.h's zrt_mem_file_ops) ------------------------------ */

static long shmap_map(int fd, void *dst, size_t len, off_t off, int prot,
                      bool shared) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return -EBADF;
  bool writable = shared && (prot & PROT_WRITE);
  if (writable && (f->flags & O_ACCMODE) != O_RDWR)
    return -EACCES;
  long rc = zrt_file_mmap_copy(fd, dst, len, off);
  if (rc < 0 || !shared || !f->ops->vnode_priv)
    return rc;
  struct shmap *m = zrt_kalloc(sizeof(*m));
  if (!m)
    return -ENOMEM;
  f->refs++;
  *m = (struct shmap){maps, (uintptr_t)dst, (len + ZRT_PAGE - 1) / ZRT_PAGE *
                      ZRT_PAGE, (uint64_t)off, f, writable};
  maps = m;
  return rc;
}

/* [addr, addr + len) unmapped: written back, then out of the maps (a
 * mapping cut in the middle split in two). */
static void shmap_unmap(uintptr_t addr, size_t len) {
  for (struct shmap **pp = &maps; *pp;) {
    struct shmap *m = *pp;
    uintptr_t a = addr;
    size_t n = len;
    if (!clip(m, &a, &n)) {
      pp = &m->next;
      continue;
    }
    (void)write_back(m, a, n);
    uintptr_t end = m->addr + m->len;
    if (a > m->addr && a + n < end) {
      struct shmap *r = zrt_kalloc(sizeof(*r));
      if (r) {
        *r = *m;
        r->addr = a + n;
        r->len = end - (a + n);
        r->off = m->off + (r->addr - m->addr);
        r->f->refs++;
        m->next = r;
      }
      m->len = a - m->addr;
      pp = &m->next;
    } else if (a > m->addr) {
      m->len = a - m->addr;
      pp = &m->next;
    } else if (a + n < end) {
      m->off += a + n - m->addr;
      m->len = end - (a + n);
      m->addr = a + n;
      pp = &m->next;
    } else {
      *pp = m->next;
      zrt_file_put(m->f);
      zrt_kfree(m, sizeof(*m));
    }
  }
}

static long shmap_sync(uintptr_t addr, size_t len) {
  int first = 0;
  for (struct shmap *m = maps; m; m = m->next) {
    uintptr_t a = addr;
    size_t n = len;
    if (clip(m, &a, &n)) {
      int r = write_back(m, a, n);
      if (r < 0 && first == 0)
        first = r;
    }
  }
  return first;
}

static bool shmap_shared(uintptr_t addr, size_t len) {
  for (struct shmap *m = maps; m; m = m->next)
    if (overlaps(m->addr, m->len, addr, len))
      return true;
  return false;
}

static const struct zrt_mem_file_ops shmap_ops = {
    shmap_map, shmap_unmap, shmap_sync, shmap_shared, shmap_writeback};

void zrt_shmap_start(void) {
  zrt_mem_set_file_ops(&shmap_ops);
}
