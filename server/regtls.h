/*
 * regtls — the registry's TLS identity and context (EPP over TLS, RFC 5734): the certificate
 * and key lanad generates at first start (or the configured ones), the server context every
 * TLS connection is made from, and the rule that says which connections must use TLS. It
 * does not move bytes: server/regio.c runs the TLS stream on one connection.
 *
 * The generated key is ECDSA P-256 (every TLS 1.2 and 1.3 client verifies it, and signing a
 * handshake costs a few tens of microseconds); the certificate is self-signed, valid for ten
 * years, and names localhost, 127.0.0.1, ::1, the host's name, the configured registry
 * addresses and every registry-tls-name. Clients pin its SHA-256 (of the DER certificate),
 * which the token file carries, or verify it with a CA file.
 * The only server module besides regio that uses libssl.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"
#include "server/srvconf.h"

#define REGTLS_FP_LEN 32 /* SHA-256 */

struct regtls;

/**
 * At every start, before the token file is written: makes sure the certificate and key
 * exist. Configured files (registry-tls-cert/-key) must exist; the default ones (beside the
 * database) are generated when both are missing, the key with mode 0600 and O_EXCL. A key
 * file that others may read, or that another user owns, is refused. Writes the
 * certificate's SHA-256 into fp. Returns 0, or with the reason in d: LANA_EIO (a file cannot
 * be read, written or is refused), LANA_EPARSE (not a PEM certificate or key, or they do not
 * match), LANA_ENOMEM. Not thread-safe (start-up only).
 */
int regtls_prepare(const struct srvconf *cfg, uint8_t fp[REGTLS_FP_LEN], struct lana_diag *d);

/**
 * The server context from the certificate and key regtls_prepare() checked: TLS 1.2 at
 * least, 1.3 preferred, no renegotiation, no session tickets (clients do not resume).
 * Returns 0 and *out, or a code of regtls_prepare. Free with regtls_free().
 */
int regtls_new(const struct srvconf *cfg, struct regtls **out, struct lana_diag *d);

/** Frees the context; NULL is a no-op. Connections made from it must be closed first. */
void regtls_free(struct regtls *t);

/** The OpenSSL SSL_CTX, for server/regio.c (an opaque pointer everywhere else). */
void *regtls_ctx(const struct regtls *t);

/** True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: traffic that never leaves the host. */
bool regtls_is_loopback(const struct sockaddr *sa);

/**
 * Whether a connection accepted on local address `local` must use TLS: always when
 * required_everywhere (registry-tls = required), else whenever local is not loopback. Pure.
 */
bool regtls_required(const struct sockaddr *local, bool required_everywhere);
