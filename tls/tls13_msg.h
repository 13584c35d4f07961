/*
 * TLS 1.3's handshake messages as bytes (RFC 8446 §4): the alert codes
 * (§6), the handshake types, the extensions and where each may appear
 * (§4.2's table), and one parser per message a TLS 1.3 engine reads.
 *
 * A parser takes one whole handshake message, its 4-byte header
 * included, checks every length against the one that holds it, and fills
 * a struct of views into the message (struct zn__tls13_bytes): nothing is
 * copied, so the views live as long as the message does.  It returns 0,
 * or the alert the RFC says the receiver sends: decode_error for a
 * malformed message (a length that does not add up, a list of the wrong
 * size, bytes left over), illegal_parameter for a well-formed one that
 * breaks a rule (an extension twice, one not allowed in this message,
 * pre_shared_key not last, a value out of its range).  Semantics that
 * need the engine's state (which version, suite or group to choose, what
 * was offered) are the engine's.
 */
#ifndef ZNET_TLS13_MSG_H
#define ZNET_TLS13_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Alerts (§6): X(name, code). */
#define ZN__TLS13_ALERTS(X)                                                    \
  X(close_notify, 0)                                                           \
  X(unexpected_message, 10)                                                    \
  X(bad_record_mac, 20)                                                        \
  X(record_overflow, 22)                                                       \
  X(handshake_failure, 40)                                                     \
  X(bad_certificate, 42)                                                       \
  X(unsupported_certificate, 43)                                               \
  X(certificate_revoked, 44)                                                   \
  X(certificate_expired, 45)                                                   \
  X(certificate_unknown, 46)                                                   \
  X(illegal_parameter, 47)                                                     \
  X(unknown_ca, 48)                                                            \
  X(access_denied, 49)                                                         \
  X(decode_error, 50)                                                          \
  X(decrypt_error, 51)                                                         \
  X(protocol_version, 70)                                                      \
  X(insufficient_security, 71)                                                 \
  X(internal_error, 80)                                                        \
  X(inappropriate_fallback, 86)                                                \
  X(user_canceled, 90)                                                         \
  X(missing_extension, 109)                                                    \
  X(unsupported_extension, 110)                                                \
  X(unrecognized_name, 112)                                                    \
  X(bad_certificate_status_response, 113)                                      \
  X(unknown_psk_identity, 115)                                                 \
  X(certificate_required, 116)                                                 \
  X(no_application_protocol, 120)

enum zn__tls13_alert {
#define ZN__TLS13_ALERT_ENUM_(name, code) ZN__TLS13_ALERT_##name = (code),
  ZN__TLS13_ALERTS(ZN__TLS13_ALERT_ENUM_)
#undef ZN__TLS13_ALERT_ENUM_
};

/* "illegal_parameter"; "?" for a code not in the list. */
const char *zn__tls13_alert_name(int code);

/* Handshake message types (§4). */
enum zn__tls13_hs_type {
  ZN__TLS13_HS_client_hello = 1,
  ZN__TLS13_HS_server_hello = 2,
  ZN__TLS13_HS_new_session_ticket = 4,
  ZN__TLS13_HS_end_of_early_data = 5,
  ZN__TLS13_HS_encrypted_extensions = 8,
  ZN__TLS13_HS_certificate = 11,
  ZN__TLS13_HS_certificate_request = 13,
  ZN__TLS13_HS_certificate_verify = 15,
  ZN__TLS13_HS_finished = 20,
  ZN__TLS13_HS_key_update = 24,
  ZN__TLS13_HS_message_hash = 254,
};

/* Where an extension may appear (§4.2's table): bits of these. */
enum {
  ZN__TLS13_IN_CH = 1u << 0,  /* ClientHello */
  ZN__TLS13_IN_SH = 1u << 1,  /* ServerHello */
  ZN__TLS13_IN_HRR = 1u << 2, /* HelloRetryRequest */
  ZN__TLS13_IN_EE = 1u << 3,  /* EncryptedExtensions */
  ZN__TLS13_IN_CT = 1u << 4,  /* Certificate (its entries) */
  ZN__TLS13_IN_CR = 1u << 5,  /* CertificateRequest */
  ZN__TLS13_IN_NST = 1u << 6, /* NewSessionTicket */
};

/* The extensions a parser knows: X(name, type, where).  Others are
 * skipped (but still checked for duplicates).  max_fragment_length and
 * record_size_limit are RFC 6066's and RFC 8449's; renegotiation_info,
 * ec_point_formats, extended_master_secret, session_ticket and
 * encrypt_then_mac are TLS 1.2's, known so that a TLS 1.2 ClientHello is
 * read as such. */
