/** \file
 * Logging.  The core formats nothing through libc: it hands finished lines
 * to a callback the application installs (znet/stack.h, struct zn_config).
 */
#ifndef ZNET_LOG_H
#define ZNET_LOG_H

enum zn_log_level {
  ZN_LOG_ERROR = 0,
  ZN_LOG_WARN = 1,
  ZN_LOG_INFO = 2,
  ZN_LOG_DEBUG = 3,
  ZN_LOG_TRACE = 4,
};

/** Called with one complete line (no trailing newline), NUL-terminated. */
typedef void (*zn_log_fn)(void *ctx, int level, const char *line);

/** "error", "warn", "info", "debug", "trace"; "?" otherwise. */
const char *zn_log_level_name(int level);

/** Parse a level name as above; returns the level or -1. */
int zn_log_level_parse(const char *name);

#endif /* ZNET_LOG_H */
