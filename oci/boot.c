/* znet-boot: the entry point of a znet OCI image under an ordinary
 * container runtime (runc, crun: docs/DEPLOY.md).  A static Linux
 * program, pid 1 of the container, that gives the container's network
 * to the unikernel and runs it:
 *
 *   1. reads the container's interface (eth0, or its only Ethernet one):
 *      IPv4 address and prefix, default gateway, MAC, a global IPv6
 *      address and IPv6 default gateway if it has them, and
 *      /etc/resolv.conf's nameservers;
 *   2. makes /dev/net/tun if the runtime did not (mknod c 10 200: runc's
 *      built-in device rules allow it, and CAP_MKNOD is in containerd's
 *      and Docker's default capabilities), then a TAP, joined to the
 *      interface by tc (boot_net.c says why tc), and takes the
 *      interface's addresses away: they are the unikernel's;
 *   3. runs the tender, solo5-spt, on the TAP with the interface's MAC,
 *      the image (and a root archive, if the layer has one) from /znet,
 *      the network flags and the image's own words after them;
 *   4. passes SIGTERM, SIGINT and SIGHUP on: to the image's
 *      --signal-port (ZNET_SIGNAL_PORT), as a datagram from the gateway
 *      put on the TAP, so the program ends as on the signal and the
 *      image syncs its disks, or else to the tender (which dies of it);
 *      when the tender ends, fsyncs each disk file, removes the TAP and
 *      the tc filters, gives the interface its
 *      addresses and routes back (a Kubernetes pod's network outlives
 *      its container: a restarted one finds it as it was) and exits with
 *      the tender's status (128 + N for signal N), saying it.
 *
 *   znet-boot [--print] [WORD...]
 *
 * WORDs: the image's command line after the network flags (the
 * runtime's flags, znet's, "--" and the program's arguments).  --print
 * prints the tender's command line, changes nothing and exits.
 *
 * The container's environment is the program's: each variable but
 * ZNET_'s and HOSTNAME (the image's --hostname is the container's host
 * name) goes to the image as --env NAME=VALUE, before the WORDs.
 *
 * The image's memory (the tender's --mem) is the container's memory
 * limit (cgroup v2's memory.max, v1's memory.limit_in_bytes) less
 * TENDER_RESERVE_MIB and the archives of ZNET_FILES; without a limit,
 * ZNET_MEM.  An image given less than ZNET_MEM_MIN does not start: it
 * says what limit it needs.
 *
 * The environment: ZNET_MEM (MiB for --mem without a memory limit,
 * default 128), ZNET_MEM_MIN (the least MiB the image runs in: znet-oci
 * writes it), ZNET_BLOCK (the
 * block device the image declares, default rootfs: /znet/root.tar is
 * attached as it when that file exists), ZNET_DIR (default /znet: the
 * tender solo5-spt, the image "image" and root.tar), ZNET_VOLUMES (the
 * image's disks: words NAME:DIR[:SIZE], each the image's device NAME
 * (znet-image --volume NAME) on the file DIR/NAME.disk, made blank of
 * SIZE (default 1G) when missing, and mounted in the image at DIR: a
 * PersistentVolumeClaim's mount is DIR in the container and in the
 * image), ZNET_FILES (words NAME:DIR: the container's directory DIR, a
 * ConfigMap's or a Secret's mount, as it is at the start, packed as a
 * tar archive in memory (a memfd the tender opens as /proc/self/fd/N:
 * the container's root may be read-only or have no /tmp) onto the
 * image's device NAME and mounted read-only in the image at DIR),
 * ZNET_SIGNAL_PORT (the image's --signal-port; default 9
 * with disks, else none; 0: none).
 *
 * Needs CAP_NET_ADMIN and /dev/net/tun (or CAP_MKNOD to make it): each
 * missing one is said in one line. */
#include "boot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MEM_MIB 128u
/* After a stop signal is passed on, the tender has this long before
 * SIGKILL (solo5-spt dies of SIGTERM at once; this is for a tender that
 * would not). */
#define STOP_GRACE_S 10
/* /etc/resolv.conf read up to this much: a resolver reads no more. */
#define RESOLV_MAX 65536
/* The tender's words besides the image's own and the environment's
 * (and two for each disk and each archive of files). */
