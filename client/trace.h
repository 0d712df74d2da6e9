/*
 * trace — the TCP segments of one connection as captured with libpcap (the only module of
 * lana that uses it): started before connect() on the connection's two ports, it reads the
 * SYN, SYN/ACK and ACK with their flags and sequence and acknowledgement numbers. Needs root
 * or CAP_NET_RAW.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

struct trace_segment {
    char flags[16];      /* "SYN", "SYN,ACK", "ACK", ... */
    uint32_t seq, ack;
    bool from_client;    /* sent by the local port */
    double ms;           /* since the trace started */
};

struct trace;

/** Starts capturing TCP between local_port and the remote endpoint (its address and port)
 * on every interface. LANA_EPERM (with how to get the right) when capturing is not allowed. */
int trace_start(uint16_t local_port, const struct sockaddr *remote, struct trace **out,
                struct lana_diag *d);
/**
 * Reads what was captured into out (at most max segments, a segment seen twice on the
 * loopback kept once), until the capture holds a whole handshake (handshake_check says
 * complete or inconsistent) or wait_ms have passed. Returns the number of segments; never
 * judges them (client/handshake.h does).
 */
int trace_collect(struct trace *t, int wait_ms, struct trace_segment *out, int max);
void trace_stop(struct trace *t);
