/* Unit tests of db/account (list, disable and enable, a new token, the JSON of an account)
 * under the authority rule, each role against each kind of change, with the audit rows they
 * leave (and the ones a refusal does not); and of the account rows of the command table
 * (server/cmd_account.c): the token leaves lanad once, in the reply, and a replaced token
 * stops a connection already authenticated with it at its next write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/jsonw.h"
#include "common/regproto.h"
#include "db/account.h"
#include "db/audit.h"
#include "db/authz.h"
#include "db/store.h"
#include "server/cmd.h"
#include "tests/lib/testdb.h"
#include "tests/unit/asker.h"

struct rows {
    char text[8192]; /* "action object before after\n" per row */
    int n;
};

static int row_cb(const struct audit_entry *e, void *arg)
{
    struct rows *r = arg;
    size_t len = strlen(r->text);
    snprintf(r->text + len, sizeof r->text - len, "%s %s %s %s\n", e->action, e->object,
             e->before ? e->before : "-", e->after ? e->after : "-");
    r->n++;
    return 0;
}

/* The audit rows after id since (every row: 0). */
static struct rows audit_rows(struct fix *f, int since)
{
    struct rows r;
    struct rows all;
    struct lana_diag d;
    memset(&all, 0, sizeof all);
    memset(&r, 0, sizeof r);
    assert_int_equal(audit_list(f->db->st, 0, 0, row_cb, &all, &d), 0);
    const char *p = all.text;
    for (int i = 0; i < all.n; i++) {
        const char *nl = strchr(p, '\n');
        if (i >= since) {
            size_t len = strlen(r.text);
            snprintf(r.text + len, sizeof r.text - len, "%.*s\n", (int)(nl - p), p);
            r.n++;
        }
        p = nl + 1;
    }
    return r;
}

static int audit_count(struct fix *f)
{
    return audit_rows(f, 0).n;
}

/* ---- list and JSON ------------------------------------------------------------------------ */

struct names {
    char text[512];
};

static int name_cb(const struct account *a, void *arg)
{
    struct names *n = arg;
    size_t len = strlen(n->text);
    snprintf(n->text + len, sizeof n->text - len, "%s%s", len ? " " : "", a->name);
    return 0;
}

static int stop_cb(const struct account *a, void *arg)
{
    (void)a;
    return ++*(int *)arg == 2 ? 7 : 0;
}

static void test_list_every_account_or_a_registrars_customers(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct names all = {""}, r1 = {""}, r2 = {""}, none = {""};
    assert_int_equal(account_list(f->db->st, NULL, name_cb, &all, &d), 0);
    assert_string_equal(all.text, "admin r1 r2 s1 s2 t3 u4");
    assert_int_equal(account_list(f->db->st, "r1", name_cb, &r1, &d), 0);
    assert_string_equal(r1.text, "s1 s2");
    assert_int_equal(account_list(f->db->st, "r2", name_cb, &r2, &d), 0);
    assert_string_equal(r2.text, "t3");
    assert_int_equal(account_list(f->db->st, "s1", name_cb, &none, &d), 0);
    assert_string_equal(none.text, "");
    /* the callback's nonzero value stops the walk and is returned */
    int seen = 0;
    assert_int_equal(account_list(f->db->st, NULL, stop_cb, &seen, &d), 7);
    assert_int_equal(seen, 2);
    /* a public read: a registrant lists everyone too, and reads change nothing */
    asker_as(f, "s1");
    int before = audit_count(f);
    assert_int_equal(asker_run(f, "account list"), RP_OK);
    assert_non_null(strstr(f->j.s, "{\"name\":\"t3\",\"role\":\"registrant\",\"sponsor\":\"r2\","
                                   "\"class\":null,\"enabled\":true,\"created\":"));
    assert_int_equal(asker_run(f, "account list --sponsor r1"), RP_OK);
    assert_null(strstr(f->j.s, "\"t3\""));
    assert_non_null(strstr(f->j.s, "\"s2\""));
    assert_int_equal(asker_run(f, "account show r2"), RP_OK);
    assert_non_null(strstr(f->j.s, "{\"ok\":true,\"account\":{\"name\":\"r2\",\"role\":"
                                   "\"registrar\",\"sponsor\":null,"));
    assert_int_equal(asker_run(f, "account show nobody"), RP_NOT_FOUND);
    assert_int_equal(audit_count(f), before);
}

