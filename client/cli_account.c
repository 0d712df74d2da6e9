/*
 * cli_account — lana account: add, list, show, disable, enable and token. A new token (from
 * add and token) is shown once: written into a token file with --out (common/tokfile.h: the
 * account, the token, the server this command reached and its TLS pin, so that the file is
 * all its holder needs), or else printed on stdout with a warning on stderr. The file is
 * created before the request is sent (O_EXCL|O_NOFOLLOW, mode 0600), so that a path that
 * cannot be written loses no token: the account is not made then.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "client/out_reg.h"
#include "common/regproto.h"
#include "common/text.h"
#include "common/tokfile.h"

static const char help_account[] =
    "usage: lana account add NAME --role admin|registrar|registrant [--sponsor REGISTRAR]\n"
    "                        [--out FILE]\n"
    "           a new account and its token: registrars (and admins) are admin's to make,\n"
    "           registrants admin's or a registrar's (whose customer it is)\n"
    "       lana account token NAME [--out FILE]\n"
    "           a new token; the old one stops working at once (admin: any account, a\n"
    "           registrar: its customers, everyone: itself)\n"
    "       lana account list [--sponsor REGISTRAR] | lana account show NAME\n"
    "       lana account disable NAME | lana account enable NAME\n"
    "           a disabled account reads but changes nothing (admin: any but admin, a\n"
    "           registrar: its customers)\n"
    "A token is shown once: --out FILE writes a token file (mode 0600, never over a file\n"
    "that exists) naming the account and this server, which is all its holder needs:\n"
    "  lana --token-file FILE host add www.NAME.lab.    (or LANA_TOKEN_FILE=FILE)\n"
    "Without --out the token is printed on stdout.\n";

static int usage_error(void)
{
    fputs(help_account, stderr);
    return LANA_EXIT_USAGE;
}

/* The account an add or token request names (its one positional word), or NULL. */
static const char *account_of(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 || strcmp(argv[i], "--sponsor") == 0)
            i++; /* and its value */
        else if (strncmp(argv[i], "--", 2) != 0)
            return argv[i];
    }
    return NULL;
}

/* Creates the token file, empty: fd, or -1 with *status set (message printed). */
static int out_open(const char *path, int *status)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && fchmod(fd, 0600) == 0) /* whatever the umask */
        return fd;
    int e = errno;
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    fprintf(stderr, "lana: --out %s: %s%s; nothing was sent\n", path, strerror(e),
            e == EEXIST ? " (a token file is never written over)" : "");
    *status = e == EEXIST   ? LANA_EXIT_CONFLICT
              : e == ENOENT ? LANA_EXIT_NOT_FOUND
                            : LANA_EXIT_CONFIG;
    return -1;
}

/* Writes the token file's text for user's token hex into fd, to disk. 0 or -errno. */
static int out_write(int fd, const char *user, const char *hex, const struct regclient *c)
{
    struct tokfile t;
    char text[TOKFILE_TEXT_MAX];
    memset(&t, 0, sizeof t);
    int n = snprintf(t.user, sizeof t.user, "%s", user);
    int rc = n < 0 || (size_t)n >= sizeof t.user || auth_unhex(hex, t.token, sizeof t.token) != 0
                 ? -EINVAL
                 : 0;
    snprintf(t.server, sizeof t.server, "%s", clienv.used_server); /* same size: fits */
    if (clienv.used_pin) {
        t.have_pin = true;
        memcpy(t.pin, c->fp, sizeof t.pin);
    }
    int len = rc == 0 ? tokfile_format(&t, text, sizeof text) : -1;
    if (rc == 0 && len < 0)
        rc = -ENOSPC;
    if (rc == 0) {
        ssize_t w = write(fd, text, (size_t)len);
        rc = w == len && fsync(fd) == 0 ? 0 : -(errno ? errno : EIO);
    }
    memset(text, 0, sizeof text);
    memset(&t, 0, sizeof t);
    return rc;
}

/*
 * Prints the reply to argv; for one with a new token, writes it into the token file fd
 * (>= 0, at path) or prints it with a warning. Returns the exit status.
 */
static int show_reply(const char *reply, int argc, char **argv, int fd, const char *path,
                      const struct regclient *c)
{
    const char *name = account_of(argc, argv); /* cli_account made sure there is one */
    char hex[AUTH_HEX_LEN], *rest = NULL;
    if (!out_reg_take_token(reply, hex, sizeof hex, &rest)) {
        int rc = out_reg_reply(reply, argc, argv, 0, clienv.json);
        return rc == 0 ? LANA_EXIT_PROTOCOL : rc; /* an ok reply without its token */
    }
    int rc;
    if (fd < 0) {
        rc = out_reg_reply(reply, argc, argv, 0, clienv.json);
        fprintf(stderr,
                "lana: the token of %s is shown this once and is not kept anywhere: "
                "store it now (mode 0600), or use --out FILE next time\n",
                name);
    } else {
        int w = out_write(fd, name, hex, c);
        rc = out_reg_reply(rest, argc, argv, 0, clienv.json);
        if (w != 0) {
            fprintf(stderr, "lana: --out %s: %s; the token of %s is printed instead, this once\n",
                    path, strerror(-w), name);
            printf("%s\n", hex);
            unlink(path);
            rc = LANA_EXIT_CONFIG;
        } else if (!clienv.json) {
            printf("%-13s written to %s (mode 0600)\n", "token:", path);
        }
    }
    memset(hex, 0, sizeof hex);
    free(rest);
    return rc;
}

/* Sends argv as one request and prints its reply (a token into the file fd when >= 0). */
static int request(int argc, char **argv, int fd, const char *path)
{
    struct regclient c;
    char *reply;
    int rc = cli_reg_ask(argc, argv, &c, &reply);
    if (rc != 0)
        return rc;
    bool token = strcmp(argv[1], "add") == 0 || strcmp(argv[1], "token") == 0;
    rc = token && strstr(reply, "\"ok\":true") ? show_reply(reply, argc, argv, fd, path, &c)
                                              : out_reg_reply(reply, argc, argv, 0, clienv.json);
    cli_reg_close(&c);
    return rc;
}

int cli_account(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help_account, stdout);
            fputs("\n", stdout);
            fputs(clienv_help, stdout);
            return LANA_EXIT_OK;
        }
    if (argc < 2)
        return usage_error();
    /* --out FILE is ours (add, token): taken out before the request goes */
    const char *out = NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") != 0) {
            argv[n++] = argv[i];
            continue;
        }
        if (i + 1 >= argc || out != NULL)
            return usage_error();
        out = argv[++i];
    }
    argc = n;
    argv[argc] = NULL;
    bool token = strcmp(argv[1], "add") == 0 || strcmp(argv[1], "token") == 0;
    if (out != NULL && !token)
        return usage_error();
    if (token && account_of(argc, argv) == NULL)
        return usage_error(); /* the account the token file names */
    int fd = -1, rc = 0;
    if (out != NULL && (fd = out_open(out, &rc)) < 0)
        return rc;
    rc = request(argc, argv, fd, out);
    if (fd >= 0) {
        struct stat sb;
        /* the file is ours, and still empty when no token reached it: not left behind */
        if (rc != 0 && fstat(fd, &sb) == 0 && sb.st_size == 0)
            unlink(out);
        if (close(fd) != 0 && rc == 0) {
            fprintf(stderr, "lana: --out %s: %s\n", out, strerror(errno));
            rc = LANA_EXIT_CONFIG;
        }
    }
    return rc;
}
