/*
 * The plain driver of a fuzz harness: runs LLVMFuzzerTestOneInput on every
 * file of the directories (or files) given, in name order, one TAP case
 * each.  Linked with a harness instead of libFuzzer, it replays the
 * checked-in corpus (minimized inputs and every crasher found) in the
 * ordinary ASan+UBSan test build.  A harness aborts on a finding, which
 * fails the test.
 *
 *   fuzz_<harness>_replay fuzz/corpus/<harness> [more dirs or files]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"

static int ncases;

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_file(const char *path, const char *name) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    printf("not ok %d - %s (unreadable)\n", ++ncases, name);
    exit(1);
  }
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len, fp)) > 0) {
    len += n;
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
  }
  fclose(fp);
  if (!buf) {
    printf("not ok %d - %s (out of memory)\n", ++ncases, name);
    exit(1);
  }
  /* An exact-size copy, so ASan sees reads past the input's end. */
  uint8_t *in = malloc(len ? len : 1);
  memcpy(in, buf, len);
  free(buf);
  printf("# %s (%zu bytes)\n", name, len);
  fflush(stdout);
  LLVMFuzzerTestOneInput(in, len);
  free(in);
  printf("ok %d - %s\n", ++ncases, name);
  fflush(stdout);
}

static void run_dir(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp)
    return;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(dp))) {
    if (de->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      names = realloc(names, cap * sizeof(*names));
    }
    names[n++] = strdup(de->d_name);
  }
  closedir(dp);
  if (n)
    qsort(names, n, sizeof(*names), cmp);
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
      run_file(path, names[i]);
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    struct stat sb;
    if (stat(argv[i], &sb) != 0)
      continue;
    if (S_ISDIR(sb.st_mode))
      run_dir(argv[i]);
    else
      run_file(argv[i], argv[i]);
  }
  if (ncases == 0)
    printf("1..0 # SKIP no inputs\n");
  else
    printf("1..%d\n", ncases);
  return 0;
}
