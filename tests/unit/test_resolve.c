/*
 * Unit tests of client/resolve: resolve_query against a scripted DNS server on 127.0.0.1 (a
 * thread answering each query from a table): SRV records come back with their fields
 * (priority, weight, port, target) besides their text, in answer order; an SRV record c-ares
 * cannot read keeps lana's text and no fields; A and TXT texts; NXDOMAIN and NODATA statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/resolve.h"
#include "common/dnsmsg.h"

struct server {
    int fd;
    uint16_t port;
    volatile int stop;
};

/* Appends a name in wire form ("h1.lab" → 2 h1 3 lab 0). */
static size_t put_name(uint8_t *p, const char *name)
{
    size_t n = 0;
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        p[n++] = (uint8_t)l;
        memcpy(p + n, name, l);
        n += l;
        name += l + (dot != NULL);
    }
    p[n++] = 0;
    return n;
}

/* One answer RR owned by the question's name (a pointer to offset 12). */
static size_t put_rr(uint8_t *p, uint16_t type, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
    uint8_t h[12] = {0xc0,
                     12,
                     (uint8_t)(type >> 8),
                     (uint8_t)type,
                     0,
                     1,
                     (uint8_t)(ttl >> 24),
                     (uint8_t)(ttl >> 16),
                     (uint8_t)(ttl >> 8),
                     (uint8_t)ttl,
                     (uint8_t)(rdlen >> 8),
                     (uint8_t)rdlen};
    memcpy(p, h, sizeof h);
    memcpy(p + sizeof h, rdata, rdlen);
    return sizeof h + rdlen;
}

static size_t put_srv(uint8_t *p, uint16_t prio, uint16_t weight, uint16_t port, const char *target)
{
    uint8_t rd[300] = {(uint8_t)(prio >> 8), (uint8_t)prio,        (uint8_t)(weight >> 8),
                       (uint8_t)weight,      (uint8_t)(port >> 8), (uint8_t)port};
    size_t n = 6 + put_name(rd + 6, target);
    return put_rr(p, DNS_T_SRV, 300, rd, n);
}

/* The answer section for the question name, by the name's first label; sets rcode. */
static size_t answers(const char *qname, uint8_t *p, unsigned *count, unsigned *rcode)
{
    size_t n = 0;
    *count = 0;
    *rcode = 0;
    if (strncmp(qname, "_echo.", 6) == 0) { /* two SRV records, the second first by priority */
        n += put_srv(p + n, 10, 20, 8080, "h1.lab");
        n += put_srv(p + n, 0, 5, 7, "other.lab");
        *count = 2;
    } else if (strncmp(qname, "_short.", 7) == 0) { /* rdata too short for an SRV */
        static const uint8_t rd[4] = {0, 1, 0, 2};
        n += put_rr(p + n, DNS_T_SRV, 60, rd, sizeof rd);
        *count = 1;
    } else if (strncmp(qname, "a.", 2) == 0) {
        static const uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};
        n += put_rr(p + n, DNS_T_A, 60, a1, 4);
        n += put_rr(p + n, DNS_T_A, 60, a2, 4);
        *count = 2;
    } else if (strncmp(qname, "t.", 2) == 0) {
        static const uint8_t t[] = {3, 'a', ' ', 'b', 1, 'c'};
        n += put_rr(p + n, DNS_T_TXT, 60, t, sizeof t);
        *count = 1;
    } else if (strncmp(qname, "empty.", 6) != 0) {
        *rcode = 3; /* NXDOMAIN */
    }
    return n;
}

/* Answers one query: the question copied, then the scripted answers. */
static void answer_one(struct server *s)
{
    uint8_t q[512], r[2048];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t k = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
    if (k < 12 + 5)
        return;
    char qname[256];
    size_t qn = 0, pos = 12;
    while (pos < (size_t)k && q[pos] != 0 && qn + q[pos] + 1 < sizeof qname) {
        memcpy(qname + qn, q + pos + 1, q[pos]);
        qn += q[pos];
        qname[qn++] = '.';
        pos += (size_t)q[pos] + 1;
    }
    qname[qn] = '\0';
    size_t qend = pos + 1 + 4; /* the root label, type, class */
    if (qend > (size_t)k)
        return;
    memcpy(r, q, qend);
    unsigned count, rcode;
    size_t n = qend + answers(qname, r + qend, &count, &rcode);
    r[2] = 0x85; /* QR, AA, RD */
    r[3] = (uint8_t)(0x80 | rcode);
    r[6] = 0;
    r[7] = (uint8_t)count;
    r[8] = r[9] = r[10] = r[11] = 0;
    sendto(s->fd, r, n, 0, (struct sockaddr *)&from, fl);
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    while (!s->stop) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 50) > 0)
            answer_one(s);
    }
    return NULL;
}

