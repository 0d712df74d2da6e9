/*
 * wbuf — a bounded writer over a caller-supplied buffer, with a sticky overflow flag.
 *
 * Writers never overrun: a write that does not fit sets `overflow` and writes nothing, and all
 * later writes are no-ops. Callers check once at the end, or save `pos` and roll back with
 * wbuf_truncate() to drop a partial record (that is how DNS truncation is done).
 * Multi-byte integers are written big-endian. Invariant: pos <= cap.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wbuf {
    uint8_t *data;
    size_t cap;
    size_t pos;
    bool overflow;
};

static inline void wbuf_init(struct wbuf *wb, void *data, size_t cap)
{
    wb->data = data;
    wb->cap = cap;
    wb->pos = 0;
    wb->overflow = false;
}

static inline bool wbuf_room(struct wbuf *wb, size_t n)
{
    if (wb->overflow || wb->cap - wb->pos < n) {
        wb->overflow = true;
        return false;
    }
    return true;
}

static inline void wbuf_u8(struct wbuf *wb, uint8_t v)
{
    if (wbuf_room(wb, 1))
        wb->data[wb->pos++] = v;
}

static inline void wbuf_u16(struct wbuf *wb, uint16_t v)
{
    if (!wbuf_room(wb, 2))
        return;
    wb->data[wb->pos++] = (uint8_t)(v >> 8);
    wb->data[wb->pos++] = (uint8_t)v;
}

static inline void wbuf_u32(struct wbuf *wb, uint32_t v)
{
    if (!wbuf_room(wb, 4))
        return;
    for (int s = 24; s >= 0; s -= 8)
        wb->data[wb->pos++] = (uint8_t)(v >> s);
}

static inline void wbuf_put(struct wbuf *wb, const void *p, size_t n)
{
    if (n == 0 || !wbuf_room(wb, n))
        return;
    memcpy(wb->data + wb->pos, p, n);
    wb->pos += n;
}

/** Overwrites a 16-bit value at an earlier offset (a length or count patched afterwards). */
static inline void wbuf_set_u16(struct wbuf *wb, size_t at, uint16_t v)
{
    if (at + 2 > wb->pos)
        return;
    wb->data[at] = (uint8_t)(v >> 8);
    wb->data[at + 1] = (uint8_t)v;
}

/** Rolls back to an earlier position and clears the overflow flag. */
static inline void wbuf_truncate(struct wbuf *wb, size_t pos)
{
    if (pos <= wb->pos)
        wb->pos = pos;
    wb->overflow = false;
}

/** Appends text; the buffer is kept NUL-terminated when there is room (not counted in pos). */
void wbuf_printf(struct wbuf *wb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wbuf_puts(struct wbuf *wb, const char *s);
/** NUL-terminates the text written so far; false (and overflow set) when there is no room. */
bool wbuf_cstr(struct wbuf *wb);
