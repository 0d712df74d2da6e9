/*
 * handshake — see handshake.h. The verdict walks the capture once per segment kind, each
 * search starting after the segment it answers, so that "in order" is part of being found.
 */
#include "client/handshake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first segment from `client` (or not) with exactly `flags`, at or after index from. */
static int find(const struct trace_segment *seg, int n, int from, bool client, const char *flags)
{
    for (int i = from < 0 ? 0 : from; i < n; i++)
        if (seg[i].from_client == client && strcmp(seg[i].flags, flags) == 0)
            return i;
    return -1;
}

/* Appends word to a ", "-separated list in buf (size 32: the three names always fit). */
static void list_add(char *buf, size_t size, const char *word)
{
    size_t l = strlen(buf);
    int k = snprintf(buf + l, size - l, "%s%s", l ? ", " : "", word);
    if (k < 0 || (size_t)k >= size - l)
        buf[l] = '\0';
}

void handshake_check(const struct trace_segment *seg, int n, struct handshake_check *out)
{
    memset(out, 0, sizeof *out);
    out->syn = find(seg, n, 0, true, "SYN");
    /* a SYN/ACK only counts after the SYN it answers; without a SYN, wherever it is */
    out->synack = find(seg, n, out->syn + 1, false, "SYN,ACK");
    out->ack = out->synack < 0 ? -1 : find(seg, n, out->synack + 1, true, "ACK");
    static const char *const names[3] = {"SYN", "SYN/ACK", "ACK"};
    const int at[3] = {out->syn, out->synack, out->ack};
    for (int i = 0; i < 3; i++)
        list_add(at[i] >= 0 ? out->seen : out->missing,
                 at[i] >= 0 ? sizeof out->seen : sizeof out->missing, names[i]);
    if (out->seen[0] == '\0')
        list_add(out->seen, sizeof out->seen, "nothing");
    if (out->syn < 0 || out->synack < 0 || out->ack < 0) {
        /* the SYN/ACK or ACK may be in the capture before what it answers: say so */
        if (out->synack < 0 && find(seg, n, 0, false, "SYN,ACK") >= 0)
            snprintf(out->why, sizeof out->why, "a SYN/ACK came before any SYN");
        else if (out->synack >= 0 && out->ack < 0 && find(seg, n, 0, true, "ACK") >= 0)
            snprintf(out->why, sizeof out->why, "an ACK came before the SYN/ACK");
        out->verdict = HANDSHAKE_INCOMPLETE;
        return;
    }
    uint32_t x = seg[out->syn].seq, y = seg[out->synack].seq;
    const struct trace_segment *sa = &seg[out->synack], *a = &seg[out->ack];
    int k = 0;
    if (sa->ack != x + 1)
        k = snprintf(out->why, sizeof out->why, "the SYN/ACK acknowledges %u, not X+1 = %u",
                     sa->ack, x + 1);
    else if (a->seq != x + 1)
        k = snprintf(out->why, sizeof out->why, "the ACK has seq %u, not X+1 = %u", a->seq, x + 1);
    else if (a->ack != y + 1)
        k = snprintf(out->why, sizeof out->why, "the ACK acknowledges %u, not Y+1 = %u", a->ack,
                     y + 1);
    if (k < 0 || (size_t)k >= sizeof out->why)
        out->why[0] = '\0';
    out->verdict = out->why[0] ? HANDSHAKE_INCONSISTENT : HANDSHAKE_COMPLETE;
}

bool handshake_parse_port_range(const char *text, uint16_t *lo, uint16_t *hi)
{
    unsigned long v[2];
    const char *p = text;
    for (int i = 0; i < 2; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p < '0' || *p > '9')
            return false;
        char *end;
        v[i] = strtoul(p, &end, 10);
        if (end == p || v[i] < 1 || v[i] > 65535 || (i == 0 && *end != ' ' && *end != '\t'))
            return false;
        p = end;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p != '\0' || v[0] > v[1])
        return false;
    *lo = (uint16_t)v[0];
    *hi = (uint16_t)v[1];
    return true;
}

bool handshake_port_text(uint16_t port, bool have_range, uint16_t lo, uint16_t hi, char *buf,
                         size_t size)
{
    int n;
    if (!have_range)
        n = snprintf(buf, size,
                     "local port %u chosen by the kernel (%s unreadable; IANA suggests "
                     "%u–%u)",
                     port, HANDSHAKE_PORT_RANGE_FILE, HANDSHAKE_IANA_LO, HANDSHAKE_IANA_HI);
    else if (port < lo || port > hi)
        n = snprintf(buf, size,
                     "local port %u, outside the kernel's ephemeral range %u–%u (%s; IANA "
                     "suggests %u–%u)",
                     port, lo, hi, HANDSHAKE_PORT_RANGE_FILE, HANDSHAKE_IANA_LO, HANDSHAKE_IANA_HI);
    else
        n = snprintf(buf, size,
                     "local port %u chosen by the kernel from %u–%u (%s; IANA suggests %u–%u)",
                     port, lo, hi, HANDSHAKE_PORT_RANGE_FILE, HANDSHAKE_IANA_LO, HANDSHAKE_IANA_HI);
    if (n >= 0 && (size_t)n < size)
        return true;
    if (size > 0)
        buf[n < 0 ? 0 : size - 1] = '\0';
    return false;
}

bool handshake_read_port_range(uint16_t *lo, uint16_t *hi)
{
    char text[64];
    FILE *f = fopen(HANDSHAKE_PORT_RANGE_FILE, "re");
    if (f == NULL)
        return false;
    size_t k = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[k] = '\0';
    return handshake_parse_port_range(text, lo, hi);
}
