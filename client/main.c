/*
 * lana — the command-line client. Commands are dispatched from one table; each lives in its
 * own cli_<command>.c.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "client/cli.h"

static const struct cli_command commands[] = {
    {"calc", cli_calc, "PREFIX|ADDRESS   network, first/last address, mask, exact size, "
                       "reverse zone"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: lana [--help] [--version] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-6s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'lana COMMAND --help' describes one command.\n");
}

int main(int argc, char **argv)
{
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
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lana: unknown command '%s'\nTry 'lana --help'\n", argv[1]);
    return EX_USAGE;
}
