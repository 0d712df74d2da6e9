/*
 * regproto — the registry protocol's text: request lines split into words, words quoted back
 * into a line, the handshake lines, and the stable error codes of replies.
 *
 * A request is one UTF-8 line of words separated by spaces or tabs; a word holding spaces,
 * quotes or backslashes is written in double quotes with \" and \\ escapes. A reply is one
 * JSON object per line: {"ok":true,...} or {"ok":false,"error":{"code":C,"message":M}}.
 *
 * The handshake mirrors TCP's three-way handshake:
 *   C: HELLO lana/1 seq=X
 *   S: WELCOME lana/1 ack=X+1 seq=Y
 *   C: ACK ack=Y+1 [user=NAME proof=HEX]
 *   S: READY {"user":...,"role":...}     or   ERROR {...} and the connection closes
 *
 * Before the reply to a request the server may send any number of lines
 *   PROGRESS {json object}
 * which are not replies (a client that does not want them skips them): a write waiting for
 * another client's batch gets {"waiting":"batch","done":N,"of":M} at once and then every
 * second; a batch opened with --progress N gets {"running":"batch","done":N,"of":M} every N
 * commands. Members may be added; a reader ignores those it does not know.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define REGPROTO_VERSION "lana/1"
#define REGPROTO_LINE_MAX 4096 /* bytes of one line, newline included */
#define REGPROTO_ARGS_MAX 64
#define REGPROTO_PORT 5301
#define REGPROTO_PROGRESS "PROGRESS " /* the head of a line that is not a reply */

/* Stable error codes carried in replies (the "code" member). */
enum regproto_code {
    RP_OK = 0,
    RP_USAGE,      /* "usage": unknown command, wrong arguments */
    RP_INVALID,    /* "invalid": a malformed prefix, name or value */
    RP_NOT_FOUND,  /* "not_found" */
    RP_CONFLICT,   /* "conflict": overlaps, exists, still in use */
    RP_EXHAUSTED,  /* "exhausted": no free space of that size */
    RP_PERMISSION, /* "permission": needs an authenticated account */
    RP_TOO_LONG,   /* "too_long": a line over REGPROTO_LINE_MAX, or a batch too large */
    RP_HANDSHAKE,  /* "handshake": a bad or failed handshake */
    RP_INTERNAL,   /* "internal": the server failed (database, memory) */
    RP_BUSY,       /* "busy": too many connections; try again later */
    RP_FULL,       /* "full": the registry's disk is full; nothing was changed (try later) */
    RP_NCODES
};

const char *regproto_code_name(enum regproto_code c);
/** RP_NCODES when the name is unknown. */
enum regproto_code regproto_code_parse(const char *name);
/** The reply code for one of our error codes (LANA_E...). */
enum regproto_code regproto_code_of(int lana_error);

/**
 * Splits line (modified in place: quotes and escapes removed, words NUL-terminated) into at
 * most max words. A final newline is ignored. Returns the number of words, or LANA_EPARSE
 * (unterminated quote, too many words) with a message in d. What the words hold is not looked
 * at here: the registry's text door (server/cmd.h, cmd_prepare) refuses control characters
 * and invalid UTF-8 naming the field they are in.
 */
int regproto_split(char *line, char **argv, int max, struct lana_diag *d);

/**
 * Appends word to buf (of size cap, holding len bytes), quoted when needed, preceded by a
 * space unless it is the first. Returns the new length, or LANA_ENOSPACE.
 */
int regproto_append_word(char *buf, size_t cap, size_t len, const char *word);

/** Parses "name=NUMBER" into *v (decimal, 32 bits). */
bool regproto_kv_u32(const char *word, const char *name, uint32_t *v);
