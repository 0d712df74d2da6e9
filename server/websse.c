/*
 * websse — the live feed (see websse.h).
 *
 * Locking: one mutex guards the ring, the client list and every client's queue. A reader
 * callback that finds its queue empty suspends its connection under the mutex; whoever
 * queues bytes for a suspended client resumes it under the mutex too, so a wake-up is never
 * lost between "nothing to send" and "suspended". libmicrohttpd takes its own lock inside
 * suspend/resume and never calls our callbacks while holding it (it frees responses, hence
 * calls on_free, with its lock released), so the order is always ours, then its.
 */
#include "server/websse.h"

#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "db/audit.h"
#include "db/store.h"
#include "server/webview.h"

struct client {
    struct websse *s;
    struct MHD_Connection *conn;
    char *buf; /* queued frames: [off, len) still to send */
    size_t len, off, cap;
    bool suspended; /* its connection is suspended in the reader */
    bool ended;     /* the body ends once the queue is sent (stop, a too slow reader, or
                     * pushed out by a newer stream from its address) */
    uint8_t addr[16]; /* the client's address: IPv4 (mapped), or an IPv6 /64 (zeros after) */
    struct client *prev, *next;
};

struct frame {
    int64_t id;
    char *text; /* an SSE event but for its type: "id: ...\ndata: ...\n\n" */
    size_t len;
};

/* The type line that goes before a frame: `change` as it happens (the page refreshes what it
 * shows), `history` for the recent past a new stream starts with (the page lists it only). */
static const char type_change[] = "event: change\n", type_history[] = "event: history\n";

struct websse {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* the watcher's sleep, cut short by websse_close */
    pthread_t thread;
    bool started, quit, stopping;
    struct store *st; /* the watcher's own read-only connection */
    int64_t last_id;  /* the last audit entry the watcher has seen (public or not) */
    struct frame ring[WEBSSE_RING];
    unsigned head, count; /* ring[(head + i) % WEBSSE_RING], i < count, oldest first */
    int64_t dropped_id;   /* the newest id that fell off the ring (0: none) */
    struct client *clients;
    unsigned nclients, max_clients;
    unsigned per_address; /* streams of one client address before the oldest is ended */
    uint64_t last_send_ms; /* when every stream last got something (keep-alive) */
};

/* ---- queues ---- */

/* Appends text to c's queue and wakes its connection; a reader too slow to keep its queue
 * under WEBSSE_CLIENT_BUF is ended instead (its browser reconnects and resumes from the
 * ring). Under s->mu. */
static void client_push(struct client *c, const char *text, size_t len)
{
    if (c->ended)
        return;
    if (c->off > 0) { /* what was sent goes: the bound counts only what waits */
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->len + len > WEBSSE_CLIENT_BUF) {
        c->ended = true;
    } else {
        if (c->len + len > c->cap) {
            size_t cap = c->cap ? c->cap : 4096;
            while (cap < c->len + len)
                cap *= 2;
            char *b = realloc(c->buf, cap);
            if (b == NULL) {
                c->ended = true;
                goto wake;
            }
            c->buf = b;
            c->cap = cap;
        }
        memcpy(c->buf + c->len, text, len);
        c->len += len;
    }
wake:
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
    }
}

/* Queues a frame (type NULL: a comment or field lines of their own) to every stream. */
static void push_all(struct websse *s, const char *type, const char *text, size_t len)
{
    for (struct client *c = s->clients; c != NULL; c = c->next) {
        if (type != NULL)
            client_push(c, type, strlen(type));
        client_push(c, text, len);
    }
    s->last_send_ms = mono_ms();
}

/* ---- events ---- */

/* The actions the feed shows, by object kind; accounts, keys and classes stay out. */
static const char *const public_kinds[] = {"pool", "block", "host", "zone", "record", "service",
                                           "root"};
/* The members of an object's audit JSON that the registry publishes anyway (whois, DNS). */
static const char *const public_fields[] = {
    "prefix", "family", "status", "holder", "description", "maintainer", "name", "zone",
    "v4",     "v6",     "type",   "data",   "deleted",     "port",       "transport",
    "serial", "sponsor", "registrant"};

/* The kind of a public action ("block" of "block.alloc"), or NULL. */
static const char *public_kind(const char *action)
{
    const char *dot = strchr(action, '.');
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof public_kinds / sizeof *public_kinds; i++)
        if (strlen(public_kinds[i]) == (size_t)(dot - action) &&
            memcmp(public_kinds[i], action, (size_t)(dot - action)) == 0)
            return public_kinds[i];
    return NULL;
}

