/*
 * The assembly: a stack composed of its modules.  The table of modules
 * comes from the one list in src/modules.h, in its order (every module
 * after the modules it calls); zn_config_default, zn_stack_mem_size,
 * zn_stack_create and zn_stack_destroy walk it, and the core's poll
 * reaches the modules only through the descriptors placed here
 * (struct zn__module, core/module_int.h).
 *
 * zn__stack_create_with() assembles a stack from another table: a subset
 * of the modules (a host without DHCPv4, say), each module's needs
 * present before it.  A module left out leaves its slot empty and its
 * rows in the tables below it unfilled, so its traffic is dropped and
 * counted by the layer that finds no row (eth_drop_type, ip_drop_proto,
 * a UDP port unreachable).
 */
#include <string.h>

#include "assembly/assembly_int.h"
#include "core/module_int.h"
#include "core/stack_int.h"
#include "modules.h"
#include "znet/err.h"

#define ZN__MODULE_DECL(name) extern const struct zn__module zn__##name##_module;
ZN__MODULES(ZN__MODULE_DECL)
#undef ZN__MODULE_DECL

_Static_assert(ZN__MOD_COUNT <= ZN__SLOT_CORE, "more modules than slots");

/* Every module, in the order of assembly. */
static const struct zn__module *const all_modules[] = {
#define ZN__MODULE_ROW(name) &zn__##name##_module,
    ZN__MODULES(ZN__MODULE_ROW)
#undef ZN__MODULE_ROW
};

#define NMODULES (sizeof(all_modules) / sizeof(all_modules[0]))

void zn_config_default(struct zn_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  zn__core_config_default(cfg);
  for (size_t i = 0; i < NMODULES; i++)
    if (all_modules[i]->config_default)
      all_modules[i]->config_default(cfg);
}

/* The table is in order: each module once, in its own slot's range, and
 * every module it calls before it. */
static bool table_ok(const struct zn__module *const *tab, size_t n) {
  uint32_t seen = 0;
  if (n > ZN__SLOT_CORE)
    return false;
  for (size_t i = 0; i < n; i++) {
    const struct zn__module *m = tab[i];
    if (!m || m->id >= ZN__SLOT_CORE || (seen & (1u << m->id)) ||
        (m->needs & ~seen) != 0)
      return false;
    seen |= 1u << m->id;
  }
  return true;
}

static bool config_ok(const struct zn_config *cfg,
                      const struct zn__module *const *tab, size_t n) {
  if (!cfg || !zn__core_config_ok(cfg) || !table_ok(tab, n))
    return false;
  for (size_t i = 0; i < n; i++)
    if (tab[i]->config_ok && !tab[i]->config_ok(cfg))
      return false;
  return true;
}

size_t zn__stack_mem_size_with(const struct zn_config *cfg,
                               const struct zn__module *const *tab,
                               size_t n) {
  if (!config_ok(cfg, tab, n))
    return 0;
  size_t sz = zn__core_mem_size(cfg);
  for (size_t i = 0; i < n; i++) {
    sz += zn__carve_size(tab[i]->state_size);
    if (tab[i]->mem_size)
      sz += tab[i]->mem_size(cfg);
  }
  return sz;
}

int zn__stack_create_with(const struct zn_config *cfg,
                          const struct zn__module *const *tab, size_t n,
                          void *mem, size_t len, struct zn_stack **out) {
  size_t need = zn__stack_mem_size_with(cfg, tab, n);
  if (need == 0 || mem == NULL || out == NULL)
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  void *m = mem;
  struct zn_stack *st = zn__core_init(cfg, &m);
  if (!st)
    return ZN_EINVAL;
  /* Every state first, zeroed: an init may register in the table of a
   * module below it, or look up one above it that is not there. */
  for (size_t i = 0; i < n; i++) {
    const struct zn__module *mod = tab[i];
    void *s = zn__carve(&m, mod->state_size);
    memset(s, 0, mod->state_size);
    st->mod[mod->id] = mod;
    st->state[mod->id] = s;
    if (mod->poll_end)
      st->poll_end[mod->id] = mod->poll_end;
    if (mod->id >= st->nmods)
      st->nmods = mod->id + 1u;
  }
  for (size_t i = 0; i < n; i++)
    if (tab[i]->init)
      tab[i]->init(st, &m);
  *out = st;
  return ZN_OK;
}

size_t zn_stack_mem_size(const struct zn_config *cfg) {
  return zn__stack_mem_size_with(cfg, all_modules, NMODULES);
}

int zn_stack_create_abi(const struct zn_config *cfg, void *mem, size_t len,
                        struct zn_stack **out, const struct zn_abi *abi) {
  if (!abi)
    return ZN_EINVAL;
  int rc = zn__abi_check(cfg, abi);
  if (rc != ZN_OK)
    return rc;
  return zn__stack_create_with(cfg, all_modules, NMODULES, mem, len, out);
}

void zn_stack_destroy(struct zn_stack *st) {
  if (!st)
    return;
  for (uint32_t i = st->nmods; i-- > 0;) {
    const struct zn__module *m = st->mod[i];
    if (m && m->destroy)
      m->destroy(st);
  }
  zn__core_destroy(st);
}

const struct zn__module *zn__module_find(const char *name) {
  for (size_t i = 0; i < NMODULES; i++) {
    const char *a = all_modules[i]->name, *b = name;
    while (*a && *a == *b)
      a++, b++;
    if (*a == *b)
      return all_modules[i];
  }
  return NULL;
}
