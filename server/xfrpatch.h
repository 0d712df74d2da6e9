/*
 * xfrpatch — the whole-zone transfer of a new version of a zone, built from the transfer
 * cache's messages of an earlier version (server/xfrcache.h) and the journal between the two
 * (db/journal.h), instead of from every record of the zone.
 *
 * Each cached message holds a contiguous run of the zone's order, from the position it starts
 * at to where the next one starts, compressed on its own. The owners the journal names as
 * changed since the earlier version mark the messages whose run holds them; the first message
 * (the new SOA opens it) and the last (the SOA closes it) are always marked. Each stretch of
 * marked messages is read again from the database, as a range of the zone's order, in the
 * snapshot of the transfer, and encoded anew (into as many messages as its records need: a
 * grown message splits); every other message is copied as it is. The result is the same
 * records a whole build sends, cut into messages at other places maybe.
 *
 * It gives up (the caller builds the whole zone) when the earlier version's messages carry
 * no positions, when the journal does not cover the step, when more than a quarter of the
 * messages would be encoded anew, or when the messages have got too fragmented.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xfrcache;
struct xfrcache_msgs;
struct zonexfr;

/** What a build did, for the log. */
struct xfrpatch_info {
    int64_t from_version;   /* the version built from */
    size_t messages;        /* messages of the new version */
    size_t encoded;         /* of them, encoded anew */
    char why[96];           /* when it gave up: why */
    bool failed;            /* the cursor could not be put back: the transfer must end */
};

/**
 * The messages of the version the whole-zone cursor x holds (opened, not read yet; left
 * anywhere after a build, at its first record when NULL is returned), built from prev, an earlier version of the same zone, published in c
 * and returned with a reference for the caller (xfrcache_release). Messages end at msg_max
 * bytes as a whole build's do (server/xfr.c). NULL when it cannot, why in info->why, or on a
 * database error (logged).
 */
struct xfrcache_msgs *xfrpatch_build(struct xfrcache *c, struct xfrcache_msgs *prev,
                                     struct zonexfr *x, size_t msg_max,
                                     struct xfrpatch_info *info);
