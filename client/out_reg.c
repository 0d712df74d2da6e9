/*
 * out_reg — see out_reg.h. Each printer takes the whole reply object; its members are the ones
 * server/regcmd.c writes for that command.
 */
#include "client/out_reg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/out.h"
#include "common/text.h"

/* ---- pieces ------------------------------------------------------------------------------- */

/*
 * A string member of o for the terminal ("" when there is none). A control character in it
 * (text stored before lanad checked it; the JSON carries it escaped) would reach the terminal
 * raw, where an escape sequence can rewrite the screen: it is shown as U+FFFD instead, except
 * the tabs and newlines of a multi-line text (lines: a zone file). The cleaned copy replaces
 * the member, so the pointer lives as long as o.
 */
static const char *text_of(json_t *o, const char *k, bool lines)
{
    json_t *v = json_object_get(o, k);
    const char *s = json_string_value(v);
    if (s == NULL)
        return "";
    size_t n = json_string_length(v), bad = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += text_utf8_next(s + i, n - i, &cp);
        bad += text_is_control(cp) && !(lines && (cp == '\t' || cp == '\n'));
    }
    char *clean = bad ? malloc(n + 2 * bad + 1) : NULL; /* each becomes 3 bytes */
    if (clean == NULL)
        return bad ? "?" : s;
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t step = text_utf8_next(s + i, n - i, &cp);
        if (text_is_control(cp) && !(lines && (cp == '\t' || cp == '\n'))) {
            memcpy(clean + len, "\xef\xbf\xbd", 3);
            len += 3;
        } else {
            memcpy(clean + len, s + i, step);
            len += step;
        }
        i += step;
    }
    json_t *c = json_stringn(clean, len);
    free(clean);
    if (c == NULL || json_object_set_new(o, k, c) != 0)
        return "?";
    return json_string_value(c);
}

static const char *str(json_t *o, const char *k)
{
    return text_of(o, k, false);
}

static double num(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static void print_time(const char *label, json_t *o, const char *k)
{
    time_t t = (time_t)json_integer_value(json_object_get(o, k));
    struct tm tm;
    char buf[64];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("%-13s %s\n", label, buf);
}

static void block_line(json_t *b)
{
    printf("%-24s %-10s %s\n", str(b, "prefix"), str(b, "status"), str(b, "holder"));
}

/* "12.50%", and "<0.01%" rather than a misleading 0.00% for a sliver of IPv6 space */
static const char *pct_text(double p, char buf[16])
{
    int n = p > 0 && p < 0.01 ? snprintf(buf, 16, "<0.01%%") : snprintf(buf, 16, "%.2f%%", p);
    if (n < 0 || n >= 16) /* no percentage is that long: the server sent nonsense */
        memcpy(buf, "?%", 3);
    return buf;
}

/* One row of a block table, indented by depth (the prefix column stays 30 wide). */
static void block_row(json_t *b, int depth)
{
    char pc[16];
    int ind = depth > 0 ? depth * 2 : 0;
    printf("%*s%-*s %-10s %-14s %8s  %s/%s%s%s\n", ind, "", ind < 30 ? 30 - ind : 0,
           str(b, "prefix"), str(b, "status"), str(b, "holder"), pct_text(num(b, "percent"), pc),
           str(b, "used"), str(b, "size"), *str(b, "description") ? "  " : "",
           str(b, "description"));
}

static void table_header(void)
{
    printf("%-30s %-10s %-14s %8s  %s\n", "PREFIX", "STATUS", "HOLDER", "USED",
           "ADDRESSES USED/SIZE");
}

static void print_block_show(json_t *r)
{
    json_t *b = json_object_get(r, "block");
    printf("%-13s %s\n", "prefix:", str(b, "prefix"));
    printf("%-13s %s\n", "status:", str(b, "status"));
    printf("%-13s %s\n", "maintainer:", str(b, "maintainer"));
    printf("%-13s %s\n", "holder:", str(b, "holder"));
    printf("%-13s %s\n", "description:", str(b, "description"));
    printf("%-13s %s addresses\n", "size:", str(b, "size"));
    char pc[16];
    printf("%-13s %s addresses (%s) in %lld block%s\n", "used:", str(b, "used"),
           pct_text(num(b, "percent"), pc),
           (long long)json_integer_value(json_object_get(b, "children")),
           json_integer_value(json_object_get(b, "children")) == 1 ? "" : "s");
    printf("%-13s", "chain:");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "chain"), i, v)
        printf("%s %s", i ? " >" : "", str(v, "prefix"));
    printf("\n%-13s", "free:");
    json_array_foreach(json_object_get(r, "free"), i, v) printf(" %s", json_string_value(v));
    if (json_is_true(json_object_get(r, "free_more")))
        printf(" ...");
    printf("\n");
    print_time("created:", b, "created");
    print_time("updated:", b, "updated");
}

