/*
 * testdb — see testdb.h.
 */
#include "tests/lib/testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/ipam.h"
#include "db/names.h"
#include "db/store.h"
#include "db/store_int.h"
#include "db/zone.h"
#include "db/zoneio.h"

int testdb_make(struct testdb *t)
{
    snprintf(t->dir, sizeof t->dir, "%s/lana-test.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof t->path, "%s/t.db", t->dir);
    return 0;
}

int testdb_import(struct testdb *t, const char *zone_text)
{
    struct store *st = NULL;
    struct lana_diag d;
    int rc = store_open(t->path, &st, NULL, &d);
    if (rc != 0)
        return rc;
    FILE *fp = fmemopen((void *)zone_text, strlen(zone_text), "r");
    rc = zoneio_import(st, fp, "test", NULL, NULL, &d);
    if (rc != 0)
        fprintf(stderr, "import: %s\n", d.msg);
    fclose(fp);
    store_close(st);
    return rc;
}

void testdb_cleanup(struct testdb *t)
{
    char p[400];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", t->path, suffix[i]);
        unlink(p);
    }
    rmdir(t->dir);
}

int testdb_teardown(void **state)
{
    testdb_cleanup(*state);
    free(*state);
    return 0;
}

const char *testdb_data(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", LANA_TEST_DATA, name);
    return p;
}

static void dump_value(FILE *fp, sqlite3_stmt *s, int col)
{
    switch (sqlite3_column_type(s, col)) {
    case SQLITE_NULL:
        fputs("NULL", fp);
        break;
    case SQLITE_INTEGER:
        fprintf(fp, "%lld", (long long)sqlite3_column_int64(s, col));
        break;
    case SQLITE_FLOAT:
        fprintf(fp, "%.17g", sqlite3_column_double(s, col));
        break;
    case SQLITE_TEXT:
        fprintf(fp, "'%s'", (const char *)sqlite3_column_text(s, col));
        break;
    default: {
        const unsigned char *b = sqlite3_column_blob(s, col);
        int n = sqlite3_column_bytes(s, col);
        fputs("x'", fp);
        for (int i = 0; i < n; i++)
            fprintf(fp, "%02x", b[i]);
        fputc('\'', fp);
    }
    }
}

static int dump_table(FILE *fp, sqlite3 *db, const char *table)
{
    char sql[512];
    sqlite3_stmt *s = NULL;
    int n = snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
    if (n < 0 || (size_t)n >= sizeof sql || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    int cols = sqlite3_column_count(s);
    sqlite3_finalize(s);
    size_t len = (size_t)n;
    for (int i = 1; i <= cols; i++) {
        n = snprintf(sql + len, sizeof sql - len, "%s%d", i == 1 ? " ORDER BY " : ", ", i);
        if (n < 0 || (size_t)n >= sizeof sql - len)
            return -1;
        len += (size_t)n;
    }
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    fprintf(fp, "table %s\n", table);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        for (int i = 0; i < cols; i++) {
            if (i > 0)
                fputc('|', fp);
            dump_value(fp, s, i);
        }
        fputc('\n', fp);
    }
    sqlite3_finalize(s);
    return step == SQLITE_DONE ? 0 : -1;
}

char *testdb_dump(struct store *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (fp == NULL)
        return NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                           -1, &s, NULL) != SQLITE_OK)
        goto out;
    char names[32][64];
    int nt = 0, step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW && nt < 32)
        snprintf(names[nt++], sizeof names[0], "%s", (const char *)sqlite3_column_text(s, 0));
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        goto out;
    rc = 0;
    for (int i = 0; rc == 0 && i < nt; i++)
        rc = dump_table(fp, st->db, names[i]);
out:
    sqlite3_finalize(s);
    fclose(fp);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int testdb_names_open_empty(struct testdb_names **out)
{
    struct testdb_names *f = calloc(1, sizeof *f);
    struct lana_diag d = {{0}};
    *out = NULL;
    if (f == NULL || testdb_make(&f->t) != 0)
        goto fail;
    if (store_open(f->t.path, &f->st, NULL, &d) != 0 || ipam_open(f->st, &f->ip, &d) != 0 ||
        names_open(f->st, f->ip, &f->nm, &d) != 0) {
        fprintf(stderr, "names fixture: %s\n", d.msg);
        goto fail;
    }
    *out = f;
    return 0;
fail:
    testdb_names_close(f);
    return -1;
}

int testdb_names_open(struct testdb_names **out)
{
    struct testdb_names *f;
    struct lana_diag d;
    struct cidr p4, p6;
    *out = NULL;
    if (testdb_names_open_empty(&f) != 0)
        return -1;
    if (cidr_parse("198.18.0.0/15", &p4, &d) != 0 || cidr_parse("2001:db8::/32", &p6, &d) != 0 ||
        ipam_pool_add(f->ip, &p4, NULL, "t", NULL, &d) != 0 ||
        ipam_pool_add(f->ip, &p6, NULL, "t", NULL, &d) != 0 ||
        zone_ensure(f->nm, "198.in-addr.arpa.", "t", &d) != 1 ||
        zone_ensure(f->nm, "8.b.d.0.1.0.0.2.ip6.arpa.", "t", &d) != 1) {
        fprintf(stderr, "names fixture: %s\n", d.msg);
        testdb_names_close(f);
        return -1;
    }
    *out = f;
    return 0;
}

void testdb_names_close(struct testdb_names *f)
{
    if (f == NULL)
        return;
    names_close(f->nm);
    ipam_close(f->ip);
    store_close(f->st);
    if (f->t.dir[0])
        testdb_cleanup(&f->t);
    free(f);
}

int testdb_names_setup(void **state)
{
    struct testdb_names *f;
    if (testdb_names_open(&f) != 0)
        return -1;
    *state = f;
    return 0;
}

int testdb_names_teardown(void **state)
{
    testdb_names_close(*state);
    return 0;
}

const char *testdb_export(struct store *st, const char *zone)
{
    static char *buf;
    size_t len;
    struct lana_diag d = {{0}};
    free(buf);
    buf = NULL;
    FILE *fp = open_memstream(&buf, &len);
    if (fp == NULL) {
        fprintf(stderr, "export %s: out of memory\n", zone);
        abort();
    }
    int rc = zoneio_export(st, zone, fp, &d);
    fclose(fp);
    if (rc != 0) {
        fprintf(stderr, "export %s: %s\n", zone, d.msg);
        abort();
    }
    return buf;
}

int64_t testdb_count(struct store *st, const char *sql)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(st->db));
        abort();
    }
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}
