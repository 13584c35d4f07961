/*
 * Power-loss tests of the images' disks (rt/lfsfs.c over littlefs),
 * through the system calls a program makes (rt/vfs.c, rt/fd.c), on a
 * disk in memory that stops after its k-th write.
 *
 *   powerloss [--seeds N] [--first-seed F] [--ops N] [--step S] [--tear]
 *
 * A workload made from a seed (creates, appends, overwrites, renames
 * over other files, truncates, unlinks, mkdir and rmdir, with fsyncs
 * between and files kept open and written without one) runs once to
 * its end, counting the disk's writes at the end of each operation.
 * Then for every k (every S-th with --step) a fresh process mounts a
 * fresh disk and runs the workload until the disk's k-th write, where
 * the process ends (_exit: nothing after that write reaches the disk;
 * with --tear the k-th write itself lands half: its first bytes new,
 * the rest old).  Another process then mounts what the disk holds and
 * compares the tree, every name and every byte, with the model: the
 * files as their last fsync or close left them, after the operations
 * that ended before the cut or after the one in progress (each is one
 * commit of littlefs's, so the disk holds one or the other, never a
 * mix), and then writes, fsyncs and reads a file of its own there (the
 * disk is usable, not only readable).
 *
 * Output is TAP: a line per seed and mode (how many cuts, how many
 * matched which state), a failure naming the cut, the operation and the
 * first difference.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../files/host.h"
#include "lfsfs.h"
#include "rt.h"
#include "sys_gen.h"
#include "zt.h"

#define SECTOR 512u
#define DISK_BYTES (1u << 20) /* 256 of littlefs's blocks */
#define MAX_OPS 400
#define MAX_POINTS (2 * MAX_OPS + 1)
#define NFILES 8
#define MAX_FILE 20000u
#define MAX_TREE 64
#define CUT_EXIT 42

/* ---- the disk: shared memory, so that a child's writes outlive it ----- */

static uint8_t *disk;
static uint64_t *counter; /* the disk's writes so far (shared) */
static uint64_t cut_at;   /* 0: never */
static bool tear;

static int mem_open(const char *name, uint64_t *handle, uint64_t *capacity,
                    uint64_t *bsize) {
  if (strcmp(name, "data") != 0)
    return -ENODEV;
  *handle = 1;
  *capacity = DISK_BYTES;
  *bsize = SECTOR;
  return 0;
}

static int mem_read(uint64_t handle, uint64_t off, void *buf, size_t n) {
  if (handle != 1 || n != SECTOR || off % SECTOR || off + n > DISK_BYTES)
    return -EIO;
  memcpy(buf, disk + off, n);
  return 0;
}

static int mem_write(uint64_t handle, uint64_t off, const void *buf,
                     size_t n) {
  if (handle != 1 || n != SECTOR || off % SECTOR || off + n > DISK_BYTES)
    return -EIO;
  uint64_t k = ++*counter;
  if (cut_at && k == cut_at) {
    if (tear) /* the write lands in part: a torn sector */
      memcpy(disk + off, buf, SECTOR / 2 - 8 * (k % 16));
    _exit(CUT_EXIT);
  }
  memcpy(disk + off, buf, n);
  return 0;
}

static const struct host_blockdev memdisk = {mem_open, mem_read, mem_write};

/* ---- the model ---------------------------------------------------------- */

/* What a name holds: a file's committed bytes, or a directory. */
struct entry {
  char path[32];
  bool dir;
  uint32_t len;
  uint8_t *data;
};

struct state {
  struct entry e[MAX_TREE];
  int n;
};

static void state_free(struct state *s) {
  for (int i = 0; i < s->n; i++)
    free(s->e[i].data);
  s->n = 0;
}

static struct entry *state_find(struct state *s, const char *path) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->e[i].path, path) == 0)
      return &s->e[i];
  return NULL;
}

static void state_remove(struct state *s, const char *path) {
  struct entry *e = state_find(s, path);
  if (!e)
    return;
  free(e->data);
  *e = s->e[--s->n];
}

static struct entry *state_add(struct state *s, const char *path, bool dir) {
  struct entry *e = &s->e[s->n++];
  memset(e, 0, sizeof(*e));
  snprintf(e->path, sizeof(e->path), "%s", path);
  e->dir = dir;
  return e;
}