#define OWN_WORDS (16 + 4 * BOOT_MAX_VOLUMES)
/* Under a memory limit, what is not the image's: the tender's own pages
 * and its page tables, znet-boot's (the files' archives are counted
 * apart, by their size). */
#define TENDER_RESERVE_MIB 8u
/* Solo5's spt passes the guest at most this many bytes of command line
 * (SPT_CMDLINE_SIZE less its NUL): the image's path's successors joined
 * by single spaces. */
#define GUEST_LINE_MAX 8191u
/* The cgroup files that say the container's memory limit: v2's, then
 * v1's (as runc mounts the container's own cgroup in it). */
static const char *const mem_limit_files[] = {
    "/sys/fs/cgroup/memory.max",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
};
/* The image's --signal-port when it has disks and ZNET_SIGNAL_PORT says
 * none: the discard port. */
#define DEFAULT_SIGNAL_PORT 9
#define WORD_MAX 512

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  (void)fputs("znet-boot: ", stderr);
  (void)vfprintf(stderr, fmt, ap);
  (void)fputc('\n', stderr);
  va_end(ap);
}

static bool has_net_admin(void) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3,
                                       .pid = 0};
  struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
  memset(d, 0, sizeof(d));
  if (syscall(SYS_capget, &h, d) != 0)
    return true; /* cannot tell: the first request will */
  return (d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

/* /dev/net/tun, made if absent.  0, or -1 said. */
static int ensure_tun(void) {
  struct stat st;
  if (stat("/dev/net/tun", &st) == 0 && S_ISCHR(st.st_mode))
    return 0;
  if (mkdir("/dev/net", 0755) != 0 && errno != EEXIST) {
    say("no /dev/net/tun, and /dev/net cannot be made (%s): give the "
        "container the device /dev/net/tun",
        strerror(errno));
    return -1;
  }
  if (mknod("/dev/net/tun", S_IFCHR | 0666, makedev(10, 200)) != 0) {
    say("no /dev/net/tun, and it cannot be made (%s: CAP_MKNOD and the "
        "device cgroup's c 10:200 m are needed): give the container the "
        "device /dev/net/tun",
        strerror(errno));
    return -1;
  }
  return 0;
}

/* The file's first RESOLV_MAX bytes into buf; their count, 0 if none. */
static size_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  size_t n = 0;
  if (fd < 0)
    return 0;
  /* Each turn reads at least a byte or ends the loop. */
  while (n < cap) {
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    n += (size_t)r;
  }
  (void)close(fd);
  return n;
}

/* The tender's words, built. */
struct argv_b {
  char **w;
  int n;
  int cap;
  int guest_from; /* the first word after the image's path */
};

/* A word of the caller's (malloc'd) added; false, freed, if no room. */
static bool add_owned(struct argv_b *a, char *w) {
  if (!w || a->n + 1 >= a->cap) {
    free(w);
    return false;
  }
  a->w[a->n] = w;
  a->w[++a->n] = NULL;
  return true;
}

