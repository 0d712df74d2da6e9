/*
 * checkcmd — see checkcmd.h.
 */
#include "server/checkcmd.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "common/jsonw.h"
#include "db/check.h"

struct out {
    bool json;
    struct jsonw j; /* with --json: the findings array being written */
};

static int print_cb(const struct check_finding *f, void *arg)
{
    struct out *o = arg;
    if (o->json) {
        jsonw_obj(&o->j);
        jsonw_kstr(&o->j, "code", check_code_name(f->code));
        jsonw_kstr(&o->j, "object", f->object);
        jsonw_kstr(&o->j, "message", f->message);
        jsonw_end(&o->j);
        return jsonw_ok(&o->j) ? 0 : 1;
    }
    printf("%s %s: %s\n", check_code_name(f->code), f->object, f->message);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: lanad [--db PATH] check [--db PATH] [--json]\n");
}

static int exit_for(int rc)
{
    switch (rc) {
    case LANA_ENOTFOUND: return EX_NOINPUT;
    case LANA_EIO: return EX_IOERR;
    default: return EX_SOFTWARE;
    }
}

int checkcmd_main(const char *db_path, int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct out o = {.json = false};
    int c;
    optind = 1; /* argv[0] is "check" */
    while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'j': o.json = true; break;
        case 'h': usage(stdout); return EX_OK;
        default:
            fprintf(stderr, "lanad check: bad option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return EX_USAGE;
    }
    jsonw_init(&o.j);
    if (o.json) {
        jsonw_obj(&o.j);
        jsonw_kstr(&o.j, "db", db_path);
        jsonw_key(&o.j, "findings");
        jsonw_arr(&o.j);
    }
    struct check_stats st;
    struct lana_diag d;
    int rc = check_run(db_path, print_cb, &o, &st, &d);
    int status = rc < 0 ? exit_for(rc) : rc > 0 ? EX_DATAERR : EX_OK;
    if (o.json) {
        jsonw_end(&o.j);
        if (rc < 0)
            jsonw_kstr(&o.j, "error", d.msg);
        jsonw_kbool(&o.j, "ok", rc == 0);
        jsonw_kint(&o.j, "blocks", st.blocks);
        jsonw_kint(&o.j, "hosts", st.hosts);
        jsonw_kint(&o.j, "zones", st.zones);
        jsonw_kint(&o.j, "records", st.records);
        jsonw_kint(&o.j, "count", st.findings);
        jsonw_end(&o.j);
        if (!jsonw_ok(&o.j)) {
            fprintf(stderr, "lanad check: out of memory\n");
            status = EX_SOFTWARE;
        } else {
            printf("%s\n", o.j.s);
        }
    }
    jsonw_free(&o.j);
    if (rc < 0) {
        fprintf(stderr, "lanad check: %s\n", d.msg);
    } else if (rc > 0) {
        fprintf(stderr, "lanad check: %lld finding%s in %s\n", (long long)st.findings,
                st.findings == 1 ? "" : "s", db_path);
    } else if (!o.json) {
        printf("ok: %lld blocks, %lld hosts, %lld zones checked\n", (long long)st.blocks,
               (long long)st.hosts, (long long)st.zones);
    }
    return status;
}
