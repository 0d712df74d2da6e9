/*
 * rdap — see rdap.h. Every answer is one jansson tree dumped compactly: the object of RFC 9083
 * (or an error object, section 6) with the members every top-level response carries
 * (rdapConformance, notices, links with self). Handles are regdata's (db/regdata.h): an ip
 * network is its prefix ("198.18.0.0/16"), a domain its name without the final dot, an entity
 * its account or holder text. Nothing here reads a table: regdata_* is the one source.
 *
 * Mapping of lana's data onto RFC 9083 (the port-43 server's words, from server/rpsl.h):
 *   ip network    name = whois's netname, type = whois's status (ALLOCATED PA,
 *                 SUB-ALLOCATED PA, ASSIGNED PA, ... and the inet6num words for IPv6);
 *                 status "active" ("reserved" for reserved blocks);
 *   entities      the block's holder text as registrant; its maintainer (mnt-by) as
 *                 registrant too when there is no other holder, else administrative; the
 *                 maintainer's registrar as registrar. A zone: registrant and sponsoring
 *                 registrar.
 *   events        registration = created, last changed = updated (unix seconds, as UTC).
 */
#include "server/rdap.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cidr.h"
#include "common/err.h"
#include "common/jsonw.h"
#include "db/regdata.h"
#include "db/store.h"
#include "server/rpsl.h"

#define RDAP_LIST_MAX 100 /* objects listed in one answer (search results, an entity's blocks) */

struct rdap_q {
    const char *base; /* "http://HOST:PORT" */
    struct regdata *rd;
    const char *context; /* the URI of this answer: every link's value (RFC 9083 §4.2) */
};

/* ---- small builders ------------------------------------------------------------------- */

/* Sets o[k] = v (v consumed; a NULL v, from a failed allocation, sets nothing). */
static void put(json_t *o, const char *k, json_t *v)
{
    json_object_set_new(o, k, v);
}

/* v from the registry or the request: bad bytes become U+FFFD rather than a lost member */
static void put_str(json_t *o, const char *k, const char *v)
{
    put(o, k, jsonw_string(v));
}

static void push(json_t *a, json_t *v)
{
    json_array_append_new(a, v);
}

/* A link (RFC 9083 section 4.2) to path under /rdap on this server; its value is the
 * context URI, the answer the link appears in. */
static json_t *rlink(const struct rdap_q *q, const char *rel, const char *path)
{
    char href[HTTP_URL_MAX + 512];
    int n = snprintf(href, sizeof href, "%s/rdap%s", q->base, path);
    if (n < 0 || (size_t)n >= sizeof href)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:s}", "value", q->context ? q->context : href, "rel", rel,
                     "href", href, "type", RDAP_CTYPE);
}

/* Writes handle into out as one URL path segment (RFC 3986 section 3.3): unreserved
 * characters, ':' and '@' as they are, every other byte %XX. false when it does not fit. */
static bool segment(const char *handle, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)handle; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~:@", *p) != NULL;
        if (o + (plain ? 1 : 3) >= size)
            return false;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return true;
}

/* path (decoded, as the library gives it) written back as a URI path: segment() for each
 * segment, the '/' between them kept. false when it does not fit. */
static bool uri_path(const char *path, char *out, size_t size)
{
    size_t o = 0;
    char seg[HTTP_URL_MAX * 3];
    while (*path) {
        if (*path == '/') {
            if (o + 1 >= size)
                return false;
            out[o++] = '/';
            path++;
            continue;
        }
        size_t n = strcspn(path, "/");
        char part[HTTP_URL_MAX + 1];
        if (n >= sizeof part)
            return false;
        memcpy(part, path, n);
        part[n] = '\0';
        if (!segment(part, seg, sizeof seg) || o + strlen(seg) >= size)
            return false;
        memcpy(out + o, seg, strlen(seg));
        o += strlen(seg);
        path += n;
    }
    out[o] = '\0';
    return true;
}

