/*
 * jsonw — a growable text buffer and a small JSON writer on top of it, for the registry
 * protocol's one-object-per-line replies and the audit log. Commas are placed by the writer:
 * the caller only opens, names and closes. Out of memory makes the buffer sticky-failed
 * (jsonw_ok() false) instead of crashing.
 *
 * Invariant: the text is valid UTF-8 on one line, whatever bytes the caller passes. Strings
 * and keys are escaped per RFC 8259, and further: every control character (C0, DEL, C1) as
 * \u00XX, U+2028/U+2029 as \u2028/\u2029, and an ill-formed UTF-8 sequence (text stored by an
 * older registry that did not check it) becomes U+FFFD, one per maximal subpart (Unicode
 * §3.9). Valid UTF-8 is otherwise passed through, so a reader gets back exactly the text that
 * was written. Raw JSON (jsonw_raw, jsonw_printf, jsonw_json) is trusted for its structure
 * but not for its bytes: ill-formed UTF-8 and control bytes become U+FFFD, tabs and line ends
 * spaces.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_DEPTH 32

struct jsonw {
    char *s;
    size_t len, cap;
    bool oom;
    unsigned depth;
    bool first[JSONW_DEPTH]; /* nothing written yet at this level */
    char closer[JSONW_DEPTH]; /* '}' or ']' for each open level */
    bool after_key;
    size_t limit; /* bytes the text may reach; 0: no limit (jsonw_set_limit) */
    bool over;    /* something did not fit under the limit: the text is incomplete */
};

void jsonw_init(struct jsonw *j);
void jsonw_free(struct jsonw *j);
/** Empties the text, keeps the memory. */
void jsonw_reset(struct jsonw *j);
static inline bool jsonw_ok(const struct jsonw *j) { return !j->oom; }
/**
 * Caps the text at limit bytes (0: no cap) until changed; reset keeps the cap. Past it
 * nothing more is written and jsonw_over() turns true, so that a writer walking a big table
 * can stop early (a reply too long for whoever asked is replaced, not built in full).
 */
static inline void jsonw_set_limit(struct jsonw *j, size_t limit) { j->limit = limit; }
static inline bool jsonw_over(const struct jsonw *j) { return j->over; }

/* Raw text, no JSON structure added (no comma, no quotes); cleaned as the file head says. */
void jsonw_raw(struct jsonw *j, const char *s, size_t n);
void jsonw_printf(struct jsonw *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void jsonw_obj(struct jsonw *j);   /* { */
void jsonw_arr(struct jsonw *j);   /* [ */
void jsonw_end(struct jsonw *j);   /* } or ] */
void jsonw_key(struct jsonw *j, const char *k);
/** A string value; NULL writes null. Escaped as the file head says. */
void jsonw_str(struct jsonw *j, const char *v);
/** A string of n bytes (NULs included, as \u0000). */
void jsonw_strn(struct jsonw *j, const char *v, size_t n);
void jsonw_int(struct jsonw *j, int64_t v);
void jsonw_bool(struct jsonw *j, bool v);
void jsonw_null(struct jsonw *j);
/** A value already in JSON form (a nested object built elsewhere, a stored audit record);
 * cleaned as the file head says. */
void jsonw_json(struct jsonw *j, const char *json);

/* key + value in one call */
static inline void jsonw_kstr(struct jsonw *j, const char *k, const char *v) { jsonw_key(j, k); jsonw_str(j, v); }
static inline void jsonw_kint(struct jsonw *j, const char *k, int64_t v) { jsonw_key(j, k); jsonw_int(j, v); }
static inline void jsonw_kbool(struct jsonw *j, const char *k, bool v) { jsonw_key(j, k); jsonw_bool(j, v); }
