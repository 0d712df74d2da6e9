/*
 * rbuf — a bounded read cursor over bytes, with a sticky error.
 *
 * Every read checks what is left; after the first failure `err` stays set and every further
 * read is a no-op yielding zero, so a parser can read a whole header and test `err` once.
 * Multi-byte integers are big-endian (network order). Invariant: pos <= len.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rbuf {
    const uint8_t *data;
    size_t len;
    size_t pos;
    bool err;
};

static inline void rbuf_init(struct rbuf *rb, const void *data, size_t len)
{
    rb->data = data;
    rb->len = len;
    rb->pos = 0;
    rb->err = false;
}

static inline size_t rbuf_left(const struct rbuf *rb)
{
    return rb->err ? 0 : rb->len - rb->pos;
}

/** True when n more bytes can be read; sets the sticky error otherwise. */
static inline bool rbuf_need(struct rbuf *rb, size_t n)
{
    if (rb->err || rb->len - rb->pos < n) {
        rb->err = true;
        return false;
    }
    return true;
}

static inline uint8_t rbuf_u8(struct rbuf *rb)
{
    if (!rbuf_need(rb, 1))
        return 0;
    return rb->data[rb->pos++];
}

static inline uint16_t rbuf_u16(struct rbuf *rb)
{
    if (!rbuf_need(rb, 2))
        return 0;
    uint16_t v = (uint16_t)(rb->data[rb->pos] << 8 | rb->data[rb->pos + 1]);
    rb->pos += 2;
    return v;
}

static inline uint32_t rbuf_u32(struct rbuf *rb)
{
    if (!rbuf_need(rb, 4))
        return 0;
    const uint8_t *p = rb->data + rb->pos;
    rb->pos += 4;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/** Copies n bytes into out (zero-filled on failure). */
static inline void rbuf_copy(struct rbuf *rb, void *out, size_t n)
{
    if (!rbuf_need(rb, n)) {
        memset(out, 0, n);
        return;
    }
    memcpy(out, rb->data + rb->pos, n);
    rb->pos += n;
}

static inline void rbuf_skip(struct rbuf *rb, size_t n)
{
    if (rbuf_need(rb, n))
        rb->pos += n;
}

/** Pointer to the next byte; valid to read only after a successful rbuf_need(). */
static inline const uint8_t *rbuf_cur(const struct rbuf *rb)
{
    return rb->data + rb->pos;
}
