/*
 * regio — the byte stream under one registry connection. Plain TCP today; a secured
 * transport plugs in here without regconn (lines, framing) knowing which one it runs on.
 * Both calls never block: -1 with errno EAGAIN means "try again when the fd is ready".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct regio {
    int fd; /* owned: regio_close() closes it */
};

/** Starts a stream on a connected, non-blocking fd (which it then owns). */
void regio_init(struct regio *io, int fd);

/** Like recv(2): bytes read, 0 at end of stream, -1 with errno set (EAGAIN: nothing yet). */
ssize_t regio_recv(struct regio *io, void *buf, size_t len);

/** Like send(2) without SIGPIPE: bytes sent, or -1 with errno set (EAGAIN: socket full). */
ssize_t regio_send(struct regio *io, const void *buf, size_t len);

/** Closes the stream and its fd; a closed stream is a no-op. */
void regio_close(struct regio *io);
