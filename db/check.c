/*
 * check — see check.h.
 *
 * The passes run in one read transaction: SQLite's own checks first (nothing else runs when
 * they fail), then the address registry, then zones, records and hosts. Each pass is one
 * query over a table with, where needed, point queries by primary key or index; nothing is
 * loaded whole into memory, so the cost is linear in the rows and the memory constant.
 *
 * The free-space pass walks, for every block with children or free rows, its children and
 * its free rows merged in address order. If the index is right the walk sees one tiling of
 * the block: each piece starts where the one before ended, and the last ends at the block's
 * end. A piece starting later leaves a gap (free-missing); a piece starting earlier overlaps
 * (block-overlap between children, free-overlap otherwise). Two free neighbours of one
 * length that are buddies break maximality. All address arithmetic is exact, in 128 bits.
 */
#include "db/check.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cidr.h"
#include "db/check_int.h"
#include "db/store.h"

typedef unsigned __int128 u128;

/* indexed by the code, so that a name cannot drift from its enum value */
static const char *const code_names[CHECK_NCODES] = {
    [CHECK_SQLITE_INTEGRITY] = "sqlite-integrity",
    [CHECK_FOREIGN_KEY] = "foreign-key",
    [CHECK_SCHEMA_VERSION] = "schema-version",
    [CHECK_BLOCK_MISALIGNED] = "block-misaligned",
    [CHECK_BLOCK_ROOT] = "block-root",
    [CHECK_BLOCK_OUTSIDE] = "block-outside-parent",
    [CHECK_BLOCK_OVERLAP] = "block-overlap",
    [CHECK_BLOCK_UNSPLIT] = "block-unsplit",
    [CHECK_FREE_UNSPLIT] = "free-unsplit",
    [CHECK_FREE_MISALIGNED] = "free-misaligned",
    [CHECK_FREE_OVERLAP] = "free-overlap",
    [CHECK_FREE_MISSING] = "free-missing",
    [CHECK_FREE_NOT_MAXIMAL] = "free-not-maximal",
    [CHECK_ZONE_APEX] = "zone-apex",
    [CHECK_ZONE_SOA] = "zone-soa",
    [CHECK_ZONE_NS] = "zone-ns",
    [CHECK_CATALOG] = "catalog",
    [CHECK_RECORD_OUTSIDE] = "record-outside-zone",
    [CHECK_RECORD_MALFORMED] = "record-malformed",
    [CHECK_CNAME_CONFLICT] = "cname-conflict",
    [CHECK_HOST_ZONE] = "host-zone",
    [CHECK_HOST_ADDRESS] = "host-address",
    [CHECK_HOST_UNREGISTERED] = "host-address-unregistered",
    [CHECK_HOST_SHARED] = "host-address-shared",
    [CHECK_HOST_A] = "host-a",
    [CHECK_HOST_PTR] = "host-ptr",
    [CHECK_PTR_ORPHAN] = "ptr-orphan",
    [CHECK_RECORD_ORPHAN] = "record-orphan",
    [CHECK_AUTHORITY_ORPHAN] = "authority-orphan",
    [CHECK_LOOKUP_STALE] = "lookup-stale",
};

const char *check_code_name(enum check_code code)
{
    return (unsigned)code < CHECK_NCODES && code_names[code] ? code_names[code] : "?";
}

void check__emit(struct ctx *c, enum check_code code, const char *object)
{
    if (c->stop)
        return;
    c->st.findings++;
    struct check_finding f = {code, object, c->m.msg};
    if (c->cb != NULL && c->cb(&f, c->arg) != 0)
        c->stop = true;
}

void check__fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[0] = '\0';
    else if ((size_t)n >= size && size >= 4)
        memcpy(buf + size - 4, "...", 4);
}

int check__db_err(struct ctx *c, const char *what)
{
    int e = sqlite3_errcode(c->db);
    return diag_set(c->d, e == SQLITE_IOERR ? LANA_EIO : LANA_EDB, "%s: %s", what,
                    sqlite3_errmsg(c->db));
}

int check__prep(struct ctx *c, const char *sql, sqlite3_stmt **s)
{
    return sqlite3_prepare_v2(c->db, sql, -1, s, NULL) == SQLITE_OK ? 0
                                                                    : check__db_err(c, "prepare");
}

