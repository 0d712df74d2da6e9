/*
 * secstate — see secstate.h. The rows sit in one array in no order, searched linearly: a lab
 * has a few secondaries per zone, and the only hot path, a DNS worker's SOA query, first asks
 * the atomic count of known secondaries and looks further only when there are some.
 */
#include "server/secstate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "common/clock.h"
#include "db/zone.h"

static struct {
    pthread_mutex_t mu;
    struct secstate_entry *v;
    size_t n, cap;
    _Atomic size_t known; /* rows that make their address a known secondary */
} tab = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The address of sa as 16 bytes (IPv4 mapped) and as text; false for other families. */
static bool addr_of(const struct sockaddr *sa, uint8_t ip[16], char text[NET_ADDRSTRLEN],
                    uint16_t *port)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        memcpy(ip, mapped, 12);
        memcpy(ip + 12, &s4->sin_addr, 4);
        *port = ntohs(s4->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(ip, &s6->sin6_addr, 16);
        *port = ntohs(s6->sin6_port);
    } else {
        return false;
    }
    if (memcmp(ip, mapped, 12) == 0)
        inet_ntop(AF_INET, ip + 12, text, NET_ADDRSTRLEN);
    else
        inet_ntop(AF_INET6, ip, text, NET_ADDRSTRLEN);
    return true;
}

static bool is_known(const struct secstate_entry *e)
{
    return e->target || e->xfr_ms != 0;
}

