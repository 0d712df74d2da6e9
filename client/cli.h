/*
 * cli — the table of lana's commands. Each command gets argv starting at its own name and
 * returns a sysexits status.
 */
#pragma once

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

int cli_calc(int argc, char **argv);
