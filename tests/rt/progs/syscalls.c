/*
 * The same sequences of system calls, answered by Linux and by a znet
 * image: tests/rt/images.sh runs this program built by znet-cc twice,
 * on the kernel and under solo5-spt, and the two outputs must be equal
 * line for line.  Each line is a call and what it returned (errno by
 * name), never something that differs between two honest systems (pids,
 * times, addresses).
 *
 *   syscalls ROOT TMP
 *
 * ROOT is the tree tests/rt/root (on Linux the directory, in the image
 * the archive's root "/"), TMP a writable empty directory (/tmp in the
 * image).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *root, *tmp;

/* A constructor given (argc, argv, envp), as glibc gives them and
 * Rust's std reads its arguments (the runtime does so too: rt/init.c),
 * and run once the files are there. */
static int ctor_argc = -1;
static char **ctor_argv, **ctor_envp;
static int ctor_devnull = -1;
__attribute__((constructor)) static void ctor_args(int argc, char **argv,
                                                   char **envp) {
  ctor_argc = argc;
  ctor_argv = argv;
  ctor_envp = envp;
  ctor_devnull = open("/dev/null", O_RDONLY);
  if (ctor_devnull >= 0)
    close(ctor_devnull);
}

static const char *ename(int e) {
  switch (e) {
  case 0: return "0";
  case ENOENT: return "ENOENT";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EEXIST: return "EEXIST";
  case EBADF: return "EBADF";
  case EINVAL: return "EINVAL";
  case EAGAIN: return "EAGAIN";
  case EPIPE: return "EPIPE";
  case ENOTEMPTY: return "ENOTEMPTY";
  case ELOOP: return "ELOOP";
  case ESPIPE: return "ESPIPE";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case EACCES: return "EACCES";
  case ENOSYS: return "ENOSYS";
  case EMFILE: return "EMFILE";
  default: return strerror(e);
  }
}

/* "name: rc" or "name: -1 ERRNO". */
static long show(const char *name, long rc) {
  if (rc < 0)
    printf("%s: -1 %s\n", name, ename(errno));
  else
    printf("%s: %ld\n", name, rc);
  return rc;
}

/* A socketpair end's names and options, as CPython's socket.socketpair()
 * asks them (an image answered EBADF once, and asyncio failed with it). */
static void socketpair_names(int fd) {
  struct sockaddr_un su;
  socklen_t sl = sizeof(su);
  memset(&su, 0, sizeof(su));
  show("getsockname of a socketpair end", getsockname(fd, (struct sockaddr *)&su, &sl));
  printf("its family %s, length %u\n", su.sun_family == AF_UNIX ? "AF_UNIX" : "other",
         (unsigned)sl);
  sl = sizeof(su);
  show("getpeername of a socketpair end", getpeername(fd, (struct sockaddr *)&su, &sl));
  printf("its length %u\n", (unsigned)sl);
  int ty = 0;
  socklen_t tl = sizeof(ty);
  show("getsockopt SO_TYPE of a socketpair end", getsockopt(fd, SOL_SOCKET, SO_TYPE, &ty, &tl));
  printf("its type %s\n", ty == SOCK_STREAM ? "SOCK_STREAM" : "other");
}

