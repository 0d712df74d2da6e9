/*
 * names — see names.h.
 */
#include "db/names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dnsmsg.h"
#include "common/jsonw.h"
#include "common/rdata.h"
#include "db/audit.h"
#include "db/store_int.h"

/* One record as given: owner (wire and text), type, zone, rdata. */
struct record {
    uint8_t owner[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    uint16_t type;
    int64_t zone;
    int rdlen; /* 0 without data */
    uint8_t rd[RDATA_MAX];
};

struct names {
    struct store *st;
    struct ipam *ip;
    struct jsonw j;
    struct record rec; /* the record being added or deleted */
};

int names_open(struct store *st, struct ipam *ip, struct names **out, struct lana_diag *d)
{
    struct names *n = calloc(1, sizeof *n);
    if (n == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    n->st = st;
    n->ip = ip;
    jsonw_init(&n->j);
    *out = n;
    return 0;
}

void names_close(struct names *n)
{
    if (n == NULL)
        return;
    jsonw_free(&n->j);
    free(n);
}

/* ---- small helpers ------------------------------------------------------------------------ */

static int step_done(struct names *n, sqlite3_stmt *s, const char *what, struct lana_diag *d)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store__err(n->st->db, d, what);
    sqlite3_reset(s);
    return rc;
}

static int exec1(struct names *n, const char *sql, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql, &s, d);
    return rc ? rc : step_done(n, s, sql, d);
}

static int sp_end(struct names *n, int rc, struct lana_diag *d)
{
    return store_sp_end(n->st, rc, d);
}

/* Text to lower-case wire form; relative names are taken as absolute. */
static int wire_of(const char *text, uint8_t out[DNAME_MAXLEN], struct lana_diag *d)
{
    static const uint8_t root[1] = {0};
    struct lana_diag e;
    if (dname_from_text(text, root, out, &e) < 0)
        return diag_set(d, LANA_EPARSE, "%s", e.msg);
    dname_lower(out);
    return 0;
}

static void text_of(const uint8_t *wire, char out[DNAME_TEXT_MAX])
{
    if (dname_to_text(wire, out, DNAME_TEXT_MAX) < 0)
        snprintf(out, DNAME_TEXT_MAX, "?");
}

/* A name as its wire form (lowercase) and canonical text ("web1.lab."). */
static int canonical(const char *name, uint8_t wire[DNAME_MAXLEN], char text[DNAME_TEXT_MAX],
                     struct lana_diag *d)
{
    int rc = wire_of(name, wire, d);
    if (rc == 0)
        text_of(wire, text);
    return rc;
}

int names_check_hostname(const char *name, struct lana_diag *d)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0)
        return diag_set(d, LANA_EPARSE, "empty host name");
    if (len > 253)
        return diag_set(d, LANA_EPARSE, "%.40s...: a host name has at most 253 characters", name);
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? name[i] : '.';
        if (c == '.') {
            if (label == 0)
                return diag_set(d, LANA_EPARSE, "%s: empty label", name);
            if (name[i - 1] == '-' || name[i - label] == '-')
                return diag_set(d, LANA_EPARSE, "%s: a label may not start or end with a hyphen",
                                name);
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-')
            return diag_set(d, LANA_EPARSE,
                            "%s: '%c' is not allowed (letters, digits and hyphens only)", name, c);
        if (++label > 63)
            return diag_set(d, LANA_EPARSE, "%s: a label has at most 63 characters", name);
    }
    return 0;
}

static int audit_json(struct names *n, const char *actor, const char *action, const char *object,
                      const char *after, struct lana_diag *d)
{
    return audit_add(n->st, actor ? actor : "", action, object, NULL, after, d);
}

/* ---- zones -------------------------------------------------------------------------------- */

static const char sql_zone_by_apex[] = "SELECT id, name FROM zone WHERE apex = ?1";

/* The zone of the longest apex that name lies at or below: 1 with id and apex, 0 for none. */
static int zone_of(struct names *n, const uint8_t *name, int64_t *id, uint8_t apex[DNAME_MAXLEN],
                   struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_zone_by_apex, &s, d);
    if (rc != 0)
        return rc;
    for (const uint8_t *p = name;; p = dname_parent(p)) {
        uint8_t key[DNAME_KEY_MAX];
        size_t kl = dname_key(p, key);
        sqlite3_reset(s);
        sqlite3_bind_blob(s, 1, key, (int)kl, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW) {
            *id = sqlite3_column_int64(s, 0);
            memcpy(apex, p, dname_len(p));
            sqlite3_reset(s);
            return 1;
        }
        if (p[0] == 0)
            break;
    }
    sqlite3_reset(s);
    return 0;
}

static const char sql_change[] = "INSERT INTO dnschange (name) VALUES (?1)";

/* Tells the DNS workers what to drop from their caches: an owner name, or (NULL) anything. */
static int note_change(struct names *n, const uint8_t *owner, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_change, &s, d);
    if (rc != 0)
        return rc;
    if (owner != NULL)
        sqlite3_bind_blob(s, 1, owner, (int)dname_len(owner), SQLITE_TRANSIENT);
    return step_done(n, s, "dnschange", d);
}

/* Changes whose effect reaches past the owner's own answers: aliases, delegations, wildcards */
static bool wide_change(const uint8_t *owner, uint16_t type)
{
    return type == DNS_T_CNAME || type == DNS_T_NS || type == 39 /* DNAME */ ||
           (owner[0] == 1 && owner[1] == '*');
}

static const char sql_prune[] =
    "DELETE FROM dnschange WHERE seq <= (SELECT max(seq) FROM dnschange) - 100000";

int names_prune_changes(struct names *n, struct lana_diag *d)
{
    return exec1(n, sql_prune, d);
}

