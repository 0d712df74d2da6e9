/*
 * tokfile — the text of a registry token file: what lanad writes once at first start and
 * what lana reads. Pure text in, text out; no files, no I/O policy (the callers check modes
 * and owners). The format is "key=value" lines with '#' comments and blank lines:
 *
 *   # lana token file: keep it secret (mode 0600)
 *   user=admin                          the account the token belongs to
 *   token=<64 hex digits>               the 256-bit token
 *   tls-sha256=<64 hex digits>          SHA-256 of the server's TLS certificate (DER): the pin
 *   server=HOST:PORT                    optional: where the registry listens
 *
 * token= is required; the others are optional, each at most once, and any other key is an
 * error. A file holding nothing but the 64 hex digits (the format before TLS) is read as
 * token= alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/auth.h"
#include "common/err.h"

#define TOKFILE_PIN_LEN 32  /* SHA-256 */
#define TOKFILE_NAME_MAX 64 /* user= with its NUL */
#define TOKFILE_SERVER_MAX 256
#define TOKFILE_TEXT_MAX 1024 /* a formatted file always fits */

struct tokfile {
    char user[TOKFILE_NAME_MAX]; /* "" when the file names no account */
    uint8_t token[AUTH_TOKEN_LEN];
    bool have_pin;
    uint8_t pin[TOKFILE_PIN_LEN];
    char server[TOKFILE_SERVER_MAX]; /* "" when absent */
};

/**
 * Parses text (NUL-terminated) into *out. Returns 0, or LANA_EPARSE with the line and the
 * reason in d ("line 3: unknown key 'foo'", "no token= line"). *out is written only on
 * success. Thread-safe.
 */
int tokfile_parse(const char *text, struct tokfile *out, struct lana_diag *d);

/**
 * Writes t as the file's text into buf (size bytes, TOKFILE_TEXT_MAX is always enough).
 * Returns the length, or LANA_ENOSPACE when buf is too small. The server line is written
 * only when t->server is not empty, the pin only when t->have_pin.
 */
int tokfile_format(const struct tokfile *t, char *buf, size_t size);

/**
 * Parses a SHA-256 fingerprint: 64 hex digits, either case, optionally in pairs separated by
 * ':' (as `openssl x509 -fingerprint -sha256` prints it). 0 or LANA_EPARSE.
 */
int tokfile_parse_pin(const char *s, uint8_t pin[TOKFILE_PIN_LEN]);
