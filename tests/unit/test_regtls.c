/* Unit tests of server/regtls and server/regio: which connections must use TLS, the
 * generated identity (files, modes, fingerprint, refusals), and the TLS stream over a socket
 * pair: a plain client on a TLS-only stream is told and closed, a plain client where TLS is
 * optional stays plain, and a TLS client's data read in small pieces is reported pending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/regio.h"
#include "server/regtls.h"

static struct sockaddr_storage addr_of(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1)
        v6->sin6_family = AF_INET6;
    return ss;
}

static void test_regtls_required_off_loopback(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        bool loopback;
    } rows[] = {
        {"127.0.0.1", true},    {"127.255.0.9", true}, {"::1", true},  {"::ffff:127.0.0.1", true},
        {"198.18.0.1", false},  {"0.0.0.0", false},    {"::", false},  {"::ffff:198.18.0.1", false},
        {"2001:db8::1", false}, {"128.0.0.1", false},  {"::2", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sockaddr_storage ss = addr_of(rows[i].addr);
        const struct sockaddr *sa = (const struct sockaddr *)&ss;
        if (regtls_is_loopback(sa) != rows[i].loopback)
            fail_msg("%s: loopback should be %d", rows[i].addr, rows[i].loopback);
        assert_int_equal(regtls_required(sa, false), !rows[i].loopback);
        assert_true(regtls_required(sa, true)); /* registry-tls = required */
    }
}

struct fixture {
    char dir[64];
    char db[128], crt[128], key[128];
    struct srvconf cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lana-regtls.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->db, sizeof f->db, "%s/lana.db", f->dir);
    snprintf(f->crt, sizeof f->crt, "%s/registry.crt", f->dir);
    snprintf(f->key, sizeof f->key, "%s/registry.key", f->dir);
    if (srvconf_defaults(&f->cfg) != 0)
        return -1;
    free(f->cfg.db);
    f->cfg.db = strdup(f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->crt);
    unlink(f->key);
    rmdir(f->dir);
    srvconf_fini(&f->cfg);
    free(f);
    return 0;
}

static void test_regtls_generates_a_private_key_and_pins_the_certificate(void **state)
{
    struct fixture *f = *state;
    uint8_t fp[REGTLS_FP_LEN], again[REGTLS_FP_LEN];
    struct lana_diag d;
    assert_int_equal(regtls_prepare(&f->cfg, fp, &d), 0);
    struct stat sb;
    assert_int_equal(stat(f->key, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(stat(f->crt, &sb), 0);
    /* the fingerprint is the SHA-256 of the certificate's DER */
    FILE *fp_crt = fopen(f->crt, "r");
    X509 *x = PEM_read_X509(fp_crt, NULL, NULL, NULL);
    fclose(fp_crt);
    unsigned len = sizeof again;
    assert_int_equal(X509_digest(x, EVP_sha256(), again, &len), 1);
    assert_memory_equal(fp, again, sizeof fp);
    /* it names the loopback addresses and localhost, and is its own issuer (a CA file) */
    assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "198.18.0.1", 0), 0);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
    X509_free(x);
    /* a second start keeps them */
    assert_int_equal(regtls_prepare(&f->cfg, again, &d), 0);
    assert_memory_equal(fp, again, sizeof fp);
    struct regtls *t;
    assert_int_equal(regtls_new(&f->cfg, &t, &d), 0);
    assert_non_null(regtls_ctx(t));
    regtls_free(t);
}

static void test_regtls_refuses_a_key_others_may_read(void **state)
{
    struct fixture *f = *state;
    uint8_t fp[REGTLS_FP_LEN];
    struct lana_diag d;
    assert_int_equal(regtls_prepare(&f->cfg, fp, &d), 0);
    chmod(f->key, 0640);
    assert_int_equal(regtls_prepare(&f->cfg, fp, &d), LANA_EIO);
    assert_non_null(strstr(d.msg, "may be read by others (mode 640)"));
    /* a certificate without its key is not replaced silently */
    unlink(f->key);
    assert_int_equal(regtls_prepare(&f->cfg, fp, &d), LANA_EIO);
    assert_non_null(strstr(d.msg, "TLS key"));
    assert_non_null(strstr(d.msg, "is missing"));
}

static void test_regtls_names_the_listen_addresses(void **state)
{
    struct fixture *f = *state;
    struct lana_diag d;
    uint8_t fp[REGTLS_FP_LEN];
    assert_int_equal(
        conf_set(srvconf_keys, srvconf_nkeys, &f->cfg, "listen-registry", "198.18.0.1:5301", 1, &d),
        0);
    assert_int_equal(
        conf_set(srvconf_keys, srvconf_nkeys, &f->cfg, "registry-tls-name", "registry.lab", 0, &d),
        0);
    assert_int_equal(
        conf_set(srvconf_keys, srvconf_nkeys, &f->cfg, "registry-tls-name", "a,b", 0, &d),
        LANA_EPARSE);
    assert_int_equal(regtls_prepare(&f->cfg, fp, &d), 0);
    FILE *in = fopen(f->crt, "r");
    X509 *x = PEM_read_X509(in, NULL, NULL, NULL);
    fclose(in);
    assert_int_equal(X509_check_ip_asc(x, "198.18.0.1", 0), 1);
    assert_int_equal(X509_check_host(x, "registry.lab", 0, 0, NULL), 1);
    X509_free(x);
}

