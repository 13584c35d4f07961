/*
 * Advisory locks, as Linux keeps them, for the one process an image is:
 *
 *  - flock's: a whole-file lock of an open file description (dup and
 *    the descriptors it shares hold it together; another open of the
 *    same file is another holder), released by LOCK_UN or at the
 *    description's last close;
 *  - open file description (OFD) record locks (F_OFD_SETLK, -SETLKW,
 *    -GETLK): byte ranges with the same holders as flock's;
 *  - POSIX record locks (F_SETLK, -SETLKW, -GETLK): byte ranges the
 *    process holds, so never in its own way, but in the way of OFD
 *    locks and they of it (as between two processes on Linux), and all
 *    of a file's go when the process closes any descriptor of it.
 *
 * flock's and the record locks do not meet (Linux keeps them apart).  A
 * lock is on the file, not the name: on the vnode for a file of a file
 * system, on the open file itself for any other kind (no second
 * description reaches it).  A wait (LOCK_EX without LOCK_NB, F_SETLKW)
 * waits for another thread to release; when every thread waits so, the
 * scheduler names the deadlock.  At most LOCK_MAX records: ENOLCK past.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "files_abi.h"
#include "files_int.h"
#include "rt.h"

#define LOCK_MAX 4096
#define LOCK_END INT64_MAX /* a range to the end of every file */

enum lock_kind { LK_FLOCK, LK_RANGE };

struct lock {
  struct lock *next;
  const void *obj;       /* what is locked */
  struct zrt_file *owner; /* the open file description; NULL: the process */
  enum lock_kind kind;
  short type;            /* F_RDLCK or F_WRLCK */
  int64_t start, end;    /* [start, end): ranges; flock's: the whole */
};

static struct lock *locks;
static unsigned nlocks;

/* What a file's locks are on. */
static const void *lock_obj(struct zrt_file *f) {
  return f->ops->vnode_priv ? f->priv : (const void *)f;
}

static bool overlap(const struct lock *l, int64_t start, int64_t end) {
  return l->start < end && start < l->end;
}

/* The first lock of another holder that a lock `type` on [start, end)
 * of `kind` would be in the way of, or NULL. */
static struct lock *in_the_way(const void *obj, const struct zrt_file *owner,
                               enum lock_kind kind, short type, int64_t start,
                               int64_t end) {
  for (struct lock *l = locks; l; l = l->next)
    if (l->obj == obj && l->owner != owner && l->kind == kind &&
        overlap(l, start, end) && (type == F_WRLCK || l->type == F_WRLCK))
      return l;
  return NULL;
}

static struct lock *lock_new(void) {
  if (nlocks >= LOCK_MAX)
    return NULL;
  struct lock *l = zrt_kalloc(sizeof(*l));
  if (l)
    nlocks++;
  return l;
}

static void lock_free(struct lock *l) {
  zrt_kfree(l, sizeof(*l));
  nlocks--;
}

/* Remove every lock `match` says yes to; tell the waiters if any went. */
static void remove_where(bool (*match)(const struct lock *, const void *,
                                       const struct zrt_file *),
                         const void *obj, const struct zrt_file *owner) {
  bool any = false;
  for (struct lock **pp = &locks; *pp;) {
    struct lock *l = *pp;
    if (match(l, obj, owner)) {
      *pp = l->next;
      lock_free(l);
      any = true;
    } else {
      pp = &l->next;
    }
  }
  if (any)
    zrt_io_notify();
}

/* Wait until `in_the_way` finds nothing: 0, -EAGAIN (no wait), -EINTR. */
static int wait_clear(const void *obj, struct zrt_file *owner,
                      enum lock_kind kind, short type, int64_t start,
                      int64_t end, bool wait) {
  while (in_the_way(obj, owner, kind, type, start, end)) {
    if (!wait)
      return -EAGAIN;
    if (zrt_io_wait_local(ZRT_NO_DEADLINE) == -EINTR)
      return -EINTR;
  }
  return 0;
}

