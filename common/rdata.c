/*
 * rdata — see rdata.h. Each known type has one parse and one format branch; the generic
 * "\# LEN HEX" form works for every type, known or not.
 */
#include "common/rdata.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "common/dname.h"
#include "common/dnsmsg.h"
#include "common/num.h"
#include "common/rbuf.h"

int rdata_parse_ttl(const char *s, uint32_t *out, struct lana_diag *d)
{
    uint64_t total = 0, cur = 0;
    bool digits = false;
    if (*s == '\0')
        return diag_set(d, LANA_EPARSE, "empty TTL");
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            cur = cur * 10 + (uint64_t)(*p - '0');
            digits = true;
            if (cur > 0xffffffffu)
                return diag_set(d, LANA_ERANGE, "%.40s: TTL too large", s);
            continue;
        }
        uint64_t mul;
        switch (tolower((unsigned char)*p)) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        case 'w': mul = 604800; break;
        default: return diag_set(d, LANA_EPARSE, "%.40s: not a TTL", s);
        }
        if (!digits)
            return diag_set(d, LANA_EPARSE, "%.40s: not a TTL", s);
        total += cur * mul;
        cur = 0;
        digits = false;
    }
    total += cur;
    if (total > 0x7fffffffu)
        return diag_set(d, LANA_ERANGE, "%.40s: TTL above 2147483647 (RFC 2181 section 8)", s);
    *out = (uint32_t)total;
    return 0;
}

static int need_tokens(size_t ntok, size_t want, const char *what, struct lana_diag *d)
{
    if (ntok != want)
        return diag_set(d, LANA_EPARSE, "%s needs %zu field%s, got %zu", what, want,
                        want == 1 ? "" : "s", ntok);
    return 0;
}

static int put_name(struct wbuf *wb, const char *s, const uint8_t *origin, struct lana_diag *d)
{
    uint8_t name[DNAME_MAXLEN];
    int n = dname_from_text(s, origin, name, d);
    if (n < 0)
        return n;
    wbuf_put(wb, name, (size_t)n);
    return 0;
}

static int put_u16(struct wbuf *wb, const char *s, const char *what, struct lana_diag *d)
{
    uint64_t v;
    if (num_parse_u64(s, 0, 65535, &v, NULL) != 0)
        return diag_set(d, LANA_EPARSE, "%.40s: %s must be 0-65535", s, what);
    wbuf_u16(wb, (uint16_t)v);
    return 0;
}

/* One <character-string> (RFC 1035 §3.3): unescape \X and \DDD, at most 255 octets. */
static int put_charstr(struct wbuf *wb, const char *s, struct lana_diag *d)
{
    uint8_t buf[256];
    size_t n = 0;
    for (const char *p = s; *p;) {
        uint8_t c;
        if (*p == '\\') {
            p++;
            if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
                isdigit((unsigned char)p[2])) {
                unsigned v = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
                             (unsigned)(p[2] - '0');
                if (v > 255)
                    return diag_set(d, LANA_EPARSE, "\\DDD escape above 255 in a string");
                c = (uint8_t)v;
                p += 3;
            } else if (*p == '\0') {
                return diag_set(d, LANA_EPARSE, "string ends with a backslash");
            } else {
                c = (uint8_t)*p++;
            }
        } else {
            c = (uint8_t)*p++;
        }
        if (n == 255)
            return diag_set(d, LANA_EPARSE, "string longer than 255 octets");
        buf[n++] = c;
    }
    wbuf_u8(wb, (uint8_t)n);
    wbuf_put(wb, buf, n);
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* RFC 3597 §5: "\#" LEN then the data as hex, possibly split into several tokens. */
static int parse_generic(const struct rdata_token *tok, size_t ntok, struct wbuf *wb,
                         struct lana_diag *d)
{
    uint64_t len;
    if (ntok < 2 || num_parse_u64(tok[1].s, 0, RDATA_MAX, &len, NULL) != 0)
        return diag_set(d, LANA_EPARSE, "\\# needs a length 0-65535");
    size_t got = 0;
    for (size_t i = 2; i < ntok; i++) {
        const char *p = tok[i].s;
        size_t sl = strlen(p);
        if (sl % 2 != 0)
            return diag_set(d, LANA_EPARSE, "%.40s: odd number of hex digits", p);
        for (size_t j = 0; j < sl; j += 2) {
            int hi = hexval((unsigned char)p[j]), lo = hexval((unsigned char)p[j + 1]);
            if (hi < 0 || lo < 0)
                return diag_set(d, LANA_EPARSE, "%.40s: not hexadecimal", p);
            wbuf_u8(wb, (uint8_t)(hi << 4 | lo));
            got++;
        }
    }
    if (got != len)
        return diag_set(d, LANA_EPARSE, "\\# length %llu but %zu octets of data",
                        (unsigned long long)len, got);
    return 0;
}