/* A link with rel to the object at "/<kind>/<handle>" ("ip" handles keep their '/'). */
static json_t *rlink_to(const struct rdap_q *q, const char *rel, const char *kind,
                        const char *handle)
{
    char seg[HTTP_URL_MAX / 2], path[HTTP_URL_MAX];
    bool ip = strcmp(kind, "ip") == 0; /* a prefix: digits, letters, '.', ':' and its '/' */
    if (!segment(ip ? "" : handle, seg, sizeof seg))
        return NULL;
    int n = snprintf(path, sizeof path, "/%s/%s", kind, ip ? handle : seg);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    return rlink(q, rel, path);
}

/* [self link] for the object at "/<kind>/<handle>" */
static json_t *links_self(const struct rdap_q *q, const char *kind, const char *handle)
{
    json_t *a = json_array();
    push(a, rlink_to(q, "self", kind, handle));
    return a;
}

/* RFC 9083 section 4.1: the specifications the response follows; cidr0 for ip networks */
static json_t *conformance(bool cidr0)
{
    json_t *a = json_pack("[s]", "rdap_level_0");
    if (cidr0)
        push(a, json_string("cidr0"));
    return a;
}

/* RFC 9083 section 4.3: the terms every answer carries */
static json_t *notices(void)
{
    return json_pack("[{s:s, s:[s, s]}]", "title", "Terms of use", "description",
                     "Registration data of a lana lab registry: addresses and names of a "
                     "teaching network, not of the Internet.",
                     "lana whois and whois on port 43 answer from the same data.");
}

/* RFC 9083 section 4.5: an event; nothing when the time is not recorded (0) */
static void push_event(json_t *events, const char *action, int64_t when)
{
    if (when <= 0)
        return;
    time_t t = (time_t)when;
    struct tm tm;
    char s[32];
    if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return;
    push(events, json_pack("{s:s, s:s}", "eventAction", action, "eventDate", s));
}

static json_t *events(int64_t created, int64_t updated)
{
    json_t *e = json_array();
    push_event(e, "registration", created);
    push_event(e, "last changed", updated);
    return e;
}

/* A name without its final dot (regdata gives canonical text with it). */
static void undot(const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", name);
    size_t len = n > 0 ? strlen(out) : 0;
    if (len > 1 && out[len - 1] == '.')
        out[len - 1] = '\0';
}

/* ---- entities (RFC 9083 section 5.1) ---------------------------------------------------- */

/* jCard (RFC 7095) of an account or a holder: version, fn, kind */
static json_t *vcard(const char *fn, bool org)
{
    return json_pack("[s, [[s, {}, s, s], [s, {}, s, s], [s, {}, s, s]]]", "vcard", "version",
                     "text", "4.0", "fn", "text", fn, "kind", "text",
                     org ? "org" : "individual");
}

/* A nested entity: handle, vCard, role, self link. */
static json_t *entity_ref(const struct rdap_q *q, const char *handle, bool org, const char *role)
{
    json_t *e = json_pack("{s:s, s:s, s:o, s:[s]}", "objectClassName", "entity", "handle",
                          handle, "vcardArray", vcard(handle, org), "roles", role);
    if (e != NULL)
        put(e, "links", links_self(q, "entity", handle));
    return e;
}

/* ---- ip networks (RFC 9083 section 5.4, cidr0) ------------------------------------------ */

