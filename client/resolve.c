/*
 * resolve — see resolve.h.
 */
#include "client/resolve.h"

#include <ares.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/clock.h"
#include "common/dname.h"
#include "common/dnsmsg.h"
#include "common/rbuf.h"
#include "common/rdata.h"
#include "common/wbuf.h"

/*
 * Writes display text into buf; text that does not fit is cut and ends in "...". Returns
 * whether it fitted.
 */
static bool __attribute__((format(printf, 3, 4)))
text_set(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < size)
        return true;
    if (n < 0)
        buf[0] = '\0';
    else if (size >= 4)
        memcpy(buf + size - 4, "...", 4);
    return false;
}

/* milliseconds, with their fraction, since t0_us (mono_us) */
static double ms_since(uint64_t t0_us)
{
    return (double)(mono_us() - t0_us) / 1000.0;
}

struct lookup {
    bool done;
    int status;
    struct resolve_result *out;
    uint16_t port;
};

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    struct lookup *l = arg;
    l->done = true;
    l->status = status;
    if (status != ARES_SUCCESS || res == NULL) {
        if (res)
            ares_freeaddrinfo(res);
        return;
    }
    /* two lists, then interleaved: v6, v4, v6, v4, ... */
    struct ares_addrinfo_node *v6[RESOLVE_MAX_ADDRS], *v4[RESOLVE_MAX_ADDRS];
    int n6 = 0, n4 = 0;
    for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
        if (n->ai_family == AF_INET6 && n6 < RESOLVE_MAX_ADDRS)
            v6[n6++] = n;
        else if (n->ai_family == AF_INET && n4 < RESOLVE_MAX_ADDRS)
            v4[n4++] = n;
    }
    struct resolve_result *o = l->out;
    for (int i = 0; (i < n6 || i < n4) && o->n < RESOLVE_MAX_ADDRS; i++) {
        for (int f = 0; f < 2 && o->n < RESOLVE_MAX_ADDRS; f++) {
            struct ares_addrinfo_node *n = f == 0 ? (i < n6 ? v6[i] : NULL) : (i < n4 ? v4[i] : NULL);
            if (n == NULL || n->ai_addrlen > sizeof o->addr[0])
                continue;
            memcpy(&o->addr[o->n], n->ai_addr, n->ai_addrlen);
            o->len[o->n] = (socklen_t)n->ai_addrlen;
            o->ttl[o->n] = (uint32_t)n->ai_ttl;
            o->n++;
        }
    }
    if (res->cnames != NULL && res->cnames->name != NULL)
        text_set(o->canonical, sizeof o->canonical, "%s", res->cnames->name);
    ares_freeaddrinfo(res);
}

/*
 * A literal address: 1 with out->addr[0] set, 0 when host is a name, -1 (d set) for an IPv6
 * literal whose zone ("fe80::1%eth0", RFC 4007 §11) names no interface of this machine: an
 * address is never sent to DNS as if it were a name.
 */
static int numeric(const char *host, uint16_t port, struct resolve_result *out,
                   struct lana_diag *d)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)&out->addr[0];
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->addr[0];
    memset(&out->addr[0], 0, sizeof out->addr[0]);
    char a[INET6_ADDRSTRLEN];
    const char *zone = strchr(host, '%');
    size_t alen = zone ? (size_t)(zone - host) : strlen(host);
    if (alen >= sizeof a)
        return 0;
    memcpy(a, host, alen);
    a[alen] = '\0';
    if (zone == NULL && inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        out->len[0] = sizeof *s4;
    } else if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        if (zone != NULL) {
            char *end;
            unsigned long id = strtoul(zone + 1, &end, 10);
            s6->sin6_scope_id = *end == '\0' && zone[1] != '\0' ? (uint32_t)id
                                                                 : if_nametoindex(zone + 1);
            if (s6->sin6_scope_id == 0) {
                diag_set(d, LANA_EPARSE, "%s: the zone %s names no interface of this machine",
                         host, zone + 1);
                return -1;
            }
        }
        out->len[0] = sizeof *s6;
    } else {
        return 0;
    }
    out->n = 1;
    return 1;
}

/* The status of c-ares' st, with the reason in d; asked ("ADDR:PORT, ...") names the servers
 * that gave the answer, or failed to. */
