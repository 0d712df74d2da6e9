/*
 * webview — the live web view lanad serves at / on its HTTP endpoint (server/http.h): a
 * self-contained page (no CDN, nothing fetched from elsewhere) showing the address space as
 * a tree with utilization, zones and their hosts, a search box, and a live feed of changes
 * (Server-Sent Events fed by the audit log). Read-only; no token ever reaches the browser.
 */
#pragma once

#include "common/err.h"
#include "server/commitgen.h"
#include "server/http.h"
#include "server/srvconf.h"

struct webview;

/** 0 with *out, or a LANA_E code with d. */
int webview_open(const struct srvconf *cfg, struct commitgen *gen, struct webview **out,
                 struct lana_diag *d);
/** NULL is a no-op. */
void webview_close(struct webview *w);

/** Answers a request for any path outside /rdap/ (404 for what it does not know). */
enum MHD_Result webview_answer(struct webview *w, const struct http_req *r);