static void print_log_entry(json_t *e)
{
    long long ms = json_integer_value(json_object_get(e, "ts_ms"));
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[64];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    printf("%s.%03lld  %-28s %-14s %s\n", buf, ms % 1000, str(e, "actor"), str(e, "action"),
           str(e, "object"));
}

/* ---- secondaries (zone secondaries, zone show, zone notify) ------------------------------ */

/* A time of the server's in ms since the epoch as UTC text, "never" for null. */
static const char *when(json_t *o, const char *k, char buf[32])
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return "never";
    time_t t = (time_t)(json_integer_value(v) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

static long long ival(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void print_secondary(json_t *s)
{
    char t[32];
    json_t *n = json_object_get(s, "notify"), *x = json_object_get(s, "transfer");
    json_t *sent = json_object_get(n, "sent"), *ans = json_object_get(n, "answered");
    json_t *gave = json_object_get(n, "gave_up");
    printf("%s %s", str(s, "zone"), str(s, "address"));
    if (json_is_true(json_object_get(s, "notify_target")))
        printf(" (NOTIFY target, port %lld)", ival(s, "notify_port"));
    if (json_is_integer(json_object_get(s, "serial")))
        printf(": has serial %lld", ival(s, "serial"));
    printf("\n");
    if (sent != NULL)
        printf("  notify sent:     serial %lld, try %lld, %s\n", ival(sent, "serial"),
               ival(sent, "tries"), when(sent, "time_ms", t));
    if (ans != NULL)
        printf("  notify answered: serial %lld after %lld tr%s (rcode %lld), %s\n",
               ival(ans, "serial"), ival(ans, "tries"), ival(ans, "tries") == 1 ? "y" : "ies",
               ival(ans, "rcode"), when(ans, "time_ms", t));
    if (gave != NULL)
        printf("  notify given up: serial %lld, %s\n", ival(gave, "serial"),
               when(gave, "time_ms", t));
    printf("  soa query:       %s\n", when(s, "soa_query_ms", t));
    if (json_is_object(x))
        printf("  transfer:        %s serial %lld, %lld bytes, %s\n", str(x, "kind"),
               ival(x, "serial"), ival(x, "bytes"), when(x, "time_ms", t));
    else
        printf("  transfer:        none\n");
}

static void print_secondaries(json_t *r)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "secondaries"), i, v) print_secondary(v);
    if (json_array_size(json_object_get(r, "secondaries")) == 0)
        printf("no secondary known\n");
}

static void print_notify(json_t *r)
{
    size_t i;
    json_t *v, *tg = json_object_get(r, "targets");
    if (json_object_get(r, "added") != NULL)
        printf("%s: NOTIFY target %s added\n", str(r, "zone"), str(r, "added"));
    else if (json_object_get(r, "deleted") != NULL)
        printf("%s: NOTIFY target %s deleted\n", str(r, "zone"), str(r, "deleted"));
    else if (json_array_size(tg) == 0)
        printf("%s: no NOTIFY target of its own\n", str(r, "zone"));
    json_array_foreach(tg, i, v) printf("%s %s\n", str(v, "zone"), str(v, "target"));
}