static enum resolve_status status_of(int st, const char *host, const char *asked,
                                     struct lana_diag *d)
{
    const char *from = asked[0] ? asked : "the DNS server";
    switch (st) {
    case ARES_SUCCESS:
        return RESOLVE_OK;
    case ARES_ENOTFOUND:
        diag_set(d, LANA_ENOTFOUND, "%s: no such name (NXDOMAIN) from %s", host, from);
        return RESOLVE_NXDOMAIN;
    case ARES_ENODATA:
        diag_set(d, LANA_ENOTFOUND, "%s: the name has no address of that family (NODATA) from %s",
                 host, from);
        return RESOLVE_NODATA;
    case ARES_ETIMEOUT:
        diag_set(d, LANA_EIO, "%s: no answer in time from %s", host, from);
        return RESOLVE_TIMEOUT;
    case ARES_ECONNREFUSED:
    case ARES_EREFUSED:
    case ARES_ESERVFAIL:
        diag_set(d, LANA_EIO,
                 "%s: refused or failed (REFUSED/SERVFAIL, or nothing listens) from %s", host,
                 from);
        return RESOLVE_REFUSED;
    default:
        diag_set(d, LANA_EIO, "%s: %s", host, ares_strerror(st));
        return RESOLVE_ERROR;
    }
}

/* The channel's servers as "ADDR:PORT, [V6]:PORT" (ares_get_servers_ports); "" when c-ares
 * cannot say. */
static void servers_text(ares_channel ch, char *buf, size_t size)
{
    struct ares_addr_port_node *list = NULL;
    buf[0] = '\0';
    if (ares_get_servers_ports(ch, &list) != ARES_SUCCESS)
        return;
    for (struct ares_addr_port_node *p = list; p != NULL; p = p->next) {
        char a[INET6_ADDRSTRLEN];
        if (inet_ntop(p->family, p->family == AF_INET ? (const void *)&p->addr.addr4
                                                      : (const void *)&p->addr.addr6,
                      a, sizeof a) == NULL)
            continue;
        size_t l = strlen(buf);
        unsigned port = p->udp_port ? (unsigned)p->udp_port : 53; /* 0: the default */
        if (!text_set(buf + l, size - l, p->family == AF_INET6 ? "%s[%s]:%u" : "%s%s:%u",
                      l ? ", " : "", a, port))
            break;
    }
    ares_free_data(list);
}

/* ARES_OPT_SOCK_STATE_CB: a socket opened means a query went to a DNS server. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    (void)fd;
    if (readable || writable)
        *(bool *)data = true;
}

static bool lib_init(struct lana_diag *d)
{
    static bool inited;
    if (!inited) {
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
            diag_set(d, LANA_EIO, "c-ares cannot start");
            return false;
        }
        inited = true;
    }
    return true;
}

/* A channel for o; *asked_dns turns true when it opens a socket to a server. */
static int channel(const struct resolve_opts *o, bool raw, ares_channel *ch, bool *asked_dns,
                   struct lana_diag *d)
{
    struct ares_options ao;
    memset(&ao, 0, sizeof ao);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
    ao.sock_state_cb = on_sock_state;
    ao.sock_state_cb_data = asked_dns;
    /* raw (single queries): NOCHECKRESP, so that a REFUSED or SERVFAIL comes back as such
     * instead of c-ares trying the next server and reporting "could not contact";
     * ares_getaddrinfo in 1.18 does not cope with it, and keeps c-ares' own checks */
    ao.flags = (o->tcp ? ARES_FLAG_USEVC : 0) | (raw ? ARES_FLAG_NOCHECKRESP : 0);
    ao.timeout = o->timeout_ms > 0 ? o->timeout_ms : 1000;
    ao.tries = o->tries > 0 ? o->tries : 2;
    if (!lib_init(d))
        return -1;
    int st = ares_init_options(ch, &ao, mask);
    if (st != ARES_SUCCESS) {
        diag_set(d, LANA_EIO, "c-ares: %s", ares_strerror(st));
        return -1;
    }
    if (o->servers != NULL && (st = ares_set_servers_ports_csv(*ch, o->servers)) != ARES_SUCCESS) {
        ares_destroy(*ch);
        diag_set(d, LANA_EPARSE, "DNS servers '%s': %s", o->servers, ares_strerror(st));
        return -1;
    }
    return 0;
}

