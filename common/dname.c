/*
 * dname — see dname.h.
 */
#include "common/dname.h"

#include <ctype.h>
#include <string.h>

#include "common/wbuf.h"

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

int dname_from_text(const char *s, const uint8_t *origin, uint8_t *out, struct lana_diag *d)
{
    size_t pos = 0; /* write position in out */
    if (strcmp(s, "@") == 0) {
        if (origin == NULL)
            return diag_set(d, LANA_EPARSE, "@ used without an origin");
        size_t n = dname_len(origin);
        memcpy(out, origin, n);
        return (int)n;
    }
    if (strcmp(s, ".") == 0) {
        out[0] = 0;
        return 1;
    }
    if (*s == '\0')
        return diag_set(d, LANA_EPARSE, "empty name");
    const char *p = s;
    bool absolute = false;
    while (*p) {
        size_t lenpos = pos++;
        size_t llen = 0;
        if (pos >= DNAME_MAXLEN)
            return diag_set(d, LANA_EPARSE, "%.64s...: name longer than 255 octets", s);
        while (*p && *p != '.') {
            uint8_t c;
            if (*p == '\\') {
                p++;
                if (isdigit((unsigned char)p[0])) {
                    if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
                        return diag_set(d, LANA_EPARSE, "%.64s: bad \\DDD escape", s);
                    unsigned v = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
                                 (unsigned)(p[2] - '0');
                    if (v > 255)
                        return diag_set(d, LANA_EPARSE, "%.64s: \\DDD escape above 255", s);
                    c = (uint8_t)v;
                    p += 3;
                } else if (*p == '\0') {
                    return diag_set(d, LANA_EPARSE, "%.64s: trailing backslash", s);
                } else {
                    c = (uint8_t)*p++;
                }
            } else {
                c = (uint8_t)*p++;
            }
            if (++llen > DNAME_LABEL_MAX)
                return diag_set(d, LANA_EPARSE, "%.64s: label longer than 63 octets", s);
            if (pos + 1 >= DNAME_MAXLEN)
                return diag_set(d, LANA_EPARSE, "%.64s...: name longer than 255 octets", s);
            out[pos++] = c;
        }
        if (llen == 0)
            return diag_set(d, LANA_EPARSE, "%.64s: empty label", s);
        out[lenpos] = (uint8_t)llen;
        if (*p == '.') {
            p++;
            if (*p == '\0')
                absolute = true;
        }
    }
    if (absolute) {
        out[pos++] = 0;
        return (int)pos;
    }
    if (origin == NULL)
        return diag_set(d, LANA_EPARSE, "%.64s: relative name without an origin", s);
    size_t olen = dname_len(origin);
    if (pos + olen > DNAME_MAXLEN)
        return diag_set(d, LANA_EPARSE, "%.64s: name longer than 255 octets with the origin", s);
    memcpy(out + pos, origin, olen);
    return (int)(pos + olen);
}

int dname_to_text(const uint8_t *name, char *buf, size_t size)
{
    struct wbuf wb;
    wbuf_init(&wb, buf, size);
    if (name[0] == 0)
        wbuf_u8(&wb, '.');
    for (const uint8_t *p = name; *p; p += *p + 1) {
        for (unsigned i = 1; i <= *p; i++) {
            uint8_t c = p[i];
            if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' ||
                c == '@' || c == '$') {
                wbuf_u8(&wb, '\\');
                wbuf_u8(&wb, c);
            } else if (c <= ' ' || c >= 0x7f) {
                wbuf_printf(&wb, "\\%03u", c);
            } else {
                wbuf_u8(&wb, c);
            }
        }
        wbuf_u8(&wb, '.');
    }
    if (!wbuf_cstr(&wb))
        return LANA_ENOSPACE;
    return 0;
}