static void print_zone(json_t *r)
{
    size_t i;
    json_t *v;
    json_t *z = json_object_get(r, "zone");
    printf("%-30s serial %lld, %lld records, %lld hosts%s\n", str(z, "name"),
           (long long)json_integer_value(json_object_get(z, "serial")),
           (long long)json_integer_value(json_object_get(z, "records")),
           (long long)json_integer_value(json_object_get(z, "hosts")),
           json_is_true(json_object_get(z, "reverse"))   ? " (reverse)"
           : json_is_true(json_object_get(z, "catalog")) ? " (catalog, kept by lanad)"
                                                         : "");
    printf("registrant %s, sponsor %s\n", str(z, "registrant"), str(z, "sponsor"));
    json_t *bl = json_object_get(r, "blocks");
    if (json_array_size(bl) > 0) {
        printf("default blocks:");
        json_array_foreach(bl, i, v) printf(" %s", json_string_value(v));
        printf("\n");
    }
    if (json_array_size(json_object_get(r, "secondaries")) > 0)
        print_secondaries(r);
}

/* ---- one printer per (verb, subcommand) --------------------------------------------------- */

static void print_block(json_t *r)
{
    block_line(json_object_get(r, "block"));
}
static void print_pool(json_t *r)
{
    block_line(json_object_get(r, "pool"));
}

static void print_pool_deleted(json_t *r)
{
    printf("deleted pool %s\n", str(json_object_get(r, "deleted"), "prefix"));
}

static void print_released(json_t *r)
{
    long long n = json_integer_value(json_object_get(r, "blocks"));
    long long h = json_integer_value(json_object_get(r, "hosts"));
    printf("released %s (%lld block%s", str(r, "released"), n, n == 1 ? "" : "s");
    if (h > 0)
        printf(", %lld host%s deleted", h, h == 1 ? "" : "s");
    printf(")\n");
}

/* pool list, block list: a table, or "(none)" */
static void print_table(json_t *a)
{
    size_t i;
    json_t *v;
    if (json_array_size(a) == 0)
        printf("(none)\n");
    else
        table_header();
    json_array_foreach(a, i, v) block_row(v, 0);
}

static void print_pools(json_t *r)
{
    print_table(json_object_get(r, "pools"));
}
static void print_blocks(json_t *r)
{
    print_table(json_object_get(r, "blocks"));
}

static void print_tree(json_t *r)
{
    size_t i;
    json_t *v;
    table_header();
    json_array_foreach(json_object_get(r, "tree"), i, v)
        block_row(v, (int)json_integer_value(json_object_get(v, "depth")));
    if (json_is_true(json_object_get(r, "truncated")))
        printf("(cut at 100000 blocks)\n");
}

/* whois: the chain from the root pool down, indented */
static void print_chain(json_t *r)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "chain"), i, v)
    {
        printf("%*s%-*s %-10s %-14s %s\n", (int)i * 2, "", 30 - (int)i * 2, str(v, "prefix"),
               str(v, "status"), *str(v, "holder") ? str(v, "holder") : "-", str(v, "description"));
    }
}

static void print_log(json_t *r)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "log"), i, v) print_log_entry(v);
}

static void print_zone_deleted(json_t *r)
{
    printf("deleted zone %s\n", str(r, "deleted"));
}

static void print_zones(json_t *r)
{
    size_t i;
    json_t *v;
    printf("%-34s %12s %8s %6s\n", "ZONE", "SERIAL", "RECORDS", "HOSTS");
    json_array_foreach(json_object_get(r, "zones"), i, v)
        printf("%-34s %12lld %8lld %6lld%s\n", str(v, "name"),
               (long long)json_integer_value(json_object_get(v, "serial")),
               (long long)json_integer_value(json_object_get(v, "records")),
               (long long)json_integer_value(json_object_get(v, "hosts")),
               json_is_true(json_object_get(v, "catalog")) ? "  catalog" : "");
}

static void print_text(json_t *r)
{
    fputs(text_of(r, "text", true), stdout);
}

