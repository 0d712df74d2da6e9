/*
 * regboot — the registry's first start (registry_bootstrap of server/registry.h): the admin
 * account and its token file, the configured root pools (a pool "ula" becomes fdXX:XXXX:XXXX::/48
 * with a Global ID drawn from auth_random, RFC 4193 section 3.2; the pool row keeps it, so it
 * is drawn once), and a reverse zone for every pool.
 * It runs before any thread starts, on a connection of its own. The token file is written
 * once, for a database without an admin account, and a file already there is refused.
 */
#include "server/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/auth.h"
#include "common/cidr.h"
#include "common/log.h"
#include "common/net.h"
#include "common/regproto.h"
#include "common/tokfile.h"
#include "db/account.h"
#include "db/catalog.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/store.h"
#include "db/zone.h"
#include "server/regtls.h"

/*
 * Writes the token file: a new file (O_EXCL: never one that exists, O_NOFOLLOW: never through
 * a symlink), mode 0600 whatever the umask, in the format of common/tokfile.h.
 */
static int write_token_file(const char *path, const struct tokfile *t, struct lana_diag *d)
{
    char text[TOKFILE_TEXT_MAX];
    int len = tokfile_format(t, text, sizeof text);
    if (len < 0)
        return diag_set(d, LANA_ENOSPACE, "the token file's text does not fit");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return diag_set(d, LANA_EIO, "cannot create %s: %s", path, strerror(errno));
    bool ok = fchmod(fd, 0600) == 0;
    ssize_t n = write(fd, text, (size_t)len);
    ok = ok && n == len && fsync(fd) == 0;
    close(fd);
    memset(text, 0, sizeof text);
    if (!ok) {
        unlink(path);
        return diag_set(d, LANA_EIO, "cannot write %s", path);
    }
    return 0;
}

/* server= for the token file: the first registry endpoint with a fixed port, a non-loopback
 * one first; a wildcard address is named by the host's name. "" when none fits. */
static void token_server(const struct srvconf *cfg, char *out, size_t size)
{
    out[0] = '\0';
    for (int pass = 0; pass < 2 && out[0] == '\0'; pass++)
        for (unsigned i = 0; i < cfg->listen_registry.n && out[0] == '\0'; i++) {
            struct sockaddr_storage ss;
            socklen_t len;
            const char *ep = cfg->listen_registry.v[i];
            if (net_parse_endpoint(ep, REGPROTO_PORT, &ss, &len, NULL) != 0 ||
                net_addr_port((struct sockaddr *)&ss) == 0 ||
                (pass == 0 && regtls_is_loopback((struct sockaddr *)&ss)))
                continue;
            bool any = strncmp(ep, "0.0.0.0", 7) == 0 || strncmp(ep, "[::]", 4) == 0;
            char host[256];
            int n;
            if (any && gethostname(host, sizeof host) == 0) {
                host[sizeof host - 1] = '\0';
                n = snprintf(out, size, "%s:%u", host, net_addr_port((struct sockaddr *)&ss));
            } else if (any) {
                continue;
            } else {
                n = snprintf(out, size, "%s", ep);
            }
            if (n < 0 || (size_t)n >= size)
                out[0] = '\0';
        }
}

static int reverse_cb(const struct ipam_block *b, void *arg)
{
    char rev[CIDR_REVLEN];
    struct lana_diag d;
    if (cidr_reverse_name(&b->prefix, rev, sizeof rev) < 0)
        return 0;
    int rc = zone_ensure(arg, rev, "lanad", &d);
    if (rc == 1)
        log_notice("reverse zone %s created for the pool", rev);
    else if (rc < 0)
        log_warn("reverse zone %s: %s", rev, d.msg);
    return 0;
}

/* The catalog zone of catalog-zone (db/catalog.h): made, renamed, deleted or brought up to
 * the zone table; what was done is logged. */
static int catalog_boot(const struct srvconf *cfg, struct names *nm, struct lana_diag *d)
{
    const char *what = "";
    struct lana_diag cd;
    int rc = catalog_setup(nm, cfg->catalog_zone, &what, &cd);
    if (rc != 0)
        return diag_set(d, rc, "%s", cd.msg);
    if (strcmp(what, "deleted") == 0)
        log_notice("catalog zone deleted (catalog-zone = none)");
    else if (what[0] != '\0')
        log_notice("catalog zone %s %s (RFC 9432)", cfg->catalog_zone, what);
    return 0;
}

/* A ULA /48: fd00::/8 with L = 1 (RFC 4193 section 3.1), then the 40-bit Global ID drawn from
 * the project's random source. LANA_EIO when there is no randomness. */
static int ula_prefix(struct cidr *out, struct lana_diag *d)
{
    uint8_t gid[5];
    if (auth_random(gid, sizeof gid) != 0)
        return diag_set(d, LANA_EIO, "no random bytes for the ULA Global ID");
    memset(out, 0, sizeof *out);
    out->family = 6;
    out->plen = 48;
    out->addr[0] = 0xfd;
    memcpy(out->addr + 1, gid, sizeof gid);
    return 0;
}

/* The root pool named by a pool value: a prefix, or SRVCONF_POOL_ULA (drawn now). */
static int pool_prefix(const char *val, struct cidr *out, struct lana_diag *d)
{
    if (strcmp(val, SRVCONF_POOL_ULA) == 0)
        return ula_prefix(out, d);
    return cidr_parse(val, out, d);
}

/* The registry's root pools: how many, and as text for the log ("a, b", cut with "..."). */
struct pools_seen {
    int n;
    char text[512];
    size_t len;
};

