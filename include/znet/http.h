/** \file
 * HTTP/1.1 request parsing for a static-file server (RFC 9110, RFC 9112).
 *
 * The parsing layer of znet-httpd, with no socket and no server in it:
 *
 *  - the request-head parser (zn_http_head_*): request-line and header
 *    fields, fed in any pieces, into a head buffer the caller provides;
 *    what a server must refuse is an error carrying the status to answer;
 *  - the request-target as a file path (zn_http_target_path), refusing
 *    every spelling of a path traversal;
 *  - one byte range (zn_http_range_resolve), HTTP-dates
 *    (zn_http_date_parse, zn_http_date_format), entity-tags and the
 *    conditional requests of a GET (zn_http_etag_*, zn_http_not_modified,
 *    zn_http_if_range_ok);
 *  - tables: methods, status codes and reason phrases, media types by
 *    file extension, the parser's errors.
 *
 * Everything is freestanding: no allocation, nothing from libc but
 * memcpy/memmove/memset/memcmp, no clock (the functions that need the
 * time take `now`, Unix seconds).  Strings are pointer and length, never
 * NUL-terminated, except the outputs that say so.
 *
 * A typical connection:
 *
 *     struct zn_http_head h;
 *     zn_http_head_init(&h, NULL, buf, sizeof(buf));  // default limits
 *     for each piece of the stream (data, len):
 *       while (len > 0) {
 *         size_t used;
 *         enum zn_http_head_result r =
 *             zn_http_head_feed(&h, data, len, &used);
 *         data += used, len -= used;
 *         if (r == ZN_HTTP_HEAD_NEED_MORE) break;       // read more
 *         if (r == ZN_HTTP_HEAD_ERROR) {                // answer, close
 *           respond(zn_http_error_status(h.error)); close(); return;
 *         }
 *         serve(&h.req);        // the body, if any, starts at data
 *         zn_http_head_reset(&h);                       // next request
 *       }
 *
 * The choices this module makes where the RFCs leave one are listed in
 * http/README.md and at the functions below.
 */
#ifndef ZNET_HTTP_H
#define ZNET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"
#include "znet/config.h"

/** A run of bytes inside some buffer: not NUL-terminated.  p NULL means
 * absent; a present field may be empty (p set, len 0). */
struct zn_http_str {
  const char *p;
  size_t len;
};

/* ======================================================================
 * Tables
 * ==================================================================== */

/** The methods the parser recognises (RFC 9110 §9.3 and PATCH, RFC 5789),
 * as X(name, served): served is 1 for the methods a static-file server
 * implements (GET and HEAD), 0 for those it answers with 405 and an Allow
 * field.  Any other method (a valid token) is ZN_HTTP_METHOD_UNKNOWN,
 * answered with 501 (RFC 9110 §9.1).  Method names are case-sensitive. */
#define ZN_HTTP_METHODS(X)                                                     \
  X(GET, 1)                                                                    \
  X(HEAD, 1)                                                                   \
  X(POST, 0)                                                                   \
  X(PUT, 0)                                                                    \
  X(DELETE, 0)                                                                 \
  X(CONNECT, 0)                                                                \
  X(OPTIONS, 0)                                                                \
  X(TRACE, 0)                                                                  \
  X(PATCH, 0)

enum zn_http_method {
  ZN_HTTP_METHOD_UNKNOWN = 0,
#define ZN_HTTP_METHOD_ENUM_(name, served) ZN_HTTP_METHOD_##name,
  ZN_HTTP_METHODS(ZN_HTTP_METHOD_ENUM_)
#undef ZN_HTTP_METHOD_ENUM_
      ZN_HTTP_METHOD_COUNT
};

/** The method's name ("GET"); "UNKNOWN" for ZN_HTTP_METHOD_UNKNOWN and
 * any value out of range. */
const char *zn_http_method_name(enum zn_http_method m);

/** The method named by the token p[0..len) (exact, case-sensitive match),
 * or ZN_HTTP_METHOD_UNKNOWN. */
enum zn_http_method zn_http_method_lookup(const char *p, size_t len);

/** What a static-file server answers to the method: 0 if it serves it
 * (GET, HEAD), 405 (Method Not Allowed, with zn_http_allow() as the Allow
 * field) for the other recognised methods, 501 (Not Implemented) for
 * ZN_HTTP_METHOD_UNKNOWN and any value out of range. */
int zn_http_method_status(enum zn_http_method m);

/** The value of the Allow field for a 405: the served methods of
 * ZN_HTTP_METHODS, "GET, HEAD". */
struct zn_http_str zn_http_allow(void);

