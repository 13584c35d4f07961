/*
 * The tar reader (tar.h): POSIX.1-2001 ustar and pax, GNU tar's long
 * names, read one 512-byte header at a time through the caller's
 * callback.
 *
 * A header is checked whole before any field is used: its checksum (the
 * sum of its bytes with the checksum field as spaces, unsigned or, as old
 * tars made it, signed), then every numeric field the entry uses (octal
 * with spaces and NULs around it, or GNU's base-256 for big values).  A
 * header with a bad checksum or size is skipped one block at a time, as
 * GNU tar does, since where its data ends is unknown.  Extended headers
 * (L, K, x) apply to the entry that follows them; an entry they mark bad
 * (a name with a NUL, a pax record that does not parse, a value too long
 * to keep) is dropped when it comes.
 */
#include "tar.h"

#include <string.h>

#define NAME_MAX_TAR 255u

/* Header fields: offset and width (POSIX ustar). */
#define H_NAME 0, 100
#define H_MODE 100, 8
#define H_UID 108, 8
#define H_GID 116, 8
#define H_SIZE 124, 12
#define H_MTIME 136, 12
#define H_CHKSUM 148, 8
#define H_TYPE 156
#define H_LINK 157, 100
#define H_MAGIC 257
#define H_PREFIX 345, 155

/* What extended headers left for the next entry. */
#define PEND_NAME 1u       /* t->name holds its name */
#define PEND_LINK 2u       /* t->link holds its link */
#define PEND_SIZE 4u       /* pend_size is its size */
#define PEND_NAME_NUL 8u   /* drop it: drop_name_nul */
#define PEND_NAME_LONG 16u /* drop it: drop_name_long */
#define PEND_LINK_BAD 32u  /* drop it: drop_link_bad */
#define PEND_PAX_BAD 64u   /* drop it: drop_pax */
#define PEND_SPARSE 128u   /* skip it: skipped_type */

void zrt_tar_init(struct zrt_tar *t, zrt_tar_read_fn read, void *ctx,
                  uint64_t size) {
  memset(t, 0, sizeof(*t));
  t->read = read;
  t->ctx = ctx;
  t->size = size;
}

/* ---- numbers --------------------------------------------------------------- */

/* An octal field: spaces, digits, then spaces or NULs to its end (or a
 * field of only spaces and NULs: 0).  false if anything else is in it. */
static bool parse_octal(const unsigned char *p, size_t w, uint64_t *out) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < w && p[i] == ' ')
    i++;
  for (; i < w && p[i] >= '0' && p[i] <= '7'; i++) {
    if (v > (UINT64_MAX >> 3))
      return false;
    v = (v << 3) | (uint64_t)(p[i] - '0');
  }
  for (; i < w; i++)
    if (p[i] != ' ' && p[i] != '\0')
      return false;
  *out = v;
  return true;
}

/* GNU's base-256: the first byte 0x80, the rest big-endian; a negative
 * (0xff) value or one past 2^63 is refused. */
static bool parse_base256(const unsigned char *p, size_t w, uint64_t *out) {
  uint64_t v = 0;
  if (p[0] != 0x80)
    return false;
  for (size_t i = 1; i < w; i++) {
    if (v >> 55)
      return false;
    v = (v << 8) | p[i];
  }
  *out = v;
  return true;
}

static bool field_number(const unsigned char *hdr, size_t off, size_t w,
                         uint64_t *out) {
  if (hdr[off] & 0x80)
    return parse_base256(hdr + off, w, out);
  return parse_octal(hdr + off, w, out);
}

static bool checksum_ok(const unsigned char *h) {
  uint64_t want;
  if (!parse_octal(h + 148, 8, &want))
    return false;
  uint64_t usum = 0;
  int64_t ssum = 0;
  for (size_t i = 0; i < ZRT_TAR_BLOCK; i++) {
    unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
    usum += c;
    ssum += (signed char)c;
  }
  return usum == want || (ssum >= 0 && (uint64_t)ssum == want);
}

static bool all_zero(const unsigned char *h) {
  for (size_t i = 0; i < ZRT_TAR_BLOCK; i++)
    if (h[i])
      return false;
  return true;
}

/* ---- names ----------------------------------------------------------------- */