static char *path(const char *base, const char *rel) {
  static char buf[4][512];
  static int k;
  char *b = buf[k++ % 4];
  snprintf(b, 512, "%s/%s", base, rel);
  return b;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void files_read_only(void) {
  char buf[256];
  int fd = open(path(root, "hello.txt"), O_RDONLY);
  show("open hello.txt", fd >= 0 ? 0 : -1);
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  printf("read hello.txt: %zd <%s>\n", n, buf);
  show("lseek SET 6", lseek(fd, 6, SEEK_SET));
  n = read(fd, buf, 5);
  buf[n > 0 ? n : 0] = '\0';
  printf("read after lseek: %zd <%s>\n", n, buf);
  show("pread at 0, 5", pread(fd, buf, 5, 0));
  show("lseek END 0", lseek(fd, 0, SEEK_END));
  show("read at end", read(fd, buf, 10));
  struct stat st;
  show("fstat", fstat(fd, &st));
  printf("st_size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  show("close", close(fd));
  show("close again", close(fd));
  show("open missing", open(path(root, "missing"), O_RDONLY));
  show("open hello.txt/x", open(path(root, "hello.txt/x"), O_RDONLY));
  show("open dir O_WRONLY", open(path(root, "dir"), O_WRONLY));
  show("stat dir", stat(path(root, "dir"), &st));
  printf("dir is a directory %d\n", S_ISDIR(st.st_mode));
  show("stat dir/sub/deep.txt", stat(path(root, "dir/sub/deep.txt"), &st));
  printf("deep.txt size %lld\n", (long long)st.st_size);
  show("lstat link", lstat(path(root, "link"), &st));
  printf("link is a symlink %d\n", S_ISLNK(st.st_mode));
  n = readlink(path(root, "link"), buf, sizeof(buf));
  buf[n > 0 ? n : 0] = '\0';
  printf("readlink link: %zd <%s>\n", n, buf);
  fd = open(path(root, "link"), O_RDONLY);
  n = read(fd, buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  printf("read through link: %zd <%s>\n", n, buf);
  close(fd);
  show("access hello.txt R_OK", access(path(root, "hello.txt"), R_OK));
  show("access missing", access(path(root, "missing"), F_OK));
  DIR *d = opendir(path(root, "dir"));
  char *names[64];
  int count = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && count < 64)
    names[count++] = strdup(e->d_name);
  if (d)
    closedir(d);
  qsort(names, (size_t)count, sizeof(names[0]), cmp_str);
  printf("readdir dir:");
  for (int i = 0; i < count; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
  FILE *f = fopen(path(root, "dir/sub/deep.txt"), "r");
  if (f && fgets(buf, sizeof(buf), f))
    printf("fgets deep.txt: %s", buf);
  if (f)
    fclose(f);
}

/* /dev/shm is a memory file system, as on Linux: shm_open's files. */
static void shm_files(void) {
  int fd = shm_open("/znet-syscalls", O_CREAT | O_EXCL | O_RDWR, 0600);
  printf("shm_open O_CREAT: %s\n", fd >= 0 ? "ok" : ename(errno));
  show("write to it", write(fd, "shm!", 4));
  struct stat st;
  fstat(fd, &st);
  printf("its size %lld\n", (long long)st.st_size);
  close(fd);
  show("shm_open O_EXCL again", shm_open("/znet-syscalls", O_CREAT | O_EXCL | O_RDWR, 0600));
  show("shm_unlink", shm_unlink("/znet-syscalls"));
  show("shm_unlink again", shm_unlink("/znet-syscalls"));
}

static void files_writable(void) {
  char buf[64];
  int fd = open(path(tmp, "new.txt"), O_CREAT | O_EXCL | O_RDWR, 0644);
  show("creat new.txt", fd >= 0 ? 0 : -1);
  show("write", write(fd, "abcdef", 6));
  show("pwrite at 10", pwrite(fd, "XY", 2, 10));
  struct stat st;
  fstat(fd, &st);
  printf("size after pwrite %lld\n", (long long)st.st_size);
  show("pread hole", pread(fd, buf, 4, 6));
  printf("hole bytes zero %d\n", buf[0] == 0 && buf[3] == 0);
  show("ftruncate 3", ftruncate(fd, 3));
  fstat(fd, &st);
  printf("size after ftruncate %lld\n", (long long)st.st_size);
  close(fd);
  show("creat again O_EXCL", open(path(tmp, "new.txt"), O_CREAT | O_EXCL | O_RDWR, 0644));
  show("mkdir d", mkdir(path(tmp, "d"), 0755));
  show("mkdir d again", mkdir(path(tmp, "d"), 0755));
  show("rename new.txt d/moved.txt", rename(path(tmp, "new.txt"), path(tmp, "d/moved.txt")));
  show("rmdir d (not empty)", rmdir(path(tmp, "d")));
  show("unlink d/moved.txt", unlink(path(tmp, "d/moved.txt")));
  show("rmdir d", rmdir(path(tmp, "d")));
  show("unlink missing", unlink(path(tmp, "missing")));
  fd = open(path(tmp, "app.txt"), O_CREAT | O_WRONLY | O_APPEND, 0644);
  write(fd, "one", 3);
  lseek(fd, 0, SEEK_SET);
  write(fd, "two", 3);
  close(fd);
  fd = open(path(tmp, "app.txt"), O_RDONLY);
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  printf("O_APPEND: <%s>\n", buf);
  close(fd);
  show("symlink", symlink("app.txt", path(tmp, "ln")));
  n = readlink(path(tmp, "ln"), buf, sizeof(buf));
  buf[n > 0 ? n : 0] = '\0';
  printf("readlink ln: <%s>\n", buf);
  unlink(path(tmp, "ln"));
  unlink(path(tmp, "app.txt"));
}

static void pipes(void) {
  int p[2];
  char buf[16];
  signal(SIGPIPE, SIG_IGN);
  show("pipe2", pipe2(p, O_NONBLOCK));
  show("read empty nonblocking", read(p[0], buf, sizeof(buf)));
  show("write 5", write(p[1], "hello", 5));
  struct pollfd pf = {p[0], POLLIN, 0};
  show("poll readable", poll(&pf, 1, 1000));
  printf("revents POLLIN %d\n", (pf.revents & POLLIN) != 0);
  show("read 5", read(p[0], buf, sizeof(buf)));
  close(p[1]);
  show("read at EOF", read(p[0], buf, sizeof(buf)));
  close(p[0]);
  pipe(p);
  close(p[0]);
  show("write to closed pipe", write(p[1], "x", 1));
  close(p[1]);
  int e = eventfd(3, EFD_NONBLOCK);
  uint64_t v = 0;
  show("eventfd read", read(e, &v, 8));
  printf("eventfd value %llu\n", (unsigned long long)v);
  show("eventfd read again", read(e, &v, 8));
  v = 2;
  show("eventfd write", write(e, &v, 8));
  show("eventfd short read", read(e, &v, 4));
  close(e);
}

/* Edge-triggered epoll over the runtime's own files: a second write to
 * an eventfd nobody read is a second edge (Linux wakes the waiters at
 * each write; tokio's waker never reads its eventfd), a level item
 * reports while ready, and an epoll instance dup'ed (mio clones its
 * registry so) is the same instance through either number, also once
 * the first is closed. */
static void epoll_edges(void) {
  struct epoll_event out[4];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int e = eventfd(0, EFD_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 7};
  show("epoll_ctl ADD eventfd, EPOLLET", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
  show("epoll_wait, nothing written", epoll_wait(ep, out, 4, 0));
  uint64_t one = 1;
  show("eventfd write", write(e, &one, 8));
  show("epoll_wait, an edge", epoll_wait(ep, out, 4, 0));
  printf("its data %llu\n", (unsigned long long)out[0].data.u64);
  show("epoll_wait, no new edge", epoll_wait(ep, out, 4, 0));
  show("eventfd write again, unread", write(e, &one, 8));
  show("epoll_wait, a second edge", epoll_wait(ep, out, 4, 0));
  show("epoll_wait, none after it", epoll_wait(ep, out, 4, 0));
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 9};
  show("epoll_ctl ADD socketpair end, level", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
  show("write to its peer", write(sv[1], "ab", 2));
  show("epoll_wait, level", epoll_wait(ep, out, 4, 0));
  show("epoll_wait, level again", epoll_wait(ep, out, 4, 0));
  int d = fcntl(ep, F_DUPFD_CLOEXEC, 3);
  printf("F_DUPFD_CLOEXEC of the epoll: %s\n", d > ep ? "a new number" : ename(errno));
  show("eventfd write", write(e, &one, 8));
  show("epoll_wait on the dup: the edge and the level", epoll_wait(d, out, 4, 0));
  show("close the first number", close(ep));
  show("epoll_wait on the dup, level", epoll_wait(d, out, 4, 0));
  char b[4];
  show("read the socketpair end", read(sv[0], b, sizeof(b)));
  show("eventfd write", write(e, &one, 8));
  show("epoll_wait on the dup, an edge", epoll_wait(d, out, 4, 0));
  printf("its data %llu\n", (unsigned long long)out[0].data.u64);
  int p[2];
  pipe(p);
  ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u64 = 11};
  show("epoll_ctl ADD pipe through the dup", epoll_ctl(d, EPOLL_CTL_ADD, p[0], &ev));
  show("write to the pipe", write(p[1], "x", 1));
  show("epoll_wait on the dup, the pipe", epoll_wait(d, out, 4, 0));
  printf("its data %llu\n", (unsigned long long)out[0].data.u64);
  show("write to the pipe again, unread", write(p[1], "y", 1));
  show("epoll_wait on the dup, a second edge", epoll_wait(d, out, 4, 0));
  int d2 = dup(d);
  show("close the dup", close(d));
  show("epoll_wait on a dup of the dup", epoll_wait(d2, out, 4, 0));
  show("close it", close(d2));
  show("epoll_wait on the closed number", epoll_wait(d2, out, 4, 0));
  close(p[0]);
  close(p[1]);
  socketpair_names(sv[0]);
  close(sv[0]);
  close(sv[1]);
  close(e);
}

/* PTHREAD_PRIO_INHERIT mutexes (musl: the PI futex ops), robust too. */
static pthread_mutex_t pim;
static volatile int pi_order;
static void *pi_locker(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pim); /* waits for main's unlock */
  pi_order = pi_order * 10 + 2;
  pthread_mutex_unlock(&pim);
  return NULL;
}

static void *pi_holder_dies(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pim);
  return NULL; /* exits holding it */
}

static void *pi_try(void *arg) {
  (void)arg;
  return (void *)(long)pthread_mutex_trylock(&pim);
}

static void pi_mutexes(void) {
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  printf("setprotocol PRIO_INHERIT: %s\n",
         ename(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT)));
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&pim, &ma);
  printf("lock: %s\n", ename(pthread_mutex_lock(&pim)));
  pthread_t t;
  void *r;
  pthread_create(&t, NULL, pi_try, NULL);
  pthread_join(t, &r);
  printf("trylock from another thread: %s\n", (long)r == EBUSY ? "EBUSY" : ename((int)(long)r));
  pi_order = 0;
  pthread_create(&t, NULL, pi_locker, NULL);
  usleep(20000); /* it waits in LOCK_PI */
  pi_order = 1;
  printf("unlock with a waiter: %s\n", ename(pthread_mutex_unlock(&pim)));
  pthread_join(t, NULL);
  printf("the waiter got it after the unlock: %d\n", pi_order == 12);
  pthread_create(&t, NULL, pi_holder_dies, NULL);
  pthread_join(t, NULL);
  int e = pthread_mutex_lock(&pim);
  printf("lock after its owner died: %s\n", e == EOWNERDEAD ? "EOWNERDEAD" : ename(e));
  printf("consistent: %s\n", ename(pthread_mutex_consistent(&pim)));
  printf("unlock: %s\n", ename(pthread_mutex_unlock(&pim)));
  pthread_mutex_destroy(&pim);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, rounds_done;

