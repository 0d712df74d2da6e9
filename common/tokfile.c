/*
 * tokfile — see tokfile.h.
 */
#include "common/tokfile.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int tokfile_parse_pin(const char *s, uint8_t pin[TOKFILE_PIN_LEN])
{
    char hex[2 * TOKFILE_PIN_LEN + 1];
    size_t n = 0;
    bool colons = strchr(s, ':') != NULL;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (colons && s[i] == ':') {
            if (i % 3 != 2) /* "AB:CD:..." only */
                return LANA_EPARSE;
            continue;
        }
        if (colons && i % 3 == 2)
            return LANA_EPARSE;
        if (!isxdigit((unsigned char)s[i]) || n >= sizeof hex - 1)
            return LANA_EPARSE;
        hex[n++] = s[i];
    }
    hex[n] = '\0';
    if (n != 2 * TOKFILE_PIN_LEN)
        return LANA_EPARSE;
    return auth_unhex(hex, pin, TOKFILE_PIN_LEN);
}

/* Copies v into dst (size bytes); false when it does not fit or is empty. */
static bool copy_value(char *dst, size_t size, const char *v)
{
    int n = snprintf(dst, size, "%s", v);
    return n > 0 && (size_t)n < size;
}

int tokfile_parse(const char *text, struct tokfile *out, struct lana_diag *d)
{
    struct tokfile t;
    memset(&t, 0, sizeof t);
    /* the format before TLS: the token's 64 hex digits and nothing else */
    if (auth_unhex(text, t.token, AUTH_TOKEN_LEN) == 0) {
        *out = t;
        return 0;
    }
    bool have_token = false, have_user = false, have_server = false;
    unsigned lineno = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[TOKFILE_TEXT_MAX];
        lineno++;
        if (len >= sizeof line)
            return diag_set(d, LANA_EPARSE, "line %u: too long", lineno);
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (end != NULL);
        while (len > 0 && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        const char *s = line + strspn(line, " \t");
        if (*s == '\0' || *s == '#')
            continue;
        const char *eq = strchr(s, '=');
        if (eq == NULL)
            return diag_set(d, LANA_EPARSE, "line %u: expected key=value", lineno);
        size_t klen = (size_t)(eq - s);
        while (klen > 0 && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
            klen--;
        const char *v = eq + 1 + strspn(eq + 1, " \t");
        bool dup = false, bad = false;
        if (klen == 4 && memcmp(s, "user", 4) == 0) {
            dup = have_user;
            have_user = true;
            bad = !copy_value(t.user, sizeof t.user, v) || strpbrk(v, " \t") != NULL;
        } else if (klen == 5 && memcmp(s, "token", 5) == 0) {
            dup = have_token;
            have_token = true;
            bad = auth_unhex(v, t.token, AUTH_TOKEN_LEN) != 0;
        } else if (klen == 10 && memcmp(s, "tls-sha256", 10) == 0) {
            dup = t.have_pin;
            t.have_pin = true;
            bad = tokfile_parse_pin(v, t.pin) != 0;
        } else if (klen == 6 && memcmp(s, "server", 6) == 0) {
            dup = have_server;
            have_server = true;
            bad = !copy_value(t.server, sizeof t.server, v) || strpbrk(v, " \t") != NULL;
        } else {
            return diag_set(d, LANA_EPARSE, "line %u: unknown key '%.*s'", lineno,
                            (int)(klen > 32 ? 32 : klen), s);
        }
        if (dup)
            return diag_set(d, LANA_EPARSE, "line %u: '%.*s' given twice", lineno, (int)klen, s);
        if (bad)
            return diag_set(d, LANA_EPARSE, "line %u: bad value for '%.*s'", lineno, (int)klen, s);
    }
    if (!have_token)
        return diag_set(d, LANA_EPARSE, "no token= line (64 hex digits)");
    *out = t;
    return 0;
}

int tokfile_format(const struct tokfile *t, char *buf, size_t size)
{
    char tok[AUTH_HEX_LEN], pin[2 * TOKFILE_PIN_LEN + 1];
    auth_hex(t->token, AUTH_TOKEN_LEN, tok);
    if (t->have_pin)
        auth_hex(t->pin, TOKFILE_PIN_LEN, pin);
    int n =
        snprintf(buf, size,
                 "# lana token file: keep it secret (mode 0600)\n"
                 "%s%s%s"
                 "token=%s\n"
                 "%s%s%s"
                 "%s%s%s",
                 t->user[0] ? "user=" : "", t->user, t->user[0] ? "\n" : "", tok,
                 t->have_pin ? "tls-sha256=" : "", t->have_pin ? pin : "", t->have_pin ? "\n" : "",
                 t->server[0] ? "server=" : "", t->server, t->server[0] ? "\n" : "");
    if (n < 0 || (size_t)n >= size)
        return LANA_ENOSPACE;
    return n;
}