int check__ended(struct ctx *c, sqlite3_stmt *s, int step)
{
    int rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : check__db_err(c, "query");
    sqlite3_finalize(s);
    return rc;
}

int check__rows(struct ctx *c, const char *sql, check_row_fn *row, void *arg)
{
    sqlite3_stmt *s;
    int rc = check__prep(c, sql, &s);
    if (rc != 0)
        return rc;
    int step = SQLITE_DONE;
    while (rc == 0 && !c->stop && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = row(c, s, arg);
    if (rc != 0) {
        sqlite3_finalize(s);
        return rc;
    }
    return check__ended(c, s, step);
}

/* ---- addresses -------------------------------------------------------------------------- */

static unsigned width(int family)
{
    return family == 4 ? CIDR_V4_BITS : CIDR_V6_BITS;
}

/*
 * A prefix from a row's (family, 16-byte start, plen). False when the row cannot be one:
 * an unknown family, a start that is not 16 bytes or not an address of the family (IPv4
 * lives in the low 4 bytes), or a length beyond the family's width.
 */
static bool row_prefix(int family, const void *blob, int len, int plen, struct cidr *out)
{
    const uint8_t *k = blob;
    if ((family != 4 && family != 6) || k == NULL || len != 16 || plen < 0 ||
        (unsigned)plen > width(family))
        return false;
    u128 v = 0;
    for (int i = 0; i < 16; i++) {
        if (family == 4 && i < 12 && k[i] != 0)
            return false;
        v = v << 8 | k[i];
    }
    memset(out, 0, sizeof *out);
    out->family = (uint8_t)family;
    out->plen = (uint8_t)plen;
    cidr_addr_set_u128(out, v);
    return true;
}

static bool col_prefix(sqlite3_stmt *s, int fam_col, int start_col, int plen_col, int family,
                       struct cidr *out)
{
    if (fam_col >= 0)
        family = sqlite3_column_int(s, fam_col);
    return row_prefix(family, sqlite3_column_blob(s, start_col), sqlite3_column_bytes(s, start_col),
                      sqlite3_column_int(s, plen_col), out);
}

static void text(const struct cidr *p, char buf[CIDR_STRLEN])
{
    if (cidr_format(p, buf, CIDR_STRLEN) != 0)
        check__fmt(buf, CIDR_STRLEN, "?");
}

/* "10.0.1.0/24" when first..last is one aligned prefix, else "first-last". */
static void range_text(int family, u128 first, u128 last, char *buf, size_t size)
{
    struct cidr a = {.family = (uint8_t)family, .plen = (uint8_t)width(family)}, b = a;
    u128 n1 = last - first; /* addresses minus one: never overflows, even for ::/0 */
    if ((n1 & (n1 + 1)) == 0 && (first & n1) == 0) {
        unsigned bits = 0;
        for (u128 x = n1; x != 0; x >>= 1)
            bits++;
        a.plen = (uint8_t)(width(family) - bits);
        cidr_addr_set_u128(&a, first);
        char t[CIDR_STRLEN];
        text(&a, t);
        check__fmt(buf, size, "%s", t);
        return;
    }
    char x[CIDR_STRLEN], y[CIDR_STRLEN];
    cidr_addr_set_u128(&a, first);
    cidr_addr_set_u128(&b, last);
    if (cidr_format_addr(&a, x, sizeof x) != 0 || cidr_format_addr(&b, y, sizeof y) != 0)
        check__fmt(buf, size, "?");
    else
        check__fmt(buf, size, "%s-%s", x, y);
}

/* ---- SQLite's own checks -------------------------------------------------------------- */

/* A query failing because the file is damaged is a finding, not an error of the check. */
static int damaged(struct ctx *c)
{
    int e = sqlite3_errcode(c->db);
    if (e != SQLITE_CORRUPT && e != SQLITE_NOTADB)
        return check__db_err(c, "integrity check");
    FIND(c, CHECK_SQLITE_INTEGRITY, "database", "%s", sqlite3_errmsg(c->db));
    return 1;
}

/* 0 when the database can be read row by row, 1 when findings make that pointless. */
static int check_sqlite(struct ctx *c)
{
    sqlite3_stmt *s;
    int rc, step, bad = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA integrity_check(100)", -1, &s, NULL) != SQLITE_OK)
        return damaged(c);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(s, 0);
        if (line != NULL && strcmp(line, "ok") == 0)
            continue;
        FIND(c, CHECK_SQLITE_INTEGRITY, "database", "%s", line ? line : "?");
        bad = 1;
    }
    sqlite3_finalize(s);
    if (step != SQLITE_DONE)
        return damaged(c);
    if (bad)
        return 1;
    if ((rc = check__prep(c, "PRAGMA user_version", &s)) != 0)
        return rc;
    int version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    if (version != STORE_SCHEMA_VERSION) {
        FIND(c, CHECK_SCHEMA_VERSION, "database", "schema version %d, expected %d", version,
             STORE_SCHEMA_VERSION);
        return 1;
    }
    if ((rc = check__prep(c, "PRAGMA foreign_key_check", &s)) != 0)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(s, 0);
        char row[40] = "a row";
        if (sqlite3_column_type(s, 1) != SQLITE_NULL) /* WITHOUT ROWID tables have none */
            check__fmt(row, sizeof row, "row %lld", (long long)sqlite3_column_int64(s, 1));
        FIND(c, CHECK_FOREIGN_KEY, table ? table : "?", "%s refers to a missing row of %s", row,
             (const char *)sqlite3_column_text(s, 2));
        bad = 1;
    }
    if ((rc = check__ended(c, s, step)) != 0)
        return rc;
    return bad;
}