/* The hex of name's StoredKey is in no text that leaves the module. */
static void no_key_in(const char *text, const char *name)
{
    uint8_t key[AUTH_KEY_LEN];
    char hex[AUTH_HEX_LEN];
    key_of(name, key);
    auth_hex(key, sizeof key, hex);
    if (strstr(text, hex) != NULL)
        fail_msg("the key of %s is in %s", name, text);
}

static void test_account_json_never_holds_the_key(void **state)
{
    struct fix *f = *state;
    struct account a;
    struct lana_diag d;
    assert_int_equal(account_get(f->db->st, "s1", &a, &d), 1);
    struct jsonw j;
    jsonw_init(&j);
    account_json(&j, &a);
    char want[256];
    snprintf(want, sizeof want,
             "{\"name\":\"s1\",\"role\":\"registrant\",\"sponsor\":\"r1\",\"class\":null,"
             "\"enabled\":true,\"created\":%lld,\"updated\":%lld}",
             (long long)a.created, (long long)a.updated);
    assert_string_equal(j.s, want);
    jsonw_free(&j);
    assert_int_equal(asker_run(f, "account list"), RP_OK);
    const char *names[] = {"admin", "r1", "r2", "s1", "s2", "t3", "u4"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        no_key_in(f->j.s, names[i]);
    no_key_in(audit_rows(f, 0).text, "s1");
}

/* ---- disable and enable ------------------------------------------------------------------- */

static void test_disable_and_enable_are_audited(void **state)
{
    struct fix *f = *state;
    struct account a;
    struct lana_diag d;
    asker_as(f, "admin");
    int before = audit_count(f);
    assert_int_equal(account_set_enabled(f->db->st, "s1", false, "admin@test", &d), 0);
    assert_int_equal(account_get(f->db->st, "s1", &a, &d), 1);
    assert_false(a.enabled);
    struct rows r = audit_rows(f, before);
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.text, "account.disable s1 {\"name\":\"s1\""));
    assert_non_null(strstr(r.text, "\"enabled\":true,"));
    assert_non_null(strstr(r.text, "\"enabled\":false,"));
    assert_true(strstr(r.text, "\"enabled\":true,") < strstr(r.text, "\"enabled\":false,"));
    /* the state it has already: nothing changes, nothing is audited */
    char *dump0 = testdb_dump(f->db->st);
    assert_int_equal(account_set_enabled(f->db->st, "s1", false, "admin@test", &d), 0);
    char *dump1 = testdb_dump(f->db->st);
    assert_string_equal(dump0, dump1);
    free(dump0);
    free(dump1);
    assert_int_equal(account_set_enabled(f->db->st, "s1", true, "admin@test", &d), 0);
    assert_int_equal(account_get(f->db->st, "s1", &a, &d), 1);
    assert_true(a.enabled);
    r = audit_rows(f, before + 1);
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.text, "account.enable s1 "));
    /* through the table: the account as it now is */
    assert_int_equal(asker_run(f, "account disable s2"), RP_OK);
    assert_non_null(strstr(f->j.s, "{\"ok\":true,\"account\":{\"name\":\"s2\""));
    assert_non_null(strstr(f->j.s, "\"enabled\":false"));
    assert_int_equal(asker_run(f, "account enable s2"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"enabled\":true"));
    assert_int_equal(asker_run(f, "account disable nobody"), RP_NOT_FOUND);
}

