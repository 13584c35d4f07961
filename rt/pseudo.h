/*
 * The pseudo file systems' nodes (pseudo.c), which /dev (devfs.c) and
 * /proc (procfs.c) are made of: fixed tables of nodes, made once at
 * mount.  Directories with their children, symlinks with their text,
 * character devices with their file ops, text files made when opened,
 * and a directory of the open descriptors whose entries are magic links
 * (their open is a dup of the descriptor).
 */
#ifndef ZN_RT_PSEUDO_H
#define ZN_RT_PSEUDO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "files_int.h"

enum zrt_pnode_kind {
  ZRT_P_DIR,
  ZRT_P_LINK,
  ZRT_P_DEV,
  ZRT_P_TEXT,
  ZRT_P_FDDIR,
  ZRT_P_FDLINK
};

struct zrt_pnode {
  struct zrt_vnode v;
  enum zrt_pnode_kind kind;
  const char *text;                /* ZRT_P_LINK: the target */
  const struct zrt_file_ops *fops; /* ZRT_P_DEV */
  unsigned rmajor, rminor;         /* ZRT_P_DEV */
  size_t (*make)(char *buf, size_t n); /* ZRT_P_TEXT: the text, its bytes */
  struct zrt_pnode **children;     /* ZRT_P_DIR, NULL-terminated */
  int fd;                          /* ZRT_P_FDLINK */
  char fdname[12];                 /* ZRT_P_FDLINK */
  uint64_t ino;
};

#define DIR_NODE(n, kids) {.v = {.name = (n), .mode = S_IFDIR | 0755}, \
                           .kind = ZRT_P_DIR, .children = (kids)}
#define LINK_NODE(n, t) {.v = {.name = (n), .mode = S_IFLNK | 0777}, \
                         .kind = ZRT_P_LINK, .text = (t)}
#define DEV_NODE(n, ops, ma, mi) {.v = {.name = (n), \
                                        .mode = S_IFCHR | 0666}, \
                                  .kind = ZRT_P_DEV, .fops = (ops), \
                                  .rmajor = (ma), .rminor = (mi)}
#define TEXT_NODE(n, fn) {.v = {.name = (n), .mode = S_IFREG | 0444}, \
                          .kind = ZRT_P_TEXT, .make = (fn)}
#define FDDIR_NODE(n) {.v = {.name = (n), .mode = S_IFDIR | 0500}, \
                       .kind = ZRT_P_FDDIR}

/* A mount of the tree under root (every node given its ops, mount,
 * parent and inode number), with the file system's magic for statfs.
 * 0 or -ENOMEM. */
int zrt_pseudo_mount(struct zrt_pnode *root, long magic,
                     struct zrt_mount **out);
/* The poll of a file that never blocks (the console, a device, a text
 * file): ready for whatever is asked. */
short zrt_pseudo_poll_ready(struct zrt_file *f, short events);
/* The decimal of v at p, not terminated; the bytes written (at most
 * 20). */
size_t zrt_pseudo_put_dec(char *p, uint64_t v);

#endif
