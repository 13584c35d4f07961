/** \file
 * znet error codes.
 *
 * One table, ZN_ERR_MAP, gives the enum, the names and the messages.  ZN_OK
 * is 0, every failure is negative.  There is no global errno: functions
 * return these codes directly.
 */
#ifndef ZNET_ERR_H
#define ZNET_ERR_H

#define ZN_ERR_MAP(X)                                                         \
  X(OK, 0, "success")                                                         \
  X(EINVAL, -1, "invalid argument")                                           \
  X(ENOMEM, -2, "out of memory (pool or table exhausted)")                    \
  X(EAGAIN, -3, "resource temporarily unavailable")                           \
  X(ENOBUFS, -4, "no buffer space available")                                 \
  X(EMSGSIZE, -5, "message too long")                                         \
  X(EHOSTUNREACH, -6, "host is unreachable")                                  \
  X(ENETUNREACH, -7, "network is unreachable")                                \
  X(ETIMEDOUT, -8, "operation timed out")                                     \
  X(ECONNREFUSED, -9, "connection refused")                                   \
  X(ECONNRESET, -10, "connection reset by peer")                              \
  X(ECONNABORTED, -11, "connection aborted")                                  \
  X(EADDRINUSE, -12, "address already in use")                                \
  X(EADDRNOTAVAIL, -13, "address not available")                              \
  X(ENOTCONN, -14, "not connected")                                           \
  X(EISCONN, -15, "already connected")                                        \
  X(EALREADY, -16, "operation already in progress")                           \
  X(EINPROGRESS, -17, "operation in progress")                                \
  X(ECLOSED, -18, "handle is closing or closed")                              \
  X(EPIPE, -19, "broken pipe (sending side shut down)")                       \
  X(ENOTSUP, -20, "operation not supported")                                  \
  X(EPROTO, -21, "protocol error")                                            \
  X(EMALFORMED, -22, "malformed packet")                                      \
  X(ETRUNCATED, -23, "packet truncated")                                      \
  X(ECHECKSUM, -24, "bad checksum")                                           \
  X(ENOENT, -25, "no such entry")                                             \
  X(EEXIST, -26, "entry exists")                                              \
  X(ERANGE, -27, "value out of range")                                        \
  X(EIO, -28, "I/O error in the network interface")                          \
  X(ENODEV, -29, "no such device")                                            \
  X(EPERM, -30, "operation not permitted")                                    \
  X(EOF, -31, "end of input")                                                 \
  X(ENAMETOOLONG, -32, "name too long")                                       \
  X(ENOSPC, -33, "no space in the destination")                              \
  X(ETLS, -34, "TLS failure (zn_tls_error() says which)")                   \
  X(EACCES, -35, "permission denied")                                         \
  X(EISDIR, -36, "is a directory")                                           \
  X(EABI, -37, "library and program built with other znet/config.h values")

enum zn_err {
#define ZN_ERR_ENUM_(name, val, msg) ZN_##name = (val),
  ZN_ERR_MAP(ZN_ERR_ENUM_)
#undef ZN_ERR_ENUM_
};

/** The message for an error code; "unknown error" for a value not in the
 * table.  Never NULL. */
const char *zn_strerror(int err);

/** The code's name without the ZN_ prefix ("EAGAIN"); "UNKNOWN" otherwise. */
const char *zn_err_name(int err);

#endif /* ZNET_ERR_H */
