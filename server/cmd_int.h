/*
 * cmd_int — what the files of the cmd module share and nobody else uses: the handlers the
 * table in cmd.c points at, and the reply helpers more than one handler file needs. Not a
 * public interface; see server/cmd.h for the contract.
 */
#pragma once

#include "server/cmd.h"

/* {"ok":true, opened (reset first); the caller adds members and closes it. */
void cmd__ok_open(struct jsonw *j);

/* The error reply for our error code rc with d's message. */
enum regproto_code cmd__fail(struct jsonw *j, int rc, const struct lana_diag *d);

/* s as a prefix (RP_INVALID reply otherwise). */
enum regproto_code cmd__prefix(const char *s, struct cidr *c, struct jsonw *j);

/* KEY:["10.0.0.0/24",...] of the n prefixes v, as a member of the open object j. */
void cmd__kcidrs(struct jsonw *j, const char *key, const struct cidr *v, unsigned n);

/* {"ok":true,KEY:{block members, size, use}}; fresh: just made, so it holds nothing. */
enum regproto_code cmd__ok_block(struct cmd_ctx *c, const char *key, const struct ipam_block *b,
                                 bool fresh, struct jsonw *j);

/* {"ok":true,KEY:[...]} of parent's children (the pools when NULL); self: parent itself as
 * the one entry; max_depth >= 0: recursively, each entry with its depth (a tree). */
enum regproto_code cmd__listing(struct cmd_ctx *c, const char *key, const struct ipam_block *parent,
                                bool self, int max_depth, struct jsonw *j);

/* Appends the chain of blocks from the pool down to p, as an array, to j. */
int cmd__chain(struct cmd_ctx *c, const struct cidr *p, struct jsonw *j, struct lana_diag *d);

/* The handlers, one per row of the table. */
cmd_fn cmd__pool_add, cmd__pool_del, cmd__pool_list;
cmd_fn cmd__block_alloc, cmd__block_assign, cmd__block_reserve, cmd__block_release;
cmd_fn cmd__block_update, cmd__block_show, cmd__block_list, cmd__block_tree;
cmd_fn cmd__zone_add, cmd__zone_del, cmd__zone_list, cmd__zone_show, cmd__zone_export;
cmd_fn cmd__host_add, cmd__host_del, cmd__host_show, cmd__host_list, cmd__host_rename;
cmd_fn cmd__record_add, cmd__record_del;
cmd_fn cmd__service_add, cmd__service_del, cmd__service_list, cmd__service_bind;
cmd_fn cmd__service_unbind;
cmd_fn cmd__whois, cmd__log, cmd__ping, cmd__help;
cmd_fn cmd__class_create, cmd__class_report, cmd__class_delete;
cmd_fn cmd__authority; /* cmd_authz.c */
cmd_fn cmd__account_add, cmd__account_list, cmd__account_show, cmd__account_disable;
cmd_fn cmd__account_enable, cmd__account_token;
cmd_fn cmd__zone_notify, cmd__zone_secondaries; /* cmd_notify.c */

/* KEY "secondaries": what the daemon knows of zone's secondaries (NULL: every zone's), as a
 * member of the open object j (server/secstate.h). */
void cmd__ksecondaries(struct jsonw *j, const char *zone);
cmd_fn cmd__key_add, cmd__key_list, cmd__key_show, cmd__key_del; /* cmd_key.c */
cmd_fn cmd__root_add, cmd__root_del, cmd__root_hints; /* cmd_root.c */
