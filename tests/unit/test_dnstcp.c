/*
 * Unit tests of server/dnstcp: the transport driven on one ev loop in this thread, against
 * real loopback sockets, so a test decides which events are pending when a pass starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/ev.h"
#include "server/dnstcp.h"
#include "server/srvconf.h"

struct fx {
    struct ev_loop *loop;
    struct srvconf cfg;
    struct dnstcp *t;
    int port;
    int passes, stop_at;
    size_t answer_len; /* bytes of every answer (at least the query's) */
    unsigned stream_msgs; /* messages a stream sends after its first */
    unsigned streams_freed;
    unsigned shown_next, shown_skips; /* a shown stream's next() messages and skip() calls */
};

/* A stream (a zone transfer's shape): stream_msgs more messages like the first one. */
struct stream {
    struct fx *f;
    uint8_t first[64];
    size_t len;
    unsigned left;
};

static long stream_next(void *arg, uint8_t *out)
{
    struct stream *st = arg;
    if (st->left == 0)
        return 0;
    st->left--;
    memset(out, 0, st->f->answer_len);
    memcpy(out, st->first, st->len);
    return (long)(st->f->answer_len > st->len ? st->f->answer_len : st->len);
}

static void stream_free(void *arg)
{
    struct stream *st = arg;
    st->f->streams_freed++;
    free(st);
}

/*
 * A stream that shows its messages in place (dnstcp_peek_cb), as a cached zone transfer
 * does: SHOWN_MSGS messages of sizes from 700 to about 11,000 bytes, each made of a head
 * (the id, QR, its number), a body in the stream's memory and for every third a tail piece;
 * every seventh only next() gives. The bytes after the head are the message's number
 * repeated, so the client can tell a byte out of place.
 */
enum { SHOWN_MSGS = 300, SHOWN_BODY = 11000 };
struct shown {
    struct fx *f;
    uint16_t id;
    unsigned next_msg; /* the number of the next message */
    uint8_t body[SHOWN_MSGS][SHOWN_BODY];
};

static size_t shown_body_len(unsigned i)
{
    return 700 + (i * 7919u) % (SHOWN_BODY - 700);
}

static size_t shown_head(const struct shown *sh, unsigned i, uint8_t *out)
{
    memset(out, 0, 12);
    out[0] = (uint8_t)(sh->id >> 8);
    out[1] = (uint8_t)sh->id;
    out[2] = 0x80;
    out[6] = (uint8_t)(i >> 8);
    out[7] = (uint8_t)i;
    return 12;
}

static unsigned shown_peek(void *arg, size_t k, uint8_t *head, struct iovec *iov)
{
    struct shown *sh = arg;
    unsigned i = sh->next_msg + (unsigned)k;
    if (i >= SHOWN_MSGS || i % 7 == 3)
        return 0;
    size_t blen = shown_body_len(i);
    iov[0] = (struct iovec){head, shown_head(sh, i, head)};
    if (i % 3 != 0) {
        iov[1] = (struct iovec){sh->body[i], blen};
        return 2;
    }
    iov[1] = (struct iovec){sh->body[i], blen - 100}; /* the rest as a third piece */
    iov[2] = (struct iovec){sh->body[i] + blen - 100, 100};
    return 3;
}

static void shown_skip(void *arg, size_t n)
{
    struct shown *sh = arg;
    assert_true(n > 0 && sh->next_msg + n <= SHOWN_MSGS);
    sh->next_msg += (unsigned)n;
    sh->f->shown_skips++;
}

static long shown_next(void *arg, uint8_t *out)
{
    struct shown *sh = arg;
    unsigned i = sh->next_msg;
    if (i >= SHOWN_MSGS)
        return 0;
    sh->next_msg++;
    sh->f->shown_next++;
    size_t h = shown_head(sh, i, out);
    memcpy(out + h, sh->body[i], shown_body_len(i));
    return (long)(h + shown_body_len(i));
}

static void shown_free(void *arg)
{
    struct shown *sh = arg;
    sh->f->streams_freed++;
    free(sh);
}