/* The ip network object of block b (top-level members are the caller's). */
static json_t *ip_network(const struct rdap_q *q, const struct regdata_block *b)
{
    char handle[CIDR_STRLEN], first[CIDR_STRLEN], last[CIDR_STRLEN], prefix[CIDR_STRLEN];
    struct cidr f, l;
    cidr_format(&b->b.prefix, handle, sizeof handle);
    cidr_first(&b->b.prefix, &f);
    cidr_last(&b->b.prefix, &l);
    cidr_format_addr(&f, first, sizeof first);
    cidr_format_addr(&l, last, sizeof last);
    cidr_format_addr(&b->b.prefix, prefix, sizeof prefix);
    bool v4 = b->b.prefix.family == 4;
    json_t *o = json_object();
    put_str(o, "objectClassName", "ip network");
    put_str(o, "handle", handle);
    put_str(o, "startAddress", first);
    put_str(o, "endAddress", last);
    put_str(o, "ipVersion", v4 ? "v4" : "v6");
    char name[RPSL_NETNAME_MAX];
    rpsl_netname(&b->b, name);
    put_str(o, "name", name);             /* whois's netname */
    put_str(o, "type", rpsl_status(b));  /* whois's status, in RIPE's words */
    put(o, "status",
        json_pack("[s]", b->b.status == IPAM_RESERVED ? "reserved" : "active"));
    json_t *links = links_self(q, "ip", handle);
    if (b->has_parent) {
        char parent[CIDR_STRLEN];
        cidr_format(&b->parent, parent, sizeof parent);
        put_str(o, "parentHandle", parent);
        push(links, rlink_to(q, "up", "ip", parent));
    }
    put(o, "links", links);
    /* the cidr0 extension: the prefix itself, which a start/end pair only implies */
    put(o, "cidr0_cidrs", json_pack("[{s:s, s:i}]", v4 ? "v4prefix" : "v6prefix", prefix,
                                    "length", (json_int_t)b->b.prefix.plen));
    if (b->b.descr[0])
        put(o, "remarks", json_pack("[{s:s, s:[s]}]", "title", "description", "description",
                                    b->b.descr));
    put(o, "events", events(b->b.created, b->b.updated));
    json_t *ents = json_array();
    bool other_holder = b->b.holder[0] && strcmp(b->b.holder, b->b.maintainer) != 0;
    if (other_holder)
        push(ents, entity_ref(q, b->b.holder, true, "registrant"));
    if (b->b.maintainer[0]) {
        push(ents, entity_ref(q, b->b.maintainer, false,
                              other_holder ? "administrative" : "registrant"));
        struct regdata_entity me;
        struct lana_diag d;
        if (regdata_entity(q->rd, b->b.maintainer, &me, &d) == 0 && me.is_account &&
            me.sponsor[0])
            push(ents, entity_ref(q, me.sponsor, false, "registrar"));
    }
    put(o, "entities", ents);
    return o;
}

/* The most specific block containing c. 0, or a LANA_E code. */
static int block_cb(const struct regdata_block *b, void *arg)
{
    *(struct regdata_block *)arg = *b;
    return 0;
}

static int ip_lookup(const struct rdap_q *q, const struct cidr *c, struct regdata_block *b,
                     struct lana_diag *d)
{
    return regdata_ip(q->rd, c, REGDATA_IP_DEFAULT, 1, block_cb, b, NULL, d);
}

/* ---- top level ---------------------------------------------------------------------------- */

/* Completes a top-level object and dumps it as the answer. o is consumed. */
static int finish(json_t *o, unsigned status, struct rdap_out *out)
{
    if (o == NULL)
        return LANA_ENOMEM;
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s == NULL)
        return LANA_ENOMEM;
    out->status = status;
    out->body = s;
    out->len = strlen(s);
    return 0;
}

/* A top-level object: o with rdapConformance and notices added. */
static int top(json_t *o, bool cidr0, struct rdap_out *out)
{
    if (o == NULL)
        return LANA_ENOMEM;
    put(o, "rdapConformance", conformance(cidr0));
    put(o, "notices", notices());
    return finish(o, 200, out);
}

/* RFC 9083 section 6: an error object, with the HTTP status as its errorCode */
static int error_obj(unsigned status, const char *title, const char *descr, struct rdap_out *out)
{
    /* descr may quote the request, whatever its bytes */
    json_t *o = json_pack("{s:o, s:i, s:s, s:[o], s:o}", "rdapConformance", conformance(false),
                          "errorCode", (json_int_t)status, "title", title, "description",
                          jsonw_string(descr), "notices", notices());
    return finish(o, status, out);
}

/* The error object for a regdata failure: 400, 404 or 500. */
static int failed(int rc, const struct lana_diag *d, struct rdap_out *out)
{
    if (rc == LANA_EPARSE)
        return error_obj(400, "Bad request", d->msg, out);
    if (rc == LANA_ENOTFOUND)
        return error_obj(404, "Not found", d->msg, out);
    if (rc == LANA_ENOMEM)
        return rc;
    return error_obj(500, "Internal error", "the registry could not be read", out);
}

