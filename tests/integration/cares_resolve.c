/*
 * cares_resolve — a small c-ares client for the integration tests: resolves NAME's A and
 * AAAA records with ares_getaddrinfo against one server (ADDR PORT), over TCP when --tcp is
 * given (ARES_FLAG_USEVC), and prints one address per line. Exit 0 when it found addresses,
 * 2 with c-ares's status text otherwise.
 * With --ptr the NAME is an address, looked up with ares_gethostbyaddr (PTR); with --srv the
 * NAME's SRV records are asked with ares_query and read with ares_parse_srv_reply, printed as
 * "PRIORITY WEIGHT PORT TARGET".
 * usage: cares_resolve ADDR PORT NAME [--tcp] [--ptr|--srv]
 */
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int done, status_out;

static void on_result(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)arg;
    (void)timeouts;
    done = 1;
    status_out = status;
    if (status != ARES_SUCCESS) {
        fprintf(stderr, "cares_resolve: %s\n", ares_strerror(status));
        return;
    }
    for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
        char buf[INET6_ADDRSTRLEN];
        const void *a = n->ai_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)n->ai_addr)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)n->ai_addr)->sin6_addr;
        inet_ntop(n->ai_family, a, buf, sizeof buf);
        printf("%s\n", buf);
    }
    ares_freeaddrinfo(res);
}

static void on_host(void *arg, int status, int timeouts, struct hostent *h)
{
    (void)arg;
    (void)timeouts;
    done = 1;
    status_out = status;
    if (status != ARES_SUCCESS) {
        fprintf(stderr, "cares_resolve: %s\n", ares_strerror(status));
        return;
    }
    printf("%s\n", h->h_name);
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)arg;
    (void)timeouts;
    done = 1;
    struct ares_srv_reply *srv = NULL;
    if (status == ARES_SUCCESS)
        status = ares_parse_srv_reply(abuf, alen, &srv);
    status_out = status;
    if (status != ARES_SUCCESS) {
        fprintf(stderr, "cares_resolve: %s\n", ares_strerror(status));
        return;
    }
    for (struct ares_srv_reply *p = srv; p; p = p->next)
        printf("%u %u %u %s\n", p->priority, p->weight, p->port, p->host);
    ares_free_data(srv);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: cares_resolve ADDR PORT NAME [--tcp]\n");
        return 64;
    }
    bool tcp = false, ptr = false, srv = false;
    for (int i = 4; i < argc; i++) {
        tcp |= strcmp(argv[i], "--tcp") == 0;
        ptr |= strcmp(argv[i], "--ptr") == 0;
        srv |= strcmp(argv[i], "--srv") == 0;
    }
    ares_channel ch;
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.flags = ARES_FLAG_NOSEARCH | (tcp ? ARES_FLAG_USEVC : 0);
    o.timeout = 2000; /* milliseconds, with ARES_OPT_TIMEOUTMS */
    o.tries = 2;
    o.lookups = (char *)"b";
    o.ndomains = 0;
    ares_library_init(ARES_LIB_INIT_ALL);
    if (ares_init_options(&ch, &o,
                          ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                              ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS) != ARES_SUCCESS)
        return 70;
    char csv[128];
    snprintf(csv, sizeof csv, strchr(argv[1], ':') ? "[%s]:%s" : "%s:%s", argv[1], argv[2]);
    if (ares_set_servers_ports_csv(ch, csv) != ARES_SUCCESS) {
        fprintf(stderr, "cares_resolve: bad server %s\n", csv);
        return 64;
    }
    struct ares_addrinfo_hints h;
    memset(&h, 0, sizeof h);
    h.ai_family = AF_UNSPEC;
    h.ai_flags = ARES_AI_NOSORT;
    if (ptr) {
        unsigned char a[16];
        int fam = strchr(argv[3], ':') ? AF_INET6 : AF_INET;
        if (inet_pton(fam, argv[3], a) != 1) {
            fprintf(stderr, "cares_resolve: %s: not an address\n", argv[3]);
            return 64;
        }
        ares_gethostbyaddr(ch, a, fam == AF_INET ? 4 : 16, fam, on_host, NULL);
    } else if (srv) {
        ares_query(ch, argv[3], 1 /* C_IN */, 33 /* T_SRV */, on_srv, NULL);
    } else {
        ares_getaddrinfo(ch, argv[3], NULL, &h, on_result, NULL);
    }
    while (!done) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM), n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            /* c-ares' own ARES_GETSOCK_WRITABLE shifts a signed 1 by up to 31 places (undefined
             * behaviour); test the bits on an unsigned copy instead. */
            unsigned ub = (unsigned)bits;
            bool rd = (ub >> i) & 1u, wr = (ub >> (i + ARES_GETSOCK_MAXNUM)) & 1u;
            if (!rd && !wr)
                continue;
            pfd[n].fd = socks[i];
            pfd[n].events = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
            n++;
        }
        struct timeval tv, *tvp = ares_timeout(ch, NULL, &tv);
        int ms = tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 1000;
        poll(pfd, (nfds_t)n, ms);
        int any = 0;
        for (int i = 0; i < n; i++) {
            if (pfd[i].revents) {
                any = 1;
                ares_process_fd(ch, (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd
                                                                                     : ARES_SOCKET_BAD,
                                (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
            }
        }
        if (!any)
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    ares_destroy(ch);
    ares_library_cleanup();
    return status_out == ARES_SUCCESS ? 0 : 2;
}
