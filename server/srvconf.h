/*
 * srvconf — lanad's configuration: one table of keys (conf/lanad.conf documents each), the
 * embedded defaults, and loading from file and flags. A loaded config is not changed again.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "common/conf.h"

#define SRVCONF_DEFAULT_PATH "/etc/lana/lanad.conf"
/* The pool value that stands for a ULA /48 whose 40-bit Global ID lanad draws at random when
 * it creates the pool (RFC 4193 section 3.2); the pool is kept in the database, so the same
 * prefix stays on every later start (a registry left with no pool at all draws again). */
#define SRVCONF_POOL_ULA "ula"

struct srvconf {
    char *db;                    /* database file */
    struct conf_list listen_dns; /* ADDR:PORT, UDP and TCP each */
    uint64_t workers;
    char *log_level;
    uint64_t tcp_idle_timeout;   /* seconds */
    uint64_t tcp_max_connections; /* in all, split among the workers */
    uint64_t tcp_max_buffer;     /* bytes of pending output per connection */
    uint64_t answer_cache;       /* MiB of answers for all workers; 0 disables the cache */
    struct conf_list listen_registry; /* ADDR:PORT of the registry protocol (TCP) */
    char *token_file;            /* the admin token, written once on first start */
    struct conf_list pool;       /* root pools of an empty registry: prefixes or "ula" */
    uint64_t registry_idle_timeout;    /* seconds */
    uint64_t registry_max_connections;
    uint64_t registry_handshake_timeout; /* seconds from accept to READY */
    uint64_t registry_handshake_share;   /* percent of the cap clients in the handshake may hold */
    uint64_t registry_max_per_address;   /* open connections per IPv4 address or IPv6 /64 */
    uint64_t registry_auth_failures;     /* failed authentications per address per window */
    uint64_t registry_auth_window;       /* seconds: that window, from the first failure */
    uint64_t registry_anon_read_rate;    /* unauthenticated reads per second per address */
    uint64_t registry_anon_reply_max;    /* bytes of one unauthenticated reply */
    char *registry_tls;               /* "loopback-optional" or "required" */
    char *registry_tls_cert;          /* PEM certificate (chain); default beside the db */
    char *registry_tls_key;           /* PEM private key, mode 0600 */
    struct conf_list registry_tls_name; /* more names for the generated certificate */
    char *serial_policy;                /* "date", "increment" or "unixtime" (common/serial.h) */
    struct conf_list allow_transfer;    /* prefixes whose clients may transfer zones */
    uint64_t journal_serials;           /* versions of each zone kept for IXFR (db/journal.h) */
    uint64_t transfer_cache;            /* MiB of whole-zone transfers kept (server/xfrcache.h) */
    struct conf_list also_notify;       /* NOTIFY targets of every zone: ADDR[:PORT] ... */
    char *notify_key;                   /* the TSIG key that signs NOTIFYs, or NULL */
    char *catalog_zone;                 /* the catalog zone's name (RFC 9432), or "none" */
    struct conf_list listen_http;       /* ADDR:PORT of the HTTP endpoint (RDAP, web view) */
    uint64_t http_threads;              /* threads of each HTTP endpoint */
    uint64_t http_max_connections;      /* open HTTP connections in all */
    uint64_t http_max_per_address;      /* and from one client address */
    uint64_t http_feeds_per_address;    /* live feeds from one client address */
    uint64_t http_idle_timeout;         /* seconds */
    struct conf_list listen_whois;      /* ADDR:PORT of the port-43 whois service (TCP) */
    uint64_t whois_max_connections;     /* open whois connections in all */
    uint64_t whois_max_per_address;     /* of those, per client IPv4 address or IPv6 /64 */
    uint64_t whois_timeout;             /* seconds from accept to the end of the answer */
    uint64_t whois_rate;                /* queries per second per client address; 0: no limit */
};

extern const struct conf_key srvconf_keys[];
extern const size_t srvconf_nkeys;

/** Fills in the embedded defaults (the database path honours $STATE_DIRECTORY). */
int srvconf_defaults(struct srvconf *c);
/** Prints every key with its effective value, in the config file's own syntax. */
void srvconf_print(const struct srvconf *c, FILE *out);
void srvconf_fini(struct srvconf *c);
/** The admin token's file: token-file, else admin.token in the database's directory
 * (malloc'd; NULL when out of memory). */
char *srvconf_token_path(const struct srvconf *c);
/** path when it is set, else name in the database's directory (malloc'd; NULL when out of
 * memory). The TLS certificate and key use it with "registry.crt" and "registry.key". */
char *srvconf_beside_db(const struct srvconf *c, const char *path, const char *name);
