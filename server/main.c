/*
 * lanad — the lana registry daemon. This file is start-up and shutdown only, in the order
 * STYLE.md gives: arguments, config (exit 78 with file:line errors), database, sockets,
 * workers, "ready". Answering lives in answer.c, transports in dnsudp.c and dnstcp.c.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "common/regproto.h"
#include "server/checkcmd.h"
#include "server/registry.h"
#include "server/srvconf.h"
#include "server/worker.h"
#include "server/zonecmd.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lanad [options]                   run the daemon\n"
            "       lanad [options] zone import FILE|- [--origin NAME]\n"
            "       lanad [options] zone export NAME\n"
            "       lanad [options] zone list\n"
            "       lanad [options] check [--json]    verify the database offline\n"
            "\n"
            "options:\n"
            "  -c, --config PATH        config file (default " SRVCONF_DEFAULT_PATH
            " if it exists)\n"
            "  -d, --db PATH            database file (created on first start)\n"
            "  -l, --listen-dns A:P     DNS endpoint, UDP and TCP; repeatable; port 0 = any\n"
            "                           (default 127.0.0.1:5300 and [::1]:5300)\n"
            "      --listen-registry A:P  registry protocol endpoint (TCP); repeatable\n"
            "                           (default 127.0.0.1:5301 and [::1]:5301)\n"
            "      --token-file PATH    where the admin token is written on first start\n"
            "                           (default admin.token beside the database)\n"
            "      --pool PREFIX        root pool of an empty registry; repeatable\n"
            "                           (default 10.0.0.0/8 and fd00::/8)\n"
            "  -w, --workers N          DNS worker threads (default 2)\n"
            "  -L, --log-level LEVEL    err, warn, notice, info, debug (default notice)\n"
            "  -r, --ready-file PATH    once serving, write the bound endpoints there\n"
            "  -n, --check              check the configuration, print it and exit\n"
            "  -h, --help               this help\n"
            "  -V, --version            print the version\n"
            "\n"
            "Every config file key (see conf/lanad.conf) is also accepted as --KEY VALUE.\n"
            "Exit status: 0 ok, 64 usage, 65 bad zone data, 66 no such file or zone,\n"
            "70 internal error, 71 cannot listen, 73 cannot create a file, 78 bad configuration.\n");
}

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

static int ensure_db_dir(const char *path)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir)
        return -ENAMETOOLONG;
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int run_daemon(struct srvconf *cfg, const char *ready_file)
{
    struct endpoint eps[CONF_LIST_MAX];
    unsigned neps = 0;
    int status = EX_OK;
    if (ensure_db_dir(cfg->db) != 0)
        fatalx(EX_CANTCREAT, "cannot create the directory of %s: %s", cfg->db, strerror(errno));
    if (zonecmd_create_default(cfg->db) != 0)
        fatalx(EX_SOFTWARE, "cannot open or initialise the database %s", cfg->db);
    struct lana_diag bd;
    if (registry_bootstrap(cfg, &bd) != 0)
        fatalx(EX_SOFTWARE, "%s", bd.msg);

    unsigned nw = (unsigned)cfg->workers;
    struct worker *workers = calloc(nw, sizeof *workers);
    struct listener **ls = calloc(nw, sizeof *ls);
    if (workers == NULL || ls == NULL)
        fatalx(EX_OSERR, "out of memory");
    for (unsigned i = 0; i < nw; i++)
        if ((ls[i] = calloc(2 * cfg->listen_dns.n, sizeof **ls)) == NULL)
            fatalx(EX_OSERR, "out of memory");

    for (unsigned e = 0; e < cfg->listen_dns.n; e++) {
        struct endpoint *ep = &eps[neps];
        struct lana_diag d;
        if (net_parse_endpoint(cfg->listen_dns.v[e], -1, &ep->addr, &ep->len, &d) != 0)
            fatalx(EX_CONFIG, "listen-dns: %s", d.msg);
        for (unsigned i = 0; i < nw; i++) {
            int fds[2];
            const char *what = "";
            int rc = i == 0 ? bind_pair(ep, fds, &what) : 0;
            if (i > 0) {
                what = "udp";
                fds[0] = open_socket(&ep->addr, ep->len, SOCK_DGRAM, true);
                what = fds[0] < 0 ? "udp" : "tcp";
                fds[1] = fds[0] < 0 ? -1 : open_socket(&ep->addr, ep->len, SOCK_STREAM, true);
                rc = fds[0] < 0 ? fds[0] : fds[1] < 0 ? fds[1] : 0;
            }
            if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
                log_warn("cannot listen on %s: %s; skipping it", cfg->listen_dns.v[e],
                         strerror(-rc));
                goto next_endpoint;
            }
            if (rc != 0)
                fatalx(EX_OSERR, "cannot listen on %s (%s): %s%s", cfg->listen_dns.v[e], what,
                       strerror(-rc),
                       rc == -EADDRINUSE ? " - another server already uses this port; choose "
                                           "another with --listen-dns ADDR:PORT"
                       : rc == -EACCES ? " - ports below 1024 need root or "
                                         "CAP_NET_BIND_SERVICE"
                                       : "");
            struct listener *l = &ls[i][2 * neps];
            l[0].ev = (struct evsrc){EV_UDP, fds[0]};
            l[1].ev = (struct evsrc){EV_TCP_LISTEN, fds[1]};
            l[0].addr = l[1].addr = ep->addr;
            l[0].addrlen = l[1].addrlen = ep->len;
        }
        neps++;
    next_endpoint:;
    }
    if (neps == 0)
        fatalx(EX_OSERR, "no DNS endpoint could be opened");

    /* registry endpoints: TCP, one socket each, served by the registry thread */
    struct endpoint reps[CONF_LIST_MAX];
    int rfds[CONF_LIST_MAX];
    unsigned nreps = 0;
    for (unsigned e = 0; e < cfg->listen_registry.n; e++) {
        struct endpoint *ep = &reps[nreps];
        struct lana_diag d;
        if (net_parse_endpoint(cfg->listen_registry.v[e], REGPROTO_PORT, &ep->addr, &ep->len, &d) != 0)
            fatalx(EX_CONFIG, "listen-registry: %s", d.msg);
        int fd = open_socket(&ep->addr, ep->len, SOCK_STREAM, false);
        if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT) {
            log_warn("cannot listen on %s: %s; skipping it", cfg->listen_registry.v[e], strerror(-fd));
            continue;
        }
        if (fd < 0)
            fatalx(EX_OSERR, "cannot listen on %s (registry): %s%s", cfg->listen_registry.v[e],
                   strerror(-fd),
                   fd == -EADDRINUSE ? " - another server already uses this port; choose another "
                                       "with --listen-registry ADDR:PORT"
                                     : "");
        socklen_t l = sizeof ep->addr;
        getsockname(fd, (struct sockaddr *)&ep->addr, &l);
        net_addr_format((struct sockaddr *)&ep->addr, ep->text, sizeof ep->text);
        rfds[nreps++] = fd;
    }

    /* Signals are taken by sigwait() in this thread only; workers inherit the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (unsigned i = 0; i < nw; i++) {
        struct lana_diag d;
        if (worker_init(&workers[i], i, cfg, cfg->db, ls[i], 2 * neps, &d) != 0)
            fatalx(EX_SOFTWARE, "worker %u: %s", i, d.msg);
        if (worker_start(&workers[i]) != 0)
            fatalx(EX_OSERR, "cannot start worker %u", i);
    }
    struct registry *reg = NULL;
    if (nreps > 0) {
        struct lana_diag d;
        if (registry_start(cfg, rfds, nreps, &reg, &d) != 0)
            fatalx(EX_SOFTWARE, "registry: %s", d.msg);
    }
    char list[CONF_LIST_MAX * (NET_ADDRSTRLEN + 1)] = "";
    size_t pos = 0;
    for (unsigned e = 0; e < neps; e++) {
        int n = snprintf(list + pos, sizeof list - pos, "%s%s", e ? " " : "", eps[e].text);
        if (n > 0 && (size_t)n < sizeof list - pos)
            pos += (size_t)n;
    }
    if (ready_file != NULL) {
        char tmp[4096];
        int n = snprintf(tmp, sizeof tmp, "%s.tmp", ready_file);
        FILE *fp = (n > 0 && (size_t)n < sizeof tmp) ? fopen(tmp, "w") : NULL;
        if (fp == NULL)
            fatalx(EX_CANTCREAT, "cannot write %s: %s", ready_file, strerror(errno));
        for (unsigned e = 0; e < neps; e++)
            fprintf(fp, "dns %s\n", eps[e].text);
        for (unsigned e = 0; e < nreps; e++)
            fprintf(fp, "registry %s\n", reps[e].text);
        fprintf(fp, "pid %d\n", (int)getpid());
        if (fclose(fp) != 0 || rename(tmp, ready_file) != 0)
            fatalx(EX_CANTCREAT, "cannot write %s: %s", ready_file, strerror(errno));
    }
    log_notice("ready: DNS on %s (udp+tcp), %u worker%s, database %s", list, nw,
               nw == 1 ? "" : "s", cfg->db);
    for (unsigned e = 0; e < nreps; e++)
        log_notice("ready: registry on %s (tcp)", reps[e].text);
    notify_systemd("READY=1");

    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_notice("SIGHUP: configuration reload is not supported yet; restart to apply");
            continue;
        }
        log_notice("%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    notify_systemd("STOPPING=1");
    registry_stop(reg);
    uint64_t udp = 0, tcp = 0;
    for (unsigned i = 0; i < nw; i++) {
        worker_stop(&workers[i]);
        udp += workers[i].stats.udp_queries;
        tcp += workers[i].stats.tcp_queries;
    }
    log_notice("stopped after %llu UDP and %llu TCP queries", (unsigned long long)udp,
               (unsigned long long)tcp);
    free(workers);
    free(ls);
    if (ready_file != NULL)
        unlink(ready_file);
    return status;
}

int main(int argc, char **argv)
{
    /* every configuration key is also a long option --KEY VALUE (codes 1000 + its index) */
    struct option opts[64] = {
        {"config", required_argument, NULL, 'c'},
        {"ready-file", required_argument, NULL, 'r'},
        {"check", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
    };
    size_t nopts = 5;
    for (size_t i = 0; i < srvconf_nkeys && nopts + 1 < sizeof opts / sizeof opts[0]; i++)
        opts[nopts++] = (struct option){srvconf_keys[i].name, required_argument, NULL, 1000 + (int)i};
    struct srvconf cfg;
    const char *config = NULL, *ready_file = NULL;
    bool check = false;
    /* Flags are kept as (key, value) pairs and applied after the config file. */
    struct {
        const char *key, *val;
    } flags[64];
    unsigned nflags = 0;
    int c, idx;

    log_init("lanad", LOG_LVL_NOTICE);
    while ((c = getopt_long(argc, argv, "+:c:d:l:w:L:r:nhV", opts, &idx)) != -1) {
        const char *key = NULL;
        switch (c) {
        case 'c': config = optarg; break;
        case 'r': ready_file = optarg; break;
        case 'n': check = true; break;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("lanad %s\n", LANA_VERSION); return EX_OK;
        case 'd': key = "db"; break;
        case 'l': key = "listen-dns"; break;
        case 'w': key = "workers"; break;
        case 'L': key = "log-level"; break;
        case ':':
            fprintf(stderr, "lanad: option '%s' needs a value\nTry 'lanad --help'\n",
                    argv[optind - 1]);
            return EX_USAGE;
        default:
            if (c >= 1000 && (size_t)(c - 1000) < srvconf_nkeys) {
                key = srvconf_keys[c - 1000].name;
                break;
            }
            fprintf(stderr, "lanad: unknown option '%s'\nTry 'lanad --help'\n",
                    argv[optind - 1]);
            return EX_USAGE;
        }
        if (key != NULL) {
            if (nflags == sizeof flags / sizeof flags[0]) {
                fprintf(stderr, "lanad: too many options\n");
                return EX_USAGE;
            }
            flags[nflags].key = key;
            flags[nflags++].val = optarg;
        }
    }
    if (srvconf_defaults(&cfg) != 0)
        fatalx(EX_SOFTWARE, "cannot set the defaults");
    if (config != NULL || access(SRVCONF_DEFAULT_PATH, F_OK) == 0) {
        const char *path = config ? config : SRVCONF_DEFAULT_PATH;
        int n = conf_load(srvconf_keys, srvconf_nkeys, &cfg, path, conf_err, NULL);
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
    for (unsigned i = 0; i < nflags; i++) {
        struct lana_diag d;
        int replace = 0;
        for (size_t k = 0; k < srvconf_nkeys && k < 64; k++)
            if (strcmp(srvconf_keys[k].name, flags[i].key) == 0 && !seen[k]) {
                replace = 1;
                seen[k] = true;
            }
        if (conf_set(srvconf_keys, srvconf_nkeys, &cfg, flags[i].key, flags[i].val, replace,
                     &d) != 0) {
            fprintf(stderr, "lanad: --%s: %s\n", flags[i].key, d.msg);
            return EX_USAGE;
        }
    }
    enum log_level lvl = LOG_LVL_NOTICE;
    log_level_parse(cfg.log_level, &lvl);
    log_init("lanad", lvl);

    int status;
    if (check) {
        srvconf_print(&cfg, stdout);
        status = EX_OK;
    } else if (optind < argc && strcmp(argv[optind], "zone") == 0) {
        status = zonecmd_main(cfg.db, argc - optind, argv + optind);
    } else if (optind < argc && strcmp(argv[optind], "check") == 0) {
        status = checkcmd_main(cfg.db, argc - optind, argv + optind);
    } else if (optind < argc) {
        fprintf(stderr, "lanad: unknown command '%s'\nTry 'lanad --help'\n", argv[optind]);
        status = EX_USAGE;
    } else {
        status = run_daemon(&cfg, ready_file);
    }
    srvconf_fini(&cfg);
    return status;
}
