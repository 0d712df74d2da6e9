/*
 * resolve — see resolve.h.
 */
#include "client/resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
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
        snprintf(o->canonical, sizeof o->canonical, "%s", res->cnames->name);
    ares_freeaddrinfo(res);
}

static bool numeric(const char *host, uint16_t port, struct resolve_result *out)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)&out->addr[0];
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->addr[0];
    memset(&out->addr[0], 0, sizeof out->addr[0]);
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        out->len[0] = sizeof *s4;
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        out->len[0] = sizeof *s6;
    } else {
        return false;
    }
    out->n = 1;
    return true;
}

static enum resolve_status status_of(int st, const char *host, struct lana_diag *d)
{
    switch (st) {
    case ARES_SUCCESS:
        return RESOLVE_OK;
    case ARES_ENOTFOUND:
        diag_set(d, LANA_ENOTFOUND, "%s: no such name (NXDOMAIN)", host);
        return RESOLVE_NXDOMAIN;
    case ARES_ENODATA:
        diag_set(d, LANA_ENOTFOUND, "%s: the name has no address of that family", host);
        return RESOLVE_NODATA;
    case ARES_ETIMEOUT:
        diag_set(d, LANA_EIO, "%s: no answer from the DNS server in time", host);
        return RESOLVE_TIMEOUT;
    case ARES_ECONNREFUSED:
        diag_set(d, LANA_EIO,
                 "%s: the DNS server refused or failed (REFUSED/SERVFAIL, or nothing listens)",
                 host);
        return RESOLVE_REFUSED;
    default:
        diag_set(d, LANA_EIO, "%s: %s", host, ares_strerror(st));
        return RESOLVE_ERROR;
    }
}

enum resolve_status resolve_host(const char *host, uint16_t port, const struct resolve_opts *o,
                                 struct resolve_result *out, struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    double t0 = now_ms();
    if (numeric(host, port, out)) {
        out->ms = now_ms() - t0;
        return RESOLVE_OK;
    }
    static bool inited;
    if (!inited) {
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
            diag_set(d, LANA_EIO, "c-ares cannot start");
            return RESOLVE_ERROR;
        }
        inited = true;
    }
    struct ares_options ao;
    memset(&ao, 0, sizeof ao);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    ao.flags = o->tcp ? ARES_FLAG_USEVC : 0;
    ao.timeout = o->timeout_ms > 0 ? o->timeout_ms : 1000;
    ao.tries = o->tries > 0 ? o->tries : 2;
    ares_channel ch;
    int st = ares_init_options(&ch, &ao, mask);
    if (st != ARES_SUCCESS) {
        diag_set(d, LANA_EIO, "c-ares: %s", ares_strerror(st));
        return RESOLVE_ERROR;
    }
    if (o->servers != NULL && (st = ares_set_servers_ports_csv(ch, o->servers)) != ARES_SUCCESS) {
        ares_destroy(ch);
        diag_set(d, LANA_EPARSE, "DNS servers '%s': %s", o->servers, ares_strerror(st));
        return RESOLVE_ERROR;
    }
    struct ares_addrinfo_hints h;
    memset(&h, 0, sizeof h);
    h.ai_family = o->family ? o->family : AF_UNSPEC;
    h.ai_socktype = SOCK_STREAM;
    h.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct lookup l = {false, 0, out, port};
    ares_getaddrinfo(ch, host, service, &h, on_addrinfo, &l);
    while (!l.done) {
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
            if (!l.done && (pfd[i].revents & POLLOUT)) {
                ares_process_fd(ch, ARES_SOCKET_BAD, pfd[i].fd);
                any = true;
            }
        }
        if (!any && !l.done)
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
    }
    ares_destroy(ch);
    out->ms = now_ms() - t0;
    if (l.status == ARES_SUCCESS && out->n == 0)
        l.status = ARES_ENODATA;
    return status_of(l.status, host, d);
}