/* Runs the channel until *done. */
static void run(ares_channel ch, const bool *done)
{
    while (!*done) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        nfds_t n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            /* c-ares' ARES_GETSOCK_WRITABLE shifts a signed 1 by up to 31 places (undefined
             * behaviour): test the bits of an unsigned copy instead */
            bool rd = (bits >> i) & 1u, wr = (bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u;
            if (!rd && !wr)
                continue;
            pfd[n].fd = socks[i];
            pfd[n].events = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
            pfd[n].revents = 0;
            n++;
        }
        struct timeval tv, *tvp = ares_timeout(ch, NULL, &tv);
        int ms = tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 100;
        poll(pfd, n, ms);
        bool any = false;
        for (nfds_t i = 0; i < n; i++) {
            if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
                ares_process_fd(ch, pfd[i].fd, ARES_SOCKET_BAD);
                any = true;
            }
            if (!*done && (pfd[i].revents & POLLOUT)) {
                ares_process_fd(ch, ARES_SOCKET_BAD, pfd[i].fd);
                any = true;
            }
        }
        if (!any && !*done)
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
    }
}

struct qctx {
    bool done;
    int status;
    unsigned char *abuf;
    int alen;
};

static void on_query(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct qctx *q = arg;
    q->done = true;
    q->status = status;
    if (abuf != NULL && alen > 0 && (q->abuf = malloc((size_t)alen)) != NULL) {
        memcpy(q->abuf, abuf, (size_t)alen);
        q->alen = alen;
    }
}

/* The answer section's owners, types, TTLs and (lana's) text of the data. */
static int walk(const unsigned char *m, int len, struct resolve_answer *out, int *rcode)
{
    struct rbuf rb;
    if (len < 12)
        return -1;
    rbuf_init(&rb, m, (size_t)len);
    *rcode = m[3] & 15;
    unsigned qd = (unsigned)m[4] << 8 | m[5], an = (unsigned)m[6] << 8 | m[7];
    rb.pos = 12;
    uint8_t name[DNAME_MAXLEN];
    for (unsigned i = 0; i < qd; i++) {
        if (dname_decode(&rb, name) < 0 || !rbuf_need(&rb, 4))
            return -1;
        rb.pos += 4;
    }
    for (unsigned i = 0; i < an && out->n < RESOLVE_MAX_RRS; i++) {
        struct resolve_rr *r = &out->rr[out->n];
        if (dname_decode(&rb, name) < 0 || !rbuf_need(&rb, 10))
            return -1;
        const uint8_t *p = m + rb.pos;
        r->type = (uint16_t)(p[0] << 8 | p[1]);
        r->ttl = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
        size_t rdlen = (size_t)p[8] << 8 | p[9];
        rb.pos += 10;
        if (!rbuf_need(&rb, rdlen))
            return -1;
        dname_to_text(name, r->owner, sizeof r->owner);
        if (r->type == DNS_T_CNAME || r->type == DNS_T_NS || r->type == DNS_T_PTR) {
            struct rbuf nb = rb; /* the name may be compressed: decode it in the message */
            uint8_t target[DNAME_MAXLEN];
            if (dname_decode(&nb, target) > 0)
                dname_to_text(target, r->data, sizeof r->data);
        } else if (r->type == DNS_T_MX && rdlen > 2) {
            struct rbuf nb = rb;
            uint8_t target[DNAME_MAXLEN];
            char t[DNAME_TEXT_MAX] = "?";
            nb.pos += 2;
            if (dname_decode(&nb, target) > 0)
                dname_to_text(target, t, sizeof t);
            text_set(r->data, sizeof r->data, "%u %s", (unsigned)(p[10] << 8 | p[11]), t);
        } else if (r->type == DNS_T_SOA) {
            struct rbuf nb = rb;
            uint8_t mn[DNAME_MAXLEN], rn[DNAME_MAXLEN];
            char mt[DNAME_TEXT_MAX] = "?", rt[DNAME_TEXT_MAX] = "?";
            if (dname_decode(&nb, mn) > 0 && dname_decode(&nb, rn) > 0 && rbuf_need(&nb, 20)) {
                const uint8_t *v = m + nb.pos;
                uint32_t x[5];
                for (int k = 0; k < 5; k++)
                    x[k] = (uint32_t)v[4 * k] << 24 | (uint32_t)v[4 * k + 1] << 16 |
                           (uint32_t)v[4 * k + 2] << 8 | v[4 * k + 3];
                dname_to_text(mn, mt, sizeof mt);
                dname_to_text(rn, rt, sizeof rt);
                text_set(r->data, sizeof r->data, "%s %s %u %u %u %u %u", mt, rt, x[0], x[1],
                         x[2], x[3], x[4]);
            }
        } else {
            struct wbuf wb;
            wbuf_init(&wb, r->data, sizeof r->data - 1);
            rdata_format(r->type, m + rb.pos, rdlen, &wb);
            r->data[wb.overflow ? 0 : wb.pos] = '\0';
        }
        rb.pos += rdlen;
        out->n++;
    }
    return 0;
}