static void print_imported(json_t *r)
{
    printf("imported %lld records into zone %s\n",
           (long long)json_integer_value(json_object_get(r, "records")), str(r, "imported"));
}

static void host_line(json_t *h)
{
    printf("%-28s %-16s %s\n", str(h, "name"), *str(h, "v4") ? str(h, "v4") : "-",
           *str(h, "v6") ? str(h, "v6") : "-");
}

static void print_host(json_t *r)
{
    host_line(json_object_get(r, "host"));
}

static void print_host_deleted(json_t *r)
{
    printf("deleted host %s\n", str(json_object_get(r, "deleted"), "name"));
}

static void print_hosts(json_t *r)
{
    size_t i;
    json_t *v, *a = json_object_get(r, "hosts");
    if (json_array_size(a) == 0)
        printf("(none)\n");
    else
        printf("%-28s %-16s %s\n", "HOST", "IPV4", "IPV6");
    json_array_foreach(a, i, v) host_line(v);
}

static void print_record(json_t *r)
{
    json_t *x = json_object_get(r, "record");
    printf("%s %s %s\n", str(x, "name"), str(x, "type"), str(x, "data"));
}

static void print_record_deleted(json_t *r)
{
    long long n = json_integer_value(json_object_get(r, "deleted"));
    printf("deleted %lld record%s\n", n, n == 1 ? "" : "s");
}

static void print_service(json_t *r)
{
    json_t *x = json_object_get(r, "service");
    printf("%s/%s port %lld\n", str(x, "name"), str(x, "proto"),
           (long long)json_integer_value(json_object_get(x, "port")));
}

static void print_service_deleted(json_t *r)
{
    printf("deleted service %s/%s\n", str(r, "deleted"), str(r, "proto"));
}

static void print_services(json_t *r)
{
    size_t i;
    json_t *v;
    printf("%-16s %-5s %6s %6s  %s\n", "SERVICE", "PROTO", "PORT", "BOUND", "DESCRIPTION");
    json_array_foreach(json_object_get(r, "services"), i, v)
        printf("%-16s %-5s %6lld %6lld  %s\n", str(v, "name"), str(v, "proto"),
               (long long)json_integer_value(json_object_get(v, "port")),
               (long long)json_integer_value(json_object_get(v, "bound")), str(v, "description"));
}

/* service bind and unbind; bind also shows the SRV records it published, one per line in
 * zone file form (OWNER TTL IN SRV PRIORITY WEIGHT PORT TARGET) */
static void print_bound(json_t *r)
{
    bool b = json_object_get(r, "bound") != NULL;
    long long n = json_integer_value(json_object_get(r, "records"));
    size_t i;
    json_t *v;
    printf("%s %s %s (%lld SRV record%s)\n", str(r, b ? "bound" : "unbound"),
           b ? "bound to" : "unbound from", str(r, "host"), n, n == 1 ? "" : "s");
    json_array_foreach(json_object_get(r, "srv"), i, v)
        printf("  %s %lld IN SRV %lld %lld %lld %s\n", str(v, "owner"),
               (long long)json_integer_value(json_object_get(v, "ttl")),
               (long long)json_integer_value(json_object_get(v, "priority")),
               (long long)json_integer_value(json_object_get(v, "weight")),
               (long long)json_integer_value(json_object_get(v, "port")), str(v, "target"));
}

/* an account (never its key: the server does not send it), and a new token when it came */
static void print_account(json_t *r)
{
    json_t *a = json_object_get(r, "account");
    printf("%-13s %s\n", "account:", str(a, "name"));
    printf("%-13s %s\n", "role:", str(a, "role"));
    printf("%-13s %s\n", "sponsor:", *str(a, "sponsor") ? str(a, "sponsor") : "- (admin's)");
    printf("%-13s %s\n", "class:", *str(a, "class") ? str(a, "class") : "-");
    printf("%-13s %s\n", "enabled:", json_is_true(json_object_get(a, "enabled")) ? "yes" : "no");
    print_time("created:", a, "created");
    print_time("updated:", a, "updated");
    if (json_object_get(r, "token") != NULL)
        printf("%-13s %s\n", "token:", str(r, "token"));
}

