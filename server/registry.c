/*
 * registry — see registry.h.
 */
#include "server/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/auth.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/net.h"
#include "common/regproto.h"
#include "db/account.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/zone.h"
#include "db/zoneio.h"
#include "db/store.h"
#include "server/regcmd.h"
#include "server/worker.h"

#include <stdatomic.h>

#define BATCH_MAX_LINES 1000000
#define BATCH_MAX_BYTES (64u << 20)
#define OUT_PAUSE (1u << 20) /* stop reading a connection with this much unsent */

enum rstate { RS_HELLO, RS_ACK, RS_READY, RS_BATCH, RS_IMPORT };

enum rkind { RK_STOP, RK_LISTEN, RK_CONN };

struct rsrc { /* first member of what epoll reports */
    enum rkind kind;
    int fd;
};

struct regconn {
    struct rsrc ev;
    char peer[NET_ADDRSTRLEN];
    char in[REGPROTO_LINE_MAX];
    size_t inlen;
    char *out;
    size_t outlen, outoff, outcap;
    enum rstate state;
    uint32_t x, y;
    bool may_write, closing, wrote; /* wrote: changed data in this turn */
    uint32_t events;                /* what epoll watches for it now */
    char user[ACCOUNT_NAME_MAX];
    char actor[ACCOUNT_NAME_MAX + NET_ADDRSTRLEN + 8];
    uint64_t last_ms;
    char **batch;
    size_t nbatch, capbatch, batchbytes;
    bool keep_going;
    char origin[256]; /* zone import --origin */
    bool import_refused; /* the lines up to the final dot are read and dropped */
    struct regconn *prev, *next;
};

struct registry {
    const struct srvconf *cfg;
    pthread_t thread;
    int epfd;
    struct rsrc stop;
    struct rsrc *ls;
    unsigned nls;
    struct store *st;
    struct ipam *ip;
    struct names *nm;
    struct jsonw reply;
    struct regconn *conns;
    unsigned nconns;
    uint64_t turns; /* turns that changed something */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- bootstrap -------------------------------------------------------------------------- */

static int write_token_file(const char *path, const uint8_t token[AUTH_TOKEN_LEN],
                            struct lana_diag *d)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return diag_set(d, LANA_EIO, "cannot create %s: %s", path, strerror(errno));
    char hex[AUTH_HEX_LEN + 1];
    auth_hex(token, AUTH_TOKEN_LEN, hex);
    hex[AUTH_HEX_LEN - 1] = '\n';
    ssize_t n = write(fd, hex, AUTH_HEX_LEN);
    bool ok = n == AUTH_HEX_LEN && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return diag_set(d, LANA_EIO, "cannot write %s", path);
    }
    return 0;
}

