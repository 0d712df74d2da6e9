/*
 * happy — connecting to the first address that answers, after Happy Eyeballs (RFC 8305):
 * the addresses are tried in the order given (families interleaved, IPv6 first), a new
 * attempt starts every delay_ms while earlier ones are still pending (or at once when one
 * fails), the first to complete wins and the others are closed. Every attempt is recorded,
 * so that `lana connect` can show them.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

#include "client/resolve.h"
#include "common/err.h"

#define HAPPY_DELAY_MS 250 /* the Connection Attempt Delay RFC 8305 recommends */

struct happy_attempt {
    struct sockaddr_storage addr;
    socklen_t len;
    double start_ms, end_ms; /* from the first attempt's start */
    int err;                 /* 0 when it connected; an errno, or ETIMEDOUT, or ECANCELED */
    bool won;
};

struct happy_result {
    int fd;                  /* the winner, blocking mode; -1 when all failed */
    int winner;              /* its index in att */
    struct happy_attempt att[RESOLVE_MAX_ADDRS];
    int natt;
    double handshake_ms;     /* the winner's connect() to writable */
};

/**
 * Connects to one of the n addresses within timeout_ms in all. Returns 0 with out->fd set, or
 * LANA_EIO with the last error in d (every attempt is in out either way).
 */
int happy_connect(const struct sockaddr_storage *addrs, const socklen_t *lens, int n,
                  int timeout_ms, int delay_ms, struct happy_result *out, struct lana_diag *d);
