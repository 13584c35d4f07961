/*
 * rt/fd.c, rt/pipe.c and rt/devfs.c's console on the host: the
 * descriptor table, pipes, socketpairs, eventfd, the routing of socket
 * descriptors to net.c, sendfile, and the generated dispatch table.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "files_abi.h"
#include "host.h"
#include "rt.h"
#include "sys.h"
#include "sys_gen.h"
#include "zt.h"

/* Every descriptor above 2 closed between cases; none may leak. */
static void close_all(void) {
  for (int fd = 3; fd < ZRT_FD_MAX; fd++)
    if (zrt_fd_file(fd))
      (void)zrt_sys_close(fd);
  host_wait_hook = NULL;
}

/* A socketpair end's send, recv, shutdown, as net.c calls them. */
static long sp_sendv(int fd, const struct iovec *v, int n, int flags) {
  struct zrt_file *f = zrt_fd_file(fd);
  return f->ops->sendv(f, v, n, flags);
}
static long sp_recvv(int fd, const struct iovec *v, int n, int flags) {
  struct zrt_file *f = zrt_fd_file(fd);
  return f->ops->recvv(f, v, n, flags);
}
static long sp_shutdown(int fd, int how) {
  struct zrt_file *f = zrt_fd_file(fd);
  return f->ops->shutdown(f, how);
}

static int open_count(void) {
  int n = 0;
  for (int fd = 0; fd < ZRT_FD_MAX; fd++)
    n += zrt_fd_file(fd) != NULL;
  return n;
}

ZT_TEST(test_console_open_at_start) {
  host_console_clear();
  ZT_EQ(zrt_sys_write(1, "out\n", 4), 4);
  ZT_EQ(zrt_sys_write(2, "err\n", 4), 4);
  ZT_EQ(host_console_len, 8);
  ZT_MEMEQ(host_console, "out\nerr\n", 8);
  char c;
  ZT_EQ(zrt_sys_read(0, &c, 1), 0); /* end of file */
  unsigned short ws[4];
  ZT_EQ(zrt_sys_ioctl(1, ZRT_TIOCGWINSZ, ws), 0);
  ZT_EQ(ws[0], 24);
  ZT_EQ(ws[1], 80);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(1, &st), 0);
  ZT_CHECK(S_ISCHR(st.st_mode));
  ZT_EQ(zrt_sys_lseek(1, 0, SEEK_CUR), -ESPIPE);
  ZT_EQ(zrt_sys_ioctl(1, 0x1234, NULL), -ENOTTY);
}

ZT_TEST(test_pipe_bytes_come_out_in_order) {
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe(p) == 0);
  ZT_EQ(p[0], 3);
  ZT_EQ(p[1], 4);
  ZT_EQ(zrt_sys_write(p[1], "hello", 5), 5);
  int n = 0;
  ZT_EQ(zrt_sys_ioctl(p[0], ZRT_FIONREAD, &n), 0);
  ZT_EQ(n, 5);
  ZT_EQ(zrt_fd_poll(p[0], POLLIN), POLLIN);
  ZT_EQ(zrt_fd_poll(p[1], POLLOUT), POLLOUT);
  char buf[8];
  ZT_EQ(zrt_sys_read(p[0], buf, 3), 3);
  ZT_EQ(zrt_sys_read(p[0], buf + 3, 8), 2);
  ZT_MEMEQ(buf, "hello", 5);
  ZT_EQ(zrt_sys_write(p[0], "x", 1), -EBADF);
  ZT_EQ(zrt_sys_read(p[1], buf, 1), -EBADF);
  ZT_EQ(zrt_sys_lseek(p[0], 0, SEEK_SET), -ESPIPE);
  ZT_EQ(zrt_sys_pread64(p[0], buf, 1, 0), -ESPIPE);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(p[0], &st), 0);
  ZT_CHECK(S_ISFIFO(st.st_mode));
  close_all();
}

ZT_TEST(test_pipe_end_of_file_after_writer_closes) {
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe2(p, O_NONBLOCK) == 0);
  char c;
  ZT_EQ(zrt_sys_read(p[0], &c, 1), -EAGAIN);
  ZT_EQ(zrt_sys_write(p[1], "z", 1), 1);
  ZT_EQ(zrt_sys_close(p[1]), 0);
  ZT_EQ(zrt_fd_poll(p[0], POLLIN), POLLIN | POLLHUP);
  ZT_EQ(zrt_sys_read(p[0], &c, 1), 1);
  ZT_EQ(zrt_sys_read(p[0], &c, 1), 0);
  close_all();
}

