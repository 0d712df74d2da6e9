/*
 * cli_key — lana key: add, list, show and del of the TSIG keys (RFC 8945) that secondaries
 * sign their zone transfers with; all admin's. `lana key show NAME --format knot|bind|nsd`
 * prints the key as the configuration of that server takes it (knot.conf's key: section,
 * named.conf's key statement, nsd.conf's key: clause); --format json the key object alone.
 * --format is ours: taken out before the request goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "client/out.h"
#include "client/out_reg.h"

static const char help_key[] =
    "usage: lana key add NAME [--algorithm hmac-sha256|hmac-sha512|hmac-sha1]\n"
    "                    [--secret BASE64] [--zone ZONE]...\n"
    "           a TSIG key for zone transfers (default hmac-sha256; without --secret a\n"
    "           random one as long as the hash); it may transfer the zones named, or every\n"
    "           zone without --zone\n"
    "       lana key list [--secrets]       the keys, their algorithms and zones\n"
    "       lana key show NAME [--format knot|bind|nsd|json]\n"
    "           the key with its secret; --format prints it as knot.conf, named.conf or\n"
    "           nsd.conf take it\n"
    "       lana key del NAME               the key stops working at the next request\n"
    "All of it is admin's. A transfer (AXFR, IXFR) is served when it is signed with a key\n"
    "allowed for the zone, or comes unsigned from an address in allow-transfer.\n";

static int usage_error(void)
{
    fputs(help_key, stderr);
    return LANA_EXIT_USAGE;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The key's name as the servers' configurations write it: without the final dot. */
static void bare_name(json_t *k, char *out, size_t size)
{
    const char *n = str(k, "name");
    size_t len = strlen(n);
    if (len > 1 && n[len - 1] == '.')
        len--;
    snprintf(out, size, "%.*s", (int)len, n);
}

static void print_zones(json_t *k)
{
    json_t *z = json_object_get(k, "zones"), *v;
    size_t i;
    if (json_is_string(z)) {
        fputs(json_string_value(z), stdout);
        return;
    }
    if (json_array_size(z) == 0)
        fputs("(none)", stdout);
    json_array_foreach(z, i, v)
        printf("%s%s", i ? "," : "", json_string_value(v));
}

static int print_format(json_t *k, const char *format)
{
    char name[256];
    bare_name(k, name, sizeof name);
    const char *alg = str(k, "algorithm"), *secret = str(k, "secret");
    if (strcmp(format, "knot") == 0) {
        printf("key:\n  - id: %s\n    algorithm: %s\n    secret: %s\n", name, alg, secret);
    } else if (strcmp(format, "bind") == 0) {
        printf("key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n", name, alg, secret);
    } else if (strcmp(format, "nsd") == 0) {
        printf("key:\n\tname: \"%s\"\n\talgorithm: %s\n\tsecret: \"%s\"\n", name, alg, secret);
    } else {
        char *s = json_dumps(k, JSON_COMPACT);
        if (s == NULL)
            return LANA_EXIT_SERVER;
        printf("%s\n", s);
        free(s);
    }
    return LANA_EXIT_OK;
}

static void print_key(json_t *k)
{
    printf("%-13s %s\n", "key:", str(k, "name"));
    printf("%-13s %s\n", "algorithm:", str(k, "algorithm"));
    if (json_object_get(k, "secret") != NULL)
        printf("%-13s %s\n", "secret:", str(k, "secret"));
    printf("%-13s ", "zones:");
    print_zones(k);
    printf("\n");
}

static void print_list(json_t *r)
{
    json_t *keys = json_object_get(r, "keys"), *k;
    size_t i;
    if (json_array_size(keys) == 0) {
        printf("(none)\n");
        return;
    }
    printf("%-32s %-12s %s\n", "KEY", "ALGORITHM", "ZONES");
    json_array_foreach(keys, i, k) {
        printf("%-32s %-12s ", str(k, "name"), str(k, "algorithm"));
        print_zones(k);
        if (json_object_get(k, "secret") != NULL)
            printf("  secret %s", str(k, "secret"));
        printf("\n");
    }
}

/* Prints an ok reply to argv[1] (add, list, show, del) in text or the format asked. */
static int print_ok(const char *reply, const char *sub, const char *format)
{
    json_error_t e;
    json_t *r = json_loads(reply, 0, &e);
    if (!json_is_object(r)) {
        json_decref(r);
        fprintf(stderr, "lana: a reply that is not JSON\n");
        return LANA_EXIT_PROTOCOL;
    }
    int rc = LANA_EXIT_OK;
    json_t *k = json_object_get(r, "key");
    if (format != NULL)
        rc = print_format(k, format);
    else if (strcmp(sub, "list") == 0)
        print_list(r);
    else if (strcmp(sub, "del") == 0)
        printf("%-13s %s\n", "deleted:", str(r, "deleted"));
    else
        print_key(k);
    json_decref(r);
    return rc;
}

int cli_key(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help_key, stdout);
            fputs("\n", stdout);
            fputs(clienv_help, stdout);
            return LANA_EXIT_OK;
        }
    if (argc < 2)
        return usage_error();
    const char *format = NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--format") != 0) {
            argv[n++] = argv[i];
            continue;
        }
        if (i + 1 >= argc || format != NULL)
            return usage_error();
        format = argv[++i];
    }
    argc = n;
    argv[argc] = NULL;
    if (format != NULL && strcmp(argv[1], "show") != 0)
        return usage_error();
    if (format != NULL && strcmp(format, "knot") != 0 && strcmp(format, "bind") != 0 &&
        strcmp(format, "nsd") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "lana: --format %s: knot, bind, nsd or json\n", format);
        return LANA_EXIT_USAGE;
    }
    struct regclient c;
    char *reply;
    int rc = cli_reg_ask(argc, argv, &c, &reply);
    if (rc != 0)
        return rc;
    if (strstr(reply, "\"ok\":true") == NULL || (clienv.json && format == NULL))
        rc = out_reg_reply(reply, argc, argv, 0, clienv.json);
    else
        rc = print_ok(reply, argv[1], format);
    cli_reg_close(&c);
    return rc;
}
