/*
 * pcapdrop — linked into a copy of lana built for tests with -Wl,--wrap=pcap_next_ex: the
 * captured frames whose TCP flags are ACK alone are skipped, as a capture that missed the
 * handshake's ACK would (a busy capture buffer, a segment the kernel sent on another path).
 * Everything else comes from the real pcap_next_ex. Frames are Linux cooked (SLL) frames of
 * the "any" device, as client/trace.c captures them.
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int __real_pcap_next_ex(pcap_t *p, struct pcap_pkthdr **h, const u_char **data);
int __wrap_pcap_next_ex(pcap_t *p, struct pcap_pkthdr **h, const u_char **data);

/* True when the frame is TCP with the flags byte exactly ACK. */
static bool pure_ack(const u_char *f, size_t len)
{
    if (len < 16 + 40)
        return false;
    unsigned proto = (unsigned)f[14] << 8 | f[15];
    const u_char *ip = f + 16;
    size_t off;
    if (proto == 0x0800 && (ip[0] >> 4) == 4 && ip[9] == 6)
        off = (size_t)(ip[0] & 15) * 4;
    else if (proto == 0x86dd && (ip[0] >> 4) == 6 && ip[6] == 6)
        off = 40;
    else
        return false;
    return 16 + off + 14 <= len && ip[off + 13] == 0x10;
}

int __wrap_pcap_next_ex(pcap_t *p, struct pcap_pkthdr **h, const u_char **data)
{
    for (;;) {
        int r = __real_pcap_next_ex(p, h, data);
        if (r != 1 || !pure_ack(*data, (*h)->caplen))
            return r;
    }
}