/* A token file left from an earlier database is reused rather than replaced. */
static int read_token_file(const char *path, uint8_t token[AUTH_TOKEN_LEN], struct lana_diag *d)
{
    char buf[256];
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return diag_set(d, LANA_EIO, "cannot read %s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    if (auth_unhex(buf, token, AUTH_TOKEN_LEN) != 0)
        return diag_set(d, LANA_EPARSE, "%s does not hold a token (64 hex digits)", path);
    return 0;
}

static int reverse_cb(const struct ipam_block *b, void *arg)
{
    char rev[CIDR_REVLEN];
    struct lana_diag d;
    if (cidr_reverse_name(&b->prefix, rev, sizeof rev) < 0)
        return 0;
    int rc = zone_ensure(arg, rev, "lanad", &d);
    if (rc == 1)
        log_notice("reverse zone %s created for the pool", rev);
    else if (rc < 0)
        log_warn("reverse zone %s: %s", rev, d.msg);
    return 0;
}

static int count_cb(const struct ipam_block *b, void *arg)
{
    (void)b;
    (*(int *)arg)++;
    return 0;
}

int registry_bootstrap(const struct srvconf *cfg, struct lana_diag *d)
{
    struct store *st;
    struct ipam *ip = NULL;
    int rc = store_open(cfg->db, &st, NULL, d);
    if (rc != 0)
        return rc;
    char *path = srvconf_token_path(cfg);
    struct account admin;
    if (path == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = account_get(st, "admin", &admin, d)) < 0)
        goto out;
    if (rc == 0) {
        uint8_t token[AUTH_TOKEN_LEN];
        struct stat sb;
        bool reuse = stat(path, &sb) == 0;
        if (reuse)
            rc = read_token_file(path, token, d);
        else if ((rc = auth_random(token, sizeof token)) == 0)
            rc = write_token_file(path, token, d);
        if (rc != 0)
            goto out;
        memset(&admin, 0, sizeof admin);
        snprintf(admin.name, sizeof admin.name, "admin");
        snprintf(admin.role, sizeof admin.role, "admin");
        auth_stored_key(token, admin.stored_key);
        memset(token, 0, sizeof token);
        if ((rc = store_begin(st, d)) != 0 || (rc = account_add(st, &admin, "lanad", d)) != 0 ||
            (rc = store_commit(st, d)) != 0) {
            store_rollback(st);
            if (!reuse)
                unlink(path);
            goto out;
        }
        log_notice("admin token %s %s (mode 0600): give it to lana with --token-file or "
                   "LANA_TOKEN", reuse ? "read from" : "written to", path);
    }
    /* root pools, when the registry has none */
    if ((rc = ipam_open(st, &ip, d)) != 0)
        goto out;
    int npools = 0;
    if ((rc = ipam_children(ip, NULL, count_cb, &npools, d)) != 0)
        goto out;
    for (unsigned i = 0; npools == 0 && i < cfg->pool.n && rc == 0; i++) {
        struct cidr p;
        struct lana_diag pd;
        if (cidr_parse(cfg->pool.v[i], &p, &pd) != 0)
            continue; /* checked when the configuration was read */
        rc = ipam_pool_add(ip, &p, "root pool from the configuration", "lanad", NULL, &pd);
        if (rc == LANA_ECONFLICT) {
            log_warn("pool %s: %s", cfg->pool.v[i], pd.msg);
            rc = 0;
        } else if (rc != 0) {
            diag_set(d, rc, "pool %s: %s", cfg->pool.v[i], pd.msg);
        } else {
            log_notice("root pool %s created", cfg->pool.v[i]);
        }
    }
    /* every pool has its reverse zone (also for databases made before hosts existed) */
    if (rc == 0) {
        struct names *nm = NULL;
        if ((rc = names_open(st, ip, &nm, d)) == 0)
            rc = ipam_children(ip, NULL, reverse_cb, nm, d);
        names_close(nm);
    }
out:
    ipam_close(ip);
    free(path);
    store_close(st);
    return rc;
}

/* ---- connections ------------------------------------------------------------------------ */

static void conn_watch(struct registry *r, struct regconn *c)
{
    size_t pending = c->outlen - c->outoff;
    uint32_t want = (pending > 0 ? EPOLLOUT : 0) | (!c->closing && pending < OUT_PAUSE ? EPOLLIN : 0);
    if (want == c->events)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = c};
    epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->ev.fd, &ev);
    c->events = want;
}

static void batch_clear(struct regconn *c)
{
    for (size_t i = 0; i < c->nbatch; i++)
        free(c->batch[i]);
    free(c->batch);
    c->batch = NULL;
    c->nbatch = c->capbatch = c->batchbytes = 0;
}

