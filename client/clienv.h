/*
 * clienv — what every registry command of lana shares: the global options (--json,
 * --server, --token-file, --user, --timeout, --config, found anywhere on the command line),
 * the client configuration file, the environment (LANA_SERVER, LANA_TOKEN, LANA_CONFIG) and
 * the token, with the precedence flags > environment > file > defaults; and TLS (--tls,
 * --tls-ca, --tls-pin, --tls-tofu). A token file (common/tokfile.h) also names its account,
 * the server's TLS pin and perhaps the server: those apply unless a flag, the environment or
 * the configuration file says otherwise (for the pin: --tls-pin); LANA_TOKEN_FILE names a
 * token file when --token-file does not. Certificates trusted on
 * first use are kept in $XDG_CONFIG_HOME/lana/known_servers ("SERVER SHA256" lines).
 */
#pragma once

#include <stdbool.h>

#include "client/out.h"
#include "client/regclient.h"

struct clienv {
    bool json;
    char *server;      /* HOST[:PORT] */
    char *token_file;
    char *user;
    uint64_t timeout;  /* milliseconds */
    char *tls_ca;      /* CA file for the server's certificate */
    char *tls_pin;     /* SHA-256 of the server's certificate, hex */
    bool tls;          /* --tls: TLS even on loopback */
    bool tls_tofu;     /* --tls-tofu: trust an unknown certificate once, and keep its pin */
    bool user_set;     /* --user given: a token file's user= does not apply */
    bool server_set;   /* --server, LANA_SERVER or the configuration file named the server */
    const char *config_path; /* the file read, if any */
    /* what clienv_connect last reached, for a token file that names it (lana account):
     * HOST[:PORT] ("" when it does not fit a token file), and whether the server was
     * verified by a pin (then the pin is the connection's fp) */
    char used_server[256];
    bool used_pin;
};

extern struct clienv clienv;

/**
 * Takes the global options out of argv (in place; *argc shrinks), reads the configuration
 * file and the environment. Returns 0 or an exit status (message printed).
 */
int clienv_init(int *argc, char **argv);

/**
 * The registry client's options from the global options, the environment and the token
 * file, as clienv_connect uses them: the server (--server, else the token file's), the
 * token, the TLS pin (--tls-pin, the token file's, one trusted before) and TOFU. *known
 * gets the known-servers file's path (free it; may be NULL). Returns 0 or an exit status
 * (message printed).
 */
int clienv_opts(struct regclient_opts *o, char **known);

/** Connects to the registry with the token when there is one. Returns 0 or an exit status
 * (message printed; regclient's code mapped by out_exit_of). trace: print the handshake lines
 * to stderr. */
int clienv_connect(struct regclient *c, bool trace);

/** The usage lines of the global options, for every --help. */
extern const char clienv_help[];
