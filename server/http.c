/*
 * http — lanad's HTTP endpoint: one libmicrohttpd daemon per listening socket, each with its
 * own thread pool (epoll, suspend/resume for streamed responses). This file is transport only:
 * the method and URL-length checks, the per-thread registry handle, the common headers; what
 * a path answers is rdap.c's (/rdap and below) or webview.c's (everything else).
 *
 * Each pool thread opens its read-only registry handle (and the regdata reader over it) on its
 * first request and keeps it in a thread-local slot; every one opened is also listed in struct
 * http, which closes them all once the library's threads have stopped.
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "db/regdata.h"
#include "db/store.h"
#include "server/rdap.h"
#include "server/webview.h"

#define HTTP_MAX_DAEMONS CONF_LIST_MAX
#define HTTP_MAX_CTX (64 * HTTP_MAX_DAEMONS) /* one per pool thread (http-threads <= 64) */
#define HTTP_CACHE_SLOTS 512         /* cached answers per thread */
#define HTTP_CACHE_BODY_MAX 16384    /* longer answers are not kept */

/* A rendered answer kept for the next identical request of the same commit generation. */
struct http_cached {
    uint64_t hash;
    char *key;  /* NULL: the slot is free */
    unsigned status;
    char *body; /* key and body in one allocation */
    size_t len;
};

/* A pool thread's registry handle, the registration data reader over it, and its cache of
 * answers (direct-mapped by the key's hash; every slot emptied when a commit happened since
 * they were made, so an answer never outlives the data it shows). */
struct http_ctx {
    struct store *st;
    struct regdata *rd;
    uint64_t gen; /* the commit generation the cached answers belong to */
    struct http_cached cache[HTTP_CACHE_SLOTS];
};

struct http {
    const struct srvconf *cfg;
    struct commitgen *gen;
    struct webview *web;
    struct MHD_Daemon *daemons[HTTP_MAX_DAEMONS];
    unsigned ndaemons;
    pthread_mutex_t lock; /* guards ctx */
    struct http_ctx *ctx[HTTP_MAX_CTX];
    unsigned nctx;
};

/* This thread's context, and the endpoint that made it (a context never outlives its http:
 * http_stop closes it after the thread is gone). */
static _Thread_local struct http_ctx *tls_ctx;
static _Thread_local const struct http *tls_owner;

static void ctx_flush(struct http_ctx *c)
{
    for (size_t i = 0; i < HTTP_CACHE_SLOTS; i++) {
        free(c->cache[i].key);
        c->cache[i].key = NULL;
    }
}

static void ctx_free(struct http_ctx *c)
{
    if (c == NULL)
        return;
    ctx_flush(c);
    regdata_close(c->rd);
    store_close(c->st);
    free(c);
}

static struct http_ctx *thread_ctx(struct http *h)
{
    if (tls_owner == h && tls_ctx != NULL)
        return tls_ctx;
    struct lana_diag d;
    struct http_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        log_warn("http: out of memory");
        return NULL;
    }
    if (store_open_reader(h->cfg->db, &c->st, &d) != 0 || regdata_open(c->st, &c->rd, &d) != 0) {
        log_warn("http: cannot open the registry: %s", d.msg);
        ctx_free(c);
        return NULL;
    }
    pthread_mutex_lock(&h->lock);
    bool kept = h->nctx < HTTP_MAX_CTX;
    if (kept)
        h->ctx[h->nctx++] = c;
    pthread_mutex_unlock(&h->lock);
    if (!kept) {
        ctx_free(c);
        log_warn("http: more threads than registry handles (%d)", HTTP_MAX_CTX);
        return NULL;
    }
    tls_ctx = c;
    tls_owner = h;
    return c;
}

/* FNV-1a, 64 bits: the slot of a key */
static uint64_t key_hash(const char *key)
{
    uint64_t x = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        x = (x ^ *p) * 1099511628211ull;
    return x;
}

