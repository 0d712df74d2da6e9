/*
 * clienv — see clienv.h.
 */
#include "client/clienv.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/tokfile.h"

struct clienv clienv;

const char clienv_help[] =
    "common options:\n"
    "  --json               one JSON object per result (big numbers as strings)\n"
    "  --server HOST[:PORT] the registry (default localhost:5301; LANA_SERVER)\n"
    "  --token-file PATH    the token file (LANA_TOKEN_FILE; LANA_TOKEN holds the token)\n"
    "  --user NAME          the account the token belongs to (default admin)\n"
    "  --timeout MS         connect and reply timeout (default 5000)\n"
    "  --tls                TLS even on loopback (always used off loopback, and with a pin)\n"
    "  --tls-pin HEX        the server certificate's SHA-256 (default: the token file's)\n"
    "  --tls-ca FILE        verify the server's certificate and name with this CA file\n"
    "  --tls-tofu           trust an unknown certificate on first use, and keep its pin\n"
    "  --config PATH        client configuration (LANA_CONFIG; default\n"
    "                       $XDG_CONFIG_HOME/lana/lana.conf, then /etc/lana/lana.conf)\n";

#define K(f) offsetof(struct clienv, f)
static const struct conf_key keys[] = {
    {"server", CONF_STR, 0, 0, K(server), "localhost:5301", NULL, "the registry, HOST[:PORT]"},
    {"token-file", CONF_STR, 0, 0, K(token_file), NULL, NULL, "file holding the token"},
    {"user", CONF_STR, 0, 0, K(user), "admin", NULL, "account name"},
    {"timeout", CONF_UINT, 1, 600000, K(timeout), "5000", NULL, "milliseconds"},
    {"tls-ca", CONF_STR, 0, 0, K(tls_ca), NULL, NULL, "CA file for the server's certificate"},
    {"tls-pin", CONF_STR, 0, 0, K(tls_pin), NULL, NULL, "SHA-256 of the server's certificate"},
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
    const char *flag_config = NULL, *flag_ca = NULL, *flag_pin = NULL;
    bool json = false, tls = false, tofu = false;
    /* command options whose value must not be taken for a global option */
    static const char *const valued[] = {"--holder", "--desc", "--depth", "--since", "--limit",
                                         "--role", "--sponsor", "--out",
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
                            : strcmp(a, "--tls-ca") == 0     ? &flag_ca
                            : strcmp(a, "--tls-pin") == 0    ? &flag_pin
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
        if (strcmp(a, "--tls") == 0 || strcmp(a, "--tls-tofu") == 0) {
            *(a[5] == '\0' ? &tls : &tofu) = true;
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
    clienv.tls = tls;
    clienv.tls_tofu = tofu;
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
        clienv.server_set = strcmp(clienv.server, "localhost:5301") != 0;
    }
    free(xdg);
    if (flag_token == NULL) /* a token file named in the environment: as --token-file */
        flag_token = getenv("LANA_TOKEN_FILE");
    struct {
        const char *key, *val;
    } sets[] = {
        {"server", getenv("LANA_SERVER")}, {"server", flag_server}, {"token-file", flag_token},
        {"user", flag_user}, {"timeout", flag_timeout}, {"tls-ca", flag_ca},
        {"tls-pin", flag_pin},
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
        if (strcmp(sets[i].key, "server") == 0)
            clienv.server_set = true;
        if (strcmp(sets[i].key, "user") == 0)
            clienv.user_set = true;
    }
    uint8_t pin[TOKFILE_PIN_LEN];
    if (clienv.tls_pin != NULL && tokfile_parse_pin(clienv.tls_pin, pin) != 0) {
        fprintf(stderr, "lana: --tls-pin: expected the SHA-256 as 64 hex digits (AB:CD:... "
                        "allowed)\n");
        return LANA_EXIT_USAGE;
    }
    return 0;
}

/* Reads a token file into t; refused when others may read it. -1 when it does not exist and
 * need not, else 0 or an exit status (message printed). */
static int read_token(const char *path, struct tokfile *t, bool must_exist)
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
    char buf[TOKFILE_TEXT_MAX + 1];
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = '\0';
    struct lana_diag d;
    int rc = fp == NULL ? diag_set(&d, LANA_EIO, "%s", strerror(errno)) : tokfile_parse(buf, t, &d);
    memset(buf, 0, sizeof buf);
    if (rc != 0) {
        fprintf(stderr, "lana: token file %s: %s\n", path, d.msg);
        return LANA_EXIT_CONFIG;
    }
    return 0;
}

/* known_servers: "SERVER SHA256" lines, the pins trusted on first use. */
static bool known_pin(const char *path, const char *server, uint8_t pin[TOKFILE_PIN_LEN])
{
    FILE *fp = path ? fopen(path, "r") : NULL;
    char line[512];
    bool found = false;
    while (fp != NULL && !found && fgets(line, sizeof line, fp) != NULL) {
        char name[300], hex[100];
        found = sscanf(line, "%299s %99s", name, hex) == 2 && strcmp(name, server) == 0 &&
                tokfile_parse_pin(hex, pin) == 0;
    }
    if (fp)
        fclose(fp);
    return found;
}

