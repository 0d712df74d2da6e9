/*
 * trace — see trace.h. Captures on the "any" pseudo-device (Linux cooked headers, SLL), so
 * that loopback and real interfaces look the same; a segment seen twice (leaving and
 * arriving on the loopback) is kept once.
 */
#include "client/trace.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/handshake.h"
#include "common/clock.h"
#include "common/net.h"

struct trace {
    pcap_t *p;
    uint16_t lport;
    struct timespec t0;
};

static double since(const struct timespec *t0, const struct timeval *tv)
{
    return (double)(tv->tv_sec - t0->tv_sec) * 1000.0 + (double)tv->tv_usec / 1000.0 -
           (double)t0->tv_nsec / 1e6;
}

int trace_start(uint16_t local_port, const struct sockaddr *remote, struct trace **out,
                struct lana_diag *d)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    struct trace *t = calloc(1, sizeof *t);
    if (t == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    t->lport = local_port;
    t->p = pcap_create("any", err);
    int rc = t->p ? 0 : -1;
    if (rc == 0) {
        pcap_set_snaplen(t->p, 128);
        pcap_set_immediate_mode(t->p, 1);
        pcap_set_timeout(t->p, 10);
        rc = pcap_activate(t->p);
    }
    if (rc != 0) {
        bool perm = rc == PCAP_ERROR_PERM_DENIED;
        diag_set(d, perm ? LANA_EPERM : LANA_EIO, "%s%s",
                 perm ? "capturing packets needs root or CAP_NET_RAW (sudo setcap "
                        "cap_net_raw+ep $(command -v lana)): "
                      : "cannot capture: ",
                 t->p ? pcap_geterr(t->p) : err);
        if (t->p)
            pcap_close(t->p);
        free(t);
        return perm ? LANA_EPERM : LANA_EIO;
    }
    /* the remote address too: on a router, other connections may share the two ports */
    char host[INET6_ADDRSTRLEN];
    const void *ra = remote->sa_family == AF_INET
                         ? (const void *)&((const struct sockaddr_in *)remote)->sin_addr
                         : (const void *)&((const struct sockaddr_in6 *)remote)->sin6_addr;
    if (inet_ntop(remote->sa_family, ra, host, sizeof host) == NULL)
        host[0] = '\0';
    char filter[160]; /* "tcp and host <IPv6> and port 65535 and port 65535" fits */
    int fn = host[0] ? snprintf(filter, sizeof filter, "tcp and host %s and port %u and port %u",
                                host, local_port, net_addr_port(remote))
                     : -1;
    if (fn < 0 || (size_t)fn >= sizeof filter) {
        pcap_close(t->p);
        free(t);
        return diag_set(d, LANA_EIO, "capture filter too long");
    }
    struct bpf_program prog;
    if (pcap_compile(t->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(t->p, &prog) != 0) {
        diag_set(d, LANA_EIO, "capture filter: %s", pcap_geterr(t->p));
        pcap_close(t->p);
        free(t);
        return LANA_EIO;
    }
    pcap_freecode(&prog);
    pcap_setnonblock(t->p, 1, err);
    clock_gettime(CLOCK_REALTIME, &t->t0);
    *out = t;
    return 0;
}

/* The TCP header of a cooked (SLL) frame: IPv4 or IPv6, no IPv6 extension headers. */
static const uint8_t *tcp_of(const uint8_t *f, size_t len)
{
    if (len < 16 + 20)
        return NULL;
    unsigned proto = (unsigned)f[14] << 8 | f[15];
    const uint8_t *ip = f + 16;
    len -= 16;
    if (proto == 0x0800 && (ip[0] >> 4) == 4 && ip[9] == 6) {
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        return len >= ihl + 20 ? ip + ihl : NULL;
    }
    if (proto == 0x86dd && (ip[0] >> 4) == 6 && ip[6] == 6)
        return len >= 40 + 20 ? ip + 40 : NULL;
    return NULL;
}

int trace_collect(struct trace *t, int wait_ms, struct trace_segment *out, int max)
{
    int n = 0;
    uint64_t end = mono_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *f;
        int r = pcap_next_ex(t->p, &h, &f);
        if (r == 1) {
            const uint8_t *tcp = tcp_of(f, h->caplen);
            if (tcp == NULL || n == max)
                continue;
            struct trace_segment s;
            memset(&s, 0, sizeof s);
            uint16_t sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
            s.seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
            s.ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
            uint8_t fl = tcp[13];
            static const char *const names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
            for (int b = 0; b < 6; b++)
                if (fl & (1u << b)) {
                    size_t l = strlen(s.flags);
                    /* all six names with commas take 24 bytes: cut, never overrun */
                    int k = snprintf(s.flags + l, sizeof s.flags - l, "%s%s", l ? "," : "",
                                     names[b]);
                    if (k < 0 || (size_t)k >= sizeof s.flags - l)
                        s.flags[l] = '\0';
                }
            if (!(fl & 0x10))
                s.ack = 0;
            s.from_client = sport == t->lport;
            s.ms = since(&t->t0, &h->ts);
            if (n > 0 && out[n - 1].seq == s.seq && out[n - 1].ack == s.ack &&
                strcmp(out[n - 1].flags, s.flags) == 0 && out[n - 1].from_client == s.from_client)
                continue; /* the same segment seen again (loopback) */
            out[n++] = s;
            continue;
        }
        if (r < 0)
            break;
        struct handshake_check hc;
        handshake_check(out, n, &hc);
        if (hc.verdict != HANDSHAKE_INCOMPLETE || mono_ms() >= end)
            break;
        struct timespec nap = {0, 2000000};
        nanosleep(&nap, NULL);
    }
    return n;
}

void trace_stop(struct trace *t)
{
    if (t == NULL)
        return;
    pcap_close(t->p);
    free(t);
}
