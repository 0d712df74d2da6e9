/*
 * zonecmd — lanad's offline commands on the database: "zone import FILE [--origin NAME]",
 * "zone export NAME", "zone list". They work without a running daemon; a running lanad sees
 * an import at its next query, since its readers check the database for commits.
 */
#pragma once

#include "server/srvconf.h"

/** Runs "lanad zone ..." (argv starts at "zone"); returns a sysexits status. */
int zonecmd_main(const char *db_path, int argc, char **argv);

/**
 * Sets the process's serial policy from cfg (zone_serial_policy_set of db/zone.h: call this
 * before any thread starts) and creates the default zone "lab." (SOA with the policy's first
 * serial, NS, ns1 A/AAAA) in an empty database cfg->db. 0, LANA_EPARSE (a bad policy), or the
 * error of opening the database or importing the zone (logged).
 */
int zonecmd_create_default(const struct srvconf *cfg);