static void conn_close(struct registry *r, struct regconn *c)
{
    close(c->ev.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    r->nconns--;
    batch_clear(c);
    free(c->out);
    free(c);
}

static bool out_put(struct regconn *c, const char *s, size_t n)
{
    if (c->outcap - c->outlen < n + 1) {
        if (c->outoff > 0) { /* slide the unsent part down first */
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->outoff = 0;
        }
        size_t cap = c->outcap ? c->outcap : 4096;
        while (cap - c->outlen < n + 1)
            cap *= 2;
        char *o = realloc(c->out, cap);
        if (o == NULL)
            return false;
        c->out = o;
        c->outcap = cap;
    }
    memcpy(c->out + c->outlen, s, n);
    c->outlen += n;
    return true;
}

static void reply(struct regconn *c, const char *json)
{
    if (!out_put(c, json, strlen(json)) || !out_put(c, "\n", 1))
        c->closing = true;
}

static void reply_fmt(struct regconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_fmt(struct regconn *c, const char *fmt, ...)
{
    char line[REGPROTO_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    reply(c, line);
}

/* An error line of the handshake or of the transport, after which the connection closes. */
static void refuse(struct registry *r, struct regconn *c, enum regproto_code code, const char *msg)
{
    regcmd_error(&r->reply, code, "%s", msg);
    if (c->state == RS_HELLO || c->state == RS_ACK)
        reply_fmt(c, "ERROR %s", r->reply.s);
    else
        reply(c, r->reply.s);
    c->closing = true;
}

static void flush(struct registry *r, struct regconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->ev.fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            conn_close(r, c);
            return;
        }
        c->outoff += (size_t)n;
    }
    if (c->outoff == c->outlen) {
        c->outoff = c->outlen = 0;
        if (c->closing) {
            conn_close(r, c);
            return;
        }
    }
    conn_watch(r, c);
}

/*
 * Sends what the socket takes now, without waiting and without closing: a long batch streams
 * its per-command lines while it runs (the client reads them meanwhile); its summary, which
 * says whether the batch was committed, is only sent after the commit.
 */
static void send_some(struct regconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->ev.fd, c->out + c->outoff, c->outlen - c->outoff,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0)
            return; /* full, or failed: flush() after the turn sorts it out */
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
}

static void accept_all(struct registry *r, int lfd)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a connection that went away before we took it */
        struct regconn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->ev = (struct rsrc){RK_CONN, fd};
        net_addr_format((struct sockaddr *)&ss, c->peer, sizeof c->peer);
        c->last_ms = now_ms();
        c->next = r->conns;
        if (r->conns)
            r->conns->prev = c;
        r->conns = c;
        r->nconns++;
        c->events = EPOLLIN;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            conn_close(r, c);
            continue;
        }
        if (r->nconns > r->cfg->registry_max_connections) {
            log_warn("registry: %s: refused, %u connections already", c->peer, r->nconns - 1);
            refuse(r, c, RP_BUSY, "too many connections; try again later");
            flush(r, c);
        }
    }
}

/* ---- requests ----------------------------------------------------------------------------- */

static void handshake(struct registry *r, struct regconn *c, char *line)
{
    char *argv[8];
    struct lana_diag d;
    int argc = regproto_split(line, argv, 8, &d);
    if (c->state == RS_HELLO) {
        if (argc != 3 || strcmp(argv[0], "HELLO") != 0 || !regproto_kv_u32(argv[2], "seq", &c->x)) {
            refuse(r, c, RP_HANDSHAKE, "expected: HELLO " REGPROTO_VERSION " seq=X");
            return;
        }
        if (strcmp(argv[1], REGPROTO_VERSION) != 0) {
            refuse(r, c, RP_HANDSHAKE, "this server speaks " REGPROTO_VERSION " only");
            return;
        }
        c->y = auth_random_u32();
        reply_fmt(c, "WELCOME %s ack=%u seq=%u", REGPROTO_VERSION, c->x + 1, c->y);
        c->state = RS_ACK;
        return;
    }
    uint32_t ack = 0;
    const char *user = NULL, *proof = NULL;
    bool ok = argc >= 2 && strcmp(argv[0], "ACK") == 0 && regproto_kv_u32(argv[1], "ack", &ack);
    for (int i = 2; ok && i < argc; i++) {
        if (strncmp(argv[i], "user=", 5) == 0)
            user = argv[i] + 5;
        else if (strncmp(argv[i], "proof=", 6) == 0)
            proof = argv[i] + 6;
        else
            ok = false;
    }
    if (!ok) {
        refuse(r, c, RP_HANDSHAKE, "expected: ACK ack=Y+1 [user=NAME proof=HEX]");
        return;
    }
    if (ack != c->y + 1) {
        log_warn("registry: %s: handshake with ack=%u, expected %u", c->peer, ack, c->y + 1);
        refuse(r, c, RP_HANDSHAKE, "wrong ack: it must be the server's seq + 1");
        return;
    }
    const char *role = "anonymous";
    if (proof != NULL) {
        struct account a;
        uint8_t p[AUTH_TOKEN_LEN];
        if (user == NULL || *user == '\0')
            user = "admin";
        int rc = account_get(r->st, user, &a, &d);
        bool good = rc == 1 && auth_unhex(proof, p, sizeof p) == 0 &&
                    auth_verify(a.stored_key, c->x, c->y, p);
        if (!good) {
            log_warn("registry: %s: authentication as %.64s refused", c->peer, user);
            refuse(r, c, RP_PERMISSION, "authentication refused");
            return;
        }
        snprintf(c->user, sizeof c->user, "%s", a.name);
        role = strcmp(a.role, "admin") == 0 ? "admin" : a.role;
        c->may_write = strcmp(a.role, "admin") == 0 || strcmp(a.role, "registrar") == 0;
        log_info("registry: %s: authenticated as %s", c->peer, c->user);
    } else if (user != NULL) {
        refuse(r, c, RP_HANDSHAKE, "user= without proof=");
        return;
    }
    snprintf(c->actor, sizeof c->actor, "%s@%s", c->user[0] ? c->user : "anonymous", c->peer);
    jsonw_reset(&r->reply);
    jsonw_obj(&r->reply);
    jsonw_kstr(&r->reply, "user", c->user);
    jsonw_kstr(&r->reply, "role", role);
    jsonw_kbool(&r->reply, "write", c->may_write);
    jsonw_end(&r->reply);
    reply_fmt(c, "READY %s", r->reply.s);
    c->state = RS_READY;
}

