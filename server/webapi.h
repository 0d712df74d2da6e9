/*
 * webapi — the web view's data, as JSON (jansson, compact) under /api/. Read-only, public
 * fields only (what whois and DNS publish anyway), and bounded: every list is one page
 * (`limit`, at most WEBAPI_LIMIT_MAX rows) that starts after a key (`after`), so that a page
 * costs the same whatever the size of the registry.
 *
 *   GET /api/tree                      the root pools, each with its utilization
 *   GET /api/tree?block=P[&after=Q][&limit=N]
 *                                      block P and one page of its children, in address order
 *   GET /api/zones[?after=Z][&limit=N] the zones, by name
 *   GET /api/hosts?zone=Z[&after=H][&limit=N]
 *                                      one page of the hosts of zone Z
 *   GET /api/search?q=TEXT             who holds an address or prefix (the chain of blocks
 *                                      from the root pool down, and the host at an address),
 *                                      a zone or host by name, an account (with the blocks it
 *                                      maintains), a holder text (its blocks): all read
 *                                      through db/regdata.h, as whois and RDAP answer
 *
 * A block is {prefix, status, holder, description, maintainer, created, updated, size, used,
 * ppm, children}: size and used are decimal strings (an IPv6 count does not fit a JSON
 * number), ppm the used share in millionths. Errors are {"error": "..."} with 400 (bad
 * argument), 404 (no such block, zone or endpoint) or 500.
 */
#pragma once

#include "server/http.h"

#define WEBAPI_LIMIT_DEFAULT 100
#define WEBAPI_LIMIT_MAX 1000

/** Answers GET/HEAD /api/<what> ("tree", "zones", "hosts", "search"); 404 otherwise. */
enum MHD_Result webapi_answer(const struct http_req *r, const char *what);
