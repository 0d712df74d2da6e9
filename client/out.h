/*
 * out — where lana's results become what the shell sees: the exit statuses (sysexits.h
 * values) and the two tables that choose one, for the client's own failures (LANA_E* and
 * -errno codes) and for the error codes of registry replies. Nothing below the command layer
 * returns an exit status; it returns a code, and the command maps it here, once.
 */
#pragma once

/* lana's exit statuses (sysexits.h values), one per class of failure */
enum {
    LANA_EXIT_OK = 0,
    LANA_EXIT_USAGE = 64,     /* bad command line, unknown command */
    LANA_EXIT_INVALID = 65,   /* a malformed prefix, address, name or value */
    LANA_EXIT_NOT_FOUND = 66, /* no such block, pool, file */
    LANA_EXIT_NO_HOST = 68,   /* the server's name does not resolve */
    LANA_EXIT_CONNECT = 69,   /* cannot connect to the server */
    LANA_EXIT_SERVER = 70,    /* the server failed */
    LANA_EXIT_CONFLICT = 73,  /* overlaps, exists, in use, no free space left */
    LANA_EXIT_TEMP = 75,      /* timeout, server busy, its disk full: trying again may work */
    LANA_EXIT_PROTOCOL = 76,  /* a bad reply or a failed handshake */
    LANA_EXIT_PERM = 77,      /* needs a valid token */
    LANA_EXIT_CONFIG = 78,    /* bad configuration file or token file */
};

/**
 * The exit status for a failure to reach or talk to the registry (what regclient_* return):
 * 0 → OK; LANA_EPARSE (a bad --server) → USAGE; LANA_ENOTFOUND (the server's name does not
 * resolve) → NO_HOST; -ETIMEDOUT, -EAGAIN → TEMP; LANA_ENOMEM → SERVER; -EPROTO (a broken
 * handshake or reply framing) → PROTOCOL; LANA_EPERM (token refused) → PERM; LANA_EIO and any
 * other code → CONNECT. Pure; thread-safe.
 */
int out_exit_of(int err);

/** The exit status for a reply's error code name ("not_found", ...); PROTOCOL when unknown. */
int out_exit_of_reply(const char *code);
