/*
 * primary — see primary.h.
 */
#include "server/primary.h"

#include "common/log.h"
#include "common/net.h"
#include "server/answer.h"
#include "server/secstate.h"

#define PRIMARY_R_NOTAUTH 9 /* RFC 2136 §2.2 */

/* The zone whose apex is q's qname, or NULL. */
static const struct zonedb_zone *apex_zone(struct zonedb_reader *r, const struct dnsmsg_query *q)
{
    uint8_t key[DNAME_KEY_MAX];
    size_t klen = dname_key(q->qname, key);
    const struct zonedb_zone *z = zonedb_find_zone(r, key, klen);
    return z != NULL && z->apex_keylen == klen && q->qclass == DNS_C_IN ? z : NULL;
}

size_t primary_notify_answer(struct zonedb_reader *r, const struct dnsmsg_query *q,
                             const uint8_t *pkt, size_t len, const struct sockaddr *peer,
                             uint8_t *out, size_t cap)
{
    char zone[DNAME_TEXT_MAX], who[NET_ADDRSTRLEN] = "?";
    dname_to_text(q->qname, zone, sizeof zone);
    if (peer != NULL)
        net_addr_format(peer, who, sizeof who);
    if (q->qtype != DNS_T_SOA) {
        log_info("%s: NOTIFY %s: the question is not an SOA; FORMERR", who, zone);
        return answer_error(q, pkt, len, DNS_R_FORMERR, out, cap);
    }
    if (apex_zone(r, q) == NULL) {
        log_info("%s: NOTIFY %s: not a zone served here; NOTAUTH", who, zone);
        return answer_error(q, pkt, len, PRIMARY_R_NOTAUTH, out, cap);
    }
    log_info("%s: NOTIFY %s: answered; lanad is its primary and needs no refresh", who, zone);
    size_t n = answer_error(q, pkt, len, DNS_R_NOERROR, out, cap);
    if (n >= DNSMSG_HDRLEN)
        out[2] |= (uint8_t)(DNS_F_AA >> 8);
    return n;
}

void primary_query_seen(struct zonedb_reader *r, const struct dnsmsg_query *q,
                        const struct sockaddr *peer)
{
    if (q->qtype != DNS_T_SOA || peer == NULL || !secstate_any_known() ||
        apex_zone(r, q) == NULL)
        return;
    secstate_soa_query(q->qname, peer);
}