int rdata_parse(uint16_t type, const struct rdata_token *tok, size_t ntok, const uint8_t *origin,
                uint8_t *out, size_t cap, struct lana_diag *d)
{
    struct wbuf wb;
    wbuf_init(&wb, out, cap);
    int rc = 0;
    if (ntok >= 1 && !tok[0].quoted && strcmp(tok[0].s, "\\#") == 0) {
        rc = parse_generic(tok, ntok, &wb, d);
        if (rc == 0 && type < 256 && type != DNS_T_TXT && !rdata_is_valid(type, out, wb.pos))
            rc = diag_set(d, LANA_EPARSE, "generic rdata is not valid for its type");
        goto out;
    }
    switch (type) {
    case DNS_T_A:
    case DNS_T_AAAA: {
        uint8_t addr[16];
        int af = type == DNS_T_A ? AF_INET : AF_INET6;
        if ((rc = need_tokens(ntok, 1, type == DNS_T_A ? "A" : "AAAA", d)) != 0)
            goto out;
        if (inet_pton(af, tok[0].s, addr) != 1) {
            rc = diag_set(d, LANA_EPARSE, "%.60s: not an IPv%c address", tok[0].s,
                          type == DNS_T_A ? '4' : '6');
            goto out;
        }
        wbuf_put(&wb, addr, type == DNS_T_A ? 4 : 16);
        break;
    }
    case DNS_T_NS:
    case DNS_T_CNAME:
    case DNS_T_PTR:
        if ((rc = need_tokens(ntok, 1, "this type", d)) == 0)
            rc = put_name(&wb, tok[0].s, origin, d);
        break;
    case DNS_T_MX:
        if ((rc = need_tokens(ntok, 2, "MX", d)) == 0 &&
            (rc = put_u16(&wb, tok[0].s, "preference", d)) == 0)
            rc = put_name(&wb, tok[1].s, origin, d);
        break;
    case DNS_T_SRV:
        if ((rc = need_tokens(ntok, 4, "SRV", d)) == 0 &&
            (rc = put_u16(&wb, tok[0].s, "priority", d)) == 0 &&
            (rc = put_u16(&wb, tok[1].s, "weight", d)) == 0 &&
            (rc = put_u16(&wb, tok[2].s, "port", d)) == 0)
            rc = put_name(&wb, tok[3].s, origin, d); /* RFC 2782: never compressed */
        break;
    case DNS_T_TXT:
        if (ntok == 0) {
            rc = diag_set(d, LANA_EPARSE, "TXT needs at least one string");
            goto out;
        }
        for (size_t i = 0; i < ntok && rc == 0; i++)
            rc = put_charstr(&wb, tok[i].s, d);
        break;
    case DNS_T_SOA:
        if ((rc = need_tokens(ntok, 7, "SOA", d)) != 0 ||
            (rc = put_name(&wb, tok[0].s, origin, d)) != 0 ||
            (rc = put_name(&wb, tok[1].s, origin, d)) != 0)
            goto out;
        for (size_t i = 2; i < 7; i++) {
            uint32_t v;
            uint64_t serial;
            if (i == 2) {
                if (num_parse_u64(tok[i].s, 0, 0xffffffffu, &serial, NULL) != 0) {
                    rc = diag_set(d, LANA_EPARSE, "%.40s: SOA serial must be 0-4294967295",
                                  tok[i].s);
                    goto out;
                }
                v = (uint32_t)serial;
            } else if ((rc = rdata_parse_ttl(tok[i].s, &v, d)) != 0) {
                goto out;
            }
            wbuf_u32(&wb, v);
        }
        break;
    default:
        rc = diag_set(d, LANA_EPARSE, "type %u must be written in the generic form \\# LEN HEX",
                      type);
        break;
    }
out:
    if (rc == 0 && wb.overflow)
        rc = diag_set(d, LANA_EPARSE, "rdata longer than 65535 octets");
    return rc < 0 ? rc : (int)wb.pos;
}

