/*
 * journal_int — what db/ shares about the journal (db/journal.h). The tables:
 *   journal (seq, zone_id, op, key, type, rdata, ttl): op 0 a record removed, 1 added, 2 a
 *     mark that starts a zone's history at its current state (a new database, an import);
 *   journal_version (seq, zone_id, serial, soa, ttl): seq is the zone's last journal row of
 *     a committed transaction; serial the 4 bytes of the SOA serial as stored, big-endian.
 */
#pragma once

#include "db/store_int.h"

/* Seals the journal rows written since the last seal: one version per zone, with its SOA as
 * it is now. The migration that creates the journal runs it too. NOT INDEXED: the rows are a
 * range of seq at the end of the table; by the zone index it would read the whole journal. */
#define JOURNAL_SEAL_SQL                                                                           \
    "INSERT INTO journal_version (seq, zone_id, serial, soa, ttl)"                                 \
    " SELECT t.seq, t.zone_id, substr(s.rdata, -20, 4), s.rdata, s.ttl FROM"                       \
    " (SELECT zone_id, max(seq) AS seq FROM journal NOT INDEXED"                                   \
    "  WHERE seq > (SELECT coalesce(max(seq), 0) FROM journal_version) GROUP BY zone_id) t"       \
    " JOIN zone z ON z.id = t.zone_id"                                                             \
    " JOIN rr s ON s.zone_id = t.zone_id AND s.key = z.apex AND s.type = 6"

/**
 * Seals what the open transaction wrote into the journal and drops the versions beyond the
 * bound of the zones it touched. Called by store.c right before a transaction commits; a
 * failure (LANA_EDB, LANA_ENOMEM with d) must keep the commit from happening.
 */
int journal__seal(struct store *st, struct lana_diag *d);

/**
 * A zone file import replaces zone whole: journal__stop drops the zone's versions and rows and
 * stops recording its changes; journal__start, once the zone holds its new records, starts
 * recording again from a mark, which the commit seals into the zone's first version.
 * 0 or LANA_EDB with d.
 */
int journal__stop(struct store *st, int64_t zone, struct lana_diag *d);
int journal__start(struct store *st, int64_t zone, struct lana_diag *d);
