/*
 * cmdargs — the words of one registry request after its verb and subcommand, bound through a
 * row of option descriptions {name, kind, field offset} into one struct cmd_args.
 *
 * It does not know any command: the rows come from the command table (server/cmd.c), so an
 * option is accepted exactly where its command's row lists it and nowhere else. A word that
 * starts with "--" (and is longer than that) is an option; every other word is positional.
 * Invariant: every pointer in a struct cmd_args points into the argv it was parsed from (the
 * command table's text door, cmd_prepare, uses them to tell which field a word is).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/regproto.h"

#define CMDARGS_LIST_MAX 8 /* values of a repeatable option (--block) */
/* Bytes of one word unless its row says less: a DNS name or a TXT string of 255 octets,
 * every octet written as \DDD, fits. */
#define CMDARGS_TEXT_MAX 1024

/* What one request may carry; a command's option rows say which members it may set. */
struct cmd_args {
    const char *pos[REGPROTO_ARGS_MAX]; /* positional words, in order */
    int npos;
    const char *holder, *desc;            /* block */
    const char *to, *for_;                /* block --to ACCOUNT, zone --for ACCOUNT */
    const char *role, *sponsor;           /* account add, account list */
    bool recursive, assign, keep_going;   /* flags */
    bool force;                           /* host add: a network/broadcast address */
    const char *since, *limit, *depth;    /* log, block tree */
    const char *v4, *v6, *port, *proto;   /* host, service */
    const char *origin;                   /* zone import */
    const char *progress;                 /* batch --progress N */
    const char *students, *suffix;        /* class create */
    const char *algorithm, *secret;       /* key add */
    bool secrets;                         /* key list --secrets */
    const char *blocks[CMDARGS_LIST_MAX]; /* --block, repeatable */
    int nblocks;
};

enum cmdargs_kind {
    CMDARGS_FLAG,  /* --name: sets a bool */
    CMDARGS_VALUE, /* --name VALUE: sets a const char * (the last one wins) */
    CMDARGS_LIST,  /* --name VALUE, repeatable: the member is blocks[], counted by nblocks */
};

/* One option a command accepts; a row of them ends with a NULL name. */
struct cmd_opt {
    const char *name; /* without the leading "--" */
    enum cmdargs_kind kind;
    size_t off; /* offsetof(struct cmd_args, member) of the member it sets */
    size_t max; /* bytes of its value; 0: CMDARGS_TEXT_MAX */
};

/* Option rows: CMDARGS_OPT_FLAG(recursive) is {"recursive", CMDARGS_FLAG, offset, 0};
 * CMDARGS_OPT_TEXT(holder, 255) a value of at most 255 bytes. */
/* clang-format off */
#define CMDARGS_OPT_FLAG(m) {#m, CMDARGS_FLAG, offsetof(struct cmd_args, m), 0}
#define CMDARGS_OPT_VALUE(m) {#m, CMDARGS_VALUE, offsetof(struct cmd_args, m), 0}
#define CMDARGS_OPT(name, kind, m) {name, kind, offsetof(struct cmd_args, m), 0}
#define CMDARGS_OPT_TEXT(m, max) {#m, CMDARGS_VALUE, offsetof(struct cmd_args, m), max}
/* clang-format on */

/**
 * Parses argv[from..argc) into *a (cleared first) with the option rows opts (NULL: none).
 * Returns 0, or LANA_EPARSE with a message in d: an option not in opts, an option that needs
 * a value at the end of the line, more than CMDARGS_LIST_MAX values of a list option, or more
 * than REGPROTO_ARGS_MAX positional words. a keeps pointers into argv.
 * It does not look at what the words hold: cmd_prepare checks that afterwards.
 */
int cmdargs_parse(const struct cmd_opt *opts, int argc, char **argv, int from, struct cmd_args *a,
                  struct lana_diag *d);