/* The answer: the query with QR set, padded with zeros to answer_len. */
static size_t respond(void *ctx, const uint8_t *q, size_t len, bool sync,
                      const struct sockaddr *peer, uint8_t *out, struct dnstcp_more *more)
{
    (void)sync;
    (void)peer;
    struct fx *f = ctx;
    size_t n = f->answer_len > len ? f->answer_len : len;
    memset(out, 0, n);
    memcpy(out, q, len);
    out[2] |= 0x80;
    if ((q[0] & 0xc0) == 0xc0) { /* ids from 0xc000 start a stream shown in place */
        struct shown *sh = malloc(sizeof *sh);
        assert_non_null(sh);
        sh->f = f;
        sh->id = (uint16_t)(q[0] << 8 | q[1]);
        sh->next_msg = 1; /* the answer is message 0 */
        for (unsigned i = 0; i < SHOWN_MSGS; i++)
            memset(sh->body[i], (int)(i & 0xff), SHOWN_BODY);
        *more = (struct dnstcp_more){.stream = sh, .next = shown_next, .free = shown_free,
                                     .peek = shown_peek, .skip = shown_skip};
        n = shown_head(sh, 0, out);
        memcpy(out + n, sh->body[0], shown_body_len(0));
        return n + shown_body_len(0);
    }
    if (q[0] & 0x80) { /* ids from 0x8000 start a stream */
        struct stream *st = calloc(1, sizeof *st);
        assert_non_null(st);
        st->f = f;
        st->len = len < sizeof st->first ? len : sizeof st->first;
        memcpy(st->first, out, st->len);
        st->left = f->stream_msgs;
        *more = (struct dnstcp_more){.stream = st, .next = stream_next, .free = stream_free};
    }
    return n;
}

static void on_before_sleep(struct ev_loop *loop, void *arg)
{
    struct fx *f = arg;
    if (++f->passes > f->stop_at)
        ev_stop(loop);
}

/* Runs exactly n dispatch passes (each waits at most a second: the idle sweep's timer). */
static void run_passes(struct fx *f, int n)
{
    f->stop_at = f->passes + n;
    assert_int_equal(ev_run(f->loop), 0);
}

static int64_t on_now(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    return EV_NOMORE;
}

/* Runs one pass that does not wait: what is ready now, else nothing. */
static void run_ready(struct fx *f)
{
    assert_true(ev_timer_add(f->loop, 0, on_now, NULL) > 0);
    run_passes(f, 1);
}

static int setup(void **state, unsigned max_conns)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->cfg.workers = 1;
    f->cfg.tcp_max_connections = max_conns;
    f->cfg.tcp_max_buffer = 4096;
    f->cfg.tcp_idle_timeout = 30;
    f->answer_len = 0;
    assert_int_equal(ev_loop_new(&f->loop), 0);
    ev_set_before_sleep(f->loop, on_before_sleep, f);
    assert_int_equal(dnstcp_new(f->loop, &f->cfg, respond, f, &f->t), 0);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t slen = sizeof sin;
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(lfd, 128), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
    f->port = ntohs(sin.sin_port);
    assert_int_equal(dnstcp_listen(f->t, lfd), 0);
    *state = f;
    return 0;
}

static int setup_cap1(void **state)
{
    return setup(state, 1);
}

static int setup_cap64(void **state)
{
    return setup(state, 64);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    dnstcp_free(f->t);
    ev_loop_free(f->loop);
    free(f);
    return 0;
}

