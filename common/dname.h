/*
 * dname — domain names in wire form (RFC 1035 §3.1): text conversion, case-insensitive
 * comparison, bounded decompression, and the canonical-order key used by the store.
 *
 * Names handled here are always uncompressed wire form: a sequence of length-prefixed labels
 * ending with the root's zero byte, at most DNAME_MAXLEN (255) octets, labels at most 63.
 * Comparison is ASCII case-insensitive (RFC 4343). No allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/rbuf.h"

#define DNAME_MAXLEN 255
#define DNAME_LABEL_MAX 63
/* text form: every octet may need "\DDD" (4 chars) plus dots and NUL */
#define DNAME_TEXT_MAX 1010
/* canonical key: each octet escapes to at most two bytes, plus a separator per label */
#define DNAME_KEY_MAX 512
/* RFC 1035 §4.1.4: a pointer is an offset from the start of the message, whose first 12
 * octets are the header; no name can start there */
#define DNAME_PTR_MIN 12
/* pointers followed in one name: a compressor needs at most one per label (127) and one to
 * the root; a longer chain can only be a pointer to a pointer, built to burn time */
#define DNAME_PTR_HOPS_MAX 128

/**
 * Text to wire. Accepts "\." and "\DDD" escapes. A name without a final dot is relative and
 * gets origin (wire form) appended; "@" alone is the origin. With origin NULL a relative name
 * is an error. Empty labels ("a..b") and over-long labels or names are refused.
 * @return the wire length (>0) or LANA_EPARSE with a message in d. out holds DNAME_MAXLEN
 * and must not overlap origin.
 */
int dname_from_text(const char *s, const uint8_t *origin, uint8_t *out, struct lana_diag *d);

/** Wire to text with a final dot; special and non-printable octets are escaped. */
int dname_to_text(const uint8_t *name, char *buf, size_t size);

/**
 * Reads a possibly compressed name from a DNS message at the cursor, which advances past the
 * name's bytes in place. rb->data must be the start of the message: pointers are offsets from
 * it. Every pointer must point strictly before the previous jump target, so pointer chains
 * cannot loop, and at or after DNAME_PTR_MIN, so no name is read from header bytes; at most
 * DNAME_PTR_HOPS_MAX pointers are followed, so a name costs O(255) steps whatever the message;
 * labels > 63, names > 255 and reserved label types are refused.
 * @return the wire length written to out (DNAME_MAXLEN bytes), or LANA_EPARSE (rb->err set).
 */
int dname_decode(struct rbuf *rb, uint8_t *out);

/** Wire length of an uncompressed name (trusted input). */
size_t dname_len(const uint8_t *name);
/** Number of labels, the root not counted. */
unsigned dname_labels(const uint8_t *name);
/** Lowercases ASCII letters in place. */
void dname_lower(uint8_t *name);
/** Case-insensitive equality. */
bool dname_equal(const uint8_t *a, const uint8_t *b);
/** True when name equals zone or lies below it (case-insensitive). */
bool dname_is_sub(const uint8_t *name, const uint8_t *zone);
/** The name with its first label removed (the root's parent is NULL). */
const uint8_t *dname_parent(const uint8_t *name);

/**
 * The canonical key: labels from the root down, each lowercased, ending with a 0x00
 * separator; octets 0x00 and 0x01 inside a label are escaped as 0x01 0x01 and 0x01 0x02, so
 * the byte order of keys is DNS canonical order (RFC 4034 §6.1) and every name below N has a
 * key that starts with key(N). The root's key is empty.
 * @return key length. out holds DNAME_KEY_MAX bytes.
 */
size_t dname_key(const uint8_t *name, uint8_t *out);

/**
 * The inverse of dname_key(): rebuilds the (lowercase) wire name from a key.
 * @return the wire length, or LANA_EPARSE for a key no name produces.
 */
int dname_from_key(const uint8_t *key, size_t keylen, uint8_t *out);