static void test_admin_cannot_be_disabled(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct account a;
    char *before = testdb_dump(f->db->st);
    /* by admin, by lanad's own hand, and through the table: refused, nothing written */
    for (int who = 0; who < 2; who++) {
        asker_as(f, who ? "admin" : NULL);
        assert_int_equal(account_set_enabled(f->db->st, "admin", false, "x", &d), LANA_EPERM);
        assert_non_null(strstr(d.msg, "account admin cannot be disabled"));
    }
    assert_int_equal(asker_run(f, "account disable admin"), RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "account admin cannot be disabled"));
    char *after = testdb_dump(f->db->st);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(account_get(f->db->st, "admin", &a, &d), 1);
    assert_true(a.enabled);
    /* another admin account may be disabled, by admin (not by itself) */
    asker_as(f, NULL);
    asker_add(f, "ops", "admin", NULL);
    asker_as(f, "ops");
    assert_int_equal(account_set_enabled(f->db->st, "ops", false, "x", &d), LANA_EPERM);
    asker_as(f, "admin");
    assert_int_equal(account_set_enabled(f->db->st, "ops", false, "x", &d), 0);
}

/* ---- who may do what ---------------------------------------------------------------------- */

enum op { ADD_REGISTRAR, ADD_REGISTRANT, ADD_FOR_R2, DISABLE, ENABLE, TOKEN };

static const struct authority {
    const char *who;
    enum op op;
    const char *target;
    int rc; /* 0 or LANA_EPERM */
} cases[] = {
    /* admin: anything (but disabling admin, above) */
    {"admin", ADD_REGISTRAR, "n1", 0},
    {"admin", ADD_REGISTRANT, "n2", 0},
    {"admin", ADD_FOR_R2, "n3", 0},
    {"admin", DISABLE, "r1", 0},
    {"admin", DISABLE, "u4", 0},
    {"admin", ENABLE, "t3", 0},
    {"admin", TOKEN, "s1", 0},
    {"admin", TOKEN, "admin", 0},
    /* a registrar: its customers, and its own token */
    {"r1", ADD_REGISTRAR, "n4", LANA_EPERM},
    {"r1", ADD_REGISTRANT, "n5", 0},
    {"r1", ADD_FOR_R2, "n6", LANA_EPERM},
    {"r1", DISABLE, "s1", 0},
    {"r1", ENABLE, "s2", 0},
    {"r1", TOKEN, "s2", 0},
    {"r1", TOKEN, "r1", 0},
    {"r1", DISABLE, "r1", LANA_EPERM},
    {"r1", DISABLE, "t3", LANA_EPERM},
    {"r1", DISABLE, "u4", LANA_EPERM},
    {"r1", DISABLE, "r2", LANA_EPERM},
    {"r1", DISABLE, "admin", LANA_EPERM},
    {"r1", TOKEN, "t3", LANA_EPERM},
    {"r1", TOKEN, "r2", LANA_EPERM},
    {"r1", TOKEN, "admin", LANA_EPERM},
    /* a registrant: its own token, nothing else */
    {"s1", ADD_REGISTRAR, "n7", LANA_EPERM},
    {"s1", ADD_REGISTRANT, "n8", LANA_EPERM},
    {"s1", TOKEN, "s1", 0},
    {"s1", TOKEN, "s2", LANA_EPERM},
    {"s1", TOKEN, "r1", LANA_EPERM},
    {"s1", DISABLE, "s1", LANA_EPERM},
    {"s1", DISABLE, "s2", LANA_EPERM},
    {"s1", ENABLE, "s2", LANA_EPERM},
    {"s1", DISABLE, "r1", LANA_EPERM},
};

