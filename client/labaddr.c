/*
 * labaddr — see labaddr.h.
 */
#include "client/labaddr.h"

#include <errno.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "client/regclient.h"

const char labaddr_ranges_text[] = "198.18.0.0/15, 2001:db8::/32";

/* 198.18.0.0/15 (RFC 2544 §C.2.2, test networks) and 2001:db8::/32 (RFC 3849) */
static const struct cidr ranges[] = {
    {4, 15, {198, 18}},
    {6, 32, {0x20, 0x01, 0x0d, 0xb8}},
};

/* The address of a sockaddr as a host prefix; an IPv4-mapped IPv6 address as IPv4. */
static bool host_of(const struct sockaddr_storage *ss, struct cidr *c)
{
    memset(c, 0, sizeof *c);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        c->family = 4;
        c->plen = 32;
        memcpy(c->addr, &s4->sin_addr, 4);
        return true;
    }
    if (ss->ss_family != AF_INET6)
        return false;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a)) {
        c->family = 4;
        c->plen = 32;
        memcpy(c->addr, &a->s6_addr[12], 4);
    } else {
        c->family = 6;
        c->plen = 128;
        memcpy(c->addr, a->s6_addr, 16);
    }
    return true;
}

static int find_in(const struct cidr *h, const struct labaddr_set *s)
{
    for (int i = 0; s != NULL && i < s->n; i++)
        if (cidr_contains(&s->prefix[i], h))
            return i;
    return -1;
}

enum labaddr_kind labaddr_classify(const struct sockaddr_storage *a,
                                   const struct labaddr_set *local, const struct labaddr_set *pools,
                                   int *which)
{
    struct cidr h;
    int w = -1;
    enum labaddr_kind k = LABADDR_OUTSIDE;
    static const uint8_t zero[16];
    if (!host_of(a, &h)) {
        k = LABADDR_OUTSIDE;
    } else if ((h.family == 4 && h.addr[0] == 127) ||
               (h.family == 6 && memcmp(h.addr, zero, 15) == 0 && h.addr[15] == 1)) {
        k = LABADDR_LOOPBACK;
    } else if (memcmp(h.addr, zero, h.family == 4 ? 4 : 16) == 0) {
        k = LABADDR_LOCAL; /* 0.0.0.0 and ::: Linux connects them to this host */
    } else if ((w = find_in(&h, local)) >= 0) {
        k = LABADDR_LOCAL;
    } else if (cidr_contains(&ranges[0], &h) || cidr_contains(&ranges[1], &h)) {
        k = LABADDR_RANGE;
    } else if ((w = find_in(&h, pools)) >= 0) {
        k = LABADDR_POOL;
    }
    if (which != NULL)
        *which = k == LABADDR_LOCAL || k == LABADDR_POOL ? w : -1;
    return k;
}

int labaddr_parse_pools(const char *reply, struct labaddr_set *out, struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loads(reply, 0, &je);
    json_t *pools = root ? json_object_get(root, "pools") : NULL;
    int rc = 0;
    if (root == NULL || !json_is_true(json_object_get(root, "ok")) || !json_is_array(pools)) {
        rc = diag_set(d, LANA_EPARSE, "not a pool list reply");
        goto out;
    }
    size_t i;
    json_t *p;
    json_array_foreach(pools, i, p)
    {
        if (out->n == LABADDR_MAX) {
            out->truncated = true;
            break;
        }
        const char *text = json_string_value(json_object_get(p, "prefix"));
        if (text == NULL) {
            rc = diag_set(d, LANA_EPARSE, "a pool without a prefix");
            goto out;
        }
        if ((rc = cidr_parse(text, &out->prefix[out->n], d)) != 0)
            goto out;
        out->n++;
    }
out:
    if (root != NULL)
        json_decref(root);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int labaddr_local(struct labaddr_set *out, struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return diag_set(d, LANA_EIO, "getifaddrs: %s", strerror(errno));
    for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
        struct sockaddr_storage ss;
        if (i->ifa_addr == NULL ||
            (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
            continue;
        memset(&ss, 0, sizeof ss);
        memcpy(&ss, i->ifa_addr,
               i->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                                 : sizeof(struct sockaddr_in6));
        if (out->n == LABADDR_MAX) {
            out->truncated = true;
            break;
        }
        if (host_of(&ss, &out->prefix[out->n]))
            out->n++;
    }
    freeifaddrs(list);
    return 0;
}

int labaddr_pools(const struct regclient_opts *o, struct labaddr_set *out, struct lana_diag *d)
{
    struct regclient c;
    char *reply;
    memset(out, 0, sizeof *out);
    int rc = regclient_open(&c, o, d);
    if (rc == 0 && (rc = regclient_send(&c, "pool list", d)) == 0 &&
        (rc = regclient_recv(&c, &reply, d)) == 0)
        rc = labaddr_parse_pools(reply, out, d);
    if (rc == 0)
        (void)regclient_send(&c, "quit", d);
    regclient_close(&c);
    return rc;
}

void labaddr_set_text(const struct labaddr_set *s, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < s->n; i++) {
        char p[CIDR_STRLEN];
        if (cidr_format(&s->prefix[i], p, sizeof p) != 0)
            continue;
        size_t l = strlen(buf);
        int k = snprintf(buf + l, size - l, "%s%s", l ? ", " : "", p);
        if (k < 0 || (size_t)k >= size - l) {
            if (size >= 4)
                memcpy(buf + size - 4, "...", 4);
            return;
        }
    }
}
