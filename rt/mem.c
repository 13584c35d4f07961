/*
 * Memory: the tender's one region (solo5-spt --mem=MB), handed out as
 * Linux hands out a process's address space: brk grows up from the
 * bottom, mmap takes pages from the top down, munmap gives them back,
 * and the runtime's own structures come from zrt_kalloc.
 *
 * The region is pages with two bits each, in two bitmaps in the
 * region's first pages: used (handed out) and dirty (may hold something
 * else than zeroes).  Anonymous memory reads as zeroes, as Linux
 * promises (musl's malloc relies on it): a dirty page is cleared when it
 * is handed out, a clean one is not touched.  Every page starts clean
 * where the tender gives fresh memory (spt and hvt: znet-image says so
 * in zrt_memory_zeroed), dirty where it may not (virtio: the loader's
 * memory); a page handed out once stays dirty.  Not touching clean pages
 * matters on spt: a thread's 4 MiB stack cleared page by page costs the
 * tender a first-touch fault for each (redis's start took 9 ms longer).
 * MADV_DONTNEED clears pages too.  Nothing is protected: there
 * is one address space and no MMU to ask (PROT_NONE guard pages are
 * accepted and are ordinary memory).
 *
 * Out of memory: mmap, brk and mremap fail with ENOMEM, as on Linux, and
 * the first few failures are reported on the console with what was
 * asked and what is left.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "mem.h"
#include "rt.h"
#include "sys_gen.h"

#define PAGE ((uintptr_t)ZRT_PAGE)
#define WORD_BITS 64u
#define OOM_REPORTS 8
/* znet-image's: 1 when the target's memory starts as zeroes. */
extern const int zrt_memory_zeroed;

/* What fills a file's mapping and keeps a shared one the file's: the
 * files', which are above memory and hand them in at start
 * (zrt_mem_set_file_ops). */
static const struct zrt_mem_file_ops *file_ops;

void zrt_mem_set_file_ops(const struct zrt_mem_file_ops *ops) {
  file_ops = ops;
}

int zrt_mem_file_writeback(const void *obj) {
  return file_ops ? file_ops->writeback(obj) : 0;
}

/* [addr, addr + len) is to be unmapped or replaced: a shared mapping
 * there written back and let go. */
static void file_unmap(uintptr_t addr, size_t len) {
  if (file_ops)
    file_ops->unmap(addr, len);
}

/* zrt_kalloc's classes: 16 << k bytes for k < KCLASSES (up to 2 KiB);
 * larger blocks are whole pages. */
#define KCLASSES 8
#define KMIN 16u

static struct {
  uintptr_t lo, hi;    /* the pages: [lo, hi) */
  size_t npages;
  uint64_t *used;      /* bit i: page lo + i * PAGE is handed out */
  uint64_t *dirty;     /* bit i: it may hold something but zeroes */
  size_t free_pages;
  uintptr_t brk_lo;    /* the break's area begins here */
  uintptr_t brk_cur;   /* the current break (page aligned end: brk_top) */
  uintptr_t brk_top;   /* pages [brk_lo, brk_top) belong to the break */
  unsigned oom_reports;
  void *kfree_list[KCLASSES];
  struct zrt_mem_stats st;
} m;

static size_t page_index(uintptr_t a) { return (size_t)((a - m.lo) / PAGE); }
static uintptr_t page_addr(size_t i) { return m.lo + (uintptr_t)i * PAGE; }
static uintptr_t round_up(uintptr_t n) { return (n + PAGE - 1) & ~(PAGE - 1); }

static bool page_used(size_t i) {
  return (m.used[i / WORD_BITS] >> (i % WORD_BITS)) & 1u;
}

static void mark(size_t first, size_t n, bool used) {
  for (size_t i = first; i < first + n; i++) {
    uint64_t bit = (uint64_t)1 << (i % WORD_BITS);
    ZRT_CHECK(page_used(i) != used);
    if (used)
      m.used[i / WORD_BITS] |= bit;
    else
      m.used[i / WORD_BITS] &= ~bit;
  }
  if (used)
    m.free_pages -= n;
  else
    m.free_pages += n;
}

