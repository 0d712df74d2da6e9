/*
 * lanad — the lana registry daemon. This file is start-up and shutdown only, in the order
 * STYLE.md gives: arguments, config (exit 78 with file:line errors), database, sockets,
 * workers, "ready". Answering lives in answer.c, transports in dnsudp.c and dnstcp.c.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "common/regproto.h"
#include "server/checkcmd.h"
#include "server/http.h"
#include "server/notifier.h"
#include "server/registry.h"
#include "server/srvconf.h"
#include "server/srvdoc.h"
#include "server/whois.h"
#include "server/worker.h"
#include "server/xfr.h"
#include "server/xfrwarm.h"
#include "server/zonecmd.h"

/* lanad's options: --help, getopt and lanad(8) are all made from this table (server/srvdoc.h).
 * An option named after a configuration key sets it (any other is handled by name in
 * parse_args); every other key is --KEY VALUE too. */
static const struct srvdoc_opt lanad_opts[] = {
    {'c', "config", "PATH", "config file (default " SRVCONF_DEFAULT_PATH " if it exists)"},
    {'d', "db", "PATH",
     "database file, created on first start (default "
     "$STATE_DIRECTORY/lana.db, else /var/lib/lana/lana.db)"},
    {'l', "listen-dns", "A:P", "DNS endpoint, UDP and TCP; repeatable; port 0 = any"},
    {0, "listen-registry", "A:P", "registry protocol endpoint (TCP); repeatable"},
    {0, "listen-http", "A:P", "HTTP endpoint: RDAP under /rdap/, the web view at /; repeatable"},
    {0, "listen-whois", "A:P", "whois endpoint (RFC 3912, TCP); repeatable"},
    {0, "token-file", "PATH",
     "where the admin token is written on first start (default "
     "admin.token beside the database)"},
    {0, "registry-tls", "MODE", "loopback-optional or required"},
    {0, "registry-tls-cert", "PATH",
     "TLS certificate (default registry.crt beside the "
     "database, made at first start)"},
    {0, "registry-tls-key", "PATH", "TLS private key (default registry.key beside the database)"},
    {0, "pool", "PREFIX", "root pool of an empty registry; repeatable"},
    {'w', "workers", "N", "DNS worker threads"},
    {'L', "log-level", "LEVEL", "err, warn, notice, info or debug"},
    {'r', "ready-file", "PATH", "once serving, write the bound endpoints there"},
    {'n', "check", NULL, "check the configuration, print it and exit"},
    {'h', "help", NULL, "this help"},
    {'V', "version", NULL, "print the version"},
};

static const struct srvdoc_cmd lanad_cmds[] = {
    {"", "run the daemon"},
    {"zone import FILE|- [--origin NAME]", "import a master file into the database, all or "
                                           "nothing (a zone that exists is replaced)"},
    {"zone export NAME", "print a zone as a master file"},
    {"zone list", "the zones, each with its number of records"},
    {"check [--json]", "verify the database offline"},
};

static const struct srvdoc lanad_doc = {
    lanad_opts,
    sizeof lanad_opts / sizeof lanad_opts[0],
    lanad_cmds,
    sizeof lanad_cmds / sizeof lanad_cmds[0],
    "Exit status: 0 ok, 64 usage, 65 bad zone data, 66 no such file or zone, 70 internal "
    "error, 71 cannot listen, 73 cannot create a file (also: a token file lanad did not "
    "write is in the way), 78 bad configuration.",
};

static void conf_err(const char *msg, void *arg)
{
    (void)arg;
    fprintf(stderr, "lanad: %s\n", msg);
}

struct endpoint {
    struct sockaddr_storage addr;
    socklen_t len;
    char text[NET_ADDRSTRLEN];
};

/*
 * Opens one socket bound to addr, with SO_REUSEPORT when shared (the workers' sockets), and
 * SO_REUSEADDR for TCP only (so that TIME_WAIT connections do not block a restart; on UDP it
 * would let a second server share the port silently). -errno on failure.
 */
