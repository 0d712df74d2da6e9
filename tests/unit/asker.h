/*
 * asker — a registry with accounts for the unit tests of authority: admin; registrars r1 and
 * r2; r1's customers s1 and s2, r2's customer t3; u4, a registrant of admin's own (no
 * sponsor). Requests run through the command table (server/cmd.c) as one of them, as
 * lanad's registry thread runs them. Every account's token is its name's first byte
 * repeated, so that a test can tell the key apart in any text.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/auth.h"
#include "common/jsonw.h"
#include "common/regproto.h"
#include "db/authz.h"
#include "server/cmd.h"
#include "tests/lib/testdb.h"

struct fix {
    struct testdb_names *db;
    struct jsonw j;
    struct cmd_ctx c;
    struct authz_who who;
    uint8_t key[AUTH_KEY_LEN]; /* the StoredKey the asker authenticated with */
};

/** The StoredKey of the fixture token of account name. */
void key_of(const char *name, uint8_t key[AUTH_KEY_LEN]);
/** Adds an account (lanad's own act); fails the test on an error. */
void asker_add(struct fix *f, const char *name, const char *role, const char *sponsor);
/** cmocka fixtures: the accounts above over an empty registry (no pools), and its end. */
int asker_setup(void **state);
int asker_teardown(void **state);
/** The same accounts over testdb_names_open's registry (pools 198.18.0.0/15 and
 * 2001:db8::/32, admin's, with their reverse zones) plus the zone lab., admin's. */
int asker_setup_pools(void **state);
/** From now on the db/ calls and requests are name's (as cmd_exec sets them), authenticated
 * with its fixture token; NULL: lanad's own. */
void asker_as(struct fix *f, const char *name);
/** Runs a request line as the asker; the reply is in f->j.s. */
enum regproto_code asker_run(struct fix *f, const char *line);
/** Runs line as name and fails the test unless it gets want; the reply stays in f->j.s. */
void asker_expect(struct fix *f, const char *name, const char *line, enum regproto_code want);
/** Whether zone's master file (testdb_export) holds text. */
bool asker_zone_has(struct fix *f, const char *zone, const char *text);
