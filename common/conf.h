/*
 * conf — one generic reader for "key = value" configuration files with '#' comments.
 *
 * A program describes its keys in one table (name, type, bounds, default, offset of the field
 * in its config struct, optional check); the reader binds values through that table, reports
 * every error as "file:line: message" through a callback and counts them instead of stopping
 * at the first. Unknown keys are errors. Command-line flags go through conf_set() with the
 * same table, so a value is checked the same way wherever it comes from.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CONF_LIST_MAX 16
#define CONF_LINE_MAX 1024

enum conf_type { CONF_STR, CONF_UINT, CONF_LIST };

/** A repeatable string key (each occurrence appends one value). */
struct conf_list {
    unsigned n;
    char *v[CONF_LIST_MAX];
};

struct conf_key {
    const char *name;
    enum conf_type type;
    uint64_t min, max;     /* CONF_UINT bounds */
    size_t offset;         /* of a char *, uint64_t or struct conf_list in the config struct */
    const char *def;       /* default as text; NULL for none */
    int (*check)(const char *val, struct lana_diag *d); /* optional extra validation */
    const char *help;      /* one line for --help and the sample file */
};

typedef void conf_err_cb(const char *msg, void *arg);

/** Sets every key to its default. */
int conf_defaults(const struct conf_key *keys, size_t nkeys, void *cfg);

/**
 * Sets one key from text. For a CONF_LIST key the value is appended, unless replace_list is
 * set, in which case the list (e.g. a default) is emptied first.
 * @return 0, LANA_ENOTFOUND for an unknown key, or LANA_EPARSE/LANA_ERANGE (message in d).
 */
int conf_set(const struct conf_key *keys, size_t nkeys, void *cfg, const char *key,
             const char *val, int replace_list, struct lana_diag *d);

/**
 * Reads a file. A list key named in the file replaces its default on first use.
 * @return the number of errors (each reported through err), or -errno when the file cannot
 * be opened.
 */
int conf_load(const struct conf_key *keys, size_t nkeys, void *cfg, const char *path,
              conf_err_cb *err, void *arg);

/** Frees the strings held by the config struct. */
void conf_fini(const struct conf_key *keys, size_t nkeys, void *cfg);