static bool add(struct argv_b *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool add(struct argv_b *a, const char *fmt, ...) {
  char buf[WORD_MAX];
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (k < 0 || (size_t)k >= sizeof(buf) || a->n + 1 >= a->cap)
    return false;
  a->w[a->n] = strdup(buf);
  if (!a->w[a->n])
    return false;
  a->w[++a->n] = NULL;
  return true;
}

struct settings {
  const char *dir;
  const char *block;
  unsigned mem;
  unsigned mem_min;     /* ZNET_MEM_MIN; 0: none said */
  bool print;
  struct boot_volume volumes[BOOT_MAX_VOLUMES];
  int nvolumes;
  struct boot_volume files[BOOT_MAX_VOLUMES]; /* ZNET_FILES (no size) */
  int files_fd[BOOT_MAX_VOLUMES]; /* each one's archive (pack_files) */
  int nfiles;
  unsigned signal_port; /* the image's --signal-port; 0: none */
};

/* ZNET_VOLUMES (words NAME:DIR[:SIZE]) or ZNET_FILES (NAME:DIR), blanks
 * or commas between, into v (*n of them).  0, or -1 said. */
static int read_volumes(struct boot_volume *vols, int *nvols, const char *env,
                        const char *text) {
  const char *p = text;
  while (*p) {
    size_t skip = strspn(p, " ,\t\n");
    p += skip;
    size_t n = strcspn(p, " ,\t\n");
    if (n == 0)
      break;
    if (*nvols == BOOT_MAX_VOLUMES) {
      say("%s: more than %d", env, BOOT_MAX_VOLUMES);
      return -1;
    }
    struct boot_volume *v = &vols[*nvols];
    if (!boot_parse_volume(p, n, v)) {
      say("%s: %.*s: not NAME:DIR[:SIZE] (NAME the image's device, DIR "
          "absolute, SIZE 64K..16T)",
          env, (int)n, p);
      return -1;
    }
    for (int i = 0; i < *nvols; i++)
      if (strcmp(vols[i].name, v->name) == 0 ||
          strcmp(vols[i].dir, v->dir) == 0) {
        say("%s: %s named twice", env, v->name);
        return -1;
      }
    (*nvols)++;
    p += n;
  }
  return 0;
}

static int read_settings(struct settings *s) {
  const char *m = getenv("ZNET_MEM");
  s->dir = getenv("ZNET_DIR");
  s->block = getenv("ZNET_BLOCK");
  s->mem = DEFAULT_MEM_MIB;
  if (!s->dir || !*s->dir)
    s->dir = "/znet";
  if (!s->block || !*s->block)
    s->block = "rootfs";
  if (m && *m && !boot_parse_mem(m, &s->mem)) {
    say("ZNET_MEM=%s: not a number of MiB in 1..65536", m);
    return -1;
  }
  const char *mm = getenv("ZNET_MEM_MIN");
  if (mm && *mm && !boot_parse_mem(mm, &s->mem_min)) {
    say("ZNET_MEM_MIN=%s: not a number of MiB in 1..65536", mm);
    return -1;
  }
  const char *vols = getenv("ZNET_VOLUMES");
  const char *fls = getenv("ZNET_FILES");
  if ((vols && read_volumes(s->volumes, &s->nvolumes, "ZNET_VOLUMES",
                            vols) != 0) ||
      (fls && read_volumes(s->files, &s->nfiles, "ZNET_FILES", fls) != 0))
    return -1;
  const char *sp = getenv("ZNET_SIGNAL_PORT");
  s->signal_port = s->nvolumes > 0 ? DEFAULT_SIGNAL_PORT : 0;
  if (sp && *sp) {
    char *end;
    unsigned long v = strtoul(sp, &end, 10);
    if (*end || v > 65535) {
      say("ZNET_SIGNAL_PORT=%s: not a port (0: none)", sp);
      return -1;
    }
    s->signal_port = (unsigned)v;
  }
  for (const char *p = s->block; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9')) ||
        p - s->block >= 63) {
      say("ZNET_BLOCK=%s: a Solo5 device name is 1..63 letters and digits",
          s->block);
      return -1;
    }
  return 0;
}

/* The network's flags for the image: --ipv4, --gateway, --ipv6,
 * --ipv6-gateway, --dns, --hostname. */
static bool net_words(struct argv_b *a, const struct boot_net *net) {
  char t[INET6_ADDRSTRLEN];
  char dns[BOOT_MAX_DNS][INET6_ADDRSTRLEN];
  static char resolv[RESOLV_MAX];
  struct utsname u;
  if (net->has_addr4 &&
      (!inet_ntop(AF_INET, &net->addr4.local, t, sizeof(t)) ||
       !add(a, "--ipv4=%s/%u", t, net->addr4.prefix)))
    return false;
  if (net->has_addr4 && net->has_gateway &&
      (!inet_ntop(AF_INET, &net->gateway, t, sizeof(t)) ||
       !add(a, "--gateway=%s", t)))
    return false;
  if (net->has_addr6 &&
      (!inet_ntop(AF_INET6, &net->addr6.addr, t, sizeof(t)) ||
       !add(a, "--ipv6=%s/%u", t, net->addr6.prefix)))
    return false;
  if (net->has_addr6 && net->has_gateway6 &&
      (!inet_ntop(AF_INET6, &net->gateway6, t, sizeof(t)) ||
       !add(a, "--ipv6-gateway=%s", t)))
    return false;
  size_t rl = read_small("/etc/resolv.conf", resolv, sizeof(resolv));
  int nd = boot_parse_resolv(resolv, rl, dns);
  for (int i = 0; i < nd; i++)
    if (!add(a, "--dns=%s", dns[i]))
      return false;
  if (uname(&u) == 0 && boot_hostname_ok(u.nodename) &&
      !add(a, "--hostname=%s", u.nodename))
    return false;
  return true;
}

extern char **environ;

/* A variable of the container's environment that is not the program's:
 * znet-boot's own settings, and the host name (--hostname has it). */
static bool env_not_programs(const char *e) {
  return strncmp(e, "ZNET_", 5) == 0 || strncmp(e, "HOSTNAME=", 9) == 0 ||
         !strchr(e, '=') || e[0] == '=';
}

/* The container's environment as the image's --env words, quoted as the
 * image splits words. */
static bool env_words(struct argv_b *a) {
  for (char **e = environ; e && *e; e++) {
    if (env_not_programs(*e))
      continue;
    size_t cap = 7 + 4 * strlen(*e) + 3;
    char *w = malloc(cap);
    if (!w)
      return false;
    memcpy(w, "--env=", 6);
    if (boot_quote_word(*e, w + 6, cap - 6) == 0) {
      free(w);
      return false;
    }
    if (!add_owned(a, w))
      return false;
  }
  return true;
}

/* How many variables env_words may add. */
static int env_count(void) {
  int n = 0;
  for (char **e = environ; e && *e; e++)
    n++;
  return n;
}

/* The bytes the tender passes the guest: the words after the image's
 * path, joined by single spaces. */
static size_t guest_line_len(const struct argv_b *a) {
  size_t n = 0;
  for (int i = a->guest_from; i < a->n; i++)
    n += strlen(a->w[i]) + (i > a->guest_from ? 1 : 0);
  return n;
}

/* The tender's whole command line into a; false if it does not fit. */
static bool tender_words(struct argv_b *a, const struct settings *s,
                         const struct boot_net *net, char **words,
                         int nwords) {
  const uint8_t *m = net->link.mac;
  char root[WORD_MAX];
  struct stat st;
  int k = snprintf(root, sizeof(root), "%s/root.tar", s->dir);
  /* A root archive in the layer is the block device's content; an image
   * with its root inside (znet-image --root) comes without one. */
  bool has_root = k > 0 && (size_t)k < sizeof(root) && stat(root, &st) == 0 &&
                  S_ISREG(st.st_mode);
  if (!add(a, "%s/solo5-spt", s->dir) || !add(a, "--mem=%u", s->mem) ||
      !add(a, "--net:service=%s", BOOT_TAP) ||
      !add(a, "--net-mac:service=%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
           m[2], m[3], m[4], m[5]) ||
      (has_root && !add(a, "--block:%s=%s", s->block, root)))
    return false;
  for (int i = 0; i < s->nvolumes; i++)
    if (!add(a, "--block:%s=%s/%s.disk", s->volumes[i].name,
             s->volumes[i].dir, s->volumes[i].name))
      return false;
  for (int i = 0; i < s->nfiles; i++)
    if (!add(a, "--block:%s=/proc/self/fd/%d", s->files[i].name,
             s->files_fd[i]))
      return false;
  if (!add(a, "%s/image", s->dir))
    return false;
  a->guest_from = a->n;
  if (!net_words(a, net) || !env_words(a))
    return false;
  /* The image's runtime flags: each disk mounted where the container
   * has it; the port a stop comes to. */
  for (int i = 0; i < s->nvolumes; i++)
    if (!add(a, "--mount=%s=%s", s->volumes[i].dir, s->volumes[i].name))
      return false;
  for (int i = 0; i < s->nfiles; i++)
    if (!add(a, "--tar=%s=%s", s->files[i].dir, s->files[i].name))
      return false;
  if (s->signal_port && !add(a, "--signal-port=%u", s->signal_port))
    return false;
  for (int i = 0; i < nwords; i++)
    if (!add(a, "%s", words[i]))
      return false;
  return true;
}

/* The tender, started; its pid, or -1 said. */
static pid_t start_tender(char **argv, const sigset_t *old) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    say("fork: %s", strerror(errno));
    return -1;
  }
  if (pid > 0)
    return pid;
  /* The child: the tender dies with znet-boot, whatever kills it. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
    _exit(127);
  (void)sigprocmask(SIG_SETMASK, old, NULL);
  execv(argv[0], argv);
  say("%s: %s", argv[0], strerror(errno));
  _exit(127);
}

/* How a stop reaches the image: as a signal's name to its --signal-port
 * (the image ends as the program does on that signal, its disks synced),
 * which needs the port, the image's IPv4 address and a gateway to send
 * from; else the signal to the tender, which dies of it at once. */
