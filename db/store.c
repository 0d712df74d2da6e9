/*
 * store — see store.h. Migrations are an ordered list of SQL scripts; migration i brings the
 * file from user_version i to i+1 inside one transaction, so a crash mid-migration leaves the
 * old version intact.
 */
#include "db/store_int.h"

#include "db/journal_int.h"
#include "db/node_int.h"

#include <errno.h>
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
    /* 4 -> 5: authority — accounts' sponsors and state, maintainers of blocks, sponsors and
     * registrants of zones, classes; what existed becomes admin's */
    "ALTER TABLE account ADD COLUMN sponsor TEXT;"
    "ALTER TABLE account ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE account ADD COLUMN class TEXT;"
    "ALTER TABLE account ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE account ADD COLUMN disabled_by TEXT;"
    "UPDATE account SET updated = created;"
    "CREATE INDEX account_sponsor ON account(sponsor);"
    "CREATE INDEX account_class ON account(class);"
    "ALTER TABLE block ADD COLUMN maintainer TEXT NOT NULL DEFAULT 'admin';"
    "ALTER TABLE block ADD COLUMN delegated INTEGER NOT NULL DEFAULT 0;"
    "UPDATE block SET delegated = 1 WHERE parent_id IS NULL;"
    "CREATE INDEX block_mnt ON block(maintainer) WHERE delegated;"
    "ALTER TABLE zone ADD COLUMN sponsor TEXT NOT NULL DEFAULT 'admin';"
    "ALTER TABLE zone ADD COLUMN registrant TEXT NOT NULL DEFAULT 'admin';"
    "CREATE INDEX zone_sponsor ON zone(sponsor);"
    "CREATE INDEX zone_registrant ON zone(registrant);"
    "ALTER TABLE audit ADD COLUMN account TEXT;"
    "DROP TRIGGER audit_append_only_u;"
    "UPDATE audit SET account = substr(actor, 1, instr(actor, '@') - 1) WHERE instr(actor, '@') > 1;"
    "CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE INDEX audit_account ON audit(account, id) WHERE account <> 'admin';"
    "CREATE TABLE class (name TEXT PRIMARY KEY, suffix TEXT NOT NULL,"
    " students INTEGER NOT NULL, created INTEGER NOT NULL);",
    /* 5 -> 6: zone transfers — the IXFR journal (db/journal.h), filled by triggers on rr and
     * sealed into versions at every commit; each zone starts with its current version */
    "ALTER TABLE zone ADD COLUMN journal INTEGER NOT NULL DEFAULT 1;"
    "CREATE TABLE journal (seq INTEGER PRIMARY KEY, zone_id INTEGER NOT NULL,"
    " op INTEGER NOT NULL, key BLOB NOT NULL, type INTEGER NOT NULL, rdata BLOB NOT NULL,"
    " ttl INTEGER NOT NULL);"
    "CREATE INDEX journal_zone ON journal(zone_id);"
    "CREATE TABLE journal_version (seq INTEGER PRIMARY KEY, zone_id INTEGER NOT NULL,"
    " serial BLOB NOT NULL, soa BLOB NOT NULL, ttl INTEGER NOT NULL);"
    "CREATE INDEX journal_version_zone ON journal_version(zone_id);"
    "CREATE INDEX journal_version_serial ON journal_version(zone_id, serial);"
    "CREATE TRIGGER journal_rr_ins AFTER INSERT ON rr"
    " WHEN NEW.type <> 6 AND (SELECT journal FROM zone WHERE id = NEW.zone_id) BEGIN"
    " INSERT INTO journal (zone_id, op, key, type, rdata, ttl)"
    " VALUES (NEW.zone_id, 1, NEW.key, NEW.type, NEW.rdata, NEW.ttl); END;"
    "CREATE TRIGGER journal_rr_del AFTER DELETE ON rr"
    " WHEN OLD.type <> 6 AND (SELECT journal FROM zone WHERE id = OLD.zone_id) BEGIN"
    " INSERT INTO journal (zone_id, op, key, type, rdata, ttl)"
    " VALUES (OLD.zone_id, 0, OLD.key, OLD.type, OLD.rdata, OLD.ttl); END;"
    "CREATE TRIGGER journal_rr_upd AFTER UPDATE ON rr BEGIN"
    " INSERT INTO journal (zone_id, op, key, type, rdata, ttl)"
    " SELECT OLD.zone_id, 0, OLD.key, OLD.type, OLD.rdata, OLD.ttl"
    " WHERE OLD.type <> 6 AND (SELECT journal FROM zone WHERE id = OLD.zone_id);"
    " INSERT INTO journal (zone_id, op, key, type, rdata, ttl)"
    " SELECT NEW.zone_id, 1, NEW.key, NEW.type, NEW.rdata, NEW.ttl"
    " WHERE NEW.type <> 6 AND (SELECT journal FROM zone WHERE id = NEW.zone_id);"
    /* a new serial alone is a new version too: a mark */
    " INSERT INTO journal (zone_id, op, key, type, rdata, ttl)"
    " SELECT NEW.zone_id, 2, NEW.key, 6, NEW.rdata, NEW.ttl"
    " WHERE NEW.type = 6 AND (SELECT journal FROM zone WHERE id = NEW.zone_id); END;"
    "CREATE TABLE serial_floor (apex BLOB PRIMARY KEY, serial BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER zone_serial_floor BEFORE DELETE ON zone BEGIN"
    " INSERT OR REPLACE INTO serial_floor (apex, serial) SELECT OLD.apex, substr(rdata, -20, 4)"
    " FROM rr WHERE zone_id = OLD.id AND key = OLD.apex AND type = 6; END;"
    "CREATE TRIGGER journal_zone_del AFTER DELETE ON zone BEGIN"
    " DELETE FROM journal WHERE zone_id = OLD.id;"
    " DELETE FROM journal_version WHERE zone_id = OLD.id; END;"
    "INSERT INTO journal (zone_id, op, key, type, rdata, ttl)"
    " SELECT r.zone_id, 2, r.key, 6, r.rdata, r.ttl FROM rr r JOIN zone z"
    " ON z.id = r.zone_id AND r.key = z.apex AND r.type = 6;" JOURNAL_SEAL_SQL ";"
    /* and the NOTIFY targets of each zone (db/notifydb.h) */
    "CREATE TABLE notify_target (zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,"
    " addr TEXT NOT NULL, PRIMARY KEY (zone_id, addr)) WITHOUT ROWID;"
    /* and the TSIG keys, with the zones each may transfer (db/tsigkey.h) */
    "CREATE TABLE tsig_key (name TEXT PRIMARY KEY, algorithm TEXT NOT NULL"
    " CHECK (algorithm IN ('hmac-sha1', 'hmac-sha256', 'hmac-sha512')),"
    " secret BLOB NOT NULL CHECK (length(secret) BETWEEN 1 AND 128),"
    " all_zones INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE TABLE tsig_key_zone (key TEXT NOT NULL REFERENCES tsig_key(name) ON DELETE CASCADE,"
    " zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE, PRIMARY KEY (key, zone_id));"
    "CREATE INDEX tsig_key_zone_zone ON tsig_key_zone(zone_id);"
    /* and the lab's root servers (db/root.h) */
    "CREATE TABLE root_server (name TEXT NOT NULL, type INTEGER NOT NULL CHECK (type IN (1, 28)),"
    " rdata BLOB NOT NULL CHECK (length(rdata) = CASE type WHEN 1 THEN 4 ELSE 16 END),"
    " PRIMARY KEY (name, rdata));"
    /* and the catalog zone (db/catalog.c) */
    "CREATE TABLE catalog (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " zone_id INTEGER UNIQUE REFERENCES zone(id) ON DELETE SET NULL,"
    " next_label INTEGER NOT NULL DEFAULT 1, serial INTEGER);",
    /* 6 -> 7: the DNS workers' lookup table, derived from rr (db/node_int.h): triggers note
     * the names whose records change, lanad rewrites their rows before it commits */
    "CREATE TABLE node (h INTEGER PRIMARY KEY, zone_id INTEGER NOT NULL, key BLOB NOT NULL,"
    " rrs BLOB NOT NULL);"
    "CREATE TABLE node_dirty (zone_id INTEGER NOT NULL, key BLOB NOT NULL,"
    " PRIMARY KEY (zone_id, key)) WITHOUT ROWID;"
    "CREATE TABLE node_bulk (zone_id INTEGER PRIMARY KEY);"
    "CREATE TRIGGER node_rr_ins AFTER INSERT ON rr"
    " WHEN NOT EXISTS (SELECT 1 FROM node_bulk WHERE zone_id = NEW.zone_id) BEGIN"
    " INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (NEW.zone_id, NEW.key); END;"
    "CREATE TRIGGER node_rr_del AFTER DELETE ON rr"
    " WHEN NOT EXISTS (SELECT 1 FROM node_bulk WHERE zone_id = OLD.zone_id) BEGIN"
    " INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (OLD.zone_id, OLD.key); END;"
    /* a new serial (an SOA updated in place) changes no row: an apex has none */
    "CREATE TRIGGER node_rr_upd AFTER UPDATE ON rr WHEN NOT (OLD.type = 6 AND NEW.type = 6"
    " AND OLD.zone_id = NEW.zone_id AND OLD.key = NEW.key) BEGIN"
    " INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (OLD.zone_id, OLD.key);"
    " INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (NEW.zone_id, NEW.key); END;",
    /* 7 -> 8: the lookup table in buckets (db/node_int.h). Left empty, and node_dirty too:
     * lanad builds the table from the records when it opens the file (node__mend). (The
     * table of version 7, a row per name, was filled then as well: 6 -> 7 leaves it empty.) */
    "DROP TABLE node; DELETE FROM node_dirty;"
    "CREATE TABLE node (b INTEGER PRIMARY KEY, v BLOB NOT NULL);"
    "CREATE TABLE node_zone (zone_id INTEGER PRIMARY KEY, level INTEGER NOT NULL,"
    " split INTEGER NOT NULL);",
};