/* ---- the stream -------------------------------------------------------------------------- */

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

/* The generated identity's TLS context in *t, and a TLS-only stream io on sv[0] of a new
 * socket pair (the client's end is sv[1]). */
static void tls_only_stream(struct fixture *f, struct regtls **t, struct regio *io, int sv[2])
{
    uint8_t fp[REGTLS_FP_LEN];
    struct lana_diag d;
    assert_int_equal(regtls_prepare(&f->cfg, fp, &d), 0);
    assert_int_equal(regtls_new(&f->cfg, t, &d), 0);
    pair(sv);
    regio_init(io, sv[0]);
    regio_secure(io, regtls_ctx(*t), true, "peer");
}

static void test_regio_plain_client_on_a_tls_only_stream_is_told(void **state)
{
    struct fixture *f = *state;
    struct regtls *t;
    struct regio io;
    int sv[2];
    tls_only_stream(f, &t, &io, sv);
    char buf[512];
    errno = 0;
    assert_int_equal(regio_recv(&io, buf, sizeof buf), -1); /* nothing yet */
    assert_int_equal(errno, EAGAIN);
    /* a reply queued before the client spoke waits for its first byte */
    assert_int_equal(regio_send(&io, "x", 1), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(regio_watch(&io, REGIO_WRITE), REGIO_READ);
    assert_int_equal(write(sv[1], "HELLO lana/1 seq=1\n", 19), 19);
    assert_int_equal(regio_recv(&io, buf, sizeof buf), 0); /* told, and the end */
    ssize_t n = read(sv[1], buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "ERROR {\"ok\":false,\"error\":{\"code\":\"handshake\""));
    assert_non_null(strstr(buf, "requires TLS"));
    assert_string_equal(regio_kind(&io), "plain");
    regio_close(&io);
    close(sv[1]);

    /* where TLS is optional, a refusal before the first byte goes plain at once */
    pair(sv);
    regio_init(&io, sv[0]);
    regio_secure(&io, regtls_ctx(t), false, "peer");
    assert_int_equal(regio_send(&io, "ERROR busy\n", 11), 11);
    assert_int_equal(read(sv[1], buf, sizeof buf), 11);
    regio_close(&io);
    close(sv[1]);

    /* where TLS is optional the same client stays plain and is read */
    pair(sv);
    regio_init(&io, sv[0]);
    regio_secure(&io, regtls_ctx(t), false, "peer");
    assert_int_equal(write(sv[1], "HELLO\n", 6), 6);
    assert_int_equal(regio_recv(&io, buf, sizeof buf), 6);
    assert_memory_equal(buf, "HELLO\n", 6);
    regio_close(&io);
    close(sv[1]);
    regtls_free(t);
}

/* Steps a TLS client's handshake against regio until both are done (one thread). */
static void tls_handshake(SSL *cl, struct regio *io)
{
    char buf[16];
    for (int i = 0; i < 100; i++) {
        int r = SSL_do_handshake(cl);
        ssize_t n = regio_recv(io, buf, sizeof buf); /* drives the server's side */
        assert_true(n < 0 && errno == EAGAIN);
        if (r == 1 && SSL_is_init_finished(cl))
            return;
    }
    fail_msg("TLS handshake did not finish");
}

static void test_regio_tls_data_left_inside_is_pending(void **state)
{
    struct fixture *f = *state;
    struct regtls *t;
    struct regio io;
    int sv[2];
    tls_only_stream(f, &t, &io, sv);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *cl = SSL_new(cctx);
    SSL_set_fd(cl, sv[1]);
    SSL_set_connect_state(cl);
    tls_handshake(cl, &io);
    assert_string_equal(regio_kind(&io), "tls");
    /* two records, read in pieces of 10: the second waits read ahead, the first's rest
     * decrypted; neither makes the fd readable again */
    char msg[100];
    memset(msg, 'a', sizeof msg);
    assert_int_equal(SSL_write(cl, msg, 60), 60);
    assert_int_equal(SSL_write(cl, msg, 40), 40);
    char buf[10];
    size_t total = 0;
    assert_int_equal(regio_recv(&io, buf, sizeof buf), 10);
    total += 10;
    assert_true(regio_pending(&io));
    for (;;) {
        ssize_t n = regio_recv(&io, buf, sizeof buf);
        if (n < 0) {
            assert_int_equal(errno, EAGAIN);
            break;
        }
        total += (size_t)n;
    }
    assert_int_equal(total, 100);
    assert_false(regio_pending(&io)); /* the last read said EAGAIN */
    /* and replies go out */
    assert_int_equal(regio_send(&io, "WELCOME\n", 8), 8);
    char rb[16];
    int k = SSL_read(cl, rb, sizeof rb);
    assert_int_equal(k, 8);
    assert_memory_equal(rb, "WELCOME\n", 8);
    /* the client's close_notify is the end of the stream */
    SSL_shutdown(cl);
    assert_int_equal(regio_recv(&io, buf, sizeof buf), 0);
    regio_close(&io);
    SSL_free(cl);
    SSL_CTX_free(cctx);
    close(sv[1]);
    regtls_free(t);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regtls_required_off_loopback),
        cmocka_unit_test_setup_teardown(
            test_regtls_generates_a_private_key_and_pins_the_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regtls_refuses_a_key_others_may_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regtls_names_the_listen_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regio_plain_client_on_a_tls_only_stream_is_told, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_regio_tls_data_left_inside_is_pending, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
