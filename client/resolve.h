/*
 * resolve — name resolution through c-ares, the only module of lana that uses it. Addresses
 * come from ares_getaddrinfo (A and AAAA asked in parallel, /etc/hosts honoured), against the
 * system's resolvers or given servers, over UDP or TCP, with short timeouts (c-ares 1.18's
 * defaults would wait 75 s for a silent server).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

#define RESOLVE_MAX_ADDRS 32
#define RESOLVE_MAX_RRS 64 /* answer records kept by resolve_query */

struct resolve_opts {
    const char *servers; /* "ADDR[:PORT],..." or NULL for resolv.conf */
    bool tcp;            /* ARES_FLAG_USEVC */
    int family;          /* AF_UNSPEC, AF_INET or AF_INET6 */
    int timeout_ms;      /* per try (default 1000) */
    int tries;           /* default 2 */
};

enum resolve_status {
    RESOLVE_OK = 0,
    RESOLVE_NXDOMAIN,  /* the name does not exist */
    RESOLVE_NODATA,    /* it exists, without addresses of that family */
    RESOLVE_TIMEOUT,   /* no answer in time */
    RESOLVE_REFUSED,   /* the server refused or failed (c-ares: "could not contact") */
    RESOLVE_ERROR,     /* anything else: bad name, bad server list, out of memory */
};

/** Where resolve_host found the addresses. */
enum resolve_source {
    RESOLVE_SRC_DNS,       /* c-ares asked DNS servers (resolve_result.asked says which) */
    RESOLVE_SRC_LITERAL,   /* the host was an address: nothing was looked up */
    RESOLVE_SRC_HOSTS,     /* the hosts file (/etc/hosts), no DNS query */
    RESOLVE_SRC_LOCALHOST, /* "localhost" not in the hosts file: c-ares' own loopback
                            * addresses (RFC 6761 §6.3), no DNS query */
};

#define RESOLVE_ASKED_LEN 128

struct resolve_result {
    struct sockaddr_storage addr[RESOLVE_MAX_ADDRS];
    socklen_t len[RESOLVE_MAX_ADDRS];
    uint32_t ttl[RESOLVE_MAX_ADDRS];
    int n;
    char canonical[256]; /* the name after CNAMEs, when c-ares reports one */
    double ms;           /* time taken */
    enum resolve_source source;
    char asked[RESOLVE_ASKED_LEN]; /* the channel's servers, "ADDR:PORT, ..." ("" literal) */
};

/** The fields of an SRV record (RFC 2782), as c-ares' parser read them. */
struct resolve_srv {
    uint16_t priority, weight, port;
    char target[256]; /* with its final dot: "h1.lab.", or "." for "no such service" */
};

/** One answer record, as text; an SRV record also in fields. */
struct resolve_rr {
    char owner[256];
    uint16_t type;
    uint32_t ttl;
    char data[1024];
    bool has_srv;          /* srv is set (type SRV, and c-ares could read it) */
    struct resolve_srv srv;
};

/** What resolve_query fills in; about 84 KiB, so callers usually allocate it. */
struct resolve_answer {
    struct resolve_rr rr[RESOLVE_MAX_RRS];
    int n;
    char server[64]; /* the server asked ("system" when from resolv.conf) */
    char asked[RESOLVE_ASKED_LEN]; /* the channel's servers, "ADDR:PORT, ..." */
    double ms;
};

/**
 * Asks one query (ares_query) and returns its answer section in *out (caller-owned; emptied
 * first, filled as far as the answer went even when the status is not RESOLVE_OK): A, AAAA,
 * PTR, SRV and TXT data read with c-ares' own parsers, other types (CNAMEs of a chain, ANY)
 * with lana's codec. Returns RESOLVE_OK, or another status with the reason in d (which names
 * the servers asked, as resolve_host's does). Blocks for up
 * to timeout_ms x tries per server. Not thread-safe (c-ares' library initialisation).
 */
enum resolve_status resolve_query(const char *name, uint16_t type, const struct resolve_opts *o,
                                  struct resolve_answer *out, struct lana_diag *d);

/**
 * Resolves host to addresses with port set (host order in, filled into each sockaddr) in *out
 * (caller-owned, emptied first). A numeric address is returned at once without any query. The
 * addresses come back with the families interleaved, IPv6 first (RFC 8305 section 4).
 * out->source says where they came from: DNS only when c-ares opened a socket to a server
 * (its socket-state callback is the witness), else the hosts file, or c-ares' localhost.
 * Returns RESOLVE_OK (at least one address), or another status with the reason in d, which
 * ends in "from ADDR:PORT[, ...]" (the servers asked) for NXDOMAIN, NODATA, timeouts and
 * refusals. Blocks like resolve_query; not thread-safe.
 */
enum resolve_status resolve_host(const char *host, uint16_t port, const struct resolve_opts *o,
                                 struct resolve_result *out, struct lana_diag *d);