bool http_cache_get(const struct http_req *r, const char *key, unsigned *status,
                    const char **body, size_t *len)
{
    uint64_t x = key_hash(key);
    const struct http_cached *e = &r->ctx->cache[x % HTTP_CACHE_SLOTS];
    if (e->key == NULL || e->hash != x || strcmp(e->key, key) != 0)
        return false;
    *status = e->status;
    *body = e->body;
    *len = e->len;
    return true;
}

void http_cache_put(const struct http_req *r, const char *key, unsigned status, const char *body,
                    size_t len)
{
    size_t klen = strlen(key) + 1;
    if (len > HTTP_CACHE_BODY_MAX || klen > HTTP_URL_MAX * 2)
        return;
    uint64_t x = key_hash(key);
    struct http_cached *e = &r->ctx->cache[x % HTTP_CACHE_SLOTS];
    char *mem = malloc(klen + len + 1);
    if (mem == NULL)
        return; /* not kept: the next request renders it again */
    free(e->key);
    memcpy(mem, key, klen);
    memcpy(mem + klen, body, len);
    mem[klen + len] = '\0';
    *e = (struct http_cached){x, mem, status, mem + klen, len};
}

enum MHD_Result http_common_headers(struct MHD_Response *resp)
{
    /* RFC 7480 section 5.6: RDAP is read by web pages of other origins */
    return MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
}

enum MHD_Result http_reply_hdrs(const struct http_req *r, unsigned status, const char *ctype,
                                const char *body, size_t len, const char *const *hdrs)
{
    /* a HEAD gets the GET's headers, Content-Length included; the library sends no body */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    enum MHD_Result ok = http_common_headers(resp);
    if (ok == MHD_YES && ctype != NULL)
        ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (size_t i = 0; ok == MHD_YES && hdrs != NULL && hdrs[i] != NULL && hdrs[i + 1] != NULL;
         i += 2)
        ok = MHD_add_response_header(resp, hdrs[i], hdrs[i + 1]);
    if (ok == MHD_YES)
        ok = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

enum MHD_Result http_reply(const struct http_req *r, unsigned status, const char *ctype,
                           const char *body, size_t len)
{
    return http_reply_hdrs(r, status, ctype, body, len, NULL);
}

/* A Host header lana may echo into a link: a name, an IPv4 address or a bracketed IPv6
 * address, each with an optional port. */
static bool host_ok(const char *host)
{
    size_t n = strlen(host);
    return n > 0 && n <= 261 &&
           strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
               n;
}

bool http_base_url(const struct http_req *r, char *buf, size_t size)
{
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char local[NET_ADDRSTRLEN] = "localhost";
    if (host == NULL || !host_ok(host)) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (ci != NULL && getsockname(ci->connect_fd, (struct sockaddr *)&ss, &sl) == 0)
            net_addr_format((struct sockaddr *)&ss, local, sizeof local);
        host = local;
    }
    int n = snprintf(buf, size, "http://%s", host);
    return n > 0 && (size_t)n < size;
}

