/*
 * catalog — see catalog.h.
 *
 * The truth is the zone table: the catalog's member records are derived from it, written by
 * the hooks in the same transaction as the row they follow, and rebuilt from it by
 * catalog_setup (a diff, so that unchanged members keep their labels). table catalog holds
 * one row: which zone is the catalog, the next label number, and the serial of the last
 * catalog deleted, so that one made again under the same name starts above it and its
 * consumers do not take it for an old copy (RFC 1982).
 */
#include "db/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/rbuf.h"
#include "db/names_int.h"
#include "db/rrset.h"
#include "db/zone.h"

#define CATALOG_TTL 0 /* a catalog is transferred, not queried (RFC 9432 §1) */

static const uint8_t ns_invalid[] = "\7invalid";    /* RFC 9432 §4.1: NS invalid. */
static const uint8_t version_txt[] = {1, '2'};      /* §4.2.1: version TXT "2" */
static const uint8_t zones_label[] = "\5zones";

/* ---- the catalog row -------------------------------------------------------------------- */

static const char sql_cat[] = "SELECT c.zone_id, z.name, z.apex FROM catalog c"
                              " JOIN zone z ON z.id = c.zone_id WHERE c.id = 1";

/* The catalog: 1 with id, name text and apex (wire) when wanted, 0 none, LANA_EDB. */
static int cat_get(struct store *st, int64_t *id, char *text, uint8_t *apex, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_cat, &s, d);
    if (rc != 0 || (rc = store__row(st, s, "catalog", d)) != 1)
        return rc;
    *id = sqlite3_column_int64(s, 0);
    if (text != NULL)
        snprintf(text, DNAME_TEXT_MAX, "%s", (const char *)sqlite3_column_text(s, 1));
    if (apex != NULL && dname_from_key(sqlite3_column_blob(s, 2),
                                       (size_t)sqlite3_column_bytes(s, 2), apex) <= 0)
        rc = diag_set(d, LANA_EDB, "catalog zone %lld: bad apex", (long long)*id);
    sqlite3_reset(s);
    return rc;
}

int catalog_zone(struct store *st, int64_t *id, char text[DNAME_TEXT_MAX], struct lana_diag *d)
{
    return cat_get(st, id, text, NULL, d);
}

int catalog_guard(struct store *st, int64_t zone, struct lana_diag *d)
{
    int64_t cat = 0;
    char text[DNAME_TEXT_MAX];
    int rc = cat_get(st, &cat, text, NULL, d);
    if (rc <= 0 || cat != zone)
        return rc < 0 ? rc : 0;
    return diag_set(d, LANA_EPERM,
                    "zone %s is the catalog zone lanad keeps (RFC 9432): it lists the other "
                    "zones by itself and takes no change by hand (lanad.conf catalog-zone "
                    "renames or disables it)",
                    text);
}

/* ---- member records --------------------------------------------------------------------- */

static const char sql_label_next[] =
    "UPDATE catalog SET next_label = next_label + 1 WHERE id = 1 RETURNING next_label - 1";

/* <label>.zones.<catalog apex> in wire form into out: 0, or LANA_ERANGE when it is too long. */
static int member_owner(const char *label, const uint8_t *cat, uint8_t out[DNAME_MAXLEN],
                        struct lana_diag *d)
{
    size_t ll = strlen(label), cl = dname_len(cat);
    if (ll > 63 || 1 + ll + sizeof zones_label - 1 + cl > DNAME_MAXLEN)
        return diag_set(d, LANA_ERANGE, "catalog member names do not fit below this catalog");
    out[0] = (uint8_t)ll;
    memcpy(out + 1, label, ll);
    memcpy(out + 1 + ll, zones_label, sizeof zones_label - 1);
    memcpy(out + 1 + ll + sizeof zones_label - 1, cat, cl);
    return 0;
}

/* Inserts a record of the catalog through rrset_put, which notes the change for the DNS
 * workers (and whatever else follows the records the registry writes). */
