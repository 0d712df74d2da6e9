/*
 * cli_class — lana class create|report|delete. create writes one token file per account the
 * class made (the students and the class's registrar) into a directory, in the format lana
 * reads (common/tokfile.h: user=, token=, server=, and the TLS pin when lana verified the server
 * by one), so a student needs that one file and nothing else. The directory is checked before
 * anything is sent: a file that is there already is never overwritten. report prints the
 * students as a table, CSV or the reply's JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "client/out.h"
#include "common/num.h"
#include "common/regproto.h"
#include "common/tokfile.h"

#define CLASS_MAX_STUDENTS 9999 /* lanad's limit (db/class.h) */

static const char help_class[] =
    "usage: lana class create NAME --students N [--v4 /24] [--v6 /64] [--suffix lab.] --tokens "
    "DIR\n"
    "           a registrar account NAME holding a block of each family, and N students\n"
    "           NAME-01... each with an IPv4 and an IPv6 block and a zone NAME-01.lab.;\n"
    "           one token file per account in DIR (made 0700), in one transaction (admin)\n"
    "       lana class report NAME [--csv]   per student: blocks, zone, hosts, records, last\n"
    "                                        change (admin, or the class's registrar)\n"
    "       lana class delete NAME           resets the exercise: everything the class made\n"
    "                                        goes, in one transaction (the audit log stays)\n";

/* ---- one request and its reply --------------------------------------------------------- */

/* The TLS pin of the connection a request went over, for the token files. */
struct class_pin {
    bool have; /* the connection used TLS verified by a pin (as lana account --out) */
    uint8_t fp[TOKFILE_PIN_LEN];
};

_Static_assert(REGCLIENT_FP_LEN == TOKFILE_PIN_LEN, "a pin is the certificate's SHA-256");

/* Sends words, parses the reply into *out (ok:true); an error reply is printed. pin (may be
 * NULL) receives the connection's pin when it had one. Returns 0 or an exit status. */
static int ask(int argc, char **argv, json_t **out, struct class_pin *pin)
{
    struct regclient c;
    char *reply;
    if (pin != NULL)
        memset(pin, 0, sizeof *pin);
    int rc = cli_reg_ask(argc, argv, &c, &reply);
    if (rc != 0)
        return rc;
    json_error_t je;
    json_t *r = json_loads(reply, 0, &je);
    memset(reply, 0, strlen(reply)); /* it may hold tokens */
    if (!json_is_object(r)) {
        fprintf(stderr, "lana: the reply is not a JSON object\n");
        json_decref(r);
        rc = LANA_EXIT_PROTOCOL;
        goto out;
    }
    if (!json_is_true(json_object_get(r, "ok"))) {
        json_t *e = json_object_get(r, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        fprintf(stderr, "lana: %s\n", msg ? msg : "the request failed");
        rc = out_exit_of_reply(code ? code : "");
        json_decref(r);
        goto out;
    }
    *out = r;
    if (pin != NULL && c.ssl != NULL && clienv.used_pin) {
        memcpy(pin->fp, c.fp, sizeof pin->fp);
        pin->have = true;
    }
out:
    cli_reg_close(&c);
    return rc;
}

/* ---- create ---------------------------------------------------------------------------- */

/* "DIR/NAME.token" into buf; false when it does not fit. */
static bool token_path(const char *dir, const char *name, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/%s.token", dir, name);
    return n >= 0 && (size_t)n < size;
}

/* DIR exists (made 0700 when missing) and holds none of the class's token files. */
static int check_dir(const char *dir, const char *name, unsigned students)
{
    struct stat sb;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "lana: --tokens %s: %s; nothing was sent\n", dir, strerror(errno));
        return LANA_EXIT_CONFIG;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "lana: --tokens %s: not a directory; nothing was sent\n", dir);
        return LANA_EXIT_CONFIG;
    }
    unsigned width = 1;
    for (unsigned k = students; k >= 10; k /= 10)
        width++;
    width = width < 2 ? 2 : width;
    for (unsigned i = 0; i <= students; i++) {
        char acct[128], path[4096];
        int n = i == 0 ? snprintf(acct, sizeof acct, "%s", name)
                       : snprintf(acct, sizeof acct, "%s-%0*u", name, (int)width, i);
        if (n < 0 || (size_t)n >= sizeof acct || !token_path(dir, acct, path, sizeof path)) {
            fprintf(stderr, "lana: class name %s: too long; nothing was sent\n", name);
            return LANA_EXIT_INVALID;
        }
        if (lstat(path, &sb) == 0 || errno != ENOENT) {
            fprintf(stderr,
                    "lana: %s is there already: choose another --tokens directory "
                    "(or remove the old files); nothing was sent\n",
                    path);
            return LANA_EXIT_CONFLICT;
        }
    }
    return 0;
}