static int open_socket(const struct sockaddr_storage *addr, socklen_t len, int type, bool shared)
{
    int fd = socket(addr->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (shared)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (addr->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)addr, len) != 0 ||
        (type == SOCK_STREAM && listen(fd, 1024) != 0)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/*
 * Binds TCP then UDP for one endpoint. With port 0 the kernel's choice for TCP is reused for
 * UDP, so that dig finds both on one port. fds[0] is UDP, fds[1] TCP.
 */
static int bind_pair(struct endpoint *ep, int fds[2], const char **what)
{
    if (net_addr_port((struct sockaddr *)&ep->addr) != 0) {
        /* SO_REUSEPORT would let a second server of the same user join our port group and
         * share the traffic; a plain bind first tells us the port is really free. */
        static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            *what = types[i] == SOCK_DGRAM ? "udp" : "tcp";
            int probe = open_socket(&ep->addr, ep->len, types[i], false);
            if (probe < 0)
                return probe;
            close(probe);
        }
    }
    for (int attempt = 0; attempt < 20; attempt++) {
        struct sockaddr_storage a = ep->addr;
        *what = "tcp";
        fds[1] = open_socket(&a, ep->len, SOCK_STREAM, true);
        if (fds[1] < 0)
            return fds[1];
        socklen_t l = sizeof a;
        getsockname(fds[1], (struct sockaddr *)&a, &l);
        *what = "udp";
        fds[0] = open_socket(&a, ep->len, SOCK_DGRAM, true);
        if (fds[0] >= 0) {
            ep->addr = a;
            net_addr_format((struct sockaddr *)&a, ep->text, sizeof ep->text);
            return 0;
        }
        close(fds[1]);
        if (fds[0] != -EADDRINUSE || net_addr_port((struct sockaddr *)&ep->addr) != 0)
            return fds[0];
    }
    return -EADDRINUSE;
}

static void notify_systemd(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || (path[0] != '/' && path[0] != '@') || strlen(path) >= 108)
        return;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    memcpy(sun.sun_path, path, strlen(path));
    if (sun.sun_path[0] == '@')
        sun.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun,
           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path)));
    close(fd);
}

/*
 * Creates the database's directory (one level) with mode 0700 when missing. One that exists
 * with access for others is tightened, with a log line, when it is ours and not a shared
 * directory (sticky, like /tmp): the database, its -wal and -shm files, the token file and
 * the TLS key live there. @return 0 or -errno.
 */
static int ensure_db_dir(const char *path)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir)
        return -ENAMETOOLONG;
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0; /* the working directory, or /: not ours to change */
    *slash = '\0';
    if (mkdir(dir, 0700) == 0)
        return 0;
    if (errno != EEXIST)
        return -errno;
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || !(sb.st_mode & 077))
        return 0;
    if (sb.st_uid != geteuid() || (sb.st_mode & S_ISVTX))
        log_warn("the database's directory %s is open to others (mode %03o) and not ours to "
                 "change; the database files themselves are kept 0600",
                 dir, (unsigned)(sb.st_mode & 0777));
    else if (chmod(dir, 0700) == 0)
        log_notice("the database's directory %s was mode %03o: now 0700", dir,
                   (unsigned)(sb.st_mode & 0777));
    return 0;
}

/* The database and its -wal and -shm files found readable by others are made 0600 before
 * SQLite opens them (it gives new -wal and -shm files the database's mode). */
static void tighten_db_files(const char *db)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char path[4096];
        struct stat sb;
        int n = snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        if (n < 0 || (size_t)n >= sizeof path || lstat(path, &sb) != 0 ||
            !S_ISREG(sb.st_mode) || !(sb.st_mode & 077))
            continue;
        if (chmod(path, 0600) == 0)
            log_notice("%s was mode %03o: now 0600 (it holds the accounts' stored keys)", path,
                       (unsigned)(sb.st_mode & 0777));
        else
            log_warn("%s is mode %03o and cannot be made 0600: %s", path,
                     (unsigned)(sb.st_mode & 0777), strerror(errno));
    }
}

/* The daemon between start-up and shutdown. Every fd is -1 or owned by this struct until it
 * is handed to a worker or the registry. */
struct lanad {
    struct srvconf *cfg;
    struct commitgen commits; /* the registry bumps it on commit; the workers watch it */
    const char *ready_file;
    struct endpoint dns[CONF_LIST_MAX];
    unsigned ndns;
    struct worker_listen (*socks)[2 * CONF_LIST_MAX]; /* per worker: UDP, TCP of each */
    struct endpoint reg[CONF_LIST_MAX];
    int regfds[CONF_LIST_MAX];
    unsigned nreg;
    struct worker **workers;
    unsigned nw, made; /* workers wanted; created (they own their sockets) */
    struct registry *registry;
    struct notifier *notifier; /* NOTIFY to the secondaries */
    struct endpoint web[CONF_LIST_MAX]; /* HTTP: RDAP and the web view */
    int webfds[CONF_LIST_MAX];
    unsigned nweb;
    struct http *http;
    struct endpoint whois[CONF_LIST_MAX];
    int whoisfds[CONF_LIST_MAX];
    unsigned nwhois;
    struct whois *whoissrv; /* port-43 whois (server/whois.h) */
    struct xfrwarm *warm;   /* the transfer images built at start (server/xfrwarm.h) */
    bool ready;        /* announced ready (and the ready file written, if asked) */
    sigset_t sigs;
};

