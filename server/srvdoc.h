/*
 * srvdoc — lanad's documentation, written from its tables so that it cannot drift: the --help
 * text and lanad(8) from lanad's options and commands (server/main.c), lanad.conf(5) from the
 * configuration keys (server/srvconf.c), lanad's bash completion from both, and the registry's
 * command table (server/cmd.c) as the JSON reply of its own `help` request, from which lana
 * writes the registry commands of lana(1) and of its completion (client/ never includes
 * server/: the table crosses as data, at build time).
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* One option of lanad. When name is a configuration key the option sets that key, and its
 * default is the key's. */
struct srvdoc_opt {
    char shortopt;    /* 0: none */
    const char *name; /* long name, without "--" */
    const char *arg;  /* its value's placeholder (PATH, N); NULL: a flag */
    const char *help; /* one sentence, without the default */
};

/* One way to run lanad: the words after "lanad [options]" ("" runs the daemon). */
struct srvdoc_cmd {
    const char *usage;
    const char *help;
};

struct srvdoc {
    const struct srvdoc_opt *opts;
    size_t nopts;
    const struct srvdoc_cmd *cmds;
    size_t ncmds;
    const char *exit_status; /* "Exit status: 0 ok, ..." */
};

/** Writes lanad's --help: its commands, its options with their defaults, the exit status. */
void srvdoc_usage(const struct srvdoc *s, FILE *out);

/**
 * The build's generators, when argv[1] names one (hidden: the build runs them):
 *   --man TEMPLATE OUT        lanad(8)
 *   --conf-man TEMPLATE OUT   lanad.conf(5)
 *   --commands OUT            the registry's command table (the JSON of its `help` reply)
 *   --completion bash OUT     lanad's bash completion
 * OUT "-" is stdout; otherwise OUT appears only complete. Returns -1 when argv[1] is none of
 * them, else the exit status (EX_USAGE, EX_CANTCREAT, EX_DATAERR: a row without its help).
 */
int srvdoc_main(const struct srvdoc *s, int argc, char **argv);
