/*
 * zfile — see zfile.h.
 *
 * A logical record is collected as tokens from one or more physical lines (more while a '('
 * is open); then the leading fields are classified: an owner (unless the first line began with
 * blank space), then TTL and class in either order, then the type, then the rdata tokens that
 * rdata_parse() turns into wire form.
 */
#include "common/zfile.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dnsmsg.h"

#define ZFILE_TOKENS_MAX 4096

struct zreader {
    const char *name;
    unsigned line;          /* current physical line */
    unsigned rec_line;      /* first line of the current record */
    char *text;             /* storage for the tokens of one record */
    size_t text_len, text_cap;
    struct rdata_token tok[ZFILE_TOKENS_MAX];
    size_t ntok;
    int depth;              /* open parentheses */
    bool blank_owner;       /* the record's first line began with white space */
    uint8_t origin[DNAME_MAXLEN];
    bool have_origin;
    uint8_t last_owner[DNAME_MAXLEN];
    bool have_owner;
    uint32_t default_ttl, last_ttl;
    bool have_default_ttl, have_last_ttl;
    struct lana_diag *d;
};

static int zerr(struct zreader *z, const char *msg)
{
    return diag_set(z->d, LANA_EPARSE, "%s:%u: %s", z->name, z->rec_line, msg);
}

/* Tokenizes one physical line into the current record. */
static int tokenize(struct zreader *z, const char *p)
{
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
            continue;
        }
        if (*p == ';')
            break;
        if (*p == '(') {
            z->depth++;
            p++;
            continue;
        }
        if (*p == ')') {
            if (z->depth == 0)
                return zerr(z, "')' without '('");
            z->depth--;
            p++;
            continue;
        }
        if (z->ntok == ZFILE_TOKENS_MAX)
            return zerr(z, "too many fields in one record");
        bool quoted = *p == '"';
        if (quoted)
            p++;
        size_t start = z->text_len;
        for (;;) {
            char c = *p;
            if (c == '\0' || c == '\n') {
                if (quoted)
                    return zerr(z, "unterminated quoted string");
                break;
            }
            if (quoted ? c == '"' : (c == ' ' || c == '\t' || c == '\r' || c == ';' ||
                                    c == '(' || c == ')'))
                break;
            if (c == '\\' && p[1] != '\0' && p[1] != '\n') {
                z->text[z->text_len++] = *p++;
            }
            z->text[z->text_len++] = *p++;
        }
        if (quoted)
            p++; /* closing quote */
        z->text[z->text_len++] = '\0';
        z->tok[z->ntok].s = z->text + start;
        z->tok[z->ntok].quoted = quoted;
        z->ntok++;
    }
    return 0;
}

static bool is_class(const char *s, uint16_t *klass)
{
    if (strcasecmp(s, "IN") == 0)
        *klass = DNS_C_IN;
    else if (strcasecmp(s, "CH") == 0)
        *klass = DNS_C_CH;
    else
        return false;
    return true;
}

static int directive(struct zreader *z)
{
    struct lana_diag nd;
    const char *dir = z->tok[0].s;
    if (strcasecmp(dir, "$ORIGIN") == 0) {
        if (z->ntok != 2)
            return zerr(z, "$ORIGIN needs one name");
        uint8_t origin[DNAME_MAXLEN];
        int n = dname_from_text(z->tok[1].s, z->have_origin ? z->origin : NULL, origin, &nd);
        if (n < 0)
            return diag_set(z->d, LANA_EPARSE, "%s:%u: $ORIGIN: %s", z->name, z->rec_line,
                            nd.msg);
        memcpy(z->origin, origin, (size_t)n);
        z->have_origin = true;
        return 0;
    }
    if (strcasecmp(dir, "$TTL") == 0) {
        if (z->ntok != 2)
            return zerr(z, "$TTL needs one value");
        if (rdata_parse_ttl(z->tok[1].s, &z->default_ttl, &nd) != 0)
            return diag_set(z->d, LANA_EPARSE, "%s:%u: $TTL: %s", z->name, z->rec_line, nd.msg);
        z->have_default_ttl = true;
        return 0;
    }
    return diag_set(z->d, LANA_EPARSE, "%s:%u: %.40s: directive not supported", z->name,
                    z->rec_line, dir);
}

