/*
 * rpsl — the port-43 whois service's queries and answers (RFC 3912), kept apart from sockets:
 * one query line in, one complete text answer out, read through the registration data layer
 * (db/regdata.h) that `lana whois` and RDAP read too. Objects are printed in RPSL as the RIPE
 * Database prints them ("attribute:" padded to 16 columns, "%" comment lines, objects
 * separated by blank lines, "%ERROR:NNN: text" for a query that cannot be answered).
 *
 * The query is the search key with RIPE's flags before or after it:
 *   -L  all less specific (the chain from the root pool) and the exact block
 *   -l  one level less specific, without the exact block
 *   -m  one level more specific          -M  all more specific (bounded)
 *   -x  the exact block only             -r, -B, -G, -V VERSION  accepted, no effect
 *   -T TYPE[,TYPE]  inetnum, inet6num, domain, mntner only
 *   -i mnt-by NAME  every block and zone the account NAME maintains
 * A key is an address, a prefix, a range "first - last" that is a prefix, a domain name
 * (zone, host, or reverse name under in-addr.arpa / ip6.arpa), an account name (a mntner
 * object) or a holder text (its blocks).
 *
 * lana's block statuses in RIPE's words:
 *   pool                               ALLOCATED UNSPECIFIED   inet6num: ALLOCATED-BY-RIR
 *   allocated from a pool (registrar)  ALLOCATED PA            inet6num: ALLOCATED-BY-RIR
 *   allocated inside an allocation     SUB-ALLOCATED PA        inet6num: ALLOCATED-BY-LIR
 *   assigned                           ASSIGNED PA             inet6num: ASSIGNED
 *   reserved                           NOT-SET (remarks say reserved), both families
 * Thread-safe as far as rd is (one per thread).
 */
#pragma once

#include <stddef.h>

#include "common/wbuf.h"
#include "db/regdata.h"

#define RPSL_LINE_MAX 1024    /* bytes of one query line, its line end not counted */
#define RPSL_OBJECTS_MAX 1000 /* objects in one answer; then a comment says it was cut */

/* RIPE's error numbers, the ones lana uses */
enum rpsl_error {
    RPSL_ERR_INTERNAL = 100,    /* internal software error */
    RPSL_ERR_NOT_FOUND = 101,   /* no entries found */
    RPSL_ERR_TYPE = 103,        /* unknown object type */
    RPSL_ERR_NO_KEY = 106,      /* no search key specified */
    RPSL_ERR_TOO_LONG = 107,    /* input line too long */
    RPSL_ERR_BAD_CHAR = 108,    /* bad character in input */
    RPSL_ERR_COMBINATION = 109, /* invalid combination of flags passed */
    RPSL_ERR_OPTION = 111,      /* invalid option supplied */
    RPSL_ERR_KEY = 115,         /* invalid search key */
    RPSL_ERR_DENIED = 201,      /* access denied (over the query rate) */
    RPSL_ERR_CONNECTIONS = 208, /* too many connections */
};

/** lana's status of b in RIPE's words for its family (static text; see the table above). */
const char *rpsl_status(const struct regdata_block *b);

#define RPSL_NETNAME_MAX 81
/** RPSL's netname (RDAP's name too): the holder in capitals, every run of other characters
 * one '-' (at most 80 characters); "LANA-<STATUS>" for a block without a holder. */
void rpsl_netname(const struct ipam_block *b, char out[RPSL_NETNAME_MAX]);

/**
 * The complete answer to one query line (len bytes, its line end taken off; any bytes) read
 * from rd: the header, the objects or an error, and the footer, appended to out. When out
 * cannot hold every object the answer ends after the last whole one with a comment saying
 * so; a buffer too small for even the header and an error leaves out overflowed.
 */
void rpsl_answer(struct regdata *rd, const char *line, size_t len, struct wbuf *out);

/** A complete answer that is only "%ERROR:code: text" (printf-style), header and footer. */
void rpsl_error(struct wbuf *out, enum rpsl_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A complete answer that is only the comment "% text" (printf-style), header and footer: a
 * connection closed without a query (idle, or pushed out to make room). */
void rpsl_comment(struct wbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
