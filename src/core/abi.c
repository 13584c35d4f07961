/*
 * The layout values a program and the library must agree on (ZN_ABI_MAP,
 * znet/stack.h).  zn_stack_create() is inline, compiled into the program,
 * and hands the library the values the program saw; they are compared
 * here with the library's own, so a program built with another
 * ZN_BUF_CB_SIZE (say) is refused with ZN_EABI before it could read and
 * write buffers of a size it does not know.  The technique is zlib's
 * (deflateInit passes ZLIB_VERSION and sizeof(z_stream)).
 */
#include "core/stack_int.h"
#include "znet/err.h"

/* The layout values must hold a frame: a frame of ZN_DEFAULT_MTU with its
 * Ethernet header and a VLAN tag fits a frame buffer after the headroom. */
_Static_assert(ZN_BUF_SIZE - ZN_BUF_HEADROOM >= ZN_DEFAULT_MTU + 14 + 4,
               "ZN_BUF_SIZE cannot hold ZN_BUF_HEADROOM and a frame of "
               "ZN_DEFAULT_MTU");

static void log_mismatch(const struct zn_config *cfg, const char *what,
                         uint32_t prog, uint32_t lib) {
  char line[200];
  if (!cfg || !cfg->log || ZN_LOG_ERROR > cfg->log_level)
    return;
  zn__fmt(line, sizeof(line),
          "znet: %s is %u in the program, %u in the library: build the "
          "program with pkg-config --cflags znet",
          what, prog, lib);
  cfg->log(cfg->log_ctx, ZN_LOG_ERROR, line);
}

int zn__abi_check(const struct zn_config *cfg, const struct zn_abi *abi) {
  const struct zn_abi lib = zn_abi_current();
  /* The program's struct zn_abi or struct zn_config is laid out
   * otherwise (other headers): neither the rest of *abi nor cfg's log
   * fields can be read. */
  if (abi->size != lib.size ||
      abi->config_struct_size != lib.config_struct_size)
    return ZN_EABI;
  int rc = ZN_OK;
#define ZN_ABI_CHECK_(field, value)                                           \
  if (abi->field != lib.field) {                                              \
    log_mismatch(cfg, #value, abi->field, lib.field);                         \
    rc = ZN_EABI;                                                             \
  }
  ZN_ABI_MAP(ZN_ABI_CHECK_)
#undef ZN_ABI_CHECK_
  return rc;
}
