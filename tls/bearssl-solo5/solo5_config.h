/*
 * BearSSL's compile-time options (the macros of its src/config.h) for
 * Solo5 unikernels.  tls/bearssl-solo5/meson.build and
 * scripts/check-freestanding --bearssl force-include this file (-include)
 * before each of BearSSL's sources, so that BearSSL's own autodetection
 * in src/inner.h, which skips a macro already defined, takes these.
 * Consumers of <bearssl.h> do not need it: the public headers do not
 * depend on these options.
 */
#ifndef ZN_BEARSSL_SOLO5_CONFIG_H
#define ZN_BEARSSL_SOLO5_CONFIG_H

/* No operating system to ask for entropy or the time.  inner.h would turn
 * /dev/urandom and time() on from __linux__, which the Solo5 toolchain
 * (the host's compiler behind a wrapper) still defines.  So
 * br_prng_seeder_system() is NULL: a TLS engine must be given entropy
 * (br_ssl_engine_inject_entropy, from znet's own seed), and X.509
 * validation the time (br_x509_minimal_set_time, from
 * solo5_clock_wall()).  BR_USE_GETENTROPY is for BearSSL after 0.6. */
#define BR_USE_URANDOM 0
#define BR_USE_GETENTROPY 0
#define BR_USE_WIN32_RAND 0
#define BR_USE_UNIX_TIME 0
#define BR_USE_WIN32_TIME 0

/* RDRAND as a seeder: off.  It would be a second entropy path beside
 * znet's (examples/solo5/rt.c: RDSEED, RDRAND, or clock jitter), with
 * its own idea of when the CPU's answer is good enough. */
#define BR_RDRAND 0

/* Not a POWER8. */
#define BR_POWER8 0

/* AES-NI with PCLMULQDQ (aes_x86ni, ghash_pclmul) and SSE2 (chacha20_sse2)
 * are used, after a CPUID check, only where the build may use vector
 * registers.  -mgeneral-regs-only (-Dsolo5_no_sse=true) undefines
 * __SSE2__; BearSSL's x86 code would otherwise still be compiled, under
 * its own target attributes, and run on a hypervisor that cannot run it.
 * What is left is constant-time portable code: aes_ct64, ghash_ctmul64,
 * chacha20_ct, poly1305_ctmulq (64x64->128 multiplies, BR_INT128, are
 * general-purpose instructions). */
#if !defined(__SSE2__)
#define BR_AES_X86NI 0
#define BR_SSE2 0
#endif

#endif /* ZN_BEARSSL_SOLO5_CONFIG_H */
