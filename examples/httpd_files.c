/*
 * znet-httpd's content (httpd_content.h): the files under
 * --root, as a content source (znet/http.h) for the library's server.
 *
 * Opening.  A path is opened beneath the root's directory descriptor
 * with openat2(2) and RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: symbolic
 * links that stay under the root are followed, any that would leave it
 * (an absolute link, "..", a /proc magic link) fail with EXDEV and are
 * answered 403.  Where the kernel has no openat2 (before Linux 5.6), or
 * with ZN_HTTPD_NO_OPENAT2=1 in the environment (for the tests), each
 * component is opened in turn with O_NOFOLLOW: no link is followed at
 * all.  The server's own cleaning of the target (no "..", no encoded
 * '/') comes first; this is the second wall.  O_NONBLOCK keeps a FIFO
 * from stalling the loop; anything but a regular file or a directory is
 * 403.
 *
 * Caching.  An open file is mmap'ed once and kept in a hash table (FNV-1a
 * of the path) with an LRU list, at most cache_files of them, each with
 * its entity-tag and its response fields precomputed
 * (zn_http_file_fields), so a hot file costs the server no system call:
 * within the same second of the monotonic clock a hit is trusted as it
 * is; after that, the next request opens and fstat()s the file again and
 * maps it anew if its device, inode, size or modification time changed
 * (the old mapping lives on while responses use it).  Each mapping is
 * reference counted: the cache holds one, and every response holding the
 * file (zn_http_file.hold) one more; it is unmapped when the last goes.
 *
 * A file truncated in place while mapped would fault (SIGBUS) when the
 * server reads past its new end: replace files by rename(2), as
 * deployments do, rather than rewriting them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall(), O_NOFOLLOW and O_DIRECTORY (as glibc asks) */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "httpd_content.h"
#include "znet/err.h"

#define FILES_STATS(X)                                                         \
  X(opens, "requests for a path")                                              \
  X(hits, "answered from the cache without a system call")                     \
  X(checks, "cached files looked at again (a second later)")                   \
  X(maps, "files opened and mapped")                                           \
  X(changed, "cached files replaced: changed on disk")                         \
  X(evicted, "cached files dropped for room (LRU)")                            \
  X(unmapped, "mappings unmapped")                                             \
  X(not_found, "paths not found (404)")                                        \
  X(directories, "paths that are directories")                                 \
  X(refused, "paths refused: a link out of the root, not a file (403)")        \
  X(errors, "other failures (500)")

struct entry {
  struct entry *hnext;       /* hash chain */
  struct entry *prev, *next; /* LRU, most recent first */
  struct httpd_content *owner;
  char *path;
  size_t path_len;
  uint64_t hash;
  void *map; /* NULL for an empty file */
  size_t size;
  dev_t dev;
  ino_t ino;
  struct timespec mtim;
  uint64_t checked; /* the monotonic second of the last look */
  uint32_t refs;    /* the cache's (while cached) and the holds */
  bool cached;
  char etag[ZN_HTTP_ETAG_MAX];
  size_t etag_len;
  const char *type;
  char fields[ZN_HTTP_FIELDS_MAX];
  size_t fields_len;
};

struct httpd_content {
  struct zn_http_content src; /* first: what the server is given */
  int root_fd;
  char *root;
  bool no_openat2;
  struct entry **bucket;
  size_t nbuckets;
  struct entry *lru_head, *lru_tail;
  uint32_t count, max;
#define FIELD_(name, text) uint64_t name;
  FILES_STATS(FIELD_)
#undef FIELD_
};

static uint64_t mono_seconds(void) {
  struct timespec ts;
  (void)clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec;
}

static uint64_t fnv1a(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)p[i]) * 0x100000001b3ull;
  return h;
}

/* ---- mappings and their references ---- */

static void entry_unref(struct entry *e) {
  if (--e->refs > 0)
    return;
  if (e->map)
    (void)munmap(e->map, e->size);
  e->owner->unmapped++;
  free(e->path);
  free(e);
}

static void file_hold(void *ref) { ((struct entry *)ref)->refs++; }

static void file_release(void *ref) { entry_unref(ref); }

/* ---- the table and the LRU list ---- */

static struct entry **chain_of(struct httpd_content *c, uint64_t hash) {
  return &c->bucket[hash & (c->nbuckets - 1)];
}