ZT_TEST(test_pipe_broken_gives_epipe_and_sigpipe) {
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe(p) == 0);
  ZT_EQ(zrt_sys_close(p[0]), 0);
  host_signals = 0;
  ZT_EQ(zrt_sys_write(p[1], "z", 1), -EPIPE);
  ZT_EQ(host_signals, 1);
  ZT_EQ(host_last_signal, SIGPIPE);
  ZT_EQ(zrt_fd_poll(p[1], POLLOUT), POLLERR);
  close_all();
}

static char big[200000];

ZT_TEST(test_pipe_small_writes_whole_or_not_at_all) {
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe2(p, O_NONBLOCK) == 0);
  ZT_EQ(zrt_sys_fcntl(p[0], ZRT_F_GETPIPE_SZ, 0), 65536);
  ZT_EQ(zrt_sys_write(p[1], big, 65536 - 100), 65536 - 100);
  ZT_EQ(zrt_fd_poll(p[1], POLLOUT), 0);
  ZT_EQ(zrt_sys_write(p[1], big, 4096), -EAGAIN); /* PIPE_BUF: atomic */
  ZT_EQ(zrt_sys_write(p[1], big, 5000), 100);     /* longer: what fits */
  ZT_EQ(zrt_sys_write(p[1], big, 1), -EAGAIN);
  close_all();
}

ZT_TEST(test_pipe_resized_by_fcntl) {
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe2(p, O_NONBLOCK | ZRT_O_CLOEXEC) == 0);
  ZT_EQ(zrt_sys_fcntl(p[0], F_GETFD, 0), FD_CLOEXEC);
  ZT_EQ(zrt_sys_fcntl(p[1], ZRT_F_SETPIPE_SZ, 5000), 8192);
  ZT_EQ(zrt_sys_write(p[1], big, 9000), 8192);
  ZT_EQ(zrt_sys_fcntl(p[1], ZRT_F_SETPIPE_SZ, 4096), -EBUSY);
  ZT_EQ(zrt_sys_fcntl(p[1], ZRT_F_SETPIPE_SZ, 2 << 20), -EPERM);
  char buf[8192];
  ZT_EQ(zrt_sys_read(p[0], buf, 100), 100); /* the ring wraps next */
  ZT_EQ(zrt_sys_write(p[1], big, 100), 100);
  ZT_EQ(zrt_sys_fcntl(p[1], ZRT_F_SETPIPE_SZ, 100000), 131072);
  ZT_EQ(zrt_sys_read(p[0], buf, sizeof(buf)), 8192);
  ZT_EQ(zrt_sys_pipe2(p, O_DIRECT), -EINVAL);
  close_all();
}

/* The other thread, as the wait hook: it drains or fills the pipe. */
static int hook_fd;
static int drain_then_wake(void) {
  char buf[65536];
  (void)zrt_sys_read(hook_fd, buf, sizeof(buf));
  return 0;
}
static int write_then_wake(void) {
  (void)zrt_sys_write(hook_fd, "late", 4);
  return 0;
}
static int interrupted(void) { return -EINTR; }

ZT_TEST(test_pipe_blocking_calls_wait_for_the_other_end) {
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe(p) == 0);
  char buf[8];
  hook_fd = p[1];
  host_wait_hook = write_then_wake;
  host_waits = 0;
  ZT_EQ(zrt_sys_read(p[0], buf, sizeof(buf)), 4);
  ZT_EQ(host_waits, 1);
  /* A blocking write of more than the ring takes it all. */
  hook_fd = p[0];
  host_wait_hook = drain_then_wake;
  ZT_EQ(zrt_sys_write(p[1], big, sizeof(big)), (long)sizeof(big));
  ZT_CHECK(host_waits >= 3);
  /* A signal during the wait: -EINTR. */
  close_all();
  ZT_REQUIRE(zrt_sys_pipe(p) == 0);
  host_wait_hook = interrupted;
  ZT_EQ(zrt_sys_read(p[0], buf, 1), -EINTR);
  close_all();
}