int dname_decode(struct rbuf *rb, uint8_t *out)
{
    size_t pos = 0;
    size_t cur = rb->pos;      /* where we read labels from */
    size_t limit = rb->pos;    /* every pointer must point strictly below this */
    bool jumped = false;
    unsigned hops = 0;
    if (rb->err)
        return LANA_EPARSE;
    for (;;) {
        if (cur >= rb->len)
            goto bad;
        uint8_t l = rb->data[cur];
        if ((l & 0xc0) == 0xc0) {
            if (cur + 1 >= rb->len)
                goto bad;
            size_t target = (size_t)(l & 0x3f) << 8 | rb->data[cur + 1];
            if (!jumped)
                rb->pos = cur + 2;
            jumped = true;
            /* Strictly decreasing targets: a chain ends after at most len/2 hops. A target
             * inside the header would decode the id, flags and counts as labels. */
            if (target >= limit || target < DNAME_PTR_MIN || ++hops > DNAME_PTR_HOPS_MAX)
                goto bad;
            limit = target;
            cur = target;
            continue;
        }
        if (l & 0xc0) /* 0x40 and 0x80: extended and reserved label types (RFC 6891 §5) */
            goto bad;
        if (cur + 1 + l > rb->len || pos + 1 + l > DNAME_MAXLEN)
            goto bad;
        memcpy(out + pos, rb->data + cur, (size_t)l + 1);
        pos += (size_t)l + 1;
        cur += (size_t)l + 1;
        if (l == 0)
            break;
    }
    if (!jumped)
        rb->pos = cur;
    return (int)pos;
bad:
    rb->err = true;
    return LANA_EPARSE;
}

size_t dname_len(const uint8_t *name)
{
    const uint8_t *p = name;
    while (*p)
        p += *p + 1;
    return (size_t)(p - name) + 1;
}

unsigned dname_labels(const uint8_t *name)
{
    unsigned n = 0;
    for (const uint8_t *p = name; *p; p += *p + 1)
        n++;
    return n;
}

void dname_lower(uint8_t *name)
{
    for (uint8_t *p = name; *p; p += *p + 1)
        for (unsigned i = 1; i <= *p; i++)
            p[i] = lower(p[i]);
}

bool dname_equal(const uint8_t *a, const uint8_t *b)
{
    for (;;) {
        if (*a != *b)
            return false;
        if (*a == 0)
            return true;
        for (unsigned i = 1; i <= *a; i++)
            if (lower(a[i]) != lower(b[i]))
                return false;
        a += *a + 1;
        b += *b + 1;
    }
}

bool dname_is_sub(const uint8_t *name, const uint8_t *zone)
{
    unsigned nl = dname_labels(name), zl = dname_labels(zone);
    if (nl < zl)
        return false;
    const uint8_t *p = name;
    for (unsigned i = 0; i < nl - zl; i++)
        p += *p + 1;
    return dname_equal(p, zone);
}

const uint8_t *dname_parent(const uint8_t *name)
{
    if (*name == 0)
        return NULL;
    return name + *name + 1;
}

size_t dname_key(const uint8_t *name, uint8_t *out)
{
    const uint8_t *labels[128];
    unsigned n = 0;
    for (const uint8_t *p = name; *p && n < 128; p += *p + 1)
        labels[n++] = p;
    size_t pos = 0;
    while (n-- > 0) {
        const uint8_t *l = labels[n];
        for (unsigned i = 1; i <= l[0]; i++) {
            uint8_t c = lower(l[i]);
            if (c <= 1) {
                out[pos++] = 1;
                out[pos++] = (uint8_t)(c + 1);
            } else {
                out[pos++] = c;
            }
        }
        out[pos++] = 0;
    }
    return pos;
}

int dname_from_key(const uint8_t *key, size_t keylen, uint8_t *out)
{
    uint8_t labels[DNAME_MAXLEN];
    size_t starts[128], lens[128];
    unsigned n = 0;
    size_t pos = 0, total = 1;
    size_t i = 0;
    while (i < keylen) {
        if (n == 128)
            return LANA_EPARSE;
        starts[n] = pos;
        size_t l = 0;
        while (i < keylen && key[i] != 0) {
            uint8_t c = key[i++];
            if (c == 1) {
                if (i == keylen || key[i] < 1 || key[i] > 2)
                    return LANA_EPARSE;
                c = (uint8_t)(key[i++] - 1);
            } else if (c >= 'A' && c <= 'Z') {
                return LANA_EPARSE; /* keys are lowercase: no name has this one */
            }
            if (pos == DNAME_MAXLEN)
                return LANA_EPARSE;
            labels[pos++] = c;
            l++;
        }
        if (i == keylen || l == 0 || l > DNAME_LABEL_MAX)
            return LANA_EPARSE; /* every label ends with a separator and is not empty */
        i++;
        lens[n++] = l;
        total += l + 1;
    }
    if (total > DNAME_MAXLEN)
        return LANA_EPARSE;
    size_t w = 0;
    while (n-- > 0) {
        out[w++] = (uint8_t)lens[n];
        memcpy(out + w, labels + starts[n], lens[n]);
        w += lens[n];
    }
    out[w++] = 0;
    return (int)w;
}