bool rdata_is_valid(uint16_t type, const uint8_t *rd, size_t len)
{
    struct rbuf rb;
    uint8_t name[DNAME_MAXLEN];
    rbuf_init(&rb, rd, len);
    switch (type) {
    case DNS_T_A: return len == 4;
    case DNS_T_AAAA: return len == 16;
    case DNS_T_NS:
    case DNS_T_CNAME:
    case DNS_T_PTR:
        break;
    case DNS_T_MX: rbuf_skip(&rb, 2); break;
    case DNS_T_SRV: rbuf_skip(&rb, 6); break;
    case DNS_T_SOA:
        if (dname_decode(&rb, name) < 0 || dname_decode(&rb, name) < 0)
            return false;
        return rbuf_left(&rb) == 20;
    case DNS_T_TXT:
        if (len == 0)
            return false;
        while (rbuf_left(&rb) > 0)
            rbuf_skip(&rb, rbuf_u8(&rb));
        return !rb.err;
    default: return true;
    }
    /* One name ends the rdata; it must be uncompressed (stored data never holds pointers). */
    size_t start = rb.pos;
    if (!rbuf_need(&rb, 1))
        return false;
    for (size_t p = start; p < len; p += (size_t)rd[p] + 1) {
        if (rd[p] & 0xc0)
            return false;
        if (rd[p] == 0)
            return p + 1 == len && dname_decode(&rb, name) > 0;
    }
    return false;
}

static void format_charstr(struct wbuf *wb, const uint8_t *s, size_t n)
{
    wbuf_u8(wb, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            wbuf_u8(wb, '\\');
            wbuf_u8(wb, c);
        } else if (c < ' ' || c >= 0x7f) {
            wbuf_printf(wb, "\\%03u", c);
        } else {
            wbuf_u8(wb, c);
        }
    }
    wbuf_u8(wb, '"');
}

static void format_name(struct wbuf *wb, struct rbuf *rb)
{
    uint8_t name[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    if (dname_decode(rb, name) < 0 || dname_to_text(name, text, sizeof text) != 0)
        return;
    wbuf_puts(wb, text);
}

void rdata_format(uint16_t type, const uint8_t *rd, size_t len, struct wbuf *wb)
{
    struct rbuf rb;
    rbuf_init(&rb, rd, len);
    if (!rdata_is_valid(type, rd, len))
        goto generic;
    switch (type) {
    case DNS_T_A:
    case DNS_T_AAAA: {
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, rd, buf, sizeof buf);
        wbuf_puts(wb, buf);
        return;
    }
    case DNS_T_NS:
    case DNS_T_CNAME:
    case DNS_T_PTR:
        format_name(wb, &rb);
        return;
    case DNS_T_MX:
        wbuf_printf(wb, "%u ", rbuf_u16(&rb));
        format_name(wb, &rb);
        return;
    case DNS_T_SRV: {
        unsigned prio = rbuf_u16(&rb), weight = rbuf_u16(&rb), port = rbuf_u16(&rb);
        wbuf_printf(wb, "%u %u %u ", prio, weight, port);
        format_name(wb, &rb);
        return;
    }
    case DNS_T_SOA:
        format_name(wb, &rb);
        wbuf_u8(wb, ' ');
        format_name(wb, &rb);
        for (int i = 0; i < 5; i++)
            wbuf_printf(wb, " %u", rbuf_u32(&rb));
        return;
    case DNS_T_TXT:
        for (size_t i = 0; rbuf_left(&rb) > 0; i++) {
            uint8_t n = rbuf_u8(&rb);
            if (i > 0)
                wbuf_u8(wb, ' ');
            format_charstr(wb, rbuf_cur(&rb), n);
            rbuf_skip(&rb, n);
        }
        return;
    default:
        break;
    }
generic:
    wbuf_printf(wb, "\\# %zu", len);
    if (len > 0)
        wbuf_u8(wb, ' ');
    for (size_t i = 0; i < len; i++)
        wbuf_printf(wb, "%02x", rd[i]);
}