/* ---- flock ---------------------------------------------------------------- */

static bool is_flock_of(const struct lock *l, const void *obj,
                        const struct zrt_file *owner) {
  return l->kind == LK_FLOCK && l->obj == obj && l->owner == owner;
}

long zrt_lock_flock(struct zrt_file *f, int op) {
  int kind = op & ~ZRT_LOCK_NB;
  const void *obj = lock_obj(f);
  if (kind != ZRT_LOCK_SH && kind != ZRT_LOCK_EX && kind != ZRT_LOCK_UN)
    return -EINVAL;
  /* A conversion releases first, as Linux's does (not atomic). */
  remove_where(is_flock_of, obj, f);
  if (kind == ZRT_LOCK_UN)
    return 0;
  short type = kind == ZRT_LOCK_EX ? F_WRLCK : F_RDLCK;
  struct lock *l = lock_new();
  if (!l)
    return -ENOLCK;
  int r = wait_clear(obj, f, LK_FLOCK, type, 0, LOCK_END,
                     !(op & ZRT_LOCK_NB));
  if (r < 0) {
    lock_free(l);
    return r == -EAGAIN ? -EWOULDBLOCK : r;
  }
  *l = (struct lock){locks, obj, f, LK_FLOCK, type, 0, LOCK_END};
  locks = l;
  return 0;
}

/* ---- record locks -------------------------------------------------------- */

/* fl's range as [*start, *end) (fl->l_whence from the file's offset or
 * its end); -EINVAL or -EOVERFLOW. */
static int range_of(struct zrt_file *f, const struct flock *fl,
                    int64_t *start, int64_t *end) {
  int64_t base;
  switch (fl->l_whence) {
  case SEEK_SET:
    base = 0;
    break;
  case SEEK_CUR:
    base = f->pos;
    break;
  case SEEK_END: {
    struct stat st;
    if (!f->ops->fstat || f->ops->fstat(f, &st) < 0)
      return -EINVAL;
    base = st.st_size;
    break;
  }
  default:
    return -EINVAL;
  }
  int64_t s;
  if (__builtin_add_overflow(base, (int64_t)fl->l_start, &s))
    return -EOVERFLOW;
  int64_t len = fl->l_len;
  if (len < 0) {
    if (s + len < 0)
      return -EINVAL;
    *start = s + len;
    *end = s;
    return 0;
  }
  if (s < 0)
    return -EINVAL;
  *start = s;
  if (len == 0 || __builtin_add_overflow(s, len, end))
    *end = LOCK_END;
  return 0;
}

/* Take [start, end) out of owner's ranges on obj (a range across it
 * split in two: `spare`, allocated beforehand, is the second half's,
 * and *spare is NULL once used). */
static void carve(const void *obj, const struct zrt_file *owner, int64_t start,
                  int64_t end, struct lock **spare) {
  bool any = false;
  for (struct lock **pp = &locks; *pp;) {
    struct lock *l = *pp;
    if (l->kind != LK_RANGE || l->obj != obj || l->owner != owner ||
        !overlap(l, start, end)) {
      pp = &l->next;
      continue;
    }
    any = true;
    if (l->start < start && l->end > end) { /* across: split */
      /* One range at most lies across: an owner's ranges on a file
       * never overlap (each set carves the others first). */
      struct lock *r = *spare;
      ZN_ASSERT(r != NULL);
      if (!r)
        break; /* (never: see above) */
      *spare = NULL;
      *r = *l;
      r->start = end;
      l->end = start;
      r->next = l->next;
      l->next = r;
      pp = &r->next;
    } else if (l->start < start) {
      l->end = start;
      pp = &l->next;
    } else if (l->end > end) {
      l->start = end;
      pp = &l->next;
    } else {
      *pp = l->next;
      lock_free(l);
    }
  }
  if (any)
    zrt_io_notify();
}