/* ---- blocks ----------------------------------------------------------------------------- */

static int block_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    c->st.blocks++;
    struct cidr b, p;
    char t[CIDR_STRLEN], u[CIDR_STRLEN], id[32];
    check__fmt(id, sizeof id, "block #%lld", (long long)sqlite3_column_int64(s, 0));
    if (!col_prefix(s, 1, 2, 3, 0, &b)) {
        FIND(c, CHECK_BLOCK_MISALIGNED, id, "family %d, length %d: no prefix of the family",
             sqlite3_column_int(s, 1), sqlite3_column_int(s, 3));
        return 0;
    }
    text(&b, t);
    if (!cidr_is_aligned(&b))
        FIND(c, CHECK_BLOCK_MISALIGNED, t, "host bits are set below /%u", b.plen);
    const char *status = (const char *)sqlite3_column_text(s, 5);
    bool pool = status != NULL && strcmp(status, "pool") == 0;
    if (sqlite3_column_type(s, 4) == SQLITE_NULL) {
        if (!pool)
            FIND(c, CHECK_BLOCK_ROOT, t, "has no parent, but is %s, not a pool",
                 status ? status : "?");
        return 0;
    }
    if (sqlite3_column_type(s, 6) == SQLITE_NULL)
        return 0; /* its parent is missing: a foreign-key finding already */
    if (!col_prefix(s, 7, 8, 9, 0, &p))
        return 0; /* the parent's own row is reported */
    text(&p, u);
    if (pool)
        FIND(c, CHECK_BLOCK_ROOT, t, "is a pool, but lies inside %s", u);
    if (!cidr_contains(&p, &b) || b.plen <= p.plen)
        FIND(c, CHECK_BLOCK_OUTSIDE, t, "does not lie strictly inside its parent %s", u);
    return 0;
}

static int check_block_rows(struct ctx *c)
{
    return check__rows(c,
                       "SELECT b.id, b.family, b.start, b.plen, b.parent_id, b.status,"
                       " p.id, p.family, p.start, p.plen"
                       " FROM block b LEFT JOIN block p ON p.id = b.parent_id",
                       block_row, NULL);
}

/* One piece of a block's tiling: a child block or a free row. */
struct piece {
    struct cidr p;
    u128 first, last;
    bool free;
};

/* The walk over one block's pieces in address order (see the head comment). */
struct walk {
    struct cidr parent;
    char ptext[CIDR_STRLEN];
    u128 pfirst, plast;
    bool split, any, have_child;
    u128 reach, child_reach; /* the furthest last address of any piece, of any child */
    struct piece reach_by, child_by, prev;
};

static void piece_set(struct piece *x, const struct cidr *p, bool free)
{
    struct cidr l;
    x->p = *p;
    x->free = free;
    x->first = cidr_addr_u128(p);
    cidr_last(p, &l);
    x->last = cidr_addr_u128(&l);
}