static void lru_unlink(struct httpd_content *c, struct entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    c->lru_head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->lru_tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_front(struct httpd_content *c, struct entry *e) {
  e->next = c->lru_head;
  e->prev = NULL;
  if (c->lru_head)
    c->lru_head->prev = e;
  else
    c->lru_tail = e;
  c->lru_head = e;
}

/* Out of the table (already off the LRU list); unmapped once no
 * response holds it. */
static void drop(struct httpd_content *c, struct entry *e) {
  struct entry **pp = chain_of(c, e->hash);
  while (*pp != e)
    pp = &(*pp)->hnext;
  *pp = e->hnext;
  e->cached = false;
  c->count--;
  entry_unref(e);
}

static void uncache(struct httpd_content *c, struct entry *e) {
  lru_unlink(c, e);
  drop(c, e);
}

/* The least recently used entry, off the LRU list; NULL if none. */
static struct entry *lru_pop_tail(struct httpd_content *c) {
  struct entry *e = c->lru_tail;
  if (e == NULL)
    return NULL;
  c->lru_tail = e->prev;
  if (c->lru_tail)
    c->lru_tail->next = NULL;
  else
    c->lru_head = NULL;
  e->prev = e->next = NULL;
  return e;
}

static struct entry *lookup(struct httpd_content *c, const char *path,
                            size_t len, uint64_t hash) {
  for (struct entry *e = *chain_of(c, hash); e; e = e->hnext)
    if (e->hash == hash && e->path_len == len &&
        memcmp(e->path, path, len) == 0)
      return e;
  return NULL;
}

static void insert(struct httpd_content *c, struct entry *e) {
  struct entry **ch = chain_of(c, e->hash);
  e->hnext = *ch;
  *ch = e;
  lru_front(c, e);
  e->cached = true;
  c->count++;
  while (c->count > c->max && c->lru_tail != e) {
    struct entry *victim = lru_pop_tail(c);
    c->evicted++;
    drop(c, victim);
  }
}

/* ---- opening beneath the root ---- */

static int zn_errno(struct httpd_content *c, int e) {
  switch (e) {
  case ENOENT:
  case ENOTDIR:
  case ENAMETOOLONG:
    c->not_found++;
    return ZN_ENOENT;
  case EXDEV: /* RESOLVE_BENEATH: the path would leave the root */
  case ELOOP: /* O_NOFOLLOW met a link */
  case EACCES:
  case EPERM:
  case ENXIO: /* a socket or a FIFO without a writer */
    c->refused++;
    return ZN_EACCES;
  default:
    c->errors++;
    return ZN_EIO;
  }
}

/* One component at a time, no link followed (no openat2). */
static int open_walk(struct httpd_content *c, const char *path) {
  int dfd = dup(c->root_fd);
  const char *p = path;
  while (dfd >= 0) {
    const char *slash = strchr(p, '/');
    char comp[NAME_MAX + 1];
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n > NAME_MAX) {
      (void)close(dfd);
      errno = ENOENT;
      return -1;
    }
    memcpy(comp, p, n);
    comp[n] = '\0';
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
    int fd = openat(dfd, comp, slash ? flags | O_DIRECTORY : flags);
    int saved = errno;
    (void)close(dfd);
    errno = saved;
    if (fd < 0 || slash == NULL)
      return fd;
    dfd = fd;
    p = slash + 1;
  }
  return -1;
}

static int open_beneath(struct httpd_content *c, const char *path) {
  if (!c->no_openat2) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, c->root_fd, path, &how, sizeof(how));
    if (fd >= 0 || errno != ENOSYS)
      return (int)fd;
    c->no_openat2 = true; /* an old kernel: walk, from now on */
  }
  return open_walk(c, path);
}

/* ---- entries ---- */

