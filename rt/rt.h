/*
 * libznet-rt: znet's unikernel runtime, the inside of an image.
 *
 * A program is compiled against musl's headers and linked with musl's
 * libc.a, whose system calls are calls of zrt_syscall() (rt/musl/, the
 * arch layer of musl replaced): no trap, the same libc.a for every
 * target.  zrt_syscall() looks the number up in the table generated
 * from rt's .tab files (core.tab, net.tab, files.tab, sched.tab: one row
 * a call, rt/gen-syscalls) and calls the handler, a typed C function of
 * one of the modules below, which answers with Linux's semantics and errno
 * values (a negative errno, as the kernel returns it).
 *
 * The files, from the ground up (each calls only the ones above it in
 * this list; scripts/check-layers holds them to it, docs/ARCHITECTURE.md
 * draws it):
 *
 *   plat_solo5.c  the platform over the Solo5 ABI (below)
 *   clock.c    the monotonic clock on the CPU's counter between the
 *              platform's readings (plat_solo5.c's)
 *   log.c      the console's lines (zrt_log, zrt_panic)
 *   random.c   the generator: getrandom, /dev/urandom
 *   mem.c      brk, mmap and friends over the tender's memory; the
 *              runtime's own allocator (zrt_kalloc)
 *   sched.c    cooperative threads on the one vCPU: clone, exit, the
 *              run queue, waits, timers, futex queues, the exit hooks,
 *              the idle loop (switch.S switches stacks)
 *   deadline.c REALTIME and the deadlines of waits
 *   fd.c       the one descriptor table and the calls every file shares
 *              (a file's kind is its operations: fd.c names none)
 *   shmap.c    MAP_SHARED mappings of files kept the files' (mem.c's
 *              copies, written back at msync, munmap, fsync, sync)
 *   lock.c     flock's and fcntl's advisory locks (one process's:
 *              its open file descriptions and itself as holders)
 *   pipe.c     pipes, socketpair(AF_UNIX), eventfd
 *   vfs.c      paths: the mounts, open/stat/readlink/getdents, getcwd,
 *              chdir, umask
 *   tarfs.c    the read-only root from the block device (tar.c parses)
 *   memfs.c    writable in-memory trees (/tmp)
 *   lfsfs.c    a disk's file system, over littlefs (--mount PATH=DEV;
 *              libznet-rt-lfs, with lfsdisk.c, the disk's layout)
 *   pseudo.c   the nodes of the pseudo file systems (pseudo.h)
 *   devfs.c    /dev (null, zero, urandom, the console) over pseudo.c
 *   procfs.c   the small /proc (/proc/1, self, cpuinfo) over pseudo.c
 *   futex.c    futex(2) over the scheduler's queues
 *   signal.c   sigaction, sigprocmask, kill/raise delivered at once
 *   time.c     clocks, sleeps, timerfd, itimers
 *   proc.c     ids, uname, limits, sysinfo, arch_prctl
 *   net.c      the stack (opened with libznet-app's zn_app_open, or
 *              handed over: zn_image_adopt_stack) and libznet-posix's
 *              host: sockets (files of the table), poll, select, epoll
 *   image.c    libznet-rt's public calls (znet/image.h) for code linked
 *              into an image: libznet-app's image side reaches the
 *              runtime through them alone
 *   sys.c      zrt_syscall: the scheduler's tick, signals, the table
 *   mount.c    the tree at start-up: /, /tmp, /dev, /proc, /etc texts
 *   start.c    solo5_app_main: memory, TLS, znet's flags, the stack,
 *              argv/envp/auxv, then musl's __libc_start_main
 *   linux.c    zrt_syscall for a znet-cc program run on Linux instead
 *   dl.c       dlopen, dlsym, dlclose over the shared objects znet-image
 *              linked in (its table, zrt_so_table): libc's level, it
 *              calls no module here
 *   netlink.c  NETLINK_ROUTE sockets: the interface and address dumps
 *              (getifaddrs, if_nameindex) over net.c's zrt_net_iface
 *   nlmsg.c    their replies, built from the requests' bytes (pure)
 *   dso.c      __dso_handle, which C++'s static destructors are
 *              registered under (also in a Linux run's library)
 *   init.c     the program's constructors, with argc, argv and envp as
 *              glibc passes them (Rust's std reads its arguments there)
 *   glibc.c    the few names of glibc's own that programs built for
 *              glibc's ABI call (Rust's std): version, __res_init
 *
 * Memory: the runtime allocates with zrt_kalloc only, never with
 * malloc (malloc itself calls mmap, which is answered here).
 *
 * Threads: one runs at a time, and it runs until it blocks in the
 * runtime (zrt_io_wait, a futex, a sleep, sched_yield), so the runtime's
 * own state needs no lock: between two calls of the scheduler nothing
 * else runs.
 */
