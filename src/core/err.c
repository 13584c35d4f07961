/* Error codes: messages and names from the one table in znet/err.h. */
#include "znet/err.h"

const char *zn_strerror(int err) {
  switch (err) {
#define ZN_ERR_MSG_(name, val, msg)                                           \
  case (val):                                                                 \
    return msg;
    ZN_ERR_MAP(ZN_ERR_MSG_)
#undef ZN_ERR_MSG_
  default:
    return "unknown error";
  }
}

const char *zn_err_name(int err) {
  switch (err) {
#define ZN_ERR_NAME_(name, val, msg)                                          \
  case (val):                                                                 \
    return #name;
    ZN_ERR_MAP(ZN_ERR_NAME_)
#undef ZN_ERR_NAME_
  default:
    return "UNKNOWN";
  }
}