/** Status codes (RFC 9110 §15) as X(code, name, reason phrase). */
#define ZN_HTTP_STATUSES(X)                                                    \
  X(100, CONTINUE, "Continue")                                                 \
  X(101, SWITCHING_PROTOCOLS, "Switching Protocols")                           \
  X(200, OK, "OK")                                                             \
  X(201, CREATED, "Created")                                                   \
  X(202, ACCEPTED, "Accepted")                                                 \
  X(203, NON_AUTHORITATIVE_INFORMATION, "Non-Authoritative Information")       \
  X(204, NO_CONTENT, "No Content")                                             \
  X(205, RESET_CONTENT, "Reset Content")                                       \
  X(206, PARTIAL_CONTENT, "Partial Content")                                   \
  X(300, MULTIPLE_CHOICES, "Multiple Choices")                                 \
  X(301, MOVED_PERMANENTLY, "Moved Permanently")                               \
  X(302, FOUND, "Found")                                                       \
  X(303, SEE_OTHER, "See Other")                                               \
  X(304, NOT_MODIFIED, "Not Modified")                                         \
  X(307, TEMPORARY_REDIRECT, "Temporary Redirect")                             \
  X(308, PERMANENT_REDIRECT, "Permanent Redirect")                             \
  X(400, BAD_REQUEST, "Bad Request")                                           \
  X(401, UNAUTHORIZED, "Unauthorized")                                         \
  X(403, FORBIDDEN, "Forbidden")                                               \
  X(404, NOT_FOUND, "Not Found")                                               \
  X(405, METHOD_NOT_ALLOWED, "Method Not Allowed")                             \
  X(406, NOT_ACCEPTABLE, "Not Acceptable")                                     \
  X(408, REQUEST_TIMEOUT, "Request Timeout")                                   \
  X(409, CONFLICT, "Conflict")                                                 \
  X(410, GONE, "Gone")                                                         \
  X(411, LENGTH_REQUIRED, "Length Required")                                   \
  X(412, PRECONDITION_FAILED, "Precondition Failed")                           \
  X(413, CONTENT_TOO_LARGE, "Content Too Large")                               \
  X(414, URI_TOO_LONG, "URI Too Long")                                         \
  X(415, UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type")                     \
  X(416, RANGE_NOT_SATISFIABLE, "Range Not Satisfiable")                       \
  X(417, EXPECTATION_FAILED, "Expectation Failed")                             \
  X(421, MISDIRECTED_REQUEST, "Misdirected Request")                           \
  X(426, UPGRADE_REQUIRED, "Upgrade Required")                                 \
  X(429, TOO_MANY_REQUESTS, "Too Many Requests")                               \
  X(431, REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large")   \
  X(500, INTERNAL_SERVER_ERROR, "Internal Server Error")                       \
  X(501, NOT_IMPLEMENTED, "Not Implemented")                                   \
  X(502, BAD_GATEWAY, "Bad Gateway")                                           \
  X(503, SERVICE_UNAVAILABLE, "Service Unavailable")                           \
  X(504, GATEWAY_TIMEOUT, "Gateway Timeout")                                   \
  X(505, HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported")

enum zn_http_status {
#define ZN_HTTP_STATUS_ENUM_(code, name, text) ZN_HTTP_STATUS_##name = (code),
  ZN_HTTP_STATUSES(ZN_HTTP_STATUS_ENUM_)
#undef ZN_HTTP_STATUS_ENUM_
};

/** The reason phrase of a status code of ZN_HTTP_STATUSES ("Not Found");
 * "" (a valid, empty reason-phrase, RFC 9112 §4) for any other code.
 * Never NULL. */
const char *zn_http_reason(int status);

/** Media types by file extension, X(extension, type): the extension in
 * lower case without the dot.  Text types carry charset=utf-8. */
#define ZN_HTTP_MIME_TYPES(X)                                                  \
  X(html, "text/html; charset=utf-8")                                          \
  X(htm, "text/html; charset=utf-8")                                           \
  X(css, "text/css; charset=utf-8")                                            \
  X(js, "text/javascript; charset=utf-8")                                      \
  X(mjs, "text/javascript; charset=utf-8")                                     \
  X(json, "application/json")                                                  \
  X(txt, "text/plain; charset=utf-8")                                          \
  X(xml, "application/xml")                                                    \
  X(svg, "image/svg+xml")                                                      \
  X(png, "image/png")                                                          \
  X(jpg, "image/jpeg")                                                         \
  X(jpeg, "image/jpeg")                                                        \
  X(gif, "image/gif")                                                          \
  X(webp, "image/webp")                                                        \
  X(ico, "image/vnd.microsoft.icon")                                           \
  X(wasm, "application/wasm")                                                  \
  X(pdf, "application/pdf")                                                    \
  X(woff, "font/woff")                                                         \
  X(woff2, "font/woff2")                                                       \
  X(mp4, "video/mp4")                                                          \
  X(webm, "video/webm")                                                        \
  X(gz, "application/gzip")                                                    \
  X(zip, "application/zip")

/** The type for files without an extension of ZN_HTTP_MIME_TYPES. */
#define ZN_HTTP_MIME_DEFAULT "application/octet-stream"

/** The media type of the file path p[0..len) by its extension: what
 * follows the last '.' of the last '/'-separated segment, compared
 * ignoring ASCII case ("INDEX.HTML" is text/html).  A name without a dot,
 * or starting with its only dot (".htaccess"), or whose extension is not
 * in the table, gets ZN_HTTP_MIME_DEFAULT.  Never NULL. */
const char *zn_http_mime_type(const char *p, size_t len);

/* ======================================================================
 * The request-head parser
 *
 * Reads a request-line (RFC 9112 §3) and the header fields (§5, RFC 9110
 * §5) up to the empty line, from pieces of any size, copying them into
 * the caller's head buffer: every string of the parsed request points
 * there.  The grammar is a Ragel machine (http/http_head.rl); a byte
 * it does not allow, a limit passed or a field a server must refuse ends
 * the parse with an error of ZN_HTTP_ERRORS, which names the status to
 * answer (after which the connection is closed: its framing is lost).
 * Whatever split of a stream is fed, the outcome, the error, `used` and
 * the request are the same as for the stream fed whole.
 *
 * Choices (RFC 9112 unless named):
 *  - a line may end with LF alone (§2.2 allows it); a CR not followed by
 *    LF is an error (BARE_CR) anywhere;
 *  - empty lines before the request-line are skipped (§2.2), counted in
 *    the head's size;
 *  - exactly one SP between the request-line's parts (§3: no "whitespace
 *    word boundaries"); the target's bytes are those of RFC 3986 (pchar,
 *    "/", "?", and "[" "]" for an IP-literal), '%' followed by two hex
 *    digits; asterisk-form only with OPTIONS, authority-form only with
 *    CONNECT (§3.2);
 *  - version "HTTP/" DIGIT "." DIGIT (case-sensitive); HTTP/1.0 is 1.0,
 *    HTTP/1.2 to 1.9 are processed as 1.1 (§2.3); any other major version
 *    is 505; anything else is 400;
 *  - an unrecognised method is not an error of the parser: the head is
 *    read (its framing is needed to go on) and zn_http_method_status()
 *    says 501;
 *  - whitespace before the first field line, obs-fold (§5.2), whitespace
 *    between a field name and its colon (§5.1), a control byte (but HTAB)
 *    in a field value: 400;
 *  - Host (RFC 9110 §7.2; RFC 9112 §3.2): required in HTTP/1.1, at most
 *    one, non-empty, uri-host [":" port]; else 400.  Not required in
 *    1.0.  With an absolute-form target the server uses the target's
 *    authority (zn_http_target_path) and only checks Host;
 *  - Connection: a list of tokens (else 400); "close" and "keep-alive"
 *    decide keep_alive (§9.3);
 *  - Content-Length: digits, at most ZN_HTTP_CONTENT_LENGTH_MAX; several
 *    values (lines or a list) must all be equal (RFC 9110 §8.6); else 400;
 *  - Transfer-Encoding, whatever its value: 400 with a Content-Length
 *    (§6.3 item 3) or in HTTP/1.0 (§6.1), else 501: no transfer coding of
 *    a request body is implemented (§6.1);
 *  - Expect: "100-continue" sets expect_continue; any other expectation
 *    is 417 (RFC 9110 §10.1.1);
 *  - Range, If-Modified-Since, If-Range (singletons): kept; when repeated
 *    the value is made empty, which the helpers below treat as invalid
 *    (the Range is not applied, the date is ignored, an If-Range fails:
 *    the whole representation is sent);
 *  - If-None-Match (a list): the first line is kept, and further lines
 *    counted in if_none_match_lines; zn_http_not_modified() answers
 *    "modified" when a match could be on a line it did not see.
 * ==================================================================== */

/** Parser errors as X(name, status, text): the status to answer. */
#define ZN_HTTP_ERRORS(X)                                                      \
  X(NONE, 0, "no error")                                                       \
  X(BAD_REQUEST_LINE, 400, "malformed request-line")                           \
  X(BAD_METHOD, 400, "method is not a token")                                  \
  X(BAD_TARGET, 400, "malformed request-target")                               \
  X(BAD_TARGET_FORM, 400, "request-target form not allowed for the method")    \
  X(BAD_VERSION, 400, "malformed HTTP-version")                                \
  X(VERSION_NOT_SUPPORTED, 505, "HTTP major version other than 1")             \
  X(REQUEST_LINE_TOO_LONG, 400, "request-line too long (in the method)")       \
  X(URI_TOO_LONG, 414, "request-line too long (in the target)")                \
  X(BARE_CR, 400, "CR not followed by LF")                                     \
  X(WS_BEFORE_FIRST_FIELD, 400, "whitespace after the request-line")           \
  X(OBS_FOLD, 400, "obsolete line folding")                                    \
  X(BAD_FIELD_NAME, 400, "field name is not a token")                          \
  X(SPACE_BEFORE_COLON, 400, "whitespace between field name and colon")        \
  X(NO_COLON, 400, "field line without a colon")                               \
  X(BAD_FIELD_VALUE, 400, "control byte in a field value")                     \
  X(FIELD_TOO_LONG, 431, "field line too long")                                \
  X(TOO_MANY_FIELDS, 431, "too many field lines")                              \
  X(HEAD_TOO_LARGE, 431, "request head larger than its buffer")                \
  X(NO_HOST, 400, "HTTP/1.1 request without Host")                             \
  X(DUP_HOST, 400, "more than one Host")                                       \
  X(BAD_HOST, 400, "malformed Host")                                           \
  X(BAD_CONNECTION, 400, "Connection is not a list of tokens")                 \
  X(BAD_CONTENT_LENGTH, 400, "bad, too large or conflicting Content-Length")   \
  X(TE_WITH_CL, 400, "Transfer-Encoding with Content-Length")                  \
  X(TE_HTTP10, 400, "Transfer-Encoding in an HTTP/1.0 request")                \
  X(TE_NOT_IMPLEMENTED, 501, "Transfer-Encoding (no coding is implemented)")   \
  X(EXPECTATION, 417, "Expect other than 100-continue")

enum zn_http_error {
#define ZN_HTTP_ERROR_ENUM_(name, status, text) ZN_HTTP_ERR_##name,
  ZN_HTTP_ERRORS(ZN_HTTP_ERROR_ENUM_)
#undef ZN_HTTP_ERROR_ENUM_
      ZN_HTTP_ERR_COUNT
};

/** The status to answer for the error (400, 414, 417, 431, 501, 505); 0
 * for ZN_HTTP_ERR_NONE, 500 for a value out of range. */
int zn_http_error_status(enum zn_http_error e);

/** The error's name without the prefix ("OBS_FOLD"); "UNKNOWN" for a
 * value out of range. */
const char *zn_http_error_name(enum zn_http_error e);

/** A sentence about the error; never NULL. */
const char *zn_http_error_text(enum zn_http_error e);

/** The largest Content-Length accepted (2^63 - 1, so it fits an off_t);
 * more is BAD_CONTENT_LENGTH. */
#define ZN_HTTP_CONTENT_LENGTH_MAX 0x7fffffffffffffffull

/** The parser's limits; zn_http_limits_default() fills in the defaults of
 * znet/config.h.  Lengths exclude the line's CRLF (or LF).  The head's
 * total size is bounded by the head buffer's size instead (431 past it;
 * ZN_DEFAULT_HTTP_HEAD_MAX is the size suggested). */
struct zn_http_limits {
  uint32_t request_line_max; /**< bytes; 414 past it in the target, else
                                  400 (default 8000, RFC 9112 §3) */
  uint32_t field_line_max;   /**< bytes of one field line; 431 past it */
  uint32_t fields_max;       /**< field lines; 431 for one more */
};

/** Fill in the default limits. */
void zn_http_limits_default(struct zn_http_limits *lim);

/** The forms of request-target (RFC 9112 §3.2). */
enum zn_http_form {
  ZN_HTTP_FORM_ORIGIN,    /**< "/path?query" */
  ZN_HTTP_FORM_ABSOLUTE,  /**< "http://host/path" */
  ZN_HTTP_FORM_AUTHORITY, /**< "host:port", CONNECT only */
  ZN_HTTP_FORM_ASTERISK,  /**< "*", OPTIONS only */
};

/** A parsed request head.  Every string points into the parser's head
 * buffer and is valid until zn_http_head_reset() or _init(). */
struct zn_http_request {
  enum zn_http_method method;
  struct zn_http_str method_name; /**< the token as received */
  struct zn_http_str target;      /**< the request-target as received */
  enum zn_http_form form;
  uint8_t version_minor; /**< 0 (HTTP/1.0) or 1 (1.1 and up) */
  bool keep_alive;       /**< RFC 9112 §9.3: 1.1 without "close", or 1.0
                              with "keep-alive" and without "close" */
  bool expect_continue;  /**< Expect: 100-continue */
  bool has_content_length;
  uint64_t content_length; /**< body bytes after the head, 0 without one */
  struct zn_http_str host; /**< absent in a 1.0 request without one */
  struct zn_http_str range;
  struct zn_http_str if_none_match; /**< the first line's value */
  uint32_t if_none_match_lines;
  struct zn_http_str if_modified_since;
  struct zn_http_str if_range;
  uint32_t nfields; /**< field lines, all counted */
};

/** The outcomes of zn_http_head_feed(). */
enum zn_http_head_result {
  ZN_HTTP_HEAD_NEED_MORE = 0, /**< every byte taken; the head goes on */
  ZN_HTTP_HEAD_DONE = 1,      /**< h->req holds the request */
  ZN_HTTP_HEAD_ERROR = 2,     /**< h->error says what, and its status */
};

/** The parser.  The caller allocates it (anywhere) and never writes its
 * fields; it reads req when done and error on failure. */
struct zn_http_head {
  struct zn_http_request req; /**< valid after ZN_HTTP_HEAD_DONE */
  enum zn_http_error error;   /**< after ZN_HTTP_HEAD_ERROR */
  /* Private. */
  struct zn_http_limits lim;
  char *buf;                  /**< the caller's head buffer */
  size_t cap;                 /**< its size: the largest head */
  size_t len;                 /**< head bytes in buf */
  size_t line_len;            /**< bytes of the current line, EOL excluded */
  size_t name_off, colon_off; /**< the current field line's */
  size_t target_off;          /**< where the target starts, 0 before */
  size_t end;                 /**< the head's end (DONE) or the byte in
                                   error + 1 (ERROR), offset in buf */
  int cs;                     /**< the Ragel machine's state */
  uint8_t part;               /**< the part of the head being read */
  uint8_t major, minor;       /**< the version's digits */
  uint8_t result;             /**< enum zn_http_head_result, sticky */
  bool conn_close, conn_keep_alive, has_te;
};

/** Start a parser on the head buffer buf of cap bytes, which bounds the
 * head's size, with the limits lim (NULL: the defaults).  Errors
 * (*h then unusable): ZN_EINVAL if buf is NULL, cap is 0 or any limit
 * is 0. */
int zn_http_head_init(struct zn_http_head *h, const struct zn_http_limits *lim,
                      char *buf, size_t cap);

/** Forget the request (its strings become invalid) and wait for the next
 * one, on the same buffer and limits. */
void zn_http_head_reset(struct zn_http_head *h);

/** Take stream bytes data[0..len) (any len, 0 included).  Returns
 *  - ZN_HTTP_HEAD_NEED_MORE: all len bytes taken (*used = len);
 *  - ZN_HTTP_HEAD_DONE: the head ended after *used bytes of data; the rest
 *    of data is the request's body (req.content_length bytes) and then
 *    the next request;
 *  - ZN_HTTP_HEAD_ERROR: h->error; *used counts the bytes up to and
 *    including the one where the error was found (<= len).
 * DONE and ERROR stick: later calls take nothing (*used = 0) and return
 * the same until zn_http_head_reset(). */
enum zn_http_head_result zn_http_head_feed(struct zn_http_head *h,
                                           const void *data, size_t len,
                                           size_t *used);

/* ======================================================================
 * The target as a file path
 * ==================================================================== */

/** What zn_http_target_path() found besides the path. */
struct zn_http_path {
  size_t len;                   /**< bytes written to out, NUL excluded */
  bool dir;                     /**< the target ends in '/' (or "/."): a
                                     directory, to serve its index.html */
  struct zn_http_str authority; /**< absolute-form: "host[:port]" inside
                                     the target; absent for origin-form */
};

/** Turn a request-target t[0..len) into a clean relative file path in
 * out (cap bytes, NUL-terminated): origin-form ("/a/b?q") or absolute-form
 * with the http scheme ("http://host/a/b", scheme case-insensitive, an
 * empty path being "/"); the query is dropped; each segment is
 * percent-decoded.  The output has no leading '/' ("" for "/"), segments
 * joined by single '/', no trailing '/' (res->dir says it was there).
 * Empty segments ("//") are collapsed and "." segments dropped.  Refused,
 * with ZN_EPERM, whatever their spelling: a ".." segment (".." "%2e%2e"
 * ".%2E" ...), an encoded '/' or '\' (%2f %5c), a '\', a NUL or any
 * control byte, literal or encoded, and the bytes UTF-8 never holds
 * (0xc0, 0xc1: overlong forms such as "%c0%ae"; 0xf5-0xff).  Decoding is
 * done once ("%252e" is the name "%2e").  No output can name anything outside
 * the root it is appended to.
 * Errors (out may be partly written, *res untouched):
 *   ZN_EMALFORMED  not origin- or absolute-form, a byte not allowed in a
 *                  target, '%' without two hex digits, userinfo or a
 *                  malformed authority in absolute-form          -> 400
 *   ZN_ENOTSUP     absolute-form with a scheme other than http    -> 400
 *   ZN_EPERM       a refused segment or byte, above     -> 400 (or 404)
 *   ZN_ENOSPC      the path and its NUL do not fit cap bytes     -> 414 */
int zn_http_target_path(const char *t, size_t len, char *out, size_t cap,
                        struct zn_http_path *res);

/* ======================================================================
 * Range (RFC 9110 §14)
 * ==================================================================== */

/** How to answer a Range. */
enum zn_http_range {
  ZN_HTTP_RANGE_NONE,          /**< no usable Range: 200, the whole */
  ZN_HTTP_RANGE_PARTIAL,       /**< 206 with *first, *count */
  ZN_HTTP_RANGE_UNSATISFIABLE, /**< 416, Content-Range: bytes * / size */
};

/** Resolve the Range field value v[0..len) (v NULL: no field) against a
 * representation of size bytes.  One "bytes=" range-spec (unit
 * case-insensitive), as "a-b", "a-" or "-n": PARTIAL with the first byte
 * and the count (b beyond the end is cut to it; "-n" is the last n
 * bytes, all of them if n >= size); UNSATISFIABLE if a >= size or n is 0
 * (and for any int-range when size is 0).  Numbers of any length are
 * read exactly (a first-pos too large for 64 bits is past the end).
 * NONE, the field ignored as RFC 9110 §14.2 allows, for: another unit, a
 * malformed value, b < a, more than one range-spec (multipart/byteranges
 * is not implemented), "-n" of an empty representation (no 206 can
 * express it).  *first and *count are written for PARTIAL only. */
enum zn_http_range zn_http_range_resolve(const char *v, size_t len,
                                         uint64_t size, uint64_t *first,
                                         uint64_t *count);

/* ======================================================================
 * HTTP-date (RFC 9110 §5.6.7)
 * ==================================================================== */

/** Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT". */
#define ZN_HTTP_DATE_LEN 29

/** Parse an HTTP-date s[0..len) (nothing around it) into *t, Unix
 * seconds: IMF-fixdate, or the obsolete RFC 850 ("Sunday, 06-Nov-94
 * 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994") forms.  Names
 * are case-sensitive (%s in the grammar); the day name must be a day name
 * but is not checked against the date; the day must exist in its month
 * (leap years included); seconds go to 60 (a leap second reads as the
 * next minute's 00).  RFC 850's two-digit year is the latest year with
 * those digits at most 50 years after now's (§5.6.7).
 * Errors: ZN_EMALFORMED (*t untouched). */
int zn_http_date_parse(const char *s, size_t len, int64_t now, int64_t *t);

/** Write t (Unix seconds) as an IMF-fixdate into out: ZN_HTTP_DATE_LEN
 * characters and a NUL.  Errors: ZN_ERANGE if t is outside years
 * 0000-9999 (out untouched). */
int zn_http_date_format(int64_t t, char out[ZN_HTTP_DATE_LEN + 1]);

/* ======================================================================
 * Entity-tags and conditional GET (RFC 9110 §8.8.3, §13)
 * ==================================================================== */

/** The size of the buffer an ETag from zn_http_etag_format() needs: two
 * quotes, two 16-digit hex numbers, a '-', the NUL. */
#define ZN_HTTP_ETAG_MAX 36

/** Mark for "the resource has no modification time". */
#define ZN_HTTP_NO_MTIME INT64_MIN

/** Write a strong entity-tag made of size and mtime, "\"<size>-<mtime>\""
 * in lower-case hex (mtime's two's complement), NUL-terminated, into out
 * (cap bytes; ZN_HTTP_ETAG_MAX is always enough).  The tag changes when
 * either does; two versions of a file of one size within one second of
 * mtime share it (use zn_http_etag_hash where that matters).  Returns its
 * length, or 0 if it does not fit (out untouched). */
size_t zn_http_etag_format(uint64_t size, int64_t mtime, char *out, size_t cap);

/** Write a strong entity-tag of the n-byte content hash h, "\"<hex>\"",
 * NUL-terminated, into out (cap >= 2n + 3).  Returns its length, or 0 if
 * it does not fit or n is 0 (out untouched). */
size_t zn_http_etag_hash(const uint8_t *h, size_t n, char *out, size_t cap);

/** Whether the If-None-Match value v[0..len) matches the entity-tag
 * etag[0..etag_len) ("\"...\"" or "W/\"...\""), by weak comparison (RFC
 * 9110 §8.8.3.2: the opaque tags are equal, W/ ignored): "*" matches any
 * current representation (etag may then be NULL); list elements that are
 * not entity-tags are skipped. */
bool zn_http_etag_match(const char *v, size_t len, const char *etag,
                        size_t etag_len);

/** Whether a GET or HEAD of the representation with this etag (NULL:
 * none) and modification time (Unix seconds, or ZN_HTTP_NO_MTIME) is
 * answered 304 Not Modified (RFC 9110 §13.2.2 steps 3 and 4):
 *  - with If-None-Match: when it matches (zn_http_etag_match), but never
 *    when further If-None-Match lines went unseen and the first did not
 *    match; If-Modified-Since is then ignored;
 *  - else with If-Modified-Since: when it is one valid HTTP-date, not
 *    after now, and mtime is not after it.
 * False for any other method. */
bool zn_http_not_modified(const struct zn_http_request *req, const char *etag,
                          size_t etag_len, int64_t mtime, int64_t now);

/** Whether the Range of req may be applied (RFC 9110 §13.1.5): true
 * without If-Range; with it, true only if it is a strong entity-tag equal
 * to etag (itself strong), or an HTTP-date equal to mtime with mtime
 * before now (a date inside the current second is a weak validator,
 * §8.8.2.2).  When false, serve the whole representation (200). */
bool zn_http_if_range_ok(const struct zn_http_request *req, const char *etag,
                         size_t etag_len, int64_t mtime, int64_t now);

/* ======================================================================
 * Content sources: what the server serves
 *
 * The server asks a content source for each path; the source says where
 * the bytes are.  Two come with znet: the compiled-in bundle below
 * (zn_http_bundle_content_init, for images with no file system) and, on a
 * host, examples/httpd_files.c (files under a root, mmap'ed and cached).
 * ==================================================================== */

/** A file as a content source shows it.  The strings and the bytes stay
 * valid until the server calls the source's open() again or returns to
 * the stack (the end of the callback it was called from), unless the
 * server holds them: hold(ref) keeps every pointer of the struct valid
 * until a matching release(ref).  Both NULL: the bytes are static (a
 * bundle compiled into the image). */
struct zn_http_file {
  const uint8_t *data; /**< size bytes (may be NULL when size is 0) */
  uint64_t size;
  int64_t mtime;    /**< Unix seconds, or ZN_HTTP_NO_MTIME */
  const char *etag; /**< a strong entity-tag, quotes included
                         ("\"...\""); NULL: none */
  size_t etag_len;
  const char *type; /**< media type, NUL-terminated; NULL: the
                         server uses zn_http_mime_type() of the path */
  /** Optional: the field lines every 200 and 206 of this file carries,
   * as zn_http_file_fields() writes them, precomputed by the source (a
   * cache entry, the bundle packer) so that a hot file costs the server
   * no formatting; NULL: the server writes them for each response. */
  const char *fields;
  size_t fields_len;
  void (*hold)(void *ref);    /**< keep the file; NULL: static */
  void (*release)(void *ref); /**< let go of one hold; NULL: static */
  void *ref;
};

/** A content source: the server calls open() for the path of each
 * request it serves (GET and HEAD).  The server never writes *self. */
struct zn_http_content {
  /** Find path[0..len): a clean path relative to the root, as
   * zn_http_target_path() makes it (no leading '/', no "." or ".."
   * segment, no empty segment, no NUL inside; path[len] is a NUL), ""
   * for the root itself.  Returns ZN_OK with *f filled in (see struct
   * zn_http_file for how long it is valid), ZN_ENOENT (no such file:
   * 404), ZN_EISDIR (a directory: the server asks again for its
   * index.html), ZN_EACCES (not to be served: 403); any other error is
   * answered 500.  The source itself must refuse anything that would
   * leave its root (symbolic links out of it, on a file system). */
  int (*open)(struct zn_http_content *self, const char *path, size_t len,
              struct zn_http_file *f);
};

/** The longest field block zn_http_file_fields() writes: the media type
 * (at most ZN_HTTP_TYPE_MAX bytes), a date, an entity-tag of at most
 * ZN_HTTP_ETAG_TEXT_MAX bytes, and the field names. */
#define ZN_HTTP_TYPE_MAX 127
#define ZN_HTTP_ETAG_TEXT_MAX 130
#define ZN_HTTP_FIELDS_MAX 384

/** Write the field lines every full or partial response of f carries,
 * each ending in CRLF, into out (cap bytes, ZN_HTTP_FIELDS_MAX is
 * enough):
 *
 *     Content-Type: <f->type, or ZN_HTTP_MIME_DEFAULT when NULL>
 *     Last-Modified: <IMF-fixdate>      (when f->mtime is known)
 *     ETag: <f->etag>                   (when f has one)
 *     Accept-Ranges: bytes
 *
 * Returns the length, or 0 if it does not fit, the type is longer than
 * ZN_HTTP_TYPE_MAX or holds a control byte, or the entity-tag is longer
 * than ZN_HTTP_ETAG_TEXT_MAX or holds a byte an entity-tag may not (out
 * is then unspecified).  f->fields is not read. */
size_t zn_http_file_fields(const struct zn_http_file *f, char *out, size_t cap);

/* ======================================================================
 * The compiled-in bundle
 *
 * A directory packed at build time (meson -Dhttpd_root=DIR, the packer
 * scripts/httpd-pack) into the program: one blob of every file's bytes
 * and a table sorted by path (bytewise), searched by bisection.  For
 * Solo5 images, which have no file system; the hosted build packs
 * tests/http/www-sample for the tests.  Directories are not entries: a
 * path that is a strict prefix of entries followed by '/' is one
 * (ZN_EISDIR).
 * ==================================================================== */

/** One file of a bundle (the packer writes these). */
struct zn_http_bundle_entry {
  const char *path; /**< relative, '/'-separated, no leading '/' */
  uint32_t path_len;
  uint64_t offset; /**< into the blob */
  uint64_t size;
  int64_t mtime;      /**< Unix seconds */
  const char *etag;   /**< "\"<hex of SHA-256, 16 bytes>\"" */
  const char *type;   /**< zn_http_mime_type() of the path */
  const char *fields; /**< zn_http_file_fields() of the entry */
  uint32_t fields_len;
};

/** A bundle: entries sorted by path, strictly increasing (bytewise). */
struct zn_http_bundle {
  const struct zn_http_bundle_entry *entries;
  uint32_t n;
  const uint8_t *blob;
  uint64_t blob_len;
};

/** A content source over a bundle (static bytes: no hold needed). */
struct zn_http_bundle_content {
  struct zn_http_content content; /**< what the server is given */
  const struct zn_http_bundle *b;
};

/** Make bc a content source serving bundle b, which must outlive it.
 * Errors: ZN_EINVAL if the entries are not strictly sorted, or one lies
 * outside the blob (bc is then unusable). */
int zn_http_bundle_content_init(struct zn_http_bundle_content *bc,
                                const struct zn_http_bundle *b);

/** The entry for path[0..len), or NULL. */
const struct zn_http_bundle_entry *
zn_http_bundle_find(const struct zn_http_bundle *b, const char *path,
                    size_t len);

/* ======================================================================
 * The server (GET and HEAD of static content, RFC 9110, RFC 9112)
 *
 * Listens on a port (plain TCP) and, optionally, on a second port whose
 * connections a struct zn_stream_maker turns into streams (a zn_tls_pool
 * for HTTPS): both are served alike, written once against struct
 * zn_stream.  Per connection, any number of requests one after the
 * other or pipelined (RFC 9112 §9.3.2), answered in order.  Per
 * request, in this order:
 *
 *   1. the head parsed (above); a parser error is answered with its
 *      status (400, 414, 417, 431, 501, 505) and the connection closed;
 *   2. a body (Content-Length) of up to body_max bytes is read and
 *      dropped after the answer; a longer one is answered 413 (GET,
 *      HEAD) or with the method's own status, and the connection closed;
 *      with Expect: 100-continue the connection closes after the answer
 *      (the client may not send the body at all);
 *   3. the method: GET and HEAD are served, the other known methods get
 *      405 with Allow: GET, HEAD, unknown ones 501 (and a close: RFC
 *      9110 §9.1 does not say how such a request is framed);
 *   4. the target as a path (zn_http_target_path): malformed 400, a
 *      traversal in any spelling 400 (counted: traversal_refused), too
 *      long 414;
 *   5. the content source's open(): ENOENT 404, EACCES 403, other 500;
 *      a directory: with a trailing '/' in the target its index.html is
 *      served (404 without one: no listings); without, 301 to the same
 *      path with the '/' (Location: the cleaned path, percent-encoded,
 *      never the target as received, so "//host/dir" cannot become a
 *      redirect to another host);
 *   6. If-None-Match, else If-Modified-Since: 304 (zn_http_not_modified);
 *   7. GET with a Range (and If-Range, if any, satisfied): 206 with
 *      Content-Range, or 416 with Content-Range: bytes * / size;
 *   8. else 200; HEAD gets the header fields GET would, without a body.
 *
 * Every response has Date (from cfg.clock, formatted at most once a
 * second; none while the clock says 0) and Server: znet; files add
 * Content-Type, Content-Length, Last-Modified, ETag and Accept-Ranges;
 * errors a short text/plain body.  The connection closes after a
 * response (Connection: close in it) when the request said close, was
 * HTTP/1.0 without keep-alive, or was an error that leaves the framing
 * in doubt (400, 413, 414, 431, 501, 505, 417).  A close after a
 * response is a lingering one (RFC 9112 §9.6): our side is shut down,
 * what the client still sends is read and dropped until it closes or
 * linger_ms passes, so that a reset does not destroy the response.
 *
 * Bounds (each with its counter):
 *   - max_conns connections at once.  A connection costs its slot
 *     (zn_http_server_slot_size() bytes) while idle; a request in flight
 *     (from its first byte until its response is the stream's and no
 *     body by reference is out) also holds a request context, one of
 *     busy_max (a head buffer of head_max bytes, a response head, the
 *     pipeline_max reference records).  A connection whose request finds
 *     no context free is not read (the TCP window closes behind it) and
 *     waits in line for one (busy_waits); the line is served in order;
 *   - with every slot busy a new connection closes the oldest idle one
 *     (keep-alive waiting for a request, a TLS handshake not done, a
 *     lingering close) and takes its slot (conns_evicted_idle); else the
 *     slowest busy one (below); else it is reset (conns_refused);
 *   - with every context taken and a connection waiting for one, the
 *     slowest holder is closed and its context goes to the line;
 *   - above bufs_high buffers in the stack, a newcomer has the oldest
 *     idle connection with unread responses reset first;
 *   - a connection on the stream port for which the maker has no stream
 *     free (every TLS session taken) has the oldest idle connection of
 *     that port reset, else its slowest (below), and the maker is asked
 *     again every millisecond while that stream comes back (up to
 *     40 ms); with none to close it is reset (conns_refused_stream);
 *   - slowest means the fewest bytes of progress per second since its
 *     request started (or since it began to wait for a context): request
 *     bytes read, and, once a response waits on the client, the bytes
 *     the client acknowledged; the newcomer is never the one closed, and
 *     a connection is judged only once grace_ms have passed, so a burst
 *     of newcomers waits rather than destroying one another's requests.
 *     A slow connection is reset, counted by what was slow: its head
 *     (conns_evicted_slow_head, also a waiter not yet read), its body
 *     (conns_evicted_slow_body), or its reading of the response
 *     (conns_evicted_slow_read);
 *   - the whole head within header_timeout_ms of its first byte (of the
 *     connection's start for the first request), else the connection
 *     closes (header_timeouts): a slowloris holds a slot that long at
 *     most, and a context until a waiter needs it;
 *   - idle_timeout_ms between requests (idle_timeouts); a connection
 *     whose responses the client has not read yet (unacknowledged, or
 *     still queued) is then reset, not closed, as it is when evicted as
 *     idle: a FIN would wait behind them, with the stack's buffers;
 *   - a response the client does not read: no progress for
 *     send_timeout_ms and the connection is reset (send_timeouts);
 *   - while pipelining, requests are read only as fast as responses
 *     leave: a response waits while the stream's send buffer is full or
 *     pipeline_max bodies sent by reference are not yet released, and
 *     nothing more is read meanwhile, so the TCP window closes.
 *
 * Files go out without copies (zn_stream_write_ref, released through
 * the source's hold/release when the stream is done with them), except
 * bodies of at most copy_max bytes, which are copied into the stream
 * together with the header (one segment, one TLS record per response
 * instead of two).
 *
 * Memory: the caller's block (zn_http_server_mem_size(cfg)): the server,
 * max_conns slots, busy_max contexts, and one scratch buffer.  TCP
 * connections come from the stack's table (size it beyond max_conns:
 * closing connections stay there a while), TLS sessions from the
 * maker's pool.  A closed connection gives its slot back at once (the
 * stream finishes closing on its own), unless bodies it sent by
 * reference are still out: then when they are released.
 * ==================================================================== */

struct zn_stack;
struct zn_stream_maker;
struct zn_http_server;

/** The wall clock: Unix seconds, 0 when unknown. */
typedef uint64_t (*zn_http_clock_fn)(void *arg);

/** One request as the access log sees it. */
struct zn_http_access {
  struct zn_http_str method; /**< as received; empty (p NULL) when the
                                  request-line did not parse */
  struct zn_http_str target; /**< as received; empty likewise */
  int status;
  uint8_t version_minor; /**< 0 or 1 (1 when unknown) */
  bool stream;           /**< came on the stream port (HTTPS) */
  uint64_t bytes;        /**< header and body bytes queued */
  struct zn_ip peer;
  uint16_t peer_port;
};

/** Called once per response, when it is queued; the strings are valid
 * during the call only. */
typedef void (*zn_http_access_fn)(void *arg, const struct zn_http_access *a);

struct zn_http_server_cfg {
  /** Served on, as zn_tcp_listen() takes it: ZN_AF_NONE (zeroed) or
   * `::` any of ours of both families, `0.0.0.0` any IPv4 address. */
  struct zn_ip listen_addr;
  /** Plain HTTP; 0: none. */
  uint16_t port;
  /** Connections made into streams by stream_maker (HTTPS); 0: none. */
  uint16_t stream_port;
  /** With stream_port only. */
  struct zn_stream_maker *stream_maker;
  /** Connections at once, both ports, 1..ZN_HTTP_MAX_CONNS. */
  uint32_t max_conns;
  /** Request contexts, shared by the connections with a request in
   * flight, 1..max_conns; 0: min(max_conns, ZN_HTTP_BUSY_AUTO).  Each
   * costs about head_max + 3 KiB (zn_http_server_mem_size says exactly). */
  uint32_t busy_max;
  /** Each listener's backlog; 0: the stack's. */
  uint32_t backlog;
  /** The parser's limits. */
  struct zn_http_limits limits;
  /** Head buffer per connection, bytes (431 beyond), 256..1 MiB. */
  uint32_t head_max;
  /** Timeouts (above), each 1 or more. */
  uint32_t header_timeout_ms;
  uint32_t idle_timeout_ms;
  uint32_t send_timeout_ms;
  uint32_t linger_ms;
  /** How long a request (or a wait for a context) is left to make
   * progress before it may be judged slow and closed for another, ms,
   * 0..3600000 (0: judged at once). */
  uint32_t grace_ms;
  /** Bodies by reference in flight per connection, 1..ZN_TCP_MAX_REFS. */
  uint32_t pipeline_max;
  /** Request body bytes read and dropped (413 beyond). */
  uint32_t body_max;
  /** Bodies up to this are copied (0: none), at most 1 MiB. */
  uint32_t copy_max;
  /** While the stack holds more than this many buffers
   * (zn_stack_bufs_in_use()), each new connection first has the oldest
   * idle connection whose responses are still unread reset
   * (conns_evicted_slow_read): slow readers cannot keep the stack's
   * buffers from the newcomers.  0: never; set it below the share of
   * the pool TCP may fill (three quarters by default), say half. */
  uint32_t bufs_high;
  /** HTTP Strict Transport Security (RFC 6797): responses on the stream
   * port (HTTPS) carry "Strict-Transport-Security: max-age=N" with this
   * N (seconds; 0: none).  Never on the plain port (§7.2). */
  uint32_t hsts_max_age;
  /** With hsts_max_age: "; includeSubDomains" too. */
  bool hsts_subdomains;
  /** Required. */
  struct zn_http_content *content;
  /** NULL: no Date, and If-Modified-Since is ignored. */
  zn_http_clock_fn clock;
  void *clock_arg;
  /** NULL: no access log. */
  zn_http_access_fn access_log;
  void *access_arg;
};

/** The most connections a server takes (max_conns). */
#define ZN_HTTP_MAX_CONNS (1u << 24)
/** The most request contexts busy_max 0 stands for. */
#define ZN_HTTP_BUSY_AUTO 1024u

/** Defaults: any address of both families, port 80, no stream port, 64
 * connections and as many contexts (busy_max 0), the stack's backlog,
 * the parser's default limits and ZN_DEFAULT_HTTP_HEAD_MAX, header
 * 10000 ms, idle 30000 ms, send 30000 ms, linger 2000 ms, grace
 * 1000 ms, 32 references in flight, 4096-byte bodies dropped, copy_max
 * 4096; no content, clock or log. */
void zn_http_server_cfg_default(struct zn_http_server_cfg *cfg);

/** Bytes zn_http_server_init() needs for cfg; 0 if cfg is invalid (a
 * value outside its range above, no content, no port at all, a
 * stream_port without a maker or the reverse, both ports equal), or if
 * the size does not fit a size_t. */
size_t zn_http_server_mem_size(const struct zn_http_server_cfg *cfg);

/** What one connection slot costs in that block, bytes: all an idle
 * connection takes of the server's memory. */
size_t zn_http_server_slot_size(void);

/** Start serving on stack st from [mem, mem+len) (aligned as malloc
 * aligns): opens the listeners.  cfg is copied; what it points to (the
 * content source, the maker) must outlive the server.  Errors: ZN_EINVAL
 * (cfg invalid, mem misaligned), ZN_ENOMEM (len too small, no TCP
 * connection free), what zn_tcp_listen() returns (ZN_EADDRINUSE); on
 * error nothing stays open. */
int zn_http_server_init(struct zn_stack *st,
                        const struct zn_http_server_cfg *cfg, void *mem,
                        size_t len, struct zn_http_server **out);

/** Reset every connection and close the listeners.  Streams still
 * closing on their own (given back after a response) are the stack's
 * and their maker's.  The memory is the caller's again when it returns. */
void zn_http_server_stop(struct zn_http_server *srv);

/** The server's counters: X(name, text). */
#define ZN_HTTP_SERVER_STATS(X)                                                \
  X(conns_accepted, "connections accepted (both ports)")                       \
  X(conns_accepted_stream, "... of them on the stream port (HTTPS)")           \
  X(conns_refused, "connections reset: every slot busy, none to close")        \
  X(conns_refused_stream, "connections reset: no stream free in the maker")    \
  X(conns_evicted_idle, "idle connections closed to make room for new ones")   \
  X(conns_evicted_slow_head, "reset for room: the slowest head (or unread)")   \
  X(conns_evicted_slow_body, "reset for room: the slowest request body")       \
  X(conns_evicted_slow_read, "reset for room: the slowest reader")             \
  X(busy_waits, "requests that waited for a request context")                  \
  X(conns_closed, "connections closed by the server (all reasons)")            \
  X(conns_peer_closed, "connections the client closed")                        \
  X(conns_failed, "connections that failed (reset, TLS error)")                \
  X(header_timeouts, "closed: the head not complete in time (slowloris)")      \
  X(idle_timeouts, "closed: idle between requests")                            \
  X(send_timeouts, "reset: the client read nothing for send_timeout_ms")       \
  X(linger_timeouts, "closed: the client kept sending after our close")        \
  X(requests, "requests whose head parsed")                                    \
  X(keepalive_reuses, "requests after the first on a connection")              \
  X(pipelined_waits, "times reading stopped for a response to leave")          \
  X(parse_errors, "heads that did not parse (by kind: parse_*)")               \
  X(traversal_refused, "targets refused as path traversals (400)")             \
  X(redirects, "directories without '/' redirected (301)")                     \
  X(not_modified, "answered 304 (If-None-Match, If-Modified-Since)")           \
  X(ranges, "partial responses (206)")                                         \
  X(bodies_discarded, "request bodies read and dropped")                       \
  X(body_bytes_discarded, "request body bytes dropped")                        \
  X(bytes_in, "request bytes read (heads and bodies)")                         \
  X(bytes_out_head, "response head bytes queued")                              \
  X(bytes_out_body, "response body bytes queued")                              \
  X(bodies_copied, "bodies copied with their head (<= copy_max)")              \
  X(bodies_by_ref, "bodies sent by reference (zero copy)")                     \
  X(content_errors, "content source errors other than the expected (500)")

/** The status codes the server counts, one counter each (status_NNN);
 * anything else in status_other. */
#define ZN_HTTP_SERVER_STATUSES(X)                                             \
  X(200)                                                                       \
  X(206)                                                                       \
  X(301)                                                                       \
  X(304)                                                                       \
  X(400)                                                                       \
  X(403)                                                                       \
  X(404)                                                                       \
  X(405)                                                                       \
  X(413)                                                                       \
  X(414)                                                                       \
  X(416)                                                                       \
  X(417)                                                                       \
  X(431)                                                                       \
  X(500)                                                                       \
  X(501)                                                                       \
  X(505)

/** Counter indices: ZN_HTTP_SRV_<name> for each of ZN_HTTP_SERVER_STATS,
 * ZN_HTTP_SRV_status_NNN for each of ZN_HTTP_SERVER_STATUSES, then
 * ZN_HTTP_SRV_status_other, then ZN_HTTP_SRV_parse_<ERROR> for each
 * parser error of ZN_HTTP_ERRORS (parse_NONE is never counted). */
enum zn_http_server_stat {
#define ZN_HTTP_SRV_ENUM_(name, text) ZN_HTTP_SRV_##name,
  ZN_HTTP_SERVER_STATS(ZN_HTTP_SRV_ENUM_)
#undef ZN_HTTP_SRV_ENUM_
#define ZN_HTTP_SRV_STATUS_(code) ZN_HTTP_SRV_status_##code,
      ZN_HTTP_SERVER_STATUSES(ZN_HTTP_SRV_STATUS_)
#undef ZN_HTTP_SRV_STATUS_
          ZN_HTTP_SRV_status_other,
#define ZN_HTTP_SRV_PARSE_(name, status, text) ZN_HTTP_SRV_parse_##name,
  ZN_HTTP_ERRORS(ZN_HTTP_SRV_PARSE_)
#undef ZN_HTTP_SRV_PARSE_
      ZN_HTTP_SRV_NSTATS
};

struct zn_http_server_stats {
  uint64_t v[ZN_HTTP_SRV_NSTATS]; /**< indexed by enum zn_http_server_stat
                                       (parse_NONE stays 0) */
  uint32_t conns_open;            /**< connections in slots now */
  uint32_t conns_max;             /**< the most at once */
  uint32_t ctx_open;              /**< request contexts taken now */
  uint32_t ctx_max;               /**< the most at once */
};

/** "requests", "status_404", "parse_OBS_FOLD"; "?" for a bad index. */
const char *zn_http_server_stat_name(int i);
/** What the counter counts; "?" for a bad index. */
const char *zn_http_server_stat_text(int i);

/** A copy of the counters. */
void zn_http_server_get_stats(const struct zn_http_server *srv,
                              struct zn_http_server_stats *s);

#endif /* ZNET_HTTP_H */
