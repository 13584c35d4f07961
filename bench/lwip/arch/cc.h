/*
 * lwIP's platform header for the benchmark comparator: a Linux process,
 * single-threaded.  Only the C library; no system network header.
 */
#ifndef ZNB_LWIP_ARCH_CC_H
#define ZNB_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    printf x;                 \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                         \
  do {                                                                  \
    fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", x,       \
            __FILE__, __LINE__);                                        \
    abort();                                                            \
  } while (0)
#define LWIP_RAND() ((u32_t)random())

#endif /* ZNB_LWIP_ARCH_CC_H */
