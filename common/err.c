/*
 * err — code-to-text table and the diagnostic writer. No allocation, no I/O.
 */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *lana_strerror(int code)
{
    switch (code) {
    case LANA_OK: return "success";
    case LANA_EPARSE: return "malformed input";
    case LANA_ERANGE: return "value out of range";
    case LANA_ENOSPACE: return "buffer too small";
    case LANA_EEXHAUSTED: return "no free space left";
    case LANA_ECONFLICT: return "conflicts with existing data";
    case LANA_ENOTFOUND: return "not found";
    case LANA_EPERM: return "permission denied";
    case LANA_EDB: return "database error";
    case LANA_ENOMEM: return "out of memory";
    case LANA_EUNSUPP: return "not supported";
    case LANA_EIO: return "input/output error";
    case LANA_EFULL: return "disk full";
    default: break;
    }
    if (code < 0 && code > -1000)
        return strerror(-code);
    return "unknown error";
}

int diag_set(struct lana_diag *d, int code, const char *fmt, ...)
{
    if (d == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        d->msg[0] = '\0';
    else if ((size_t)n >= sizeof d->msg)
        memcpy(d->msg + sizeof d->msg - 4, "...", 4);
    return code;
}
