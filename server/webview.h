/*
 * webview — the live web view lanad serves at / on its HTTP endpoint (server/http.h): a
 * self-contained page (no CDN, nothing fetched from elsewhere) showing the address space as
 * a tree with utilization, zones and their hosts, a search box, and a live feed of changes
 * (Server-Sent Events fed by the audit log). Read-only; no token ever reaches the browser.
 *
 * The page's files (server/web/) are compiled into lanad (server/webassets.h); its data
 * comes from JSON endpoints under /api/ (server/webapi.h) and the feed from /api/events
 * (server/websse.h). Every response carries a strict Content-Security-Policy (everything
 * from this origin only, no inline script or style), nosniff, and a Cache-Control.
 */
#pragma once

#include "common/err.h"
#include "server/commitgen.h"
#include "server/http.h"
#include "server/srvconf.h"

#define WEBVIEW_MAX_STREAMS 64 /* live feeds open at once; one more is answered 503 */

struct webview;

/**
 * Opens the view: its watcher of the audit log starts (a read-only connection of its own on
 * cfg->db). 0 with *out, or a LANA_E code with d.
 */
int webview_open(const struct srvconf *cfg, struct commitgen *gen, struct webview **out,
                 struct lana_diag *d);
/**
 * Ends the live feeds and refuses new ones: call it before the HTTP daemon stops (a suspended
 * stream must be resumed first). webview_close does it too. NULL is a no-op.
 */
void webview_stop(struct webview *w);
/** After the HTTP daemon has stopped; NULL is a no-op. */
void webview_close(struct webview *w);

/** Answers a request for any path outside /rdap/ (404 for what it does not know). */
enum MHD_Result webview_answer(struct webview *w, const struct http_req *r);

/**
 * Queues resp (which it destroys) with status and the view's headers: Content-Type ctype,
 * Cache-Control cache, the Content-Security-Policy and the rest. MHD_NO when it could not.
 */
enum MHD_Result webview_queue(const struct http_req *r, unsigned status,
                              struct MHD_Response *resp, const char *ctype, const char *cache);
/** webview_queue of a response holding a copy of body. */
enum MHD_Result webview_send(const struct http_req *r, unsigned status, const char *ctype,
                             const char *cache, const char *body, size_t len);
