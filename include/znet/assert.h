/** \file
 * Invariant checks: ZN_ASSERT(expr).
 *
 * An assertion states something the code itself makes true: the order of
 * a connection's send sequence space, a buffer's reference count, the
 * timer wheel's lists, a TLS session's phases.  Nothing a peer sends can
 * make one false: what hostile bytes can break is a counted drop (see
 * docs/STYLE.md, "Every byte is hostile"), never an assertion.
 *
 * Assertions are on unless NDEBUG is defined, as with <assert.h>: the
 * build defines it for --buildtype=release (meson's b_ndebug=if-release),
 * and keeps them in the default debugoptimized build and the tests'.
 * Compiled out, the expression is still type-checked (as the right
 * operand of `0 &&`, which the compiler drops) but never evaluated, so it
 * may cost something only when assertions are on; a helper called only
 * in assertions still counts as used (inside sizeof, clang would warn
 * that it is not needed).
 *
 * This header is public so that the backends (netif/) and libznet-tls,
 * which include nothing but public headers, state their invariants the
 * same way; an application may use it too.  It needs no libc.
 */
#ifndef ZNET_ASSERT_H
#define ZNET_ASSERT_H

#ifdef NDEBUG
#define ZN_ASSERT(expr) ((void)(0 && (expr)))
#else
#define ZN_ASSERT(expr)                                                       \
  ((expr) ? (void)0 : zn_assert_fail(#expr, __FILE__, __LINE__))
#endif

/** A failed assertion's handler: expr is the expression's text, file and
 * line where it stands. */
typedef void (*zn_assert_fn)(void *ctx, const char *expr, const char *file,
                             int line);

/**
 * Install fn (with ctx) as the process's handler of failed assertions;
 * NULL restores the default.  An assertion has no stack at hand, so its
 * report cannot go to a stack's log callback: the handler is
 * process-wide.  Install it before any stack runs (it is read without a
 * lock).
 *
 * The default traps at once (__builtin_trap(): SIGILL on a host, the
 * unikernel's abort under Solo5), the failing frame on top of the stack.
 * A handler reports (to stderr, to a log) and, to stop there, ends the
 * process itself.  If it returns, the code goes on past the assertion as
 * a build without assertions would: what a test that breaks an invariant
 * on purpose wants, to see the assertion fire and then the release
 * build's fallback.
 */
void zn_assert_set_handler(zn_assert_fn fn, void *ctx);

/** What ZN_ASSERT calls when expr is false: the handler, else a trap. */
void zn_assert_fail(const char *expr, const char *file, int line);

#endif /* ZNET_ASSERT_H */
