/*
 * service — see service.h.
 */
#include "db/service.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dnsmsg.h"
#include "db/host.h"
#include "db/authz.h"
#include "db/names_int.h"
#include "db/zone.h"

static int check_service(const char *name, const char *proto, struct lana_diag *d)
{
    /* RFC 6335 section 5.1: 1-15 characters, letters, digits and hyphens, at least one
     * letter, no hyphen at either end nor two in a row */
    size_t len = strlen(name);
    bool letter = false;
    if (len == 0 || len > 15)
        return diag_set(d, LANA_EPARSE, "%.20s: a service name has 1 to 15 characters", name);
    for (size_t i = 0; i < len; i++) {
        if (isalpha((unsigned char)name[i]))
            letter = true;
        else if (name[i] == '-') {
            if (i == 0 || i == len - 1 || name[i - 1] == '-')
                return diag_set(d, LANA_EPARSE,
                                "%s: no hyphen at either end of a service name, nor two in a row",
                                name);
        } else if (!isdigit((unsigned char)name[i]))
            return diag_set(d, LANA_EPARSE, "%s: letters, digits and hyphens only", name);
    }
    if (!letter)
        return diag_set(d, LANA_EPARSE, "%s: a service name needs a letter", name);
    if (proto != NULL && strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
        return diag_set(d, LANA_EPARSE, "%s: the transport is tcp or udp", proto);
    return 0;
}

static const char sql_svc_get[] =
    "SELECT s.name, s.proto, s.port, s.descr FROM service s WHERE s.name = ?1 AND s.proto = ?2";
static const char sql_svc_port[] = "SELECT name FROM service WHERE proto = ?1 AND port = ?2";
static const char sql_svc_free[] =
    "SELECT min(p) FROM (SELECT 1024 AS p UNION ALL SELECT port + 1 FROM service"
    " WHERE proto = ?1 AND port BETWEEN 1024 AND 49150)"
    " WHERE p NOT IN (SELECT port FROM service WHERE proto = ?1)";
static const char sql_svc_ins[] =
    "INSERT INTO service (name, proto, port, descr, created) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_svc_del[] = "DELETE FROM service WHERE name = ?1 AND proto = ?2";
static const char sql_svc_all[] = "SELECT name, proto, port, descr FROM service ORDER BY port, proto";
static const char sql_srv_keys[] = "SELECT key FROM rr WHERE type = 33";

static void lower_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* A checked service name and transport in the registry's lower-case form (pr may be NULL). */
static int service_key(const char *name, const char *proto, char nm[16], char pr[4],
                       struct lana_diag *d)
{
    int rc = check_service(name, proto, d);
    if (rc != 0)
        return rc;
    lower_copy(nm, 16, name);
    if (pr != NULL)
        lower_copy(pr, 4, proto);
    return 0;
}

static void read_service(sqlite3_stmt *s, struct service_info *out)
{
    memset(out, 0, sizeof *out);
    names__copy(out->name, sizeof out->name, (const char *)sqlite3_column_text(s, 0));
    names__copy(out->proto, sizeof out->proto, (const char *)sqlite3_column_text(s, 1));
    out->port = (unsigned)sqlite3_column_int(s, 2);
    names__copy(out->descr, sizeof out->descr, (const char *)sqlite3_column_text(s, 3));
}

/* The service name/proto: 1 with *out, 0 for none, LANA_EDB. */
static int service_find(struct names *n, const char *name, const char *proto,
                        struct service_info *out, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_svc_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, proto, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(n->st, s, "service", d)) == 1) {
        read_service(s, out);
        sqlite3_reset(s);
    }
    return rc;
}

/* The port for a new service of transport pr: port itself when free, or the lowest free one
 * when port is 0. 0 with *out, or LANA_ECONFLICT / LANA_EEXHAUSTED / LANA_EDB. */
