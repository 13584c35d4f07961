/*
 * dlopen, dlsym and dlclose for an image: the shared objects were linked
 * in by znet-image, so "loading" one is finding it.
 *
 * A program's modules (a Lua C module, a Python extension) built by
 * `znet-cc -shared` are relocatable objects, not ELF shared objects: an
 * image has one address space and no loader.  znet-image links each one
 * it is given (--so, or found in the --root archive) into the image, its
 * global names renamed so that two modules' names cannot meet, and writes
 * the table this file reads (zrt_so_table): for each module the path it
 * has in the root, the FNV-1a hash and size of the file there, and its
 * exported names with their addresses.  Its undefined names were resolved
 * against the program at that link, as a loader resolves them against
 * the global scope.
 *
 * dlopen(PATH) reads the file at PATH in the image's root (so a module
 * missing from the root is missing, as on Linux), hashes it, and finds
 * its row: by path and hash, else by hash alone (the same file at another
 * path).  A file of the same path and other contents is refused: it is
 * not the build that was linked.  dlsym looks the name up in the row.
 * dlclose does nothing (nothing was mapped).  The modules' constructors
 * ran at the image's start, with the program's.
 *
 * musl's static libc.a defines these (and __dlsym, __dl_invalid_handle)
 * as weak stubs that fail: the strong ones here replace them in an image;
 * a znet-cc program run on Linux keeps musl's.  Errors go to dlerror()
 * through musl's own __dl_seterr.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* The table's layout: znet-image writes the same declarations. */
struct zrt_so_sym {
  const char *name;
  void *addr;
};
struct zrt_so {
  const char *path;
  uint64_t hash;
  uint64_t size;
  const struct zrt_so_sym *syms;
  unsigned long nsyms;
};
extern const struct zrt_so zrt_so_table[];
extern const unsigned long zrt_so_count;

/* musl's (src/ldso/dlerror.c): the message dlerror() returns next (its
 * name is the C library's to take):
 * NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void __dl_seterr(const char *fmt, ...);
/* musl's names for what its dlsym, dlclose and dlinfo call, defined
 * here over its weak stubs:
 * NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
int __dl_invalid_handle(void *handle);
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void *__dlsym(void *restrict handle, const char *restrict name,
              void *restrict ra);

/* The handle of dlopen(NULL): the program, which exports nothing. */
static char main_handle;

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* The hash and size of the file at path; -1 with errno if it cannot be
 * read. */
static int hash_file(const char *path, uint64_t *hash, uint64_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  uint64_t h = FNV_OFFSET, n = 0;
  unsigned char buf[4096];
  for (;;) {
    ssize_t got = read(fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (got == 0)
      break;
    for (ssize_t i = 0; i < got; i++)
      h = (h ^ buf[i]) * FNV_PRIME;
    n += (uint64_t)got;
  }
  close(fd);
  *hash = h;
  *size = n;
  return 0;
}

/* Does path name the same file as the table's (absolute) one?  Both
 * are compared as written, less "./" and repeated slashes; a relative
 * path is taken from the working directory. */
static const char *skip_dots(const char *p) {
  for (;;) {
    if (p[0] == '/' && p[1] == '/')
      p++;
    else if (p[0] == '/' && p[1] == '.' && p[2] == '/')
      p += 2;
    else
      return p;
  }
}

static int same_path(const char *a, const char *b) {
  if (a[0] != '/') {
    char cwd[512];
    if (!getcwd(cwd, sizeof(cwd)))
      return 0;
    size_t n = strlen(cwd);
    if (strncmp(b, cwd, n) != 0)
      return 0;
    b += n;
    if (n > 1 && *b++ != '/') /* "/app" is not the start of "/apple" */
      return 0;
    while (a[0] == '.' && a[1] == '/')
      a += 2;
  }
  for (;;) {
    a = skip_dots(a);
    b = skip_dots(b);
    if (*a != *b)
      return 0;
    if (*a == '\0')
      return 1;
    a++;
    b++;
  }
}

void *dlopen(const char *file, int mode) {
  (void)mode;
  if (!file)
    return &main_handle;
  uint64_t hash, size;
  if (hash_file(file, &hash, &size) != 0) {
    __dl_seterr("%s: cannot open shared object file: %s", file,
                strerror(errno));
    return NULL;
  }
  const struct zrt_so *by_hash = NULL;
  for (unsigned long i = 0; i < zrt_so_count; i++) {
    const struct zrt_so *so = &zrt_so_table[i];
    int match = so->hash == hash && so->size == size;
    if (same_path(file, so->path)) {
      if (match)
        return (void *)(uintptr_t)so;
      __dl_seterr("%s: not the build of it linked into this image "
                  "(the file differs)",
                  file);
      return NULL;
    }
    if (match && !by_hash)
      by_hash = so;
  }
  if (by_hash)
    return (void *)(uintptr_t)by_hash;
  __dl_seterr("%s: not linked into this image (znet-image links the "
              "shared objects of its --root archive and its --so ones)",
              file);
  return NULL;
}

/* The table's row h is, or NULL if it is none. */
static const struct zrt_so *so_of(const void *h) {
  uintptr_t p = (uintptr_t)h, t = (uintptr_t)zrt_so_table;
  if (p < t || p >= t + zrt_so_count * sizeof(struct zrt_so) ||
      (p - t) % sizeof(struct zrt_so) != 0)
    return NULL;
  return h;
}

/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
int __dl_invalid_handle(void *handle) {
  if (handle == &main_handle || so_of(handle))
    return 0;
  __dl_seterr("Invalid library handle %p", handle);
  return 1;
}

/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void *__dlsym(void *restrict handle, const char *restrict name,
              void *restrict ra) {
  (void)ra;
  if (__dl_invalid_handle(handle))
    return NULL;
  const struct zrt_so *so = so_of(handle);
  if (so)
    for (unsigned long i = 0; i < so->nsyms; i++)
      if (strcmp(so->syms[i].name, name) == 0)
        return so->syms[i].addr;
  __dl_seterr("Symbol not found: %s", name);
  return NULL;
}

int dlclose(void *handle) { return __dl_invalid_handle(handle) ? -1 : 0; }
