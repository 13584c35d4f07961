/*
 * The image's start (Solo5's bindings call solo5_app_main): memory, the
 * generator, the command line, and then musl's own start
 * (__libc_start_main), as a Linux kernel would start the program, with
 * the image's runtime coming up in between (zrt_start_main) before the
 * program's main().
 *
 * Command line: the tender's words after the image, joined by single
 * spaces (solo5-spt --net:service=tap0 --block:rootfs=root.tar
 * redis.spt --ipv4=10.0.0.2/24 -- --port 6379).  They are split as a
 * shell splits words, without expansions: blanks separate, '...' keeps
 * everything literally, "..." keeps all but \" and \\, a backslash
 * outside quotes keeps the next character ("--save ''" passes an empty
 * word).  Before "--": the runtime's flags (--env NAME=VALUE, --cwd DIR,
 * --hostname NAME, --tmpfs PATH, --writable PATH, --mount PATH=DEVICE,
 * --tar PATH=DEVICE, --export DIR, --dns ADDR, --thread-stack SIZE,
 * --host-loopback, --signal-port PORT, --ready-line;
 * opts below) and znet's
 * (--ipv4,
 * --gateway, --dhcp, ...; rt/net.c); after it the program's own, with
 * the program's name as argv[0].  A command line with no "--" word gets
 * the image's default words after one (znet-image --args: the script an
 * interpreter's image runs), so the tender's flags alone start it.
 *
 * Memory: Solo5 hands over one region with the initial stack at its
 * top; the top STACK_RESERVE bytes stay the main thread's stack, the rest
 * is rt/mem.c's.
 *
 * Program headers: Solo5's images are linked without their program
 * headers in memory, and its linker script puts .tdata in a load segment
 * of its own, so what reads them through AT_PHDR (musl's TLS set-up,
 * dl_iterate_phdr) would find nothing.  The runtime makes those readers
 * want from the linker script's symbols (rt/image-lds, which edits
 * Solo5's script): PT_TLS for musl; the code and read-only data as
 * PT_LOAD and the .eh_frame_hdr table as PT_GNU_EH_FRAME, with which an
 * unwinder (libunwind's, for C++'s exceptions) finds a frame's entry.
 */
#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <solo5.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "proc.h"
#include "random.h"
#include "rt.h"
#include "net.h"
#include "sys_gen.h"

#define STACK_RESERVE ((uintptr_t)1 << 20)
#define MAX_WORDS 1024
#define MAX_ENV 256
#define MAX_TMPFS 16
#define MAX_DNS 3
#define ETC_TEXT_MAX 1024
#define LINE_MAX_BYTES 8192

/* The linker script's (rt/image-lds).
 * NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
extern char _stdata[], _ltdata[], _ltbss[], zrt_tls_align[];
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
extern char _stext[], _erodata[];
extern char zrt_eh_frame_hdr_start[], zrt_eh_frame_hdr_end[];
/* znet-image's: the program's name, and the words after "--" when the
 * command line has none (--args; empty without). */
extern const char zrt_image_name[];
extern const char zrt_default_args[];
/* Where the root is (znet-image): the archive inside the image, if it
 * has bytes, else the block device named, if any. */
extern const char zrt_root_device[];
extern const unsigned char zrt_root_archive[], zrt_root_archive_end[];

