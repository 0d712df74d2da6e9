/*
 * class — a class of students in one call: a registrar account for the class holding a block
 * of each family, and per student a registrant account with an assigned block of each family
 * inside the class's and a zone NAME-01.<suffix> whose hosts take their addresses from those
 * blocks; a report of what each student made; and the reset that takes all of it away.
 *
 * Everything the class makes is found again through the tree of authority (db/authz.h): the
 * accounts by account.class and account.sponsor, the blocks by their maintainers, the zones
 * by their sponsor and registrant. So class_delete takes away what the students made
 * themselves too (hosts, records, sub-zones), and nothing else. The audit log keeps its rows.
 *
 * Every changing call is admin's (authz_admin), runs as one savepoint inside the caller's
 * transaction (all or nothing) and is audited. Not thread-safe: one struct names per thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/auth.h"
#include "common/cidr.h"
#include "common/dname.h"
#include "common/err.h"
#include "db/account.h"
#include "db/names.h"

#define CLASS_STUDENTS_MAX 9999
#define CLASS_NAME_MAX 48 /* bytes of a class name with its NUL: NAME-9999.<suffix> must fit */
#define CLASS_V4_DEFAULT 24
#define CLASS_V6_DEFAULT 64
#define CLASS_SUFFIX_DEFAULT "lab."

/* What to make. */
struct class_spec {
    const char *name;   /* the class and its registrar account: letters, digits, '-' */
    unsigned students;  /* 1..CLASS_STUDENTS_MAX */
    unsigned v4, v6;    /* each student's prefix lengths (0: the defaults above) */
    const char *suffix; /* the zone the students' zones go below (NULL: "lab.") */
};

/* One account made, with its token (shown once; only its StoredKey is kept). */
struct class_member {
    char name[ACCOUNT_NAME_MAX];
    char role[16];
    char token[AUTH_HEX_LEN];  /* hex */
    struct cidr v4, v6;        /* the registrar: the class's blocks; a student: its own */
    char zone[DNAME_TEXT_MAX]; /* a student's zone ("" for the registrar) */
};

/* What class_create made: m[0] is the class registrar, m[1..n-1] the students in order. */
struct class_made {
    char suffix[DNAME_TEXT_MAX];
    bool suffix_made; /* the suffix zone did not exist and was created */
    unsigned n;
    struct class_member *m; /* class_made_free frees it (and wipes the tokens) */
};

/** Whether name may name a class: 0, or LANA_EPARSE saying what is allowed. */
int class_check_name(const char *name, struct lana_diag *d);

/**
 * Makes the class spec->name (see the file comment), actor naming who did it in the audit
 * log. Tokens come from auth_random; out (caller-owned, emptied first) gets every account
 * with its token, to be handed out once; free it with class_made_free, also on failure.
 * LANA_EPARSE (a bad name, suffix or prefix length; no students), LANA_ERANGE (too many
 * students; a prefix length beyond the family), LANA_ECONFLICT (the class, or an account or
 * zone of its names, exists), LANA_EEXHAUSTED (no pool of a family has room for the class),
 * LANA_ENOTFOUND (no pool of a family), LANA_EPERM (not admin), LANA_ENOMEM, LANA_EDB.
 */
int class_create(struct names *n, const struct class_spec *spec, const char *actor,
                 struct class_made *out, struct lana_diag *d);

/** Frees what class_create put in m and wipes its tokens; safe on an emptied one. */
void class_made_free(struct class_made *m);

/* The class as recorded. */
struct class_info {
    char name[ACCOUNT_NAME_MAX];
    char suffix[DNAME_TEXT_MAX];
    int64_t students, created; /* created: unix seconds */
};

#define CLASS_ROW_BLOCKS 4

/* One student in the report. */
struct class_row {
    char name[ACCOUNT_NAME_MAX];
    bool enabled;
    struct cidr blocks[CLASS_ROW_BLOCKS]; /* the blocks it maintains at the top of its tree */
    unsigned nblocks;
    char zone[DNAME_TEXT_MAX]; /* its zone NAME-01.<suffix> ("" when gone) */
    int64_t hosts, records;    /* in that zone */
    int64_t last;              /* its last change (audit ts, unix ms; 0: none) */
};

typedef int class_row_cb(const struct class_row *r, void *arg); /* nonzero stops */

/**
 * The class name: *info (may be NULL), then one row per student in name order. Costs one
 * index seek per student and table, never a scan of the registry. 0 (also when cb stopped
 * with a positive value), cb's negative code, LANA_ENOTFOUND (no such class), LANA_EDB.
 */
int class_report(struct names *n, const char *name, struct class_info *info, class_row_cb *cb,
                 void *arg, struct lana_diag *d);

/* What class_delete took away. */
struct class_gone {
    int64_t accounts, zones, blocks, hosts;
};

/**
 * Resets the class name: deletes the zones its accounts hold or sponsor (deepest first,
 * recursively: hosts, records, delegations), releases the blocks they maintain
 * (recursively: students' blocks and host addresses go with them), removes the accounts (the
 * students, the registrar's other customers, the registrar) and the class row. The suffix
 * zone stays. *gone (may be NULL) counts it. LANA_ENOTFOUND (no such class), LANA_EPERM,
 * LANA_ENOMEM, LANA_EDB.
 */
int class_delete(struct names *n, const char *name, const char *actor, struct class_gone *gone,
                 struct lana_diag *d);