int zrt_tar_normalize(const char *in, size_t len, char *out, size_t *out_len) {
  size_t o = 0, i = 0;
  while (i < len) {
    while (i < len && in[i] == '/')
      i++;
    size_t s = i;
    while (i < len && in[i] != '/') {
      if (in[i] == '\0')
        return ZRT_TAR_BAD_NUL;
      i++;
    }
    size_t n = i - s;
    if (n == 0 || (n == 1 && in[s] == '.'))
      continue;
    if (n == 2 && in[s] == '.' && in[s + 1] == '.')
      return ZRT_TAR_BAD_DOTDOT;
    if (n > NAME_MAX_TAR || o + (o ? 1 : 0) + n >= ZRT_TAR_PATH)
      return ZRT_TAR_BAD_LONG;
    if (o)
      out[o++] = '/';
    memcpy(out + o, in + s, n);
    o += n;
  }
  out[o] = '\0';
  *out_len = o;
  return 0;
}

/* The length of a NUL-terminated field of at most w bytes. */
static size_t field_len(const unsigned char *p, size_t w) {
  size_t n = 0;
  while (n < w && p[n])
    n++;
  return n;
}

/* The raw name of the header: POSIX ustar's prefix "/" name, or name. */
static size_t header_name(struct zrt_tar *t, char *buf) {
  const unsigned char *h = t->hdr;
  size_t n = 0;
  if (memcmp(h + H_MAGIC, "ustar\0", 6) == 0) {
    n = field_len(h + 345, 155);
    memcpy(buf, h + 345, n);
    if (n)
      buf[n++] = '/';
  }
  size_t k = field_len(h, 100);
  memcpy(buf + n, h, k);
  return n + k;
}

/* ---- extended headers ------------------------------------------------------ */

/* Keep a long value (name or link) of len bytes; trailing NULs are the
 * terminator, any other NUL makes it bad. */
static unsigned keep_long(char *dst, size_t *dst_len, const char *src,
                          size_t len, unsigned long_bit, unsigned nul_bit) {
  while (len > 0 && src[len - 1] == '\0')
    len--;
  if (len >= ZRT_TAR_PATH)
    return long_bit;
  if (memchr(src, '\0', len))
    return nul_bit;
  memmove(dst, src, len);
  dst[len] = '\0';
  *dst_len = len;
  return 0;
}

static bool parse_decimal(const char *p, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0 || n > 19)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return false;
    v = v * 10 + (uint64_t)(p[i] - '0');
  }
  *out = v;
  return true;
}

static bool key_is(const char *k, size_t klen, const char *want) {
  size_t n = strlen(want);
  return klen == n && memcmp(k, want, n) == 0;
}

/* One pax record's key and value into the pending state. */
static void pax_apply(struct zrt_tar *t, const char *k, size_t klen,
                      const char *v, size_t vlen) {
  if (key_is(k, klen, "path")) {
    unsigned bad = keep_long(t->name, &t->name_len, v, vlen, PEND_NAME_LONG,
                             PEND_NAME_NUL);
    t->pend |= bad ? bad : PEND_NAME;
  } else if (key_is(k, klen, "linkpath")) {
    unsigned bad = keep_long(t->link, &t->link_len, v, vlen, PEND_LINK_BAD,
                             PEND_LINK_BAD);
    t->pend |= bad ? bad : PEND_LINK;
  } else if (key_is(k, klen, "size")) {
    t->pend |= parse_decimal(v, vlen, &t->pend_size) ? PEND_SIZE
                                                     : PEND_PAX_BAD;
  } else if (klen > 11 && memcmp(k, "GNU.sparse.", 11) == 0) {
    t->pend |= PEND_SPARSE;
  }
}

/* Records "LEN KEY=VALUE\n", LEN counting the whole record. */
static void pax_parse(struct zrt_tar *t, const char *p, size_t n) {
  size_t at = 0;
  while (at < n) {
    size_t i = at, len = 0;
    while (i < n && i - at < 20 && p[i] >= '0' && p[i] <= '9')
      len = len * 10 + (size_t)(p[i++] - '0');
    if (i == at || i >= n || p[i] != ' ' || len > n - at || len < i - at + 4 ||
        p[at + len - 1] != '\n') {
      t->pend |= PEND_PAX_BAD;
      return;
    }
    const char *k = p + i + 1, *end = p + at + len - 1;
    const char *eq = memchr(k, '=', (size_t)(end - k));
    if (!eq || eq == k) {
      t->pend |= PEND_PAX_BAD;
      return;
    }
    pax_apply(t, k, (size_t)(eq - k), eq + 1, (size_t)(end - eq - 1));
    at += len;
  }
}

