/*
 * Logging from a module: ZN_LOG(st, level, fmt, ...) formats and hands
 * the line to the application's log callback (zn__log, core/log.c) only
 * if the stack has one and the level passes, so a line that is not
 * logged costs a test.
 */
#ifndef ZN_CORE_LOG_INT_H
#define ZN_CORE_LOG_INT_H

#include "core/stack_int.h"

#define ZN_LOG(st, lvl, ...)                                                  \
  do {                                                                        \
    if ((st)->cfg.log && (lvl) <= (st)->cfg.log_level)                        \
      zn__log((st), (lvl), __VA_ARGS__);                                      \
  } while (0)

#endif
