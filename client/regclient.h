/*
 * regclient — lana's side of the registry protocol: resolve the server's name (c-ares),
 * connect (Happy Eyeballs), run the HELLO/WELCOME/ACK handshake with the token's proof when
 * there is a token, then exchange request lines and JSON reply lines.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "client/happy.h"
#include "common/auth.h"
#include "common/err.h"

/* lana's exit statuses (sysexits.h values), one per class of failure */
enum {
    LANA_EXIT_OK = 0,
    LANA_EXIT_USAGE = 64,      /* bad command line, unknown command */
    LANA_EXIT_INVALID = 65,    /* a malformed prefix, address, name or value */
    LANA_EXIT_NOT_FOUND = 66,  /* no such block, pool, file */
    LANA_EXIT_NO_HOST = 68,    /* the server's name does not resolve */
    LANA_EXIT_CONNECT = 69,    /* cannot connect to the server */
    LANA_EXIT_SERVER = 70,     /* the server failed */
    LANA_EXIT_CONFLICT = 73,   /* overlaps, exists, in use, no free space left */
    LANA_EXIT_TEMP = 75,       /* timeout, server busy: trying again may work */
    LANA_EXIT_PROTOCOL = 76,   /* a bad reply or a failed handshake */
    LANA_EXIT_PERM = 77,       /* needs a valid token */
    LANA_EXIT_CONFIG = 78,     /* bad configuration file or token file */
};

struct regclient_opts {
    const char *server;      /* HOST[:PORT], [v6]:PORT */
    bool have_token;
    uint8_t token[AUTH_TOKEN_LEN];
    const char *user;        /* account name (default admin) */
    int timeout_ms;          /* connect and each reply */
    FILE *trace;             /* when set, the handshake lines are printed there */
};

struct regclient {
    int fd;
    char peer[64], local[64];
    uint32_t x, y;           /* the handshake's sequence numbers */
    bool may_write;
    char role[16];
    struct happy_result hr;
    char *buf;               /* received bytes; those before off were returned already */
    size_t off, len, cap;
};

/** Connects and shakes hands. Returns 0, or a LANA_EXIT_* status with the reason in d. */
int regclient_open(struct regclient *c, const struct regclient_opts *o, struct lana_diag *d);
/** Sends one request line (a newline is added). 0 or LANA_EXIT_CONNECT. */
int regclient_send(struct regclient *c, const char *line, struct lana_diag *d);
/** Receives one line (newline removed) into *line, valid until the next call. 0 or an exit status. */
int regclient_recv(struct regclient *c, char **line, struct lana_diag *d);
void regclient_close(struct regclient *c);

/** The exit status for a reply's error code name. */
int regclient_exit_of(const char *code);