#ifndef ZN_RT_H
#define ZN_RT_H

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <time.h>

#include "znet/assert.h"

#define ZRT_NO_DEADLINE UINT64_MAX
#define ZRT_PAGE 4096u

/* ---- the platform (plat_solo5.c; host tests supply their own) -------- */

/* Write to the console, all of it. */
void zrt_plat_console(const char *p, size_t n);
/* Clocks, ns: monotonic since boot, and wall since the Unix epoch. */
uint64_t zrt_plat_monotonic(void);
uint64_t zrt_plat_wall(void);
/* Sleep until `deadline` (monotonic ns; ZRT_NO_DEADLINE: none) or until
 * the net device has input; returns whether it may have. */
bool zrt_plat_idle(uint64_t deadline);
/* The image's code: [*lo, *hi) (a deadlock's report names the code
 * addresses on each thread's stack). */
void zrt_plat_text(uintptr_t *lo, uintptr_t *hi);
/* The thread pointer (the fs base on x86_64); 0 or -EINVAL. */
int zrt_plat_set_tls(uintptr_t tp);
/* System calls entered so far (sys.c): the number of the call in
 * progress, by which a file system that frees the nodes nothing holds
 * keeps those the call found (lfsfs.c). */
extern uint64_t zrt_sys_calls;

/* The block device `name` of the manifest: its handle, capacity and
 * block size (bytes); 0 or -ENODEV. */
int zrt_plat_block_open(const char *name, uint64_t *handle, uint64_t *capacity,
                        uint64_t *block_size);
/* Read one block: off a multiple of the block size, n the block size;
 * 0 or -EIO. */
int zrt_plat_block_read(uint64_t handle, uint64_t off, void *buf, size_t n);
/* Write one block, as zrt_plat_block_read reads one: 0 or -EIO. */
int zrt_plat_block_write(uint64_t handle, uint64_t off, const void *buf,
                         size_t n);
__attribute__((noreturn)) void zrt_plat_exit(int status);
__attribute__((noreturn)) void zrt_plat_abort(void);
/* First thing in solo5_app_main: nothing, but on hvt (plat_hvt.c, which
 * znet-image links into hvt images only) the drop to CPL 3 where the
 * hypervisor emulates CPL 0. */
void zrt_plat_enter(void);

/* ---- the console ------------------------------------------------------- */

/* One line on the console, "znet-rt: " then the format, then a newline.
 * The formatter is the runtime's own (musl's stdio takes locks and may
 * allocate): %s %c %d %i %u %ld %lu %lx %x %zu %p %%, with a width for
 * numbers (%08lx). */
void zrt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void zrt_vlog(const char *fmt, va_list ap);
/* zrt_log, then abort the image (exit status 255). */
__attribute__((noreturn, format(printf, 1, 2))) void zrt_panic(const char *fmt,
                                                               ...);

/* ---- the runtime's own memory (mem.c) ---------------------------------- */

/* n zeroed bytes for the runtime's structures; NULL when the memory is
 * spent.  zrt_kfree takes the size it was given. */
void *zrt_kalloc(size_t n);
void zrt_kfree(void *p, size_t n);

/* ---- threads (sched.c) ------------------------------------------------- */

