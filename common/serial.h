/*
 * serial — the SOA serial of a zone: what it starts at and what the next one is, under one
 * of three policies, in RFC 1982 serial number arithmetic (32 bits, wrapping). Pure
 * functions: the time is an argument, nothing is read or kept. No allocation.
 *
 * Policies (lanad.conf serial-policy):
 *   date      YYYYMMDDnn, the common convention: a new zone starts at today's YYYYMMDD00 (UTC)
 *             and each change takes max(old + 1, today's YYYYMMDD00), as long as that stays
 *             inside today's YYYYMMDD00..YYYYMMDD99. The 101st change of a day would take
 *             YYYYMMDD99 + 1, which reads as tomorrow's first serial: there the zone switches
 *             to counting. Switching means: from then on each change is old + 1, a plain
 *             counter that no longer claims a date, until the date catches up with it: on a
 *             later day a change takes that day's YYYYMMDD00 when it is greater than the
 *             counter (RFC 1982), and a counter that already lies inside that day's 00..99
 *             goes on as that day's date form. Only the change that leaves YYYYMMDD99
 *             reports the switch (SERIAL_SWITCHED), so lanad logs it once per switch.
 *   increment old + 1; a new zone starts at 1.
 *   unixtime  seconds since the epoch: max(old + 1, now); a new zone starts at now.
 * Whatever the policy and the clock (a clock set back, a serial far ahead from an imported
 * zone), the next serial is greater than the old one in RFC 1982 terms: a candidate from the
 * clock is taken only when it is greater, else old + 1 (which wraps from 4294967295 to 0).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"

enum serial_policy { SERIAL_DATE, SERIAL_INCREMENT, SERIAL_UNIXTIME };

/* How serial_next chose the serial it returns. */
enum serial_form {
    SERIAL_FORM_DATE,  /* today's YYYYMMDDnn (date policy) */
    SERIAL_FORM_CLOCK, /* now (unixtime policy) */
    SERIAL_FORM_COUNT, /* old + 1: the increment policy, or a clock behind the serial */
    SERIAL_SWITCHED,   /* old + 1 past today's YYYYMMDD99: the date policy starts counting */
};

/**
 * Parses "date", "increment" or "unixtime". @return 0 and *out set, or LANA_EPARSE with a
 * message naming s in d (may be NULL).
 */
int serial_policy_parse(const char *s, enum serial_policy *out, struct lana_diag *d);

/** "date", "increment" or "unixtime". */
const char *serial_policy_name(enum serial_policy p);

/** True when a is less than b in RFC 1982 serial arithmetic (SERIAL_BITS 32); a pair exactly
 * 2^31 apart is unordered, and neither is less than the other. */
bool serial_lt(uint32_t a, uint32_t b);

/** Today's YYYYMMDD00 at now (UTC). */
uint32_t serial_date00(time_t now);

/** The serial of a zone created at now. */
uint32_t serial_initial(enum serial_policy p, time_t now);

/**
 * The serial after old for a change at now; *form (may be NULL) gets how it was chosen.
 * The result is always greater than old in RFC 1982 terms.
 */
uint32_t serial_next(enum serial_policy p, uint32_t old, time_t now, enum serial_form *form);
