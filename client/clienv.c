/*
 * clienv — see clienv.h.
 */
#include "client/clienv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/conf.h"

struct clienv clienv;

const char clienv_help[] =
    "common options:\n"
    "  --json               one JSON object per result (big numbers as strings)\n"
    "  --server HOST[:PORT] the registry (default localhost:5301; LANA_SERVER)\n"
    "  --token-file PATH    the admin token (LANA_TOKEN holds the token itself)\n"
    "  --user NAME          the account the token belongs to (default admin)\n"
    "  --timeout MS         connect and reply timeout (default 5000)\n"
    "  --config PATH        client configuration (LANA_CONFIG; default\n"
    "                       $XDG_CONFIG_HOME/lana/lana.conf, then /etc/lana/lana.conf)\n";

#define K(f) offsetof(struct clienv, f)
static const struct conf_key keys[] = {
    {"server", CONF_STR, 0, 0, K(server), "localhost:5301", NULL, "the registry, HOST[:PORT]"},
    {"token-file", CONF_STR, 0, 0, K(token_file), NULL, NULL, "file holding the token"},
    {"user", CONF_STR, 0, 0, K(user), "admin", NULL, "account name"},
    {"timeout", CONF_UINT, 1, 600000, K(timeout), "5000", NULL, "milliseconds"},
};
#undef K

static void conf_err(const char *msg, void *arg)
{
    (void)arg;
    fprintf(stderr, "lana: %s\n", msg);
}

static char *xdg_path(const char *name)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char buf[4096];
    int n;
    if (xdg && *xdg)
        n = snprintf(buf, sizeof buf, "%s/lana/%s", xdg, name);
    else if (home && *home)
        n = snprintf(buf, sizeof buf, "%s/.config/lana/%s", home, name);
    else
        return NULL;
    return n > 0 && (size_t)n < sizeof buf ? strdup(buf) : NULL;
}

int clienv_init(int *argc, char **argv)
{
    const char *flag_server = NULL, *flag_token = NULL, *flag_user = NULL, *flag_timeout = NULL;
    const char *flag_config = NULL;
    bool json = false;
    /* command options whose value must not be taken for a global option */
    static const char *const valued[] = {"--holder", "--desc", "--depth", "--since", "--limit",
                                         "--v4", "--v6", "--block", "--port", "--dns", "-t", "-x",
                                         "--proto", "--origin", "--bind", "--count"};
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--server") == 0       ? &flag_server
                            : strcmp(a, "--token-file") == 0 ? &flag_token
                            : strcmp(a, "--user") == 0       ? &flag_user
                            : strcmp(a, "--timeout") == 0    ? &flag_timeout
                            : strcmp(a, "--config") == 0     ? &flag_config
                                                             : NULL;
        if (slot != NULL) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "lana: %s needs a value\nTry 'lana --help'\n", a);
                return LANA_EXIT_USAGE;
            }
            *slot = argv[++i];
            continue;
        }
        if (strcmp(a, "--json") == 0) {
            json = true;
            continue;
        }
        argv[out++] = argv[i];
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            if (strcmp(a, valued[k]) == 0 && i + 1 < *argc) {
                argv[out++] = argv[++i];
                break;
            }
    }
    *argc = out;
    argv[out] = NULL;

    if (conf_defaults(keys, sizeof keys / sizeof keys[0], &clienv) != 0)
        return LANA_EXIT_SERVER;
    clienv.json = json;
    const char *path = flag_config ? flag_config : getenv("LANA_CONFIG");
    char *xdg = NULL;
    if (path == NULL) {
        xdg = xdg_path("lana.conf");
        if (xdg != NULL && access(xdg, F_OK) == 0)
            path = xdg;
        else if (access("/etc/lana/lana.conf", F_OK) == 0)
            path = "/etc/lana/lana.conf";
    }
    if (path != NULL) {
        int n = conf_load(keys, sizeof keys / sizeof keys[0], &clienv, path, conf_err, NULL);
        if (n != 0) {
            if (n < 0)
                fprintf(stderr, "lana: %s: %s\n", path, strerror(-n));
            free(xdg);
            return LANA_EXIT_CONFIG;
        }
        clienv.config_path = path == xdg ? "user configuration" : path;
    }
    free(xdg);
    struct {
        const char *key, *val;
    } sets[] = {
        {"server", getenv("LANA_SERVER")}, {"server", flag_server}, {"token-file", flag_token},
        {"user", flag_user}, {"timeout", flag_timeout},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        struct lana_diag d;
        if (sets[i].val == NULL || *sets[i].val == '\0')
            continue;
        if (conf_set(keys, sizeof keys / sizeof keys[0], &clienv, sets[i].key, sets[i].val, 1,
                     &d) != 0) {
            fprintf(stderr, "lana: --%s: %s\n", sets[i].key, d.msg);
            return LANA_EXIT_USAGE;
        }
    }
    return 0;
}

static int read_token(const char *path, uint8_t token[AUTH_TOKEN_LEN], bool must_exist)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (!must_exist && errno == ENOENT)
            return -1;
        fprintf(stderr, "lana: token file %s: %s\n", path, strerror(errno));
        return LANA_EXIT_CONFIG;
    }
    if (sb.st_mode & 077) {
        fprintf(stderr,
                "lana: token file %s is readable by others (mode %03o); chmod 600 it first\n",
                path, (unsigned)(sb.st_mode & 0777));
        return LANA_EXIT_CONFIG;
    }
    FILE *fp = fopen(path, "r");
    char buf[256];
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = '\0';
    if (fp == NULL || auth_unhex(buf, token, AUTH_TOKEN_LEN) != 0) {
        fprintf(stderr, "lana: token file %s does not hold a token (64 hex digits)\n", path);
        return LANA_EXIT_CONFIG;
    }
    return 0;
}

int clienv_connect(struct regclient *c, bool trace)
{
    struct regclient_opts o = {
        .server = clienv.server,
        .user = clienv.user,
        .timeout_ms = (int)clienv.timeout,
        .trace = trace ? stderr : NULL,
    };
    int rc;
    const char *env = getenv("LANA_TOKEN");
    if (clienv.token_file != NULL) {
        if ((rc = read_token(clienv.token_file, o.token, true)) != 0)
            return rc;
        o.have_token = true;
    } else if (env != NULL && *env != '\0') {
        if (auth_unhex(env, o.token, AUTH_TOKEN_LEN) != 0) {
            fprintf(stderr, "lana: LANA_TOKEN does not hold a token (64 hex digits)\n");
            return LANA_EXIT_CONFIG;
        }
        o.have_token = true;
    } else {
        char *p = xdg_path("token");
        rc = p ? read_token(p, o.token, false) : -1;
        free(p);
        if (rc > 0)
            return rc;
        o.have_token = rc == 0;
    }
    struct lana_diag d;
    rc = regclient_open(c, &o, &d);
    memset(o.token, 0, sizeof o.token);
    if (rc != 0) {
        fprintf(stderr, "lana: %s\n", d.msg);
        regclient_close(c);
    }
    return out_exit_of(rc);
}