static int help(const struct rdap_q *q, struct rdap_out *out)
{
    json_t *n = notices();
    json_array_insert_new(
        n, 0,
        json_pack("{s:s, s:[s, s, s, s, s, s]}", "title", "Queries", "description",
                  "/rdap/ip/ADDRESS or /rdap/ip/PREFIX: the most specific block holding it, "
                  "with parentHandle up the chain of delegation (cidr0 prefixes too)",
                  "/rdap/domain/NAME: a zone or a host, forward or reverse (e.g. "
                  "7.18.198.in-addr.arpa)",
                  "/rdap/entity/HANDLE: an account or a holder, with what it holds",
                  "/rdap/domains?name=PATTERN: zones and hosts matching a pattern, * at the end "
                  "of a label (stud*.lab)",
                  "/rdap/help: this text",
                  "Only GET and HEAD are served; the answers are application/rdap+json."));
    json_t *links = json_array();
    push(links, rlink(q, "self", "/help"));
    json_t *o = json_pack("{s:o, s:o, s:o}", "rdapConformance", conformance(true), "notices", n,
                          "links", links);
    return finish(o, 200, out);
}

/* /ip/ADDRESS or /ip/ADDRESS/LEN (RFC 9082 section 3.1.1) */
static int ip_query(const struct rdap_q *q, const char *arg, struct rdap_out *out)
{
    struct lana_diag d;
    struct cidr c;
    int rc = strchr(arg, '/') ? cidr_parse(arg, &c, &d) : cidr_parse_addr(arg, &c, &d);
    if (rc != 0)
        return error_obj(400, "Bad request", d.msg, out);
    struct regdata_block b;
    if ((rc = ip_lookup(q, &c, &b, &d)) != 0)
        return failed(rc, &d, out);
    return top(ip_network(q, &b), true, out);
}

/* A domain object (RFC 9083 section 5.3) of what regdata found under that name. */
static json_t *domain_obj(const struct rdap_q *q, const struct regdata_domain *dom)
{
    char name[DNAME_TEXT_MAX];
    undot(dom->name, name, sizeof name);
    json_t *o = json_object();
    put_str(o, "objectClassName", "domain");
    put_str(o, "handle", name);
    put_str(o, "ldhName", name);
    put(o, "links", links_self(q, "domain", name));
    json_t *ents = json_array(), *remarks = json_array();
    const struct zone_info *z = dom->has_zone ? &dom->zone.z : NULL;
    switch (dom->kind) {
    case REGDATA_DOMAIN_ZONE:
        put(o, "status", json_pack("[s]", "active"));
        put(o, "events", events(dom->zone.created, dom->zone.updated));
        push(remarks, json_pack("{s:s, s:[s]}", "title", "zone", "description",
                                z->reverse ? "a reverse zone served by this registry"
                                           : "a zone served by this registry"));
        break;
    case REGDATA_DOMAIN_HOST: {
        put(o, "status", json_pack("[s]", "active"));
        put(o, "events", events(dom->host.created, 0));
        json_t *addrs = json_array();
        if (dom->host.v4[0])
            push(addrs, json_string(dom->host.v4));
        if (dom->host.v6[0])
            push(addrs, json_string(dom->host.v6));
        push(remarks, json_pack("{s:s, s:o}", "title", "host addresses", "description", addrs));
        break;
    }
    case REGDATA_DOMAIN_REVERSE:
        if (dom->has_host) {
            char host[DNAME_TEXT_MAX];
            undot(dom->host.name, host, sizeof host);
            push(remarks, json_pack("{s:s, s:[s]}", "title", "host", "description", host));
        }
        break;
    }
    if (z != NULL) {
        if (z->registrant[0])
            push(ents, entity_ref(q, z->registrant, false, "registrant"));
        if (z->sponsor[0])
            push(ents, entity_ref(q, z->sponsor, false, "registrar"));
        if (dom->kind != REGDATA_DOMAIN_ZONE) {
            char zn[DNAME_TEXT_MAX];
            undot(z->name, zn, sizeof zn);
            push(json_object_get(o, "links"), rlink_to(q, "up", "domain", zn));
        }
    }
    /* a reverse name's network: the most specific block holding its prefix (section 5.3) */
    struct lana_diag d;
    struct regdata_block b;
    if (dom->has_prefix && ip_lookup(q, &dom->prefix, &b, &d) == 0)
        put(o, "network", ip_network(q, &b));
    put(o, "secureDNS", json_pack("{s:b}", "delegationSigned", 0));
    if (json_array_size(ents) > 0)
        put(o, "entities", ents);
    else
        json_decref(ents);
    if (json_array_size(remarks) > 0)
        put(o, "remarks", remarks);
    else
        json_decref(remarks);
    return o;
}

