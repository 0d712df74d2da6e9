/*
 * zonecmd — lanad's offline commands on the database: "zone import FILE [--origin NAME]",
 * "zone export NAME", "zone list". They work without a running daemon; a running lanad sees
 * an import at its next query, since its readers check the database for commits.
 */
#pragma once

/** Runs "lanad zone ..." (argv starts at "zone"); returns a sysexits status. */
int zonecmd_main(const char *db_path, int argc, char **argv);

/** Creates the default zone "lab." (SOA, NS, ns1 A/AAAA) in an empty database. */
int zonecmd_create_default(const char *db_path);