/* SQLite says SQLITE_FULL when a write meets ENOSPC; some paths (the WAL index, a sync)
 * report it as an I/O error whose system errno tells the cause. */
static bool disk_full(sqlite3 *db)
{
    int e = sqlite3_errcode(db);
    return e == SQLITE_FULL || (e == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

int store__err(sqlite3 *db, struct lana_diag *d, const char *what)
{
    return diag_set(d, db && disk_full(db) ? LANA_EFULL : LANA_EDB, "%s: %s", what,
                    db ? sqlite3_errmsg(db) : "out of memory");
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
        int n = snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", v + 1);
        if (n < 0 || (size_t)n >= sizeof bump)
            return diag_set(d, LANA_EDB, "schema version %d", v + 1);
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

static const char *const tx_sql[STORE_TX_N] = {
    [STORE_TX_BEGIN] = "BEGIN IMMEDIATE",      [STORE_TX_COMMIT] = "COMMIT",
    [STORE_TX_ROLLBACK] = "ROLLBACK",          [STORE_TX_SP] = "SAVEPOINT sp",
    [STORE_TX_RELEASE] = "RELEASE sp",         [STORE_TX_UNDO] = "ROLLBACK TO sp",
};

/* Opens one connection: the writer (created when missing, schema brought up to date) or a
 * reader (read-only, the file must exist). */
static int open_conn(const char *path, bool writer, struct store **out, bool *created,
                     struct lana_diag *d)
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
    int flags = (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &st->db, flags, writer ? NULL : store__read_vfs()) != SQLITE_OK) {
        rc = diag_set(d, LANA_EDB, "%s: %s", path,
                      st->db ? sqlite3_errmsg(st->db) : "cannot open");
        goto out;
    }
    if ((rc = store__configure(st->db, writer, d)) != 0 ||
        (writer && (rc = migrate(st, d)) != 0))
        goto out;
    for (int i = 0; i < STORE_TX_N; i++)
        if ((rc = store__prepare(st, tx_sql[i], &st->tx[i], d)) != 0)
            goto out;
    if (writer && (rc = node__mend(st, d)) != 0)
        goto out;
    if (created != NULL)
        *created = is_new;
    *out = st;
    return 0;
out:
    store_close(st);
    return rc;
}

int store_open(const char *path, struct store **out, bool *created, struct lana_diag *d)
{
    return open_conn(path, true, out, created, d);
}

int store_open_reader(const char *path, struct store **out, struct lana_diag *d)
{
    return open_conn(path, false, out, NULL, d);
}

void store_read_done(struct store *st)
{
    for (unsigned i = 0; i < st->ncache; i++)
        sqlite3_reset(st->cache[i].stmt);
}

static const char sql_read_begin[] = "BEGIN";
static const char sql_read_end[] = "COMMIT";

int store_read_begin(struct store *st, struct lana_diag *d)
{
    sqlite3_stmt *s;
    if (!sqlite3_get_autocommit(st->db))
        return 0;
    int rc = store__stmt(st, sql_read_begin, &s, d);
    if (rc == 0 && (rc = store__done(st, s, "begin a read", d)) == 0)
        st->read_tx = true;
    return rc;
}

void store_read_end(struct store *st)
{
    sqlite3_stmt *s;
    struct lana_diag ignore;
    store_read_done(st);
    /* a read transaction has nothing to keep: a failed COMMIT leaves nothing behind */
    if (st->read_tx && store__stmt(st, sql_read_end, &s, &ignore) == 0)
        store__done(st, s, "end a read", &ignore);
    st->read_tx = false;
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
    if (st->ncache == st->cache_cap) {
        unsigned cap = st->cache_cap ? st->cache_cap * 2 : 64;
        void *p = realloc(st->cache, cap * sizeof *st->cache);
        if (p == NULL) {
            *out = NULL;
            return diag_set(d, LANA_ENOMEM, "out of memory");
        }
        st->cache = p;
        st->cache_cap = cap;
    }
    int rc = store__prepare(st, sql, out, d);
    if (rc != 0)
        return rc;
    st->cache[st->ncache].sql = sql;
    st->cache[st->ncache].stmt = *out;
    st->ncache++;
    return 0;
}

int store__stmt_walk(struct store *st, const char *sql, sqlite3_stmt **out, bool *own,
                     struct lana_diag *d)
{
    *own = false;
    for (unsigned i = 0; i < st->ncache; i++)
        if (st->cache[i].sql == sql && sqlite3_stmt_busy(st->cache[i].stmt)) {
            *own = true;
            return store__prepare(st, sql, out, d);
        }
    return store__stmt(st, sql, out, d);
}

void store__stmt_end(sqlite3_stmt *s, bool own)
{
    if (own)
        sqlite3_finalize(s);
    else
        sqlite3_reset(s);
}

int store__done(struct store *st, sqlite3_stmt *s, const char *what, struct lana_diag *d)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store__err(st->db, d, what);
    sqlite3_reset(s);
    return rc;
}