int main(int argc, char **argv, char **envp);
/* musl's entry (its name is the C library's to take):
 * NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
int __libc_start_main(int (*)(int, char **, char **), int, char **,
                      void (*)(void), void (*)(void), void (*)(void));

/* The runtime's own flags (the words before "--"). */
static struct {
  char *env[MAX_ENV];        /* --env NAME=VALUE */
  char *tmpfs[MAX_TMPFS];    /* --tmpfs PATH: more writable trees than /tmp */
  char *writable[MAX_TMPFS]; /* --writable PATH: the archive's, in memory */
  char *mount[MAX_TMPFS];    /* --mount PATH=DEVICE: a disk's file system */
  char *tar[MAX_TMPFS];      /* --tar PATH=DEVICE: a tar archive's tree */
  const char *export_dir;    /* --export DIR */
  const char *dns[MAX_DNS];  /* --dns ADDR: /etc/resolv.conf's nameservers */
  const char *cwd;           /* --cwd DIR */
  const char *hostname;      /* --hostname NAME */
  size_t stack_size;         /* the main thread's stack */
  size_t thread_stack;       /* --thread-stack: the most a thread gets; 0 none */
  int nenv, ntmpfs, nwritable, nmount, ntar, ndns; /* how many of each */
  unsigned signal_port;      /* --signal-port PORT; 0: none */
  bool host_loopback;        /* --host-loopback */
  bool ready_line;           /* --ready-line */
  uint8_t seed[32];          /* for the stack's generator */
} opts;
/* PT_TLS, PT_LOAD of the code, PT_GNU_EH_FRAME if the image has one. */
static Elf64_Phdr phdrs[3];
static size_t nphdrs;
static uint8_t at_random[16];
static char line[LINE_MAX_BYTES];
/* The strings of argv and then of envp, one after the other, writable,
 * as Linux lays them out on a new process's stack: programs write into
 * them (setproctitle, redis's among them, reuses the whole area). */
static char strings[2 * LINE_MAX_BYTES];
/* argv, NULL, envp, NULL, auxv pairs, AT_NULL: what a kernel puts on a
 * new process's stack. */
static char *vec[MAX_WORDS + 1 + MAX_ENV + 1 + 2 * 8];
static const char *default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root", "TERM=dumb", "LANG=C.UTF-8",
};

/* ---- the command line --------------------------------------------------- */

/* The word at *pp into out (in place: out never passes *pp); false at the
 * end of the line.  Quotes as the file's comment says. */
static bool next_word(char **pp, char **out) {
  char *p = *pp;
  while (*p == ' ' || *p == '\t' || *p == '\n')
    p++;
  if (*p == '\0')
    return false;
  char *w = p, *o = p;
  char quote = 0;
  for (; *p; p++) {
    if (quote == '\'') {
      if (*p == '\'')
        quote = 0;
      else
        *o++ = *p;
    } else if (quote == '"') {
      if (*p == '"')
        quote = 0;
      else if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
        *o++ = *++p;
      else
        *o++ = *p;
    } else if (*p == '\'' || *p == '"') {
      quote = *p;
    } else if (*p == '\\' && p[1]) {
      *o++ = *++p;
    } else if (*p == ' ' || *p == '\t' || *p == '\n') {
      p++;
      break;
    } else {
      *o++ = *p;
    }
  }
  if (quote)
    zrt_panic("the command line has an unclosed %c", quote);
  *pp = p;
  *o = '\0';
  *out = w;
  return true;
}

/* "--NAME=VALUE" or "--NAME VALUE": the value, and how many words it
 * took (0: not this flag). */
static int flag_value(char **w, int left, const char *name, char **value) {
  size_t n = strlen(name);
  if (strncmp(w[0], name, n) != 0)
    return 0;
  if (w[0][n] == '=') {
    *value = w[0] + n + 1;
    return 1;
  }
  if (w[0][n] != '\0')
    return 0;
  if (left < 2)
    zrt_panic("%s needs a value", name);
  *value = w[1];
  return 2;
}

/* "64K", "4M", "65536": bytes (K and M are 1024 and 1024 * 1024), within
 * [lo, hi], else the image stops naming the flag.  Not app/common.c's
 * zn__app_parse_size: the flags are read before musl's start, when errno
 * (which strtoull sets) has no thread pointer to live behind yet. */