static int count_cb(const struct ipam_block *b, void *arg)
{
    struct pools_seen *ps = arg;
    char t[CIDR_STRLEN];
    ps->n++;
    if (cidr_format(&b->prefix, t, sizeof t) != 0)
        return 0;
    int k = snprintf(ps->text + ps->len, sizeof ps->text - ps->len, "%s%s", ps->len ? ", " : "",
                     t);
    if (k > 0 && (size_t)k < sizeof ps->text - ps->len)
        ps->len += (size_t)k;
    else if (ps->len + 4 <= sizeof ps->text)
        memcpy(ps->text + ps->len, "...", 4);
    return 0;
}

int registry_token_unexpected(const struct srvconf *cfg, struct lana_diag *d)
{
    char *path = srvconf_token_path(cfg);
    struct stat sb;
    int rc = 0;
    if (path == NULL)
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    else if (lstat(path, &sb) == 0)
        rc = diag_set(d, LANA_ECONFLICT,
                      "%s exists, but the database has no admin account: lanad did not write "
                      "that file for it. Remove the file (or choose another --token-file) and "
                      "start again; a new token is then written",
                      path);
    free(path);
    return rc;
}

int registry_bootstrap(const struct srvconf *cfg, struct lana_diag *d)
{
    struct store *st;
    struct ipam *ip = NULL;
    int rc = store_open(cfg->db, &st, NULL, d);
    if (rc != 0)
        return rc;
    char *path = srvconf_token_path(cfg);
    struct account admin;
    if (path == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = account_get(st, "admin", &admin, d)) < 0)
        goto out;
    bool new_admin = rc == 0;
    /* A token file without an admin account was not written by lanad for this database (a
     * first start writes both): one planted before it would make its author's token the
     * admin's. It is refused, never read, before anything else is made. */
    if (new_admin && (rc = registry_token_unexpected(cfg, d)) != 0)
        goto out;
    /* then the TLS identity: its fingerprint goes into a new token file */
    uint8_t fp[REGTLS_FP_LEN];
    char fphex[2 * REGTLS_FP_LEN + 1];
    if ((rc = regtls_prepare(cfg, fp, d)) != 0)
        goto out;
    auth_hex(fp, sizeof fp, fphex);
    log_notice("registry TLS certificate sha256=%s", fphex);
    if (new_admin) {
        struct tokfile t;
        memset(&t, 0, sizeof t);
        snprintf(t.user, sizeof t.user, "admin");
        t.have_pin = true;
        memcpy(t.pin, fp, sizeof t.pin);
        token_server(cfg, t.server, sizeof t.server);
        if ((rc = auth_random(t.token, sizeof t.token)) == 0)
            rc = write_token_file(path, &t, d);
        if (rc != 0)
            goto out;
        memset(&admin, 0, sizeof admin);
        snprintf(admin.name, sizeof admin.name, "admin");
        snprintf(admin.role, sizeof admin.role, "admin");
        auth_stored_key(t.token, admin.stored_key);
        memset(&t, 0, sizeof t);
        if ((rc = store_begin(st, d)) != 0 || (rc = account_add(st, &admin, "lanad", d)) != 0 ||
            (rc = store_commit(st, d)) != 0) {
            store_rollback(st);
            unlink(path);
            goto out;
        }
        log_notice("admin token written to %s (mode 0600, with the TLS pin): give it to lana "
                   "with --token-file or LANA_TOKEN",
                   path);
    }
    /* root pools, when the registry has none */
    if ((rc = ipam_open(st, &ip, d)) != 0)
        goto out;
    struct pools_seen seen = {0};
    if ((rc = ipam_children(ip, NULL, count_cb, &seen, d)) != 0)
        goto out;
    int npools = seen.n;
    /* an existing registry keeps its pools, whatever the configuration says now: say which
     * (the lab rule of lana connect trusts them) */
    if (npools > 0)
        log_notice("root pools: %s (the configuration's pool list applies to an empty registry "
                   "only: lana pool add|del changes them)",
                   seen.text);
    for (unsigned i = 0; npools == 0 && i < cfg->pool.n && rc == 0; i++) {
        struct cidr p;
        struct lana_diag pd;
        char text[CIDR_STRLEN];
        bool ula = strcmp(cfg->pool.v[i], SRVCONF_POOL_ULA) == 0;
        if ((rc = pool_prefix(cfg->pool.v[i], &p, &pd)) != 0) {
            if (rc == LANA_EPARSE) { /* checked when the configuration was read */
                rc = 0;
                continue;
            }
            diag_set(d, rc, "pool %s: %s", cfg->pool.v[i], pd.msg);
            break;
        }
        if (cidr_format(&p, text, sizeof text) != 0)
            text[0] = '\0';
        rc = ipam_pool_add(ip, &p,
                           ula ? "root pool from the configuration (ULA, random Global ID)"
                               : "root pool from the configuration",
                           "lanad", NULL, &pd);
        if (rc == LANA_ECONFLICT) {
            log_warn("pool %s: %s", text, pd.msg);
            rc = 0;
        } else if (rc != 0) {
            diag_set(d, rc, "pool %s: %s", text, pd.msg);
        } else if (ula) {
            log_notice("root pool %s created (ula: a ULA /48 with a random Global ID, RFC 4193)",
                       text);
        } else {
            log_notice("root pool %s created", text);
        }
    }
    /* every pool has its reverse zone (also for databases made before hosts existed) */
    if (rc == 0) {
        struct names *nm = NULL;
        if ((rc = names_open(st, ip, &nm, d)) == 0)
            rc = ipam_children(ip, NULL, reverse_cb, nm, d);
        if (rc == 0)
            rc = catalog_boot(cfg, nm, d);
        names_close(nm);
    }
out:
    ipam_close(ip);
    free(path);
    store_close(st);
    return rc;
}

