/*
 * The assembly of a stack from a table of modules other than the default
 * (src/assembly/assembly.c): for a host without some module, and for the
 * tests that show the others work without it.
 */
#ifndef ZN_ASSEMBLY_INT_H
#define ZN_ASSEMBLY_INT_H

#include <stddef.h>

#include "core/module_int.h"

/* zn_stack_mem_size and zn_stack_create over the n modules of tab, in
 * that order.  The table is refused (0, ZN_EINVAL) if a module appears
 * twice or before a module it needs. */
size_t zn__stack_mem_size_with(const struct zn_config *cfg,
                               const struct zn__module *const *tab, size_t n);
int zn__stack_create_with(const struct zn_config *cfg,
                          const struct zn__module *const *tab, size_t n,
                          void *mem, size_t len, struct zn_stack **out);

/* The descriptor of the module named name in the default table, or
 * NULL. */
const struct zn__module *zn__module_find(const char *name);

#endif