#define ZN__TLS13_EXTENSIONS(X)                                                \
  X(server_name, 0, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)                         \
  X(max_fragment_length, 1, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)                 \
  X(status_request, 5, ZN__TLS13_IN_CH | ZN__TLS13_IN_CR | ZN__TLS13_IN_CT)    \
  X(supported_groups, 10, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)                   \
  X(ec_point_formats, 11, ZN__TLS13_IN_CH)                                     \
  X(signature_algorithms, 13, ZN__TLS13_IN_CH | ZN__TLS13_IN_CR)               \
  X(use_srtp, 14, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)                           \
  X(heartbeat, 15, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)                          \
  X(alpn, 16, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)                               \
  X(signed_certificate_timestamp, 18,                                          \
    ZN__TLS13_IN_CH | ZN__TLS13_IN_CR | ZN__TLS13_IN_CT)                       \
  X(client_certificate_type, 19, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)            \
  X(server_certificate_type, 20, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)            \
  X(padding, 21, ZN__TLS13_IN_CH)                                              \
  X(encrypt_then_mac, 22, ZN__TLS13_IN_CH)                                     \
  X(extended_master_secret, 23, ZN__TLS13_IN_CH)                               \
  X(record_size_limit, 28, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE)                  \
  X(session_ticket, 35, ZN__TLS13_IN_CH)                                       \
  X(pre_shared_key, 41, ZN__TLS13_IN_CH | ZN__TLS13_IN_SH)                     \
  X(early_data, 42, ZN__TLS13_IN_CH | ZN__TLS13_IN_EE | ZN__TLS13_IN_NST)      \
  X(supported_versions, 43,                                                    \
    ZN__TLS13_IN_CH | ZN__TLS13_IN_SH | ZN__TLS13_IN_HRR)                      \
  X(cookie, 44, ZN__TLS13_IN_CH | ZN__TLS13_IN_HRR)                            \
  X(psk_key_exchange_modes, 45, ZN__TLS13_IN_CH)                               \
  X(certificate_authorities, 47, ZN__TLS13_IN_CH | ZN__TLS13_IN_CR)            \
  X(oid_filters, 48, ZN__TLS13_IN_CR)                                          \
  X(post_handshake_auth, 49, ZN__TLS13_IN_CH)                                  \
  X(signature_algorithms_cert, 50, ZN__TLS13_IN_CH | ZN__TLS13_IN_CR)          \
  X(key_share, 51, ZN__TLS13_IN_CH | ZN__TLS13_IN_SH | ZN__TLS13_IN_HRR)       \
  X(renegotiation_info, 0xff01, ZN__TLS13_IN_CH)

/* Bit numbers of the known extensions in a parser's `seen` mask. */
enum zn__tls13_ext_bit {
#define ZN__TLS13_EXT_BIT_(name, type, where) ZN__TLS13_EXT_##name,
  ZN__TLS13_EXTENSIONS(ZN__TLS13_EXT_BIT_)
#undef ZN__TLS13_EXT_BIT_
      ZN__TLS13_NEXT
};

#define ZN__TLS13_SEEN(name) (1ull << ZN__TLS13_EXT_##name)

/* At most this many extensions in one block (real ClientHellos carry
 * about twenty): more is refused (decode_error), which bounds the
 * duplicate check. */
#define ZN__TLS13_MAX_EXTENSIONS 64

/* A view into a message: len bytes at p (p may be NULL when len is 0). */
struct zn__tls13_bytes {
  const uint8_t *p;
  size_t len;
};

/* Groups (§4.2.7) and signature schemes (§4.2.3) named by the engines. */
enum {
  ZN__TLS13_GROUP_secp256r1 = 0x0017,
  ZN__TLS13_GROUP_secp384r1 = 0x0018,
  ZN__TLS13_GROUP_secp521r1 = 0x0019,
  ZN__TLS13_GROUP_x25519 = 0x001d,
  ZN__TLS13_GROUP_x448 = 0x001e,
};

/* The HelloRetryRequest's random (§4.1.3): SHA-256 of
 * "HelloRetryRequest". */
extern const uint8_t zn__tls13_hrr_random[32];

/* The last 8 bytes of a TLS 1.2 server's random when it could have done
 * TLS 1.3 (§4.1.3). */
extern const uint8_t zn__tls13_downgrade_tls12[8];

/* §4.1.2.  Views of lists are their contents, without the length that
 * prefixed them; every list read here was checked whole (entry by
 * entry), so the iterators below cannot fail on them. */
