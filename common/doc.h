/*
 * doc — what lana and lanad write about themselves from their tables: man pages (roff, from a
 * hand-written template whose marker lines the program fills in) and bash completion scripts
 * (data gathered from the tables, then one completion function shared by both programs).
 * Nothing here knows a command: the tables stay with their programs (client/clidoc.c,
 * server/srvdoc.c), so the pages and the completion cannot drift from --help.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

/**
 * Opens path for writing (path.tmp, renamed by doc_close; "-": stdout). 0, or the errno
 * (negative) with a message in d.
 */
int doc_open(const char *path, FILE **out, struct lana_diag *d);
/** Closes what doc_open opened: renames path.tmp to path when ok and every write succeeded,
 * else removes it. 0, or a negative errno with a message in d. */
int doc_close(FILE *out, const char *path, bool ok, struct lana_diag *d);

/**
 * Writes len bytes of text as roff: backslashes and minus signs escaped ("\-", so options can
 * be copied), a line that would start with '.' or '\'' guarded, non-ASCII UTF-8 written as
 * groff glyph names (\(-> for U+2192, else \[uXXXX]). Newlines are kept.
 */
void doc_roff_text(FILE *out, const char *s, size_t len);
/** doc_roff_text of a NUL-terminated string. */
void doc_roff_str(FILE *out, const char *s);
/**
 * Writes a usage line ("pool add PREFIX [--desc TEXT]") as roff on one line: literal words
 * and options bold, placeholders (upper-case words: PREFIX, /N, UNIX_MS) italic, brackets,
 * bars and ellipses roman; from a word ending in ',' or starting with '(' on, roman prose.
 */
void doc_roff_usage(FILE *out, const char *usage);

/* Fills one marker of a template: name is what stood between the @s. 0, or an error with a
 * message in d (an unknown marker must be refused). */
typedef int doc_marker_fn(FILE *out, const char *name, void *arg, struct lana_diag *d);

/**
 * Copies the template at path to out. A line `.\" @NAME@` is replaced by what fn writes for
 * NAME; "@VERSION@" anywhere becomes version. 0, or an error with a message in d (the file
 * cannot be read, a line over 4 KiB, fn's error).
 */
int doc_template(FILE *out, const char *path, const char *version, doc_marker_fn *fn, void *arg,
                 struct lana_diag *d);

/**
 * What completes the value of an option whose usage names it metavar: "@file" (PATH, FILE),
 * "@dir" (DIR), the words of a choice ("tcp|udp"; of "auto|none|ADDR" the lower-case ones; a
 * choice of three or more upper-case words, like record types, whole), else "@" (a value
 * nothing can complete). Writes into buf (size > 0); returns buf.
 */
const char *doc_value_kind(const char *metavar, char *buf, size_t size);

/* One word of a usage line: an option (name with its dashes, metavar NULL for a flag) or a
 * positional word (name NULL, metavar the word without brackets and ellipsis). */
typedef void doc_usage_fn(const char *opt, const char *metavar, void *arg);

/**
 * Walks the words of one usage line after its first skip words: "[--to ACCOUNT]" is option
 * --to with metavar ACCOUNT, "[--recursive]" a flag, "[-4|-6]" two flags, "FILE|-" a
 * positional word. Stops at a word ending in ',' or starting with '(' (prose follows).
 */
void doc_usage_scan(const char *usage, int skip, doc_usage_fn *fn, void *arg);

/* The data of a bash completion: commands (with an empty sub), their subcommands, the options
 * of each and the kind of their positional words. Opaque; doc_comp_free releases it. */
struct doc_comp;

/** A new, empty completion (NULL when out of memory). */
struct doc_comp *doc_comp_new(void);
void doc_comp_free(struct doc_comp *c);
/**
 * Adds command cmd (sub NULL) or its subcommand sub; cmd "" holds the options that come
 * before any command. Adding an existing one again changes nothing. 0 or LANA_ENOMEM.
 */
int doc_comp_add(struct doc_comp *c, const char *cmd, const char *sub);
/**
 * Adds option opt to cmd's sub (NULL: to the command, whatever its subcommand), created when
 * new, with the kind of its value (doc_value_kind; NULL for a flag). A flag named again with
 * a value becomes valued. 0 or LANA_ENOMEM.
 */
int doc_comp_opt(struct doc_comp *c, const char *cmd, const char *sub, const char *opt,
                 const char *kind);
/** Sets what the positional words of cmd's sub complete ("@file", "@dir"). 0 or LANA_ENOMEM. */
int doc_comp_pos(struct doc_comp *c, const char *cmd, const char *sub, const char *kind);
/**
 * One word of a usage line, as doc_usage_scan hands it over: an option (opt, with its
 * metavar or NULL) goes to cmd's sub with the kind of its value; a positional word whose
 * metavar names a file or a directory makes the positional words complete that. Other words
 * add nothing. 0 or LANA_ENOMEM.
 */
int doc_comp_word(struct doc_comp *c, const char *cmd, const char *sub, const char *opt,
                  const char *metavar);
/** Whether cmd has a subcommand named sub (sub NULL: any). */
bool doc_comp_has(const struct doc_comp *c, const char *cmd, const char *sub);
/**
 * Writes the bash script: the data as functions named _prog_*, the completion function _prog
 * and `complete -F _prog prog`; header is a comment on where the data came from. Works in a
 * plain bash (no bash-completion package). 0, or LANA_EPARSE when a name holds a character
 * the script would have to quote.
 */
int doc_comp_write(const struct doc_comp *c, FILE *out, const char *prog, const char *header);