/* ---- the walk -------------------------------------------------------------- */

static uint64_t round_block(uint64_t n) {
  return (n + ZRT_TAR_BLOCK - 1) & ~(uint64_t)(ZRT_TAR_BLOCK - 1);
}

/* Read an extended header's data (size bytes at off) into dst (cap
 * bytes): 1 read, 0 too long (not read), <0 the callback's error. */
static int read_ext(struct zrt_tar *t, uint64_t off, uint64_t size, char *dst,
                    size_t cap) {
  if (size > cap)
    return 0;
  int r = t->read(t->ctx, off, dst, (size_t)size);
  return r < 0 ? r : 1;
}

static int extended(struct zrt_tar *t, char type, uint64_t off,
                    uint64_t size) {
  int r = read_ext(t, off, size, t->pax, sizeof(t->pax));
  if (r < 0)
    return r;
  unsigned bad;
  if (type == 'L') {
    bad = r == 0 ? PEND_NAME_LONG
                 : keep_long(t->name, &t->name_len, t->pax, (size_t)size,
                             PEND_NAME_LONG, PEND_NAME_NUL);
    t->pend |= bad ? bad : PEND_NAME;
  } else if (type == 'K') {
    bad = r == 0 ? PEND_LINK_BAD
                 : keep_long(t->link, &t->link_len, t->pax, (size_t)size,
                             PEND_LINK_BAD, PEND_LINK_BAD);
    t->pend |= bad ? bad : PEND_LINK;
  } else if (r == 0) {
    t->pend |= PEND_PAX_BAD;
  } else {
    pax_parse(t, t->pax, (size_t)size);
  }
  return 0;
}

/* The counter of the first reason the pending state drops the entry. */
static uint64_t *pending_drop(struct zrt_tar *t) {
  if (t->pend & PEND_NAME_NUL)
    return &t->stats.drop_name_nul;
  if (t->pend & PEND_NAME_LONG)
    return &t->stats.drop_name_long;
  if (t->pend & PEND_LINK_BAD)
    return &t->stats.drop_link_bad;
  if (t->pend & PEND_PAX_BAD)
    return &t->stats.drop_pax;
  if (t->pend & PEND_SPARSE)
    return &t->stats.skipped_type;
  return NULL;
}

static bool kind_of(char type, enum zrt_tar_kind *k) {
  switch (type) {
  case '0':
  case '\0':
  case '7':
    *k = ZRT_TAR_FILE;
    return true;
  case '1':
    *k = ZRT_TAR_HARDLINK;
    return true;
  case '2':
    *k = ZRT_TAR_SYMLINK;
    return true;
  case '5':
    *k = ZRT_TAR_DIR;
    return true;
  default:
    return false;
  }
}

static uint64_t *name_drop(struct zrt_tar *t, int r) {
  return r == ZRT_TAR_BAD_DOTDOT ? &t->stats.drop_name_dotdot
         : r == ZRT_TAR_BAD_NUL  ? &t->stats.drop_name_nul
                                 : &t->stats.drop_name_long;
}

/* The entry's name, normalized: NULL, or the counter of why not. */
static uint64_t *entry_name(struct zrt_tar *t, struct zrt_tar_entry *e) {
  char raw[100 + 1 + 155];
  const char *src = t->name;
  size_t len = t->name_len;
  if (!(t->pend & PEND_NAME)) {
    len = header_name(t, raw);
    src = raw;
  }
  int r = zrt_tar_normalize(src, len, t->out_name, &e->name_len);
  if (r < 0)
    return name_drop(t, r);
  if (e->name_len == 0 && e->kind != ZRT_TAR_DIR)
    return &t->stats.drop_name_empty;
  e->name = t->out_name;
  return NULL;
}

/* A link's target: a symlink's text as it is, a hard link's normalized. */
static uint64_t *entry_link(struct zrt_tar *t, struct zrt_tar_entry *e) {
  size_t len = t->link_len;
  if (!(t->pend & PEND_LINK)) {
    len = field_len(t->hdr + 157, 100);
    memcpy(t->link, t->hdr + 157, len);
    t->link[len] = '\0';
  }
  if (len == 0)
    return &t->stats.drop_link_bad;
  if (e->kind == ZRT_TAR_SYMLINK) {
    memcpy(t->out_link, t->link, len + 1);
    e->link_len = len;
  } else if (zrt_tar_normalize(t->link, len, t->out_link, &e->link_len) < 0 ||
             e->link_len == 0) {
    return &t->stats.drop_link_bad;
  }
  e->link = t->out_link;
  return NULL;
}