/* Opens the turn's transaction before the first change. */
static bool ensure_tx(struct registry *r, struct regconn *c)
{
    struct lana_diag d;
    if (!store_in_transaction(r->st) && store_begin(r->st, &d) != 0) {
        log_err("registry: %s", d.msg);
        regcmd_error(&r->reply, RP_INTERNAL, "database busy: %s", d.msg);
        reply(c, r->reply.s);
        return false;
    }
    c->wrote = true;
    return true;
}

static struct regcmd_ctx ctx_of(struct registry *r, struct regconn *c)
{
    return (struct regcmd_ctx){r->st, r->ip, c->actor, c->may_write, r->nm};
}

static enum regproto_code run_line(struct registry *r, struct regconn *c, char *line)
{
    char *argv[REGPROTO_ARGS_MAX];
    struct lana_diag d;
    int argc = regproto_split(line, argv, REGPROTO_ARGS_MAX, &d);
    enum regproto_code code;
    if (argc < 0) {
        code = regcmd_error(&r->reply, RP_USAGE, "%s", d.msg);
    } else if (argc > 0 && (strcmp(argv[0], "batch") == 0 || strcmp(argv[0], "end") == 0 ||
                            strcmp(argv[0], "quit") == 0) && c->state == RS_BATCH) {
        code = regcmd_error(&r->reply, RP_USAGE, "%s is not allowed inside a batch", argv[0]);
    } else {
        struct regcmd_ctx x = ctx_of(r, c);
        if (regcmd_is_write(argc, argv) && c->may_write && !ensure_tx(r, c))
            return RP_INTERNAL;
        code = regcmd_run(&x, argc, argv, &r->reply);
    }
    reply(c, r->reply.s);
    return code;
}

static void run_batch(struct registry *r, struct regconn *c)
{
    uint64_t t0 = now_ms();
    struct lana_diag d;
    size_t ok = 0, failed = 0, first_bad = 0;
    bool unit = false;
    if (ensure_tx(r, c) && store_batch_begin(r->st, &d) == 0)
        unit = true;
    /* all or nothing: the batch savepoint undoes everything on a failure, so the engine need
     * not keep a savepoint per command */
    ipam_set_atomic(r->ip, c->keep_going);
    for (size_t i = 0; unit && i < c->nbatch; i++) {
        if (i % 256 == 255)
            send_some(c);
        if (run_line(r, c, c->batch[i]) == RP_OK) {
            ok++;
            continue;
        }
        if (failed++ == 0)
            first_bad = i + 1;
        if (!c->keep_going)
            break;
    }
    ipam_set_atomic(r->ip, true);
    bool keep = unit && (failed == 0 || c->keep_going);
    if (unit && store_batch_end(r->st, keep, &d) != 0) {
        log_err("registry: batch: %s", d.msg);
        keep = false;
    }
    jsonw_reset(&r->reply);
    jsonw_obj(&r->reply);
    jsonw_kbool(&r->reply, "ok", unit && failed == 0);
    jsonw_key(&r->reply, "batch");
    jsonw_obj(&r->reply);
    jsonw_kint(&r->reply, "commands", (int64_t)c->nbatch);
    jsonw_kint(&r->reply, "succeeded", (int64_t)ok);
    jsonw_kint(&r->reply, "failed", (int64_t)failed);
    if (failed > 0)
        jsonw_kint(&r->reply, "first_failed_line", (int64_t)first_bad);
    jsonw_kbool(&r->reply, "committed", keep);
    jsonw_end(&r->reply);
    jsonw_end(&r->reply);
    reply(c, r->reply.s);
    log_info("registry: %s: batch of %zu commands, %zu failed, %s in %llu ms", c->peer, c->nbatch,
             failed, keep ? "kept" : "undone", (unsigned long long)(now_ms() - t0));
    batch_clear(c);
    c->state = RS_READY;
}

