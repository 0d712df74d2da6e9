/*
 * webview — the live web view (see webview.h): routing, the page's files, the headers every
 * answer carries. The data is webapi's, the feed websse's.
 */
#include "server/webview.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/webapi.h"
#include "server/webassets.h"
#include "server/websse.h"

/* Everything from this origin, nothing inline, nothing framed: the page needs no more. */
#define WEBVIEW_CSP                                                                                \
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "            \
    "object-src 'none'"

struct webview {
    const struct srvconf *cfg;
    struct websse *sse;
    char (*etag)[24]; /* per asset: a quoted hash of its bytes, for If-None-Match */
};

/* FNV-1a: enough to tell two versions of a file apart (not a security boundary). */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

int webview_open(const struct srvconf *cfg, struct commitgen *gen, struct webview **out,
                 struct lana_diag *d)
{
    (void)gen; /* the watcher polls the log: changes by other processes bump no generation */
    int rc = 0;
    struct webview *w = calloc(1, sizeof *w);
    if (w == NULL || (w->etag = calloc(webassets_count ? webassets_count : 1,
                                       sizeof *w->etag)) == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    w->cfg = cfg;
    for (unsigned i = 0; i < webassets_count; i++) {
        int n = snprintf(w->etag[i], sizeof w->etag[i], "\"%016" PRIx64 "\"",
                         fnv1a(webassets[i].data, webassets[i].len));
        if (n < 0 || (size_t)n >= sizeof w->etag[i])
            w->etag[i][0] = '\0';
    }
    if ((rc = websse_open(cfg->db, WEBVIEW_MAX_STREAMS,
                          (unsigned)cfg->http_feeds_per_address, &w->sse, d)) != 0)
        goto out;
    *out = w;
out:
    if (rc != 0)
        webview_close(w);
    return rc;
}

void webview_stop(struct webview *w)
{
    if (w != NULL)
        websse_stop(w->sse);
}

void webview_close(struct webview *w)
{
    if (w == NULL)
        return;
    websse_stop(w->sse);
    websse_close(w->sse);
    free(w->etag);
    free(w);
}

enum MHD_Result webview_queue(const struct http_req *r, unsigned status,
                              struct MHD_Response *resp, const char *ctype, const char *cache)
{
    static const char *const fixed[][2] = {
        {"Content-Security-Policy", WEBVIEW_CSP},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
    };
    bool ok = http_common_headers(resp) == MHD_YES &&
              MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_YES &&
              MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache) == MHD_YES;
    for (size_t i = 0; ok && i < sizeof fixed / sizeof *fixed; i++)
        ok = MHD_add_response_header(resp, fixed[i][0], fixed[i][1]) == MHD_YES;
    enum MHD_Result rc = ok ? MHD_queue_response(r->conn, status, resp) : MHD_NO;
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result webview_send(const struct http_req *r, unsigned status, const char *ctype,
                             const char *cache, const char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    return webview_queue(r, status, resp, ctype, cache);
}

/* One of the page's files: revalidated on every load (no-cache), 304 when unchanged. */
static enum MHD_Result send_asset(struct webview *w, const struct http_req *r, unsigned i)
{
    const struct webasset *a = &webassets[i];
    const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool same = inm != NULL && w->etag[i][0] != '\0' && strcmp(inm, w->etag[i]) == 0;
    struct MHD_Response *resp =
        same ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
             : MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    if (w->etag[i][0] != '\0' &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, w->etag[i]) != MHD_YES) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    return webview_queue(r, same ? 304 : 200, resp, a->ctype, "no-cache");
}

enum MHD_Result webview_answer(struct webview *w, const struct http_req *r)
{
    static const char missing[] = "not found\n";
    const char *path = strcmp(r->url, "/") == 0 ? "/index.html" : r->url;
    for (unsigned i = 0; i < webassets_count; i++)
        if (strcmp(path, webassets[i].path) == 0)
            return send_asset(w, r, i);
    if (strcmp(path, "/api/events") == 0)
        return websse_answer(w->sse, r);
    if (strncmp(path, "/api/", 5) == 0)
        return webapi_answer(r, path + 5);
    return webview_send(r, 404, "text/plain; charset=utf-8", "no-store", missing,
                        sizeof missing - 1);
}
