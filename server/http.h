/*
 * http — lanad's HTTP endpoint (libmicrohttpd), `listen-http`: RDAP under /rdap/
 * (server/rdap.c) and the live web view everywhere else (server/webview.c). main.c starts and
 * stops it like the registry thread. Only GET and HEAD are served; every response carries
 * `Access-Control-Allow-Origin: *`. Handlers run on the library's threads, each with a
 * read-only registry handle of its own, and never write the registry.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "common/err.h"
#include "server/commitgen.h"
#include "server/srvconf.h"

struct http;
struct http_ctx;
struct regdata;
struct store;
struct webview;

/* The longest request path answered (the query string apart); longer ones get 414. */
#define HTTP_URL_MAX 2048

/** What a handler is given for one request. st and rd are valid only during the handler's
 * call, on its thread (the next request of the thread may see a newer commit through them);
 * when the registry cannot be opened the handler is not called (503). */
struct http_req {
    struct MHD_Connection *conn;
    const char *method; /* "GET" or "HEAD" */
    bool head;          /* a HEAD: the same status and headers, no body */
    const char *url;    /* the path, without the query string */
    struct store *st;   /* this thread's read-only handle on the registry */
    struct regdata *rd; /* the registration data over st (db/regdata.h) */
    struct http_ctx *ctx; /* this thread's state: http_cache_get/put */
    const struct srvconf *cfg;
};

/**
 * Starts serving on the given listening sockets (it takes them over). gen is bumped after
 * every registry commit. 0 with *out, or a LANA_E code with d.
 */
int http_start(const struct srvconf *cfg, struct commitgen *gen, const int *fds, unsigned nfds,
               struct http **out, struct lana_diag *d);
/** Stops serving, closes everything; NULL is a no-op. */
void http_stop(struct http *h);

/**
 * Queues a complete response: status, Content-Type ctype, the common headers, and body
 * (copied; none for a HEAD). MHD_NO when it could not be queued.
 */
enum MHD_Result http_reply(const struct http_req *r, unsigned status, const char *ctype,
                           const char *body, size_t len);

/**
 * http_reply with more headers: hdrs is NULL or a NULL-terminated list of name, value pairs
 * (e.g. {"Allow", "GET, HEAD", NULL}). MHD_NO when it could not be queued.
 */
enum MHD_Result http_reply_hdrs(const struct http_req *r, unsigned status, const char *ctype,
                                const char *body, size_t len, const char *const *hdrs);
/**
 * Adds the headers every response carries (`Access-Control-Allow-Origin: *`) to a response a
 * handler made itself (a streamed one, e.g. Server-Sent Events). MHD_NO when it failed.
 */
enum MHD_Result http_common_headers(struct MHD_Response *resp);
/**
 * The scheme and authority this request reached the server at, "http://HOST[:PORT]", from its
 * Host header (checked: letters, digits and ".-:[]" only) else the local address; for the
 * absolute links RDAP wants. Written into buf (NUL-terminated); false when it does not fit.
 */
bool http_base_url(const struct http_req *r, char *buf, size_t size);

/**
 * An answer this thread rendered for key (e.g. the path with its query) since the last
 * registry commit: true with *status, *body and *len (valid until the handler returns), else
 * false. Thread-local: no lock. Only for answers that depend on the registry and the key alone.
 */
bool http_cache_get(const struct http_req *r, const char *key, unsigned *status,
                    const char **body, size_t *len);
/** Keeps a copy of an answer for http_cache_get until the next commit (or until another key
 * takes its slot); answers over 16 KiB are not kept. Never fails (an answer not kept is
 * rendered again). */
void http_cache_put(const struct http_req *r, const char *key, unsigned status, const char *body,
                    size_t len);