/* A refusal before any query: an RDAP error object under /rdap, a line of text elsewhere. */
static enum MHD_Result refuse(const struct http_req *r, unsigned status, const char *why,
                              const char *const *hdrs)
{
    if (rdap_path(r->url))
        return rdap_refuse(r, status, why, hdrs);
    char body[128];
    int n = snprintf(body, sizeof body, "%s\n", why);
    return http_reply_hdrs(r, status, "text/plain; charset=utf-8", body,
                           n > 0 && (size_t)n < sizeof body ? (size_t)n : 0, hdrs);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    (void)upload_data;
    struct http *h = cls;
    struct http_req r = {.conn = conn, .method = method, .url = url, .cfg = h->cfg};
    r.head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (!r.head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
        /* RFC 9110 section 15.5.6: a 405 lists what is allowed. Answered before any body
         * is read, so the library closes the connection instead of reading that body. */
        static const char *const allow[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL};
        return refuse(&r, 405, "only GET and HEAD are served here", allow);
    }
    /* The library calls once when the headers are in, then again for each piece of a body
     * and once at its end. A response queued before that end costs the connection (the
     * library cannot keep it alive), so the first call only marks the request seen. */
    static int seen;
    if (*req_cls == NULL) {
        *req_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) { /* GET and HEAD take no body: refused, connection closed */
        *upload_data_size = 0;
        return refuse(&r, 400, "a GET or HEAD request carries no body", NULL);
    }
    /* the library bounds the request line by its memory pool; the path is bounded here */
    if (strlen(url) > HTTP_URL_MAX) {
        return refuse(&r, 414, "the URL is too long", NULL);
    }
    struct http_ctx *ctx = thread_ctx(h);
    if (ctx == NULL) {
        return refuse(&r, 503, "the registry cannot be read now", NULL);
    }
    /* read before any query: a commit after this point bumps it again, so an answer
     * rendered from newer data is at worst dropped one request early, never kept too long */
    uint64_t gen = commitgen_get(h->gen);
    if (ctx->gen != gen) {
        ctx_flush(ctx);
        ctx->gen = gen;
    }
    r.st = ctx->st;
    r.rd = ctx->rd;
    r.ctx = ctx;
    enum MHD_Result res;
    if (strncmp(url, "/rdap", 5) == 0 && (url[5] == '\0' || url[5] == '/'))
        res = rdap_answer(&r);
    else
        res = webview_answer(h->web, &r);
    store_read_done(r.st); /* the next request sees the last commit */
    return res;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (!log_enabled(LOG_LVL_INFO))
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_info("http: %s", msg);
}

int http_start(const struct srvconf *cfg, struct commitgen *gen, const int *fds, unsigned nfds,
               struct http **out, struct lana_diag *d)
{
    int rc = 0;
    unsigned i = 0;
    struct http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    h->cfg = cfg;
    h->gen = gen;
    pthread_mutex_init(&h->lock, NULL);
    if ((rc = webview_open(cfg, gen, &h->web, d)) != 0)
        goto out;
    unsigned threads = (unsigned)cfg->http_threads;
    /* the connection cap is the library's per daemon: split it among the sockets (the library
     * splits each share among its threads, and wants one connection for each at least) */
    unsigned cap = (unsigned)(cfg->http_max_connections / (nfds ? nfds : 1));
    if (cap < threads)
        cap = threads;
    for (; i < nfds && i < HTTP_MAX_DAEMONS; i++) {
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                         MHD_ALLOW_SUSPEND_RESUME;
        if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
            flags |= MHD_USE_EPOLL;
        else
            flags |= MHD_USE_POLL;
        struct MHD_Daemon *md = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fds[i], MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_CONNECTION_LIMIT, cap,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->http_max_per_address,
            MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)cfg->http_idle_timeout,
            /* the request line and headers live in this pool: a longer request gets 414 or
             * 431 from the library before any handler runs */
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024), MHD_OPTION_END);
        if (md == NULL) {
            rc = diag_set(d, LANA_EIO, "cannot start the HTTP server on socket %d", fds[i]);
            goto out;
        }
        h->daemons[h->ndaemons++] = md;
    }
out:
    if (rc != 0) {
        for (unsigned k = i; k < nfds; k++) /* the sockets no daemon took over */
            close(fds[k]);
        http_stop(h);
        return rc;
    }
    *out = h;
    return 0;
}

void http_stop(struct http *h)
{
    if (h == NULL)
        return;
    webview_stop(h->web); /* the library must not stop with a live feed suspended */
    for (unsigned i = 0; i < h->ndaemons; i++)
        MHD_stop_daemon(h->daemons[i]); /* joins its threads and closes its socket */
    for (unsigned i = 0; i < h->nctx; i++)
        ctx_free(h->ctx[i]);
    webview_close(h->web);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