static int open_db(const struct srvconf *cfg)
{
    struct lana_diag d;
    int rc = ensure_db_dir(cfg->db);
    if (rc != 0) {
        log_err("cannot create the directory of %s: %s", cfg->db, strerror(-rc));
        return EX_CANTCREAT;
    }
    tighten_db_files(cfg->db);
    struct stat sb;
    if (lstat(cfg->db, &sb) != 0 && errno == ENOENT &&
        (rc = registry_token_unexpected(cfg, &d)) != 0) {
        log_err("%s", d.msg);
        return rc == LANA_ECONFLICT ? EX_CANTCREAT : EX_SOFTWARE;
    }
    if (zonecmd_create_default(cfg) != 0) {
        log_err("cannot open or initialise the database %s", cfg->db);
        return EX_SOFTWARE;
    }
    if (xfr_cache_init((size_t)cfg->transfer_cache << 20) != 0) {
        log_err("out of memory");
        return EX_OSERR;
    }
    if ((rc = registry_bootstrap(cfg, &d)) != 0) {
        log_err("%s", d.msg);
        /* a token file lanad did not write is in the way of the one it must create */
        return rc == LANA_ECONFLICT ? EX_CANTCREAT : EX_SOFTWARE;
    }
    return EX_OK;
}

/* Opens the UDP and TCP socket of every worker for dns[ndns]. @return 0, -EADDRNOTAVAIL or
 * -EAFNOSUPPORT (the endpoint is skipped), or -errno with *what the failing protocol. */
static int open_dns_endpoint(struct lanad *d, const char **what)
{
    struct endpoint *ep = &d->dns[d->ndns];
    for (unsigned i = 0; i < d->nw; i++) {
        struct worker_listen *l = &d->socks[i][2 * d->ndns];
        int fds[2] = {-1, -1}, rc = 0;
        if (i == 0) {
            rc = bind_pair(ep, fds, what);
        } else {
            *what = "udp";
            fds[0] = open_socket(&ep->addr, ep->len, SOCK_DGRAM, true);
            *what = fds[0] < 0 ? "udp" : "tcp";
            fds[1] = fds[0] < 0 ? -1 : open_socket(&ep->addr, ep->len, SOCK_STREAM, true);
            rc = fds[0] < 0 ? fds[0] : fds[1] < 0 ? fds[1] : 0;
        }
        if (rc != 0) {
            if (fds[0] >= 0)
                close(fds[0]);
            for (unsigned j = 0; j < i; j++) { /* this endpoint's sockets of earlier workers */
                close(d->socks[j][2 * d->ndns].fd);
                close(d->socks[j][2 * d->ndns + 1].fd);
                d->socks[j][2 * d->ndns].fd = d->socks[j][2 * d->ndns + 1].fd = -1;
            }
            return rc;
        }
        l[0] = (struct worker_listen){fds[0], false};
        l[1] = (struct worker_listen){fds[1], true};
    }
    return 0;
}

static int listen_dns(struct lanad *d)
{
    const struct conf_list *eps = &d->cfg->listen_dns;
    for (unsigned e = 0; e < eps->n; e++) {
        struct endpoint *ep = &d->dns[d->ndns];
        struct lana_diag diag;
        const char *what = "";
        if (net_parse_endpoint(eps->v[e], -1, &ep->addr, &ep->len, &diag) != 0) {
            log_err("listen-dns: %s", diag.msg);
            return EX_CONFIG;
        }
        int rc = open_dns_endpoint(d, &what);
        if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
            log_warn("cannot listen on %s: %s; skipping it", eps->v[e], strerror(-rc));
            continue;
        }
        if (rc != 0) {
            log_err("cannot listen on %s (%s): %s%s", eps->v[e], what, strerror(-rc),
                    rc == -EADDRINUSE ? " - another server already uses this port; choose "
                                        "another with --listen-dns ADDR:PORT"
                    : rc == -EACCES ? " - ports below 1024 need root or CAP_NET_BIND_SERVICE"
                                    : "");
            return EX_OSERR;
        }
        d->ndns++;
    }
    if (d->ndns == 0) {
        log_err("no DNS endpoint could be opened");
        return EX_OSERR;
    }
    return EX_OK;
}

