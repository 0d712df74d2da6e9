/*
 * journal — what changed in each zone, serial by serial, for incremental zone transfers
 * (IXFR, RFC 1995).
 *
 * Triggers on the rr table write every record added to or removed from a zone into the
 * journal as it happens (an UPDATE is a removal and an addition), so no writer of db/ can
 * forget it. At every commit the rows of that transaction are sealed: each zone they touched
 * gets one version, the zone's SOA as it is at the commit, whose serial names the state that
 * the rows up to it produce. A transaction that changes a zone several times, or bumps its
 * serial several times, is one version: only committed states are ever served, so only they
 * are named. The difference between a version and the newest is the journal rows after it,
 * condensed (db/zonexfr.h): a record added then removed cancels out.
 *
 * The journal is bounded per zone (journal_serials_set): when a zone has more versions, the
 * oldest are dropped with their rows at a later commit, in steps: a bound below 16 is kept
 * exactly, a larger one exceeded by fewer than an eighth of it and at most 31 versions. A zone file import
 * replaces a zone whole: the zone's journal restarts at the imported version, and clients on
 * an older serial get the whole zone (AXFR), as they do when their serial is unknown.
 */
#pragma once

#define JOURNAL_SERIALS_DEFAULT 1000

/**
 * How many versions of each zone the journal keeps (at least 1). Like zone_serial_policy_set,
 * call it once before any thread starts.
 */
void journal_serials_set(unsigned n);