static uint64_t *entry_numbers(struct zrt_tar *t, struct zrt_tar_entry *e) {
  uint64_t mode, uid, gid, mtime;
  if (!field_number(t->hdr, H_MODE, &mode) ||
      !field_number(t->hdr, H_UID, &uid) ||
      !field_number(t->hdr, H_GID, &gid) ||
      !field_number(t->hdr, H_MTIME, &mtime) || uid > UINT32_MAX ||
      gid > UINT32_MAX || mtime > INT64_MAX)
    return &t->stats.drop_number;
  e->mode = (uint32_t)(mode & 07777);
  e->uid = (uint32_t)uid;
  e->gid = (uint32_t)gid;
  e->mtime = (int64_t)mtime;
  return NULL;
}

/* The entry of a checked header: NULL and *e filled, or the counter of
 * why it is dropped. */
static uint64_t *entry(struct zrt_tar *t, enum zrt_tar_kind kind,
                       uint64_t data_off, uint64_t size,
                       struct zrt_tar_entry *e) {
  memset(e, 0, sizeof(*e));
  e->kind = kind;
  uint64_t *drop = pending_drop(t);
  if (!drop)
    drop = entry_name(t, e);
  if (!drop && (kind == ZRT_TAR_SYMLINK || kind == ZRT_TAR_HARDLINK))
    drop = entry_link(t, e);
  if (!drop)
    drop = entry_numbers(t, e);
  if (drop)
    return drop;
  if (kind == ZRT_TAR_FILE) {
    e->size = size;
    e->data_off = data_off;
  }
  return NULL;
}

/* One header at t->off: 1 an entry, 0 go on, <0 the callback's error.
 * Every path moves t->off on by a block at least, or ends the walk. */
static int step(struct zrt_tar *t, struct zrt_tar_entry *e) {
  if (t->off > t->size || t->size - t->off < ZRT_TAR_BLOCK) {
    if (t->size > t->off)
      t->stats.drop_truncated++;
    t->done = true;
    return 0;
  }
  int r = t->read(t->ctx, t->off, t->hdr, ZRT_TAR_BLOCK);
  if (r < 0)
    return r;
  if (all_zero(t->hdr)) {
    t->done = true;
    return 0;
  }
  uint64_t size;
  if (!checksum_ok(t->hdr) || !field_number(t->hdr, H_SIZE, &size)) {
    if (checksum_ok(t->hdr))
      t->stats.drop_number++;
    else
      t->stats.drop_checksum++;
    t->pend = 0;
    t->off += ZRT_TAR_BLOCK;
    return 0;
  }
  char type = (char)t->hdr[H_TYPE];
  bool ext = type == 'L' || type == 'K' || type == 'x' || type == 'g';
  if (!ext && (t->pend & PEND_SIZE))
    size = t->pend_size;
  uint64_t data = t->off + ZRT_TAR_BLOCK;
  bool dataless = !ext && (type == '1' || type == '2' || type == '5');
  if (dataless && !(t->pend & PEND_SIZE))
    size = 0; /* these carry no data (a hard link's pax size may) */
  if (size > t->size - data) {
    t->stats.drop_past_device++;
    t->done = true;
    return 0;
  }
  t->off = data + round_block(size);
  if (ext) {
    if (type == 'g') {
      t->stats.skipped_global++;
      return 0;
    }
    return extended(t, type, data, size);
  }
  enum zrt_tar_kind kind;
  uint64_t *drop = kind_of(type, &kind) ? entry(t, kind, data, size, e)
                                         : &t->stats.skipped_type;
  t->pend = 0;
  if (drop) {
    (*drop)++;
    return 0;
  }
  t->stats.entries++;
  return 1;
}

int zrt_tar_next(struct zrt_tar *t, struct zrt_tar_entry *e) {
  while (!t->done) {
    int r = step(t, e);
    if (r != 0)
      return r;
  }
  return 0;
}

/* ---- the writer -------------------------------------------------------- */

/* value in octal, right-aligned in w - 1 digits and a NUL; false if it
 * does not fit. */
static bool put_octal(unsigned char *p, size_t w, uint64_t value) {
  p[w - 1] = '\0';
  for (size_t i = w - 1; i-- > 0;) {
    p[i] = (unsigned char)('0' + (value & 7u));
    value >>= 3;
  }
  return value == 0;
}