struct stop_way {
  int tap_ifindex;
  const struct boot_net *net;
  unsigned port;
};

static const char *sig_word(int sig) {
  return sig == SIGTERM ? "TERM" : sig == SIGINT ? "INT" : "HUP";
}

/* The stop passed on: true if it went to the image's port. */
static bool pass_stop(const struct stop_way *w, pid_t child, int sig) {
  if (w->port && w->net->has_addr4 && w->net->has_gateway) {
    uint8_t frame[128];
    size_t n = boot_signal_frame(frame, sizeof(frame), w->net->link.mac,
                                 w->net->gateway, w->net->addr4.local,
                                 (uint16_t)w->port, sig_word(sig));
    int e = n ? boot_signal_send(w->tap_ifindex, frame, n) : -EMSGSIZE;
    if (e == 0) {
      say("%s sent to the image's port %u", sig_word(sig), w->port);
      return true;
    }
    say("SIG%s to the image's port %u: %s: to the tender instead",
        sig_word(sig), w->port, strerror(-e));
  }
  (void)kill(child, sig);
  return false;
}

/* Waits for the tender, passing stop signals on; its wait status. */
static int supervise(pid_t child, const sigset_t *set,
                     const struct stop_way *way) {
  int status = 0;
  bool stopping = false;
  struct timespec grace = {.tv_sec = STOP_GRACE_S, .tv_nsec = 0};
  for (;;) {
    siginfo_t si;
    int sig = stopping ? sigtimedwait(set, &si, &grace) : sigwaitinfo(set, &si);
    if (sig < 0 && errno == EAGAIN) {
      say("the tender outlived its stop signal by %d s: SIGKILL",
          STOP_GRACE_S);
      (void)kill(child, SIGKILL);
      stopping = false;
      continue;
    }
    if (sig < 0)
      continue; /* EINTR */
    if (sig != SIGCHLD) {
      /* One stop to the image (a second would be a program's "you
       * insist": redis exits at once on it); any later one goes to the
       * tender. */
      if (stopping)
        (void)kill(child, sig);
      else
        (void)pass_stop(way, child, sig);
      stopping = true;
      continue;
    }
    /* Reap every child (as pid 1, orphans come to us too); the tender's
     * status is the one that counts. */
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
      if (p == child)
        return status;
  }
}

