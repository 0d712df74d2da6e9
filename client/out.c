/*
 * out — see out.h.
 */
#include "client/out.h"

#include <errno.h>

#include "common/err.h"
#include "common/regproto.h"

int out_exit_of(int err)
{
    switch (err) {
    case 0: return LANA_EXIT_OK;
    case LANA_EPARSE: return LANA_EXIT_USAGE;
    case LANA_ENOTFOUND: return LANA_EXIT_NO_HOST;
    case -ETIMEDOUT:
    case -EAGAIN: return LANA_EXIT_TEMP;
    case LANA_ENOMEM: return LANA_EXIT_SERVER;
    case -EPROTO: return LANA_EXIT_PROTOCOL;
    case LANA_EPERM: return LANA_EXIT_PERM;
    default: return LANA_EXIT_CONNECT;
    }
}

int out_exit_of_reply(const char *code)
{
    switch (regproto_code_parse(code)) {
    case RP_OK: return LANA_EXIT_OK;
    case RP_USAGE: return LANA_EXIT_USAGE;
    case RP_INVALID: return LANA_EXIT_INVALID;
    case RP_NOT_FOUND: return LANA_EXIT_NOT_FOUND;
    case RP_CONFLICT:
    case RP_EXHAUSTED: return LANA_EXIT_CONFLICT;
    case RP_PERMISSION: return LANA_EXIT_PERM;
    case RP_TOO_LONG: return LANA_EXIT_USAGE;
    case RP_HANDSHAKE: return LANA_EXIT_PROTOCOL;
    case RP_BUSY:
    case RP_FULL: return LANA_EXIT_TEMP;
    case RP_INTERNAL: return LANA_EXIT_SERVER;
    default: return LANA_EXIT_PROTOCOL;
    }
}