/* The running thread's id (the main thread's is the process id, 1). */
int zrt_thread_id(void);
/* Block until zrt_io_notify() (a change any I/O waiter may be waiting
 * for), the deadline (monotonic ns), or a signal.  0 when woken, -ETIMEDOUT
 * at the deadline, -EINTR for a signal.  The caller tests its condition
 * again. */
int zrt_io_wait(uint64_t deadline);
/* The same for a wait that only another thread can end (a pipe, an
 * eventfd, a socketpair: no frame from the network can): the scheduler
 * then knows a deadlock when every thread waits so. */
int zrt_io_wait_local(uint64_t deadline);
/* Something changed that a thread in zrt_io_wait may wait for: make them
 * all runnable (they run after the caller blocks or yields). */
void zrt_io_notify(void);
/* sched_yield: run the other runnable threads once, then come back. */
void zrt_yield(void);

/* The stack's pump, which the scheduler runs when every thread is
 * blocked (before it sleeps) and at least every ZRT_PUMP_PERIOD while a
 * thread computes and makes system calls: it polls the stack (frames,
 * timers) and returns the stack's next deadline.  When the pump has run
 * and something may have changed it calls zrt_io_notify itself. */
#define ZRT_PUMP_PERIOD 10000000u /* ns */
void zrt_sched_set_pump(uint64_t (*pump)(void *ctx), void *ctx);
/* Called by zrt_syscall on every entry, with its frame (where the
 * program's call entered the runtime, for a deadlock's report): runs the pump when a period has
 * gone by without it, makes the running thread yield when it has run a
 * period without blocking, fires the timers that are due.  False while
 * the pump runs (a call from inside the stack's poll): then nothing
 * else may happen at this entry either. */
bool zrt_sched_tick(const void *entry_frame);
/* fn, once: the first time every thread waits (the scheduler is about
 * to sleep in zrt_plat_idle) after this call.  start.c's --ready-line. */
void zrt_sched_on_first_idle(void (*fn)(void));
/* Then zrt_syscall delivers the running thread's deliverable signals
 * (signal.c). */
void zrt_signal_entry(void);
/* The running thread's thread pointer (arch_prctl ARCH_SET_FS and
 * ARCH_GET_FS): recorded for the switches, and set (zrt_plat_set_tls);
 * 0 or -EINVAL. */
int zrt_sched_set_tp(uintptr_t tp);
uintptr_t zrt_sched_get_tp(void);
/* musl's __clone (rt/musl/clone.c): a thread that runs fn(arg) on
 * `stack`, with clone's flags, ptid, tls and ctid; its id or a negative
 * errno.  `floor` is the lowest byte of the stack when musl made it (NULL
 * if not known): a sentinel there is checked at each of the thread's
 * system calls and whenever it stops running, and a thread that wrote
 * over it ends the image with a line naming it (no MMU guards a stack
 * here).  musl's __unmapself
 * (rt/musl/__unmapself.c): the running thread exits, and its stack
 * [base, base+size) is unmapped once it is gone. */
long zrt_clone(int (*fn)(void *), void *arg, void *stack, unsigned long flags,
               int *ptid, uintptr_t tls, int *ctid, void *floor);
/* The most stack a thread gets when its program asks for more
 * (pthread_attr_setstacksize, rt/musl/pthread_attr_setstacksize.c): the
 * runtime's --thread-stack, 0 for no cap (the default). */
size_t zrt_thread_stack_cap(void);
void zrt_sched_set_thread_stack_cap(size_t bytes);
/* The running thread's stack is [floor, top) (start.c: the main
 * thread's): the sentinel as zrt_clone's at floor. */
void zrt_sched_set_main_stack(void *floor, void *top);
__attribute__((noreturn)) void zrt_unmapself(void *base, size_t size);
/* What the image does before it ends with `status` (exit_group, the last
 * thread's exit, a signal's default action): the hooks the layers above
 * the scheduler register (net.c drains the sockets), the newest first,
 * each once.  A hook must not block on a thread.  (sched.c) */
struct zrt_exit_hook {
  void (*fn)(int status);
  struct zrt_exit_hook *next;
};
void zrt_exit_hook_add(struct zrt_exit_hook *h);
void zrt_exit_hooks_run(int status);