/* Runs a zone file received between "zone import" and "." as one unit of the turn. */
static void run_import(struct registry *r, struct regconn *c)
{
    struct lana_diag d;
    if (c->import_refused) { /* already answered */
        batch_clear(c);
        c->state = RS_READY;
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < c->nbatch; i++)
        total += strlen(c->batch[i]) + 1;
    char *text = malloc(total + 1);
    size_t pos = 0;
    for (size_t i = 0; text != NULL && i < c->nbatch; i++) {
        size_t n = strlen(c->batch[i]);
        memcpy(text + pos, c->batch[i], n);
        text[pos + n] = '\n';
        pos += n + 1;
    }
    batch_clear(c);
    c->state = RS_READY;
    if (text == NULL) {
        refuse(r, c, RP_INTERNAL, "out of memory");
        return;
    }
    int rc = 0;
    struct zoneio_stats st;
    FILE *fp = fmemopen(text, pos ? pos : 1, "r");
    if (fp == NULL || !ensure_tx(r, c) || store_batch_begin(r->st, &d) != 0) {
        if (fp)
            fclose(fp);
        free(text);
        regcmd_error(&r->reply, RP_INTERNAL, "cannot start the import");
        reply(c, r->reply.s);
        return;
    }
    rc = zoneio_import(r->st, fp, "zone file", c->origin[0] ? c->origin : NULL, &st, &d);
    fclose(fp);
    free(text);
    struct zone_info z;
    if (rc == 0 && zone_get(r->nm, st.zone, &z, NULL) == 0 && z.hosts > 0)
        rc = diag_set(&d, LANA_ECONFLICT,
                      "zone %s has %lld registered host%s: an import would orphan them; delete "
                      "them first (lana zone del %s --recursive)",
                      st.zone, (long long)z.hosts, z.hosts == 1 ? "" : "s", st.zone);
    store_batch_end(r->st, rc == 0, &d);
    if (rc != 0) {
        regcmd_error(&r->reply, regproto_code_of(rc), "%s", d.msg);
    } else {
        jsonw_reset(&r->reply);
        jsonw_obj(&r->reply);
        jsonw_kbool(&r->reply, "ok", true);
        jsonw_kstr(&r->reply, "imported", st.zone);
        jsonw_kint(&r->reply, "records", (int64_t)st.records);
        jsonw_end(&r->reply);
    }
    reply(c, r->reply.s);
}

static void batch_line(struct registry *r, struct regconn *c, char *line)
{
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (c->state == RS_IMPORT) {
        if (strcmp(line, ".") == 0) {
            run_import(r, c);
            return;
        }
        if (line[0] == '.') /* a line that starts with a dot was sent with one more */
            memmove(line, line + 1, n--);
    } else if (strcmp(p, "end") == 0) {
        run_batch(r, c);
        return;
    }
    if (c->nbatch >= BATCH_MAX_LINES || c->batchbytes + n > BATCH_MAX_BYTES) {
        batch_clear(c);
        refuse(r, c, RP_TOO_LONG, "batch too large (at most 1000000 lines, 64 MiB)");
        return;
    }
    if (c->nbatch == c->capbatch) {
        size_t cap = c->capbatch ? c->capbatch * 2 : 256;
        char **b = realloc(c->batch, cap * sizeof *b);
        if (b == NULL) {
            refuse(r, c, RP_INTERNAL, "out of memory");
            return;
        }
        c->batch = b;
        c->capbatch = cap;
    }
    if ((c->batch[c->nbatch] = strdup(line)) == NULL) {
        refuse(r, c, RP_INTERNAL, "out of memory");
        return;
    }
    c->nbatch++;
    c->batchbytes += n;
}

