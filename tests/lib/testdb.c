/*
 * testdb — see testdb.h.
 */
#include "tests/lib/testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/store.h"
#include "db/zoneio.h"

int testdb_make(struct testdb *t)
{
    snprintf(t->dir, sizeof t->dir, "%s/lana-test.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof t->path, "%s/t.db", t->dir);
    return 0;
}

int testdb_import(struct testdb *t, const char *zone_text)
{
    struct store *st = NULL;
    struct lana_diag d;
    int rc = store_open(t->path, &st, NULL, &d);
    if (rc != 0)
        return rc;
    FILE *fp = fmemopen((void *)zone_text, strlen(zone_text), "r");
    rc = zoneio_import(st, fp, "test", NULL, NULL, &d);
    if (rc != 0)
        fprintf(stderr, "import: %s\n", d.msg);
    fclose(fp);
    store_close(st);
    return rc;
}

void testdb_cleanup(struct testdb *t)
{
    char p[400];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", t->path, suffix[i]);
        unlink(p);
    }
    rmdir(t->dir);
}

const char *testdb_data(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", LANA_TEST_DATA, name);
    return p;
}