ZT_TEST(test_pipe_readv_writev_gather) {
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe2(p, O_NONBLOCK) == 0);
  char ab[] = "ab", none[] = "", cde[] = "cde";
  struct iovec w[3] = {{ab, 2}, {none, 0}, {cde, 3}};
  ZT_EQ(zrt_sys_writev(p[1], w, 3), 5);
  char a[2], b[10];
  struct iovec r[2] = {{a, 2}, {b, 10}};
  ZT_EQ(zrt_sys_readv(p[0], r, 2), 5);
  ZT_MEMEQ(a, "ab", 2);
  ZT_MEMEQ(b, "cde", 3);
  ZT_EQ(zrt_sys_readv(p[0], r, -1), -EINVAL);
  ZT_EQ(zrt_sys_readv(p[0], r, 1025), -EINVAL);
  close_all();
}

ZT_TEST(test_dup_shares_offset_and_flags) {
  int fd = (int)zrt_sys_open("/tmp/dup", O_CREAT | O_RDWR, 0644);
  ZT_REQUIRE(fd >= 0);
  ZT_EQ(zrt_sys_write(fd, "0123456789", 10), 10);
  int d = (int)zrt_sys_dup(fd);
  ZT_EQ(d, fd + 1);
  ZT_EQ(zrt_sys_lseek(d, 2, SEEK_SET), 2);
  char c;
  ZT_EQ(zrt_sys_read(fd, &c, 1), 1);
  ZT_EQ(c, '2');
  ZT_EQ(zrt_sys_fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND), 0);
  ZT_EQ(zrt_sys_fcntl(d, F_GETFL, 0) & (O_NONBLOCK | O_APPEND),
        O_NONBLOCK | O_APPEND);
  ZT_EQ(zrt_sys_dup2(fd, 100), 100);
  ZT_EQ(zrt_sys_dup2(fd, fd), fd);
  ZT_EQ(zrt_sys_dup2(fd, ZRT_FD_MAX), -EBADF);
  ZT_EQ(zrt_sys_dup2(500, 9), -EBADF);
  ZT_EQ(zrt_sys_dup3(fd, fd, 0), -EINVAL);
  ZT_EQ(zrt_sys_dup3(fd, 101, 1), -EINVAL);
  ZT_EQ(zrt_sys_dup3(fd, 101, ZRT_O_CLOEXEC), 101);
  ZT_EQ(zrt_sys_fcntl(101, F_GETFD, 0), FD_CLOEXEC);
  ZT_EQ(zrt_sys_fcntl(100, F_GETFD, 0), 0);
  ZT_EQ(zrt_sys_fcntl(fd, F_DUPFD, 50), 50);
  ZT_EQ(zrt_sys_fcntl(fd, ZRT_F_DUPFD_CLOEXEC, 50), 51);
  ZT_EQ(zrt_sys_fcntl(51, F_GETFD, 0), FD_CLOEXEC);
  ZT_EQ(zrt_sys_fcntl(fd, F_DUPFD, ZRT_FD_MAX), -EINVAL);
  ZT_EQ(zrt_sys_ioctl(51, ZRT_FIONCLEX, NULL), 0);
  ZT_EQ(zrt_sys_fcntl(51, F_GETFD, 0), 0);
  struct flock fl = {.l_type = F_WRLCK};
  ZT_EQ(zrt_sys_fcntl(fd, F_GETLK, (long)&fl), 0);
  ZT_EQ(fl.l_type, F_UNLCK);
  ZT_EQ(zrt_sys_fcntl(fd, F_SETLKW, (long)&fl), 0);
  ZT_EQ(zrt_sys_fcntl(fd, ZRT_F_SETPIPE_SZ, 4096), -EBADF);
  ZT_EQ(zrt_sys_flock(fd, ZRT_LOCK_EX | ZRT_LOCK_NB), 0);
  ZT_EQ(zrt_sys_flock(fd, 0), -EINVAL);
  ZT_EQ(zrt_sys_fsync(fd), 0);
  ZT_EQ(zrt_sys_fsync(1), -EINVAL);
  close_all();
  ZT_EQ(zrt_sys_close(fd), -EBADF);
  ZT_EQ(zrt_sys_unlink("/tmp/dup"), 0);
}

