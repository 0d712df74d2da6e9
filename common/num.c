/*
 * num — see num.h.
 */
#include "common/num.h"

#include <string.h>

int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct lana_diag *d)
{
    if (s == NULL || *s == '\0')
        return diag_set(d, LANA_EPARSE, "empty number");
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return diag_set(d, LANA_EPARSE, "%.40s: not a decimal number", s);
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return diag_set(d, LANA_ERANGE, "%.40s: number too large", s);
        v = v * 10 + digit;
    }
    if (v < min || v > max)
        return diag_set(d, LANA_ERANGE, "%.40s: must be %llu-%llu", s, (unsigned long long)min,
                        (unsigned long long)max);
    *out = v;
    return 0;
}

int num_format_u128(unsigned __int128 v, char *buf, size_t size)
{
    char tmp[40];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    if (n + 1 > size)
        return LANA_ENOSPACE;
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return (int)n;
}