static bool all_free(size_t first, size_t n) {
  if (first + n > m.npages || first + n < first)
    return false;
  for (size_t i = first; i < first + n; i++)
    if (page_used(i))
      return false;
  return true;
}

/* The highest run of n free pages above the break; its first index, or
 * SIZE_MAX. */
static size_t find_run_top_down(size_t n) {
  size_t floor = page_index(m.brk_top);
  size_t run = 0;
  for (size_t i = m.npages; i-- > floor;) {
    if ((i % WORD_BITS) == WORD_BITS - 1 && i >= WORD_BITS - 1 &&
        m.used[i / WORD_BITS] == UINT64_MAX) {
      run = 0;
      i -= WORD_BITS - 1; /* the whole word is used */
      continue;
    }
    run = page_used(i) ? 0 : run + 1;
    if (run == n)
      return i;
  }
  return SIZE_MAX;
}

static void report_oom(const char *what, size_t bytes) {
  m.st.oom_failures++;
  if (m.oom_reports >= OOM_REPORTS)
    return;
  m.oom_reports++;
  zrt_log("out of memory: %s of %zu bytes failed, %zu bytes free "
          "(give the tender more --mem)%s",
          what, bytes, m.free_pages * (size_t)PAGE,
          m.oom_reports == OOM_REPORTS ? "; no more of these" : "");
}

void zrt_mem_init(uintptr_t lo, uintptr_t hi) {
  m.lo = round_up(lo);
  m.hi = hi & ~(PAGE - 1);
  if (m.hi <= m.lo + 16 * PAGE)
    zrt_panic("no memory: %zu bytes (give the tender more --mem)",
              (size_t)(hi - lo));
  m.npages = page_index(m.hi);
  size_t words = (m.npages + WORD_BITS - 1) / WORD_BITS;
  size_t map_pages = round_up(words * sizeof(uint64_t)) / PAGE;
  m.used = (uint64_t *)m.lo;
  m.dirty = (uint64_t *)(m.lo + map_pages * PAGE);
  memset(m.used, 0, map_pages * PAGE);
  memset(m.dirty, zrt_memory_zeroed ? 0 : 0xff, map_pages * PAGE);
  m.free_pages = m.npages;
  map_pages *= 2;
  mark(0, map_pages, true);
  m.brk_lo = m.brk_cur = m.brk_top = page_addr(map_pages);
  m.st.total = m.npages * (size_t)PAGE;
}

size_t zrt_kalloc_avail(void) { return m.free_pages * (size_t)PAGE; }

void zrt_mem_stats(struct zrt_mem_stats *out) {
  *out = m.st;
  out->free = m.free_pages * (size_t)PAGE;
}

/* Pages [first, first + n) read as zeroes: the dirty ones are cleared
 * (and stay dirty: they are being handed out). */
static void pages_clear(size_t first, size_t n) {
  for (size_t i = first; i < first + n; i++) {
    uint64_t *w = &m.dirty[i / WORD_BITS];
    uint64_t bit = (uint64_t)1 << (i % WORD_BITS);
    if (*w & bit)
      memset((void *)page_addr(i), 0, PAGE);
    *w |= bit;
  }
}

/* n pages from the top, reading as zeroes; 0 when there is no run that
 * long. */
static uintptr_t pages_take(size_t n) {
  size_t first = find_run_top_down(n);
  if (first == SIZE_MAX)
    return 0;
  mark(first, n, true);
  pages_clear(first, n);
  return page_addr(first);
}

static bool in_region(uintptr_t a, size_t len) {
  return a >= m.lo && a <= m.hi && len <= m.hi - a;
}

/* ---- brk ---------------------------------------------------------------- */

