/*
 * auth — the registry's token authentication, after SCRAM (RFC 5802) simplified for a random
 * 256-bit token. The server keeps only StoredKey = SHA-256(token). In the handshake the client
 * proves it holds the token with proof = token XOR HMAC-SHA256(StoredKey, "X:Y"), X and Y
 * being the two sequence numbers of the handshake; the server recomputes the HMAC, recovers
 * the token from the proof and checks that its hash is StoredKey. A captured proof alone
 * does not give the token (it is masked by an HMAC keyed with StoredKey), nor does the stored
 * key alone; but, as in SCRAM, both together do: token = proof XOR HMAC(StoredKey, "X:Y").
 * Hence the database is kept 0600 and the protocol runs inside TLS off loopback.
 * The only module that uses libcrypto.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define AUTH_TOKEN_LEN 32                    /* bytes */
#define AUTH_KEY_LEN 32                      /* SHA-256 */
#define AUTH_HEX_LEN (2 * AUTH_TOKEN_LEN + 1) /* hex text with its NUL */

/** Fills buf with n bytes from the kernel's random source; 0 or LANA_EIO. */
int auth_random(void *buf, size_t n);
/** A random 32-bit number for the handshake's sequence numbers. */
uint32_t auth_random_u32(void);

/** StoredKey = SHA-256(token). */
void auth_stored_key(const uint8_t token[AUTH_TOKEN_LEN], uint8_t key[AUTH_KEY_LEN]);

/** The client's proof for the handshake X, Y. */
void auth_proof(const uint8_t token[AUTH_TOKEN_LEN], uint32_t x, uint32_t y,
                uint8_t proof[AUTH_TOKEN_LEN]);

/** The server's check of a proof against the stored key, in constant time. */
bool auth_verify(const uint8_t key[AUTH_KEY_LEN], uint32_t x, uint32_t y,
                 const uint8_t proof[AUTH_TOKEN_LEN]);

/** Lower-case hex of n bytes into out (2n+1 bytes). */
void auth_hex(const uint8_t *b, size_t n, char *out);
/** Parses exactly 2n hex digits (either case, surrounding spaces and a final newline allowed
 * for tokens read from files) into n bytes; 0 or LANA_EPARSE. */
int auth_unhex(const char *s, uint8_t *b, size_t n);