static int setup(void **state)
{
    struct server *s = calloc(1, sizeof *s);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    s->port = ntohs(a.sin_port);
    pthread_t t;
    if (pthread_create(&t, NULL, server_main, s) != 0)
        return -1;
    pthread_detach(t);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct server *s = *state;
    s->stop = 1;
    usleep(150 * 1000); /* the thread sees stop within one poll */
    close(s->fd);
    free(s);
    return 0;
}

/* resolve_query against the scripted server, into a fresh answer (freed by the caller). */
static enum resolve_status ask(void **state, const char *name, uint16_t type,
                               struct resolve_answer **out, struct lana_diag *d)
{
    struct server *s = *state;
    char servers[32];
    snprintf(servers, sizeof servers, "127.0.0.1:%u", s->port);
    struct resolve_opts o = {.servers = servers, .timeout_ms = 1000, .tries = 2};
    *out = malloc(sizeof **out);
    assert_non_null(*out);
    return resolve_query(name, type, &o, *out, d);
}

static void test_srv_records_come_with_their_fields(void **state)
{
    struct resolve_answer *an;
    struct lana_diag d;
    assert_int_equal(ask(state, "_echo._tcp.h1.lab", DNS_T_SRV, &an, &d), RESOLVE_OK);
    assert_int_equal(an->n, 2);
    const struct resolve_rr *r = &an->rr[0];
    assert_int_equal(r->type, DNS_T_SRV);
    assert_int_equal(r->ttl, 300);
    assert_true(r->has_srv);
    assert_int_equal(r->srv.priority, 10);
    assert_int_equal(r->srv.weight, 20);
    assert_int_equal(r->srv.port, 8080);
    assert_string_equal(r->srv.target, "h1.lab.");
    assert_string_equal(r->data, "10 20 8080 h1.lab.");
    assert_string_equal(r->owner, "_echo._tcp.h1.lab.");
    r = &an->rr[1]; /* answer order, not priority order */
    assert_true(r->has_srv);
    assert_int_equal(r->srv.priority, 0);
    assert_int_equal(r->srv.weight, 5);
    assert_int_equal(r->srv.port, 7);
    assert_string_equal(r->srv.target, "other.lab.");
    assert_string_equal(r->data, "0 5 7 other.lab.");
    free(an);
}

static void test_unreadable_srv_has_no_fields(void **state)
{
    struct resolve_answer *an;
    struct lana_diag d;
    assert_int_equal(ask(state, "_short._tcp.h1.lab", DNS_T_SRV, &an, &d), RESOLVE_OK);
    assert_int_equal(an->n, 1);
    assert_int_equal(an->rr[0].type, DNS_T_SRV);
    assert_false(an->rr[0].has_srv);
    free(an);
}

static void test_a_and_txt_texts(void **state)
{
    struct resolve_answer *an;
    struct lana_diag d;
    assert_int_equal(ask(state, "a.lab", DNS_T_A, &an, &d), RESOLVE_OK);
    assert_int_equal(an->n, 2);
    assert_string_equal(an->rr[0].data, "192.0.2.1");
    assert_string_equal(an->rr[1].data, "192.0.2.2");
    assert_false(an->rr[0].has_srv);
    free(an);
    assert_int_equal(ask(state, "t.lab", DNS_T_TXT, &an, &d), RESOLVE_OK);
    assert_int_equal(an->n, 1);
    assert_string_equal(an->rr[0].data, "\"a b\" \"c\"");
    free(an);
}

static void test_statuses(void **state)
{
    struct resolve_answer *an;
    struct lana_diag d;
    assert_int_equal(ask(state, "nosuch.lab", DNS_T_SRV, &an, &d), RESOLVE_NXDOMAIN);
    assert_non_null(strstr(d.msg, "NXDOMAIN"));
    free(an);
    assert_int_equal(ask(state, "empty.lab", DNS_T_SRV, &an, &d), RESOLVE_NODATA);
    assert_int_equal(an->n, 0);
    free(an);
}