static size_t size_value(const char *flag, const char *v, size_t lo, size_t hi) {
  size_t n = 0;
  const char *p = v;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (n > hi)
      break;
    n = n * 10 + (size_t)(*p - '0');
  }
  if (p != v && (*p == 'K' || *p == 'k') && p[1] == '\0' && n <= hi)
    n <<= 10, p++;
  else if (p != v && (*p == 'M' || *p == 'm') && p[1] == '\0' && n <= hi)
    n <<= 20, p++;
  if (p == v || *p != '\0' || n < lo || n > hi)
    zrt_panic("%s %s: want a size from %zuK to %zuM (K, M or bytes)", flag, v,
              lo >> 10, hi >> 20);
  return n;
}

/* The runtime's own flags out of the words before "--"; the rest stay,
 * in order.  Returns the words left. */
static int take_runtime_flags(char **w, int n) {
  int out = 0, i = 0;
  while (i < n) {
    if (strcmp(w[i], "--") == 0) {
      while (i < n)
        w[out++] = w[i++];
      break;
    }
    char *v;
    int k;
    if ((k = flag_value(&w[i], n - i, "--env", &v))) {
      if (!strchr(v, '=') || v[0] == '=')
        zrt_panic("--env %s: want NAME=VALUE", v);
      if (opts.nenv == MAX_ENV)
        zrt_panic("more than %d --env", MAX_ENV);
      opts.env[opts.nenv++] = v;
    } else if ((k = flag_value(&w[i], n - i, "--cwd", &v))) {
      opts.cwd = v;
    } else if ((k = flag_value(&w[i], n - i, "--hostname", &v))) {
      opts.hostname = v;
    } else if ((k = flag_value(&w[i], n - i, "--dns", &v))) {
      if (opts.ndns == MAX_DNS)
        zrt_panic("more than %d --dns", MAX_DNS);
      opts.dns[opts.ndns++] = v;
    } else if ((k = flag_value(&w[i], n - i, "--thread-stack", &v))) {
      opts.thread_stack = size_value("--thread-stack", v, 16u << 10, 1u << 30);
    } else if ((k = flag_value(&w[i], n - i, "--signal-port", &v))) {
      char *end;
      unsigned long port = strtoul(v, &end, 10);
      if (end == v || *end != '\0' || port == 0 || port > 65535)
        zrt_panic("--signal-port %s: want a port from 1 to 65535", v);
      opts.signal_port = (unsigned)port;
    } else if (strcmp(w[i], "--host-loopback") == 0) {
      opts.host_loopback = true;
      k = 1;
    } else if (strcmp(w[i], "--ready-line") == 0) {
      opts.ready_line = true;
      k = 1;
    } else if ((k = flag_value(&w[i], n - i, "--writable", &v))) {
      if (opts.nwritable == MAX_TMPFS)
        zrt_panic("more than %d --writable", MAX_TMPFS);
      opts.writable[opts.nwritable++] = v;
    } else if ((k = flag_value(&w[i], n - i, "--mount", &v))) {
      if (opts.nmount == MAX_TMPFS)
        zrt_panic("more than %d --mount", MAX_TMPFS);
      opts.mount[opts.nmount++] = v;
    } else if ((k = flag_value(&w[i], n - i, "--tar", &v))) {
      if (opts.ntar == MAX_TMPFS)
        zrt_panic("more than %d --tar", MAX_TMPFS);
      opts.tar[opts.ntar++] = v;
    } else if ((k = flag_value(&w[i], n - i, "--export", &v))) {
      opts.export_dir = v;
    } else if ((k = flag_value(&w[i], n - i, "--tmpfs", &v))) {
      if (opts.ntmpfs == MAX_TMPFS)
        zrt_panic("more than %d --tmpfs", MAX_TMPFS);
      opts.tmpfs[opts.ntmpfs++] = v;
    } else {
      w[out++] = w[i++];
      continue;
    }
    i += k;
  }
  return out;
}

/* An --env NAME replaces the default of that NAME. */
static bool env_given(const char *def) {
  size_t n = (size_t)(strchr(def, '=') - def) + 1;
  for (int i = 0; i < opts.nenv; i++)
    if (strncmp(opts.env[i], def, n) == 0)
      return true;
  return false;
}

