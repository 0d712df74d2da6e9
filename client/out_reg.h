/*
 * out_reg — registry replies as lana prints them. A reply is one JSON object (common/regproto.h);
 * with --json it is printed as it came, else the printer of its request's (verb, subcommand)
 * writes it as text, from one table: what a reply holds is known from the request, never
 * guessed from which member is present. Errors go to stderr. The one reader of reply JSON.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/**
 * Prints the reply line to the request words argv[0..argc) (json: as it is) and returns the
 * exit status: 0, the status of the reply's error code (out_exit_of_reply), or
 * LANA_EXIT_PROTOCOL when the line is not a JSON object. batch_line > 0: a line of a batch
 * (text "ok  " before a success, "line N: " before an error message).
 */
int out_reg_reply(const char *line, int argc, char **argv, long batch_line, bool json);

/**
 * When line is a batch's summary ({"ok":...,"batch":{...}}), prints it (json: as it is), sets
 * *status (0; first_err or LANA_EXIT_SERVER when the batch failed; the status of its "error"
 * when its commit failed, whose message goes to stderr) and returns true; else prints nothing
 * and returns false.
 */
bool out_reg_summary(const char *line, int first_err, bool json, int *status);

/**
 * When line is a successful reply that carries a new token (account add, account token):
 * copies the token's text into hex (size bytes, AUTH_HEX_LEN is enough), sets *rest to the
 * reply without it (one line of JSON, for out_reg_reply; the caller frees it) and returns
 * true. Else returns false with *rest NULL and hex untouched. The caller clears hex.
 */
bool out_reg_take_token(const char *line, char *hex, size_t size, char **rest);
