/*
 * text — what the registry accepts as text, and the UTF-8 decoder behind it and behind the
 * JSON writer. No allocation, no I/O; every function is pure and thread-safe.
 *
 * Text is valid UTF-8 as RFC 3629 defines it (no overlong form, no surrogate U+D800..U+DFFF,
 * nothing above U+10FFFF), holds no control character (C0 U+0000..U+001F, DEL U+007F, C1
 * U+0080..U+009F; a tab only where the caller allows it) and is at most a given number of
 * bytes long. Other code points, format characters included, are accepted as they are.
 *
 * Positions in messages count bytes from 1, as an editor counts columns: in "\xc3\x28" the
 * sequence that fails starts at byte 1.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define TEXT_INVALID 0xffffffffu /* text_utf8_next(): the bytes are not a valid sequence */

enum text_flags {
    TEXT_TAB = 1u << 0, /* a tab (U+0009) is allowed: zone-file lines separate fields with it */
};

/**
 * Decodes the UTF-8 sequence at s (n > 0 bytes available; never reads past them). Returns its
 * length (1 to 4) with its code point in *cp; or, when the bytes are not a valid sequence,
 * sets *cp to TEXT_INVALID and returns the length of the ill-formed sequence's maximal subpart
 * (1 to 3 bytes: what Unicode 15 §3.9 replaces by one U+FFFD), so that a caller stepping by
 * the result resynchronizes exactly as the standard says.
 */
size_t text_utf8_next(const char *s, size_t n, uint32_t *cp);

/** Whether cp is a control character: C0 (U+0000..U+001F), DEL (U+007F) or C1 (U+0080..U+009F). */
static inline bool text_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/** Whether s[0..n) is valid UTF-8 (control characters and NULs included). */
bool text_is_utf8(const char *s, size_t n);

/**
 * Checks that s[0..len) is text (see the file head) of at most max bytes; flags: enum
 * text_flags. field names it in the message ("--holder", "user="; NULL: "text"). Returns 0,
 * or with a message in d: LANA_ERANGE (longer than max: "--desc: 300 bytes, at most 255"),
 * LANA_EPARSE (invalid UTF-8: "--holder: invalid UTF-8 at byte 1 (0xc3: a sequence cut
 * short)"; a NUL: "--holder: a NUL byte at byte 4"; a control character: "--desc: control
 * character U+0007 at byte 5"). The first fault found is reported.
 */
int text_check(const char *s, size_t len, size_t max, unsigned flags, const char *field,
               struct lana_diag *d);

/**
 * The length of the longest start of s[0..n) that is at most max bytes and does not end
 * inside a valid UTF-8 sequence: for "%.*s" in messages that quote a word without cutting a
 * character in two.
 */
size_t text_cut(const char *s, size_t n, size_t max);

typedef const char *text_name_fn(size_t i, void *arg); /* the i-th name, or NULL to skip */

/**
 * The name among n (name(i, arg) for i < n) nearest to word, for "did you mean ...?": at
 * most 2 edits away (insertions, deletions, substitutions; 1 for a word of up to 4 bytes)
 * and not word itself. The first of the nearest, or NULL when none is that near.
 */
const char *text_nearest(const char *word, size_t n, text_name_fn *name, void *arg);