static void entry_set(struct entry *e, const uint8_t *data, uint32_t len) {
  free(e->data);
  e->data = len ? malloc(len) : NULL;
  if (len)
    memcpy(e->data, data, len);
  e->len = len;
}

/* ---- the workload --------------------------------------------------------- */

static uint64_t rng;

static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* An open file of the workload: its descriptor and what it holds now
 * (committed or not). */
struct open_file {
  int fd;
  char path[32];
  uint8_t buf[MAX_FILE];
  uint32_t len;
};

static struct open_file open_files[NFILES];
static struct state committed; /* the model: what the disk must hold */
static uint8_t scratch[MAX_FILE];

static const char *file_path(unsigned i) {
  static char p[32];
  static const char *dirs[] = {"", "a/", "b/"};
  snprintf(p, sizeof(p), "%sf%u", dirs[i % 3], i);
  return p;
}

static void fill(uint8_t *p, uint32_t n, uint32_t tag) {
  for (uint32_t i = 0; i < n; i++)
    p[i] = (uint8_t)(tag * 131 + i * 7 + (i >> 9));
}

static struct open_file *slot_of(const char *path) {
  for (unsigned i = 0; i < NFILES; i++)
    if (open_files[i].fd > 0 && strcmp(open_files[i].path, path) == 0)
      return &open_files[i];
  return NULL;
}

/* Commit an open file's bytes in the model (fsync or close). */
static void model_commit(struct open_file *o) {
  struct entry *e = state_find(&committed, o->path);
  if (e)
    entry_set(e, o->buf, o->len);
}

static void point(void);

#define CHECK(c)                                                              \
  do {                                                                        \
    if (!(c)) {                                                               \
      fprintf(stderr, "workload: %s failed at %s:%d (errno %ld)\n", #c,       \
              __FILE__, __LINE__, last);                                      \
      _exit(3);                                                               \
    }                                                                         \
  } while (0)

static long last;

static FILE *record_to; /* while the workload runs uncut */
static bool trace; /* --trace: each operation to stderr (uncut run) */
static int op_now;

