/*
 * cli — the table of lana's commands. Each command gets argv starting at its own name and
 * returns a sysexits status.
 */
#pragma once

#include <stdbool.h>

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
    bool registry; /* talks to lanad: takes the common options */
};

int cli_calc(int argc, char **argv);
/* registry commands (cli_reg.c); argv has the global options taken out (clienv.h) */
int cli_pool(int argc, char **argv);
int cli_block(int argc, char **argv);
int cli_whois(int argc, char **argv);
int cli_log(int argc, char **argv);
int cli_batch(int argc, char **argv);
int cli_zone(int argc, char **argv);
int cli_host(int argc, char **argv);
int cli_record(int argc, char **argv);
int cli_service(int argc, char **argv);
int cli_class(int argc, char **argv); /* cli_class.c */
int cli_authority(int argc, char **argv); /* cli_authority.c */
int cli_root(int argc, char **argv);      /* cli_root.c */
/* accounts and their tokens (cli_account.c) */
int cli_account(int argc, char **argv);
/* TSIG keys (cli_key.c) */
int cli_key(int argc, char **argv);
/*
 * One registry request (cli_reg.c), for the commands that print its reply their own way:
 * argv's words checked at the text door on our side, sent as one line over a new
 * connection, the reply line read. 0 with *reply (owned by c, valid until cli_reg_close)
 * and c open; else an exit status with the message printed and c closed.
 */
struct regclient;
int cli_reg_ask(int argc, char **argv, struct regclient *c, char **reply);
/** Ends the session (quit) and closes c. */
void cli_reg_close(struct regclient *c);
/** One registry request whose reply is printed as out_reg prints it. An exit status. */
int cli_reg_request(int argc, char **argv);
/* lab tools (cli_net.c) */
int cli_resolve(int argc, char **argv);
int cli_connect(int argc, char **argv);
int cli_serve(int argc, char **argv);