static int net_setup(struct boot_nl *nl, struct boot_net *net) {
  const char *why = NULL;
  int e = boot_nl_open(nl);
  if (e == 0)
    e = boot_net_read(nl, net, &why);
  if (e != 0) {
    say("%s: %s", why ? why : "rtnetlink", strerror(-e));
    return -1;
  }
  if (!net->has_addr4 && !net->has_addr6) {
    say("%s has no address to give the unikernel", net->link.name);
    return -1;
  }
  if (net->naddr4 > 1)
    say("%s has %d IPv4 addresses: the unikernel takes the first",
        net->link.name, net->naddr4);
  if (net->routes_left_out > 0)
    say("%s has more than %d routes: %d will not be put back", net->link.name,
        BOOT_MAX_ROUTES, net->routes_left_out);
  if (net->link.mtu != 0 && net->link.mtu < 1500)
    say("%s's MTU is %u: the unikernel sends frames of 1500 bytes, which "
        "it will drop",
        net->link.name, net->link.mtu);
  return 0;
}

static void print_words(char **w) {
  for (int i = 0; w[i]; i++)
    (void)printf("%s%s", i ? " " : "", w[i]);
  (void)printf("\n");
}

/* From the join to the end: the tender run, the network given back. */
/* Each disk file made where missing: a blank one of its size (the image
 * formats it at its first mount).  0, or -1 said. */
