/*
 * __dso_handle: the module C++'s static destructors are registered under
 * (the compiler's __cxa_atexit(destructor, object, &__dso_handle)).  On
 * Linux the compiler driver's crtbegin.o defines it; znet-cc's and
 * znet-image's links use musl's start files, which do not.  An image, and
 * its program as a Linux process, are one module (the shared objects
 * znet-image links in are part of it and are never unloaded), so one
 * handle serves all; musl's exit runs the destructors registered under it
 * in reverse order.  Null, as crtbegin.o's is in an executable.
 */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
extern void *__dso_handle;
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void *__dso_handle = 0;
