/*
 * store — see store.h. Migrations are an ordered list of SQL scripts; migration i brings the
 * file from user_version i to i+1 inside one transaction, so a crash mid-migration leaves the
 * old version intact.
 */
#include "db/store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const migrations[] = {
    /* 0 -> 1: zones and records (see db/schema.sql for the commented version) */
    "CREATE TABLE zone (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " apex BLOB NOT NULL UNIQUE, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE TABLE rr (zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,"
    " key BLOB NOT NULL, type INTEGER NOT NULL CHECK (type BETWEEN 1 AND 65535),"
    " rdata BLOB NOT NULL, ttl INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),"
    " PRIMARY KEY (zone_id, key, type, rdata)) WITHOUT ROWID;"
    "CREATE INDEX rr_ns ON rr(zone_id, key) WHERE type = 2;"
    "CREATE INDEX rr_wild ON rr(zone_id, key) WHERE substr(key, -2) = x'2a00';",
    /* 1 -> 2: the address registry, accounts and the audit log */
    "CREATE TABLE block (id INTEGER PRIMARY KEY, family INTEGER NOT NULL CHECK (family IN (4, 6)),"
    " start BLOB NOT NULL CHECK (length(start) = 16), plen INTEGER NOT NULL"
    " CHECK (plen BETWEEN 0 AND 128), parent_id INTEGER REFERENCES block(id) ON DELETE CASCADE,"
    " status TEXT NOT NULL CHECK (status IN ('pool', 'allocated', 'assigned', 'reserved')),"
    " holder TEXT NOT NULL DEFAULT '', descr TEXT NOT NULL DEFAULT '',"
    " split INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL,"
    " UNIQUE (family, start, plen));"
    "CREATE INDEX block_child ON block(parent_id, start);"
    "CREATE TABLE freespace (parent_id INTEGER NOT NULL REFERENCES block(id) ON DELETE CASCADE,"
    " plen INTEGER NOT NULL, start BLOB NOT NULL, PRIMARY KEY (parent_id, plen DESC, start))"
    " WITHOUT ROWID;"
    "CREATE TABLE account (name TEXT PRIMARY KEY, role TEXT NOT NULL"
    " CHECK (role IN ('admin', 'registrar', 'registrant')), stored_key BLOB NOT NULL"
    " CHECK (length(stored_key) = 32), created INTEGER NOT NULL);"
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, object TEXT NOT NULL, before TEXT, after TEXT);"
    "CREATE INDEX audit_ts ON audit(ts);"
    "CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 2 -> 3: hosts, default blocks of zones, services */
    "CREATE TABLE zone_block (zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,"
    " block_id INTEGER NOT NULL REFERENCES block(id) ON DELETE CASCADE,"
    " PRIMARY KEY (zone_id, block_id)) WITHOUT ROWID;"
    "CREATE TABLE host (id INTEGER PRIMARY KEY, zone_id INTEGER NOT NULL REFERENCES zone(id)"
    " ON DELETE CASCADE, name TEXT NOT NULL UNIQUE, v4 TEXT, v6 TEXT, created INTEGER NOT NULL);"
    "CREATE INDEX host_zone ON host(zone_id);"
    "CREATE TABLE service (name TEXT NOT NULL, proto TEXT NOT NULL CHECK (proto IN ('tcp', 'udp')),"
    " port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535), descr TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL, PRIMARY KEY (name, proto), UNIQUE (proto, port));",
    /* 3 -> 4: what changed, for the DNS workers' caches */
    "CREATE TABLE dnschange (seq INTEGER PRIMARY KEY, name BLOB);",
};

int store__err(sqlite3 *db, struct lana_diag *d, const char *what)
{
    return diag_set(d, LANA_EDB, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

int store__prepare(struct store *st, const char *sql, sqlite3_stmt **out, struct lana_diag *d)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK) {
        *out = NULL;
        return store__err(st->db, d, "prepare");
    }
    return 0;
}

static void global_init(void)
{
    /* no global allocation statistics: they cost a process-wide mutex on every malloc */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

void store__init_once(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, global_init);
}