static int rr_insert(struct names *n, int64_t zone, const uint8_t *owner, uint16_t type,
                     const uint8_t *rd, size_t rdlen, struct lana_diag *d)
{
    int rc = rrset_put(n, zone, owner, type, rd, rdlen, CATALOG_TTL, d);
    return rc < 0 ? rc : 0;
}

/* A PTR to member (wire, lower case) at a label never given before; the change is noted for
 * the DNS workers, the serial is the caller's. */
static int member_add(struct names *n, int64_t cat, const uint8_t *cat_apex,
                      const uint8_t *member, struct lana_diag *d)
{
    struct store *st = n->st;
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_label_next, &s, d);
    if (rc != 0 || (rc = store__row(st, s, "catalog label", d)) < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_EDB, "the catalog row is missing");
    char label[32];
    snprintf(label, sizeof label, "m%lld", (long long)sqlite3_column_int64(s, 0));
    sqlite3_reset(s);
    uint8_t owner[DNAME_MAXLEN];
    if ((rc = member_owner(label, cat_apex, owner, d)) != 0)
        return rc;
    return rr_insert(n, cat, owner, DNS_T_PTR, member, dname_len(member), d);
}

int catalog_zone_added(struct names *n, int64_t zone, const uint8_t *apex, struct lana_diag *d)
{
    struct store *st = n->st;
    int64_t cat = 0;
    uint8_t cat_apex[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX], zt[DNAME_TEXT_MAX];
    int rc = cat_get(st, &cat, text, cat_apex, d);
    if (rc <= 0 || cat == zone)
        return rc < 0 ? rc : 0;
    if (dname_is_sub(apex, cat_apex)) {
        dname_to_text(apex, zt, sizeof zt);
        return diag_set(d, LANA_EPERM,
                        "%s lies inside %s, the catalog zone lanad keeps (RFC 9432): choose a "
                        "name outside it",
                        zt, text);
    }
    uint8_t member[DNAME_MAXLEN];
    memcpy(member, apex, dname_len(apex));
    dname_lower(member);
    if ((rc = member_add(n, cat, cat_apex, member, d)) != 0)
        return rc;
    return zone_touch(st, cat, NULL, ZONE_TOUCH_SERIAL, d);
}

static const char sql_zone_apex[] = "SELECT apex FROM zone WHERE id = ?1";
static const char sql_member_of[] =
    "SELECT key FROM rr WHERE zone_id = ?1 AND type = 12 AND rdata = ?2";

/* Deletes the records of type at key (canonical) in the catalog through rrset_drop, which
 * notes the change as rrset_put does. */
static int drop_at(struct names *n, int64_t cat, const uint8_t *key, size_t kl, uint16_t type,
                   struct lana_diag *d)
{
    uint8_t owner[DNAME_MAXLEN];
    if (dname_from_key(key, kl, owner) <= 0)
        return diag_set(d, LANA_EDB, "catalog: a bad record key");
    int rc = rrset_drop(n, cat, owner, type, NULL, 0, d);
    return rc < 0 ? rc : 0;
}

