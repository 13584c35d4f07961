/*
 * znet-pktdrill: run packetdrill scripts against znet (see pd.h).
 *
 *   znet-pktdrill [--verbose] [--define NAME]... [--explain]
 *                 [--expect-pass N | --expect-pass-file FILE]
 *                 SCRIPT.pkt|DIR...
 *
 * One line per script: "PASS path", "FAIL path: why" or "SKIP path: why";
 * the last line "N passed, M failed, K skipped".  A directory stands for
 * every *.pkt under it, in name order.  --explain adds, to each PASS, the
 * accepted differences (accepted.c) it relied on.  --expect-pass: exit 1
 * if fewer than N scripts pass (the count recorded in the repository);
 * exit 77 (meson's "skipped") if no script was found.  Without it, exit 1
 * if any script failed.  A path given that does not exist is, with
 * --expect-pass*, the suite missing (it is outside material, in ../shared
 * beside the checkout): exit 77 with one line saying where it goes, or 1
 * if ZN_SHARED_REQUIRED is set in the environment (CI: the suite must be
 * there); without --expect-pass*, a script that fails.  --expect-pass-file reads either one number (as
 * --expect-pass) or one line per family, "ipv4 N" and "ipv6 M": then each
 * family must reach its own count, so a loss in one cannot hide behind a
 * gain in the other.  --family ipv4|ipv6 runs only that family's scripts.
 *
 * Also: the per-folder and per-family counts with --summary.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd.h"

struct list {
  char **v;
  size_t n, cap;
};

static void add(struct list *l, const char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->v = realloc(l->v, l->cap * sizeof(*l->v));
  }
  l->v[l->n++] = strdup(s);
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct list *l, const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    size_t n = strlen(dir) + strlen(de->d_name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, de->d_name);
    struct stat sb;
    if (stat(p, &sb) == 0) {
      if (S_ISDIR(sb.st_mode))
        walk(l, p);
      else if (n > 5 && strcmp(p + strlen(p) - 4, ".pkt") == 0)
        add(l, p);
    }
    free(p);
  }
  closedir(d);
}

/* Per-folder tallies for --summary: the folder is the path's part after
 * the suite directory given on the command line (its first component). */
struct folder {
  char name[128];
  int pass, fail, skip;
};

static void tally(struct folder *f, int *nf, const char *root,
                  const char *path, enum pd_verdict v) {
  const char *rel = path;
  size_t rl = root ? strlen(root) : 0;
  if (root && strncmp(path, root, rl) == 0 && path[rl] == '/')
    rel = path + rl + 1;
  const char *slash = strchr(rel, '/');
  char name[128];
  snprintf(name, sizeof(name), "%.*s",
           slash ? (int)(slash - rel) : (int)strlen(rel), rel);
  if (!slash)
    snprintf(name, sizeof(name), ".");
  int i;
  for (i = 0; i < *nf; i++)
    if (strcmp(f[i].name, name) == 0)
      break;
  if (i == *nf) {
    if (*nf == 32)
      return;
    memset(&f[i], 0, sizeof(f[i]));
    snprintf(f[i].name, sizeof(f[i].name), "%s", name);
    (*nf)++;
  }
  if (v == PD_PASS)
    f[i].pass++;
  else if (v == PD_FAIL)
    f[i].fail++;
  else
    f[i].skip++;
}

/* The family index of a script: 0 IPv4, 1 IPv6 (ipv4-mapped counts as
 * IPv6: its sockets are IPv6 ones). */
static int family_of(int ip_version) { return ip_version == 4 ? 0 : 1; }

static const char *const family_name[2] = {"ipv4", "ipv6"};

/* An expect-pass file: "N" (all scripts) or "ipv4 N" / "ipv6 M" lines.
 * Returns false if it holds neither. */
static bool read_expect(const char *path, long *total, long fam[2]) {
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  char word[16];
  long n;
  bool any = false;
  if (fscanf(f, "%ld", &n) == 1) {
    *total = n;
    any = true;
  } else {
    while (fscanf(f, "%15s %ld", word, &n) == 2) {
      int i = strcmp(word, "ipv4") == 0 ? 0 : strcmp(word, "ipv6") == 0 ? 1
                                                                          : -1;
      if (i < 0) {
        any = false;
        break;
      }
      fam[i] = n;
      any = true;
    }
  }
  fclose(f);
  return any;
}

/* The suite's run (--expect-pass*) given a path that is not there: the
 * scripts are outside material a fresh clone lacks.  Returns the exit
 * status: 77 (skipped) with the line saying where they go, or 1 if
 * ZN_SHARED_REQUIRED is set. */
static int suite_missing(const char *path) {
  const char *req = getenv("ZN_SHARED_REQUIRED");
  if (req != NULL && req[0] != '\0' && strcmp(req, "0") != 0) {
    printf("znet-pktdrill: missing %s (ZN_SHARED_REQUIRED is set)\n", path);
    return 1;
  }
  printf("# SKIP missing %s: put the shared material in ../shared beside "
         "the checkout, or run ZN_SHARED_DIR=DIR scripts/test "
         "(meson: -Dshared_dir=DIR)\n",
         path);
  return 77;
}