static void print_accounts(json_t *r)
{
    size_t i;
    json_t *v, *a = json_object_get(r, "accounts");
    if (json_array_size(a) == 0)
        printf("(none)\n");
    else
        printf("%-24s %-11s %-24s %-16s %s\n", "ACCOUNT", "ROLE", "SPONSOR", "CLASS", "ENABLED");
    json_array_foreach(a, i, v)
        printf("%-24s %-11s %-24s %-16s %s\n", str(v, "name"), str(v, "role"),
               *str(v, "sponsor") ? str(v, "sponsor") : "-",
               *str(v, "class") ? str(v, "class") : "-",
               json_is_true(json_object_get(v, "enabled")) ? "yes" : "no");
}

/* root hints: the lab's root servers as a root hints file, in the format of the Internet's
 * named.root (`.  TTL NS NAME` lines, then each name's addresses), which resolvers read */
static void print_root_hints(json_t *r)
{
    json_int_t ttl = json_integer_value(json_object_get(r, "ttl"));
    json_t *servers = json_object_get(r, "servers"), *s, *a;
    size_t i, k;
    printf(";       root hints of the lab (lana root hints): %zu server%s\n",
           json_array_size(servers), json_array_size(servers) == 1 ? "" : "s");
    json_array_foreach(servers, i, s)
    {
        printf(".                        %-10lld NS    %s\n", (long long)ttl, str(s, "name"));
    }
    json_array_foreach(servers, i, s)
    {
        json_array_foreach(json_object_get(s, "addresses"), k, a)
        {
            const char *addr = json_string_value(a) ? json_string_value(a) : "?";
            printf("%-24s %-10lld %-5s %s\n", str(s, "name"), (long long)ttl,
                   strchr(addr, ':') ? "AAAA" : "A", addr);
        }
    }
}

/* root add, root del */
static void print_root_changed(json_t *r)
{
    const char *what = json_object_get(r, "added") ? "added" : "deleted";
    json_int_t zones = json_integer_value(json_object_get(r, "zones"));
    size_t n = json_array_size(json_object_get(r, "servers"));
    printf("root server %s %s: %lld zone%s changed, %zu root server%s\n", str(r, what), what,
           (long long)zones, zones == 1 ? "" : "s", n, n == 1 ? "" : "s");
}

typedef void out_reg_printer(json_t *reply);

/* The printers; sub NULL matches any second word (whois ADDRESS, log --limit N). A request
 * without a row (ping, help) prints "ok (VERB)". */
static const struct {
    const char *verb, *sub;
    out_reg_printer *print;
} printers[] = {
    {"pool", "add", print_pool},
    {"pool", "del", print_pool_deleted},
    {"pool", "list", print_pools},
    {"block", "alloc", print_block},
    {"block", "assign", print_block},
    {"block", "reserve", print_block},
    {"block", "update", print_block},
    {"block", "release", print_released},
    {"block", "show", print_block_show},
    {"block", "list", print_blocks},
    {"block", "tree", print_tree},
    {"whois", NULL, print_chain},
    {"log", NULL, print_log},
    {"zone", "add", print_zone},
    {"zone", "show", print_zone},
    {"zone", "del", print_zone_deleted},
    {"zone", "list", print_zones},
    {"zone", "export", print_text},
    {"zone", "import", print_imported},
    {"zone", "notify", print_notify},
    {"zone", "secondaries", print_secondaries},
    {"host", "add", print_host},
    {"host", "show", print_host},
    {"host", "rename", print_host},
    {"host", "del", print_host_deleted},
    {"host", "list", print_hosts},
    {"record", "add", print_record},
    {"record", "del", print_record_deleted},
    {"service", "add", print_service},
    {"service", "del", print_service_deleted},
    {"service", "list", print_services},
    {"service", "bind", print_bound},
    {"service", "unbind", print_bound},
    {"account", "add", print_account},
    {"account", "show", print_account},
    {"account", "disable", print_account},
    {"account", "enable", print_account},
    {"account", "token", print_account},
    {"account", "list", print_accounts},
    {"root", "hints", print_root_hints},
    {"root", "add", print_root_changed},
    {"root", "del", print_root_changed},
};