/* The words of text into vec from argc on; returns the new argc. */
static int split_words(char *text, int argc) {
  char *p = text, *w;
  while (next_word(&p, &w)) {
    if (argc == MAX_WORDS)
      zrt_panic("more than %d words on the command line", MAX_WORDS - 1);
    vec[argc++] = w;
  }
  return argc;
}

static bool has_dashdash(int argc) {
  for (int i = 1; i < argc; i++)
    if (strcmp(vec[i], "--") == 0)
      return true;
  return false;
}

/* argv[0] the program's name, then the words, and the image's default
 * ones after a "--" if the line has no "--"; returns argc. */
static int split_line(const char *cmdline) {
  size_t len = strlen(cmdline), dlen = strlen(zrt_default_args);
  if (len + dlen + 5 >= sizeof(line))
    zrt_panic("the command line is longer than %zu bytes", sizeof(line) - 6);
  memcpy(line, cmdline, len + 1);
  vec[0] = (char *)(uintptr_t)zrt_image_name;
  int argc = split_words(line, 1);
  if (dlen > 0 && !has_dashdash(argc)) {
    char *defaults = line + len + 1;
    memcpy(defaults, "-- ", 3);
    memcpy(defaults + 3, zrt_default_args, dlen + 1);
    argc = split_words(defaults, argc);
  }
  return 1 + take_runtime_flags(vec + 1, argc - 1);
}

/* Copy vec[from..to) (NULL entries skipped) into `strings` at *used. */
static void pack_strings(int from, int to, size_t *used) {
  for (int i = from; i < to; i++) {
    if (!vec[i])
      continue;
    size_t n = strlen(vec[i]) + 1;
    if (n > sizeof(strings) - *used)
      zrt_panic("the command line and environment exceed %zu bytes",
                sizeof(strings));
    memcpy(strings + *used, vec[i], n);
    vec[i] = strings + *used;
    *used += n;
  }
}

/* After argv: NULL, the environment, NULL, the auxiliary vector. */
static void build_env_aux(int argc) {
  int i = argc;
  vec[i++] = NULL;
  for (size_t d = 0; d < sizeof(default_env) / sizeof(default_env[0]); d++)
    if (!env_given(default_env[d]))
      vec[i++] = (char *)(uintptr_t)default_env[d];
  for (int e = 0; e < opts.nenv; e++)
    vec[i++] = opts.env[e];
  size_t used = 0;
  pack_strings(0, i, &used);
  vec[i++] = NULL;
  const uintptr_t aux[][2] = {
      {AT_PHDR, (uintptr_t)phdrs},     {AT_PHENT, sizeof(Elf64_Phdr)},
      {AT_PHNUM, nphdrs},              {AT_PAGESZ, ZRT_PAGE},
      {AT_RANDOM, (uintptr_t)at_random}, {AT_SECURE, 0},
      {AT_EXECFN, (uintptr_t)strings}, {AT_NULL, 0},
  };
  for (size_t a = 0; a < sizeof(aux) / sizeof(aux[0]); a++) {
    vec[i++] = (char *)aux[a][0];
    vec[i++] = (char *)aux[a][1];
  }
}

static void add_phdr(uint32_t type, uint32_t flags, uintptr_t start,
                     uintptr_t filesz, uintptr_t memsz, uintptr_t align) {
  Elf64_Phdr *ph = &phdrs[nphdrs++];
  ph->p_type = type;
  ph->p_flags = flags;
  ph->p_vaddr = ph->p_paddr = start;
  ph->p_filesz = filesz;
  ph->p_memsz = memsz;
  ph->p_align = align;
}

static void make_phdrs(void) {
  add_phdr(PT_TLS, PF_R, (uintptr_t)_stdata, (uintptr_t)_ltdata,
           (uintptr_t)_ltdata + (uintptr_t)_ltbss, (uintptr_t)zrt_tls_align);
  uintptr_t text = (uintptr_t)_erodata - (uintptr_t)_stext;
  add_phdr(PT_LOAD, PF_R | PF_X, (uintptr_t)_stext, text, text, ZRT_PAGE);
  uintptr_t hdr =
      (uintptr_t)zrt_eh_frame_hdr_end - (uintptr_t)zrt_eh_frame_hdr_start;
  if (hdr > 0)
    add_phdr(PT_GNU_EH_FRAME, PF_R, (uintptr_t)zrt_eh_frame_hdr_start, hdr,
             hdr, 4);
}

