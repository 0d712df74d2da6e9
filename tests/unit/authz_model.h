/*
 * authz_model — the model test_authz checks the authority rule against, written from the
 * issue's words and not from db/authz.c: accounts, a tree of blocks, zones and hosts as the
 * model sees them, the random operations that drive the real db/ calls with the acting
 * account set (each verdict compared with the model's), and the model's own list of what an
 * account may change. Only for tests/unit/test_authz.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "db/authz.h"
#include "db/store.h"
#include "tests/lib/testdb.h"

enum { ADMIN, REGISTRAR, REGISTRANT };
enum verdict { ALLOW, DENY, STRUCT }; /* STRUCT: refused for what the object is, not who asks */
#define NOOP 1 /* an operation found nothing to try (the db/ calls never return > 0) */

#define NACCT 12
#define MAXB 4096
#define MAXZ 512
#define MAXH 1024

struct m_acct {
    char name[16];
    int role, sponsor; /* sponsor: an index, -1 for none */
    bool enabled;
    uint8_t key[AUTH_KEY_LEN];
    struct authz_who who;
};
struct m_block {
    struct cidr p;
    int parent, status, mnt; /* status: enum ipam_status; mnt: an account */
    bool alive;
};
struct m_zone {
    char name[DNAME_TEXT_MAX];
    int sponsor, registrant;
    struct cidr rev; /* the prefix a reverse zone's apex stands for (family 0: none) */
    bool alive;
};
struct m_host {
    char name[DNAME_TEXT_MAX];
    int zone, block;
    bool alive;
};

struct world {
    struct testdb_names *db;
    uint64_t rng;
    struct m_acct a[NACCT];
    struct m_block b[MAXB];
    struct m_zone z[MAXZ];
    struct m_host h[MAXH];
    int nb, nz, nh, serial;
    int tried[3], got[3]; /* verdicts predicted, and successes among ALLOW */
};

struct names_seen {
    char (*v)[DNAME_TEXT_MAX + 16];
    int n, cap;
};

/* the registry's store */
struct store *model_store(struct world *w);
/* admin, registrars reg1-reg3, registrants stu1-stu7 (random sponsors), ghost (disabled) over
 * a registry with the pools 198.18.0.0/15 and 2001:db8::/32 and their reverse zones */
struct world *model_world_new(uint64_t seed);
void model_world_free(struct world *w);
/* account i disabled, in the database and the model */
void model_disable(struct world *w, int i);
/* a world after ops random operations (each verdict checked), committed */
struct world *model_grown(uint64_t seed, int ops);
/* authz_list of every account equals the model's list */
void model_lists_match(struct world *w);
/* "KIND NAME" lines, sorted into one text (to free) by model_seen_text, which empties s */
void model_seen_add(struct names_seen *s, const char *kind, const char *name);
char *model_seen_text(struct names_seen *s);
/* an authz_list callback adding to the struct names_seen arg */
int model_list_cb(const struct authz_item *it, void *arg);
/* the first seed: 1, or LANA_AUTHZ_SEED */
uint64_t model_seed_base(void);