ZT_TEST(test_table_full_gives_emfile) {
  int n = 0, fd;
  while ((fd = (int)zrt_sys_dup(1)) >= 0)
    n++;
  ZT_EQ(fd, -EMFILE);
  ZT_EQ(n, ZRT_FD_MAX - 3);
  int p[2];
  ZT_EQ(zrt_sys_pipe(p), -EMFILE);
  ZT_EQ(zrt_sys_close(1000), 0);
  ZT_EQ(zrt_sys_pipe(p), -EMFILE); /* both or neither */
  ZT_EQ(open_count(), ZRT_FD_MAX - 1);
  close_all();
  ZT_EQ(open_count(), 3);
}

ZT_TEST(test_eventfd_counts_as_linux) {
  int fd = (int)zrt_sys_eventfd2(3, ZRT_EFD_NONBLOCK);
  ZT_REQUIRE(fd >= 0);
  uint64_t v = 0;
  ZT_EQ(zrt_sys_read(fd, &v, 4), -EINVAL);
  ZT_EQ(zrt_sys_read(fd, &v, 8), 8);
  ZT_EQ(v, 3);
  ZT_EQ(zrt_sys_read(fd, &v, 8), -EAGAIN);
  ZT_EQ(zrt_fd_poll(fd, POLLIN | POLLOUT), POLLOUT);
  v = UINT64_MAX;
  ZT_EQ(zrt_sys_write(fd, &v, 8), -EINVAL);
  v = UINT64_MAX - 1;
  ZT_EQ(zrt_sys_write(fd, &v, 8), 8);
  ZT_EQ(zrt_fd_poll(fd, POLLIN | POLLOUT), POLLIN);
  v = 1;
  ZT_EQ(zrt_sys_write(fd, &v, 8), -EAGAIN); /* would overflow */
  int s = (int)zrt_sys_eventfd2(2, ZRT_EFD_SEMAPHORE | ZRT_EFD_NONBLOCK);
  ZT_EQ(zrt_sys_read(s, &v, 8), 8);
  ZT_EQ(v, 1);
  ZT_EQ(zrt_sys_read(s, &v, 8), 8);
  ZT_EQ(zrt_sys_read(s, &v, 8), -EAGAIN);
  ZT_EQ(zrt_sys_eventfd2(0, 0x40), -EINVAL);
  close_all();
}

ZT_TEST(test_socketpair_stream_both_ways) {
  int sv[2];
  ZT_REQUIRE(zrt_sys_socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
                                sv) == 0);
  ZT_EQ(zrt_sys_write(sv[0], "ping", 4), 4);
  ZT_EQ(zrt_sys_write(sv[1], "pong", 4), 4);
  char buf[8];
  struct iovec v = {buf, sizeof(buf)};
  ZT_EQ(sp_recvv(sv[1], &v, 1, MSG_PEEK), 4);
  ZT_EQ(zrt_sys_read(sv[1], buf, 8), 4);
  ZT_MEMEQ(buf, "ping", 4);
  ZT_EQ(zrt_sys_read(sv[0], buf, 8), 4);
  ZT_MEMEQ(buf, "pong", 4);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(sv[0], &st), 0);
  ZT_CHECK(S_ISSOCK(st.st_mode));
  ZT_EQ(sp_shutdown(sv[0], SHUT_WR), 0);
  ZT_EQ(zrt_sys_read(sv[1], buf, 8), 0);
  host_signals = 0;
  char x[] = "x";
  struct iovec w = {x, 1};
  ZT_EQ(sp_sendv(sv[0], &w, 1, MSG_NOSIGNAL), -EPIPE);
  ZT_EQ(host_signals, 0);
  ZT_EQ(zrt_sys_close(sv[1]), 0);
  ZT_EQ(zrt_fd_poll(sv[0], POLLIN) & POLLHUP, POLLHUP);
  /* The console is no socket: no send, recv, shutdown (net.c's
   * -ENOTSOCK). */
  ZT_CHECK(zrt_fd_file(1)->ops->sendv == NULL);
  ZT_CHECK(zrt_fd_file(1)->ops->shutdown == NULL);
  ZT_EQ(zrt_sys_socketpair(AF_INET, SOCK_STREAM, 0, sv), -EAFNOSUPPORT);
  close_all();
}