static out_reg_printer *printer_of(const char *verb, const char *sub)
{
    for (size_t i = 0; i < sizeof printers / sizeof printers[0]; i++)
        if (strcmp(printers[i].verb, verb) == 0 &&
            (printers[i].sub == NULL || strcmp(printers[i].sub, sub) == 0))
            return printers[i].print;
    return NULL;
}

/* ---- replies ------------------------------------------------------------------------------ */

int out_reg_reply(const char *line, int argc, char **argv, long batch_line, bool json)
{
    json_t *r = json_loads(line, 0, NULL);
    if (r == NULL || !json_is_object(r)) {
        fprintf(stderr, "lana: the server sent something that is not JSON: %.200s\n", line);
        json_decref(r);
        return LANA_EXIT_PROTOCOL;
    }
    if (json)
        puts(line);
    int rc = LANA_EXIT_OK;
    if (!json_is_true(json_object_get(r, "ok"))) {
        json_t *e = json_object_get(r, "error");
        rc = out_exit_of_reply(str(e, "code"));
        if (!json && batch_line > 0)
            fprintf(stderr, "lana: line %ld: %s\n", batch_line, str(e, "message"));
        else if (!json)
            fprintf(stderr, "lana: %s\n", str(e, "message"));
    } else if (!json) {
        const char *verb = argc > 0 ? argv[0] : "", *sub = argc > 1 ? argv[1] : "";
        out_reg_printer *print = printer_of(verb, sub);
        if (batch_line > 0)
            printf("ok  ");
        if (print != NULL)
            print(r);
        else
            printf("ok (%s)\n", verb);
    }
    json_decref(r);
    return rc;
}

bool out_reg_summary(const char *line, int first_err, bool json, int *status)
{
    if (strstr(line, "\"batch\":{") == NULL) /* cheap: most lines are not the summary */
        return false;
    json_t *s = json_loads(line, 0, NULL);
    json_t *b = json_object_get(s, "batch");
    if (!json_is_object(b)) {
        json_decref(s);
        return false;
    }
    long long cmds = json_integer_value(json_object_get(b, "commands"));
    if (json)
        puts(line);
    else
        printf("%lld command%s: %lld ok, %lld failed; %s\n", cmds, cmds == 1 ? "" : "s",
               (long long)json_integer_value(json_object_get(b, "succeeded")),
               (long long)json_integer_value(json_object_get(b, "failed")),
               json_is_true(json_object_get(b, "committed"))
                   ? "committed"
                   : "nothing was changed (all or nothing; --keep-going runs past errors)");
    *status = json_is_true(json_object_get(s, "ok")) ? 0 : first_err ? first_err : LANA_EXIT_SERVER;
    json_t *e = json_object_get(s, "error"); /* the commit failed (a full disk) */
    const char *code = json_string_value(json_object_get(e, "code"));
    if (code != NULL) {
        const char *msg = json_string_value(json_object_get(e, "message"));
        if (!json)
            fprintf(stderr, "lana: %s\n", msg ? msg : code);
        *status = out_exit_of_reply(code);
    }
    json_decref(s);
    return true;
}

bool out_reg_take_token(const char *line, char *hex, size_t size, char **rest)
{
    json_t *r = json_loads(line, 0, NULL);
    const char *t = json_string_value(json_object_get(r, "token"));
    bool ok = json_is_true(json_object_get(r, "ok")) && t != NULL && strlen(t) < size;
    *rest = NULL;
    if (ok) {
        memcpy(hex, t, strlen(t) + 1);
        json_object_del(r, "token");
        *rest = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
        ok = *rest != NULL;
        if (!ok)
            memset(hex, 0, size);
    }
    json_decref(r);
    return ok;
}