static void walk_gap(struct ctx *c, struct walk *w, u128 first, u128 last)
{
    char r[2 * CIDR_STRLEN + 8];
    range_text(w->parent.family, first, last, r, sizeof r);
    FIND(c, CHECK_FREE_MISSING, w->ptext, "%s is neither allocated nor free", r);
}

static void walk_piece(struct ctx *c, struct walk *w, const struct piece *x)
{
    char t[CIDR_STRLEN], u[CIDR_STRLEN];
    text(&x->p, t);
    if (w->any && x->first <= w->reach) {
        if (!x->free && w->have_child && x->first <= w->child_reach) {
            text(&w->child_by.p, u);
            FIND(c, CHECK_BLOCK_OVERLAP, t, "overlaps its sibling %s", u);
        } else {
            text(&w->reach_by.p, u);
            FIND(c, CHECK_FREE_OVERLAP, w->ptext, "%s %s overlaps %s %s",
                 x->free ? "free" : "block", t, w->reach_by.free ? "free" : "block", u);
        }
    } else if (w->split && x->first > (w->any ? w->reach + 1 : w->pfirst)) {
        walk_gap(c, w, w->any ? w->reach + 1 : w->pfirst, x->first - 1);
    }
    /* maximal: a free /n whose buddy is the free /n just before it should be one /n-1 */
    if (x->free && w->any && w->prev.free && w->prev.p.plen == x->p.plen &&
        x->p.plen > w->parent.plen) {
        u128 half = cidr_size_minus1(&x->p) + 1; /* plen >= 1: at most 2^127 */
        if ((w->prev.first & half) == 0 && (w->prev.first | half) == x->first) {
            text(&w->prev.p, u);
            FIND(c, CHECK_FREE_NOT_MAXIMAL, w->ptext, "free %s and %s are buddies, not merged", u,
                 t);
        }
    }
    if (!w->any || x->last > w->reach) {
        w->reach = x->last;
        w->reach_by = *x;
    }
    if (!x->free && (!w->have_child || x->last > w->child_reach)) {
        w->child_reach = x->last;
        w->child_by = *x;
        w->have_child = true;
    }
    w->any = true;
    w->prev = *x;
}

/* Reads the next usable piece of one cursor into *x: 1, 0 at the end, <0 on error. */
static int next_piece(struct ctx *c, struct walk *w, sqlite3_stmt *s, bool free, struct piece *x)
{
    int step = SQLITE_DONE;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct cidr p;
        if (!free) {
            /* children that are no prefix inside the parent are reported by the row pass */
            if (col_prefix(s, 0, 1, 2, 0, &p) && cidr_is_aligned(&p) &&
                cidr_contains(&w->parent, &p) && p.plen > w->parent.plen) {
                piece_set(x, &p, false);
                return 1;
            }
            continue;
        }
        if (col_prefix(s, -1, 1, 0, w->parent.family, &p) && cidr_is_aligned(&p) &&
            cidr_contains(&w->parent, &p)) {
            piece_set(x, &p, true);
            return 1;
        }
        char t[CIDR_STRLEN + 8];
        if (!col_prefix(s, -1, 1, 0, w->parent.family, &p))
            check__fmt(t, sizeof t, "/%d", sqlite3_column_int(s, 0));
        else
            text(&p, t);
        FIND(c, CHECK_FREE_MISALIGNED, w->ptext, "free %s is no aligned prefix inside it", t);
    }
    return step == SQLITE_DONE ? 0 : check__db_err(c, "block walk");
}

/* Walks one block: kids and frees are prepared statements with ?1 = the block's id. */
static int walk_block(struct ctx *c, struct walk *w, sqlite3_stmt *kids, sqlite3_stmt *frees)
{
    struct piece k, f;
    int hk = next_piece(c, w, kids, false, &k);
    int hf = w->split && hk >= 0 ? next_piece(c, w, frees, true, &f) : 0;
    while ((hk > 0 || hf > 0) && hk >= 0 && hf >= 0) {
        if (c->stop)
            return 0;
        bool kid = hk > 0 && (hf <= 0 || k.first <= f.first); /* children first on a tie */
        walk_piece(c, w, kid ? &k : &f);
        if (kid)
            hk = next_piece(c, w, kids, false, &k);
        else
            hf = next_piece(c, w, frees, true, &f);
    }
    if (hk < 0 || hf < 0)
        return hk < 0 ? hk : hf;
    if (w->split && !w->any)
        walk_gap(c, w, w->pfirst, w->plast);
    else if (w->split && w->reach < w->plast)
        walk_gap(c, w, w->reach + 1, w->plast);
    return 0;
}