/* /domain/NAME (RFC 9082 section 3.1.3): forward and reverse names */
static int domain_query(const struct rdap_q *q, const char *arg, struct rdap_out *out)
{
    struct lana_diag d;
    struct regdata_domain *dom = malloc(sizeof *dom);
    if (dom == NULL)
        return LANA_ENOMEM;
    int rc = regdata_domain(q->rd, arg, dom, &d);
    if (rc == 0)
        rc = top(domain_obj(q, dom), dom->has_prefix, out);
    else
        rc = failed(rc, &d, out);
    free(dom);
    return rc;
}

/* What a listing walk collected, rendered once the walk is over (a regdata walk's callback
 * must not ask regdata again: the walk's statement is still running). */
struct blocks {
    struct regdata_block v[RDAP_LIST_MAX];
    unsigned n;
};

static int blocks_cb(const struct regdata_block *b, void *arg)
{
    struct blocks *l = arg;
    if (l->n < RDAP_LIST_MAX)
        l->v[l->n++] = *b;
    return 0;
}

struct zone_list {
    const struct rdap_q *q;
    json_t *links;
};

static int zone_cb(const struct regdata_zone *z, void *arg)
{
    struct zone_list *l = arg;
    char zn[DNAME_TEXT_MAX];
    undot(z->z.name, zn, sizeof zn);
    push(l->links, rlink_to(l->q, "related", "domain", zn));
    return 0;
}

/* The networks of a listing. */
static json_t *networks(const struct rdap_q *q, const struct blocks *l)
{
    json_t *nets = json_array();
    for (unsigned i = 0; i < l->n; i++)
        push(nets, ip_network(q, &l->v[i]));
    return nets;
}

/* /entity/HANDLE (RFC 9082 section 3.1.5): an account, or a holder text */
static int entity_query(const struct rdap_q *q, const char *arg, struct rdap_out *out)
{
    struct lana_diag d;
    struct regdata_entity e;
    int rc = regdata_entity(q->rd, arg, &e, &d);
    if (rc != 0)
        return failed(rc, &d, out);
    struct blocks *held = malloc(sizeof *held);
    if (held == NULL)
        return LANA_ENOMEM;
    held->n = 0;
    json_t *o = json_object();
    put_str(o, "objectClassName", "entity");
    put_str(o, "handle", e.name);
    put(o, "vcardArray", vcard(e.name, !e.is_account));
    json_t *links = links_self(q, "entity", e.name);
    struct zone_list zl = {q, links};
    bool more = false, zmore = false;
    if (e.is_account) {
        /* RFC 9083 section 10.2.4: the role an account plays in this registry */
        const char *role = strcmp(e.role, "registrar") == 0    ? "registrar"
                           : strcmp(e.role, "registrant") == 0 ? "registrant"
                                                               : "administrative";
        put(o, "roles", json_pack("[s]", role));
        put(o, "status", json_pack("[s]", e.enabled ? "active" : "inactive"));
        put(o, "events", events(e.created, e.updated));
        if (e.sponsor[0])
            put(o, "entities",
                json_pack("[o]", entity_ref(q, e.sponsor, false, "registrar")));
        rc = regdata_mnt_blocks(q->rd, e.name, RDAP_LIST_MAX, blocks_cb, held, &more, &d);
        if (rc == 0)
            rc = regdata_mnt_zones(q->rd, e.name, RDAP_LIST_MAX, zone_cb, &zl, &zmore, &d);
    } else {
        put(o, "roles", json_pack("[s]", "registrant"));
        rc = regdata_holder_blocks(q->rd, e.name, RDAP_LIST_MAX, blocks_cb, held, &more, &d);
    }
    put(o, "links", links);
    if (rc != 0) {
        free(held);
        json_decref(o);
        return failed(rc, &d, out);
    }
    put(o, "networks", networks(q, held));
    bool cidr0 = held->n > 0;
    free(held);
    if (more || zmore)
        put(o, "remarks",
            json_pack("[{s:s, s:[s]}]", "title", "listing truncated", "description",
                      "only the first 100 networks and 100 zones are listed"));
    return top(o, cidr0, out);
}

