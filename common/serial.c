/*
 * serial — see serial.h.
 */
#include "common/serial.h"

#include <string.h>

static const char *const policy_names[] = {
    [SERIAL_DATE] = "date",
    [SERIAL_INCREMENT] = "increment",
    [SERIAL_UNIXTIME] = "unixtime",
};

int serial_policy_parse(const char *s, enum serial_policy *out, struct lana_diag *d)
{
    for (size_t i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++)
        if (strcmp(s, policy_names[i]) == 0) {
            *out = (enum serial_policy)i;
            return 0;
        }
    return diag_set(d, LANA_EPARSE, "%.40s: serial policy must be date, increment or unixtime", s);
}

const char *serial_policy_name(enum serial_policy p)
{
    return (unsigned)p < sizeof policy_names / sizeof policy_names[0] ? policy_names[p] : "?";
}

/* RFC 1982 §3.2: a < b when (a < b and b - a < 2^31) or (a > b and a - b > 2^31); in 32-bit
 * unsigned arithmetic both cases are "b - a, wrapped, lies in 1 .. 2^31 - 1". */
bool serial_lt(uint32_t a, uint32_t b)
{
    uint32_t diff = b - a;
    return diff != 0 && diff < UINT32_C(0x80000000);
}

uint32_t serial_date00(time_t now)
{
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL)
        return 0;
    return (uint32_t)(tm.tm_year + 1900) * 1000000u + (uint32_t)(tm.tm_mon + 1) * 10000u +
           (uint32_t)tm.tm_mday * 100u;
}

uint32_t serial_initial(enum serial_policy p, time_t now)
{
    switch (p) {
    case SERIAL_INCREMENT: return 1;
    case SERIAL_UNIXTIME: return (uint32_t)now;
    case SERIAL_DATE:
    default: return serial_date00(now);
    }
}

uint32_t serial_next(enum serial_policy p, uint32_t old, time_t now, enum serial_form *form)
{
    uint32_t next = old + 1; /* wraps to 0 after 4294967295, as RFC 1982 allows */
    enum serial_form f = SERIAL_FORM_COUNT;
    if (p == SERIAL_UNIXTIME && serial_lt(old, (uint32_t)now)) {
        next = (uint32_t)now;
        f = SERIAL_FORM_CLOCK;
    } else if (p == SERIAL_DATE) {
        uint32_t today = serial_date00(now);
        if (serial_lt(old, today)) {
            next = today; /* a new day (or a serial from before the date form): its 00 */
            f = SERIAL_FORM_DATE;
        } else if (next - today <= 99) {
            f = SERIAL_FORM_DATE; /* still inside today's 00..99 */
        } else if (old - today == 99) {
            f = SERIAL_SWITCHED; /* the 101st change of the day: counting from here */
        }
    }
    if (form != NULL)
        *form = f;
    return next;
}