static int make_disks(const struct settings *s) {
  for (int i = 0; i < s->nvolumes; i++) {
    const struct boot_volume *v = &s->volumes[i];
    char path[WORD_MAX];
    struct stat st;
    (void)snprintf(path, sizeof(path), "%s/%s.disk", v->dir, v->name);
    if (stat(v->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      say("ZNET_VOLUMES: %s: no such directory (the volume's mount)", v->dir);
      return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
      if (stat(path, &st) == 0)
        say("%s: the disk %s, %lld bytes", path, v->name,
            (long long)st.st_size);
      continue;
    }
    if (fd < 0 || ftruncate(fd, (off_t)v->bytes) != 0 || fsync(fd) != 0) {
      say("%s: %s", path, strerror(errno));
      if (fd >= 0)
        (void)close(fd);
      return -1;
    }
    (void)close(fd);
    say("%s: the disk %s made, %llu bytes (blank: the image formats it)",
        path, v->name, (unsigned long long)v->bytes);
  }
  return 0;
}

/* Each ZNET_FILES directory as an archive the image mounts read-only,
 * in a memfd the tender inherits (not close-on-exec).  0, or -1 said. */
static int pack_files(struct settings *s) {
  for (int i = 0; i < s->nfiles; i++) {
    char name[80];
    unsigned left = 0;
    (void)snprintf(name, sizeof(name), "znet-files-%s", s->files[i].name);
    int fd = (int)syscall(SYS_memfd_create, name, 0u);
    if (fd < 0) {
      say("ZNET_FILES: %s: memfd_create: %s", s->files[i].dir,
          strerror(errno));
      return -1;
    }
    s->files_fd[i] = fd;
    int e = boot_tar_dir(s->files[i].dir, fd, &left);
    if (e != 0) {
      say("ZNET_FILES: %s: %s", s->files[i].dir, strerror(-e));
      return -1;
    }
    if (left)
      say("ZNET_FILES: %s: %u entries left out (a name over 255 bytes, a "
          "link's target over 100, not a file, a directory or a link)",
          s->files[i].dir, left);
  }
  return 0;
}

/* The container's memory limit in bytes, BOOT_MEM_UNLIMITED if it has
 * none (or no cgroup file says it). */
static uint64_t mem_limit(void) {
  char text[64];
  for (size_t i = 0; i < sizeof(mem_limit_files) / sizeof(*mem_limit_files);
       i++) {
    uint64_t v;
    size_t n = read_small(mem_limit_files[i], text, sizeof(text));
    if (n > 0 && boot_parse_mem_limit(text, n, &v))
      return v;
  }
  return BOOT_MEM_UNLIMITED;
}

/* The image's memory: the limit's share, else ZNET_MEM; held to
 * ZNET_MEM_MIN.  0, or -1 said. */
static int choose_mem(struct settings *s) {
  uint64_t limit = mem_limit();
  uint64_t reserve = (uint64_t)TENDER_RESERVE_MIB << 20;
  struct stat st;
  for (int i = 0; i < s->nfiles; i++)
    if (fstat(s->files_fd[i], &st) == 0)
      reserve += (uint64_t)st.st_size;
  unsigned long long reserve_mib = (reserve + (1u << 20) - 1) >> 20;
  if (limit != BOOT_MEM_UNLIMITED) {
    s->mem = boot_mem_under_limit(limit, reserve);
    say("the container's memory limit, %llu MiB, leaves the image %u MiB "
        "(%llu for the tender and the files)",
        (unsigned long long)(limit >> 20), s->mem, reserve_mib);
  }
  if (s->mem > 0 && s->mem >= s->mem_min)
    return 0;
  if (limit != BOOT_MEM_UNLIMITED)
    say("the image needs %u MiB (ZNET_MEM_MIN), and a memory limit of %llu "
        "MiB leaves it %u: give the container a limit of %llu MiB or more",
        s->mem_min, (unsigned long long)(limit >> 20), s->mem,
        s->mem_min + reserve_mib);
  else
    say("the image needs %u MiB (ZNET_MEM_MIN), and ZNET_MEM gives it %u",
        s->mem_min, s->mem);
  return -1;
}

/* After the tender: each disk file's bytes on the host's disk. */
static void sync_disks(const struct settings *s) {
  for (int i = 0; i < s->nvolumes; i++) {
    char path[WORD_MAX];
    (void)snprintf(path, sizeof(path), "%s/%s.disk", s->volumes[i].dir,
                   s->volumes[i].name);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
      say("%s: fsync: %s", path, strerror(errno));
    else
      say("%s: synced", path);
    if (fd >= 0)
      (void)close(fd);
  }
}

static int run(struct boot_nl *nl, const struct boot_net *net, char **argv,
               int tap_ifindex, const struct settings *s) {
  const char *tap_name = BOOT_TAP;
  sigset_t set;
  sigset_t old;
  int e = boot_join(nl, net->link.ifindex, tap_ifindex);
  if (e != 0) {
    say("tc between %s and %s: %s", net->link.name, tap_name, strerror(-e));
    (void)boot_unjoin(nl, net->link.ifindex);
    (void)boot_tap_remove(nl, tap_ifindex);
    return 125;
  }
  if ((e = boot_unaddr(nl, net)) != 0)
    say("taking %s's address away: %s", net->link.name, strerror(-e));
  (void)sigemptyset(&set);
  (void)sigaddset(&set, SIGTERM);
  (void)sigaddset(&set, SIGINT);
  (void)sigaddset(&set, SIGHUP);
  (void)sigaddset(&set, SIGCHLD);
  (void)sigprocmask(SIG_BLOCK, &set, &old);
  pid_t child = start_tender(argv, &old);
  struct stop_way way = {tap_ifindex, net, s->signal_port};
  int status =
      child > 0 ? supervise(child, &set, &way) : W_EXITCODE(125, 0);
  sync_disks(s);
  if ((e = boot_unjoin(nl, net->link.ifindex)) != 0)
    say("removing %s's tc filter: %s", net->link.name, strerror(-e));
  if ((e = boot_tap_remove(nl, tap_ifindex)) != 0)
    say("removing %s: %s", tap_name, strerror(-e));
  if ((e = boot_restore(nl, net)) != 0)
    say("giving %s its address back: %s", net->link.name, strerror(-e));
  if (WIFSIGNALED(status)) {
    say("the tender ended by signal %d (%s); %s, its filters gone, %s's "
        "address back",
        WTERMSIG(status), strsignal(WTERMSIG(status)), tap_name,
        net->link.name);
    return 128 + WTERMSIG(status);
  }
  say("the tender exited with status %d; %s, its filters gone, %s's "
      "address back",
      WEXITSTATUS(status), tap_name, net->link.name);
  return WEXITSTATUS(status);
}

int main(int argc, char **argv) {
  struct settings s;
  struct boot_nl nl = {.fd = -1, .seq = 0};
  static struct boot_net net;
  struct argv_b a;
  int tap_ifindex = 0;
  int first = 1;
  memset(&s, 0, sizeof(s));
  if (argc > 1 && strcmp(argv[1], "--print") == 0) {
    s.print = true;
    first = 2;
  }
  if (read_settings(&s) != 0)
    return 125;
  if (!s.print && !has_net_admin()) {
    say("needs CAP_NET_ADMIN (a TAP and tc filters in the container's "
        "network namespace): add it to the container's capabilities");
    return 125;
  }
  if (pack_files(&s) != 0 || choose_mem(&s) != 0 ||
      net_setup(&nl, &net) != 0)
    return 125;
  a.cap = OWN_WORDS + env_count() + (argc - first) + 1;
  a.n = 0;
  a.guest_from = 0;
  a.w = calloc((size_t)a.cap, sizeof(*a.w));
  if (!a.w || !tender_words(&a, &s, &net, argv + first, argc - first)) {
    say("the tender's command line does not fit (a word over %d bytes?)",
        WORD_MAX - 1);
    return 125;
  }
  if (guest_line_len(&a) > GUEST_LINE_MAX) {
    say("the image's command line would be %zu bytes, and Solo5 passes "
        "%u: the environment's variables and the arguments are too many "
        "(a Pod's enableServiceLinks: false drops Kubernetes' service "
        "variables)",
        guest_line_len(&a), GUEST_LINE_MAX);
    return 125;
  }
  if (s.print) {
    print_words(a.w);
    return 0;
  }
  if (access(a.w[0], X_OK) != 0) {
    say("%s: %s", a.w[0], strerror(errno));
    return 125;
  }
  if (ensure_tun() != 0 || make_disks(&s) != 0)
    return 125;
  int e = boot_tap_make(&tap_ifindex);
  if (e != 0) {
    say("a TAP on /dev/net/tun: %s%s", strerror(-e),
        e == -EPERM ? " (the device cgroup must allow c 10:200 rw)" : "");
    if (tap_ifindex > 0)
      (void)boot_tap_remove(&nl, tap_ifindex);
    return 125;
  }
  int rc = run(&nl, &net, a.w, tap_ifindex, &s);
  boot_nl_close(&nl);
  return rc;
}