/* One operation of the workload, on the disk and in the model. */
static void op(uint32_t r) {
  unsigned f = next() % NFILES;
  const char *p = file_path(f);
  struct open_file *o = slot_of(p);
  if (trace && record_to)
    fprintf(stderr, "op %d: kind %u on %s%s\n", op_now, r % 10, p,
            o ? " (open)" : "");
  switch (r % 10) {
  case 0: /* create or rewrite a file whole, fsync, close */
  case 1: {
    if (o)
      break;
    uint32_t n = next() % MAX_FILE;
    fill(scratch, n, next());
    int fd = (int)(last = zrt_sys_open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644));
    if (fd == -ENOENT)
      break; /* its directory is not there now */
    CHECK(fd >= 0);
    /* A create is a commit of its own: a cut after it leaves the file
     * there, empty.  An existing file's truncation is committed with
     * the bytes that follow (at the fsync): a cut between leaves the
     * old bytes, an earlier committed state. */
    struct entry *e0 = state_find(&committed, p);
    if (!e0) {
      e0 = state_add(&committed, p, false);
      entry_set(e0, NULL, 0);
      point();
    }
    CHECK((last = zrt_sys_write(fd, scratch, n)) == (long)n);
    CHECK((last = zrt_sys_fsync(fd)) == 0);
    CHECK((last = zrt_sys_close(fd)) == 0);
    entry_set(state_find(&committed, p), scratch, n);
    break;
  }
  case 2: /* open and keep open, to write without fsync */
    if (o || !state_find(&committed, p))
      break;
    for (unsigned i = 0; i < NFILES; i++)
      if (open_files[i].fd == 0) {
        o = &open_files[i];
        o->fd = (int)(last = zrt_sys_open(p, O_RDWR, 0));
        CHECK(o->fd > 0);
        snprintf(o->path, sizeof(o->path), "%s", p);
        struct entry *e = state_find(&committed, p);
        memcpy(o->buf, e->data, e->len);
        o->len = e->len;
        break;
      }
    break;
  case 3: /* append or overwrite through an open file, no fsync */
  case 4: {
    if (!o)
      break;
    uint32_t at = (r % 10 == 3) ? o->len : (o->len ? next() % o->len : 0);
    uint32_t n = next() % 3000;
    if (at + n > MAX_FILE)
      n = MAX_FILE - at;
    fill(scratch, n, next());
    CHECK((last = zrt_sys_pwrite64(o->fd, scratch, n, at)) == (long)n);
    memcpy(o->buf + at, scratch, n);
    if (at + n > o->len)
      o->len = at + n;
    break;
  }
  case 5: /* fsync or close an open file */
    if (!o)
      break;
    if (next() % 2) {
      CHECK((last = zrt_sys_fsync(o->fd)) == 0);
      model_commit(o);
    } else {
      CHECK((last = zrt_sys_close(o->fd)) == 0);
      model_commit(o);
      o->fd = 0;
    }
    break;
  case 6: { /* rename over another file (or to a free name) */
    unsigned g = next() % NFILES;
    char to[32];
    snprintf(to, sizeof(to), "%s", file_path(g));
    if (o || slot_of(to) || !state_find(&committed, p) || g == f)
      break;
    last = zrt_sys_rename(p, to);
    if (last == -ENOENT)
      break; /* the target's directory is gone */
    CHECK(last == 0);
    struct entry *e = state_find(&committed, p);
    uint32_t len = e->len;
    memcpy(scratch, e->data, len);
    state_remove(&committed, p);
    struct entry *d = state_find(&committed, to);
    if (!d)
      d = state_add(&committed, to, false);
    entry_set(d, scratch, len);
    break;
  }
  case 7: { /* truncate and fsync */
    if (!o)
      break;
    uint32_t n = o->len ? next() % o->len : 0;
    CHECK((last = zrt_sys_ftruncate(o->fd, n)) == 0);
    CHECK((last = zrt_sys_fsync(o->fd)) == 0);
    o->len = n;
    model_commit(o);
    break;
  }
  case 8: /* unlink */
    if (o || !state_find(&committed, p))
      break;
    CHECK((last = zrt_sys_unlink(p)) == 0);
    state_remove(&committed, p);
    break;
  case 9: { /* mkdir or rmdir /a or /b */
    const char *d = next() % 2 ? "a" : "b";
    if (!state_find(&committed, d)) {
      CHECK((last = zrt_sys_mkdir(d, 0755)) == 0);
      state_add(&committed, d, true);
    } else {
      last = zrt_sys_rmdir(d);
      if (last == -ENOTEMPTY)
        break;
      CHECK(last == 0);
      state_remove(&committed, d);
    }
    break;
  }
  }
}

/* ---- running and checking ------------------------------------------------ */

/* A point is the end of an operation, or a commit inside one (an
 * open's O_TRUNC before the write it makes room for): the disk must
 * hold the state of a point. */
struct run {
  uint64_t seed;
  int npoints;
  uint64_t writes_after[MAX_POINTS + 1]; /* the disk's writes at point i */
  int op_of[MAX_POINTS + 1];             /* the operation point i is in */
};

static struct run *shared_run;
static struct state states[MAX_POINTS + 1]; /* the model at point i */

/* The root (empty), the disk at /d, and /d the working directory: the
 * workload's paths are relative. */
static void mount_disk(void) {
  zrt_fd_init_console(); /* 0, 1, 2 taken: a workload's descriptor is > 0 */
  zrt_mount_root(NULL);
  int r = zrt_mount_disk("/d", "data");
  if (r == 0)
    r = (int)zrt_sys_chdir("/d");
  if (r != 0) {
    fprintf(stderr, "mount: %d (%s)\n", r, host_last_log);
    _exit(4);
  }
}

/* Write model s to `out`, read one back from `in`. */
static void state_save(FILE *out, const struct state *s) {
  fwrite(&s->n, sizeof(s->n), 1, out);
  for (int i = 0; i < s->n; i++) {
    fwrite(&s->e[i], sizeof(s->e[i]), 1, out);
    if (s->e[i].len)
      fwrite(s->e[i].data, 1, s->e[i].len, out);
  }
}

static bool state_load(FILE *in, struct state *s) {
  if (fread(&s->n, sizeof(s->n), 1, in) != 1 || s->n < 0 || s->n > MAX_TREE)
    return false;
  for (int i = 0; i < s->n; i++) {
    if (fread(&s->e[i], sizeof(s->e[i]), 1, in) != 1 || s->e[i].len > MAX_FILE)
      return false;
    s->e[i].data = s->e[i].len ? malloc(s->e[i].len) : NULL;
    if (s->e[i].len && fread(s->e[i].data, 1, s->e[i].len, in) != s->e[i].len)
      return false;
  }
  return true;
}

