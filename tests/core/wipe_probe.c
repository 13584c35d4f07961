/*
 * What dead-store elimination does to a secret's clearing, seen on the
 * stack (test_wipe.c).  A function fills a local with a recognisable
 * secret, lets an opaque call read it, clears it and returns; a second
 * function called right after it from the same caller, so that its frame
 * lies where the first one's was, reads what was left there through an
 * uninitialised volatile array.  meson compiles this file at -O2 with no
 * sanitizer and no sibling calls (tests/core/meson.build), whatever the
 * build's options: an ASan frame would move the secret out of reach and
 * -O0 would keep every store.
 */
#include "wipe_probe.h"

#include <stdint.h>
#include <string.h>

#include "znet/wipe.h"

/* zn_wipe()'s own code under another name, visible here so that it is
 * inlined into its caller, as link-time optimization inlines it: then
 * only its barrier keeps the store.  Static (the definition inherits
 * the linkage declared here), so that -fPIC does not keep it out of
 * line for fear of interposition. */
static void wipe_probe_inline_copy(void *p, size_t n);
#define zn_wipe wipe_probe_inline_copy
#include "core/wipe.c" /* NOLINT: its code, to be inlined */
#undef zn_wipe

/* How far below the caller's frame the scan reaches, bytes. */
#define SCAN_LEN 4096u

/* Byte i of the secret: 64 distinct values no stack holds by chance. */
static uint8_t secret_byte(size_t i) { return (uint8_t)(0x5b + 67u * i); }

/* The opaque reader: the compiler must assume it reads all of p, so the
 * secret is really stored before the call. */
__attribute__((noinline)) static void use_secret(const uint8_t *p, size_t n) {
  __asm__ __volatile__("" : : "r"(p), "r"(n) : "memory");
}

#define LEAVE_SECRET(name, clear)                                              \
  __attribute__((noinline)) static void name(void) {                           \
    uint8_t secret[WIPE_PROBE_SECRET_LEN];                                     \
    for (size_t i = 0; i < sizeof(secret); i++)                                \
      secret[i] = secret_byte(i);                                              \
    use_secret(secret, sizeof(secret));                                        \
    clear(secret, sizeof(secret));                                             \
  }

static void *plain_memset(void *p, size_t n) { return memset(p, 0, n); }

LEAVE_SECRET(leave_memset, plain_memset)
LEAVE_SECRET(leave_zn_wipe, zn_wipe)
LEAVE_SECRET(leave_inline_copy, wipe_probe_inline_copy)

/* The longest run of secret bytes in place (byte j of the secret
 * followed by bytes j+1, j+2, ...) at and after at[0]. */
static size_t run_at(const volatile uint8_t *at, size_t room) {
  size_t best = 0;
  for (size_t j = 0; j < WIPE_PROBE_SECRET_LEN; j++) {
    size_t k = 0;
    while (k < room && j + k < WIPE_PROBE_SECRET_LEN &&
           at[k] == secret_byte(j + k)) /* NOLINT: unwritten, on purpose */
      k++;
    if (k > best)
      best = k;
  }
  return best;
}

/* Clears the stack below the caller's frame, so that no probe sees what
 * an earlier one left deeper down. */
__attribute__((noinline)) static void clear_dead_stack(void) {
  volatile uint8_t dead[SCAN_LEN + 256];
  for (size_t i = 0; i < sizeof(dead); i++)
    dead[i] = 0;
}

/* Reads the dead stack below the caller's frame: the array is never
 * written, so it holds what the previous callee left. */
__attribute__((noinline)) static size_t scan_dead_stack(void) {
  /* cppcheck-suppress unassignedVariable ; read unwritten on purpose */
  volatile uint8_t dead[SCAN_LEN];
  size_t best = 0;
  for (size_t o = 0; o < SCAN_LEN; o++) {
    size_t r = run_at(dead + o, SCAN_LEN - o);
    if (r > best)
      best = r;
  }
  return best;
}

size_t wipe_probe_memset(void) {
  clear_dead_stack();
  leave_memset();
  return scan_dead_stack();
}

size_t wipe_probe_zn_wipe(void) {
  clear_dead_stack();
  leave_zn_wipe();
  return scan_dead_stack();
}

size_t wipe_probe_zn_wipe_inlined(void) {
  clear_dead_stack();
  leave_inline_copy();
  return scan_dead_stack();
}