static int service_port(struct names *n, const char *pr, unsigned port, unsigned *out,
                        struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc;
    if (port == 0) {
        if ((rc = store__stmt(n->st, sql_svc_free, &s, d)) != 0)
            return rc;
        sqlite3_bind_text(s, 1, pr, -1, SQLITE_TRANSIENT);
        if ((rc = store__row(n->st, s, "free port", d)) < 0)
            return rc;
        if (rc == 1 && sqlite3_column_type(s, 0) != SQLITE_NULL)
            port = (unsigned)sqlite3_column_int(s, 0);
        sqlite3_reset(s);
        if (port == 0 || port > 49151)
            return diag_set(d, LANA_EEXHAUSTED, "no free %s port left in 1024-49151", pr);
        *out = port;
        return 0;
    }
    if ((rc = store__stmt(n->st, sql_svc_port, &s, d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, pr, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, (int)port);
    if ((rc = store__row(n->st, s, "port", d)) < 0)
        return rc;
    if (rc == 1) {
        char other[32];
        names__copy(other, sizeof other, (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
        return diag_set(d, LANA_ECONFLICT, "%s port %u is assigned to %s", pr, port, other);
    }
    *out = port;
    return 0;
}

int service_add(struct names *n, const char *name, const char *proto, unsigned port,
                const char *descr, const char *actor, struct service_info *out,
                struct lana_diag *d)
{
    char nm[16], pr[4];
    int rc = service_key(name, proto, nm, pr, d);
    if (rc != 0 || (rc = authz_admin(n->st, "the port registry", d)) != 0)
        return rc;
    struct service_info sv;
    if ((rc = service_find(n, nm, pr, &sv, d)) != 0)
        return rc < 0 ? rc : diag_set(d, LANA_ECONFLICT, "%s/%s is registered already (port %u)",
                                      nm, pr, sv.port);
    if (port > 49151)
        return diag_set(d, LANA_ERANGE,
                        "port %u is in the dynamic range 49152-65535, which is never assigned "
                        "(RFC 6335)",
                        port);
    if ((rc = service_port(n, pr, port, &port, d)) != 0)
        return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_svc_ins, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, nm, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, pr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 3, (int)port);
        sqlite3_bind_text(s, 4, descr ? descr : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 5, (int64_t)time(NULL));
        rc = store__done(n->st, s, "insert service", d);
    }
    char obj[32];
    int k = snprintf(obj, sizeof obj, "%s/%s", nm, pr); /* 15 + 1 + 3: always fits */
    if (rc == 0 && (k < 0 || (size_t)k >= sizeof obj))
        rc = diag_set(d, LANA_ERANGE, "service name too long");
    if (rc == 0) {
        jsonw_reset(&n->j);
        jsonw_obj(&n->j);
        jsonw_kint(&n->j, "port", port);
        jsonw_end(&n->j);
        rc = names__audit(n, actor, "service.add", obj, NULL, n->j.s, d);
    }
    if (rc == 0 && out != NULL && (rc = service_find(n, nm, pr, &sv, d)) == 0)
        rc = diag_set(d, LANA_EDB, "%s: not found after insert", obj);
    if (rc == 1)
        rc = 0;
    if ((rc = store_sp_end(n->st, rc, d)) == 0 && out != NULL)
        *out = sv;
    return rc;
}

/* How many SRV records are published for _name._proto anywhere (keys start after the zone
 * labels, so this counts by owner suffix in every zone: a scan over SRV records). The count,
 * or LANA_EDB. */
static int64_t service_users(struct names *n, const char *name, const char *proto,
                             struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_srv_keys, &s, d);
    if (rc != 0)
        return rc;
    char want[40];
    int wl = snprintf(want, sizeof want, "_%s._%s", name, proto);
    if (wl < 0 || (size_t)wl >= sizeof want)
        return diag_set(d, LANA_ERANGE, "service name too long");
    int64_t count = 0;
    while ((rc = store__row(n->st, s, "services", d)) == 1) {
        uint8_t owner[DNAME_MAXLEN];
        char text[DNAME_TEXT_MAX];
        if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
                           owner) <= 0)
            continue;
        names__text(owner, text);
        if (strncmp(text, want, (size_t)wl) == 0 && text[wl] == '.')
            count++;
    }
    return rc < 0 ? rc : count;
}