/* Registry endpoints: TCP, one socket each, served by the registry thread. */
static int listen_registry(struct lanad *d)
{
    const struct conf_list *eps = &d->cfg->listen_registry;
    for (unsigned e = 0; e < eps->n; e++) {
        struct endpoint *ep = &d->reg[d->nreg];
        struct lana_diag diag;
        if (net_parse_endpoint(eps->v[e], REGPROTO_PORT, &ep->addr, &ep->len, &diag) != 0) {
            log_err("listen-registry: %s", diag.msg);
            return EX_CONFIG;
        }
        int fd = open_socket(&ep->addr, ep->len, SOCK_STREAM, false);
        if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT) {
            log_warn("cannot listen on %s: %s; skipping it", eps->v[e], strerror(-fd));
            continue;
        }
        if (fd < 0) {
            log_err("cannot listen on %s (registry): %s%s", eps->v[e], strerror(-fd),
                    fd == -EADDRINUSE ? " - another server already uses this port; choose "
                                        "another with --listen-registry ADDR:PORT"
                                      : "");
            return EX_OSERR;
        }
        socklen_t l = sizeof ep->addr;
        getsockname(fd, (struct sockaddr *)&ep->addr, &l);
        net_addr_format((struct sockaddr *)&ep->addr, ep->text, sizeof ep->text);
        d->regfds[d->nreg++] = fd;
    }
    return EX_OK;
}

/* Whether the list key (listen-whois, listen-http) is what lanad listens on when nobody
 * chose: the key's default. */
static bool listen_by_default(const char *key, const struct conf_list *eps)
{
    char def[256] = "";
    unsigned n = 0;
    for (size_t i = 0; i < srvconf_nkeys; i++)
        if (strcmp(srvconf_keys[i].name, key) == 0)
            snprintf(def, sizeof def, "%s", srvconf_keys[i].def);
    for (char *p = def; *p != '\0'; n++) {
        size_t len = strcspn(p, " ");
        if (n >= eps->n || strlen(eps->v[n]) != len || strncmp(eps->v[n], p, len) != 0)
            return false;
        p += len + strspn(p + len, " ");
    }
    return n == eps->n;
}

/* A service's TCP endpoints (a list key: listen-whois, listen-http), one socket each, for the
 * thread that takes them over. The key's default endpoints are a convenience: when another
 * lanad holds them, this one serves nothing there (and says what, in lost) rather than not
 * starting. Fills eps_out[*n] and fds[*n]. @return EX_OK, EX_CONFIG or EX_OSERR. */
static int listen_tcp(const struct conf_list *eps, const char *key, int default_port,
                      const char *lost, struct endpoint *eps_out, int *fds, unsigned *n)
{
    bool by_default = listen_by_default(key, eps);
    for (unsigned e = 0; e < eps->n; e++) {
        struct endpoint *ep = &eps_out[*n];
        struct lana_diag diag;
        if (net_parse_endpoint(eps->v[e], default_port, &ep->addr, &ep->len, &diag) != 0) {
            log_err("%s: %s", key, diag.msg);
            return EX_CONFIG;
        }
        int fd = open_socket(&ep->addr, ep->len, SOCK_STREAM, false);
        if (fd == -EADDRINUSE && by_default) {
            log_warn("cannot listen on %s: %s; skipping it (%s there: set %s to serve it "
                     "elsewhere)", eps->v[e], strerror(-fd), lost, key);
            continue;
        }
        if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT) {
            log_warn("cannot listen on %s: %s; skipping it", eps->v[e], strerror(-fd));
            continue;
        }
        if (fd == -EADDRINUSE) {
            log_err("cannot listen on %s (%s): %s - another server already uses this port; "
                    "choose another with --%s ADDR:PORT", eps->v[e], key + strlen("listen-"),
                    strerror(-fd), key);
            return EX_OSERR;
        }
        if (fd < 0) {
            log_err("cannot listen on %s (%s): %s%s", eps->v[e], key + strlen("listen-"),
                    strerror(-fd),
                    fd == -EACCES ? " - ports below 1024 need root or CAP_NET_BIND_SERVICE" : "");
            return EX_OSERR;
        }
        socklen_t l = sizeof ep->addr;
        getsockname(fd, (struct sockaddr *)&ep->addr, &l);
        net_addr_format((struct sockaddr *)&ep->addr, ep->text, sizeof ep->text);
        fds[(*n)++] = fd;
    }
    return EX_OK;
}