/* brk(2): the new break if it could be moved there, else the old one (as
 * Linux answers; musl tells failure by the break not moving). */
long zrt_sys_brk(uintptr_t want) {
  if (want == 0 || want < m.brk_lo)
    return (long)m.brk_cur;
  uintptr_t top = round_up(want);
  if (top > m.brk_top) {
    if (!in_region(m.brk_top, top - m.brk_top) ||
        !all_free(page_index(m.brk_top), (top - m.brk_top) / PAGE)) {
      report_oom("brk", top - m.brk_top);
      return (long)m.brk_cur;
    }
    mark(page_index(m.brk_top), (top - m.brk_top) / PAGE, true);
    pages_clear(page_index(m.brk_top), (top - m.brk_top) / PAGE);
  } else if (top < m.brk_top) {
    mark(page_index(top), (m.brk_top - top) / PAGE, false);
  }
  m.brk_top = top;
  m.brk_cur = want;
  return (long)m.brk_cur;
}

/* ---- mmap and friends --------------------------------------------------- */

static bool is_break(uintptr_t a, size_t len) {
  return a < m.brk_top && a + len > m.brk_lo;
}

/* MAP_FIXED replaces whatever was mapped there, as on Linux; inside the
 * break too (musl's malloc puts a guard page at the break's start). */
static long map_fixed(uintptr_t a, size_t len) {
  if ((a & (PAGE - 1)) || !in_region(a, len))
    return -ENOMEM;
  file_unmap(a, len);
  size_t first = page_index(a), n = len / PAGE;
  for (size_t i = first; i < first + n; i++)
    if (!page_used(i))
      mark(i, 1, true);
  memset((void *)a, 0, len); /* what was mapped there is replaced */
  pages_clear(first, n);
  return (long)a;
}

long zrt_sys_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd,
                  off_t off) {
  if (len == 0 || (off & (off_t)(PAGE - 1)) || off < 0)
    return -EINVAL;
  int type = flags & MAP_TYPE;
  if (type != MAP_PRIVATE && type != MAP_SHARED &&
      type != MAP_SHARED_VALIDATE)
    return -EINVAL;
  size_t n = round_up(len);
  if (n < len)
    return -ENOMEM;
  long a;
  if (flags & MAP_FIXED) {
    a = map_fixed(addr, n);
  } else {
    a = (long)pages_take(n / PAGE);
    if (a == 0)
      a = -ENOMEM;
  }
  if (a == -ENOMEM) {
    report_oom("mmap", n);
    return a;
  }
  m.st.mapped_calls++;
  if (flags & MAP_ANONYMOUS)
    return a;
  long rc = file_ops ? file_ops->map(fd, (void *)a, len, off, prot,
                                     type != MAP_PRIVATE)
                     : -ENODEV;
  if (rc < 0) {
    mark(page_index((uintptr_t)a), n / PAGE, false);
    return rc;
  }
  return a;
}

long zrt_sys_munmap(uintptr_t addr, size_t len) {
  if ((addr & (PAGE - 1)) || len == 0)
    return -EINVAL;
  size_t n = round_up(len);
  if (!in_region(addr, n) || is_break(addr, n))
    return 0; /* nothing of ours is mapped there */
  file_unmap(addr, n);
  size_t first = page_index(addr);
  for (size_t i = first; i < first + n / PAGE; i++)
    if (page_used(i))
      mark(i, 1, false);
  return 0;
}

/* Move or resize [old, old + old_len) to new_len bytes (MREMAP_MAYMOVE:
 * anywhere). */
