/*
 * rdata — record data between master-file text (RFC 1035 §5, RFC 3597 generic form) and
 * uncompressed wire form. Knows A, AAAA, NS, CNAME, PTR, MX, TXT, SRV and SOA; every other
 * type is read and written as "\# LEN HEX" (RFC 3597 §5). No I/O, no allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/wbuf.h"

#define RDATA_MAX 65535

/** One token of a master-file record; quoted strings come without their quotes. */
struct rdata_token {
    const char *s;   /* raw text, escapes (\X, \DDD) kept */
    bool quoted;
};

/**
 * Text tokens to wire rdata for the given type; origin (wire) completes relative names.
 * @return the rdata length written to out (cap bytes), or LANA_EPARSE with a message in d.
 */
int rdata_parse(uint16_t type, const struct rdata_token *tok, size_t ntok, const uint8_t *origin,
                uint8_t *out, size_t cap, struct lana_diag *d);

/**
 * Wire rdata to master-file text in wb (no NUL added). Malformed wire data of a known type
 * falls back to the generic form, so the output always reads back to the same bytes.
 */
void rdata_format(uint16_t type, const uint8_t *rd, size_t len, struct wbuf *wb);

/** Parses a TTL: seconds, or units like "1h30m", "2d", "1w"; at most 2^31-1 (RFC 2181 §8). */
int rdata_parse_ttl(const char *s, uint32_t *out, struct lana_diag *d);

/**
 * Checks that wire rdata of a known type is well formed (names, fixed lengths). Used on data
 * read back from the store before it is trusted in an answer.
 */
bool rdata_is_valid(uint16_t type, const uint8_t *rd, size_t len);