static int do_op(struct fix *f, const struct authority *c, struct lana_diag *d)
{
    struct account a;
    uint8_t key[AUTH_KEY_LEN];
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "%s", c->target);
    key_of("k", a.stored_key);
    switch (c->op) {
    case ADD_REGISTRAR:
    case ADD_REGISTRANT:
    case ADD_FOR_R2:
        snprintf(a.role, sizeof a.role, "%s", c->op == ADD_REGISTRAR ? "registrar" : "registrant");
        if (c->op == ADD_FOR_R2)
            snprintf(a.sponsor, sizeof a.sponsor, "r2");
        return account_add(f->db->st, &a, c->who, d);
    case DISABLE:
    case ENABLE: /* the caller disabled the target first: a success is a change */
        return account_set_enabled(f->db->st, c->target, c->op == ENABLE, c->who, d);
    case TOKEN: key_of("k", key); return account_set_key(f->db->st, c->target, key, c->who, d);
    }
    return -1;
}

static const char *const actions[] = {"account.add",     "account.add",    "account.add",
                                      "account.disable", "account.enable", "account.token"};

static void test_each_role_may_change_what_it_holds_authority_over(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct authority *c = &cases[i];
        void *st;
        assert_int_equal(asker_setup(&st), 0);
        struct fix *f = st;
        struct lana_diag d;
        asker_as(f, c->who);
        if (c->op == ENABLE) { /* the disable that sets it up is not counted: the asker's own
                                * when it may (what an admin disabled, only an admin enables) */
            asker_as(f, c->rc == 0 ? c->who : NULL);
            assert_int_equal(account_set_enabled(f->db->st, c->target, false, "setup", &d), 0);
            asker_as(f, c->who);
        }
        int rows = audit_count(f);
        char *before = testdb_dump(f->db->st);
        int rc = do_op(f, c, &d);
        char *after = testdb_dump(f->db->st);
        if (rc != c->rc)
            fail_msg("%s %s %s: rc %d, want %d (%s)", c->who, actions[c->op], c->target, rc, c->rc,
                     rc ? d.msg : "");
        if (rc == 0) {
            struct rows r = audit_rows(f, rows);
            char want[64];
            snprintf(want, sizeof want, "%s %s ", actions[c->op], c->target);
            if (r.n != 1 || strncmp(r.text, want, strlen(want)) != 0)
                fail_msg("%s %s %s: audit %s", c->who, actions[c->op], c->target, r.text);
        } else if (strcmp(before, after) != 0 || audit_count(f) != rows) {
            fail_msg("%s %s %s: refused, yet the database changed", c->who, actions[c->op],
                     c->target);
        } else if (strstr(d.msg, c->who) == NULL) {
            fail_msg("%s %s %s: the refusal does not name the asker: %s", c->who, actions[c->op],
                     c->target, d.msg);
        }
        free(before);
        free(after);
        asker_teardown(&st);
    }
}

/* A registrar's new registrant is its customer, whatever sponsor it names: refused when it
 * names another; admin's may name one (or none: admin's own). */
static void test_a_registrars_registrant_is_its_customer(void **state)
{
    struct fix *f = *state;
    struct account a;
    struct lana_diag d;
    asker_as(f, "r1");
    assert_int_equal(asker_run(f, "account add n1 --role registrant"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"sponsor\":\"r1\""));
    assert_int_equal(asker_run(f, "account add n2 --role registrant --sponsor r2"), RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "not r2's"));
    asker_as(f, "admin");
    assert_int_equal(asker_run(f, "account add n3 --role registrant --sponsor r2"), RP_OK);
    assert_int_equal(account_get(f->db->st, "n3", &a, &d), 1);
    assert_string_equal(a.sponsor, "r2");
    assert_int_equal(asker_run(f, "account add n4 --role registrant --sponsor s1"), RP_NOT_FOUND);
    assert_int_equal(asker_run(f, "account add n5 --role registrar --sponsor r2"), RP_INVALID);
    assert_non_null(strstr(f->j.s, "only a registrant has a sponsor"));
    assert_int_equal(asker_run(f, "account add n6"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "--role admin|registrar|registrant is required"));
    assert_int_equal(asker_run(f, "account add n7 --role king"), RP_INVALID);
    assert_int_equal(asker_run(f, "account add N8 --role registrant"), RP_INVALID);
    assert_int_equal(asker_run(f, "account add s1 --role registrant"), RP_CONFLICT);
    assert_int_equal(account_get(f->db->st, "n5", &a, &d), 0);
}