/* Appends the pin accepted on first use; 0 or -errno. */
static int save_pin(const char *path, const char *server, const uint8_t pin[TOKFILE_PIN_LEN])
{
    char dir[4096], hex[2 * TOKFILE_PIN_LEN + 1], line[600];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir)
        return -ENAMETOOLONG;
    for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) { /* mkdir -p, 0700 */
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
    auth_hex(pin, TOKFILE_PIN_LEN, hex);
    n = snprintf(line, sizeof line, "%s %s\n", server, hex);
    if (n < 0 || (size_t)n >= sizeof line)
        return -ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, line, (size_t)n);
    int rc = w == n ? 0 : -(errno ? errno : EIO);
    close(fd);
    return rc;
}

int clienv_opts(struct regclient_opts *o, char **known)
{
    memset(o, 0, sizeof *o);
    o->server = clienv.server;
    o->user = clienv.user;
    o->timeout_ms = (int)clienv.timeout;
    *known = NULL;
    int rc;
    struct tokfile t;
    struct lana_diag d;
    memset(&t, 0, sizeof t);
    const char *env = getenv("LANA_TOKEN");
    if (clienv.token_file != NULL) {
        if ((rc = read_token(clienv.token_file, &t, true)) != 0)
            return rc;
        o->have_token = true;
    } else if (env != NULL && *env != '\0') {
        /* the token itself, or a token file's whole text */
        if (tokfile_parse(env, &t, &d) != 0) {
            fprintf(stderr, "lana: LANA_TOKEN holds neither a token (64 hex digits) nor a "
                            "token file's text: %s\n", d.msg);
            return LANA_EXIT_CONFIG;
        }
        o->have_token = true;
    } else {
        char *p = xdg_path("token");
        rc = p ? read_token(p, &t, false) : -1;
        free(p);
        if (rc > 0)
            return rc;
        o->have_token = rc == 0;
    }
    memcpy(o->token, t.token, sizeof o->token);
    /* the token file's user and server live as long as the process: keep them */
    static char user[sizeof t.user], server[sizeof t.server];
    if (o->have_token && t.user[0] != '\0' && !clienv.user_set) {
        memcpy(user, t.user, sizeof user);
        o->user = user;
    }
    if (o->have_token && t.server[0] != '\0' && !clienv.server_set) {
        memcpy(server, t.server, sizeof server);
        o->server = server;
    }
    /* the pin: --tls-pin (or the configuration's), the token file's, one trusted before */
    *known = xdg_path("known_servers");
    o->tls = clienv.tls;
    o->tls_ca = clienv.tls_ca;
    if (clienv.tls_pin != NULL) {
        o->have_pin = tokfile_parse_pin(clienv.tls_pin, o->pin) == 0;
    } else if (t.have_pin) {
        memcpy(o->pin, t.pin, sizeof o->pin);
        o->have_pin = true;
    } else if (clienv.tls_ca == NULL)
        o->have_pin = known_pin(*known, o->server, o->pin);
    o->tofu = clienv.tls_tofu && !o->have_pin && clienv.tls_ca == NULL;
    memset(&t, 0, sizeof t);
    return 0;
}

int clienv_connect(struct regclient *c, bool trace)
{
    struct regclient_opts o;
    char *known;
    struct lana_diag d;
    int rc = clienv_opts(&o, &known);
    if (rc != 0)
        return rc;
    o.trace = trace ? stderr : NULL;
    rc = regclient_open(c, &o, &d);
    /* o.server may be the token file's, cleared below */
    int n = snprintf(clienv.used_server, sizeof clienv.used_server, "%s", o.server);
    if (n < 0 || (size_t)n >= sizeof clienv.used_server)
        clienv.used_server[0] = '\0';
    clienv.used_pin = rc == 0 && c->ssl != NULL && (o.have_pin || o.tofu);
    memset(o.token, 0, sizeof o.token);
    if (rc != 0) {
        fprintf(stderr, "lana: %s\n", d.msg);
        regclient_close(c);
    } else if (o.tofu) {
        char hex[2 * REGCLIENT_FP_LEN + 1];
        auth_hex(c->fp, sizeof c->fp, hex);
        int s = known ? save_pin(known, o.server, c->fp) : -ENOENT;
        fprintf(stderr, "lana: trusted %s's TLS certificate on first use: sha256=%s; %s%s%s\n",
                o.server, hex, s == 0 ? "saved in " : "could not save it: ",
                s == 0 ? known : strerror(-s), s == 0 ? " (later connections check it)" : "");
    }
    free(known);
    return out_exit_of(rc);
}
