/*
 * rdap — the Registration Data Access Protocol under /rdap/ on lanad's HTTP endpoint: the
 * queries of RFC 9082 that lana has data for (ip, domain, entity, help, domains search), as
 * the JSON objects of RFC 9083 (with the cidr0 extension for ip networks), built with jansson.
 * Read-only: the registration data comes from db/regdata.h, the layer `lana whois` and the
 * port-43 server read too, so the three cannot disagree. Not the HTTP transport (http.c).
 */
#pragma once

#include <stddef.h>

#include "server/http.h"

struct regdata;

#define RDAP_CTYPE "application/rdap+json"

/** A rendered answer: the HTTP status and the JSON body (malloc'd; free with free()). */
struct rdap_out {
    unsigned status;
    char *body;
    size_t len;
};

/**
 * Answers one RDAP query, without sockets: path is the URL's path after "/rdap" (e.g.
 * "/ip/198.18.0.0/16"), name the value of the query string's `name` (NULL: none; the search
 * /domains uses it), base the scheme and authority links are made with ("http://HOST:PORT").
 * Every outcome is an RDAP response: 200 with the object, or an error object with 400
 * (malformed query), 404 (nothing found), 501 (a query lana does not serve) or 500 (the
 * database failed). Reads through rd; never writes.
 * @return 0 with *out filled, or LANA_ENOMEM (nothing to free).
 */
int rdap_render(struct regdata *rd, const char *base, const char *path, const char *name,
                struct rdap_out *out);

/** Answers a request whose path is /rdap or below it (http.c's dispatch). */
enum MHD_Result rdap_answer(const struct http_req *r);

/** Whether url is /rdap or below it. */
bool rdap_path(const char *url);

/**
 * The answers http.c gives before any query (405, 400 for a body, 414, 503) as an RDAP error
 * object (RFC 9083 section 6) with status, description descr and the extra header pairs hdrs
 * (NULL-terminated; NULL for none).
 */
enum MHD_Result rdap_refuse(const struct http_req *r, unsigned status, const char *descr,
                            const char *const *hdrs);
