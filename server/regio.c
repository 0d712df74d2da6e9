/*
 * regio — see regio.h: the plain TCP stream.
 */
#include "server/regio.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

void regio_init(struct regio *io, int fd)
{
    io->fd = fd;
}

ssize_t regio_recv(struct regio *io, void *buf, size_t len)
{
    ssize_t n;
    do
        n = recv(io->fd, buf, len, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n;
}

ssize_t regio_send(struct regio *io, const void *buf, size_t len)
{
    ssize_t n;
    do
        n = send(io->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n;
}

void regio_close(struct regio *io)
{
    if (io->fd >= 0)
        close(io->fd);
    io->fd = -1;
}