long zrt_sys_mremap(uintptr_t old, size_t old_len, size_t new_len, int flags,
                    uintptr_t new_addr) {
  (void)new_addr;
  if ((old & (PAGE - 1)) || new_len == 0 || (flags & ~MREMAP_MAYMOVE))
    return -EINVAL;
  size_t on = round_up(old_len), nn = round_up(new_len);
  if (!in_region(old, on) || is_break(old, on))
    return -EFAULT;
  if (nn <= on) {
    if (nn < on)
      zrt_sys_munmap(old + nn, on - nn);
    return (long)old;
  }
  size_t more = (nn - on) / PAGE;
  if (all_free(page_index(old + on), more) && in_region(old + on, nn - on)) {
    mark(page_index(old + on), more, true);
    pages_clear(page_index(old + on), more);
    return (long)old;
  }
  if (!(flags & MREMAP_MAYMOVE))
    return -ENOMEM;
  uintptr_t a = pages_take(nn / PAGE);
  if (a == 0) {
    report_oom("mremap", nn);
    return -ENOMEM;
  }
  memcpy((void *)a, (const void *)old, on);
  zrt_sys_munmap(old, on);
  return (long)a;
}

long zrt_sys_mprotect(uintptr_t addr, size_t len, int prot) {
  (void)len;
  (void)prot;
  return (addr & (PAGE - 1)) ? -EINVAL : 0;
}

long zrt_sys_madvise(uintptr_t addr, size_t len, int advice) {
  if (addr & (PAGE - 1))
    return -EINVAL;
  /* A shared mapping's pages are its file's: they stay (Linux reads
   * them again from its page cache, which has the stores). */
  if (advice == MADV_DONTNEED && in_region(addr, len) &&
      !is_break(addr, len) &&
      !(file_ops && file_ops->shared(addr, round_up(len))))
    memset((void *)addr, 0, round_up(len));
  return 0;
}

long zrt_sys_msync(uintptr_t addr, size_t len, int flags) {
  if ((addr & (PAGE - 1)) || (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
      ((flags & MS_ASYNC) && (flags & MS_SYNC)))
    return -EINVAL;
  return file_ops ? file_ops->sync(addr, round_up(len)) : 0;
}

/* ---- the runtime's own blocks -------------------------------------------- */

static unsigned kclass(size_t n) {
  unsigned k = 0;
  while ((KMIN << k) < n)
    k++;
  return k;
}

/* A page cut into blocks of class k, all on its free list. */
static bool kclass_refill(unsigned k) {
  uintptr_t p = pages_take(1);
  if (p == 0)
    return false;
  size_t size = KMIN << k;
  for (size_t off = 0; off + size <= PAGE; off += size) {
    void **b = (void **)(p + off);
    *b = m.kfree_list[k];
    m.kfree_list[k] = b;
  }
  return true;
}

void *zrt_kalloc(size_t n) {
  if (n == 0)
    n = 1;
  unsigned k = kclass(n);
  if (k >= KCLASSES) {
    size_t pages = round_up(n) / PAGE;
    uintptr_t p = round_up(n) >= n ? pages_take(pages) : 0;
    if (p == 0)
      report_oom("the runtime's allocation", n);
    m.st.kalloc_bytes += p ? pages * PAGE : 0;
    return (void *)p;
  }
  if (m.kfree_list[k] == NULL && !kclass_refill(k)) {
    report_oom("the runtime's allocation", n);
    return NULL;
  }
  void **b = m.kfree_list[k];
  m.kfree_list[k] = *b;
  memset(b, 0, KMIN << k);
  m.st.kalloc_bytes += KMIN << k;
  return b;
}

void zrt_kfree(void *p, size_t n) {
  if (p == NULL)
    return;
  if (n == 0)
    n = 1;
  ZN_ASSERT((uintptr_t)p >= m.lo && (uintptr_t)p + n <= m.hi);
  unsigned k = kclass(n);
  if (k >= KCLASSES) {
    zrt_sys_munmap((uintptr_t)p, round_up(n));
    m.st.kalloc_bytes -= round_up(n);
    return;
  }
  void **b = p;
  *b = m.kfree_list[k];
  m.kfree_list[k] = b;
  ZN_ASSERT(m.st.kalloc_bytes >= (KMIN << k));
  m.st.kalloc_bytes -= KMIN << k;
}
