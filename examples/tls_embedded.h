/*
 * The credentials a build compiled into the examples (meson -Dtls_cert,
 * -Dtls_key; tls_embedded.c is generated from tls_embedded.c.in): PEM
 * text, empty strings when none was given.
 */
#ifndef ZN_EXAMPLES_TLS_EMBEDDED_H
#define ZN_EXAMPLES_TLS_EMBEDDED_H

extern const char ex_tls_embedded_cert[];
extern const char ex_tls_embedded_key[];

#endif /* ZN_EXAMPLES_TLS_EMBEDDED_H */