/* A statement whose ?1 and ?2 are a zone and an owner name's key. */
static int stmt_zone_key(struct names *n, const char *sql, int64_t zone, const uint8_t *owner,
                         sqlite3_stmt **s, struct lana_diag *d)
{
    uint8_t key[DNAME_KEY_MAX];
    size_t kl = dname_key(owner, key);
    int rc = store__stmt(n->st, sql, s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(*s, 1, zone);
    sqlite3_bind_blob(*s, 2, key, (int)kl, SQLITE_TRANSIENT);
    return 0;
}

static const char sql_rr_ins[] =
    "INSERT OR IGNORE INTO rr (zone_id, key, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4, ?5)";

/* 1 inserted, 0 it was there already */
static int rr_put(struct names *n, int64_t zone, const uint8_t *owner, uint16_t type,
                  const uint8_t *rd, size_t rdlen, uint32_t ttl, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = stmt_zone_key(n, sql_rr_ins, zone, owner, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int(s, 3, type);
    sqlite3_bind_blob(s, 4, rdlen ? rd : (const uint8_t *)"", (int)rdlen, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, ttl);
    if ((rc = step_done(n, s, "insert record", d)) != 0)
        return rc;
    if (sqlite3_changes(n->st->db) == 0)
        return 0;
    return (rc = note_change(n, wide_change(owner, type) ? NULL : owner, d)) ? rc : 1;
}

static const char sql_rr_del[] = "DELETE FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = ?3";
static const char sql_rr_del_rd[] =
    "DELETE FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = ?3 AND rdata = ?4";

/* Deletes records (of one rdata when rd is set); returns how many, or <0. */
static int rr_drop(struct names *n, int64_t zone, const uint8_t *owner, uint16_t type,
                   const uint8_t *rd, size_t rdlen, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = stmt_zone_key(n, rd ? sql_rr_del_rd : sql_rr_del, zone, owner, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int(s, 3, type);
    if (rd)
        sqlite3_bind_blob(s, 4, rdlen ? rd : (const uint8_t *)"", (int)rdlen, SQLITE_TRANSIENT);
    if ((rc = step_done(n, s, "delete record", d)) != 0)
        return rc;
    int k = sqlite3_changes(n->st->db);
    if (k > 0 && (rc = note_change(n, wide_change(owner, type) ? NULL : owner, d)) != 0)
        return rc;
    return k;
}

static const char sql_rr_types[] =
    "SELECT type, count(*) FROM rr WHERE zone_id = ?1 AND key = ?2 GROUP BY type";

/* What is at a name: total records and whether one is a CNAME. */
static int rr_at(struct names *n, int64_t zone, const uint8_t *owner, int64_t *count, bool *cname,
                 struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = stmt_zone_key(n, sql_rr_types, zone, owner, &s, d);
    if (rc != 0)
        return rc;
    *count = 0;
    *cname = false;
    while (sqlite3_step(s) == SQLITE_ROW) {
        *count += sqlite3_column_int64(s, 1);
        if (sqlite3_column_int(s, 0) == DNS_T_CNAME)
            *cname = true;
    }
    sqlite3_reset(s);
    return 0;
}

/* by the apex key, so that the primary key finds the SOA in one seek */
static const char sql_soa_get[] = "SELECT rdata FROM rr WHERE zone_id = ?1 AND type = 6"
                                  " AND key = (SELECT apex FROM zone WHERE id = ?1)";
static const char sql_soa_set[] = "UPDATE rr SET rdata = ?2 WHERE zone_id = ?1 AND type = 6"
                                  " AND key = (SELECT apex FROM zone WHERE id = ?1)";
static const char sql_zone_touch[] = "UPDATE zone SET updated = ?2 WHERE id = ?1";

/* The SOA serial goes up by one (RFC 1982 arithmetic) on every change to a zone. */
static int bump(struct names *n, int64_t zone, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_soa_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    uint8_t rd[2 * DNAME_MAXLEN + 20];
    int len = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        len = sqlite3_column_bytes(s, 0);
        if (len >= 22 && (size_t)len <= sizeof rd)
            memcpy(rd, sqlite3_column_blob(s, 0), (size_t)len);
        else
            len = 0;
    }
    sqlite3_reset(s);
    if (len == 0)
        return diag_set(d, LANA_EDB, "zone %lld has no SOA", (long long)zone);
    uint8_t *p = rd + len - 20;
    uint32_t serial = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    serial++;
    p[0] = (uint8_t)(serial >> 24);
    p[1] = (uint8_t)(serial >> 16);
    p[2] = (uint8_t)(serial >> 8);
    p[3] = (uint8_t)serial;
    if ((rc = store__stmt(n->st, sql_soa_set, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_blob(s, 2, rd, len, SQLITE_TRANSIENT);
    if ((rc = step_done(n, s, "serial", d)) != 0)
        return rc;
    if ((rc = store__stmt(n->st, sql_zone_touch, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_int64(s, 2, (int64_t)time(NULL));
    return step_done(n, s, "zone", d);
}

static const char sql_zone_ins[] =
    "INSERT INTO zone (name, apex, created, updated) VALUES (?1, ?2, ?3, ?3)";

static int zone_create(struct names *n, const uint8_t *apex, int64_t *id, struct lana_diag *d)
{
    char text[DNAME_TEXT_MAX];
    uint8_t key[DNAME_KEY_MAX];
    size_t kl = dname_key(apex, key);
    text_of(apex, text);
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_zone_ins, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
    if ((rc = step_done(n, s, "create zone", d)) != 0)
        return rc;
    *id = sqlite3_last_insert_rowid(n->st->db);
    if ((rc = note_change(n, NULL, d)) != 0) /* a new zone: REFUSED turns into answers */
        return rc;
    /* SOA: our name server ns1.lab., hostmaster.<zone>, serial YYYYMMDD00 */
    uint8_t rd[2 * DNAME_MAXLEN + 20], ns[DNAME_MAXLEN], hm[DNAME_MAXLEN];
    char buf[DNAME_TEXT_MAX + 16];
    wire_of("ns1.lab.", ns, d);
    snprintf(buf, sizeof buf, "hostmaster.%s", strcmp(text, ".") ? text : "");
    if (wire_of(buf, hm, d) != 0)
        wire_of("hostmaster.lab.", hm, d);
    size_t nl = dname_len(ns), hl = dname_len(hm);
    memcpy(rd, ns, nl);
    memcpy(rd + nl, hm, hl);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    uint32_t v[5] = {(uint32_t)((tm.tm_year + 1900) * 1000000 + (tm.tm_mon + 1) * 10000 +
                                tm.tm_mday * 100),
                     3600, 900, 604800, NAMES_TTL};
    uint8_t *p = rd + nl + hl;
    for (int i = 0; i < 5; i++, p += 4) {
        p[0] = (uint8_t)(v[i] >> 24);
        p[1] = (uint8_t)(v[i] >> 16);
        p[2] = (uint8_t)(v[i] >> 8);
        p[3] = (uint8_t)v[i];
    }
    if ((rc = rr_put(n, *id, apex, DNS_T_SOA, rd, nl + hl + 20, 3600, d)) < 0 ||
        (rc = rr_put(n, *id, apex, DNS_T_NS, ns, nl, 3600, d)) < 0)
        return rc;
    return 0;
}

static bool is_reverse(const char *name)
{
    size_t l = strlen(name);
    return (l >= 13 && strcmp(name + l - 13, "in-addr.arpa.") == 0) ||
           (l >= 9 && strcmp(name + l - 9, "ip6.arpa.") == 0);
}

static const char sql_zone_block_ins[] = "INSERT OR IGNORE INTO zone_block (zone_id, block_id) VALUES (?1, ?2)";

int names_zone_add(struct names *n, const char *name, const struct cidr *blocks, unsigned nblocks,
                   const char *actor, struct names_zone *out, struct lana_diag *d)
{
    uint8_t apex[DNAME_MAXLEN];
    int rc;
    if ((rc = names_check_hostname(name, d)) != 0 || (rc = wire_of(name, apex, d)) != 0)
        return rc;
    struct names_zone z;
    if (names_zone_get(n, name, &z, NULL) == 0)
        return diag_set(d, LANA_ECONFLICT, "zone %s exists", z.name);
    struct ipam_block bl[8];
    if (nblocks > 8)
        return diag_set(d, LANA_ERANGE, "at most 8 default blocks");
    for (unsigned i = 0; i < nblocks; i++)
        if ((rc = ipam_get(n->ip, &blocks[i], &bl[i], d)) != 0)
            return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    int64_t id = 0;
    rc = zone_create(n, apex, &id, d);
    for (unsigned i = 0; rc == 0 && i < nblocks; i++) {
        sqlite3_stmt *s;
        if ((rc = store__stmt(n->st, sql_zone_block_ins, &s, d)) == 0) {
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int64(s, 2, bl[i].id);
            rc = step_done(n, s, "zone block", d);
        }
    }
    char text[DNAME_TEXT_MAX];
    text_of(apex, text);
    if (rc == 0)
        rc = audit_json(n, actor, "zone.add", text, NULL, d);
    if ((rc = sp_end(n, rc, d)) == 0 && out != NULL)
        rc = names_zone_get(n, text, out, d);
    return rc;
}

int names_zone_ensure(struct names *n, const char *name, const char *actor, struct lana_diag *d)
{
    uint8_t apex[DNAME_MAXLEN];
    int rc = wire_of(name, apex, d);
    if (rc != 0)
        return rc;
    struct names_zone z;
    if (names_zone_get(n, name, &z, NULL) == 0)
        return 0;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    int64_t id;
    rc = zone_create(n, apex, &id, d);
    if (rc == 0)
        rc = audit_json(n, actor, "zone.add", name, NULL, d);
    rc = sp_end(n, rc, d);
    return rc ? rc : 1;
}

static const char sql_zone_get[] =
    "SELECT z.id, z.name, (SELECT rdata FROM rr WHERE zone_id = z.id AND type = 6),"
    " (SELECT count(*) FROM rr WHERE zone_id = z.id),"
    " (SELECT count(*) FROM host WHERE zone_id = z.id) FROM zone z WHERE z.name = ?1";
static const char sql_zone_all[] =
    "SELECT z.id, z.name, (SELECT rdata FROM rr WHERE zone_id = z.id AND type = 6),"
    " (SELECT count(*) FROM rr WHERE zone_id = z.id),"
    " (SELECT count(*) FROM host WHERE zone_id = z.id) FROM zone z ORDER BY z.name";

static void read_zone(sqlite3_stmt *s, struct names_zone *z)
{
    memset(z, 0, sizeof *z);
    z->id = sqlite3_column_int64(s, 0);
    snprintf(z->name, sizeof z->name, "%s", (const char *)sqlite3_column_text(s, 1));
    int len = sqlite3_column_bytes(s, 2);
    const uint8_t *rd = sqlite3_column_blob(s, 2);
    if (len >= 22 && rd != NULL) {
        const uint8_t *p = rd + len - 20;
        z->serial = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
    z->records = sqlite3_column_int64(s, 3);
    z->hosts = sqlite3_column_int64(s, 4);
    z->reverse = is_reverse(z->name);
}

int names_zone_get(struct names *n, const char *name, struct names_zone *out, struct lana_diag *d)
{
    uint8_t w[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc = canonical(name, w, text, d);
    if (rc != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_zone_get, &s, d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW)
        read_zone(s, out);
    else
        rc = diag_set(d, LANA_ENOTFOUND, "no zone %s", text);
    sqlite3_reset(s);
    return rc;
}

int names_zone_each(struct names *n, names_zone_cb *cb, void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__prepare(n->st, sql_zone_all, &s, d);
    if (rc != 0)
        return rc;
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        struct names_zone z;
        read_zone(s, &z);
        rc = cb(&z, arg);
    }
    sqlite3_finalize(s);
    return rc < 0 ? rc : 0;
}

static const char sql_zone_blocks[] =
    "SELECT b.family, b.start, b.plen FROM zone_block zb JOIN block b ON b.id = zb.block_id"
    " WHERE zb.zone_id = ?1 ORDER BY b.family, b.start";

int names_zone_blocks(struct names *n, int64_t zone_id, struct cidr *out, unsigned max,
                      unsigned *count, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_zone_blocks, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone_id);
    *count = 0;
    while (sqlite3_step(s) == SQLITE_ROW && *count < max) {
        struct cidr *c = &out[(*count)++];
        memset(c, 0, sizeof *c);
        c->family = (uint8_t)sqlite3_column_int(s, 0);
        c->plen = (uint8_t)sqlite3_column_int(s, 2);
        const uint8_t *k = sqlite3_column_blob(s, 1);
        unsigned __int128 v = 0;
        for (int i = 0; i < 16 && k; i++)
            v = v << 8 | k[i];
        cidr_addr_set_u128(c, v);
    }
    sqlite3_reset(s);
    return 0;
}

static const char sql_zone_other[] =
    "SELECT EXISTS(SELECT 1 FROM rr WHERE zone_id = ?1 AND key <> ?2)";
static const char sql_hosts_of_zone[] = "SELECT name FROM host WHERE zone_id = ?1";
static const char sql_zone_delete[] = "DELETE FROM zone WHERE id = ?1";

int names_zone_del(struct names *n, const char *name, bool recursive, const char *actor,
                   struct lana_diag *d)
{
    struct names_zone z;
    int rc = names_zone_get(n, name, &z, d);
    if (rc != 0)
        return rc;
    uint8_t apex[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    wire_of(z.name, apex, d);
    size_t kl = dname_key(apex, key);
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_zone_other, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, z.id);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    bool other = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    if ((other || z.hosts > 0) && !recursive)
        return diag_set(d, LANA_ECONFLICT,
                        "zone %s holds %lld host%s and other names: delete them first, or use "
                        "--recursive",
                        z.name, (long long)z.hosts, z.hosts == 1 ? "" : "s");
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    /* hosts first, so that their addresses and PTR records go too */
    if ((rc = store__prepare(n->st, sql_hosts_of_zone, &s, d)) == 0) {
        sqlite3_bind_int64(s, 1, z.id);
        char (*hosts)[DNAME_TEXT_MAX] = NULL;
        size_t nh = 0, cap = 0;
        while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
            if (nh == cap) {
                cap = cap ? cap * 2 : 64;
                void *p = realloc(hosts, cap * sizeof *hosts);
                if (p == NULL) {
                    rc = diag_set(d, LANA_ENOMEM, "out of memory");
                    break;
                }
                hosts = p;
            }
            snprintf(hosts[nh++], DNAME_TEXT_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
        }
        sqlite3_finalize(s);
        for (size_t i = 0; rc == 0 && i < nh; i++)
            rc = names_host_del(n, hosts[i], actor, d);
        free(hosts);
    }
    if (rc == 0 && (rc = store__stmt(n->st, sql_zone_delete, &s, d)) == 0) {
        sqlite3_bind_int64(s, 1, z.id);
        rc = step_done(n, s, "delete zone", d);
    }
    if (rc == 0)
        rc = note_change(n, NULL, d);
    if (rc == 0)
        rc = audit_json(n, actor, "zone.del", z.name, NULL, d);
    return sp_end(n, rc, d);
}

/* ---- records ------------------------------------------------------------------------------ */

/* Splits record data into tokens for rdata_parse: words, "quoted strings" kept as one. */
static int tokens_of(char *data, struct rdata_token *tok, size_t max, struct lana_diag *d)
{
    size_t nt = 0;
    char *p = data;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        if (nt == max)
            return diag_set(d, LANA_EPARSE, "too many words in the record data");
        if (*p == '"') {
            char *start = ++p;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p != '"')
                return diag_set(d, LANA_EPARSE, "unterminated quote in the record data");
            *p++ = '\0';
            tok[nt++] = (struct rdata_token){start, true};
        } else {
            char *start = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            if (*p)
                *p++ = '\0';
            tok[nt++] = (struct rdata_token){start, false};
        }
    }
    return (int)nt;
}

static int record_parse(struct names *n, const char *owner, const char *type, const char *data,
                        struct record *r, struct lana_diag *d)
{
    int rc = canonical(owner, r->owner, r->text, d);
    if (rc != 0)
        return rc;
    char up[16];
    snprintf(up, sizeof up, "%s", type);
    for (char *c = up; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    r->type = dnsmsg_type_parse(up);
    if (r->type != DNS_T_CNAME && r->type != DNS_T_MX && r->type != DNS_T_TXT &&
        r->type != DNS_T_NS && r->type != DNS_T_SRV)
        return diag_set(d, LANA_EPARSE,
                        "%s: records of this type are not managed here (CNAME, MX, TXT, NS, SRV; "
                        "addresses come with lana host)",
                        type);
    uint8_t apex[DNAME_MAXLEN];
    if ((rc = zone_of(n, r->owner, &r->zone, apex, d)) < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ENOTFOUND, "%s is outside every zone", r->text);
    r->rdlen = 0;
    if (data == NULL)
        return 0;
    char copy[2048];
    struct rdata_token tok[64];
    snprintf(copy, sizeof copy, "%s", data);
    int nt = tokens_of(copy, tok, 64, d);
    if (nt < 0)
        return nt;
    struct lana_diag e;
    int len = rdata_parse(r->type, tok, (size_t)nt, apex, r->rd, RDATA_MAX, &e);
    if (len < 0)
        return diag_set(d, LANA_EPARSE, "%s %s: %s", type, data, e.msg);
    r->rdlen = len;
    return 0;
}

static int audit_record(struct names *n, const char *actor, const char *action,
                        const struct record *r, const char *type, const char *data,
                        int64_t deleted, struct lana_diag *d)
{
    jsonw_reset(&n->j);
    jsonw_obj(&n->j);
    jsonw_kstr(&n->j, "type", type);
    jsonw_kstr(&n->j, "data", data ? data : "");
    if (deleted >= 0)
        jsonw_kint(&n->j, "deleted", deleted);
    jsonw_end(&n->j);
    return audit_json(n, actor, action, r->text, n->j.s, d);
}

int names_record_add(struct names *n, const char *owner, const char *type, const char *data,
                     const char *actor, struct lana_diag *d)
{
    struct record *r = &n->rec;
    int rc = record_parse(n, owner, type, data, r, d);
    if (rc != 0)
        return rc;
    int64_t count;
    bool cname;
    if ((rc = rr_at(n, r->zone, r->owner, &count, &cname, d)) != 0)
        return rc;
    if (r->type == DNS_T_CNAME && count > 0)
        return diag_set(d, LANA_ECONFLICT, "%s already has data: a CNAME cannot stand beside it",
                        r->text);
    if (r->type != DNS_T_CNAME && cname)
        return diag_set(d, LANA_ECONFLICT, "%s is a CNAME: nothing else can stand beside it",
                        r->text);
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    rc = rr_put(n, r->zone, r->owner, r->type, r->rd, (size_t)r->rdlen, NAMES_TTL, d);
    if (rc == 0)
        rc = diag_set(d, LANA_ECONFLICT, "%s %s %s exists already", r->text, type, data);
    if (rc == 1)
        rc = bump(n, r->zone, d);
    if (rc == 0)
        rc = audit_record(n, actor, "record.add", r, type, data, -1, d);
    return sp_end(n, rc, d);
}

static const char sql_ns_count[] =
    "SELECT count(*) FROM rr r JOIN zone z ON z.id = r.zone_id WHERE r.zone_id = ?1"
    " AND r.key = z.apex AND r.type = 2";

int names_record_del(struct names *n, const char *owner, const char *type, const char *data,
                     const char *actor, int64_t *deleted, struct lana_diag *d)
{
    struct record *r = &n->rec;
    int rc = record_parse(n, owner, type, data, r, d);
    if (rc != 0)
        return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    int k = rr_drop(n, r->zone, r->owner, r->type, data ? r->rd : NULL, (size_t)r->rdlen, d);
    rc = k < 0 ? k : 0;
    if (rc == 0 && k == 0)
        rc = diag_set(d, LANA_ENOTFOUND, "%s has no such %s record", r->text, type);
    if (rc == 0 && r->type == DNS_T_NS) { /* the apex keeps at least one NS */
        sqlite3_stmt *s;
        if ((rc = store__stmt(n->st, sql_ns_count, &s, d)) == 0) {
            sqlite3_bind_int64(s, 1, r->zone);
            if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == 0) {
                uint8_t apex[DNAME_MAXLEN];
                int64_t zid;
                if (zone_of(n, r->owner, &zid, apex, d) == 1 && dname_equal(apex, r->owner))
                    rc = diag_set(d, LANA_ECONFLICT, "%s would be left without NS records",
                                  r->text);
            }
            sqlite3_reset(s);
        }
    }
    if (rc == 0)
        rc = bump(n, r->zone, d);
    if (rc == 0)
        rc = audit_record(n, actor, "record.del", r, type, data, k, d);
    if ((rc = sp_end(n, rc, d)) == 0 && deleted != NULL)
        *deleted = k;
    return rc;
}

/* ---- hosts -------------------------------------------------------------------------------- */

static const char sql_host_get[] =
    "SELECT h.name, z.name, h.v4, h.v6, h.created, h.zone_id FROM host h JOIN zone z"
    " ON z.id = h.zone_id WHERE h.name = ?1";
static const char sql_host_ins[] =
    "INSERT INTO host (zone_id, name, v4, v6, created) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_host_delete[] = "DELETE FROM host WHERE name = ?1";

static void read_host(sqlite3_stmt *s, struct names_host *h, int64_t *zone)
{
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(h->zone, sizeof h->zone, "%s", (const char *)sqlite3_column_text(s, 1));
    if (sqlite3_column_type(s, 2) == SQLITE_TEXT)
        snprintf(h->v4, sizeof h->v4, "%s", (const char *)sqlite3_column_text(s, 2));
    if (sqlite3_column_type(s, 3) == SQLITE_TEXT)
        snprintf(h->v6, sizeof h->v6, "%s", (const char *)sqlite3_column_text(s, 3));
    h->created = sqlite3_column_int64(s, 4);
    if (zone)
        *zone = sqlite3_column_int64(s, 5);
}

static int host_find(struct names *n, const char *text, struct names_host *h, int64_t *zone,
                     struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_host_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    rc = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        read_host(s, h, zone);
        rc = 1;
    }
    sqlite3_reset(s);
    return rc;
}

/* The registered host called name (its wire form in w, when w is set); LANA_ENOTFOUND if none. */
static int host_lookup(struct names *n, const char *name, struct names_host *h, int64_t *zone,
                       uint8_t *w, struct lana_diag *d)
{
    uint8_t wire[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc = canonical(name, w ? w : wire, text, d);
    if (rc != 0)
        return rc;
    rc = host_find(n, text, h, zone, d);
    return rc < 0 ? rc : rc == 0 ? diag_set(d, LANA_ENOTFOUND, "no host %s", text) : 0;
}

int names_host_get(struct names *n, const char *name, struct names_host *out, struct lana_diag *d)
{
    return host_lookup(n, name, out, NULL, NULL, d);
}

static int pool_names(struct names *n, int family, char *out, size_t size);

struct first_pool {
    int family;
    struct cidr p;
    bool found;
};

static int first_pool_cb(const struct ipam_block *b, void *arg)
{
    struct first_pool *f = arg;
    if (b->prefix.family == f->family && !f->found) {
        f->p = b->prefix;
        f->found = true;
    }
    return 0;
}

/* Gets one address of a family for host name: the next free one of a block, or the given one. */
static int host_address(struct names *n, const char *name, int64_t zone, int family,
                        const struct names_addr_spec *spec, const struct cidr *block,
                        const char *actor, struct cidr *out, struct lana_diag *d)
{
    struct ipam_block b;
    char descr[DNAME_TEXT_MAX + 8];
    snprintf(descr, sizeof descr, "host %s", name);
    int rc;
    if (spec->how == NAMES_ADDR_GIVEN) {
        rc = ipam_take(n->ip, &spec->addr, IPAM_ASSIGNED, name, descr, actor, &b, d);
        if (rc == LANA_ENOTFOUND) {
            char a[CIDR_STRLEN], pools[512];
            cidr_format_addr(&spec->addr, a, sizeof a);
            pool_names(n, family, pools, sizeof pools);
            return diag_set(d, LANA_ENOTFOUND, "%s is outside every pool (%s)", a, pools);
        }
        if (rc == LANA_ECONFLICT) {
            char a[CIDR_STRLEN], msg[LANA_DIAG_LEN];
            cidr_format_addr(&spec->addr, a, sizeof a);
            snprintf(msg, sizeof msg, "%s", d->msg);
            return diag_set(d, LANA_ECONFLICT, "%s is taken: %s", a, msg);
        }
        if (rc == 0)
            *out = b.prefix;
        return rc;
    }
    /* auto: --block, else the zone's default block of the family, else the first pool */
    struct cidr parent;
    bool have = false;
    if (block != NULL && block->family == family) {
        parent = *block;
        have = true;
    }
    if (!have) {
        struct cidr zb[8];
        unsigned nz = 0;
        if ((rc = names_zone_blocks(n, zone, zb, 8, &nz, d)) != 0)
            return rc;
        for (unsigned i = 0; i < nz && !have; i++)
            if (zb[i].family == family) {
                parent = zb[i];
                have = true;
            }
    }
    if (!have) {
        struct first_pool f = {.family = family};
        if ((rc = ipam_children(n->ip, NULL, first_pool_cb, &f, d)) != 0)
            return rc;
        if (!f.found)
            return diag_set(d, LANA_ENOTFOUND, "no IPv%d pool to take an address from", family);
        parent = f.p;
    }
    rc = ipam_alloc(n->ip, &parent, cidr_bits(&parent), IPAM_ASSIGNED, name, descr, actor, &b, d);
    if (rc == 0)
        *out = b.prefix;
    return rc;
}

struct pool_list {
    int family;
    char *out;
    size_t size, len;
};

static int pool_list_cb(const struct ipam_block *b, void *arg)
{
    struct pool_list *l = arg;
    if (b->prefix.family != l->family)
        return 0;
    char t[CIDR_STRLEN];
    cidr_format(&b->prefix, t, sizeof t);
    int k = snprintf(l->out + l->len, l->size - l->len, "%s%s", l->len ? ", " : "pools: ", t);
    if (k > 0 && (size_t)k < l->size - l->len)
        l->len += (size_t)k;
    return 0;
}

static int pool_names(struct names *n, int family, char *out, size_t size)
{
    struct pool_list l = {family, out, size, 0};
    out[0] = '\0';
    struct lana_diag d;
    ipam_children(n->ip, NULL, pool_list_cb, &l, &d);
    if (l.len == 0)
        snprintf(out, size, "no IPv%d pool", family);
    return 0;
}

/* The PTR owner of an address, and its zone (0: no reverse zone holds it). */
static int ptr_of(struct names *n, const struct cidr *addr, uint8_t owner[DNAME_MAXLEN],
                  int64_t *zone, struct lana_diag *d)
{
    char rev[CIDR_REVLEN];
    struct cidr a = *addr;
    a.plen = (uint8_t)cidr_bits(&a);
    if (cidr_reverse_name(&a, rev, sizeof rev) < 0 || wire_of(rev, owner, d) != 0)
        return diag_set(d, LANA_EPARSE, "reverse name");
    uint8_t apex[DNAME_MAXLEN];
    return zone_of(n, owner, zone, apex, d);
}

static int publish(struct names *n, int64_t zone, const uint8_t *hw, const struct cidr *a,
                   bool add, struct lana_diag *d)
{
    uint16_t type = a->family == 4 ? DNS_T_A : DNS_T_AAAA;
    size_t alen = a->family == 4 ? 4 : 16;
    int rc = add ? rr_put(n, zone, hw, type, a->addr, alen, NAMES_TTL, d)
                 : rr_drop(n, zone, hw, type, a->addr, alen, d);
    if (rc < 0)
        return rc;
    uint8_t pw[DNAME_MAXLEN];
    int64_t rz;
    if ((rc = ptr_of(n, a, pw, &rz, d)) < 0)
        return rc;
    if (rc == 1) {
        rc = add ? rr_put(n, rz, pw, DNS_T_PTR, hw, dname_len(hw), NAMES_TTL, d)
                 : rr_drop(n, rz, pw, DNS_T_PTR, hw, dname_len(hw), d);
        if (rc < 0)
            return rc;
        if (rz != zone && (rc = bump(n, rz, d)) != 0)
            return rc;
    }
    return 0;
}

static int host_json(struct names *n, const struct names_host *h)
{
    jsonw_reset(&n->j);
    jsonw_obj(&n->j);
    jsonw_kstr(&n->j, "name", h->name);
    jsonw_kstr(&n->j, "v4", h->v4);
    jsonw_kstr(&n->j, "v6", h->v6);
    jsonw_end(&n->j);
    return 0;
}

int names_host_add(struct names *n, const char *name, const struct names_addr_spec *v4,
                   const struct names_addr_spec *v6, const struct cidr *block, const char *actor,
                   struct names_host *out, struct lana_diag *d)
{
    uint8_t hw[DNAME_MAXLEN], apex[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc;
    if ((rc = names_check_hostname(name, d)) != 0 || (rc = wire_of(name, hw, d)) != 0)
        return rc;
    text_of(hw, text);
    int64_t zone;
    if ((rc = zone_of(n, hw, &zone, apex, d)) < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ENOTFOUND, "no zone holds %s: add one with 'lana zone add'", text);
    if (dname_equal(apex, hw))
        return diag_set(d, LANA_EPARSE, "%s is a zone's apex, not a host name", text);
    char zt[DNAME_TEXT_MAX];
    text_of(apex, zt);
    if (is_reverse(zt))
        return diag_set(d, LANA_EPARSE, "%s lies in a reverse zone", text);
    struct names_host h;
    if ((rc = host_find(n, text, &h, NULL, d)) != 0)
        return rc < 0 ? rc : diag_set(d, LANA_ECONFLICT, "host %s exists", text);
    int64_t count;
    bool cname;
    if ((rc = rr_at(n, zone, hw, &count, &cname, d)) != 0)
        return rc;
    if (count > 0)
        return diag_set(d, LANA_ECONFLICT, "%s already has records (%s)", text,
                        cname ? "a CNAME" : "see lana record");
    if (v4->how == NAMES_ADDR_NONE && v6->how == NAMES_ADDR_NONE)
        return diag_set(d, LANA_EPARSE, "a host needs an IPv4 or an IPv6 address");
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", text);
    snprintf(h.zone, sizeof h.zone, "%s", zt);
    const struct names_addr_spec *specs[2] = {v4, v6};
    for (int f = 0; f < 2 && rc == 0; f++) {
        if (specs[f]->how == NAMES_ADDR_NONE)
            continue;
        struct cidr a;
        rc = host_address(n, text, zone, f ? 6 : 4, specs[f], block, actor, &a, d);
        if (rc == 0)
            rc = publish(n, zone, hw, &a, true, d);
        if (rc == 0)
            cidr_format_addr(&a, f ? h.v6 : h.v4, CIDR_STRLEN);
    }
    if (rc == 0) {
        sqlite3_stmt *s;
        if ((rc = store__stmt(n->st, sql_host_ins, &s, d)) == 0) {
            h.created = (int64_t)time(NULL);
            sqlite3_bind_int64(s, 1, zone);
            sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
            if (h.v4[0])
                sqlite3_bind_text(s, 3, h.v4, -1, SQLITE_TRANSIENT);
            if (h.v6[0])
                sqlite3_bind_text(s, 4, h.v6, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 5, h.created);
            rc = step_done(n, s, "insert host", d);
        }
    }
    if (rc == 0)
        rc = bump(n, zone, d);
    if (rc == 0) {
        host_json(n, &h);
        rc = audit_json(n, actor, "host.add", text, n->j.s, d);
    }
    if ((rc = sp_end(n, rc, d)) == 0 && out != NULL)
        *out = h;
    return rc;
}

static const char sql_srv_below[] =
    "SELECT key, rdata FROM rr WHERE zone_id = ?1 AND type = 33 AND key > ?2 AND key < ?3";
static const char sql_srv_below_del[] =
    "DELETE FROM rr WHERE zone_id = ?1 AND type = 33 AND key > ?2 AND key < ?3";

/* The SRV records bound to a host sit below its name: the key range (key, key + 0xff). */
static int srv_range(struct names *n, const char *sql, int64_t zone, const uint8_t *hw,
                     sqlite3_stmt **out, struct lana_diag *d)
{
    uint8_t lo[DNAME_KEY_MAX + 1];
    size_t kl = dname_key(hw, lo);
    int rc = store__stmt(n->st, sql, out, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(*out, 1, zone);
    sqlite3_bind_blob(*out, 2, lo, (int)kl, SQLITE_TRANSIENT);
    lo[kl] = 0xff;
    sqlite3_bind_blob(*out, 3, lo, (int)kl + 1, SQLITE_TRANSIENT);
    return 0;
}

static int host_unpublish(struct names *n, const struct names_host *h, int64_t zone,
                          const char *actor, struct lana_diag *d)
{
    uint8_t hw[DNAME_MAXLEN];
    int rc = wire_of(h->name, hw, d);
    const char *addrs[2] = {h->v4, h->v6};
    for (int f = 0; f < 2 && rc == 0; f++) {
        if (!addrs[f][0])
            continue;
        struct cidr a;
        if (cidr_parse_addr(addrs[f], &a, d) != 0)
            continue;
        if ((rc = publish(n, zone, hw, &a, false, d)) != 0)
            break;
        struct ipam_block b;
        if (ipam_get(n->ip, &a, &b, NULL) == 0 && strcmp(b.holder, h->name) == 0)
            rc = ipam_release(n->ip, &a, false, actor, NULL, d);
    }
    sqlite3_stmt *s;
    if (rc == 0 && (rc = srv_range(n, sql_srv_below_del, zone, hw, &s, d)) == 0)
        rc = step_done(n, s, "unbind services", d);
    if (rc == 0 && sqlite3_changes(n->st->db) > 0)
        rc = note_change(n, NULL, d); /* names below the host: simplest to drop everything */
    return rc;
}

int names_host_del(struct names *n, const char *name, const char *actor, struct lana_diag *d)
{
    struct names_host h;
    int64_t zone;
    int rc = host_lookup(n, name, &h, &zone, NULL, d);
    if (rc != 0)
        return rc;
    const char *text = h.name;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    rc = host_unpublish(n, &h, zone, actor, d);
    sqlite3_stmt *s;
    if (rc == 0 && (rc = store__stmt(n->st, sql_host_delete, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
        rc = step_done(n, s, "delete host", d);
    }
    if (rc == 0)
        rc = bump(n, zone, d);
    if (rc == 0) {
        host_json(n, &h);
        rc = audit_add(n->st, actor ? actor : "", "host.del", text, n->j.s, NULL, d);
    }
    return sp_end(n, rc, d);
}

int names_host_rename(struct names *n, const char *from, const char *to, const char *actor,
                      struct names_host *out, struct lana_diag *d)
{
    struct names_host h;
    int64_t zone;
    uint8_t fw[DNAME_MAXLEN], tw[DNAME_MAXLEN];
    int rc;
    if ((rc = names_check_hostname(to, d)) != 0 || (rc = wire_of(to, tw, d)) != 0 ||
        (rc = host_lookup(n, from, &h, &zone, fw, d)) != 0)
        return rc;
    const char *ft = h.name;
    /* remember the services bound, to bind them again under the new name */
    struct {
        uint8_t label[2][64];
        uint8_t rd[6 + DNAME_MAXLEN];
    } *srv = NULL;
    size_t ns = 0;
    sqlite3_stmt *s;
    if ((rc = srv_range(n, sql_srv_below, zone, fw, &s, d)) != 0)
        return rc;
    while (sqlite3_step(s) == SQLITE_ROW) {
        uint8_t owner[DNAME_MAXLEN];
        if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) <= 0 ||
            dname_labels(owner) != dname_labels(fw) + 2 || sqlite3_column_bytes(s, 1) < 6)
            continue;
        void *p = realloc(srv, (ns + 1) * sizeof *srv);
        if (p == NULL)
            break;
        srv = p;
        memcpy(srv[ns].label[0], owner, (size_t)owner[0] + 1);
        const uint8_t *second = owner + owner[0] + 1;
        memcpy(srv[ns].label[1], second, (size_t)second[0] + 1);
        memcpy(srv[ns].rd, sqlite3_column_blob(s, 1), 6); /* priority, weight, port */
        ns++;
    }
    sqlite3_reset(s);
    if ((rc = store_sp_begin(n->st, d)) != 0) {
        free(srv);
        return rc;
    }
    struct names_addr_spec v4 = {NAMES_ADDR_NONE, {0}}, v6 = {NAMES_ADDR_NONE, {0}};
    if (h.v4[0] && cidr_parse_addr(h.v4, &v4.addr, NULL) == 0)
        v4.how = NAMES_ADDR_GIVEN;
    if (h.v6[0] && cidr_parse_addr(h.v6, &v6.addr, NULL) == 0)
        v6.how = NAMES_ADDR_GIVEN;
    rc = names_host_del(n, ft, actor, d);
    if (rc == 0)
        rc = names_host_add(n, to, &v4, &v6, NULL, actor, out, d);
    int64_t nz = 0;
    uint8_t apex[DNAME_MAXLEN];
    if (rc == 0 && zone_of(n, tw, &nz, apex, d) != 1)
        rc = diag_set(d, LANA_ENOTFOUND, "no zone for %s", to);
    for (size_t i = 0; rc == 0 && i < ns; i++) {
        uint8_t owner[DNAME_MAXLEN], rd[6 + DNAME_MAXLEN];
        size_t l0 = (size_t)srv[i].label[0][0] + 1, l1 = (size_t)srv[i].label[1][0] + 1;
        size_t tl = dname_len(tw);
        if (l0 + l1 + tl > DNAME_MAXLEN)
            continue;
        memcpy(owner, srv[i].label[0], l0);
        memcpy(owner + l0, srv[i].label[1], l1);
        memcpy(owner + l0 + l1, tw, tl);
        memcpy(rd, srv[i].rd, 6);
        memcpy(rd + 6, tw, tl);
        if ((rc = rr_put(n, nz, owner, DNS_T_SRV, rd, 6 + tl, NAMES_TTL, d)) > 0)
            rc = 0;
    }
    free(srv);
    if (rc == 0 && ns > 0)
        rc = bump(n, nz, d);
    return sp_end(n, rc, d);
}

static const char sql_hosts_all[] =
    "SELECT h.name, z.name, h.v4, h.v6, h.created, h.zone_id FROM host h JOIN zone z"
    " ON z.id = h.zone_id WHERE ?1 IS NULL OR z.name = ?1 ORDER BY h.name";

int names_host_each(struct names *n, const char *zone, names_host_cb *cb, void *arg,
                     struct lana_diag *d)
{
    char zt[DNAME_TEXT_MAX];
    if (zone != NULL) {
        uint8_t w[DNAME_MAXLEN];
        int rc = wire_of(zone, w, d);
        if (rc != 0)
            return rc;
        text_of(w, zt);
        struct names_zone z;
        if ((rc = names_zone_get(n, zt, &z, d)) != 0)
            return rc;
    }
    sqlite3_stmt *s;
    int rc = store__prepare(n->st, sql_hosts_all, &s, d);
    if (rc != 0)
        return rc;
    if (zone != NULL)
        sqlite3_bind_text(s, 1, zt, -1, SQLITE_TRANSIENT);
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        struct names_host h;
        read_host(s, &h, NULL);
        rc = cb(&h, arg);
    }
    sqlite3_finalize(s);
    return rc < 0 ? rc : 0;
}

/* ---- services ----------------------------------------------------------------------------- */

static int check_service(const char *name, const char *proto, struct lana_diag *d)
{
    /* RFC 6335 section 5.1: 1-15 characters, letters, digits and hyphens, at least one
     * letter, no hyphen at either end nor two in a row */
    size_t len = strlen(name);
    bool letter = false;
    if (len == 0 || len > 15)
        return diag_set(d, LANA_EPARSE, "%.20s: a service name has 1 to 15 characters", name);
    for (size_t i = 0; i < len; i++) {
        if (isalpha((unsigned char)name[i]))
            letter = true;
        else if (name[i] == '-') {
            if (i == 0 || i == len - 1 || name[i - 1] == '-')
                return diag_set(d, LANA_EPARSE,
                                "%s: no hyphen at either end of a service name, nor two in a row",
                                name);
        } else if (!isdigit((unsigned char)name[i]))
            return diag_set(d, LANA_EPARSE, "%s: letters, digits and hyphens only", name);
    }
    if (!letter)
        return diag_set(d, LANA_EPARSE, "%s: a service name needs a letter", name);
    if (proto != NULL && strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
        return diag_set(d, LANA_EPARSE, "%s: the transport is tcp or udp", proto);
    return 0;
}

static const char sql_svc_get[] =
    "SELECT s.name, s.proto, s.port, s.descr, 0 FROM service s WHERE s.name = ?1 AND s.proto = ?2";
static const char sql_svc_port[] = "SELECT name FROM service WHERE proto = ?1 AND port = ?2";
static const char sql_svc_free[] =
    "SELECT min(p) FROM (SELECT 1024 AS p UNION ALL SELECT port + 1 FROM service"
    " WHERE proto = ?1 AND port BETWEEN 1024 AND 49150)"
    " WHERE p NOT IN (SELECT port FROM service WHERE proto = ?1)";
static const char sql_svc_ins[] =
    "INSERT INTO service (name, proto, port, descr, created) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_svc_del[] = "DELETE FROM service WHERE name = ?1 AND proto = ?2";

static void lower_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* A checked service name and transport in the registry's lower-case form (pr may be NULL). */
static int service_key(const char *name, const char *proto, char nm[16], char pr[4],
                       struct lana_diag *d)
{
    int rc = check_service(name, proto, d);
    if (rc != 0)
        return rc;
    lower_copy(nm, 16, name);
    if (pr != NULL)
        lower_copy(pr, 4, proto);
    return 0;
}

static int service_find(struct names *n, const char *name, const char *proto,
                        struct names_service *out, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_svc_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, proto, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(out->proto, sizeof out->proto, "%s", (const char *)sqlite3_column_text(s, 1));
        out->port = (unsigned)sqlite3_column_int(s, 2);
        snprintf(out->descr, sizeof out->descr, "%s", (const char *)sqlite3_column_text(s, 3));
        rc = 1;
    }
    sqlite3_reset(s);
    return rc;
}

int names_service_add(struct names *n, const char *name, const char *proto, unsigned port,
                      const char *descr, const char *actor, struct names_service *out,
                      struct lana_diag *d)
{
    char nm[16], pr[4];
    int rc = service_key(name, proto, nm, pr, d);
    if (rc != 0)
        return rc;
    struct names_service sv;
    if ((rc = service_find(n, nm, pr, &sv, d)) != 0)
        return rc < 0 ? rc : diag_set(d, LANA_ECONFLICT, "%s/%s is registered already (port %u)",
                                      nm, pr, sv.port);
    if (port > 49151)
        return diag_set(d, LANA_ERANGE,
                        "port %u is in the dynamic range 49152-65535, which is never assigned "
                        "(RFC 6335)",
                        port);
    sqlite3_stmt *s;
    if (port == 0) {
        if ((rc = store__stmt(n->st, sql_svc_free, &s, d)) != 0)
            return rc;
        sqlite3_bind_text(s, 1, pr, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
            port = (unsigned)sqlite3_column_int(s, 0);
        sqlite3_reset(s);
        if (port == 0 || port > 49151)
            return diag_set(d, LANA_EEXHAUSTED, "no free %s port left in 1024-49151", pr);
    } else {
        if ((rc = store__stmt(n->st, sql_svc_port, &s, d)) != 0)
            return rc;
        sqlite3_bind_text(s, 1, pr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, (int)port);
        char other[32] = "";
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(other, sizeof other, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
        if (other[0])
            return diag_set(d, LANA_ECONFLICT, "%s port %u is assigned to %s", pr, port, other);
    }
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    if ((rc = store__stmt(n->st, sql_svc_ins, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, nm, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, pr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 3, (int)port);
        sqlite3_bind_text(s, 4, descr ? descr : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 5, (int64_t)time(NULL));
        rc = step_done(n, s, "insert service", d);
    }
    char obj[32];
    snprintf(obj, sizeof obj, "%s/%s", nm, pr);
    if (rc == 0) {
        jsonw_reset(&n->j);
        jsonw_obj(&n->j);
        jsonw_kint(&n->j, "port", port);
        jsonw_end(&n->j);
        rc = audit_json(n, actor, "service.add", obj, n->j.s, d);
    }
    if ((rc = sp_end(n, rc, d)) == 0 && out != NULL)
        rc = service_find(n, nm, pr, out, d) == 1 ? 0 : LANA_EDB;
    return rc;
}

/* How many SRV records are published for _name._proto anywhere (keys start after the zone
 * labels, so this counts by owner suffix in every zone: a scan over SRV records). */
static int64_t service_users(struct names *n, const char *name, const char *proto)
{
    sqlite3_stmt *s;
    struct lana_diag d;
    if (store__prepare(n->st,
                       "SELECT key FROM rr WHERE type = 33", &s, &d) != 0)
        return 0;
    char want[40];
    int wl = snprintf(want, sizeof want, "_%s._%s", name, proto);
    int64_t count = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        uint8_t owner[DNAME_MAXLEN];
        char text[DNAME_TEXT_MAX];
        if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) <= 0)
            continue;
        text_of(owner, text);
        if (strncmp(text, want, (size_t)wl) == 0 && text[wl] == '.')
            count++;
    }
    sqlite3_finalize(s);
    return count;
}

int names_service_del(struct names *n, const char *name, const char *proto, const char *actor,
                      struct lana_diag *d)
{
    char nm[16], pr[4];
    int rc = service_key(name, proto, nm, pr, d);
    if (rc != 0)
        return rc;
    struct names_service sv;
    if ((rc = service_find(n, nm, pr, &sv, d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "no service %s/%s", nm, pr);
    int64_t users = service_users(n, nm, pr);
    if (users > 0)
        return diag_set(d, LANA_ECONFLICT, "%s/%s is bound to %lld host%s: unbind first", nm, pr,
                        (long long)users, users == 1 ? "" : "s");
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_svc_del, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, nm, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, pr, -1, SQLITE_TRANSIENT);
        rc = step_done(n, s, "delete service", d);
    }
    char obj[32];
    snprintf(obj, sizeof obj, "%s/%s", nm, pr);
    if (rc == 0)
        rc = audit_add(n->st, actor ? actor : "", "service.del", obj, NULL, NULL, d);
    return sp_end(n, rc, d);
}

int names_service_each(struct names *n, names_service_cb *cb, void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__prepare(n->st, "SELECT name, proto, port, descr FROM service ORDER BY port, proto",
                            &s, d);
    if (rc != 0)
        return rc;
    struct names_service *all = NULL;
    size_t na = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        void *p = realloc(all, (na + 1) * sizeof *all);
        if (p == NULL)
            break;
        all = p;
        struct names_service *v = &all[na++];
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(v->proto, sizeof v->proto, "%s", (const char *)sqlite3_column_text(s, 1));
        v->port = (unsigned)sqlite3_column_int(s, 2);
        snprintf(v->descr, sizeof v->descr, "%s", (const char *)sqlite3_column_text(s, 3));
    }
    sqlite3_finalize(s);
    for (size_t i = 0; rc == 0 && i < na; i++) {
        all[i].bound = service_users(n, all[i].name, all[i].proto);
        rc = cb(&all[i], arg);
    }
    free(all);
    return rc < 0 ? rc : 0;
}

static int srv_owner(const char *svc, const char *proto, const uint8_t *hw,
                     uint8_t owner[DNAME_MAXLEN])
{
    size_t sl = strlen(svc), pl = strlen(proto), hl = dname_len(hw);
    if (sl + 2 + pl + 2 + hl > DNAME_MAXLEN)
        return -1;
    uint8_t *p = owner;
    *p++ = (uint8_t)(sl + 1);
    *p++ = '_';
    memcpy(p, svc, sl);
    p += sl;
    *p++ = (uint8_t)(pl + 1);
    *p++ = '_';
    memcpy(p, proto, pl);
    p += pl;
    memcpy(p, hw, hl);
    return 0;
}

static int bind_one(struct names *n, const char *host, const char *svc, const char *proto,
                    unsigned port, bool bind, const char *actor, int *count, struct lana_diag *d)
{
    struct names_service sv;
    int rc = service_find(n, svc, proto, &sv, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "no service %s/%s", svc, proto);
    struct names_host h;
    int64_t zone;
    uint8_t hw[DNAME_MAXLEN], owner[DNAME_MAXLEN];
    if ((rc = host_lookup(n, host, &h, &zone, hw, d)) != 0)
        return rc;
    const char *text = h.name;
    if (srv_owner(svc, proto, hw, owner) != 0)
        return diag_set(d, LANA_ERANGE, "the SRV name would be longer than 255 octets");
    uint8_t rd[6 + DNAME_MAXLEN];
    unsigned p = port ? port : sv.port;
    rd[0] = rd[1] = rd[2] = rd[3] = 0;
    rd[4] = (uint8_t)(p >> 8);
    rd[5] = (uint8_t)p;
    memcpy(rd + 6, hw, dname_len(hw));
    if (bind) {
        if ((rc = rr_put(n, zone, owner, DNS_T_SRV, rd, 6 + dname_len(hw), NAMES_TTL, d)) < 0)
            return rc;
        if (rc == 0)
            return diag_set(d, LANA_ECONFLICT, "%s offers %s/%s on port %u already", text, svc,
                            proto, p);
    } else {
        if ((rc = rr_drop(n, zone, owner, DNS_T_SRV, NULL, 0, d)) < 0)
            return rc;
        if (rc == 0)
            return diag_set(d, LANA_ENOTFOUND, "%s does not offer %s/%s", text, svc, proto);
    }
    (*count)++;
    char obj[DNAME_TEXT_MAX + 40];
    snprintf(obj, sizeof obj, "_%s._%s.%s", svc, proto, text);
    jsonw_reset(&n->j);
    jsonw_obj(&n->j);
    jsonw_kint(&n->j, "port", p);
    jsonw_end(&n->j);
    if ((rc = bump(n, zone, d)) != 0)
        return rc;
    return audit_json(n, actor, bind ? "service.bind" : "service.unbind", obj, n->j.s, d);
}

static int bind_all(struct names *n, const char *host, const char *service, const char *proto,
                    unsigned port, bool bind, const char *actor, int *count, struct lana_diag *d)
{
    char nm[16];
    int rc = service_key(service, proto, nm, NULL, d);
    if (rc != 0)
        return rc;
    *count = 0;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    if (proto != NULL) {
        rc = bind_one(n, host, nm, proto, port, bind, actor, count, d);
    } else { /* every transport the service is registered for */
        struct names_service sv;
        bool any = false;
        for (int i = 0; i < 2 && rc == 0; i++) {
            const char *p = i ? "udp" : "tcp";
            if (service_find(n, nm, p, &sv, d) == 1) {
                any = true;
                rc = bind_one(n, host, nm, p, port, bind, actor, count, d);
            }
        }
        if (rc == 0 && !any)
            rc = diag_set(d, LANA_ENOTFOUND, "no service %s (lana service add)", nm);
    }
    return sp_end(n, rc, d);
}

int names_service_bind(struct names *n, const char *host, const char *service, const char *proto,
                       unsigned port, const char *actor, int *bound, struct lana_diag *d)
{
    return bind_all(n, host, service, proto, port, true, actor, bound, d);
}

int names_service_unbind(struct names *n, const char *host, const char *service,
                         const char *proto, const char *actor, int *unbound, struct lana_diag *d)
{
    return bind_all(n, host, service, proto, 0, false, actor, unbound, d);
}
