/*
 * srvconf — see srvconf.h.
 */
#include "server/srvconf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/net.h"
#include "common/serial.h"
#include "db/notifydb.h"
#include "db/tsigkey.h"

static int check_listen(const char *val, struct lana_diag *d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    return net_parse_endpoint(val, -1, &ss, &len, d);
}

static int check_level(const char *val, struct lana_diag *d)
{
    enum log_level l;
    if (!log_level_parse(val, &l))
        return diag_set(d, LANA_EPARSE, "%.40s: log level must be err, warn, notice, info or debug",
                        val);
    return 0;
}

/* A root pool: a prefix, or SRVCONF_POOL_ULA (a ULA /48 with a random Global ID). */
static int check_pool(const char *val, struct lana_diag *d)
{
    struct cidr c;
    if (strcmp(val, SRVCONF_POOL_ULA) == 0)
        return 0;
    return cidr_parse(val, &c, d);
}

/* A TSIG key's name (notify-key): the syntax lana key add takes. */
static int check_key_name(const char *val, struct lana_diag *d)
{
    return tsigkey_name(val, NULL, NULL, d);
}

/* One or more prefixes separated by spaces (allow-transfer). */
static int check_prefixes(const char *val, struct lana_diag *d)
{
    char word[CIDR_STRLEN + 1];
    int n = 0;
    for (const char *p = val;;) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t");
        if (len == 0)
            break;
        if (len >= sizeof word)
            return diag_set(d, LANA_EPARSE, "%.60s: not a prefix", p);
        memcpy(word, p, len);
        word[len] = '\0';
        struct cidr c;
        int rc = cidr_parse(word, &c, d);
        if (rc != 0)
            return rc;
        n++;
        p += len;
    }
    return n > 0 ? 0 : diag_set(d, LANA_EPARSE, "no prefix");
}

static int check_serial_policy(const char *val, struct lana_diag *d)
{
    enum serial_policy p;
    return serial_policy_parse(val, &p, d);
}

/* A catalog zone's name (below the root), or "none". */
static int check_catalog(const char *val, struct lana_diag *d)
{
    uint8_t w[DNAME_MAXLEN];
    if (strcmp(val, "none") == 0)
        return 0;
    if (dname_from_text(val, (const uint8_t *)"", w, d) < 0)
        return LANA_EPARSE;
    return w[0] == 0 ? diag_set(d, LANA_EPARSE, "the root cannot be the catalog zone") : 0;
}

static int check_path(const char *val, struct lana_diag *d)
{
    if (*val == '\0')
        return diag_set(d, LANA_EPARSE, "empty path");
    return 0;
}

static int check_tls_mode(const char *val, struct lana_diag *d)
{
    if (strcmp(val, "loopback-optional") != 0 && strcmp(val, "required") != 0)
        return diag_set(d, LANA_EPARSE, "%.40s: must be loopback-optional or required", val);
    return 0;
}

/* A name for a certificate's subjectAltName: letters, digits, '-', '.', ':' (addresses). */
static int check_tls_name(const char *val, struct lana_diag *d)
{
    size_t n = strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:");
    if (n == 0 || val[n] != '\0' || n > 253)
        return diag_set(d, LANA_EPARSE, "%.40s: not a DNS name or an address", val);
    return 0;
}

/* One or more NOTIFY targets separated by spaces (also-notify): ADDR, ADDR:PORT, [V6]:PORT. */
static int check_notify_targets(const char *val, struct lana_diag *d)
{
    return notifydb_parse_list(val, NULL, NULL, d);
}

