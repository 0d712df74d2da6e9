/*
 * alloc_cost — the cost of one allocation by the registry engine (db/ipam) as the registry
 * grows: fills a fresh database with N blocks (then releases a tenth of them at random, so
 * that the free space is fragmented), and times single allocations and releases at that
 * size. Prints one line per size: "blocks=N alloc_median_us=... alloc_p99_us=...".
 *
 * usage: lana_bench_alloc DIR [SIZES...]   (default sizes 1000 10000 100000 1000000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cidr.h"
#include "db/ipam.h"
#include "db/store.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define SAMPLES 2001

static int run(const char *dir, long n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/alloc-%ld.db", dir, n);
    unlink(path);
    struct store *st;
    struct ipam *ip;
    struct lana_diag d;
    if (store_open(path, &st, NULL, &d) != 0 || ipam_open(st, &ip, &d) != 0) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    struct cidr pool;
    cidr_parse("10.0.0.0/8", &pool, &d);
    ipam_pool_add(ip, &pool, NULL, "bench", NULL, &d);
    /* N blocks of /28../32 in the pool, in transactions of 10000 */
    struct cidr *made = malloc((size_t)n * sizeof *made);
    double t0 = now_us();
    store_begin(st, &d);
    for (long i = 0; i < n; i++) {
        struct ipam_block b;
        unsigned plen = 28 + (unsigned)(rnd() % 5);
        if (ipam_alloc(ip, &pool, plen, IPAM_ASSIGNED, "h", NULL, "bench", &b, &d) != 0) {
            fprintf(stderr, "fill: %s\n", d.msg);
            return 1;
        }
        made[i] = b.prefix;
        if (i % 10000 == 9999) {
            store_commit(st, &d);
            store_begin(st, &d);
        }
    }
    /* fragment: release a tenth at random */
    for (long i = 0; i < n / 10; i++) {
        long k = (long)(rnd() % (uint64_t)n);
        if (made[k].family == 0)
            continue;
        ipam_release(ip, &made[k], false, "bench", NULL, &d);
        made[k].family = 0;
    }
    store_commit(st, &d);
    double fill_s = (now_us() - t0) / 1e6;
    /* timed: single allocations of random sizes, and releases, each in its own savepoint
     * inside one transaction (commit cost is the disk's, measured separately below) */
    static double a[SAMPLES], r[SAMPLES];
    struct cidr got[SAMPLES];
    if (getenv("LANA_BENCH_NOSP"))
        ipam_set_atomic(ip, false);
    store_begin(st, &d);
    for (int i = 0; i < SAMPLES; i++) {
        struct ipam_block b;
        unsigned plen = 28 + (unsigned)(rnd() % 5);
        double s = now_us();
        if (ipam_alloc(ip, &pool, plen, IPAM_ASSIGNED, "h", NULL, "bench", &b, &d) != 0) {
            fprintf(stderr, "alloc: %s\n", d.msg);
            return 1;
        }
        a[i] = now_us() - s;
        got[i] = b.prefix;
    }
    for (int i = 0; i < SAMPLES; i++) {
        double s = now_us();
        ipam_release(ip, &got[i], false, "bench", NULL, &d);
        r[i] = now_us() - s;
    }
    store_commit(st, &d);
    /* one allocation with its own commit (synchronous=FULL: an fsync) */
    static double c[101];
    for (int i = 0; i < 101; i++) {
        struct ipam_block b;
        double s = now_us();
        ipam_alloc(ip, &pool, 32, IPAM_ASSIGNED, "h", NULL, "bench", &b, &d);
        c[i] = now_us() - s;
    }
    qsort(a, SAMPLES, sizeof a[0], cmp);
    qsort(r, SAMPLES, sizeof r[0], cmp);
    qsort(c, 101, sizeof c[0], cmp);
    printf("blocks=%ld fill_s=%.1f alloc_median_us=%.1f alloc_p99_us=%.1f release_median_us=%.1f "
           "alloc_with_commit_median_us=%.1f\n",
           n, fill_s, a[SAMPLES / 2], a[SAMPLES * 99 / 100], r[SAMPLES / 2], c[50]);
    fflush(stdout);
    free(made);
    ipam_close(ip);
    store_close(st);
    char extra[4200];
    unlink(path);
    snprintf(extra, sizeof extra, "%s-wal", path);
    unlink(extra);
    snprintf(extra, sizeof extra, "%s-shm", path);
    unlink(extra);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [SIZES...]\n", argv[0]);
        return 64;
    }
    long def[] = {1000, 10000, 100000, 1000000};
    if (argc == 2) {
        for (size_t i = 0; i < 4; i++)
            if (run(argv[1], def[i]) != 0)
                return 1;
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (run(argv[1], atol(argv[i])) != 0)
            return 1;
    return 0;
}
