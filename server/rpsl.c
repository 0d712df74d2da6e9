/*
 * rpsl — see rpsl.h. A query is parsed whole (flags, types, key) before anything is read;
 * objects are then written one at a time, each kept only when it fits whole.
 */
#include "server/rpsl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/text.h"

#define FOOTER_ROOM 512 /* bytes kept free for the last comments while objects are written */
#define KEY_WORDS 3     /* "first - last" */

enum rpsl_type { T_INETNUM = 1, T_INET6NUM = 2, T_DOMAIN = 4, T_MNTNER = 8 };

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    {"inetnum", T_INETNUM}, {"inet6num", T_INET6NUM}, {"domain", T_DOMAIN}, {"mntner", T_MNTNER}};

struct query {
    enum regdata_ip_kind kind;
    char ip_flag;   /* the flag that chose kind, 0 for none */
    unsigned types; /* enum rpsl_type bits; 0: every type */
    bool inverse;   /* -i mnt-by */
    char key[RPSL_LINE_MAX + 1];
};

static const char *error_text(enum rpsl_error code)
{
    switch (code) {
    case RPSL_ERR_INTERNAL: return "internal software error";
    case RPSL_ERR_NOT_FOUND: return "no entries found";
    case RPSL_ERR_TYPE: return "unknown object type";
    case RPSL_ERR_NO_KEY: return "no search key specified";
    case RPSL_ERR_TOO_LONG: return "input line too long";
    case RPSL_ERR_BAD_CHAR: return "bad character in input";
    case RPSL_ERR_COMBINATION: return "invalid combination of flags passed";
    case RPSL_ERR_OPTION: return "invalid option supplied";
    case RPSL_ERR_KEY: return "invalid search key";
    case RPSL_ERR_DENIED: return "access denied";
    case RPSL_ERR_CONNECTIONS: return "exceeded maximum connections";
    }
    return "error";
}

static void header(struct wbuf *wb)
{
    wbuf_puts(wb, "% This is the LANA registration data service (whois, RFC 3912).\n"
                  "% The objects are in RPSL format; RDAP and `lana whois` give the same data.\n"
                  "\n");
}

static void footer(struct wbuf *wb)
{
    wbuf_puts(wb, "% This query was served by lanad " LANA_VERSION ".\n\n");
}

/* printf into buf (size bytes), a text too long cut there; a byte that is
 * no part of valid UTF-8 text (a precision that cut a character of the query it quotes, a
 * control character) becomes '?', so that an answer is always text. */
static void vtext(char *buf, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, size, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
    buf[len] = '\0';
    for (size_t i = 0, k; i < len; i += k) {
        uint32_t cp;
        k = text_utf8_next(buf + i, len - i, &cp);
        if (cp == TEXT_INVALID || text_is_control(cp))
            memset(buf + i, '?', k);
    }
}

/* "%ERROR:code: text", then "%" and "% detail" when there is one; no header. */
static void verror(struct wbuf *wb, enum rpsl_error code, const char *fmt, va_list ap)
{
    char detail[320];
    vtext(detail, sizeof detail, fmt, ap);
    wbuf_printf(wb, "%%ERROR:%d: %s\n", (int)code, error_text(code));
    if (detail[0] != '\0')
        wbuf_printf(wb, "%%\n%% %s\n", detail);
    wbuf_puts(wb, "\n");
}

void rpsl_error(struct wbuf *out, enum rpsl_error code, const char *fmt, ...)
{
    va_list ap;
    header(out);
    va_start(ap, fmt);
    verror(out, code, fmt, ap);
    va_end(ap);
    footer(out);
}

void rpsl_comment(struct wbuf *out, const char *fmt, ...)
{
    char text[320];
    va_list ap;
    va_start(ap, fmt);
    vtext(text, sizeof text, fmt, ap);
    va_end(ap);
    header(out);
    wbuf_printf(out, "%% %s\n\n", text);
    footer(out);
}

/* ---- attributes ---------------------------------------------------------------------------- */