struct zn__tls13_client_hello {
  uint16_t legacy_version;
  const uint8_t *random;              /* 32 bytes */
  struct zn__tls13_bytes session_id;  /* 0..32 bytes */
  struct zn__tls13_bytes suites;      /* CipherSuite values, 2 bytes each */
  struct zn__tls13_bytes compression; /* 1..255 methods */
  uint64_t seen;                      /* ZN__TLS13_SEEN() of each present */
  struct zn__tls13_bytes versions;    /* supported_versions: 2 bytes each */
  struct zn__tls13_bytes groups;      /* supported_groups: 2 bytes each */
  struct zn__tls13_bytes shares;      /* key_share: KeyShareEntry list, no
                                         group twice */
  struct zn__tls13_bytes sig_algs;    /* signature_algorithms: 2 bytes each */
  struct zn__tls13_bytes sig_algs_cert;
  struct zn__tls13_bytes server_name;    /* the host_name (1..255 bytes) */
  struct zn__tls13_bytes alpn;           /* ProtocolNameList's contents */
  struct zn__tls13_bytes cookie;         /* 1..65535 bytes */
  uint8_t psk_modes;                     /* bit 0: psk_ke, bit 1: psk_dhe_ke */
  struct zn__tls13_bytes psk_identities; /* PskIdentity list */
  struct zn__tls13_bytes psk_binders;    /* PskBinderEntry list */
  size_t binders_at;          /* offset in the message of the binders' list (its
                                 length first): §4.2.11.2's truncated ClientHello
                                 is msg[0, binders_at) */
  uint16_t record_size_limit; /* RFC 8449: 64..; 0 if absent */
  uint8_t max_fragment_length; /* RFC 6066: 1..4; 0 if absent */
  bool status_request_ocsp;    /* RFC 6066 §8: status_request with
                                  status_type ocsp (its body checked) */
};

int zn__tls13_parse_client_hello(const uint8_t *msg, size_t len,
                                 struct zn__tls13_client_hello *ch);

/* §4.1.3: a ServerHello or a HelloRetryRequest (hrr: the random is
 * zn__tls13_hrr_random; its extensions are then checked as an HRR's). */
struct zn__tls13_server_hello {
  bool hrr;
  uint16_t legacy_version;
  const uint8_t *random; /* 32 bytes */
  struct zn__tls13_bytes session_id;
  uint16_t suite;
  uint8_t compression;
  uint64_t seen;
  uint16_t version;              /* supported_versions; 0 if absent */
  uint16_t share_group;          /* key_share: the server's entry, or an
                                    HRR's selected group; 0 if absent */
  struct zn__tls13_bytes share;  /* the server's key_exchange (not HRR) */
  struct zn__tls13_bytes cookie; /* HRR */
  uint16_t psk_identity;         /* pre_shared_key's selected_identity */
};

int zn__tls13_parse_server_hello(const uint8_t *msg, size_t len,
                                 struct zn__tls13_server_hello *sh);

/* §4.3.1. */
struct zn__tls13_encrypted_extensions {
  uint64_t seen;
  struct zn__tls13_bytes alpn; /* the one protocol the server chose */
  uint16_t record_size_limit;
  uint8_t max_fragment_length;
  struct zn__tls13_bytes groups;
};

int zn__tls13_parse_encrypted_extensions(
    const uint8_t *msg, size_t len, struct zn__tls13_encrypted_extensions *ee);

/* §4.3.2. */
struct zn__tls13_certificate_request {
  struct zn__tls13_bytes context; /* 0..255 bytes */
  uint64_t seen;
  struct zn__tls13_bytes sig_algs; /* required */
  struct zn__tls13_bytes sig_algs_cert;
};

int zn__tls13_parse_certificate_request(
    const uint8_t *msg, size_t len, struct zn__tls13_certificate_request *cr);

/* §4.4.3. */
struct zn__tls13_certificate_verify {
  uint16_t scheme;
  struct zn__tls13_bytes signature; /* 1..65535 bytes */
};

int zn__tls13_parse_certificate_verify(const uint8_t *msg, size_t len,
                                       struct zn__tls13_certificate_verify *cv);

/* §4.6.1. */
struct zn__tls13_new_session_ticket {
  uint32_t lifetime, age_add;
  struct zn__tls13_bytes nonce;  /* 0..255 */
  struct zn__tls13_bytes ticket; /* 1..65535 */
  uint64_t seen;
  uint32_t max_early_data; /* early_data's, if seen */
};

int zn__tls13_parse_new_session_ticket(
    const uint8_t *msg, size_t len, struct zn__tls13_new_session_ticket *nst);

/* §4.6.3: update_requested (1) or not (0); anything else is
 * illegal_parameter. */
int zn__tls13_parse_key_update(const uint8_t *msg, size_t len,
                               bool *update_requested);

/* Iterators over lists a parser checked: each takes the next entry off
 * the front of *list and returns false once it is empty. */
bool zn__tls13_next_u16(struct zn__tls13_bytes *list, uint16_t *v);
bool zn__tls13_next_share(struct zn__tls13_bytes *list, uint16_t *group,
                          struct zn__tls13_bytes *key_exchange);
bool zn__tls13_next_name(struct zn__tls13_bytes *list,
                         struct zn__tls13_bytes *name); /* ALPN's */
bool zn__tls13_next_identity(struct zn__tls13_bytes *list,
                             struct zn__tls13_bytes *identity,
                             uint32_t *obfuscated_ticket_age);
bool zn__tls13_next_binder(struct zn__tls13_bytes *list,
                           struct zn__tls13_bytes *binder);

/* True if the list of 2-byte values holds v. */
bool zn__tls13_has_u16(struct zn__tls13_bytes list, uint16_t v);

#endif /* ZNET_TLS13_MSG_H */