ZT_TEST(test_socketpair_dgram_keeps_messages) {
  int sv[2];
  ZT_REQUIRE(zrt_sys_socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
                                sv) == 0);
  ZT_EQ(zrt_sys_fcntl(sv[0], F_GETFD, 0), FD_CLOEXEC);
  ZT_EQ(zrt_sys_write(sv[0], "one", 3), 3);
  ZT_EQ(zrt_sys_write(sv[0], "", 0), 0);
  ZT_EQ(zrt_sys_write(sv[0], "three", 5), 5);
  char buf[8];
  ZT_EQ(zrt_sys_read(sv[1], buf, 8), 3);
  ZT_EQ(zrt_sys_read(sv[1], buf, 8), 0); /* the empty message */
  ZT_EQ(zrt_sys_read(sv[1], buf, 2), 2); /* the rest is dropped */
  struct iovec v = {buf, 8};
  ZT_EQ(sp_recvv(sv[1], &v, 1, MSG_DONTWAIT), -EAGAIN);
  close_all();
}

/* A kind that keeps a file per descriptor (net.c's sockets): the table
 * calls its vectors, fcntl and ioctl as they are, makes its dup through
 * it, tells it of each close, and keeps FD_CLOEXEC, lseek, pread. */
ZT_TEST(test_file_per_descriptor_kind) {
  int fd = host_socket_open();
  ZT_EQ(fd, 3);
  host_net_answer = 42;
  char buf[4];
  ZT_EQ(zrt_sys_read(fd, buf, 4), 42);
  ZT_STREQ(host_net_call, "readv");
  ZT_EQ(zrt_sys_write(fd, buf, 4), 42);
  ZT_STREQ(host_net_call, "writev");
  struct iovec v = {buf, 4};
  ZT_EQ(zrt_sys_readv(fd, &v, 1), 42);
  ZT_STREQ(host_net_call, "readv");
  ZT_EQ(zrt_sys_fcntl(fd, F_GETFL, 0), 42);
  ZT_STREQ(host_net_call, "fcntl");
  ZT_EQ(zrt_sys_ioctl(fd, ZRT_FIONBIO, buf), 42);
  ZT_STREQ(host_net_call, "ioctl");
  host_net_call = NULL;
  ZT_EQ(zrt_sys_ioctl(fd, ZRT_FIOCLEX, NULL), 0);
  ZT_CHECK(host_net_call == NULL);
  ZT_EQ(zrt_sys_fcntl(fd, F_GETFD, 0), FD_CLOEXEC);
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_SET), -ESPIPE);
  ZT_EQ(zrt_sys_pread64(fd, buf, 4, 0), -ESPIPE);
  ZT_EQ(zrt_sys_getdents64(fd, buf, 4), -ENOTDIR);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_CHECK(S_ISSOCK(st.st_mode));
  /* A dup is the kind's: a file of its own, numbered as the descriptor. */
  host_net_answer = 0;
  ZT_EQ(zrt_sys_dup2(fd, 9), 9);
  ZT_STREQ(host_net_call, "dup");
  ZT_EQ(host_net_fd, 9);
  ZT_CHECK(zrt_fd_file(9) != NULL && zrt_fd_file(9) != zrt_fd_file(fd));
  ZT_EQ(zrt_sys_close(fd), 0);
  ZT_STREQ(host_net_call, "close");
  ZT_EQ(host_net_fd, fd);
  ZT_CHECK(zrt_fd_file(fd) == NULL);
  /* A dup the kind refuses leaves the number free. */
  host_net_answer = -ENOMEM;
  ZT_EQ(zrt_sys_dup(9), -ENOMEM);
  ZT_CHECK(zrt_fd_file(3) == NULL);
  ZT_EQ(zrt_sys_dup2(9, 5), -ENOMEM);
  ZT_CHECK(zrt_fd_file(5) == NULL);
  /* dup2 onto an open descriptor closes it first: the kind hears. */
  host_net_answer = 0;
  int other = host_socket_open();
  ZT_EQ(zrt_sys_dup2(9, other), other);
  ZT_EQ(zrt_sys_close(9), 0);
  ZT_STREQ(host_net_call, "close");
  ZT_EQ(host_net_fd, 9);
  close_all();
}