static void put_checksum(unsigned char *h) {
  memset(h + 148, ' ', 8);
  uint32_t sum = 0;
  for (size_t i = 0; i < ZRT_TAR_BLOCK; i++)
    sum += h[i];
  (void)put_octal(h + 148, 7, sum); /* six digits, a NUL, a space */
  h[155] = ' ';
}

/* Fixed fields, as bytes (no terminating NUL of their own). */
static const unsigned char USTAR_MAGIC[8] = {'u', 's', 't', 'a',
                                             'r', 0,   '0', '0'};
static const unsigned char ROOT_NAME[4] = {'r', 'o', 'o', 't'};
static const unsigned char LONG_LINK[13] = {'.', '/', '.', '/', '@', 'L', 'o',
                                            'n', 'g', 'L', 'i', 'n', 'k'};

/* A ustar header block with the fields the kinds share. */
static void put_block(unsigned char *h, unsigned char type, uint32_t mode,
                      uint32_t uid, uint32_t gid, uint64_t size,
                      int64_t mtime) {
  memset(h, 0, ZRT_TAR_BLOCK);
  (void)put_octal(h + 100, 8, mode & 07777u);
  if (!put_octal(h + 108, 8, uid))
    (void)put_octal(h + 108, 8, 0);
  if (!put_octal(h + 116, 8, gid))
    (void)put_octal(h + 116, 8, 0);
  (void)put_octal(h + 124, 12, size);
  (void)put_octal(h + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
  h[156] = type;
  memcpy(h + 257, USTAR_MAGIC, sizeof(USTAR_MAGIC));
  memcpy(h + 265, ROOT_NAME, sizeof(ROOT_NAME));
  memcpy(h + 297, ROOT_NAME, sizeof(ROOT_NAME));
}

/* Where to split a name into prefix (at most 155 bytes) and name (1 to
 * 100): the '/' between, or 0 for none. */
static size_t ustar_split(const char *name, size_t len) {
  for (size_t i = len - 1; i > 0; i--) {
    size_t rest = len - i - 1;
    if (rest > 100)
      break; /* the name part only grows from here */
    if (i <= 155 && rest > 0 && name[i] == '/')
      return i;
  }
  return 0;
}

size_t zrt_tar_header(unsigned char *out, const struct zrt_tar_entry *e) {
  char name[ZRT_TAR_PATH + 1];
  size_t len = e->name_len;
  bool dir = e->kind == ZRT_TAR_DIR;
  if (len == 0 || len + dir >= ZRT_TAR_PATH || e->size >= (1ull << 33) ||
      e->kind == ZRT_TAR_HARDLINK ||
      (e->kind == ZRT_TAR_SYMLINK && (e->link_len == 0 || e->link_len > 100)))
    return 0;
  memcpy(name, e->name, len);
  if (dir)
    name[len++] = '/';
  unsigned char type = dir                             ? '5'
                       : e->kind == ZRT_TAR_SYMLINK ? '2'
                                                    : '0';
  uint64_t size = e->kind == ZRT_TAR_FILE ? e->size : 0;
  size_t at = 0;
  unsigned char *h;
  size_t split = len > 100 ? ustar_split(name, len) : 0;
  if (len > 100 && split == 0) {
    /* GNU: a record named ././@LongLink whose data is the name. */
    h = out;
    put_block(h, 'L', 0644, 0, 0, len + 1, 0);
    memcpy(h, LONG_LINK, sizeof(LONG_LINK));
    put_checksum(h);
    size_t blocks = (len + 1 + ZRT_TAR_BLOCK - 1) / ZRT_TAR_BLOCK;
    memset(out + ZRT_TAR_BLOCK, 0, blocks * ZRT_TAR_BLOCK);
    memcpy(out + ZRT_TAR_BLOCK, name, len);
    at = (1 + blocks) * ZRT_TAR_BLOCK;
  }
  h = out + at;
  put_block(h, type, e->mode, e->uid, e->gid, size, e->mtime);
  if (len <= 100) {
    memcpy(h, name, len);
  } else if (split) {
    memcpy(h + 345, name, split);
    memcpy(h, name + split + 1, len - split - 1);
  } else {
    memcpy(h, name, 100); /* (the 'L' record's is the name) */
  }
  if (e->kind == ZRT_TAR_SYMLINK)
    memcpy(h + 157, e->link, e->link_len);
  put_checksum(h);
  return at + ZRT_TAR_BLOCK;
}