#define K(field) offsetof(struct srvconf, field)
const struct conf_key srvconf_keys[] = {
    {"db", CONF_STR, 0, 0, K(db), NULL, check_path,
     "database file (default $STATE_DIRECTORY/lana.db, else /var/lib/lana/lana.db)"},
    {"listen-dns", CONF_LIST, 0, 0, K(listen_dns), "127.0.0.1:5300 [::1]:5300", check_listen,
     "DNS endpoint ADDR:PORT served over UDP and TCP; repeat the key for more"},
    {"workers", CONF_UINT, 1, 64, K(workers), "2", NULL,
     "worker threads, each with its own sockets (SO_REUSEPORT) and database connection"},
    {"log-level", CONF_STR, 0, 0, K(log_level), "notice", check_level,
     "err, warn, notice, info or debug"},
    {"tcp-idle-timeout", CONF_UINT, 1, 3600, K(tcp_idle_timeout), "10", NULL,
     "seconds a DNS TCP connection may stay idle (RFC 7766 section 6.2.3)"},
    {"tcp-max-connections", CONF_UINT, 1, 1000000, K(tcp_max_connections), "1024", NULL,
     "open DNS TCP connections in all; the longest idle is closed to make room"},
    {"tcp-max-buffer", CONF_UINT, 4096, 16777216, K(tcp_max_buffer), "262144", NULL,
     "bytes of unsent answers per TCP connection before its reading pauses"},
    {"answer-cache-mib", CONF_UINT, 0, 16384, K(answer_cache), "32", NULL,
     "MiB of responses cached, shared out among the workers (0 = none); a commit drops the "
     "answers it changes"},
    {"listen-registry", CONF_LIST, 0, 0, K(listen_registry), "127.0.0.1:5301 [::1]:5301",
     check_listen, "registry protocol endpoint ADDR:PORT (TCP); repeat the key for more"},
    {"token-file", CONF_STR, 0, 0, K(token_file), NULL, check_path,
     "where the admin token is written on first start (default: admin.token beside the db)"},
    {"pool", CONF_LIST, 0, 0, K(pool), "198.18.0.0/15 " SRVCONF_POOL_ULA, check_pool,
     "root pool created when the registry has none yet (ula: a ULA /48 with a random Global "
     "ID, RFC 4193); repeat the key for more"},
    {"registry-idle-timeout", CONF_UINT, 1, 86400, K(registry_idle_timeout), "60", NULL,
     "seconds a registry connection may stay idle"},
    {"registry-max-connections", CONF_UINT, 1, 100000, K(registry_max_connections), "256", NULL,
     "open registry connections; more are refused with a 'busy' reply"},
    {"registry-handshake-timeout", CONF_UINT, 1, 3600, K(registry_handshake_timeout), "10", NULL,
     "seconds from connecting to READY; trickling bytes do not extend it"},
    {"registry-handshake-share", CONF_UINT, 1, 100, K(registry_handshake_share), "50", NULL,
     "percent of registry-max-connections that connections in the handshake may hold"},
    {"registry-max-per-address", CONF_UINT, 1, 100000, K(registry_max_per_address), "64", NULL,
     "open registry connections per client IPv4 address or IPv6 /64"},
    {"registry-auth-failures", CONF_UINT, 0, 1000000, K(registry_auth_failures), "10", NULL,
     "failed authentications per client address per window, then refused (0 = no limit)"},
    {"registry-auth-window", CONF_UINT, 1, 86400, K(registry_auth_window), "60", NULL,
     "seconds from an address's first failed authentication over which they are counted"},
    {"registry-anon-read-rate", CONF_UINT, 0, 1000000, K(registry_anon_read_rate), "100", NULL,
     "reads per second per client address without a token (0 = no limit)"},
    {"registry-anon-reply-max", CONF_UINT, 0, 1073741824, K(registry_anon_reply_max), "1048576",
     NULL, "bytes of one reply to a client without a token (0 = no limit)"},
    {"registry-tls", CONF_STR, 0, 0, K(registry_tls), "loopback-optional", check_tls_mode,
     "TLS on registry connections: loopback-optional (required off loopback) or required"},
    {"registry-tls-cert", CONF_STR, 0, 0, K(registry_tls_cert), NULL, check_path,
     "registry TLS certificate, PEM (default: registry.crt beside the db, made at first start)"},
    {"registry-tls-key", CONF_STR, 0, 0, K(registry_tls_key), NULL, check_path,
     "its private key, PEM, mode 0600 (default: registry.key beside the db)"},
    {"registry-tls-name", CONF_LIST, 0, 0, K(registry_tls_name), NULL, check_tls_name,
     "a DNS name or address the generated certificate also names; repeat the key for more"},
    {"serial-policy", CONF_STR, 0, 0, K(serial_policy), "date", check_serial_policy,
     "SOA serials: date (YYYYMMDDnn, counting on after nn = 99), increment or unixtime"},
    {"allow-transfer", CONF_LIST, 0, 0, K(allow_transfer), NULL, check_prefixes,
     "prefixes (space-separated) whose clients may transfer every zone, AXFR and IXFR "
     "(default: nobody); repeat the key for more"},
    {"journal-serials", CONF_UINT, 1, 1000000, K(journal_serials), "1000", NULL,
     "versions of each zone kept for IXFR; a client on an older serial gets the whole zone"},
    {"transfer-cache", CONF_UINT, 0, 65536, K(transfer_cache), "64", NULL,
     "MiB of whole-zone transfers kept in memory for the next transfer of the same version "
     "and to build the next version's from, each zone's built at start when transfers are "
     "allowed (0 = none)"},
    {"notify-key", CONF_STR, 0, 0, K(notify_key), NULL, check_key_name,
     "the TSIG key (lana key add) that signs every NOTIFY (default: unsigned)"},
    {"also-notify", CONF_LIST, 0, 0, K(also_notify), NULL, check_notify_targets,
     "secondaries (ADDR[:PORT], IPv6 as [ADDR]:PORT, port 53 by default; space-separated) sent "
     "a NOTIFY after every change of any zone (default: none); repeat the key for more"},
    {"catalog-zone", CONF_STR, 0, 0, K(catalog_zone), "catalog.lana.invalid.", check_catalog,
     "name of the catalog zone (RFC 9432) listing every zone, for Knot and BIND secondaries; "
     "none: no catalog"},
    {"listen-http", CONF_LIST, 0, 0, K(listen_http), "127.0.0.1:8053 [::1]:8053", check_listen,
     "HTTP endpoint ADDR:PORT: RDAP under /rdap/, the live web view at /; repeat the key for "
     "more"},
    {"http-threads", CONF_UINT, 1, 64, K(http_threads), "2", NULL,
     "threads answering each HTTP endpoint, each with its own database connection"},
    {"http-max-connections", CONF_UINT, 1, 100000, K(http_max_connections), "1024", NULL,
     "open HTTP connections in all; more wait in the kernel's queue"},
    {"http-max-per-address", CONF_UINT, 1, 100000, K(http_max_per_address), "256", NULL,
     "open HTTP connections from one client address (a live feed counts as one)"},
    {"http-feeds-per-address", CONF_UINT, 1, 64, K(http_feeds_per_address), "8", NULL,
     "live feeds (the web view's) from one client address; a newer one ends the oldest"},
    {"http-idle-timeout", CONF_UINT, 1, 3600, K(http_idle_timeout), "30", NULL,
     "seconds an HTTP connection may stay idle between requests"},
    {"listen-whois", CONF_LIST, 0, 0, K(listen_whois), "127.0.0.1:4343 [::1]:4343", check_listen,
     "whois endpoint ADDR:PORT (RFC 3912, TCP; port 43 in a lab); repeat the key for more"},
    {"whois-max-connections", CONF_UINT, 1, 100000, K(whois_max_connections), "256", NULL,
     "open whois connections; a new one pushes out the oldest that has not sent its query"},
    {"whois-max-per-address", CONF_UINT, 1, 100000, K(whois_max_per_address), "64", NULL,
     "open whois connections per client IPv4 address or IPv6 /64"},
    {"whois-timeout", CONF_UINT, 1, 3600, K(whois_timeout), "5", NULL,
     "seconds a whois connection may take from connecting to the end of its answer"},
    {"whois-rate", CONF_UINT, 0, 1000000, K(whois_rate), "100", NULL,
     "whois queries per second per client address, beyond which they are refused (0 = no "
     "limit)"},
};
#undef K
const size_t srvconf_nkeys = sizeof srvconf_keys / sizeof srvconf_keys[0];

