/*
 * The image's tree at start-up (rt.h): the root archive (tarfs) at /, a
 * memfs at /tmp, devfs at /dev with a memfs at /dev/shm, the small /proc, the /etc texts the
 * configuration gives where the archive has none, and a memfs wherever
 * --tmpfs asks.  Above the file systems and vfs.c, which it calls:
 * nothing below calls up into it.
 */
#include <errno.h>
#include <string.h>

#include "files_int.h"
#include "rt.h"

#define ETC_MAX 16

/* The /etc texts, kept until the root is there (and applied then). */
struct etc_file {
  char name[ZRT_NAME_MAX + 1];
  char *text;
  size_t len;
};
static struct etc_file etc[ETC_MAX];
static unsigned netc;

static void etc_apply(const struct etc_file *e) {
  int r = zrt_vfs_add_text("/etc", e->name, e->text, e->len);
  if (r < 0 && r != -EEXIST && r != -EROFS)
    zrt_log("vfs: /etc/%s not served (%d)", e->name, r);
}

void zrt_mount_etc(const char *name, const char *text) {
  size_t nl = strlen(name), tl = strlen(text);
  if (nl == 0 || nl > ZRT_NAME_MAX || memchr(name, '/', nl) ||
      netc == ETC_MAX) {
    zrt_log("vfs: /etc/%s not served", name);
    return;
  }
  struct etc_file *e = &etc[netc];
  e->text = zrt_kalloc(tl + 1);
  if (!e->text) {
    zrt_log("vfs: no memory for /etc/%s", name);
    return;
  }
  memcpy(e->name, name, nl + 1);
  memcpy(e->text, text, tl);
  e->len = tl;
  netc++;
  if (zrt_vfs_has_root())
    etc_apply(e);
}

/* The root `m` (its mount gave `r`), and the trees under it. */
static int mount_root_tree(struct zrt_mount *m, int r) {
  if (!m)
    return r;
  zrt_vfs_set_root(m);
  struct zrt_mount *tmp, *dev, *shm, *proc;
  if (zrt_memfs_mount(zrt_kalloc_avail() / 4, &tmp) == 0)
    (void)zrt_vfs_mount_at("/tmp", tmp);
  if (zrt_devfs_mount(&dev) == 0 && zrt_vfs_mount_at("/dev", dev) == 0 &&
      zrt_memfs_mount(zrt_kalloc_avail() / 4, &shm) == 0)
    (void)zrt_vfs_mount_at("/dev/shm", shm);
  if (zrt_procfs_mount(&proc) == 0)
    (void)zrt_vfs_mount_at("/proc", proc);
  for (unsigned i = 0; i < netc; i++)
    etc_apply(&etc[i]);
  return r;
}

int zrt_mount_root(const char *blockdev) {
  struct zrt_mount *m;
  int r = zrt_tarfs_mount(blockdev, &m);
  return mount_root_tree(m, r);
}

int zrt_mount_root_archive(const void *data, size_t len) {
  struct zrt_mount *m;
  int r = zrt_tarfs_mount_archive(data, len, &m);
  return mount_root_tree(m, r);
}

int zrt_mount_memfs(const char *path, size_t budget) {
  struct zrt_mount *m;
  if (!zrt_vfs_has_root())
    return -ENOENT;
  if (budget == 0)
    budget = zrt_kalloc_avail() / 4;
  int r = zrt_memfs_mount(budget, &m);
  if (r < 0) {
    zrt_log("vfs: no memory for a memfs at %s", path);
    return r;
  }
  return zrt_vfs_mount_at(path, m);
}
