/*
 * A module of the stack, as the assembly (src/assembly) and the core's
 * poll see it: one descriptor each, beside the module's code, named
 * zn__<name>_module, listed once in src/modules.h.
 *
 * The assembly walks the table in its order (every module after those it
 * calls): config_default and config_ok for zn_config_default() and
 * zn_stack_mem_size(); for zn_stack_create() it carves each module's
 * state (state_size bytes, zeroed, reached as ZN__MOD(st, name)), then
 * calls init, which carves the module's tables (mem_size bytes) and
 * registers its handlers in the tables of the modules below it (the
 * Ethernet type table, the transports' table, the listeners of ARP);
 * zn_stack_destroy() calls destroy in the reverse order.  The core
 * calls start once, at the first poll; poll_end at the end of every poll;
 * config_changed and addr_event when the stack's configuration or
 * addresses change.  Any hook may be NULL.
 */
#ifndef ZN_CORE_MODULE_INT_H
#define ZN_CORE_MODULE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"

struct zn__module {
  const char *name;
  uint8_t id;                 /* slot: ZN__MOD_<name> */
  uint32_t needs;             /* slots (bits) of the modules it calls: the
                                 assembly refuses a table without them */
  size_t state_size;          /* bytes of its state */
  /* The configuration's fields it owns: defaults, and their check. */
  void (*config_default)(struct zn_config *cfg);
  bool (*config_ok)(const struct zn_config *cfg);
  /* Bytes its init carves beyond the state (zn__carve_size of each). */
  size_t (*mem_size)(const struct zn_config *cfg);
  void (*init)(struct zn_stack *st, void **mem);
  void (*start)(struct zn_stack *st);
  void (*poll_end)(struct zn_stack *st);
  void (*config_changed)(struct zn_stack *st);
  void (*addr_event)(struct zn_stack *st, enum zn_addr_event ev,
                     const struct zn_ip *addr, uint8_t prefix);
  void (*destroy)(struct zn_stack *st);
};

#define ZN__MOD_BIT(name) (1u << ZN__MOD_##name)

#endif
