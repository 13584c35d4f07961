/* The hosts table (hosts(5)), for the preload's name lookups: see
 * hosts.h.
 *
 * The text is split into lines by a reader that takes it in pieces of
 * any size (a file read in blocks, a fuzzer's input), keeping one line
 * at a time in a fixed buffer: a longer line is dropped to its end,
 * never cut, so its tail cannot pass for a line of its own.  Each line
 * is parsed in place: the tokens get NULs, and the entry handed on
 * points into the line.  Every table is read afresh at each lookup, as
 * glibc does, so an edit takes effect at once. */
#include "hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "znet/err.h"

#define HOSTS_ADDR_TEXT_MAX 63 /* longer than any address text */
#define HOSTS_READ_CHUNK 4096

/* ---- one line ---- */

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The bytes before a comment or a NUL (where glibc's text ends). */
static size_t text_len(const char *line, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (line[i] == '#' || line[i] == '\0')
      return i;
  return len;
}

/* The next token of line[*pos, len), NUL-terminated in place (line has
 * room for len + 1 bytes).  False at the end. */
static bool next_token(char *line, size_t len, size_t *pos, char **tok,
                       size_t *tlen) {
  size_t i = *pos;
  while (i < len && is_blank(line[i]))
    i++;
  if (i >= len) {
    *pos = len;
    return false;
  }
  size_t start = i;
  while (i < len && !is_blank(line[i]))
    i++;
  line[i] = '\0';
  *tok = line + start;
  *tlen = i - start;
  *pos = i < len ? i + 1 : len;
  return true;
}

static bool name_ok(const char *s, size_t len) {
  if (len == 0 || len > HOSTS_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
      return false;
  return true;
}

static bool parse_addr(const char *tok, size_t len, struct zn_ip *out) {
  if (len > HOSTS_ADDR_TEXT_MAX || zn_ip_parse(tok, out) != ZN_OK)
    return false;
  *out = zn_ip_unmap(out);
  return true;
}

bool hosts_parse_line(char *line, size_t len, struct hosts_entry *e,
                      struct hosts_stats *st) {
  len = text_len(line, len);
  size_t pos = 0, tlen;
  char *tok;
  if (!next_token(line, len, &pos, &tok, &tlen)) {
    st->blank++;
    return false;
  }
  if (!parse_addr(tok, tlen, &e->addr)) {
    st->bad_addr++;
    return false;
  }
  e->nnames = 0;
  while (next_token(line, len, &pos, &tok, &tlen)) {
    if (!name_ok(tok, tlen))
      st->bad_name++;
    else if (e->nnames == HOSTS_NAMES_MAX)
      st->extra_names++;
    else
      e->names[e->nnames++] = tok;
  }
  if (e->nnames == 0) {
    st->no_name++;
    return false;
  }
  st->entries++;
  return true;
}

/* ---- the reader: bytes into lines ---- */

void hosts_reader_init(struct hosts_reader *r, hosts_entry_fn fn, void *arg) {
  memset(&r->st, 0, sizeof(r->st));
  r->fn = fn;
  r->arg = arg;
  r->used = 0;
  r->overlong = false;
  r->stopped = false;
}

static void end_line(struct hosts_reader *r) {
  r->st.lines++;
  struct hosts_entry e;
  if (r->overlong)
    r->st.too_long++;
  else if (hosts_parse_line(r->line, r->used, &e, &r->st) && !r->fn(r->arg, &e))
    r->stopped = true;
  r->used = 0;
  r->overlong = false;
}

static void append(struct hosts_reader *r, const char *p, size_t n) {
  if (r->overlong)
    return;
  if (n > HOSTS_LINE_MAX - r->used) {
    r->overlong = true;
    r->used = 0;
    return;
  }
  memcpy(r->line + r->used, p, n);
  r->used += n;
}

void hosts_reader_feed(struct hosts_reader *r, const char *p, size_t n) {
  while (n > 0 && !r->stopped) {
    const char *nl = memchr(p, '\n', n);
    size_t take = nl ? (size_t)(nl - p) : n;
    append(r, p, take);
    if (!nl)
      return;
    end_line(r);
    p += take + 1;
    n -= take + 1;
  }
}

void hosts_reader_end(struct hosts_reader *r) {
  if (!r->stopped && (r->used > 0 || r->overlong))
    end_line(r);
}

/* ---- a whole table ---- */

static int feed_file(struct hosts_reader *r, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  char buf[HOSTS_READ_CHUNK];
  size_t total = 0;
  int rc = 0;
  while (!r->stopped && total < HOSTS_FILE_MAX) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      rc = -errno;
    if (n <= 0)
      break;
    hosts_reader_feed(r, buf, (size_t)n);
    total += (size_t)n;
  }
  close(fd);
  return rc;
}

int hosts_scan(const struct hosts_src *src, hosts_entry_fn fn, void *arg,
               struct hosts_stats *st) {
  struct hosts_reader r;
  hosts_reader_init(&r, fn, arg);
  int rc = 0;
  if (src->path)
    rc = feed_file(&r, src->path);
  else if (src->text)
    hosts_reader_feed(&r, src->text, src->len);
  hosts_reader_end(&r);
  if (st)
    *st = r.st;
  return rc;
}

/* ---- lookups ---- */

static unsigned char lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static size_t len_without_dot(const char *s) {
  size_t n = strlen(s);
  return n > 1 && s[n - 1] == '.' ? n - 1 : n;
}

bool hosts_name_eq(const char *a, const char *b) {
  size_t la = len_without_dot(a), lb = len_without_dot(b);
  if (la != lb)
    return false;
  for (size_t i = 0; i < la; i++)
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
      return false;
  return true;
}

static void copy_name(char *dst, const char *src) {
  size_t n = strlen(src); /* at most HOSTS_NAME_MAX: name_ok */
  memcpy(dst, src, n + 1);
}

struct by_name {
  const char *name;
  struct hosts_found *out;
};

static bool entry_has(const struct hosts_entry *e, const char *name) {
  for (uint32_t i = 0; i < e->nnames; i++)
    if (hosts_name_eq(e->names[i], name))
      return true;
  return false;
}

static void add_addr(struct hosts_found *f, const struct zn_ip *a) {
  for (uint32_t i = 0; i < f->naddr; i++)
    if (zn_ip_eq(&f->addrs[i], a))
      return;
  if (f->naddr < HOSTS_ADDRS_MAX)
    f->addrs[f->naddr++] = *a;
}

/* The first matching line names the host: its canonical name and
 * aliases. */
static void take_names(struct hosts_found *f, const struct hosts_entry *e) {
  copy_name(f->canon, e->names[0]);
  for (uint32_t i = 1; i < e->nnames && f->naliases < HOSTS_ALIASES_MAX; i++)
    copy_name(f->aliases[f->naliases++], e->names[i]);
}

static bool on_name_entry(void *arg, const struct hosts_entry *e) {
  struct by_name *b = arg;
  if (!entry_has(e, b->name))
    return true;
  if (b->out->canon[0] == '\0')
    take_names(b->out, e);
  add_addr(b->out, &e->addr);
  return true;
}

bool hosts_find_name(const struct hosts_src *src, const char *name,
                     struct hosts_found *out) {
  out->naddr = 0;
  out->canon[0] = '\0';
  out->naliases = 0;
  struct by_name b = {name, out};
  (void)hosts_scan(src, on_name_entry, &b, NULL);
  return out->naddr > 0;
}

struct by_addr {
  struct zn_ip addr;
  const char *found; /* NULL until found */
  char *out;
  size_t len;
};

static bool on_addr_entry(void *arg, const struct hosts_entry *e) {
  struct by_addr *b = arg;
  if (!zn_ip_eq(&e->addr, &b->addr))
    return true;
  size_t n = strlen(e->names[0]);
  if (n < b->len) {
    memcpy(b->out, e->names[0], n + 1);
    b->found = b->out;
  }
  return false;
}

bool hosts_find_addr(const struct hosts_src *src, const struct zn_ip *addr,
                     char *out, size_t len) {
  if (len > 0)
    out[0] = '\0';
  struct by_addr b = {zn_ip_unmap(addr), NULL, out, len};
  (void)hosts_scan(src, on_addr_entry, &b, NULL);
  return b.found != NULL;
}