/* One token file, 0600, never over an existing file or through a symlink; with the pin when
 * there is one. A file that could not be written whole is closed and removed. Returns 0, or
 * LANA_EXIT_PROTOCOL (no valid token in the reply), LANA_EXIT_SERVER (the text does not
 * fit), LANA_EXIT_CONFIG (the file could not be made or written), the message printed. */
static int write_token(const char *dir, const char *user, const char *hex,
                       const struct class_pin *pin)
{
    struct tokfile t;
    char path[4096], text[TOKFILE_TEXT_MAX];
    memset(&t, 0, sizeof t);
    snprintf(t.user, sizeof t.user, "%s", user);
    snprintf(t.server, sizeof t.server, "%s", clienv.used_server);
    if (hex == NULL || auth_unhex(hex, t.token, sizeof t.token) != 0) {
        fprintf(stderr, "lana: the reply holds no valid token for %s\n", user);
        return LANA_EXIT_PROTOCOL;
    }
    if (pin->have) {
        memcpy(t.pin, pin->fp, sizeof t.pin);
        t.have_pin = true;
    }
    int len = tokfile_format(&t, text, sizeof text);
    memset(&t, 0, sizeof t);
    if (len < 0 || !token_path(dir, user, path, sizeof path))
        return LANA_EXIT_SERVER;
    int rc = 0, e = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = errno;
        rc = LANA_EXIT_CONFIG;
        goto out;
    }
    ssize_t w = write(fd, text, (size_t)len);
    if (w != len) /* an error, or a short write (a full disk, a file size limit) */
        e = w < 0 ? errno : EIO;
    else if (fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e != 0) {
        unlink(path); /* ours: O_EXCL made it */
        rc = LANA_EXIT_CONFIG;
    }
out:
    memset(text, 0, sizeof text);
    if (rc != 0)
        fprintf(stderr, "lana: %s: %s\n", path, strerror(e));
    return rc;
}

static int class_create(int argc, char **argv, const char *dir, unsigned students)
{
    json_t *r = NULL;
    struct class_pin pin;
    int rc = check_dir(dir, argv[2], students);
    if (rc == 0)
        rc = ask(argc, argv, &r, &pin);
    if (rc != 0)
        return rc;
    json_t *accts = json_object_get(r, "accounts"), *a;
    size_t i, written = 0;
    json_array_foreach(accts, i, a)
    {
        const char *user = json_string_value(json_object_get(a, "name"));
        const char *hex = json_string_value(json_object_get(a, "token"));
        if (user == NULL || (rc = write_token(dir, user, hex, &pin)) != 0)
            break;
        written++;
        json_object_del(a, "token"); /* shown nowhere else */
    }
    json_t *cl = json_object_get(r, "class");
    if (rc != 0) {
        fprintf(stderr,
                "lana: class %s was made, but only %zu of its token files were "
                "written; 'lana class delete %s' resets it\n",
                json_string_value(json_object_get(cl, "name")), written,
                json_string_value(json_object_get(cl, "name")));
    } else if (clienv.json) {
        char *s = json_dumps(r, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
    } else {
        printf("class %s: %lld students in %s, %s and %s; %zu token files in %s\n",
               json_string_value(json_object_get(cl, "name")),
               (long long)json_integer_value(json_object_get(cl, "students")),
               json_string_value(json_object_get(cl, "suffix")),
               json_string_value(json_object_get(cl, "v4")),
               json_string_value(json_object_get(cl, "v6")), written, dir);
    }
    json_decref(r);
    return rc;
}

/* ---- report, delete -------------------------------------------------------------------- */

static void when(json_int_t ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "-");
}

