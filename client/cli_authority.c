/*
 * cli_authority — `lana authority [ACCOUNT]`: every object an account may change and why,
 * grouped by kind (blocks, zones, registry zones it may register below, accounts); the
 * asker's own without ACCOUNT. With --json the reply is printed as it came.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "common/regproto.h"
#include "common/text.h"

static const char help_authority[] =
    "usage: lana authority [ACCOUNT]\n"
    "Every object ACCOUNT (by default, the one signed in) may change, and why: the blocks it\n"
    "maintains and those inside them, the zones it sponsors or is the registrant of and those\n"
    "below them, the registry zones a registrar may register names below, and the accounts\n"
    "it manages (its own token; a registrar's customers). An admin may change everything.\n";

/* s for the terminal: a control character (never in what lanad writes, but a reply is
 * input) is shown as U+FFFD. Returns s itself when clean, else a copy kept in *tmp. */
static const char *clean(const char *s, char **tmp)
{
    size_t n = strlen(s), bad = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += text_utf8_next(s + i, n - i, &cp);
        bad += text_is_control(cp) || cp == TEXT_INVALID;
    }
    free(*tmp);
    *tmp = NULL;
    if (bad == 0 || (*tmp = malloc(n + 2 * bad + 1)) == NULL)
        return bad == 0 ? s : "?";
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t step = text_utf8_next(s + i, n - i, &cp);
        if (text_is_control(cp) || cp == TEXT_INVALID) {
            memcpy(*tmp + len, "\xef\xbf\xbd", 3);
            len += 3;
        } else {
            memcpy(*tmp + len, s + i, step);
            len += step;
        }
        i += step;
    }
    (*tmp)[len] = '\0';
    return *tmp;
}

static const char *str_of(json_t *o, const char *k, char **tmp)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? clean(s, tmp) : "";
}

static void print_authority(json_t *r)
{
    static const struct {
        const char *kind, *title;
    } groups[] = {{"block", "blocks"},
                  {"zone", "zones"},
                  {"registry", "may register below"},
                  {"account", "accounts"}};
    char *t1 = NULL, *t2 = NULL, *t3 = NULL;
    const char *name = str_of(r, "account", &t1), *role = str_of(r, "role", &t2),
               *sponsor = str_of(r, "sponsor", &t3);
    json_t *objs = json_object_get(r, "objects");
    printf("%s (%s%s%s)", name, role, sponsor[0] ? ", customer of " : "", sponsor);
    if (!json_is_true(json_object_get(r, "enabled")))
        printf(" is disabled: it may change nothing\n");
    else if (json_is_true(json_object_get(r, "everything")))
        printf(" may change everything: admin is the registry operator\n");
    else if (json_array_size(objs) == 0)
        printf(" may change nothing\n");
    else
        printf(" may change:\n");
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        bool head = false;
        size_t i;
        json_t *o;
        json_array_foreach(objs, i, o)
        {
            if (strcmp(json_string_value(json_object_get(o, "kind")) ?: "", groups[g].kind) != 0)
                continue;
            if (!head)
                printf("%s\n", groups[g].title);
            head = true;
            char *a = NULL, *b = NULL;
            printf("  %-40s %s\n", str_of(o, "name", &a), str_of(o, "reason", &b));
            free(a);
            free(b);
        }
    }
    if (json_is_true(json_object_get(r, "truncated")))
        printf("(the list was cut at %lld objects)\n",
               (long long)json_integer_value(json_object_get(r, "count")));
    free(t1);
    free(t2);
    free(t3);
}

int cli_authority(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s\n%s", help_authority, clienv_help);
            return LANA_EXIT_OK;
        }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fputs(help_authority, stderr);
        return LANA_EXIT_USAGE;
    }
    char line[REGPROTO_LINE_MAX];
    struct lana_diag d;
    if (argc == 2 && text_check(argv[1], strlen(argv[1]), REGPROTO_LINE_MAX, 0, "ACCOUNT", &d) != 0) {
        fprintf(stderr, "lana: %s; nothing was sent\n", d.msg);
        return LANA_EXIT_INVALID;
    }
    int n = regproto_append_word(line, sizeof line, 0, "authority");
    if (n >= 0 && argc == 2)
        n = regproto_append_word(line, sizeof line, (size_t)n, argv[1]);
    if (n < 0) {
        fprintf(stderr, "lana: the command is longer than %d bytes\n", REGPROTO_LINE_MAX - 1);
        return LANA_EXIT_USAGE;
    }
    struct regclient c;
    int rc = clienv_connect(&c, false);
    if (rc != 0)
        return rc;
    char *reply;
    int err;
    if ((err = regclient_send(&c, line, &d)) != 0 || (err = regclient_recv(&c, &reply, &d)) != 0) {
        fprintf(stderr, "lana: %s\n", d.msg);
        rc = out_exit_of(err);
    } else {
        json_t *r = json_loads(reply, 0, NULL);
        if (!json_is_object(r)) {
            fprintf(stderr, "lana: the server sent something that is not JSON: %.200s\n", reply);
            rc = LANA_EXIT_PROTOCOL;
        } else if (!json_is_true(json_object_get(r, "ok"))) {
            json_t *e = json_object_get(r, "error");
            char *t = NULL;
            if (clienv.json)
                puts(reply);
            else
                fprintf(stderr, "lana: %s\n", str_of(e, "message", &t));
            free(t);
            rc = out_exit_of_reply(json_string_value(json_object_get(e, "code")) ?: "");
        } else if (clienv.json) {
            puts(reply);
        } else {
            print_authority(r);
        }
        json_decref(r);
    }
    regclient_send(&c, "quit", &d);
    regclient_close(&c);
    return rc;
}