/* /domains?name=PATTERN (RFC 9082 section 3.2.1) */
struct found {
    struct regdata_domain v[RDAP_LIST_MAX];
    unsigned n;
};

static int found_cb(const struct regdata_domain *dom, void *arg)
{
    struct found *f = arg;
    if (f->n < RDAP_LIST_MAX)
        f->v[f->n++] = *dom;
    return 0;
}

static int domains_search(const struct rdap_q *q, const char *name, struct rdap_out *out)
{
    struct lana_diag d;
    if (name == NULL || *name == '\0')
        return error_obj(400, "Bad request",
                         "a domain search needs name=PATTERN (e.g. name=stud*.lab)", out);
    struct found *f = malloc(sizeof *f);
    if (f == NULL)
        return LANA_ENOMEM;
    f->n = 0;
    bool truncated = false;
    int rc = regdata_domain_search(q->rd, name, RDAP_LIST_MAX, found_cb, f, &truncated, &d);
    if (rc != 0) {
        free(f);
        return failed(rc, &d, out);
    }
    json_t *results = json_array();
    bool cidr0 = false;
    for (unsigned i = 0; i < f->n; i++) {
        push(results, domain_obj(q, &f->v[i]));
        cidr0 = cidr0 || f->v[i].has_prefix;
    }
    free(f);
    json_t *links = json_array();
    char self[HTTP_URL_MAX];
    char pat[HTTP_URL_MAX / 2];
    if (segment(name, pat, sizeof pat) &&
        snprintf(self, sizeof self, "/domains?name=%s", pat) < (int)sizeof self)
        push(links, rlink(q, "self", self));
    else
        push(links, rlink(q, "self", "/domains"));
    json_t *n = notices();
    if (truncated)
        /* RFC 9083 sections 8 and 10.2.1: a truncated result set says so */
        push(n, json_pack("{s:s, s:s, s:[s]}", "title", "Search truncated", "type",
                          "result set truncated due to load", "description",
                          "only the first 100 matches are listed; narrow the pattern"));
    json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "rdapConformance", conformance(cidr0),
                          "notices", n, "domainSearchResults", results, "links", links);
    return finish(o, 200, out);
}

static int not_implemented(const char *what, struct rdap_out *out)
{
    char descr[160];
    snprintf(descr, sizeof descr, "%s queries are not served by this registry; see /rdap/help",
             what);
    return error_obj(501, "Not implemented", descr, out);
}

/* Whether path is "/<word>" or "/<word>/..."; *arg gets what follows "/<word>/" ("" when
 * nothing does). */
static bool is(const char *path, const char *word, const char **arg)
{
    size_t n = strlen(word);
    if (path[0] != '/' || strncmp(path + 1, word, n) != 0)
        return false;
    const char *rest = path + 1 + n;
    if (*rest != '\0' && *rest != '/')
        return false;
    *arg = *rest == '/' ? rest + 1 : rest;
    return true;
}

