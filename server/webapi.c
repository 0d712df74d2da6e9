/*
 * webapi — the web view's JSON endpoints (see webapi.h). Each request opens the registry's
 * read modules over the thread's read-only store, builds one jansson value, and sends it.
 */
#include "server/webapi.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/jsonw.h"
#include "common/num.h"
#include "common/text.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/regdata.h"
#include "db/zone.h"
#include "server/webview.h"

typedef unsigned __int128 u128;

/* What one request works with. */
struct api {
    const struct http_req *r;
    struct ipam *ip;
    struct names *n;
    struct lana_diag d;
    json_t *list;     /* the page being filled */
    unsigned limit;   /* rows wanted */
    bool more;        /* a row beyond the page exists */
    const char *skip; /* zones, hosts: rows up to and including this name are skipped */
};

static const char *arg(const struct api *a, const char *key)
{
    return MHD_lookup_connection_value(a->r->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* Sends root (taking it) as the body, with status. */
static enum MHD_Result send_json(const struct api *a, unsigned status, json_t *root)
{
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(strlen(text), text, free);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    return webview_queue(a->r, status, resp, "application/json", "no-store");
}

static enum MHD_Result send_error(const struct api *a, unsigned status, const char *msg)
{
    return send_json(a, status, json_pack("{s:o}", "error", jsonw_string(msg))); /* msg may
                                                                            * quote the request */
}

/* The status of a LANA_E code from a db/ reader. */
static unsigned status_of(int rc)
{
    return rc == LANA_ENOTFOUND ? 404 : rc == LANA_EPARSE || rc == LANA_ERANGE ? 400 : 500;
}

/* ?limit=N: 0 with *out (the default when absent), or LANA_EPARSE with a->d. */
static int limit_arg(struct api *a, unsigned *out)
{
    const char *v = arg(a, "limit");
    uint64_t n = WEBAPI_LIMIT_DEFAULT;
    if (v != NULL && num_parse_u64(v, 1, WEBAPI_LIMIT_MAX, &n, &a->d) != 0)
        return LANA_EPARSE;
    *out = (unsigned)n;
    return 0;
}

/* ---- blocks ---- */

/* used / size in millionths, from size - 1 (so that ::/0 fits): exact enough for a bar. */
static long long ppm(u128 used, u128 size_m1)
{
    /* scale both down until used * 10^6 cannot overflow 128 bits */
    while (size_m1 >> 100) {
        size_m1 >>= 1;
        used >>= 1;
    }
    return (long long)(used * 1000000u / (size_m1 + 1));
}

static void set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, jsonw_string(v));
}

/* A block with its utilization, or NULL (a->d says why). */
static json_t *block_json(struct api *a, const struct ipam_block *b)
{
    struct ipam_usage u;
    char t[CIDR_STRLEN], size[48], used[48];
    if (ipam_usage(a->ip, b, &u, &a->d) != 0 || cidr_format(&b->prefix, t, sizeof t) < 0 ||
        cidr_size_format(&b->prefix, size, sizeof size) < 0 ||
        num_format_u128(u.used, used, sizeof used) < 0)
        return NULL;
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set_str(o, "prefix", t);
    set_str(o, "status", ipam_status_name(b->status));
    set_str(o, "holder", b->holder);
    set_str(o, "description", b->descr);
    set_str(o, "maintainer", b->maintainer);
    json_object_set_new(o, "created", json_integer(b->created));
    json_object_set_new(o, "updated", json_integer(b->updated));
    set_str(o, "size", size);
    set_str(o, "used", used);
    json_object_set_new(o, "ppm", json_integer(ppm(u.used, cidr_size_minus1(&b->prefix))));
    json_object_set_new(o, "children", json_integer(u.children));
    return o;
}

/* Adds b to the page; a row beyond it only tells that there is more. */
static int add_block(const struct ipam_block *b, void *arg)
{
    struct api *a = arg;
    if (json_array_size(a->list) == a->limit) {
        a->more = true;
        return 1;
    }
    json_t *o = block_json(a, b);
    if (o == NULL)
        return LANA_EDB;
    json_array_append_new(a->list, o);
    return 0;
}

/* Parses the prefix argument key into *out: 1, 0 when absent, LANA_EPARSE with a->d. */
static int prefix_arg(struct api *a, const char *key, struct cidr *out)
{
    const char *v = arg(a, key);
    if (v == NULL)
        return 0;
    return cidr_parse(v, out, &a->d) == 0 ? 1 : LANA_EPARSE;
}