int store__configure(sqlite3 *db, bool writer, struct lana_diag *d)
{
    sqlite3_busy_timeout(db, 5000);
    if (writer) /* more small allocations served from the connection's own pool than malloc */
        sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 1200, 1000);
    /* the writer's page cache is large enough (64 MiB) that a big transaction (a batch of
     * 100k allocations) stays in memory until its commit instead of spilling pages early, and
     * the savepoints' statement journals are kept in memory rather than in temporary files.
     * Readers map the file (mmap_size): a commit elsewhere empties a connection's page cache,
     * and mapped pages need no copying back in, so the DNS workers stay fast while the
     * registry writes */
    const char *sql = writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                               "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
                             : "PRAGMA foreign_keys=ON; PRAGMA mmap_size=4294967296;";
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store__err(db, d, "configure");
    return 0;
}

int store_schema_version(struct store *st)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int migrate(struct store *st, struct lana_diag *d)
{
    int v = store_schema_version(st);
    int target = (int)(sizeof migrations / sizeof migrations[0]);
    if (v < 0)
        return store__err(st->db, d, "read schema version");
    if (v > target)
        return diag_set(d, LANA_EDB, "%s: schema version %d is newer than this program (%d)",
                        st->path, v, target);
    for (; v < target; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", v + 1);
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return store__err(st->db, d, "begin migration");
        if (sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(st->db, bump, NULL, NULL, NULL) != SQLITE_OK) {
            int rc = store__err(st->db, d, "migration");
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return store__err(st->db, d, "commit migration");
    }
    return 0;
}

int store_open(const char *path, struct store **out, bool *created, struct lana_diag *d)
{
    struct store *st = calloc(1, sizeof *st);
    int rc;
    *out = NULL;
    if (st == NULL || (st->path = strdup(path)) == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    store__init_once();
    bool is_new = access(path, F_OK) != 0;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = diag_set(d, LANA_EDB, "%s: %s", path,
                      st->db ? sqlite3_errmsg(st->db) : "cannot open");
        goto out;
    }
    if ((rc = store__configure(st->db, true, d)) != 0 || (rc = migrate(st, d)) != 0)
        goto out;
    if (created != NULL)
        *created = is_new;
    *out = st;
    return 0;
out:
    store_close(st);
    return rc;
}

int store__stmt(struct store *st, const char *sql, sqlite3_stmt **out, struct lana_diag *d)
{
    for (unsigned i = 0; i < st->ncache; i++)
        if (st->cache[i].sql == sql) {
            sqlite3_reset(st->cache[i].stmt);
            sqlite3_clear_bindings(st->cache[i].stmt);
            *out = st->cache[i].stmt;
            return 0;
        }
    int rc = store__prepare(st, sql, out, d);
    if (rc != 0)
        return rc;
    if (st->ncache < STORE_STMT_CACHE) {
        st->cache[st->ncache].sql = sql;
        st->cache[st->ncache].stmt = *out;
        st->ncache++;
        return 0;
    }
    sqlite3_finalize(*out);
    *out = NULL;
    return diag_set(d, LANA_EDB, "statement cache full");
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    for (unsigned i = 0; i < st->ncache; i++)
        sqlite3_finalize(st->cache[i].stmt);
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

int store_begin(struct store *st, struct lana_diag *d)
{
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store__err(st->db, d, "begin");
    return 0;
}

int store_commit(struct store *st, struct lana_diag *d)
{
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = store__err(st->db, d, "commit");
        store_rollback(st);
        return rc;
    }
    return 0;
}

void store_rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char sql_sp_batch[] = "SAVEPOINT batch";
static const char sql_sp_batch_release[] = "RELEASE batch";
static const char sql_sp_batch_undo[] = "ROLLBACK TO batch";

static int exec_stmt(struct store *st, const char *sql, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql, &s, d);
    if (rc != 0)
        return rc;
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(st->db, d, sql);
    sqlite3_reset(s);
    return rc;
}

int store_batch_begin(struct store *st, struct lana_diag *d)
{
    return exec_stmt(st, sql_sp_batch, d);
}

int store_batch_end(struct store *st, bool keep, struct lana_diag *d)
{
    if (!keep) {
        struct lana_diag ignore;
        exec_stmt(st, sql_sp_batch_undo, &ignore);
    }
    return exec_stmt(st, sql_sp_batch_release, d);
}

bool store_in_transaction(struct store *st)
{
    return !sqlite3_get_autocommit(st->db);
}
