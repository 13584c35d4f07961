/*
 * A directory of the root archive made writable (--writable DIR;
 * tests/rt/images.sh boots it over tests/rt/root with DIR /dir, and
 * without the flag).  Prints, one line each:
 *   "read a.txt: <FIRST LINE>"   the archive's content, copied
 *   "mode sub: 755"              the directory's mode kept
 *   "append a.txt: ok|ERRNO"     writing over an archive file
 *   "reread a.txt: N bytes"      what is there after the append
 *   "create new.txt: ok|ERRNO"
 *   "unlink b.txt: ok|ERRNO"
 *   "list: NAME NAME ..."        the directory's entries, sorted
 *   "deep: <FIRST LINE>"         sub/deep.txt, two levels down
 *   "outside: ok|ERRNO"          a write next to DIR (still the archive)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *res(int rc) { return rc == 0 ? "ok" : strerror(errno); }

static void first_line(const char *label, const char *path) {
  char buf[128] = "";
  FILE *f = fopen(path, "r");
  if (!f || !fgets(buf, sizeof(buf), f))
    snprintf(buf, sizeof(buf), "%s", strerror(errno));
  if (f)
    fclose(f);
  buf[strcspn(buf, "\n")] = '\0';
  printf("%s: <%s>\n", label, buf);
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir) {
  char *names[64];
  int n = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && n < 64 && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      names[n++] = strdup(e->d_name);
  if (d)
    closedir(d);
  qsort(names, (size_t)n, sizeof(names[0]), cmp);
  printf("list:");
  for (int i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/dir";
  char path[512];
  struct stat st;
  if (chdir(dir) != 0) {
    printf("chdir %s: %s\n", dir, strerror(errno));
    return 1;
  }
  first_line("read a.txt", "a.txt");
  if (stat("sub", &st) == 0)
    printf("mode sub: %o\n", (unsigned)(st.st_mode & 07777));
  int fd = open("a.txt", O_WRONLY | O_APPEND);
  int rc = fd < 0 ? -1 : (write(fd, "more\n", 5) == 5 ? 0 : -1);
  printf("append a.txt: %s\n", res(rc));
  if (fd >= 0)
    close(fd);
  printf("reread a.txt: %lld bytes\n",
         stat("a.txt", &st) == 0 ? (long long)st.st_size : -1LL);
  fd = open("new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
  printf("create new.txt: %s\n", res(fd < 0 ? -1 : 0));
  if (fd >= 0)
    close(fd);
  printf("unlink b.txt: %s\n", res(unlink("b.txt")));
  list(".");
  first_line("deep", "sub/deep.txt");
  snprintf(path, sizeof(path), "%s/../outside.txt", dir);
  fd = open(path, O_WRONLY | O_CREAT, 0644);
  printf("outside: %s\n", res(fd < 0 ? -1 : 0));
  return 0;
}