/* The index of the first record of `type` at or after i in out, or -1. */
static int next_of(const struct resolve_answer *out, uint16_t type, int i)
{
    for (; i < out->n; i++)
        if (out->rr[i].type == type)
            return i;
    return -1;
}

/* Writes the text of c-ares' parse of A or AAAA records over lana's, in order. */
static void cares_addrs(uint16_t type, const unsigned char *abuf, int alen,
                        struct resolve_answer *out)
{
    struct ares_addrttl a4[RESOLVE_MAX_RRS];
    struct ares_addr6ttl a6[RESOLVE_MAX_RRS];
    int n = RESOLVE_MAX_RRS;
    if (type == DNS_T_A ? ares_parse_a_reply(abuf, alen, NULL, a4, &n) != ARES_SUCCESS
                        : ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n) != ARES_SUCCESS)
        return;
    int k = next_of(out, type, 0);
    for (int i = 0; i < n && k >= 0; i++, k = next_of(out, type, k + 1))
        inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6,
                  type == DNS_T_A ? (const void *)&a4[i].ipaddr : (const void *)&a6[i].ip6addr,
                  out->rr[k].data, sizeof out->rr[k].data);
}

/* SRV records: c-ares' fields into rr->srv, and their text ("PRIO WEIGHT PORT TARGET."). */
static void cares_srv(const unsigned char *abuf, int alen, struct resolve_answer *out)
{
    struct ares_srv_reply *srv = NULL;
    if (ares_parse_srv_reply(abuf, alen, &srv) != ARES_SUCCESS)
        return;
    int k = next_of(out, DNS_T_SRV, 0);
    for (struct ares_srv_reply *p = srv; p && k >= 0; p = p->next, k = next_of(out, DNS_T_SRV, k + 1)) {
        struct resolve_rr *r = &out->rr[k];
        int n = snprintf(r->srv.target, sizeof r->srv.target, "%s.", p->host);
        if (n < 0 || (size_t)n >= sizeof r->srv.target)
            continue; /* cannot be a name (255 bytes at most): keep lana's text, no fields */
        r->srv.priority = p->priority;
        r->srv.weight = p->weight;
        r->srv.port = p->port;
        r->has_srv = true;
        text_set(r->data, sizeof r->data, "%u %u %u %s", p->priority, p->weight, p->port,
                 r->srv.target);
    }
    ares_free_data(srv);
}

/* TXT records: each record's strings quoted, separated by spaces (cut at the data's size). */
static void cares_txt(const unsigned char *abuf, int alen, struct resolve_answer *out)
{
    struct ares_txt_ext *txt = NULL;
    if (ares_parse_txt_reply_ext(abuf, alen, &txt) != ARES_SUCCESS)
        return;
    int k = -1;
    for (struct ares_txt_ext *p = txt; p; p = p->next) {
        if (p->record_start || k < 0) {
            if ((k = next_of(out, DNS_T_TXT, k + 1)) < 0)
                break;
            out->rr[k].data[0] = '\0';
        }
        char *data = out->rr[k].data;
        size_t l = strlen(data);
        text_set(data + l, sizeof out->rr[k].data - l, "%s\"%.*s\"", l ? " " : "",
                 (int)p->length, (const char *)p->txt);
    }
    ares_free_data(txt);
}

/* PTR records: the name and its aliases, as c-ares' hostent has them. */
static void cares_ptr(const unsigned char *abuf, int alen, struct resolve_answer *out)
{
    struct hostent *h = NULL;
    if (ares_parse_ptr_reply(abuf, alen, NULL, 0, AF_INET, &h) != ARES_SUCCESS || !h)
        return;
    int k = next_of(out, DNS_T_PTR, 0);
    for (char **al = h->h_aliases, *name = h->h_name; name != NULL && k >= 0;
         name = al && *al ? *al++ : NULL, k = next_of(out, DNS_T_PTR, k + 1)) {
        text_set(out->rr[k].data, sizeof out->rr[k].data, "%s.", name);
    }
    ares_free_hostent(h);
}