/* ---- signals (signal.c) ------------------------------------------------ */

/* The running thread sends itself `sig` (EPIPE's SIGPIPE, from pipes and
 * sockets): its handler or default action runs now, inside the call,
 * unless the thread blocks it (then it pends).  Call it last, just before
 * returning the error. */
void zrt_signal_raise(int sig);
/* For a blocking call whose zrt_io_wait returned -EINTR: runs the
 * handlers of the running thread's pending signals (inside the call, as
 * Linux runs them before the call returns) and returns 1 when the call
 * should restart (every handler that ran had SA_RESTART, or none ran),
 * 0 when it should return -EINTR.  Calls that Linux never restarts
 * (poll, select, epoll_wait, waits with SO_RCVTIMEO/SO_SNDTIMEO) return
 * -EINTR whatever it says, but call it to run the handlers. */
int zrt_signal_pending_restart(void);
/* A signal sent to the image from outside it (--signal-port): delivered
 * as kill(2)'s, from the scheduler's timers (not from the caller's
 * context: a datagram's callback inside the stack's poll). */
void zrt_signal_from_host(int sig);
/* The signal a name gives: "TERM", "SIGTERM" or "15" (HUP, INT, QUIT,
 * KILL, USR1, USR2, ALRM, TERM, WINCH by name); 0 for none. */
int zrt_signal_by_name(const char *name, size_t len);

/* ---- descriptors (fd.c) ------------------------------------------------ */

struct zrt_file;

/* What a kind of open file does.  Every member may be NULL; the calls
 * then answer as Linux does for a file that cannot (read: -EINVAL,
 * lseek: -ESPIPE, ioctl: -ENOTTY, ...).  A member never blocks: one that
 * would returns -EAGAIN and the caller waits (zrt_io_wait) unless the
 * file is O_NONBLOCK; but readv, writev, sendv and recvv block as the
 * kind itself decides (a socket of libznet-posix, which keeps its own
 * O_NONBLOCK), and the descriptor table calls them as they are.  Whoever
 * changes what poll would answer calls zrt_io_notify(). */