static int record(struct zreader *z, struct zfile_rr *rr, zfile_rr_cb *cb, void *arg)
{
    struct lana_diag nd;
    size_t i = 0;
    const uint8_t *origin = z->have_origin ? z->origin : NULL;
    if (z->tok[0].s[0] == '$' && !z->tok[0].quoted && !z->blank_owner)
        return directive(z);
    if (z->blank_owner) {
        if (!z->have_owner)
            return zerr(z, "no owner name (the first record must name one)");
        memcpy(rr->owner, z->last_owner, DNAME_MAXLEN);
    } else {
        if (dname_from_text(z->tok[0].s, origin, rr->owner, &nd) < 0)
            return diag_set(z->d, LANA_EPARSE, "%s:%u: owner: %s", z->name, z->rec_line, nd.msg);
        memcpy(z->last_owner, rr->owner, DNAME_MAXLEN);
        z->have_owner = true;
        i = 1;
    }
    bool have_ttl = false, have_class = false;
    rr->klass = DNS_C_IN;
    for (; i < z->ntok; i++) {
        const char *s = z->tok[i].s;
        if (!have_ttl && isdigit((unsigned char)s[0])) {
            if (rdata_parse_ttl(s, &rr->ttl, &nd) != 0)
                return diag_set(z->d, LANA_EPARSE, "%s:%u: %s", z->name, z->rec_line, nd.msg);
            have_ttl = true;
        } else if (!have_class && is_class(s, &rr->klass)) {
            have_class = true;
        } else {
            break;
        }
    }
    if (i == z->ntok)
        return zerr(z, "missing record type");
    rr->type = dnsmsg_type_parse(z->tok[i].s);
    if (rr->type == 0 || rr->type == DNS_T_OPT || rr->type == DNS_T_ANY ||
        rr->type == DNS_T_AXFR || rr->type == DNS_T_IXFR)
        return diag_set(z->d, LANA_EPARSE, "%s:%u: %.40s: unknown or meta record type", z->name,
                        z->rec_line, z->tok[i].s);
    i++;
    int n = rdata_parse(rr->type, z->tok + i, z->ntok - i, origin, rr->rdata, sizeof rr->rdata,
                        &nd);
    if (n < 0)
        return diag_set(z->d, LANA_EPARSE, "%s:%u: %s", z->name, z->rec_line, nd.msg);
    rr->rdlen = (uint16_t)n;
    if (!have_ttl) {
        if (z->have_default_ttl)
            rr->ttl = z->default_ttl;
        else if (z->have_last_ttl)
            rr->ttl = z->last_ttl;
        else if (rr->type == DNS_T_SOA && n >= 4)
            rr->ttl = (uint32_t)rr->rdata[n - 4] << 24 | (uint32_t)rr->rdata[n - 3] << 16 |
                      (uint32_t)rr->rdata[n - 2] << 8 | rr->rdata[n - 1];
        else
            return zerr(z, "no TTL given and no $TTL before this record");
    }
    z->last_ttl = rr->ttl;
    z->have_last_ttl = true;
    rr->line = z->rec_line;
    return cb(rr, arg);
}

int zfile_read(FILE *fp, const char *name, const uint8_t *origin, zfile_rr_cb *cb, void *arg,
               struct lana_diag *d)
{
    struct zreader *z = calloc(1, sizeof *z);
    struct zfile_rr *rr = malloc(sizeof *rr);
    char *line = malloc(ZFILE_LINE_MAX + 2);
    int rc = 0;
    if (z == NULL || rr == NULL || line == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    z->text_cap = 4 * (size_t)ZFILE_LINE_MAX + 16;
    z->text = malloc(z->text_cap);
    if (z->text == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    z->name = name;
    z->d = d;
    if (origin != NULL) {
        memcpy(z->origin, origin, dname_len(origin));
        z->have_origin = true;
    }
    while (fgets(line, ZFILE_LINE_MAX + 2, fp) != NULL) {
        z->line++;
        size_t len = strlen(line);
        if (len > ZFILE_LINE_MAX) {
            z->rec_line = z->line;
            rc = zerr(z, "line longer than 65536 bytes");
            goto out;
        }
        if (memchr(line, '\0', len) != NULL || (len > 0 && line[len - 1] != '\n' && !feof(fp))) {
            z->rec_line = z->line;
            rc = zerr(z, "unreadable line");
            goto out;
        }
        if (z->depth == 0) {
            z->ntok = 0;
            z->text_len = 0;
            z->rec_line = z->line;
            z->blank_owner = line[0] == ' ' || line[0] == '\t';
        } else if (z->text_len + len * 2 + 2 > z->text_cap) {
            rc = zerr(z, "record too long");
            goto out;
        }
        if ((rc = tokenize(z, line)) != 0)
            goto out;
        if (z->depth > 0 || z->ntok == 0)
            continue;
        if ((rc = record(z, rr, cb, arg)) != 0)
            goto out;
    }
    if (ferror(fp)) {
        rc = diag_set(d, LANA_EIO, "%s: read error", name);
        goto out;
    }
    if (z->depth > 0)
        rc = zerr(z, "'(' not closed at the end of the file");
out:
    if (z != NULL)
        free(z->text);
    free(z);
    free(rr);
    free(line);
    return rc;
}
