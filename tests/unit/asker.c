/*
 * asker — see asker.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/account.h"
#include "db/zone.h"
#include "tests/unit/asker.h"

/* Every account of the fixture is made with a token whose bytes are its name's first byte
 * repeated: known, so that the tests can tell the key apart in any text. */
void key_of(const char *name, uint8_t key[AUTH_KEY_LEN])
{
    uint8_t token[AUTH_TOKEN_LEN];
    memset(token, name[0], sizeof token);
    auth_stored_key(token, key);
}

void asker_add(struct fix *f, const char *name, const char *role, const char *sponsor)
{
    struct account a;
    struct lana_diag d;
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "%s", name);
    snprintf(a.role, sizeof a.role, "%s", role);
    snprintf(a.sponsor, sizeof a.sponsor, "%s", sponsor ? sponsor : "");
    key_of(name, a.stored_key);
    if (account_add(f->db->st, &a, "lanad", &d) != 0)
        fail_msg("account add %s: %s", name, d.msg);
}

/* The accounts of asker.h over db (taken). */
static int open_with(void **state, struct testdb_names *db)
{
    struct fix *f = calloc(1, sizeof *f);
    if (f == NULL) {
        testdb_names_close(db);
        return -1;
    }
    f->db = db;
    jsonw_init(&f->j);
    f->c = (struct cmd_ctx){
        .st = f->db->st, .ip = f->db->ip, .actor = "lanad", .may_write = true, .nm = f->db->nm};
    asker_add(f, "admin", "admin", NULL);
    asker_add(f, "r1", "registrar", NULL);
    asker_add(f, "r2", "registrar", NULL);
    asker_add(f, "s1", "registrant", "r1");
    asker_add(f, "s2", "registrant", "r1");
    asker_add(f, "t3", "registrant", "r2");
    asker_add(f, "u4", "registrant", NULL);
    *state = f;
    return 0;
}

int asker_setup(void **state)
{
    struct testdb_names *db;
    return testdb_names_open_empty(&db) != 0 ? -1 : open_with(state, db);
}

int asker_setup_pools(void **state)
{
    struct testdb_names *db;
    struct lana_diag d;
    if (testdb_names_open(&db) != 0)
        return -1;
    if (zone_add(db->nm, "lab.", NULL, 0, "lanad", NULL, &d) != 0) {
        testdb_names_close(db);
        return -1;
    }
    return open_with(state, db);
}

int asker_teardown(void **state)
{
    struct fix *f = *state;
    authz_act(f->db->st, NULL);
    jsonw_free(&f->j);
    testdb_names_close(f->db);
    free(f);
    return 0;
}

/* From now on the db/ calls and requests are name's (as cmd_exec sets them), authenticated
 * with its fixture token; NULL: lanad's own. */
void asker_as(struct fix *f, const char *name)
{
    struct account a;
    struct lana_diag d;
    if (name == NULL) {
        authz_act(f->db->st, NULL);
        f->c.who = NULL;
        f->c.key = NULL;
        f->c.actor = "lanad";
        return;
    }
    assert_int_equal(account_get(f->db->st, name, &a, &d), 1);
    snprintf(f->who.name, sizeof f->who.name, "%s", a.name);
    assert_true(authz_role_parse(a.role, &f->who.role));
    key_of(name, f->key);
    authz_act(f->db->st, &f->who);
    f->c.who = &f->who;
    f->c.key = f->key;
    f->c.actor = f->who.name;
}

/* Runs a request line as the asker set by as(); the reply is in f->j.s. cmd_exec acts for
 * the asker and clears the acting account; it is set again for the db/ calls after. */
enum regproto_code asker_run(struct fix *f, const char *line)
{
    char buf[REGPROTO_LINE_MAX];
    char *argv[REGPROTO_ARGS_MAX];
    snprintf(buf, sizeof buf, "%s", line);
    int n = regproto_split(buf, argv, REGPROTO_ARGS_MAX, NULL);
    assert_true(n >= 0);
    enum regproto_code rc = cmd_run(&f->c, n, argv, &f->j);
    authz_act(f->db->st, f->c.who);
    return rc;
}


void asker_expect(struct fix *f, const char *name, const char *line, enum regproto_code want)
{
    asker_as(f, name);
    enum regproto_code got = asker_run(f, line);
    if (got != want)
        fail_msg("%s: %s: got %s, want %s: %s", name, line, regproto_code_name(got),
                 regproto_code_name(want), f->j.s);
}

bool asker_zone_has(struct fix *f, const char *zone, const char *text)
{
    return strstr(testdb_export(f->db->st, zone), text) != NULL;
}