/* ---- the program -------------------------------------------------------- */

/* /etc's files the archive may lack: served from the flags when it has
 * none of its own (rt/vfs.c). */
static void set_etc(void) {
  static char text[ETC_TEXT_MAX];
  const char *host = zrt_hostname();
  (void)snprintf(text, sizeof(text), "%s\n", host);
  zrt_mount_etc("hostname", text);
  (void)snprintf(text, sizeof(text),
                 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"
                 "127.0.1.1\t%s\n", host);
  zrt_mount_etc("hosts", text);
  zrt_mount_etc("passwd", "root:x:0:0:root:/root:/bin/sh\n"
                            "nobody:x:65534:65534:nobody:/nonexistent:"
                            "/usr/sbin/nologin\n");
  zrt_mount_etc("group", "root:x:0:\nnogroup:x:65534:\n");
  zrt_mount_etc("nsswitch.conf", "passwd: files\ngroup: files\n"
                                   "hosts: files dns\n");
}

/* /etc/resolv.conf: the --dns servers, else the DHCP lease's (as it was
 * at start: a later lease's servers are not followed). */
static void set_resolv_conf(void) {
  static char text[ETC_TEXT_MAX];
  size_t used = 0;
  text[0] = '\0';
  for (int i = 0; i < opts.ndns && used < sizeof(text); i++)
    used += (size_t)snprintf(text + used, sizeof(text) - used,
                             "nameserver %s\n", opts.dns[i]);
  if (opts.ndns == 0)
    zrt_net_lease_dns(text, sizeof(text));
  zrt_mount_etc("resolv.conf", text);
}

/* PATH=DEVICE of --mount or --tar split: the device's name. */
static const char *path_device(const char *flag, char *spec) {
  char *eq = strchr(spec, '=');
  if (!eq || eq == spec || eq[1] == '\0' || spec[0] != '/')
    zrt_panic("%s %s: give PATH=DEVICE, PATH absolute", flag, spec);
  *eq = '\0';
  return eq + 1;
}

/* --tar PATH=DEVICE: files the host hands the program (a ConfigMap's,
 * a Secret's), read-only; missing, they end the image. */
static void start_tar(char *spec) {
  const char *dev = path_device("--tar", spec);
  int r = zrt_mount_tar(spec, dev);
  if (r != 0)
    zrt_panic("--tar %s=%s: %s", spec, dev,
              r == -ENODEV ? "no such block device (znet-image --files "
                             "NAME, and the tender's --block:NAME=FILE)"
                           : "cannot mount it there");
}

/* --mount PATH=DEVICE.  A program that keeps its data there must not
 * run on without it: a disk that cannot be mounted ends the image, with
 * a line that says why. */
static void start_disk(char *spec) {
  const char *dev = path_device("--mount", spec);
  int r = zrt_mount_disk(spec, dev);
  if (r != 0)
    zrt_panic("--mount %s=%s: %s", spec, dev,
              r == -ENOSYS ? "the image has no file system for disks "
                             "(znet-image --volume NAME links one)"
              : r == -ENODEV ? "no such block device (znet-image --volume "
                               "NAME, and the tender's --block:NAME=FILE)"
              : r == -EINVAL ? "the disk holds no file system this runtime "
                               "reads (the line above says why)"
              : r == -ENOMEM ? "no memory for it"
                             : "cannot mount it there");
}

