/* Unit tests of db/authz, the one authority rule, against a small model written from the
 * issue's words (not from authz.c): random trees of blocks (pools admin's, delegations to
 * random accounts), random zones, random accounts; random operations by random accounts
 * through the real db/ calls with the acting account set. Each verdict (refused with
 * LANA_EPERM or not) must be the model's; a refusal changes nothing and writes no audit row.
 * Then the property of `authority`: the list of what an account may change equals what
 * actually succeeds (every block, zone and account tried, each in a transaction rolled
 * back), and authz_list reads only what it lists. Pools 198.18.0.0/15 and 2001:db8::/32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cidr.h"
#include "common/log.h"
#include "common/regproto.h"
#include "db/authz.h"
#include "db/ipam.h"
#include "db/store_int.h"
#include "db/zone.h"
#include "server/cmd.h"
#include "tests/lib/testdb.h"
#include "tests/unit/authz_model.h"

/* ---- the rule against the model ---------------------------------------------------------- */

static void test_rule_equals_the_model(void **state)
{
    (void)state;
    int tried[3] = {0}, allowed = 0;
    for (uint64_t seed = model_seed_base(); seed < model_seed_base() + 4; seed++) {
        struct world *w = model_grown(seed, 700);
        for (int k = 0; k < 3; k++)
            tried[k] += w->tried[k];
        allowed += w->got[ALLOW];
        model_world_free(w);
    }
    print_message("verdicts: %d allowed (%d succeeded), %d refused, %d conflicts\n",
                  tried[ALLOW], allowed, tried[DENY], tried[STRUCT]);
    /* the walk reaches both verdicts often, and what is allowed mostly works */
    assert_true(tried[ALLOW] > 400 && tried[DENY] > 400 && allowed > tried[ALLOW] / 2);
}

/* ---- authority equals what succeeds ----------------------------------------------------- */

static enum regproto_code run(struct cmd_ctx *c, struct jsonw *j, const char *line)
{
    char buf[REGPROTO_LINE_MAX];
    char *argv[REGPROTO_ARGS_MAX];
    snprintf(buf, sizeof buf, "%s", line);
    int n = regproto_split(buf, argv, REGPROTO_ARGS_MAX, NULL);
    assert_true(n > 0);
    return cmd_run(c, n, argv, j);
}

/* Runs line as c's account in a transaction rolled back after: whether it succeeded. */
static bool tried(struct world *w, struct cmd_ctx *c, struct jsonw *j, const char *line)
{
    struct lana_diag d;
    assert_int_equal(store_begin(model_store(w), &d), 0);
    enum regproto_code rc = run(c, j, line);
    store_rollback(model_store(w));
    if (rc != RP_OK && rc != RP_PERMISSION)
        fail_msg("%s by %s: %s", line, c->who->name, j->s);
    return rc == RP_OK;
}

/* A new token for account t, as `account token` does it: the asker still holds its own token
 * (authz_current, as every write through the command table) and has authority (authz_account). */
static bool token_tried(struct world *w, int i, int t, struct cmd_ctx *c, struct jsonw *j)
{
    static char *account_token[] = {"account", "token"};
    if (cmd_find(2, account_token) != NULL) { /* the command itself, where it is built */
        char line[64];
        snprintf(line, sizeof line, "account token %s", w->a[t].name);
        return tried(w, c, j, line);
    }
    struct lana_diag d;
    authz_act(model_store(w), &w->a[i].who);
    bool ok = authz_current(model_store(w), w->a[i].key, &d) == 0 &&
              authz_account(model_store(w), w->a[t].name, true, &d) == 0;
    authz_act(model_store(w), NULL);
    return ok;
}

