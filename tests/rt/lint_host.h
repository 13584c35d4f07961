/*
 * What musl declares and glibc does not, for zrt_lint_host
 * (tests/rt/meson.build): rt/'s image-only files compiled against the
 * host's headers, for the compilers' warnings and scripts/lint.
 */
#ifndef ZN_TESTS_RT_LINT_HOST_H
#define ZN_TESTS_RT_LINT_HOST_H

/* musl's <getopt.h> (BSD): set to restart getopt (rt/start.c). */
extern int optreset;

#endif
