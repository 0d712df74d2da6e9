/*
 * jsonw — the writer of every JSON text lanad and lana produce (the registry protocol's
 * one-object-per-line replies, the audit log's records, `--json` output): a builder on
 * jansson, the project's one JSON library, which also parses (the client's replies, RDAP).
 * The caller opens, names and closes in order, as it would write the text; jsonw builds the
 * jansson value, and when the outermost value is closed its text is in s (len bytes), dumped
 * compactly with every non-ASCII character escaped. Commas and quoting are jansson's. Out of
 * memory, or a misuse (a value without its key, one close too many), makes the writer
 * sticky-failed (jsonw_ok() false) instead of crashing.
 *
 * Invariant: the text is valid JSON in ASCII on one line, whatever bytes the caller passes.
 * An ill-formed UTF-8 sequence in a string or key (text stored by an older registry that did
 * not check it) becomes U+FFFD, one per maximal subpart (Unicode §3.9), before jansson sees
 * it; every control character, U+2028 and U+2029 leave escaped, so nothing a reader prints can
 * drive a terminal or end a JavaScript line. Valid UTF-8 reads back exactly as written.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_DEPTH 32

struct json_t;

struct jsonw {
    char *s;           /* the text of the values completed so far, NUL-terminated (NULL: none) */
    size_t len, cap;
    bool oom;
    unsigned depth;                    /* containers open */
    struct json_t *open[JSONW_DEPTH];  /* open[0] the outermost (owned), the others borrowed */
    bool first[JSONW_DEPTH + 1];       /* nothing written yet at this level (for size) */
    char *key;         /* the key waiting for its value, when have_key (owned buffer) */
    size_t keycap;
    bool have_key;
    size_t size;       /* the bytes the text will have: len plus what is open */
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
/** A value given as JSON text (a stored audit record, a number formatted elsewhere), parsed
 * by jansson after ill-formed UTF-8 became U+FFFD; text that does not parse is written as a
 * string, so that nothing stored is lost. */
void jsonw_json(struct jsonw *j, const char *json);
/** A value jansson built elsewhere (an RDAP object, a parsed record); the reference is taken
 * (NULL: out of memory). Its strings must be valid UTF-8, as jansson's constructors ensure. */
void jsonw_value(struct jsonw *j, struct json_t *v);
/** A jansson string of s that never fails on bad bytes: ill-formed UTF-8 becomes U+FFFD, as
 * in the writer (NULL s, or out of memory: NULL). For text from outside (a request, an old
 * registry) that goes into values built with jansson directly. */
struct json_t *jsonw_string(const char *s);

/* key + value in one call */
static inline void jsonw_kstr(struct jsonw *j, const char *k, const char *v) { jsonw_key(j, k); jsonw_str(j, v); }
static inline void jsonw_kint(struct jsonw *j, const char *k, int64_t v) { jsonw_key(j, k); jsonw_int(j, v); }
static inline void jsonw_kbool(struct jsonw *j, const char *k, bool v) { jsonw_key(j, k); jsonw_bool(j, v); }
