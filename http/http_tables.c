/*
 * The tables of znet/http.h, each generated from its one list: methods
 * (ZN_HTTP_METHODS, RFC 9110 §9), status codes and reason phrases
 * (ZN_HTTP_STATUSES, RFC 9110 §15), the parser's errors
 * (ZN_HTTP_ERRORS) and media types by extension (ZN_HTTP_MIME_TYPES).
 */
#include <string.h>

#include "http_int.h"

/* Row 0 is ZN_HTTP_METHOD_UNKNOWN; the others follow the enum. */
#define METHOD_ROW_(name, served) {#name, sizeof(#name) - 1, (served) != 0},
static const struct {
  const char *name;
  size_t len;
  bool served;
} methods[ZN_HTTP_METHOD_COUNT] = {
    {"UNKNOWN", 7, false},
    ZN_HTTP_METHODS(METHOD_ROW_)};
#undef METHOD_ROW_

const char *zn_http_method_name(enum zn_http_method m) {
  return (unsigned)m < ZN_HTTP_METHOD_COUNT ? methods[m].name : "UNKNOWN";
}

enum zn_http_method zn_http_method_lookup(const char *p, size_t len) {
  for (unsigned m = 1; m < ZN_HTTP_METHOD_COUNT; m++)
    if (methods[m].len == len && memcmp(methods[m].name, p, len) == 0)
      return (enum zn_http_method)m;
  return ZN_HTTP_METHOD_UNKNOWN;
}

int zn_http_method_status(enum zn_http_method m) {
  if (m == ZN_HTTP_METHOD_UNKNOWN || (unsigned)m >= ZN_HTTP_METHOD_COUNT)
    return ZN_HTTP_STATUS_NOT_IMPLEMENTED;
  return methods[m].served ? 0 : ZN_HTTP_STATUS_METHOD_NOT_ALLOWED;
}

/* "GET, HEAD, ": each served method and a separator, the last cut off. */
#define ALLOW_1_(name) #name ", "
#define ALLOW_0_(name)
#define ALLOW_ITEM_(name, served) ALLOW_##served##_(name)
static const char allow[] = ZN_HTTP_METHODS(ALLOW_ITEM_);
#undef ALLOW_ITEM_
#undef ALLOW_0_
#undef ALLOW_1_

struct zn_http_str zn_http_allow(void) {
  struct zn_http_str s = {allow, sizeof(allow) - 3};
  return s;
}

static const struct {
  int code;
  const char *text;
} statuses[] = {
#define STATUS_ROW_(code, name, text) {code, text},
    ZN_HTTP_STATUSES(STATUS_ROW_)
#undef STATUS_ROW_
};

const char *zn_http_reason(int status) {
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
    if (statuses[i].code == status)
      return statuses[i].text;
  return "";
}

static const struct {
  const char *name;
  int status;
  const char *text;
} errors[ZN_HTTP_ERR_COUNT] = {
#define ERROR_ROW_(name, status, text) {#name, status, text},
    ZN_HTTP_ERRORS(ERROR_ROW_)
#undef ERROR_ROW_
};

int zn_http_error_status(enum zn_http_error e) {
  return (unsigned)e < ZN_HTTP_ERR_COUNT ? errors[e].status
                                         : ZN_HTTP_STATUS_INTERNAL_SERVER_ERROR;
}

const char *zn_http_error_name(enum zn_http_error e) {
  return (unsigned)e < ZN_HTTP_ERR_COUNT ? errors[e].name : "UNKNOWN";
}

const char *zn_http_error_text(enum zn_http_error e) {
  return (unsigned)e < ZN_HTTP_ERR_COUNT ? errors[e].text : "unknown error";
}

static const struct {
  const char *ext;
  size_t len;
  const char *type;
} mime_types[] = {
#define MIME_ROW_(ext, type) {#ext, sizeof(#ext) - 1, type},
    ZN_HTTP_MIME_TYPES(MIME_ROW_)
#undef MIME_ROW_
};

const char *zn_http_mime_type(const char *p, size_t len) {
  size_t dot = len;
  for (size_t i = len; i > 0 && p[i - 1] != '/'; i--)
    if (p[i - 1] == '.') {
      dot = i - 1;
      break;
    }
  /* No dot, or a name starting with its only dot (".htaccess"). */
  if (dot == len || dot == 0 || p[dot - 1] == '/')
    return ZN_HTTP_MIME_DEFAULT;
  const char *ext = p + dot + 1;
  size_t elen = len - dot - 1;
  for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
    if (zn__http_ieq(ext, elen, mime_types[i].ext, mime_types[i].len))
      return mime_types[i].type;
  return ZN_HTTP_MIME_DEFAULT;
}
