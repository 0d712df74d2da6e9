/*
 * rrset — see rrset.h.
 */
#include "db/rrset.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "db/authz.h"
#include "db/names_int.h"
#include "db/zone.h"

#define DNS_T_DNAME 39 /* RFC 6672 */

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

/* Changes whose effect reaches past the owner's own answers: aliases, delegations, wildcards */
static bool wide_change(const uint8_t *owner, uint16_t type)
{
    return type == DNS_T_CNAME || type == DNS_T_NS || type == DNS_T_DNAME ||
           (owner[0] == 1 && owner[1] == '*');
}

static int note(struct names *n, const uint8_t *owner, uint16_t type, struct lana_diag *d)
{
    return zone_touch(n->st, 0, wide_change(owner, type) ? NULL : owner, ZONE_TOUCH_NAME, d);
}

static const char sql_rr_ins[] =
    "INSERT OR IGNORE INTO rr (zone_id, key, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4, ?5)";

int rrset_put(struct names *n, int64_t zone, const uint8_t *owner, uint16_t type,
              const uint8_t *rd, size_t rdlen, uint32_t ttl, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = stmt_zone_key(n, sql_rr_ins, zone, owner, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int(s, 3, type);
    sqlite3_bind_blob(s, 4, rdlen ? rd : (const uint8_t *)"", (int)rdlen, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, ttl);
    if ((rc = store__done(n->st, s, "insert record", d)) != 0)
        return rc;
    if (sqlite3_changes(n->st->db) == 0)
        return 0;
    return (rc = note(n, owner, type, d)) ? rc : 1;
}

/* "+?3", not "?3": SQLite matches "type = ?3" against the partial index rr_ns (type = 2) by
 * the bound value, and then prepares the statement anew whenever the type bound changes */
static const char sql_rr_del[] = "DELETE FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = +?3";
static const char sql_rr_del_rd[] =
    "DELETE FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = +?3 AND rdata = ?4";

int rrset_drop(struct names *n, int64_t zone, const uint8_t *owner, uint16_t type,
               const uint8_t *rd, size_t rdlen, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = stmt_zone_key(n, rd ? sql_rr_del_rd : sql_rr_del, zone, owner, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int(s, 3, type);
    if (rd)
        sqlite3_bind_blob(s, 4, rdlen ? rd : (const uint8_t *)"", (int)rdlen, SQLITE_TRANSIENT);
    if ((rc = store__done(n->st, s, "delete record", d)) != 0)
        return rc;
    int k = sqlite3_changes(n->st->db);
    if (k > 0 && (rc = note(n, owner, type, d)) != 0)
        return rc;
    return k;
}

static const char sql_rr_types[] =
    "SELECT type, count(*) FROM rr WHERE zone_id = ?1 AND key = ?2 GROUP BY type";

int rrset_at(struct names *n, int64_t zone, const uint8_t *owner, int64_t *count, bool *cname,
             struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = stmt_zone_key(n, sql_rr_types, zone, owner, &s, d);
    if (rc != 0)
        return rc;
    int64_t c = 0;
    bool cn = false;
    while ((rc = store__row(n->st, s, "records", d)) == 1) {
        c += sqlite3_column_int64(s, 1);
        if (sqlite3_column_int(s, 0) == DNS_T_CNAME)
            cn = true;
    }
    if (rc < 0)
        return rc;
    *count = c;
    *cname = cn;
    return 0;
}

/* ---- records given as text ---------------------------------------------------------------- */

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

int rrset_parse(struct names *n, const char *owner, const char *type, const char *data,
                struct rrset_record *r, struct lana_diag *d)
{
    int rc = names__canonical(owner, r->owner, r->text, d);
    if (rc != 0)
        return rc;
    char up[16];
    size_t tl = strlen(type);
    if (tl >= sizeof up)
        return diag_set(d, LANA_EPARSE, "%.20s: no such record type", type);
    for (size_t i = 0; i <= tl; i++)
        up[i] = (char)toupper((unsigned char)type[i]);
    r->type = dnsmsg_type_parse(up);
    if (r->type != DNS_T_CNAME && r->type != DNS_T_MX && r->type != DNS_T_TXT &&
        r->type != DNS_T_NS && r->type != DNS_T_SRV)
        return diag_set(d, LANA_EPARSE,
                        "%s: records of this type are not managed here (CNAME, MX, TXT, NS, SRV; "
                        "addresses come with lana host)",
                        type);
    uint8_t apex[DNAME_MAXLEN];
    if ((rc = zone_find(n, r->owner, &r->zone, apex, d)) < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ENOTFOUND, "%s is outside every zone", r->text);
    r->rdlen = 0;
    if (data == NULL)
        return 0;
    char copy[2048];
    struct rdata_token tok[64];
    size_t dl = strlen(data);
    if (dl >= sizeof copy)
        return diag_set(d, LANA_EPARSE, "record data longer than %zu bytes", sizeof copy - 1);
    memcpy(copy, data, dl + 1);
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
                        const struct rrset_record *r, const char *type, const char *data,
                        int64_t deleted, struct lana_diag *d)
{
    jsonw_reset(&n->j);
    jsonw_obj(&n->j);
    jsonw_kstr(&n->j, "type", type);
    jsonw_kstr(&n->j, "data", data ? data : "");
    if (deleted >= 0)
        jsonw_kint(&n->j, "deleted", deleted);
    jsonw_end(&n->j);
    if (!jsonw_ok(&n->j))
        return diag_set(d, LANA_ENOMEM, "out of memory");
    return names__audit(n, actor, action, r->text, NULL, n->j.s, d);
}

int rrset_add(struct names *n, const char *owner, const char *type, const char *data,
              const char *actor, struct lana_diag *d)
{
    struct rrset_record *r = &n->rec;
    int rc = rrset_parse(n, owner, type, data, r, d);
    if (rc != 0 || (rc = authz_name(n->st, n->ip, r->zone, r->owner, d)) != 0)
        return rc;
    int64_t count;
    bool cname;
    if ((rc = rrset_at(n, r->zone, r->owner, &count, &cname, d)) != 0)
        return rc;
    if (r->type == DNS_T_CNAME && count > 0)
        return diag_set(d, LANA_ECONFLICT, "%s already has data: a CNAME cannot stand beside it",
                        r->text);
    if (r->type != DNS_T_CNAME && cname)
        return diag_set(d, LANA_ECONFLICT, "%s is a CNAME: nothing else can stand beside it",
                        r->text);
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    rc = rrset_put(n, r->zone, r->owner, r->type, r->rd, (size_t)r->rdlen, NAMES_TTL, d);
    if (rc == 0)
        rc = diag_set(d, LANA_ECONFLICT, "%s %s %s exists already", r->text, type,
                      data ? data : "");
    if (rc == 1)
        rc = zone_touch(n->st, r->zone, NULL, ZONE_TOUCH_SERIAL, d);
    if (rc == 0)
        rc = audit_record(n, actor, "record.add", r, type, data, -1, d);
    return store_sp_end(n->st, rc, d);
}

static const char sql_ns_count[] =
    "SELECT count(*) FROM rr r JOIN zone z ON z.id = r.zone_id WHERE r.zone_id = ?1"
    " AND r.key = z.apex AND r.type = 2";

/* After an NS deletion: LANA_ECONFLICT if the record's owner is its zone's apex and no NS is
 * left there. */
static int apex_keeps_ns(struct names *n, const struct rrset_record *r, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_ns_count, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, r->zone);
    if ((rc = store__row(n->st, s, "NS count", d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_EDB, "NS count: no row");
    int64_t left = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (left > 0)
        return 0;
    uint8_t apex[DNAME_MAXLEN];
    int64_t zid;
    if ((rc = zone_find(n, r->owner, &zid, apex, d)) < 0)
        return rc;
    if (rc == 1 && dname_equal(apex, r->owner))
        return diag_set(d, LANA_ECONFLICT, "%s would be left without NS records", r->text);
    return 0;
}

int rrset_del(struct names *n, const char *owner, const char *type, const char *data,
              const char *actor, int64_t *deleted, struct lana_diag *d)
{
    struct rrset_record *r = &n->rec;
    int rc = rrset_parse(n, owner, type, data, r, d);
    if (rc != 0 || (rc = authz_name(n->st, n->ip, r->zone, r->owner, d)) != 0)
        return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    int k = rrset_drop(n, r->zone, r->owner, r->type, data ? r->rd : NULL, (size_t)r->rdlen, d);
    rc = k < 0 ? k : 0;
    if (rc == 0 && k == 0)
        rc = diag_set(d, LANA_ENOTFOUND, "%s has no such %s record", r->text, type);
    if (rc == 0 && r->type == DNS_T_NS) /* the apex keeps at least one NS */
        rc = apex_keeps_ns(n, r, d);
    if (rc == 0)
        rc = zone_touch(n->st, r->zone, NULL, ZONE_TOUCH_SERIAL, d);
    if (rc == 0)
        rc = audit_record(n, actor, "record.del", r, type, data, k, d);
    if ((rc = store_sp_end(n->st, rc, d)) == 0 && deleted != NULL)
        *deleted = k;
    return rc;
}