int service_del(struct names *n, const char *name, const char *proto, const char *actor,
                struct lana_diag *d)
{
    char nm[16], pr[4], obj[32];
    int rc = service_key(name, proto, nm, pr, d);
    if (rc != 0 || (rc = authz_admin(n->st, "the port registry", d)) != 0)
        return rc;
    struct service_info sv;
    if ((rc = service_find(n, nm, pr, &sv, d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "no service %s/%s", nm, pr);
    int64_t users = service_users(n, nm, pr, d);
    if (users < 0)
        return (int)users;
    if (users > 0)
        return diag_set(d, LANA_ECONFLICT, "%s/%s is bound to %lld host%s: unbind first", nm, pr,
                        (long long)users, users == 1 ? "" : "s");
    int k = snprintf(obj, sizeof obj, "%s/%s", nm, pr);
    if (k < 0 || (size_t)k >= sizeof obj)
        return diag_set(d, LANA_ERANGE, "service name too long");
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_svc_del, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, nm, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, pr, -1, SQLITE_TRANSIENT);
        rc = store__done(n->st, s, "delete service", d);
    }
    if (rc == 0)
        rc = names__audit(n, actor, "service.del", obj, NULL, NULL, d);
    return store_sp_end(n->st, rc, d);
}

int service_each(struct names *n, service_each_cb *cb, void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__prepare(n->st, sql_svc_all, &s, d);
    if (rc != 0)
        return rc;
    struct service_info *all = NULL;
    size_t na = 0;
    while ((rc = store__row(n->st, s, "services", d)) == 1) {
        void *p = realloc(all, (na + 1) * sizeof *all);
        if (p == NULL) {
            rc = diag_set(d, LANA_ENOMEM, "out of memory");
            break;
        }
        all = p;
        read_service(s, &all[na++]);
    }
    sqlite3_finalize(s);
    for (size_t i = 0; rc == 0 && i < na; i++) {
        int64_t users = service_users(n, all[i].name, all[i].proto, d);
        if (users < 0) {
            rc = (int)users;
            break;
        }
        all[i].bound = users;
        rc = cb(&all[i], arg);
    }
    free(all);
    return rc < 0 ? rc : 0;
}

/* _svc._proto.<host> in wire form; LANA_ERANGE when longer than 255 octets. */
static int srv_owner(const char *svc, const char *proto, const uint8_t *hw,
                     uint8_t owner[DNAME_MAXLEN], struct lana_diag *d)
{
    size_t sl = strlen(svc), pl = strlen(proto), hl = dname_len(hw);
    if (sl + 2 + pl + 2 + hl > DNAME_MAXLEN)
        return diag_set(d, LANA_ERANGE, "the SRV name would be longer than 255 octets");
    uint8_t *p = owner;
    *p++ = (uint8_t)(sl + 1);
    *p++ = '_';
    memcpy(p, svc, sl);
    p += sl;
    *p++ = (uint8_t)(pl + 1);
    *p++ = '_';
    memcpy(p, proto, pl);
    p += pl;
    memcpy(p, hw, hl);
    return 0;
}

