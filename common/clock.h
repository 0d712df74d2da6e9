/*
 * clock — the one place the project reads the time. Monotonic time (mono_*) measures intervals
 * and deadlines and never goes backwards; real time (real_ms) is wall-clock milliseconds since
 * the Unix epoch, for timestamps shown to people or stored (the audit log). No allocation;
 * every function is thread-safe and never fails (clock_gettime cannot fail for these clocks).
 */
#pragma once

#include <stdint.h>

/** CLOCK_MONOTONIC in milliseconds. */
uint64_t mono_ms(void);

/** CLOCK_MONOTONIC in microseconds. */
uint64_t mono_us(void);

/** CLOCK_REALTIME: milliseconds since 1970-01-01T00:00:00Z. */
int64_t real_ms(void);
