/*
 * Names of glibc's own that programs compiled against glibc's ABI call
 * and musl does not define.  Rust's standard library for
 * x86_64-unknown-linux-gnu (the only target Debian's rustc ships) is
 * such a program: znet-cc links it against the image's musl, and these
 * are all it finds missing (docs/UNIKERNEL.md, "Programs built for
 * glibc", says why the rest of that ABI is musl's on x86_64).
 *
 * gnu_get_libc_version answers 2.36, the glibc of Debian 12, whose
 * compilers build such objects.  Rust asks it only to learn whether a
 * failed name lookup must be followed by res_init (glibc before 2.26
 * did not reread resolv.conf); musl's resolver rereads it on every
 * lookup, so "2.36" (no res_init needed) is the answer that is true of
 * this runtime's behaviour.
 */
/* musl's (not through <resolv.h>: glibc's names it __res_init). */
int res_init(void);
const char *gnu_get_libc_version(void);
const char *gnu_get_libc_release(void);
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
int __res_init(void);

const char *gnu_get_libc_version(void)
{
	return "2.36";
}

const char *gnu_get_libc_release(void)
{
	return "stable";
}

/* glibc's res_init under the name its <resolv.h> gives it. */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
int __res_init(void)
{
	return res_init();
}
