/*
 * clidoc — lana(1) and lana's bash completion, written from what --help is made of: the
 * commands table (client/main.c), each command's own --help, the common options
 * (clienv_help), and the registry's command table, which lanad writes as the JSON of its
 * `help` reply (`lanad --commands`, server/srvdoc.h): lana never includes server/, the table
 * crosses as data at build time, as it does over the wire.
 */
#pragma once

#include <stddef.h>

#include "client/cli.h"

/* What client/main.c's --help is made of. */
struct clidoc {
    const struct cli_command *cmds;
    size_t ncmds;
    const char *synopsis;    /* "lana [--help] [--version] COMMAND [ARGS]" */
    const char *exit_status; /* "exit status: 0 ok, ..." */
};

/**
 * The build's generators, when argv[1] names one (hidden: the build runs them):
 *   --man TEMPLATE TABLE OUT          lana(1)
 *   --completion bash TABLE OUT       lana's bash completion
 * TABLE is the output of `lanad --commands`; OUT "-" is stdout, otherwise OUT appears only
 * complete. Each command's --help is run (in a child process) and must succeed. Returns -1
 * when argv[1] is none of them, else the exit status (EX_USAGE; EX_DATAERR: the table cannot
 * be read, a command without help; EX_CANTCREAT).
 */
int clidoc_main(const struct clidoc *doc, int argc, char **argv);