static int class_report(int argc, char **argv, bool csv)
{
    json_t *r = NULL;
    int rc = ask(argc, argv, &r, NULL);
    if (rc != 0)
        return rc;
    json_t *st = json_object_get(r, "students"), *s;
    size_t i;
    if (clienv.json) {
        char *t = json_dumps(r, JSON_COMPACT);
        printf("%s\n", t ? t : "{}");
        free(t);
        json_decref(r);
        return 0;
    }
    printf(csv ? "name,v4,v6,zone,hosts,records,last_change\n"
               : "%-16s %-18s %-24s %-24s %5s %7s  %s\n",
           "STUDENT", "IPV4", "IPV6", "ZONE", "HOSTS", "RECORDS", "LAST CHANGE");
    json_array_foreach(st, i, s)
    {
        json_t *bl = json_object_get(s, "blocks");
        const char *v4 = "", *v6 = "";
        for (size_t k = 0; k < json_array_size(bl); k++) {
            const char *b = json_string_value(json_array_get(bl, k));
            if (b != NULL && strchr(b, ':') != NULL && *v6 == '\0')
                v6 = b;
            else if (b != NULL && strchr(b, ':') == NULL && *v4 == '\0')
                v4 = b;
        }
        char last[32];
        when(json_integer_value(json_object_get(s, "last")), last, sizeof last);
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *zone = json_string_value(json_object_get(s, "zone"));
        long long hosts = json_integer_value(json_object_get(s, "hosts"));
        long long recs = json_integer_value(json_object_get(s, "records"));
        printf(csv ? "%s,%s,%s,%s,%lld,%lld,%s\n" : "%-16s %-18s %-24s %-24s %5lld %7lld  %s\n",
               name ? name : "", v4, v6, zone && *zone ? zone : "-", hosts, recs, last);
    }
    json_decref(r);
    return 0;
}

static int class_delete(int argc, char **argv)
{
    json_t *r = NULL;
    int rc = ask(argc, argv, &r, NULL);
    if (rc != 0)
        return rc;
    if (clienv.json) {
        char *t = json_dumps(r, JSON_COMPACT);
        printf("%s\n", t ? t : "{}");
        free(t);
    } else {
        printf("class %s deleted:", json_string_value(json_object_get(r, "deleted")));
        static const char *const what[][2] = {
            {"accounts", "account"}, {"zones", "zone"}, {"blocks", "block"}, {"hosts", "host"}};
        for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
            long long n = (long long)json_integer_value(json_object_get(r, what[i][0]));
            printf("%s %lld %s", i ? "," : "", n, what[i][n == 1]);
        }
        printf("\n");
    }
    json_decref(r);
    return 0;
}

/* ---- the command ----------------------------------------------------------------------- */

/* Takes "--NAME VALUE" or the flag "--NAME" out of argv (in place); its value, or NULL. */
static const char *take(int *argc, char **argv, const char *opt, bool flag, bool *seen)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], opt) != 0 || (!flag && i + 1 >= *argc))
            continue;
        int n = flag ? 1 : 2;
        const char *v = flag ? opt : argv[i + 1];
        memmove(&argv[i], &argv[i + n], (size_t)(*argc - i - n + 1) * sizeof *argv);
        *argc -= n;
        if (seen)
            *seen = true;
        return v;
    }
    return NULL;
}

int cli_class(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s\n%s", help_class, clienv_help);
            return LANA_EXIT_OK;
        }
    if (argc < 3) {
        fputs(help_class, stderr);
        return LANA_EXIT_USAGE;
    }
    if (strcmp(argv[1], "create") == 0) {
        const char *dir = take(&argc, argv, "--tokens", false, NULL);
        uint64_t n = 0;
        struct lana_diag d;
        if (dir == NULL) {
            fprintf(stderr, "lana: class create: --tokens DIR is required (where the token "
                            "files go)\n");
            return LANA_EXIT_USAGE;
        }
        for (int i = 3; i + 1 < argc; i++)
            if (strcmp(argv[i], "--students") == 0 &&
                num_parse_u64(argv[i + 1], 1, CLASS_MAX_STUDENTS, &n, &d) != 0) {
                fprintf(stderr, "lana: --students: %s\n", d.msg);
                return LANA_EXIT_INVALID;
            }
        if (n == 0) {
            fprintf(stderr, "lana: class create: --students N is required\n");
            return LANA_EXIT_USAGE;
        }
        return class_create(argc, argv, dir, (unsigned)n);
    }
    if (strcmp(argv[1], "report") == 0) {
        bool csv = false;
        take(&argc, argv, "--csv", true, &csv);
        return class_report(argc, argv, csv);
    }
    if (strcmp(argv[1], "delete") == 0)
        return class_delete(argc, argv);
    fputs(help_class, stderr);
    return LANA_EXIT_USAGE;
}
