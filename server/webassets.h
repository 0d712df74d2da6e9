/*
 * webassets — the web view's files (server/web/), compiled into lanad: the table is written
 * at build time by cmake/webassets.cmake from the files themselves, so the daemon serves
 * exactly the page of its own version and needs nothing on disk.
 */
#pragma once

#include <stddef.h>

struct webasset {
    const char *path;  /* "/app.js" */
    const char *ctype; /* its Content-Type */
    const unsigned char *data;
    size_t len;
};

extern const struct webasset webassets[];
extern const unsigned webassets_count;