/* "attribute:" padded to 16 columns and the value; control characters (which the registry
 * refuses at its door anyway) become '?' so that a value can never start a line of its own. */
static void attr(struct wbuf *wb, const char *name, const char *value)
{
    char pad[24];
    int n = snprintf(pad, sizeof pad, "%s:", name);
    wbuf_puts(wb, pad);
    for (int i = n < 0 ? 0 : n; i < 16; i++)
        wbuf_u8(wb, ' ');
    for (const char *p = value; *p != '\0'; p++)
        wbuf_u8(wb, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : (uint8_t)*p);
    wbuf_u8(wb, '\n');
}

static void attrf(struct wbuf *wb, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void attrf(struct wbuf *wb, const char *name, const char *fmt, ...)
{
    char v[600];
    va_list ap;
    va_start(ap, fmt);
    vtext(v, sizeof v, fmt, ap);
    va_end(ap);
    attr(wb, name, v);
}

/* created / last-modified in ISO 8601 UTC, as RIPE prints them; nothing for 0 (unknown) */
static void attr_time(struct wbuf *wb, const char *name, int64_t t)
{
    char buf[32];
    struct tm tm;
    time_t tt = (time_t)t;
    if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return;
    attr(wb, name, buf);
}

/* A domain name as RPSL writes it: without the final dot (the root stays "."). */
static void attr_domain(struct wbuf *wb, const char *name, const char *dname)
{
    char t[DNAME_TEXT_MAX];
    size_t n = strlen(dname);
    if (n > 1 && dname[n - 1] == '.')
        n--;
    if (n >= sizeof t)
        n = sizeof t - 1;
    memcpy(t, dname, n);
    t[n] = '\0';
    attr(wb, name, t);
}

const char *rpsl_status(const struct regdata_block *b)
{
    bool v6 = b->b.prefix.family == 6;
    switch (b->b.status) {
    case IPAM_POOL: return v6 ? "ALLOCATED-BY-RIR" : "ALLOCATED UNSPECIFIED";
    case IPAM_ALLOCATED:
        if (b->has_parent && b->parent_status != IPAM_POOL)
            return v6 ? "ALLOCATED-BY-LIR" : "SUB-ALLOCATED PA";
        return v6 ? "ALLOCATED-BY-RIR" : "ALLOCATED PA";
    case IPAM_ASSIGNED: return v6 ? "ASSIGNED" : "ASSIGNED PA";
    case IPAM_RESERVED: return "NOT-SET";
    }
    return "NOT-SET";
}

void rpsl_netname(const struct ipam_block *b, char out[RPSL_NETNAME_MAX])
{
    size_t n = 0;
    for (const char *p = b->holder; *p != '\0' && n < 80; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
            out[n++] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        else if (n > 0 && out[n - 1] != '-')
            out[n++] = '-';
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n == 0) {
        snprintf(out, 81, "LANA-%s", ipam_status_name(b->status));
        for (char *p = out; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    }
}

/* ---- one answer ---------------------------------------------------------------------------- */

struct answer {
    struct regdata *rd;
    const struct query *q;
    struct wbuf *wb;  /* objects go here while they fit (its cap leaves FOOTER_ROOM) */
    unsigned objects; /* written */
    bool cut;         /* an object did not fit, or RPSL_OBJECTS_MAX was reached */
    int err;          /* a LANA_E code that stopped the answer */
    struct lana_diag d;
};

static bool want(const struct answer *a, unsigned type)
{
    return a->q->types == 0 || (a->q->types & type) != 0;
}

/* Opens an object: false (and cut set) when no more may be written. */
static bool object_begin(struct answer *a, const char *info, size_t *mark)
{
    if (a->cut || a->objects >= RPSL_OBJECTS_MAX) {
        a->cut = true;
        return false;
    }
    *mark = a->wb->pos;
    if (info != NULL)
        wbuf_printf(a->wb, "%% Information related to '%s'\n\n", info);
    return true;
}

/* Closes it: kept when it fit whole, else taken back (and the answer is cut there). */
static int object_end(struct answer *a, size_t mark)
{
    attr(a->wb, "source", "LANA");
    wbuf_u8(a->wb, '\n');
    if (a->wb->overflow) {
        wbuf_truncate(a->wb, mark);
        a->cut = true;
        return 1;
    }
    a->objects++;
    return 0;
}

static void range_text(const struct cidr *p, char *buf, size_t size)
{
    struct cidr first, last;
    char f[CIDR_STRLEN], l[CIDR_STRLEN];
    cidr_first(p, &first);
    cidr_last(p, &last);
    if (cidr_format_addr(&first, f, sizeof f) < 0 || cidr_format_addr(&last, l, sizeof l) < 0 ||
        snprintf(buf, size, "%s - %s", f, l) >= (int)size)
        snprintf(buf, size, "?");
}

/* inetnum (IPv4, as a range) or inet6num (IPv6, as a prefix) */
static int block_cb(const struct regdata_block *rb, void *arg)
{
    struct answer *a = arg;
    const struct ipam_block *b = &rb->b;
    bool v6 = b->prefix.family == 6;
    char key[2 * CIDR_STRLEN + 4], name[81];
    size_t mark;
    if (!want(a, v6 ? T_INET6NUM : T_INETNUM))
        return 0;
    if (v6)
        cidr_format(&b->prefix, key, sizeof key);
    else
        range_text(&b->prefix, key, sizeof key);
    if (!object_begin(a, key, &mark))
        return 1;
    attr(a->wb, v6 ? "inet6num" : "inetnum", key);
    rpsl_netname(b, name);
    attr(a->wb, "netname", name);
    if (b->descr[0] != '\0')
        attr(a->wb, "descr", b->descr);
    attr(a->wb, "status", rpsl_status(rb));
    if (b->holder[0] != '\0')
        attrf(a->wb, "remarks", "holder: %s", b->holder);
    if (b->status == IPAM_POOL)
        attr(a->wb, "remarks", "a root pool of the registry");
    else if (b->status == IPAM_RESERVED)
        attr(a->wb, "remarks", "reserved: not for allocation");
    attr(a->wb, "mnt-by", b->maintainer);
    attr_time(a->wb, "created", b->created);
    attr_time(a->wb, "last-modified", b->updated);
    return object_end(a, mark);
}

/* the zone's maintainers: its registrant and its sponsoring registrar */
static void zone_mnt(struct wbuf *wb, const struct zone_info *z)
{
    attr(wb, "mnt-by", z->registrant);
    if (strcmp(z->sponsor, z->registrant) != 0)
        attr(wb, "mnt-by", z->sponsor);
}

static int zone_cb(const struct regdata_zone *z, void *arg)
{
    struct answer *a = arg;
    size_t mark;
    if (!want(a, T_DOMAIN))
        return 0;
    if (!object_begin(a, NULL, &mark))
        return 1;
    attr_domain(a->wb, "domain", z->z.name);
    attrf(a->wb, "descr", "%szone, serial %u, %lld record%s, %lld host%s",
          z->z.reverse ? "reverse " : "", (unsigned)z->z.serial, (long long)z->z.records,
          z->z.records == 1 ? "" : "s", (long long)z->z.hosts, z->z.hosts == 1 ? "" : "s");
    for (unsigned i = 0; i < z->nblocks; i++) {
        char t[CIDR_STRLEN];
        cidr_format(&z->blocks[i], t, sizeof t);
        attrf(a->wb, "remarks", "hosts take their addresses from %s", t);
    }
    zone_mnt(a->wb, &z->z);
    attr_time(a->wb, "created", z->created);
    attr_time(a->wb, "last-modified", z->updated);
    return object_end(a, mark);
}

static int host_object(struct answer *a, const struct host_info *h, const struct regdata_zone *z)
{
    size_t mark;
    if (!want(a, T_DOMAIN))
        return 0;
    if (!object_begin(a, NULL, &mark))
        return 1;
    attr_domain(a->wb, "domain", h->name);
    attr(a->wb, "descr", "a registered host");
    if (h->v4[0] != '\0')
        attrf(a->wb, "descr", "address %s", h->v4);
    if (h->v6[0] != '\0')
        attrf(a->wb, "descr", "address %s", h->v6);
    if (z != NULL) {
        char t[DNAME_TEXT_MAX];
        snprintf(t, sizeof t, "%s", z->z.name);
        attrf(a->wb, "remarks", "in zone %s", t);
        zone_mnt(a->wb, &z->z);
    }
    attr_time(a->wb, "created", h->created);
    return object_end(a, mark);
}

/* the maintainer of the most specific block holding p, "" when none does */
static int block_mnt_cb(const struct regdata_block *b, void *arg)
{
    snprintf(arg, ACCOUNT_NAME_MAX, "%s", b->b.maintainer);
    return 0;
}

static int reverse_object(struct answer *a, const struct regdata_domain *dom)
{
    size_t mark;
    char t[CIDR_STRLEN], mnt[ACCOUNT_NAME_MAX] = "";
    struct lana_diag ignore;
    if (!want(a, T_DOMAIN))
        return 0;
    int rc =
        regdata_ip(a->rd, &dom->prefix, REGDATA_IP_DEFAULT, 1, block_mnt_cb, mnt, NULL, &ignore);
    if (rc < 0 && rc != LANA_ENOTFOUND) {
        a->err = rc;
        return rc;
    }
    if (!object_begin(a, NULL, &mark))
        return 1;
    attr_domain(a->wb, "domain", dom->name);
    cidr_format(&dom->prefix, t, sizeof t);
    attrf(a->wb, "descr", "reverse name of %s", t);
    if (dom->has_host)
        attrf(a->wb, "descr", "PTR %s", dom->host.name);
    if (dom->has_zone)
        attrf(a->wb, "remarks", "in zone %s", dom->zone.z.name);
    /* a reverse name follows the block that holds its address (db/authz.h) */
    if (mnt[0] != '\0')
        attr(a->wb, "mnt-by", mnt);
    return object_end(a, mark);
}

static int mntner_object(struct answer *a, const struct regdata_entity *e)
{
    size_t mark;
    if (!want(a, T_MNTNER))
        return 0;
    if (!object_begin(a, NULL, &mark))
        return 1;
    attr(a->wb, "mntner", e->name);
    if (e->sponsor[0] != '\0')
        attrf(a->wb, "descr", "%s account, customer of %s", e->role, e->sponsor);
    else
        attrf(a->wb, "descr", "%s account", e->role);
    if (!e->enabled)
        attr(a->wb, "remarks", "disabled: it changes nothing");
    /* who manages the account: its registrar, else the registry's admin, else itself */
    attr(a->wb, "mnt-by",
         e->sponsor[0]              ? e->sponsor
         : strcmp(e->role, "admin") ? "admin"
                                    : e->name);
    attr_time(a->wb, "created", e->created);
    attr_time(a->wb, "last-modified", e->updated > 0 ? e->updated : e->created);
    return object_end(a, mark);
}

/* ---- the query ----------------------------------------------------------------------------- */

static int set_kind(struct query *q, char flag, enum regdata_ip_kind kind, struct wbuf *wb)
{
    if (q->ip_flag != 0 && q->ip_flag != flag) {
        rpsl_error(wb, RPSL_ERR_COMBINATION, "-%c and -%c cannot go together", q->ip_flag, flag);
        return -1;
    }
    q->ip_flag = flag;
    q->kind = kind;
    return 0;
}

static int set_types(struct query *q, const char *list, struct wbuf *wb)
{
    for (const char *w = list; *w != '\0';) {
        size_t n = strcspn(w, ","), i = 0;
        while (i < sizeof type_names / sizeof type_names[0] &&
               (strlen(type_names[i].name) != n || strncasecmp(type_names[i].name, w, n) != 0))
            i++;
        if (i == sizeof type_names / sizeof type_names[0]) {
            rpsl_error(wb, RPSL_ERR_TYPE, "%.*s: lana has inetnum, inet6num, domain and mntner",
                       (int)(n > 60 ? 60 : n), w);
            return -1;
        }
        q->types |= type_names[i].bit;
        w += n + (w[n] == ',');
    }
    if (q->types == 0) {
        rpsl_error(wb, RPSL_ERR_TYPE, "-T needs a type");
        return -1;
    }
    return 0;
}

/*
 * The words of the line into q: flag words (clusters like "-rL"; -T, -i and -V take the rest
 * of their word or the next word) and the key words, joined by one space. 0, or -1 after the
 * error answer was written.
 */
static int parse(char **w, unsigned nw, struct query *q, struct wbuf *wb)
{
    size_t klen = 0;
    unsigned kwords = 0;
    for (unsigned i = 0; i < nw; i++) {
        const char *s = w[i];
        if (s[0] != '-' || s[1] == '\0') {
            size_t n = strlen(s);
            if (++kwords > KEY_WORDS) {
                rpsl_error(wb, RPSL_ERR_KEY, "one search key per query");
                return -1;
            }
            memcpy(q->key + klen + (klen ? 1 : 0), s, n + 1);
            if (klen)
                q->key[klen] = ' ';
            klen += n + (klen ? 1 : 0);
            continue;
        }
        if (s[1] == '-') {
            rpsl_error(wb, RPSL_ERR_OPTION, "%.60s: lana takes the short flags only", s);
            return -1;
        }
        for (const char *f = s + 1; *f != '\0'; f++) {
            const char *arg = NULL;
            if (*f == 'T' || *f == 'i' || *f == 'V') {
                arg = f[1] != '\0' ? f + 1 : i + 1 < nw ? w[++i] : NULL;
                if (arg == NULL) {
                    rpsl_error(wb, RPSL_ERR_OPTION, "-%c needs a value", *f);
                    return -1;
                }
            }
            int rc = 0;
            switch (*f) {
            case 'L': rc = set_kind(q, 'L', REGDATA_IP_CHAIN, wb); break;
            case 'l': rc = set_kind(q, 'l', REGDATA_IP_LESS, wb); break;
            case 'M': rc = set_kind(q, 'M', REGDATA_IP_ALL_MORE, wb); break;
            case 'm': rc = set_kind(q, 'm', REGDATA_IP_MORE, wb); break;
            case 'x': rc = set_kind(q, 'x', REGDATA_IP_EXACT, wb); break;
            case 'r':
            case 'B':
            case 'G':
            case 'V': break; /* nothing to leave out or add */
            case 'T': rc = set_types(q, arg, wb); break;
            case 'i':
                if (strcmp(arg, "mnt-by") != 0) {
                    rpsl_error(wb, RPSL_ERR_OPTION, "-i %.40s: lana answers -i mnt-by NAME", arg);
                    return -1;
                }
                q->inverse = true;
                break;
            default:
                rpsl_error(wb, RPSL_ERR_OPTION,
                           "-%c: unknown flag (lana takes -L -l -M -m -x -r -T TYPE -i mnt-by)",
                           *f);
                return -1;
            }
            if (rc != 0)
                return -1;
            if (arg != NULL)
                break; /* the rest of the word was the value */
        }
    }
    if (klen == 0) {
        rpsl_error(wb, RPSL_ERR_NO_KEY, "ask for an address, a prefix, a domain or an account");
        return -1;
    }
    if (q->inverse && q->ip_flag != 0) {
        rpsl_error(wb, RPSL_ERR_COMBINATION, "-i does not go with -%c", q->ip_flag);
        return -1;
    }
    return 0;
}

/* An address, a prefix, or "first - last" covering exactly a prefix: 1 with *p; 0 when the key
 * is not an address at all; -1 after an error answer (a range that is no prefix). */
static int ip_key(const char *key, struct cidr *p, struct wbuf *wb)
{
    char a[CIDR_STRLEN + 1], b[CIDR_STRLEN + 1];
    struct lana_diag d;
    const char *dash = strchr(key, '-');
    if (strchr(key, '/') != NULL)
        return cidr_parse(key, p, &d) == 0 ? 1 : 0;
    if (dash == NULL)
        return cidr_parse_addr(key, p, &d) == 0 ? 1 : 0;
    size_t la = (size_t)(dash - key), lb = strlen(dash + 1);
    while (la > 0 && key[la - 1] == ' ')
        la--;
    const char *bs = dash + 1 + strspn(dash + 1, " ");
    lb = strlen(bs);
    if (la == 0 || la > CIDR_STRLEN || lb == 0 || lb > CIDR_STRLEN)
        return 0;
    memcpy(a, key, la);
    a[la] = '\0';
    memcpy(b, bs, lb + 1);
    struct cidr first, last;
    if (cidr_parse_addr(a, &first, &d) != 0 || cidr_parse_addr(b, &last, &d) != 0)
        return 0; /* a domain or holder with a hyphen */
    /* the prefix whose first and last address these are */
    unsigned bits = cidr_bits(&first);
    unsigned __int128 lo = cidr_addr_u128(&first), hi = cidr_addr_u128(&last);
    for (unsigned plen = 0; first.family == last.family && plen <= bits; plen++) {
        *p = first;
        p->plen = (uint8_t)plen;
        struct cidr pf, pl;
        cidr_first(p, &pf);
        cidr_last(p, &pl);
        if (cidr_addr_u128(&pf) == lo && cidr_addr_u128(&pl) == hi)
            return 1;
    }
    rpsl_error(wb, RPSL_ERR_KEY, "%.120s: lana's blocks are prefixes; this range is none", key);
    return -1;
}

/* The blocks of one IP query (the flag's kind, the default without one). */
static int ip_objects(struct answer *a, const struct cidr *p, bool quiet_not_found)
{
    bool more = false;
    int rc = regdata_ip(a->rd, p, a->q->kind, RPSL_OBJECTS_MAX, block_cb, a, &more, &a->d);
    if (more)
        a->cut = true;
    if (rc == LANA_ENOTFOUND) /* no entries: the answer says so unless something else is */
        return quiet_not_found ? 0 : rc;
    if (rc < 0)
        a->err = rc;
    return rc < 0 ? rc : 0;
}

static int domain_objects(struct answer *a, const struct regdata_domain *dom)
{
    int rc = 0;
    switch (dom->kind) {
    case REGDATA_DOMAIN_ZONE: rc = zone_cb(&dom->zone, a); break;
    case REGDATA_DOMAIN_HOST:
        rc = host_object(a, &dom->host, dom->has_zone ? &dom->zone : NULL);
        break;
    case REGDATA_DOMAIN_REVERSE: rc = reverse_object(a, dom); break;
    }
    if (rc < 0 || !dom->has_prefix || a->cut)
        return rc < 0 ? rc : 0;
    /* the blocks the reverse name stands for, under the IP flags */
    return ip_objects(a, &dom->prefix, true);
}

static int inverse_objects(struct answer *a, const char *name)
{
    bool more = false;
    int rc = 0;
    if (want(a, T_INETNUM | T_INET6NUM))
        rc = regdata_mnt_blocks(a->rd, name, RPSL_OBJECTS_MAX, block_cb, a, &more, &a->d);
    if (rc >= 0 && !a->cut && want(a, T_DOMAIN))
        rc = regdata_mnt_zones(a->rd, name, RPSL_OBJECTS_MAX, zone_cb, a, &more, &a->d);
    if (more)
        a->cut = true;
    if (rc < 0)
        a->err = rc;
    return rc < 0 ? rc : 0;
}

/* a word without a dot: an account (mntner) or a holder's blocks, else a zone ("lab") */
static int entity_objects(struct answer *a, const char *key)
{
    struct regdata_entity e;
    int rc = regdata_entity(a->rd, key, &e, &a->d);
    if (rc == 0 && e.is_account)
        return mntner_object(a, &e) < 0 ? -1 : 0;
    if (rc == 0) {
        bool more = false;
        rc = regdata_holder_blocks(a->rd, key, RPSL_OBJECTS_MAX, block_cb, a, &more, &a->d);
        a->cut = a->cut || more;
    }
    if (rc < 0 && rc != LANA_ENOTFOUND && rc != LANA_EPARSE)
        a->err = rc;
    return rc == LANA_ENOTFOUND || rc == LANA_EPARSE ? LANA_ENOTFOUND : rc;
}

/* The objects for the key; ip tells whether it is an address or prefix (p). */
static void run(struct answer *a, bool ip, const struct cidr *p)
{
    const char *key = a->q->key;
    struct regdata_domain dom;
    int rc;
    if (a->q->inverse) {
        inverse_objects(a, key);
        return;
    }
    if (ip) {
        if (ip_objects(a, p, false) == 0 && a->q->ip_flag == 0 && p->plen == cidr_bits(p)) {
            /* an address: the host registered there, when there is one */
            struct host_info h;
            if (regdata_host_at(a->rd, p, &h, &a->d) == 1 &&
                regdata_domain(a->rd, h.name, &dom, &a->d) == 0)
                host_object(a, &dom.host, dom.has_zone ? &dom.zone : NULL);
        }
        return;
    }
    if (strchr(key, '.') == NULL && entity_objects(a, key) != LANA_ENOTFOUND)
        return;
    rc = regdata_domain(a->rd, key, &dom, &a->d);
    if (rc == 0)
        domain_objects(a, &dom);
    else if (rc != LANA_ENOTFOUND && rc != LANA_EPARSE)
        a->err = rc;
}

/* Splits the line into words (spaces and tabs), in place; the number of words, or -1 when
 * the line holds a byte that is no part of a query (a control character, invalid UTF-8). */
static int split(char *line, size_t len, char **w, unsigned max)
{
    unsigned n = 0;
    for (size_t i = 0, k; i < len; i += k) {
        uint32_t cp;
        k = text_utf8_next(line + i, len - i, &cp);
        if (cp == TEXT_INVALID || (text_is_control(cp) && cp != '\t'))
            return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (line[i] == ' ' || line[i] == '\t')
            line[i] = '\0';
        else if ((i == 0 || line[i - 1] == '\0') && n < max)
            w[n++] = line + i;
    }
    return (int)n;
}

void rpsl_answer(struct regdata *rd, const char *line, size_t len, struct wbuf *out)
{
    char buf[RPSL_LINE_MAX + 1];
    char *w[RPSL_LINE_MAX / 2 + 1];
    struct query q = {.kind = REGDATA_IP_DEFAULT};
    if (len > RPSL_LINE_MAX) {
        rpsl_error(out, RPSL_ERR_TOO_LONG, "a query is at most %d bytes", RPSL_LINE_MAX);
        return;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    int nw = split(buf, len, w, sizeof w / sizeof w[0]);
    if (nw < 0) {
        rpsl_error(out, RPSL_ERR_BAD_CHAR, "a query is UTF-8 text without control characters");
        return;
    }
    if (parse(w, (unsigned)nw, &q, out) != 0)
        return;
    struct cidr p;
    int ip = q.inverse ? 0 : ip_key(q.key, &p, out);
    if (ip < 0)
        return; /* its error answer is written */
    /* objects go into a view of out that keeps room for the closing comments */
    size_t start = out->pos;
    header(out);
    struct wbuf body = *out;
    body.cap = out->cap > FOOTER_ROOM && out->cap - FOOTER_ROOM > out->pos ? out->cap - FOOTER_ROOM
                                                                           : out->pos;
    struct answer a = {.rd = rd, .q = &q, .wb = &body};
    run(&a, ip == 1, &p);
    out->pos = body.pos;
    if (a.err != 0 && a.objects == 0) {
        wbuf_truncate(out, start);
        rpsl_error(out, RPSL_ERR_INTERNAL, "%s", a.d.msg);
        return;
    }
    if (a.objects == 0 && !a.cut) {
        wbuf_truncate(out, start);
        rpsl_error(out, RPSL_ERR_NOT_FOUND, "No entries found in source LANA.");
        return;
    }
    if (a.cut)
        wbuf_printf(out, "%% The answer was cut after %u objects: ask for less.\n\n", a.objects);
    footer(out);
}
