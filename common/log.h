/*
 * log — leveled logging to stderr with a timestamp. Settings are written once by log_init()
 * before any thread starts and only read afterwards. Levels are checked before formatting.
 */
#pragma once

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *prog, enum log_level level);
/** Parses "err", "warn", "notice", "info" or "debug"; false when unknown. */
bool log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                    \
    do {                                                                                  \
        if (log_enabled(LOG_LVL_DEBUG))                                                   \
            log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                          \
    } while (0)

/** Logs at error level and exits with status code; for main() and start-up only. */
void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