static int check_tiling(struct ctx *c)
{
    sqlite3_stmt *s = NULL, *kids = NULL, *frees = NULL;
    int rc, step = SQLITE_DONE;
    if ((rc = check__prep(c,
                          "SELECT family, start, plen FROM block WHERE parent_id = ?1"
                          " ORDER BY start, plen",
                          &kids)) != 0 ||
        (rc = check__prep(c,
                          "SELECT plen, start FROM freespace WHERE parent_id = ?1"
                          " ORDER BY start, plen",
                          &frees)) != 0 ||
        (rc = check__prep(c,
                          "SELECT id, family, start, plen, split FROM block p WHERE split <> 0"
                          " OR EXISTS (SELECT 1 FROM block k WHERE k.parent_id = p.id)",
                          &s)) != 0)
        goto out;
    while (rc == 0 && !c->stop && (step = sqlite3_step(s)) == SQLITE_ROW) {
        struct walk w = {.split = sqlite3_column_int(s, 4) != 0};
        if (!col_prefix(s, 1, 2, 3, 0, &w.parent) || !cidr_is_aligned(&w.parent))
            continue; /* reported by the row pass */
        text(&w.parent, w.ptext);
        struct cidr l;
        cidr_last(&w.parent, &l);
        w.pfirst = cidr_addr_u128(&w.parent);
        w.plast = cidr_addr_u128(&l);
        if (!w.split)
            FIND(c, CHECK_BLOCK_UNSPLIT, w.ptext, "has children but no free-space index");
        int64_t id = sqlite3_column_int64(s, 0);
        sqlite3_reset(kids);
        sqlite3_reset(frees);
        sqlite3_bind_int64(kids, 1, id);
        sqlite3_bind_int64(frees, 1, id);
        rc = walk_block(c, &w, kids, frees);
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = check__db_err(c, "blocks");
out:
    sqlite3_finalize(s);
    sqlite3_finalize(kids);
    sqlite3_finalize(frees);
    return rc;
}

/* The pools seen so far, in (family, start) order: the one reaching furthest. */
struct pools {
    struct piece reach;
    bool any;
};

static int pool_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    struct pools *w = arg;
    struct cidr p;
    struct piece x;
    if (!col_prefix(s, 0, 1, 2, 0, &p) || !cidr_is_aligned(&p))
        return 0;
    piece_set(&x, &p, false);
    if (w->any && w->reach.p.family == p.family && x.first <= w->reach.last) {
        char t[CIDR_STRLEN], u[CIDR_STRLEN];
        text(&p, t);
        text(&w->reach.p, u);
        FIND(c, CHECK_BLOCK_OVERLAP, t, "overlaps the pool %s", u);
    }
    if (!w->any || w->reach.p.family != p.family || x.last > w->reach.last)
        w->reach = x;
    w->any = true;
    return 0;
}

/* Root pools: no two of one family overlap. */
static int check_pools(struct ctx *c)
{
    struct pools w = {.any = false};
    return check__rows(c,
                       "SELECT family, start, plen FROM block WHERE parent_id IS NULL"
                       " ORDER BY family, start, plen",
                       pool_row, &w);
}

static int free_unsplit_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    struct cidr p;
    char t[CIDR_STRLEN];
    (void)arg;
    if (!col_prefix(s, 0, 1, 2, 0, &p))
        return 0;
    text(&p, t);
    FIND(c, CHECK_FREE_UNSPLIT, t, "was never split, yet has %lld free row%s",
         (long long)sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 3) == 1 ? "" : "s");
    return 0;
}

static int check_free_unsplit(struct ctx *c)
{
    return check__rows(c,
                       "SELECT b.family, b.start, b.plen, count(*) FROM freespace f"
                       " JOIN block b ON b.id = f.parent_id WHERE b.split = 0 GROUP BY b.id",
                       free_unsplit_row, NULL);
}

/* ---- authority -------------------------------------------------------------------------- */

