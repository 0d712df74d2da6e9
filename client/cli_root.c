/*
 * cli_root — lana root add|del|hints: the lab's root servers (lanad's db/root.h). hints
 * prints them as a root hints file in the format of the Internet's named.root, which a
 * resolver reads (unbound's root-hints:, BIND's hint zone); --json prints the reply as it came.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "client/out.h"

static const char help_root[] =
    "usage: lana root add NAME ADDR...   a root server of the lab (admin): NAME becomes the NS\n"
    "                                    of `.` and of every zone lanad serves, ADDR (IPv4 or\n"
    "                                    IPv6, up to 4) its addresses, glue where needed;\n"
    "                                    again with other ADDRs to change them\n"
    "       lana root del NAME           no longer a root server (admin; not the last one)\n"
    "       lana root hints              the root hints file for a resolver (named.root format)\n";

/* The reply as a root hints file: `.  TTL NS NAME` lines, then each name's addresses. */
static void print_hints(json_t *r)
{
    json_int_t ttl = json_integer_value(json_object_get(r, "ttl"));
    json_t *servers = json_object_get(r, "servers"), *s;
    size_t i;
    printf(";       root hints of the lab (lana root hints): %zu server%s\n",
           json_array_size(servers), json_array_size(servers) == 1 ? "" : "s");
    json_array_foreach(servers, i, s)
    {
        const char *name = json_string_value(json_object_get(s, "name"));
        printf(".                        %-10lld NS    %s\n", (long long)ttl, name ? name : "?");
    }
    json_array_foreach(servers, i, s)
    {
        const char *name = json_string_value(json_object_get(s, "name"));
        json_t *addr;
        size_t k;
        json_array_foreach(json_object_get(s, "addresses"), k, addr)
        {
            const char *a = json_string_value(addr);
            printf("%-24s %-10lld %-5s %s\n", name ? name : "?", (long long)ttl,
                   a && strchr(a, ':') ? "AAAA" : "A", a ? a : "?");
        }
    }
}

int cli_root(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s\n%s", help_root, clienv_help);
            return LANA_EXIT_OK;
        }
    if (argc < 2) {
        fputs(help_root, stderr);
        return LANA_EXIT_USAGE;
    }
    struct regclient c;
    char *reply;
    int rc = cli_reg_ask(argc, argv, &c, &reply);
    if (rc != 0)
        return rc;
    json_t *r = json_loads(reply, 0, NULL);
    if (!json_is_object(r)) {
        fprintf(stderr, "lana: the server sent something that is not JSON: %.200s\n", reply);
        rc = LANA_EXIT_PROTOCOL;
    } else if (!json_is_true(json_object_get(r, "ok"))) {
        json_t *e = json_object_get(r, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        if (clienv.json)
            puts(reply);
        else
            fprintf(stderr, "lana: %s\n", msg ? msg : "the request failed");
        rc = out_exit_of_reply(json_string_value(json_object_get(e, "code")) ?: "");
    } else if (clienv.json) {
        puts(reply);
    } else if (strcmp(argv[1], "hints") == 0) {
        print_hints(r);
    } else {
        const char *what = json_object_get(r, "added") ? "added" : "deleted";
        const char *name = json_string_value(json_object_get(r, what));
        json_int_t zones = json_integer_value(json_object_get(r, "zones"));
        printf("root server %s %s: %lld zone%s changed, %zu root server%s\n", name ? name : "?",
               what, (long long)zones, zones == 1 ? "" : "s",
               json_array_size(json_object_get(r, "servers")),
               json_array_size(json_object_get(r, "servers")) == 1 ? "" : "s");
    }
    json_decref(r);
    cli_reg_close(&c);
    return rc;
}