static void *pinger(void *arg) {
  int me = (int)(long)arg;
  for (int i = 0; i < 1000; i++) {
    pthread_mutex_lock(&mu);
    while (turn != me)
      pthread_cond_wait(&cv, &mu);
    turn = 1 - me;
    rounds_done++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  return (void *)(long)(me + 40);
}

static void threads(void) {
  pthread_t a, b;
  show("pthread_create a", pthread_create(&a, NULL, pinger, (void *)0L));
  show("pthread_create b", pthread_create(&b, NULL, pinger, (void *)1L));
  void *ra, *rb;
  pthread_join(a, &ra);
  pthread_join(b, &rb);
  printf("joined %ld %ld after %d rounds\n", (long)ra, (long)rb, rounds_done);
}

static void memory(void) {
  size_t len = 3 << 20;
  unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 3 MiB: %s\n", p == MAP_FAILED ? "failed" : "ok");
  int zero = 1;
  for (size_t i = 0; i < len; i += 4096)
    zero &= p[i] == 0;
  printf("anonymous memory is zero %d\n", zero);
  memset(p, 0xab, len);
  unsigned char *q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
  printf("mremap: %s, kept %d, new part zero %d\n", q == MAP_FAILED ? "failed" : "ok",
         q[len - 1] == 0xab, q[len] == 0 && q[2 * len - 1] == 0);
  show("munmap", munmap(q, 2 * len));
  void *blocks[200];
  for (int i = 0; i < 200; i++)
    blocks[i] = malloc((size_t)(i * 4099 % 70000) + 1);
  for (int i = 0; i < 200; i += 2)
    free(blocks[i]);
  for (int i = 1; i < 200; i += 2)
    free(blocks[i]);
  printf("malloc and free of 200 blocks: ok\n");
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig) { got_usr1 = sig; }

/* A handler that returns: on Linux through musl's restorer and
 * rt_sigreturn, in an image called by the runtime. */
/* SA_ONSTACK: the handler runs on the sigaltstack, which says so. */
static char altstack[65536];
static volatile int alt_on, alt_flags = -1;
static void on_usr2(int sig) {
  char here;
  stack_t cur;
  (void)sig;
  alt_on = &here >= altstack && &here < altstack + sizeof altstack;
  if (sigaltstack(NULL, &cur) == 0)
    alt_flags = cur.ss_flags;
}

/* Real-time signals queue: each of 50 sent while blocked is delivered;
 * a standard one pends once. */
static volatile int rt_count, std_count;
static void on_rt(int sig) { (void)sig; rt_count++; }
static void on_std(int sig) { (void)sig; std_count++; }

static void signals_queue(void) {
  struct sigaction sa = {.sa_handler = on_rt};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGRTMIN + 3, &sa, NULL);
  sa.sa_handler = on_std;
  sigaction(SIGURG, &sa, NULL);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + 3);
  sigaddset(&set, SIGURG);
  sigprocmask(SIG_BLOCK, &set, &old);
  for (int i = 0; i < 50; i++) {
    pthread_kill(pthread_self(), SIGRTMIN + 3);
    pthread_kill(pthread_self(), SIGURG);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("50 of a real-time signal queued: %d delivered; 50 of SIGURG: %d\n",
         rt_count, std_count);
}