/* A point of the workload: when recording, the model written to
 * record_to and the disk's write count into shared_run. */
static void point(void) {
  if (!record_to)
    return;
  int i = shared_run->npoints++;
  shared_run->writes_after[i] = *counter;
  shared_run->op_of[i] = op_now;
  state_save(record_to, &committed);
}

/* The workload of `seed`; with `record`, each point recorded there. */
static void workload(uint64_t seed, int nops, FILE *record) {
  rng = seed * 2654435761u + 1;
  memset(open_files, 0, sizeof(open_files));
  state_free(&committed);
  record_to = record;
  op_now = 0;
  if (record)
    shared_run->npoints = 0;
  mount_disk();
  point();
  for (op_now = 1; op_now <= nops; op_now++) {
    op(next());
    point();
  }
}

/* The tree the disk holds against model s: "" if the same, else what
 * differs. */
static const char *compare(struct state *s) {
  static char why[256];
  for (int i = 0; i < s->n; i++) {
    const struct entry *e = &s->e[i];
    struct stat st;
    if (zrt_sys_stat(e->path, &st) != 0) {
      snprintf(why, sizeof(why), "%s missing", e->path);
      return why;
    }
    if (e->dir != S_ISDIR(st.st_mode)) {
      snprintf(why, sizeof(why), "%s: another type", e->path);
      return why;
    }
    if (e->dir)
      continue;
    if ((uint32_t)st.st_size != e->len) {
      snprintf(why, sizeof(why), "%s: %lld bytes, want %u", e->path,
               (long long)st.st_size, e->len);
      return why;
    }
    int fd = (int)zrt_sys_open(e->path, O_RDONLY, 0);
    long n = fd >= 0 ? zrt_sys_read(fd, scratch, sizeof(scratch)) : fd;
    if (fd >= 0)
      zrt_sys_close(fd);
    if (n != (long)e->len || (e->len && memcmp(scratch, e->data, e->len))) {
      snprintf(why, sizeof(why), "%s: other bytes (read %ld)", e->path, n);
      return why;
    }
  }
  /* No name the model does not have. */
  static const char *names[] = {"a",    "b",    "f0",   "f3",   "f6",
                                "a/f1", "a/f4", "a/f7", "b/f2", "b/f5"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    struct stat st;
    if (zrt_sys_stat(names[i], &st) == 0 && !state_find(s, names[i])) {
      snprintf(why, sizeof(why), "%s is there, the model has it not",
               names[i]);
      return why;
    }
  }
  return "";
}

/* After the check: the disk takes a new file, and gives it back after a
 * second mount. */
static bool usable(void) {
  fill(scratch, 5000, 99);
  int fd = (int)zrt_sys_open("after", O_CREAT | O_TRUNC | O_WRONLY, 0600);
  return fd >= 0 && zrt_sys_write(fd, scratch, 5000) == 5000 &&
         zrt_sys_fsync(fd) == 0 && zrt_sys_close(fd) == 0;
}

/* Cut at write k: 0 matched the state of the point before it, 1 the
 * next, -1 neither (why in *why; the operation in *opno). */
static int cut_and_check(int nops, uint64_t k, char *why, size_t whylen,
                         int *opno) {
  int last_point = shared_run->npoints - 1;
  int i = 1;
  while (i <= last_point && shared_run->writes_after[i] < k)
    i++;
  *opno = i <= last_point ? shared_run->op_of[i] : nops;
  memset(disk, 0, DISK_BYTES);
  *counter = 0;
  pid_t p = fork();
  if (p == 0) {
    cut_at = k;
    workload(shared_run->seed, nops, NULL);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || (WEXITSTATUS(st) != CUT_EXIT && WEXITSTATUS(st) != 0)) {
    snprintf(why, whylen, "the workload ended with status %d", st);
    return -1;
  }
  int pipefd[2];
  if (pipe(pipefd) != 0)
    return -1;
  p = fork();
  if (p == 0) {
    close(pipefd[0]);
    cut_at = 0;
    mount_disk();
    char out[300];
    /* compare's answer is a static buffer: the first one copied. */
    static char a[256];
    snprintf(a, sizeof(a), "%s", compare(&states[i - 1]));
    const char *b = i <= last_point ? compare(&states[i]) : "no next state";
    int which = a[0] == '\0' ? 0 : b[0] == '\0' ? 1 : -1;
    if (which >= 0 && !usable()) {
      which = -1;
      snprintf(a, sizeof(a), "the disk took no new file after the cut");
    }
    snprintf(out, sizeof(out), "%d %s", which, a);
    (void)!write(pipefd[1], out, strlen(out) + 1);
    _exit(0);
  }
  close(pipefd[1]);
  char in[300] = "-1 the checker said nothing";
  (void)!read(pipefd[0], in, sizeof(in) - 1);
  close(pipefd[0]);
  waitpid(p, &st, 0);
  int which = atoi(in);
  snprintf(why, whylen, "%s", strchr(in, ' ') ? strchr(in, ' ') + 1 : in);
  return which;
}

