/*
 * zonecmd — see zonecmd.h.
 */
#include "server/zonecmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "common/log.h"
#include "common/serial.h"
#include "db/journal.h"
#include "db/store.h"
#include "db/zone.h"
#include "db/zoneio.h"

/* The zone a new database starts with, so that `dig @127.0.0.1 -p 5300 ns1.lab` answers; its
 * serial (%lu) is the serial policy's first, as for every zone the registry creates. */
static const char default_zone[] =
    "$ORIGIN lab.\n"
    "$TTL 3600\n"
    "@    IN SOA ns1.lab. hostmaster.lab. %lu 3600 900 604800 300\n"
    "@    IN NS  ns1.lab.\n"
    "ns1  IN A    127.0.0.1\n"
    "ns1  IN AAAA ::1\n";

static int exit_for(int rc)
{
    switch (rc) {
    case LANA_EPARSE:
    case LANA_ECONFLICT: return EX_DATAERR;
    case LANA_ENOTFOUND: return EX_NOINPUT;
    case LANA_EIO: return EX_IOERR;
    default: return EX_SOFTWARE;
    }
}

int zonecmd_create_default(const struct srvconf *cfg)
{
    struct store *st = NULL;
    struct lana_diag d;
    enum serial_policy policy;
    const char *db_path = cfg->db;
    if (serial_policy_parse(cfg->serial_policy, &policy, &d) != 0) {
        log_err("serial-policy %s", d.msg); /* checked when the configuration was read */
        return LANA_EPARSE;
    }
    zone_serial_policy_set(policy);
    journal_serials_set((unsigned)cfg->journal_serials);
    int rc = store_open(db_path, &st, NULL, &d);
    if (rc != 0) {
        log_err("%s", d.msg);
        return rc;
    }
    if (zoneio_zone_count(st) == 0) {
        char text[sizeof default_zone + 16];
        int n = snprintf(text, sizeof text, default_zone,
                         (unsigned long)serial_initial(policy, time(NULL)));
        FILE *fp = n < 0 || (size_t)n >= sizeof text ? NULL : fmemopen(text, (size_t)n, "r");
        struct zoneio_stats stats;
        rc = fp ? zoneio_import(st, fp, "(default zone)", NULL, &stats, &d) : LANA_ENOMEM;
        if (fp)
            fclose(fp);
        if (rc == 0)
            log_notice("created the default zone lab. in %s", db_path);
        else
            log_err("default zone: %s", rc == LANA_ENOMEM ? "out of memory" : d.msg);
    }
    store_close(st);
    return rc;
}

static void list_cb(const char *name, uint64_t records, void *arg)
{
    (void)arg;
    printf("%s\t%llu\n", name, (unsigned long long)records);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: lanad [--db PATH] zone import FILE|- [--origin NAME]\n"
                 "       lanad [--db PATH] zone export NAME\n"
                 "       lanad [--db PATH] zone list\n");
}

int zonecmd_main(const char *db_path, int argc, char **argv)
{
    static const struct option opts[] = {
        {"origin", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *origin = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': origin = optarg; break;
        case 'h': usage(stdout); return EX_OK;
        default:
            fprintf(stderr, "lanad zone: bad option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return EX_USAGE;
        }
    }
    /* getopt stopped at the subcommand; options may also follow its arguments */
    char *args[4];
    int nargs = 0;
    for (int i = optind + 1; i < argc; i++) {
        if (strcmp(argv[i], "--origin") == 0 && i + 1 < argc) {
            origin = argv[++i];
        } else if (strncmp(argv[i], "--origin=", 9) == 0) {
            origin = argv[i] + 9;
        } else if (nargs < 4) {
            args[nargs++] = argv[i];
        } else {
            usage(stderr);
            return EX_USAGE;
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    if (sub == NULL) {
        usage(stderr);
        return EX_USAGE;
    }
    struct store *st = NULL;
    struct lana_diag d;
    int rc;
    if (strcmp(sub, "import") == 0 && nargs == 1) {
        FILE *fp = strcmp(args[0], "-") == 0 ? stdin : fopen(args[0], "r");
        if (fp == NULL) {
            fprintf(stderr, "lanad: %s: %s\n", args[0], strerror(errno));
            return EX_NOINPUT;
        }
        struct zoneio_stats stats;
        if ((rc = store_open(db_path, &st, NULL, &d)) == 0)
            rc = zoneio_import(st, fp, strcmp(args[0], "-") == 0 ? "(stdin)" : args[0], origin,
                               &stats, &d);
        if (fp != stdin)
            fclose(fp);
        store_close(st);
        if (rc != 0) {
            fprintf(stderr, "lanad: %s\nlanad: nothing was imported\n", d.msg);
            return exit_for(rc);
        }
        printf("imported %llu records into zone %s\n", (unsigned long long)stats.records,
               stats.zone);
        return EX_OK;
    }
    if (strcmp(sub, "export") == 0 && nargs == 1) {
        if ((rc = store_open(db_path, &st, NULL, &d)) == 0)
            rc = zoneio_export(st, args[0], stdout, &d);
        store_close(st);
        if (rc != 0) {
            fprintf(stderr, "lanad: %s\n", d.msg);
            return rc == LANA_ENOTFOUND ? EX_NOINPUT : exit_for(rc);
        }
        return EX_OK;
    }
    if (strcmp(sub, "list") == 0 && nargs == 0) {
        if ((rc = store_open(db_path, &st, NULL, &d)) == 0)
            rc = zoneio_list(st, list_cb, NULL, &d);
        store_close(st);
        if (rc != 0) {
            fprintf(stderr, "lanad: %s\n", d.msg);
            return exit_for(rc);
        }
        return EX_OK;
    }
    usage(stderr);
    return EX_USAGE;
}