/* whois endpoints: served by the whois thread (port 43 when none is given). */
static int listen_whois(struct lanad *d)
{
    return listen_tcp(&d->cfg->listen_whois, "listen-whois", 43, "no whois", d->whois,
                      d->whoisfds, &d->nwhois);
}

/* HTTP endpoints: handed to server/http.c (RDAP and the web view). */
static int listen_http(struct lanad *d)
{
    return listen_tcp(&d->cfg->listen_http, "listen-http", -1, "no RDAP or web view", d->web,
                      d->webfds, &d->nweb);
}

/* Starts the workers and the registry thread; signals are blocked first, so that only
 * wait_signal() takes them (the threads inherit the mask). */
static int start(struct lanad *d)
{
    sigemptyset(&d->sigs);
    sigaddset(&d->sigs, SIGTERM);
    sigaddset(&d->sigs, SIGINT);
    sigaddset(&d->sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &d->sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (; d->made < d->nw; d->made++) {
        struct lana_diag diag;
        unsigned i = d->made;
        if (worker_new(i, d->cfg, &d->commits, d->socks[i], 2 * d->ndns, &d->workers[i],
                       &diag) != 0) {
            d->made++; /* its sockets are closed */
            log_err("worker %u: %s", i, diag.msg);
            return EX_SOFTWARE;
        }
        int rc = worker_start(d->workers[i]);
        if (rc != 0) {
            d->made++;
            log_err("cannot start worker %u: %s", i, strerror(-rc));
            return EX_OSERR;
        }
    }
    if (d->nreg > 0) {
        struct lana_diag diag;
        unsigned n = d->nreg;
        d->nreg = 0; /* the registry takes the sockets over */
        if (registry_start(d->cfg, &d->commits, d->regfds, n, &d->registry, &diag) != 0) {
            log_err("registry: %s", diag.msg);
            return EX_SOFTWARE;
        }
        d->nreg = n;
    }
    if (d->nweb > 0) {
        struct lana_diag diag;
        unsigned n = d->nweb;
        d->nweb = 0; /* the HTTP endpoint takes the sockets over */
        if (http_start(d->cfg, &d->commits, d->webfds, n, &d->http, &diag) != 0) {
            log_err("http: %s", diag.msg);
            return EX_SOFTWARE;
        }
        d->nweb = n;
    }
    if (d->nwhois > 0) {
        struct lana_diag diag;
        unsigned n = d->nwhois;
        d->nwhois = 0; /* the whois thread takes the sockets over */
        if (whois_start(d->cfg, d->whoisfds, n, &d->whoissrv, &diag) != 0) {
            log_err("whois: %s", diag.msg);
            return EX_SOFTWARE;
        }
        d->nwhois = n;
    }
    struct lana_diag nd;
    int nrc = notifier_new(d->cfg, &d->commits, &d->notifier, &nd);
    if (nrc != 0 || (nrc = notifier_start(d->notifier)) != 0) {
        log_err("notifier: %s", d->notifier != NULL ? strerror(-nrc) : nd.msg);
        return nrc == LANA_EPARSE ? EX_CONFIG : EX_SOFTWARE;
    }
    return EX_OK;
}

static int write_ready_file(const struct lanad *d)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", d->ready_file);
    FILE *fp = (n > 0 && (size_t)n < sizeof tmp) ? fopen(tmp, "w") : NULL;
    if (fp == NULL) {
        log_err("cannot write %s: %s", d->ready_file, strerror(errno));
        return EX_CANTCREAT;
    }
    for (unsigned e = 0; e < d->ndns; e++)
        fprintf(fp, "dns %s\n", d->dns[e].text);
    for (unsigned e = 0; e < d->nreg; e++)
        fprintf(fp, "registry %s\n", d->reg[e].text);
    for (unsigned e = 0; e < d->nweb; e++)
        fprintf(fp, "http %s\n", d->web[e].text);
    for (unsigned e = 0; e < d->nwhois; e++)
        fprintf(fp, "whois %s\n", d->whois[e].text);
    fprintf(fp, "pid %d\n", (int)getpid());
    if (fclose(fp) != 0 || rename(tmp, d->ready_file) != 0) {
        log_err("cannot write %s: %s", d->ready_file, strerror(errno));
        unlink(tmp);
        return EX_CANTCREAT;
    }
    return EX_OK;
}

