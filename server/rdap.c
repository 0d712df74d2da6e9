/*
 * rdap — see rdap.h. Every answer is one jansson tree dumped compactly: the object of RFC 9083
 * (or an error object, section 6) with the members every top-level response carries
 * (rdapConformance, notices, links with self). Handles follow lana's own names: an ip network
 * is its prefix ("198.18.0.0/16"), a domain its name, an entity its account or holder.
 */
#include "server/rdap.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* What a query asks, split from the path: the kind and its argument ("" when none). */
struct rdap_q {
    const char *base;
    const char *path; /* the whole path after /rdap, for the self link */
    const char *name; /* ?name= */
    struct store *st;
};

static json_t *link_self(const struct rdap_q *q, const char *path)
{
    char href[HTTP_URL_MAX + 512];
    int n = snprintf(href, sizeof href, "%s/rdap%s", q->base, path);
    if (n < 0 || (size_t)n >= sizeof href)
        return json_array();
    return json_pack("[{s:s, s:s, s:s, s:s}]", "value", href, "rel", "self", "href", href,
                     "type", RDAP_CTYPE);
}

/* RFC 9083 section 4.1: the specifications the response follows; cidr0 for ip networks */
static json_t *conformance(bool cidr0)
{
    json_t *a = json_pack("[s]", "rdap_level_0");
    if (cidr0)
        json_array_append_new(a, json_string("cidr0"));
    return a;
}

/* RFC 9083 section 4.3: the terms every answer carries */
static json_t *notices(void)
{
    return json_pack("[{s:s, s:[s, s]}]", "title", "Terms of use", "description",
                     "Registration data of a lana lab registry: addresses and names of a "
                     "teaching network, not of the Internet.",
                     "The same data answers `lana whois` and whois on port 43.");
}

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

/* RFC 9083 section 6: an error object, with the HTTP status as its errorCode */
static int error_obj(unsigned status, const char *title, const char *descr, struct rdap_out *out)
{
    json_t *o = json_pack("{s:o, s:i, s:s, s:[s], s:o}", "rdapConformance", conformance(false),
                          "errorCode", (json_int_t)status, "title", title, "description", descr,
                          "notices", notices());
    return finish(o, status, out);
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
                  "/rdap/domains?name=PATTERN: names matching a pattern, * at the end "
                  "(stud*.lab)",
                  "/rdap/help: this text",
                  "Only GET and HEAD are served; the answers are application/rdap+json."));
    json_t *o = json_pack("{s:o, s:o, s:o}", "rdapConformance", conformance(true), "notices", n,
                          "links", link_self(q, "/help"));
    return finish(o, 200, out);
}

static int not_implemented(const char *what, struct rdap_out *out)
{
    char descr[160];
    snprintf(descr, sizeof descr, "%s queries are not served by this registry; see /rdap/help",
             what);
    return error_obj(501, "Not implemented", descr, out);
}

int rdap_render(struct store *st, const char *base, const char *path, const char *name,
                struct rdap_out *out)
{
    struct rdap_q q = {.base = base, .path = path, .name = name, .st = st};
    memset(out, 0, sizeof *out);
    if (path[0] == '\0' || strcmp(path, "/") == 0 || strcmp(path, "/help") == 0)
        return help(&q, out);
    static const char *const later[] = {"/ip", "/domain", "/entity", "/domains"};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        size_t n = strlen(later[i]);
        if (strncmp(path, later[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
            return error_obj(404, "Not found", "no registration data yet", out);
    }
    static const char *const unserved[] = {"/autnum", "/nameserver", "/nameservers",
                                           "/entities"};
    for (size_t i = 0; i < sizeof unserved / sizeof unserved[0]; i++) {
        size_t n = strlen(unserved[i]);
        if (strncmp(path, unserved[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
            return not_implemented(unserved[i] + 1, out);
    }
    return error_obj(501, "Not implemented",
                     "not an RDAP query this registry knows; see /rdap/help", out);
}

enum MHD_Result rdap_answer(const struct http_req *r)
{
    char base[320];
    if (!http_base_url(r, base, sizeof base))
        snprintf(base, sizeof base, "http://localhost");
    const char *name = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "name");
    struct rdap_out o;
    if (rdap_render(r->st, base, r->url + 5, name, &o) != 0) {
        static const char body[] =
            "{\"errorCode\":500,\"title\":\"Internal error\",\"description\":[\"out of memory\"]}";
        return http_reply(r, 500, RDAP_CTYPE, body, sizeof body - 1);
    }
    enum MHD_Result res = http_reply(r, o.status, RDAP_CTYPE, o.body, o.len);
    free(o.body);
    return res;
}