/* ---- tokens ------------------------------------------------------------------------------- */

/* The token in a reply: its 64 hex digits into token; false when there is none. */
static bool reply_token(const char *reply, uint8_t token[AUTH_TOKEN_LEN])
{
    const char *p = strstr(reply, "\"token\":\"");
    char hex[AUTH_HEX_LEN];
    if (p == NULL || strlen(p + 9) < AUTH_HEX_LEN - 1 || p[9 + AUTH_HEX_LEN - 1] != '"')
        return false;
    memcpy(hex, p + 9, AUTH_HEX_LEN - 1);
    hex[AUTH_HEX_LEN - 1] = '\0';
    return auth_unhex(hex, token, AUTH_TOKEN_LEN) == 0;
}

static void test_a_new_account_gets_its_token_once(void **state)
{
    struct fix *f = *state;
    struct account a;
    struct lana_diag d;
    uint8_t token[AUTH_TOKEN_LEN], key[AUTH_KEY_LEN], again[AUTH_TOKEN_LEN];
    asker_as(f, "admin");
    int rows = audit_count(f);
    assert_int_equal(asker_run(f, "account add n1 --role registrar"), RP_OK);
    assert_true(reply_token(f->j.s, token));
    assert_non_null(strstr(f->j.s, "{\"ok\":true,\"account\":{\"name\":\"n1\",\"role\":"
                                   "\"registrar\",\"sponsor\":null,\"class\":null,\"enabled\":"
                                   "true,"));
    /* stored as its hash only: the key is SHA-256 of the token the reply gave */
    assert_int_equal(account_get(f->db->st, "n1", &a, &d), 1);
    auth_stored_key(token, key);
    assert_memory_equal(a.stored_key, key, AUTH_KEY_LEN);
    char hex[AUTH_HEX_LEN];
    auth_hex(token, sizeof token, hex);
    char *db = testdb_dump(f->db->st);
    assert_null(strstr(db, hex)); /* the token itself is nowhere in the database */
    free(db);
    struct rows r = audit_rows(f, rows);
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.text, "account.add n1 "));
    assert_int_equal(asker_run(f, "account show n1"), RP_OK);
    assert_null(strstr(f->j.s, "token"));
    /* a second account gets another token */
    assert_int_equal(asker_run(f, "account add n2 --role registrar"), RP_OK);
    assert_true(reply_token(f->j.s, again));
    assert_memory_not_equal(token, again, AUTH_TOKEN_LEN);
}