/* Binds (bind) or unbinds one transport; a record made is written to *srv (may be NULL). */
static int bind_one(struct names *n, const char *host, const char *svc, const char *proto,
                    unsigned port, bool bind, const char *actor, int *count,
                    struct service_srv *srv, struct lana_diag *d)
{
    struct service_info sv;
    int rc = service_find(n, svc, proto, &sv, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "no service %s/%s", svc, proto);
    struct host_info h;
    int64_t zone;
    uint8_t hw[DNAME_MAXLEN], owner[DNAME_MAXLEN], apex[DNAME_MAXLEN];
    char obj[DNAME_TEXT_MAX];
    if ((rc = host_get(n, host, &h, d)) != 0 || (rc = names__wire(h.name, hw, d)) != 0 ||
        (rc = srv_owner(svc, proto, hw, owner, d)) != 0)
        return rc;
    if ((rc = zone_find(n, hw, &zone, apex, d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "no zone holds %s", h.name);
    if ((rc = authz_zone(n->st, zone, d)) != 0)
        return rc;
    names__text(owner, obj);
    uint8_t rd[6 + DNAME_MAXLEN];
    unsigned p = port ? port : sv.port;
    rd[0] = rd[1] = rd[2] = rd[3] = 0;
    rd[4] = (uint8_t)(p >> 8);
    rd[5] = (uint8_t)p;
    memcpy(rd + 6, hw, dname_len(hw));
    if (bind) {
        if ((rc = rrset_put(n, zone, owner, DNS_T_SRV, rd, 6 + dname_len(hw), NAMES_TTL, d)) < 0)
            return rc;
        if (rc == 0)
            return diag_set(d, LANA_ECONFLICT, "%s offers %s/%s on port %u already", h.name, svc,
                            proto, p);
        if (srv != NULL) {
            memset(srv, 0, sizeof *srv);
            memcpy(srv->owner, obj, sizeof srv->owner);
            names__text(hw, srv->target);
            srv->ttl = NAMES_TTL;
            srv->port = p;
        }
    } else {
        if ((rc = rrset_drop(n, zone, owner, DNS_T_SRV, NULL, 0, d)) < 0)
            return rc;
        if (rc == 0)
            return diag_set(d, LANA_ENOTFOUND, "%s does not offer %s/%s", h.name, svc, proto);
    }
    (*count)++;
    jsonw_reset(&n->j);
    jsonw_obj(&n->j);
    jsonw_kint(&n->j, "port", p);
    jsonw_end(&n->j);
    if ((rc = zone_touch(n->st, zone, NULL, ZONE_TOUCH_SERIAL, d)) != 0)
        return rc;
    return names__audit(n, actor, bind ? "service.bind" : "service.unbind", obj, NULL, n->j.s, d);
}

static int bind_all(struct names *n, const char *host, const char *service, const char *proto,
                    unsigned port, bool bind, const char *actor, int *count,
                    struct service_srv srv[SERVICE_SRV_MAX], struct lana_diag *d)
{
    char nm[16];
    int rc = service_key(service, proto, nm, NULL, d);
    if (rc != 0)
        return rc;
    *count = 0;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    if (proto != NULL) {
        rc = bind_one(n, host, nm, proto, port, bind, actor, count, srv, d);
    } else { /* every transport the service is registered for */
        struct service_info sv;
        bool any = false;
        for (int i = 0; i < 2 && rc == 0; i++) {
            const char *p = i ? "udp" : "tcp";
            if ((rc = service_find(n, nm, p, &sv, d)) == 1) {
                any = true;
                rc = bind_one(n, host, nm, p, port, bind, actor, count, srv ? &srv[*count] : NULL,
                              d);
            }
        }
        if (rc == 0 && !any)
            rc = diag_set(d, LANA_ENOTFOUND, "no service %s (lana service add)", nm);
    }
    return store_sp_end(n->st, rc, d);
}

int service_bind(struct names *n, const char *host, const char *service, const char *proto,
                 unsigned port, const char *actor, int *bound,
                 struct service_srv srv[SERVICE_SRV_MAX], struct lana_diag *d)
{
    return bind_all(n, host, service, proto, port, true, actor, bound, srv, d);
}

int service_unbind(struct names *n, const char *host, const char *service, const char *proto,
                   const char *actor, int *unbound, struct lana_diag *d)
{
    return bind_all(n, host, service, proto, 0, false, actor, unbound, NULL, d);
}
