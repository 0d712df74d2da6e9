/*
 * handshake — what `lana connect` can say for sure about a connection's opening, without any
 * I/O: the verdict on the captured segments of a TCP three-way handshake (RFC 9293 §3.5:
 * SYN seq=X, SYN/ACK seq=Y ack=X+1, ACK seq=X+1 ack=Y+1), and where the kernel's choice of
 * the client's port comes from (ip_local_port_range, against IANA's dynamic range of RFC 6335
 * §6). Invariant: a verdict is "complete" only when all three segments were seen, in order,
 * with the numbers each one must carry; anything less is reported, never passed as done.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/trace.h"

#define HANDSHAKE_IANA_LO 49152 /* RFC 6335 §6: the dynamic (ephemeral) ports */
#define HANDSHAKE_IANA_HI 65535
#define HANDSHAKE_PORT_RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"

enum handshake_verdict {
    HANDSHAKE_COMPLETE,     /* SYN, SYN/ACK and ACK seen, in order, numbers right */
    HANDSHAKE_INCOMPLETE,   /* one or more of the three segments was not captured */
    HANDSHAKE_INCONSISTENT, /* all three seen, but out of order or with wrong numbers */
};

struct handshake_check {
    enum handshake_verdict verdict;
    int syn, synack, ack; /* index of each segment in the capture, or -1 when not seen */
    char seen[32];        /* "SYN, SYN/ACK", "nothing" */
    char missing[32];     /* "ACK", "" when none is missing */
    char why[128];        /* for HANDSHAKE_INCONSISTENT: which number or order is wrong */
};

/**
 * Judges a capture of n segments (in capture order). The SYN is the first client segment
 * with SYN alone; the SYN/ACK the first server segment with SYN and ACK after it; the ACK the
 * first client segment with ACK alone after that (a data segment is not the handshake's
 * ACK). A SYN/ACK or ACK seen before the segment it answers counts as out of order. Writes
 * *out (every field); pure, thread-safe.
 */
void handshake_check(const struct trace_segment *seg, int n, struct handshake_check *out);

/**
 * Reads "LO<whitespace>HI" (the text of ip_local_port_range) into *lo and *hi. Returns true
 * when both are ports (1..65535) and lo <= hi; *lo and *hi are written only then. Pure.
 */
bool handshake_parse_port_range(const char *text, uint16_t *lo, uint16_t *hi);

/**
 * The sentence that says where a local port came from: "local port 51376 chosen by the kernel
 * from 32768–60999 (/proc/sys/net/ipv4/ip_local_port_range; IANA suggests 49152–65535)".
 * have_range false (the file could not be read) or a port outside the range (a bound port)
 * each get their own wording. Returns false when buf was too small (the text is cut). Pure.
 */
bool handshake_port_text(uint16_t port, bool have_range, uint16_t lo, uint16_t hi, char *buf,
                         size_t size);

/**
 * Reads HANDSHAKE_PORT_RANGE_FILE. Returns true with *lo and *hi set, false when it cannot be
 * read or parsed (not Linux, no /proc).
 */
bool handshake_read_port_range(uint16_t *lo, uint16_t *hi);