/* The public members of the audit JSON text (NULL or unparsable: none). New reference. */
static json_t *public_object(const char *text)
{
    json_t *out = json_object();
    json_t *in = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (out != NULL && json_is_object(in)) {
        for (size_t i = 0; i < sizeof public_fields / sizeof *public_fields; i++) {
            json_t *v = json_object_get(in, public_fields[i]);
            if (json_is_string(v) || json_is_integer(v) || json_is_boolean(v))
                json_object_set(out, public_fields[i], v);
        }
    }
    json_decref(in);
    return out;
}

/* The SSE frame of a public audit entry (malloc'd, *len set), or NULL. */
static char *event_frame(const struct audit_entry *e, size_t *len)
{
    const char *kind = public_kind(e->action);
    if (kind == NULL)
        return NULL;
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "ts", json_integer(e->ts_ms));
    json_object_set_new(o, "action", json_string(e->action));
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "object", json_string(e->object));
    /* what it is now, or what it was when it is gone */
    json_object_set_new(o, "fields", public_object(e->after ? e->after : e->before));
    json_object_set_new(o, "gone", json_boolean(e->after == NULL && e->before != NULL));
    char *data = json_dumps(o, JSON_COMPACT); /* one line: no newline in compact output */
    json_decref(o);
    if (data == NULL)
        return NULL;
    size_t cap = strlen(data) + 64;
    char *text = malloc(cap);
    int n = text ? snprintf(text, cap, "id: %" PRId64 "\ndata: %s\n\n", e->id, data) : -1;
    free(data);
    if (n < 0 || (size_t)n >= cap) {
        free(text);
        return NULL;
    }
    *len = (size_t)n;
    return text;
}

#define BURST_TEXT 128

/* The `burst` event standing for count changes, the last of them id: its length, or -1. */
static int burst_text(char buf[BURST_TEXT], int64_t id, size_t count)
{
    int n = snprintf(buf, BURST_TEXT, "id: %" PRId64 "\nevent: burst\ndata: {\"count\":%zu}\n\n",
                     id, count);
    return n > 0 && n < BURST_TEXT ? n : -1;
}

/* Keeps a frame in the ring (taking text), dropping the oldest when full. Under s->mu. */
static void ring_add(struct websse *s, int64_t id, char *text, size_t len)
{
    if (s->count == WEBSSE_RING) {
        struct frame *old = &s->ring[s->head];
        s->dropped_id = old->id;
        free(old->text);
        s->head = (s->head + 1) % WEBSSE_RING;
        s->count--;
    }
    s->ring[(s->head + s->count) % WEBSSE_RING] = (struct frame){id, text, len};
    s->count++;
}

/* What one look at the log found: the public frames in order, and the last entry seen. */
struct batch {
    struct frame *f;
    size_t n, cap;
    int64_t last_id;
};

static int on_entry(const struct audit_entry *e, void *arg)
{
    struct batch *b = arg;
    b->last_id = e->id;
    size_t len = 0;
    char *text = event_frame(e, &len);
    if (text == NULL)
        return 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        struct frame *f = realloc(b->f, cap * sizeof *f);
        if (f == NULL) {
            free(text);
            return LANA_ENOMEM;
        }
        b->f = f;
        b->cap = cap;
    }
    b->f[b->n++] = (struct frame){e->id, text, len};
    return 0;
}

/* Takes what b found into the ring (the texts move there) and, with live, to the streams:
 * each change as it is, or past WEBSSE_BURST of them at once (a batch of thousands) a single
 * `burst` event with their number, after which the page reloads what it shows once rather
 * than once per change. The burst carries the last one's id: a reconnection resumes after it.
 * Under s->mu. */
static void take(struct websse *s, struct batch *b, bool live)
{
    if (b->last_id > s->last_id)
        s->last_id = b->last_id;
    if (live && b->n > WEBSSE_BURST) {
        char text[BURST_TEXT];
        int k = burst_text(text, b->f[b->n - 1].id, b->n);
        if (k > 0)
            push_all(s, NULL, text, (size_t)k);
    } else if (live) {
        for (size_t i = 0; i < b->n; i++)
            push_all(s, type_change, b->f[i].text, b->f[i].len);
    }
    for (size_t i = 0; i < b->n; i++)
        ring_add(s, b->f[i].id, b->f[i].text, b->f[i].len);
    free(b->f);
    *b = (struct batch){0};
}

/* One look at the log: whatever is new goes to the ring and the streams. */
static void poll_log(struct websse *s)
{
    struct batch b = {0};
    struct lana_diag d = {0};
    /* bounded per pass; more is taken over the next passes, 20 a second */
    if (audit_after(s->st, s->last_id, WEBSSE_PASS_MAX, on_entry, &b, &d) < 0)
        log_warn("web view: reading the audit log: %s", d.msg);
    store_read_done(s->st);
    pthread_mutex_lock(&s->mu);
    take(s, &b, true);
    pthread_mutex_unlock(&s->mu);
}