/* A connected client (the handshake completes in the kernel; the accept waits for a pass). */
static int client(struct fx *f, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0)
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* A framed 29-byte query with the given id. */
static size_t query(uint16_t id, uint8_t *out)
{
    static const uint8_t q[] = {0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0,  /* header, QD=1 */
                                3, 'w', 'e', 'b', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
    out[0] = 0;
    out[1] = sizeof q;
    memcpy(out + 2, q, sizeof q);
    out[2] = (uint8_t)(id >> 8);
    out[3] = (uint8_t)id;
    return 2 + sizeof q;
}

static void send_query(int fd, uint16_t id)
{
    uint8_t m[64];
    size_t n = query(id, m);
    assert_int_equal(send(fd, m, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Whether fd has something to read (data or the end of the stream) right now. */
static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* Reads one framed answer without blocking: its id, or -1 when none is complete yet. Data
 * of a partly received answer stays in buf/len for the next call. */
static int read_answer(int fd, uint8_t *buf, size_t *len, size_t cap)
{
    for (;;) {
        if (*len >= 2) {
            size_t m = (size_t)buf[0] << 8 | buf[1];
            if (*len >= 2 + m) {
                int id = buf[2] << 8 | buf[3];
                assert_true(buf[4] & 0x80); /* QR */
                memmove(buf, buf + 2 + m, *len - 2 - m);
                *len -= 2 + m;
                return id;
            }
        }
        ssize_t n = recv(fd, buf + *len, cap - *len, MSG_DONTWAIT);
        if (n <= 0)
            return -1;
        *len += (size_t)n;
    }
}

/*
 * Defect: at the connection cap, accepting B closed and freed A while A's event was still
 * in the same epoll batch; the loop then read the freed connection. Here A has a query
 * pending and B waits in the accept queue when the pass starts, so both events are in the
 * batch of one epoll_wait (listener first: it became ready first). Under ASan, a dispatch
 * to the freed connection is a heap-use-after-free.
 */
static void test_dnstcp_cap_evicts_a_connection_whose_event_is_in_the_same_pass(void **state)
{
    struct fx *f = *state;
    int a = client(f, 0);
    run_passes(f, 1);
    assert_int_equal(dnstcp_count(f->t), 1);

    int b = client(f, 0);
    send_query(a, 1);
    run_passes(f, 1);
    const struct dnstcp_stats *st = dnstcp_stats(f->t);
    assert_int_equal(st->accepted, 2);
    assert_int_equal(st->closed_cap, 1);
    assert_int_equal(st->queries, 0); /* A's event was dropped with A */
    assert_int_equal(dnstcp_count(f->t), 1);

    send_query(b, 2);
    uint8_t buf[512];
    size_t len = 0;
    int id = -1;
    for (int i = 0; i < 10 && id < 0; i++) {
        run_passes(f, 1);
        id = read_answer(b, buf, &len, sizeof buf);
    }
    assert_int_equal(id, 2);
    /* A was closed: end of stream, or a reset for the query it left unread */
    char c;
    assert_true(readable(a));
    ssize_t n = recv(a, &c, 1, MSG_DONTWAIT);
    assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
    close(a);
    close(b);
}

/*
 * Back-pressure: a client that sends many queries and reads nothing makes the output pass
 * tcp-max-buffer; reading from it pauses (counted), other clients are served meanwhile, and
 * every answer arrives, in order, once the client reads.
 */
static void test_dnstcp_pauses_a_client_that_does_not_read_and_serves_others(void **state)
{
    struct fx *f = *state;
    enum { QUERIES = 400, OTHERS = 50 };
    f->answer_len = 16000; /* 6.4 MB in all: more than any kernel buffer holds */
    int hog = client(f, 4096);
    uint8_t m[QUERIES * 64];
    size_t mlen = 0;
    for (int i = 0; i < QUERIES; i++)
        mlen += query((uint16_t)i, m + mlen);
    assert_int_equal(send(hog, m, mlen, MSG_NOSIGNAL), (ssize_t)mlen);
    const struct dnstcp_stats *st = dnstcp_stats(f->t);
    for (int i = 0; i < 200 && st->paused == 0; i++)
        run_passes(f, 1);
    assert_true(st->paused >= 1);
    uint64_t answered_before = st->queries;
    assert_true(answered_before < QUERIES);

    f->answer_len = 0;
    for (int k = 0; k < OTHERS; k++) {
        int c = client(f, 0);
        send_query(c, (uint16_t)(1000 + k));
        uint8_t buf[512];
        size_t len = 0;
        int id = -1;
        for (int i = 0; i < 10 && id < 0; i++) {
            run_passes(f, 1);
            id = read_answer(c, buf, &len, sizeof buf);
        }
        assert_int_equal(id, 1000 + k);
        close(c);
    }
    assert_true(st->queries - answered_before >= OTHERS);
    assert_true(st->queries < QUERIES + OTHERS); /* the hog is still waiting */

    f->answer_len = 16000;
    static uint8_t buf[1 << 17];
    size_t len = 0;
    int next = 0;
    uint64_t deadline = mono_ms() + 20000;
    while (next < QUERIES && mono_ms() < deadline) {
        int id;
        while ((id = read_answer(hog, buf, &len, sizeof buf)) >= 0) {
            assert_int_equal(id, next);
            next++;
        }
        run_ready(f);
    }
    assert_int_equal(next, QUERIES);
    close(hog);
}

/* A stream (a zone transfer) larger than tcp-max-buffer goes out whole, in order, and the
 * query pipelined after it is answered after its last message; then it is freed. */
static void test_dnstcp_stream_then_pipelined_query(void **state)
{
    struct fx *f = *state;
    f->answer_len = 3000;
    f->stream_msgs = 40; /* 120 KB against a cap of 4096 bytes */
    int fd = client(f, 0);
    send_query(fd, 0x8001);
    send_query(fd, 2);
    uint8_t buf[16384];
    size_t len = 0;
    unsigned streamed = 0, after = 0;
    for (int pass = 0; pass < 2000 && after == 0; pass++) {
        run_ready(f);
        int id;
        while ((id = read_answer(fd, buf, &len, sizeof buf)) >= 0) {
            if (id == 0x8001) {
                assert_int_equal(after, 0);
                streamed++;
            } else {
                assert_int_equal(id, 2);
                after++;
            }
        }
    }
    assert_int_equal(streamed, 41);
    assert_int_equal(after, 1);
    assert_int_equal(f->streams_freed, 1);
    assert_int_equal(dnstcp_stats(f->t)->streams, 1);
    close(fd);
}

/* Reads the messages of a shown stream with id from fd, at most chunk bytes a read (client
 * buffer buf of cap bytes, its fill *len), checking every byte; the pipelined answer with id
 * after (its own id) ends it. Returns the messages of the stream received, or -1 after the
 * pipelined answer came in order. */
static int read_shown(int fd, uint16_t id, uint16_t after, uint8_t *buf, size_t *len,
                      size_t cap, size_t chunk, unsigned *got)
{
    for (;;) {
        if (*len >= 2) {
            size_t m = (size_t)buf[0] << 8 | buf[1];
            if (*len >= 2 + m) {
                uint16_t mid = (uint16_t)(buf[2] << 8 | buf[3]);
                if (mid == after) {
                    assert_int_equal(*got, SHOWN_MSGS);
                    return -1;
                }
                assert_int_equal(mid, id);
                unsigned i = (unsigned)(buf[8] << 8 | buf[9]);
                assert_int_equal(i, *got); /* in order, none missing */
                assert_int_equal(m, 12 + shown_body_len(i));
                for (size_t b = 14; b < 2 + m; b++)
                    if (buf[b] != (uint8_t)i)
                        fail_msg("message %u: byte %zu is %u", i, b - 14, buf[b]);
                (*got)++;
                memmove(buf, buf + 2 + m, *len - 2 - m);
                *len -= 2 + m;
                continue;
            }
        }
        ssize_t n = recv(fd, buf + *len, cap - *len < chunk ? cap - *len : chunk, MSG_DONTWAIT);
        if (n <= 0)
            return (int)*got;
        *len += (size_t)n;
    }
}

/*
 * A stream that shows its messages in place goes out by gathered sends: every message it
 * showed reaches the client whole and in order without passing through next() (only the
 * ones it does not show do), also to a client whose small window makes the socket take
 * parts of messages (their rests wait in the output buffer), and the query pipelined after
 * the stream is answered after its last message.
 */
static void test_dnstcp_stream_shown_in_place_goes_out_uncopied(void **state)
{
    struct fx *f = *state;
    f->cfg.tcp_max_buffer = 65536;
    for (int slow = 0; slow < 2; slow++) {
        f->shown_next = f->shown_skips = f->streams_freed = 0;
        int fd = client(f, slow ? 4096 : 0);
        uint16_t id = (uint16_t)(0xc001 + slow);
        send_query(fd, id);
        send_query(fd, 7);
        static uint8_t buf[1 << 16];
        size_t len = 0;
        unsigned got = 0;
        int r = 0;
        uint64_t deadline = mono_ms() + 20000;
        while (r >= 0 && mono_ms() < deadline) {
            run_ready(f);
            r = read_shown(fd, id, 7, buf, &len, sizeof buf, slow ? 5000 : sizeof buf, &got);
        }
        assert_int_equal(r, -1);
        assert_int_equal(got, SHOWN_MSGS);
        unsigned unshown = 0;
        for (unsigned i = 1; i < SHOWN_MSGS; i++)
            unshown += i % 7 == 3;
        assert_int_equal(f->shown_next, unshown); /* the shown ones never went through next() */
        assert_true(f->shown_skips >= 1);
        assert_int_equal(f->streams_freed, 1);
        close(fd);
    }
}

/* A client that reads one message of a stream and leaves: the stream is freed with the
 * connection (under ASan, a leak or a later use would show). */
static void test_dnstcp_stream_client_leaves(void **state)
{
    struct fx *f = *state;
    f->answer_len = 3000;
    f->stream_msgs = 1000;
    int fd = client(f, 4096);
    send_query(fd, 0x8002);
    uint8_t buf[8192];
    size_t len = 0;
    int id = -1;
    for (int pass = 0; pass < 100 && id < 0; pass++) {
        run_ready(f);
        id = read_answer(fd, buf, &len, sizeof buf);
    }
    assert_int_equal(id, 0x8002);
    close(fd);
    for (int pass = 0; pass < 10 && dnstcp_count(f->t) > 0; pass++)
        run_ready(f);
    assert_int_equal(dnstcp_count(f->t), 0);
    assert_int_equal(f->streams_freed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dnstcp_stream_then_pipelined_query, setup_cap64,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dnstcp_stream_client_leaves, setup_cap64,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dnstcp_stream_shown_in_place_goes_out_uncopied,
                                        setup_cap64, teardown),
        cmocka_unit_test_setup_teardown(
            test_dnstcp_cap_evicts_a_connection_whose_event_is_in_the_same_pass, setup_cap1,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_dnstcp_pauses_a_client_that_does_not_read_and_serves_others, setup_cap64,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
