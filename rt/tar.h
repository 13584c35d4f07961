/*
 * The tar archive reader of libznet-rt's root file system, and the
 * writer of its exports (zrt_tar_header, below): POSIX ustar,
 * GNU tar (long names 'L' and long links 'K') and pax ('x': path,
 * linkpath, size; 'g' skipped), as `tar cf root.tar -C dir .` makes
 * them.  It yields regular files, directories, symlinks and hard links;
 * everything else is skipped and counted.
 *
 * Pure: it allocates nothing and uses no libc but memcpy, memmove, memset
 * and memcmp; it reads the archive through the caller's callback, and
 * every byte it reads is hostile.  A name is normalized before the
 * caller sees it (no leading "/" or "./", no empty or "." component) and
 * an entry whose name has a ".." component, a NUL, a component over 255
 * bytes or a total over 4095 is dropped and counted; so is one with a
 * bad checksum or number.  A symlink's target is given as its text (the
 * file system resolves it inside the root at lookup); a hard link's
 * target is normalized as a name.  Sizes are checked against the
 * device: data past its end ends the archive.
 */
#ifndef ZN_RT_TAR_H
#define ZN_RT_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZRT_TAR_BLOCK 512u
#define ZRT_TAR_PATH 4096u    /* a name or link, with its NUL */
#define ZRT_TAR_PAX_MAX 8192u /* a pax header's data */

/* What the reader counted, by name: entries given, what it skipped on
 * purpose, and each reason to drop an entry (one counter per reason). */
#define ZRT_TAR_COUNTERS(X)                                                   \
  X(entries)          /* given to the caller */                               \
  X(skipped_global)   /* pax global headers ('g') */                          \
  X(skipped_type)     /* devices, FIFOs, sparse files, labels, unknown */     \
  X(drop_checksum)    /* a header whose checksum is wrong: skipped */         \
  X(drop_number)      /* a numeric field that is no number */                 \
  X(drop_truncated)   /* a header cut by the end of the device */             \
  X(drop_past_device) /* data running past the device: the archive ends */   \
  X(drop_name_dotdot) /* a ".." component */                                  \
  X(drop_name_nul)    /* a NUL inside a long or pax name */                   \
  X(drop_name_long)   /* over 4095 bytes, or a component over 255 */          \
  X(drop_name_empty)  /* a file, link or symlink with no name */              \
  X(drop_link_bad)    /* a link target empty, too long, with NUL or ".." */   \
  X(drop_pax)         /* a pax header that does not parse */

struct zrt_tar_stats {
#define ZRT_TAR_FIELD(name) uint64_t name;
  ZRT_TAR_COUNTERS(ZRT_TAR_FIELD)
#undef ZRT_TAR_FIELD
};

enum zrt_tar_kind {
  ZRT_TAR_FILE,
  ZRT_TAR_DIR,
  ZRT_TAR_SYMLINK,
  ZRT_TAR_HARDLINK,
};

struct zrt_tar_entry {
  enum zrt_tar_kind kind;
  const char *name; /* normalized, NUL-terminated; "" is the root */
  size_t name_len;
  const char *link; /* symlink: the text; hard link: a normalized name */
  size_t link_len;
  uint64_t size;     /* files: bytes of data (0 for the others) */
  uint64_t data_off; /* files: where the data starts in the archive */
  uint32_t mode;     /* permission bits (07777) */
  uint32_t uid;
  uint32_t gid;
  int64_t mtime;
};

/* Read n bytes of the archive at off (off + n <= the size given to
 * zrt_tar_init): 0, or a negative errno. */
typedef int (*zrt_tar_read_fn)(void *ctx, uint64_t off, void *buf, size_t n);

/* The reader's state, the caller's memory (about 25 KiB). */
struct zrt_tar {
  zrt_tar_read_fn read;
  void *ctx;
  uint64_t size; /* bytes of the device */
  uint64_t off;  /* the next header */
  bool done;
  struct zrt_tar_stats stats;
  /* What extended headers said of the next entry (the PEND_ bits). */
  unsigned pend;
  uint64_t pend_size;
  size_t name_len, link_len;
  char name[ZRT_TAR_PATH]; /* raw */
  char link[ZRT_TAR_PATH];
  char out_name[ZRT_TAR_PATH]; /* normalized, what the entry points at */
  char out_link[ZRT_TAR_PATH];
  unsigned char hdr[ZRT_TAR_BLOCK];
  char pax[ZRT_TAR_PAX_MAX];
};

void zrt_tar_init(struct zrt_tar *t, zrt_tar_read_fn read, void *ctx,
                  uint64_t size);
/* The next entry into *e (its strings live in t until the next call):
 * 1; 0 at the end of the archive (a zero block, or the end of the
 * device); a negative errno if the callback failed.  Work per call is
 * bounded by the device: every step moves on by at least one block. */
int zrt_tar_next(struct zrt_tar *t, struct zrt_tar_entry *e);

/* Normalize a name of len bytes into out (ZRT_TAR_PATH bytes): 0, or
 * the tar counter's reason as a negative number (ZRT_TAR_BAD_*). */
#define ZRT_TAR_BAD_DOTDOT (-1)
#define ZRT_TAR_BAD_NUL (-2)
#define ZRT_TAR_BAD_LONG (-3)
int zrt_tar_normalize(const char *in, size_t len, char *out, size_t *out_len);

/* The writer (--export): one entry's header records into out, which
 * has room for ZRT_TAR_HDR_MAX bytes: a GNU 'L' record and the name's
 * blocks first when the name fits neither ustar's 100 bytes nor its
 * prefix split.  A directory's name gets its "/".  Returns the bytes
 * (a multiple of ZRT_TAR_BLOCK), or 0 for an entry tar cannot carry so:
 * an empty name or one of ZRT_TAR_PATH bytes or more, a link target
 * over 100 bytes, a size of 8 GiB or more, a hard link.  The data (a
 * file's, padded with zeroes to a block) is the caller's to write
 * after it; two zero blocks end the archive. */
#define ZRT_TAR_HDR_MAX (2u * ZRT_TAR_BLOCK + ZRT_TAR_PATH)
size_t zrt_tar_header(unsigned char *out, const struct zrt_tar_entry *e);

#endif /* ZN_RT_TAR_H */