/* The row of (zone, ip), made when create and there is room; NULL otherwise. Under mu. */
static struct secstate_entry *row(const char *zone, const uint8_t ip[16], const char *text,
                                  bool create)
{
    for (size_t i = 0; i < tab.n; i++)
        if (memcmp(tab.v[i].ip, ip, 16) == 0 && strcmp(tab.v[i].zone, zone) == 0)
            return &tab.v[i];
    if (!create || strlen(zone) >= DNAME_TEXT_MAX || tab.n == SECSTATE_MAX)
        return NULL;
    if (tab.n == tab.cap) {
        size_t cap = tab.cap ? 2 * tab.cap : 16;
        struct secstate_entry *v = realloc(tab.v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        tab.v = v;
        tab.cap = cap;
    }
    struct secstate_entry *e = &tab.v[tab.n++];
    memset(e, 0, sizeof *e);
    memcpy(e->zone, zone, strlen(zone) + 1);
    memcpy(e->ip, ip, 16);
    memcpy(e->addr, text, strlen(text) + 1);
    return e;
}

/* Recounts the known rows after a change of marks. Under mu. */
static void recount(void)
{
    size_t k = 0;
    for (size_t i = 0; i < tab.n; i++)
        k += is_known(&tab.v[i]);
    atomic_store_explicit(&tab.known, k, memory_order_relaxed);
}

void secstate_targets(const char *zone, const struct sockaddr_storage *targets, unsigned n)
{
    pthread_mutex_lock(&tab.mu);
    for (size_t i = 0; i < tab.n; i++)
        if (strcmp(tab.v[i].zone, zone) == 0)
            tab.v[i].target = false;
    for (unsigned i = 0; i < n; i++) {
        uint8_t ip[16];
        char text[NET_ADDRSTRLEN];
        uint16_t port;
        struct secstate_entry *e;
        if (addr_of((const struct sockaddr *)&targets[i], ip, text, &port) &&
            (e = row(zone, ip, text, true)) != NULL) {
            e->target = true;
            e->notify_port = port;
        }
    }
    recount();
    pthread_mutex_unlock(&tab.mu);
}

/* The row of zone and sa (made when missing), locked: the caller unlocks. NULL: unlocked. */
static struct secstate_entry *lock_row(const char *zone, const struct sockaddr *sa)
{
    uint8_t ip[16];
    char text[NET_ADDRSTRLEN];
    uint16_t port;
    if (!addr_of(sa, ip, text, &port))
        return NULL;
    pthread_mutex_lock(&tab.mu);
    struct secstate_entry *e = row(zone, ip, text, true);
    if (e == NULL)
        pthread_mutex_unlock(&tab.mu);
    return e;
}

void secstate_notify_sent(const char *zone, const struct sockaddr *target, uint32_t serial,
                          unsigned tries)
{
    struct secstate_entry *e = lock_row(zone, target);
    if (e == NULL)
        return;
    e->notify_sent_ms = real_ms();
    e->notify_sent_serial = serial;
    e->notify_sent_tries = tries;
    pthread_mutex_unlock(&tab.mu);
}

void secstate_notify_answered(const char *zone, const struct sockaddr *target, uint32_t serial,
                              unsigned tries, unsigned rcode)
{
    struct secstate_entry *e = lock_row(zone, target);
    if (e == NULL)
        return;
    e->notify_answered_ms = real_ms();
    e->notify_answered_serial = serial;
    e->notify_answered_tries = tries;
    e->notify_rcode = rcode;
    pthread_mutex_unlock(&tab.mu);
}

void secstate_notify_gaveup(const char *zone, const struct sockaddr *target, uint32_t serial)
{
    struct secstate_entry *e = lock_row(zone, target);
    if (e == NULL)
        return;
    e->notify_gaveup_ms = real_ms();
    e->notify_gaveup_serial = serial;
    pthread_mutex_unlock(&tab.mu);
}

bool secstate_any_known(void)
{
    return atomic_load_explicit(&tab.known, memory_order_relaxed) > 0;
}

void secstate_soa_query(const uint8_t *apex, const struct sockaddr *peer)
{
    uint8_t ip[16];
    char text[NET_ADDRSTRLEN], zone[DNAME_TEXT_MAX];
    uint16_t port;
    if (atomic_load_explicit(&tab.known, memory_order_relaxed) == 0 ||
        !addr_of(peer, ip, text, &port))
        return;
    if (dname_to_text(apex, zone, sizeof zone) < 0)
        return;
    pthread_mutex_lock(&tab.mu);
    bool known = false;
    for (size_t i = 0; i < tab.n && !known; i++)
        known = memcmp(tab.v[i].ip, ip, 16) == 0 && is_known(&tab.v[i]);
    struct secstate_entry *e = known ? row(zone, ip, text, true) : NULL;
    if (e != NULL)
        e->soa_query_ms = real_ms();
    pthread_mutex_unlock(&tab.mu);
}

void secstate_xfr_done(const char *zone, const char *peer, const char *kind,
                       const uint8_t *soa, size_t rdlen, uint64_t bytes)
{
    struct sockaddr_storage ss;
    socklen_t len;
    uint32_t serial;
    if (net_parse_endpoint(peer, 0, &ss, &len, NULL) != 0 ||
        zone_soa_serial(soa, rdlen, &serial) != 0)
        return;
    struct secstate_entry *e = lock_row(zone, (const struct sockaddr *)&ss);
    if (e == NULL)
        return;
    e->xfr_ms = real_ms();
    size_t k = strlen(kind);
    if (k >= sizeof e->xfr_kind)
        k = sizeof e->xfr_kind - 1;
    memcpy(e->xfr_kind, kind, k);
    e->xfr_kind[k] = '\0';
    e->xfr_serial = serial;
    e->xfr_bytes = bytes;
    recount();
    pthread_mutex_unlock(&tab.mu);
}

static int by_zone_addr(const void *a, const void *b)
{
    const struct secstate_entry *x = a, *y = b;
    int c = strcmp(x->zone, y->zone);
    return c != 0 ? c : memcmp(x->ip, y->ip, 16);
}

size_t secstate_snapshot(const char *zone, struct secstate_entry **out)
{
    *out = NULL;
    pthread_mutex_lock(&tab.mu);
    size_t n = 0;
    for (size_t i = 0; i < tab.n; i++)
        n += zone == NULL || strcmp(tab.v[i].zone, zone) == 0;
    struct secstate_entry *v = n > 0 ? malloc(n * sizeof *v) : NULL;
    size_t k = 0;
    for (size_t i = 0; v != NULL && i < tab.n; i++)
        if (zone == NULL || strcmp(tab.v[i].zone, zone) == 0)
            v[k++] = tab.v[i];
    pthread_mutex_unlock(&tab.mu);
    if (v == NULL)
        return 0;
    qsort(v, k, sizeof *v, by_zone_addr);
    *out = v;
    return k;
}

void secstate_reset(void)
{
    pthread_mutex_lock(&tab.mu);
    free(tab.v);
    tab.v = NULL;
    tab.n = tab.cap = 0;
    atomic_store_explicit(&tab.known, 0, memory_order_relaxed);
    pthread_mutex_unlock(&tab.mu);
}