struct zrt_file_ops {
  const char *name; /* for messages: "pipe", "tarfs", ... */
  bool vnode_priv;  /* f->priv is the vnode it was opened from (vfs.c) */
  ssize_t (*read)(struct zrt_file *f, void *buf, size_t n);
  ssize_t (*write)(struct zrt_file *f, const void *buf, size_t n);
  /* The vectors (read and write of one vector too), when the kind moves
   * them itself, waiting as it does. */
  ssize_t (*readv)(struct zrt_file *f, const struct iovec *iov, int cnt);
  ssize_t (*writev)(struct zrt_file *f, const struct iovec *iov, int cnt);
  ssize_t (*pread)(struct zrt_file *f, void *buf, size_t n, off_t off);
  ssize_t (*pwrite)(struct zrt_file *f, const void *buf, size_t n, off_t off);
  off_t (*lseek)(struct zrt_file *f, off_t off, int whence);
  int (*fstat)(struct zrt_file *f, struct stat *st);
  int (*ftruncate)(struct zrt_file *f, off_t len);
  /* fsync and fdatasync: what the file holds committed to its device
   * (0, or the error a write met).  Without it fsync answers 0 for a
   * regular file or a directory (memory: nothing to commit). */
  int (*fsync)(struct zrt_file *f);
  /* Linux's struct linux_dirent64 records, from f->pos on. */
  ssize_t (*getdents64)(struct zrt_file *f, void *buf, size_t n);
  /* ioctl and fcntl: -ENOTTY for a request the kind leaves to the
   * table (FIONBIO and FIONREAD; F_GETFL, F_SETFL and record locks on
   * f->flags).  F_DUPFD*, F_GETFD, F_SETFD, FIOCLEX, FIONCLEX never
   * reach them. */
  int (*ioctl)(struct zrt_file *f, unsigned long req, void *arg);
  long (*fcntl)(struct zrt_file *f, int cmd, long arg);
  /* The events of `events` (POLLIN, POLLOUT, ...) ready now, plus
   * POLLHUP/POLLERR as they apply. */
  short (*poll)(struct zrt_file *f, short events);
  /* A count that moves at each change a waiter on f may want (bytes in,
   * room made, a counter written, an end closed): what wakes a Linux
   * file's waiters.  Edge-triggered epoll reports each, even where the
   * file was ready before (a second write to an unread eventfd).
   * Without it, only a change of poll's answer is an edge. */
  uint32_t (*seq)(struct zrt_file *f);
  /* A kind that keeps one file per descriptor (a socket of the layer,
   * whose number is the descriptor's): *out, a new file with one
   * reference, for descriptor `newfd` (reserved), naming what f names.
   * Without it a dup shares f. */
  long (*dup)(struct zrt_file *f, int newfd, struct zrt_file **out);
  /* A descriptor naming f is closed (its number is free already); the
   * file stays until its last reference. */
  void (*fd_closed)(struct zrt_file *f);
  /* A socket of the runtime's own (a socketpair end): send, recv
   * (flags: MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_WAITALL, the
   * others -EOPNOTSUPP) and shutdown.  Any other file: -ENOTSOCK. */
  ssize_t (*sendv)(struct zrt_file *f, const struct iovec *iov, int cnt,
                   int flags);
  ssize_t (*recvv)(struct zrt_file *f, const struct iovec *iov, int cnt,
                   int flags);
  int (*shutdown)(struct zrt_file *f, int how);
  /* Such a socket's bind, getsockname and getpeername (the latter also
   * names a recv's sender); without them the socket layer answers. */
  int (*bind)(struct zrt_file *f, const struct sockaddr *sa, socklen_t len);
  int (*getsockname)(struct zrt_file *f, struct sockaddr *sa, socklen_t *len);
  int (*getpeername)(struct zrt_file *f, struct sockaddr *sa, socklen_t *len);
  /* Such a socket's type (SOCK_STREAM, ...): with it, net.c answers
   * getsockopt and setsockopt of SOL_SOCKET for the socket (its type,
   * domain, no error, the buffer sizes). */
  int (*sock_type)(struct zrt_file *f);
  /* The last reference of it is dropped. */
  void (*release)(struct zrt_file *f);
};

struct zrt_file {
  const struct zrt_file_ops *ops;
  unsigned refs;  /* descriptors that name it (dup shares it) */
  int flags;      /* O_ACCMODE bits and the status flags: O_NONBLOCK,
                     O_APPEND */
  off_t pos;      /* the file offset, where the kind has one */
  void *priv;     /* the kind's own */
};

/* A new open file of `ops` with one reference (zrt_kalloc). */
struct zrt_file *zrt_file_new(const struct zrt_file_ops *ops, int flags,
                              void *priv);
/* The lowest free descriptor >= min, naming f (which it now holds a
 * reference of); -EMFILE. */
int zrt_fd_install(struct zrt_file *f, int min, bool cloexec);
/* RLIMIT_NOFILE's soft limit now n (proc.c's setrlimit): new
 * descriptors, dup2's and F_DUPFD's numbers stay below it (capped at
 * ZRT_FD_MAX). */
void zrt_fd_set_limit(unsigned long n);
/* The file fd names (borrowed), or NULL (not open). */
struct zrt_file *zrt_fd_file(int fd);
/* A new reference on the file fd names (NULL: not open). */
struct zrt_file *zrt_fd_get(int fd);
/* Drop a reference: release at the last. */
void zrt_file_put(struct zrt_file *f);

/* ---- the descriptor table's limits and readiness (fd.c) -------------- */

/* The table has ZRT_FD_MAX descriptors (FD_SETSIZE; RLIMIT_NOFILE). */
#define ZRT_FD_MAX 1024
/* The most vectors a call takes (Linux's UIO_MAXIOV). */
#define ZRT_IOV_MAX 1024

/* A file's readiness for poll/select/epoll: the events of `events`
 * ready, POLLHUP/POLLERR as they apply; POLLNVAL if fd names no file. */
