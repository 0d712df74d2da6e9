/*
 * fuzz_conf — any bytes as lanad's configuration file, read through the daemon's own key
 * table (server/srvconf) and through a table with one key of each type and no checks: the
 * reader must never read out of bounds or leak, and the effective configuration it prints
 * (lanad -n) must read back to the same configuration.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "server/srvconf.h"
#include "tests/fuzz/fuzz.h"

struct plain {
    char *s;
    uint64_t u;
    struct conf_list l;
};

#define P(f) offsetof(struct plain, f)
static const struct conf_key plain_keys[] = {
    {"s", CONF_STR, 0, 0, P(s), NULL, NULL, "a string"},
    {"u", CONF_UINT, 3, 1000, P(u), "7", NULL, "a bounded number"},
    {"l", CONF_LIST, 0, 0, P(l), "a b", NULL, "a list"},
};
#undef P

static void count_error(const char *msg, void *arg)
{
    (void)msg;
    (*(int *)arg)++;
}

/*
 * The reader takes a path. Linked with -Wl,--wrap=fopen, opening MEMPATH gives a stream over
 * the current input instead, which keeps files and system calls out of the loop.
 */
#define MEMPATH "fuzz-input"
static const void *mem_data;
static size_t mem_size;

FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);

FILE *__wrap_fopen(const char *path, const char *mode)
{
    if (strcmp(path, MEMPATH) != 0)
        return __real_fopen(path, mode);
    if (mem_size == 0)
        return __real_fopen("/dev/null", mode);
    return fmemopen((void *)mem_data, mem_size, mode);
}

static char *printed(const struct srvconf *c, size_t *len)
{
    char *text = NULL;
    FILE *fp = open_memstream(&text, len);
    if (fp == NULL)
        return NULL;
    srvconf_print(c, fp);
    fclose(fp);
    return text;
}

static int load(const struct conf_key *keys, size_t nkeys, void *cfg, const void *data,
                size_t size)
{
    int errors = 0;
    mem_data = data;
    mem_size = size;
    int rc = conf_load(keys, nkeys, cfg, MEMPATH, count_error, &errors);
    FUZZ_ASSERT(rc >= 0);
    FUZZ_ASSERT(rc == errors); /* the count returned is the count reported */
    return errors;
}

/* No printed line may be over the reader's limit, else printing was not the inverse. */
static bool lines_fit(const char *text, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            if (i - start + 1 > CONF_LINE_MAX)
                return false;
            start = i + 1;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct plain p;
    memset(&p, 0, sizeof p);
    if (conf_defaults(plain_keys, 3, &p) == 0)
        load(plain_keys, 3, &p, data, size);
    conf_fini(plain_keys, 3, &p);

    struct srvconf c, again;
    FUZZ_ASSERT(srvconf_defaults(&c) == 0 && srvconf_defaults(&again) == 0);
    if (load(srvconf_keys, srvconf_nkeys, &c, data, size) == 0) {
        size_t len1 = 0, len2 = 0;
        char *t1 = printed(&c, &len1);
        if (t1 != NULL && lines_fit(t1, len1)) {
            FUZZ_ASSERT(load(srvconf_keys, srvconf_nkeys, &again, t1, len1) == 0);
            char *t2 = printed(&again, &len2);
            FUZZ_ASSERT(t2 != NULL && len1 == len2 && memcmp(t1, t2, len1) == 0);
            free(t2);
        }
        free(t1);
    }
    srvconf_fini(&c);
    srvconf_fini(&again);
    return 0;
}
