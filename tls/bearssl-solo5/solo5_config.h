/*
 * BearSSL's compile-time options (the macros of its src/config.h) for
 * the Solo5 images.  tls/bearssl-solo5/meson.build force-includes this
 * file (-include) before each of BearSSL's sources, so that BearSSL's
 * own autodetection in src/inner.h, which skips a macro already defined,
 * takes these.  Consumers of <bearssl.h> do not need it: the public
 * headers do not depend on these options.
 */
#ifndef ZN_BEARSSL_SOLO5_CONFIG_H
#define ZN_BEARSSL_SOLO5_CONFIG_H

/* No operating system asked for entropy or the time.  inner.h would turn
 * /dev/urandom and time() on from __linux__, which the images' compiler
 * (the host's, against libznet-rt's musl) defines, and the runtime would
 * answer them; but libznet-tls gives every engine its entropy itself
 * (br_ssl_engine_inject_entropy, from znet's seed) and X.509 validation
 * the time (br_x509_minimal_set_time, from the tender's wall clock), so
 * the seeder would be a second path beside znet's, never taken.  So
 * br_prng_seeder_system() is NULL.  BR_USE_GETENTROPY is for BearSSL
 * after 0.6. */
#define BR_USE_URANDOM 0
#define BR_USE_GETENTROPY 0
#define BR_USE_WIN32_RAND 0
#define BR_USE_UNIX_TIME 0
#define BR_USE_WIN32_TIME 0

/* RDRAND as a seeder: off, for the same reason (znet's seed is RDSEED,
 * RDRAND or clock jitter: rt/random.c). */
#define BR_RDRAND 0

/* Not a POWER8. */
#define BR_POWER8 0

/* AES-NI with PCLMULQDQ (aes_x86ni, ghash_pclmul) and SSE2 (chacha20_sse2)
 * are used after a CPUID check: the images are built with SSE (musl
 * needs it).  Should a build ever undefine __SSE2__ (-mgeneral-regs-only),
 * they are left out rather than compiled under their own target
 * attributes: what is left is constant-time portable code (aes_ct64,
 * ghash_ctmul64, chacha20_ct, poly1305_ctmulq). */
#if !defined(__SSE2__)
#define BR_AES_X86NI 0
#define BR_SSE2 0
#endif

#endif /* ZN_BEARSSL_SOLO5_CONFIG_H */