int catalog_zone_deleting(struct names *n, int64_t zone, struct lana_diag *d)
{
    struct store *st = n->st;
    int64_t cat = 0;
    int rc = cat_get(st, &cat, NULL, NULL, d);
    if (rc <= 0)
        return rc;
    if (cat == zone)
        return catalog_guard(st, zone, d);
    sqlite3_stmt *s;
    uint8_t member[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    if ((rc = store__stmt(st, sql_zone_apex, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    if ((rc = store__row(st, s, "zone", d)) != 1)
        return rc; /* no such zone: nothing to follow */
    rc = dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), member);
    sqlite3_reset(s);
    if (rc <= 0)
        return diag_set(d, LANA_EDB, "zone %lld: bad apex", (long long)zone);
    int found = 0;
    for (;;) { /* one member record per zone; a second (never written by us) goes too */
        if ((rc = store__stmt(st, sql_member_of, &s, d)) != 0)
            return rc;
        sqlite3_bind_int64(s, 1, cat);
        sqlite3_bind_blob(s, 2, member, (int)dname_len(member), SQLITE_TRANSIENT);
        if ((rc = store__row(st, s, "catalog member", d)) != 1)
            break;
        size_t kl = (size_t)sqlite3_column_bytes(s, 0);
        if (kl > sizeof key) {
            sqlite3_reset(s);
            return diag_set(d, LANA_EDB, "catalog: a bad record key");
        }
        memcpy(key, sqlite3_column_blob(s, 0), kl);
        sqlite3_reset(s);
        if ((rc = drop_at(n, cat, key, kl, DNS_T_PTR, d)) != 0)
            return rc;
        found++;
    }
    if (rc < 0 || found == 0)
        return rc;
    return zone_touch(st, cat, NULL, ZONE_TOUCH_SERIAL, d);
}

/* ---- set-up and resynchronisation -------------------------------------------------------- */

struct blob {
    uint8_t *p;
    size_t len;
};

struct blobs {
    struct blob *v;
    size_t n, cap;
};

static int blobs_push(struct blobs *b, const void *p, size_t len, struct lana_diag *d)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        void *v = realloc(b->v, cap * sizeof *b->v);
        if (v == NULL)
            return diag_set(d, LANA_ENOMEM, "out of memory");
        b->v = v;
        b->cap = cap;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    memcpy(copy, p, len);
    b->v[b->n++] = (struct blob){copy, len};
    return 0;
}

static void blobs_free(struct blobs *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].p);
    free(b->v);
}

static int blob_cmp(const void *a, const void *b)
{
    const struct blob *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static const char sql_members[] =
    "SELECT key, rdata FROM rr WHERE zone_id = ?1 AND type = 12 ORDER BY rdata, key";
static const char sql_all_zones[] = "SELECT apex FROM zone WHERE id <> ?1";
static const char sql_at_type[] =
    "SELECT rdata FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = +?3"; /* db/rrset.c: "+" */
static const char sql_other_types[] =
    "SELECT key, type FROM rr WHERE zone_id = ?1 AND NOT (type IN (6, 2) AND key = ?2"
    " OR type = 16 AND key = ?3 OR type = 12) LIMIT 1";

/* Whether owner's records of type in the catalog are exactly the one rd: 1 yes, 0 no. */
static int exactly(struct store *st, int64_t cat, const uint8_t *owner, uint16_t type,
                   const uint8_t *rd, size_t rdlen, struct lana_diag *d)
{
    uint8_t key[DNAME_KEY_MAX];
    size_t kl = dname_key(owner, key);
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_at_type, &s, d), n = 0, same = 0;
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, cat);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, type);
    while ((rc = store__row(st, s, "catalog", d)) == 1) {
        n++;
        same += (size_t)sqlite3_column_bytes(s, 0) == rdlen &&
                memcmp(sqlite3_column_blob(s, 0), rd, rdlen) == 0;
    }
    return rc < 0 ? rc : n == 1 && same == 1;
}

/* The fixed records: NS invalid. at the apex, version TXT "2", and nothing else but the SOA
 * and the members' PTRs (member owners are checked by sync_members). *fixed counts changes. */