short zrt_fd_poll(int fd, short events);
/* Close descriptor fd, whatever it names: 0, -EBADF. */
long zrt_fd_close(int fd);

/* mmap of a file (mem.c): fill dst with len bytes of fd's file from
 * offset off (zeroes past its end), the copy every mapping of a file is;
 * len or -EBADF, -EACCES (not open for reading), -ENODEV (a pipe, a
 * socket, a directory: nothing to map).  shmap.c keeps a MAP_SHARED
 * one the file's (written back, kept equal to the file's writes). */
long zrt_file_mmap_copy(int fd, void *dst, size_t len, off_t off);
/* Start-up: mem.c's mappings of files through shmap.c. */
void zrt_shmap_start(void);

/* (init.c) The program's constructors, musl's _init and .init_array,
 * each called with (argc, argv, envp) as glibc calls them: an image's
 * start calls it just before main, a Linux run's where musl would. */
void zrt_run_constructors(int argc, char **argv, char **envp);

/* ---- start-up of the files (start.c calls these, in this order) ------- */

/* Descriptors 0, 1, 2 on the console: 0 reads end-of-file, 1 and 2
 * write with zrt_plat_console. */
void zrt_fd_init_console(void);
/* (mount.c) /etc/NAME served read-only with `text` (copied) when the root archive
 * has no such file: hosts, resolv.conf, passwd, group, ... */
void zrt_mount_etc(const char *name, const char *text);
/* Mount the tar archive of block device `blockdev` at /, then memfs at
 * /tmp, devfs at /dev and the small /proc.  0, or -errno after a
 * zrt_log line naming what was wrong (no such device, unreadable); the
 * image then has an empty root with /tmp, /dev and /proc.  A NULL
 * `blockdev`: that empty root, quietly (-ENODEV). */
int zrt_mount_root(const char *blockdev);
/* The same with the tar archive of `len` bytes at `data` (the image's
 * own, znet-image --root) as the root. */
int zrt_mount_root_archive(const void *data, size_t len);
/* A writable in-memory tree at `path` (made if missing), bounded by
 * `budget` bytes (0: a quarter of zrt_kalloc_avail() now). */
int zrt_mount_memfs(const char *path, size_t budget);
/* The same over a directory of the tree, holding a copy of what is
 * there (the archive's files, directories and symlinks, with their
 * modes and times) made before it covers it (--writable).  -ENOENT,
 * -ENOTDIR, or -ENOSPC when the copy does not fit the budget (the
 * directory stays the archive's then). */
int zrt_mount_memfs_copy(const char *path, size_t budget);
/* Block device `device`'s file system (libznet-rt-lfs: a littlefs, made
 * on a blank disk) at `path` (--mount PATH=DEVICE).  -ENOSYS: the image
 * has no libznet-rt-lfs (znet-image --volume links it); -ENODEV: no
 * such device; -EINVAL: none this runtime reads (a zrt_log line says
 * why); -ENOMEM. */
int zrt_mount_disk(const char *path, const char *device);
/* The tar archive on block device `device` as a read-only tree at
 * `path` (--tar PATH=DEVICE: files the host hands the image, a
 * ConfigMap's).  -ENODEV: no such device; what a damaged archive holds
 * before the damage is mounted, with a zrt_log line. */
int zrt_mount_tar(const char *path, const char *device);

/* ---- exports (export.c) ------------------------------------------------ */

/* --export DIR: at the image's end DIR's tree is written, as a tar
 * archive, onto the block device znet-image --export declared.  Called
 * at start: 0, or -ENODEV (the image declares no such device, or the
 * tender gave none), -ENOMEM. */
int zrt_export_at_exit(const char *dir);

/* ---- what the files use from other modules ---------------------------- */

/* n random bytes of the generator (getrandom, /dev/urandom, tarfs's
 * hash seed): random.c. */
void zrt_random(void *buf, size_t n);
/* (zrt_signal_raise, above: SIGPIPE on a broken pipe.) */
/* The bytes zrt_kalloc could still give (memfs's default budget, tarfs's
 * block cache): mem.c. */
size_t zrt_kalloc_avail(void);

#endif /* ZN_RT_H */