ZT_TEST(test_sendfile_file_to_pipe_and_socket) {
  int fd = (int)zrt_sys_open("/tmp/sf", O_CREAT | O_RDWR | O_TRUNC, 0644);
  ZT_REQUIRE(fd >= 0);
  for (size_t i = 0; i < 100000; i++)
    big[i] = (char)(i * 7);
  ZT_EQ(zrt_sys_write(fd, big, 100000), 100000);
  int p[2];
  ZT_REQUIRE(zrt_sys_pipe2(p, O_NONBLOCK) == 0);
  off_t off = 10;
  ZT_EQ(zrt_sys_sendfile(p[1], fd, &off, 100), 100);
  ZT_EQ(off, 110);
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_CUR), 100000); /* untouched */
  char buf[100];
  ZT_EQ(zrt_sys_read(p[0], buf, 100), 100);
  ZT_MEMEQ(buf, big + 10, 100);
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_SET), 0);
  ZT_EQ(zrt_sys_sendfile(p[1], fd, NULL, 200000), 65536); /* the ring */
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_CUR), 65536);
  ZT_EQ(zrt_sys_sendfile(p[0], fd, NULL, 1), -EBADF);
  ZT_EQ(zrt_sys_sendfile(fd, p[0], NULL, 1), -EINVAL);
  int s = host_socket_open();
  host_net_answer = 1000; /* the socket took 1000 of 3000: sendfile stops */
  ZT_EQ(zrt_sys_sendfile(s, fd, NULL, 3000), 1000);
  ZT_STREQ(host_net_call, "writev");
  host_net_answer = 0;
  close_all();
  ZT_EQ(zrt_sys_unlink("/tmp/sf"), 0);
}

ZT_TEST(test_no_memory_answers_and_leaks_nothing) {
  size_t before = host_kalloc_used;
  host_kalloc_budget(before + 10);
  int p[2];
  ZT_EQ(zrt_sys_pipe(p), -ENFILE);
  ZT_EQ(zrt_sys_eventfd2(0, 0), -ENOMEM);
  ZT_EQ(zrt_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, p), -ENOMEM);
  host_kalloc_budget(before + 70000); /* one ring, not two */
  ZT_EQ(zrt_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
  close_all();
  host_kalloc_budget(SIZE_MAX);
  ZT_EQ(host_kalloc_used, before);
}

ZT_TEST(test_dispatch_table_reaches_handlers) {
  ZT_STREQ(zrt_sys_table[SYS_dup].name, "dup");
  ZT_CHECK(zrt_sys_table[SYS_dup].fn != NULL);
  long a[6] = {1};
  long fd = zrt_sys_table[SYS_dup].fn(a);
  ZT_EQ(fd, 3);
  long b[6] = {fd};
  ZT_EQ(zrt_sys_table[SYS_close].fn(b), 0);
  ZT_EQ(zrt_sys_table[SYS_getxattr].kind, ZRT_SYS_CONSTANT);
  ZT_EQ(zrt_sys_table[SYS_getxattr].constant, -EOPNOTSUPP);
  ZT_EQ(zrt_sys_table[SYS_mmap].kind, ZRT_SYS_ENOSYS); /* not this module's */
}

int main(void) {
  zrt_fd_init_console();
  (void)zrt_mount_root(NULL);
  ZT_RUN(test_console_open_at_start);
  ZT_RUN(test_pipe_bytes_come_out_in_order);
  ZT_RUN(test_pipe_end_of_file_after_writer_closes);
  ZT_RUN(test_pipe_broken_gives_epipe_and_sigpipe);
  ZT_RUN(test_pipe_small_writes_whole_or_not_at_all);
  ZT_RUN(test_pipe_resized_by_fcntl);
  ZT_RUN(test_pipe_blocking_calls_wait_for_the_other_end);
  ZT_RUN(test_pipe_readv_writev_gather);
  ZT_RUN(test_dup_shares_offset_and_flags);
  ZT_RUN(test_table_full_gives_emfile);
  ZT_RUN(test_eventfd_counts_as_linux);
  ZT_RUN(test_socketpair_stream_both_ways);
  ZT_RUN(test_socketpair_dgram_keeps_messages);
  ZT_RUN(test_file_per_descriptor_kind);
  ZT_RUN(test_sendfile_file_to_pipe_and_socket);
  ZT_RUN(test_no_memory_answers_and_leaks_nothing);
  ZT_RUN(test_dispatch_table_reaches_handlers);
  return zt_done();
}