static int sync_fixed(struct names *n, int64_t cat, const uint8_t *apex, int *fixed,
                      struct lana_diag *d)
{
    struct store *st = n->st;
    uint8_t version[DNAME_MAXLEN], akey[DNAME_KEY_MAX], vkey[DNAME_KEY_MAX];
    size_t al = dname_len(apex);
    if (al + 8 > DNAME_MAXLEN)
        return diag_set(d, LANA_ERANGE, "the catalog's name is too long for version.<catalog>");
    memcpy(version, "\7version", 8);
    memcpy(version + 8, apex, al);
    size_t akl = dname_key(apex, akey), vkl = dname_key(version, vkey);
    int rc;
    struct {
        const uint8_t *owner, *key;
        size_t kl;
        uint16_t type;
        const uint8_t *rd;
        size_t rdlen;
    } want[] = {{apex, akey, akl, DNS_T_NS, ns_invalid, sizeof ns_invalid},
                {version, vkey, vkl, DNS_T_TXT, version_txt, sizeof version_txt}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        rc = exactly(st, cat, want[i].owner, want[i].type, want[i].rd, want[i].rdlen, d);
        if (rc != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if ((rc = drop_at(n, cat, want[i].key, want[i].kl, want[i].type, d)) != 0 ||
            (rc = rr_insert(n, cat, want[i].owner, want[i].type, want[i].rd, want[i].rdlen, d)) !=
                0)
            return rc;
        ++*fixed;
    }
    /* anything else but the SOA and PTRs (written before this rule, or offline) goes */
    for (;;) {
        sqlite3_stmt *s;
        if ((rc = store__stmt(st, sql_other_types, &s, d)) != 0)
            return rc;
        sqlite3_bind_int64(s, 1, cat);
        sqlite3_bind_blob(s, 2, akey, (int)akl, SQLITE_TRANSIENT);
        sqlite3_bind_blob(s, 3, vkey, (int)vkl, SQLITE_TRANSIENT);
        if ((rc = store__row(st, s, "catalog", d)) != 1)
            return rc;
        uint8_t key[DNAME_KEY_MAX];
        size_t kl = (size_t)sqlite3_column_bytes(s, 0);
        uint16_t type = (uint16_t)sqlite3_column_int(s, 1);
        if (kl > sizeof key)
            kl = sizeof key;
        memcpy(key, sqlite3_column_blob(s, 0), kl);
        sqlite3_reset(s);
        if ((rc = drop_at(n, cat, key, kl, type, d)) != 0)
            return rc;
        ++*fixed;
    }
}

/* Whether key (canonical) is <one label>.zones.<catalog>. */
static bool member_key(const uint8_t *key, size_t kl, const uint8_t *cat_apex)
{
    uint8_t owner[DNAME_MAXLEN];
    if (dname_from_key(key, kl, owner) <= 0 || owner[0] == 0)
        return false;
    const uint8_t *zones = owner + owner[0] + 1;
    return zones[0] == 5 && memcmp(zones + 1, "zones", 5) == 0 &&
           dname_equal(zones + 6, cat_apex);
}

/* The members become the zone table: stale, misplaced and doubled PTRs go, missing ones come
 * with new labels; members already right keep theirs. */
static int sync_members(struct names *n, int64_t cat, const uint8_t *cat_apex, int *fixed,
                        struct lana_diag *d)
{
    struct store *st = n->st;
    struct blobs have = {0}, drop = {0};
    sqlite3_stmt *s = NULL;
    int rc = store__prepare(st, sql_members, &s, d);
    if (rc == 0)
        sqlite3_bind_int64(s, 1, cat);
    while (rc == 0 && (rc = store__row(st, s, "catalog members", d)) == 1) {
        const uint8_t *key = sqlite3_column_blob(s, 0), *rd = sqlite3_column_blob(s, 1);
        size_t kl = (size_t)sqlite3_column_bytes(s, 0), rl = (size_t)sqlite3_column_bytes(s, 1);
        uint8_t member[DNAME_MAXLEN], mkey[DNAME_KEY_MAX];
        struct rbuf rb;
        rbuf_init(&rb, rd, rl);
        bool keep = member_key(key, kl, cat_apex) && dname_decode(&rb, member) == (int)rl &&
                    rb.pos == rl; /* one uncompressed name, nothing after it */
        if (keep) { /* a zone of that name, not the catalog, not seen before */
            sqlite3_stmt *z;
            size_t mkl = dname_key(member, mkey);
            if ((rc = store__stmt(st, "SELECT id FROM zone WHERE apex = ?1", &z, d)) != 0)
                break;
            sqlite3_bind_blob(z, 1, mkey, (int)mkl, SQLITE_TRANSIENT);
            if ((rc = store__row(st, z, "zone", d)) < 0)
                break;
            keep = rc == 1 && sqlite3_column_int64(z, 0) != cat;
            sqlite3_reset(z);
            keep = keep && !(have.n > 0 && have.v[have.n - 1].len == rl &&
                             memcmp(have.v[have.n - 1].p, rd, rl) == 0);
        }
        rc = keep ? blobs_push(&have, rd, rl, d) : blobs_push(&drop, key, kl, d);
    }
    sqlite3_finalize(s);
    s = NULL;
    for (size_t i = 0; rc == 0 && i < drop.n; i++, ++*fixed)
        rc = drop_at(n, cat, drop.v[i].p, drop.v[i].len, DNS_T_PTR, d);
    /* have is sorted by rdata (ORDER BY rdata is memcmp order, then length): qsort once more
     * with blob_cmp's order for bsearch */
    if (have.n > 1)
        qsort(have.v, have.n, sizeof *have.v, blob_cmp);
    struct blobs missing = {0};
    if (rc == 0 && (rc = store__prepare(st, sql_all_zones, &s, d)) == 0) {
        sqlite3_bind_int64(s, 1, cat);
        while ((rc = store__row(st, s, "zones", d)) == 1) {
            uint8_t member[DNAME_MAXLEN];
            rc = 0;
            if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
                               member) <= 0)
                continue;
            struct blob k = {member, dname_len(member)};
            if ((have.n == 0 || bsearch(&k, have.v, have.n, sizeof *have.v, blob_cmp) == NULL) &&
                (rc = blobs_push(&missing, member, k.len, d)) != 0)
                break;
        }
    }
    sqlite3_finalize(s);
    for (size_t i = 0; rc == 0 && i < missing.n; i++, ++*fixed)
        rc = member_add(n, cat, cat_apex, missing.v[i].p, d);
    blobs_free(&have);
    blobs_free(&drop);
    blobs_free(&missing);
    return rc;
}

