/*
 * xfrwarm — see xfrwarm.h. The zones are those of a zone reader's snapshot at the start of
 * the thread; a zone changed meanwhile is built as it is when its turn comes.
 */
#include "server/xfrwarm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common/clock.h"
#include "common/dname.h"
#include "common/log.h"
#include "db/store.h"
#include "db/tsigkey.h"
#include "db/zonedb.h"
#include "server/xfr.h"

struct xfrwarm {
    const struct srvconf *cfg;
    pthread_t thread;
    atomic_bool stop;
};

static int any_key(const struct tsigkey *k, void *arg)
{
    (void)k;
    *(bool *)arg = true;
    return 1; /* one is enough */
}

/* Whether anyone may transfer a zone: an allowed address, or a key a request may be signed
 * with. */
static bool transfers_possible(const struct srvconf *cfg)
{
    if (cfg->allow_transfer.n > 0)
        return true;
    struct store *st;
    struct lana_diag d;
    bool found = false;
    if (store_open_reader(cfg->db, &st, &d) != 0)
        return true; /* cannot tell: building costs only time */
    if (tsigkey_list(st, any_key, &found, &d) < 0)
        found = true;
    store_close(st);
    return found;
}

static void *run(void *arg)
{
    struct xfrwarm *w = arg;
    struct zonedb_reader *r;
    struct lana_diag d;
    if (zonedb_reader_open(w->cfg->db, &r, &d) != 0 || zonedb_reader_sync(r, &d) < 0) {
        log_warn("transfer images: %s", d.msg);
        return NULL;
    }
    uint64_t t0 = mono_ms();
    unsigned zones = 0;
    size_t total = 0;
    for (unsigned i = 0; i < zonedb_zone_count(r) && !atomic_load(&w->stop); i++) {
        const struct zonedb_zone *z = zonedb_zone_at(r, i);
        size_t bytes;
        int rc = xfr_build_image(w->cfg->db, z->apex, &bytes, &d);
        if (rc < 0) {
            log_warn("transfer images: %s", d.msg);
            continue;
        }
        zones += (unsigned)rc;
        total += bytes;
    }
    zonedb_reader_close(r);
    if (zones > 0)
        log_info("transfer images of %u zone%s built at start: %zu bytes in %llu ms", zones,
                 zones == 1 ? "" : "s", total, (unsigned long long)(mono_ms() - t0));
    return NULL;
}

struct xfrwarm *xfrwarm_start(const struct srvconf *cfg)
{
    if (cfg->transfer_cache == 0 || !transfers_possible(cfg))
        return NULL;
    struct xfrwarm *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->cfg = cfg;
    atomic_init(&w->stop, false);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        log_warn("transfer images: cannot start a thread; the first transfers build them");
        free(w);
        return NULL;
    }
    return w;
}

void xfrwarm_stop(struct xfrwarm *w)
{
    if (w == NULL)
        return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    free(w);
}