int store__row(struct store *st, sqlite3_stmt *s, const char *what, struct lana_diag *d)
{
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        return 1;
    int rc = step == SQLITE_DONE ? 0 : store__err(st->db, d, what);
    sqlite3_reset(s);
    return rc;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    for (unsigned i = 0; i < st->ncache; i++)
        sqlite3_finalize(st->cache[i].stmt);
    free(st->cache);
    for (int i = 0; i < STORE_TX_N; i++)
        sqlite3_finalize(st->tx[i]);
    sqlite3_close_v2(st->db);
    free(st->node_scratch);
    free(st->path);
    free(st);
}

static int tx_run(struct store *st, enum store_tx which, struct lana_diag *d)
{
    return store__done(st, st->tx[which], tx_sql[which], d);
}

int store_begin(struct store *st, struct lana_diag *d)
{
    int rc = tx_run(st, STORE_TX_BEGIN, d);
    if (rc == 0) {
        st->aborted = false;
        st->sp_depth = st->sp_own = 0;
    }
    return rc;
}

/* Rolls the whole transaction back, by the prepared statement or, should that fail, by a
 * fresh one: the last resort must not depend on a statement that just failed. */
static void rollback_all(struct store *st)
{
    struct lana_diag ignore;
    if (!sqlite3_get_autocommit(st->db) && tx_run(st, STORE_TX_ROLLBACK, &ignore) != 0)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->sp_depth = st->sp_own = 0;
}

