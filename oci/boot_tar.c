/* A directory of the container as a tar archive for the image (ZNET_FILES:
 * a ConfigMap's or a Secret's mount, read-only in the image at the same
 * path): ustar, what the runtime's tar reader takes (rt/tar.c), with the
 * tree's directories, regular files and symbolic links (Kubernetes makes
 * a ConfigMap's keys links into a dated directory), their modes, owners
 * and times.  What ustar cannot carry (a name over 255 bytes, a link's
 * target over 100) is left out and counted. */
#include "boot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512u
#define DEPTH 32 /* a tree deeper than this is cut there, counted */

struct tar_out {
  int fd;
  unsigned left_out;
  int err; /* the first -errno of a write */
};

static void put_octal(char *field, size_t n, unsigned long long v) {
  /* n - 1 digits and a NUL, zero-padded. */
  field[n - 1] = '\0';
  for (size_t i = n - 1; i-- > 0;) {
    field[i] = (char)('0' + (v & 7));
    v >>= 3;
  }
}

static void write_all(struct tar_out *t, const void *p, size_t n) {
  const char *c = p;
  while (n > 0 && t->err == 0) {
    ssize_t w = write(t->fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      t->err = w < 0 ? -errno : -EIO;
      return;
    }
    c += w;
    n -= (size_t)w;
  }
}

/* The header of `name` (relative, without a leading '/'); false if ustar
 * cannot carry the name or the link. */
static bool header(struct tar_out *t, const char *name, const struct stat *st,
                   char type, const char *link) {
  char h[BLOCK];
  memset(h, 0, sizeof(h));
  /* ustar's name, prefix and link fields hold a NUL only when shorter
   * than the field, its version field none.
   * NOLINTBEGIN(bugprone-not-null-terminated-result) */
  size_t len = strlen(name);
  if (len <= 100) {
    memcpy(h, name, len);
  } else {
    /* prefix (155) '/' name (100): split at a '/' that fits both. */
    const char *cut = NULL;
    for (const char *p = name + len - 1; p > name; p--)
      if (*p == '/' && (size_t)(p - name) <= 155 &&
          len - (size_t)(p - name) - 1 <= 100) {
        cut = p;
        break;
      }
    if (!cut)
      return false;
    memcpy(h + 345, name, (size_t)(cut - name));
    memcpy(h, cut + 1, len - (size_t)(cut - name) - 1);
  }
  if (link && strlen(link) > 100)
    return false;
  put_octal(h + 100, 8, st->st_mode & 07777);
  put_octal(h + 108, 8, st->st_uid & 07777777);
  put_octal(h + 116, 8, st->st_gid & 07777777);
  put_octal(h + 124, 12, type == '0' ? (unsigned long long)st->st_size : 0);
  put_octal(h + 136, 12,
            st->st_mtime > 0 ? (unsigned long long)st->st_mtime : 0);
  h[156] = type;
  if (link)
    memcpy(h + 157, link, strlen(link));
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2); /* the version: two digits, no NUL */
  /* NOLINTEND(bugprone-not-null-terminated-result) */
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < BLOCK; i++)
    sum += (unsigned char)h[i];
  put_octal(h + 148, 7, sum);
  write_all(t, h, BLOCK);
  return true;
}

/* A regular file's bytes, padded to a block; exactly st_size of them
 * (a file that changed size meanwhile is cut or padded with zeroes). */
static void body(struct tar_out *t, int fd, off_t size) {
  static char buf[65536];
  off_t done = 0;
  while (done < size && t->err == 0) {
    size_t want = (size_t)(size - done < (off_t)sizeof(buf) ? size - done
                                                            : (off_t)sizeof(buf));
    ssize_t r = read(fd, buf, want);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      memset(buf, 0, want);
      r = (ssize_t)want;
    }
    write_all(t, buf, (size_t)r);
    done += r;
  }
  static const char zero[BLOCK];
  if (size % BLOCK)
    write_all(t, zero, BLOCK - (size_t)(size % BLOCK));
}

/* tree and entry call each other once per level, depth < DEPTH. */
static void entry(struct tar_out *t, int dirfd, const char *rel,
                  const char *name, int depth);

/* The entries of directory fd (rel its name in the archive, "" at the
 * top), in the order readdir gives. */
/* NOLINTNEXTLINE(misc-no-recursion): depth < DEPTH */
static void tree(struct tar_out *t, int fd, const char *rel, int depth) {
  DIR *d = fdopendir(fd);
  if (!d) {
    (void)close(fd);
    t->left_out++;
    return;
  }
  struct dirent *e;
  /* cppcheck-suppress readdirCalled ; one thread (znet-boot), and
   * readdir_r is deprecated (glibc 2.24) */
  while ((e = readdir(d)) && t->err == 0) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    entry(t, dirfd(d), rel, e->d_name, depth);
  }
  (void)closedir(d);
}

/* NOLINTNEXTLINE(misc-no-recursion): depth < DEPTH */
static void entry(struct tar_out *t, int dirfd, const char *rel,
                  const char *name, int depth) {
  char path[512];
  struct stat st;
  int k = snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", name);
  if (k < 0 || (size_t)k >= sizeof(path) ||
      fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    t->left_out++;
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    char target[101];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
    if (n < 0 || n > 100) {
      t->left_out++;
      return;
    }
    target[n] = '\0';
    if (!header(t, path, &st, '2', target))
      t->left_out++;
  } else if (S_ISDIR(st.st_mode)) {
    if (depth >= DEPTH || !header(t, path, &st, '5', NULL)) {
      t->left_out++;
      return;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                     O_CLOEXEC);
    if (fd < 0) {
      t->left_out++;
      return;
    }
    tree(t, fd, path, depth + 1);
  } else if (S_ISREG(st.st_mode)) {
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      t->left_out++;
      return;
    }
    if (header(t, path, &st, '0', NULL))
      body(t, fd, st.st_size);
    else
      t->left_out++;
    (void)close(fd);
  } else {
    t->left_out++; /* a device, a socket, a FIFO: no file for an image */
  }
}

int boot_tar_dir(const char *dir, int out_fd, unsigned *left_out) {
  struct tar_out t = {.fd = out_fd};
  int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (top < 0)
    return -errno;
  tree(&t, top, "", 0);
  static const char end[2 * BLOCK];
  write_all(&t, end, sizeof(end));
  *left_out = t.left_out;
  return t.err;
}