/* The root archive, /tmp and the other writable trees, /etc. */
static void start_files(void) {
  set_etc(); /* first: the mount makes /etc for them if need be */
  size_t archived =
      (size_t)((uintptr_t)zrt_root_archive_end - (uintptr_t)zrt_root_archive);
  if (archived > 0)
    zrt_mount_root_archive(zrt_root_archive, archived);
  else
    zrt_mount_root(zrt_root_device[0] ? zrt_root_device : NULL);
  for (int i = 0; i < opts.ntmpfs; i++)
    if (zrt_mount_memfs(opts.tmpfs[i], 0) != 0)
      zrt_log("--tmpfs %s: cannot mount it", opts.tmpfs[i]);
  if (opts.export_dir && zrt_export_at_exit(opts.export_dir) != 0)
    zrt_panic("--export %s: the image has no device for it (znet-image "
              "--export NAME, and the tender's --block:NAME=FILE)",
              opts.export_dir);
  /* A program counting on writing there would fail later and obscurely. */
  for (int i = 0; i < opts.nwritable; i++) {
    int r = zrt_mount_memfs_copy(opts.writable[i], 0);
    if (r != 0)
      zrt_panic("--writable %s: %s", opts.writable[i],
                r == -ENOSPC ? "the archive's tree does not fit in memory"
                : r == -ENOENT ? "no such directory in the root"
                : r == -ENOTDIR ? "not a directory"
                                : "cannot copy it");
  }
  for (int i = 0; i < opts.nmount; i++)
    start_disk(opts.mount[i]);
  for (int i = 0; i < opts.ntar; i++)
    start_tar(opts.tar[i]);
}

/* musl's __libc_start_main calls this (over its own, weak) where it
 * would run the program's constructors: an image runs them later, in
 * zrt_start_main (init.c says why). */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void __libc_start_init(void);
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void __libc_start_init(void) {}

/* --ready-line: a server that has set itself up (its files read, its
 * sockets listening) waits for input, so a harness waiting for this
 * line knows the program got past its start; one that exits first never
 * prints it. */
static void say_ready(void) {
  zrt_log("--ready-line: the program waits, every thread blocked");
}

/* Called by musl's __libc_start_main with the C library ready (TLS,
 * the environment): the runtime's modules, then the program's
 * constructors and its main, both with its own words (a static
 * constructor finds the root mounted and the network up). */
static int zrt_start_main(int argc, char **argv, char **envp) {
  zrt_fd_init_console();
  start_files();
  int pargc = 0;
  char **pargv = zrt_net_start(argc, argv, &pargc);
  if (opts.host_loopback)
    zrt_net_host_loopback();
  if (opts.signal_port)
    zrt_net_signal_port((uint16_t)opts.signal_port);
  set_resolv_conf();
  if (opts.cwd && zrt_sys_chdir(opts.cwd) != 0)
    zrt_log("--cwd %s: no such directory; staying in /", opts.cwd);
  /* The program's getopt starts afresh: the runtime's parse used it. */
  optind = 1;
  optreset = 1;
  if (opts.ready_line)
    zrt_sched_on_first_idle(say_ready);
  zrt_run_constructors(pargc, pargv, envp);
  return main(pargc, pargv, envp);
}

int solo5_app_main(const struct solo5_start_info *info) {
  zrt_plat_enter();
  uintptr_t top = info->heap_start + info->heap_size;
  if (info->heap_size < 2 * STACK_RESERVE)
    zrt_panic("%zu bytes of memory: give the tender more (--mem)",
              (size_t)info->heap_size);
  zrt_mem_init(info->heap_start, top - STACK_RESERVE);
  zrt_shmap_start();
  opts.stack_size = STACK_RESERVE;
  zrt_random_init(opts.seed);
  zrt_random(at_random, sizeof(at_random));
  make_phdrs();
  int argc = split_line(info->cmdline ? info->cmdline : "");
  build_env_aux(argc);
  zrt_sched_set_thread_stack_cap(opts.thread_stack);
  zrt_sched_set_main_stack((void *)(top - STACK_RESERVE), (void *)top);
  zrt_proc_init(opts.hostname, opts.stack_size);
  return __libc_start_main(zrt_start_main, argc, vec, 0, 0, 0);
}