/* What every commit of lanad's does first: the IXFR journal's new version (which may step a
 * serial, a record change too), then the lookup rows of the names changed. */
static int seal(struct store *st, struct lana_diag *d)
{
    int rc = journal__seal(st, d);
    return rc != 0 ? rc : node__flush(st, d);
}

int store_commit(struct store *st, struct lana_diag *d)
{
    if (st->aborted) {
        rollback_all(st);
        st->aborted = false;
        return diag_set(d, LANA_EDB,
                        "the turn was aborted (a change could not be undone): nothing of it "
                        "was kept");
    }
    int rc = seal(st, d);
    if (rc == 0)
        rc = tx_run(st, STORE_TX_COMMIT, d);
    if (rc != 0)
        rollback_all(st);
    st->sp_depth = st->sp_own = 0;
    return rc;
}

void store_rollback(struct store *st)
{
    rollback_all(st);
    st->aborted = false;
}

bool store_turn_aborted(const struct store *st)
{
    return st->aborted;
}

int store_sp_begin(struct store *st, struct lana_diag *d)
{
    if (st->aborted)
        return diag_set(d, LANA_EDB, "the turn was aborted: a change before could not be undone");
    bool outer = sqlite3_get_autocommit(st->db) != 0;
    int rc = tx_run(st, STORE_TX_SP, d);
    if (rc != 0)
        return rc;
    st->sp_depth++;
    if (outer)
        st->sp_own = st->sp_depth;
    return 0;
}