static void usage(void) {
  fprintf(stderr,
          "usage: znet-pktdrill [--verbose] [--define NAME] [--explain] "
          "[--summary]\n"
          "                     [--expect-pass N | --expect-pass-file FILE] "
          "[--family ipv4|ipv6]\n"
          "                     SCRIPT.pkt|DIR...\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct pd_run_opts o = {0};
  struct list scripts = {0};
  const char *defs[16];
  int ndefs = 0;
  bool explain = false, summary = false;
  long expect = -1;
  long expect_fam[2] = {-1, -1};
  int only = -1; /* --family: its index */
  const char *root = NULL, *missing = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
      o.verbose = true;
    } else if (strcmp(a, "--explain") == 0) {
      explain = true;
    } else if (strcmp(a, "--summary") == 0) {
      summary = true;
    } else if (strcmp(a, "--define") == 0 || strcmp(a, "-D") == 0) {
      if (++i == argc || ndefs == 15)
        usage();
      defs[ndefs++] = argv[i];
    } else if (strcmp(a, "--expect-pass") == 0) {
      if (++i == argc)
        usage();
      expect = atol(argv[i]);
    } else if (strcmp(a, "--expect-pass-file") == 0) {
      if (++i == argc)
        usage();
      if (!read_expect(argv[i], &expect, expect_fam)) {
        fprintf(stderr, "znet-pktdrill: cannot read a count from %s\n",
                argv[i]);
        return 2;
      }
    } else if (strcmp(a, "--family") == 0) {
      if (++i == argc)
        usage();
      only = strcmp(argv[i], "ipv4") == 0 ? 0
             : strcmp(argv[i], "ipv6") == 0 ? 1
                                            : -2;
      if (only == -2)
        usage();
    } else if (a[0] == '-' && a[1]) {
      usage();
    } else {
      struct stat sb;
      if (stat(a, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        size_t before = scripts.n;
        walk(&scripts, a);
        qsort(scripts.v + before, scripts.n - before, sizeof(char *), cmp);
        if (!root)
          root = a;
      } else {
        if (!missing && access(a, F_OK) != 0)
          missing = a;
        add(&scripts, a);
      }
    }
  }
  bool expecting = expect >= 0 || expect_fam[0] >= 0 || expect_fam[1] >= 0;
  if (missing && expecting) {
    for (size_t i = 0; i < scripts.n; i++)
      free(scripts.v[i]);
    free(scripts.v);
    return suite_missing(missing);
  }
  if (ndefs) {
    defs[ndefs] = NULL;
    o.defines = defs;
  }
  if (scripts.n == 0) {
    fprintf(stderr, "znet-pktdrill: no scripts\n");
    return expecting ? 77 : 2;
  }
  int pass = 0, fail = 0, skip = 0, nf = 0;
  int fpass[2] = {0, 0}, ffail[2] = {0, 0}, fskip[2] = {0, 0};
  struct folder folders[32];
  for (size_t i = 0; i < scripts.n; i++) {
    struct pd_result r;
    if (o.verbose)
      fprintf(stderr, "== %s\n", scripts.v[i]);
    pd_run_file(scripts.v[i], &o, &r);
    int fam = family_of(r.ip_version);
    if (only >= 0 && fam != only) {
      free(scripts.v[i]);
      continue;
    }
    switch (r.verdict) {
    case PD_PASS:
      pass++;
      fpass[fam]++;
      printf("PASS %s", scripts.v[i]);
      if (explain && r.accepted_used) {
        const char *sep = " (accepted: ";
        for (unsigned b = 1; b; b <<= 1)
          if (r.accepted_used & b) {
            printf("%s%s", sep, pd_accept_name(b));
            sep = ", ";
          }
        printf(")");
      }
      printf("\n");
      break;
    case PD_FAIL:
      fail++;
      ffail[fam]++;
      printf("FAIL %s: %s\n", scripts.v[i], r.why);
      break;
    case PD_SKIP:
      skip++;
      fskip[fam]++;
      printf("SKIP %s: %s\n", scripts.v[i], r.why);
      break;
    }
    if (summary)
      tally(folders, &nf, root, scripts.v[i], r.verdict);
    free(scripts.v[i]);
  }
  free(scripts.v);
  if (summary)
    for (int i = 0; i < nf; i++)
      printf("folder %s: %d passed, %d failed, %d skipped\n", folders[i].name,
             folders[i].pass, folders[i].fail, folders[i].skip);
  if (summary)
    for (int i = 0; i < 2; i++)
      if (fpass[i] + ffail[i] + fskip[i])
        printf("family %s: %d passed, %d failed, %d skipped "
               "(%d of %d applicable, %.1f %%)\n",
               family_name[i], fpass[i], ffail[i], fskip[i], fpass[i],
               fpass[i] + ffail[i],
               fpass[i] + ffail[i] ? 100.0 * fpass[i] / (fpass[i] + ffail[i])
                                   : 0.0);
  printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
  bool short_of = false;
  if (expect >= 0 && pass < expect) {
    printf("znet-pktdrill: %d passed, fewer than the %ld recorded\n", pass,
           expect);
    short_of = true;
  }
  for (int i = 0; i < 2; i++)
    if (expect_fam[i] >= 0 && (only < 0 || only == i) &&
        fpass[i] < expect_fam[i]) {
      printf("znet-pktdrill: %s: %d passed, fewer than the %ld recorded\n",
             family_name[i], fpass[i], expect_fam[i]);
      short_of = true;
    }
  if (expect >= 0 || expect_fam[0] >= 0 || expect_fam[1] >= 0)
    return short_of ? 1 : 0;
  return fail ? 1 : 0;
}
