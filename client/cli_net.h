/*
 * cli_net — what lana's lab tools (cli_resolve.c, cli_connect.c, cli_serve.c) share: their
 * exit statuses, the options of resolve and connect, and endpoints as text. Not a public
 * module: only the lab tools include it.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

#include "client/resolve.h"

/* exit statuses of resolve and connect, one per kind of failure */
enum {
    NET_EXIT_NODATA = 67,   /* the name exists without that kind of record */
    NET_EXIT_NXDOMAIN = 68, /* the name does not exist */
    NET_EXIT_DNSFAIL = 69,  /* the DNS server refused or failed */
    NET_EXIT_REFUSED = 71,  /* the connection was refused (RST) */
    NET_EXIT_UNREACH = 72,  /* network or host unreachable */
    NET_EXIT_TRACE = 74,    /* --trace did not capture all three handshake segments */
    NET_EXIT_DNSTIME = 75,  /* no DNS answer in time */
    NET_EXIT_OUTSIDE = 77,  /* an address outside the lab, without --any-address */
    NET_EXIT_CONNTIME = 79, /* the connection did not complete in time */
};

/* The options of resolve and connect. */
struct cli_net_opts {
    char servers[512];      /* --dns, as c-ares' "ADDR:PORT,..." list; "" for the system's */
    bool tcp, hello, trace; /* --tcp, --hello, --trace */
    bool any_address;       /* --any-address: connect outside the lab too */
    int family;             /* -4, -6: AF_INET, AF_INET6; 0 for both */
    int timeout_ms;         /* the global --timeout (clienv) */
    const char *type;       /* -t TYPE, or NULL */
    const char *rev;        /* -x ADDRESS, or NULL */
    const char *pos[4];     /* the other words */
    int npos;
};

/* What cli_net_parse accepts besides the common options. */
enum {
    CLI_NET_TYPE = 1, /* -t TYPE */
    CLI_NET_REV = 2,  /* -x ADDRESS */
    CLI_NET_ANY = 4,  /* --any-address */
};

/* lanad's default DNS endpoint, which the hint of cli_net_dns_hint suggests */
#define CLI_NET_LAB_DNS "127.0.0.1:5300"

/**
 * Parses argv (argv[0] is the command) into *o. accept: CLI_NET_* bits. Returns 0; -1 after
 * printing help for --help (the command then exits 0); or LANA_EXIT_USAGE, message printed.
 */
int cli_net_parse(int argc, char **argv, unsigned accept, const char *help, struct cli_net_opts *o);

/** The resolver options for o: its servers and transport, 1 s per try, 2 tries. */
struct resolve_opts cli_net_resolve_opts(const struct cli_net_opts *o);

/**
 * For a name that failed through the system's resolvers (ro->servers NULL: no --dns) with no
 * such name, no answer of that type, no answer in time or a refusal: appends to d's message
 * (which resolve.c ends with "from ADDR:PORT") ", the system resolver; a lab name? try --dns
 * 127.0.0.1:5300". Nothing for other statuses or with --dns. asked: the servers, to tell one
 * from several.
 */
void cli_net_dns_hint(const struct resolve_opts *ro, enum resolve_status s, const char *asked,
                      struct lana_diag *d);

/** "literal", "hosts", "localhost" or "dns": the JSON "source" of resolved addresses. */
const char *cli_net_source_name(enum resolve_source s);
/** The same in words: "literal address", "from /etc/hosts", ... */
const char *cli_net_source_text(enum resolve_source s);

/** The exit status of a resolve status. */
int cli_net_exit_of(enum resolve_status s);

/** "ADDR:PORT", an IPv4 peer of a dual-stack socket ([::ffff:a.b.c.d]) shown as IPv4. */
const char *cli_net_endpoint(const struct sockaddr_storage *ss, char *buf, size_t size);

struct jsonw;

/** Writes "key": ms as a JSON number with three decimals (microseconds). */
void cli_net_json_ms(struct jsonw *j, const char *key, double ms);
