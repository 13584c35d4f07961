/* The hosts table (hosts(5)): the parser of /etc/hosts and the two
 * lookups getaddrinfo and getnameinfo make in it (hosts.c).
 *
 * A line is an address (IPv4 dotted quad or IPv6 text; an IPv4-mapped
 * IPv6 address is taken as its IPv4 address) and then names, the first
 * the canonical one, the others its aliases; '#' starts a comment, a NUL
 * byte ends the line's text as it would end glibc's.  The text is input:
 * a line longer than HOSTS_LINE_MAX bytes is skipped whole, a line whose
 * address does not parse is skipped, a name longer than HOSTS_NAME_MAX or
 * with a byte outside 0x21..0x7e is skipped, and at most HOSTS_NAMES_MAX
 * names of a line are kept.  Work is linear in the text; memory is the
 * caller's (struct hosts_reader). */
#ifndef ZNET_POSIX_PRELOAD_HOSTS_H
#define ZNET_POSIX_PRELOAD_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"

#define HOSTS_LINE_MAX 4096        /* bytes of a line, without its '\n' */
#define HOSTS_NAME_MAX 253         /* a name's bytes (a DNS name's text) */
#define HOSTS_NAMES_MAX 32         /* names kept per line */
#define HOSTS_ADDRS_MAX 32         /* addresses one name lookup keeps */
#define HOSTS_ALIASES_MAX 8        /* aliases one name lookup keeps */
#define HOSTS_FILE_MAX (64u << 20) /* bytes of a file read, at most */

/* One line that parsed: names point into the reader's line buffer,
 * NUL-terminated, valid during the callback only. */
struct hosts_entry {
  struct zn_ip addr;
  uint32_t nnames; /* 1..HOSTS_NAMES_MAX */
  const char *names[HOSTS_NAMES_MAX];
};

/* Called for each entry in file order; returns false to stop. */
typedef bool (*hosts_entry_fn)(void *arg, const struct hosts_entry *e);

/* Counts of what a reader saw (the fuzz harness checks they add up). */
struct hosts_stats {
  uint64_t lines;       /* lines ended (a last one without '\n' included) */
  uint64_t entries;     /* lines that gave an entry */
  uint64_t blank;       /* lines with no token but comments */
  uint64_t too_long;    /* lines over HOSTS_LINE_MAX */
  uint64_t bad_addr;    /* lines whose first token is not an address */
  uint64_t no_name;     /* lines with an address and no usable name */
  uint64_t bad_name;    /* names skipped (too long, bad bytes) */
  uint64_t extra_names; /* names beyond HOSTS_NAMES_MAX */
};

/* Splits bytes into lines, whatever the pieces they come in. */
struct hosts_reader {
  hosts_entry_fn fn;
  void *arg;
  size_t used;   /* bytes of the current line in line[] */
  bool overlong; /* the current line passed HOSTS_LINE_MAX: dropped */
  bool stopped;  /* fn returned false: the rest is not parsed */
  struct hosts_stats st;
  char line[HOSTS_LINE_MAX + 1];
};

void hosts_reader_init(struct hosts_reader *r, hosts_entry_fn fn, void *arg);
/* Feed n more bytes of the text. */
void hosts_reader_feed(struct hosts_reader *r, const char *p, size_t n);
/* The end of the text: a last line without '\n' is parsed. */
void hosts_reader_end(struct hosts_reader *r);

/* Parse one line (len bytes at line, no '\n'; written: NULs end its
 * tokens) into *e, counting into *st.  False: no entry (blank, bad
 * address, no name); *e is then unspecified. */
bool hosts_parse_line(char *line, size_t len, struct hosts_entry *e,
                      struct hosts_stats *st);

/* Where a table is: a file, or text in memory (tests, fuzzing). */
struct hosts_src {
  const char *path; /* NULL: text */
  const char *text;
  size_t len;
};

/* Run fn over every entry of src.  Returns 0, or -errno if the file
 * cannot be opened or read (ENOENT: no table; what was read before a
 * read error has been seen). */
int hosts_scan(const struct hosts_src *src, hosts_entry_fn fn, void *arg,
               struct hosts_stats *st);

/* What a name has in the table, every line of it merged (as glibc's
 * getaddrinfo does): addresses in file order without duplicates, the
 * first matching line's first name, and its other names. */
struct hosts_found {
  uint32_t naddr;
  struct zn_ip addrs[HOSTS_ADDRS_MAX];
  char canon[HOSTS_NAME_MAX + 1]; /* "" if nothing was found */
  uint32_t naliases;
  char aliases[HOSTS_ALIASES_MAX][HOSTS_NAME_MAX + 1];
};

/* Case-insensitive (ASCII) name equality, a final '.' on either side
 * ignored. */
bool hosts_name_eq(const char *a, const char *b);

/* Look name up in src.  True if it has at least one address; *out is
 * written in any case (naddr 0 when not found). */
bool hosts_find_name(const struct hosts_src *src, const char *name,
                     struct hosts_found *out);

/* The first name of the first line whose address is addr (an
 * IPv4-mapped address is looked up as its IPv4 one), into out (len
 * bytes).  False if there is none, or it does not fit ("" then). */
bool hosts_find_addr(const struct hosts_src *src, const struct zn_ip *addr,
                     char *out, size_t len);

#endif /* ZNET_POSIX_PRELOAD_HOSTS_H */