static int announce(struct lanad *d)
{
    if (d->ready_file != NULL) {
        int status = write_ready_file(d);
        if (status != EX_OK)
            return status;
    }
    d->ready = true;
    char list[CONF_LIST_MAX * (NET_ADDRSTRLEN + 1)] = "";
    size_t pos = 0;
    for (unsigned e = 0; e < d->ndns; e++) {
        int n = snprintf(list + pos, sizeof list - pos, "%s%s", e ? " " : "", d->dns[e].text);
        if (n > 0 && (size_t)n < sizeof list - pos)
            pos += (size_t)n;
    }
    uint64_t cache = 0;
    for (unsigned i = 0; i < d->made; i++)
        cache += worker_cache_bytes(d->workers[i]);
    log_notice("ready: DNS on %s (udp+tcp), %u worker%s, answer cache %llu MiB, database %s",
               list, d->nw, d->nw == 1 ? "" : "s", (unsigned long long)(cache >> 20), d->cfg->db);
    for (unsigned e = 0; e < d->nreg; e++)
        log_notice("ready: registry on %s (tcp)", d->reg[e].text);
    for (unsigned e = 0; e < d->nweb; e++)
        log_notice("ready: HTTP on %s (RDAP at /rdap/, web view at /)", d->web[e].text);
    for (unsigned e = 0; e < d->nwhois; e++)
        log_notice("ready: whois on %s (tcp)", d->whois[e].text);
    notify_systemd("READY=1");
    d->warm = xfrwarm_start(d->cfg); /* after READY: answering never waits for it */
    return EX_OK;
}