int rdap_render(struct regdata *rd, const char *base, const char *path, const char *name,
                struct rdap_out *out)
{
    struct rdap_q q = {.base = base, .rd = rd};
    /* the context URI: this request, path and pattern written as URI characters */
    char context[HTTP_URL_MAX * 3 + 512], enc[HTTP_URL_MAX * 3], pat[HTTP_URL_MAX * 3];
    if (uri_path(path, enc, sizeof enc) && (name == NULL || segment(name, pat, sizeof pat))) {
        int n = snprintf(context, sizeof context, "%s/rdap%s%s%s", base, enc,
                         name ? "?name=" : "", name ? pat : "");
        if (n > 0 && (size_t)n < sizeof context)
            q.context = context;
    }
    const char *arg;
    memset(out, 0, sizeof *out);
    if (path[0] == '\0' || strcmp(path, "/") == 0 || is(path, "help", &arg))
        return help(&q, out);
    if (is(path, "ip", &arg))
        return *arg ? ip_query(&q, arg, out)
                    : error_obj(400, "Bad request", "/ip/ needs an address or a prefix", out);
    if (is(path, "domain", &arg))
        return *arg && !strchr(arg, '/')
                   ? domain_query(&q, arg, out)
                   : error_obj(400, "Bad request", "/domain/ needs one domain name", out);
    if (is(path, "entity", &arg))
        return *arg && !strchr(arg, '/')
                   ? entity_query(&q, arg, out)
                   : error_obj(400, "Bad request", "/entity/ needs one handle", out);
    if (is(path, "domains", &arg))
        return *arg ? error_obj(400, "Bad request", "a search takes no path after /domains", out)
                    : domains_search(&q, name, out);
    static const char *const unserved[] = {"autnum", "nameserver", "nameservers", "entities"};
    for (size_t i = 0; i < sizeof unserved / sizeof unserved[0]; i++)
        if (is(path, unserved[i], &arg))
            return not_implemented(unserved[i], out);
    return error_obj(501, "Not implemented",
                     "not an RDAP query this registry knows; see /rdap/help", out);
}

bool rdap_path(const char *url)
{
    return strncmp(url, "/rdap", 5) == 0 && (url[5] == '\0' || url[5] == '/');
}

enum MHD_Result rdap_refuse(const struct http_req *r, unsigned status, const char *descr,
                            const char *const *hdrs)
{
    const char *title = status == 405   ? "Method not allowed"
                        : status == 414 ? "URI too long"
                        : status == 503 ? "Service unavailable"
                                        : "Bad request";
    struct rdap_out o;
    if (error_obj(status, title, descr, &o) != 0) {
        static const char oom[] = "{\"errorCode\":500,\"title\":\"Internal error\"}";
        return http_reply(r, 500, RDAP_CTYPE, oom, sizeof oom - 1);
    }
    enum MHD_Result res = http_reply_hdrs(r, status, RDAP_CTYPE, o.body, o.len, hdrs);
    free(o.body);
    return res;
}

enum MHD_Result rdap_answer(const struct http_req *r)
{
    char base[320], key[HTTP_URL_MAX + 1024];
    if (!http_base_url(r, base, sizeof base))
        snprintf(base, sizeof base, "http://localhost");
    const char *name = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "name");
    /* the answer depends on the registry, the path, the search pattern and the base of its
     * links: all of them in the cache's key (the generation is the cache's own) */
    int n = snprintf(key, sizeof key, "%zu:%s %zu:%s %c%s", strlen(base), base, strlen(r->url),
                     r->url, name ? '?' : '-', name ? name : ""); /* fields delimited by their
                                                                  * lengths: no path is taken
                                                                  * for a pattern */
    bool cacheable = n > 0 && (size_t)n < sizeof key;
    unsigned status;
    const char *body;
    size_t len;
    if (cacheable && http_cache_get(r, key, &status, &body, &len))
        return http_reply(r, status, RDAP_CTYPE, body, len);
    /* one snapshot for the whole answer (an object and its parent's status agree), and the
     * file locks taken once rather than per statement */
    struct lana_diag d;
    bool tx = store_read_begin(r->st, &d) == 0;
    struct rdap_out o;
    int rc = rdap_render(r->rd, base, r->url + 5, name, &o);
    if (tx)
        store_read_end(r->st);
    if (rc != 0) {
        static const char oom[] = "{\"rdapConformance\":[\"rdap_level_0\"],\"errorCode\":500,"
                                  "\"title\":\"Internal error\",\"description\":"
                                  "[\"out of memory\"]}";
        return http_reply(r, 500, RDAP_CTYPE, oom, sizeof oom - 1);
    }
    if (cacheable && o.status != 500)
        http_cache_put(r, key, o.status, o.body, o.len);
    enum MHD_Result res = http_reply(r, o.status, RDAP_CTYPE, o.body, o.len);
    free(o.body);
    return res;
}