/* Replaces lana's text of the records of `type` by what c-ares' parsers read, in order. */
static void cares_texts(uint16_t type, const unsigned char *abuf, int alen,
                        struct resolve_answer *out)
{
    if (type == DNS_T_A || type == DNS_T_AAAA)
        cares_addrs(type, abuf, alen, out);
    else if (type == DNS_T_SRV)
        cares_srv(abuf, alen, out);
    else if (type == DNS_T_TXT)
        cares_txt(abuf, alen, out);
    else if (type == DNS_T_PTR)
        cares_ptr(abuf, alen, out);
}

enum resolve_status resolve_query(const char *name, uint16_t type, const struct resolve_opts *o,
                                  struct resolve_answer *out, struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    text_set(out->server, sizeof out->server, "%s", o->servers ? o->servers : "system");
    uint64_t t0 = mono_us();
    ares_channel ch;
    bool asked_dns = false;
    if (channel(o, true, &ch, &asked_dns, d) != 0)
        return RESOLVE_ERROR;
    servers_text(ch, out->asked, sizeof out->asked);
    struct qctx q = {0};
    ares_query(ch, name, 1 /* IN */, type, on_query, &q);
    run(ch, &q.done);
    ares_destroy(ch);
    out->ms = ms_since(t0);
    int rcode = -1;
    enum resolve_status rs = RESOLVE_OK;
    if (q.abuf != NULL && walk(q.abuf, q.alen, out, &rcode) == 0) {
        cares_texts(type, q.abuf, q.alen, out);
        if (rcode == 3)
            rs = status_of(ARES_ENOTFOUND, name, out->asked, d);
        else if (rcode == 2 || rcode == 4 || rcode == 5)
            rs = status_of(ARES_ECONNREFUSED, name, out->asked, d);
        else if (out->n == 0) {
            rs = RESOLVE_NODATA;
            char tb[16];
            diag_set(d, LANA_ENOTFOUND, "%s: the name exists but has no %s record (from %s)",
                     name, dnsmsg_type_name(type, tb, sizeof tb), out->asked);
        }
    } else {
        rs = status_of(q.status == ARES_SUCCESS ? ARES_EBADRESP : q.status, name, out->asked, d);
    }
    free(q.abuf);
    return rs;
}

enum resolve_status resolve_host(const char *host, uint16_t port, const struct resolve_opts *o,
                                 struct resolve_result *out, struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    uint64_t t0 = mono_us();
    int lit = numeric(host, port, out, d);
    if (lit < 0)
        return RESOLVE_ERROR;
    if (lit > 0) {
        out->source = RESOLVE_SRC_LITERAL;
        out->ms = ms_since(t0);
        return RESOLVE_OK;
    }
    ares_channel ch;
    bool asked_dns = false;
    if (channel(o, false, &ch, &asked_dns, d) != 0)
        return RESOLVE_ERROR;
    servers_text(ch, out->asked, sizeof out->asked);
    struct ares_addrinfo_hints h;
    memset(&h, 0, sizeof h);
    h.ai_family = o->family ? o->family : AF_UNSPEC;
    h.ai_socktype = SOCK_STREAM;
    h.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
    char service[8]; /* "65535" fits */
    text_set(service, sizeof service, "%u", (unsigned)port);
    struct lookup l = {false, 0, out, port};
    /* port 0 (lana resolve): no service at all, which c-ares 1.18 would refuse as "0" */
    ares_getaddrinfo(ch, host, port ? service : NULL, &h, on_addrinfo, &l);
    run(ch, &l.done);
    out->ms = ms_since(t0);
    if (l.status == ARES_SUCCESS && out->n == 0)
        l.status = ARES_ENODATA;
    /* 1.18's ares_getaddrinfo reads the hosts file first ("fb") and ends there when the name
     * is in it; "localhost" absent from it gets loopback addresses without a query (RFC 6761
     * §6.3). No socket opened means no server was asked: which of the two, the hosts file
     * itself tells (ares_gethostbyname_file reads only the file). */
    out->source = RESOLVE_SRC_DNS;
    if (!asked_dns && l.status == ARES_SUCCESS) {
        struct hostent *he = NULL;
        out->source = ares_gethostbyname_file(ch, host, h.ai_family, &he) == ARES_SUCCESS
                          ? RESOLVE_SRC_HOSTS
                          : RESOLVE_SRC_LOCALHOST;
        if (he != NULL)
            ares_free_hostent(he);
    }
    ares_destroy(ch);
    return status_of(l.status, host, out->asked, d);
}
