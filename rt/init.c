/*
 * The program's constructors (.init_array), called with the program's
 * (argc, argv, envp) as glibc calls them, where musl calls them with
 * none.  Code built for glibc's ABI may read them there: Rust's std for
 * x86_64-unknown-linux-gnu learns its arguments (std::env::args) in a
 * constructor of its own and nowhere else.  C and C++ constructors take
 * no parameters and ignore the three (the x86-64 calling convention
 * lets a caller pass more than a callee reads).
 *
 * musl's __libc_start_main calls __libc_start_init (a weak name of its
 * libc_start_init) once the C library is ready; each start of the
 * runtime defines it over musl's: an image's (start.c) runs nothing
 * there and calls zrt_run_constructors just before main, once the root
 * is mounted and the stack is up, with the program's own words (the
 * runtime's flags taken out); a Linux run's (linux.c) runs them there,
 * with the words the kernel passed.
 */
/* Declared in rt.h for start.c too; a Linux run's library (linux.c)
 * is built without the runtime's headers. */
void zrt_run_constructors(int argc, char **argv, char **envp);

/* musl's _init (crti.o's, or a weak empty one of its own) and the
 * linker's bounds of .init_array. */
typedef void (*zrt_ctor)(int, char **, char **);
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void _init(void);
extern const zrt_ctor __init_array_start[] __attribute__((weak, visibility("hidden")));
extern const zrt_ctor __init_array_end[] __attribute__((weak, visibility("hidden")));
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

void zrt_run_constructors(int argc, char **argv, char **envp) {
  _init();
  for (const zrt_ctor *c = __init_array_start; c < __init_array_end; c++)
    (*c)(argc, argv, envp);
}