/* resolve_host against the scripted server (IPv4 only: it answers A records). */
static enum resolve_status ask_host(void **state, const char *name, struct resolve_result *out,
                                    struct lana_diag *d, char *servers, size_t size)
{
    struct server *s = *state;
    snprintf(servers, size, "127.0.0.1:%u", s->port);
    struct resolve_opts o = {.servers = servers, .family = AF_INET, .timeout_ms = 1000, .tries = 2};
    return resolve_host(name, 80, &o, out, d);
}

static void test_host_source_dns_names_the_server(void **state)
{
    struct resolve_result *r = malloc(sizeof *r);
    struct lana_diag d;
    char servers[32];
    assert_non_null(r);
    assert_int_equal(ask_host(state, "a.lab", r, &d, servers, sizeof servers), RESOLVE_OK);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->source, RESOLVE_SRC_DNS);
    assert_string_equal(r->asked, servers);
    free(r);
}

static void test_host_failure_says_which_server(void **state)
{
    struct resolve_result *r = malloc(sizeof *r);
    struct lana_diag d;
    char servers[32], want[96];
    assert_non_null(r);
    assert_int_equal(ask_host(state, "nosuch.lab", r, &d, servers, sizeof servers),
                     RESOLVE_NXDOMAIN);
    snprintf(want, sizeof want, "nosuch.lab: no such name (NXDOMAIN) from %s", servers);
    assert_string_equal(d.msg, want);
    struct resolve_answer *an;
    assert_int_equal(ask(state, "nosuch.lab", DNS_T_SRV, &an, &d), RESOLVE_NXDOMAIN);
    assert_string_equal(an->asked, servers);
    assert_non_null(strstr(d.msg, servers));
    free(an);
    free(r);
}

static void test_host_literal_and_hosts_file_ask_no_server(void **state)
{
    (void)state;
    struct resolve_result *r = malloc(sizeof *r);
    struct lana_diag d;
    assert_non_null(r);
    /* a server that would never answer: a DNS query would time out, not succeed */
    struct resolve_opts o = {.servers = "127.0.0.1:9", .timeout_ms = 200, .tries = 1};
    assert_int_equal(resolve_host("192.0.2.7", 80, &o, r, &d), RESOLVE_OK);
    assert_int_equal(r->source, RESOLVE_SRC_LITERAL);
    assert_int_equal(resolve_host("2001:db8::7", 80, &o, r, &d), RESOLVE_OK);
    assert_int_equal(r->source, RESOLVE_SRC_LITERAL);
    /* a link-local literal with its zone is an address, never a name sent to DNS */
    assert_int_equal(resolve_host("fe80::1%lo", 80, &o, r, &d), RESOLVE_OK);
    assert_int_equal(r->source, RESOLVE_SRC_LITERAL);
    assert_int_equal(((struct sockaddr_in6 *)&r->addr[0])->sin6_scope_id, if_nametoindex("lo"));
    assert_int_equal(resolve_host("fe80::1%no-such-if", 80, &o, r, &d), RESOLVE_ERROR);
    assert_string_equal(d.msg, "fe80::1%no-such-if: the zone no-such-if names no interface of "
                               "this machine");
    /* "localhost": /etc/hosts when it has the name (it does nearly everywhere), else c-ares'
     * own loopback addresses; never a query */
    assert_int_equal(resolve_host("localhost", 80, &o, r, &d), RESOLVE_OK);
    assert_true(r->source == RESOLVE_SRC_HOSTS || r->source == RESOLVE_SRC_LOCALHOST);
    FILE *f = fopen("/etc/hosts", "r");
    char line[512];
    bool listed = false;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        listed |= line[0] != '#' && strstr(line, "localhost") != NULL;
    if (f != NULL)
        fclose(f);
    assert_int_equal(r->source, listed ? RESOLVE_SRC_HOSTS : RESOLVE_SRC_LOCALHOST);
    /* and a name that only DNS can answer goes to the server (silent, or refusing with an
     * ICMP port unreachable, depending on the kernel) */
    enum resolve_status st = resolve_host("no-such-host.invalid", 80, &o, r, &d);
    assert_true(st == RESOLVE_TIMEOUT || st == RESOLVE_REFUSED);
    assert_int_equal(r->source, RESOLVE_SRC_DNS);
    assert_non_null(strstr(d.msg, "from 127.0.0.1:9"));
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srv_records_come_with_their_fields),
        cmocka_unit_test(test_unreadable_srv_has_no_fields),
        cmocka_unit_test(test_a_and_txt_texts),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_host_source_dns_names_the_server),
        cmocka_unit_test(test_host_failure_says_which_server),
        cmocka_unit_test(test_host_literal_and_hosts_file_ask_no_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