static void test_a_new_token_stops_the_old_at_once(void **state)
{
    struct fix *f = *state;
    struct account a;
    struct lana_diag d;
    uint8_t old[AUTH_TOKEN_LEN], token[AUTH_TOKEN_LEN], key[AUTH_KEY_LEN], proof[AUTH_TOKEN_LEN];
    memset(old, 's', sizeof old); /* s1's fixture token */
    /* s1, authenticated, replaces its own token */
    asker_as(f, "s1");
    int rows = audit_count(f);
    assert_int_equal(asker_run(f, "account token s1"), RP_OK);
    assert_true(reply_token(f->j.s, token));
    assert_int_equal(account_get(f->db->st, "s1", &a, &d), 1);
    auth_stored_key(token, key);
    assert_memory_equal(a.stored_key, key, AUTH_KEY_LEN);
    /* authentication: the new token's proof verifies, the old one's no longer */
    auth_proof(token, 11, 22, proof);
    assert_true(auth_verify(a.stored_key, 11, 22, proof));
    auth_proof(old, 11, 22, proof);
    assert_false(auth_verify(a.stored_key, 11, 22, proof));
    /* the audit row says so, with no secret in it: neither token nor key, old or new */
    struct rows r = audit_rows(f, rows);
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.text, "account.token s1 "));
    char hex[AUTH_HEX_LEN];
    auth_hex(token, sizeof token, hex);
    assert_null(strstr(r.text, hex));
    auth_hex(key, sizeof key, hex);
    assert_null(strstr(r.text, hex));
    auth_hex(old, sizeof old, hex);
    assert_null(strstr(r.text, hex));
    no_key_in(r.text, "s1");
    /* this very connection (still holding the old key) is refused its next write, and
     * nothing changes; reads go on */
    char *before = testdb_dump(f->db->st);
    assert_int_equal(asker_run(f, "account token s1"), RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "the token of s1 was replaced"));
    char *after = testdb_dump(f->db->st);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(asker_run(f, "account show s1"), RP_OK);
    /* with the new key the connection writes again */
    memcpy(f->key, key, sizeof f->key);
    assert_int_equal(asker_run(f, "account token s1"), RP_OK);
}

static void test_a_registrars_rotation_stops_its_customer(void **state)
{
    struct fix *f = *state;
    /* s1 is connected; r1, its registrar, replaces s1's token from another connection */
    struct cmd_ctx s1 = f->c;
    struct authz_who s1_who = {"s1", AUTHZ_REGISTRANT};
    uint8_t s1_key[AUTH_KEY_LEN];
    key_of("s1", s1_key);
    s1.who = &s1_who;
    s1.key = s1_key;
    s1.actor = "s1";
    asker_as(f, "r1");
    assert_int_equal(asker_run(f, "account token s1"), RP_OK);
    char buf[64] = "account token s1", *argv[4];
    int n = regproto_split(buf, argv, 4, NULL);
    assert_int_equal(cmd_run(&s1, n, argv, &f->j), RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "the token of s1 was replaced"));
    /* a disabled account is refused every write too, its own token included */
    asker_as(f, "admin");
    assert_int_equal(asker_run(f, "account disable r1"), RP_OK);
    asker_as(f, "r1");
    assert_int_equal(asker_run(f, "account token r1"), RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "account r1 is disabled"));
    assert_int_equal(asker_run(f, "account add n1 --role registrant"), RP_PERMISSION);
    assert_int_equal(asker_run(f, "account list"), RP_OK); /* it still reads */
}


/* The audit log shows admin everything, a registrar its own and its customers' changes, a
 * registrant its own: each of r1, s1, s2, r2, t3 and admin makes one change (a new token of
 * its own), then each reads the log. */
static void test_the_log_shows_each_account_its_own(void **state)
{
    struct fix *f = *state;
    const char *who[] = {"admin", "r1", "s1", "s2", "r2", "t3"};
    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
        char line[64];
        asker_as(f, who[i]);
        snprintf(line, sizeof line, "account token %s", who[i]);
        if (asker_run(f, line) != RP_OK)
            fail_msg("%s: %s", line, f->j.s);
    }
    static const struct {
        const char *viewer, *sees;
    } want[] = {
        {"admin", "admin r1 s1 s2 r2 t3 "}, {"r1", "r1 s1 s2 "}, {"s1", "s1 "},
        {"s2", "s2 "},                      {"r2", "r2 t3 "},    {"t3", "t3 "},
        {"u4", ""},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        asker_as(f, want[i].viewer);
        assert_int_equal(asker_run(f, "log"), RP_OK);
        char seen[256] = "";
        const char *p = f->j.s;
        while ((p = strstr(p, "\"action\":\"account.token\",\"object\":\"")) != NULL) {
            p += strlen("\"action\":\"account.token\",\"object\":\"");
            size_t n = strcspn(p, "\""), len = strlen(seen);
            snprintf(seen + len, sizeof seen - len, "%.*s ", (int)n, p);
        }
        if (strcmp(seen, want[i].sees) != 0)
            fail_msg("%s's log: the tokens of \"%s\", want \"%s\"", want[i].viewer, seen,
                     want[i].sees);
    }
    asker_as(f, NULL);
    f->c.may_write = false; /* anonymous: the log is for accounts */
    assert_int_equal(asker_run(f, "log"), RP_PERMISSION);
}

