/*
 * wbuf — the text half of the bounded writer (the binary half is inline in wbuf.h).
 */
#include "common/wbuf.h"

#include <stdio.h>

void wbuf_printf(struct wbuf *wb, const char *fmt, ...)
{
    if (wb->overflow)
        return;
    size_t room = wb->cap - wb->pos;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)wb->data + wb->pos, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        wb->overflow = true;
        return;
    }
    wb->pos += (size_t)n;
}

void wbuf_puts(struct wbuf *wb, const char *s)
{
    wbuf_put(wb, s, strlen(s));
}

bool wbuf_cstr(struct wbuf *wb)
{
    if (!wbuf_room(wb, 1))
        return false;
    wb->data[wb->pos] = '\0';
    return true;
}