static enum MHD_Result tree(struct api *a)
{
    struct cidr p, after;
    struct ipam_block b;
    int has, rc;
    unsigned limit;
    if ((has = prefix_arg(a, "block", &p)) < 0 || (rc = prefix_arg(a, "after", &after)) < 0 ||
        limit_arg(a, &limit) < 0)
        return send_error(a, 400, a->d.msg);
    bool paged = rc == 1;
    a->limit = has ? limit : WEBAPI_LIMIT_MAX;
    json_t *root = json_object(), *parent = json_null();
    a->list = json_array();
    if (has) {
        if ((rc = ipam_get(a->ip, &p, &b, &a->d)) == 0 && (parent = block_json(a, &b)) == NULL)
            rc = LANA_EDB;
        if (rc == 0)
            rc = ipam_children_page(a->ip, &b, paged ? &after : NULL, limit + 1, add_block, a,
                                    &a->d);
    } else {
        rc = ipam_children(a->ip, NULL, add_block, a, &a->d); /* the pools: a handful */
    }
    if (rc < 0) {
        json_decref(root);
        json_decref(parent);
        json_decref(a->list);
        return send_error(a, status_of(rc), a->d.msg);
    }
    json_object_set_new(root, "block", parent);
    json_object_set_new(root, "children", a->list);
    json_object_set_new(root, "more", json_boolean(a->more));
    return send_json(a, 200, root);
}

/* ---- zones and hosts ---- */

/* Whether a row keyed name belongs to the page: after the `after` key, and within limit. */
static int page_row(struct api *a, const char *name)
{
    /* the walks go by name in byte order (SQL's BINARY collation), as strcmp compares: a
     * page still starts in the right place when its `after` row has gone meanwhile */
    if (a->skip != NULL && strcmp(name, a->skip) <= 0)
        return 0;
    if (json_array_size(a->list) == a->limit) {
        a->more = true;
        return 1;
    }
    return 2;
}

static json_t *zone_json(const struct zone_info *z)
{
    return json_pack("{s:s,s:I,s:I,s:I,s:b,s:s,s:s}", "name", z->name, "serial",
                     (json_int_t)z->serial, "hosts", (json_int_t)z->hosts, "records",
                     (json_int_t)z->records, "reverse", z->reverse, "sponsor", z->sponsor,
                     "registrant", z->registrant);
}

static json_t *host_json(const struct host_info *h)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:I}", "name", h->name, "zone", h->zone, "v4", h->v4,
                     "v6", h->v6, "created", (json_int_t)h->created);
}

static int add_zone(const struct zone_info *z, void *arg)
{
    struct api *a = arg;
    int k = page_row(a, z->name);
    if (k == 2)
        json_array_append_new(a->list, zone_json(z));
    return k == 1;
}

static int add_host(const struct host_info *h, void *arg)
{
    struct api *a = arg;
    int k = page_row(a, h->name);
    if (k == 2)
        json_array_append_new(a->list, host_json(h));
    return k == 1;
}

/* /api/zones and /api/hosts: one page of a list walked by name. The walk skips what comes
 * before `after`, so a page costs O(rows before it): zones and the hosts of one zone number
 * in the thousands, not in the hundreds of thousands that blocks do. */
static enum MHD_Result names_page(struct api *a, bool hosts)
{
    const char *zone = arg(a, "zone");
    if (limit_arg(a, &a->limit) < 0)
        return send_error(a, 400, a->d.msg);
    if (hosts && zone == NULL)
        return send_error(a, 400, "hosts: which zone? (zone=NAME)");
    a->skip = arg(a, "after");
    a->list = json_array();
    int rc = hosts ? host_each(a->n, zone, add_host, a, &a->d)
                   : zone_each(a->n, add_zone, a, &a->d);
    if (rc < 0) {
        json_decref(a->list);
        return send_error(a, status_of(rc), a->d.msg);
    }
    json_t *root = json_object();
    json_object_set_new(root, hosts ? "hosts" : "zones", a->list);
    json_object_set_new(root, "more", json_boolean(a->more));
    return send_json(a, 200, root);
}

/* ---- search: through the registration data layer, as whois and RDAP answer ---- */

#define SEARCH_MAX 200 /* blocks one search lists */