static void line_in(struct registry *r, struct regconn *c, char *line)
{
    if (c->state == RS_HELLO || c->state == RS_ACK) {
        handshake(r, c, line);
        return;
    }
    if (c->state == RS_BATCH || c->state == RS_IMPORT) {
        batch_line(r, c, line);
        return;
    }
    char copy[REGPROTO_LINE_MAX];
    snprintf(copy, sizeof copy, "%s", line);
    char *argv[4];
    struct lana_diag d;
    int argc = regproto_split(copy, argv, 4, &d);
    if (argc >= 1 && strcmp(argv[0], "quit") == 0) {
        reply(c, "{\"ok\":true,\"bye\":true}");
        c->closing = true;
        return;
    }
    if (argc >= 2 && strcmp(argv[0], "zone") == 0 && strcmp(argv[1], "import") == 0) {
        bool ok = argc == 2 || (argc == 4 && strcmp(argv[2], "--origin") == 0);
        if (!ok || !c->may_write) {
            regcmd_error(&r->reply, ok ? RP_PERMISSION : RP_USAGE,
                         ok ? "zone import changes the registry: authenticate with a token first"
                            : "usage: zone import [--origin NAME], the file's lines, then .");
            reply(c, r->reply.s);
        }
        snprintf(c->origin, sizeof c->origin, "%s", argc == 4 ? argv[3] : "");
        c->state = RS_IMPORT;
        c->import_refused = !ok || !c->may_write;
        return;
    }
    if (argc >= 1 && strcmp(argv[0], "batch") == 0) {
        bool keep = argc == 2 && strcmp(argv[1], "--keep-going") == 0;
        if (argc > 2 || (argc == 2 && !keep)) {
            regcmd_error(&r->reply, RP_USAGE, "usage: batch [--keep-going]");
            reply(c, r->reply.s);
            return;
        }
        c->state = RS_BATCH;
        c->keep_going = keep;
        return;
    }
    run_line(r, c, line);
}