static const char sql_cat_row[] = "INSERT OR IGNORE INTO catalog (id, next_label) VALUES (1, 1)";
static const char sql_cat_unset[] =
    "UPDATE catalog SET zone_id = NULL, serial = ?1 WHERE id = 1";
static const char sql_cat_set[] = "UPDATE catalog SET zone_id = ?1 WHERE id = 1";
static const char sql_cat_serial[] = "SELECT serial FROM catalog WHERE id = 1";
static const char sql_zone_of[] = "SELECT id FROM zone WHERE apex = ?1";
static const char sql_zones_below[] =
    "SELECT name FROM zone WHERE apex > ?1 AND substr(apex, 1, length(?1)) = ?1 LIMIT 1";

/* Creates the catalog zone named text (apex) and makes it the catalog. */
static int create(struct names *n, const uint8_t *apex, const char *text, int64_t *cat,
                  struct lana_diag *d)
{
    struct store *st = n->st;
    uint8_t key[DNAME_KEY_MAX];
    size_t kl = dname_key(apex, key);
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_zone_of, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(s, 1, key, (int)kl, SQLITE_TRANSIENT);
    if ((rc = store__row(st, s, "zone", d)) == 1) {
        sqlite3_reset(s);
        return diag_set(d, LANA_ECONFLICT,
                        "catalog-zone %s: a zone of that name exists and is not the catalog: "
                        "delete it (lana zone del) or choose another name",
                        text);
    }
    if (rc < 0 || (rc = store__stmt(st, sql_zones_below, &s, d)) != 0)
        return rc;
    sqlite3_bind_blob(s, 1, key, (int)kl, SQLITE_TRANSIENT);
    if ((rc = store__row(st, s, "zones below", d)) == 1) {
        rc = diag_set(d, LANA_ECONFLICT,
                      "catalog-zone %s: zone %s lies below it; a catalog holds no other zone's "
                      "names: choose another name",
                      text, (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
    }
    if (rc != 0)
        return rc;
    if ((rc = zone_ensure(n, text, "lanad", d)) < 0)
        return rc;
    if ((rc = store__stmt(st, sql_zone_of, &s, d)) != 0)
        return rc;
    sqlite3_bind_blob(s, 1, key, (int)kl, SQLITE_TRANSIENT);
    if ((rc = store__row(st, s, "zone", d)) != 1)
        return rc < 0 ? rc : diag_set(d, LANA_EDB, "catalog %s was not created", text);
    *cat = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if ((rc = store__stmt(st, sql_cat_set, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, *cat);
    if ((rc = store__done(st, s, "catalog", d)) != 0)
        return rc;
    /* above the serial of the catalog deleted last, which may have had this very name */
    if ((rc = store__stmt(st, sql_cat_serial, &s, d)) != 0 ||
        (rc = store__row(st, s, "catalog", d)) != 1)
        return rc < 0 ? rc : diag_set(d, LANA_EDB, "the catalog row is missing");
    bool have = sqlite3_column_type(s, 0) != SQLITE_NULL;
    uint32_t floor = (uint32_t)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return have ? zone_serial_above(st, *cat, floor, d) : 0;
}

/* Deletes the catalog zone named text: it becomes an ordinary zone, then goes as one. */
static int remove_catalog(struct names *n, const char *text, struct lana_diag *d)
{
    struct store *st = n->st;
    struct zone_info z;
    sqlite3_stmt *s;
    int rc = zone_get(n, text, &z, d);
    if (rc != 0 || (rc = store__stmt(st, sql_cat_unset, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, z.serial);
    if ((rc = store__done(st, s, "catalog", d)) != 0)
        return rc;
    return zone_del(n, text, true, "lanad", d);
}

int catalog_setup(struct names *n, const char *name, const char **changed, struct lana_diag *d)
{
    struct store *st = n->st;
    uint8_t apex[DNAME_MAXLEN], cur_apex[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX], cur[DNAME_TEXT_MAX];
    const char *what = "";
    bool none = name == NULL || strcmp(name, CATALOG_NONE) == 0;
    if (!none) {
        if (dname_from_text(name, (const uint8_t *)"", apex, d) < 0)
            return diag_set(d, LANA_EPARSE, "catalog-zone %.255s: %s", name, d->msg);
        dname_lower(apex);
        if (apex[0] == 0)
            return diag_set(d, LANA_EPARSE, "catalog-zone: the root cannot be the catalog");
        dname_to_text(apex, text, sizeof text);
    }
    int rc = store_sp_begin(st, d);
    if (rc != 0)
        return rc;
    int64_t cat = 0;
    int fixed = 0;
    sqlite3_stmt *s;
    if ((rc = store__stmt(st, sql_cat_row, &s, d)) != 0 ||
        (rc = store__done(st, s, "catalog", d)) != 0 ||
        (rc = cat_get(st, &cat, cur, cur_apex, d)) < 0)
        goto out;
    bool have = rc == 1;
    rc = 0;
    if (have && (none || !dname_equal(apex, cur_apex))) {
        if ((rc = remove_catalog(n, cur, d)) != 0)
            goto out;
        what = none ? "deleted" : "renamed";
        have = false;
    }
    if (none)
        goto out;
    if (!have) {
        if ((rc = create(n, apex, text, &cat, d)) != 0)
            goto out;
        if (what[0] == '\0')
            what = "created";
    }
    if ((rc = sync_fixed(n, cat, apex, &fixed, d)) != 0 ||
        (rc = sync_members(n, cat, apex, &fixed, d)) != 0)
        goto out;
    if (fixed > 0 && (rc = zone_touch(st, cat, NULL, ZONE_TOUCH_NAME | ZONE_TOUCH_SERIAL, d)) != 0)
        goto out;
    if (fixed > 0 && what[0] == '\0')
        what = "synced";
out:
    rc = store_sp_end(st, rc, d);
    if (rc == 0 && changed != NULL)
        *changed = what;
    return rc;
}
