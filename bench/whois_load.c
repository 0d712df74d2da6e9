/*
 * whois_load — a load generator for lanad's port-43 whois: T threads, each running one
 * connection at a time (connect, one query line, read the answer to the end, close), for at
 * most N queries or S seconds. Queries are random addresses of a prefix, every second one
 * with -L. Prints queries per second, latency percentiles and how many answers carried no
 * object (figures only; the bench script reads them).
 *
 * usage: lana_bench_whois HOST PORT PREFIX4 THREADS QUERIES SECONDS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct job {
    struct sockaddr_in to;
    uint32_t base, span; /* the addresses queried: base + [0, span) */
    long queries;        /* at most, this thread */
    double seconds;      /* at most */
    unsigned seed;
    long done, failed, empty;
    double *lat; /* microseconds of each query */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One query: 0 with *objects set, or -1 when the connection failed. */
static int one(const struct job *j, const char *q, size_t qlen, int *objects)
{
    char buf[65536];
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc = -1;
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)&j->to, sizeof j->to) != 0 ||
        send(fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen)
        goto out;
    *objects = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        buf[n] = '\0';
        if (strstr(buf, "\ninetnum:") != NULL)
            *objects = 1;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

static void *run(void *arg)
{
    struct job *j = arg;
    double start = now_s();
    while (j->done + j->failed < j->queries && now_s() - start < j->seconds) {
        uint32_t a = j->base + (uint32_t)rand_r(&j->seed) % j->span;
        char q[64];
        int n = snprintf(q, sizeof q, "%s%u.%u.%u.%u\r\n", (j->done & 1) ? "-L " : "", a >> 24,
                         (a >> 16) & 255, (a >> 8) & 255, a & 255);
        int objects = 0;
        double t0 = now_s();
        if (n < 0 || one(j, q, (size_t)n, &objects) != 0) {
            j->failed++;
            continue;
        }
        j->lat[j->done++] = (now_s() - t0) * 1e6;
        j->empty += !objects;
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT PREFIX4 THREADS QUERIES SECONDS\n", argv[0]);
        return 64;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)strtol(argv[2], NULL, 10))};
    char pfx[32];
    snprintf(pfx, sizeof pfx, "%s", argv[3]);
    char *slash = strchr(pfx, '/');
    struct in_addr base;
    int plen = slash ? (int)strtol(slash + 1, NULL, 10) : 32;
    if (slash)
        *slash = '\0';
    int threads = (int)strtol(argv[4], NULL, 10);
    long queries = strtol(argv[5], NULL, 10);
    double seconds = strtod(argv[6], NULL);
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || inet_pton(AF_INET, pfx, &base) != 1 ||
        plen < 8 || plen > 32 || threads < 1 || threads > 256 || queries < 1 || seconds <= 0) {
        fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 64;
    }
    struct job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (jobs == NULL || tid == NULL)
        return 70;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){to, ntohl(base.s_addr), 1u << (32 - plen), queries / threads + 1,
                               seconds, (unsigned)(i * 7919 + 1), 0, 0, 0, NULL};
        jobs[i].lat = malloc(sizeof(double) * (size_t)jobs[i].queries);
        if (jobs[i].lat == NULL)
            return 70;
    }
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, run, &jobs[i]);
    long done = 0, failed = 0, empty = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        done += jobs[i].done;
        failed += jobs[i].failed;
        empty += jobs[i].empty;
    }
    double took = now_s() - t0;
    double *all = malloc(sizeof(double) * (size_t)(done ? done : 1));
    long k = 0;
    for (int i = 0; i < threads; i++)
        for (long q = 0; q < jobs[i].done; q++)
            all[k++] = jobs[i].lat[q];
    qsort(all, (size_t)done, sizeof *all, cmp);
    double p50 = done ? all[done / 2] : 0, p99 = done ? all[done * 99 / 100] : 0;
    printf("queries=%ld failed=%ld no_object=%ld seconds=%.2f qps=%.0f p50_us=%.0f p99_us=%.0f\n",
           done, failed, empty, took, done / took, p50, p99);
    return failed > 0;
}