/* Reads what is there and runs every complete line. */
static void conn_read(struct registry *r, struct regconn *c)
{
    for (;;) {
        if (c->closing || c->outlen - c->outoff >= OUT_PAUSE)
            return;
        ssize_t n = recv(c->ev.fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            c->closing = true;
            if (c->outoff == c->outlen) /* nothing left to say */
                c->outlen = c->outoff = 0;
            return;
        }
        if (n < 0)
            return;
        c->last_ms = now_ms();
        c->inlen += (size_t)n;
        size_t start = 0;
        for (size_t i = c->inlen - (size_t)n; i < c->inlen && !c->closing; i++) {
            if (c->in[i] != '\n')
                continue;
            c->in[i] = '\0';
            line_in(r, c, c->in + start);
            start = i + 1;
        }
        memmove(c->in, c->in + start, c->inlen - start);
        c->inlen -= start;
        if (c->inlen == sizeof c->in && !c->closing) {
            log_warn("registry: %s: line longer than %d bytes", c->peer, REGPROTO_LINE_MAX);
            c->inlen = 0;
            batch_clear(c);
            refuse(r, c, RP_TOO_LONG, "line longer than 4096 bytes");
        }
    }
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void end_turn(struct registry *r)
{
    if (store_in_transaction(r->st)) {
        struct lana_diag d;
        if (++r->turns % 1024 == 0 && zone_prune_changes(r->nm, &d) != 0)
            log_warn("registry: pruning the change log: %s", d.msg);
        int crc = store_commit(r->st, &d);
        atomic_fetch_add_explicit(&worker_commit_gen, 1, memory_order_release);
        if (crc != 0) {
            /* nobody may hear "ok" for a change that is not on disk: the connections that
             * changed something this turn are told and closed */
            log_err("registry: commit failed: %s", d.msg);
            for (struct regconn *c = r->conns; c; c = c->next)
                if (c->wrote) {
                    c->outlen = c->outoff = 0;
                    refuse(r, c, RP_INTERNAL, "the change could not be committed; nothing was changed");
                }
        }
    }
    struct regconn *next;
    for (struct regconn *c = r->conns; c; c = next) {
        next = c->next;
        c->wrote = false;
        if (c->outlen > c->outoff || c->closing)
            flush(r, c);
    }
}

static void sweep(struct registry *r)
{
    uint64_t now = now_ms(), idle = r->cfg->registry_idle_timeout * 1000;
    struct regconn *next;
    for (struct regconn *c = r->conns; c; c = next) {
        next = c->next;
        if (now - c->last_ms >= idle && !c->closing) {
            log_info("registry: %s: idle, closing", c->peer);
            refuse(r, c, RP_BUSY, "idle for too long; closing");
            flush(r, c);
        }
    }
}

static void *registry_main(void *arg)
{
    struct registry *r = arg;
    struct epoll_event evs[64];
    uint64_t last_sweep = now_ms();
    for (;;) {
        int n = epoll_wait(r->epfd, evs, 64, 1000);
        bool stop = false;
        for (int i = 0; i < n; i++) {
            struct rsrc *src = evs[i].data.ptr;
            if (src->kind == RK_STOP) {
                stop = true;
            } else if (src->kind == RK_LISTEN) {
                accept_all(r, src->fd);
            } else {
                struct regconn *c = (struct regconn *)src;
                if (evs[i].events & EPOLLIN)
                    conn_read(r, c);
                else if (evs[i].events & (EPOLLERR | EPOLLHUP))
                    c->closing = true;
            }
        }
        end_turn(r); /* commit, then send: also flushes EPOLLOUT-ready connections */
        if (stop)
            break;
        if (now_ms() - last_sweep >= 1000) {
            sweep(r);
            last_sweep = now_ms();
        }
    }
    while (r->conns)
        conn_close(r, r->conns);
    return NULL;
}

int registry_start(const struct srvconf *cfg, const int *fds, unsigned nfds, struct registry **out,
                   struct lana_diag *d)
{
    struct registry *r = calloc(1, sizeof *r);
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    r->cfg = cfg;
    jsonw_init(&r->reply);
    int rc = store_open(cfg->db, &r->st, NULL, d);
    if (rc == 0)
        rc = ipam_open(r->st, &r->ip, d);
    if (rc == 0)
        rc = names_open(r->st, r->ip, &r->nm, d);
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    r->stop = (struct rsrc){RK_STOP, eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    r->ls = calloc(nfds ? nfds : 1, sizeof *r->ls);
    if (rc == 0 && (r->epfd < 0 || r->stop.fd < 0 || r->ls == NULL))
        rc = diag_set(d, LANA_EIO, "cannot set up the registry loop: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &r->stop};
    if (rc == 0 && epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->stop.fd, &ev) != 0)
        rc = diag_set(d, LANA_EIO, "epoll: %s", strerror(errno));
    for (unsigned i = 0; rc == 0 && i < nfds; i++) {
        r->ls[i] = (struct rsrc){RK_LISTEN, fds[i]};
        r->nls++;
        ev.data.ptr = &r->ls[i];
        if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0)
            rc = diag_set(d, LANA_EIO, "epoll: %s", strerror(errno));
    }
    if (rc == 0 && pthread_create(&r->thread, NULL, registry_main, r) != 0)
        rc = diag_set(d, LANA_EIO, "cannot start the registry thread");
    if (rc != 0) {
        r->thread = 0;
        registry_stop(r);
        return rc;
    }
    *out = r;
    return 0;
}

void registry_stop(struct registry *r)
{
    if (r == NULL)
        return;
    if (r->thread) {
        uint64_t one = 1;
        if (write(r->stop.fd, &one, sizeof one) < 0)
            log_warn("registry: cannot signal the thread to stop");
        pthread_join(r->thread, NULL);
    }
    for (unsigned i = 0; i < r->nls; i++)
        close(r->ls[i].fd);
    free(r->ls);
    if (r->stop.fd >= 0)
        close(r->stop.fd);
    if (r->epfd >= 0)
        close(r->epfd);
    names_close(r->nm);
    ipam_close(r->ip);
    store_close(r->st);
    jsonw_free(&r->reply);
    free(r);
}
