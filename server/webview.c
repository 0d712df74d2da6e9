/*
 * webview — (to be written) the live web view; until then every path outside /rdap/ is 404.
 */
#include "server/webview.h"

#include <stdlib.h>

struct webview {
    const struct srvconf *cfg;
};

int webview_open(const struct srvconf *cfg, struct commitgen *gen, struct webview **out,
                 struct lana_diag *d)
{
    (void)gen;
    struct webview *w = calloc(1, sizeof *w);
    if (!w)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    w->cfg = cfg;
    *out = w;
    return 0;
}

void webview_close(struct webview *w) { free(w); }

enum MHD_Result webview_answer(struct webview *w, const struct http_req *r)
{
    (void)w;
    static const char body[] = "not found\n";
    return http_reply(r, 404, "text/plain; charset=utf-8", body, sizeof body - 1);
}
