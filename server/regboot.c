/*
 * regboot — the registry's first start (registry_bootstrap of server/registry.h): the admin
 * account and its token file, the configured root pools, and a reverse zone for every pool.
 * It runs before any thread starts, on a connection of its own.
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
#include "db/account.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/store.h"
#include "db/zone.h"

static int write_token_file(const char *path, const uint8_t token[AUTH_TOKEN_LEN],
                            struct lana_diag *d)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return diag_set(d, LANA_EIO, "cannot create %s: %s", path, strerror(errno));
    char hex[AUTH_HEX_LEN + 1];
    auth_hex(token, AUTH_TOKEN_LEN, hex);
    hex[AUTH_HEX_LEN - 1] = '\n';
    ssize_t n = write(fd, hex, AUTH_HEX_LEN);
    bool ok = n == AUTH_HEX_LEN && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return diag_set(d, LANA_EIO, "cannot write %s", path);
    }
    return 0;
}

/* A token file left from an earlier database is reused rather than replaced. */
static int read_token_file(const char *path, uint8_t token[AUTH_TOKEN_LEN], struct lana_diag *d)
{
    char buf[256];
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return diag_set(d, LANA_EIO, "cannot read %s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    if (auth_unhex(buf, token, AUTH_TOKEN_LEN) != 0)
        return diag_set(d, LANA_EPARSE, "%s does not hold a token (64 hex digits)", path);
    return 0;
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

static int count_cb(const struct ipam_block *b, void *arg)
{
    (void)b;
    (*(int *)arg)++;
    return 0;
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
    if (rc == 0) {
        uint8_t token[AUTH_TOKEN_LEN];
        struct stat sb;
        bool reuse = stat(path, &sb) == 0;
        if (reuse)
            rc = read_token_file(path, token, d);
        else if ((rc = auth_random(token, sizeof token)) == 0)
            rc = write_token_file(path, token, d);
        if (rc != 0)
            goto out;
        memset(&admin, 0, sizeof admin);
        snprintf(admin.name, sizeof admin.name, "admin");
        snprintf(admin.role, sizeof admin.role, "admin");
        auth_stored_key(token, admin.stored_key);
        memset(token, 0, sizeof token);
        if ((rc = store_begin(st, d)) != 0 || (rc = account_add(st, &admin, "lanad", d)) != 0 ||
            (rc = store_commit(st, d)) != 0) {
            store_rollback(st);
            if (!reuse)
                unlink(path);
            goto out;
        }
        log_notice("admin token %s %s (mode 0600): give it to lana with --token-file or "
                   "LANA_TOKEN",
                   reuse ? "read from" : "written to", path);
    }
    /* root pools, when the registry has none */
    if ((rc = ipam_open(st, &ip, d)) != 0)
        goto out;
    int npools = 0;
    if ((rc = ipam_children(ip, NULL, count_cb, &npools, d)) != 0)
        goto out;
    for (unsigned i = 0; npools == 0 && i < cfg->pool.n && rc == 0; i++) {
        struct cidr p;
        struct lana_diag pd;
        if (cidr_parse(cfg->pool.v[i], &p, &pd) != 0)
            continue; /* checked when the configuration was read */
        rc = ipam_pool_add(ip, &p, "root pool from the configuration", "lanad", NULL, &pd);
        if (rc == LANA_ECONFLICT) {
            log_warn("pool %s: %s", cfg->pool.v[i], pd.msg);
            rc = 0;
        } else if (rc != 0) {
            diag_set(d, rc, "pool %s: %s", cfg->pool.v[i], pd.msg);
        } else {
            log_notice("root pool %s created", cfg->pool.v[i]);
        }
    }
    /* every pool has its reverse zone (also for databases made before hosts existed) */
    if (rc == 0) {
        struct names *nm = NULL;
        if ((rc = names_open(st, ip, &nm, d)) == 0)
            rc = ipam_children(ip, NULL, reverse_cb, nm, d);
        names_close(nm);
    }
out:
    ipam_close(ip);
    free(path);
    store_close(st);
    return rc;
}