int main(int argc, char **argv) {
  int seeds = 2, first = 1, nops = 150;
  uint64_t step = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
      seeds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--first-seed") == 0 && i + 1 < argc)
      first = atoi(argv[++i]);
    else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
      nops = atoi(argv[++i]);
    else if (strcmp(argv[i], "--step") == 0 && i + 1 < argc)
      step = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--tear") == 0)
      tear = true;
    else if (strcmp(argv[i], "--trace") == 0)
      trace = true;
    else {
      fprintf(stderr,
              "usage: %s [--seeds N] [--first-seed F] [--ops N] [--step S] "
              "[--tear]\n",
              argv[0]);
      return 2;
    }
  }
  if (nops > MAX_OPS)
    nops = MAX_OPS;
  if (seeds < 0 || first < 1) {
    fprintf(stderr, "%s: --seeds at least 0, --first-seed at least 1\n",
            argv[0]);
    return 2;
  }
  host_blockdev = &memdisk;
  disk = mmap(NULL, DISK_BYTES + 4096, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  shared_run = mmap(NULL, sizeof(*shared_run), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  counter = (uint64_t *)(disk + DISK_BYTES);
  printf("1..%d\n", seeds);
  int failed = 0;
  for (int n = 1; n <= seeds; n++) {
    int s = first + n - 1;
    shared_run->seed = (uint64_t)s;
    /* The whole workload once, in a child (the runtime's state is a
     * process's): the disk's write counts, and the model after each
     * operation, through a file. */
    memset(disk, 0, DISK_BYTES);
    *counter = 0;
    FILE *rec = tmpfile();
    pid_t p = fork();
    if (p == 0) {
      workload((uint64_t)s, nops, rec);
      fflush(rec);
      _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    bool loaded = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    rewind(rec);
    for (int i = 0; i < shared_run->npoints; i++) {
      state_free(&states[i]);
      if (loaded)
        loaded = state_load(rec, &states[i]);
    }
    fclose(rec);
    if (!loaded) {
      printf("not ok %d - seed %d: the workload failed uncut (status %d)\n",
             n, s, st);
      failed++;
      continue;
    }
    uint64_t total = shared_run->writes_after[shared_run->npoints - 1];
    unsigned before = 0, after = 0, bad = 0;
    char why[300] = "", first_why[300] = "";
    uint64_t first_bad = 0;
    int bad_op = 0;
    for (uint64_t k = 1; k <= total; k += step) {
      int opno;
      int w = cut_and_check(nops, k, why, sizeof(why), &opno);
      if (w == 0)
        before++;
      else if (w == 1)
        after++;
      else if (bad++ == 0) {
        first_bad = k;
        bad_op = opno;
        snprintf(first_why, sizeof(first_why), "%s", why);
      }
    }
    if (bad == 0)
      printf("ok %d - seed %d%s: %u cuts in %llu writes of %d operations: "
             "%u left the state before the operation in progress, %u after "
             "it\n",
             n, s, tear ? " (torn writes)" : "", before + after,
             (unsigned long long)total, nops, before, after);
    else {
      printf("not ok %d - seed %d%s: %u of %u cuts left neither state; the "
             "first at write %llu, in operation %d: %s\n",
             n, s, tear ? " (torn writes)" : "", bad, before + after + bad,
             (unsigned long long)first_bad, bad_op, first_why);
      failed++;
    }
  }
  return failed ? 1 : 0;
}