int srvconf_defaults(struct srvconf *c)
{
    memset(c, 0, sizeof *c);
    int rc = conf_defaults(srvconf_keys, srvconf_nkeys, c);
    if (rc != 0)
        return rc;
    const char *state = getenv("STATE_DIRECTORY");
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/lana.db",
                     state && *state ? state : "/var/lib/lana");
    if (n < 0 || (size_t)n >= sizeof path)
        return LANA_ERANGE;
    return (c->db = strdup(path)) ? 0 : LANA_ENOMEM;
}

char *srvconf_beside_db(const struct srvconf *c, const char *path, const char *name)
{
    if (path != NULL)
        return strdup(path);
    const char *slash = strrchr(c->db, '/');
    size_t dirlen = slash ? (size_t)(slash - c->db) + 1 : 0, nlen = strlen(name) + 1;
    char *p = malloc(dirlen + nlen);
    if (p != NULL) {
        memcpy(p, c->db, dirlen);
        memcpy(p + dirlen, name, nlen);
    }
    return p;
}

char *srvconf_token_path(const struct srvconf *c)
{
    return srvconf_beside_db(c, c->token_file, "admin.token");
}

void srvconf_print(const struct srvconf *c, FILE *out)
{
    for (size_t i = 0; i < srvconf_nkeys; i++) {
        const struct conf_key *k = &srvconf_keys[i];
        const char *field = (const char *)c + k->offset;
        switch (k->type) {
        case CONF_STR: {
            const char *v = *(char *const *)(const void *)field;
            if (v != NULL)
                fprintf(out, "%s = %s\n", k->name, v);
            else
                fprintf(out, "# %s: not set (default applies)\n", k->name);
            break;
        }
        case CONF_UINT:
            fprintf(out, "%s = %llu\n", k->name,
                    (unsigned long long)*(const uint64_t *)(const void *)field);
            break;
        case CONF_LIST: {
            const struct conf_list *l = (const struct conf_list *)(const void *)field;
            if (l->n == 0)
                fprintf(out, "# %s: not set (%s)\n", k->name,
                        k->def != NULL ? "default applies" : "none");
            for (unsigned j = 0; j < l->n; j++)
                fprintf(out, "%s = %s\n", k->name, l->v[j]);
            break;
        }
        }
    }
}

void srvconf_fini(struct srvconf *c)
{
    conf_fini(srvconf_keys, srvconf_nkeys, c);
}