static void signals_altstack(void) {
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  show("sigaltstack", sigaltstack(&ss, NULL));
  struct sigaction sa = {.sa_handler = on_usr2, .sa_flags = SA_ONSTACK};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("SA_ONSTACK: the handler ran on the altstack %d, which said SS_ONSTACK %d\n",
         alt_on, alt_flags == SS_ONSTACK);
  stack_t cur;
  sigaltstack(NULL, &cur);
  printf("after it: flags %d\n", cur.ss_flags);
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("without SA_ONSTACK: on the altstack %d\n", alt_on);
  ss.ss_flags = SS_DISABLE;
  show("sigaltstack SS_DISABLE", sigaltstack(&ss, NULL));
}

static void signals(void) {
  struct sigaction sa = {.sa_handler = on_usr1};
  sigemptyset(&sa.sa_mask);
  show("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, NULL));
  show("raise SIGUSR1", raise(SIGUSR1));
  printf("the handler ran and returned: %d\n", got_usr1 == SIGUSR1);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  got_usr1 = 0;
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  printf("blocked: not yet %d\n", got_usr1 == 0);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("unblocked: delivered %d\n", got_usr1 == SIGUSR1);
  signals_queue();
  signals_altstack();
}

static void misc(void) {
  struct utsname u;
  uname(&u);
  printf("uname sysname %s machine %s\n", u.sysname, u.machine);
  unsigned char r[64];
  show("getrandom 64", getrandom(r, sizeof(r), 0));
  struct timespec a, b, d = {0, 20000000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  show("nanosleep 20 ms", nanosleep(&d, NULL));
  clock_gettime(CLOCK_MONOTONIC, &b);
  long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  printf("slept at least 20 ms %d\n", ms >= 20);
  show("lseek on a pipe", ({ int p[2]; pipe(p); long x = lseek(p[0], 0, SEEK_SET); int e = errno; close(p[0]); close(p[1]); errno = e; x; }));
  show("wait4, no children", wait4(-1, NULL, WNOHANG, NULL));
  char cwd[256];
  printf("getcwd ok %d\n", getcwd(cwd, sizeof(cwd)) != NULL);
}

static void loopback(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7707),
                           .sin_addr.s_addr = htonl(0x7f000001)};
  show("bind 127.0.0.1:7707", bind(l, (struct sockaddr *)&sa, sizeof(sa)));
  show("listen", listen(l, 8));
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int rc = connect(c, (struct sockaddr *)&sa, sizeof(sa));
  printf("connect: %s\n", rc == 0 || errno == EINPROGRESS ? "ok or in progress" : ename(errno));
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l}, out[4];
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  show("epoll_wait listener", epoll_wait(ep, out, 4, 2000));
  int s = accept(l, NULL, NULL);
  printf("accept: %s\n", s >= 0 ? "ok" : ename(errno));
  struct pollfd pf = {c, POLLOUT, 0};
  poll(&pf, 1, 2000);
  show("send 4", send(c, "ping", 4, 0));
  char buf[8] = {0};
  show("recv", recv(s, buf, sizeof(buf), 0));
  printf("got <%s>\n", buf);
  close(c);
  show("recv after peer closed", recv(s, buf, sizeof(buf), 0));
  close(s);
  /* SOCK_CLOEXEC, of socket and of accept4, is the descriptor's. */
  int x = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  printf("socket SOCK_CLOEXEC: FD_CLOEXEC %s\n", fcntl(x, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
  connect(x, (struct sockaddr *)&sa, sizeof(sa));
  s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
  printf("accept4 SOCK_CLOEXEC: FD_CLOEXEC %s\n", fcntl(s, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
  int y = socket(AF_INET, SOCK_STREAM, 0);
  printf("socket without it: FD_CLOEXEC %s\n", fcntl(y, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
  close(x);
  close(y);
  close(s);
  close(l);
  close(ep);
}

/* RLIMIT_NOFILE bounds the numbers of new descriptors (the open ones
 * stay); the limit is set two above the lowest free number. */
static void nofile_limit(void) {
  struct rlimit old, lim;
  getrlimit(RLIMIT_NOFILE, &old);
  int lowest = dup(0);
  close(lowest);
  lim.rlim_cur = (rlim_t)lowest + 2;
  lim.rlim_max = old.rlim_max;
  show("setrlimit NOFILE", setrlimit(RLIMIT_NOFILE, &lim));
  int a = dup(0), b = dup(0);
  printf("two dups under it: %s\n", a >= 0 && b >= 0 ? "ok" : ename(errno));
  show("a third", dup(0));
  show("a socket", socket(AF_INET, SOCK_DGRAM, 0));
  int p[2];
  show("a pipe", pipe(p));
  show("dup2 onto the limit", dup2(0, (int)lim.rlim_cur));
  show("F_DUPFD from the limit", fcntl(0, F_DUPFD, (long)lim.rlim_cur));
  close(a);
  close(b);
  show("setrlimit NOFILE back", setrlimit(RLIMIT_NOFILE, &old));
  a = dup(0);
  printf("a dup after: %s\n", a >= 0 ? "ok" : ename(errno));
  close(a);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: syscalls ROOT TMP\n");
    return 2;
  }
  root = argv[1];
  tmp = argv[2];
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("== constructors\n");
  printf("a constructor was given main's argc, argv and environ: %s\n",
         ctor_argc == argc && ctor_argv == argv && ctor_envp == environ ? "yes" : "no");
  printf("a constructor opened /dev/null: %s\n", ctor_devnull >= 0 ? "yes" : "no");
  printf("== files, read only\n");
  files_read_only();
  printf("== files, writable\n");
  files_writable();
  printf("== /dev/shm\n");
  shm_files();
  printf("== pipes and eventfd\n");
  pipes();
  printf("== epoll edges and dups\n");
  epoll_edges();
  printf("== threads\n");
  threads();
  printf("== priority-inheritance mutexes\n");
  pi_mutexes();
  printf("== memory\n");
  memory();
  printf("== signals\n");
  signals();
  printf("== the rest\n");
  misc();
  printf("== loopback\n");
  loopback();
  printf("== RLIMIT_NOFILE\n");
  nofile_limit();
  printf("== done\n");
  return 0;
}
