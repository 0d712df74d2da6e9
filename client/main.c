/*
 * lana — the command-line client. Commands are dispatched from one table; each lives in its
 * own cli_<command>.c.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "client/cli.h"
#include "client/clidoc.h"
#include "common/text.h"
#include "client/clienv.h"

static const struct cli_command commands[] = {
    {"calc", cli_calc, "PREFIX|ADDRESS[/LEN]  like ipcalc, exact over 128 bits (offline)", false},
    {"pool", cli_pool, "add|del|list          root pools of address space", true},
    {"block", cli_block, "alloc|assign|reserve|release|...  blocks: allocate, assign, show, tree", true},
    {"zone", cli_zone, "add|del|list|show|export|...       zones, NOTIFY targets, secondaries", true},
    {"host", cli_host, "add|del|show|list|rename   hosts: addresses + A/AAAA/PTR at once", true},
    {"record", cli_record, "add|del NAME TYPE DATA   CNAME, MX, TXT, NS, SRV records", true},
    {"service", cli_service, "add|del|list|bind|unbind   the service/port registry, SRV", true},
    {"resolve", cli_resolve, "NAME [-t TYPE] | -x ADDR   resolve through c-ares", false},
    {"connect", cli_connect, "TARGET [PORT|SERVICE]      resolve, connect, show the handshake", false},
    {"serve", cli_serve, "PORT                  listen, show both endpoints, echo", false},
    {"whois", cli_whois, "ADDRESS|PREFIX        who holds it: the chain of blocks", true},
    {"log", cli_log, "[--since T]           the audit log of every change", true},
    {"authority", cli_authority, "[ACCOUNT]            what an account may change, and why", true},
    {"account", cli_account, "add|list|show|disable|enable|token   accounts, roles and tokens", true},
    {"batch", cli_batch, "[FILE|-] [--keep-going]   many commands in one transaction", true},
    {"class", cli_class, "create|report|delete  a class of students in one command", true},
    {"key", cli_key, "add|list|show|del      TSIG keys for zone transfers (admin)", true},
    {"root", cli_root, "add|del|hints         the lab's root servers, a root hints file", true},
};

static const char synopsis[] = "lana [--help] [--version] COMMAND [ARGS]";
static const char exit_status[] =
    "exit status: 0 ok, 64 usage, 65 invalid value, 66 not found, 68 server name\n"
    "does not resolve, 69 cannot connect, 70 server error, 73 conflict or no free\n"
    "space, 75 timeout, busy or the registry's disk full, 76 protocol error (also\n"
    "a failed TLS handshake, a wrong pin, an untrusted certificate), 77 permission,\n"
    "78 configuration.\n";

/* lana(1) and the completion are written from the same (client/clidoc.h) */
static const struct clidoc doc = {commands, sizeof commands / sizeof commands[0], synopsis,
                                  exit_status};

static void usage(FILE *out)
{
    fprintf(out, "usage: %s\n\ncommands:\n", synopsis);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    {
        /* the help text is "ARGS  description": the arguments padded into one column */
        const char *h = commands[i].help, *gap = strstr(h, "  ");
        int alen = gap ? (int)(gap - h) : 0;
        const char *desc = gap ? gap : h;
        while (*desc == ' ')
            desc++;
        fprintf(out, "  %-9s %-34.*s %s\n", commands[i].name, alen, h, desc);
    }
    fprintf(out, "\n'lana COMMAND --help' describes one command.\n\n%s", clienv_help);
    fprintf(out, "\n%s", exit_status);
}

/* The name of command i, for text_nearest. */
static const char *command_at(size_t i, void *arg)
{
    (void)arg;
    return commands[i].name;
}

int main(int argc, char **argv)
{
    int rc = clidoc_main(&doc, argc, argv); /* the build's generators */
    if (rc >= 0)
        return rc;
    /* the common options may come before or after the command */
    rc = clienv_init(&argc, argv);
    if (rc != 0)
        return rc;
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EX_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("lana %s\n", LANA_VERSION);
        return EX_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        return commands[i].run(argc - 1, argv + 1);
    }
    const char *near = text_nearest(argv[1], sizeof commands / sizeof commands[0], command_at, NULL);
    if (near != NULL)
        fprintf(stderr, "lana: unknown command '%s': did you mean '%s'?\n", argv[1], near);
    else
        fprintf(stderr, "lana: unknown command '%s'\nTry 'lana --help'\n", argv[1]);
    return EX_USAGE;
}