/* Streams whose browser has gone (the tab closed) while suspended: libmicrohttpd does not
 * watch a suspended connection, so its slot would stay taken until the next event failed to
 * be written. A peer that closed shows as POLLRDHUP (or an error) on the socket; such a
 * stream is ended and resumed, and the library closes it. Under s->mu; poll() does not wait. */
static void reap_gone(struct websse *s)
{
    struct pollfd fds[64];
    struct client *who[64];
    struct client *c = s->clients;
    while (c != NULL) {
        nfds_t n = 0;
        for (; c != NULL && n < 64; c = c->next) {
            if (!c->suspended)
                continue;
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (ci == NULL)
                continue;
            fds[n] = (struct pollfd){.fd = ci->connect_fd, .events = POLLRDHUP};
            who[n++] = c;
        }
        if (n == 0 || poll(fds, n, 0) <= 0)
            continue;
        for (nfds_t i = 0; i < n; i++) {
            if (fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
                who[i]->ended = true;
                who[i]->suspended = false;
                MHD_resume_connection(who[i]->conn);
            }
        }
    }
}

static void *watch(void *arg)
{
    struct websse *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->quit) {
        pthread_mutex_unlock(&s->mu);
        poll_log(s);
        pthread_mutex_lock(&s->mu);
        reap_gone(s);
        if (mono_ms() - s->last_send_ms >= WEBSSE_KEEPALIVE_MS) {
            static const char ping[] = ": keep-alive\n\n";
            push_all(s, NULL, ping, sizeof ping - 1);
        }
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += (long)WEBSSE_POLL_MS * 1000000L;
        t.tv_sec += t.tv_nsec / 1000000000L;
        t.tv_nsec %= 1000000000L;
        if (!s->quit)
            pthread_cond_timedwait(&s->cv, &s->mu, &t);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- opening and closing ---- */

int websse_open(const char *db, unsigned max_clients, unsigned per_address, struct websse **out,
                struct lana_diag *d)
{
    struct websse *s = calloc(1, sizeof *s);
    if (s == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    s->max_clients = max_clients;
    s->per_address = per_address ? per_address : 1;
    s->last_send_ms = mono_ms();
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = store_open_reader(db, &s->st, d);
    if (rc != 0)
        goto out;
    /* history: the newest public events, then follow from the end of the log */
    struct batch b = {0};
    rc = audit_list_of(s->st, NULL, false, 0, WEBSSE_RING, true, on_entry, &b, d);
    take(s, &b, false); /* frees b even after a failure */
    if (rc < 0)
        goto out;
    store_read_done(s->st);
    int e = pthread_create(&s->thread, NULL, watch, s);
    if (e != 0) {
        rc = diag_set(d, -e, "web view: cannot start its watcher: %s", strerror(e));
        goto out;
    }
    s->started = true;
    *out = s;
out:
    if (rc != 0)
        websse_close(s);
    return rc;
}

void websse_stop(struct websse *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    for (struct client *c = s->clients; c != NULL; c = c->next) {
        c->ended = true;
        if (c->suspended) {
            c->suspended = false;
            MHD_resume_connection(c->conn);
        }
    }
    pthread_mutex_unlock(&s->mu);
}

void websse_close(struct websse *s)
{
    if (s == NULL)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->quit = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    /* the HTTP daemon has stopped: its on_free calls have emptied the list; what is left
     * belongs to no connection any more */
    while (s->clients != NULL) {
        struct client *c = s->clients;
        s->clients = c->next;
        free(c->buf);
        free(c);
    }
    for (unsigned i = 0; i < s->count; i++)
        free(s->ring[(s->head + i) % WEBSSE_RING].text);
    store_close(s->st);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

unsigned websse_clients(struct websse *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->nclients;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- streams ---- */

/* libmicrohttpd asks for the next bytes of a stream: what is queued, else the end (when
 * ended), else nothing for now, with the connection suspended until client_push. */
static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct client *c = cls;
    struct websse *s = c->s;
    ssize_t n;
    pthread_mutex_lock(&s->mu);
    if (c->off < c->len) {
        size_t k = c->len - c->off < max ? c->len - c->off : max;
        memcpy(buf, c->buf + c->off, k);
        c->off += k;
        n = (ssize_t)k;
    } else if (c->ended) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        c->suspended = true;
        MHD_suspend_connection(c->conn);
        n = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void on_free(void *cls)
{
    struct client *c = cls;
    struct websse *s = c->s;
    pthread_mutex_lock(&s->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nclients--;
    pthread_mutex_unlock(&s->mu);
    free(c->buf);
    free(c);
}

/* The Last-Event-ID the browser resumes from: true with *id, false when there is none (or
 * it is not one of ours: a number). */
static bool last_event_id(const struct http_req *r, int64_t *id)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (v == NULL || *v == '\0' || strlen(v) > 18)
        return false;
    int64_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        n = n * 10 + (*p - '0');
    }
    *id = n;
    return true;
}

/* What a new stream starts with (under s->mu): the reconnection delay, then the events after
 * the browser's Last-Event-ID as changes (a `reset` event first when some of them are no
 * longer kept: the page reloads what it shows), or without one the last few as `history`
 * (the page it loads is already as they left it); then the id of
 * the end of the log, so that a reconnection resumes from here even when nothing public
 * came since. */
static void stream_start(struct websse *s, struct client *c, bool resume, int64_t from)
{
    char line[BURST_TEXT];
    int n = snprintf(line, sizeof line, "retry: %d\n\n", WEBSSE_RETRY_MS);
    if (n > 0 && (size_t)n < sizeof line)
        client_push(c, line, (size_t)n);
    unsigned first = s->count > WEBSSE_BACKLOG ? s->count - WEBSSE_BACKLOG : 0;
    if (resume) {
        if (from < s->dropped_id) {
            static const char reset[] = "event: reset\ndata: {}\n\n";
            client_push(c, reset, sizeof reset - 1);
        }
        first = 0;
    }
    unsigned missed = 0;
    int64_t last = 0;
    for (unsigned i = first; resume && i < s->count; i++) {
        const struct frame *f = &s->ring[(s->head + i) % WEBSSE_RING];
        if (f->id > from) {
            missed++;
            last = f->id;
        }
    }
    if (missed > WEBSSE_BURST) { /* many missed: one burst, as when they happened at once */
        if ((n = burst_text(line, last, missed)) > 0)
            client_push(c, line, (size_t)n);
        first = s->count;
    }
    for (unsigned i = first; i < s->count; i++) {
        const struct frame *f = &s->ring[(s->head + i) % WEBSSE_RING];
        if (!resume || f->id > from) {
            const char *type = resume ? type_change : type_history;
            client_push(c, type, strlen(type));
            client_push(c, f->text, f->len);
        }
    }
    n = snprintf(line, sizeof line, "id: %" PRId64 "\n\n", s->last_id);
    if (n > 0 && (size_t)n < sizeof line)
        client_push(c, line, (size_t)n);
}

/* The client's address as a key: an IPv4 address (as ::ffff:a.b.c.d) or an IPv6 /64, as
 * whois and the registry count addresses (one host of IPv6 holds a whole /64). */
static void client_key(struct MHD_Connection *conn, uint8_t key[16])
{
    memset(key, 0, 16);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa != NULL && sa->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 8);
    }
}

/* A new stream from an address that has per_address already: its oldest one still going is
 * ended (its queue sent, then closed), so that one client cannot hold every slot and a page
 * reloaded on the projector always gets in. Under s->mu. */
static void push_out_oldest(struct websse *s, const uint8_t key[16])
{
    unsigned same = 0;
    struct client *oldest = NULL;
    for (struct client *c = s->clients; c != NULL; c = c->next) /* newest first */
        if (!c->ended && memcmp(c->addr, key, 16) == 0) {
            same++;
            oldest = c;
        }
    if (same < s->per_address || oldest == NULL)
        return;
    oldest->ended = true;
    if (oldest->suspended) {
        oldest->suspended = false;
        MHD_resume_connection(oldest->conn);
    }
}

enum MHD_Result websse_answer(struct websse *s, const struct http_req *r)
{
    static const char busy[] = "{\"error\":\"too many live feeds open; try again later\"}";
    if (r->head)
        return webview_send(r, 200, "text/event-stream", "no-store", "", 0);
    struct client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return MHD_NO;
    c->s = s;
    c->conn = r->conn;
    client_key(r->conn, c->addr);
    int64_t from = 0;
    bool resume = last_event_id(r, &from);

    pthread_mutex_lock(&s->mu);
    if (!s->stopping)
        push_out_oldest(s, c->addr);
    if (s->stopping || s->nclients >= s->max_clients) {
        pthread_mutex_unlock(&s->mu);
        free(c);
        return webview_send(r, 503, "application/json", "no-store", busy, sizeof busy - 1);
    }
    stream_start(s, c, resume, from);
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    pthread_mutex_unlock(&s->mu);

    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, on_read, c, on_free);
    if (resp == NULL) {
        on_free(c);
        return MHD_NO;
    }
    /* no buffering proxy in between should hold the stream back */
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return webview_queue(r, 200, resp, "text/event-stream", "no-store");
}