static int add_found(const struct regdata_block *rb, void *arg)
{
    struct api *a = arg;
    json_t *o = block_json(a, &rb->b);
    if (o == NULL)
        return LANA_EDB;
    json_object_set_new(o, "type", json_string("block"));
    json_array_append_new(a->list, o);
    return 0;
}

static void add_typed(struct api *a, json_t *o, const char *type)
{
    json_object_set_new(o, "type", json_string(type));
    json_array_append_new(a->list, o);
}

/* Who holds an address or prefix: the chain of blocks from its root pool down (whois -L),
 * and the host registered at that very address. */
static int search_prefix(struct api *a, struct regdata *rd, const struct cidr *p)
{
    int rc = regdata_ip(rd, p, REGDATA_IP_CHAIN, CIDR_V6_BITS + 2, add_found, a, NULL, &a->d);
    if (rc == LANA_ENOTFOUND)
        return 0;
    struct host_info h;
    if (rc == 0 && (rc = regdata_host_at(rd, p, &h, &a->d)) == 1)
        add_typed(a, host_json(&h), "host");
    return rc < 0 ? rc : 0;
}

/* A name, an account or a holder text: the zone and the host of that name; the account with
 * the blocks it maintains; the blocks whose holder text it is. */
static int search_name(struct api *a, struct regdata *rd, const char *q)
{
    struct zone_info z;
    struct host_info h;
    struct regdata_entity e;
    struct lana_diag x;
    bool more = false, more2 = false;
    int rc;
    if ((rc = zone_get(a->n, q, &z, &x)) == 0)
        add_typed(a, zone_json(&z), "zone");
    if ((rc = host_get(a->n, q, &h, &x)) == 0)
        add_typed(a, host_json(&h), "host");
    if ((rc = regdata_entity(rd, q, &e, &x)) == 0 && e.is_account) {
        add_typed(a, json_pack("{s:s,s:s}", "name", e.name, "role", e.role), "account");
        if ((rc = regdata_mnt_blocks(rd, q, SEARCH_MAX / 2, add_found, a, &more, &a->d)) < 0)
            return rc;
    } else if (rc == LANA_EDB) {
        a->d = x;
        return rc;
    }
    rc = regdata_holder_blocks(rd, q, SEARCH_MAX / 2, add_found, a, &more2, &a->d);
    a->more = more || more2;
    return rc < 0 ? rc : 0;
}

static enum MHD_Result search(struct api *a)
{
    const char *q = arg(a, "q");
    if (q == NULL || *q == '\0')
        return send_error(a, 400, "search: what? (q=ADDRESS, PREFIX, NAME or HOLDER)");
    if (strlen(q) > 253)
        return send_error(a, 400, "search: the query is longer than 253 bytes");
    if (!text_is_utf8(q, strlen(q)))
        return send_error(a, 400, "search: the query is not UTF-8 text");
    struct cidr p;
    struct lana_diag e;
    struct regdata *rd = NULL;
    bool addr = cidr_parse_addr(q, &p, &e) == 0 || cidr_parse(q, &p, &e) == 0;
    a->list = json_array();
    int rc = regdata_open(a->r->st, &rd, &a->d);
    if (rc == 0)
        rc = addr ? search_prefix(a, rd, &p) : search_name(a, rd, q);
    regdata_close(rd);
    if (rc < 0) {
        json_decref(a->list);
        return send_error(a, status_of(rc), a->d.msg);
    }
    return send_json(a, 200,
                     json_pack("{s:o,s:s,s:o,s:b}", "query", jsonw_string(q), "kind",
                               addr ? "address" : "name",
                               "results", a->list, "more", a->more));
}

enum MHD_Result webapi_answer(const struct http_req *r, const char *what)
{
    struct api a = {.r = r};
    enum MHD_Result res;
    if (ipam_open(r->st, &a.ip, &a.d) != 0 || names_open(r->st, a.ip, &a.n, &a.d) != 0) {
        res = send_error(&a, 500, a.d.msg);
        goto out;
    }
    if (strcmp(what, "tree") == 0)
        res = tree(&a);
    else if (strcmp(what, "zones") == 0)
        res = names_page(&a, false);
    else if (strcmp(what, "hosts") == 0)
        res = names_page(&a, true);
    else if (strcmp(what, "search") == 0)
        res = search(&a);
    else
        res = send_error(&a, 404, "no such endpoint");
out:
    names_close(a.n);
    ipam_close(a.ip);
    return res;
}