/* F_GETLK and F_OFD_GETLK: the first lock in the way, or F_UNLCK. */
static long get_lock(const void *obj, struct zrt_file *owner,
                     struct flock *fl, int64_t start, int64_t end) {
  if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK)
    return -EINVAL;
  struct lock *l = in_the_way(obj, owner, LK_RANGE, fl->l_type, start, end);
  if (!l) {
    fl->l_type = F_UNLCK;
    return 0;
  }
  fl->l_type = l->type;
  fl->l_whence = SEEK_SET;
  fl->l_start = l->start;
  fl->l_len = l->end == LOCK_END ? 0 : l->end - l->start;
  fl->l_pid = l->owner ? -1 : 1; /* an OFD lock has no process */
  return 0;
}

/* F_SETLK(W) and F_OFD_SETLK(W). */
static long set_lock(const void *obj, struct zrt_file *owner,
                     const struct flock *fl, int64_t start, int64_t end,
                     bool wait) {
  if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK &&
      fl->l_type != F_UNLCK)
    return -EINVAL;
  /* Both records first: a set never fails half done. */
  struct lock *l = lock_new();
  struct lock *spare = l ? lock_new() : NULL;
  if (!spare) {
    if (l)
      lock_free(l);
    return -ENOLCK;
  }
  int r = fl->l_type == F_UNLCK
              ? 0
              : wait_clear(obj, owner, LK_RANGE, fl->l_type, start, end, wait);
  if (r == 0) {
    carve(obj, owner, start, end, &spare);
    if (fl->l_type != F_UNLCK) {
      *l = (struct lock){locks, obj, owner, LK_RANGE, fl->l_type, start, end};
      locks = l;
      l = NULL;
    }
  }
  if (l)
    lock_free(l);
  if (spare)
    lock_free(spare);
  return r;
}

long zrt_lock_fcntl(struct zrt_file *f, int cmd, struct flock *fl) {
  if (!fl)
    return -EFAULT;
  bool ofd = cmd == ZRT_F_OFD_GETLK || cmd == ZRT_F_OFD_SETLK ||
             cmd == ZRT_F_OFD_SETLKW;
  if (ofd && fl->l_pid != 0)
    return -EINVAL;
  int64_t start, end;
  int r = range_of(f, fl, &start, &end);
  if (r < 0)
    return r;
  /* A write lock wants the file open for writing, a read lock for
   * reading (Linux's EBADF). */
  int acc = f->flags & O_ACCMODE;
  if ((fl->l_type == F_WRLCK && acc == O_RDONLY) ||
      (fl->l_type == F_RDLCK && acc == O_WRONLY)) {
    if (cmd != F_GETLK && cmd != ZRT_F_OFD_GETLK)
      return -EBADF;
  }
  const void *obj = lock_obj(f);
  struct zrt_file *owner = ofd ? f : NULL;
  switch (cmd) {
  case F_GETLK:
  case ZRT_F_OFD_GETLK:
    return get_lock(obj, owner, fl, start, end);
  case F_SETLK:
  case ZRT_F_OFD_SETLK:
    return set_lock(obj, owner, fl, start, end, false);
  default:
    return set_lock(obj, owner, fl, start, end, true);
  }
}

/* ---- closes ----------------------------------------------------------------- */

static bool is_process_range_of(const struct lock *l, const void *obj,
                                const struct zrt_file *owner) {
  (void)owner;
  return l->kind == LK_RANGE && l->owner == NULL && l->obj == obj;
}

static bool is_held_by(const struct lock *l, const void *obj,
                       const struct zrt_file *owner) {
  (void)obj;
  return l->owner == owner;
}

void zrt_lock_fd_closed(struct zrt_file *f) {
  if (locks)
    remove_where(is_process_range_of, lock_obj(f), NULL);
}

void zrt_lock_release(struct zrt_file *f) {
  if (locks)
    remove_where(is_held_by, NULL, f);
}