static bool same_file(const struct entry *e, const struct stat *st) {
  return e->dev == st->st_dev && e->ino == st->st_ino &&
         (off_t)e->size == st->st_size &&
         e->mtim.tv_sec == st->st_mtim.tv_sec &&
         e->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* A new entry for the open file fd (a regular file): mapped, its tag and
 * fields made. */
static struct entry *entry_new(struct httpd_content *c, const char *path,
                               size_t len, uint64_t hash, int fd,
                               const struct stat *st) {
  struct entry *e = calloc(1, sizeof(*e));
  if (e == NULL || (e->path = malloc(len + 1)) == NULL) {
    free(e);
    return NULL;
  }
  memcpy(e->path, path, len + 1);
  e->path_len = len;
  e->hash = hash;
  e->owner = c;
  e->size = (size_t)st->st_size;
  e->dev = st->st_dev;
  e->ino = st->st_ino;
  e->mtim = st->st_mtim;
  e->refs = 1; /* the cache's */
  if (e->size > 0) {
    e->map = mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (e->map == MAP_FAILED) {
      free(e->path);
      free(e);
      return NULL;
    }
  }
  e->etag_len = zn_http_etag_format((uint64_t)e->size, (int64_t)e->mtim.tv_sec,
                                    e->etag, sizeof(e->etag));
  e->type = zn_http_mime_type(path, len);
  struct zn_http_file f = {.size = e->size,
                           .mtime = (int64_t)e->mtim.tv_sec,
                           .etag = e->etag,
                           .etag_len = e->etag_len,
                           .type = e->type};
  e->fields_len = zn_http_file_fields(&f, e->fields, sizeof(e->fields));
  c->maps++;
  return e;
}

static void fill(struct entry *e, struct zn_http_file *f) {
  memset(f, 0, sizeof(*f));
  f->data = e->map;
  f->size = e->size;
  f->mtime = (int64_t)e->mtim.tv_sec;
  f->etag = e->etag;
  f->etag_len = e->etag_len;
  f->type = e->type;
  f->fields = e->fields_len ? e->fields : NULL;
  f->fields_len = e->fields_len;
  f->hold = file_hold;
  f->release = file_release;
  f->ref = e;
}

/* Open path (not cached, or cached and due for a look): a directory, a
 * refusal, the same file again, or a new mapping replacing the old. */
static int open_fresh(struct httpd_content *c, const char *path, size_t len,
                      uint64_t hash, struct entry *old, uint64_t now,
                      struct entry **out) {
  int fd = open_beneath(c, path);
  if (fd < 0)
    return zn_errno(c, errno);
  struct stat st;
  int rc = ZN_OK;
  if (fstat(fd, &st) != 0) {
    rc = zn_errno(c, errno);
  } else if (S_ISDIR(st.st_mode)) {
    c->directories++;
    rc = ZN_EISDIR;
  } else if (!S_ISREG(st.st_mode)) {
    c->refused++;
    rc = ZN_EACCES;
  } else if (old && same_file(old, &st)) {
    old->checked = now;
    *out = old;
  } else if ((*out = entry_new(c, path, len, hash, fd, &st)) == NULL) {
    c->errors++;
    rc = ZN_EIO;
  } else {
    (*out)->checked = now;
    if (old) {
      c->changed++;
      uncache(c, old);
    }
    insert(c, *out);
  }
  (void)close(fd);
  if (rc != ZN_OK && old)
    uncache(c, old); /* gone, or no longer a file */
  return rc;
}

static int files_open(struct zn_http_content *self, const char *path,
                      size_t len, struct zn_http_file *f) {
  struct httpd_content *c = (struct httpd_content *)(void *)self;
  c->opens++;
  if (len == 0) {
    c->directories++;
    return ZN_EISDIR; /* the root */
  }
  uint64_t hash = fnv1a(path, len), now = mono_seconds();
  struct entry *e = lookup(c, path, len, hash);
  if (e && e->checked == now) {
    c->hits++;
  } else {
    if (e)
      c->checks++;
    int rc = open_fresh(c, path, len, hash, e, now, &e);
    if (rc != ZN_OK)
      return rc;
  }
  lru_unlink(c, e);
  lru_front(c, e);
  fill(e, f);
  return ZN_OK;
}

/* ---- the program's side ---- */

struct httpd_content *httpd_content_new(const char *root, uint32_t cache_files,
                                        const char *prog) {
  if (root == NULL) {
    fprintf(stderr, "%s: --root DIR is required\n", prog);
    return NULL;
  }
  struct httpd_content *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->src.open = files_open;
  c->max = cache_files ? cache_files : 1;
  c->nbuckets = 16;
  while (c->nbuckets < 2 * (size_t)c->max)
    c->nbuckets *= 2;
  /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
  c->bucket = calloc(c->nbuckets, sizeof(struct entry *));
  c->root = strdup(root);
  c->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const char *env = getenv("ZN_HTTPD_NO_OPENAT2");
  c->no_openat2 = env && *env && strcmp(env, "0") != 0;
  if (c->root_fd < 0 || c->bucket == NULL || c->root == NULL) {
    fprintf(stderr, "%s: --root %s: %s\n", prog, root,
            c->root_fd < 0 ? strerror(errno) : "out of memory");
    if (c->root_fd >= 0)
      (void)close(c->root_fd);
    free(c->bucket);
    free(c->root);
    free(c);
    return NULL;
  }
  return c;
}

struct zn_http_content *httpd_content_source(struct httpd_content *c) {
  return &c->src;
}

void httpd_content_describe(const struct httpd_content *c, char *buf,
                            size_t size) {
  (void)snprintf(buf, size, "%s (links %s)", c->root,
                 c->no_openat2 ? "not followed"
                               : "followed while under the root");
}

void httpd_content_print_stats(FILE *fp, const struct httpd_content *c) {
#define PRINT_(name, text)                                                     \
  if (c->name)                                                                 \
    fprintf(fp, "  files.%-20s %10" PRIu64 "  %s\n", #name, c->name, text);
  FILES_STATS(PRINT_)
#undef PRINT_
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "files.cached_at_exit", c->count);
}

void httpd_content_free(struct httpd_content *c) {
  if (c == NULL)
    return;
  /* The server is gone and the stack with it: every hold came back, and
   * what the cache holds goes. */
  for (struct entry *e = c->lru_head, *next; e; e = next) {
    next = e->next;
    if (e->map)
      (void)munmap(e->map, e->size);
    free(e->path);
    free(e);
  }
  (void)close(c->root_fd);
  free(c->bucket);
  free(c->root);
  free(c);
}