/* Undoes the innermost unit. On failure the turn is aborted (or, for a unit that opened the
 * transaction, the transaction rolled back at once). Once a turn is aborted no savepoint is
 * touched again: the names on SQLite's stack no longer match ours, and only the whole
 * rollback is safe. 0 or LANA_EDB. */
static int sp_undo(struct store *st, struct lana_diag *d)
{
    bool own = st->sp_own == st->sp_depth;
    st->sp_depth--;
    if (own)
        st->sp_own = 0;
    int rc = st->aborted ? diag_set(d, LANA_EDB, "the turn was aborted")
                         : tx_run(st, STORE_TX_UNDO, d);
    if (rc == 0)
        rc = tx_run(st, STORE_TX_RELEASE, d);
    if (rc == 0)
        return 0;
    if (own) { /* nothing outside this unit is at stake: take the whole transaction back */
        rollback_all(st);
        st->aborted = false;
    } else {
        st->aborted = true;
    }
    return rc;
}

int store_sp_end(struct store *st, int rc, struct lana_diag *d)
{
    if (rc == 0 && st->aborted) /* an inner failure was swallowed: still all or nothing */
        rc = diag_set(d, LANA_EDB, "the turn was aborted");
    if (rc == 0) {
        bool own = st->sp_own == st->sp_depth;
        /* the outermost RELEASE commits: the journal is sealed first */
        if ((!own || (rc = seal(st, d)) == 0) &&
            (rc = tx_run(st, STORE_TX_RELEASE, d)) == 0) {
            st->sp_depth--;
            if (own)
                st->sp_own = 0;
            return 0;
        }
        /* RELEASE failed (when it is the outermost, it commits): the unit is still open */
        struct lana_diag ignore;
        sp_undo(st, &ignore);
        return rc;
    }
    struct lana_diag e;
    if (sp_undo(st, &e) != 0 && d != NULL) {
        char msg[LANA_DIAG_LEN];
        int n = snprintf(msg, sizeof msg, "%s", d->msg);
        if (n < 0 || (size_t)n >= sizeof msg)
            msg[sizeof msg - 1] = '\0';
        diag_set(d, rc, "%s (and the undo failed: %s)", msg, e.msg);
    }
    return rc;
}

int store_batch_begin(struct store *st, struct lana_diag *d)
{
    return store_sp_begin(st, d);
}

int store_batch_end(struct store *st, bool keep, struct lana_diag *d)
{
    return keep ? store_sp_end(st, 0, d) : sp_undo(st, d);
}

bool store_in_transaction(struct store *st)
{
    return !sqlite3_get_autocommit(st->db);
}
