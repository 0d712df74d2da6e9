/*
 * checkcmd — "lanad check [--db PATH] [--json]": verifies the database offline (db/check.h
 * lists what) and reports, in the manner of nsd-checkzone. It only reads: it may run while
 * lanad serves the same file, and it never creates one.
 */
#pragma once

/**
 * Runs "lanad check ..." (argv starts at "check"); db_path is the database named by the
 * options before the command (--db after "check" overrides it). Prints "ok: N blocks, M
 * hosts, K zones checked", or one line per finding "CODE OBJECT: MESSAGE", on stdout; with
 * --json one JSON object instead. Returns a sysexits status: EX_OK clean, EX_DATAERR (65)
 * findings, EX_USAGE, EX_NOINPUT (no such database), EX_IOERR (it cannot be read),
 * EX_SOFTWARE (a query failed).
 */
int checkcmd_main(const char *db_path, int argc, char **argv);