static int authority_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    const char *obj = (const char *)sqlite3_column_text(s, 0),
               *what = (const char *)sqlite3_column_text(s, 1),
               *who = (const char *)sqlite3_column_text(s, 2);
    if (what != NULL && strcmp(what, "delegation mark") == 0)
        FIND(c, CHECK_AUTHORITY_ORPHAN, obj ? obj : "?",
             "its delegation mark is %s, but its maintainer %s its parent's", who ? who : "?",
             who && strcmp(who, "1") == 0 ? "is" : "is not");
    else
        FIND(c, CHECK_AUTHORITY_ORPHAN, obj ? obj : "?", "its %s %s is no account",
             what ? what : "?", who ? who : "?");
    return 0;
}

/* Every maintainer, sponsor and registrant names an account (db/authz.h: authority is
 * nobody's otherwise, and only admin could ever change the object again). admin, the
 * operator, always counts: a database made for DNS alone has no account at all. */
static int check_authority(struct ctx *c)
{
    return check__rows(
        c,
        "SELECT 'block #' || id, 'maintainer', maintainer FROM block WHERE maintainer <> 'admin'"
        " AND maintainer NOT IN (SELECT name FROM account)"
        " UNION ALL SELECT 'zone ' || name, 'sponsor', sponsor FROM zone WHERE sponsor <> 'admin'"
        " AND sponsor NOT IN (SELECT name FROM account)"
        " UNION ALL SELECT 'zone ' || name, 'registrant', registrant FROM zone"
        " WHERE registrant <> 'admin' AND registrant NOT IN (SELECT name FROM account)"
        " UNION ALL SELECT 'block #' || b.id, 'delegation mark', b.delegated FROM block b"
        " JOIN block p ON p.id = b.parent_id WHERE b.delegated <> (p.maintainer <> b.maintainer)"
        " UNION ALL SELECT 'account ' || name, 'sponsor', sponsor FROM account"
        " WHERE sponsor IS NOT NULL AND sponsor NOT IN (SELECT name FROM account WHERE role = 'registrar')",
        authority_row, NULL);
}

/* ---- the driver ------------------------------------------------------------------------- */

static int open_ro(const char *path, struct ctx *c)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? diag_set(c->d, LANA_ENOTFOUND, "%s: no such database", path)
                               : diag_set(c->d, LANA_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return diag_set(c->d, LANA_EIO, "%s: not a regular file", path);
    /* read-only: the file is neither created nor written; SQLite still recovers the WAL
     * index of a crashed writer in the -shm file, which is what makes the snapshot exact */
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return diag_set(c->d, LANA_EIO, "%s: %s", path,
                        c->db ? sqlite3_errmsg(c->db) : "cannot open");
    sqlite3_busy_timeout(c->db, 5000);
    return 0;
}

int check_run(const char *path, check_cb *cb, void *arg, struct check_stats *stats,
              struct lana_diag *d)
{
    struct ctx c = {.cb = cb, .arg = arg, .d = d};
    int rc = open_ro(path, &c);
    bool tx = false;
    if (rc != 0)
        goto out;
    /* one snapshot for every pass: a writer committing meanwhile is not seen half-way */
    if (sqlite3_exec(c.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = check__db_err(&c, "begin");
        goto out;
    }
    tx = true;
    if ((rc = check_sqlite(&c)) != 0) {
        rc = rc > 0 ? 0 : rc;
        goto out;
    }
    int (*const passes[])(struct ctx *) = {
        check_block_rows, check_pools, check_tiling, check_free_unsplit, check__names,
        check_authority,
    };
    for (size_t i = 0; rc == 0 && !c.stop && i < sizeof passes / sizeof passes[0]; i++)
        rc = passes[i](&c);
out:
    sqlite3_finalize(c.zone_by_apex);
    sqlite3_finalize(c.rrset);
    sqlite3_finalize(c.rr_of_name);
    sqlite3_finalize(c.node_params);
    sqlite3_finalize(c.rr_has);
    sqlite3_finalize(c.block_exact);
    sqlite3_finalize(c.host_by_name);
    if (tx)
        sqlite3_exec(c.db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(c.db);
    if (stats != NULL)
        *stats = c.st;
    if (rc < 0)
        return rc;
    return c.st.findings > INT32_MAX ? INT32_MAX : (int)c.st.findings;
}
