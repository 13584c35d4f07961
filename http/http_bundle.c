/*
 * A content source over a bundle compiled into the program
 * (znet/http.h, "The compiled-in bundle"): the packer (scripts/httpd-pack)
 * wrote the entries sorted by path, so a path is found by bisection, and
 * a directory is a path some entries continue with '/'.  The bytes are
 * the program's own: nothing to hold or release.
 */
#include <string.h>

#include "znet/err.h"
#include "znet/http.h"

/* Compare a[0..alen) with the key k[0..klen), followed by '/' if slash,
 * bytewise: <0, 0, >0. */
static int cmp_key(const char *a, size_t alen, const char *k, size_t klen,
                   bool slash) {
  size_t kn = klen + (slash ? 1 : 0);
  size_t n = alen < kn ? alen : kn;
  for (size_t i = 0; i < n; i++) {
    uint8_t ca = (uint8_t)a[i];
    uint8_t ck = i < klen ? (uint8_t)k[i] : (uint8_t)'/';
    if (ca != ck)
      return ca < ck ? -1 : 1;
  }
  return alen < kn ? -1 : alen > kn ? 1 : 0;
}

/* The first entry not below the key. */
static uint32_t lower_bound(const struct zn_http_bundle *b, const char *k,
                            size_t klen, bool slash) {
  uint32_t lo = 0, hi = b->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const struct zn_http_bundle_entry *e = &b->entries[mid];
    if (cmp_key(e->path, e->path_len, k, klen, slash) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const struct zn_http_bundle_entry *
zn_http_bundle_find(const struct zn_http_bundle *b, const char *path,
                    size_t len) {
  uint32_t i = lower_bound(b, path, len, false);
  if (i < b->n && cmp_key(b->entries[i].path, b->entries[i].path_len, path, len,
                          false) == 0)
    return &b->entries[i];
  return NULL;
}

/* Whether some entry's path starts with path + "/". */
static bool is_dir(const struct zn_http_bundle *b, const char *path,
                   size_t len) {
  if (len == 0)
    return b->n > 0;
  uint32_t i = lower_bound(b, path, len, true);
  if (i >= b->n)
    return false;
  const struct zn_http_bundle_entry *e = &b->entries[i];
  return e->path_len > len && memcmp(e->path, path, len) == 0 &&
         e->path[len] == '/';
}

static int bundle_open(struct zn_http_content *self, const char *path,
                       size_t len, struct zn_http_file *f) {
  const struct zn_http_bundle_content *bc =
      (const struct zn_http_bundle_content *)(void *)self;
  const struct zn_http_bundle_entry *e = zn_http_bundle_find(bc->b, path, len);
  if (e == NULL)
    return is_dir(bc->b, path, len) ? ZN_EISDIR : ZN_ENOENT;
  memset(f, 0, sizeof(*f));
  f->data = bc->b->blob + e->offset;
  f->size = e->size;
  f->mtime = e->mtime;
  f->etag = e->etag;
  f->etag_len = 0;
  if (e->etag)
    while (e->etag[f->etag_len] != '\0')
      f->etag_len++;
  f->type = e->type;
  f->fields = e->fields;
  f->fields_len = e->fields_len;
  return ZN_OK;
}

int zn_http_bundle_content_init(struct zn_http_bundle_content *bc,
                                const struct zn_http_bundle *b) {
  for (uint32_t i = 0; i < b->n; i++) {
    const struct zn_http_bundle_entry *e = &b->entries[i];
    if (e->offset > b->blob_len || e->size > b->blob_len - e->offset)
      return ZN_EINVAL;
    if (i > 0 && cmp_key(b->entries[i - 1].path, b->entries[i - 1].path_len,
                         e->path, e->path_len, false) >= 0)
      return ZN_EINVAL;
  }
  bc->content.open = bundle_open;
  bc->b = b;
  return ZN_OK;
}