/* What an admin disabled, only an admin enables: a registrar may enable its customer again
 * only when it disabled it itself. */
static void test_what_an_admin_disabled_only_an_admin_enables(void **state)
{
    struct fix *f = *state;
    asker_as(f, "admin");
    assert_int_equal(asker_run(f, "account disable s1"), RP_OK);
    asker_as(f, "r1");
    assert_int_equal(asker_run(f, "account enable s1"), RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "account s1 was disabled by an admin: only an admin enables it"));
    assert_int_equal(asker_run(f, "account disable s2"), RP_OK);
    assert_int_equal(asker_run(f, "account enable s2"), RP_OK);
    asker_as(f, "admin");
    assert_int_equal(asker_run(f, "account enable s1"), RP_OK);
}

/* lana log --limit N shows the newest N (oldest first); with --since, the first N from then. */
static void test_the_log_limit_keeps_the_newest(void **state)
{
    struct fix *f = *state;
    const char *who[] = {"admin", "r1", "s1"};
    for (size_t i = 0; i < 3; i++) {
        char line[64];
        asker_as(f, who[i]);
        snprintf(line, sizeof line, "account token %s", who[i]);
        assert_int_equal(asker_run(f, line), RP_OK);
    }
    asker_as(f, "admin");
    assert_int_equal(asker_run(f, "log --limit 2"), RP_OK);
    const char *r1 = strstr(f->j.s, "\"object\":\"r1\""), *s1 = strstr(f->j.s, "\"object\":\"s1\"");
    assert_non_null(r1);
    assert_non_null(s1);
    assert_true(r1 < s1);
    assert_null(strstr(f->j.s, "\"action\":\"account.add\""));
    assert_int_equal(asker_run(f, "log --since 0 --limit 2"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"action\":\"account.add\",\"object\":\"admin\""));
    assert_non_null(strstr(f->j.s, "\"action\":\"account.add\",\"object\":\"r1\""));
    assert_null(strstr(f->j.s, "account.token"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_every_account_or_a_registrars_customers, asker_setup,
                                        asker_teardown),
        cmocka_unit_test_setup_teardown(test_account_json_never_holds_the_key, asker_setup, asker_teardown),
        cmocka_unit_test_setup_teardown(test_disable_and_enable_are_audited, asker_setup, asker_teardown),
        cmocka_unit_test_setup_teardown(test_admin_cannot_be_disabled, asker_setup, asker_teardown),
        cmocka_unit_test_setup_teardown(test_the_log_limit_keeps_the_newest, asker_setup,
                                        asker_teardown),
        cmocka_unit_test_setup_teardown(test_what_an_admin_disabled_only_an_admin_enables,
                                        asker_setup, asker_teardown),
        cmocka_unit_test_setup_teardown(test_the_log_shows_each_account_its_own, asker_setup,
                                        asker_teardown),
        cmocka_unit_test(test_each_role_may_change_what_it_holds_authority_over),
        cmocka_unit_test_setup_teardown(test_a_registrars_registrant_is_its_customer, asker_setup,
                                        asker_teardown),
        cmocka_unit_test_setup_teardown(test_a_new_account_gets_its_token_once, asker_setup, asker_teardown),
        cmocka_unit_test_setup_teardown(test_a_new_token_stops_the_old_at_once, asker_setup, asker_teardown),
        cmocka_unit_test_setup_teardown(test_a_registrars_rotation_stops_its_customer, asker_setup,
                                        asker_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