static void authority_is_what_succeeds(struct world *w, int i, struct jsonw *j)
{
    struct m_acct *a = &w->a[i];
    struct cmd_ctx anon = {.st = model_store(w), .ip = w->db->ip, .actor = "", .nm = w->db->nm};
    struct cmd_ctx c = {.st = model_store(w), .ip = w->db->ip, .actor = a->name, .may_write = true,
                        .who = &a->who, .key = a->key, .nm = w->db->nm};
    char line[DNAME_TEXT_MAX + 64];
    snprintf(line, sizeof line, "authority %s", a->name);
    if (run(&anon, j, line) != RP_OK)
        fail_msg("%s: %s", line, j->s);
    json_t *r = json_loads(j->s, 0, NULL), *o;
    assert_non_null(r);
    bool all = json_is_true(json_object_get(r, "everything"));
    struct names_seen listed = {0}, done = {0};
    size_t k;
    json_array_foreach(json_object_get(r, "objects"), k, o)
    {
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (strcmp(kind, "registry") != 0 && strcmp(kind, "everything") != 0)
            model_seen_add(&listed, kind, json_string_value(json_object_get(o, "name")));
    }
    /* the registry zones, to check apart: may it register a name below each zone? */
    bool reg[MAXZ] = {false}, held[MAXZ] = {false};
    json_array_foreach(json_object_get(r, "objects"), k, o)
    {
        const char *kind = json_string_value(json_object_get(o, "kind")),
                   *name = json_string_value(json_object_get(o, "name"));
        for (int z = 0; z < w->nz; z++)
            if (w->z[z].alive && strcmp(w->z[z].name, name) == 0) {
                reg[z] |= strcmp(kind, "registry") == 0;
                held[z] |= strcmp(kind, "zone") == 0;
            }
    }
    for (int b = 0; b < w->nb; b++) {
        if (!w->b[b].alive)
            continue;
        char t[CIDR_STRLEN];
        cidr_format(&w->b[b].p, t, sizeof t);
        snprintf(line, sizeof line, "block update %s --desc probe", t);
        if (tried(w, &c, j, line))
            model_seen_add(&done, "block", t);
        if (all)
            model_seen_add(&listed, "block", t);
    }
    for (int z = 0; z < w->nz; z++) {
        if (!w->z[z].alive)
            continue;
        snprintf(line, sizeof line, "zone del %s --recursive", w->z[z].name);
        bool ok = tried(w, &c, j, line);
        if (ok)
            model_seen_add(&done, "zone", w->z[z].name);
        if (all)
            model_seen_add(&listed, "zone", w->z[z].name);
        if (w->z[z].rev.family != 0)
            continue; /* a reverse name follows its block: its zone's apex may be another's */
        snprintf(line, sizeof line, "record add %s TXT probe", w->z[z].name);
        if (tried(w, &c, j, line) != ok)
            fail_msg("%s by %s: not as zone del", line, a->name);
        snprintf(line, sizeof line, "zone add probe.%s", w->z[z].name);
        if (tried(w, &c, j, line) != (all || held[z] || reg[z]))
            fail_msg("%s by %s: the authority says %d", line, a->name, all || held[z] || reg[z]);
    }
    for (int t = 0; t < NACCT; t++) {
        if (token_tried(w, i, t, &c, j))
            model_seen_add(&done, "account", w->a[t].name);
        if (all)
            model_seen_add(&listed, "account", w->a[t].name);
    }
    char *want = model_seen_text(&listed), *got = model_seen_text(&done);
    if (strcmp(want, got) != 0)
        fail_msg("authority %s lists:\n%s\nwhat succeeded:\n%s", a->name, want, got);
    free(want);
    free(got);
    json_decref(r);
}

static void test_authority_is_what_succeeds(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    for (uint64_t seed = model_seed_base() + 100; seed < model_seed_base() + 102; seed++) {
        struct world *w = model_grown(seed, 500);
        model_disable(w, 2); /* a registrar and a registrant that hold things: now they may nothing */
        model_disable(w, 5);
        model_lists_match(w);
        for (int i = 0; i < NACCT; i++)
            authority_is_what_succeeds(w, i, &j);
        /* the asker's own without ACCOUNT; an anonymous asker must name one */
        struct cmd_ctx c = {.st = model_store(w), .ip = w->db->ip, .actor = "stu1", .may_write = true,
                            .who = &w->a[4].who, .key = w->a[4].key, .nm = w->db->nm};
        assert_int_equal(run(&c, &j, "authority stu1"), RP_OK);
        char *named = strdup(j.s);
        assert_int_equal(run(&c, &j, "authority"), RP_OK);
        assert_string_equal(j.s, named);
        free(named);
        c.who = NULL;
        c.may_write = false;
        assert_int_equal(run(&c, &j, "authority"), RP_USAGE);
        assert_int_equal(run(&c, &j, "authority nobody"), RP_NOT_FOUND);
        assert_int_equal(run(&c, &j, "authority No/Such"), RP_INVALID);
        model_world_free(w);
    }
    jsonw_free(&j);
}