/* Waits for SIGTERM or SIGINT (also sent by a worker whose loop failed); SIGHUP is noted. */
static void wait_signal(struct lanad *d)
{
    for (;;) {
        int sig;
        if (sigwait(&d->sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_notice("SIGHUP: configuration reload is not supported yet; restart to apply");
            continue;
        }
        log_notice("%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return;
    }
}

/* Stops and frees whatever start-up got to and closes the sockets nobody took over.
 * @return status, or EX_SOFTWARE when a worker's loop had failed. */
static int shutdown_daemon(struct lanad *d, int status)
{
    if (d->ready)
        notify_systemd("STOPPING=1");
    xfrwarm_stop(d->warm);
    http_stop(d->http); /* first: its threads read the registry */
    registry_stop(d->registry);
    whois_stop(d->whoissrv);
    notifier_free(d->notifier); /* after the registry: its commits write to the notifier */
    uint64_t udp = 0, tcp = 0, hits = 0, answers = 0, cache = 0;
    for (unsigned i = 0; i < d->made; i++) {
        struct worker_stats ws;
        if (d->workers[i] == NULL)
            continue;
        if (worker_stop(d->workers[i]) != 0 && status == EX_OK)
            status = EX_SOFTWARE;
        worker_stats(d->workers[i], &ws);
        udp += ws.udp_queries;
        tcp += ws.tcp_queries;
        hits += ws.cache_hits;
        answers += ws.cache_answers;
        cache += ws.cache_bytes;
        worker_free(d->workers[i]);
    }
    for (unsigned i = d->made; d->socks != NULL && i < d->nw; i++)
        for (unsigned k = 0; k < 2 * d->ndns; k++)
            if (d->socks[i][k].fd >= 0)
                close(d->socks[i][k].fd);
    if (d->registry == NULL)
        for (unsigned e = 0; e < d->nreg; e++)
            close(d->regfds[e]);
    if (d->http == NULL)
        for (unsigned e = 0; e < d->nweb; e++)
            close(d->webfds[e]);
    if (d->whoissrv == NULL)
        for (unsigned e = 0; e < d->nwhois; e++)
            close(d->whoisfds[e]);
    if (d->ready) {
        log_notice("stopped after %llu UDP and %llu TCP queries, %llu answered from the cache; "
                   "%llu answers cached in %llu MiB",
                   (unsigned long long)udp, (unsigned long long)tcp, (unsigned long long)hits,
                   (unsigned long long)answers, (unsigned long long)(cache >> 20));
        if (d->ready_file != NULL)
            unlink(d->ready_file);
    }
    free(d->workers);
    free(d->socks);
    return status;
}

/*
 * Every connection the caps allow needs a descriptor, on top of the daemon's own (database
 * files, sockets and loops of each thread): raises the soft RLIMIT_NOFILE toward the hard
 * one as far as that needs, and warns when the caps still do not fit (accepting then waits
 * for a free descriptor; nothing fails).
 */
static void fit_fd_limit(const struct srvconf *cfg)
{
    struct rlimit rl;
    uint64_t own = 64 + (cfg->workers + 1) * (8 + 2 * (uint64_t)cfg->listen_dns.n) +
                   cfg->listen_registry.n;
    uint64_t need = own + cfg->tcp_max_connections + cfg->registry_max_connections +
                    cfg->listen_whois.n + cfg->whois_max_connections;
    need += cfg->listen_http.n + cfg->http_max_connections + 4 * cfg->http_threads;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return;
    unsigned long long was = (unsigned long long)rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
    if (rl.rlim_cur > was && setrlimit(RLIMIT_NOFILE, &rl) == 0) {
        log_info("file descriptor limit raised from %llu to %llu", was,
                 (unsigned long long)rl.rlim_cur);
        if (rl.rlim_cur >= need)
            return;
    } else {
        rl.rlim_cur = was;
    }
    log_warn("the file descriptor limit (%llu) is below the %llu that tcp-max-connections (%llu) "
             "and registry-max-connections (%llu) need; raise it (ulimit -n, LimitNOFILE=) or "
             "lower them: connections beyond it wait",
             (unsigned long long)rl.rlim_cur, (unsigned long long)need,
             (unsigned long long)cfg->tcp_max_connections,
             (unsigned long long)cfg->registry_max_connections);
}

static int run_daemon(struct srvconf *cfg, const char *ready_file)
{
    fit_fd_limit(cfg);
    /* glibc gives memory back to the kernel (madvise) whenever the top of a thread's arena
     * passes the trim threshold: SQLite's statements on the HTTP threads crossed it on every
     * request, and the system calls cost more than the query (bench/rdap.sh). A fixed
     * threshold keeps up to this much free memory per arena instead. */
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    struct lanad d = {.cfg = cfg, .ready_file = ready_file, .nw = (unsigned)cfg->workers};
    int status = open_db(cfg);
    if (status != EX_OK)
        return status;
    d.workers = calloc(d.nw, sizeof *d.workers);
    d.socks = calloc(d.nw, sizeof *d.socks);
    if (d.workers == NULL || d.socks == NULL) {
        log_err("out of memory");
        return shutdown_daemon(&d, EX_OSERR);
    }
    for (unsigned i = 0; i < d.nw; i++)
        for (unsigned k = 0; k < 2 * CONF_LIST_MAX; k++)
            d.socks[i][k].fd = -1;
    if ((status = listen_dns(&d)) == EX_OK && (status = listen_registry(&d)) == EX_OK &&
        (status = listen_http(&d)) == EX_OK && (status = listen_whois(&d)) == EX_OK &&
        (status = start(&d)) == EX_OK &&
        (status = announce(&d)) == EX_OK)
        wait_signal(&d);
    return shutdown_daemon(&d, status);
}

/* What the command line asked for. Flags are kept as (key, value) pairs and applied after
 * the config file. */
struct args {
    const char *config, *ready_file;
    bool check;
    struct {
        const char *key, *val;
    } flags[64];
    unsigned nflags;
};

/* @return -1 to go on, or the exit status (--help, --version, usage errors). */
static int parse_args(int argc, char **argv, struct args *a)
{
    /* the options of lanad_opts (code: the short letter, else 1000 + the row), then every
     * other configuration key as --KEY VALUE (2000 + its index) */
    struct option opts[64];
    char shorts[64] = "+:";
    size_t nopts = 0, ns = 2;
    for (size_t i = 0; i < lanad_doc.nopts && nopts + 1 < 64 && ns + 3 < sizeof shorts; i++) {
        const struct srvdoc_opt *o = &lanad_opts[i];
        opts[nopts++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                        o->shortopt ? o->shortopt : 1000 + (int)i};
        if (o->shortopt) {
            shorts[ns++] = o->shortopt;
            if (o->arg)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    for (size_t i = 0; i < srvconf_nkeys && nopts + 1 < 64; i++) {
        bool listed = false;
        for (size_t k = 0; k < lanad_doc.nopts; k++)
            listed = listed || strcmp(lanad_opts[k].name, srvconf_keys[i].name) == 0;
        if (!listed)
            opts[nopts++] =
                (struct option){srvconf_keys[i].name, required_argument, NULL, 2000 + (int)i};
    }
    opts[nopts] = (struct option){0};
    int c, idx;
    while ((c = getopt_long(argc, argv, shorts, opts, &idx)) != -1) {
        const char *key = NULL, *name = NULL;
        for (size_t i = 0; i < lanad_doc.nopts; i++)
            if (c == lanad_opts[i].shortopt || c == 1000 + (int)i)
                name = lanad_opts[i].name;
        if (c >= 2000 && (size_t)(c - 2000) < srvconf_nkeys)
            key = srvconf_keys[c - 2000].name;
        else if (name != NULL && strcmp(name, "config") == 0)
            a->config = optarg;
        else if (name != NULL && strcmp(name, "ready-file") == 0)
            a->ready_file = optarg;
        else if (name != NULL && strcmp(name, "check") == 0)
            a->check = true;
        else if (name != NULL && strcmp(name, "help") == 0)
            return srvdoc_usage(&lanad_doc, stdout), EX_OK;
        else if (name != NULL && strcmp(name, "version") == 0)
            return printf("lanad %s\n", LANA_VERSION), EX_OK;
        else if (name != NULL)
            key = name; /* an option named after its configuration key */
        else if (c == ':') {
            fprintf(stderr, "lanad: option '%s' needs a value\nTry 'lanad --help'\n",
                    argv[optind - 1]);
            return EX_USAGE;
        } else {
            fprintf(stderr, "lanad: unknown option '%s'\nTry 'lanad --help'\n", argv[optind - 1]);
            return EX_USAGE;
        }
        if (key == NULL)
            continue;
        if (a->nflags == sizeof a->flags / sizeof a->flags[0]) {
            fprintf(stderr, "lanad: too many options\n");
            return EX_USAGE;
        }
        a->flags[a->nflags].key = key;
        a->flags[a->nflags++].val = optarg;
    }
    return -1;
}

/* Defaults, then the config file, then the flags. @return EX_OK, EX_CONFIG or EX_USAGE. */
static int load_config(struct srvconf *cfg, const struct args *a)
{
    if (a->config != NULL || access(SRVCONF_DEFAULT_PATH, F_OK) == 0) {
        const char *path = a->config ? a->config : SRVCONF_DEFAULT_PATH;
        int n = conf_load(srvconf_keys, srvconf_nkeys, cfg, path, conf_err, NULL);
        if (n < 0) {
            fprintf(stderr, "lanad: %s: %s\n", path, strerror(-n));
            return EX_CONFIG;
        }
        if (n > 0) {
            fprintf(stderr, "lanad: %s: %d error%s\n", path, n, n == 1 ? "" : "s");
            return EX_CONFIG;
        }
    }
    /* the first flag of a repeatable key replaces the list from the file or the defaults */
    bool seen[64] = {false};
    for (unsigned i = 0; i < a->nflags; i++) {
        struct lana_diag d;
        int replace = 0;
        for (size_t k = 0; k < srvconf_nkeys && k < 64; k++)
            if (strcmp(srvconf_keys[k].name, a->flags[i].key) == 0 && !seen[k]) {
                replace = 1;
                seen[k] = true;
            }
        if (conf_set(srvconf_keys, srvconf_nkeys, cfg, a->flags[i].key, a->flags[i].val,
                     replace, &d) != 0) {
            fprintf(stderr, "lanad: --%s: %s\n", a->flags[i].key, d.msg);
            return EX_USAGE;
        }
    }
    enum log_level lvl = LOG_LVL_NOTICE;
    log_level_parse(cfg->log_level, &lvl);
    log_init("lanad", lvl);
    return EX_OK;
}

int main(int argc, char **argv)
{
    struct args a = {0};
    struct srvconf cfg;
    int status = srvdoc_main(&lanad_doc, argc, argv); /* the build's generators */
    if (status >= 0)
        return status;
    /* every file lanad makes (database, -wal, -shm, token, TLS key, ready file) is its own */
    umask(077);
    log_init("lanad", LOG_LVL_NOTICE);
    status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;
    int rc = srvconf_defaults(&cfg);
    if (rc != 0) {
        fprintf(stderr, "lanad: cannot set the defaults: %s\n", lana_strerror(rc));
        status = EX_SOFTWARE;
        goto out;
    }
    if ((status = load_config(&cfg, &a)) != EX_OK)
        goto out;
    if (a.check) {
        srvconf_print(&cfg, stdout);
    } else if (optind >= argc) {
        status = run_daemon(&cfg, a.ready_file);
    } else if (strcmp(argv[optind], "zone") == 0) {
        status = zonecmd_main(cfg.db, argc - optind, argv + optind);
    } else if (strcmp(argv[optind], "check") == 0) {
        status = checkcmd_main(cfg.db, argc - optind, argv + optind);
    } else {
        fprintf(stderr, "lanad: unknown command '%s'\nTry 'lanad --help'\n", argv[optind]);
        status = EX_USAGE;
    }
out:
    srvconf_fini(&cfg);
    return status;
}
