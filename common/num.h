/*
 * num — bounded number parsing (the role of OpenBSD's strtonum) and exact 128-bit decimal
 * formatting. No allocation.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/**
 * Parses a whole decimal string into [min, max]. No sign, no spaces, no trailing bytes.
 * @return 0 and *out set, or LANA_EPARSE / LANA_ERANGE with a message in d.
 */
int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct lana_diag *d);

/** Writes v in decimal; returns the length, or LANA_ENOSPACE (buf needs at most 40 bytes). */
int num_format_u128(unsigned __int128 v, char *buf, size_t size);