/* ---- the cost of a list ------------------------------------------------------------------ */

static int count_vm(void *arg)
{
    (*(unsigned long *)arg)++;
    return 0;
}

/* SQLite virtual machine steps of authz_list for account i (every 16th counted). */
static unsigned long list_cost(struct world *w, int i, int *items)
{
    unsigned long n = 0;
    struct names_seen s = {0};
    struct lana_diag d;
    sqlite3_progress_handler(model_store(w)->db, 16, count_vm, &n);
    assert_int_equal(authz_list(model_store(w), w->a[i].name, model_list_cb, &s, &d), 0);
    sqlite3_progress_handler(model_store(w)->db, 0, NULL, NULL);
    *items = s.n;
    free(model_seen_text(&s));
    return n;
}

/* Adds n blocks (/29 of admin's, in the pool) and n / 4 zones of reg2's below lab. */
static void bloat(struct world *w, int n)
{
    struct lana_diag d;
    struct cidr p;
    cidr_parse("198.18.0.0/15", &p, NULL);
    assert_int_equal(store_begin(model_store(w), &d), 0);
    for (int k = 0; k < n; k++)
        assert_int_equal(ipam_alloc(w->db->ip, &p, 29, IPAM_ALLOCATED, NULL, NULL, "t", NULL, &d), 0);
    for (int k = 0; k < n / 4; k++) {
        char name[64];
        snprintf(name, sizeof name, "x%d.lab.", ++w->serial);
        assert_int_equal(zone_register(w->db->nm, name, "reg2", NULL, 0, "t", NULL, &d), 0);
    }
    assert_int_equal(store_commit(model_store(w), &d), 0);
}

static void test_a_list_reads_what_it_lists_not_the_registry(void **state)
{
    (void)state;
    struct world *w = model_world_new(7);
    struct lana_diag d;
    struct cidr p16, p24;
    cidr_parse("198.18.0.0/16", &p16, NULL);
    cidr_parse("198.18.7.0/24", &p24, NULL);
    struct ipam_new to_reg = {.status = IPAM_ALLOCATED, .to = "reg1"},
                    to_stu = {.status = IPAM_ASSIGNED, .to = "stu1"};
    assert_int_equal(ipam_take_new(w->db->ip, &p16, &to_reg, "t", NULL, &d), 0);
    assert_int_equal(ipam_take_new(w->db->ip, &p24, &to_stu, "t", NULL, &d), 0);
    assert_int_equal(zone_add(w->db->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(zone_register(w->db->nm, "stu1.lab.", "stu1", NULL, 0, "t", NULL, &d), 0);
    bloat(w, 200);
    int small_n, big_n, reg_small_n, reg_big_n;
    unsigned long small = list_cost(w, 4, &small_n), reg_small = list_cost(w, 1, &reg_small_n);
    bloat(w, 3000);
    unsigned long big = list_cost(w, 4, &big_n), reg_big = list_cost(w, 1, &reg_big_n);
    print_message("authz_list of stu1: %lu VM steps/16 (%d items) at 250 objects, %lu at 4000;"
                  " reg1: %lu, %lu\n", small, small_n, big, reg_small, reg_big);
    assert_int_equal(small_n, big_n);
    assert_int_equal(reg_small_n, reg_big_n);
    /* the registry grew fifteen-fold; what is listed did not, nor may the cost (a scan of the
     * blocks or zones would grow with them) */
    assert_true(big < small * 2 + 16 && reg_big < reg_small * 2 + 16);
    model_world_free(w);
}

int main(void)
{
    log_init("test_authz", LOG_LVL_ERR); /* the refusals the property test makes are many */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_equals_the_model),
        cmocka_unit_test(test_authority_is_what_succeeds),
        cmocka_unit_test(test_a_list_reads_what_it_lists_not_the_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
