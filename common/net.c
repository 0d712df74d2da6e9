/*
 * net — see net.h.
 */
#include "common/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/num.h"

int net_parse_endpoint(const char *s, int default_port, struct sockaddr_storage *out,
                       socklen_t *len, struct lana_diag *d)
{
    char host[INET6_ADDRSTRLEN];
    const char *port = NULL;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL)
            return diag_set(d, LANA_EPARSE, "%.80s: missing ']'", s);
        hlen = (size_t)(close - s - 1);
        s++;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return diag_set(d, LANA_EPARSE, "%.80s: expected ':PORT' after ']'", s - 1);
    } else {
        const char *colon = strrchr(s, ':');
        if (colon != NULL && strchr(s, ':') != colon)
            colon = NULL; /* a bare IPv6 address: several colons and no brackets */
        hlen = colon ? (size_t)(colon - s) : strlen(s);
        port = colon ? colon + 1 : NULL;
    }
    if (hlen == 0 || hlen >= sizeof host)
        return diag_set(d, LANA_EPARSE, "%.80s: bad address", s);
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    uint64_t p;
    if (port != NULL) {
        if (num_parse_u64(port, 0, 65535, &p, NULL) != 0)
            return diag_set(d, LANA_EPARSE, "%.80s: port must be 0-65535", s);
    } else if (default_port >= 0) {
        p = (uint64_t)default_port;
    } else {
        return diag_set(d, LANA_EPARSE, "%.80s: expected ADDR:PORT", s);
    }
    memset(out, 0, sizeof *out);
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p);
        *len = sizeof *v6;
    } else {
        return diag_set(d, LANA_EPARSE, "%s: not an IPv4 or IPv6 address", host);
    }
    return 0;
}

const char *net_addr_format(const struct sockaddr *sa, char *buf, size_t size)
{
    char a[INET6_ADDRSTRLEN];
    int n = -1;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &v4->sin_addr, a, sizeof a);
        n = snprintf(buf, size, "%s:%u", a, ntohs(v4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof a);
        n = snprintf(buf, size, "[%s]:%u", a, ntohs(v6->sin6_port));
    }
    if ((n < 0 || (size_t)n >= size) && size > 1) {
        buf[0] = '?';
        buf[1] = '\0';
    }
    return buf;
}

uint16_t net_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
    return 0;
}
